//! C ABI: variant races and the adopt/reject/keep-racing verdict (docs/SPEC.md sections 6 and 7).

use super::args;
use super::autotune::{
    lock_store, specrt_autotune_record, specrt_autotune_store, specrt_spec_cache_key,
};
use super::boundary::status_call;
use super::status::specrt_status;
use crate::policy::{
    decide_speculation, record_variant_race, SpecCacheKey, SpeculationObservation, Variant,
    VariantDecision, VariantRace, Verdict,
};
use crate::Result;
use std::ffi::c_char;

/// Which of two raced variants: one of the `SPECRT_VARIANT_*` values.
pub type specrt_variant = u32;
/// The conservative (serial) variant; it wins ties.
pub const SPECRT_VARIANT_CONSERVATIVE: specrt_variant = 0;
/// The speculative (fused) variant.
pub const SPECRT_VARIANT_SPECULATIVE: specrt_variant = 1;

/// A verdict on speculation: one of the `SPECRT_VERDICT_*` values.
pub type specrt_verdict = u32;
/// Not enough evidence yet: keep racing both variants.
pub const SPECRT_VERDICT_KEEP_RACING: specrt_verdict = 0;
/// Adopt the speculative variant: it saves at least 15 %.
pub const SPECRT_VERDICT_ADOPT: specrt_verdict = 1;
/// Reject the speculative variant: it is no faster.
pub const SPECRT_VERDICT_REJECT: specrt_verdict = 2;

/// Timings and records of one race between the conservative and speculative variants.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct specrt_variant_race {
    /// Conservative dispatch time, ns.
    pub conservative_dispatch_ns: u64,
    /// Speculative dispatch time, ns.
    pub speculative_dispatch_ns: u64,
    /// Conservative compile time, ns.
    pub conservative_compile_ns: u64,
    /// Speculative compile time, ns.
    pub speculative_compile_ns: u64,
    /// The conservative variant's configuration.
    pub conservative_record: specrt_autotune_record,
    /// The speculative variant's configuration.
    pub speculative_record: specrt_autotune_record,
}

/// The outcome of a race.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct specrt_variant_decision {
    /// `SPECRT_VARIANT_CONSERVATIVE` or `SPECRT_VARIANT_SPECULATIVE`.
    pub winner: specrt_variant,
    /// The loser's total (compile + dispatch) minus the winner's, ns; 0 on ties.
    pub saved_ns: u64,
    /// Autotune key (32 hex characters and a NUL) under which the winner's record was stored.
    pub key_hex: [c_char; 33],
}

/// What a paired window has seen: the input of `specrt_decide_speculation`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct specrt_speculation_observation {
    /// Conservative dispatches observed.
    pub baseline_dispatches: u32,
    /// Mean conservative dispatch time, ns.
    pub baseline_mean_ns: u64,
    /// Speculative dispatches observed.
    pub speculative_dispatches: u32,
    /// Mean speculative dispatch time, ns.
    pub speculative_mean_ns: u64,
    /// Compile cost paid for the speculative variant, ns.
    pub side_compile_cost_ns: u64,
}

impl specrt_variant_race {
    /// The Rust race, after checking both records.
    pub(crate) fn to_race(self) -> Result<VariantRace> {
        Ok(VariantRace {
            conservative_dispatch_ns: self.conservative_dispatch_ns,
            speculative_dispatch_ns: self.speculative_dispatch_ns,
            conservative_compile_ns: self.conservative_compile_ns,
            speculative_compile_ns: self.speculative_compile_ns,
            conservative_record: self.conservative_record.to_record()?,
            speculative_record: self.speculative_record.to_record()?,
        })
    }
}

impl From<&VariantDecision> for specrt_variant_decision {
    fn from(d: &VariantDecision) -> Self {
        let mut out = specrt_variant_decision {
            winner: match d.winner {
                Variant::Conservative => SPECRT_VARIANT_CONSERVATIVE,
                Variant::Speculative => SPECRT_VARIANT_SPECULATIVE,
            },
            saved_ns: d.saved_ns,
            key_hex: [0; 33],
        };
        args::write_fixed_str(&mut out.key_hex, &d.key.digest.to_string());
        out
    }
}

impl From<specrt_speculation_observation> for SpeculationObservation {
    fn from(o: specrt_speculation_observation) -> Self {
        SpeculationObservation {
            baseline_dispatches: o.baseline_dispatches,
            baseline_mean_ns: o.baseline_mean_ns,
            speculative_dispatches: o.speculative_dispatches,
            speculative_mean_ns: o.speculative_mean_ns,
            side_compile_cost_ns: o.side_compile_cost_ns,
        }
    }
}

impl From<SpeculationObservation> for specrt_speculation_observation {
    fn from(o: SpeculationObservation) -> Self {
        specrt_speculation_observation {
            baseline_dispatches: o.baseline_dispatches,
            baseline_mean_ns: o.baseline_mean_ns,
            speculative_dispatches: o.speculative_dispatches,
            speculative_mean_ns: o.speculative_mean_ns,
            side_compile_cost_ns: o.side_compile_cost_ns,
        }
    }
}

/// The C value of a verdict.
pub(crate) fn verdict_code(v: Verdict) -> specrt_verdict {
    match v {
        Verdict::KeepRacing => SPECRT_VERDICT_KEEP_RACING,
        Verdict::Adopt => SPECRT_VERDICT_ADOPT,
        Verdict::Reject => SPECRT_VERDICT_REJECT,
    }
}

/// The keys, adapter id and race of a race-recording call, checked.
pub(crate) unsafe fn race_arguments<'a>(
    conservative_key: *const specrt_spec_cache_key,
    speculative_key: *const specrt_spec_cache_key,
    adapter_id: *const c_char,
    race: *const specrt_variant_race,
    race_name: &'static str,
) -> Result<(SpecCacheKey, SpecCacheKey, &'a str, VariantRace)> {
    Ok((
        SpecCacheKey::from(args::input(conservative_key, "conservative_key")?),
        SpecCacheKey::from(args::input(speculative_key, "speculative_key")?),
        args::c_str(adapter_id, "adapter_id")?,
        args::input(race, race_name)?.to_race()?,
    ))
}

/// Decides a race (speculative wins only when its compile + dispatch total is strictly lower)
/// and puts the winner's record in `store` under the winner's key for `adapter_id`.
///
/// # Safety
/// Pointers must be valid; `adapter_id` NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn specrt_record_variant_race(
    store: *mut specrt_autotune_store,
    conservative_key: *const specrt_spec_cache_key,
    speculative_key: *const specrt_spec_cache_key,
    adapter_id: *const c_char,
    race: *const specrt_variant_race,
    out: *mut specrt_variant_decision,
) -> specrt_status {
    status_call(|| {
        let out = args::out(out, "out")?;
        let (cons, spec, adapter, race) =
            race_arguments(conservative_key, speculative_key, adapter_id, race, "race")?;
        let mut store = lock_store(store, "store")?;
        let decision = record_variant_race(&mut store, &cons, &spec, adapter, &race)?;
        *out = (&decision).into();
        Ok(())
    })
}

/// Adopt, reject or keep racing, from an observation (docs/SPEC.md section 7). Pure and total: never
/// fails, any input is valid.
#[no_mangle]
pub extern "C" fn specrt_decide_speculation(
    observation: specrt_speculation_observation,
) -> specrt_verdict {
    verdict_code(decide_speculation(&observation.into()))
}
