"""Shared set-up for the browser tests: a static server for dist/ and headless Chromium.

Chromium is Debian's, driven through Debian's chromedriver with Selenium. Nothing here reaches
beyond 127.0.0.1: the background-networking flags keep Chromium from calling home.
"""
import functools
import http.server
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
    """A headless Chromium window of a given size, with a fresh profile."""

    def __init__(self, width: int, height: int, reduced_motion: bool = False):
        self.profile = tempfile.mkdtemp(prefix="ftpsim-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.add_argument(f"--window-size={width},{height}")
        if reduced_motion:
            options.add_argument("--force-prefers-reduced-motion")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(options=options, service=service)
        self.driver.set_window_size(width, height)

    def __enter__(self):
        return self.driver

    def __exit__(self, *exc):
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


def console_errors(driver) -> list:
    """Console messages at level SEVERE since the last call."""
    return [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
