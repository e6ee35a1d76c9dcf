"""FIDELITY.md and disagreements.md, written from the harness's results (see harness.py)."""

from __future__ import annotations

import compare

GROUP_TITLES = {
    "main": "Main matrix: home router × server side × mode × LIST/RETR × curl/ftplib (vsftpd)",
    "server-nat": "Server behind NAT (pasv_address, server-side helper, trusting and non-trusting clients)",
    "control-port": "Control port 2121 (helper on port 21 only, and on 21 and 2121)",
    "no-epsv": "A server without EPSV (pyftpdlib answering 500 or 502)",
    "port-check": "vsftpd port_promiscuous and connect_from_port_20",
    "stor": "Anonymous upload (vsftpd anon_upload_enable=NO)",
    "pyftpdlib": "pyftpdlib as the server",
    "client-reject": "A home firewall that rejects (TCP reset) instead of dropping",
    "long-timeout": "vsftpd connect_timeout 90 s (longer than the client's own timeout)",
    "server-reject": "A server firewall that rejects (TCP reset) instead of dropping",
    "slow": "Real default timeouts (--slow): no client timeout, vsftpd's 60 s",
}

FIELD_NAMES = {
    "sequence": "command sequence",
    "outcome": "outcome",
    "final_reply": "final code",
    "failure_time": "failure time",
    "sim_flags_missing": "flags missing in ftpsim",
    "sim_error": "ftpsim error",
    "harness": "harness error",
}

NOT_MODELLED = """\
- **A blocking `connect()` that ignores the first ICMP error.** On the namespaces' zero-latency
  links, an ICMP unreachable arrives while a blocking `connect()` still holds the socket lock, so
  the kernel only records a soft error and the connect fails at the second SYN, about 1.02 s
  later (measured in the SYN section as "icmp, blocking"). With any real link latency the first ICMP error
  aborts the connect, as it does for non-blocking connects (curl, vsftpd, ftplib with a timeout),
  which fail within 1 ms. The simulator aborts a connect at the first ICMP error.
- **Client messages.** Only the protocol is compared, not what the client prints. curl's verbose
  output for 425, 421 and `500 OOPS` replies shows a misleading `sa_addr inet_ntop() failed with
  errno 97`; curl's exit codes (7, 19, 25, 28, 30) and ftplib's exception texts are recorded in
  `tests/fidelity/real-results.json` for reference only.
- **Jitter.** Real timers fire a little late, more so under load (up to about 0.4 s on the later SYN
  retransmissions while the matrix runs); the simulator's timers are exact. The tolerance
  (0.35 s + 3 %) covers it.
- **Link latency.** The veth pairs have none; the simulator's links take 1 ms (LAN) and 10 ms (WAN),
  a few tens of milliseconds per exchange, well inside the tolerance.
- **Random numbers.** Ephemeral ports, passive ports and therefore the arguments of PORT and EPRT
  and the numbers in 227/229 replies differ from run to run: those lines are compared by verb or
  code only.
- **Reply texts.** Only reply codes are compared; the real texts are in the stored dialogues
  (`tests/fidelity/real-results.json`).
- **pyftpdlib's 125/150 race.** In passive mode pyftpdlib answers a transfer command with 125 if the
  data connection is already accepted and 150 if not; which comes first is a race on the real
  machine, so the two codes count as equal there.
- **vsftpd's second `500 OOPS`.** When vsftpd's session dies (`port_promiscuous=YES` with
  `connect_from_port_20=YES`), a second `500 OOPS: priv_sock_get_cmd` follows the first and
  races the client's QUIT (before it, after it, or not at all); repeats of the failing code after
  the failing reply are left out of the compared sequence.
- **Not measured:** IPv6, explicit FTPS, a logged-in (non-anonymous) user, more than one transfer per
  session, curl's `--ftp-method` other than the default `multicwd`, and curl's accept timeout in
  active mode (no curl command-line option sets it; vsftpd's 425 always comes first here).
"""


def short(s: dict) -> str:
    """'ok 226', 'fail 425 4.01 s', 'fail - 6.00 s' from a summary."""
    if not s:
        return "-"
    if s.get("outcome") == "ok":
        return f"ok {s.get('final_reply') or ''}".strip()
    code = s.get("final_reply")
    t = s.get("failure_time_s")
    return f"fail {code if code is not None else '—'}" + (f" {t:.2f} s" if t is not None else "")


def basis_short(basis: str | None) -> str:
    if not basis:
        return ""
    return {"from first data SYN": "after the 1st data SYN", "from session start": "after the start"}.get(
        basis, basis.replace("from ", "after ").replace(" sent", ""))


def cell_text(s: dict) -> str:
    if not s:
        return "—"
    text = short(s)
    if s.get("outcome") != "ok" and s.get("failure_time_s") is not None:
        text += f" {basis_short(s.get('failure_time_basis'))}"
    return text


def _fmt_t(x) -> str:
    return "—" if x is None else f"{x:.3f}"


def fidelity_md(result: dict) -> str:
    meta_run = result["meta"]["run"]
    real = result["meta"].get("real") or {}
    cells = result["cells"]
    agree = [e for e in cells if e["agree"]]
    by_field: dict[str, int] = {}
    for e in cells:
        for f in sorted({d["field"] for d in e.get("diffs", [])}):
            by_field[f] = by_field.get(f, 0) + 1
    syn = result["syn_schedule"]
    syn_cmp = syn.get("comparison")
    out = [
        "# Fidelity: ftpsim against real Linux, vsftpd, pyftpdlib, curl and ftplib",
        "",
        "<!-- Generated by tests/fidelity/harness.py from a run; do not edit by hand. -->",
        "",
        "The simulator claims to behave like curl 7.88 or Python's ftplib talking to vsftpd 3.0.3 or",
        "pyftpdlib through Linux routers. This file is its proof: `tests/fidelity/harness.py` builds the",
        "simulator's topology (client, home router, internet, server edge, server) out of real network",
        "namespaces on the machine — veth pairs, nftables masquerade and DNAT, a stateful forward filter,",
        "the kernel's FTP conntrack helper (`ct helper` of type \"ftp\" assigned with `ct helper set`) —",
        "runs Debian's vsftpd or pyftpdlib and real curl or ftplib in it, then runs `ftpsim run` with the",
        "same settings and compares the two, cell by cell. It also measures the running kernel's SYN",
        "retransmission schedule and compares the simulator's. Any disagreement fails the run and names",
        "the cell and the field. `./scripts/test.sh` (README command 2, and so CI) runs it.",
        "",
        "## How to rerun",
        "",
        "```sh",
        "source scripts/tools.sh fidelity      # vsftpd curl nftables iproute2 tcpdump; pyftpdlib 2.2.0 in a venv",
        "PY=${FTPSIM_TOOLS_DIR:-$HOME/.cache/ftpsim-tools}/fidelity-venv/bin/python",
        "sudo $PY tests/fidelity/harness.py            # as root: every cell but the slow ones, ~3-4 min",
        "sudo $PY tests/fidelity/harness.py --slow     # also real default timeouts (up to 4.5 min per cell)",
        "sudo $PY tests/fidelity/harness.py --slow --update-doc   # … and rewrite this file and the stored results",
        "$PY tests/fidelity/harness.py --sim-only      # no root, seconds: the stored real results vs ftpsim",
        "$PY tests/fidelity/harness.py --sim-only --only main/nat --only no-epsv/500   # a subset",
        "$PY tests/fidelity/harness.py --list          # the cell ids",
        "```",
        "",
        "A full run as root with `--update-doc` rewrites this file and `tests/fidelity/real-results.json`",
        "(the real observations that `--sim-only` reuses; slow cells measured by an earlier `--slow` run",
        "are kept); the test run leaves both as they are. Every run writes",
        "`artifacts/fidelity/results.json` (both sides of every cell, with the simulator's command line",
        "and dialogue), `artifacts/fidelity/disagreements.md` and, for the real side,",
        "`artifacts/fidelity/run/<cell>/` (topology.sh, vsftpd.conf, client and server pcaps).",
        "`--ftpsim PATH` compares another binary; `--allow-disagreements` reports without failing.",
        "Without root the real side is skipped with a message (exit 0), except with `CI` set, where that",
        "fails. `tests/fidelity/test_cleanup.py` checks that an error, Ctrl-C, SIGTERM or SIGKILL leaves",
        "no namespace and no process behind.",
        "",
        "## This run",
        "",
        f"- Real side: measured {real.get('generated', '?')} on Linux {real.get('kernel', '?')} "
        f"({real.get('cores', '?')} cores; tcp_syn_retries={real.get('tcp_syn_retries', '?')}, "
        f"tcp_syn_linear_timeouts={real.get('tcp_syn_linear_timeouts', '?')}), "
        f"{real.get('cells', '?')} cells, {real.get('jobs', '?')} at a time, in {real.get('elapsed_s', '?')} s.",
        f"- Versions: {(real.get('curl') or '?').split(' (')[0]}; vsftpd {(real.get('vsftpd') or '?').split(' ')[-1]} "
        f"(Debian); pyftpdlib {real.get('pyftpdlib', '?')}; Python {real.get('python', '?')} ftplib; "
        f"{(real.get('nft') or '?').split(' (')[0]}.",
        f"- Simulator: ftpsim at {meta_run.get('ftpsim')}, run {meta_run.get('generated')} "
        f"({meta_run.get('mode')} run, {meta_run.get('elapsed_s')} s in all).",
        f"- **{len(cells)} cells: {len(agree)} agree, {len(cells) - len(agree)} disagree**"
        + (" (" + ", ".join(f"{FIELD_NAMES.get(k, k)}: {v}" for k, v in sorted(by_field.items())) + ")"
           if by_field else "")
        + "; SYN schedule: " + ("not compared" if not syn_cmp else "agrees" if syn_cmp["agree"] else "**disagrees**")
        + ".",
    ]
    full = meta_run.get("mode") == "full"
    again = [e for e in cells if full and (e.get("real") or {}).get("first_measurement")]
    if again:
        flaky = [e for e in again if e["agree"]]
        out.append(f"- {len(again)} cells disagreed at first and had their real side measured again (marked ² "
                   f"below); {len(flaky)} of them then agreed"
                   + (": " + ", ".join(f"`{e['id']}`" for e in flaky) if flaky else "") + ".")
        unstable = [e for e in again if compare.compare(e["real"]["first_measurement"], e["real"]["summary"],
                                                        e["settings"])]
        if unstable:
            out.append("- The two real measurements differed (the real side is not deterministic there): "
                       + ", ".join(f"`{e['id']}`" for e in unstable) + ".")
    if real.get("slow_cells_from_earlier_run"):
        out.append(f"- Slow cells measured by an earlier `--slow` run (stored results, compared here): "
                   f"{', '.join(real['slow_cells_from_earlier_run'])}.")
    if result.get("errors"):
        out.append("- Errors: " + "; ".join(result["errors"]))
    out += [
        "",
        "## What is compared",
        "",
        "Both sides use the same settings: `ftpsim run --client … --server … --mode … --client-timeout …`",
        "(the exact command line of every cell is in `artifacts/fidelity/results.json`); the firewall",
        "actions (drop or reject) go in a scenario file. Unless a cell says otherwise: user anonymous,",
        "vsftpd `connect_from_port_20=YES` (as Debian ships it), `port_promiscuous=NO`, vsftpd",
        "`connect_timeout` and `accept_timeout` 4 s (pyftpdlib: its active and passive DTP timeouts),",
        "the client's own connect timeout 6 s (curl `--connect-timeout 6`, ftplib `timeout=6`). curl",
        "fetches `ftp://198.51.100.10/pub/`, `…/pub/lesson-notes.txt` (86 bytes) or uploads",
        "`homework.txt` into `upload/`; port = `--ftp-port - --disable-eprt`, eprt = `--ftp-port -`,",
        "pasv = `--ftp-pasv --disable-epsv`, epsv = `--ftp-pasv`. ftplib sends `LIST pub`,",
        "`RETR pub/lesson-notes.txt`, `STOR upload/homework.txt` inside `with FTP() as ftp` (QUIT also",
        "after an error); it has only PORT and PASV on IPv4.",
        "",
        "| field | how |",
        "|---|---|",
        "| outcome | ok (the client finished the transfer) or fail |",
        "| final code | ok: the last reply before QUIT; fail: the error reply (≥ 400) the client acted on — the "
        "last one that arrived at most 0.5 s before it gave up — or none (timeout, refused, unreachable) |",
        "| command sequence | the client's commands and the reply codes it received, in the order they crossed "
        "the client's interface (a reply the client never read, such as pyftpdlib's 421 while curl is still "
        "connecting, is in it); PORT and EPRT by verb only (random ports), every other command in full |",
        "| failure time | when the failing reply arrived or the client gave up, measured from the transfer "
        "command if it was sent, else from the first data SYN, else from the last command sent before it "
        "(a refused PORT), else from the start of the session; the basis must match and the times agree "
        "within 0.35 s + 3 % of the real time |",
        "",
        "## SYN retransmission schedule",
        "",
        "A blocking `connect()` to an address whose SYNs are dropped (kernel, measured in a namespace",
        "pair), against `ftpsim run` with ftplib in PASV mode, the server firewall dropping the data",
        "connection and no client timeout, so that TCP alone gives up. Times in seconds after the",
        "first SYN.",
        "",
    ]
    if syn_cmp:
        out += ["| | kernel | simulator | agree |", "|---|---|---|---|"]
        for row in syn_cmp["rows"]:
            out.append(f"| {row['what']} | {_fmt_t(row['kernel_s'])} | {_fmt_t(row['sim_s'])} | "
                       f"{'✓' if row['agree'] else '✗'} |")
        sim_syn = syn.get("sim") or {}
        if sim_syn.get("argv"):
            out += ["", f"Simulator: `{' '.join(sim_syn['argv'])}`"
                    + (f" (flags this ftpsim lacks, left out: {', '.join(sim_syn['missing'])})"
                       if sim_syn.get("missing") else "") + "."]
        if sim_syn.get("error"):
            out += ["", f"Simulator error: {sim_syn['error']}"]
    else:
        out.append("Not measured in this run.")
    others = [x for x in syn.get("kernel") or [] if not (x.get("variant") == "drop" and x.get("connect") == "blocking")]
    if others:
        out += ["", "ICMP host-unreachable one hop away (not compared; see \"Deliberately not modelled\"):", ""]
        for x in others:
            if "error" in x:
                out.append(f"- {x['variant']}, {x['connect']} connect(): error {x['error']}")
                continue
            out.append(f"- {x['variant']}, {x['connect']} connect(): SYNs at "
                       f"{', '.join(f'{t:.3f}' for t in x['syn_times_s'])} s; connect() → {x['connect_result']} "
                       f"after {x['connect_failed_after_s']:.3f} s")
    out += ["", "## Every cell", "",
            "Real and simulator: outcome, final code (— for none) and, for a failure, the failure time and its "
            "basis. ✗ names the fields that disagree.", ""]
    groups: list[str] = []
    for e in cells:
        if e["group"] not in groups:
            groups.append(e["group"])
    for g in groups:
        out += [f"### {GROUP_TITLES.get(g, g)}", "", "| cell | real | simulator | agree |", "|---|---|---|---|"]
        for e in cells:
            if e["group"] != g:
                continue
            rs = (e.get("real") or {}).get("summary") or {}
            ss = (e.get("sim") or {}).get("summary") or {}
            fields = sorted({FIELD_NAMES.get(d["field"], d["field"]) for d in e.get("diffs", [])})
            mark = "✓" if e["agree"] else "✗ " + ", ".join(fields)
            again = "² " if full and (e.get("real") or {}).get("first_measurement") else ""
            out.append(f"| `{e['id']}` | {again}{cell_text(rs)} | {cell_text(ss)} | {mark} |")
        out.append("")
    out += ["## Deliberately not modelled", "", NOT_MODELLED]
    return "\n".join(out).rstrip() + "\n"


def disagreements_md(result: dict) -> str:
    """Every disagreeing cell with both sides' sequences: what remains to fix in the engine."""
    out = ["# Disagreements (generated by tests/fidelity/harness.py)", ""]
    cells = [e for e in result["cells"] if not e["agree"]]
    if not cells:
        out.append("None.")
    by_field: dict[str, list] = {}
    for e in cells:
        for f in sorted({d["field"] for d in e["diffs"]}):
            by_field.setdefault(f, []).append(e)
    for f, es in by_field.items():
        out += [f"## {FIELD_NAMES.get(f, f)} ({len(es)} cells)", ""]
        for e in es:
            d = next(x for x in e["diffs"] if x["field"] == f)
            out.append(f"- `{e['id']}`")
            out.append(f"  - real: {d['real']}")
            out.append(f"  - sim:  {d['sim']}")
            if f != "sequence" and "sim" in e and e["sim"].get("summary"):
                out.append(f"  - real sequence: {' '.join(e['real']['summary']['sequence'])}")
                out.append(f"  - sim sequence:  {' '.join(e['sim']['summary']['sequence'])}")
            if e.get("sim", {}).get("argv"):
                out.append(f"  - `{' '.join(e['sim']['argv'])}`")
        out.append("")
    syn = (result["syn_schedule"] or {}).get("comparison")
    if syn and not syn["agree"]:
        out += ["## SYN schedule", "", "| | kernel | simulator | agree |", "|---|---|---|---|"]
        for row in syn["rows"]:
            out.append(f"| {row['what']} | {_fmt_t(row['kernel_s'])} | {_fmt_t(row['sim_s'])} | "
                       f"{'✓' if row['agree'] else '✗'} |")
    return "\n".join(out) + "\n"
