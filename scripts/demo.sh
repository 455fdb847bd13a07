#!/usr/bin/env bash
# The main job, end to end: build solvrac (release) and run it on the examples.
#
#   bash scripts/demo.sh
#
# Run scripts/setup.sh once first.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Pin llvm-sys to LLVM 19; /usr/bin/llvm-config may be another version.
export LLVM_SYS_191_PREFIX=/usr/lib/llvm-19
[[ -x $LLVM_SYS_191_PREFIX/bin/llvm-config ]] || { echo "demo: LLVM 19 not found; run scripts/setup.sh first" >&2; exit 1; }

# Debian's cargo 1.65 in /usr/bin (installed for the ARM runtime) cannot build the workspace.
if ! cargo --version 2>/dev/null | grep -Eq '^cargo 1\.([89][0-9]|[1-9][0-9]{2,})\.'; then
  PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

# A no-op when everything is up to date, so always ask cargo rather than test the files. The
# runtime library is what native executables link against.
echo "demo: cargo build --release -p solvrac -p solvra_rt"
cargo build --release -p solvrac -p solvra_rt

echo "demo: target/release/solvrac build examples/hello.svs -o target/hello"
target/release/solvrac build examples/hello.svs -o target/hello
echo "demo: target/hello"
target/hello
