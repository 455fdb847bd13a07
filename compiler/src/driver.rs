//! The `solvrac` command line: argument parsing (clap) and one function per subcommand.
//!
//! Every subcommand goes through the same frontend. Work runs on a thread with a large stack so
//! that deeply nested (but valid) programs and the recursive tree walks over them cannot
//! overflow the main thread's stack.

use crate::frontend::{self, diag, LoadOptions};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Stack size of the worker thread that runs a command.
pub const WORKER_STACK: usize = 256 * 1024 * 1024;

#[derive(Parser, Debug)]
#[command(
    name = "solvrac",
    version,
    about = "Ahead-of-time compiler toolchain for SolvraScript (.svs)",
    long_about = "solvrac compiles SolvraScript programs through bytecode, Solvra IR and LLVM to native \
executables, and checks them for errors.\n\nSubcommands appear as their parts land: today `check` \
and `explain`.",
    after_help = "Examples:\n  solvrac check app.svs              report every compile-time error in app.svs and its imports\n  solvrac explain E0301              explain an error code"
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
    }
}

fn check(files: &[PathBuf], dump_ast: bool, module_paths: Vec<PathBuf>, quiet: bool) -> u8 {
    let options = LoadOptions { module_paths };
    let mut errors = 0;
    let mut modules = 0;
    for file in files {
        let (program, diags) = frontend::load_file(file, options.clone());
        modules += program.modules.len();
        if dump_ast {
            if let Some(entry) = program.entry {
                print!(
                    "{}",
                    frontend::ast::print_module(&program.module(entry).ast)
                );
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
