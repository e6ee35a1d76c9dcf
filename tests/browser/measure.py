#!/usr/bin/env python3
"""Measures the release build in headless Chromium: how long from navigation until the class can
take its first step, and the longest main-thread task while a whole session plays.

    python tests/browser/measure.py --dist dist [--lesson active-nat] [--runs 5]

"First step possible" is the moment the Step forward button is on the page (the engine has
played the whole session by then: the page runs it before it first draws). Long tasks come from
the browser's own PerformanceObserver ("longtask": main-thread tasks over 50 ms); the script also
reports the longest gap between animation frames during playback, which catches shorter stalls.
Numbers depend on the machine; BENCHMARKS.md records them with the machine they came from.
"""
import argparse
import json
import pathlib
import statistics
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import Browser, StaticServer

PROBE = """
window.__ftpsim = { longTasks: [], firstStep: null, frameGaps: [] };
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) window.__ftpsim.longTasks.push(entry.duration);
}).observe({ type: 'longtask', buffered: true });
new MutationObserver((_, observer) => {
  if (document.querySelector('button[aria-label="Step forward"]')) {
    window.__ftpsim.firstStep = performance.now();
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
let last = null;
function frame(now) {
  if (last !== null) window.__ftpsim.frameGaps.push(now - last);
  last = now;
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
"""


def measure_once(server, lesson):
    with Browser(1366, 768) as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        driver.get(f"{server.url}#lesson={lesson}")
        WebDriverWait(driver, 30).until(lambda d: d.execute_script("return window.__ftpsim.firstStep"))
        first_step = driver.execute_script("return window.__ftpsim.firstStep")
        time.sleep(0.5)
        load_tasks = driver.execute_script("return window.__ftpsim.longTasks")
        Select(driver.find_element(By.XPATH, "//label[contains(., 'Speed')]/select")).select_by_visible_text("8×")
        driver.execute_script("window.__ftpsim.frameGaps = []; window.__ftpsim.longTasks = []")
        driver.find_element(By.CSS_SELECTOR, 'button[aria-label="Play"]').click()
        scrubber = driver.find_element(By.CSS_SELECTOR, ".scrubber input")
        started = time.monotonic()
        WebDriverWait(driver, 180).until(
            lambda d: d.find_element(By.CSS_SELECTOR, ".scrubber input").get_attribute("value")
            == d.find_element(By.CSS_SELECTOR, ".scrubber input").get_attribute("max")
        )
        played = time.monotonic() - started
        events = int(scrubber.get_attribute("max")) + 1
        data = driver.execute_script("return window.__ftpsim")
        return {
            "first_step_ms": round(first_step, 1),
            "longest_task_while_loading_ms": round(max(load_tasks, default=0.0), 1),
            "longest_task_ms": round(max(data["longTasks"], default=0.0), 1),
            "long_tasks": len(data["longTasks"]),
            "longest_frame_gap_ms": round(max(data["frameGaps"], default=0.0), 1),
            "events": events,
            "autoplay_s": round(played, 1),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dist", type=pathlib.Path, required=True)
    parser.add_argument("--lesson", default="passive-nat-firewall")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not (args.dist / "index.html").is_file():
        print(f"{args.dist}/index.html is missing: run `trunk build --release` first", file=sys.stderr)
        return 2
    with StaticServer(args.dist) as server:
        runs = [measure_once(server, args.lesson) for _ in range(args.runs)]
    summary = {
        "lesson": args.lesson,
        "runs": runs,
        "median_first_step_ms": statistics.median(run["first_step_ms"] for run in runs),
        "max_longest_task_ms": max(run["longest_task_ms"] for run in runs),
        "max_longest_task_while_loading_ms": max(run["longest_task_while_loading_ms"] for run in runs),
        "max_frame_gap_ms": max(run["longest_frame_gap_ms"] for run in runs),
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
