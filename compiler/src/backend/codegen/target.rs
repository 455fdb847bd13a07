//! Targets: triple, CPU, features, linker and runtime library, in one table.
//!
//! ARMv7 is hard-float with VFPv3-D16 as its baseline (Debian armhf, what rustc's
//! armv7-unknown-linux-gnueabihf assumes); never soft-float on gnueabihf, which links without
//! a warning and computes garbage (TOOLCHAIN.md §2). Cross builds link statically by default
//! so the executable runs on a board as it is.

use super::CodegenError;
use inkwell::targets::{
    CodeModel, InitializationConfig, RelocMode, Target as LlvmTarget, TargetMachine, TargetTriple,
};
use inkwell::OptimizationLevel;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The name users write: `x86_64-linux-gnu`, `aarch64-linux-gnu`, `armv7-linux-gnueabihf`.
    pub name: &'static str,
    /// The LLVM triple.
    pub triple: &'static str,
    /// The Rust triple the runtime library is built for.
    pub rust_triple: &'static str,
    pub cpu: String,
    pub features: String,
    /// The C compiler that links for this target.
    pub linker: &'static str,
    /// The qemu-user emulator that runs its executables on another machine.
    pub emulator: &'static str,
    /// Whether this is the machine solvrac runs on.
    pub native: bool,
}

/// (name, aliases, LLVM triple, Rust triple, default CPU, default features, linker, emulator)
type Row = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const TARGETS: &[Row] = &[
    (
        "x86_64-linux-gnu",
        &["x86_64-unknown-linux-gnu", "x86_64", "host"],
        "x86_64-unknown-linux-gnu",
        "x86_64-unknown-linux-gnu",
        "x86-64",
        "",
        "cc",
        "qemu-x86_64",
    ),
    (
        "aarch64-linux-gnu",
        &["aarch64-unknown-linux-gnu", "aarch64", "arm64"],
        "aarch64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "generic",
        "+neon",
        "aarch64-linux-gnu-gcc",
        "qemu-aarch64",
    ),
    (
        "armv7-linux-gnueabihf",
        &["armv7-unknown-linux-gnueabihf", "armv7", "armhf"],
        "armv7-unknown-linux-gnueabihf",
        "armv7-unknown-linux-gnueabihf",
        "generic",
        "+v7,+vfp3,-d32,+thumb2,-neon",
        "arm-linux-gnueabihf-gcc",
        "qemu-arm",
    ),
];

impl Target {
    /// The machine solvrac runs on.
    pub fn host() -> Target {
        Target::lookup("x86_64-linux-gnu").expect("the host target is in the table")
    }

    /// A target by name or alias.
    pub fn lookup(name: &str) -> Option<Target> {
        TARGETS
            .iter()
            .find(|row| row.0 == name || row.1.contains(&name))
            .map(
                |&(name, _, triple, rust_triple, cpu, features, linker, emulator)| Target {
                    name,
                    triple,
                    rust_triple,
                    cpu: cpu.to_string(),
                    features: features.to_string(),
                    linker,
                    emulator,
                    native: name == "x86_64-linux-gnu",
                },
            )
    }

    /// Every target's name, for `--help` and error messages.
    pub fn names() -> Vec<&'static str> {
        TARGETS.iter().map(|row| row.0).collect()
    }

    pub(super) fn machine(&self, opt_level: u8) -> Result<TargetMachine, CodegenError> {
        let config = InitializationConfig::default();
        match self.name {
            "aarch64-linux-gnu" => LlvmTarget::initialize_aarch64(&config),
            "armv7-linux-gnueabihf" => LlvmTarget::initialize_arm(&config),
            _ => LlvmTarget::initialize_x86(&config),
        }
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
                &self.cpu,
                &self.features,
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
