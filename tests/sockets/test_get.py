"""Part 2: `ftpsim get`, `ftpsim ls` and `ftpsim put` against real servers on loopback.

Servers: pyftpdlib 2.2 (pyftpd_server.py: anonymous read-only, the account demo:demo writable),
and Debian's vsftpd 3.0.3 in the foreground as root (anonymous; uploads are anonymous ones into
incoming/, a directory owned by ftp, with write_enable, anon_upload_enable and anon_umask=022:
vsftpd refuses to serve an anonymous root that ftp could write, so the root stays root's).

Every mode of each client profile: curl port, eprt, pasv, epsv, auto; ftplib port, pasv, auto
(ftplib has no EPRT/EPSV on IPv4). For each: ls (exit 0, the names on stdout), get (exit 0, the
bytes), put (exit 0, the file on the server's disk), and the transcript shows the data command
the mode calls for. Then the exit statuses of failures: 1 for a refused transfer or a server that
is not there, 2 for bad arguments.
"""

from __future__ import annotations

import concurrent.futures as cf
import re
from pathlib import Path

from common import (FTPSIM, VSFTPD_UPLOAD_DIR, Tally, free_port, make_tree, run as run_process,
                    start_pyftpdlib, start_vsftpd, tmpdir, vsftpd_available)

PROFILE_MODES = {  # profile: {mode: the data command its transcript must show}
    "curl": {"port": "PORT", "eprt": "EPRT", "pasv": "PASV", "epsv": "EPSV", "auto": "EPSV"},
    "ftplib": {"port": "PORT", "pasv": "PASV", "auto": "PASV"},
}
DATA_COMMANDS = {"PORT", "EPRT", "PASV", "EPSV"}


def ftpsim(*args, timeout: float = 60):
    return run_process([FTPSIM, *args], timeout=timeout)


def data_commands(transcript: bytes) -> list[str]:
    """The data set-up commands in a client transcript (`#1 127.0.0.1:21 > PASV`)."""
    found = re.findall(rb"^#\d+ \S+ > ([A-Z]{4})\b", transcript, re.M)
    return [verb.decode() for verb in found if verb.decode() in DATA_COMMANDS]


def explain(r) -> str:
    return f"exit {r.returncode}; transcript: {r.stderr.decode(errors='replace')[-1200:]}"


def check_mode(server, disk_root: Path, files: dict[str, bytes], work: Path, profile: str, mode: str,
               upload_url: str, upload_dir: Path) -> None:
    verb = PROFILE_MODES[profile][mode]
    flags = ["--client", profile, "--mode", mode]
    # ls
    r = ftpsim("ls", *flags, server.url("/pub/"))
    assert r.returncode == 0, f"ls: {explain(r)}"
    assert data_commands(r.stderr) == [verb], f"ls used {data_commands(r.stderr)}, not {verb}"
    listed = {line.split()[-1] for line in r.stdout.decode().splitlines() if line.strip()}
    assert {"notes.txt", "blob.bin"} <= listed, f"ls printed {r.stdout[:500]!r}"
    # get
    out = work / f"{server.name}-{profile}-{mode}.get"
    r = ftpsim("get", *flags, server.url("/pub/blob.bin"), "-o", out)
    assert r.returncode == 0, f"get: {explain(r)}"
    assert data_commands(r.stderr) == [verb], f"get used {data_commands(r.stderr)}, not {verb}"
    assert out.read_bytes() == files["/pub/blob.bin"], "downloaded bytes differ"
    # put
    source = work / f"{profile}-{mode}.bin"
    source.write_bytes(files["/pub/blob.bin"][::-1][: 700_000] + f"{profile} {mode}".encode())
    r = ftpsim("put", *flags, source, upload_url)
    assert r.returncode == 0, f"put: {explain(r)}"
    assert data_commands(r.stderr) == [verb], f"put used {data_commands(r.stderr)}, not {verb}"
    stored = upload_dir / source.name
    assert stored.exists() and stored.read_bytes() == source.read_bytes(), f"{stored} is not what was sent"


def check_failures(server, work: Path, refused_put_url: str) -> None:
    r = ftpsim("get", server.url("/pub/no-such-file"), "-o", work / "missing.out")
    assert r.returncode == 1, f"get of a missing file: {explain(r)}"
    assert b"failed:" in r.stderr and b" 550 " in r.stderr, r.stderr[-500:]
    assert not (work / "missing.out").exists(), "a failed get wrote its output file"
    source = work / "refused.txt"
    source.write_bytes(b"refused\n")
    r = ftpsim("put", source, refused_put_url)
    assert r.returncode == 1, f"refused put: {explain(r)}"
    assert re.search(rb"failed: .*55\d ", r.stderr), r.stderr[-500:]


def check_bad_arguments(work: Path) -> None:
    for args in (["get", "http://127.0.0.1/x"], ["get", "ftp://127.0.0.1:99999/x"], ["get", "ftp://127.0.0.1/"],
                 ["ls", "ftp://127.0.0.1/", "--mode", "sideways"], ["put", work / "does-not-exist", "ftp://127.0.0.1/"]):
        r = ftpsim(*args)
        assert r.returncode == 2, f"ftpsim {' '.join(map(str, args))}: exit {r.returncode}, expected 2"


def check_nobody_there() -> None:
    port = free_port()  # nothing listens there
    r = ftpsim("ls", f"ftp://127.0.0.1:{port}/", timeout=30)
    assert r.returncode == 1, f"ls of a closed port: {explain(r)}"


def run(tally: Tally, python: str) -> None:
    work = tmpdir("get")
    targets = []  # (server, disk root, upload URL, upload dir on disk, refused-put URL)
    py_root = work / "pyftpdlib-root"
    files = make_tree(py_root)
    pyftpd = start_pyftpdlib(python, py_root, work)
    targets.append((pyftpd, py_root, pyftpd.url("/upload/", user="demo:demo"), py_root / "upload",
                    pyftpd.url("/upload/")))
    why_not = vsftpd_available()
    if why_not:
        tally.skip("ftpsim get/ls/put against vsftpd", why_not)
    else:
        vs_work = work / "vsftpd"
        vs_work.mkdir()
        vsftpd = start_vsftpd(files, vs_work)
        vs_root = vs_work / "vsftpd-root"
        targets.append((vsftpd, vs_root, vsftpd.url(f"/{VSFTPD_UPLOAD_DIR}/"), vs_root / VSFTPD_UPLOAD_DIR,
                        vsftpd.url("/pub/")))

    with cf.ThreadPoolExecutor(max_workers=4) as pool:
        futures = []
        for server, disk_root, upload_url, upload_dir, _ in targets:
            for profile, modes in PROFILE_MODES.items():
                for mode in modes:
                    out = work / server.name.replace(" ", "-")
                    out.mkdir(exist_ok=True)
                    futures.append(pool.submit(
                        tally.check, f"{server.name}: ftpsim ls/get/put --client {profile} --mode {mode}",
                        check_mode, server, disk_root, files, out, profile, mode, upload_url, upload_dir))
        for future in futures:
            future.result()

    for server, _, _, _, refused_put_url in targets:
        tally.check(f"{server.name}: a missing file and a refused upload exit 1 with the reply",
                    check_failures, server, work, refused_put_url)
    tally.check("a closed port exits 1", check_nobody_there)
    tally.check("bad arguments exit 2", check_bad_arguments, work)
    for server, *_ in targets:
        tally.check(f"{server.name} is still running", still_running, server)


def still_running(server) -> None:
    assert server.alive(), f"{server.name} exited with {server.proc.returncode}"
