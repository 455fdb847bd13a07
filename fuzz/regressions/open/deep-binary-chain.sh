#!/usr/bin/env bash
# OPEN BUG (not replayed by scripts/fuzz.sh): stack overflow while dropping a left-deep AST.
#
# Writes a SolvraScript file `let x = 1+1+…+1` with N additions (default 5 000 000, ~10 MB).
# The parser builds the chain iteratively (Parser::binary's `while` loop in
# compiler/src/frontend/parser/expr.rs), so MAX_DEPTH never triggers, but the resulting
# ExprKind::Binary tree is N levels deep on its left side and the compiler-generated
# recursive Drop of Box<Expr> (no stacker) overflows even the CLI's 256 MiB worker stack.
#
#   fuzz/regressions/open/deep-binary-chain.sh /tmp/chain.svs            # 5M terms, ~10 MB
#   target/release/solvrac check /tmp/chain.svs    # "thread 'solvrac' has overflowed its stack", exit 134
#
#   fuzz/regressions/open/deep-binary-chain.sh /tmp/chain.svs 300000     # ~600 KB is enough under ASan
#   SOLVRAC_FUZZ_MAX_INPUT=0 fuzz/target/x86_64-unknown-linux-gnu/release/frontend \
#       -rss_limit_mb=16000 /tmp/chain.svs        # AddressSanitizer: stack-overflow in drop_in_place::<ExprKind>
#
# Once fixed, generate a file with the size given in docs/FUZZING.md and move it (or this
# script's output at a smaller N that still failed before the fix) to fuzz/regressions/frontend/.
set -euo pipefail
out="${1:?usage: deep-binary-chain.sh OUT.svs [TERMS]}"
n="${2:-5000000}"
awk -v n="$n" 'BEGIN { printf "let x = "; for (i = 0; i < n; i++) printf "1+"; print "1" }' >"$out"
echo "wrote $out ($(wc -c <"$out") bytes, $n additions)"
