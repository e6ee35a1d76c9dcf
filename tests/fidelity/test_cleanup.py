#!/usr/bin/env python3
"""Self-test of the fidelity harness's cleanup: after an error in a cell, Ctrl-C, SIGTERM, or a
SIGKILL followed by the next run, no network namespace and no process of the harness is left.

Runs the harness on a few real cells with a stub in place of ftpsim (only the real side matters
here), about 30 s in all. Needs root, like the harness: without it the tests are skipped, except
when the environment variable CI is set, where that is a failure.

    python3 tests/fidelity/test_cleanup.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESS = HERE / "harness.py"
IS_ROOT = os.geteuid() == 0

# A stand-in for ftpsim: `run --help` lists no flags and `run` prints a minimal JSON document.
STUB = """#!/bin/sh
if [ "$2" = "--help" ]; then echo "Usage: ftpsim run [OPTIONS]"; exit 0; fi
echo '{"outcome": "ok", "final_reply": 226, "events": []}'
"""
SLOW_CELLS = ["--only", "main/none/control-only/curl-pasv", "--only", "main/firewall/open/curl-port"]


def namespaces_of(pid: int) -> list[str]:
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    return [l.split()[0] for l in r.stdout.splitlines() if l.split() and l.split()[0].startswith(f"fsm{pid}x")]


def processes_mentioning(text: str) -> list[str]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            out.append(f"{entry.name}: {cmdline.strip()}")
    return out


@unittest.skipUnless(IS_ROOT, "needs root (network namespaces)")
class Cleanup(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ftpsim-fidelity-selftest-")
        self.out = Path(self.tmp.name) / "out"
        self.stub = Path(self.tmp.name) / "ftpsim"
        self.stub.write_text(STUB)
        self.stub.chmod(0o755)

    def tearDown(self):
        self.tmp.cleanup()

    def start(self, *args, env=None) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, str(HARNESS), "--ftpsim", str(self.stub), "--out", str(self.out),
                                 "--allow-disagreements", *args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, **(env or {})), start_new_session=True)

    def wait_running(self, p: subprocess.Popen) -> None:
        """Until the harness has namespaces and a running FTP server (or 20 s)."""
        deadline = time.time() + 20
        while time.time() < deadline:
            if p.poll() is not None:
                self.fail(f"the harness ended early ({p.returncode}): {p.stderr.read()}")
            if namespaces_of(p.pid) and any("vsftpd" in x for x in processes_mentioning(str(self.out))):
                time.sleep(1.0)
                return
            time.sleep(0.2)
        self.fail("the harness did not start a cell within 20 s")

    def assert_clean(self, pid: int) -> None:
        self.assertEqual(namespaces_of(pid), [], "namespaces left behind")
        self.assertEqual(processes_mentioning(str(self.out)), [], "processes left behind")

    def test_error_in_a_cell(self):
        p = self.start("--no-syn", *SLOW_CELLS, env={"FTPSIM_FIDELITY_INJECT_FAILURE": "1"})
        _out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 1, err)
        self.assertIn("failure injected", err)
        self.assert_clean(p.pid)

    def test_sigterm(self):
        p = self.start(*SLOW_CELLS)               # with the SYN measurement's namespaces too
        self.wait_running(p)
        p.send_signal(signal.SIGTERM)
        _out, err = p.communicate(timeout=90)
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("interrupted", err)
        self.assert_clean(p.pid)

    def test_ctrl_c(self):
        p = self.start(*SLOW_CELLS)
        self.wait_running(p)
        os.killpg(p.pid, signal.SIGINT)           # as a terminal does: the whole process group
        _out, err = p.communicate(timeout=90)
        self.assertEqual(p.returncode, 130, err)
        self.assert_clean(p.pid)

    def test_sigkill_then_the_next_run_cleans_up(self):
        p = self.start("--no-syn", *SLOW_CELLS)
        self.wait_running(p)
        p.kill()                                  # no chance to clean up
        p.communicate(timeout=30)
        self.assertNotEqual(namespaces_of(p.pid), [], "expected namespaces left by the killed harness")
        r = subprocess.run([sys.executable, str(HARNESS), "--cleanup-stale"], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_clean(p.pid)


if __name__ == "__main__":
    if not IS_ROOT:
        if os.environ.get("CI"):
            print("fidelity self-test: FAILED - not root, and CI is set: the cleanup self-test must run",
                  file=sys.stderr)
            sys.exit(1)
        print("fidelity self-test: SKIPPED - not root (network namespaces need CAP_NET_ADMIN/CAP_SYS_ADMIN)",
              file=sys.stderr)
        sys.exit(0)
    unittest.main(verbosity=2)
