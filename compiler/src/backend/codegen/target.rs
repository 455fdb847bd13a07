//! Targets: triple, CPU and features, in one table (the `[cross]` issue adds the ARM details).

use super::CodegenError;
use inkwell::targets::{
    CodeModel, InitializationConfig, RelocMode, Target as LlvmTarget, TargetMachine, TargetTriple,
};
use inkwell::OptimizationLevel;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The LLVM triple.
    pub triple: &'static str,
    pub cpu: &'static str,
    pub features: &'static str,
    /// The C compiler that links for this target.
    pub linker: &'static str,
}

impl Target {
    /// The machine solvrac runs on.
    pub fn host() -> Target {
        Target {
            triple: "x86_64-unknown-linux-gnu",
            cpu: "x86-64",
            features: "",
            linker: "cc",
        }
    }

    pub(super) fn machine(&self, opt_level: u8) -> Result<TargetMachine, CodegenError> {
        LlvmTarget::initialize_x86(&InitializationConfig::default());
        let triple = TargetTriple::create(self.triple);
        let target = LlvmTarget::from_triple(&triple)
            .map_err(|e| CodegenError(format!("unknown target {}: {e}", self.triple)))?;
        let level = match opt_level {
            0 => OptimizationLevel::None,
            1 => OptimizationLevel::Less,
            2 => OptimizationLevel::Default,
            _ => OptimizationLevel::Aggressive,
        };
        // PIC: Debian's gcc links position-independent executables by default (TOOLCHAIN.md §2).
        target
            .create_target_machine(
                &triple,
                self.cpu,
                self.features,
                level,
                RelocMode::PIC,
                CodeModel::Default,
            )
            .ok_or_else(|| {
                CodegenError(format!(
                    "LLVM cannot create a target machine for {}",
                    self.triple
                ))
            })
    }
}
