//! The `solvrac` command line: argument parsing (clap) and one function per subcommand.
//!
//! Every subcommand goes through the same frontend. Work runs on a thread with a large stack so
//! that deeply nested (but valid) programs and the recursive tree walks over them cannot
//! overflow the main thread's stack.

use crate::backend::{ir, lowering};
use crate::bytecode;
use crate::frontend::{self, diag, LoadOptions};
use crate::interp::{self, Interp, Outcome};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Stack size of the worker thread that runs a command.
pub const WORKER_STACK: usize = 256 * 1024 * 1024;

#[derive(Parser, Debug)]
#[command(
    name = "solvrac",
    version,
    about = "Ahead-of-time compiler toolchain for SolvraScript (.svs)",
    long_about = "solvrac compiles SolvraScript programs through bytecode, Solvra IR and LLVM to native \
executables, and checks them for errors.\n\nThe subcommands: `check`, `explain`, `run` (the \
interpreter, compiling hot functions with the JIT), `jit` (a REPL), `build` (a native executable), \
`targets`, `compile` (bytecode) and `disasm`.",
    after_help = "Examples:\n  solvrac run app.svs                run a program\n  solvrac check app.svs              report every compile-time error in app.svs and its imports\n  solvrac compile app.svs            write app.svc (bytecode)\n  solvrac explain E0301              explain an error code"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check programs for compile-time errors without running them.
    #[command(
        after_help = "Each FILE is an entry program; the modules it imports are checked too. \
Errors are printed as `FILE:LINE:COL: error[CODE]: MESSAGE` with the source line; the exit \
status is 1 if any file has an error.\n\nExamples:\n  solvrac check app.svs\n  solvrac check examples/*.svs\n  solvrac check --dump-ast app.svs     print the syntax tree"
    )]
    Check {
        /// Entry files to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print each file's syntax tree (S-expressions) to stdout.
        #[arg(long)]
        dump_ast: bool,
        /// Extra directory to search for imported scripts (repeatable).
        #[arg(short = 'M', long = "module-path", value_name = "DIR")]
        module_paths: Vec<PathBuf>,
        /// Print nothing on success.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Compile a program to a native executable through LLVM.
    #[cfg(feature = "llvm")]
    #[command(
        after_help = "The executable links the runtime library (libsolvra_rt.a, found beside solvrac or \
through SOLVRA_RUNTIME_LIB). Programs that use async/await cannot be compiled natively yet.\n\n\
Examples:\n  solvrac build app.svs                 writes ./app\n  solvrac build -O2 app.svs -o out/app\n  solvrac build --emit=llvm-ir app.svs  writes app.ll\n  solvrac build --emit=sir app.svs      prints the Solvra IR after the IR passes"
    )]
    Build {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Output path (default: the source file's stem; with --emit, the stem plus the
        /// format's extension).
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        /// Optimisation level 0–3 (LLVM's new pass manager pipelines).
        #[arg(short = 'O', value_name = "LEVEL", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=3))]
        opt_level: u8,
        /// Debug information (DWARF): functions, line tables and variables for gdb
        /// (docs/DEBUGGING.md).
        #[arg(short = 'g')]
        debug: bool,
        /// Count how often each block runs and write a profile when the program ends
        /// (`NAME.svprof`, or $SOLVRA_PROFILE; read it with `solvrac profile`).
        #[arg(long)]
        profile: bool,
        /// Record every SolvraScript call and return in `SOLVRA_TRACE` files (docs/DEBUGGING.md).
        #[arg(long)]
        trace: bool,
        /// Optimise with the counts of a profile an earlier `--profile` build of the same
        /// program wrote: they become LLVM branch weights.
        #[arg(long, value_name = "PROFILE")]
        profile_use: Option<PathBuf>,
        /// Meter the program: it stops with `instruction budget exhausted` after N bytecode
        /// instructions, or after $SOLVRA_FUEL if that is set when it runs (docs/DEBUGGING.md).
        #[arg(long, value_name = "N")]
        fuel: Option<u64>,
        /// What to write: an executable (default), an object file, LLVM IR, assembly, or Solvra IR.
        #[arg(long, value_enum, default_value_t = EmitKind::Exe)]
        emit: EmitKind,
        /// The C compiler used to link (default: the target's, e.g. `cc` or
        /// `aarch64-linux-gnu-gcc`; $CC overrides it for the host).
        #[arg(long, value_name = "CC")]
        linker: Option<String>,
        /// Target: x86_64-linux-gnu (default), aarch64-linux-gnu, armv7-linux-gnueabihf, or a
        /// Rust-style triple such as aarch64-unknown-linux-gnu.
        #[arg(long, value_name = "TARGET")]
        target: Option<String>,
        /// CPU to generate code for (e.g. cortex-a72, cortex-a7); default: the target's baseline.
        #[arg(long, value_name = "CPU")]
        cpu: Option<String>,
        /// LLVM target features (e.g. +neon); default: the target's baseline.
        #[arg(long, value_name = "FEATURES")]
        features: Option<String>,
        /// Link statically (the default for cross targets).
        #[arg(long = "static", conflicts_with = "dynamic")]
        static_link: bool,
        /// Link dynamically against the C library (the default for the host).
        #[arg(long)]
        dynamic: bool,
        /// Strip symbols from the executable.
        #[arg(long)]
        strip: bool,
        /// Extra directory to search for imported scripts (repeatable).
        #[arg(short = 'M', long = "module-path", value_name = "DIR")]
        module_paths: Vec<PathBuf>,
        /// Device policy embedded in the executable: devices, lines or bus addresses the
        /// program may open, e.g. gpiochip0/17, i2c-1, spidev0.* (repeatable; docs/HAL.md).
        /// SOLVRA_HAL_ALLOW can narrow it at run time, never widen it.
        #[arg(long = "allow-device", value_name = "PATTERN")]
        allow_device: Vec<String>,
    },
    /// List the targets `build --target` accepts and what is installed for each.
    #[cfg(feature = "llvm")]
    #[command(
        after_help = "For each target: its LLVM triple, and whether its linker, runtime library and \
qemu emulator are found. scripts/setup.sh installs the linkers and emulators; \
scripts/build-cross-runtime.sh builds the ARM runtime libraries."
    )]
    Targets,
    /// Run a program (`.svs` source or `.svc` bytecode).
    #[command(
        after_help = "The program's exit status is solvrac's: 0, 1 after an uncaught runtime error \
(reported on stderr as `runtime error: MESSAGE` with a stack trace), or N after `exit(N)`.\n\n\
Examples:\n  solvrac run app.svs\n  solvrac run --tier=interp app.svc\n  solvrac run --tier=jit -O2 app.svs   \
compile the whole program first (cached in ~/.cache/solvrac)\n  solvrac run -v app.svs              report \
which functions the JIT compiles"
    )]
    Run {
        /// The program: a `.svs` entry file or a compiled `.svc` file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Execution tier: the interpreter compiling hot functions with the JIT (auto), the
        /// bytecode interpreter alone, or the whole program compiled up front by the JIT.
        #[arg(long, value_enum, default_value_t = Tier::default())]
        tier: Tier,
        /// Calls plus loop iterations after which `--tier=auto` compiles a function
        /// (default: $SOLVRA_JIT_THRESHOLD, or 1000).
        #[arg(long, value_name = "N", hide = true)]
        jit_threshold: Option<u32>,
        /// Report what the JIT does on stderr.
        #[arg(short, long)]
        verbose: bool,
        /// Neither read nor write the on-disk cache of JIT-compiled code.
        #[arg(long)]
        no_cache: bool,
        /// Optimisation level 0–3 of JIT-compiled code.
        #[arg(short = 'O', value_name = "LEVEL", default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=3))]
        opt_level: u8,
        /// Stop with `instruction budget exhausted` after N bytecode instructions, at the same
        /// point in every tier (default: $SOLVRA_FUEL, or no limit; docs/DEBUGGING.md).
        #[arg(long, value_name = "N")]
        fuel: Option<u64>,
        /// Record every call and return in the `SOLVRA_TRACE` file (docs/DEBUGGING.md).
        #[arg(long)]
        trace: bool,
        /// Extra directory to search for imported scripts (repeatable).
        #[arg(short = 'M', long = "module-path", value_name = "DIR")]
        module_paths: Vec<PathBuf>,
    },
    /// An interactive REPL: each input is compiled by the JIT and run at once.
    #[cfg(feature = "llvm")]
    #[command(
        after_help = "Definitions persist across inputs and can be redefined; an expression's value \
is printed. An input with an error is reported and changes nothing. Type :help inside for the \
commands (:type, :sir, :llvm, :load, :reset, :quit). When stdin is not a terminal, it is read \
as a script: no prompts, and the exit status is 1 if any input failed.\n\nExamples:\n  \
solvrac jit\n  echo 'fn sq(x) { return x * x }\nsq(7)' | solvrac jit"
    )]
    Jit {
        /// Optimisation level 0–3 of each input's code.
        #[arg(short = 'O', value_name = "LEVEL", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=3))]
        opt_level: u8,
        /// Extra directory to search for imported scripts (repeatable).
        #[arg(short = 'M', long = "module-path", value_name = "DIR")]
        module_paths: Vec<PathBuf>,
    },
    /// Compile a program and the modules it imports to a `.svc` bytecode file.
    #[command(
        after_help = "Examples:\n  solvrac compile app.svs              writes app.svc\n  solvrac compile app.svs -o out/app.svc"
    )]
    Compile {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Output path (default: the source path with extension `.svc`).
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        /// Extra directory to search for imported scripts (repeatable).
        #[arg(short = 'M', long = "module-path", value_name = "DIR")]
        module_paths: Vec<PathBuf>,
    },
    /// Print the bytecode of a program (`.svs`, compiled on the fly, or `.svc`).
    #[command(
        after_help = "Examples:\n  solvrac disasm app.svs\n  solvrac disasm app.svc\n  solvrac disasm --sir app.svs     the Solvra IR the native backend starts from"
    )]
    Disasm {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Print Solvra IR (SSA) lowered from the bytecode instead of the bytecode itself.
        #[arg(long)]
        sir: bool,
        /// Extra directory to search for imported scripts (repeatable).
        #[arg(short = 'M', long = "module-path", value_name = "DIR")]
        module_paths: Vec<PathBuf>,
    },
    /// Read the profile a `build --profile` executable wrote (docs/DEBUGGING.md).
    Profile {
        #[command(subcommand)]
        action: ProfileAction,
    },
    /// Map machine-code addresses of a `build -g` executable or object to SolvraScript
    /// functions and `file:line` (its DWARF; docs/DEBUGGING.md).
    #[command(
        after_help = "Addresses are hexadecimal (with or without 0x), as the file's own (unrelocated) addresses.\nExample:\n  solvrac symbolize app 0x15983 0x15a10"
    )]
    Symbolize {
        /// The executable or object file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(value_name = "ADDR", required = true)]
        addrs: Vec<String>,
    },
    /// Explain a compile-time error code, e.g. `solvrac explain E0301`.
    #[command(after_help = "Run `solvrac explain --list` to see every code.")]
    Explain {
        /// The code, as printed in a diagnostic (`E0301`).
        #[arg(required_unless_present = "list", value_name = "CODE")]
        code: Option<String>,
        /// List all error codes with their titles.
        #[arg(long)]
        list: bool,
    },
}

/// Parses the command line, runs the command on a big-stack thread, returns the exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let worker = std::thread::Builder::new()
        .name("solvrac".into())
        .stack_size(WORKER_STACK)
        .spawn(move || run(cli));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(_)) => {
            eprintln!("solvrac: internal error (the compiler panicked); please report this with the input file");
            ExitCode::from(101)
        }
        Err(e) => {
            eprintln!("solvrac: cannot start worker thread: {e}");
            ExitCode::from(101)
        }
    }
}

fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Check {
            files,
            dump_ast,
            module_paths,
            quiet,
        } => check(&files, dump_ast, module_paths, quiet),
        Command::Explain { code, list } => explain(code.as_deref(), list),
        #[cfg(feature = "llvm")]
        Command::Build {
            file,
            output,
            opt_level,
            debug,
            profile,
            profile_use,
            trace,
            fuel,
            emit,
            linker,
            target,
            cpu,
            features,
            static_link,
            dynamic,
            strip,
            module_paths,
            allow_device,
        } => {
            use crate::backend::codegen::Target;
            let name = target.as_deref().unwrap_or("x86_64-linux-gnu");
            let Some(mut target) = Target::lookup(name) else {
                eprintln!(
                    "solvrac: unknown target '{name}'; known targets: {}",
                    Target::names().join(", ")
                );
                return 2;
            };
            if let Some(cpu) = cpu {
                target.cpu = cpu;
            }
            if let Some(features) = features {
                target.features = features;
            }
            let link = LinkOptions {
                linker,
                static_link: static_link || (!dynamic && !target.native),
                strip,
                allow_device,
            };
            match load_bytecode(&file, module_paths) {
                Some(program) => {
                    let mut codegen = codegen_options(target, opt_level, debug, fuel);
                    codegen.profile = profile;
                    codegen.trace_calls = trace;
                    if let Some(path) = profile_use {
                        match std::fs::read_to_string(&path)
                            .map_err(|e| e.to_string())
                            .and_then(|text| crate::profile::parse(&text))
                        {
                            Ok(blocks) => {
                                codegen.profile_use = Some(crate::profile::counts(&blocks))
                            }
                            Err(e) => {
                                eprintln!("solvrac: {}: {e}", path.display());
                                return 1;
                            }
                        }
                    }
                    build(&program, &file, output, codegen, emit, link)
                }
                None => 1,
            }
        }
        Command::Symbolize { file, addrs } => symbolize(&file, &addrs),
        Command::Profile { action } => profile(action),
        #[cfg(feature = "llvm")]
        Command::Targets => {
            list_targets();
            0
        }
        Command::Run {
            file,
            tier,
            jit_threshold,
            verbose,
            no_cache,
            opt_level,
            fuel,
            trace,
            module_paths,
        } => match load_bytecode(&file, module_paths) {
            Some(program) => {
                solvra_rt::debug::tracing::set_call_events(trace);
                // Before anything is compiled or loaded: both look at whether a budget is set.
                match fuel.map_or_else(solvra_rt::cost_meter::budget_from_env, |n| Ok(Some(n))) {
                    Ok(budget) => solvra_rt::cost_meter::set_budget(budget),
                    Err(e) => {
                        eprintln!("solvrac: {e}");
                        return 2;
                    }
                }
                let options = RunOptions {
                    opt_level,
                    jit_threshold,
                    verbose,
                    no_cache,
                };
                run_program(program, &file, tier, options)
            }
            None => 1,
        },
        #[cfg(feature = "llvm")]
        Command::Jit {
            opt_level,
            module_paths,
        } => on_native_stack(move || crate::repl::run(module_paths, opt_level)),
        Command::Compile {
            file,
            output,
            module_paths,
        } => {
            let Some(program) = load_bytecode(&file, module_paths) else {
                return 1;
            };
            let out = output.unwrap_or_else(|| file.with_extension("svc"));
            match std::fs::write(&out, bytecode::format::write(&program)) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("solvrac: cannot write {}: {e}", out.display());
                    1
                }
            }
        }
        Command::Disasm {
            file,
            sir,
            module_paths,
        } => match load_bytecode(&file, module_paths) {
            Some(program) if sir => print_sir(&program, false),
            Some(program) => {
                write_stdout(&bytecode::disasm::disassemble(&program));
                0
            }
            None => 1,
        },
    }
}

/// `solvrac profile …`.
#[derive(Subcommand, Debug)]
pub enum ProfileAction {
    /// The hottest functions and lines, by bytecode instructions executed.
    Report {
        /// The profile (`NAME.svprof`).
        #[arg(value_name = "PROFILE")]
        file: PathBuf,
        /// How many functions and lines to list.
        #[arg(long, value_name = "N", default_value_t = 10)]
        top: usize,
    },
    /// An SVG flame graph of where the instructions went (file, function, line).
    Flamegraph {
        #[arg(value_name = "PROFILE")]
        file: PathBuf,
        /// The SVG to write (default: the profile's name with extension `.svg`).
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
    },
}

/// What `solvrac build` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EmitKind {
    Exe,
    Obj,
    #[value(name = "llvm-ir")]
    LlvmIr,
    Asm,
    Sir,
}

/// `solvrac targets`: every target with what is installed for it.
#[cfg(feature = "llvm")]
fn list_targets() {
    use crate::backend::codegen::{link, Target};
    let on_path = |cmd: &str| {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(cmd).is_file()))
    };
    let mark = |ok: bool| if ok { "yes" } else { "no" };
    println!(
        "{:<24} {:<32} {:<8} {:<8} emulator",
        "target", "llvm triple", "linker", "runtime"
    );
    for name in Target::names() {
        let t = Target::lookup(name).expect("listed targets exist");
        println!(
            "{:<24} {:<32} {:<8} {:<8} {}",
            t.name,
            t.triple,
            mark(on_path(t.linker)),
            mark(link::find_runtime(&t).is_ok()),
            if t.native {
                "(native)".to_string()
            } else {
                format!("{} {}", t.emulator, mark(on_path(t.emulator)))
            }
        );
    }
}

/// Appends the `--allow-device` policy to a linked executable, where the runtime's HAL finds it
/// (`solvra_hal::embedded_policy`); nothing when no pattern was given.
#[cfg(feature = "llvm")]
fn embed_device_policy(exe: &Path, patterns: &[String]) -> Result<(), String> {
    use std::io::Write;
    if patterns.is_empty() {
        return Ok(());
    }
    std::fs::OpenOptions::new()
        .append(true)
        .open(exe)
        .and_then(|mut f| f.write_all(&solvra_rt::hal::policy_trailer(patterns)))
        .map_err(|e| format!("cannot embed the device policy in {}: {e}", exe.display()))
}

/// How `solvrac build` links.
#[cfg(feature = "llvm")]
struct LinkOptions {
    linker: Option<String>,
    static_link: bool,
    strip: bool,
    /// `--allow-device` patterns, appended to the executable after linking.
    allow_device: Vec<String>,
}

/// Code generation options of `build`; with `-g`, the compilation directory is the working
/// directory, which module names (paths as the frontend loaded them) are relative to.
#[cfg(feature = "llvm")]
fn codegen_options(
    target: crate::backend::codegen::Target,
    opt_level: u8,
    debug: bool,
    fuel: Option<u64>,
) -> crate::backend::codegen::CodegenOptions {
    use crate::backend::codegen::{CodegenOptions, DebugInfo};
    let debug = debug.then(|| DebugInfo {
        dir: std::env::current_dir()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_else(|_| ".".to_string()),
    });
    CodegenOptions {
        target,
        opt_level,
        debug,
        fuel,
        profile: false,
        profile_use: None,
        trace_calls: false,
    }
}

#[cfg(feature = "llvm")]
fn build(
    program: &bytecode::Program,
    file: &Path,
    output: Option<PathBuf>,
    opts: crate::backend::codegen::CodegenOptions,
    emit: EmitKind,
    link_opts: LinkOptions,
) -> u8 {
    use crate::backend::codegen::{self, link, Emit};
    if emit == EmitKind::Sir {
        return print_sir(program, true);
    }
    let stem = file
        .file_stem()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("a.out"));
    let (kind, ext) = match emit {
        EmitKind::Obj => (Emit::Object, Some("o")),
        EmitKind::LlvmIr => (Emit::LlvmIr, Some("ll")),
        EmitKind::Asm => (Emit::Asm, Some("s")),
        _ => (Emit::Object, None),
    };
    let bytes = match codegen::compile(program, &opts, kind) {
        Ok(b) => b,
        Err(e) => {
            eprintln!(
                "solvrac: cannot compile {} natively: {}",
                file.display(),
                e.0
            );
            return 1;
        }
    };
    if let Some(ext) = ext {
        let out = output.unwrap_or_else(|| stem.with_extension(ext));
        return match std::fs::write(&out, bytes) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("solvrac: cannot write {}: {e}", out.display());
                1
            }
        };
    }
    let out = output.unwrap_or(stem);
    let runtime = match link::find_runtime(&opts.target) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("solvrac: {e}");
            return 1;
        }
    };
    let dir = match tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("solvrac: cannot create a temporary directory: {e}");
            return 1;
        }
    };
    let object = dir.join("program.o");
    let linked = std::fs::write(&object, bytes)
        .map_err(|e| format!("cannot write {}: {e}", object.display()))
        .and_then(|()| {
            let linker = link_opts
                .linker
                .or_else(|| {
                    opts.target
                        .native
                        .then(|| std::env::var("CC").ok())
                        .flatten()
                })
                .unwrap_or_else(|| opts.target.linker.to_string());
            link::link(
                &linker,
                &object,
                &runtime,
                &out,
                link_opts.static_link,
                link_opts.strip,
            )
        })
        .and_then(|()| embed_device_policy(&out, &link_opts.allow_device));
    let _ = std::fs::remove_dir_all(&dir);
    match linked {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("solvrac: {e}");
            1
        }
    }
}

/// A fresh private directory under the system's temporary directory.
#[cfg(feature = "llvm")]
fn tempdir() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    for n in 0..1000u32 {
        let dir = base.join(format!("solvrac-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary directory name"))
}

/// Calls plus loop iterations after which the tiered `run` compiles a function.
pub const DEFAULT_JIT_THRESHOLD: u32 = 1000;

/// Execution tiers of `solvrac run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Tier {
    /// The interpreter, compiling hot functions with the JIT.
    #[cfg(feature = "llvm")]
    Auto,
    /// The bytecode interpreter.
    Interp,
    /// The whole program compiled by LLVM's ORC JIT before it starts.
    #[cfg(feature = "llvm")]
    Jit,
}

impl Default for Tier {
    /// Interpreter first, JIT for hot code — when the JIT is built in.
    fn default() -> Tier {
        #[cfg(feature = "llvm")]
        return Tier::Auto;
        #[cfg(not(feature = "llvm"))]
        return Tier::Interp;
    }
}

/// How `solvrac run` runs a program, beyond its tier.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Optimisation level of JIT-compiled code.
    pub opt_level: u8,
    /// `--tier=auto`'s hotness threshold (else $SOLVRA_JIT_THRESHOLD or the default).
    pub jit_threshold: Option<u32>,
    /// Report what the JIT does on stderr.
    pub verbose: bool,
    /// Keep away from the on-disk object cache.
    pub no_cache: bool,
}

/// Runs a loaded program in `tier`; returns the process exit status.
#[cfg_attr(not(feature = "llvm"), allow(unused_variables))]
pub fn run_program(program: bytecode::Program, file: &Path, tier: Tier, options: RunOptions) -> u8 {
    match tier {
        Tier::Interp => run_interp(program, None),
        #[cfg(feature = "llvm")]
        Tier::Jit => run_jit(&program, file, options),
        #[cfg(feature = "llvm")]
        Tier::Auto => {
            let threshold = options
                .jit_threshold
                .or_else(|| std::env::var("SOLVRA_JIT_THRESHOLD").ok()?.parse().ok())
                .unwrap_or(DEFAULT_JIT_THRESHOLD);
            on_native_stack(move || {
                use crate::backend::jit::{cache::Cache, tier::HotCompiler};
                let cache = if options.no_cache {
                    None
                } else {
                    Cache::open()
                };
                let compiler = HotCompiler::new(options.opt_level, cache, options.verbose);
                run_interp(program, Some((Box::new(compiler), threshold)))
            })
        }
    }
}

/// Runs `f` on a thread with the stack an executable's `solvra_aot_main` gives compiled code
/// (which recurses natively, up to `solvra_rt::aot::MAX_CALL_DEPTH` calls).
#[cfg(feature = "llvm")]
fn on_native_stack(f: impl FnOnce() -> u8 + Send + 'static) -> u8 {
    let worker = std::thread::Builder::new()
        .name("solvrac-native".into())
        .stack_size(1 << 30)
        .spawn(f);
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => code,
        _ => 101,
    }
}

/// Runs a program with the JIT, through the object cache, and returns the exit status.
#[cfg(feature = "llvm")]
fn run_jit(program: &bytecode::Program, file: &Path, options: RunOptions) -> u8 {
    use crate::backend::jit::{self, cache::Cache};
    let log = |msg: String| {
        if options.verbose {
            eprintln!("solvrac: jit: {msg}");
        }
    };
    let cache = if options.no_cache {
        None
    } else {
        Cache::open()
    };
    let key = cache
        .as_ref()
        .map(|_| Cache::key(program, options.opt_level));
    let cached = cache.as_ref().zip(key.as_ref()).and_then(|(c, k)| {
        let object = c.get(k)?;
        log(format!("cache hit: {}", c.path(k).display()));
        Some(object)
    });
    let object = match cached {
        Some(object) => Ok(object),
        None => {
            let started = std::time::Instant::now();
            let object = jit::compile_program(program, options.opt_level);
            if let Ok(object) = &object {
                log(format!(
                    "compiled {} functions in {:.1} ms",
                    program.functions.len(),
                    started.elapsed().as_secs_f64() * 1e3
                ));
                if let Some((c, k)) = cache.as_ref().zip(key.as_ref()) {
                    match c.put(k, object) {
                        Ok(path) => log(format!("cached as {}", path.display())),
                        Err(e) => log(format!("cannot write the cache: {e}")),
                    }
                }
            }
            object
        }
    };
    match object.and_then(|object| jit::run_object(&object)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!(
                "solvrac: cannot run {} with the JIT: {}",
                file.display(),
                e.0
            );
            1
        }
    }
}

/// Compiles a `.svs` program, or reads and verifies a `.svc` file; reports problems on stderr.
pub fn load_bytecode(file: &Path, module_paths: Vec<PathBuf>) -> Option<bytecode::Program> {
    if file.extension().is_some_and(|e| e == "svc") {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("solvrac: cannot read {}: {e}", file.display());
                return None;
            }
        };
        let program = match bytecode::format::read(&bytes) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("solvrac: {}: {}", file.display(), e.0);
                return None;
            }
        };
        if let Err(e) = bytecode::verify::verify(&program) {
            eprintln!("solvrac: {}: rejected by the verifier: {e}", file.display());
            return None;
        }
        return Some(program);
    }
    let (program, diags) = frontend::load_file(
        file,
        LoadOptions {
            module_paths,
            ..LoadOptions::default()
        },
    );
    if !diags.is_empty() {
        diag::emit(&program.sources, &diags);
        return None;
    }
    let code = bytecode::compile::compile(&program);
    if let Err(e) = bytecode::verify::verify(&code) {
        eprintln!("solvrac: internal error: compiled bytecode fails verification: {e}");
        return None;
    }
    Some(code)
}

/// `solvrac profile report|flamegraph`.
fn profile(action: ProfileAction) -> u8 {
    let file = match &action {
        ProfileAction::Report { file, .. } | ProfileAction::Flamegraph { file, .. } => file,
    };
    let blocks = match std::fs::read_to_string(file)
        .map_err(|e| e.to_string())
        .and_then(|text| crate::profile::parse(&text))
    {
        Ok(b) => b,
        Err(e) => {
            eprintln!("solvrac: {}: {e}", file.display());
            return 1;
        }
    };
    match action {
        ProfileAction::Report { top, .. } => {
            print!("{}", crate::profile::report(&blocks, top));
            0
        }
        ProfileAction::Flamegraph { file, output } => {
            let out = output.unwrap_or_else(|| file.with_extension("svg"));
            let lines = crate::profile::folded(&blocks);
            let mut options = inferno::flamegraph::Options::default();
            options.title = format!("{} (bytecode instructions)", file.display());
            options.count_name = "instructions".to_string();
            let written = std::fs::File::create(&out)
                .map_err(|e| e.to_string())
                .and_then(|f| {
                    inferno::flamegraph::from_lines(
                        &mut options,
                        lines.iter().map(String::as_str),
                        std::io::BufWriter::new(f),
                    )
                    .map_err(|e| e.to_string())
                });
            match written {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("solvrac: cannot write {}: {e}", out.display());
                    1
                }
            }
        }
    }
}

/// `solvrac symbolize`: one line per address, `ADDR: FUNCTION (FILE:LINE)` or `ADDR: ??`.
fn symbolize(file: &Path, addrs: &[String]) -> u8 {
    let mut parsed = Vec::new();
    for a in addrs {
        match u64::from_str_radix(a.trim_start_matches("0x").trim_start_matches("0X"), 16) {
            Ok(v) => parsed.push(v),
            Err(_) => {
                eprintln!("solvrac: '{a}' is not a hexadecimal address");
                return 2;
            }
        }
    }
    let data = match std::fs::read(file)
        .map_err(|e| e.to_string())
        .and_then(|bytes| crate::symbolize::DebugData::read(&bytes))
    {
        Ok(d) => d,
        Err(e) => {
            eprintln!("solvrac: {}: {e}", file.display());
            return 1;
        }
    };
    if data.sequences.is_empty() {
        eprintln!(
            "solvrac: {} has no line tables; build it with `solvrac build -g`",
            file.display()
        );
        return 1;
    }
    for a in parsed {
        match data.lookup(a) {
            Some(at) => println!(
                "{a:#x}: {} ({}:{})",
                at.function.as_deref().unwrap_or("??"),
                at.file,
                at.line
            ),
            None => println!("{a:#x}: ??"),
        }
    }
    0
}

/// Writes a listing to stdout. A reader that stops early (`solvrac disasm app.svs | head`) is
/// not an error: the rest of the listing is dropped, as other command-line tools do.
fn write_stdout(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Prints every function of a program as verified Solvra IR: as lowered, or after the IR passes
/// (`opt`) with the specialised clones they made, which is what code generation compiles.
fn print_sir(program: &bytecode::Program, optimized: bool) -> u8 {
    let mut lowered = Vec::new();
    for i in 0..program.functions.len() as u32 {
        let func = match lowering::lower_function(program, i) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("solvrac: cannot lower fn{i}: {}", e.0);
                return 1;
            }
        };
        if let Err(e) = ir::verify_function(&func) {
            eprintln!("solvrac: internal error: IR fails verification: {e}");
            return 1;
        }
        lowered.push(func);
    }
    if !optimized {
        for func in &lowered {
            write_stdout(&ir::print_function(func));
        }
        return 0;
    }
    let all: Vec<u32> = (0..lowered.len() as u32).collect();
    let scope = crate::backend::opt::Scope {
        whole_program: true,
        keep_locals: false,
    };
    match crate::backend::opt::optimize(program, lowered, &all, scope) {
        Ok(o) => {
            for func in &o.functions {
                write_stdout(&ir::print_function(func));
            }
            for (k, c) in o.clones.iter().enumerate() {
                write_stdout(&format!(
                    "clone{k} of fn{}: {}",
                    c.base,
                    ir::print_function(&c.func)
                ));
            }
            0
        }
        Err(e) => {
            eprintln!("solvrac: internal error: {e}");
            1
        }
    }
}

/// Runs a program in the interpreter, tiered if `tier` gives a compiler of hot functions and
/// its threshold, and returns the process exit status.
pub fn run_interp(program: bytecode::Program, tier: Option<(Box<dyn interp::TierUp>, u32)>) -> u8 {
    let mut interp = match Interp::new(program) {
        Ok(i) => i,
        Err(e) => {
            eprint!("{}", interp::report(&e.message, &[]));
            return 1;
        }
    };
    if let Some((compiler, threshold)) = tier {
        interp.set_tier_up(compiler, threshold);
    }
    solvra_rt::debug::tracing::start_from_env();
    let outcome = interp.run();
    solvra_rt::stdout::finish();
    solvra_rt::heap::report_stats_if_enabled();
    solvra_rt::debug::tracing::finish();
    match outcome {
        Outcome::Done => 0,
        Outcome::Error { message, trace } => {
            eprint!("{}", interp::report(&message, &trace));
            1
        }
    }
}

fn check(files: &[PathBuf], dump_ast: bool, module_paths: Vec<PathBuf>, quiet: bool) -> u8 {
    let options = LoadOptions {
        module_paths,
        ..LoadOptions::default()
    };
    let mut errors = 0;
    let mut modules = 0;
    for file in files {
        let (program, diags) = frontend::load_file(file, options.clone());
        modules += program.modules.len();
        if dump_ast {
            if let Some(entry) = program.entry {
                write_stdout(&frontend::ast::print_module(&program.module(entry).ast));
            }
        }
        diag::emit(&program.sources, &diags);
        errors += diags.len();
    }
    if errors > 0 {
        eprintln!(
            "solvrac: {errors} error{} found",
            if errors == 1 { "" } else { "s" }
        );
        return 1;
    }
    if !quiet {
        eprintln!(
            "solvrac: checked {} file{} ({modules} module{}), no errors",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            if modules == 1 { "" } else { "s" }
        );
    }
    0
}

fn explain(code: Option<&str>, list: bool) -> u8 {
    if list {
        for info in diag::CODES {
            println!("{}  {}", info.id, info.title);
        }
        return 0;
    }
    let code = code.unwrap_or_default();
    match diag::Code::lookup(code) {
        Some(info) => {
            println!("{}: {}\n\n{}", info.id, info.title, info.explanation);
            0
        }
        None => {
            eprintln!(
                "solvrac: unknown error code '{code}'; `solvrac explain --list` shows them all"
            );
            2
        }
    }
}
