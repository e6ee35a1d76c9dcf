#!/usr/bin/env python3
"""Browser tests of the release build in headless Chromium.

Run by scripts/test.sh after `trunk build --release`:
    python tests/browser/test_app.py --dist dist --artifacts artifacts
Screenshots of each checked state are written to the artifacts directory.
"""
import argparse
import pathlib
import sys
import unittest

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from harness import Browser, StaticServer, console_errors

ARGS = None


class PageLoads(unittest.TestCase):
    def test_page_loads_without_console_errors(self):
        with StaticServer(ARGS.dist) as server, Browser(1366, 768) as driver:
            driver.get(server.url)
            heading = WebDriverWait(driver, 20).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
            self.assertIn("FTP", heading.text)
            self.assertEqual(console_errors(driver), [])
            driver.save_screenshot(str(ARGS.artifacts / "page-1366x768.png"))


def main() -> int:
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=pathlib.Path, required=True)
    parser.add_argument("--artifacts", type=pathlib.Path, required=True)
    ARGS, rest = parser.parse_known_args()
    ARGS.artifacts.mkdir(parents=True, exist_ok=True)
    if not (ARGS.dist / "index.html").is_file():
        print(f"{ARGS.dist}/index.html is missing: run `trunk build --release` first", file=sys.stderr)
        return 2
    program = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
