//! Speculation mode (docs/SPEC.md section 2).

/// How a dispatch chooses between the fused speculative path and the serial pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SpeculationMode {
    /// The adaptive speculator decides, dispatch by dispatch.
    #[default]
    Auto,
    /// Always the fused path; an error when the backend cannot run it.
    Force,
    /// Always the serial prefilter then confirm path.
    Disable,
}

impl SpeculationMode {
    /// The mode for a C `specrt_speculation_mode` value, or `None` when it is not one.
    pub const fn from_raw(raw: u32) -> Option<Self> {
        match raw {
            0 => Some(Self::Auto),
            1 => Some(Self::Force),
            2 => Some(Self::Disable),
            _ => None,
        }
    }

    /// The fixed C value of this mode.
    pub const fn to_raw(self) -> u32 {
        match self {
            Self::Auto => 0,
            Self::Force => 1,
            Self::Disable => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trip() {
        for m in [
            SpeculationMode::Auto,
            SpeculationMode::Force,
            SpeculationMode::Disable,
        ] {
            assert_eq!(SpeculationMode::from_raw(m.to_raw()), Some(m));
        }
        assert_eq!(SpeculationMode::from_raw(3), None);
        assert_eq!(SpeculationMode::default(), SpeculationMode::Auto);
    }
}
