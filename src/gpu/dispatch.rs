//! The prefilter/confirm entry point: the fused speculative program or the serial pair, routed by
//! the speculation mode and the speculator (docs/SPEC.md section 2).

use super::context::GpuContext;
use super::program::Program;
use super::run::{run_program, RunTimings};
use crate::policy::{parse_counter_tail, AdaptiveSpeculator, SpeculationMode, SpeculationReport};
use crate::{Error, Result};
use std::time::Instant;

/// The programs of one prefilter/confirm dispatch and where the fused program writes its tail.
#[derive(Clone, Copy)]
pub struct DispatchPlan<'a> {
    /// The fused program (prefilter and confirm in one dispatch), if the engine has one.
    pub fused: Option<&'a Program>,
    /// The prefilter program of the serial path.
    pub prefilter: &'a Program,
    /// Which fused output ends with the `[committed, rolled_back]` counter tail.
    pub tail_output: usize,
    /// Whether to remove the 8 tail bytes from that output before returning it.
    pub strip_tail: bool,
    /// A prefilter output ending with a `[hit tiles, other tiles]` tail, if the prefilter writes
    /// one; the serial path records it so the speculator sees hit rates change while serial.
    pub prefilter_tail_output: Option<usize>,
}

/// Which path a dispatch took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DispatchPath {
    /// The fused speculative program.
    Fused,
    /// The prefilter program, then the engine's confirm callback.
    Serial,
}

/// What the serial path hands to the engine's confirm step.
pub struct ConfirmRequest<'a> {
    /// The dispatch's inputs.
    pub inputs: &'a [&'a [u8]],
    /// The prefilter program's outputs.
    pub prefilter_outputs: &'a [Vec<u8>],
}

/// The engine's confirm step: returns the confirmed outputs.
pub type ConfirmFn<'f> = dyn FnMut(&ConfirmRequest) -> Result<Vec<Vec<u8>>> + 'f;

/// The result of a dispatch.
#[derive(Clone, Debug)]
pub struct DispatchOutcome {
    /// The path that ran.
    pub path: DispatchPath,
    /// The confirmed outputs (fused: the program's outputs, tail stripped when asked).
    pub outputs: Vec<Vec<u8>>,
    /// The counter report recorded into the speculator, if any.
    pub report: Option<SpeculationReport>,
    /// GPU run stage timings.
    pub timings: RunTimings,
    /// Time in the engine's confirm callback (serial path), ns.
    pub confirm_ns: u64,
}

impl DispatchPlan<'_> {
    fn validate(&self, inputs: usize) -> Result<()> {
        for program in self.fused.iter().copied().chain([self.prefilter]) {
            if program.input_count() != inputs {
                return Err(Error::invalid(format!(
                    "program `{}` takes {} input(s), the dispatch has {inputs}",
                    program.desc.entry_point,
                    program.input_count()
                )));
            }
        }
        if let Some(fused) = self.fused {
            if self.tail_output >= fused.output_count() {
                return Err(Error::invalid(format!(
                    "tail output index {} is out of range: the fused program `{}` has {} output(s)",
                    self.tail_output,
                    fused.desc.entry_point,
                    fused.output_count()
                )));
            }
        }
        if let Some(i) = self.prefilter_tail_output {
            if i >= self.prefilter.output_count() {
                return Err(Error::invalid(format!(
                    "prefilter tail output index {i} is out of range: `{}` has {} output(s)",
                    self.prefilter.desc.entry_point,
                    self.prefilter.output_count()
                )));
            }
        }
        Ok(())
    }
}

/// Runs one dispatch: Force takes the fused path (an error when the plan or the context cannot),
/// Disable the serial path, Auto asks `speculator`. The fused path records its tail into the
/// speculator; the serial path runs the prefilter and hands its outputs to `confirm`.
pub fn dispatch_prefilter_confirm(
    ctx: &GpuContext,
    speculator: &AdaptiveSpeculator,
    plan: &DispatchPlan,
    inputs: &[&[u8]],
    mode: SpeculationMode,
    confirm: &mut ConfirmFn,
) -> Result<DispatchOutcome> {
    plan.validate(inputs.len())?;
    let fused = match choose_path(ctx, speculator, mode, plan.fused.is_some())? {
        DispatchPath::Fused => plan.fused,
        DispatchPath::Serial => None,
    };
    match fused {
        Some(program) => run_fused(ctx, speculator, plan, program, inputs),
        None => run_serial(ctx, speculator, plan, inputs, confirm),
    }
}

/// The routing of docs/SPEC.md section 2: Force takes the fused path (an error when there is no fused
/// program or no GPU), Disable the serial path, Auto asks the speculator.
pub fn choose_path(
    ctx: &GpuContext,
    speculator: &AdaptiveSpeculator,
    mode: SpeculationMode,
    fused_available: bool,
) -> Result<DispatchPath> {
    ctx.check_alive()?;
    match mode {
        SpeculationMode::Force if !fused_available => Err(Error::Unsupported(
            "speculative dispatch: the plan has no fused program".into(),
        )),
        SpeculationMode::Force if ctx.summary().is_none() => Err(Error::Unsupported(
            "speculative dispatch on backend cpu (this context has no GPU adapter)".into(),
        )),
        SpeculationMode::Force => Ok(DispatchPath::Fused),
        SpeculationMode::Disable => Ok(DispatchPath::Serial),
        SpeculationMode::Auto if fused_available && speculator.should_speculate() => {
            Ok(DispatchPath::Fused)
        }
        SpeculationMode::Auto => Ok(DispatchPath::Serial),
    }
}

fn run_fused(
    ctx: &GpuContext,
    speculator: &AdaptiveSpeculator,
    plan: &DispatchPlan,
    program: &Program,
    inputs: &[&[u8]],
) -> Result<DispatchOutcome> {
    let mut run = run_program(ctx, program, inputs)?;
    let report = tail_of(&run.outputs, plan.tail_output, program)?;
    if plan.strip_tail {
        let output = &mut run.outputs[plan.tail_output];
        output.truncate(output.len() - 8);
    }
    speculator.record(report);
    Ok(DispatchOutcome {
        path: DispatchPath::Fused,
        outputs: run.outputs,
        report: Some(report),
        timings: run.timings,
        confirm_ns: 0,
    })
}

fn run_serial(
    ctx: &GpuContext,
    speculator: &AdaptiveSpeculator,
    plan: &DispatchPlan,
    inputs: &[&[u8]],
    confirm: &mut ConfirmFn,
) -> Result<DispatchOutcome> {
    let run = run_program(ctx, plan.prefilter, inputs)?;
    let report = plan
        .prefilter_tail_output
        .map(|i| tail_of(&run.outputs, i, plan.prefilter))
        .transpose()?;
    if let Some(report) = report {
        speculator.record(report);
    }
    let started = Instant::now();
    let outputs = confirm(&ConfirmRequest {
        inputs,
        prefilter_outputs: &run.outputs,
    })?;
    let confirm_ns = started.elapsed().as_nanos().min(u64::MAX as u128) as u64;
    if let Some(fused) = plan.fused {
        if outputs.len() != fused.output_count() {
            return Err(Error::Callback {
                status: 0,
                message: format!(
                    "the confirm callback produced {} output(s); the fused program has {}, and both paths must return the same outputs",
                    outputs.len(),
                    fused.output_count()
                ),
            });
        }
    }
    Ok(DispatchOutcome {
        path: DispatchPath::Serial,
        outputs,
        report,
        timings: run.timings,
        confirm_ns,
    })
}

fn tail_of(outputs: &[Vec<u8>], index: usize, program: &Program) -> Result<SpeculationReport> {
    parse_counter_tail(&outputs[index]).map_err(|e| match e {
        Error::CounterTail(why) => Error::CounterTail(format!(
            "output {index} of `{}`: {why}",
            program.desc.entry_point
        )),
        other => other,
    })
}
