#!/usr/bin/env python3
"""Stores the page's WebAssembly compressed, and teaches index.html to inflate it.

Called by scripts/post-build.sh with Trunk's staging directory. The .wasm file keeps its name
and gets gzip-format content (zopfli when the `zopfli` module is installed, else gzip -9); the
loader in index.html fetches it, inflates it with DecompressionStream when it starts with the
gzip magic bytes, and hands it to wasm-bindgen's `init` as an `application/wasm` response. A
server or browser that already undid the compression is fine too: plain wasm passes through.
"""
import gzip
import pathlib
import re
import sys

LOADER = (
    "(async (url) => {"
    " const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());"
    " const body = bytes[0] === 0x1f && bytes[1] === 0x8b"
    " ? new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')) : bytes;"
    " return new Response(body, {headers: {'Content-Type': 'application/wasm'}});"
    " })"
)


def compress(data: bytes) -> bytes:
    try:
        import zopfli.gzip
    except ImportError:
        print("pack_wasm: zopfli is not installed; using gzip -9", file=sys.stderr)
        return gzip.compress(data, compresslevel=9, mtime=0)
    return zopfli.gzip.compress(data, numiterations=15)


def main() -> int:
    staging = pathlib.Path(sys.argv[1])
    html_path = staging / "index.html"
    html = html_path.read_text()
    for wasm in staging.glob("*.wasm"):
        data = wasm.read_bytes()
        if data[:4] != b"\0asm":
            continue  # already packed
        wasm.write_bytes(compress(data))
        # init({ module_or_path: 'x_bg.wasm' }) → init({ module_or_path: loader('x_bg.wasm') })
        pattern = re.compile(r"module_or_path:\s*('[^']*" + re.escape(wasm.name) + r"')")
        html, count = pattern.subn(lambda m: f"module_or_path: {LOADER}({m.group(1)})", html)
        if count != 1:
            print(f"pack_wasm: did not find the loader of {wasm.name} in index.html", file=sys.stderr)
            return 1
    html_path.write_text(html)
    return 0


if __name__ == "__main__":
    sys.exit(main())
