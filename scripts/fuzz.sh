#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS]        SECONDS per target, default 60
#
# Targets: `frontend` and `program` (SolvraScript source text), `ir` (source text the frontend
# accepts, lowered to Solvra IR and verified), `svc` (.svc bytecode files through the reader and
# the verifier), `json_parse` (the runtime's JSON parser and a round trip), `jsonrpc` (JSON-RPC 2.0
# messages through the `ipc` classifier).
#
# Environment:
#   FUZZ_TARGETS="frontend program"  run only these targets (default: all, from `cargo fuzz list`)
#   FUZZ_ARGS="-seed=1 ..."          extra libFuzzer arguments
#
# For each target it first replays the inputs under fuzz/regressions/<target>/ (bugs that were
# fixed must stay fixed), then fuzzes for SECONDS, starting from the seed corpus
# fuzz/corpus/<target>/ plus the inputs earlier runs found in fuzz/corpus-work/<target>/
# (git-ignored; only that directory is written). The targets that take source text (`frontend`,
# `program`, `ir`) also start from fuzz/corpus/frontend/ and use fuzz/frontend.dict; a
# fuzz/<target>.dict is used when it exists; the others have no dictionary (`svc` takes binary
# input; its seeds are the compiled conformance programs).
# Exits 1 if any target crashed, timed out or ran out of memory; the input is then
# in fuzz/artifacts/<target>/ and the log says how to reproduce it. See docs/FUZZING.md.
#
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer=address); on a stable toolchain this
# script sets RUSTC_BOOTSTRAP=1 so that stable rustc accepts them.
set -uo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -le 0 ]; then
    echo "usage: scripts/fuzz.sh [SECONDS]   (SECONDS per target, a positive integer)" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2
export RUSTC_BOOTSTRAP=1

# Same cap as MAX_INPUT in fuzz/src/lib.rs.
max_len=65536

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --version '^0.13' --locked || {
        echo "fuzz.sh: cannot install cargo-fuzz" >&2
        exit 2
    }
fi
echo "fuzz.sh: $(cargo fuzz --version), $(rustc --version)"

echo "fuzz.sh: building all fuzz targets"
if ! cargo fuzz build; then
    echo "fuzz.sh: build failed" >&2
    exit 2
fi

if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo fuzz list)
fi
if [ "${#targets[@]}" -eq 0 ]; then
    echo "fuzz.sh: no fuzz targets found" >&2
    exit 2
fi

read -r -a extra <<<"${FUZZ_ARGS:-}"
bin_dir="$root/fuzz/target/x86_64-unknown-linux-gnu/release"
failed=()
summary=()

for t in "${targets[@]}"; do
    echo
    echo "=== fuzz target '$t' ==="

    # 1. Regressions: each file must run without a crash.
    reg_dir="$root/fuzz/regressions/$t"
    if [ -d "$reg_dir" ] && [ -n "$(find "$reg_dir" -maxdepth 1 -type f ! -name '*.md' -print -quit)" ]; then
        mapfile -t reg_files < <(find "$reg_dir" -maxdepth 1 -type f ! -name '*.md' | sort)
        echo "fuzz.sh: replaying ${#reg_files[@]} regression input(s) from fuzz/regressions/$t"
        if ! SOLVRAC_FUZZ_MAX_INPUT=0 "$bin_dir/$t" -rss_limit_mb=8192 "${reg_files[@]}"; then
            echo "fuzz.sh: target '$t' crashed on a regression input (see above)" >&2
            failed+=("$t (regression)")
            summary+=("$t: crashed on a regression input, not fuzzed")
            continue
        fi
    fi

    # 2. Bounded fuzzing.
    seeds=()
    [ -d "$root/fuzz/corpus/$t" ] && seeds+=("$root/fuzz/corpus/$t")
    dict_args=()
    case "$t" in
        frontend | program | ir)
            [ "$t" = frontend ] || seeds+=("$root/fuzz/corpus/frontend")
            dict_args=(-dict="$root/fuzz/frontend.dict")
            ;;
    esac
    if [ -f "$root/fuzz/$t.dict" ]; then
        dict_args=(-dict="$root/fuzz/$t.dict")
    fi
    work="$root/fuzz/corpus-work/$t"
    artifacts="$root/fuzz/artifacts/$t"
    mkdir -p "$work" "$artifacts"
    log="$root/fuzz/artifacts/$t.log"
    before="$(find "$artifacts" -maxdepth 1 -type f | sort)"

    cargo fuzz run "$t" "$work" "${seeds[@]}" -- \
        "${dict_args[@]}" -max_len="$max_len" -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${extra[@]}" 2>&1 | tee "$log" |
        grep -E --line-buffered '^(INFO: seed corpus|#[0-9]+[[:space:]]+(INITED|pulse|DONE))|^#[0-9]+: cov:|^==[0-9]+== ?ERROR|^SUMMARY|panicked|deadly signal|out-of-memory|-timeout|Test unit written|^Done|^stat::'
    rc=${PIPESTATUS[0]}
    new_artifacts="$(comm -13 <(printf '%s\n' "$before") <(find "$artifacts" -maxdepth 1 -type f | sort) | sed '/^$/d')"

    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE '^#[0-9]+[[:space:]]+(DONE|pulse|INITED).*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+')
    # Fork mode (FUZZ_ARGS="-fork=1 -ignore_crashes=1") prints "#EXECS: cov: C ft: F ... time: Ts"
    # lines and no final stat:: lines.
    fork_line=$(grep -E '^#[0-9]+: cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    if [ -n "$fork_line" ]; then
        execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$fork_line")
        fork_time=$(grep -oE 'time: [0-9]+s' <<<"$fork_line" | grep -oE '[0-9]+')
        [ -n "$fork_time" ] && [ "$fork_time" -gt 0 ] && rate=$((execs / fork_time))
        cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$fork_line")
        crashes=$(grep -oE 'oom/timeout/crash: [0-9]+/[0-9]+/[0-9]+' <<<"$fork_line")
        cov="$cov ${crashes:-}"
    fi
    summary+=("$t: rc=$rc execs=${execs:-?} exec/s=${rate:-?} ${cov:-cov: ?}")

    if [ "$rc" -ne 0 ] || [ -n "$new_artifacts" ]; then
        echo "fuzz.sh: target '$t' FAILED (exit $rc); new artifacts:" >&2
        printf '  %s\n' $new_artifacts >&2
        echo "  reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run $t fuzz/artifacts/$t/<file>" >&2
        echo "  minimize:  RUSTC_BOOTSTRAP=1 cargo fuzz tmin $t fuzz/artifacts/$t/<file>" >&2
        echo "  full log:  fuzz/artifacts/$t.log" >&2
        failed+=("$t")
    fi
done

echo
echo "=== fuzz summary (${seconds}s per target) ==="
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz.sh: no crash found"
