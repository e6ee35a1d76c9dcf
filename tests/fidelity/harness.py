#!/usr/bin/env python3
"""Fidelity harness: the simulator against real Linux networking and real FTP software.

For every cell of the matrix (cells.py) it builds the simulator's topology out of real network
namespaces (real.py), runs Debian's vsftpd or pyftpdlib and real curl or Python's ftplib, then runs
`ftpsim run --format json` on the same settings (sim.py), and compares (compare.py): outcome,
failing reply code, the sequence of commands and reply codes the client saw, and the failure
time (|sim - real| <= 0.35 s + 3 % of real). It also measures the running kernel's SYN
retransmission schedule and compares the simulator's. Any disagreement fails the run (exit 1)
and names the cell and the field. FIDELITY.md at the repository root is generated from a full run.

Usage (the real side needs root; see FIDELITY.md):

    python3 tests/fidelity/harness.py               # everything but the slow cells (~3 min on 2 cores)
    python3 tests/fidelity/harness.py --slow        # also real default timeouts (~6 min)
    python3 tests/fidelity/harness.py --sim-only    # reuse tests/fidelity/real-results.json: seconds, no root
    python3 tests/fidelity/harness.py --quick       # a few representative cells
    python3 tests/fidelity/harness.py --only main/nat --only no-epsv   # cells whose id starts so
    python3 tests/fidelity/harness.py --list        # the cell ids

Outputs: artifacts/fidelity/results.json (every cell: real, simulator, disagreements),
artifacts/fidelity/disagreements.md, artifacts/fidelity/FIDELITY.md, artifacts/fidelity/run/<cell>/
(topology.sh, vsftpd.conf and log, client.pcap, server.pcap, curl.stderr). With --update-doc a
full run (no --only/--quick/--no-syn, real side included) also rewrites FIDELITY.md and
tests/fidelity/real-results.json (the real observations --sim-only reuses; slow cells measured
earlier are kept); without it the working tree is left as it was.

Without root, or without the tools (scripts/tools.sh fidelity installs them), the real side is
skipped with a message and exit 0 — unless the environment variable CI is set, where it fails.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cells as cellmod  # noqa: E402
import compare  # noqa: E402
import real  # noqa: E402
import report  # noqa: E402
import sim  # noqa: E402

ROOT = HERE.parents[1]
STORED = HERE / "real-results.json"
DOC = ROOT / "FIDELITY.md"
DEFAULT_OUT = ROOT / "artifacts" / "fidelity"
# Fields of a real observation kept in tests/fidelity/real-results.json (captures and logs stay in
# artifacts/fidelity/run/).
# `settings` holds only the fields that differ from `Settings()`; `settings_digest` identifies the
# full settings, so that a result measured with other settings (or other defaults) is never reused.
STORED_FIELDS = ["id", "group", "note", "settings", "settings_digest", "measured", "outcome", "ok", "failure",
                 "client", "dialogue", "t_gave_up_s", "data_syns_s", "rewritten_lines", "icmp", "capture_complete",
                 "first_measurement"]


def say(msg: str) -> None:
    print(f"fidelity: {msg}", file=sys.stderr, flush=True)


def skip_or_fail(reason: str) -> int:
    if os.environ.get("CI"):
        say(f"FAILED - {reason}. CI is set, so the real side must run.")
        return 1
    say(f"SKIPPED - {reason}. (In CI, with the variable CI set, this is a failure.)")
    return 0


def check_prerequisites() -> list[str]:
    missing = [tool for tool in ["ip", "nft", "tcpdump", "vsftpd", "curl", "ss"] if shutil.which(tool) is None]
    try:
        import pyftpdlib  # noqa: F401
    except ImportError:
        missing.append(f"pyftpdlib (for {sys.executable})")
    return missing


def build_ftpsim() -> Path:
    say("building target/release/ftpsim (cargo build --release --locked --bin ftpsim)")
    r = subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "ftpsim"], cwd=ROOT)
    if r.returncode != 0:
        raise SystemExit("fidelity: cargo build of ftpsim failed")
    return ROOT / "target" / "release" / "ftpsim"


def tool_versions() -> dict:
    meta = {"kernel": os.uname().release, "cores": os.cpu_count()}
    for tool, cmd in [("curl", ["curl", "--version"]), ("vsftpd", ["dpkg-query", "-W", "vsftpd"]),
                      ("nft", ["nft", "--version"])]:
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
            text = (r.stdout or r.stderr).strip()
            meta[tool] = text.splitlines()[0].replace("\t", " ") if text else None
        except FileNotFoundError:
            meta[tool] = None
    try:
        from importlib.metadata import version
        meta["pyftpdlib"] = version("pyftpdlib")
    except Exception:  # noqa: BLE001
        meta["pyftpdlib"] = None
    meta["python"] = sys.version.split()[0]
    for name in ["tcp_syn_retries", "tcp_syn_linear_timeouts"]:
        p = Path(f"/proc/sys/net/ipv4/{name}")
        meta[name] = p.read_text().strip() if p.exists() else None
    return meta


def git_describe() -> str:
    r = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    rev = r.stdout.strip() or "unknown"
    d = subprocess.run(["git", "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"], cwd=ROOT,
                       capture_output=True, text=True)
    return rev + (" with uncommitted changes in src/" if d.stdout.strip() else "")


def load_stored() -> dict:
    if not STORED.exists():
        return {"meta": {}, "syn_schedule": [], "cells": []}
    return json.loads(STORED.read_text())


def write_stored(data: dict) -> None:
    """One cell per line, so that a rerun's diff reads cell by cell."""
    lines = ["{", f' "meta": {json.dumps(data["meta"], sort_keys=True)},',
             f' "syn_schedule": {json.dumps(data["syn_schedule"])},', ' "cells": [']
    cells = data["cells"]
    for i, c in enumerate(cells):
        lines.append("  " + json.dumps(c, ensure_ascii=False) + ("," if i < len(cells) - 1 else ""))
    lines += [" ]", "}"]
    STORED.write_text("\n".join(lines) + "\n")


def settings_digest(settings: dict) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def trim(r: dict) -> dict:
    defaults = asdict(cellmod.Settings())
    r = dict(r, settings_digest=settings_digest(r["settings"]),
             settings={k: v for k, v in r["settings"].items() if defaults.get(k) != v})
    out = {k: r[k] for k in STORED_FIELDS if k in r}
    if "client" in out:
        out["client"] = {k: v for k, v in out["client"].items() if k != "verbose_info"}
    return out


def judge(cell: cellmod.Cell, real_obs: dict, ftpsim: sim.Ftpsim) -> dict:
    """Run the simulator on the cell and compare it with the real observation."""
    entry = {"id": cell.id, "group": cell.group, "note": cell.note, "slow": cell.slow,
             "settings": asdict(cell.settings)}
    if real_obs.get("outcome") == "harness-error":
        entry["error"] = f"real side: {real_obs.get('harness_error')}"
        entry["real"] = real_obs
        entry["agree"] = False
        entry["diffs"] = [{"field": "harness", "real": real_obs.get("harness_error"), "sim": None}]
        return entry
    entry["real"] = dict(real_obs, summary=compare.summarise(real_obs))
    try:
        r = ftpsim.run(cell.settings, cell.id)
    except Exception as e:  # noqa: BLE001
        r = {"argv": None, "missing": [], "error": f"{type(e).__name__}: {e}"}
    simside = {"argv": r.get("argv"), "scenario_file": r.get("scenario_file"), "missing": r.get("missing"),
               "exit_code": r.get("exit_code")}
    diffs = []
    if r.get("missing"):
        diffs.append({"field": "sim_flags_missing", "real": None, "sim": ", ".join(r["missing"])})
    if "doc" in r:
        doc = r["doc"]
        obs = sim.observation(doc)
        simside.update(obs)
        simside.update({k: doc.get(k) for k in ("outcome", "final_reply", "cause", "device", "rule")})
        simside["summary"] = compare.summarise(obs)
        diffs += compare.compare(entry["real"]["summary"], simside["summary"], entry["settings"])
    else:
        simside["error"] = r.get("error")
        diffs.append({"field": "sim_error", "real": None, "sim": r.get("error")})
    entry["sim"] = simside
    entry["diffs"] = diffs
    entry["agree"] = not diffs
    return entry


def progress(done: int, total: int, started: float, e: dict) -> None:
    rs = (e.get("real") or {}).get("summary") or {}
    ss = (e.get("sim") or {}).get("summary") or {}
    fields = ",".join(sorted({d["field"] for d in e.get("diffs", [])}))
    print(f"[{done:3d}/{total} {time.time() - started:6.1f}s] real {report.short(rs):22s} sim {report.short(ss):22s} "
          f"{'agree' if e['agree'] else 'DIFFER ' + fields:30s} {e['id']}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Signals and cleanup.
# --------------------------------------------------------------------------------------------

_pools: list[cf.ThreadPoolExecutor] = []


def _on_signal(signum, frame):
    real.shutting_down.set()
    raise KeyboardInterrupt


def interrupt_cleanup() -> None:
    """After Ctrl-C / SIGTERM: stop the workers' processes, wait for the workers, remove everything."""
    real.shutting_down.set()
    signal.signal(signal.SIGINT, signal.SIG_IGN)        # a second Ctrl-C must not cut the cleanup short
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    deadline = time.time() + 60
    while time.time() < deadline:
        real.cleanup_all()
        busy = [t for pool in _pools for t in getattr(pool, "_threads", ()) if t.is_alive()]
        if not busy:
            break
        for t in busy:
            t.join(0.5)
    real.cleanup_all()


# --------------------------------------------------------------------------------------------
# Main.
# --------------------------------------------------------------------------------------------

def select_cells(args) -> list[cellmod.Cell]:
    # --sim-only also compares the slow cells when their real results are stored: it costs nothing.
    cells = [c for c in cellmod.all_cells(slow=True) if args.slow or args.sim_only or not c.slow]
    if args.quick:
        cells = [c for c in cells if c.id in cellmod.QUICK_IDS]
    if args.only:
        cells = [c for c in cells if any(c.id.startswith(o) for o in args.only)]
    return cells


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=24, help="real cells run at once (default 24; they mostly wait)")
    ap.add_argument("--only", action="append", default=[], help="cells whose id starts with this (repeatable)")
    ap.add_argument("--quick", action="store_true", help="a few representative cells only")
    ap.add_argument("--slow", action="store_true", help="also the cells with real default timeouts (minutes each)")
    ap.add_argument("--sim-only", action="store_true",
                    help="reuse the stored real results (tests/fidelity/real-results.json); no root needed")
    ap.add_argument("--no-retry", action="store_true",
                    help="do not measure a disagreeing cell's real side a second time")
    ap.add_argument("--no-syn", action="store_true", help="skip the ~135 s measurement of the kernel's SYN schedule")
    ap.add_argument("--list", action="store_true", help="list the cell ids and exit")
    ap.add_argument("--ftpsim", help="the ftpsim binary to compare (default: cargo build --release, then "
                                     "target/release/ftpsim)")
    ap.add_argument("--ftpsim-label", help="how FIDELITY.md names the binary given with --ftpsim "
                                           "(e.g. the commit it was built from)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output directory (default artifacts/fidelity)")
    ap.add_argument("--update-doc", action="store_true",
                    help="rewrite FIDELITY.md at the root, and after a full real run also "
                         "tests/fidelity/real-results.json (with --sim-only: FIDELITY.md from the stored results)")
    ap.add_argument("--allow-disagreements", action="store_true",
                    help="exit 0 even if the simulator disagrees (harness errors still fail)")
    ap.add_argument("--cleanup-stale", action="store_true",
                    help="remove namespaces left by a harness that was killed, then exit")
    args = ap.parse_args(argv)

    cells = select_cells(args)
    if args.list:
        for c in cells:
            print(c.id)
        print(f"{len(cells)} cells", file=sys.stderr)
        return 0
    if args.cleanup_stale:
        if os.geteuid() != 0:
            return skip_or_fail("not root: cannot list or remove network namespaces")
        stale = real.remove_stale_namespaces()
        say(f"removed {len(stale)} stale namespaces")
        return 0

    filtered = bool(args.only or args.quick)
    stored = load_stored()
    stored_by_id = {c["id"]: c for c in stored["cells"]}
    if not args.sim_only:
        if os.geteuid() != 0:
            return skip_or_fail("not root: the real side needs network namespaces, veth pairs, nftables and "
                                "vsftpd (CAP_NET_ADMIN, CAP_SYS_ADMIN); rerun as root, or use --sim-only")
        missing = check_prerequisites()
        if missing:
            return skip_or_fail(f"missing tools: {', '.join(missing)}; install them with "
                                f"`source scripts/tools.sh fidelity` and run with "
                                f"$FTPSIM_TOOLS_DIR/fidelity-venv/bin/python")

    binary = Path(args.ftpsim) if args.ftpsim else build_ftpsim()
    ftpsim = sim.Ftpsim(binary)
    ftpsim.known_flags()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    entries: list[dict] = []
    errors: list[str] = []
    syn_kernel: list[dict] = []

    if args.sim_only:
        todo = []
        for c in cells:
            stored_cell = stored_by_id.get(c.id)
            if stored_cell is None and c.slow and not args.slow:
                continue
            if stored_cell is None:
                errors.append(f"{c.id}: no stored real result (run the harness as root to measure it)")
            elif stored_cell.get("settings_digest") != settings_digest(asdict(c.settings)):
                errors.append(f"{c.id}: the stored real result was measured with other settings; rerun it")
            else:
                todo.append((c, stored_cell))
        say(f"--sim-only: {len(todo)} cells against the real results stored in {STORED.relative_to(ROOT)} "
            f"(measured {stored['meta'].get('generated', '?')} on kernel {stored['meta'].get('kernel', '?')})")
        with cf.ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 2)) as pool:
            futs = {pool.submit(judge, c, obs, ftpsim): c for c, obs in todo}
            for i, fut in enumerate(cf.as_completed(futs), 1):
                entries.append(fut.result())
                progress(i, len(todo), started, entries[-1])
        syn_kernel = stored.get("syn_schedule") or []
        real_meta = stored.get("meta") or {}
    else:
        real_meta, syn_kernel, entries, real_errors = run_real(args, cells, ftpsim, out_dir, started)
        if real_meta is None:
            return 130
        errors += real_errors

    order = {c.id: i for i, c in enumerate(cellmod.all_cells(slow=True))}
    entries.sort(key=lambda e: order.get(e["id"], 0))
    elapsed = time.time() - started

    # ---- the SYN schedule
    kernel_drop = next((x for x in syn_kernel if x.get("variant") == "drop" and x.get("connect") == "blocking"), None)
    syn_sim = sim.syn_schedule(ftpsim) if kernel_drop or not args.no_syn else None
    syn_cmp = compare.compare_syn_schedule(kernel_drop, syn_sim) if syn_sim is not None else None
    if syn_sim is not None and not syn_cmp["agree"]:
        bad = [r["what"] for r in syn_cmp["rows"] if not r["agree"]]
        errors_syn = f"SYN schedule: the simulator disagrees with the kernel at {', '.join(bad)}"
    else:
        errors_syn = None

    run_meta = {"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "elapsed_s": round(elapsed, 1),
                "mode": "sim-only" if args.sim_only else "full",
                "ftpsim": (args.ftpsim_label or f"{binary} (given with --ftpsim)") if args.ftpsim else git_describe(),
                "ftpsim_binary": str(binary), "cells": len(entries), "jobs": args.jobs,
                "filtered": filtered, "slow": args.slow}
    result = {"meta": {"run": run_meta, "real": real_meta},
              "syn_schedule": {"kernel": syn_kernel, "sim": syn_sim, "comparison": syn_cmp},
              "cells": entries, "errors": errors}
    (out_dir / "results.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    doc = report.fidelity_md(result)
    (out_dir / "FIDELITY.md").write_text(doc)
    (out_dir / "disagreements.md").write_text(report.disagreements_md(result))
    full_real_run = not args.sim_only and not filtered and not args.no_syn
    # The committed files change only when asked: a test run leaves the working tree as it was.
    if args.update_doc and (full_real_run or (args.sim_only and not filtered)):
        DOC.write_text(doc)
        say(f"wrote {DOC.relative_to(ROOT)}")

    disagree = [e for e in entries if not e["agree"]]
    by_field: dict[str, int] = {}
    for e in disagree:
        for f in sorted({d["field"] for d in e["diffs"]}):
            by_field[f] = by_field.get(f, 0) + 1
    for e in disagree:
        for d in e["diffs"]:
            say(f"DISAGREE {e['id']}: {d['field']}: real {d['real']!s} | sim {d['sim']!s}")
    for err in errors:
        say(f"ERROR {err}")
    if errors_syn:
        say(errors_syn)
    say(f"{len(entries)} cells in {elapsed:.0f} s: {len(entries) - len(disagree)} agree, {len(disagree)} disagree"
        + (f" ({', '.join(f'{k} {v}' for k, v in sorted(by_field.items()))})" if by_field else "")
        + f"; SYN schedule {'not compared' if syn_cmp is None else 'agrees' if syn_cmp['agree'] else 'disagrees'}"
        + f"; details in {out_dir}/disagreements.md")
    harness_errors = [e for e in entries if e.get("error")] or errors
    print(f"fidelity: {len(entries) - len(disagree)} passed, {len(disagree)} failed", flush=True)
    if harness_errors:
        return 1
    if (disagree or errors_syn) and not args.allow_disagreements:
        return 1
    return 0


def run_real(args, cells, ftpsim, out_dir: Path, started: float):
    """The real side, each cell judged as soon as it is measured. Returns (meta, syn, entries, errors);
    meta None when interrupted."""
    run_dir = out_dir / "run"
    stale = real.remove_stale_namespaces()
    if stale:
        say(f"removed {len(stale)} namespaces left over by a harness that was killed")
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    os.chmod(run_dir, 0o755)
    ftproot = real.prepare_run_dir(run_dir)

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    syn_results: list = []
    syn_thread = None
    if not args.no_syn:
        def syn_job():
            for variant, connect in (("icmp", "blocking"), ("icmp", "nonblocking"), ("drop", "blocking")):
                if real.shutting_down.is_set():
                    return
                try:
                    syn_results.append(real.syn_schedule(run_dir, variant, connect))
                except Exception as e:  # noqa: BLE001
                    syn_results.append({"variant": variant, "connect": connect, "error": f"{type(e).__name__}: {e}"})
        syn_thread = threading.Thread(target=syn_job, daemon=True)
        syn_thread.start()

    def one(c: cellmod.Cell) -> tuple[dict, dict]:
        obs = real.run_cell(c, run_dir, ftproot)
        entry = judge(c, obs, ftpsim)
        if not entry["agree"] and not args.no_retry and obs.get("outcome") != "harness-error" \
                and not real.shutting_down.is_set():
            # A real run can lose a packet or lose a race; a disagreement must survive a second
            # measurement. The second one is what is compared and stored; the first is kept here.
            again = real.run_cell(c, run_dir, ftproot, attempt=2)
            if again.get("outcome") != "harness-error":
                first = {k: v for k, v in entry["real"]["summary"].items() if k != "t_fail_s"}
                obs = dict(again, first_measurement=first)
                entry = judge(c, obs, ftpsim)
        return obs, entry

    entries: list[dict] = []
    observations: list[dict] = []
    say(f"running {len(cells)} cells, {args.jobs} at a time" + ("" if args.no_syn else
                                                                 ", and the kernel's SYN schedule (~135 s)"))
    pool = cf.ThreadPoolExecutor(max_workers=args.jobs)
    _pools.append(pool)
    try:
        futs = {pool.submit(one, c): c for c in cells}
        for fut in cf.as_completed(futs):
            c = futs[fut]
            try:
                obs, entry = fut.result()
            except Exception as e:  # noqa: BLE001
                obs = {"id": c.id, "outcome": "harness-error", "harness_error": f"{type(e).__name__}: {e}"}
                entry = {"id": c.id, "group": c.group, "settings": asdict(c.settings), "agree": False,
                         "error": obs["harness_error"], "diffs": [{"field": "harness", "real": obs["harness_error"],
                                                                   "sim": None}]}
            observations.append(obs)
            entries.append(entry)
            progress(len(entries), len(cells), started, entry)
        while syn_thread and syn_thread.is_alive():
            syn_thread.join(0.5)
    except KeyboardInterrupt:
        pool.shutdown(wait=False, cancel_futures=True)
        interrupt_cleanup()
        say("interrupted; every namespace and process it made has been removed")
        return None, None, None, None
    finally:
        pool.shutdown(wait=not real.shutting_down.is_set(), cancel_futures=True)
        real.cleanup_all()
        real.shutting_down.clear()
    left = [ns for ns in real.list_namespaces(real.ns_base())]
    errors = [f"namespaces left behind: {left}"] if left else []
    errors += [f"{o['id']}: real side: {o.get('harness_error')}" for o in observations
               if o.get("outcome") == "harness-error"]
    errors += [f"SYN measurement ({x['variant']}, {x['connect']}): {x['error']}" for x in syn_results if "error" in x]

    meta = tool_versions()
    meta.update({"generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "elapsed_s": round(time.time() - started, 1), "cells": len(observations), "jobs": args.jobs})
    (out_dir / "real-results.json").write_text(json.dumps(
        {"meta": meta, "syn_schedule": syn_results, "cells": observations}, indent=1, ensure_ascii=False) + "\n")

    if not (args.only or args.quick or args.no_syn):
        # Refresh the committed copy: every cell measured now (harness errors keep the old result),
        # plus slow cells measured by an earlier --slow run.
        stored = load_stored()
        old = {c["id"]: c for c in stored["cells"]}
        fresh = {o["id"]: trim(o) for o in observations if o.get("outcome") != "harness-error"}
        known = {c.id for c in cellmod.all_cells(slow=True)}
        merged = []
        for c in cellmod.all_cells(slow=True):
            if c.id in fresh:
                merged.append(fresh[c.id])
            elif c.id in old and c.id in known:
                merged.append(old[c.id])
        syn_ok = [x for x in syn_results if "error" not in x]
        if args.update_doc:
            write_stored({"meta": meta, "syn_schedule": syn_ok if len(syn_ok) == 3 else stored.get("syn_schedule", []),
                          "cells": merged})
            say(f"wrote {STORED.relative_to(ROOT)} ({len(merged)} cells)")
        # Stored slow cells not rerun now are still compared (the simulator side costs nothing).
        earlier = []
        for c in cellmod.all_cells(slow=True):
            if (c.slow and c.id not in fresh and c.id in old
                    and old[c.id].get("settings_digest") == settings_digest(asdict(c.settings))):
                entries.append(judge(c, old[c.id], ftpsim))
                earlier.append(f"{c.id} ({old[c.id].get('measured', '?')})")
        syn_results = syn_results if len(syn_ok) == 3 else stored.get("syn_schedule", [])
        if earlier:
            meta = dict(meta, slow_cells_from_earlier_run=earlier)
    return meta, syn_results, entries, errors


if __name__ == "__main__":
    sys.exit(main())
