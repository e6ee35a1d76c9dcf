#!/usr/bin/env bash
# Trunk post-build hook (Trunk.toml), release builds only. Every byte here counts against the
# page's 210 KB download budget (BENCHMARKS.md):
#   1. the wasm-bindgen JavaScript glue is minified with terser (Trunk's own JS minifier fails
#      on it);
#   2. the wasm's imports get short names, in the wasm and in the glue alike
#      (scripts/short_imports.py: wasm-bindgen's hashed names do not compress);
#   3. the page becomes one self-contained file, dist/ftpsim.html, with the wasm inside it
#      LZMA-compressed (about 14 % smaller than the best gzip) and a small decoder
#      (scripts/unpack.js); index.html opens it; a service worker and a manifest make it
#      installable and offline (scripts/single_file.py). It works from any folder of any host
#      and from disk.
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

python3 "$here/short_imports.py" "$TRUNK_STAGING_DIR"
FTPSIM_TERSER="$TERSER" python3 "$here/single_file.py" "$TRUNK_STAGING_DIR"
