//! Spec cache key and autotune key (docs/SPEC.md section 4).

use std::fmt;

/// Identity of one specialised kernel variant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SpecCacheKey {
    /// Hash of the shader source.
    pub shader_hash: u64,
    /// Hash of the binding layout.
    pub binding_sig: u64,
    /// Workgroup size of the variant.
    pub workgroup_size: [u32; 3],
    /// Hash of the specialisation constants.
    pub spec_hash: u64,
}

/// The 16-byte digest of a [`SpecCacheKey`]; the on-disk identity of an autotune record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyDigest(pub [u8; 16]);

impl SpecCacheKey {
    /// The autotune digest of this key.
    pub fn digest(&self) -> KeyDigest {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.spec_hash.to_le_bytes());
        bytes[8..].copy_from_slice(&self.shader_hash.to_le_bytes());
        let wg = self
            .workgroup_size
            .iter()
            .enumerate()
            .fold(0u64, |acc, (i, &w)| acc ^ ((w as u64) << (16 * i)));
        for i in 0..8 {
            bytes[i] ^= (wg >> (8 * i)) as u8;
            bytes[8 + i] ^= (self.binding_sig >> (8 * i)) as u8;
        }
        KeyDigest(bytes)
    }
}

impl KeyDigest {
    /// Parses 32 hex characters (either case).
    pub fn from_hex(text: &str) -> Option<Self> {
        let raw = text.as_bytes();
        if raw.len() != 32 {
            return None;
        }
        let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (nibble(raw[2 * i])? << 4) | nibble(raw[2 * i + 1])?;
        }
        Some(KeyDigest(bytes))
    }
}

impl fmt::Display for KeyDigest {
    /// 32 lowercase hex characters.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Where an autotune record lives: the kernel digest plus the adapter it was measured on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AutotuneKey {
    /// Digest of the kernel's spec cache key.
    pub digest: KeyDigest,
    /// Stable adapter id string.
    pub adapter: String,
}

impl AutotuneKey {
    /// The key of `spec` measured on `adapter`.
    pub fn new(spec: &SpecCacheKey, adapter: impl Into<String>) -> Self {
        Self {
            digest: spec.digest(),
            adapter: adapter.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_layout() {
        let key = SpecCacheKey {
            shader_hash: 0x1122_3344_5566_7788,
            binding_sig: 0,
            workgroup_size: [0, 0, 0],
            spec_hash: 0x0102_0304_0506_0708,
        };
        assert_eq!(key.digest().to_string(), "08070605040302018877665544332211");
        let key = SpecCacheKey {
            workgroup_size: [0x40, 1, 2],
            binding_sig: 0xff,
            ..key
        };
        // wg = 0x40 ^ (1 << 16) ^ (2 << 32): bytes 0, 2 and 4 flip; binding_sig flips byte 8.
        let d = key.digest().0;
        assert_eq!(d[0], 0x08 ^ 0x40);
        assert_eq!(d[2], 0x06 ^ 0x01);
        assert_eq!(d[4], 0x04 ^ 0x02);
        assert_eq!(d[8], 0x88 ^ 0xff);
    }

    #[test]
    fn workgroup_components_overlap_by_xor() {
        // Components 16 bits apart overlap when wider than 16 bits; the XOR rule keeps them.
        let key = SpecCacheKey {
            workgroup_size: [0x1_0000, 1, 0],
            ..Default::default()
        };
        assert_eq!(key.digest(), KeyDigest([0; 16]));
    }

    #[test]
    fn hex_round_trip() {
        let d = KeyDigest(*b"\x00\x01\xab\xcd\xef\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xff");
        let hex = d.to_string();
        assert_eq!(hex.len(), 32);
        assert_eq!(KeyDigest::from_hex(&hex), Some(d));
        assert_eq!(KeyDigest::from_hex(&hex.to_uppercase()), Some(d));
        assert_eq!(KeyDigest::from_hex(&hex[..31]), None);
        assert_eq!(KeyDigest::from_hex(&format!("{}g", &hex[..31])), None);
        assert_eq!(
            KeyDigest::from_hex("é0000000000000000000000000000000"),
            None
        );
    }
}
