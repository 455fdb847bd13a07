//! The `solvrac` executable; everything lives in the library (`solvrac::driver`).

fn main() -> std::process::ExitCode {
    solvrac::driver::main()
}
