#!/usr/bin/env bash
# Compile time of `solvrac build` for a generated 10 000-line program at -O0 and -O2 (the
# `[aot]` issue's measurement), printed as a Markdown table. The program repeats
# benches/data/generated_unit.svs (the unit benches/frontend.rs uses too) with fresh names.
#
#   bash benches/compile_time.sh [LINES]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LLVM_SYS_191_PREFIX=/usr/lib/llvm-19
lines=${1:-10000}
cargo build --release -q -p solvrac -p solvra_rt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$lines" "$tmp/gen.svs" benches/data/generated_unit.svs <<'PY'
import sys
lines, out, unit = int(sys.argv[1]), sys.argv[2], open(sys.argv[3]).read()
chunks, i = [], 0
while sum(c.count("\n") for c in chunks) < lines:
    chunks.append(unit.replace("@I@", str(i)))
    i += 1
open(out, "w").write("".join(chunks))
PY
n=$(wc -l <"$tmp/gen.svs")
echo "| program | -O0 | -O2 |"
echo "|---|---:|---:|"
row="| generated, $n lines |"
for o in 0 2; do
  start=$(date +%s.%N)
  target/release/solvrac build -O$o "$tmp/gen.svs" -o "$tmp/gen$o"
  end=$(date +%s.%N)
  row+=" $(python3 -c "print(f'{$end - $start:.2f} s')") |"
done
echo "$row"
"$tmp/gen0" >"$tmp/out0"
"$tmp/gen2" >"$tmp/out2"
cmp -s "$tmp/out0" "$tmp/out2" || { echo "compile_time.sh: -O0 and -O2 outputs differ" >&2; exit 1; }
