//! An engine's WGSL compute program: module, entry point, binding layout and size rules.
//!
//! Binding layout: everything is in `@group(0)`. Inputs are read-only storage buffers at
//! bindings `0..inputs`, outputs are read-write storage buffers at the bindings after them.

use super::capture::capture;
use super::context::GpuContext;
use super::gate::Gated;
use crate::{Error, Result};

/// A size derived from an input's length:
/// `fixed + unit * ceil(len(input) * numerator / denominator)`, or just `fixed` when
/// `denominator` is 0. A `unit` of 0 counts as 1.
///
/// One u32 per 8-byte record: `{unit 4, numerator 1, denominator 8}`; one u32 per tile of
/// 512 bytes: `{unit 4, numerator 1, denominator 512}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SizeRule {
    /// Constant part.
    pub fixed: u64,
    /// Which input's length scales the rule.
    pub input: u32,
    /// Scale numerator.
    pub numerator: u64,
    /// Scale denominator; 0 for a fixed size.
    pub denominator: u64,
    /// Bytes per scaled unit (0 counts as 1).
    pub unit: u64,
}

impl SizeRule {
    /// A constant size.
    pub const fn fixed(value: u64) -> Self {
        Self {
            fixed: value,
            input: 0,
            numerator: 0,
            denominator: 0,
            unit: 0,
        }
    }

    /// `fixed + unit * ceil(len(input) * numerator / denominator)`.
    pub const fn per_input(
        input: u32,
        unit: u64,
        numerator: u64,
        denominator: u64,
        fixed: u64,
    ) -> Self {
        Self {
            fixed,
            input,
            numerator,
            denominator,
            unit,
        }
    }

    /// Evaluates the rule on input lengths.
    pub fn eval(&self, input_lens: &[usize]) -> Result<u64> {
        if self.denominator == 0 {
            return Ok(self.fixed);
        }
        let len = *input_lens.get(self.input as usize).ok_or_else(|| {
            Error::invalid(format!(
                "size rule refers to input {} of {}",
                self.input,
                input_lens.len()
            ))
        })? as u128;
        let units = (len * self.numerator as u128).div_ceil(self.denominator as u128);
        let scaled = units.saturating_mul(self.unit.max(1) as u128);
        u64::try_from(scaled.saturating_add(self.fixed as u128)).map_err(|_| {
            Error::TooLarge(format!("size rule result {scaled} does not fit in 64 bits"))
        })
    }
}

/// Everything needed to build a [`Program`].
#[derive(Clone, Debug, Default)]
pub struct ProgramDesc {
    /// WGSL source.
    pub wgsl: String,
    /// Compute entry point name.
    pub entry_point: String,
    /// Number of read-only storage inputs.
    pub inputs: u32,
    /// Size of each read-write output, in bytes (rounded up to a multiple of 4).
    pub outputs: Vec<SizeRule>,
    /// Workgroups in x; y and z are fixed.
    pub workgroups_x: SizeRule,
    /// Workgroups in y (0 is taken as 1).
    pub workgroups_y: u32,
    /// Workgroups in z (0 is taken as 1).
    pub workgroups_z: u32,
}

/// A compiled program with its pipeline, ready to dispatch on its context's device.
pub struct Program {
    /// The context it was built on.
    pub context_id: u64,
    /// The description it was built from.
    pub desc: ProgramDesc,
    /// Bind group layout of its inputs and outputs.
    pub bind_group_layout: Gated<wgpu::BindGroupLayout>,
    /// The cached compute pipeline.
    pub pipeline: Gated<wgpu::ComputePipeline>,
}

impl Program {
    /// Compiles `desc` on `ctx`'s device. A WGSL error is `Error::Shader` with `line:column`.
    pub fn new(ctx: &GpuContext, desc: ProgramDesc) -> Result<Self> {
        Self::build(ctx, desc, false)
    }

    /// [`Program::new`] for the engine's own kernels, compiled as [`ENGINE_CHECKS`] says.
    pub(crate) fn new_engine(ctx: &GpuContext, desc: ProgramDesc) -> Result<Self> {
        Self::build(ctx, desc, true)
    }

    fn build(ctx: &GpuContext, desc: ProgramDesc, engine: bool) -> Result<Self> {
        let gpu = ctx.gpu()?;
        validate(&desc, &gpu.summary.limits)?;
        let device = &gpu.device;
        let module = capture(device, "compiling the WGSL module", || {
            let source = wgpu::ShaderModuleDescriptor {
                label: Some(&desc.entry_point),
                source: wgpu::ShaderSource::Wgsl(desc.wgsl.as_str().into()),
            };
            let module = if engine {
                // SAFETY: the engine's kernels need none of the runtime checks (see
                // `ENGINE_CHECKS`).
                unsafe { device.create_shader_module_trusted(source, ENGINE_CHECKS) }
            } else {
                device.create_shader_module(source)
            };
            shader_diagnostics(&module)?;
            Ok(module)
        })
        .map_err(|e| match e {
            Error::Gpu(message) => Error::Shader(message),
            other => other,
        })?;
        let entries: Vec<wgpu::BindGroupLayoutEntry> = (0..desc.inputs + desc.outputs.len() as u32)
            .map(|binding| wgpu::BindGroupLayoutEntry {
                binding,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage {
                        read_only: binding < desc.inputs,
                    },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            })
            .collect();
        let (bind_group_layout, pipeline) =
            capture(device, "creating the compute pipeline", || {
                let bind_group_layout =
                    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                        label: Some("specrt program bindings"),
                        entries: &entries,
                    });
                let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                    label: Some("specrt program layout"),
                    bind_group_layouts: &[Some(&bind_group_layout)],
                    immediate_size: 0,
                });
                let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(&desc.entry_point),
                    layout: Some(&layout),
                    module: &module,
                    entry_point: Some(&desc.entry_point),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        zero_initialize_workgroup_memory: !engine,
                        ..Default::default()
                    },
                    cache: None,
                });
                Ok((bind_group_layout, pipeline))
            })
            .map_err(|e| match e {
                Error::Gpu(message) => Error::Shader(format!(
                "{message} (check the entry point name and that bindings 0..{} of @group(0) are \
                 {} read-only then {} read-write storage buffers)",
                desc.inputs + desc.outputs.len() as u32,
                desc.inputs,
                desc.outputs.len()
            )),
                other => other,
            })?;
        Ok(Self {
            context_id: ctx.id(),
            desc,
            bind_group_layout: Gated::new(bind_group_layout),
            pipeline: Gated::new(pipeline),
        })
    }

    /// Number of inputs.
    pub fn input_count(&self) -> usize {
        self.desc.inputs as usize
    }

    /// Number of outputs.
    pub fn output_count(&self) -> usize {
        self.desc.outputs.len()
    }
}

/// How the engine's own scan kernels are compiled: without the checks wgpu adds for untrusted
/// WGSL (index clamping, loop bounding, guarded integer division) and without zeroing workgroup
/// memory before each workgroup starts. The clamps sit on every access to the staged filters:
/// in paired runs on an H200 the serial kernels ran 10-15 % faster without them. The kernels earn the
/// trust: every index into workgroup and private arrays is in range by construction (hashes
/// shifted to the filter's size, tile offsets below the tile), every loop is counted, buffer
/// reads stay inside their bindings (`data_word` clamps its look-ahead word), writes are
/// guarded by the capacities in `Params`, and every workgroup variable is written before it
/// is read. Programs from [`Program::new`] (the engine's users' WGSL) keep every check.
const ENGINE_CHECKS: wgpu::ShaderRuntimeChecks = wgpu::ShaderRuntimeChecks::unchecked();

fn validate(desc: &ProgramDesc, limits: &wgpu::Limits) -> Result<()> {
    if desc.outputs.is_empty() {
        return Err(Error::invalid("a program needs at least one output"));
    }
    if desc.entry_point.is_empty() {
        return Err(Error::invalid("the entry point name is empty"));
    }
    let bindings = desc.inputs as u64 + desc.outputs.len() as u64;
    if bindings > limits.max_storage_buffers_per_shader_stage as u64 {
        return Err(Error::invalid(format!(
            "{bindings} storage buffers requested; this adapter allows {} per shader stage",
            limits.max_storage_buffers_per_shader_stage
        )));
    }
    let rules = desc
        .outputs
        .iter()
        .chain(std::iter::once(&desc.workgroups_x));
    for rule in rules {
        if rule.denominator != 0 && rule.input >= desc.inputs {
            return Err(Error::invalid(format!(
                "a size rule refers to input {} but the program has {} input(s)",
                rule.input, desc.inputs
            )));
        }
    }
    Ok(())
}

/// `Error::Shader` with `line:column: message` for each error the compiler reported.
fn shader_diagnostics(module: &wgpu::ShaderModule) -> Result<()> {
    let info = pollster::block_on(module.get_compilation_info());
    let errors: Vec<String> = info
        .messages
        .iter()
        .filter(|m| m.message_type == wgpu::CompilationMessageType::Error)
        .map(|m| match &m.location {
            Some(at) => format!(
                "{}:{}: {}",
                at.line_number,
                at.line_position,
                m.message.trim()
            ),
            None => m.message.trim().to_string(),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Shader(errors.join("\n")))
    }
}
