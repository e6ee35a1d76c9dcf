"""Shared set-up for the browser tests: a static server for dist/, headless Chromium with an
exact viewport, and the checks the tests share (axe-core, text overlap in the picture).

Chromium is Debian's, driven through Debian's chromedriver with Selenium. Nothing here reaches
beyond 127.0.0.1: the background-networking flags keep Chromium from calling home.
"""
import functools
import http.server
import os
import pathlib
import shutil
import socketserver
import tempfile
import threading

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]

# axe-core, installed from npm by scripts/tools.sh (pinned there).
AXE = pathlib.Path(os.environ.get("FTPSIM_TOOLS_DIR", pathlib.Path.home() / ".cache/ftpsim-tools")) / "axe/node_modules/axe-core/axe.min.js"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".svg": "image/svg+xml",
    }

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass


class StaticServer:
    """Serves a directory on 127.0.0.1 at a free port, in a background thread."""

    def __init__(self, root: pathlib.Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        socketserver.TCPServer.allow_reuse_address = True
        self.httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class Browser:
    """Headless Chromium with a fresh profile and a viewport of exactly `width` × `height` CSS
    pixels (the size a projector or a phone shows the page at)."""

    def __init__(self, width: int, height: int, reduced_motion: bool = False):
        self.profile = tempfile.mkdtemp(prefix="ftpsim-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_argument(f"--window-size={width},{height + 200}")
        if reduced_motion:
            options.add_argument("--force-prefers-reduced-motion")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(options=options, service=service)
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
        )
        # Files the page saves land here (a test reads them back).
        self.downloads = pathlib.Path(self.profile) / "downloads"
        self.downloads.mkdir()
        self.driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(self.downloads)}
        )
        self.driver.downloads = self.downloads

    def __enter__(self):
        return self.driver

    def __exit__(self, *exc):
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


def console_errors(driver) -> list:
    """Console messages at level SEVERE since the last call."""
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


def axe_violations(driver, impacts=("serious", "critical")) -> list:
    """Runs axe-core on the page as it stands and returns the violations of these impacts, each
    as a short line naming the rule and the elements."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE.read_text())
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations)).catch(e => done(String(e)));"
    )
    if isinstance(result, str):
        raise AssertionError(f"axe-core failed: {result}")
    found = []
    for violation in result:
        if violation.get("impact") in impacts:
            targets = [", ".join(node.get("target", [])) for node in violation.get("nodes", [])][:5]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return found


# The rendered box of every text in the network picture, and the picture's own box.
_TEXT_BOXES = """
const svg = document.querySelector(arguments[0]);
if (!svg) return null;
const frame = svg.getBoundingClientRect();
const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() !== '' && !t.closest('.packet.moving'));
return {frame: [frame.left, frame.top, frame.right, frame.bottom],
        texts: texts.map(t => { const r = t.getBoundingClientRect();
                                return [t.textContent, r.left, r.top, r.right, r.bottom]; })};
"""


def picture_text_problems(driver, selector="svg.topology") -> list:
    """Texts of the picture that overlap one another or reach outside the picture, as measured
    by the browser (a label and the ✕ or dot it stands on are not compared: a packet's mark
    sits in its label's group on purpose)."""
    data = driver.execute_script(_TEXT_BOXES, selector)
    if data is None:
        return ["no picture on the page"]
    left, top, right, bottom = data["frame"]
    problems = []
    boxes = data["texts"]
    tolerance = 0.5
    for text, x0, y0, x1, y1 in boxes:
        if x0 < left - tolerance or x1 > right + tolerance or y0 < top - tolerance or y1 > bottom + tolerance:
            problems.append(f"'{text}' is cut by the picture's edge")
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[i + 1:]:
            if {a, b} & {"✕"}:
                continue
            if ax0 < bx1 - tolerance and bx0 < ax1 - tolerance and ay0 < by1 - tolerance and by0 < ay1 - tolerance:
                problems.append(f"'{a}' overlaps '{b}'")
    return problems
