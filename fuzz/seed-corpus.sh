#!/usr/bin/env bash
# Refreshes the seed corpus fuzz/corpus/frontend/ from the repository's SolvraScript files:
# every .svs under tests/data and examples/, flattened to one file each (path separators
# become '__'). Files whose names start with 'spec_' (snippets from LANGUAGE.md) are kept.
# Usage: fuzz/seed-corpus.sh   (from anywhere; only writes under fuzz/corpus/frontend)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/fuzz/corpus/frontend"
mkdir -p "$out"
find "$out" -maxdepth 1 -type f -name 'data__*' -delete
find "$out" -maxdepth 1 -type f -name 'examples__*' -delete
cd "$root"
n=0
while IFS= read -r -d '' f; do
    # tests/data/conformance/lib/fmt.svs -> data__conformance__lib__fmt.svs
    rel="${f#tests/}"
    name="${rel//\//__}"
    # Keep seeds small: libFuzzer's -max_len is 64 KiB anyway.
    if [ "$(wc -c < "$f")" -le 65536 ]; then
        cp "$f" "$out/$name"
        n=$((n + 1))
    fi
done < <(find tests/data examples -name '*.svs' -type f -print0 2>/dev/null | sort -z)
echo "seed-corpus: $n files from tests/data and examples/ into fuzz/corpus/frontend"
