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

# A no-op when target/release/solvrac is up to date, so always ask cargo rather than test the file.
echo "demo: cargo build --release -p solvrac"
cargo build --release -p solvrac

shopt -s nullglob
examples=(examples/*.svs)
((${#examples[@]})) || { echo "demo: no examples/*.svs to run" >&2; exit 1; }

# Until the native backend lands (`solvrac build examples/hello.svs -o target/hello && target/hello`)
# the demo checks every example and runs hello in the bytecode interpreter.
echo "demo: target/release/solvrac check ${examples[*]}"
target/release/solvrac check "${examples[@]}"
echo "demo: target/release/solvrac run examples/hello.svs"
target/release/solvrac run examples/hello.svs
