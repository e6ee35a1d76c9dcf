#!/usr/bin/env bash
# Installs what the build and the tests need, skipping every tool that is already present at the
# pinned version. Sourced by scripts/serve.sh and scripts/test.sh; usage: tools.sh web|test|fidelity|sockets
#
# Pins (change them here and nowhere else):
#   trunk 0.21.14 (0.22 needs a newer rustc than this project's 1.95), run for release through
#     scripts/trunk-release.sh, which rebuilds std (the rust-src component) without panic messages
#   wasm-bindgen-cli = the `wasm-bindgen = "=X"` pin in Cargo.toml
#   wasm-opt (binaryen) 132, from npm: Trunk's own download is unreachable here, Debian's is too old
#   selenium (tests/browser/requirements.txt) driving Debian's chromium + chromedriver
#   axe-core 4.14.1, from npm: the accessibility checks inside the browser tests
#   terser 5.51.4, from npm: minifies the wasm-bindgen JS glue (scripts/post-build.sh)
#   scorm-again 3.4.3, from npm: a real SCORM 1.2 runtime (the LMS side) for the browser test of
#     the SCORM package (scripts/scorm-package.sh)
#   node (with npm) runs terser and checks the page's own unpacker (scripts/unpack.js) on every
#     release build (scripts/single_file.py)
#   fidelity harness (tests/fidelity, FIDELITY.md), component `fidelity`, also part of `test`:
#     Debian's vsftpd curl nftables iproute2 tcpdump, installed only when missing, as root
#     (without root the harness is skipped anyway), with vsftpd kept from starting on the host;
#     pyftpdlib 2.2.0 (tests/fidelity/requirements.txt) in a venv of its own,
#     $TOOLS_DIR/fidelity-venv, apart from the browser tests' venv, which is rebuilt whenever
#     their requirements change
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132"
AXE_VERSION="4.14.1"
TERSER_VERSION="5.51.4"
SCORM_AGAIN_VERSION="3.4.3"
# Tools that are not cargo binaries live here, outside the clone, so every clone reuses them.
TOOLS_DIR="${FTPSIM_TOOLS_DIR:-$HOME/.cache/ftpsim-tools}"
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/binaryen/node_modules/.bin:$PATH"

say() { printf '\033[1;34m[tools]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root for: $*"; return 1; fi
}

wasm_bindgen_pin() {
  sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -n 1
}

ensure_wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then return; fi
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
}

# The release page rebuilds the standard library for size (scripts/trunk-release.sh).
ensure_rust_src() {
  if rustup component list --installed | grep -qx 'rust-src'; then return; fi
  say "adding the rust-src component (the release page rebuilds std for size)"
  rustup component add rust-src
}

ensure_trunk() {
  if trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION"; then return; fi
  say "installing trunk $TRUNK_VERSION (about 7 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
}

ensure_wasm_bindgen() {
  local version; version="$(wasm_bindgen_pin)"
  if [ -z "$version" ]; then say "no wasm-bindgen pin found in Cargo.toml"; return 1; fi
  if wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $version"; then return; fi
  say "installing wasm-bindgen-cli $version (about 2 minutes)"
  # Not --locked: its locked dependency set is not in the registry mirror.
  cargo install wasm-bindgen-cli --version "$version"
}

ensure_wasm_opt() {
  if wasm-opt --version 2>/dev/null | grep -q "version_$BINARYEN_VERSION"; then return; fi
  say "installing wasm-opt (binaryen $BINARYEN_VERSION) from npm into $TOOLS_DIR"
  mkdir -p "$TOOLS_DIR/binaryen"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/binaryen" "binaryen@$BINARYEN_VERSION"
}

ensure_browser() {
  if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then return; fi
  say "installing Debian's chromium and chromium-driver"
  as_root apt-get install -y --no-install-recommends chromium chromium-driver \
    || { as_root apt-get update && as_root apt-get install -y --no-install-recommends chromium chromium-driver; }
}

# npm package $2 at version $3 into $TOOLS_DIR/$1, unless that version is there already.
ensure_npm_package() {
  local folder="$1" package="$2" version="$3"
  local installed="$TOOLS_DIR/$folder/node_modules/$package/package.json"
  if [ -f "$installed" ] && grep -q "\"version\": \"$version\"" "$installed"; then return; fi
  say "installing $package $version from npm into $TOOLS_DIR"
  mkdir -p "$TOOLS_DIR/$folder"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR/$folder" "$package@$version"
}

ensure_terser() { ensure_npm_package terser terser "$TERSER_VERSION"; }
ensure_axe() { ensure_npm_package axe axe-core "$AXE_VERSION"; }
ensure_scorm_again() { ensure_npm_package scorm-again scorm-again "$SCORM_AGAIN_VERSION"; }

# A Python venv at $1 with the pinned requirements file $2, (re)built when they change.
ensure_venv() {
  local venv="$1" wanted="$2" what="$3"
  if [ -x "$venv/bin/python" ] && cmp -s "$wanted" "$venv/requirements.txt"; then return; fi
  say "creating the $what Python environment in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$wanted"
  cp "$wanted" "$venv/requirements.txt"
}

ensure_python_env() {
  ensure_venv "$TOOLS_DIR/venv" "$ROOT/tests/browser/requirements.txt" "browser-test"
}

# tshark decodes the simulator's packet captures in tests/pcap.rs (which fails without it under CI).
FIDELITY_PACKAGES=(vsftpd curl nftables iproute2 tcpdump tshark)
# The real-socket suite (tests/sockets) also drives Debian's lftp against `ftpsim serve` (besides
# vsftpd, curl and the fidelity venv's pyftpdlib); it comes in the same way, only when missing.
SOCKETS_PACKAGES=(lftp)

ensure_fidelity_packages() {
  local missing=() pkg
  for pkg in "${FIDELITY_PACKAGES[@]}" "${SOCKETS_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then return; fi
  if [ "$(id -u)" -ne 0 ]; then
    say "not root: not installing ${missing[*]} (the fidelity harness and the real-socket suite's vsftpd and lftp cases need root and will say they skipped)"
    return
  fi
  say "installing Debian's ${missing[*]} for the fidelity harness and the real-socket suite"
  # The vsftpd package starts a daemon on port 21 of the host when installed; a policy-rc.d that
  # answers 101 ("action forbidden") stops invoke-rc.d from starting it. Ours only if none exists.
  local policy=/usr/sbin/policy-rc.d own_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by ftpsim scripts/tools.sh while installing packages\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  local rc=0
  { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
      || { DEBIAN_FRONTEND=noninteractive apt-get update \
           && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; }; } || rc=$?
  if [ -n "$own_policy" ]; then rm -f "$policy"; fi
  return "$rc"
}

ensure_fidelity_python() {
  ensure_venv "$TOOLS_DIR/fidelity-venv" "$ROOT/tests/fidelity/requirements.txt" "fidelity harness's (pyftpdlib)"
}

ensure_fidelity_tools() {
  ensure_fidelity_packages
  ensure_fidelity_python
}

ensure_web_tools() {
  ensure_wasm_target
  ensure_rust_src
  ensure_trunk
  ensure_wasm_bindgen
  ensure_wasm_opt
  ensure_terser
}

case "${1:-}" in
  web) ensure_web_tools ;;
  test) ensure_web_tools; ensure_browser; ensure_python_env; ensure_axe; ensure_scorm_again; ensure_fidelity_tools ;;
  fidelity|sockets) ensure_fidelity_tools ;;
  "") ;; # sourced for its functions and PATH
  *) say "usage: tools.sh web|test|fidelity|sockets"; exit 2 ;;
esac
