#!/usr/bin/env bash
# The whole test suite, as CI runs it (after scripts/setup.sh):
#   formatting, clippy with warnings as errors, every workspace test, and a cross-build of the runtime
#   for both ARM targets. Stops at the first failing step.
#
#   bash scripts/test.sh
#
# Budget: CI has 2 cores and a 90-minute hard limit for setup + tests; keep this under ~40 minutes.
# docs/CI_PLAN.md has the measured times.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Pin llvm-sys to LLVM 19; /usr/bin/llvm-config may be another version.
export LLVM_SYS_191_PREFIX=/usr/lib/llvm-19
[[ -x $LLVM_SYS_191_PREFIX/bin/llvm-config ]] || { echo "test: LLVM 19 not found; run scripts/setup.sh first" >&2; exit 1; }

# setup.sh installs Debian's cargo 1.65 in /usr/bin for the ARM runtime; it must not be the one that
# builds the workspace. Prefer rustup's when PATH finds the old one first.
if ! cargo --version 2>/dev/null | grep -Eq '^cargo 1\.([89][0-9]|[1-9][0-9]{2,})\.'; then
  PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

# One-shot CI builds gain nothing from incremental artifacts; they only cost time and disk.
if [[ ${CI:-} == true ]]; then
  export CARGO_INCREMENTAL=0
  locked=(--locked) # a Cargo.lock that doesn't match Cargo.toml is a bug in the submission
else
  locked=()
fi
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

timings=()
step() {
  local name=$1 t0=$SECONDS
  shift
  printf '\n==> test: %s\n' "$name"
  "$@"
  timings+=("$(printf '%5d s  %s' $((SECONDS - t0)) "$name")")
}

# Sum cargo test's per-binary "test result:" lines into one total, printed as the script's last line.
test_totals="no cargo test run"
cargo_test() {
  local log=target/cargo-test.log # kept: the full output of the last run, for digging into failures
  mkdir -p target
  cargo test --workspace "${locked[@]}" 2>&1 | tee "$log"
  test_totals=$(awk '/^test result:/ {
      for (i = 2; i <= NF; i++) {
        if ($i ~ /^passed;?$/) p += $(i - 1)
        if ($i ~ /^failed;?$/) f += $(i - 1)
        if ($i ~ /^ignored;?$/) s += $(i - 1)
      } }
    END { printf "tests: %d passed, %d failed, %d skipped", p, f, s }' "$log")
}

echo "test: $(cargo --version), $(rustc --version)"
step "cargo fmt --all -- --check" cargo fmt --all -- --check
# Same target dir and dev profile as cargo test; clippy first because it fails fastest.
step "cargo clippy --workspace --all-targets -- -D warnings" \
  cargo clippy --workspace --all-targets "${locked[@]}" -- -D warnings
# The native-backend tests link programs against target/debug/libsolvra_rt.a, which
# `cargo test` alone does not produce.
step "cargo build -p solvra_rt (runtime library for native builds)" cargo build -p solvra_rt "${locked[@]}"
# Before the tests: the cross-target tests link programs against these runtimes.
step "cross-build runtime (aarch64, armv7)" \
  bash scripts/build-cross-runtime.sh aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf
step "HAL kernel-ABI tests under qemu (aarch64, armv7)" bash scripts/test-hal-cross.sh
step "cargo test --workspace" cargo_test
step "fuzz every cargo-fuzz target, bounded (scripts/fuzz.sh 15)" bash scripts/fuzz.sh 15

printf '\n==> test: timings\n'
printf '%s\n' "${timings[@]}"
printf '%5d s  total\n' "$SECONDS"
echo "$test_totals"
