"""Shared machinery of the real-socket suite (tests/sockets): processes that are always killed,
temporary directories that are always removed, free loopback ports, the servers the suite
starts (`ftpsim serve`, pyftpdlib, Debian's vsftpd), a raw control connection for talking FTP
by hand, and a tally of named cases that fails loudly.

Every server binds 127.0.0.1 on a port picked here; nothing is ever sent anywhere but loopback.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# The binary under test: the release build, or another one named by FTPSIM_BIN.
FTPSIM = Path(os.environ.get("FTPSIM_BIN") or ROOT / "target" / "release" / "ftpsim")
LOOPBACK = "127.0.0.1"


def say(message: str) -> None:
    print(f"sockets: {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes and temporary files

_procs: list[subprocess.Popen] = []
_tmpdirs: list[Path] = []
_lock = threading.Lock()


def start(cmd: list[str], **kwargs) -> subprocess.Popen:
    """Starts a process in a session of its own (so that its children go with it) and remembers
    it, so that `cleanup` kills it whatever happens."""
    proc = subprocess.Popen([str(c) for c in cmd], start_new_session=True, **kwargs)
    with _lock:
        _procs.append(proc)
    return proc


def stop(proc: subprocess.Popen, grace: float = 2.0) -> None:
    """Ends a process this suite started, by its id: SIGTERM to its process group, SIGKILL after
    `grace` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    with _lock:
        if proc in _procs:
            _procs.remove(proc)


def tmpdir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"ftpsim-sockets-{prefix}-"))
    with _lock:
        _tmpdirs.append(path)
    return path


def cleanup() -> None:
    with _lock:
        procs = list(_procs)
    for proc in procs:
        with contextlib.suppress(Exception):
            stop(proc, grace=1.0)
    with _lock:
        dirs = list(_tmpdirs)
        _tmpdirs.clear()
    for path in dirs:
        shutil.rmtree(path, ignore_errors=True)


def _on_signal(signum, _frame):
    cleanup()
    raise SystemExit(128 + signum)


atexit.register(cleanup)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def run(cmd: list, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """Runs a client to its end; a client still running after `timeout` is killed (and the
    case fails with a TimeoutExpired that says so)."""
    proc = start(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc, grace=0.5)
        raise AssertionError(f"{' '.join(map(str, cmd))} still running after {timeout} s: killed") from None
    stop(proc)
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


# ---------------------------------------------------------------- ports

def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def free_range(count: int) -> tuple[int, int]:
    """`count` consecutive ports, all free now, away from the kernel's ephemeral range
    (/proc/sys/net/ipv4/ip_local_port_range, 32768-60999 by default) where possible."""
    low_ephemeral = 32768
    with contextlib.suppress(OSError, ValueError):
        low_ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    top = max(2048, low_ephemeral - count - 1)
    for _ in range(200):
        first = random.randint(20000, top)
        if all(_bindable(port) for port in range(first, first + count)):
            return first, first + count - 1
    raise RuntimeError(f"no {count} free consecutive ports found")


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((LOOPBACK, port))
            return True
        except OSError:
            return False


def wait_listening(port: int, proc: subprocess.Popen, what: str, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} is not listening on {port} after {timeout} s")


# ---------------------------------------------------------------- file trees

def make_tree(root: Path, blob_size: int = 1 << 20) -> dict[str, bytes]:
    """A small tree: a text file at the top, pub/ with a text file and a binary one of
    `blob_size` bytes (every byte value, CR and LF included), an empty upload/. Returns the
    files by FTP path."""
    rng = random.Random(9)
    files = {
        "/readme.txt": b"ftpsim real-socket suite\r\nsecond line\n",
        "/pub/notes.txt": b"notes for the class\n" * 20,
        "/pub/blob.bin": bytes(rng.getrandbits(8) for _ in range(blob_size)),
    }
    for path, data in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (root / "upload").mkdir(exist_ok=True)
    return files


# ---------------------------------------------------------------- servers

class Server:
    """A server process on 127.0.0.1:port, with its output in log files."""

    def __init__(self, name: str, proc: subprocess.Popen, port: int, logs: list[Path]):
        self.name, self.proc, self.port, self.logs = name, proc, port, logs

    def url(self, path: str = "", user: str | None = None) -> str:
        who = f"{user}@" if user else ""
        return f"ftp://{who}{LOOPBACK}:{self.port}/{path.lstrip('/')}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        return "".join(path.read_text(errors="replace") for path in self.logs if path.exists())

    def stop(self) -> None:
        stop(self.proc)


def start_ftpsim(root: Path, workdir: Path, *extra: str, passive: tuple[int, int] | None = None,
                 env: dict[str, str] | None = None, binary: Path = FTPSIM) -> Server:
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: cargo build --release --bin ftpsim")
    port = free_port()
    passive = passive or free_range(200)
    out, err = workdir / "ftpsim-serve.stdout", workdir / "ftpsim-serve.stderr"
    cmd = [binary, "serve", "--listen", f"{LOOPBACK}:{port}", "--root", root,
           "--passive-ports", f"{passive[0]}-{passive[1]}", *extra]
    proc = start(cmd, stdout=open(out, "wb"), stderr=open(err, "wb"), env={**os.environ, **(env or {})})
    wait_listening(port, proc, "ftpsim serve")
    return Server("ftpsim serve", proc, port, [out, err])


PYFTPD_SERVER = HERE / "pyftpd_server.py"


def start_pyftpdlib(python: str, root: Path, workdir: Path) -> Server:
    """pyftpdlib with an anonymous read-only user and the writable account demo:demo, both at
    `root`."""
    port = free_port()
    low, high = free_range(100)
    log = workdir / "pyftpdlib.log"
    config = {"root": str(root), "port": port, "pmin": low, "pmax": high}
    proc = start([python, PYFTPD_SERVER, json.dumps(config)], stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    wait_listening(port, proc, "pyftpdlib")
    return Server("pyftpdlib", proc, port, [log])


VSFTPD_UPLOAD_DIR = "incoming"


def vsftpd_available() -> str | None:
    """Why vsftpd cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root (vsftpd must start as root to chroot and drop privileges)"
    if shutil.which("vsftpd") is None:
        return "vsftpd is not installed (scripts/tools.sh fidelity installs Debian's)"
    try:
        import pwd
        pwd.getpwnam("ftp")
    except KeyError:
        return "no user ftp (Debian's vsftpd package creates it)"
    return None


def start_vsftpd(files: dict[str, bytes | Path], workdir: Path, **options: str) -> Server:
    """Debian's vsftpd 3.0.3 in the foreground on 127.0.0.1: anonymous, read-only except for
    anonymous uploads into incoming/ (owned by ftp; vsftpd refuses to serve an anonymous root
    that ftp can write, so the root stays root's). `files` (contents, or a file to copy) go
    under the root by FTP path."""
    import pwd
    ftp = pwd.getpwnam("ftp")
    root = workdir / "vsftpd-root"
    root.mkdir()
    for path, data in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, Path):
            shutil.copyfile(data, target)
        else:
            target.write_bytes(data)
    incoming = root / VSFTPD_UPLOAD_DIR
    incoming.mkdir(exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    os.chown(incoming, ftp.pw_uid, ftp.pw_gid)
    # The temp dir holding it all is 0700 root's: vsftpd chroots as root, so ftp never needs
    # to walk it, but make the secure_chroot_dir reachable anyway.
    os.chmod(workdir, 0o755)
    empty = workdir / "empty"
    empty.mkdir()
    os.chmod(empty, 0o755)
    port = free_port()
    low, high = free_range(100)
    log = workdir / "vsftpd.log"
    conf = {
        "listen": "YES", "listen_ipv6": "NO", "background": "NO",
        "listen_address": LOOPBACK, "listen_port": str(port),
        "anonymous_enable": "YES", "local_enable": "NO", "no_anon_password": "NO",
        "anon_root": str(root), "ftp_username": "ftp",
        "write_enable": "YES", "anon_upload_enable": "YES", "anon_umask": "022",
        "anon_mkdir_write_enable": "NO", "anon_other_write_enable": "NO",
        "pasv_enable": "YES", "port_enable": "YES",
        "pasv_min_port": str(low), "pasv_max_port": str(high),
        "seccomp_sandbox": "NO", "secure_chroot_dir": str(empty),
        "dirmessage_enable": "NO", "use_localtime": "NO",
        "xferlog_enable": "YES", "xferlog_std_format": "NO", "log_ftp_protocol": "YES",
        "vsftpd_log_file": str(log), "syslog_enable": "NO",
        "max_clients": "0", "max_per_ip": "0",
    }
    conf.update(options)
    conf_path = workdir / "vsftpd.conf"
    conf_path.write_text("".join(f"{key}={value}\n" for key, value in conf.items()))
    out = workdir / "vsftpd.stdout"
    proc = start(["vsftpd", conf_path], stdout=open(out, "wb"), stderr=subprocess.STDOUT)
    wait_listening(port, proc, "vsftpd")
    return Server("vsftpd", proc, port, [out, log])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def thread_count(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Threads for {pid}")


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for {pid}")


# ---------------------------------------------------------------- a control connection by hand

REPLY_END = re.compile(rb"^(\d{3}) ")


class Control:
    """A raw control connection: send bytes or lines, read whole replies (multi-line ones
    included) with a deadline."""

    def __init__(self, port: int, timeout: float = 10, greet: bool = True):
        self.sock = socket.create_connection((LOOPBACK, port), timeout=timeout)
        self.timeout = timeout
        self.buffer = b""
        self.greeting = self.reply() if greet else None

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self, text: str | bytes) -> None:
        data = text.encode() if isinstance(text, str) else text
        self.sock.sendall(data + b"\r\n")

    def _readline(self, deadline: float) -> bytes:
        while b"\n" not in self.buffer:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError(f"no complete reply line; have {self.buffer[:200]!r}")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; have {self.buffer[:200]!r}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.rstrip(b"\r")

    def reply(self, timeout: float | None = None) -> str:
        """The next reply, as its last line (`"226 Transfer complete."`)."""
        deadline = time.time() + (timeout or self.timeout)
        first = self._readline(deadline)
        if first[3:4] == b"-":
            code = first[:3]
            while True:
                line = self._readline(deadline)
                if line.startswith(code + b" "):
                    return line.decode(errors="replace")
        return first.decode(errors="replace")

    def ask(self, text: str | bytes, timeout: float | None = None) -> str:
        self.line(text)
        return self.reply(timeout)

    def login(self, user: str = "anonymous", password: str = "guest@example.com") -> None:
        r = self.ask(f"USER {user}")
        assert r.startswith("331"), f"USER {user}: {r}"
        r = self.ask(f"PASS {password}")
        assert r.startswith("230"), f"PASS: {r}"

    def closed(self, timeout: float = 5) -> bool:
        """True when the server closes the connection (EOF or reset) within `timeout`, with no
        further bytes."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True
            self.buffer += chunk
        return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def pasv_port(reply: str) -> int:
    numbers = re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", reply)
    assert numbers, f"not a 227 reply: {reply}"
    p1, p2 = int(numbers.group(5)), int(numbers.group(6))
    return p1 * 256 + p2


def epsv_port(reply: str) -> int:
    numbers = re.search(r"\(\|\|\|(\d+)\|\)", reply)
    assert numbers, f"not a 229 reply: {reply}"
    return int(numbers.group(1))


def read_all(sock: socket.socket, timeout: float = 10) -> bytes:
    sock.settimeout(timeout)
    chunks = []
    while True:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


# ---------------------------------------------------------------- the tally

class Tally:
    """Named cases: each passes, fails (with the reason) or is skipped (with the reason)."""

    def __init__(self, part: str):
        self.part = part
        self.passed: list[str] = []
        self.failed: list[tuple[str, str]] = []
        self.skipped: list[tuple[str, str]] = []
        self.expected_failures: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def check(self, name: str, fn, *args, expect_failure: str | None = None, **kwargs) -> bool:
        """Runs one case. With `expect_failure` (a bug, named), a failure is reported as
        expected and a pass as a surprise (which fails, so that the mark is removed)."""
        started = time.time()
        try:
            fn(*args, **kwargs)
        except Exception as error:  # noqa: BLE001
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            if not isinstance(error, AssertionError):
                detail += "\n" + "".join(traceback.format_tb(error.__traceback__)[-3:])
            with self._lock:
                if expect_failure:
                    self.expected_failures.append((name, expect_failure))
                    print(f"  xfail {self.part}: {name} ({expect_failure})", flush=True)
                else:
                    self.failed.append((name, detail))
                    print(f"  FAIL  {self.part}: {name}\n        {detail.replace(chr(10), chr(10) + '        ')}",
                          flush=True)
            return False
        with self._lock:
            if expect_failure:
                self.failed.append((name, f"passed, but was marked as failing because of: {expect_failure}"))
                print(f"  FAIL  {self.part}: {name} passed unexpectedly (marked: {expect_failure})", flush=True)
                return False
            self.passed.append(name)
        print(f"  ok    {self.part}: {name} ({time.time() - started:.1f} s)", flush=True)
        return True

    def skip(self, name: str, why: str) -> None:
        with self._lock:
            self.skipped.append((name, why))
        print(f"  skip  {self.part}: {name}: {why}", flush=True)
