#!/usr/bin/env bash
# The whole-program benchmark suite: the workloads of ../shared/bench (README there) and of
# benches/workloads (strings, methods, closures, json) in solvrac's interpreter, JIT, tiered run
# and native executable side by side with the peer implementations installed on this machine
# (gcc -O2, lua5.4, luajit, python3, node), timed with hyperfine.
#
#   benches/run.sh [--quick] [--runs N] [--warmup N] [--only "fib loop ..."] [--no-build]
#
#   --quick        reduced sizes (benches/workloads/sizes.tsv), for a run of a few minutes
#   --runs N       hyperfine runs per command (default 3)
#   --warmup N     hyperfine warm-up runs per command (default 1)
#   --only LIST    only these workloads (default: every workload of benches/workloads/sizes.tsv)
#   --no-build     use the existing target/release/solvrac instead of building it
#
# Environment: SOLVRA_BENCH_DIR (default ../shared/bench relative to the repository root).
#
# Steps: builds solvrac (`cargo build --release -p solvrac`); copies each workload's programs
# (svs/NAME.svs and peers/NAME.{c,lua,py,js}, from benches/workloads when it has them, else from
# SOLVRA_BENCH_DIR) into a temporary directory, with the size constant replaced in --quick mode
# (the files under ../shared are never modified); compiles the C peer with `gcc -O2`; runs every
# implementation once and checks that it prints exactly what the reference prints (the C peer,
# or solvrac when gcc is missing), and the reference against benches/workloads/expected/
# NAME.MODE.out where that exists; then times all the implementations that agree in one
# hyperfine invocation per workload. Writes benches/results/MODE.md (tables of median times and
# ratios to gcc -O2 and to lua5.4), benches/results/MODE.json and benches/results/MODE.svg (a bar
# chart of the ratios to gcc -O2, drawn by benches/chart.py); MODE is `quick` or `full`. Exits 1
# if any implementation printed a different output (it is then left out of the timings), 2 on a
# setup error.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_dir="${SOLVRA_BENCH_DIR:-$root/../shared/bench}"
mode=full
runs=3
warmup=1
build=1
own_dir="$root/benches/workloads"
workloads=()

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) mode=quick ;;
        --runs) runs="$2"; shift ;;
        --warmup) warmup="$2"; shift ;;
        --only) read -r -a workloads <<<"$2"; shift ;;
        --no-build) build=0 ;;
        -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# The size constant of each workload: its value in the full programs, and the quick value.
# Each program must contain the full value exactly once as a standalone number.
declare -A FULL=() QUICK=()
all=()
while IFS=$'\t' read -r name full quick _; do
    case "$name" in ''|'#'*) continue ;; esac
    FULL[$name]="$full"
    QUICK[$name]="$quick"
    all+=("$name")
done <"$own_dir/sizes.tsv"
[ ${#workloads[@]} -gt 0 ] || workloads=("${all[@]}")

# src_dir W: the directory holding svs/W.svs and peers/W.*: benches/workloads, else
# SOLVRA_BENCH_DIR; empty when neither has the workload.
src_dir() {
    local d
    for d in "$own_dir" "$bench_dir"; do
        if [ -f "$d/svs/$1.svs" ]; then
            echo "$d"
            return
        fi
    done
}
command -v hyperfine >/dev/null || { echo "run.sh: hyperfine is not installed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "run.sh: python3 is needed for the report" >&2; exit 2; }

solvrac="$root/target/release/solvrac"
if [ "$build" = 1 ]; then
    echo "run.sh: cargo build --release -p solvrac"
    (cd "$root" && cargo build --release -p solvrac -p solvra_rt) || { echo "run.sh: build failed" >&2; exit 2; }
fi
[ -x "$solvrac" ] || { echo "run.sh: $solvrac does not exist" >&2; exit 2; }

# Implementations: name, file extension, command prefix (the program path is appended).
# `solvrac -O2` is the same program compiled to a native executable with `solvrac build -O2`;
# `solvrac jit` compiles it at -O2 in process before it starts (the object cache, filled by the
# warm-up runs, makes later runs skip LLVM), `solvrac auto` interprets it and compiles hot
# functions at -O2 (the default tier of `run`).
impls=(solvrac "solvrac auto" "solvrac jit" "solvrac -O2")
declare -A EXT=([solvrac]=svs ["solvrac -O2"]=svs ["solvrac jit"]=svs ["solvrac auto"]=svs) \
    CMD=([solvrac]="$solvrac run --tier=interp" ["solvrac jit"]="$solvrac run --tier=jit -O2" \
        ["solvrac auto"]="$solvrac run --tier=auto -O2")
add_impl() { # name ext tool args...
    local name="$1" ext="$2" tool="$3"
    shift 3
    if command -v "$tool" >/dev/null; then
        impls+=("$name")
        EXT[$name]="$ext"
        CMD[$name]="$(command -v "$tool")${*:+ $*}"
    else
        echo "run.sh: $tool not installed, skipping $name"
    fi
}
add_impl "gcc -O2" c gcc
add_impl lua5.4 lua lua5.4
add_impl luajit lua luajit
add_impl python3 py python3
add_impl node js node

tmp="$(mktemp -d "${TMPDIR:-/tmp}/solvra-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
results="$root/benches/results"
mkdir -p "$results"

# scale SRC DST FULL_VALUE NEW_VALUE: copy with the size constant replaced (exactly once).
scale() {
    python3 - "$@" <<'PY'
import re, sys
src, dst, full, new = sys.argv[1:5]
text = open(src).read()
out, n = re.subn(r'(?<![\w.])' + re.escape(full) + r'(?![\w.])', new, text)
if n != 1:
    sys.exit(f"run.sh: {src}: expected the size {full} exactly once, found {n}")
open(dst, 'w').write(out)
PY
}

status=0
tools_json="$tmp/tools.txt"
: >"$tools_json"
: >"$tmp/sizes.txt"
for w in "${workloads[@]}"; do
    [ -n "${FULL[$w]:-}" ] || { echo "run.sh: unknown workload '$w'" >&2; exit 2; }
    wdir="$(src_dir "$w")"
    if [ -z "$wdir" ]; then
        echo "run.sh: no svs/$w.svs in $own_dir or $bench_dir (set SOLVRA_BENCH_DIR), skipping $w" >&2
        continue
    fi
    size="${FULL[$w]}"
    [ "$mode" = quick ] && size="${QUICK[$w]}"
    dir="$tmp/$w"
    mkdir -p "$dir"
    echo
    echo "=== $w (size $size, $mode) ==="

    # Prepare every implementation's program.
    ready=()
    declare -A RUN=()
    for impl in "${impls[@]}"; do
        ext="${EXT[$impl]}"
        src="$wdir/peers/$w.$ext"
        [ "${EXT[$impl]}" = svs ] && src="$wdir/svs/$w.svs"
        if [ ! -f "$src" ]; then
            echo "run.sh: no $src, skipping $impl"
            continue
        fi
        prog="$dir/$w.$ext"
        [ -f "$prog" ] || scale "$src" "$prog" "${FULL[$w]}" "$size" || exit 2
        if [ "$impl" = "solvrac -O2" ]; then
            "$solvrac" build -O2 "$prog" -o "$dir/$w-native" || { echo "run.sh: solvrac build failed on $prog" >&2; exit 2; }
            RUN[$impl]="$dir/$w-native"
        elif [ "$impl" = "gcc -O2" ]; then
            gcc -O2 -o "$dir/$w-c" "$prog" -lm || { echo "run.sh: gcc failed on $prog" >&2; exit 2; }
            RUN[$impl]="$dir/$w-c"
        else
            RUN[$impl]="${CMD[$impl]} $prog"
        fi
        ready+=("$impl")
    done

    # Correctness: every implementation must print what the reference prints.
    ref_impl=solvrac
    for impl in "${ready[@]}"; do [ "$impl" = "gcc -O2" ] && ref_impl="gcc -O2"; done
    # shellcheck disable=SC2086
    ${RUN[$ref_impl]} >"$dir/expected.out"
    stored="$own_dir/expected/$w.$mode.out"
    if [ -f "$stored" ] && ! cmp -s "$stored" "$dir/expected.out"; then
        echo "run.sh: $w: $ref_impl prints something else than $stored" >&2
        diff "$stored" "$dir/expected.out" | head -5 >&2 || true
        echo "$w	$ref_impl (differs from ${stored#"$root/"}; still timed)" >>"$tmp/mismatch.txt"
        status=1
    fi
    agree=()
    for impl in "${ready[@]}"; do
        # shellcheck disable=SC2086
        if ${RUN[$impl]} >"$dir/actual.out" 2>"$dir/actual.err" && cmp -s "$dir/expected.out" "$dir/actual.out"; then
            agree+=("$impl")
        else
            echo "run.sh: $w: $impl prints something else than $ref_impl; left out of the timings" >&2
            diff "$dir/expected.out" "$dir/actual.out" | head -5 >&2 || true
            head -5 "$dir/actual.err" >&2 || true
            echo "$w	$impl" >>"$tmp/mismatch.txt"
            status=1
        fi
    done
    echo "output ($ref_impl, all of ${agree[*]} agree): $(tr '\n' ' ' <"$dir/expected.out")"
    cp "$dir/expected.out" "$tmp/$w.out"

    # Timing: all agreeing implementations side by side.
    args=()
    for impl in "${agree[@]}"; do
        args+=(-n "$impl" "${RUN[$impl]}")
    done
    hyperfine -N -w "$warmup" -r "$runs" --export-json "$tmp/$w.json" "${args[@]}"
    echo "$w	$size" >>"$tmp/sizes.txt"
    unset RUN
done

# Tool versions for the report.
{
    echo "solvrac	$("$solvrac" --version 2>/dev/null | head -1) ($(cd "$root" && git rev-parse --short HEAD 2>/dev/null)$(cd "$root" && git diff --quiet HEAD 2>/dev/null || echo '+changes'))"
    command -v gcc >/dev/null && echo "gcc -O2	$(gcc --version | head -1)"
    command -v lua5.4 >/dev/null && echo "lua5.4	$(lua5.4 -v 2>&1 | head -1)"
    command -v luajit >/dev/null && echo "luajit	$(luajit -v 2>&1 | head -1)"
    command -v python3 >/dev/null && echo "python3	$(python3 --version 2>&1)"
    command -v node >/dev/null && echo "node	$(node --version)"
    echo "hyperfine	$(hyperfine --version)"
} >"$tools_json"

python3 - "$tmp" "$results" "$mode" "$runs" "$warmup" <<'PY'
import json, os, platform, subprocess, sys, datetime
tmp, results, mode, runs, warmup = sys.argv[1:6]
sizes = [l.rstrip('\n').split('\t') for l in open(os.path.join(tmp, 'sizes.txt'))]
tools = dict(l.rstrip('\n').split('\t', 1) for l in open(os.path.join(tmp, 'tools.txt')))
mismatch = []
if os.path.exists(os.path.join(tmp, 'mismatch.txt')):
    mismatch = [l.rstrip('\n').split('\t') for l in open(os.path.join(tmp, 'mismatch.txt'))]
order = ['solvrac', 'solvrac auto', 'solvrac jit', 'solvrac -O2', 'gcc -O2', 'lua5.4', 'luajit', 'python3', 'node']
cpu = ''
try:
    for line in open('/proc/cpuinfo'):
        if line.startswith('model name'):
            cpu = line.split(':', 1)[1].strip()
            break
except OSError:
    pass
report = {
    'mode': mode,
    'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
    'machine': {'cpu': cpu, 'cores': os.cpu_count(), 'arch': platform.machine()},
    'hyperfine': {'warmup': int(warmup), 'runs': int(runs)},
    'tools': tools,
    'mismatches': [{'workload': w, 'impl': i} for w, i in mismatch],
    'workloads': [],
}
for w, size in sizes:
    data = json.load(open(os.path.join(tmp, f'{w}.json')))
    times = {r['command']: r for r in data['results']}
    out = open(os.path.join(tmp, f'{w}.out')).read()
    entry = {'name': w, 'size': int(size), 'output': out.split(), 'results': {}}
    gcc = times.get('gcc -O2', {}).get('median')
    lua = times.get('lua5.4', {}).get('median')
    for impl in order:
        if impl not in times:
            continue
        r = times[impl]
        entry['results'][impl] = {
            'median_s': r['median'], 'mean_s': r['mean'], 'stddev_s': r.get('stddev'),
            'min_s': r['min'], 'max_s': r['max'],
            'ratio_to_gcc': r['median'] / gcc if gcc else None,
            'ratio_to_lua54': r['median'] / lua if lua else None,
        }
    report['workloads'].append(entry)
with open(os.path.join(results, f'{mode}.json'), 'w') as f:
    json.dump(report, f, indent=2)
    f.write('\n')

impls = [i for i in order if any(i in e['results'] for e in report['workloads'])]
def fmt_s(x):
    return f'{x:.3f}' if x < 10 else f'{x:.1f}'
def fmt_r(x):
    if x is None:
        return '–'
    return f'{x:.2f}' if x < 10 else f'{x:.0f}'
lines = [f'# Whole-program benchmarks ({mode})', '',
         f"{report['date']}, {cpu or platform.machine()}, {os.cpu_count()} cores (shared machine), "
         f'hyperfine -N -w {warmup} -r {runs}; `benches/run.sh{" --quick" if mode == "quick" else ""}`. '
         'solvrac is `solvrac run --tier=interp FILE.svs` (parse, compile and interpret), '
         'solvrac auto `solvrac run --tier=auto -O2` (hot functions JIT-compiled), '
         'solvrac jit `solvrac run --tier=jit -O2` (whole program JIT-compiled, object cache warm), '
         'solvrac -O2 the executable of `solvrac build -O2`. '
         'Median wall time of each implementation; ' + (
             'every implementation printed the same output.' if not mismatch else
             'implementations that printed a different output are listed at the end and left out.'),
         '']
head = '| workload | size | ' + ' | '.join(impls) + ' |'
sep = '|---|---:|' + '---:|' * len(impls)
lines += ['## Median time (s)', '', head, sep]
for e in report['workloads']:
    cells = [fmt_s(e['results'][i]['median_s']) if i in e['results'] else '–' for i in impls]
    lines.append(f"| {e['name']} | {e['size']:,} | " + ' | '.join(cells) + ' |')
for key, title in (('ratio_to_gcc', 'Ratio to gcc -O2 (median / median of gcc -O2)'),
                   ('ratio_to_lua54', 'Ratio to lua5.4 (median / median of lua5.4)')):
    if not any(e['results'].get(i, {}).get(key) for e in report['workloads'] for i in impls):
        continue
    lines += ['', f'## {title}', '', head, sep]
    for e in report['workloads']:
        cells = [fmt_r(e['results'][i][key]) if i in e['results'] else '–' for i in impls]
        lines.append(f"| {e['name']} | {e['size']:,} | " + ' | '.join(cells) + ' |')
if mismatch:
    lines += ['', '## Wrong output (left out of the timings)', '']
    lines += [f'* {w}: {i}' for w, i in mismatch]
lines += ['', '## Tools', '']
lines += [f'* {k}: {v}' for k, v in tools.items()]
with open(os.path.join(results, f'{mode}.md'), 'w') as f:
    f.write('\n'.join(lines) + '\n')
print('\n'.join(lines))
PY
python3 "$root/benches/chart.py" "$results/$mode.json" "$results/$mode.svg" || exit 2
echo
echo "run.sh: wrote benches/results/$mode.md, $mode.json and $mode.svg"
exit "$status"
