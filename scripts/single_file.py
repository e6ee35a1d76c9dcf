#!/usr/bin/env python3
"""Turns Trunk's release output into the page as one self-contained file, plus what makes it
installable and offline.

Called by scripts/post-build.sh as `single_file.py STAGING_DIR`, after terser and
short_imports.py. Trunk writes index.html, the CSS, the icon, the wasm-bindgen glue (an ES
module) and the .wasm as separate files. This script leaves in dist/:

  ftpsim.html           the whole app in one file: the wasm, the CSS and the glue LZMA-compressed
                        together and written as text inside the page (base 127), a loader that unpacks them
                        (the CSS into a <style>, the glue run as a function), and the icon as a
                        data: URL. It needs nothing else: it works from any
                        folder of any web server, and opened straight from disk (file://) with no
                        network, e.g. from a USB stick or a course's file area.
  index.html            a few lines that open ftpsim.html with the same fragment, so that the
                        folder's address and old links (`…/#l=…`) keep working.
  sw.js                 the service worker: caches the app's files under a cache named after
                        this build, serves them with no network, and installs a new build beside
                        the old one; the page offers to switch (it never mixes two builds).
  manifest.webmanifest  the web app manifest (installable from the browser's menu), with the icon
                        inside it as a data: URL.

Why one copy of the app: the download budget (210 KB gzip for all of dist/, BENCHMARKS.md)
counts every file, and a second copy of the wasm would double it. The hosted page is therefore
the single file too.

Why LZMA: about 14 % smaller than the best gzip on this wasm, and the CSS and glue packed with
it cost 1.2 KB less than beside it. Browsers cannot unpack LZMA, so a small decoder goes into the
page (scripts/unpack.js, about 0.8 KB gzip). The packed bytes are written in base 127, one-byte
characters only (scripts/unpack.js says why: 1.2 KB smaller than base64 after gzip). This script
checks the decoding against Python on every build (under Node) and fails the build if they
disagree.

FTPSIM_HOSTED_URL (optional, at build time): the address of a hosted copy. The single file
opened from disk then makes its Share links point there; without it, the page says that links
need a hosted copy.
"""
from __future__ import annotations

import hashlib
import html
import json
import lzma
import os
import pathlib
import re
import shutil
import struct
import urllib.parse
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent

# The LZMA coder's settings. Preset 9e, with 4 literal context bits and no position bits
# (lc=4, lp=0, pb=0) instead of the preset's lc=3, pb=2: code bytes depend on the bytes before
# them more than on their position. 0.7 KB smaller on the page's wasm (measured over every
# lc/lp/pb). A 2 MiB dictionary holds the whole wasm (0.6 MB) as the preset's 64 MiB does.
# Matches of 48 bytes are "good enough" to take at once (the preset goes on to 273): 50 bytes
# smaller here, measured over 32–160.
LZMA_FILTERS = [
    {"id": lzma.FILTER_LZMA1, "preset": 9 | lzma.PRESET_EXTREME, "lc": 4, "lp": 0, "pb": 0, "dict_size": 1 << 21,
     "nice_len": 48}
]

APP = "ftpsim.html"
TITLE = "FTP modes — active vs passive, step by step"

# index.html: open the app with the same fragment (a link to the folder names a lesson in it).
REDIRECT = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
    "<script>location.replace('{app}'+location.hash)</script><a href={app}>{title}</a>"
)

# Installs the service worker and the manifest when the page comes from a web server (neither
# works from file://), and offers a new build once it is ready. Only the tab whose "Reload now"
# was pressed reloads: another tab (the projector's, in the middle of a lesson) goes on with the
# version it has, which is whole (the app is one file), and gets the new one when next opened.
SERVICE_WORKER_CLIENT = """
if ('serviceWorker' in navigator && /^http/.test(location.protocol)) {
  const worker = navigator.serviceWorker;
  const controlled = worker.controller;
  let asked = false;
  document.head.insertAdjacentHTML('beforeend', '<link rel=manifest href=manifest.webmanifest>');
  worker.oncontrollerchange = () => asked && location.reload();
  const offer = (waiting) => {
    if (!waiting || !controlled || document.getElementById('update')) return;
    document.body.insertAdjacentHTML('afterbegin', '<p id=update class=message role=status>'
      + 'A new version of the simulator is ready. <button>Reload now</button></p>');
    document.getElementById('update').lastChild.onclick = () => { asked = true; waiting.postMessage('update'); };
  };
  worker.register('sw.js').then((registration) => {
    offer(registration.waiting);
    registration.onupdatefound = () => {
      const installing = registration.installing;
      installing.onstatechange = () => installing.state == 'installed' && offer(installing);
    };
  }, () => {});
}
"""

# The service worker. It caches the app's own files under a cache named after this build and
# this copy's folder, and serves them first, so the page loads with no network after one visit.
# A new build installs beside the old one and waits until a page's "Reload now" asks it to take
# over; then the old build's cache of this folder is deleted (other copies on the same host keep
# theirs). Every file comes from one build's cache: never a mix of two builds.
SERVICE_WORKER = """// Written by ftpsim's scripts/single_file.py
const CACHE = 'ftpsim ' + self.registration.scope + ' ';
const VERSION = CACHE + '{version}';
// Straight from the server, past the browser's HTTP cache (which could hold another build's
// file). A response the host reached through a redirect (ftpsim.html → ftpsim on some hosts) is
// stored as a plain one: a redirected response must not answer a navigation.
const fresh = (file) => fetch(new Request(file, {{ cache: 'reload' }})).then((response) => {{
  if (!response.ok) throw new Error(file + ': ' + response.status);
  // A Response carries the status, status text and headers a new one is made with.
  return response.redirected ? new Response(response.body, response) : response;
}});
const keep = (cache, file) => fresh(file).then((response) => cache.put(file, response));
self.addEventListener('install', (event) => {{
  // The page itself is needed; the folder's own address ('./': not every static host serves
  // index.html for it) and the manifest (a .webmanifest some servers do not know) are kept
  // where the host serves them.
  event.waitUntil(caches.open(VERSION).then((cache) => Promise.all({required}.map((file) => keep(cache, file)))
    .then(() => Promise.all({optional}.map((file) => keep(cache, file).catch(() => {{}}))))));
}});
self.addEventListener('activate', (event) => {{
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((key) => key.startsWith(CACHE) && key !== VERSION)
      .map((key) => caches.delete(key))))
    .then(() => self.clients.claim()));
}});
self.addEventListener('message', (event) => {{
  if (event.data === 'update') self.skipWaiting();
}});
self.addEventListener('fetch', (event) => {{
  if (event.request.method !== 'GET') return;
  event.respondWith(caches.open(VERSION)
    .then((cache) => cache.match(event.request, {{ ignoreSearch: true }}))
    .then((cached) => cached || fetch(event.request)));
}});
"""


def fail(message: str) -> int:
    print(f"single_file: {message}", file=sys.stderr)
    return 1


def one(staging: pathlib.Path, pattern: str) -> pathlib.Path:
    found = sorted(staging.glob(pattern))
    if len(found) != 1:
        raise SystemExit(fail(f"expected one {pattern} in {staging}, found {[p.name for p in found]}"))
    return found[0]


def pack(app: bytes, nice_len: int) -> bytes:
    """LZMA "alone" format with the unpacked size written in its header (the decoder reads it)."""
    filters = [dict(LZMA_FILTERS[0], nice_len=nice_len)]
    packed = bytearray(lzma.compress(app, format=lzma.FORMAT_ALONE, filters=filters))
    # scripts/unpack.js reads the properties byte as lc alone (no position bits).
    assert packed[0] == LZMA_FILTERS[0]["lc"] and LZMA_FILTERS[0]["lp"] == LZMA_FILTERS[0]["pb"] == 0
    packed[5:13] = struct.pack("<Q", len(app))
    return bytes(packed)


# Base 127 (scripts/unpack.js, fromText): 76 bytes as 87 digits; digit d is the character d,
# or d + 1 from 13 on (carriage return, 13, does not survive HTML).
GROUP_BYTES, GROUP_DIGITS = 76, 87
assert 127**GROUP_DIGITS >= 256**GROUP_BYTES


def as_text(data: bytes) -> str:
    data += bytes(-len(data) % GROUP_BYTES)
    digits: list[int] = []
    for start in range(0, len(data), GROUP_BYTES):
        number = int.from_bytes(data[start : start + GROUP_BYTES], "big")
        group = []
        for _ in range(GROUP_DIGITS):
            number, digit = divmod(number, 127)
            group.append(digit)
        digits.extend(reversed(group))
    return "".join(chr(digit if digit < 13 else digit + 1) for digit in digits)


def ends_script_early(text: str) -> bool:
    """Text inside a <script> element must not end it early or open a comment."""
    return re.search(r"</script|<!--|<script", text, re.I) is not None


def packed_text(app: bytes) -> str:
    """The app packed and written as text that is safe inside a <script> element. The text is
    random-looking, so it may spell `<!--` by chance (about one build in a thousand; `</script`
    far less often); then LZMA runs again with another setting, which changes every byte."""
    for nice_len in (48, 64, 96, 128):
        text = as_text(pack(app, nice_len))
        if not ends_script_early(text):
            return text
    raise SystemExit(fail("every packing of the app spells </script or <!-- somewhere"))


def check_unpacking(decoder: str, text: str, app: bytes, staging: pathlib.Path) -> None:
    """Unpacks `text` with scripts/unpack.js under Node, as the page reads it (HTML turns NUL
    into U+FFFD), and compares with the app: a mistake in the decoder fails the build instead of
    the page."""
    node = shutil.which("node")
    if node is None:
        print("single_file: node is not installed; the decoder was not checked", file=sys.stderr)
        return
    if "\r" in text:
        raise SystemExit(fail("the packed text has a carriage return, which HTML would change"))
    probe = staging / "unpack-check.txt"
    probe.write_text(text.replace("\0", "\ufffd"), encoding="utf-8")
    script = decoder + (
        ";const fs=require('fs');const out=unlzma(fromText(fs.readFileSync(process.argv[1],'utf8')));"
        "process.stdout.write(require('crypto').createHash('sha256').update(out).digest('hex'))"
    )
    try:
        result = subprocess.run([node, "-e", script, str(probe)], capture_output=True, text=True, check=False)
    finally:
        probe.unlink()
    if result.stdout != hashlib.sha256(app).hexdigest():
        raise SystemExit(fail(f"scripts/unpack.js does not unpack the app correctly: {result.stderr.strip()}"))


def minify(source: str) -> str:
    """JavaScript minified by terser when it is installed (post-build.sh passes its path), or as
    it is."""
    terser = os.environ.get("FTPSIM_TERSER")
    if terser and pathlib.Path(terser).is_file():
        result = subprocess.run([terser, "--compress", "passes=2", "--mangle"],
                                input=source, capture_output=True, text=True, encoding="utf-8", check=False)
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip()
    return source


def glue_as_function(glue: str) -> str:
    """The wasm-bindgen glue, an ES module, as the body of a function that returns its init
    function: the one `export {…}` statement becomes `return init;`. `import.meta.url` (only
    used to find the .wasm when init is given none; the loader always gives it the bytes)
    becomes the page's address, which a function body may name."""
    exports = list(re.finditer(r"export\s*\{([^}]*)\}\s*;?", glue))
    if len(exports) != 1 or re.search(r"^\s*import\b|[;}]\s*import\s*[{*\w]", glue, re.M):
        raise SystemExit(fail("the wasm-bindgen glue is not a module with one export list and no imports"))
    init = None
    for item in exports[0].group(1).split(","):
        parts = item.split()
        if len(parts) == 3 and parts[1] == "as" and parts[2] == "default":
            init = parts[0]
    if init is None:
        raise SystemExit(fail("the wasm-bindgen glue has no default export (its init function)"))
    body = glue[: exports[0].start()] + f"return {init};" + glue[exports[0].end():]
    body = body.replace("import.meta.url", "location.href")
    if "import.meta" in body:
        raise SystemExit(fail("the wasm-bindgen glue uses import.meta in a way the loader does not know"))
    return body


def safe_in_script(text: str, what: str) -> str:
    """Text that goes inside a <script> element must not end it early or open a comment."""
    if ends_script_early(text):
        raise SystemExit(fail(f"{what} contains a sequence that would end its <script> element"))
    return text


def main() -> int:
    staging = pathlib.Path(sys.argv[1])
    index = staging / "index.html"
    page = index.read_text(encoding="utf-8")
    css_path = one(staging, "*.css")
    icon_path = one(staging, "favicon*.svg")
    wasm_path = one(staging, "*_bg.wasm")
    glue_path = one(staging, wasm_path.name.removesuffix("_bg.wasm") + ".js")
    wasm = wasm_path.read_bytes()
    if wasm[:4] != b"\0asm":
        return fail(f"{wasm_path.name} is not a WebAssembly module")

    css = css_path.read_bytes()
    glue = glue_as_function(glue_path.read_text(encoding="utf-8")).encode()
    app = wasm + css + glue
    blob = packed_text(app)
    decoder = minify((HERE / "unpack.js").read_text(encoding="utf-8"))
    check_unpacking(decoder, blob, app, staging)
    icon = icon_path.read_text(encoding="utf-8").strip()
    hosted = os.environ.get("FTPSIM_HOSTED_URL", "").strip()

    # Trunk's links to the separate files, and its loader, give way to the packed copies.
    page, css_links = re.subn(r"<link\b[^>]*" + re.escape(css_path.name) + r"[^>]*>", "", page)
    icon_url = "data:image/svg+xml," + urllib.parse.quote(icon, safe=" =:/'#;,.")
    page, icon_links = re.subn(r"<link\b[^>]*" + re.escape(icon_path.name) + r"[^>]*>",
                               lambda _: f'<link href="{html.escape(icon_url)}" rel=icon>', page)
    page = re.sub(r"<link\b[^>]*(" + re.escape(glue_path.name) + "|" + re.escape(wasm_path.name) + r")[^>]*>", "", page)
    loader = re.search(r"<script type=\"?module\"?>.*?</script>", page, re.S)
    if css_links != 1 or icon_links != 1 or loader is None or glue_path.name not in loader.group(0):
        return fail("index.html does not look like Trunk's output (stylesheet, icon and module loader)")
    # Unpacks the blob: the wasm, then the CSS (into a <style>), then the glue (run as a
    # function that returns init); then starts the app, which removes the "Loading" note. The
    # wasm's exports stay reachable as window.ftpsimWasm, for tests/browser/memory.py to read
    # the size of its memory.
    # A copy damaged on the way (a mail gateway or an editor that changed its characters), or a
    # browser without WebAssembly, says so in place of the Loading note instead of loading
    # forever; once the app has started (the note is gone), its errors go to the page's
    # stopped-simulator notice as before.
    start = (
        "<script type=module>try{const e=document.getElementById('wasm'),"
        "b=unlzma(fromText(e.textContent)),t=new TextDecoder,"
        "s=document.createElement('style');e.remove();"
        f"s.textContent=t.decode(b.subarray({len(wasm)},{len(wasm) + len(css)}));document.head.append(s);"
        f"window.ftpsimWasm=await Function(t.decode(b.subarray({len(wasm) + len(css)})))()"
        f"({{module_or_path:b.subarray(0,{len(wasm)})}})}}catch(x){{const l=document.getElementById('loading');"
        "if(!l)throw x;l.setAttribute('role','alert');"
        "l.textContent='The simulator could not start ('+x+'). Reload the page, or get a fresh copy of it.'}"
        "</script>"
    )
    page = page[: loader.start()] + page[loader.end():]
    hosted_meta = f'<meta name=ftpsim-hosted-url content="{html.escape(hosted)}">' if hosted else ""
    head_end = (
        f"{hosted_meta}<script>{safe_in_script(decoder, 'the decoder')}</script>"
        f"<script>{safe_in_script(minify(SERVICE_WORKER_CLIENT), 'the worker client')}</script></head>"
    )
    if "</head>" not in page or "</body>" not in page:
        return fail("index.html has no </head> or </body>")
    page = page.replace("</head>", head_end, 1)
    page = page.replace("</body>", f"{start}</body>", 1)
    # The blob goes right after <meta charset> (which must come first): gzip then compresses the
    # page's text in one piece after it, not with 270 KB of base64 in the middle (0.25 KB less).
    charset = re.search(r"<meta charset=\"?utf-8\"?>", page, re.I)
    if charset is None:
        return fail("index.html has no <meta charset=utf-8>")
    page = page[: charset.end()] + f"<script id=wasm type=application/octet-stream>{blob}</script>" + page[charset.end():]

    (staging / APP).write_text(page, encoding="utf-8")
    index.write_text(REDIRECT.format(title=html.escape(TITLE), app=APP), encoding="utf-8")
    for path in (css_path, wasm_path, glue_path):
        path.unlink()
    icon_path.unlink()
    manifest = {
        "name": TITLE,
        "short_name": "FTP modes",
        "start_url": f"./{APP}",
        "display": "standalone",
        "theme_color": "#1d3557",
        "icons": [{"src": icon_url, "sizes": "any", "type": "image/svg+xml"}],
    }
    (staging / "manifest.webmanifest").write_text(json.dumps(manifest, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    required, optional = ["index.html", APP], ["./", "manifest.webmanifest"]
    version = hashlib.sha256(b"".join((staging / name).read_bytes() for name in (*required, optional[1]))).hexdigest()[:16]
    worker = SERVICE_WORKER.format(version=version, required=json.dumps(required), optional=json.dumps(optional))
    heading = worker.splitlines(keepends=True)[0]
    (staging / "sw.js").write_text(heading + minify(worker), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
