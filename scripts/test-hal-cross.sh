#!/usr/bin/env bash
# Run the HAL's unit tests that pin the kernel ABI — structure sizes and offsets, ioctl request
# numbers — and the tests of its other target-dependent code (DMA buffers, the policy and its
# executable trailer, sysfs drivers on prepared trees) for AArch64 and ARMv7 under qemu-user.
# The tests that read the simulator's device file by its repository path are left out (the
# Debian-toolchain workspace is a copy outside the repository); they are not target-dependent.
#
#   bash scripts/test-hal-cross.sh [TARGET...]   (after scripts/build-cross-runtime.sh)
#   TARGET: aarch64-unknown-linux-gnu, armv7-unknown-linux-gnueabihf (default: both)
# Uses rustup's cargo when rustup has the target's std, else Debian's rustc 1.63 in the workspace
# build-cross-runtime.sh generated (SOLVRAC_CROSS_TOOLCHAIN=debian|rustup forces one).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

XSYSROOT=${SOLVRAC_XSYSROOT:-/opt/solvrac/xsysroot}
XCARGO_HOME=${SOLVRAC_XCARGO_HOME:-/opt/solvrac/xcargo}
MODE=${SOLVRAC_CROSS_TOOLCHAIN:-auto}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
GEN=$TARGET_DIR/cross-build

declare -A QEMU=([aarch64-unknown-linux-gnu]="qemu-aarch64 -L /usr/aarch64-linux-gnu"
  [armv7-unknown-linux-gnueabihf]="qemu-arm -L /usr/arm-linux-gnueabihf")
declare -A LINKER=([aarch64-unknown-linux-gnu]=aarch64-linux-gnu-gcc [armv7-unknown-linux-gnueabihf]=arm-linux-gnueabihf-gcc)

die() { printf 'test-hal-cross: error: %s\n' "$*" >&2; exit 1; }

targets=("$@")
((${#targets[@]})) || targets=(aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf)
for t in "${targets[@]}"; do
  [[ -n ${QEMU[$t]:-} ]] || die "unsupported target '$t'"
  var=$(tr 'a-z-' 'A-Z_' <<<"$t")
  how=$MODE
  if [[ $how == auto ]]; then
    if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$t"; then
      how=rustup
    else
      how=debian
    fi
  fi
  printf 'test-hal-cross: %s under %s\n' "$t" "${QEMU[$t]%% *}"
  if [[ $how == rustup ]]; then
    env "CARGO_TARGET_${var}_LINKER=${LINKER[$t]}" "CARGO_TARGET_${var}_RUNNER=${QEMU[$t]}" \
      cargo test -p solvra_hal --lib --target "$t" -- uapi:: gpio:: dma:: policy:: json:: sysfs:: registry::
  else
    [[ -f $GEN/ws/Cargo.toml ]] || die "no generated workspace; run scripts/build-cross-runtime.sh first"
    env -u CARGO_ENCODED_RUSTFLAGS -u RUSTC_WRAPPER -u RUSTC_WORKSPACE_WRAPPER -u CARGO_BUILD_TARGET \
      RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc CARGO_HOME="$XCARGO_HOME" \
      RUSTFLAGS="--sysroot $XSYSROOT" CARGO_TARGET_DIR="$GEN/target" \
      "CARGO_TARGET_${var}_RUNNER=${QEMU[$t]}" \
      /usr/bin/cargo test --offline -p solvra_hal --lib --target "$t" \
      --manifest-path "$GEN/ws/Cargo.toml" -- uapi:: gpio:: dma:: policy:: json:: sysfs:: registry::
  fi
done
