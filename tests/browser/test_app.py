#!/usr/bin/env python3
"""Browser tests of the release build in headless Chromium (Debian's chromium + chromedriver).

Run by scripts/test.sh after `trunk build --release`:
    python tests/browser/test_app.py --dist dist --artifacts artifacts
Each test checks what a teacher met in class, at the sizes a classroom has: a 1280×720
projector, a 1366×768 laptop, a 1920×1080 screen and a 390×844 phone. Screenshots of every
checked state are written to the artifacts directory; axe-core checks accessibility.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from xml.etree import ElementTree

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import Browser, StaticServer, axe_violations, console_errors, picture_text_problems

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARGS = None
SERVER = None
PROJECTOR, LAPTOP, DESKTOP, PHONE = (1280, 720), (1366, 768), (1920, 1080), (390, 844)


def wait_for(driver, condition, timeout=20, message="condition"):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d), message)


def by_name(driver, role_tag, name):
    """The element of this tag whose accessible name is `name` (what a screen reader announces).
    The page redraws parts of itself, so a search that meets a replaced element starts over."""
    for _ in range(5):
        try:
            for element in driver.find_elements(By.CSS_SELECTOR, role_tag):
                if element.accessible_name == name:
                    return element
            break
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"no {role_tag} named {name!r}")


def transcript(driver):
    # textContent: lines scrolled out of view count too.
    return driver.find_element(By.CSS_SELECTOR, '[role="log"][aria-label="Transcript"]').get_attribute("textContent")


def verdict(driver):
    return driver.find_element(By.CSS_SELECTOR, '[role="status"][aria-label="Verdict"]').text


def caption(driver):
    return driver.find_element(By.CSS_SELECTOR, ".caption-panel").text


def scrubber(driver):
    element = driver.find_element(By.CSS_SELECTOR, ".scrubber input")
    return int(element.get_attribute("value")), int(element.get_attribute("max"))


def position(driver):
    return scrubber(driver)[0]


def last(driver):
    return scrubber(driver)[1]


def key(driver, name, times=1, pause=0.05):
    """Sends a key to the page the way a clicker does: to whatever has the focus."""
    for _ in range(times):
        driver.switch_to.active_element.send_keys(name)
        time.sleep(pause)


def open_page(driver, fragment=""):
    # A new fragment alone would not load the page again.
    driver.get("about:blank")
    driver.get(SERVER.url + fragment)
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.topology"), message="the picture is drawn")


def shoot(driver, name):
    width = driver.execute_script("return window.innerWidth")
    driver.save_screenshot(str(ARGS.artifacts / f"{name}-{width}.png"))


def settle(driver):
    """Waits until a step under way has landed (packets stop hopping)."""
    time.sleep(0.15)
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".packet.moving") or True)
    time.sleep(0.5)


def to_stage(driver):
    """Gives the keyboard to the network picture, as a click on it would."""
    driver.execute_script("document.querySelector('section.picture').focus()")


def checked(driver, setting_id):
    return driver.find_element(By.ID, setting_id).is_selected()


def active_is(driver, element):
    return driver.execute_script("return document.activeElement === arguments[0]", element)


class Page(unittest.TestCase):
    def assertNoConsoleErrors(self, driver):
        errors = console_errors(driver)
        self.assertEqual(errors, [], "\n".join(entry["message"] for entry in errors))

    def assertAccessible(self, driver, state):
        found = axe_violations(driver)
        self.assertEqual(found, [], f"axe-core, {state}:\n" + "\n".join(found))

    def assertNoHorizontalScroll(self, driver):
        width, inner = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
        self.assertLessEqual(width, inner, "the page scrolls sideways")


class Classroom(Page):
    def test_page_loads_offline_with_every_control_named(self):
        for width, height in (PROJECTOR, LAPTOP, DESKTOP, PHONE):
            with self.subTest(size=f"{width}x{height}"), Browser(width, height) as driver:
                open_page(driver)
                for tag, name in [
                    ("button", "Step forward"),
                    ("button", "Step back"),
                    ("button", "Play"),
                    ("button", "Restart"),
                    ("button", "Jump to end"),
                    ("select", "Speed"),
                    ("select", "Step by"),
                    ("select", "Mode"),
                    ("select", "Operation"),
                    ("input", "Client firewall"),
                    ("input", "Client NAT"),
                    ("input", "FTP helper (ALG)"),
                    ("select", "Server firewall"),
                    ("input", "Server behind NAT"),
                    ("input", "Control port"),
                    ("select", "Lesson"),
                ]:
                    element = by_name(driver, tag, name)
                    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
                    self.assertTrue(element.is_displayed(), f"{name} is visible")
                self.assertTrue(driver.find_elements(By.CSS_SELECTOR, '[role="log"][aria-label="Transcript"]'))
                self.assertTrue(driver.find_elements(By.CSS_SELECTOR, '[role="status"][aria-label="Verdict"]'))
                self.assertFalse(driver.find_elements(By.ID, "loading"), "the loading note is gone once the app runs")
                self.assertTrue(driver.find_elements(By.CSS_SELECTOR, '[aria-live="polite"]'), "steps are announced")
                # Everything the page loaded came from its own origin: it works offline from dist/.
                urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
                self.assertTrue(urls, "the page loaded its resources")
                for url in urls:
                    self.assertTrue(url.startswith(SERVER.url), f"{url} is not from {SERVER.url}")
                self.assertNoHorizontalScroll(driver)
                driver.execute_script("window.scrollTo(0, 0)")
                self.assertAccessible(driver, f"start, {width}x{height}")
                shoot(driver, "01-start")
                self.assertNoConsoleErrors(driver)

    def test_key_moments_stop_on_the_data_connection_before_150(self):
        """1. Stepping by key moments stops at the data connection's SYN and at each device's
        decision on it, each retry is one stop of its own, and a running timeout counts down."""
        for lesson, opened_by in [("active-client-firewall", "Server opens data connection 1"),
                                  ("passive-nat-firewall", "Client opens data connection 1")]:
            with self.subTest(lesson=lesson), Browser(*LAPTOP, reduced_motion=True) as driver:
                open_page(driver, f"#lesson={lesson}")
                headlines = []
                saw_syn_before_150 = False
                for _ in range(80):
                    key(driver, Keys.ARROW_RIGHT)
                    headline = driver.find_element(By.CSS_SELECTOR, ".caption-panel .headline").text
                    headlines.append(headline)
                    if headline == opened_by:
                        self.assertNotIn("150 ", transcript(driver), "the SYN stop comes before 150")
                        self.assertIn("data connection 1: SYN", transcript(driver), "the transcript shows the data connection")
                        saw_syn_before_150 = True
                        shoot(driver, f"02-{lesson}-data-syn")
                    if "Retry 2 of 6" in headline:
                        countdown = driver.find_element(By.CSS_SELECTOR, ".countdowns").text
                        self.assertRegex(countdown, r"425 in \d+ s", "the class sees the server's timeout run")
                        shoot(driver, f"02-{lesson}-retry")
                    if position(driver) >= last(driver):
                        break
                self.assertTrue(saw_syn_before_150, f"{lesson}: no stop on the data connection's SYN in {headlines}")
                decisions = [h for h in headlines if re.search(r"(lets the|drops the SYN|drops it again|expected connection)", h)]
                self.assertTrue(decisions, f"{lesson}: a device's decision on the SYN is a stop: {headlines}")
                if lesson == "active-client-firewall":
                    retries = [h for h in headlines if h.startswith("Retry ")]
                    self.assertGreaterEqual(len(retries), 5, headlines)
                    self.assertEqual(len(set(retries)), len(retries), "no two retries are the same stop")
                self.assertNoConsoleErrors(driver)

    def test_a_key_moment_holds_long_enough_to_read_at_1x(self):
        with Browser(*LAPTOP) as driver:
            open_page(driver, "#lesson=passive-nat-firewall")
            by_name(driver, "button", "Play").click()
            start = time.time()
            first = position(driver)
            # The first key moment reached during playback stays on screen about 2.8 s at 1×.
            wait_for(driver, lambda d: position(d) != first, message="playback moves")
            moved = position(driver)
            time.sleep(1.5)
            self.assertEqual(position(driver), moved, "a key moment holds well beyond a second")
            self.assertLess(time.time() - start, 10)
            by_name(driver, "button", "Pause").click()

    def test_the_ladder_is_legible_and_keyboard_operable(self):
        """2. A lane per place, rows at a legible size, buttons reached with Tab that go there."""
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-client-firewall")
            key(driver, Keys.END)
            wait_for(driver, lambda d: "Failed" in verdict(d))
            rows = driver.find_elements(By.CSS_SELECTOR, ".ladder-row")
            self.assertGreater(len(rows), 20)
            sizes = driver.execute_script(
                "return [...document.querySelectorAll('.ladder-row .hop-label, .ladder-row .time, .ladder-heads span')]"
                ".map(e => parseFloat(getComputedStyle(e).fontSize))")
            self.assertGreaterEqual(min(sizes), 12, "ladder text is at least 12 px")
            height = driver.execute_script("return document.querySelector('.ladder-row').getBoundingClientRect().height")
            self.assertGreaterEqual(height, 24, "rows are tall enough to read and to click")
            self.assertTrue(driver.find_elements(By.CSS_SELECTOR, ".ladder-row.stopped"), "the drop stops at a lane")
            current = driver.find_element(By.CSS_SELECTOR, '.ladder [aria-current="step"]')
            visible = driver.execute_script(
                "const r = arguments[0].getBoundingClientRect(), c = arguments[0].closest('.ladder-rows').getBoundingClientRect();"
                "return r.top >= c.top - 1 && r.bottom <= c.bottom + 1", current)
            self.assertTrue(visible, "the current row is scrolled into view")
            # Tab from the ladder's tab reaches its rows; Enter goes to that moment.
            driver.find_element(By.ID, "tab-ladder").click()
            for _ in range(5):
                key(driver, Keys.TAB)
                if "ladder-row" in (driver.switch_to.active_element.get_attribute("class") or ""):
                    break
            row = driver.switch_to.active_element
            self.assertIn("ladder-row", row.get_attribute("class"), "a row is reachable with Tab")
            before = position(driver)
            key(driver, Keys.ENTER)
            wait_for(driver, lambda d: position(d) != before, message="Enter on a row goes there")
            self.assertTrue(active_is(driver, row), "the keyboard stays on the row")
            shoot(driver, "03-ladder")
            self.assertNoConsoleErrors(driver)

    def test_topology_text_never_overlaps_or_is_cut(self):
        """3. Labels, badges, callouts and packet labels never overlap or run off the picture."""
        lessons = ["active-nat-helper", "helper-blind-port", "server-nat-classic-client", "epsv-ipv6", "encrypted-control"]
        for size in (PROJECTOR, LAPTOP, DESKTOP):
            with self.subTest(size=size), Browser(*size, reduced_motion=True) as driver:
                for lesson in lessons:
                    open_page(driver, f"#lesson={lesson}")
                    for step in range(60):
                        problems = picture_text_problems(driver)
                        self.assertEqual(problems, [], f"{lesson} at stop {step}, {size}")
                        if position(driver) >= last(driver):
                            break
                        key(driver, Keys.ARROW_RIGHT, pause=0.02)
                shoot(driver, "04-picture-at-end")
                # And in presenter mode, with its larger type.
                open_page(driver, "#lesson=server-nat-helper")
                by_name(driver, "button", "Presenter mode").click()
                to_stage(driver)
                for step in range(40):
                    self.assertEqual(picture_text_problems(driver), [], f"presenter, stop {step}, {size}")
                    key(driver, Keys.ARROW_RIGHT, pause=0.02)

    def test_presenter_mode_is_a_layout_of_its_own(self):
        """5. Full-width picture, no sidebar, badges and packet labels of at least 18 px at
        1280×720, the other end's view kept, every text readable (contrast checked by axe)."""
        with Browser(*PROJECTOR, reduced_motion=True) as driver:
            open_page(driver, "#lesson=passive-nat-firewall")
            by_name(driver, "button", "Presenter mode").click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "main.presenter"))
            driver.execute_script("if (document.fullscreenElement) document.exitFullscreen()")
            self.assertFalse(driver.find_element(By.CSS_SELECTOR, "aside.side").is_displayed(), "the sidebar is hidden")
            width = driver.execute_script("return document.querySelector('svg.topology').getBoundingClientRect().width")
            self.assertGreater(width, 1200, "the picture takes the full width")
            Select(by_name(driver, "select", "Step by")).select_by_visible_text("packets")
            to_stage(driver)
            for _ in range(40):
                key(driver, Keys.ARROW_RIGHT)
                if driver.find_elements(By.CSS_SELECTOR, ".packet-label"):
                    break
            settle(driver)
            px = driver.execute_script(
                "const svg = document.querySelector('svg.topology');"
                "const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;"
                "const size = sel => [...svg.querySelectorAll(sel)].map(t => parseFloat(t.getAttribute('font-size')) * scale);"
                "return {badges: size('.badge-text'), packets: size('.packet-label'), names: size('.node-name')}")
            self.assertTrue(px["badges"] and px["packets"], px)
            self.assertGreaterEqual(min(px["badges"]), 18, f"badges: {px['badges']}")
            self.assertGreaterEqual(min(px["packets"]), 18, f"packet labels: {px['packets']}")
            for _ in range(40):
                if driver.find_elements(By.CSS_SELECTOR, ".far-label"):
                    break
                key(driver, Keys.ARROW_RIGHT)
            self.assertTrue(driver.find_elements(By.CSS_SELECTOR, ".far-label"), "the other end's view is kept")
            caption_px = driver.execute_script(
                "return parseFloat(getComputedStyle(document.querySelector('.caption-panel .body')).fontSize)")
            self.assertGreaterEqual(caption_px, 19, "the caption is large")
            self.assertAccessible(driver, "presenter mode")
            shoot(driver, "05-presenter")
            self.assertNoConsoleErrors(driver)

    def test_the_form_always_equals_the_run(self):
        """4. Cancel, Escape and Restart act on every pending change; the old run waits."""
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-nat")
            # At the start a change simply applies: no panel.
            driver.find_element(By.ID, "setting-client-alg").click()
            wait_for(driver, lambda d: checked(d, "setting-client-alg"))
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, ".pending-change"), "no panel at the start")
            driver.find_element(By.ID, "setting-client-alg").click()
            wait_for(driver, lambda d: not checked(d, "setting-client-alg"))

            key(driver, Keys.ARROW_RIGHT, 4)
            at = position(driver)
            # Two changes queue in one panel.
            driver.find_element(By.ID, "setting-client-alg").click()
            panel = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".pending-change"))[0]
            Select(driver.find_element(By.ID, "setting-server-firewall")).select_by_value("control-only")
            wait_for(driver, lambda d: "Server firewall" in d.find_element(By.CSS_SELECTOR, ".pending-change").text)
            text = driver.find_element(By.CSS_SELECTOR, ".pending-change").text
            self.assertIn("FTP helper (ALG) off → on", text)
            self.assertTrue(checked(driver, "setting-client-alg"), "the form shows the queued change")
            self.assertEqual(len(driver.find_elements(By.CSS_SELECTOR, ".settings .changed")), 2, "both are marked")
            shoot(driver, "06-two-changes-waiting")
            # The old run waits underneath.
            key(driver, Keys.ARROW_RIGHT, 3)
            self.assertEqual(position(driver), at, "no stepping while changes wait")
            # Escape cancels both.
            key(driver, Keys.ESCAPE)
            wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".pending-change"))
            self.assertFalse(checked(driver, "setting-client-alg"), "Escape puts the form back")
            self.assertEqual(Select(driver.find_element(By.ID, "setting-server-firewall")).first_selected_option.get_attribute("value"), "passive-range")
            # Cancel does the same.
            driver.find_element(By.ID, "setting-client-alg").click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".pending-change"))
            by_name(driver, "button", "Cancel (Esc)").click()
            wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".pending-change"))
            self.assertFalse(checked(driver, "setting-client-alg"), "Cancel puts the form back")
            # Branch is offered mid-session; the top Restart applies both changes and closes the panel.
            driver.find_element(By.ID, "setting-client-alg").click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".pending-change"))
            self.assertTrue(by_name(driver, "button", "Branch from this step"))
            Select(driver.find_element(By.ID, "setting-server-firewall")).select_by_value("control-only")
            by_name(driver, "button", "Restart").click()
            wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".pending-change"))
            self.assertEqual(position(driver), 0, "a fresh run")
            self.assertTrue(checked(driver, "setting-client-alg"))
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, ".settings .changed"), "nothing is waiting")
            # At the end a change re-runs and shows the new verdict.
            key(driver, Keys.END)
            wait_for(driver, lambda d: "Failed" in verdict(d) or "Completed" in verdict(d))
            before = verdict(driver)
            driver.find_element(By.ID, "setting-client-alg").click()
            wait_for(driver, lambda d: verdict(d) != before, message="a new verdict")
            self.assertEqual(position(driver), last(driver), "still at the end")
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, ".pending-change"))
            self.assertNoConsoleErrors(driver)

    def test_a_branch_says_so_and_nothing_contradicts_it(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-nat")
            key(driver, Keys.ARROW_RIGHT, 4)
            driver.find_element(By.ID, "setting-client-alg").click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".pending-change"))
            by_name(driver, "button", "Branch from this step").click()
            wait_for(driver, lambda d: "Settings changed mid-session" in caption(d))
            self.assertIn("only follows connections that start after", caption(driver))
            key(driver, Keys.END)
            wait_for(driver, lambda d: "Failed" in verdict(d))
            self.assertIn("changed mid-session", verdict(driver))
            self.assertIn("switched on after the control connection opened", verdict(driver))
            self.assertIn("fresh run", driver.find_element(By.CSS_SELECTOR, ".comparison").text)
            shoot(driver, "07-branched")

    def test_the_quiz_cannot_be_spoiled(self):
        """6. Jump to end, End and the scrubber stop at the question until the class answers."""
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-client-firewall")
            by_name(driver, "input", "Quiz mode").click()
            by_name(driver, "button", "Jump to end").click()
            quiz = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '.quiz'))
            at = position(driver)
            self.assertLess(at, last(driver))
            key(driver, Keys.END)
            driver.execute_script(
                "const s = document.querySelector('.scrubber input'); s.value = s.max;"
                "s.dispatchEvent(new Event('input', {bubbles: true}))")
            time.sleep(0.3)
            self.assertEqual(position(driver), at, "the scrubber stops at the question")
            self.assertIn("in progress", verdict(driver))
            self.assertIn("Hidden until", driver.find_element(By.CSS_SELECTOR, ".comparison").text)
            self.assertAccessible(driver, "quiz")
            shoot(driver, "08-quiz")
            by_name(driver, "button", "It fails at the home router").click()
            wait_for(driver, lambda d: "Right" in d.find_element(By.CSS_SELECTOR, ".quiz").text)
            self.assertTrue(active_is(driver, by_name(driver, "button", "It fails at the home router")), "focus stays")
            by_name(driver, "button", "Jump to end").click()
            wait_for(driver, lambda d: "Failed" in verdict(d))
            self.assertNoConsoleErrors(driver)

    def test_focus_returns_to_the_stage_and_to_what_was_activated(self):
        """8. After a lesson pick the clicker steps the run; Enter on a transcript line or the
        verdict's link keeps the keyboard where it was."""
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver)
            lesson = driver.find_element(By.ID, "lesson-menu")
            lesson.click()
            Select(lesson).select_by_value("active-nat")
            wait_for(driver, lambda d: "Active mode behind NAT" in caption(d))
            stage = driver.find_element(By.CSS_SELECTOR, "section.picture")
            wait_for(driver, lambda d: active_is(d, stage), message="the stage has the keyboard")
            key(driver, Keys.ARROW_RIGHT)
            self.assertGreater(position(driver), 0, "→ steps the run, not the lesson menu")
            self.assertEqual(Select(driver.find_element(By.ID, "lesson-menu")).first_selected_option.get_attribute("value"), "active-nat")
            key(driver, Keys.ARROW_RIGHT, 6)
            line = driver.find_elements(By.CSS_SELECTOR, ".transcript button.seek")[2]
            driver.execute_script("arguments[0].focus()", line)
            key(driver, Keys.ENTER)
            time.sleep(0.3)
            self.assertTrue(active_is(driver, line), "focus stays on the transcript line")
            key(driver, Keys.END)
            link = wait_for(driver, lambda d: by_name(d, "button", "Show where it went wrong"))
            driver.execute_script("arguments[0].focus()", link)
            key(driver, Keys.ENTER)
            wait_for(driver, lambda d: position(d) < last(d))
            self.assertTrue(active_is(driver, by_name(driver, "button", "Show where it went wrong")), "focus stays on the link")
            self.assertAccessible(driver, "at a failure")
            shoot(driver, "09-where-it-went-wrong")

    def test_the_phone_stacks_the_panels_without_sideways_scrolling(self):
        """9. At 390 px nothing scrolls sideways; the picture stands upright."""
        with Browser(*PHONE, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-nat-helper")
            self.assertNoHorizontalScroll(driver)
            box = driver.execute_script("const b = document.querySelector('svg.topology').viewBox.baseVal; return [b.width, b.height]")
            self.assertLess(box[0], box[1], "the picture is taller than wide")
            key(driver, Keys.ARROW_RIGHT, 25)
            self.assertNoHorizontalScroll(driver)
            self.assertEqual(picture_text_problems(driver), [])
            heights = driver.execute_script(
                "return ['.transcript', '.ladder-rows'].map(s => document.querySelector(s).getBoundingClientRect().height)")
            self.assertGreaterEqual(min(heights), 200, "the transcript and the ladder keep room to read")
            shoot(driver, "10-phone")
            driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
            shoot(driver, "10-phone-bottom")
            by_name(driver, "input", "Side by side").click()
            wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".pane")) == 2)
            self.assertNoHorizontalScroll(driver)
            self.assertNoConsoleErrors(driver)

    def test_the_settings_form_keeps_its_nodes_across_a_step(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=passive-nat-firewall")
            key(driver, Keys.ARROW_RIGHT, 3)
            time.sleep(1)
            driver.execute_script(
                "document.getElementById('setting-client-firewall').ftpsimMark = 1;"
                "document.querySelector('.transcript li').ftpsimMark = 1;")
            key(driver, Keys.ARROW_RIGHT, 5)
            time.sleep(1)
            kept = driver.execute_script(
                "return [document.getElementById('setting-client-firewall').ftpsimMark,"
                " document.querySelector('.transcript li').ftpsimMark]")
            self.assertEqual(kept, [1, 1], "the form and the earlier transcript lines are the same nodes")

    def test_side_by_side_is_readable_and_shares_one_counter(self):
        """7. Each pane has its own picture, caption and verdict; one counter for both."""
        for size in (LAPTOP, DESKTOP):
            with self.subTest(size=size), Browser(*size, reduced_motion=True) as driver:
                open_page(driver, "#lesson=active-nat")
                by_name(driver, "input", "Side by side").click()
                panes = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".pane"))
                self.assertEqual(len(panes), 2)
                key(driver, Keys.ARROW_RIGHT, 3)
                self.assertIn("step 4 of", driver.find_element(By.CSS_SELECTOR, ".clock").text)
                self.assertEqual(position(driver), 3, "the scrubber counts shared steps")
                for pane in driver.find_elements(By.CSS_SELECTOR, ".pane"):
                    self.assertTrue(pane.find_element(By.CSS_SELECTOR, ".pane-caption .headline").text)
                    px = driver.execute_script(
                        "const svg = arguments[0].querySelector('svg');"
                        "const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;"
                        "return Math.min(...[...svg.querySelectorAll('.address, .badge-text, .node-name')]"
                        "  .map(t => parseFloat(t.getAttribute('font-size')) * scale))", pane)
                    self.assertGreaterEqual(px, 10.5, "pane text is readable")
                key(driver, Keys.END)
                verdicts = [v.text for v in driver.find_elements(By.CSS_SELECTOR, ".pane-verdict")]
                self.assertIn("Failed", verdicts[0])
                self.assertIn("Completed", verdicts[1])
                self.assertEqual(picture_text_problems(driver, ".pane svg.topology"), [])
                self.assertAccessible(driver, "side by side")
                shoot(driver, "11-side-by-side")
                self.assertNoConsoleErrors(driver)

    def test_bad_input_keeps_the_page_working(self):
        with Browser(*LAPTOP) as driver:
            open_page(driver, "#lesson=<img src=x onerror=alert(1)>")
            alert = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[role="alert"]'))
            self.assertIn("there is no lesson called", alert[0].text)
            self.assertIn("shows it without that part", alert[0].text, "it says what was shown instead")
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, "img"), "nothing typed becomes markup")
            by_name(driver, "button", "Dismiss").click()
            port = by_name(driver, "input", "Control port")
            port.send_keys(Keys.CONTROL, "a")
            port.send_keys("50500", Keys.TAB)
            alert = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[role="alert"]'))
            self.assertIn("passive range", alert[0].text)
            wait_for(driver, lambda d: by_name(d, "input", "Control port").get_attribute("value") == "21",
                     message="the previous value is shown again")
            to_stage(driver)
            key(driver, Keys.END)
            wait_for(driver, lambda d: "Completed" in verdict(d), message="the page still works")
            self.assertNoConsoleErrors(driver)

    def test_the_client_and_server_programs_can_be_switched(self):
        """Issue 8: the page switches profiles; the transcript follows the chosen programs."""
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=passive-nat-firewall")
            log = lambda d: d.find_element(By.CSS_SELECTOR, '[role="log"][aria-label="Transcript"]').text
            key(driver, Keys.END)
            wait_for(driver, lambda d: "PWD" in log(d) and "PASS ftp@example.com" in log(d), message="curl by default")
            key(driver, Keys.HOME)
            Select(driver.find_element(By.ID, "setting-client")).select_by_value("ftplib")
            Select(driver.find_element(By.ID, "setting-server")).select_by_value("pyftpdlib")
            to_stage(driver)
            key(driver, Keys.END)
            wait_for(driver, lambda d: "PASS anonymous@" in log(d), message="ftplib's password")
            text = log(driver)
            self.assertNotIn("PWD", text, "ftplib does not ask where it is")
            self.assertIn("pyftpdlib 2.2.0 ready", text)
            self.assertIn("125", text, "pyftpdlib says 125 when the data connection is open")
            wait_for(driver, lambda d: "Completed" in verdict(d))
            self.assertAccessible(driver, "ftplib and pyftpdlib")
            self.assertNoConsoleErrors(driver)

    def test_a_stopped_simulator_says_so(self):
        """A bug that stops the WebAssembly shows a notice to reload, not a frozen page."""
        with Browser(*LAPTOP) as driver:
            open_page(driver)
            self.assertFalse(driver.find_elements(By.ID, "stopped"))
            driver.execute_script(
                "window.dispatchEvent(new ErrorEvent('error', {error: new WebAssembly.RuntimeError('unreachable')}))"
            )
            notice = wait_for(driver, lambda d: d.find_elements(By.ID, "stopped"))[0]
            self.assertIn("Reload the page", notice.text)
            self.assertEqual(notice.get_attribute("role"), "alert")
            # Other errors (a browser extension's, say) do not trigger it twice or at all.
            driver.execute_script("window.dispatchEvent(new ErrorEvent('error', {error: new Error('x')}))")
            self.assertEqual(len(driver.find_elements(By.ID, "stopped")), 1)

    def test_reduced_motion_steps_without_animation(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver)
            by_name(driver, "button", "Play").click()
            time.sleep(1.5)
            by_name(driver, "button", "Pause").click()
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, ".packet.moving"), "no animated packets")
            self.assertNoConsoleErrors(driver)

    def test_a_whole_lesson_in_class(self):
        """Active fails, passive works, the helper rescues active: the class's path, with
        screenshots at each size."""
        for size in (PROJECTOR, LAPTOP, DESKTOP):
            with self.subTest(size=size), Browser(*size) as driver:
                open_page(driver, "#lesson=active-nat")
                key(driver, Keys.END)
                wait_for(driver, lambda d: "Failed" in verdict(d))
                self.assertIn("500 Illegal PORT command.", transcript(driver))
                self.assertIn("Why:", verdict(driver))
                self.assertNotIn("server-refused-address", verdict(driver), "no internal codes")
                shoot(driver, "12-active-nat-failed")
                Select(driver.find_element(By.ID, "setting-mode")).select_by_value("pasv")
                wait_for(driver, lambda d: "Completed" in verdict(d), message="at the end, a change re-runs")
                self.assertIn("226", transcript(driver))
                shoot(driver, "13-passive-completed")
                Select(driver.find_element(By.ID, "lesson-menu")).select_by_value("active-nat-helper")
                key(driver, Keys.ARROW_RIGHT, 12)
                time.sleep(1)
                shoot(driver, "14-helper-stepping")
                key(driver, Keys.END)
                wait_for(driver, lambda d: "Completed" in verdict(d))
                self.assertIn("rewrites: PORT 192,168,1,2,", transcript(driver))
                self.assertNoConsoleErrors(driver)


def fragment(driver):
    return driver.execute_script("return location.hash")


def downloaded(driver, name, timeout=20):
    """The bytes of a file the page saved, once the browser has finished writing it."""
    path = driver.downloads / name
    wait_for(driver, lambda d: path.exists() and not list(d.downloads.glob("*.crdownload")), timeout,
             message=f"{name} is downloaded")
    return path.read_bytes()


class Sharing(Page):
    """Issue 10: the address, what the browser keeps, files in and out."""

    def test_a_deep_link_opens_the_lesson_at_its_step_with_its_settings(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#v=1&lesson=active-nat&client-alg=on&step=40&by=packet")
            wait_for(driver, lambda d: position(d) == 40, message="the step of the link")
            self.assertTrue(checked(driver, "setting-client-alg"), "the setting of the link")
            self.assertEqual(Select(by_name(driver, "select", "Step by")).first_selected_option.get_attribute("value"),
                             "packets")
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, '[role="alert"]'), "nothing to complain about")
            # The Share dialog offers the same address back.
            by_name(driver, "button", "Share").click()
            link = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".dialog input[type=text]"))[0]
            self.assertIn("lesson=active-nat", link.get_attribute("value"))
            self.assertIn("client-alg=on", link.get_attribute("value"))
            self.assertIn("step=40", link.get_attribute("value"))
            by_name(driver, "button", "Show QR code").click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".dialog svg"), message="the QR code")
            shoot(driver, "12-share-dialog")
            key(driver, Keys.ESCAPE)
            wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".dialog"))
            self.assertNoConsoleErrors(driver)

    def test_back_and_forward_move_between_lessons_and_the_address_follows(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-nat")
            wait_for(driver, lambda d: "lesson=active-nat" in fragment(d), message="the address is tidied")
            to_stage(driver)
            key(driver, Keys.ARROW_RIGHT, 3)
            at = position(driver)
            wait_for(driver, lambda d: f"step={at}" in fragment(d), message="the step is in the address")
            Select(driver.find_element(By.ID, "lesson-menu")).select_by_value("passive-nat-firewall")
            wait_for(driver, lambda d: "lesson=passive-nat-firewall" in fragment(d))
            driver.back()
            wait_for(driver, lambda d: Select(d.find_element(By.ID, "lesson-menu")).first_selected_option
                     .get_attribute("value") == "active-nat", message="Back returns to the first lesson")
            self.assertEqual(position(driver), at, "at the step it was left at")
            driver.forward()
            wait_for(driver, lambda d: Select(d.find_element(By.ID, "lesson-menu")).first_selected_option
                     .get_attribute("value") == "passive-nat-firewall", message="Forward goes to the second")
            # A typed fragment is applied too.
            driver.execute_script("location.hash = 'v=1&lesson=active-nat-helper&step=5'")
            wait_for(driver, lambda d: checked(d, "setting-client-alg") and position(d) == 5,
                     message="the typed link is opened")
            self.assertNoConsoleErrors(driver)

    def test_settings_and_preferences_survive_a_reload_and_a_bare_address(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-nat")
            driver.find_element(By.ID, "setting-client-alg").click()
            wait_for(driver, lambda d: "client-alg=on" in fragment(d))
            Select(by_name(driver, "select", "Speed")).select_by_index(3)
            to_stage(driver)
            key(driver, Keys.ARROW_RIGHT, 2)
            at = position(driver)
            driver.refresh()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.topology"))
            wait_for(driver, lambda d: checked(d, "setting-client-alg") and position(d) == at,
                     message="a reload shows the same settings at the same step")
            # The bare address opens what this browser kept.
            open_page(driver, "")
            wait_for(driver, lambda d: checked(d, "setting-client-alg"), message="the kept settings are opened")
            self.assertEqual(position(driver), at)
            self.assertEqual(Select(by_name(driver, "select", "Speed")).first_selected_option.text, "4×",
                             "the preferred speed is kept")
            kept = driver.execute_script("return JSON.parse(localStorage.getItem('ftpsim'))")
            self.assertEqual(kept["version"], 1)
            self.assertIn("client-alg=on", kept["last"])
            self.assertNoConsoleErrors(driver)

    def test_a_corrupted_stored_state_is_set_aside_with_a_message(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-nat")
            garbage = '{"version": 1, "presenter": "<img src=x onerror=alert(1)>", "saved": [' 
            driver.execute_script("localStorage.setItem('ftpsim', arguments[0])", garbage)
            open_page(driver, "")
            alert = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[role="alert"]'))[0]
            self.assertIn("could not be read", alert.text)
            self.assertIn("ftpsim.unreadable", alert.text)
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, "img"), "nothing stored becomes markup")
            self.assertEqual(driver.execute_script("return localStorage.getItem('ftpsim.unreadable')"), garbage,
                             "the record is kept aside, not lost")
            # A readable record of a newer page is kept aside as well.
            driver.execute_script("localStorage.setItem('ftpsim', '{\"version\": 9}')")
            open_page(driver, "#lesson=active-nat")
            alert = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[role="alert"]'))[0]
            self.assertIn("newer version", alert.text)
            by_name(driver, "button", "Dismiss").click()
            to_stage(driver)
            key(driver, Keys.ARROW_RIGHT, 2)
            self.assertGreater(position(driver), 0, "the page works")
            shoot(driver, "13-stored-state-set-aside")
            self.assertNoConsoleErrors(driver)

    def test_a_garbage_fragment_says_what_was_left_out(self):
        with Browser(*PROJECTOR, reduced_motion=True) as driver:
            open_page(driver, "#v=1&lesson=active-nat&step=abc&%3Cscript%3Ealert(1)%3C/script%3E=1&mode=sideways")
            alert = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[role="alert"]'))[0]
            self.assertIn("<script>", alert.text, "what was typed is shown as text")
            self.assertIn("sideways", alert.text)
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, "main script"))
            self.assertEqual(Select(driver.find_element(By.ID, "lesson-menu")).first_selected_option.get_attribute("value"),
                             "active-nat", "the readable rest is shown")
            to_stage(driver)
            key(driver, Keys.ARROW_RIGHT, 2)
            self.assertGreater(position(driver), 0)
            self.assertNoConsoleErrors(driver)

    def test_files_save_open_and_export(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-nat-helper")
            key(driver, Keys.END)
            by_name(driver, "button", "Save & export").click()
            dialog = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".dialog.files"))[0]
            shoot(driver, "14-files-dialog")
            self.assertAccessible(driver, "files dialog")
            by_name(driver, "button", "Save the settings (.json)").click()
            scenario = json.loads(downloaded(driver, "ftpsim-scenario.json"))
            self.assertEqual((scenario["mode"], scenario["client_alg"]), ("port", True))
            by_name(driver, "button", "Transcript (.txt)").click()
            text = downloaded(driver, "ftpsim-transcript.txt").decode()
            self.assertIn("→ PORT 192,168,1,2,", text)
            self.assertIn("rewrites: PORT 192,168,1,2,", text)
            self.assertIn("226", text)
            for button, name in [("Network picture at this step (.svg)", "ftpsim-network.svg"),
                                 ("Ladder diagram up to this step (.svg)", "ftpsim-ladder.svg")]:
                by_name(driver, "button", button).click()
                drawing = ElementTree.fromstring(downloaded(driver, name))
                self.assertEqual(drawing.tag, "{http://www.w3.org/2000/svg}svg", name)
            # Packet captures, the same bytes as the terminal runner's for the same run and point.
            binary = os.environ.get("FTPSIM_BIN") or str(ROOT / "target" / "debug" / "ftpsim")
            for button, point in [("Client's network (before the home router)", "client"),
                                  ("Home router's internet side (after NAT)", "wan")]:
                by_name(driver, "button", button).click()
                page_capture = downloaded(driver, f"ftpsim-{point}.pcap")
                reference = driver.downloads / f"reference-{point}.pcap"
                subprocess.run([binary, "run", "--preset", "active-nat-helper", "--pcap", str(reference),
                                "--capture-at", point], capture_output=True, check=True)
                self.assertEqual(page_capture, reference.read_bytes(), point)
                self.assertIn(page_capture[:4], (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1"))
            # Saved under a name in this browser, kept across a reload, opened again.
            name = driver.find_element(By.CSS_SELECTOR, ".save-as input")
            name.send_keys("Room 12 <b>NAT</b>", Keys.ENTER)
            wait_for(driver, lambda d: "Saved as" in d.find_element(By.CSS_SELECTOR, ".files-note").text)
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, ".saved-list b"), "a name is text")
            by_name(driver, "button", "Close").click()
            # Open a scenario file from the computer: passive mode.
            path = driver.downloads / "passive.json"
            path.write_text('{"mode": "pasv", "server_firewall": "control-only"}')
            by_name(driver, "button", "Save & export").click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".dialog.files"))
            driver.find_element(By.CSS_SELECTOR, ".dialog.files input[type=file]").send_keys(str(path))
            wait_for(driver, lambda d: Select(d.find_element(By.ID, "setting-mode")).first_selected_option
                     .get_attribute("value") == "pasv", message="the file's settings are run")
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, ".dialog"), "the dialog closes")
            # A file that is not a scenario says why and keeps the page.
            bad = driver.downloads / "bad.json"
            bad.write_text('{"mode": "sideways"}')
            by_name(driver, "button", "Save & export").click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".dialog.files"))
            driver.find_element(By.CSS_SELECTOR, ".dialog.files input[type=file]").send_keys(str(bad))
            wait_for(driver, lambda d: any("sideways" in a.text for a in d.find_elements(By.CSS_SELECTOR, '[role="alert"]')),
                     message="the reason is given")
            by_name(driver, "button", "Close").click()
            self.assertEqual(Select(driver.find_element(By.ID, "setting-mode")).first_selected_option
                             .get_attribute("value"), "pasv", "what was on screen stays")
            driver.refresh()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.topology"))
            by_name(driver, "button", "Save & export").click()
            item = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".saved-list li"))[0]
            self.assertIn("Room 12 <b>NAT</b>", item.text)
            by_name(driver, "button", "Open Room 12 <b>NAT</b>").click()
            wait_for(driver, lambda d: checked(d, "setting-client-alg") and Select(d.find_element(By.ID, "setting-mode"))
                     .first_selected_option.get_attribute("value") == "port", message="the saved scenario runs")
            self.assertNoConsoleErrors(driver)


def engine_dialogue(scenario):
    """The engine's own dialogue for a scenario, from the terminal runner (`ftpsim run`), or None
    when no build of it is at hand (outside CI)."""
    binary = ftpsim_binary()
    if binary is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(scenario, file)
        file.flush()
        out = subprocess.run([binary, "run", "--scenario", file.name, "--format", "json"],
                             capture_output=True, text=True, timeout=60, check=False)
    return json.loads(out.stdout)["dialogue"]


class Console(Page):
    """Issue 10: commands typed as the client, answered by the server engine."""

    def test_the_console_replies_equal_the_engines(self):
        lines = ["EPSV", "LIST", "RETR nothere", "CWD ..", "<script>alert(1)</script>"]
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=passive-nat-firewall")
            by_name(driver, "button", "Console").click()
            field = wait_for(driver, lambda d: by_name(d, "input", "FTP command"))
            for line in lines:
                field = by_name(driver, "input", "FTP command")
                field.send_keys(line, Keys.ENTER)
                wait_for(driver, lambda d: line in d.find_element(By.CSS_SELECTOR, "pre.console-log").text,
                         message=f"{line} is in the console")
            to_stage(driver)
            key(driver, Keys.END)
            log = driver.find_element(By.CSS_SELECTOR, "pre.console-log").text
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, "main script"), "typed text is never markup")
            self.assertIn("cmd=EPSV", fragment(driver), "the lines are in the link")
            shoot(driver, "15-console")
            scenario = {"mode": "pasv", "console": lines}
            dialogue = engine_dialogue(scenario)
            if dialogue is None:
                if os.environ.get("CI"):
                    self.fail("no build of ftpsim to compare with (cargo build --bin ftpsim)")
                self.skipTest("no build of ftpsim to compare with")
            replies = [entry["line"] for entry in dialogue if entry["from"] == "server"]
            typed_at = [index for index, entry in enumerate(dialogue) if entry["from"] == "client" and entry["line"] in lines]
            self.assertEqual(len(typed_at), len(lines), dialogue)
            for line in lines:
                self.assertIn(line, log)
            for reply in replies[3:]:
                self.assertIn(reply, log, "each reply of the engine is in the console")
            # The same session reopened from its link shows the same console.
            link = fragment(driver)
            open_page(driver, link)
            by_name(driver, "button", "Console").click()
            to_stage(driver)
            key(driver, Keys.END)
            wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, "pre.console-log").text == log,
                     message="the link gives the same console")
            self.assertNoConsoleErrors(driver)


def drawn_at(driver, step, what):
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.topology"), message=f"the picture is drawn {what}")
    wait_for(driver, lambda d: position(d) == step, message=f"step {step} {what}")


def worker_in_control(driver):
    """Waits until the service worker has cached the app and controls the page."""
    driver.set_script_timeout(30)
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1]; navigator.serviceWorker.ready.then(() => done(true));")
    wait_for(driver, lambda d: d.execute_script("return !!navigator.serviceWorker.controller"),
             message="the service worker controls the page")


class Anywhere(Page):
    """Issue 11: any folder of any static host, one file from disk, offline, embedded."""

    def test_the_release_build_works_from_a_subfolder(self):
        with tempfile.TemporaryDirectory() as root:
            folder = pathlib.Path(root) / "net" / "ftpsim"
            shutil.copytree(ARGS.dist, folder)
            with StaticServer(pathlib.Path(root)) as host, Browser(*LAPTOP, reduced_motion=True) as driver:
                for page in ("net/ftpsim/", "net/ftpsim/index.html", "net/ftpsim/ftpsim.html"):
                    driver.get("about:blank")
                    driver.get(host.url + page + "#lesson=active-nat&step=12")
                    drawn_at(driver, 12, f"at /{page}")
                    self.assertIn("lesson=active-nat", fragment(driver), "the link survives the way in")
                    self.assertNotEqual(driver.execute_script("return getComputedStyle(document.body).margin"), "8px",
                                        "the stylesheet is loaded")
                    self.assertNoConsoleErrors(driver)

    def test_the_single_file_works_from_disk_with_the_network_off(self):
        with tempfile.TemporaryDirectory() as root:
            # Alone in a folder (nothing beside it to load), with a space in its path.
            copy = pathlib.Path(root) / "USB stick" / "ftpsim.html"
            copy.parent.mkdir()
            shutil.copy(ARGS.dist / "ftpsim.html", copy)
            with Browser(*LAPTOP, reduced_motion=True) as driver:
                driver.execute_cdp_cmd("Network.enable", {})
                driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                                       {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
                driver.get(copy.as_uri() + "#lesson=active-nat&step=12")
                drawn_at(driver, 12, "from file://")
                self.assertFalse(driver.find_elements(By.ID, "loading"), "the loading note is gone")
                to_stage(driver)
                key(driver, Keys.END)
                wait_for(driver, lambda d: "Failed" in verdict(d), message="active mode fails behind NAT, from disk too")
                # A file has no address another computer can open: Share says so.
                by_name(driver, "button", "Share").click()
                note = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".dialog [role=status]"))[0]
                self.assertIn("opened from a file", note.text)
                self.assertFalse(driver.find_elements(By.CSS_SELECTOR, ".dialog input"), "no link that would not work")
                shoot(driver, "40-single-file-share")
                self.assertNoConsoleErrors(driver)

    def test_a_damaged_copy_says_so_instead_of_loading_forever(self):
        with tempfile.TemporaryDirectory() as root:
            # As a mail gateway or an editor might leave it: part of the packed app changed.
            page = (ARGS.dist / "ftpsim.html").read_text(encoding="utf-8")
            start = page.index("<script id=wasm")
            middle = start + (page.index("</script>", start) - start) // 2
            copy = pathlib.Path(root) / "ftpsim.html"
            copy.write_text(page[:middle] + "x" * 2000 + page[middle + 2000:], encoding="utf-8")
            with Browser(*LAPTOP, reduced_motion=True) as driver:
                driver.get(copy.as_uri())
                note = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#loading[role=alert]"),
                                message="the page says it could not start")[0]
                self.assertIn("could not start", note.text)
                self.assertIn("fresh copy", note.text)

    def test_after_one_visit_the_page_loads_with_the_network_off(self):
        with tempfile.TemporaryDirectory() as root:
            shutil.copytree(ARGS.dist, pathlib.Path(root) / "net" / "ftpsim")
            with Browser(*LAPTOP, reduced_motion=True) as driver:
                with StaticServer(pathlib.Path(root)) as host:
                    driver.get(host.url + "net/ftpsim/#lesson=active-nat")
                    drawn_at(driver, 0, "on the first visit")
                    worker_in_control(driver)
                    address = host.url
                # The server is gone: nothing on the network answers for this site any more, and
                # the browser's own HTTP cache is emptied, so only the service worker can answer.
                driver.execute_cdp_cmd("Network.enable", {})
                driver.execute_cdp_cmd("Network.clearBrowserCache", {})
                for page in ("net/ftpsim/", "net/ftpsim/ftpsim.html"):
                    driver.get("about:blank")
                    driver.get(address + page + "#lesson=passive-nat-firewall&step=12")
                    drawn_at(driver, 12, f"at /{page} with the server gone")
                    self.assertTrue(driver.execute_script("return !!navigator.serviceWorker.controller"),
                                    "the service worker answered")
                to_stage(driver)
                key(driver, Keys.END)
                wait_for(driver, lambda d: "Completed" in verdict(d), message="the lesson plays offline")
                shoot(driver, "41-offline-after-one-visit")

    def test_a_new_version_is_offered_and_taken_only_when_asked(self):
        with tempfile.TemporaryDirectory() as root:
            site = pathlib.Path(root) / "ftp"
            shutil.copytree(ARGS.dist, site)
            with StaticServer(pathlib.Path(root)) as host, Browser(*LAPTOP, reduced_motion=True) as driver:
                driver.get(host.url + "ftp/#lesson=active-nat&step=7")
                drawn_at(driver, 7, "on the first visit")
                worker_in_control(driver)
                driver.refresh()  # the next lesson: a visit the worker controls from its start
                drawn_at(driver, 7, "on the next visit")
                old_title = driver.title
                # A new build on the server, as single_file.py writes one: another page, another
                # worker with another cache.
                page = site / "ftpsim.html"
                page.write_text(page.read_text().replace("<title>", "<title>New build: ", 1))
                worker = site / "sw.js"
                text, count = re.subn(r"\"[0-9a-f]{16}\"", "\"0000000000000001\"", worker.read_text())
                self.assertEqual(count, 1, "the worker names its build once")
                worker.write_text(text)
                driver.execute_script("navigator.serviceWorker.getRegistration().then(r => r.update())")
                offer = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#update button"), timeout=30,
                                 message="the page offers the new version")[0]
                self.assertEqual(driver.title, old_title, "nothing changed under the class before it was asked")
                self.assertEqual(position(driver), 7)
                shoot(driver, "42-new-version-offered")
                offer.click()
                wait_for(driver, lambda d: d.title.startswith("New build: "), timeout=30, message="the new version runs")
                drawn_at(driver, 7, "in the new version, at the same step")
                caches = driver.execute_async_script(
                    "const done = arguments[arguments.length - 1]; caches.keys().then(done);")
                scope = host.url + "ftp/"
                self.assertEqual(caches, [f"ftpsim {scope} 0000000000000001"], "one build's files only, the old cache is gone")

    def test_the_embed_code_shows_the_stage_on_a_course_page(self):
        with tempfile.TemporaryDirectory() as root, Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-nat&step=20")
            by_name(driver, "button", "Share").click()
            by_name(driver, "button", "Embed code").click()
            code = wait_for(driver, lambda d: [field.get_attribute("value") for field in
                                               d.find_elements(By.CSS_SELECTOR, ".dialog input[type=text]")
                                               if "<iframe" in field.get_attribute("value")])[0]
            self.assertIn(SERVER.url, code)
            self.assertIn("embed=on", code)
            shoot(driver, "43-embed-code")
            # A course page on another host, with the code pasted into it.
            course = pathlib.Path(root) / "course.html"
            course.write_text("<!doctype html><meta charset=utf-8><link rel=icon href=data:,><title>Week 3</title>"
                              f"<h1>Week 3: FTP</h1>{code}")
            with StaticServer(pathlib.Path(root)) as lms:
                driver.get(lms.url + "course.html")
                whole = driver.find_element(By.CSS_SELECTOR, "p a")
                self.assertNotIn("embed=on", whole.get_attribute("href"), "the link under it opens the whole page")
                self.assertIn("step=20", whole.get_attribute("href"))
                driver.switch_to.frame(driver.find_element(By.TAG_NAME, "iframe"))
                drawn_at(driver, 20, "inside the course page")
                self.assertTrue(driver.execute_script("return document.activeElement === document.body"),
                                "inside a course page it takes no focus (which would scroll the page to it)")
                shown = driver.execute_script(
                    "const seen = (s) => [...document.querySelectorAll(s)].some(e => e.offsetParent !== null);"
                    "return ['.top', '.playback', 'svg.topology', '.caption-panel', '.lower', '.settings', '.verdict-panel']"
                    "  .map(s => [s, seen(s)]);")
                self.assertEqual(dict(shown), {".top": False, ".playback": True, "svg.topology": True,
                                               ".caption-panel": True, ".lower": False, ".settings": False,
                                               ".verdict-panel": True})
                to_stage(driver)
                key(driver, Keys.END)
                wait_for(driver, lambda d: "Failed" in verdict(d), message="the embedded lesson plays")
                self.assertIn("embed=on", fragment(driver), "a reload inside the frame stays embedded")
                self.assertNoConsoleErrors(driver)
                driver.switch_to.default_content()
                shoot(driver, "44-embedded-in-a-course-page")


def ftpsim_binary():
    """A build of the terminal runner (FTPSIM_BIN, else the newest of target/), or None."""
    if os.environ.get("FTPSIM_BIN"):
        return os.environ["FTPSIM_BIN"]
    builds = [path for path in (ROOT / "target" / "release" / "ftpsim", ROOT / "target" / "debug" / "ftpsim")
              if path.exists()]
    return str(max(builds, key=lambda path: path.stat().st_mtime)) if builds else None


def print_sheet(test, driver, preset, sheet):
    """Writes a sheet with `ftpsim handout` and opens it as a teacher would (from disk);
    returns its body. The page's download budget has no room for the handout yet (BENCHMARKS.md),
    so the terminal runner writes it."""
    binary = ftpsim_binary()
    if binary is None:
        if os.environ.get("CI"):
            test.fail("no build of ftpsim (cargo build --bin ftpsim)")
        test.skipTest("no build of ftpsim")
    path = ARGS.artifacts / f"handout-{preset}-{sheet}.html"
    subprocess.run([binary, "handout", "--preset", preset, "--sheet", sheet, "-o", str(path)], check=True, timeout=60)
    driver.get(path.resolve().as_uri())
    return wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, "body"))


def print_button(driver, name):
    """Presses a print button of the Save & export dialog with `window.print` stubbed (a headless
    browser has no printer) and returns the printed document once the page asked to print it."""
    before = driver.execute_script("return window.__printed || 0")
    by_name(driver, "button", name).click()
    wait_for(driver, lambda d: d.execute_script("return window.__printed || 0") == before + 1,
             message=f"{name} asks the browser to print")
    return driver.find_element(By.CSS_SELECTOR, ".print-doc")


def stub_printer(driver):
    driver.execute_script("window.print = () => { window.__printed = (window.__printed || 0) + 1 }")


def save_printed(driver, name):
    """What the printer gets: a screenshot of the page in print media at A4 width, and a PDF."""
    import base64

    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 794, "height": 1123, "deviceScaleFactor": 1, "mobile": False})
    height = driver.execute_script("return document.documentElement.scrollHeight")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": 794, "height": min(height, 8000), "scale": 1}})
    (ARGS.artifacts / f"{name}-print.png").write_bytes(base64.b64decode(shot["data"]))
    pdf = base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {
        "paperWidth": 8.27, "paperHeight": 11.69, "marginTop": 0, "marginBottom": 0, "marginLeft": 0,
        "marginRight": 0, "preferCSSPageSize": True})["data"])
    (ARGS.artifacts / f"{name}.pdf").write_bytes(pdf)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": LAPTOP[0], "height": LAPTOP[1], "deviceScaleFactor": 1, "mobile": False})
    return height, pdf


class Printing(Page):
    """Issue 10: the handout, the worksheet and its answer key, written by `ftpsim handout` and
    printed from the page; both are checked against the same sheets of the active-nat lesson."""

    def assertActiveNatHandout(self, doc):
        """The handout of active-nat: every part of the run, one picture, the ladder in parts."""
        text = doc.get_attribute("textContent")
        for part in ["Handout", "Active mode behind NAT", "The network and its settings", "Client firewall",
                     "Verdict", "Failed at the server", "This network, every mode", "Transcript",
                     "PORT 192,168,1,2,226,217", "500 Illegal PORT command.", "Ladder diagram"]:
            self.assertIn(part, text)
        self.assertEqual(len(doc.find_elements(By.CSS_SELECTOR, "svg.topology")), 1)
        self.assertGreaterEqual(len(doc.find_elements(By.CSS_SELECTOR, ".ladder-part svg")), 2)

    def assertActiveNatWorksheet(self, doc):
        """The worksheet of active-nat: the questions and their blanks, no answer given away."""
        text = doc.get_attribute("textContent")
        self.assertIn("Worksheet", text)
        self.assertIn('The client sends "PORT 192,168,1,2,226,217"', text)
        self.assertIn("Where is the data connection stopped?", text)
        self.assertGreaterEqual(len(doc.find_elements(By.CSS_SELECTOR, ".blank")), 6, "blanks to fill")
        self.assertFalse(doc.find_elements(By.CSS_SELECTOR, ".answer"), "no answer on the worksheet")
        for answer in ["203.0.113.1 (port 60091)", "226 × 256 + 217", "500 Illegal", "Verdict"]:
            self.assertNotIn(answer, text, "the worksheet does not give it away")

    def assertActiveNatAnswerKey(self, doc):
        """The answer key of active-nat: every answer read off the run, no blank left."""
        answers = [element.get_attribute("textContent") for element in doc.find_elements(By.CSS_SELECTOR, ".answer")]
        self.assertIn("203.0.113.1 (port 60091)", answers)
        self.assertIn("192.168.1.2, port 226 × 256 + 217 = 58073", answers)
        self.assertTrue(any(answer.startswith("Server: ") for answer in answers), answers)
        fixes = next(answer for answer in answers if answer.startswith("any one of:"))
        for fix in ["Mode: Passive (PASV)", "FTP helper (ALG): on"]:
            self.assertIn(fix, fixes)
        self.assertFalse(doc.find_elements(By.CSS_SELECTOR, ".blank"))

    def test_the_handout_worksheet_and_answer_key_print(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            doc = print_sheet(self, driver, "active-nat", "handout")
            self.assertActiveNatHandout(doc)
            height, pdf = save_printed(driver, "16-handout")
            self.assertTrue(pdf.startswith(b"%PDF"))
            self.assertGreater(height, 2000, "the whole document is printed")

            doc = print_sheet(self, driver, "active-nat", "worksheet")
            self.assertActiveNatWorksheet(doc)
            save_printed(driver, "17-worksheet")

            doc = print_sheet(self, driver, "active-nat", "answer-key")
            self.assertActiveNatAnswerKey(doc)
            save_printed(driver, "18-answer-key")

    def test_the_page_prints_the_handout_worksheet_and_key_of_the_run_on_screen(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            open_page(driver, "#lesson=active-nat")
            stub_printer(driver)
            by_name(driver, "button", "Save & export").click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".dialog.files"))
            doc = print_button(driver, "Print handout")
            self.assertFalse(doc.is_displayed(), "the document is for the printer only")
            self.assertActiveNatHandout(doc)
            self.assertIn("printing", driver.find_element(By.CSS_SELECTOR, "main").get_attribute("class"))
            # In print, only the document: the page's own panels are not on paper.
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
            self.assertTrue(doc.is_displayed())
            self.assertFalse(driver.find_element(By.CSS_SELECTOR, ".layout").is_displayed())
            driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
            height, pdf = save_printed(driver, "20-page-handout")
            self.assertTrue(pdf.startswith(b"%PDF"))
            self.assertGreater(height, 2000, "the whole document, not the page, is printed")
            # The browser says printing is over: the document goes, the page is as it was.
            driver.execute_script("window.dispatchEvent(new Event('afterprint'))")
            wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".print-doc"), message="the document goes")
            self.assertNotIn("printing", driver.find_element(By.CSS_SELECTOR, "main").get_attribute("class"))
            # The worksheet stops before the data connection and gives nothing away.
            doc = print_button(driver, "Print worksheet")
            self.assertActiveNatWorksheet(doc)
            save_printed(driver, "21-page-worksheet")
            # Each click prints again: the key, read off the same run.
            doc = print_button(driver, "Print answer key")
            self.assertActiveNatAnswerKey(doc)
            save_printed(driver, "22-page-answer-key")
            # Changed settings print as the teacher's own (no lesson title), of the run on screen.
            driver.execute_script("window.dispatchEvent(new Event('afterprint'))")
            by_name(driver, "button", "Close").click()
            open_page(driver, "#lesson=active-nat&client-alg=on")
            stub_printer(driver)
            by_name(driver, "button", "Save & export").click()
            text = print_button(driver, "Print handout").get_attribute("textContent")
            self.assertNotIn("Active mode behind NAT", text)
            self.assertIn("PORT 203,0,113,1,226,217", text, "the helper's rewrite is in the printed run")
            self.assertNoConsoleErrors(driver)

    def test_the_passive_worksheet_asks_about_the_227_reply(self):
        with Browser(*LAPTOP, reduced_motion=True) as driver:
            text = print_sheet(self, driver, "server-nat-classic-client", "worksheet").get_attribute("textContent")
            self.assertIn('The server sends "227 Entering Passive Mode (10,0,0,10,195,172)."', text)
            doc = print_sheet(self, driver, "server-nat-classic-client", "answer-key")
            answers = [element.get_attribute("textContent") for element in doc.find_elements(By.CSS_SELECTOR, ".answer")]
            self.assertIn("10.0.0.10, port 195 × 256 + 172 = 50092", answers)
            self.assertTrue(any(answer.startswith("Internet: ") for answer in answers), answers)
            save_printed(driver, "19-answer-key-server-nat")


def seed_for_learner(learner):
    """The page's seed of a learner's variant (assess::variant::seed_for_learner): FNV-1a, mod 10^6."""
    value = 0xCBF29CE484222325
    for byte in learner.encode():
        value = ((value ^ byte) * 0x100000001B3) % (1 << 64)
    return value % 1_000_000


def answer_key(lesson, seed):
    """The answers of a variant, in question order, from the terminal's answer key (the same
    engine, run natively): [(question, answer)]."""
    binary = os.environ.get("FTPSIM_BIN") or str(ROOT / "target" / "debug" / "ftpsim")
    out = subprocess.run([binary, "assignment", "--lesson", lesson, "--seed", str(seed)],
                         capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in out.splitlines()]
    key = []
    for number, line in enumerate(lines):
        match = re.match(r"\d+\. (.*)", line)
        if match and number + 1 < len(lines) and lines[number + 1].startswith("→ "):
            key.append((match.group(1), lines[number + 1][2:]))
    return key


LMS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test LMS</title><link rel="icon" href="data:,">
<script src="scorm12.min.js"></script>
<script>
var params = new URLSearchParams(location.search);
window.API = new Scorm12API({autocommit: false, logLevel: 5});
var initial = {core: {student_id: params.get("learner"), student_name: "Student, Test"}};
if (params.get("suspend")) { initial.suspend_data = params.get("suspend"); initial.core.entry = "resume"; }
window.API.loadFromJSON(initial);
window.lmsCalls = [];
["LMSInitialize", "LMSSetValue", "LMSCommit", "LMSFinish"].forEach(function (name) {
  window.API.on(name, function (element, value) { window.lmsCalls.push([name, element || "", value || ""]); });
});
</script></head>
<body><iframe id="sco" title="course" style="width:1280px;height:1400px;border:0"></iframe>
<script>document.getElementById("sco").src = params.get("launch");</script>
</body></html>
"""


class Assessment(Page):
    """The SCORM package (scripts/scorm-package.sh): its page with the generated questions,
    hosted in a frame under scorm-again, a real SCORM 1.2 runtime, as an LMS hosts it; and the
    same page outside an LMS in practice and test mode."""

    @classmethod
    def setUpClass(cls):
        if ARGS.scorm is None:
            raise unittest.SkipTest("--scorm names no package")
        import zipfile

        cls.folder = pathlib.Path(tempfile.mkdtemp(prefix="ftpsim-scorm-"))
        with zipfile.ZipFile(ARGS.scorm) as package:
            package.extractall(cls.folder)
        manifest = ElementTree.parse(cls.folder / "imsmanifest.xml").getroot()
        ns = {"c": "http://www.imsproject.org/xsd/imscp_rootv1p1p2"}
        item = manifest.find(".//c:item", ns)
        resource = manifest.find(".//c:resource", ns)
        cls.launch = resource.get("href") + item.get("parameters")
        cls.lesson = re.search(r"lesson=([a-z0-9-]+)", cls.launch).group(1)
        scorm_again = pathlib.Path(os.environ.get("FTPSIM_TOOLS_DIR", pathlib.Path.home() / ".cache/ftpsim-tools"))
        shutil.copy(scorm_again / "scorm-again/node_modules/scorm-again/dist/scorm12.min.js", cls.folder)
        (cls.folder / "lms.html").write_text(LMS_PAGE)
        cls.server = StaticServer(cls.folder).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)
        shutil.rmtree(cls.folder, ignore_errors=True)

    def lms(self, driver, learner, suspend=""):
        from urllib.parse import quote

        url = f"{self.server.url}lms.html?learner={quote(learner)}&launch={quote(self.launch)}"
        if suspend:
            url += f"&suspend={quote(suspend)}"
        driver.get("about:blank")
        driver.get(url)
        driver.switch_to.frame(driver.find_element(By.ID, "sco"))
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.topology"), message="the course page draws")

    def cmi(self, driver, element):
        driver.switch_to.default_content()
        value = driver.execute_script("return window.API.LMSGetValue(arguments[0])", element)
        driver.switch_to.frame(driver.find_element(By.ID, "sco"))
        return value

    def answer_all(self, driver, answer_key, right=True):
        """Steps through the session answering each question as it comes: from the answer key,
        or wrongly (`right` false)."""
        answers = dict(answer_key)
        for _ in range(60):
            open_questions = driver.find_elements(By.CSS_SELECTOR, ".questions .question:not(.answered)")
            for question in open_questions:
                ask = question.find_element(By.CSS_SELECTOR, ".ask").text
                self.assertIn(ask, answers, f"the page asks what the answer key asks: {ask}")
                self.answer(question, answers[ask] if right else None)
                time.sleep(0.2)
            if driver.find_elements(By.CSS_SELECTOR, ".questions .score"):
                return
            to_stage(driver)
            driver.switch_to.active_element.send_keys(Keys.END)
            time.sleep(0.3)
        self.fail("the questions never ended")

    def answer(self, question, answer):
        buttons = question.find_elements(By.CSS_SELECTOR, ".answers button")
        fields = question.find_elements(By.CSS_SELECTOR, "input[type=text]")
        selects = question.find_elements(By.CSS_SELECTOR, "select")
        places = {"Client": "client", "Home router": "home-router", "Internet": "internet",
                  "Server firewall": "server-edge", "Server router": "server-edge", "Server": "server"}
        if len(buttons) == 5 and answer in places:
            # "Which device?" is answered on the picture, as a student clicks it.
            node = question.parent.find_element(By.CSS_SELECTOR, f'svg.topology [data-node="{places[answer]}"]')
            question.parent.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", node)
            return
        if buttons:
            wanted = answer.split(" · ")[0] if answer else None
            choice = next((b for b in buttons if b.text == wanted), None) if wanted else buttons[-1]
            if answer is None and len(buttons) == 2:
                choice = buttons[0]
            choice.click()
        elif selects:
            select = Select(selects[0])
            if answer:
                select.select_by_visible_text(answer.split(" · ")[0])
            else:
                select.select_by_index(len(select.options) - 1)
            question.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        elif len(fields) == 2:
            inside, public = (re.match(r"(\S+) inside, (\S+) public", answer).groups() if answer else ("10.9.9.9:1", "10.9.9.8:2"))
            fields[0].send_keys(inside)
            fields[1].send_keys(public)
            question.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        else:
            fields[0].send_keys(answer or "10.9.9.9:1")
            question.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def test_the_lms_gets_the_score_and_status_and_the_attempt_resumes(self):
        # This learner's variant fails at the home router's firewall: every kind of question but
        # the NAT row, "which device?" answered on the picture.
        learner = "s4-barbara"
        key = answer_key(self.lesson, seed_for_learner(learner))
        self.assertGreaterEqual(len(key), 3, key)
        with Browser(*DESKTOP) as driver:
            self.lms(driver, learner)
            self.assertEqual(self.cmi(driver, "cmi.core.lesson_status"), "incomplete")
            panel = driver.find_element(By.CSS_SELECTOR, ".questions")
            self.assertIn("test", panel.text.lower())
            shoot(driver, "70-scorm-first-question")
            self.answer_all(driver, key, right=True)
            shoot(driver, "71-scorm-score")
            self.assertIn(f"Score: {len(key)} of {len(key)} (100 %)", driver.find_element(By.CSS_SELECTOR, ".questions").text)
            self.assertEqual(self.cmi(driver, "cmi.core.score.raw"), "100")
            self.assertEqual(self.cmi(driver, "cmi.core.score.max"), "100")
            self.assertEqual(self.cmi(driver, "cmi.core.lesson_status"), "passed")
            suspend = self.cmi(driver, "cmi.suspend_data")
            self.assertTrue(suspend.startswith(f"ftpsim1;{self.lesson};{seed_for_learner(learner)};test;"), suspend)
            self.assertLessEqual(len(suspend), 4096)
            driver.switch_to.default_content()
            calls = driver.execute_script("return window.lmsCalls")
            self.assertEqual(calls[0][0], "LMSInitialize", calls[:3])
            errors = [entry["message"] for entry in console_errors(driver)]
            self.assertEqual(errors, [])
            driver.switch_to.frame(driver.find_element(By.ID, "sco"))
            # A second visit with the kept progress starts where the student was, finished.
            self.lms(driver, learner, suspend=suspend)
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".questions .score"), message="the attempt resumes")
            self.assertIn(f"Score: {len(key)} of {len(key)}", driver.find_element(By.CSS_SELECTOR, ".questions").text)
            # Another learner has other numbers.
            other = answer_key(self.lesson, seed_for_learner("s2-grace"))
            self.assertNotEqual(key, other)

    def test_a_wrong_test_fails_and_practice_explains_each_wrong_answer(self):
        # This learner's variant works through the helper: its questions include the NAT row.
        learner = "s1-ada"
        answers = answer_key(self.lesson, seed_for_learner(learner))
        with Browser(*LAPTOP) as driver:
            self.lms(driver, learner)
            self.answer_all(driver, answers, right=False)
            self.assertEqual(self.cmi(driver, "cmi.core.lesson_status"), "failed")
            self.assertNotIn("Not quite", driver.find_element(By.CSS_SELECTOR, ".questions").text, "a test gives no hints")
            shoot(driver, "72-scorm-failed")
        # The same page outside an LMS: practice mode, on an assignment link.
        practice = self.launch.replace("quiz=test", "quiz=practice").replace("assignment=learner", "assignment=5")
        answers = answer_key(self.lesson, 5)
        with Browser(*PROJECTOR) as driver:
            driver.get(self.server.url + practice)
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".questions"), message="the questions panel")
            picture = driver.find_element(By.CSS_SELECTOR, "svg.topology").get_attribute("textContent")
            to_stage(driver)
            key(driver, Keys.END)
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".questions .question"), message="a question")
            first = driver.find_element(By.CSS_SELECTOR, ".questions .question")
            truth = dict(answers)[first.find_element(By.CSS_SELECTOR, ".ask").text]
            wrong = "No, it will fail" if truth.startswith("Yes") else "Yes, it will work"
            next(b for b in first.find_elements(By.CSS_SELECTOR, "button") if b.text == wrong).click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".questions .wrong"),
                     message="a hint that names the event to look at")
            shoot(driver, "73-practice-hint")
            self.assertIn("event", driver.find_element(By.CSS_SELECTOR, ".questions .wrong").text)
            go_to = driver.find_element(By.CSS_SELECTOR, ".questions .wrong button.go-to")
            self.assertRegex(go_to.text, r"^Go to event \d+$")
            at = position(driver)
            go_to.click()
            time.sleep(0.5)
            self.assertEqual(position(driver), at, "not past the questions still open")
            # The class cannot step past the open questions.
            before = position(driver)
            to_stage(driver)
            key(driver, Keys.END)
            time.sleep(0.5)
            self.assertEqual(position(driver), before, "End stops at the open question")
            # The same link gives the same variant; a neighbour's differs.
            driver.get("about:blank")
            driver.get(self.server.url + practice)
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".questions"), message="again")
            self.assertEqual(driver.find_element(By.CSS_SELECTOR, "svg.topology").get_attribute("textContent"), picture)
            self.assertNotEqual(answer_key(self.lesson, 6), answers)
            violations = axe_violations(driver)
            self.assertEqual(violations, [], violations)
        # On a phone the questions stack under the picture, every control in reach.
        with Browser(*PHONE) as driver:
            driver.get(self.server.url + practice)
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".questions"), message="the questions panel")
            to_stage(driver)
            key(driver, Keys.END)
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".questions .question"), message="a question")
            panel = driver.find_element(By.CSS_SELECTOR, ".questions")
            self.assertLessEqual(panel.rect["x"] + panel.rect["width"], 390 + 1, "the panel fits the phone's width")
            shoot(driver, "74-practice-phone")


class ServeCommand(unittest.TestCase):
    """Quick start command 1 (scripts/serve.sh) serves a page that loads: run when
    FTPSIM_SERVE_URL names the address it serves on."""

    def test_the_served_page_loads(self):
        import os

        url = os.environ.get("FTPSIM_SERVE_URL")
        if not url:
            self.skipTest("FTPSIM_SERVE_URL is not set")
        with Browser(*LAPTOP) as driver:
            driver.get(url + "#lesson=passive-nat-firewall")
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.topology"), message="the served page draws")
            key(driver, Keys.END)
            wait_for(driver, lambda d: "Completed" in verdict(d))
            errors = console_errors(driver)
            self.assertEqual(errors, [], "\n".join(entry["message"] for entry in errors))
            shoot(driver, "00-served-by-scripts-serve")


def main() -> int:
    global ARGS, SERVER
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=pathlib.Path, required=True)
    parser.add_argument("--artifacts", type=pathlib.Path, required=True)
    parser.add_argument("--scorm", type=pathlib.Path, help="the SCORM package (scripts/scorm-package.sh), for Assessment")
    ARGS, rest = parser.parse_known_args()
    ARGS.artifacts.mkdir(parents=True, exist_ok=True)
    if not (ARGS.dist / "index.html").is_file():
        print(f"{ARGS.dist}/index.html is missing: run `trunk build --release` first", file=sys.stderr)
        return 2
    with StaticServer(ARGS.dist) as server:
        SERVER = server
        program = unittest.main(argv=[sys.argv[0], *rest], exit=False, verbosity=2)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
