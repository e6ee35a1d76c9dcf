#!/usr/bin/env bash
# Trunk post-build hook (Trunk.toml), release builds only. Every byte here counts against the
# page's 210 KB download budget (BENCHMARKS.md):
#   1. the wasm-bindgen JavaScript glue is minified with terser (Trunk's own JS minifier fails
#      on it);
#   2. the WebAssembly file is stored compressed with zopfli (gzip format, about 4 % smaller than
#      gzip -9), and index.html inflates it with the browser's own DecompressionStream. The
#      download is then small on any host, whether it compresses or not.
# Debug builds are left as they are.
set -euo pipefail
[ "${TRUNK_PROFILE:-debug}" = "release" ] || exit 0
TOOLS_DIR="${FTPSIM_TOOLS_DIR:-$HOME/.cache/ftpsim-tools}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

TERSER="$TOOLS_DIR/terser/node_modules/.bin/terser"
if [ -x "$TERSER" ]; then
  for file in "$TRUNK_STAGING_DIR"/*.js; do
    [ -f "$file" ] || continue
    "$TERSER" "$file" --module --compress passes=2 --mangle --output "$file.min"
    mv "$file.min" "$file"
  done
else
  echo "post-build: terser is not installed ($TERSER); run scripts/tools.sh web. The JS stays as it is." >&2
fi

PYTHON="$TOOLS_DIR/zopfli/bin/python"
[ -x "$PYTHON" ] || PYTHON=python3
"$PYTHON" "$here/pack_wasm.py" "$TRUNK_STAGING_DIR"
