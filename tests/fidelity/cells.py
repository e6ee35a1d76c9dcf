"""The cells of the fidelity matrix: one `Settings` per cell, shared by the real run and `ftpsim run`.

Every field of `Settings` is either a flag of `ftpsim run` (named in `sim.FLAGS`) or a field of a
scenario file (`client_firewall_action`, `server_firewall_action`). Defaults follow the
simulator's defaults where issue 8 names one (user anonymous, vsftpd connect_from_port_20=YES as
Debian ships it), and the short timeouts of the issue elsewhere (vsftpd connect/accept 4 s,
the client's own connect timeout 6 s), set identically on both sides.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field


@dataclass
class Settings:
    client: str = "curl"                   # curl | ftplib
    server: str = "vsftpd"                 # vsftpd | pyftpdlib
    user: str = "anonymous"                # anonymous (the only user the real side runs)
    mode: str = "epsv"                     # port | eprt | pasv | epsv
    command: str = "list"                  # list | retr | stor
    client_firewall: bool = False
    client_firewall_action: str = "drop"   # drop | reject (tcp reset), at the home router
    client_nat: bool = False
    client_alg: bool = False
    server_firewall: str = "off"           # off | passive-range | control-only
    server_firewall_action: str = "drop"   # drop | reject (tcp reset), at the server edge
    server_alg: bool = False
    server_nat: bool = False
    pasv_address: str = "private"          # private | public (vsftpd pasv_address / pyftpdlib masquerade_address)
    trust_pasv_address: bool = False       # curl --no-ftp-skip-pasv-ip / ftplib trust_server_pasv_ipv4_address
    control_port: int = 21
    helper_ports: list = field(default_factory=lambda: [21])
    port_check: str = "strict"             # strict | off (vsftpd port_promiscuous=NO|YES)
    port20: str = "on"                     # on | off (vsftpd connect_from_port_20; Debian ships YES)
    server_epsv: bool = True
    epsv_refusal: int | None = None        # 500 | 502 when server_epsv is False
    connect_timeout: int = 4               # vsftpd connect_timeout / pyftpdlib ActiveDTP.timeout
    accept_timeout: int = 4                # vsftpd accept_timeout / pyftpdlib PassiveDTP.timeout
    client_timeout: int | None = 6         # curl --connect-timeout / ftplib timeout= (None: none)
    private_destinations: str = "drop"     # drop | unreachable (what the internet does with 10/8 ...)


@dataclass
class Cell:
    id: str
    group: str
    settings: Settings
    note: str = ""
    slow: bool = False
    index: int = 0


HOME_ROUTERS = {
    "none": dict(),
    "firewall": dict(client_firewall=True),
    "firewall+helper": dict(client_firewall=True, client_alg=True),
    "nat": dict(client_nat=True),
    "nat+helper": dict(client_nat=True, client_alg=True),
    "nat+firewall": dict(client_nat=True, client_firewall=True),
    "nat+firewall+helper": dict(client_nat=True, client_firewall=True, client_alg=True),
}
SERVER_SIDES = {
    "open": dict(server_firewall="off"),
    "passive-range": dict(server_firewall="passive-range"),
    "control-only": dict(server_firewall="control-only"),
    "control-only+helper": dict(server_firewall="control-only", server_alg=True),
}
# ftplib has no EPRT/EPSV on IPv4 (it uses them only for IPv6 addresses).
CLIENT_MODES = [("curl", "port"), ("curl", "eprt"), ("curl", "pasv"), ("curl", "epsv"),
                ("ftplib", "port"), ("ftplib", "pasv")]


def main_matrix() -> list[Cell]:
    cells = []
    for (hn, h), (sn, sv), (client, mode), command in itertools.product(
            HOME_ROUTERS.items(), SERVER_SIDES.items(), CLIENT_MODES, ["list", "retr"]):
        st = Settings(client=client, mode=mode, command=command, **h, **sv)
        cells.append(Cell(f"main/{hn}/{sn}/{client}-{mode}-{command}", "main", st))
    return cells


def server_nat_cells() -> list[Cell]:
    cells = []
    for pasv_address, server_alg, trust, client, mode, fw in itertools.product(
            ["private", "public"], [False, True], [False, True], ["curl", "ftplib"], ["pasv", "epsv", "port"],
            ["off", "passive-range"]):
        if client == "ftplib" and mode == "epsv":
            continue
        if mode in ("epsv", "port") and trust:
            continue                          # trusting the 227 address only matters for PASV
        if mode == "port" and pasv_address == "public":
            continue                          # pasv_address does not matter for active mode
        # passive modes: a typical home client (NAT + firewall, no helper); active mode: a public
        # client without firewall, so only the server side is tested
        home = dict(client_nat=True, client_firewall=True) if mode != "port" else {}
        st = Settings(client=client, mode=mode, command="list", server_nat=True, pasv_address=pasv_address,
                      server_alg=server_alg, trust_pasv_address=trust, server_firewall=fw, **home)
        cells.append(Cell(f"server-nat/pasv_address={pasv_address}/alg={int(server_alg)}/trust={int(trust)}/"
                          f"fw={fw}/{client}-{mode}", "server-nat", st))
    # the internet answers ICMP for private destinations instead of dropping them
    for client in ["curl", "ftplib"]:
        st = Settings(client=client, mode="pasv", command="list", server_nat=True, pasv_address="private",
                      trust_pasv_address=True, client_nat=True, client_firewall=True,
                      private_destinations="unreachable")
        cells.append(Cell(f"server-nat/unreachable/trust=1/{client}-pasv", "server-nat", st,
                          "internet has no route to 10.0.0.10 and answers ICMP"))
    return cells


def control_port_cells() -> list[Cell]:
    cells = []
    for helper_ports, (hn, h), (client, mode) in itertools.product(
            [[21], [21, 2121]],
            [("nat+helper", dict(client_nat=True, client_alg=True)),
             ("nat+firewall+helper", dict(client_nat=True, client_firewall=True, client_alg=True)),
             ("none/server-control-only+helper", dict(server_firewall="control-only", server_alg=True)),
             ("server-nat+helper", dict(server_nat=True, server_alg=True, pasv_address="private",
                                        trust_pasv_address=True))],
            CLIENT_MODES):
        st = Settings(client=client, mode=mode, command="list", control_port=2121, helper_ports=helper_ports, **h)
        cells.append(Cell(f"port2121/helper={'+'.join(map(str, helper_ports))}/{hn}/{client}-{mode}",
                          "control-port", st))
    return cells


def epsv_cells() -> list[Cell]:
    """A server without EPSV: pyftpdlib (vsftpd cannot turn EPSV off), answering 500 or 502."""
    cells = []
    for refusal, (client, mode), fw in itertools.product(
            [500, 502], [("curl", "epsv"), ("curl", "pasv"), ("curl", "eprt"), ("curl", "port"),
                         ("ftplib", "pasv")], ["off", "control-only"]):
        st = Settings(client=client, server="pyftpdlib", mode=mode, command="list", server_epsv=False,
                      epsv_refusal=refusal, server_firewall=fw)
        cells.append(Cell(f"no-epsv/{refusal}/fw={fw}/{client}-{mode}", "no-epsv", st))
    return cells


def port_check_cells() -> list[Cell]:
    cells = []
    for port20, (hn, h), pd, (client, mode) in itertools.product(
            ["on", "off"],
            [("none", dict()), ("nat", dict(client_nat=True)),
             ("nat+firewall", dict(client_nat=True, client_firewall=True)),
             ("firewall", dict(client_firewall=True))],
            ["drop", "unreachable"],
            [("curl", "port"), ("curl", "eprt"), ("ftplib", "port")]):
        if pd == "unreachable" and hn != "nat":
            continue
        st = Settings(client=client, mode=mode, command="retr", port_check="off", port20=port20,
                      private_destinations=pd, **h)
        cells.append(Cell(f"port-promiscuous/port20={port20}/{hn}/private={pd}/{client}-{mode}", "port-check", st))
    # strict checking (the default) with connect_from_port_20 on and off, for comparison
    for port20, (client, mode) in itertools.product(["on", "off"], [("curl", "port"), ("curl", "eprt"),
                                                                    ("ftplib", "port")]):
        st = Settings(client=client, mode=mode, command="retr", port20=port20)
        cells.append(Cell(f"port20-strict/port20={port20}/none/{client}-{mode}", "port-check", st))
    return cells


def misc_cells() -> list[Cell]:
    cells = []
    # anonymous STOR: vsftpd anon_upload_enable=NO answers 550
    for client, mode in CLIENT_MODES:
        st = Settings(client=client, mode=mode, command="stor")
        cells.append(Cell(f"stor/vsftpd/{client}-{mode}", "stor", st, "anon_upload_enable=NO"))
    # pyftpdlib as server, representative cells
    for (hn, h), (client, mode), command in itertools.product(
            [("none", dict()), ("nat", dict(client_nat=True)), ("nat+helper", dict(client_nat=True, client_alg=True)),
             ("firewall", dict(client_firewall=True)), ("server-control-only", dict(server_firewall="control-only")),
             ("server-control-only+helper", dict(server_firewall="control-only", server_alg=True))],
            CLIENT_MODES, ["list", "retr"]):
        if command == "retr" and hn not in ("none", "nat"):
            continue
        st = Settings(client=client, server="pyftpdlib", mode=mode, command=command, **h)
        cells.append(Cell(f"pyftpdlib/{hn}/{client}-{mode}-{command}", "pyftpdlib", st))
    for client, mode in CLIENT_MODES:
        st = Settings(client=client, server="pyftpdlib", mode=mode, command="stor")
        cells.append(Cell(f"pyftpdlib/stor/{client}-{mode}", "pyftpdlib", st, "read-only anonymous user"))
    # client firewall that rejects (TCP reset) instead of dropping
    for client, mode in [("curl", "port"), ("curl", "eprt"), ("ftplib", "port")]:
        st = Settings(client=client, mode=mode, command="list", client_firewall=True, client_firewall_action="reject")
        cells.append(Cell(f"client-fw-reject/{client}-{mode}", "client-reject", st))
    # a long server connect timeout (90 s) in active mode behind a dropping firewall: curl waits
    # for the 425, ftplib's own 6 s timeout fires while it waits for the LIST reply
    for client, mode in [("curl", "port"), ("curl", "eprt"), ("ftplib", "port")]:
        st = Settings(client=client, mode=mode, command="list", client_firewall=True, connect_timeout=90,
                      accept_timeout=90)
        cells.append(Cell(f"long-connect-timeout/{client}-{mode}", "long-timeout", st))
    # a server firewall that rejects (TCP reset) instead of dropping: passive connects fail at once,
    # so curl's EPSV -> PASV fallback has time left for a second connect
    for client, mode in [("curl", "epsv"), ("curl", "pasv"), ("ftplib", "pasv"), ("curl", "port")]:
        st = Settings(client=client, mode=mode, command="list", server_firewall="control-only",
                      server_firewall_action="reject")
        cells.append(Cell(f"server-fw-reject/{client}-{mode}", "server-reject", st))
    return cells


def slow_cells() -> list[Cell]:
    """Real default timeouts: up to 4.5 minutes per cell (run with --slow)."""
    cells = []
    # clients without their own connect timeout against a dropping server firewall (passive):
    # the kernel's SYN schedule decides (ETIMEDOUT after about 133 s; curl EPSV -> PASV twice that)
    for client, mode in [("curl", "epsv"), ("curl", "pasv"), ("ftplib", "pasv")]:
        st = Settings(client=client, mode=mode, command="list", server_firewall="control-only",
                      client_timeout=None, connect_timeout=60, accept_timeout=60)
        cells.append(Cell(f"slow/defaults/server-control-only/{client}-{mode}", "slow", st,
                          "no client timeout; vsftpd default connect/accept timeouts (60 s)", slow=True))
    # vsftpd's default connect_timeout (60 s) in active mode behind a dropping client firewall
    for client, mode in [("curl", "port"), ("ftplib", "port")]:
        st = Settings(client=client, mode=mode, command="list", client_firewall=True, client_timeout=None,
                      connect_timeout=60, accept_timeout=60)
        cells.append(Cell(f"slow/defaults/client-firewall/{client}-{mode}", "slow", st,
                          "no client timeout; vsftpd default connect/accept timeouts (60 s)", slow=True))
    return cells


def all_cells(slow: bool = True) -> list[Cell]:
    cells = (main_matrix() + server_nat_cells() + control_port_cells() + epsv_cells() + port_check_cells()
             + misc_cells() + (slow_cells() if slow else []))
    for i, c in enumerate(cells):
        c.index = i
    return cells


QUICK_IDS = [
    "main/none/open/curl-epsv-list",
    "main/none/open/curl-port-retr",
    "main/nat/open/curl-port-list",
    "main/nat+helper/open/curl-eprt-list",
    "main/none/control-only/curl-epsv-list",
    "main/nat+firewall/control-only+helper/ftplib-pasv-list",
    "main/firewall/open/ftplib-port-list",
    "no-epsv/500/fw=off/curl-epsv",
]
