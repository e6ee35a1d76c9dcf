"""Part 1: real clients against `ftpsim serve`.

One server, `--root` a temporary tree (a text file, pub/ with a text file and a 1 MB binary one,
an empty upload/), `--writable --user demo:demo`. curl in PORT, EPRT, PASV and EPSV; Python's
ftplib active and passive; Debian's lftp with passive mode on and off: each lists, downloads
(the bytes compared) and uploads with the account (the file compared on disk under the root, and
downloaded back). Then 50 ftplib sessions at once, each listing and downloading; anonymous
uploads refused with 550. Each client's own log shows that it used the mode it was asked for.
"""

from __future__ import annotations

import ftplib
import hashlib
import io
import os
import shutil
import subprocess
import threading
from pathlib import Path

from common import LOOPBACK, Tally, make_tree, run as run_process, say, start_ftpsim, tmpdir

CURL_MODES = {  # name: (curl options, the command curl's log must show)
    "PORT": (["--ftp-port", "-", "--disable-eprt"], "PORT"),
    "EPRT": (["--ftp-port", "-"], "EPRT"),
    "PASV": (["--ftp-pasv", "--disable-epsv"], "PASV"),
    "EPSV": (["--ftp-pasv"], "EPSV"),
}
CONCURRENT = 50


def curl(*args) -> subprocess.CompletedProcess:
    return run_process(["curl", "-sS", "-v", "--max-time", "60", *args], timeout=90)


def sent(log: bytes, verb: str) -> bool:
    """curl -v shows each command it sends as `> VERB ...`."""
    return any(line.startswith(f"> {verb}".encode()) for line in log.splitlines())


def listing_names(text: str) -> set[str]:
    return {line.split()[-1] for line in text.splitlines() if line.strip()}


def check_curl(server, root: Path, files: dict[str, bytes], work: Path, mode: str) -> None:
    options, verb = CURL_MODES[mode]
    # list
    r = curl(*options, server.url("/pub/"))
    assert r.returncode == 0, f"curl list exited {r.returncode}: {r.stderr.decode(errors='replace')[-800:]}"
    assert sent(r.stderr, verb) and sent(r.stderr, "LIST"), f"curl did not use {verb} + LIST"
    assert {"notes.txt", "blob.bin"} <= listing_names(r.stdout.decode()), r.stdout
    # get
    out = work / f"curl-{mode}.get"
    r = curl(*options, "-o", out, server.url("/pub/blob.bin"))
    assert r.returncode == 0, f"curl get exited {r.returncode}: {r.stderr.decode(errors='replace')[-800:]}"
    assert sent(r.stderr, verb) and sent(r.stderr, "RETR"), f"curl did not use {verb} + RETR"
    assert out.read_bytes() == files["/pub/blob.bin"], "downloaded bytes differ"
    # put, with the account
    source = work / f"curl-{mode}.put"
    source.write_bytes(files["/pub/blob.bin"][::-1] + mode.encode())
    r = curl(*options, "-T", source, server.url(f"/upload/curl-{mode}.bin", user="demo:demo"))
    assert r.returncode == 0, f"curl put exited {r.returncode}: {r.stderr.decode(errors='replace')[-800:]}"
    assert sent(r.stderr, verb) and sent(r.stderr, "STOR"), f"curl did not use {verb} + STOR"
    on_disk = root / "upload" / f"curl-{mode}.bin"
    assert on_disk.exists() and on_disk.read_bytes() == source.read_bytes(), f"{on_disk} is not what was sent"
    # and back
    back = work / f"curl-{mode}.back"
    r = curl(*options, "-o", back, server.url(f"/upload/curl-{mode}.bin"))
    assert r.returncode == 0 and back.read_bytes() == source.read_bytes(), "the upload does not come back the same"


class LoggingFTP(ftplib.FTP):
    """ftplib.FTP that remembers the commands it sent."""

    def __init__(self, *args, **kwargs):
        self.commands: list[str] = []
        super().__init__(*args, **kwargs)

    def putcmd(self, line):
        self.commands.append(line.split(" ")[0].upper())
        super().putcmd(line)


def check_ftplib(server, root: Path, files: dict[str, bytes], passive: bool) -> None:
    mode = "passive" if passive else "active"
    ftp = LoggingFTP()
    ftp.connect(LOOPBACK, server.port, timeout=30)
    try:
        ftp.login("demo", "demo")
        ftp.set_pasv(passive)
        lines: list[str] = []
        ftp.retrlines("LIST /pub", lines.append)
        assert {"notes.txt", "blob.bin"} <= listing_names("\n".join(lines)), lines
        assert {"notes.txt", "blob.bin"} <= {name.rsplit("/", 1)[-1] for name in ftp.nlst("/pub")}
        got = bytearray()
        ftp.retrbinary("RETR /pub/blob.bin", got.extend)
        assert bytes(got) == files["/pub/blob.bin"], "downloaded bytes differ"
        payload = files["/pub/blob.bin"][: 300_000] + mode.encode()
        ftp.storbinary(f"STOR /upload/ftplib-{mode}.bin", io.BytesIO(payload))
        ftp.quit()
    finally:
        ftp.close()
    expected = "PASV" if passive else "PORT"
    assert expected in ftp.commands and ({"PASV", "PORT"} - {expected}).isdisjoint(ftp.commands), ftp.commands
    assert (root / "upload" / f"ftplib-{mode}.bin").read_bytes() == payload, "the upload on disk differs"


def check_lftp(server, root: Path, files: dict[str, bytes], work: Path, passive: bool) -> None:
    mode = "on" if passive else "off"
    home = work / f"lftp-home-{mode}"  # lftp keeps history files in $HOME: not the user's
    home.mkdir(exist_ok=True)
    got = work / f"lftp-{mode}.get"
    source = work / f"lftp-{mode}.put"
    source.write_bytes(files["/pub/blob.bin"][: 500_000] + mode.encode())
    script = "; ".join([
        f"set ftp:passive-mode {mode}", "set net:max-retries 1", "set net:timeout 20",
        "set cmd:fail-exit yes", "set xfer:clobber on",
        f"open -u demo,demo ftp://{LOOPBACK}:{server.port}",
        "cls -1 /pub", f"get /pub/blob.bin -o {got}", f"put {source} -o /upload/lftp-{mode}.bin",
    ])
    r = run_process(["lftp", "-d", "-c", script], timeout=90, env={**os.environ, "HOME": str(home)})
    log = (r.stdout + r.stderr).decode(errors="replace")
    assert r.returncode == 0, f"lftp exited {r.returncode}: {log[-1500:]}"
    verb = "PASV" if passive else "PORT"
    commands = [line[5:].split(" ")[0] for line in log.splitlines() if line.startswith("---> ")]
    assert verb in commands and ({"PASV", "PORT", "EPSV", "EPRT"} - {verb}).isdisjoint(commands), commands
    assert {"notes.txt", "blob.bin"} <= {path.rsplit("/", 1)[-1] for path in r.stdout.decode().split()}, r.stdout
    assert got.read_bytes() == files["/pub/blob.bin"], "downloaded bytes differ"
    assert (root / "upload" / f"lftp-{mode}.bin").read_bytes() == source.read_bytes(), "the upload on disk differs"


def check_concurrent(server, files: dict[str, bytes]) -> None:
    """50 sessions logged in at the same time (a barrier), each listing and fetching 1 MB; half
    passive, half active."""
    want = hashlib.sha256(files["/pub/blob.bin"]).hexdigest()
    barrier = threading.Barrier(CONCURRENT, timeout=60)
    errors: list[str] = []

    def session(index: int) -> None:
        ftp = ftplib.FTP()
        try:
            ftp.connect(LOOPBACK, server.port, timeout=60)
            ftp.login()
            ftp.set_pasv(index % 2 == 0)
            barrier.wait()
            listed = {name.rsplit("/", 1)[-1] for name in ftp.nlst("/pub")}
            assert {"notes.txt", "blob.bin"} <= listed, f"listed {listed}"
            digest = hashlib.sha256()
            ftp.retrbinary("RETR /pub/blob.bin", digest.update)
            assert digest.hexdigest() == want, "downloaded bytes differ"
            text = bytearray()
            ftp.retrbinary("RETR /pub/notes.txt", text.extend)
            assert bytes(text) == files["/pub/notes.txt"], "notes.txt differs"
            ftp.quit()
        except Exception as error:  # noqa: BLE001
            errors.append(f"session {index} ({'passive' if index % 2 == 0 else 'active'}): "
                          f"{type(error).__name__}: {error}")
            barrier.abort()
        finally:
            ftp.close()

    workers = [threading.Thread(target=session, args=(index,)) for index in range(CONCURRENT)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "sessions still running after 120 s"
    real = [e for e in errors if "BrokenBarrierError" not in e] or errors
    assert not errors, f"{len(errors)} of {CONCURRENT} sessions failed: {real[:5]}"


def check_anonymous_put_refused(server, root: Path, work: Path) -> None:
    ftp = ftplib.FTP()
    ftp.connect(LOOPBACK, server.port, timeout=30)
    ftp.login()
    try:
        ftp.storbinary("STOR /upload/anonymous.bin", io.BytesIO(b"anonymous upload"))
        raise AssertionError("anonymous STOR was accepted")
    except ftplib.error_perm as error:
        assert str(error) == "550 Permission denied.", f"refused with {error}"
    finally:
        ftp.close()
    source = work / "anonymous.put"
    source.write_bytes(b"anonymous upload")
    r = curl("-T", source, server.url("/upload/anonymous-curl.bin"))
    assert r.returncode == 25, f"curl exited {r.returncode}, expected 25 (upload failed)"
    assert b"< 550 Permission denied." in r.stderr, r.stderr[-500:]
    assert not (root / "upload" / "anonymous.bin").exists() and not (root / "upload" / "anonymous-curl.bin").exists()


def lftp_missing() -> None:
    raise AssertionError("lftp is missing: scripts/tools.sh fidelity installs Debian's lftp")


def run(tally: Tally, python: str) -> None:
    del python
    work = tmpdir("clients")
    root = work / "root"
    files = make_tree(root)
    server = start_ftpsim(root, work, "--writable", "--user", "demo:demo")
    for mode in CURL_MODES:
        tally.check(f"curl {mode}: list, get, put with the account", check_curl, server, root, files, work, mode)
    for passive in (False, True):
        tally.check(f"ftplib {'passive' if passive else 'active'}: LIST/NLST, retrbinary, storbinary",
                    check_ftplib, server, root, files, passive)
    if shutil.which("lftp"):
        for passive in (True, False):
            tally.check(f"lftp passive-mode {'on' if passive else 'off'}: ls, get, put",
                        check_lftp, server, root, files, work, passive)
    elif os.geteuid() != 0:
        tally.skip("lftp", "lftp is not installed and, not being root, scripts/tools.sh does not install it")
    else:
        tally.check("lftp", lftp_missing)
    tally.check(f"{CONCURRENT} concurrent ftplib sessions each list and fetch, all correct",
                check_concurrent, server, files)
    tally.check("anonymous uploads refused with 550 (ftplib, curl)", check_anonymous_put_refused, server, root, work)

    def alive():
        assert server.alive(), f"ftpsim serve exited with {server.proc.returncode}"
        assert "panicked" not in server.log_text(), "ftpsim serve printed a panic"

    tally.check("the server is alive and printed no panic", alive)
    say(f"ftpsim serve transcript: {len(server.log_text().splitlines())} lines")
    server.stop()
