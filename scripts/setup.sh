#!/usr/bin/env bash
# Prepare a Debian 12 (bookworm) machine to build, test and cross-build solvrac, then build it.
#
#   bash scripts/setup.sh [--no-build]
#
# Safe to run any number of times: every step checks first and does nothing when already done, so a
# re-run takes a few seconds. Run it as root; as another user it only checks and prints the apt-get
# commands that root has to run (and exits non-zero if anything is missing).
#
# Why each package is here, and the cross sysroot recipe, are in docs/CI_PLAN.md and
# /work/shared/TOOLCHAIN.md sections 1 and 6; the kernel for the device tests in docs/HAL_KERNEL.md.
#
# Environment:
#   SOLVRAC_XSYSROOT     rustc sysroot holding Debian's ARM standard libraries (default /opt/solvrac/xsysroot)
#   SOLVRAC_XCARGO_HOME  CARGO_HOME for Debian's cargo when cross-building   (default /opt/solvrac/xcargo)
#   SOLVRAC_KERNEL_DIR   Debian's arm64 kernel and busybox for the device tests  (default /opt/solvrac/kernel)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

XSYSROOT=${SOLVRAC_XSYSROOT:-/opt/solvrac/xsysroot}
XCARGO_HOME=${SOLVRAC_XCARGO_HOME:-/opt/solvrac/xcargo}
KERNEL_DIR=${SOLVRAC_KERNEL_DIR:-/opt/solvrac/kernel}
LLVM_PREFIX=/usr/lib/llvm-19
MIN_CARGO_MINOR=80 # the workspace needs cargo/rustc >= 1.80

# Debian architecture -> Rust target triple of the standard library that Debian ships for it.
declare -A CROSS_TRIPLE=([arm64]=aarch64-unknown-linux-gnu [armhf]=armv7-unknown-linux-gnueabihf)
CROSS_ARCHES=(arm64 armhf)

PACKAGES=(
  # C toolchain: cc-using crates, and the system linker for the host target.
  build-essential pkg-config
  # LLVM 19 for inkwell/llvm-sys. Polly and zstd are not dependencies of llvm-19-dev, but the static
  # link that llvm-sys does by default needs -lPolly -lPollyISL -lzstd.
  llvm-19-dev libpolly-19-dev libzstd-dev zlib1g-dev libffi-dev libxml2-dev libncurses-dev
  # Cross linkers and user-mode emulation for tests. The target glibc (headers, libc.a for -static,
  # the loader qemu needs for dynamic binaries) is only a Recommends of the cross gcc, which
  # --no-install-recommends skips; without it the cross gcc silently reads the host's /usr/include.
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross qemu-user
  # Debian's Rust 1.63 builds the runtime for ARM: rustup here has only the x86_64 std and cannot
  # download others. The librust-*-dev packages are the offline crate registry for those builds.
  rustc cargo librust-libc-dev librust-nix-dev
  # The net tests talk to peers written with Python's standard library (tests/data/net).
  python3
  # The device tests boot Debian's arm64 kernel on qemu's `virt` machine (docs/HAL_KERNEL.md); cpio
  # packs their initramfs.
  qemu-system-arm cpio
  # The debugger test drives gdb in batch mode over a `build -g` executable (docs/DEBUGGING.md).
  gdb
)
# Nice to have (hyperfine and the Lua peers are for benches/run.sh); a missing one is a warning, not a failure.
OPTIONAL_PACKAGES=(hyperfine lua5.4 luajit)

BUILD=1
for arg in "$@"; do
  case $arg in
    --no-build) BUILD=0 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "setup: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

log() { printf 'setup: %s\n' "$*"; }
warn() { printf 'setup: warning: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

IS_ROOT=0
if [[ $(id -u) -eq 0 ]]; then IS_ROOT=1; fi
export DEBIAN_FRONTEND=noninteractive # CI has no stdin; never wait for a debconf question

installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

# --- 1. A Rust toolchain new enough for the workspace --------------------------------------------
# Checked first so a machine without rustup fails in a second, not after a large apt install.
# Debian's /usr/bin/cargo (1.65) is installed below for the ARM runtime only; it cannot build the
# workspace. If PATH finds that one first but rustup's is in ~/.cargo/bin, use rustup's.
cargo_minor() { "$1" --version 2>/dev/null | sed -n 's/^cargo 1\.\([0-9]*\)\..*/\1/p'; }
cargo_ok() { local m; m=$(cargo_minor "$1"); [[ -n $m && $m -ge $MIN_CARGO_MINOR ]]; }

RUSTUP_BIN=${CARGO_HOME:-$HOME/.cargo}/bin
CARGO=$(command -v cargo || true)
if [[ -z $CARGO ]] || ! cargo_ok "$CARGO"; then
  if [[ -x $RUSTUP_BIN/cargo ]] && cargo_ok "$RUSTUP_BIN/cargo"; then
    export PATH="$RUSTUP_BIN:$PATH"
    CARGO=$RUSTUP_BIN/cargo
    log "using $CARGO (put $RUSTUP_BIN first in PATH to make this the default)"
  else
    cat >&2 <<EOF
setup: error: no Rust toolchain new enough for the workspace (need cargo >= 1.$MIN_CARGO_MINOR on PATH).
  Found: ${CARGO:-no cargo at all}${CARGO:+ ($("$CARGO" --version 2>/dev/null))}
  Debian bookworm's own cargo/rustc (1.65/1.63) is too old for the compiler; setup installs it anyway,
  but only to cross-build the runtime for ARM. Install a current stable toolchain with rustup
  (profile minimal plus the rustfmt and clippy components), make sure ~/.cargo/bin is on PATH,
  then run scripts/setup.sh again.
EOF
    exit 1
  fi
fi
log "rust toolchain: $("$CARGO" --version)"
# scripts/test.sh runs both; missing components only hurt there, so warn instead of failing.
for tool in fmt clippy; do
  "$CARGO" "$tool" --version >/dev/null 2>&1 || warn "'cargo $tool' is missing; scripts/test.sh needs it (rustup component add ${tool/fmt/rustfmt})"
done

# --- 2. Debian packages ------------------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
missing_optional=()
for p in "${OPTIONAL_PACKAGES[@]}"; do installed "$p" || missing_optional+=("$p"); done

if [[ $IS_ROOT -eq 0 ]]; then
  if ((${#missing[@]})); then
    echo "setup: not root, and the machine is missing packages. Run as root:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]} ${missing_optional[*]}" >&2
    echo "then run scripts/setup.sh again." >&2
    exit 1
  fi
  if ((${#missing_optional[@]})); then warn "optional packages not installed: ${missing_optional[*]}"; fi
elif ((${#missing[@]} + ${#missing_optional[@]})); then
  t0=$SECONDS
  log "apt-get update"
  # A mirror mid-sync can fail one index and exit 100; the install below is the real check.
  apt-get update -q || warn "apt-get update reported errors; trying the install anyway"
  if ((${#missing[@]})); then
    log "installing ${#missing[@]} packages: ${missing[*]}"
    # apt -y removes conflicting packages without asking (seen: a backported qemu-utils that
    # bookworm's qemu-system-arm cannot sit beside, docs/CI_PLAN.md); at least say so.
    removals=$(apt-get install -s -q --no-install-recommends "${missing[@]}" 2>/dev/null | sed -n 's/^Remv \([^ ]*\).*/\1/p' | tr '\n' ' ' || true)
    if [[ -n $removals ]]; then warn "this install removes conflicting packages: $removals"; fi
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  if ((${#missing_optional[@]})); then
    apt-get install -y -q --no-install-recommends "${missing_optional[@]}" ||
      warn "could not install optional packages: ${missing_optional[*]}"
  fi
  log "apt done in $((SECONDS - t0)) s"
fi
log "packages ok"

[[ -x $LLVM_PREFIX/bin/llvm-config ]] || die "$LLVM_PREFIX/bin/llvm-config not found although llvm-19-dev is installed"

# --- 3. Foreign-architecture packages, downloaded and unpacked, never installed --------------------
# The cross sysroot (step 4) and the device-test kernel (step 5) come from arm64/armhf .debs. To
# download them apt needs those architectures' package indexes; they are fetched into a private,
# throw-away apt state directory instead of `dpkg --add-architecture` on the system, because a mirror
# whose foreign-architecture indexes are out of step (seen: bookworm-security armhf, "File has
# unexpected size") would make every later system-wide `apt-get update` fail. Fetched at most once
# per run, and only when a step needs it.
APT_WORK=
APT_OPTS=()
cleanup_apt() { if [[ -n $APT_WORK ]]; then rm -rf "$APT_WORK"; fi; }
trap cleanup_apt EXIT

foreign_apt() {
  [[ -z $APT_WORK ]] || return 0
  local a
  APT_WORK=$(mktemp -d)
  mkdir -p "$APT_WORK/lists/partial" "$APT_WORK/cache/archives/partial"
  # apt drops privileges to _apt for downloads; let it write here so it doesn't warn.
  if [[ $IS_ROOT -eq 1 ]] && id _apt >/dev/null 2>&1; then chmod 755 "$APT_WORK" && chown -R _apt "$APT_WORK"; fi
  APT_OPTS=(-q -o "Dir::State::Lists=$APT_WORK/lists" -o "Dir::Cache=$APT_WORK/cache")
  for a in "${CROSS_ARCHES[@]}"; do APT_OPTS+=(-o "APT::Architectures::=$a"); done
  log "fetching ${CROSS_ARCHES[*]} package indexes (private apt state in $APT_WORK)"
  # Partial failures (one out-of-step index) are fine as long as the downloads find their debs.
  apt-get "${APT_OPTS[@]}" update >"$APT_WORK/update.log" 2>&1 ||
    warn "apt-get update for ${CROSS_ARCHES[*]} reported errors (continuing): $(grep '^E:' "$APT_WORK/update.log" | head -1)"
}

# foreign_download WHY PKG... : downloads the .debs into $APT_WORK, or dies explaining WHY they were wanted.
foreign_download() {
  local why=$1
  shift
  log "downloading $*"
  (cd "$APT_WORK" && apt-get "${APT_OPTS[@]}" download "$@") || {
    cat "$APT_WORK/update.log" >&2
    die "cannot download $*: $why"
  }
}

# --- 4. Cross sysroot: Debian's ARM standard libraries for Debian's rustc ---------------------------
# Installing libstd-rust-dev:arm64 would drag in half of arm64 Debian, so its .debs are unpacked (step 3).
# The debs must be the exact version of the installed rustc, or rustc rejects the metadata; a stamp
# file records what the sysroot was made from, so a rustc upgrade rebuilds it.
rustc_deb_ver=$(dpkg-query -W -f='${Version}' libstd-rust-dev)
rustc_mm=$(/usr/bin/rustc --version | sed -n 's/^rustc \([0-9]*\.[0-9]*\)\..*/\1/p')
stamp="rustc=$rustc_deb_ver arches=${CROSS_ARCHES[*]}"

build_sysroot() {
  local debs=() a
  foreign_apt
  for a in "${CROSS_ARCHES[@]}"; do
    debs+=("libstd-rust-dev:$a=$rustc_deb_ver" "libstd-rust-$rustc_mm:$a=$rustc_deb_ver")
  done
  rm -rf "$APT_WORK/x" && mkdir "$APT_WORK/x"
  foreign_download "the ARM std .debs at rustc's version $rustc_deb_ver are wanted. If the mirror moved on to a newer rustc, upgrade it first: apt-get update && apt-get install --only-upgrade rustc libstd-rust-dev" "${debs[@]}"
  for f in "$APT_WORK"/libstd-rust-*.deb; do dpkg -x "$f" "$APT_WORK/x"; done

  # Build next to the final place, then swap, so an interrupted run never leaves half a sysroot.
  local new=$XSYSROOT.new
  rm -rf "$new"
  mkdir -p "$new/lib/rustlib"
  for a in "${CROSS_ARCHES[@]}"; do
    [[ -d $APT_WORK/x/usr/lib/rustlib/${CROSS_TRIPLE[$a]} ]] || die "the $a .debs contain no usr/lib/rustlib/${CROSS_TRIPLE[$a]}"
    # -L: the std .so files in rustlib are relative links into usr/lib/<multiarch>; copy the targets.
    cp -rL "$APT_WORK/x/usr/lib/rustlib/${CROSS_TRIPLE[$a]}" "$new/lib/rustlib/"
  done
  # --sysroot also applies to build scripts and proc macros, which run on the host. A link (not a
  # copy) keeps the host std identical to the installed rustc's.
  ln -s /usr/lib/rustlib/x86_64-unknown-linux-gnu "$new/lib/rustlib/x86_64-unknown-linux-gnu"
  echo "$stamp" >"$new/.solvrac-stamp"
  rm -rf "$XSYSROOT"
  mv "$new" "$XSYSROOT"
  rm -rf "$APT_WORK/x" "$APT_WORK"/*.deb
}

[[ $XSYSROOT == /* && $XSYSROOT != / ]] || die "SOLVRAC_XSYSROOT must be an absolute path below /, not '$XSYSROOT'"
if [[ $(cat "$XSYSROOT/.solvrac-stamp" 2>/dev/null) != "$stamp" ]]; then
  t0=$SECONDS
  # The sysroot is swapped in by rename next to it, so its parent must be writable.
  if ! mkdir -p "$(dirname "$XSYSROOT")" 2>/dev/null || [[ ! -w $(dirname "$XSYSROOT") ]]; then
    die "cannot write $(dirname "$XSYSROOT"); run as root or set SOLVRAC_XSYSROOT to a writable place"
  fi
  build_sysroot
  log "cross sysroot built in $((SECONDS - t0)) s: $XSYSROOT ($(du -sh "$XSYSROOT" | cut -f1))"
fi

# Debian's cargo reads crates from Debian's packaged registry (offline) and links with the gcc cross
# linkers. Rewritten only when different, so its mtime doesn't churn.
cargo_config=$(cat <<'TOML'
# Written by solvrac scripts/setup.sh: CARGO_HOME for Debian's cargo 1.65 cross-building the runtime.
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[target.aarch64-unknown-linux-gnu]
linker = "aarch64-linux-gnu-gcc"

[target.armv7-unknown-linux-gnueabihf]
linker = "arm-linux-gnueabihf-gcc"
TOML
)
if [[ $(cat "$XCARGO_HOME/config.toml" 2>/dev/null) != "$cargo_config" ]]; then
  { mkdir -p "$XCARGO_HOME" && printf '%s\n' "$cargo_config" >"$XCARGO_HOME/config.toml"; } 2>/dev/null ||
    die "cannot write $XCARGO_HOME/config.toml; run as root or set SOLVRAC_XCARGO_HOME to a writable place"
fi

# Prove the sysroot works rather than trusting the stamp: type-check a one-line crate that uses std, per target.
# (Into a temp dir: rustc replaces its output by rename, so `-o /dev/null` as root clobbers /dev/null.)
probe=$(mktemp -d)
echo 'pub fn probe() -> String { std::env::args().collect() }' >"$probe/probe.rs"
for a in "${CROSS_ARCHES[@]}"; do
  /usr/bin/rustc --sysroot "$XSYSROOT" --target "${CROSS_TRIPLE[$a]}" --edition 2021 --crate-type rlib \
    --emit metadata --out-dir "$probe" "$probe/probe.rs" ||
    die "Debian rustc cannot use $XSYSROOT for ${CROSS_TRIPLE[$a]}; delete $XSYSROOT and re-run"
done
rm -rf "$probe"
log "cross sysroot ok: $XSYSROOT (${CROSS_TRIPLE[*]}), cargo home: $XCARGO_HOME"

# --- 5. A Linux kernel for the device tests (docs/HAL_KERNEL.md) ------------------------------------
# Debian's arm64 kernel image, the two modules that give the `virt` machine's virtio disk a block
# device (virtio_mmio and virtio_blk are modules in Debian's build), and busybox-static for the
# initramfs's /init. Unpacked from the .debs (step 3), never installed. Fetched once: a present
# directory is kept as is, so re-runs cost nothing and the kernel only changes when the directory
# is deleted. The package name comes from the linux-image-arm64 metapackage (it changes with
# Debian's kernel updates); the stamp file records what was fetched.
KERNEL_FILES=(vmlinuz busybox modules/virtio_mmio.ko modules/virtio_blk.ko .solvrac-stamp)

fetch_kernel() {
  local pkg ver bb_ver new=$KERNEL_DIR.new
  foreign_apt
  pkg=$(apt-cache "${APT_OPTS[@]}" depends linux-image-arm64:arm64 |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*\).*/\1/p' | head -1)
  [[ -n $pkg ]] || die "no kernel package behind linux-image-arm64:arm64 in the arm64 indexes: $(grep '^E:' "$APT_WORK/update.log" | head -1)"
  foreign_download "the device tests need Debian's arm64 kernel and busybox" "$pkg:arm64" busybox-static:arm64
  rm -rf "$new" && mkdir -p "$new/x" "$new/modules"
  # Only the files needed: the package unpacks to ~400 MB of modules otherwise.
  dpkg-deb --fsys-tarfile "$APT_WORK/${pkg}"_*_arm64.deb |
    tar -x -C "$new/x" --wildcards './boot/vmlinuz-*' './boot/config-*' \
      '*/kernel/drivers/virtio/virtio_mmio.ko' '*/kernel/drivers/block/virtio_blk.ko'
  dpkg-deb --fsys-tarfile "$APT_WORK"/busybox-static_*_arm64.deb | tar -x -C "$new/x" ./bin/busybox
  mv "$new"/x/boot/vmlinuz-* "$new/vmlinuz"
  mv "$new"/x/boot/config-* "$new/config"
  find "$new/x/lib" -name '*.ko' -exec mv {} "$new/modules/" \;
  mv "$new/x/bin/busybox" "$new/busybox"
  rm -rf "$new/x"
  ver=$(dpkg-deb -f "$APT_WORK/${pkg}"_*_arm64.deb Version)
  bb_ver=$(dpkg-deb -f "$APT_WORK"/busybox-static_*_arm64.deb Version)
  echo "$pkg=$ver busybox-static=$bb_ver" >"$new/.solvrac-stamp"
  rm -rf "$KERNEL_DIR"
  mv "$new" "$KERNEL_DIR"
  rm -f "$APT_WORK"/*.deb
}

kernel_present() {
  local f
  for f in "${KERNEL_FILES[@]}"; do [[ -s $KERNEL_DIR/$f ]] || return 1; done
}

[[ $KERNEL_DIR == /* && $KERNEL_DIR != / ]] || die "SOLVRAC_KERNEL_DIR must be an absolute path below /, not '$KERNEL_DIR'"
if ! kernel_present; then
  t0=$SECONDS
  if ! mkdir -p "$(dirname "$KERNEL_DIR")" 2>/dev/null || [[ ! -w $(dirname "$KERNEL_DIR") ]]; then
    die "cannot write $(dirname "$KERNEL_DIR") for $KERNEL_DIR (Debian's arm64 kernel, its virtio modules and busybox-static, about 60 MB to download); run as root or set SOLVRAC_KERNEL_DIR to a writable place"
  fi
  fetch_kernel
  log "device-test kernel fetched in $((SECONDS - t0)) s: $KERNEL_DIR ($(du -sh "$KERNEL_DIR" | cut -f1))"
fi
qemu-system-aarch64 --version >/dev/null || die "qemu-system-aarch64 does not run although qemu-system-arm is installed"
log "device-test kernel ok: $KERNEL_DIR ($(cat "$KERNEL_DIR/.solvrac-stamp"))"

# --- 6. Build solvrac ------------------------------------------------------------------------------
# llvm-sys would also find llvm-config-19 on PATH, but /usr/bin/llvm-config may be another LLVM;
# pin it. scripts/test.sh and scripts/demo.sh export it themselves.
export LLVM_SYS_191_PREFIX=$LLVM_PREFIX
if ((BUILD)); then
  [[ -f Cargo.toml ]] || die "no Cargo.toml in $(pwd); run from a solvrac checkout or pass --no-build"
  t0=$SECONDS
  log "building solvrac (cargo build --release -p solvrac)"
  "$CARGO" build --release -p solvrac
  log "built target/release/solvrac in $((SECONDS - t0)) s"
fi

log "done. To build by hand in this shell: export LLVM_SYS_191_PREFIX=$LLVM_PREFIX"
