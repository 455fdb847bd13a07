#!/usr/bin/env bash
# The whole test suite, as CI runs it (after scripts/setup.sh): formatting, clippy with warnings
# as errors, every workspace test, a benchmark smoke run and bounded fuzzing on x86_64, and for
# each ARM target the runtime cross-build, the HAL's kernel-ABI tests under qemu-user, the
# conformance programs and the differential test cross-built and run under qemu-user. Stops at
# the first failing step.
#
#   bash scripts/test.sh                      every target (what .ci/run and the README run)
#   bash scripts/test.sh --target x86_64      one entry of the GitHub matrix; also aarch64, armv7
#
# --target (repeatable) picks the targets: x86_64 runs everything host-side and leaves the ARM
# cross tests out; aarch64 / armv7 run only that target's cross-build and cross tests (the suite
# then builds, but runs only its ARM tests). docs/CI_PLAN.md has the matrix.
#
# Budget: CI has 2 cores and a 90-minute hard limit for setup + tests; keep this under ~40 minutes.
# docs/CI_PLAN.md has the measured times.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

host=0
arm=() # Rust triples of the ARM targets to test
while (($#)); do
  case $1 in
    --target)
      (($# >= 2)) || { echo "test: --target needs x86_64, aarch64 or armv7" >&2; exit 2; }
      case $2 in
        x86_64) host=1 ;;
        aarch64) arm+=(aarch64-unknown-linux-gnu) ;;
        armv7) arm+=(armv7-unknown-linux-gnueabihf) ;;
        *) echo "test: unknown target '$2' (x86_64, aarch64, armv7)" >&2; exit 2 ;;
      esac
      shift 2
      ;;
    *) echo "usage: bash scripts/test.sh [--target x86_64|aarch64|armv7]..." >&2; exit 2 ;;
  esac
done
if ((host == 0 && ${#arm[@]} == 0)); then
  host=1
  arm=(aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf)
fi
# The suite's ARM tests (conformance, the kernel test, the differential test's ARM tiers) cover
# exactly these (tests/suite/conformance.rs, arm_targets).
export SOLVRAC_CROSS_TARGETS="${arm[*]}"

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

# Only the suite's tests that exercise the ARM targets (an ARM entry of the matrix).
arm_tests() {
  local log=target/cargo-test.log
  mkdir -p target
  cargo test -p solvrac --test suite "${locked[@]}" -- \
    conformance::programs_cross_built_for_arm_run_under_qemu \
    kernel::device_programs_run_under_a_real_kernel \
    differential::every_tier_prints_the_same_for_random_programs 2>&1 | tee "$log"
  test_totals=$(awk '/^test result:/ { print "tests: " $4 " passed, " $6 " failed" }' "$log" | tail -1)
}

echo "test: $(cargo --version), $(rustc --version); targets:$( ((host)) && printf ' x86_64')${arm[*]:+ ${arm[*]}}"
if ((host)); then
  step "cargo fmt --all -- --check" cargo fmt --all -- --check
  # Same target dir and dev profile as cargo test; clippy first because it fails fastest.
  step "cargo clippy --workspace --all-targets --all-features -- -D warnings" \
    cargo clippy --workspace --all-targets --all-features "${locked[@]}" -- -D warnings
fi
# The native-backend tests link programs against target/debug/libsolvra_rt.a, which
# `cargo test` alone does not produce.
step "cargo build -p solvra_rt (runtime library for native builds)" cargo build -p solvra_rt "${locked[@]}"
# Before the tests: the cross-target tests link programs against these runtimes, and the C ABI
# test (x86_64) checks the ABI of both.
if ((host)); then
  step "cross-build runtime (aarch64, armv7)" \
    bash scripts/build-cross-runtime.sh aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf
else
  step "cross-build runtime (${arm[*]})" bash scripts/build-cross-runtime.sh "${arm[@]}"
fi
if ((${#arm[@]})); then
  step "HAL kernel-ABI tests under qemu (${arm[*]})" bash scripts/test-hal-cross.sh "${arm[@]}"
fi
if ((host)); then
  step "cargo test --workspace" cargo_test
  # Criterion runs every benchmark once when its binary is not given --bench: the benchmarks
  # still build and run, in seconds (timed runs are `cargo bench`, benches/README.md).
  step "benchmark smoke run (cargo test --benches)" cargo test -p solvrac --benches "${locked[@]}"
  step "fuzz every cargo-fuzz target, bounded (scripts/fuzz.sh 15)" bash scripts/fuzz.sh 15
else
  step "ARM tests of the suite (${arm[*]})" arm_tests
fi

printf '\n==> test: timings\n'
printf '%s\n' "${timings[@]}"
printf '%5d s  total\n' "$SECONDS"
echo "$test_totals"
