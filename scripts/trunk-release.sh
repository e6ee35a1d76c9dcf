#!/usr/bin/env bash
# Runs Trunk for the release page with the standard library rebuilt for size: usage
#   scripts/trunk-release.sh build --release
#   scripts/trunk-release.sh serve --release
#
# The page's download budget is 210 KB gzip (BENCHMARKS.md). About 17 KB of the wasm is the code
# that formats panic messages, which nobody on the page can read. Rebuilding `std` with panics
# that abort at once (`-Cpanic=immediate-abort`, with `-Zbuild-std`) removes it. Both are
# unstable cargo/rustc features: RUSTC_BOOTSTRAP=1 enables them on this stable toolchain for
# this one build only (the same way cargo-fuzz is run here), and the variables are set for Trunk
# alone so that native builds, tests and lints never see them. It needs the `rust-src`
# component, which scripts/tools.sh installs. Without it the build falls back to the stock
# standard library, and says so: the page works, but is over budget.
#
# What changes for users: a panic (a bug: no input is supposed to cause one) stops the wasm
# without a message in the console; index.html then shows a notice to reload the page.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
sysroot="$(rustc --print sysroot)"
if [ -d "$sysroot/lib/rustlib/src/rust/library" ]; then
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  # std's own size-over-speed choices (smaller sort and formatting code): 0.2 KB less.
  export CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort"
else
  echo "trunk-release: the rust-src component is missing (rustup component add rust-src);" \
       "building with the stock standard library, which is over the size budget" >&2
fi
exec trunk "$@"
