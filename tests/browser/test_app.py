#!/usr/bin/env python3
"""Browser tests of the release build in headless Chromium (Debian's chromium + chromedriver).

Run by scripts/test.sh after `trunk build --release`:
    python tests/browser/test_app.py --dist dist --artifacts artifacts
Screenshots of every checked state are written to the artifacts directory, at the projector
size (1366x768) and at 1920x1080.
"""
import argparse
import pathlib
import sys
import time
import unittest

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from harness import Browser, StaticServer, console_errors

ARGS = None
SERVER = None
SIZES = [(1366, 768), (1920, 1080)]


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


def position(driver):
    return int(driver.find_element(By.CSS_SELECTOR, ".scrubber input").get_attribute("value"))


def last(driver):
    return int(driver.find_element(By.CSS_SELECTOR, ".scrubber input").get_attribute("max"))


def press(driver, key, times=1):
    body = driver.find_element(By.TAG_NAME, "body")
    for _ in range(times):
        body.send_keys(key)


def open_page(driver, fragment=""):
    driver.get(SERVER.url + fragment)
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.topology"), message="the topology is drawn")


def shoot(driver, name):
    width = driver.execute_script("return window.innerWidth")
    driver.save_screenshot(str(ARGS.artifacts / f"{name}-{width}.png"))


class Classroom(unittest.TestCase):
    def assertNoConsoleErrors(self, driver):
        errors = console_errors(driver)
        self.assertEqual(errors, [], "\n".join(entry["message"] for entry in errors))

    def run_at_each_size(self, scenario):
        for width, height in SIZES:
            with self.subTest(size=f"{width}x{height}"), Browser(width, height) as driver:
                scenario(driver)
                self.assertNoConsoleErrors(driver)

    def test_page_loads_offline_with_every_control_named(self):
        def scenario(driver):
            open_page(driver)
            for tag, name in [
                ("button", "Step forward"),
                ("button", "Step back"),
                ("button", "Play"),
                ("button", "Restart"),
                ("select", "Speed"),
                ("select", "Mode"),
                ("select", "Operation"),
                ("input", "Client firewall"),
                ("input", "Client NAT"),
                ("input", "FTP helper (ALG)"),
                ("select", "Server firewall"),
                ("input", "Server behind NAT"),
                ("select", "Lesson"),
            ]:
                element = by_name(driver, tag, name)
                self.assertTrue(element.is_displayed(), f"{name} is visible")
            self.assertTrue(driver.find_elements(By.CSS_SELECTOR, '[role="log"][aria-label="Transcript"]'))
            self.assertTrue(driver.find_elements(By.CSS_SELECTOR, '[role="status"][aria-label="Verdict"]'))
            self.assertTrue(driver.find_elements(By.CSS_SELECTOR, '[aria-live="polite"]'), "steps are announced")
            # Everything the page loaded came from its own origin: it works offline from dist/.
            urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
            self.assertTrue(urls, "the page loaded its resources")
            for url in urls:
                self.assertTrue(url.startswith(SERVER.url), f"{url} is not from {SERVER.url}")
            shoot(driver, "01-start")

        self.run_at_each_size(scenario)

    def test_active_behind_nat_fails_then_passive_completes(self):
        def scenario(driver):
            open_page(driver)
            Select(by_name(driver, "select", "Lesson")).select_by_visible_text("Active mode behind NAT")
            wait_for(driver, lambda d: "Active mode behind NAT" in d.find_element(By.CSS_SELECTOR, ".caption-panel").text)
            # Step to the end with the keyboard, the way a presentation clicker does.
            steps = 0
            while position(driver) < last(driver) and steps < 200:
                press(driver, Keys.ARROW_RIGHT)
                steps += 1
                if steps == 6:
                    shoot(driver, "02-active-nat-stepping")
            self.assertEqual(position(driver), last(driver), "reached the end by stepping")
            self.assertLess(steps, 60, "key moments keep a session short enough to step through in class")
            text = transcript(driver)
            self.assertTrue("500 Illegal PORT command." in text or "425" in text, text)
            self.assertIn("Failed", verdict(driver))
            shoot(driver, "03-active-nat-failed")

            # Switch to passive mode and play to the end.
            Select(by_name(driver, "select", "Mode")).select_by_value("pasv")
            wait_for(driver, lambda d: position(d) == 0, message="a new run starts")
            by_name(driver, "button", "Play").click()
            wait_for(driver, lambda d: by_name(d, "button", "Pause"), message="playing")
            Select(by_name(driver, "select", "Speed")).select_by_visible_text("8×")
            wait_for(driver, lambda d: position(d) == last(d), timeout=90, message="played to the end")
            self.assertIn("226", transcript(driver))
            self.assertIn("Completed", verdict(driver))
            shoot(driver, "04-passive-completed")

            # Step back and watch the data connection disappear.
            steps = 0
            while not driver.find_elements(By.CSS_SELECTOR, '[data-connection="data"]') and steps < 100:
                press(driver, Keys.ARROW_LEFT)
                steps += 1
            self.assertTrue(driver.find_elements(By.CSS_SELECTOR, '[data-connection="data"]'), "a data connection is drawn")
            shoot(driver, "05-data-connection")
            while driver.find_elements(By.CSS_SELECTOR, '[data-connection="data"]') and steps < 200:
                press(driver, Keys.ARROW_LEFT)
                steps += 1
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, '[data-connection="data"]'), "the data connection is gone")
            self.assertTrue(driver.find_elements(By.CSS_SELECTOR, '[data-connection="control"]'), "the control connection stays")
            shoot(driver, "06-before-data-connection")

        self.run_at_each_size(scenario)

    def test_the_ftp_helper_makes_active_mode_work(self):
        def scenario(driver):
            open_page(driver, "#lesson=active-nat")
            helper = by_name(driver, "input", "FTP helper (ALG)")
            self.assertFalse(helper.is_selected())
            helper.click()
            wait_for(driver, lambda d: by_name(d, "input", "FTP helper (ALG)").is_selected(), message="helper on")
            press(driver, Keys.END)
            wait_for(driver, lambda d: "Completed" in verdict(d), message="active mode completes")
            self.assertIn("rewrites: PORT 192,168,1,2,", transcript(driver))
            self.assertIn("server received: PORT 203,0,113,1,", transcript(driver))
            shoot(driver, "07-helper-completed")
            # Going to the rewrite (a click on its transcript line) shows it on the router, before → after.
            line = driver.find_element(By.CSS_SELECTOR, ".transcript .helper button")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", line)
            line.click()
            callout = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[data-callout="helper"]'))
            self.assertIn("PORT 192,168,1,2,", callout[0].text)
            self.assertIn("PORT 203,0,113,1,", callout[0].text)
            shoot(driver, "08-helper-rewrite")

        self.run_at_each_size(scenario)

    def test_a_change_mid_session_offers_restart_or_branch(self):
        with Browser(1366, 768) as driver:
            open_page(driver, "#lesson=active-nat")
            press(driver, Keys.ARROW_RIGHT, 5)
            Select(by_name(driver, "select", "Mode")).select_by_value("pasv")
            prompt = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[role="dialog"][aria-label="Apply the change"]'))
            self.assertIn("Branch from this step", prompt[0].text)
            shoot(driver, "09-restart-or-branch")
            driver.find_element(By.CSS_SELECTOR, '[data-action="confirm-branch"]').click()
            wait_for(driver, lambda d: "Settings changed mid-session" in d.find_element(By.CSS_SELECTOR, ".caption-panel").text)
            self.assertGreater(position(driver), 0, "the branch starts where the class was")
            press(driver, Keys.END)
            wait_for(driver, lambda d: "Completed" in verdict(d), message="the branch completes in passive mode")
            self.assertNoConsoleErrors(driver)

    def test_quiz_side_by_side_presenter_and_bad_input(self):
        with Browser(1366, 768) as driver:
            open_page(driver, "#lesson=active-client-firewall")
            by_name(driver, "input", "Quiz mode").click()
            press(driver, Keys.END)
            quiz = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[role="dialog"][aria-label="Quiz"]'))
            self.assertIn("will this work?", quiz[0].text.lower())
            self.assertLess(position(driver), last(driver), "the class is stopped before the data connection")
            shoot(driver, "10-quiz")
            driver.find_element(By.CSS_SELECTOR, '[data-action="answer:home-router"]').click()
            wait_for(driver, lambda d: "Right" in d.find_element(By.CSS_SELECTOR, ".quiz").text, message="the answer is revealed")
            press(driver, Keys.END)
            wait_for(driver, lambda d: "Failed" in verdict(d))

            by_name(driver, "input", "Side by side").click()
            panes = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".pane"))
            self.assertEqual(len(panes), 2)
            press(driver, Keys.END)
            wait_for(driver, lambda d: "Completed" in d.find_elements(By.CSS_SELECTOR, ".pane-verdict")[1].text)
            self.assertIn("Failed", driver.find_elements(By.CSS_SELECTOR, ".pane-verdict")[0].text)
            shoot(driver, "11-side-by-side")
            by_name(driver, "input", "Side by side").click()

            port = by_name(driver, "input", "Control port")
            port.send_keys(Keys.CONTROL, "a")
            port.send_keys("50500", Keys.TAB)
            alert = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '[role="alert"]'))
            self.assertIn("passive range", alert[0].text)
            self.assertEqual(by_name(driver, "input", "Control port").get_attribute("value"), "21", "the previous value is kept")

            driver.find_element(By.CSS_SELECTOR, '[data-action="presenter"]').click()
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "main.presenter"))
            # Headless Chromium's "screen" is 800x600; look at presenter mode at projector size.
            driver.execute_script("if (document.fullscreenElement) document.exitFullscreen()")
            driver.set_window_size(1366, 768)
            time.sleep(0.5)
            shoot(driver, "12-presenter")
            self.assertNoConsoleErrors(driver)

    def test_reduced_motion_steps_without_animation(self):
        with Browser(1366, 768, reduced_motion=True) as driver:
            open_page(driver)
            by_name(driver, "button", "Play").click()
            time.sleep(1.5)
            by_name(driver, "button", "Pause").click()
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, ".packet.moving"), "no animated packets")
            self.assertNoConsoleErrors(driver)


class ServeCommand(unittest.TestCase):
    """Quick start command 1 (scripts/serve.sh) serves a page that loads: run when
    FTPSIM_SERVE_URL names the address it serves on."""

    def test_the_served_page_loads(self):
        import os

        url = os.environ.get("FTPSIM_SERVE_URL")
        if not url:
            self.skipTest("FTPSIM_SERVE_URL is not set")
        with Browser(1366, 768) as driver:
            driver.get(url + "#lesson=passive-nat-firewall")
            wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.topology"), message="the served page draws")
            press(driver, Keys.END)
            wait_for(driver, lambda d: "Completed" in verdict(d))
            errors = console_errors(driver)
            self.assertEqual(errors, [], "\n".join(entry["message"] for entry in errors))
            shoot(driver, "00-served-by-scripts-serve")


def main() -> int:
    global ARGS, SERVER
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=pathlib.Path, required=True)
    parser.add_argument("--artifacts", type=pathlib.Path, required=True)
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
