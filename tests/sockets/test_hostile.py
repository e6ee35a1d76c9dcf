"""Part 3: hostile and faulty input over the socket, against one `ftpsim serve` process.

Every dialogue here asserts the replies Debian's vsftpd 3.0.3 gives (the server engine copies
vsftpd). When vsftpd can run (root), the same dialogues first run against a real vsftpd with the
same limits, and must pass there: that checks the expectations themselves. Where ftpsim answers
differently, the case is split in two: one that checks the input is refused safely (passes), and
one that asserts vsftpd's exact answer, marked as an expected failure that names the bug.

Then: a normal session still works, the server process is alive, printed no panic, its open
file descriptors are back to their number after the warm-up (every session's sockets freed), and
its resident memory (VmRSS) came back to the level measured after the warm-up.

Memory, measured: the warm-up and the suite download a 16 MB file several times (the engine
copies a file into each RETR's send buffer). With glibc's default, dynamic mmap threshold those
16 MB buffers, once freed, stay in malloc's arenas: VmRSS after the suite came out 6 to 40 MB
above the warm-up level, varying from run to run without growing over four rounds. So the server
runs here with MALLOC_MMAP_THRESHOLD_=131072 (large buffers are mapped and returned to the system
when freed; nothing else changes): then VmRSS is flat within about 1 MB round after round (24.6 MB
after the warm-up, 25.6-25.7 MB after each of four rounds of the whole suite), and a growth of more
than RSS_TOLERANCE_KIB (8 MiB, half the big file) fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import random
import re
import select
import socket
import struct
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import (LOOPBACK, Control, Tally, epsv_port, open_fds, pasv_port, read_all, rss_kib, say,
                    start_ftpsim, start_pyftpdlib, start_vsftpd, thread_count, tmpdir, vsftpd_available)

# The limits both servers run with here (seconds).
IDLE = 4       # vsftpd idle_session_timeout, ftpsim --idle-timeout
DATA = 3       # data_connection_timeout, --data-timeout
ACCEPT = 2     # accept_timeout, --accept-timeout
CONNECT = 2    # connect_timeout, --connect-timeout

BIG = 16 << 20  # bytes of pub/big.bin: more than loopback's socket buffers hold (tcp_wmem 4 MB)
MEDIUM = 64 << 10  # bytes of pub/medium.bin: the socket buffers take it all
SECRET = b"ftpsim-sockets secret: this file lives outside the root\n"
RSS_TOLERANCE_KIB = 8 << 10   # see the module's doc

BANNER = "220 (vsFTPd 3.0.3)"
LOGIN_FIRST = "530 Please login with USER and PASS."
USE_PORT_OR_PASV = "425 Use PORT or PASV first."

# Bugs found in ftpsim by this suite are named here, and the cases that show them marked as expected
# failures, until they are fixed; none is open.


@dataclass
class Target:
    kind: str            # "ftpsim" or "vsftpd"
    port: int
    root: Path           # the served directory on disk
    upload_user: tuple[str, str]
    upload_dir: str      # FTP path of a directory that user may upload into
    proc: object = None
    extra: dict = field(default_factory=dict)


def control(t: Target, login: bool = True) -> Control:
    c = Control(t.port, timeout=10)
    if login:
        c.login()
    return c


def expect(c: Control, command: str | bytes, want, timeout: float | None = None) -> str:
    got = c.ask(command, timeout)
    check(got, want, command)
    return got


def check(got: str, want, what) -> None:
    what = what if isinstance(what, str) else repr(what[:60])
    if isinstance(want, re.Pattern):
        assert want.fullmatch(got), f"{what}: expected /{want.pattern}/, got {got!r}"
    else:
        assert got == want, f"{what}: expected {want!r}, got {got!r}"


def open_pasv(c: Control) -> socket.socket:
    reply = c.ask("PASV")
    assert reply.startswith("227 "), f"PASV: {reply}"
    return socket.create_connection((LOOPBACK, pasv_port(reply)), timeout=10)


def transfer(c: Control, command: str) -> tuple[str, bytes, str]:
    """PASV, connect, the command; returns (preliminary reply, data, final reply). A command
    refused at once returns (reply, b"", "")."""
    data = open_pasv(c)
    first = c.ask(command)
    if not first.startswith("150"):
        data.close()
        return first, b"", ""
    body = read_all(data)
    data.close()
    return first, body, c.reply()


def names(listing: bytes) -> set[str]:
    """File names in a LIST (last field) or NLST (basename) listing."""
    out = set()
    for line in listing.decode(errors="replace").splitlines():
        if line.strip():
            name = line.split()[-1] if line[:1] in "-dl" and len(line.split()) >= 9 else line
            if " -> " in line:
                name = line.split(" -> ")[0].split()[-1]
            out.add(name.rstrip("/").rsplit("/", 1)[-1])
    return out


def assert_listener_gone(port: int, what: str) -> None:
    """A passive listener the server has given up is closed by the time the reply that gives it
    up has come: a connection to it is refused at once. (vsftpd closes it before it replies;
    ftpsim's driver closes it, and waits until it is closed, before the next output.)"""
    with socket.socket() as probe:
        probe.settimeout(3)
        if probe.connect_ex((LOOPBACK, port)) == 0:
            try:
                got = probe.recv(100)
            except (ConnectionResetError, TimeoutError, socket.timeout):
                got = b""
            raise AssertionError(f"{what} still accepted a connection (and sent {got!r})")


def rst_close(sock: socket.socket) -> None:
    """Close with a reset (SO_LINGER 0), as a client that vanishes does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


# ---------------------------------------------------------------- dialogues (both servers)

def garbage_before_login(t: Target) -> None:
    c = control(t, login=False)
    check(c.greeting, BANNER, "greeting")
    expect(c, "garbage here", LOGIN_FIRST)
    expect(c, b"\x00\x01\xff\xfe\x80 binary", LOGIN_FIRST)
    expect(c, b"\xc3\x28 not utf-8", LOGIN_FIRST)
    c.login()
    expect(c, "NOOP", "200 NOOP ok.")
    c.close()


def garbage_after_login(t: Target) -> None:
    c = control(t)
    expect(c, "garbage here", "500 Unknown command.")
    expect(c, "XYZZY", "500 Unknown command.")
    expect(c, b"\x00\x01\xff\xfe\x80 binary", "500 Unknown command.")
    expect(c, b"\xc3\x28", "500 Unknown command.")
    rng = random.Random(3)
    noise = bytes(rng.choice([b for b in range(256) if b not in b"\r\n "]) for _ in range(2000))
    expect(c, noise, "500 Unknown command.")
    # 2000 commands in one write: every one answered, in order (the server reads on as it can).
    c.send(b"NOOP\r\n" * 2000)
    for index in range(2000):
        check(c.reply(), "200 NOOP ok.", f"pipelined NOOP {index + 1}")
    expect(c, "PWD", '257 "/" is the current directory')
    c.close()


def blank_line(t: Target) -> None:
    """A line of spaces is answered (530 before login, 500 after); an empty line is not."""
    c = control(t, login=False)
    expect(c, "   ", LOGIN_FIRST, timeout=2)
    c.login()
    expect(c, "   ", "500 Unknown command.", timeout=2)
    c.send(b"\r\n")
    expect(c, "NOOP", "200 NOOP ok.")
    c.close()


def overlong_line(t: Target) -> None:
    """A 10 KB line with its CRLF: refused with 500; then either the session ends (vsftpd, and
    ftpsim since it copies that) or it goes on and answers."""
    c = control(t)
    c.line(b"NOOP " + b"A" * 10240)
    try:
        check(c.reply(), "500 Input line too long.", "10 KB line")
    except ConnectionResetError:
        # The server closed with the rest of the line unread: the reset may eat the 500.
        return
    try:
        got = c.ask("NOOP", timeout=3)
    except (ConnectionError, OSError):
        return  # closed, as vsftpd does
    check(got, "200 NOOP ok.", "NOOP after the 10 KB line")
    c.close()


def overlong_line_ends_session(t: Target) -> None:
    c = control(t)
    c.line(b"NOOP " + b"A" * 10240)
    try:
        check(c.reply(), "500 Input line too long.", "10 KB line")
    except ConnectionResetError:
        return
    assert c.closed(2), "the session was not ended after 500 Input line too long."
    c.close()


def line_limit_counts_line_end(t: Target) -> None:
    c = control(t)
    expect(c, b"NOOP " + b"A" * 4089, "200 NOOP ok.")          # 4096 bytes with CRLF
    c.line(b"NOOP " + b"A" * 4090)                               # 4097
    try:
        check(c.reply(), "500 Input line too long.", "a 4097-byte line")
    except ConnectionResetError:
        pass
    c.close()


def huge_line_without_newline(t: Target) -> None:
    """8 MB without a line end: one 500, no growth; the session ends (vsftpd, and ftpsim since it
    copies that), or goes on after the next line end."""
    c = control(t)
    before = rss_kib(t.proc.pid) if t.kind == "ftpsim" else 0
    chunk = b"B" * 65536
    try:
        for _ in range(128):
            c.sock.settimeout(10)
            c.sock.sendall(chunk)
    except (BrokenPipeError, ConnectionResetError):
        return  # 500 and the session ended (the reset may eat the 500)
    if t.kind == "ftpsim":
        grown = rss_kib(t.proc.pid) - before
        assert grown < 4096, f"VmRSS grew by {grown} KiB while reading an 8 MB line"
    try:
        first = c.reply(timeout=10)
    except (ConnectionError, OSError):
        return
    check(first, "500 Input line too long.", "8 MB line")
    try:
        c.send(b"\r\nNOOP\r\n")
        got = c.reply(timeout=5)
    except (ConnectionError, OSError):
        return
    check(got, "200 NOOP ok.", "NOOP after the 8 MB line")
    c.close()


def before_login(t: Target) -> None:
    c = control(t, login=False)
    for command in ["LIST", "NLST", "RETR readme.txt", "STOR x.txt", "CWD /pub", "PWD", "SYST", "PASV", "EPSV",
                    "PORT 127,0,0,1,200,1", "EPRT |1|127.0.0.1|50000|", "NOOP", "TYPE I", "SIZE readme.txt"]:
        expect(c, command, LOGIN_FIRST)
    expect(c, "FEAT", "211 End")
    expect(c, "PASS secret", "503 Login with USER first.")
    expect(c, "USER anonymous", "331 Please specify the password.")
    expect(c, "LIST", LOGIN_FIRST)
    expect(c, "PASS guest@example.com", "230 Login successful.")
    expect(c, "USER ftp", "530 Can't change from guest user.")
    expect(c, "PASS again", "230 Already logged in.")
    expect(c, "QUIT", "221 Goodbye.")
    assert c.closed(3), "not closed after QUIT"


def out_of_order(t: Target) -> None:
    c = control(t)
    for command in ["LIST", "NLST", "RETR readme.txt", f"STOR {t.upload_dir}/x.txt"]:
        expect(c, command, USE_PORT_OR_PASV)
    first = c.ask("PASV")
    second = c.ask("PASV")
    assert first.startswith("227 ") and second.startswith("227 "), (first, second)
    if pasv_port(first) != pasv_port(second):
        assert_listener_gone(pasv_port(first), "the first PASV's port")
    data = socket.create_connection((LOOPBACK, pasv_port(second)), timeout=10)
    expect(c, "NLST", "150 Here comes the directory listing.")
    listing = read_all(data)
    data.close()
    check(c.reply(), "226 Directory send OK.", "NLST")
    assert {"readme.txt", "pub"} <= names(listing), listing
    expect(c, "LIST", USE_PORT_OR_PASV)  # a PASV serves one transfer
    # A refused PORT forgets the PASV before it.
    assert c.ask("PASV").startswith("227 ")
    expect(c, "PORT 127,0,0,2,200,1", "500 Illegal PORT command.")
    expect(c, "LIST", USE_PORT_OR_PASV)
    c.close()


def third_party(t: Target) -> None:
    """PORT/EPRT naming another address (127.0.0.2: loopback, but not the control peer) or a
    privileged port: refused with 500, and no connection is ever tried."""
    trap = socket.socket()
    trap.bind(("127.0.0.2", 0))
    trap.listen(4)
    port = trap.getsockname()[1]
    c = control(t)
    try:
        expect(c, f"PORT 127,0,0,2,{port >> 8},{port & 255}", "500 Illegal PORT command.")
        expect(c, "LIST", USE_PORT_OR_PASV)
        expect(c, f"EPRT |1|127.0.0.2|{port}|", "500 Illegal EPRT command.")
        expect(c, "LIST", USE_PORT_OR_PASV)
        expect(c, "PORT 127,0,0,1,0,21", "500 Illegal PORT command.")
        expect(c, "EPRT |1|127.0.0.1|21|", "500 Illegal EPRT command.")
        expect(c, "RETR readme.txt", USE_PORT_OR_PASV)
        ready, _, _ = select.select([trap], [], [], 1.0)
        assert not ready, "the server connected to the third-party address"
    finally:
        trap.close()
        c.close()


MALFORMED = [  # command, vsftpd 3.0.3's reply
    ("PORT 1,2,3", "500 Illegal PORT command."),
    ("PORT a,b,c,d,e,f", "500 Illegal PORT command."),
    ("PORT 127,0,0,1,300,1", "500 Illegal PORT command."),
    ("PORT 127,0,0,1,1,1,1", "500 Illegal PORT command."),
    ("PORT 127,0,0,1,-1,5", "500 Illegal PORT command."),
    ("PORT", "500 Illegal PORT command."),
    ("EPRT", "500 Bad EPRT protocol."),
    ("EPRT garbage", "500 Bad EPRT command."),
    ("EPRT |1|nonsense|5|", "500 Bad EPRT command."),
    ("EPRT |1|127.0.0.1|99999|", "500 Bad EPRT command."),
    ("EPRT |1|127.0.0.1||", "500 Bad EPRT command."),
    ("EPRT |9|x|1|", "500 Bad EPRT protocol."),
    ("EPRT |2|::1|50000|", "500 Bad EPRT protocol."),
    ("EPSV 2", "522 Bad network protocol."),
    ("EPSV 3", "522 Bad network protocol."),
    ("EPSV x", "522 Bad network protocol."),
]


def malformed_refused(t: Target) -> None:
    """Each malformed PORT/EPRT/EPSV is refused with a 5xx and sets up nothing."""
    c = control(t)
    for command, _ in MALFORMED:
        got = c.ask(command)
        assert re.fullmatch(r"5\d\d .+", got), f"{command}: expected a refusal, got {got!r}"
        expect(c, "LIST", USE_PORT_OR_PASV)
    c.close()


def malformed_exact(t: Target) -> None:
    c = control(t)
    wrong = []
    for command, want in MALFORMED:
        got = c.ask(command)
        if got != want:
            wrong.append(f"{command!r}: {got!r}, vsftpd {want!r}")
    c.close()
    assert not wrong, "; ".join(wrong)


def missing_arguments(t: Target) -> None:
    c = control(t)
    wrong = []
    for command, want in [("RETR", USE_PORT_OR_PASV), ("STOR", USE_PORT_OR_PASV),
                          ("CWD", "550 Failed to change directory."), ("SIZE", "550 Could not get file size."),
                          ("TYPE", "500 Unrecognised TYPE command."), ("TYPE X", "500 Unrecognised TYPE command."),
                          ("USER", "530 Can't change from guest user.")]:
        got = c.ask(command)
        if got != want:
            wrong.append(f"{command!r}: {got!r}, vsftpd {want!r}")
    c.close()
    assert not wrong, "; ".join(wrong)


TRAVERSAL_FILES = ["../../etc/passwd", "/etc/passwd", "/pub/../../etc/hostname", "../../../../../../etc/shadow",
                   "/../../etc/passwd", "pub/../../../etc/passwd"]


def path_traversal(t: Target) -> None:
    c = control(t)
    expect(c, "CWD ../../..", "250 Directory successfully changed.")
    expect(c, "PWD", '257 "/" is the current directory')
    expect(c, "CWD /etc", "550 Failed to change directory.")
    expect(c, "CWD /root", "550 Failed to change directory.")
    expect(c, "CWD /pub/../..", "250 Directory successfully changed.")
    expect(c, "PWD", '257 "/" is the current directory')
    expect(c, "CDUP", "250 Directory successfully changed.")
    expect(c, "PWD", '257 "/" is the current directory')
    expect(c, "TYPE I", "200 Switching to Binary mode.")
    for path in TRAVERSAL_FILES:
        expect(c, f"SIZE {path}", "550 Could not get file size.")
        first, body, _ = transfer(c, f"RETR {path}")
        check(first, "550 Failed to open file.", f"RETR {path}")
    _, top, _ = transfer(c, "LIST /")
    for path in ["/../..", "../../", "/pub/../../..", ".."]:
        first, body, last = transfer(c, f"LIST {path}")
        check(first, "150 Here comes the directory listing.", f"LIST {path}")
        check(last, "226 Directory send OK.", f"LIST {path}")
        assert names(body) == names(top), f"LIST {path} listed {names(body)}, not the root's {names(top)}"
    first, body, last = transfer(c, "NLST /../..")
    assert names(body) == names(top), f"NLST /../.. listed {names(body)}"
    for path in ["/etc", "../../etc", "/root"]:
        first, body, last = transfer(c, f"LIST {path}")
        check(first, "150 Here comes the directory listing.", f"LIST {path}")
        assert re.fullmatch(r"226 .+", last), f"LIST {path}: {last}"
        assert body == b"", f"LIST {path} listed {body[:200]!r}"
    c.close()


def list_options_and_missing_dir(t: Target) -> None:
    c = control(t)
    _, pub, _ = transfer(c, "LIST /pub")
    first, body, last = transfer(c, "LIST -l /pub")
    assert names(body) == names(pub), f"LIST -l /pub listed {names(body)}, LIST /pub {names(pub)}"
    first, body, last = transfer(c, "LIST /no-such-directory")
    check(last, "226 Directory send OK.", "LIST /no-such-directory")
    c.close()


def pasv_replaced_refuses_at_once(t: Target) -> None:
    """100 times: PASV, PASV again; the first port refuses a connection made the moment the
    second 227 has come (the old listener is closed before the reply that replaces it). Four
    other sessions keep the server busy meanwhile with pipelined NOOPs: on an idle server the
    race of ftpsim's old driver (it aborted the listener's task and replied at once) hardly ever
    showed; with this load it showed within the first few tries, every run."""
    stop = threading.Event()

    def busy() -> None:
        with contextlib.suppress(OSError, AssertionError), control(t) as other:
            while not stop.is_set():
                other.send(b"NOOP\r\n" * 200)
                for _ in range(200):
                    other.reply()

    load = [threading.Thread(target=busy) for _ in range(4)]
    for thread in load:
        thread.start()
    try:
        c = control(t)
        tried = 0
        for _ in range(100):
            first, second = pasv_port(c.ask("PASV")), pasv_port(c.ask("PASV"))
            if first != second:
                tried += 1
                assert_listener_gone(first, f"the replaced passive port {first} (try {tried})")
        assert tried >= 90, f"only {tried} of 100 PASV pairs got two ports"
        c.close()
    finally:
        stop.set()
        for thread in load:
            thread.join()


def failed_retr_keeps_pasv(t: Target) -> None:
    c = control(t)
    reply = c.ask("PASV")
    expect(c, "RETR no-such-file", "550 Failed to open file.")
    data = socket.create_connection((LOOPBACK, pasv_port(reply)), timeout=5)
    expect(c, "NLST", "150 Here comes the directory listing.")
    read_all(data)
    data.close()
    check(c.reply(), "226 Directory send OK.", "NLST")
    c.close()


def failed_stor_keeps_pasv(t: Target) -> None:
    """An anonymous STOR outside incoming/ (vsftpd here: 553; ftpsim, which lets no anonymous
    user upload: 550) leaves the PASV listener for the next transfer command."""
    c = control(t)
    reply = c.ask("PASV")
    got = c.ask("STOR anonymous-refused.txt")
    assert re.fullmatch(r"55[03] .+", got), f"STOR: {got}"
    data = socket.create_connection((LOOPBACK, pasv_port(reply)), timeout=5)
    expect(c, "NLST", "150 Here comes the directory listing.")
    read_all(data)
    data.close()
    check(c.reply(), "226 Directory send OK.", "NLST")
    assert not (t.root / "anonymous-refused.txt").exists()
    c.close()


def anonymous_upload_refused(t: Target) -> None:
    """ftpsim refuses anonymous uploads anywhere (vsftpd's anon_upload_enable=NO); the reference
    vsftpd here allows them into incoming/ only, so it is asked for the root."""
    c = control(t)
    data = open_pasv(c)
    expect(c, "STOR anonymous.txt", "553 Could not create file." if t.kind == "vsftpd" else "550 Permission denied.")
    data.close()
    assert not (t.root / "anonymous.txt").exists()
    c.close()


# ---------------------------------------------------------------- ftpsim only: files and links

def symlinks_not_followed(t: Target) -> None:
    """The root holds links to a directory and a file outside it; neither is ever served."""
    c = control(t)
    _, top, _ = transfer(c, "LIST -a")
    for name in ["outside-dir", "outside-file.txt", "loop"]:
        assert name not in names(top), f"LIST shows the link {name}"
    expect(c, "CWD outside-dir", "550 Failed to change directory.")
    expect(c, "TYPE I", "200 Switching to Binary mode.")
    for path in ["outside-file.txt", "outside-dir/secret.txt", "/outside-dir/secret.txt", "pub/loop/readme.txt"]:
        expect(c, f"SIZE {path}", "550 Could not get file size.")
        first, body, _ = transfer(c, f"RETR {path}")
        check(first, "550 Failed to open file.", f"RETR {path}")
    first, body, last = transfer(c, "LIST outside-dir")
    assert b"secret" not in body, body
    c.close()


def uploads_stay_inside(t: Target) -> None:
    """The account's uploads: `..` and absolute paths stay under the root; a name that is a link
    on disk is not written through; a link to a directory is not a directory."""
    c = control(t, login=False)
    c.login(*t.upload_user)
    expect(c, "TYPE I", "200 Switching to Binary mode.")
    outside = t.extra["outside"]
    for name, want in [("../../escape-1.txt", "226 Transfer complete."),
                       ("/../../../escape-2.txt", "226 Transfer complete."),
                       ("/etc/ftpsim-sockets-escape.txt", "553 Could not create file."),
                       ("outside-dir/escape-3.txt", "553 Could not create file.")]:
        data = open_pasv(c)
        first = c.ask(f"STOR {name}")
        if want.startswith("226"):
            check(first, "150 Ok to send data.", f"STOR {name}")
            data.sendall(b"escape attempt\n")
            data.close()
            check(c.reply(), want, f"STOR {name}")
        else:
            data.close()
            check(first, want, f"STOR {name}")
    assert (t.root / "escape-1.txt").read_bytes() == b"escape attempt\n", "upload not stored under the root"
    assert (t.root / "escape-2.txt").exists()
    for escaped in [outside / "escape-1.txt", outside.parent / "escape-1.txt", outside / "escape-2.txt",
                    outside / "secret" / "escape-3.txt", Path("/etc/ftpsim-sockets-escape.txt")]:
        assert not escaped.exists(), f"an upload escaped to {escaped}"
    # A name that is a link on disk: the server must not write through it.
    upload_onto_link(c, "outside-link-1.txt")
    assert (outside / "secret" / "secret.txt").read_bytes() == SECRET, "the upload was written through the link"
    c.close()


def upload_onto_link(c: Control, name: str) -> str:
    """STOR onto `name`, a link on disk to the secret file; returns the final reply."""
    data = open_pasv(c)
    first = c.ask(f"STOR {name}")
    if not first.startswith("150"):
        data.close()
        return first
    data.sendall(b"overwritten through a link\n")
    data.close()
    return c.reply()


def upload_onto_link_refused(t: Target) -> None:
    c = control(t, login=False)
    c.login(*t.upload_user)
    check(upload_onto_link(c, "outside-link-2.txt"), "553 Could not create file.", "STOR onto a link")
    assert (t.extra["outside"] / "secret" / "secret.txt").read_bytes() == SECRET
    c.close()


# ---------------------------------------------------------------- timing (both servers, in parallel)

def vanish_data(t: Target) -> str:
    """RETR of a big file; the client reads a few bytes and resets the data connection. Returns
    the reply; the control connection must go on."""
    c = control(t)
    c.ask("TYPE I")
    reply = c.ask("PASV")
    data = socket.socket()
    data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data.connect((LOOPBACK, pasv_port(reply)))
    first = c.ask("RETR pub/big.bin")
    check(first, f"150 Opening BINARY mode data connection for pub/big.bin ({BIG} bytes).", "RETR")
    assert data.recv(16), "no data"
    rst_close(data)
    final = c.reply(timeout=DATA * 3 + 3)
    expect(c, "NOOP", "200 NOOP ok.")
    c.close()
    return final


def vanish_data_session_goes_on(t: Target) -> None:
    final = vanish_data(t)
    assert re.fullmatch(r"(226|426) .+", final), final


def vanish_data_426(t: Target) -> None:
    check(vanish_data(t), "426 Failure writing network stream.", "RETR after the client reset the data")


def vanish_whole_client(t: Target) -> None:
    """The whole client vanishes mid-RETR (control and data reset). The server ends the session
    (ftpsim's transcript says `closed`) and serves the next client."""
    c = control(t)
    c.ask("TYPE I")
    reply = c.ask("PASV")
    data = socket.socket()
    data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data.connect((LOOPBACK, pasv_port(reply)))
    c.line("RETR pub/big.bin")
    assert data.recv(16), "no data"
    peer = f"{LOOPBACK}:{c.sock.getsockname()[1]}"
    rst_close(data)
    rst_close(c.sock)
    if t.kind == "ftpsim":
        deadline = time.time() + DATA * 3 + 5
        while not re.search(rf"^#\d+ {re.escape(peer)} closed", t.extra["log"].read_text(), re.M):
            assert time.time() < deadline, f"the transcript never said session {peer} closed"
            time.sleep(0.2)
    c2 = control(t)
    expect(c2, "NOOP", "200 NOOP ok.")
    c2.close()


def never_connects(t: Target, verb: str) -> None:
    """PASV/EPSV, never connect, LIST: 425 once the accept timeout has run out; the session goes on."""
    c = control(t)
    reply = c.ask(verb)
    assert reply.startswith("227 " if verb == "PASV" else "229 "), reply
    started = time.time()
    got = c.ask("LIST", timeout=ACCEPT + 10)
    waited = time.time() - started
    check(got, "425 Failed to establish connection.", f"LIST after {verb} with no connection")
    assert ACCEPT - 0.5 <= waited <= ACCEPT + 3, f"425 after {waited:.1f} s, accept timeout {ACCEPT} s"
    expect(c, "NOOP", "200 NOOP ok.")
    assert_listener_gone(pasv_port(reply) if verb == "PASV" else epsv_port(reply), "the passive port after the 425")
    c.close()


def one_byte_a_second(t: Target) -> None:
    """A command sent one byte a second never completes within the idle timeout: 421 Timeout."""
    c = control(t)
    started = time.time()
    closed = False
    for byte in b"NOOP NOOP NOOP NOOP NOOP NOOP\r\n":
        try:
            c.send(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed = c.closed(1.0) or True
            break
        if c.closed(1.0):
            closed = True
            break
    waited = time.time() - started
    assert closed, f"still open after {waited:.1f} s of one byte a second (idle timeout {IDLE} s)"
    assert c.buffer == b"421 Timeout.\r\n", f"last words {c.buffer!r}"
    assert IDLE - 0.5 <= waited <= IDLE + 2.5, f"cut after {waited:.1f} s, idle timeout {IDLE} s"
    c.close()


def stalled_upload(t: Target) -> None:
    """An upload that sends a few bytes and then nothing: 421 Data timeout, session ended."""
    c = control(t, login=False)
    c.login(*t.upload_user)
    data = open_pasv(c)
    started = time.time()
    expect(c, f"STOR {t.upload_dir}/stalled-{t.kind}.bin", "150 Ok to send data.")
    data.sendall(b"abc")
    got = c.reply(timeout=DATA * 3 + 5)
    waited = time.time() - started
    check(got, "421 Data timeout. Reconnect. Sorry.", "stalled STOR")
    assert DATA - 0.5 <= waited <= DATA * 3 + 2, f"421 after {waited:.1f} s, data timeout {DATA} s"
    assert c.closed(3), "the session was not ended after 421 Data timeout"
    data.close()
    c.close()


def unread_download(t: Target) -> list[str]:
    """RETR of a big file whose data the client never reads. Returns what the control connection
    said until it closed."""
    c = control(t)
    c.ask("TYPE I")
    reply = c.ask("PASV")
    data = socket.socket()
    data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data.connect((LOOPBACK, pasv_port(reply)))
    c.ask("RETR pub/big.bin")
    said = []
    deadline = time.time() + DATA * 3 + IDLE + 5
    while time.time() < deadline:
        try:
            said.append(c.reply(timeout=max(0.1, deadline - time.time())))
        except (ConnectionError, OSError, TimeoutError):
            break
    data.close()
    c.close()
    return said


def unread_small_download(t: Target) -> None:
    """RETR of 64 KB the client never reads: the server's writes fit in the socket buffers, and
    its close waits for the client's acknowledgements (vsftpd: SO_LINGER) until the data timeout
    interrupts it; then 226, and the session goes on.

    Whether the client's kernel takes all 64 KB into its small receive buffer anyway depends on
    the kernel and on how the server hands the bytes over (vsftpd uses sendfile, and on some
    kernels the whole file is queued and acknowledged at once). The rule is the same either way:
    the 226 waits for every byte to be acknowledged, or for the data timeout. So the test reads
    how much the client's socket holds when the 226 comes and expects the timing that follows.

    Real vsftpd, once in about six full test runs on a loaded machine, said 226 at once with only
    4 KB acknowledged (its lingering close returned early; not seen when the suite runs alone).
    For the real program only, that one case is tried a second time, and the output says so; it
    fails if it happens twice in a row. The simulator's server gets no second try."""
    attempts = 2 if t.kind == "vsftpd" else 1
    for attempt in range(1, attempts + 1):
        early = unread_small_download_once(t)
        if early is None:
            return
        if attempt < attempts:
            say(f"sockets: [{t.kind}] {early}; trying the case once more")
    raise AssertionError(early)


def unread_small_download_once(t: Target) -> str | None:
    """One try of `unread_small_download`: None when it behaved as the rule says, or what the
    real server did when its 226 came before the data timeout with bytes unacknowledged."""
    c = control(t)
    c.ask("TYPE I")
    reply = c.ask("PASV")
    data = socket.socket()
    data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    # And a clamped window, so that the server's kernel may not send much more than 4 KB ahead
    # whatever the receiver's buffer (the case where the 226 waits is then the one tested).
    data.setsockopt(socket.IPPROTO_TCP, socket.TCP_WINDOW_CLAMP, 4096)
    data.connect((LOOPBACK, pasv_port(reply)))
    started = time.time()
    expect(c, "RETR pub/medium.bin", f"150 Opening BINARY mode data connection for pub/medium.bin ({MEDIUM} bytes).")
    got = c.reply(timeout=DATA * 3 + 3)
    waited = time.time() - started
    held = queued_bytes(data)
    check(got, "226 Transfer complete.", "RETR never read")
    early = None
    if held >= MEDIUM:
        say(f"sockets: [{t.kind}] the client's kernel took all {MEDIUM} bytes unread; 226 after {waited:.1f} s")
        assert waited <= 1.5, f"226 after {waited:.1f} s although the client had acknowledged every byte"
    elif waited < DATA - 0.5 and t.kind == "vsftpd":
        early = f"226 after {waited:.1f} s with {held} of {MEDIUM} bytes acknowledged, data timeout {DATA} s"
    else:
        assert DATA - 0.5 <= waited <= DATA + 2, \
            f"226 after {waited:.1f} s with {held} of {MEDIUM} bytes acknowledged, data timeout {DATA} s"
    expect(c, "NOOP", "200 NOOP ok.")
    data.close()
    c.close()
    return early


def queued_bytes(sock: socket.socket) -> int:
    """Bytes received and acknowledged by the kernel but not yet read (FIONREAD / SIOCINQ)."""
    return struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]


def vanish_data_pyftpdlib(port: int) -> None:
    """pyftpdlib's words when the client resets the data connection mid-RETR, for ftpsim's
    pyftpdlib profile: 426 with the bytes handed to the socket so far; the session goes on."""
    c = Control(port, timeout=10)
    c.login()
    c.ask("TYPE I")
    reply = c.ask("PASV")
    data = socket.socket()
    data.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    data.connect((LOOPBACK, pasv_port(reply)))
    # pyftpdlib says 125 (the connection is open already); ftpsim says 150 when its driver hears
    # of the RETR before the accepted connection (see the report on the engine's ordering).
    first = c.ask("RETR pub/big.bin")
    check(first, re.compile(r"1(25|50) .+"), "RETR")
    assert data.recv(16), "no data"
    rst_close(data)
    check(c.reply(timeout=DATA * 3 + 3), re.compile(r"426 Transfer aborted; \d+ bytes transmitted\."),
          "RETR after the client reset the data")
    check(c.ask("NOOP"), re.compile(r"200 .+"), "NOOP")
    c.close()


def unread_download_ends(t: Target) -> None:
    said = unread_download(t)
    assert said and said[-1].startswith("421 "), f"not ended with a 421: {said}"


def unread_download_data_timeout(t: Target) -> None:
    said = unread_download(t)
    assert said == ["421 Data timeout. Reconnect. Sorry."], f"said {said}, vsftpd 421 Data timeout"


# ---------------------------------------------------------------- the part

DIALOGUES = [  # name, function, ftpsim bug (expected failure) or None, both servers?
    ("garbage and binary bytes before login: 530, then login works", garbage_before_login, None, True),
    ("garbage, binary bytes and 2000 pipelined commands after login", garbage_after_login, None, True),
    ("a line of spaces is answered (530 before login, 500 after), an empty one not", blank_line, None, True),
    ("a 10 KB line with CRLF: 500 Input line too long.", overlong_line, None, True),
    ("a 10 KB line ends the session, as in vsftpd", overlong_line_ends_session, None, True),
    ("the line limit is 4096 bytes with the line end", line_limit_counts_line_end, None, True),
    ("an 8 MB line without a newline: one 500, memory bounded", huge_line_without_newline, None, True),
    ("commands before login, PASS before USER, USER after login", before_login, None, True),
    ("transfers before PORT/PASV: 425; a second PASV replaces the first", out_of_order, None, True),
    ("PORT/EPRT to a third-party address or port 21: 500, never connected", third_party, None, True),
    ("malformed PORT/EPRT/EPSV are refused and set up nothing", malformed_refused, None, True),
    ("malformed PORT/EPRT/EPSV get vsftpd's exact replies", malformed_exact, None, True),
    ("commands without their argument get vsftpd's replies", missing_arguments, None, True),
    ("path traversal: CWD/SIZE/RETR/LIST/NLST never leave the root", path_traversal, None, True),
    ("LIST -l DIR and LIST of a missing directory as vsftpd", list_options_and_missing_dir, None, True),
    ("a RETR refused with 550 keeps the PASV listener", failed_retr_keeps_pasv, None, True),
    ("a STOR refused keeps the PASV listener", failed_stor_keeps_pasv, None, True),
    ("a replaced PASV port refuses at once, 100 times", pasv_replaced_refuses_at_once, None, True),
    ("anonymous STOR refused", anonymous_upload_refused, None, True),
    ("symbolic links to outside the root are never followed", symlinks_not_followed, None, False),
    ("uploads with .., absolute paths and links stay inside the root", uploads_stay_inside, None, False),
    ("an upload onto a link on disk is refused with 553", upload_onto_link_refused, None, False),
]

TIMED = [
    ("client resets the data connection mid-RETR: the session goes on", vanish_data_session_goes_on, None),
    ("client resets the data connection mid-RETR: 426", vanish_data_426, None),
    ("the whole client vanishes mid-RETR: session closed, server serves on", vanish_whole_client, None),
    ("PASV never connected, then LIST: 425 after the accept timeout", lambda t: never_connects(t, "PASV"), None),
    ("EPSV never connected, then LIST: 425 after the accept timeout", lambda t: never_connects(t, "EPSV"), None),
    ("one byte a second: 421 Timeout. at the idle timeout", one_byte_a_second, None),
    ("a stalled upload: 421 Data timeout. Reconnect. Sorry.", stalled_upload, None),
    ("a download never read: the session ends with a 421", unread_download_ends, None),
    ("a download never read: 421 Data timeout. Reconnect. Sorry. only", unread_download_data_timeout, None),
    ("a 64 KB download never read: 226 once the data timeout ends the lingering close", unread_small_download,
     None),
]


def make_root(base: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """The served tree, with links that lead outside it, and the outside."""
    rng = random.Random(5)
    files = {
        "/readme.txt": b"hostile-input root\n",
        "/pub/notes.txt": b"notes\n" * 50,
        "/pub/blob.bin": rng.randbytes(1 << 20),
        "/pub/big.bin": rng.randbytes(BIG),
        "/pub/medium.bin": rng.randbytes(MEDIUM),
    }
    root = base / "root"
    for path, data in files.items():
        (root / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_bytes(data)
    (root / "upload").mkdir()
    outside = base / "outside"
    (outside / "secret").mkdir(parents=True)
    (outside / "secret" / "secret.txt").write_bytes(SECRET)
    (root / "outside-dir").symlink_to(outside / "secret")
    (root / "outside-file.txt").symlink_to(outside / "secret" / "secret.txt")
    for n in (1, 2):  # for the upload cases
        (root / f"outside-link-{n}.txt").symlink_to(outside / "secret" / "secret.txt")
    (root / "pub" / "loop").symlink_to("..")
    return root, outside, files


def normal_session(t: Target, files: dict[str, bytes], upload_name: str) -> None:
    c = control(t, login=False)
    c.login(*t.upload_user)
    expect(c, "TYPE I", "200 Switching to Binary mode.")
    _, listing, last = transfer(c, "LIST /pub")
    check(last, "226 Directory send OK.", "LIST /pub")
    assert {"notes.txt", "blob.bin", "big.bin"} <= names(listing), listing
    for path in ["/pub/blob.bin", "/pub/big.bin"]:
        _, body, last = transfer(c, f"RETR {path}")
        check(last, "226 Transfer complete.", f"RETR {path}")
        assert body == files[path], f"RETR {path}: {len(body)} bytes, not the file's {len(files[path])}"
    data = open_pasv(c)
    expect(c, f"STOR {t.upload_dir}/{upload_name}", "150 Ok to send data.")
    data.sendall(files["/pub/blob.bin"])
    data.close()
    check(c.reply(), "226 Transfer complete.", "STOR")
    expect(c, "QUIT", "221 Goodbye.")
    c.close()
    stored = t.root / t.upload_dir.lstrip("/") / upload_name
    assert stored.read_bytes() == files["/pub/blob.bin"], f"{stored} differs from what was sent"


def run(tally: Tally, python: str) -> None:
    work = tmpdir("hostile")
    root, outside, files = make_root(work)
    limits = ["--idle-timeout", str(IDLE), "--data-timeout", str(DATA), "--accept-timeout", str(ACCEPT),
              "--connect-timeout", str(CONNECT)]
    server = start_ftpsim(root, work, "--writable", "--user", "demo:demo", *limits,
                          env={"MALLOC_MMAP_THRESHOLD_": "131072"})
    ftpsim = Target("ftpsim", server.port, root, ("demo", "demo"), "/upload", proc=server.proc,
                    extra={"outside": outside, "log": server.logs[0]})

    reference = None
    why_not = vsftpd_available()
    if why_not:
        tally.skip("the expectations checked against vsftpd 3.0.3", why_not)
    else:
        vs_work = work / "vsftpd"
        vs_work.mkdir()
        vs = start_vsftpd(files, vs_work, idle_session_timeout=str(IDLE), data_connection_timeout=str(DATA),
                          accept_timeout=str(ACCEPT), connect_timeout=str(CONNECT))
        reference = Target("vsftpd", vs.port, vs_work / "vsftpd-root", ("anonymous", "guest@example.com"),
                           "/incoming", proc=vs.proc)

    # Warm-up, then the level memory must come back to.
    tally.check("warm-up: a normal session (LIST, 1 MB and 16 MB RETR, 1 MB STOR)", lambda: [
        normal_session(ftpsim, files, f"warm-up-{n}.bin") for n in range(3)])
    time.sleep(1.0)
    level, fds, threads_level = rss_kib(server.proc.pid), open_fds(server.proc.pid), thread_count(server.proc.pid)

    if reference:
        say("checking the expectations against a real vsftpd 3.0.3 first")
        for name, fn, _bug, both in DIALOGUES:
            if both:
                tally.check(f"[vsftpd] {name}", fn, reference)
    for name, fn, bug, _both in DIALOGUES:
        tally.check(f"[ftpsim] {name}", fn, ftpsim, expect_failure=bug)

    # The cases that wait for a timeout run side by side, on both servers.
    threads = []
    for target in [t for t in (reference, ftpsim) if t]:
        for name, fn, bug in TIMED:
            threads.append(threading.Thread(target=tally.check, args=(f"[{target.kind}] {name}", fn, target),
                                            kwargs={"expect_failure": bug if target.kind == "ftpsim" else None}))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # ftpsim's pyftpdlib profile against pyftpdlib itself, on the same tree.
    py_work = work / "pyftpdlib"
    py_work.mkdir()
    pyftpd = start_pyftpdlib(python, root, py_work)
    sim_py = start_ftpsim(root, py_work, "--server", "pyftpdlib", *limits)
    name = "client resets the data connection mid-RETR: 426 Transfer aborted; N bytes transmitted."
    tally.check(f"[pyftpdlib] {name}", vanish_data_pyftpdlib, pyftpd.port)
    tally.check(f"[ftpsim --server pyftpdlib] {name}", vanish_data_pyftpdlib, sim_py.port)
    sim_py.stop()
    pyftpd.stop()

    tally.check("[ftpsim] after all that, a normal session works", normal_session, ftpsim, files, "after.bin")
    time.sleep(2.0)

    def alive_and_no_panic():
        assert server.alive(), f"ftpsim serve exited with {server.proc.returncode}"
        text = server.log_text()
        assert "panicked" not in text and "RUST_BACKTRACE" not in text, "ftpsim serve printed a panic"

    tally.check("[ftpsim] the server is alive and printed no panic", alive_and_no_panic)

    def memory_back_to_level():
        now = rss_kib(server.proc.pid)
        say(f"ftpsim serve VmRSS: {level} KiB after the warm-up, {now} KiB after the hostile suite "
            f"({now - level:+d} KiB; tolerance {RSS_TOLERANCE_KIB} KiB)")
        assert now - level <= RSS_TOLERANCE_KIB, (
            f"VmRSS grew from {level} KiB to {now} KiB (+{now - level} KiB, tolerance {RSS_TOLERANCE_KIB} KiB)")

    tally.check("[ftpsim] its memory came back to its level", memory_back_to_level)

    def sockets_freed():
        now_fds, now_threads = open_fds(server.proc.pid), thread_count(server.proc.pid)
        say(f"ftpsim serve: {fds} open files and {threads_level} threads after the warm-up, "
            f"{now_fds} and {now_threads} after the hostile suite")
        assert now_fds <= fds, f"{now_fds} open files after the suite, {fds} after the warm-up: sockets left open"

    tally.check("[ftpsim] every session's sockets were closed", sockets_freed)
    server.stop()
