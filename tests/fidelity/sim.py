"""The simulator's side of a cell: `ftpsim run --format json` on the same settings.

Each `Settings` field maps to one `ftpsim run` flag (`FLAGS`, names fixed by issue 8); the two
settings without a flag (the firewall actions) go in a scenario file. Flags this `ftpsim` does not
know yet, and scenario fields it refuses, are left out and reported as a disagreement of their
own (`sim_flags_missing`), so the harness can run against an older simulator.

The JSON is read into the same raw observation as the real side (see compare.py): its top-level
`dialogue` (`[{time µs, from, line}]`) and `failed_at` (µs or null) when present, else the
client's `ftp` events (`CommandSent` / `ReplyReceived`) and the client's giving-up note; the data
SYNs are the `packet-sent` events of the client and the server on a data channel.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import threading
from pathlib import Path

from cells import Settings

ROOT = Path(__file__).resolve().parents[2]


def on_off(v: bool) -> str:
    return "on" if v else "off"


# Settings field -> (flag, value or None to leave the flag out)
FLAGS = [
    ("client", "--client", str),
    ("server", "--server", str),
    ("user", "--user", str),
    ("mode", "--mode", str),
    ("command", "--command", str),
    ("client_firewall", "--client-firewall", on_off),
    ("client_nat", "--client-nat", on_off),
    ("client_alg", "--client-alg", on_off),
    ("server_firewall", "--server-firewall", str),
    ("server_alg", "--server-alg", on_off),
    ("server_nat", "--server-nat", on_off),
    ("pasv_address", "--pasv-address", str),
    ("trust_pasv_address", "--trust-pasv-address", on_off),
    ("control_port", "--control-port", str),
    ("helper_ports", "--helper-ports", lambda v: ",".join(str(p) for p in v)),
    ("port_check", "--port-check", str),
    ("port20", "--port20", str),
    ("server_epsv", "--server-epsv", on_off),
    ("epsv_refusal", "--epsv-refusal", lambda v: None if v is None else str(v)),
    ("connect_timeout", "--connect-timeout", str),
    ("accept_timeout", "--accept-timeout", str),
    ("client_timeout", "--client-timeout", lambda v: None if v is None else str(v)),
    ("private_destinations", "--private-destinations", str),
]
# Settings the page has but the harness never varies: pinned so the simulator's defaults do not matter.
FIXED_FLAGS = [("--ip", "v4"), ("--transfers", "1"), ("--control-encrypted", "off")]
# Settings without a flag: scenario file fields, written when they differ from the default.
SCENARIO_FIELDS = [("client_firewall_action", "drop"), ("server_firewall_action", "drop")]


class Ftpsim:
    def __init__(self, binary: Path):
        self.binary = Path(binary)
        self._known: set[str] | None = None
        self._lock = threading.Lock()
        self._tmp = tempfile.TemporaryDirectory(prefix="ftpsim-fidelity-")

    def known_flags(self) -> set[str]:
        with self._lock:
            if self._known is None:
                r = subprocess.run([str(self.binary), "run", "--help"], capture_output=True, text=True)
                if r.returncode != 0:
                    raise RuntimeError(f"{self.binary} run --help failed: {r.stderr.strip()}")
                self._known = set(re.findall(r"(--[a-z0-9][a-z0-9-]*)", r.stdout))
            return self._known

    def command(self, s: Settings, name: str) -> tuple[list[str], list[str], dict]:
        """(argv, flags left out because this ftpsim lacks them, scenario-file fields)."""
        known = self.known_flags()
        argv = [str(self.binary), "run", "--format", "json"]
        missing = []
        for field, flag, fmt in FLAGS:
            value = fmt(getattr(s, field))
            if value is None:
                continue
            if flag in known:
                argv += [flag, value]
            else:
                missing.append(f"{flag} {value}")
        for flag, value in FIXED_FLAGS:
            if flag in known:
                argv += [flag, value]
        scenario = {f: getattr(s, f) for f, default in SCENARIO_FIELDS if getattr(s, f) != default}
        return argv, missing, scenario

    def run(self, s: Settings, name: str) -> dict:
        """Run one cell's settings. Returns {argv, missing, exit_code, doc | error}."""
        argv, missing, scenario = self.command(s, name)
        for _ in range(len(scenario) + 1):
            full = list(argv)
            if scenario:
                path = Path(self._tmp.name) / (re.sub(r"[^A-Za-z0-9]+", "_", name) + ".json")
                path.write_text(json.dumps(scenario))
                full += ["--scenario", str(path)]
            r = subprocess.run(full, capture_output=True, text=True, timeout=300)
            m = re.search(r"unknown field `([a-z_]+)`", r.stderr)
            if r.returncode == 2 and m and m.group(1) in scenario:
                missing.append(f"scenario field {m.group(1)}: {json.dumps(scenario.pop(m.group(1)))}")
                continue
            break
        shown = [a if not a.startswith(self._tmp.name) else "<scenario.json>" for a in full[1:]]
        out = {"argv": ["ftpsim"] + shown, "scenario_file": scenario or None, "missing": missing,
               "exit_code": r.returncode}
        if r.returncode not in (0, 1):
            out["error"] = (r.stderr.strip() or r.stdout.strip())[:2000]
            return out
        try:
            out["doc"] = json.loads(r.stdout)
        except json.JSONDecodeError as e:
            out["error"] = f"ftpsim printed no JSON ({e}): {r.stdout[:300]!r} {r.stderr[:300]!r}"
        return out


# --------------------------------------------------------------------------------------------
# Reading the JSON.
# --------------------------------------------------------------------------------------------

def render_command(cmd) -> str:
    """A `CommandSent` value as the line on the wire (fallback when there is no `dialogue`)."""
    if isinstance(cmd, str):
        return cmd.upper()
    if isinstance(cmd, dict) and len(cmd) == 1:
        verb, arg = next(iter(cmd.items()))
        verb = verb.upper()
        if verb == "TYPE":
            arg = {"Ascii": "A", "Image": "I"}.get(arg, arg)
        if verb == "EPSV" and arg in ("Any", None):
            return "EPSV"
        if arg is None or arg == "":
            return verb
        if isinstance(arg, (dict, list)):
            arg = json.dumps(arg)
        return f"{verb} {arg}"
    return json.dumps(cmd)


def _is_failure_note(event) -> bool:
    note = event.get("Note") if isinstance(event, dict) else None
    return isinstance(note, dict) and "failure" in note


def observation(doc: dict) -> dict:
    """The raw observation (see compare.py) from `ftpsim run --format json`."""
    events = doc.get("events") or []
    ok = doc.get("outcome") == "ok"
    obs: dict = {"ok": ok, "source": {}}
    if isinstance(doc.get("dialogue"), list):
        obs["dialogue"] = [[e["time"] / 1e6, "C" if e.get("from") == "client" else "S", e.get("line", "")]
                           for e in doc["dialogue"]]
        obs["source"]["dialogue"] = "dialogue"
    else:
        dialogue = []
        for e in events:
            if e.get("kind") != "ftp" or e.get("role") != "client" or not isinstance(e.get("event"), dict):
                continue
            ev = e["event"]
            if "CommandSent" in ev:
                dialogue.append([e["time"] / 1e6, "C", render_command(ev["CommandSent"])])
            elif "ReplyReceived" in ev:
                rep = ev["ReplyReceived"]
                lines = rep.get("lines") or [""]
                dialogue.append([e["time"] / 1e6, "S", f"{rep.get('code')} {lines[-1]}".rstrip()])
        obs["dialogue"] = dialogue
        obs["source"]["dialogue"] = "events"
    if "failed_at" in doc:
        obs["t_gave_up_s"] = None if doc["failed_at"] is None else doc["failed_at"] / 1e6
        obs["source"]["failed_at"] = "failed_at"
    else:
        t = None
        for e in events:
            if e.get("kind") == "ftp" and e.get("role") == "client" and _is_failure_note(e.get("event")):
                t = e["time"]
                break
        if t is None:
            t = next((e["time"] for e in events if e.get("kind") == "verdict"), None)
        obs["t_gave_up_s"] = None if ok or t is None else t / 1e6
        obs["source"]["failed_at"] = "events"
    obs["data_syns_s"] = data_syns(events)
    obs["dialogue"] = [[round(t, 6), d, x] for t, d, x in obs["dialogue"]]
    return obs


def data_syns(events, devices=("client", "server")) -> list[float]:
    out = []
    for e in events:
        p = e.get("packet") or {}
        if (e.get("kind") == "packet-sent" and e.get("device") in devices and p.get("flags") == "SYN"
                and p.get("channel") != "control"):
            out.append(e["time"] / 1e6)
    return sorted(out)


# The simulator's SYN schedule: ftplib in passive mode against a server firewall that drops the
# data connection, with no client timeout, so TCP alone decides when to give up.
SYN_SCENARIO = Settings(client="ftplib", mode="pasv", command="list", server_firewall="control-only",
                        client_timeout=None, connect_timeout=60, accept_timeout=60)


def syn_schedule(ftpsim: Ftpsim) -> dict:
    r = ftpsim.run(SYN_SCENARIO, "syn-schedule")
    out = {"argv": r["argv"], "missing": r["missing"]}
    if "doc" not in r:
        out["error"] = r.get("error")
        return out
    obs = observation(r["doc"])
    syns = data_syns(r["doc"].get("events") or [], devices=("client",))
    if not syns:
        out["error"] = "the simulator sent no data SYN"
        return out
    out["syn_times_s"] = [round(t - syns[0], 3) for t in syns]
    gave_up = obs.get("t_gave_up_s")
    out["gave_up_after_first_syn_s"] = None if gave_up is None else round(gave_up - syns[0], 3)
    out["source"] = obs["source"]
    return out
