//! Self-tuning of the scan kernels' shape (workgroup size, tile size), per shape bucket (chunk size class x rule-set
//! size class): the current choice and a candidate are raced on the same chunks with the paired
//! speculation window (docs/SPEC.md section 8), timed by GPU timestamps where the adapter has them
//! (wall clock otherwise). The settled choice goes to the context's autotune store, so a later
//! process starts from it and races nothing for that bucket.

use super::gpu::{kernels_hash, KernelShape, CANDIDATE_SHAPES, DEFAULT_SHAPE};
use crate::gpu::GpuContext;
use crate::policy::{
    AutotuneKey, AutotuneRecord, AutotuneStore, PairedWindow, SpecCacheKey, VariantRace, Verdict,
};
use crate::Result;
use std::collections::HashMap;
use std::sync::Mutex;

/// Pairs after which a race that keeps racing is settled for the current choice.
pub const MAX_PAIRS: u32 = 24;

/// A shape bucket: log2 classes of the chunk size and of the number of patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bucket {
    /// floor(log2(chunk bytes)).
    pub size_class: u32,
    /// floor(log2(patterns)).
    pub rules_class: u32,
}

enum State {
    Settled(KernelShape),
    Racing {
        current: KernelShape,
        candidates: Vec<KernelShape>,
        window: PairedWindow,
    },
}

/// What to run for a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The settled shape.
    Use(KernelShape),
    /// Run `current` (whose results count) and `candidate`, and report both times.
    Race {
        /// The current choice.
        current: KernelShape,
        /// The variant raced against it.
        candidate: KernelShape,
    },
}

/// Per-scanner tuning state.
pub struct Tuner {
    rules_class: u32,
    states: Mutex<HashMap<Bucket, State>>,
    /// Stands in for the context's store when the context has none.
    local_store: Mutex<AutotuneStore>,
    /// Hash of the scan kernels' source, part of every key (computed once).
    shader_hash: u64,
}

fn log2(n: u64) -> u32 {
    63 - n.max(1).leading_zeros()
}

fn record_of(shape: KernelShape) -> AutotuneRecord {
    AutotuneRecord {
        workgroup_size: [shape.lanes, 1, 1],
        unroll: shape.tile / shape.lanes,
        tile: [shape.tile, 1, 1],
        recorded_at: String::new(),
    }
}

impl Tuner {
    /// A tuner for a rule set of `patterns` patterns.
    pub fn new(patterns: usize) -> Self {
        Self {
            rules_class: log2(patterns as u64),
            states: Mutex::new(HashMap::new()),
            local_store: Mutex::new(AutotuneStore::new()),
            shader_hash: kernels_hash(),
        }
    }

    /// The bucket of a chunk of `bytes` bytes.
    pub fn bucket(&self, bytes: u64) -> Bucket {
        Bucket {
            size_class: log2(bytes),
            rules_class: self.rules_class,
        }
    }

    /// The store key of a bucket's settled choice.
    pub fn bucket_key(&self, bucket: Bucket) -> SpecCacheKey {
        SpecCacheKey {
            shader_hash: self.shader_hash,
            binding_sig: bucket.size_class as u64,
            workgroup_size: [0, 0, 0],
            spec_hash: bucket.rules_class as u64,
        }
    }

    fn variant_key(&self, bucket: Bucket, shape: KernelShape) -> SpecCacheKey {
        SpecCacheKey {
            workgroup_size: [shape.lanes, shape.tile, 1],
            ..self.bucket_key(bucket)
        }
    }

    fn with_store<R>(&self, ctx: &GpuContext, f: impl FnOnce(&mut AutotuneStore) -> R) -> R {
        match ctx.autotune_store() {
            Some(mut store) => f(&mut store),
            None => f(&mut self.local_store.lock().unwrap_or_else(|p| p.into_inner())),
        }
    }

    /// What to run for a chunk of `bucket`.
    pub fn plan(&self, ctx: &GpuContext, bucket: Bucket) -> Plan {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        let state = states.entry(bucket).or_insert_with(|| {
            let key = AutotuneKey::new(&self.bucket_key(bucket), ctx.adapter_id());
            let stored = self.with_store(ctx, |s| {
                s.get(&key).map(|r| KernelShape {
                    lanes: r.workgroup_size[0],
                    tile: r.tile[0],
                })
            });
            match stored {
                Some(shape) if shape.check().is_ok() && shape.tile <= DEFAULT_SHAPE.tile => {
                    State::Settled(shape)
                }
                _ => State::Racing {
                    current: DEFAULT_SHAPE,
                    candidates: CANDIDATE_SHAPES.to_vec(),
                    window: PairedWindow::new(),
                },
            }
        });
        match state {
            State::Settled(shape) => Plan::Use(*shape),
            State::Racing {
                current,
                candidates,
                ..
            } => Plan::Race {
                current: *current,
                candidate: candidates[0],
            },
        }
    }

    /// Feeds one raced pair; settles the bucket when the candidates are exhausted, saving the
    /// choice to the context's store file.
    pub fn record(
        &self,
        ctx: &GpuContext,
        bucket: Bucket,
        current: KernelShape,
        candidate: KernelShape,
        current_ns: u64,
        candidate_ns: u64,
    ) -> Result<()> {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        let Some(State::Racing {
            current: now,
            candidates,
            window,
        }) = states.get_mut(&bucket)
        else {
            return Ok(());
        };
        if *now != current || candidates.first() != Some(&candidate) {
            return Ok(()); // another thread moved the race on
        }
        let race = VariantRace {
            conservative_dispatch_ns: current_ns,
            speculative_dispatch_ns: candidate_ns,
            conservative_compile_ns: 0,
            speculative_compile_ns: 0,
            conservative_record: record_of(current),
            speculative_record: record_of(candidate),
        };
        let adapter = ctx.adapter_id().to_string();
        let update = self.with_store(ctx, |store| {
            window.record_sample(
                store,
                &self.variant_key(bucket, current),
                &self.variant_key(bucket, candidate),
                &adapter,
                &race,
            )
        })?;
        let done = match update.verdict {
            Verdict::Adopt => {
                *now = candidate;
                true
            }
            Verdict::Reject => true,
            Verdict::KeepRacing => window.len() >= MAX_PAIRS,
        };
        if !done {
            return Ok(());
        }
        candidates.remove(0);
        *window = PairedWindow::new();
        if !candidates.is_empty() {
            return Ok(());
        }
        let chosen = *now;
        states.insert(bucket, State::Settled(chosen));
        drop(states);
        let key = AutotuneKey::new(&self.bucket_key(bucket), adapter);
        self.with_store(ctx, |store| store.put(key, record_of(chosen)));
        ctx.save_autotune()?;
        Ok(())
    }
}
