"""The real side of a cell: the simulator's topology built from Linux network namespaces.

Every cell gets its own chain of five namespaces

    client -- home router -- internet -- server edge -- server

joined by veth pairs, with nftables on the routers (stateful forward filter, masquerade, DNAT and
SNAT for the server behind NAT, the kernel's FTP conntrack helper assigned with `ct helper set`),
a real FTP server (Debian's vsftpd or pyftpdlib) in the server namespace and a real client (curl
or Python's ftplib) in the client namespace. tcpdump captures the client's and the server's
interface; the control conversation is reassembled from the client's capture.

Nothing leaves the namespaces: they have no link to the host's own network, and the "internet"
namespace routes only between the two ends. Every namespace is named `fsm<pid>x...` after the
harness process that made it; every namespace and every process the harness starts is removed
when a cell ends, when the harness exits, after an error, Ctrl-C or SIGTERM, and namespaces of a
harness that was killed outright are removed by the next run (`remove_stale_namespaces`).

What this module deliberately leaves out: IPv6 (disabled in every namespace), link latency (the
veth pairs have none), and any user but anonymous.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from cells import Cell, Settings

NS_PREFIX = "fsm"
SERVER_PUBLIC = "198.51.100.10"
SERVER_PRIVATE = "10.0.0.10"
PASSIVE_RANGE = (50000, 51000)
FILE_NAME = "lesson-notes.txt"
FILE_TEXT = "FTP lesson notes: active mode = server connects to client; passive = client connects.\n"
UPLOAD_NAME = "homework.txt"          # what both clients upload, into upload/
PYTHON = sys.executable
TRANSFER_VERBS = ("LIST", "RETR", "STOR", "NLST")

# --------------------------------------------------------------------------------------------
# Bookkeeping of everything we create, so that it can always be removed.
# --------------------------------------------------------------------------------------------

_registry_lock = threading.Lock()
_namespaces: set[str] = set()
_procs: set[subprocess.Popen] = set()
shutting_down = threading.Event()
INJECT_FAILURE = os.environ.get("FTPSIM_FIDELITY_INJECT_FAILURE") == "1"   # self-test only


class ShuttingDown(RuntimeError):
    pass


def ns_base() -> str:
    return f"{NS_PREFIX}{os.getpid()}x"


def _register_ns(name: str) -> None:
    with _registry_lock:
        _namespaces.add(name)
    if shutting_down.is_set():
        raise ShuttingDown("interrupted")


def register_proc(p: subprocess.Popen) -> subprocess.Popen:
    with _registry_lock:
        _procs.add(p)
    if shutting_down.is_set():
        kill_proc(p, wait=1.0)
        raise ShuttingDown("interrupted")
    return p


def kill_proc(p: subprocess.Popen, sig=signal.SIGTERM, wait: float = 2.0) -> None:
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            p.kill()
            try:
                p.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        except ProcessLookupError:
            pass
    with _registry_lock:
        _procs.discard(p)


def _ns_pids(ns: str) -> list[int]:
    r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
    return [int(x) for x in r.stdout.split() if x.strip().isdigit()]


def delete_namespaces(names) -> None:
    for ns in list(names):
        # Kill, by pid, every process still living in a namespace this harness created (vsftpd's
        # session processes, curl, tcpdump ...): all of them were started by the harness.
        for attempt in range(3):
            pids = _ns_pids(ns)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL if attempt else signal.SIGTERM)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        with _registry_lock:
            _namespaces.discard(ns)


def cleanup_all() -> None:
    shutting_down.set()
    with _registry_lock:
        procs = list(_procs)
        names = list(_namespaces)
    for p in procs:
        kill_proc(p, wait=1.0)
    delete_namespaces(names)


def list_namespaces(prefix: str = NS_PREFIX) -> list[str]:
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    out = []
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(prefix):
            out.append(name)
    return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_namespaces() -> list[str]:
    """Namespaces left by a harness that was killed outright (its pid is gone)."""
    stale = []
    for ns in list_namespaces():
        m = re.match(rf"^{NS_PREFIX}(\d+)x", ns)
        if m and (int(m.group(1)) == os.getpid() or _pid_alive(int(m.group(1)))):
            continue
        stale.append(ns)
    delete_namespaces(stale)
    return stale


def sh(cmd, check=True, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"command failed ({r.returncode}): {cmd if isinstance(cmd, str) else ' '.join(cmd)}\n"
                           f"stdout: {r.stdout}\nstderr: {r.stderr}")
    return r


# --------------------------------------------------------------------------------------------
# Topology.
# --------------------------------------------------------------------------------------------

class Topology:
    """The five namespaces of one cell and their configuration (mirrors src/sim/world.rs)."""

    def __init__(self, index: int, s: Settings, workdir: Path):
        self.s = s
        self.workdir = workdir
        base = f"{ns_base()}{index}"
        self.C, self.H, self.I, self.E, self.S = (base + r for r in "chies")
        self.all = [self.C, self.H, self.I, self.E, self.S]
        if s.client_nat:
            self.client_ip, self.router_lan = "192.168.1.2", "192.168.1.1"
        else:
            self.client_ip, self.router_lan = "192.0.2.2", "192.0.2.1"
        self.server_ip = SERVER_PRIVATE if s.server_nat else SERVER_PUBLIC

    def script(self) -> str:
        s = self.s
        C, H, I, E, S = self.all
        ctl = s.control_port
        helper_ports = ", ".join(str(p) for p in s.helper_ports)
        lines = ["set -e"]
        for ns in self.all:
            lines.append(f"ip netns add {ns}")
        for ns in self.all:
            lines.append(f"ip netns exec {ns} sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                         f"net.ipv6.conf.default.disable_ipv6=1")
            lines.append(f"ip -n {ns} link set lo up")
        lines += [
            f"ip -n {C} link add eth0 type veth peer name lan netns {H}",
            f"ip -n {H} link add wan type veth peer name home netns {I}",
            f"ip -n {I} link add edge type veth peer name wan netns {E}",
            f"ip -n {E} link add lan type veth peer name eth0 netns {S}",
        ]
        for ns in (H, I, E):
            lines.append(f"ip netns exec {ns} sysctl -qw net.ipv4.ip_forward=1")
        lines += [
            # client
            f"ip -n {C} addr add {self.client_ip}/24 dev eth0",
            f"ip -n {C} link set eth0 up",
            f"ip -n {C} route add default via {self.router_lan}",
            # home router
            f"ip -n {H} addr add {self.router_lan}/24 dev lan",
            f"ip -n {H} addr add 203.0.113.1/24 dev wan",
            f"ip -n {H} link set lan up",
            f"ip -n {H} link set wan up",
            f"ip -n {H} route add default via 203.0.113.254",
            # internet: routes to public prefixes only
            f"ip -n {I} addr add 203.0.113.254/24 dev home",
            f"ip -n {I} addr add 198.18.0.1/30 dev edge",
            f"ip -n {I} link set home up",
            f"ip -n {I} link set edge up",
            f"ip -n {I} route add 192.0.2.0/24 via 203.0.113.1",
            f"ip -n {I} route add 198.51.100.0/24 via 198.18.0.2",
            # server edge
            f"ip -n {E} addr add 198.18.0.2/30 dev wan",
            f"ip -n {E} link set wan up",
            f"ip -n {E} link set lan up",
            f"ip -n {E} route add default via 198.18.0.1",
            f"ip -n {S} link set eth0 up",
        ]
        if s.server_nat:
            lines += [
                f"ip -n {E} addr add {SERVER_PUBLIC}/32 dev wan",
                f"ip -n {E} addr add 10.0.0.1/24 dev lan",
                f"ip -n {S} addr add {SERVER_PRIVATE}/24 dev eth0",
                f"ip -n {S} route add default via 10.0.0.1",
            ]
        else:
            lines += [
                f"ip -n {E} addr add 198.51.100.1/24 dev lan",
                f"ip -n {S} addr add {SERVER_PUBLIC}/24 dev eth0",
                f"ip -n {S} route add default via 198.51.100.1",
            ]

        # ---- nftables: internet
        if s.private_destinations == "drop":
            lines.append(self._nft(I, """
table inet internet {
  chain prerouting_private {
    type filter hook prerouting priority filter;
    ip daddr { 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 } drop
  }
}"""))
        # "unreachable": no rule and no route, so the kernel answers ICMP net unreachable.

        # ---- nftables: home router ("fwd" is an nft keyword: chains are named *_filter)
        home = ["table inet home {"]
        if s.client_alg:
            home += ftp_helper_rules("lan", helper_ports)
        if s.client_firewall:
            refuse = "reject with tcp reset" if s.client_firewall_action == "reject" else "drop"
            home += ['  chain forward_filter {', '    type filter hook forward priority filter; policy drop;',
                     '    ct state established,related accept',
                     '    iifname "lan" accept',
                     f'    meta l4proto tcp {refuse}' if refuse != "drop" else '    drop',
                     '  }',
                     '  chain input_filter {', '    type filter hook input priority filter; policy drop;',
                     '    ct state established,related accept', '    iifname { "lan", "lo" } accept', '  }']
        home.append("}")
        if len(home) > 2:
            lines.append(self._nft(H, "\n".join(home)))
        if s.client_nat:
            lines.append(self._nft(H, """
table ip homenat {
  chain postrouting_nat {
    type nat hook postrouting priority srcnat;
    oifname "wan" masquerade
  }
}"""))

        # ---- nftables: server edge (the server's own outgoing connections are accepted, as in
        # world.rs, so active mode is never blocked on the server's side)
        edge = ["table inet edge {"]
        if s.server_alg:
            edge += ftp_helper_rules("wan", helper_ports)
        if s.server_firewall != "off":
            edge += ['  chain forward_filter {', '    type filter hook forward priority filter; policy drop;',
                     '    ct state established,related accept',
                     '    iifname "lan" accept',
                     f'    iifname "wan" ct state new tcp dport {ctl} accept']
            if s.server_firewall == "passive-range":
                edge.append(f'    iifname "wan" ct state new tcp dport {PASSIVE_RANGE[0]}-{PASSIVE_RANGE[1]} accept')
            if s.server_firewall_action == "reject":
                edge.append('    meta l4proto tcp reject with tcp reset')
            edge += ['  }',
                     '  chain input_filter {', '    type filter hook input priority filter; policy drop;',
                     '    ct state established,related accept', '    iifname { "lan", "lo" } accept', '  }']
        edge.append("}")
        if len(edge) > 2:
            lines.append(self._nft(E, "\n".join(edge)))
        if s.server_nat:
            # snat, not masquerade: masquerade would pick the transit address 198.18.0.2
            lines.append(self._nft(E, f"""
table ip edgenat {{
  chain prerouting_nat {{
    type nat hook prerouting priority dstnat;
    iifname "wan" ip daddr {SERVER_PUBLIC} tcp dport {{ {ctl}, {PASSIVE_RANGE[0]}-{PASSIVE_RANGE[1]} }} dnat to {SERVER_PRIVATE}
  }}
  chain postrouting_nat {{
    type nat hook postrouting priority srcnat;
    oifname "wan" ip saddr 10.0.0.0/24 snat to {SERVER_PUBLIC}
  }}
}}"""))
        return "\n".join(lines) + "\n"

    @staticmethod
    def _nft(ns: str, ruleset: str) -> str:
        return f"ip netns exec {ns} nft -f - <<'NFT_EOF'\n{ruleset.strip()}\nNFT_EOF"

    def create(self) -> None:
        if shutting_down.is_set():
            raise ShuttingDown("interrupted")
        for ns in self.all:
            _register_ns(ns)
        script = self.script()
        (self.workdir / "topology.sh").write_text(script)
        sh(["bash", "-c", script])

    def destroy(self) -> None:
        delete_namespaces(self.all)


# --------------------------------------------------------------------------------------------
# Servers.
# --------------------------------------------------------------------------------------------

def ftp_helper_rules(interface: str, ports: str) -> list[str]:
    """The kernel's FTP helper, declared and assigned to control connections that arrive on
    `interface` for `ports` (these kernels assign no helper on their own)."""
    return ['  ct helper ftp-std {', '    type "ftp" protocol tcp', '  }',
            '  chain prerouting_helper {', '    type filter hook prerouting priority filter;',
            f'    iifname "{interface}" tcp dport {{ {ports} }} ct helper set "ftp-std"', '  }']


def prepare_run_dir(run_dir: Path) -> Path:
    """The FTP root (pub/, pub/lesson-notes.txt and upload/, as the simulator's file tree) and the
    scripts."""
    root = run_dir / "ftproot"
    (root / "pub").mkdir(parents=True, exist_ok=True)
    (root / "upload").mkdir(parents=True, exist_ok=True)
    (root / "pub" / FILE_NAME).write_text(FILE_TEXT)
    os.chmod(root, 0o755)
    os.chmod(root / "pub", 0o755)
    os.chmod(root / "upload", 0o755)
    os.chmod(root / "pub" / FILE_NAME, 0o644)
    empty = run_dir / "empty"
    empty.mkdir(exist_ok=True)
    os.chmod(empty, 0o755)
    (run_dir / "pyftpd_server.py").write_text(PYFTPD_SERVER)
    (run_dir / "ftplib_client.py").write_text(FTPLIB_CLIENT)
    return root


def vsftpd_config(s: Settings, workdir: Path, ftproot: Path, empty: Path) -> str:
    conf = {
        "listen": "YES",
        "listen_ipv6": "NO",
        "background": "NO",
        "listen_port": str(s.control_port),
        "anonymous_enable": "YES",
        "local_enable": "NO",
        "write_enable": "YES",            # global writes on, but ...
        "anon_upload_enable": "NO",       # ... anonymous uploads refused (vsftpd's default): STOR -> 550
        "anon_mkdir_write_enable": "NO",
        "anon_root": str(ftproot),
        "no_anon_password": "NO",
        "pasv_enable": "YES",
        "port_enable": "YES",
        "pasv_min_port": str(PASSIVE_RANGE[0]),
        "pasv_max_port": str(PASSIVE_RANGE[1]),
        "port_promiscuous": "YES" if s.port_check == "off" else "NO",
        "connect_from_port_20": "YES" if s.port20 == "on" else "NO",
        "connect_timeout": str(s.connect_timeout),
        "accept_timeout": str(s.accept_timeout),
        "data_connection_timeout": "300",     # vsftpd default (stalled transfers only)
        "idle_session_timeout": "300",        # vsftpd default
        "seccomp_sandbox": "NO",
        "secure_chroot_dir": str(empty),
        "ftp_username": "ftp",
        "dirmessage_enable": "NO",
        "xferlog_enable": "YES",
        "xferlog_std_format": "NO",
        "log_ftp_protocol": "YES",
        "vsftpd_log_file": str(workdir / "vsftpd.log"),
        "syslog_enable": "NO",
        "use_localtime": "NO",
    }
    if s.pasv_address == "public":
        conf["pasv_address"] = SERVER_PUBLIC
    return "".join(f"{k}={v}\n" for k, v in conf.items())


PYFTPD_SERVER = r'''
import json, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.handlers.ftp.dispatchers import PassiveDTP, ActiveDTP
from pyftpdlib.servers import FTPServer

cfg = json.loads(sys.argv[1])
auth = DummyAuthorizer()
auth.add_anonymous(cfg["root"])          # read-only anonymous: perm "elr" (STOR -> 550)

class Passive(PassiveDTP):
    timeout = cfg["accept_timeout"]

class Active(ActiveDTP):
    timeout = cfg["connect_timeout"]

class Handler(FTPHandler):
    pass

Handler.authorizer = auth
Handler.passive_dtp = Passive
Handler.active_dtp = Active
Handler.passive_ports = range(cfg["pmin"], cfg["pmax"] + 1)
Handler.permit_foreign_addresses = cfg["permit_foreign"]
Handler.timeout = 120
if cfg.get("masquerade"):
    Handler.masquerade_address = cfg["masquerade"]
if cfg.get("epsv_refusal") == 500:
    # Remove EPSV from the command table: pyftpdlib itself answers 500 'Command "EPSV" not understood.'
    cmds = dict(FTPHandler.proto_cmds)
    del cmds["EPSV"]
    Handler.proto_cmds = cmds
elif cfg.get("epsv_refusal") == 502:
    def ftp_EPSV(self, line):
        self.respond("502 EPSV not implemented.")
    Handler.ftp_EPSV = ftp_EPSV

server = FTPServer(("0.0.0.0", cfg["port"]), Handler)
server.serve_forever()
'''


# --------------------------------------------------------------------------------------------
# Clients.
# --------------------------------------------------------------------------------------------

# ftplib sends the argument it is given verbatim, so the paths are the ones the simulator's ftplib
# profile sends: LIST pub, RETR pub/lesson-notes.txt, STOR upload/homework.txt.
FTPLIB_CLIENT = r'''
import ftplib, io, json, socket, sys, time
a = json.loads(sys.argv[1])
res = {"t_start": time.time(), "ok": False}
try:
    with ftplib.FTP() as ftp:          # leaving the with-block sends QUIT, also after an error
        try:
            if a["timeout"] is None:
                ftp.connect(a["host"], a["port"])          # no timeout: blocking sockets
            else:
                ftp.connect(a["host"], a["port"], timeout=a["timeout"])
            ftp.login()                # USER anonymous / PASS anonymous@
            ftp.trust_server_pasv_ipv4_address = a["trust"]
            ftp.set_pasv(a["mode"] == "pasv")
            res["t_transfer_call"] = time.time()
            if a["command"] == "list":
                lines = []
                ftp.retrlines("LIST pub", lines.append)
                res["received"] = len(lines)
            elif a["command"] == "retr":
                buf = io.BytesIO()
                ftp.retrbinary("RETR pub/lesson-notes.txt", buf.write)
                res["received"] = len(buf.getvalue())
            else:
                ftp.storbinary("STOR upload/homework.txt", io.BytesIO(b"hello\n"))
            res["ok"] = True
            res["t_end"] = time.time()
        except BaseException as e:
            res["t_error"] = time.time()
            res["exception"] = type(e).__name__
            res["error"] = str(e)
            raise
except BaseException:
    pass
res["t_exit"] = time.time()
print(json.dumps(res))
'''


def curl_command(s: Settings, workdir: Path) -> list[str]:
    base = f"ftp://{SERVER_PUBLIC}" + ("" if s.control_port == 21 else f":{s.control_port}")
    cmd = ["curl", "-v", "-s", "-S", "--max-time", "400"]
    if s.client_timeout is not None:
        cmd += ["--connect-timeout", str(s.client_timeout)]
    if s.mode == "epsv":
        cmd += ["--ftp-pasv"]                      # the default: EPSV, PASV if EPSV fails
    elif s.mode == "pasv":
        cmd += ["--ftp-pasv", "--disable-epsv"]
    elif s.mode == "eprt":
        cmd += ["--ftp-port", "-"]                 # EPRT, PORT if EPRT is refused
    elif s.mode == "port":
        cmd += ["--ftp-port", "-", "--disable-eprt"]
    if s.trust_pasv_address:
        cmd += ["--no-ftp-skip-pasv-ip"]
    if s.command == "list":
        cmd += ["-o", str(workdir / "download.txt"), f"{base}/pub/"]
    elif s.command == "retr":
        cmd += ["-o", str(workdir / "download.txt"), f"{base}/pub/{FILE_NAME}"]
    else:
        local_dir = workdir / "to-upload"
        local_dir.mkdir(exist_ok=True)
        up = local_dir / UPLOAD_NAME
        up.write_text("hello\n")
        cmd += ["-T", str(up), f"{base}/upload/"]    # CWD upload, STOR homework.txt
    return cmd


# --------------------------------------------------------------------------------------------
# Packet captures: a small pcap reader (Ethernet/IPv4/TCP/ICMP) and FTP control reassembly.
# --------------------------------------------------------------------------------------------

class Capture:
    def __init__(self, ns: str, iface: str, path: Path):
        self.path = path
        self.stats = None
        # -s 2048 -B 8192: with -s 0 the kernel ring holds only a few packets and drops some under load
        self.proc = register_proc(subprocess.Popen(
            ["ip", "netns", "exec", ns, "tcpdump", "-i", iface, "-n", "-U", "--immediate-mode", "-s", "2048",
             "-B", "8192", "-w", str(path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        self._ready = threading.Event()
        self._err: list[str] = []
        threading.Thread(target=self._watch, daemon=True).start()
        if not self._ready.wait(8):
            raise RuntimeError(f"tcpdump did not start in {ns}: {self._err}")

    def _watch(self):
        for line in self.proc.stderr:
            self._err.append(line)
            if "listening on" in line:
                self._ready.set()
        self._ready.set()

    def stop(self):
        kill_proc(self.proc, signal.SIGINT, wait=3)
        time.sleep(0.05)
        self.stats = " / ".join(l.strip() for l in self._err if "packets" in l)


def read_pcap(path: Path) -> list[tuple[float, bytes]]:
    data = path.read_bytes() if path.exists() else b""
    if len(data) < 24:
        return []
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    out = []
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        pkt = data[off:off + incl]
        off += incl
        t = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:                      # Ethernet
            if len(pkt) < 14 or struct.unpack("!H", pkt[12:14])[0] != 0x0800:
                continue
            ip = pkt[14:]
        elif linktype == 113:                  # Linux cooked
            ip = pkt[16:]
        elif linktype in (101, 12):            # raw IP
            ip = pkt
        else:
            continue
        out.append((t, ip))
    return out


def parse_packets(path: Path, control_port: int):
    """Returns (control lines, events). Control lines: (t, 'C'|'S', text)."""
    streams: dict[tuple, dict] = {}
    lines: list[tuple[float, str, str]] = []
    events: list[dict] = []
    for t, ip in read_pcap(path):
        if len(ip) < 20 or ip[0] >> 4 != 4:
            continue
        ihl = (ip[0] & 15) * 4
        proto = ip[9]
        src = socket.inet_ntoa(ip[12:16])
        dst = socket.inet_ntoa(ip[16:20])
        total = struct.unpack("!H", ip[2:4])[0]
        body = ip[ihl:total] if total >= ihl else ip[ihl:]
        if proto == 1 and len(body) >= 8:
            itype, icode = body[0], body[1]
            ev = {"t": t, "kind": f"ICMP type {itype} code {icode}", "src": src, "dst": dst}
            inner = body[8:]
            if itype == 3 and len(inner) >= 24:
                iihl = (inner[0] & 15) * 4
                ev["about"] = (f"{socket.inet_ntoa(inner[12:16])}:{struct.unpack('!H', inner[iihl:iihl+2])[0]} -> "
                               f"{socket.inet_ntoa(inner[16:20])}:{struct.unpack('!H', inner[iihl+2:iihl+4])[0]}")
            events.append(ev)
            continue
        if proto != 6 or len(body) < 20:
            continue
        sport, dport, seq = struct.unpack("!HHI", body[:8])
        doff = (body[12] >> 4) * 4
        flags = body[13]
        payload = body[doff:]
        syn, ack, rst, fin = flags & 2, flags & 16, flags & 4, flags & 1
        if dport == control_port or sport == control_port:
            direction = "C" if dport == control_port else "S"
            st = streams.setdefault((src, sport, dst, dport), {"seen": set(), "buf": b""})
            if syn:
                events.append({"t": t, "kind": "control SYN" + ("-ACK" if ack else ""), "src": f"{src}:{sport}",
                               "dst": f"{dst}:{dport}"})
            if rst:
                events.append({"t": t, "kind": "control RST", "src": f"{src}:{sport}", "dst": f"{dst}:{dport}"})
            if fin:
                events.append({"t": t, "kind": f"control FIN from {'client' if direction == 'C' else 'server'}",
                               "src": f"{src}:{sport}", "dst": f"{dst}:{dport}"})
            if payload:
                if seq in st["seen"]:
                    continue                   # retransmission
                st["seen"].add(seq)
                st["buf"] += payload
                while b"\r\n" in st["buf"]:
                    line, st["buf"] = st["buf"].split(b"\r\n", 1)
                    lines.append((t, direction, line.decode("latin-1")))
            continue
        kind = None
        if syn and not ack:
            kind = "data SYN"
        elif syn and ack:
            kind = "data SYN-ACK"
        elif rst:
            kind = "data RST"
        if kind:
            events.append({"t": t, "kind": kind, "src": f"{src}:{sport}", "dst": f"{dst}:{dport}"})
    return lines, events


# --------------------------------------------------------------------------------------------
# Running one cell.
# --------------------------------------------------------------------------------------------

def wait_captures_complete(paths, control_port: int, limit: float = 4.0) -> None:
    """Wait until every capture holds the end of the control connection (a FIN or RST from each
    side), so that stopping tcpdump loses nothing; at most `limit` seconds."""
    time.sleep(0.3)
    deadline = time.time() + limit
    while time.time() < deadline:
        complete = True
        for path in paths:
            _lines, events = parse_packets(path, control_port)
            kinds = {e["kind"] for e in events}
            if not (kinds & {"control FIN from client", "control RST"}
                    and kinds & {"control FIN from server", "control RST"}):
                complete = False
        if complete:
            time.sleep(0.2)
            return
        time.sleep(0.2)


def wait_listening(ns: str, port: int, proc: subprocess.Popen, timeout: float = 8.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        r = sh(["ip", "netns", "exec", ns, "ss", "-Hltn", f"sport = :{port}"], check=False)
        if r.stdout.strip():
            return
        time.sleep(0.05)
    raise RuntimeError("server did not start listening")


def run_cell(cell: Cell, run_dir: Path, ftproot: Path, attempt: int = 1) -> dict:
    """Run one cell for real. Returns the raw observation (see `summarise` in compare.py for what
    is derived from it): the client's view of the control conversation with times from the
    client's first control SYN, the data SYN times, and when the client gave up."""
    s = cell.settings
    workdir = run_dir / cell.id if attempt == 1 else run_dir / f"attempt-{attempt}" / cell.id
    workdir.mkdir(parents=True, exist_ok=True)
    topo = Topology(cell.index, s, workdir)
    result: dict = {"id": cell.id, "group": cell.group, "note": cell.note, "settings": asdict(s),
                    "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    caps: list[Capture] = []
    server_proc = None
    try:
        topo.create()
        caps.append(Capture(topo.C, "eth0", workdir / "client.pcap"))
        caps.append(Capture(topo.S, "eth0", workdir / "server.pcap"))

        # ---- server
        if s.server == "vsftpd":
            conf = workdir / "vsftpd.conf"
            conf.write_text(vsftpd_config(s, workdir, ftproot, run_dir / "empty"))
            server_cmd = ["ip", "netns", "exec", topo.S, "vsftpd", str(conf)]
        else:
            cfg = {"root": str(ftproot), "port": s.control_port, "pmin": PASSIVE_RANGE[0],
                   "pmax": PASSIVE_RANGE[1], "permit_foreign": s.port_check == "off",
                   "accept_timeout": s.accept_timeout, "connect_timeout": s.connect_timeout,
                   "masquerade": SERVER_PUBLIC if (s.server_nat and s.pasv_address == "public") else None,
                   "epsv_refusal": None if s.server_epsv else (s.epsv_refusal or 500)}
            server_cmd = ["ip", "netns", "exec", topo.S, PYTHON, str(run_dir / "pyftpd_server.py"), json.dumps(cfg)]
        with open(workdir / "server.stdout", "w") as server_log:
            server_proc = register_proc(subprocess.Popen(server_cmd, stdout=server_log, stderr=subprocess.STDOUT))
        wait_listening(topo.S, s.control_port, server_proc)
        if INJECT_FAILURE:
            raise RuntimeError("failure injected by the self-test (FTPSIM_FIDELITY_INJECT_FAILURE=1)")

        # ---- client
        t_client_start = time.time()
        if s.client == "curl":
            cmd = ["ip", "netns", "exec", topo.C] + curl_command(s, workdir)
            result["client_command"] = [str(x).replace(str(run_dir), "<run>") for x in cmd[4:]]
            p = register_proc(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            try:
                _out, err = p.communicate(timeout=450)
            finally:
                kill_proc(p)
            t_client_exit = time.time()
            (workdir / "curl.stderr").write_text(err)
            ok = p.returncode == 0
            client_info = {"exit_code": p.returncode,
                           "error": next((l for l in reversed(err.splitlines()) if l.startswith("curl:")), None),
                           "verbose_info": [l for l in err.splitlines() if l.startswith("* ")]}
            t_client_error = None
        else:
            args = {"host": SERVER_PUBLIC, "port": s.control_port, "mode": s.mode, "command": s.command,
                    "timeout": s.client_timeout, "trust": s.trust_pasv_address}
            cmd = ["ip", "netns", "exec", topo.C, PYTHON, str(run_dir / "ftplib_client.py"), json.dumps(args)]
            result["client_command"] = ["python3", "ftplib_client.py", json.dumps(args)]
            p = register_proc(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
            try:
                out, err = p.communicate(timeout=450)
            finally:
                kill_proc(p)
            t_client_exit = time.time()
            try:
                client_info = json.loads(out.strip().splitlines()[-1])
            except Exception:  # noqa: BLE001
                client_info = {"ok": False, "exception": "harness", "error": f"no output: {out!r} {err!r}"}
            ok = bool(client_info.get("ok"))
            t_client_error = client_info.get("t_error")
        wait_captures_complete([workdir / "client.pcap", workdir / "server.pcap"], s.control_port)
    except Exception as e:  # noqa: BLE001
        result["harness_error"] = f"{type(e).__name__}: {e}"
        result["harness_traceback"] = traceback.format_exc()
        result["outcome"] = "harness-error"
        return result
    finally:
        for c in caps:
            c.stop()
        if server_proc is not None:
            kill_proc(server_proc)
        topo.destroy()

    # ---- what the captures say
    c_lines, c_events = parse_packets(workdir / "client.pcap", s.control_port)
    s_lines, s_events = parse_packets(workdir / "server.pcap", s.control_port)
    # time zero: the client's first control SYN (the start of the session), as the client saw it
    ctl_syns = [e["t"] for e in c_events if e["kind"] == "control SYN"]
    t0 = ctl_syns[0] if ctl_syns else (c_lines[0][0] if c_lines else t_client_start)
    quit_t = next((t for t, d, x in c_lines if d == "C" and x.upper().startswith("QUIT")), None)
    fins = [e["t"] for e in c_events if e["kind"] in ("control FIN from client", "control RST")]
    # When the client gave up: ftplib tells us; for curl, its QUIT, else its FIN/RST on the
    # control connection, else the moment the process ended.
    t_gave_up = t_client_error or quit_t or (fins[0] if fins else None) or t_client_exit
    data_syns = sorted(e["t"] for e in c_events + s_events if e["kind"] == "data SYN")

    result["ok"] = ok
    result["outcome"] = "ok" if ok else "fail"
    result["client"] = {k: v for k, v in client_info.items() if not k.startswith("t_")}
    result["dialogue"] = [[round(t - t0, 3), d, x] for t, d, x in c_lines]
    result["t_gave_up_s"] = None if ok else round(t_gave_up - t0, 3)
    result["data_syns_s"] = [round(t - t0, 3) for t in data_syns]
    result["failure"] = None if ok else failure_kind(s, client_info)
    # Lines a helper rewrote between client and server (PORT/EPRT/227/229).
    result["rewritten_lines"] = [{"client_saw": a, "server_saw": b}
                                 for a, b in itertools.zip_longest([x[2] for x in c_lines], [x[2] for x in s_lines])
                                 if a != b]
    result["icmp"] = [dict(e, t=round(e["t"] - t0, 3)) for e in c_events + s_events if e["kind"].startswith("ICMP")]
    result["client_wall_s"] = round(t_client_exit - t_client_start, 3)
    result["capture_stats"] = {"client": caps[0].stats, "server": caps[1].stats}
    ends = []
    for evs in (c_events, s_events):
        kinds = {e["kind"] for e in evs}
        ends.append(bool(kinds & {"control FIN from client", "control RST"})
                    and bool(kinds & {"control FIN from server", "control RST"}))
    result["capture_complete"] = all(ends)
    return result


def failure_kind(s: Settings, info: dict) -> str:
    """How the client itself reported the failure (information only; not compared)."""
    if s.client == "curl":
        rc = info.get("exit_code")
        if rc == 28:
            return "client timeout (curl exit 28)"
        if rc == 7:
            reason = next((l.split(":")[-1].strip() for l in info.get("verbose_info", [])
                           if "failed:" in l and "connect to" in l), "")
            return f"connection failed ({reason})" if reason else "connection failed (curl exit 7)"
        return f"curl exit {rc}: {info.get('error')}"
    exc = info.get("exception", "")
    if exc == "TimeoutError":
        return f"client timeout ({info.get('error')})"
    if exc in ("ConnectionRefusedError", "OSError"):
        return f"connection failed ({info.get('error')})"
    return f"{exc}: {info.get('error')}"


# --------------------------------------------------------------------------------------------
# SYN retransmission schedule of the running kernel.
# --------------------------------------------------------------------------------------------

SYN_CLIENT = r'''
import errno, json, os, select, socket, sys, time
s = socket.socket()
t0 = time.time()
if sys.argv[1] == "blocking":               # plain blocking connect(), no timeout (ftplib without timeout=)
    try:
        s.connect(("198.18.99.2", 9))
        r = {"result": "connected"}
    except OSError as e:
        r = {"result": errno.errorcode.get(e.errno, str(e.errno)), "message": str(e)}
else:                                       # non-blocking connect + poll, as curl, vsftpd, ftplib with a timeout
    s.setblocking(False)
    s.connect_ex(("198.18.99.2", 9))
    select.select([], [s], [], 400)
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    r = {"result": errno.errorcode.get(e, str(e)) if e else "connected", "message": os.strerror(e)}
r["t_start"] = t0
r["t_end"] = time.time()
print(json.dumps(r))
'''


def syn_schedule(run_dir: Path, variant: str = "drop", connect: str = "blocking") -> dict:
    """Connect to an address whose SYNs are dropped (or answered with ICMP) and time everything."""
    a, b = (f"{ns_base()}syn{variant[:2]}{connect[0]}{x}" for x in "ab")
    workdir = run_dir / f"syn-{variant}-{connect}"
    workdir.mkdir(parents=True, exist_ok=True)
    for ns in (a, b):
        _register_ns(ns)
    cap = None
    try:
        rule = "tcp dport 9 drop" if variant == "drop" else "tcp dport 9 reject with icmp type host-unreachable"
        sh(["bash", "-c", f"""set -e
ip netns add {a}; ip netns add {b}
ip -n {a} link add eth0 type veth peer name eth0 netns {b}
ip -n {a} addr add 198.18.99.1/24 dev eth0; ip -n {b} addr add 198.18.99.2/24 dev eth0
ip -n {a} link set eth0 up; ip -n {b} link set eth0 up; ip -n {a} link set lo up; ip -n {b} link set lo up
ip netns exec {b} nft -f - <<'EOF'
table inet t {{
  chain input_filter {{
    type filter hook input priority filter;
    {rule}
  }}
}}
EOF
"""])
        sysctls = {}
        for name in ["tcp_syn_retries", "tcp_syn_linear_timeouts"]:
            r = sh(["ip", "netns", "exec", a, "cat", f"/proc/sys/net/ipv4/{name}"], check=False)
            sysctls[name] = r.stdout.strip() if r.returncode == 0 else None
        cap = Capture(a, "eth0", workdir / "syn.pcap")
        script = workdir / "syn_client.py"
        script.write_text(SYN_CLIENT)
        p = register_proc(subprocess.Popen(["ip", "netns", "exec", a, PYTHON, str(script), connect],
                                           stdout=subprocess.PIPE, text=True))
        try:
            out, _ = p.communicate(timeout=400)
        finally:
            kill_proc(p)
        time.sleep(0.3)
        cap.stop()
        cap = None
        res = json.loads(out.strip().splitlines()[-1])
        _lines, events = parse_packets(workdir / "syn.pcap", 0)
        syns = [e["t"] for e in events if e["kind"] == "data SYN"]
        t0 = syns[0] if syns else res["t_start"]
        return {
            "variant": variant,
            "connect": connect,
            "kernel": os.uname().release,
            "sysctls": sysctls,
            "syn_times_s": [round(t - t0, 3) for t in syns],
            "connect_result": res["result"],
            "connect_message": res.get("message"),
            "connect_failed_after_s": round(res["t_end"] - res["t_start"], 3),
            "connect_failed_after_first_syn_s": round(res["t_end"] - t0, 3),
            "icmp": [dict(e, t=round(e["t"] - t0, 3)) for e in events if e["kind"].startswith("ICMP")],
        }
    finally:
        if cap:
            cap.stop()
        delete_namespaces([a, b])
