#!/usr/bin/env python3
"""Benchmarks of `ftpsim serve` beside Debian's vsftpd 3.0.3, on loopback, in the same run, with
the same client (BENCHMARKS.md, "Real sockets (ftpsim serve)"). Not part of the test run.

  - a SIZE MB RETR and STOR with curl (passive, EPSV), each server measured RUNS times,
    interleaved; MB/s = 10^6 bytes per second of curl's time_total (login to the final reply)
  - short sessions per second: ftplib login + LIST (passive) + QUIT, SESSIONS of them one after
    the other, then SESSIONS spread over WORKERS threads at once
  - ftpsim serve's resident memory: after loading --root, and the peak during the transfers
    (VmRSS sampled every 10 ms, and VmHWM); vsftpd's, summed over its processes, for scale

Usage, as root (vsftpd starts as root); a second --ftpsim compares another build:

    cargo build --release --bin ftpsim
    ~/.cache/ftpsim-tools/fidelity-venv/bin/python tests/sockets/bench.py [--size-mb 200] [--runs 3]
        [--sessions 300] [--workers 20] [--ftpsim target/release/ftpsim] [--ftpsim OTHER_BUILD]
"""

from __future__ import annotations

import argparse
import ftplib
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import FTPSIM, LOOPBACK, VSFTPD_UPLOAD_DIR, rss_kib, start_ftpsim, start_vsftpd, tmpdir  # noqa: E402


class RssSampler:
    """Samples the summed VmRSS of a process and its descendants every 10 ms."""

    def __init__(self, pid: int):
        self.pid, self.peak_kib, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _family(self) -> list[int]:
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry)] = int(fields[1])
                except (OSError, IndexError, ValueError):
                    pass
        family, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            for child, its_parent in parents.items():
                if its_parent == parent and child not in family:
                    family.add(child)
                    frontier.append(child)
        return list(family)

    def _run(self):
        while not self._stop.is_set():
            total = 0
            for pid in self._family():
                try:
                    total += rss_kib(pid)
                except (OSError, RuntimeError):
                    pass
            self.peak_kib = max(self.peak_kib, total)
            time.sleep(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def curl(*args) -> tuple[float, str]:
    r = common.run(["curl", "-sS", "--ftp-pasv", "-w", "%{time_total}", *args], timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"curl {' '.join(map(str, args))} exited {r.returncode}: {r.stderr.decode()[-500:]}")
    return float(r.stdout.decode().strip().splitlines()[-1]), r.stderr.decode()


def retr(server, size: int) -> float:
    seconds, _ = curl("-o", "/dev/null", server.url("/pub/big.bin"))
    return size / seconds / 1e6


def stor(server, source: Path, url: str, stored: Path) -> float:
    seconds, _ = curl("-T", source, url)
    if stored.stat().st_size != source.stat().st_size:
        raise RuntimeError(f"{stored} has {stored.stat().st_size} bytes, not {source.stat().st_size}")
    return source.stat().st_size / seconds / 1e6


def short_session(port: int) -> None:
    ftp = ftplib.FTP()
    ftp.connect(LOOPBACK, port, timeout=30)
    ftp.login()
    ftp.retrlines("LIST", lambda line: None)
    ftp.quit()
    ftp.close()


def cpu_seconds(pid: int) -> float:
    """CPU time of a process, its threads and its children that have ended (utime, stime,
    cutime, cstime): for vsftpd, whose sessions are processes, and for ftpsim's threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def sessions_per_second(port: int, count: int, workers: int) -> float:
    started = time.perf_counter()
    if workers == 1:
        for _ in range(count):
            short_session(port)
    else:
        errors = []

        def worker(n: int):
            try:
                for _ in range(n):
                    short_session(port)
            except Exception as error:  # noqa: BLE001
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(count // workers,)) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise RuntimeError(f"{len(errors)} workers failed: {errors[0]!r}")
        count = workers * (count // workers)
    return count / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--ftpsim", type=Path, action="append")
    args = parser.parse_args()
    binaries = args.ftpsim or [FTPSIM]
    if os.geteuid() != 0:
        print("bench: vsftpd must start as root; run as root", file=sys.stderr)
        return 2
    size = args.size_mb * 1_000_000
    work = tmpdir("bench")
    try:
        print(f"machine: {os.cpu_count()} cores, {Path('/proc/cpuinfo').read_text().split('model name')[1].split(':')[1].splitlines()[0].strip()}, "
              f"kernel {os.uname().release}; load average at start {os.getloadavg()[0]:.2f}")
        source = work / "big.bin"
        with open(source, "wb") as out:
            for _ in range(args.size_mb):
                out.write(os.urandom(1_000_000))
        servers = []
        for index, binary in enumerate(binaries):
            root = work / f"ftpsim-root-{index}"
            (root / "pub").mkdir(parents=True)
            (root / "upload").mkdir()
            os.link(source, root / "pub" / "big.bin")
            ftpsim_work = work / f"ftpsim-{index}"
            ftpsim_work.mkdir()
            started = time.perf_counter()
            # --max-upload: its default (100 MB) is below the file's size.
            server = start_ftpsim(root, ftpsim_work, "--writable", "--user", "demo:demo",
                                  "--max-upload", str(2 * size), binary=binary)
            loaded = time.perf_counter() - started
            label = f"ftpsim serve ({binary})"
            print(f"{label}: listening {loaded:.2f} s after start; VmRSS {rss_kib(server.proc.pid) / 1024:.0f} MiB "
                  f"with --root loaded")
            servers.append((label, server, server.url("/upload/bench.bin", user="demo:demo"),
                            root / "upload" / "bench.bin"))
        vs_work = work / "vsftpd"
        vs_work.mkdir()
        vsftpd = start_vsftpd({"/pub/big.bin": source}, vs_work, anon_other_write_enable="YES")
        servers.append(("vsftpd 3.0.3", vsftpd, vsftpd.url(f"/{VSFTPD_UPLOAD_DIR}/bench.bin"),
                        vs_work / "vsftpd-root" / VSFTPD_UPLOAD_DIR / "bench.bin"))

        results = {label: {"retr": [], "stor": [], "peak_retr": 0, "peak_stor": 0} for label, *_ in servers}
        for run in range(args.runs):
            for label, server, _, _ in servers:
                with RssSampler(server.proc.pid) as sampler:
                    results[label]["retr"].append(retr(server, size))
                results[label]["peak_retr"] = max(results[label]["peak_retr"], sampler.peak_kib)
            for label, server, url, stored in servers:
                with RssSampler(server.proc.pid) as sampler:
                    results[label]["stor"].append(stor(server, source, url, stored))
                results[label]["peak_stor"] = max(results[label]["peak_stor"], sampler.peak_kib)
            print(f"run {run + 1}: " + "; ".join(
                f"{label}: RETR {results[label]['retr'][-1]:.0f}, STOR {results[label]['stor'][-1]:.0f} MB/s"
                for label, *_ in servers))
        for label, server, *_ in servers:
            hwm = common.peak_rss_kib(server.proc.pid) if label.startswith("ftpsim") else None
            print(f"{label}: median RETR {statistics.median(results[label]['retr']):.0f} MB/s, "
                  f"STOR {statistics.median(results[label]['stor']):.0f} MB/s; peak RSS (sampled) "
                  f"RETR {results[label]['peak_retr'] / 1024:.0f} MiB, STOR {results[label]['peak_stor'] / 1024:.0f} MiB"
                  + (f"; VmHWM {hwm / 1024:.0f} MiB; VmRSS now {rss_kib(server.proc.pid) / 1024:.0f} MiB" if hwm else ""))
        base = results["vsftpd 3.0.3"]
        for label, *_ in servers[:-1]:
            print(f"{label} / vsftpd: RETR {statistics.median(results[label]['retr']) / statistics.median(base['retr']):.2f}, "
                  f"STOR {statistics.median(results[label]['stor']) / statistics.median(base['stor']):.2f}")

        for workers, what in [(1, "one after the other"), (args.workers, f"{args.workers} at a time")]:
            for label, server, *_ in servers:
                cpu_before = cpu_seconds(server.proc.pid)
                rates = [sessions_per_second(server.port, args.sessions, workers) for _ in range(args.runs)]
                time.sleep(0.5)  # vsftpd's last sessions reaped
                cpu_ms = (cpu_seconds(server.proc.pid) - cpu_before) * 1000 / (args.sessions * args.runs)
                print(f"sessions/s, {args.sessions} login+LIST+QUIT {what}: {label}: "
                      f"median {statistics.median(rates):.0f} ({', '.join(f'{r:.0f}' for r in rates)}); "
                      f"server CPU {cpu_ms:.2f} ms per session")
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
    finally:
        common.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
