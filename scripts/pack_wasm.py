#!/usr/bin/env python3
"""Stores the page's WebAssembly compressed with LZMA, and teaches index.html to unpack it.

Called by scripts/post-build.sh as `pack_wasm.py STAGING_DIR DECODER_JS`. LZMA (the .lzma
"alone" format, preset 9e, from Python's own lzma module) makes the wasm about 14 % smaller than
the best gzip (zopfli), which is what the page's download budget counts (BENCHMARKS.md).
Browsers cannot unpack LZMA themselves, so the decoder of LZMA-JS (the npm package `lzma`,
decoder only, 3 KB gzip, MIT licence; scripts/tools.sh installs it) goes inline into
index.html, ahead of the loader. The .wasm file keeps its name; the loader fetches it, unpacks
it when it starts with the LZMA header, and hands it to wasm-bindgen's `init` as an
`application/wasm` response. Plain wasm (a server or tool that already unpacked it) passes
through.

Without the decoder (tools not installed) the wasm is stored gzip-compressed instead and
unpacked with the browser's DecompressionStream, as before: the page works, and is larger.
"""
import gzip
import lzma
import pathlib
import re
import sys

# The LZMA coder's settings. Preset 9e, with 4 literal context bits and no position bits
# (lc=4, lp=0, pb=0) instead of the preset's lc=3, pb=2: code bytes depend on the bytes before
# them more than on their position. 0.7 KB smaller on the page's wasm (measured over every
# lc/lp/pb). The "alone" header's first byte is the properties byte (pb * 5 + lp) * 9 + lc.
# A 2 MiB dictionary holds the whole wasm (0.6 MB) as the preset's 64 MiB does, and the decoder
# in the browser allocates only that much.
LZMA_FILTERS = [
    {"id": lzma.FILTER_LZMA1, "preset": 9 | lzma.PRESET_EXTREME, "lc": 4, "lp": 0, "pb": 0, "dict_size": 1 << 21}
]
LZMA_PROPERTIES = (0 * 5 + 0) * 9 + 4

LOADER = (
    "(async (url) => {"
    " const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());"
    " let body = bytes;"
    f" if (bytes[0] === {LZMA_PROPERTIES} && bytes[1] === 0 && typeof LZMA !== 'undefined') {{"
    # LZMA-JS gives back text when the bytes happen to be UTF-8, else signed bytes.
    "  const out = await new Promise((ok, fail) => LZMA.decompress(bytes, (r, e) => e ? fail(e) : ok(r)));"
    "  body = typeof out === 'string' ? new TextEncoder().encode(out) : Uint8Array.from(out, (b) => b & 255);"
    " } else if (bytes[0] === 0x1f && bytes[1] === 0x8b) {"
    "  body = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));"
    " }"
    " return new Response(body, {headers: {'Content-Type': 'application/wasm'}});"
    " })"
)

NOTICE = "/* LZMA-JS decoder, (c) 2015 Nathan Rugg, MIT licence: https://github.com/LZMA-JS/LZMA-JS */"


def main() -> int:
    staging = pathlib.Path(sys.argv[1])
    decoder_path = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else None
    decoder = decoder_path.read_text() if decoder_path and decoder_path.is_file() else None
    if decoder is None:
        print("pack_wasm: the LZMA-JS decoder is not installed (scripts/tools.sh web); storing gzip", file=sys.stderr)
    html_path = staging / "index.html"
    html = html_path.read_text()
    for wasm in staging.glob("*.wasm"):
        data = wasm.read_bytes()
        if data[:4] != b"\0asm":
            continue  # already packed
        if decoder is not None:
            packed = lzma.compress(data, format=lzma.FORMAT_ALONE, filters=LZMA_FILTERS)
            assert packed[0] == LZMA_PROPERTIES, "unexpected LZMA properties"
        else:
            packed = gzip.compress(data, compresslevel=9, mtime=0)
        wasm.write_bytes(packed)
        # init({ module_or_path: 'x_bg.wasm' }) → init({ module_or_path: loader('x_bg.wasm') })
        pattern = re.compile(r"module_or_path:\s*('[^']*" + re.escape(wasm.name) + r"')")
        html, count = pattern.subn(lambda m: f"module_or_path: {LOADER}({m.group(1)})", html)
        if count != 1:
            print(f"pack_wasm: did not find the loader of {wasm.name} in index.html", file=sys.stderr)
            return 1
    if decoder is not None and "LZMA-JS decoder" not in html:
        script = f"<script>{NOTICE}\n{decoder.strip()}</script>"
        html = html.replace("</head>", f"{script}</head>", 1)
    html_path.write_text(html)
    return 0


if __name__ == "__main__":
    sys.exit(main())
