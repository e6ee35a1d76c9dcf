#!/usr/bin/env python3
"""The page's memory over a long class: autoplay at 8× through every lesson, again and again,
for as long as asked (45 minutes by default, a double lesson), in headless Chromium.

    python tests/browser/memory.py --dist dist [--minutes 45] [--every 5] [--out memory.json]

Every few minutes it records the WebAssembly memory (the engine's whole state: the session's
timeline with its snapshots, the comparison runs, the page's own state; read from the wasm's
exported memory, which the release build leaves at window.ftpsimWasm) and the JavaScript heap
(Chromium's own count, through the DevTools protocol, right after a garbage collection). A page that leaks grows with every lesson
played; one that does not levels off after the largest lesson. A WebAssembly memory never
shrinks (the allocator reuses it), so its size is the high-water mark.

BENCHMARKS.md records the figures with the machine they came from. Not a test: it takes as long
as the class it imitates, so scripts/test.sh does not run it.
"""
import argparse
import json
import pathlib
import sys
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import Browser, StaticServer


def sample(driver, started, lessons_played):
    # What is still reachable, not what the collector has not got round to yet.
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    wasm = driver.execute_script("return window.ftpsimWasm ? window.ftpsimWasm.memory.buffer.byteLength : null")
    heap = driver.execute_cdp_cmd("Runtime.getHeapUsage", {})
    return {
        "minutes": round((time.monotonic() - started) / 60, 1),
        "lessons_played": lessons_played,
        "wasm_memory_mb": round(wasm / 1e6, 1) if wasm else None,
        "js_heap_used_mb": round(heap["usedSize"] / 1e6, 1),
        "js_heap_total_mb": round(heap["totalSize"] / 1e6, 1),
        "dom_nodes": driver.execute_cdp_cmd("Memory.getDOMCounters", {})["nodes"],
    }


def play_to_the_end(driver, timeout):
    """Presses Play at 8× and waits until the scrubber reaches its end."""
    driver.find_element(By.CSS_SELECTOR, 'button[aria-label="Play"]').click()
    WebDriverWait(driver, timeout).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".scrubber input").get_attribute("value")
        == d.find_element(By.CSS_SELECTOR, ".scrubber input").get_attribute("max"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dist", type=pathlib.Path, required=True)
    parser.add_argument("--minutes", type=float, default=45)
    parser.add_argument("--every", type=float, default=5, help="minutes between samples")
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    if not (args.dist / "ftpsim.html").is_file():
        print(f"{args.dist}/ftpsim.html is missing: run `scripts/trunk-release.sh build --release` first", file=sys.stderr)
        return 2
    samples = []
    with StaticServer(args.dist) as server, Browser(1366, 768, reduced_motion=False) as driver:
        driver.get(server.url + "ftpsim.html")
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "svg.topology"))
        time.sleep(1)
        started = time.monotonic()
        played = 0
        samples.append(sample(driver, started, played))
        print(json.dumps(samples[-1]), flush=True)
        menu = "lesson-menu"
        lessons = [option.get_attribute("value") for option in
                   driver.find_element(By.ID, menu).find_elements(By.TAG_NAME, "option") if option.get_attribute("value")]
        next_sample = started + args.every * 60
        while time.monotonic() - started < args.minutes * 60:
            lesson = lessons[played % len(lessons)]
            Select(driver.find_element(By.ID, menu)).select_by_value(lesson)
            WebDriverWait(driver, 30).until(lambda d: f"lesson={lesson}" in d.execute_script("return location.hash"))
            Select(driver.find_element(By.XPATH, "//label[contains(., 'Speed')]/select")).select_by_visible_text("8×")
            play_to_the_end(driver, timeout=600)
            played += 1
            if time.monotonic() >= next_sample:
                samples.append(sample(driver, started, played))
                print(json.dumps(samples[-1]), flush=True)
                next_sample += args.every * 60
        samples.append(sample(driver, started, played))
        print(json.dumps(samples[-1]), flush=True)
    summary = {"lessons": len(lessons), "played": played, "samples": samples}
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")
    first, last = samples[0], samples[-1]
    print(f"wasm memory {first['wasm_memory_mb']} MB at the start, {last['wasm_memory_mb']} MB after "
          f"{last['minutes']} min ({played} lessons); JS heap {first['js_heap_used_mb']} → {last['js_heap_used_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
