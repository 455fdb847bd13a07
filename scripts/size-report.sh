#!/usr/bin/env bash
# Executable sizes per target: hello world and a mid-size example, built -O2, static and
# stripped, as a Markdown table on stdout. Needs the cross runtimes
# (scripts/build-cross-runtime.sh) and a release build of solvrac and the host runtime.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LLVM_SYS_191_PREFIX=/usr/lib/llvm-19
cargo build --release -q -p solvrac -p solvra_rt
solvrac=target/release/solvrac
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
programs=(examples/hello.svs examples/word_freq.svs)
targets=(x86_64-linux-gnu aarch64-linux-gnu armv7-linux-gnueabihf)
printf '| program |'; printf ' %s |' "${targets[@]}"; printf '\n|---|'; printf -- '---:|%.0s' "${targets[@]}"; printf '\n'
for p in "${programs[@]}"; do
  printf '| %s |' "$(basename "$p")"
  for t in "${targets[@]}"; do
    exe="$out/$(basename "$p" .svs)-$t"
    if "$solvrac" build -O2 --target "$t" --static --strip "$p" -o "$exe" 2>"$out/err"; then
      printf ' %s |' "$(numfmt --to=iec-i --suffix=B "$(stat -c %s "$exe")")"
    else
      printf ' build failed |'
      sed 's/^/    /' "$out/err" >&2
    fi
  done
  printf '\n'
done
