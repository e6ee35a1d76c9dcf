"""What is compared, derived the same way from a real observation and from `ftpsim run`.

Both sides are reduced to the same raw observation:

- `dialogue`: the control conversation as the client saw it, `[t_s, "C"|"S", line]`, times in
  seconds from the client's first control SYN (real: the client's capture, in the order the lines
  crossed the client's interface; simulator: its `dialogue`, or its client-side `ftp` events);
- `ok`: whether the client finished its transfer;
- `t_gave_up_s`: when the client gave up (real: ftplib's exception, curl's QUIT or FIN; simulator:
  `failed_at`);
- `data_syns_s`: the times of the data connections' SYNs (both directions).

`client_view` first puts the replies in the order the client read them. A client (curl, ftplib)
reads the control connection only while it waits for a reply: for the greeting, and after each
command until that command's final reply (a 1xx reply is preliminary). A reply that arrives while
it waits for none (pyftpdlib's "421 Passive data channel timed out." while curl is connecting the
data connection, a second "500 OOPS") stays in the socket and is read as the answer to the next
command, at that command's time; one never read is left out (kept in `unread`). The real side's
wire order is reconstructed this way; the simulator's dialogue already is the client's view, and
the same reconstruction leaves it as it is.

`summarise` turns that view into the four compared fields:

- `outcome` ok | fail;
- `final_reply`: for a success the last reply before the client's QUIT; for a failure the error
  reply (>= 400) the client acted on, i.e. the last one it read at most 0.5 s before it gave up
  (the first of a run of the same code), or none (a timeout, a refused or unreachable connection);
- `sequence`: commands and reply codes, commands verbatim except PORT/EPRT (verb only: the ports
  are random); replies as their codes; after a failing reply, repeats of its code are left out
  (vsftpd's second "500 OOPS" races the client's QUIT, and sometimes never comes);
- `failure_time_s` on a `failure_time_basis`: when the failing reply was read, or the moment the
  client gave up, measured from the last transfer command (LIST/RETR/STOR) if it was sent before,
  else from the first data SYN, else from the last command sent before it (e.g. PORT refused with
  500), else from the start of the session.
"""

from __future__ import annotations

import re

TRANSFER_VERBS = ("LIST", "RETR", "STOR", "NLST")
MASKED_VERBS = ("PORT", "EPRT")          # ports are random: compare the verb only
TOLERANCE_ABS_S = 0.35
TOLERANCE_REL = 0.03


def reply_code(line: str) -> tuple[int, bool] | None:
    """(code, is the last line of the reply) for a reply line, None for a continuation line."""
    m = re.match(r"^(\d{3})([ -]|$)", line)
    if not m:
        return None
    return int(m.group(1)), m.group(2) != "-"


def compact(dialogue) -> list[str]:
    """Commands (PORT/EPRT as the verb only) and reply codes, in order; multi-line replies once."""
    out: list[str] = []
    for _t, d, text in messages(dialogue):
        if d == "C":
            verb = text.split(" ")[0].upper()
            out.append(verb if verb in MASKED_VERBS else text)
        else:
            out.append(text[:3])
    return out


def messages(dialogue) -> list[list]:
    """Whole messages: commands, and replies as one line each (the final line of a multi-line reply,
    at the time its last line arrived)."""
    out: list[list] = []
    pending = None
    for t, d, text in dialogue:
        if d == "C":
            out.append([t, "C", text])
            continue
        rc = reply_code(text)
        if rc is None:
            continue
        code, last = rc
        if pending is not None:
            if code == pending and last:
                pending = None
                out.append([t, "S", text])
            continue
        if not last:
            pending = code
            continue
        out.append([t, "S", text])
    return out


def client_view(dialogue) -> tuple[list[list], list[list]]:
    """(the messages in the order the client read them, the replies it never read)."""
    view: list[list] = []
    queued: list[list] = []
    waiting = 1                                   # for the greeting
    for t, d, text in messages(dialogue):
        if d == "C":
            view.append([t, d, text])
            waiting += 1
            while queued and waiting:
                _qt, _qd, qtext = queued.pop(0)
                view.append([t, "S", qtext])      # read now, as the answer to this command
                if not qtext.startswith("1"):
                    waiting -= 1
            continue
        if waiting and not queued:
            view.append([t, d, text])
            if not text.startswith("1"):
                waiting -= 1
        else:
            queued.append([t, d, text])
    return view, queued


def summarise(obs: dict) -> dict:
    dialogue, unread = client_view(obs.get("dialogue") or [])
    ok = bool(obs.get("ok"))
    # Positions rather than times decide what came before what: on the real side's zero-latency
    # links a reply and the client's next command often carry the same millisecond.
    quit_at = next((i for i, (_t, d, x) in enumerate(dialogue) if d == "C" and x.upper().startswith("QUIT")),
                   len(dialogue))
    replies_before_quit = [(t, reply_code(x)[0], i) for i, (t, d, x) in enumerate(dialogue[:quit_at]) if d == "S"]
    out = {"outcome": "ok" if ok else "fail", "sequence": compact(dialogue), "final_reply": None,
           "failure_time_s": None, "failure_time_basis": None, "t_fail_s": None,
           "unread": [x[2] for x in unread]}
    if ok:
        out["final_reply"] = replies_before_quit[-1][1] if replies_before_quit else None
        return out
    t_gave_up = obs.get("t_gave_up_s")
    if t_gave_up is None:
        t_gave_up = dialogue[-1][0] if dialogue else 0.0
    errors = [x for x in replies_before_quit if x[1] >= 400 and x[0] <= t_gave_up + 0.05]
    if errors and t_gave_up - errors[-1][0] < 0.5:
        k = len(errors) - 1
        # the client acted on the first of repeated replies with no command in between
        while k > 0 and errors[k - 1][1] == errors[k][1] and not any(
                d == "C" for _t, d, _x in dialogue[errors[k - 1][2]:errors[k][2]]):
            k -= 1
        out["final_reply"] = errors[k][1]
        t_fail, fail_at = errors[k][0], errors[k][2]
    else:
        t_fail, fail_at = t_gave_up, quit_at
    out["t_fail_s"] = round(t_fail, 3)
    if out["final_reply"] is not None:
        # vsftpd's session dying with "500 OOPS" sends a second 500 OOPS that races the client's
        # QUIT (before it, after it, or not at all): repeats of the failing code after the failing
        # reply are left out of the compared sequence.
        tail = [x for x in dialogue[fail_at + 1:] if not (x[1] == "S" and reply_code(x[2])[0] == out["final_reply"])]
        out["sequence"] = compact(dialogue[:fail_at + 1] + tail)
    commands = [(t, x) for t, d, x in dialogue[:fail_at] if d == "C"]
    transfers = [(t, x) for t, x in commands if x.split(" ")[0].upper() in TRANSFER_VERBS]
    syns = obs.get("data_syns_s") or []
    if transfers:
        out["failure_time_s"] = round(t_fail - transfers[-1][0], 3)
        out["failure_time_basis"] = f"from {transfers[-1][1].split(' ')[0].upper()} sent"
    elif syns and syns[0] <= t_fail:
        out["failure_time_s"] = round(t_fail - syns[0], 3)
        out["failure_time_basis"] = "from first data SYN"
    elif commands:
        # e.g. 500 to PORT: from the last command before the failure, not from the session's start,
        # which would add up the simulator's modelled link latency over the whole login
        out["failure_time_s"] = round(t_fail - commands[-1][0], 3)
        out["failure_time_basis"] = f"from {commands[-1][1].split(' ')[0].upper()} sent"
    else:
        out["failure_time_s"] = round(t_fail, 3)
        out["failure_time_basis"] = "from session start"
    return out


def within(sim: float, real: float) -> bool:
    return abs(sim - real) <= TOLERANCE_ABS_S + TOLERANCE_REL * abs(real)


def _race_normalised(seq: list[str], settings: dict) -> list[str]:
    # pyftpdlib answers a transfer command with 125 when the data connection is already open and
    # 150 otherwise; in passive mode which one comes first is a race on the real machine.
    if settings.get("server") == "pyftpdlib" and settings.get("mode") in ("pasv", "epsv"):
        return ["150" if x == "125" else x for x in seq]
    return seq


def compare(real: dict, sim: dict, settings: dict) -> list[dict]:
    """The fields on which the simulator disagrees with the real run: [{field, real, sim}]."""
    diffs = []
    if real["outcome"] != sim["outcome"]:
        diffs.append({"field": "outcome", "real": real["outcome"], "sim": sim["outcome"]})
    if real["final_reply"] != sim["final_reply"]:
        diffs.append({"field": "final_reply", "real": real["final_reply"], "sim": sim["final_reply"]})
    if _race_normalised(real["sequence"], settings) != _race_normalised(sim["sequence"], settings):
        diffs.append({"field": "sequence", "real": " ".join(real["sequence"]), "sim": " ".join(sim["sequence"])})
    rt, st = real["failure_time_s"], sim["failure_time_s"]
    if (rt is None) != (st is None) or real["failure_time_basis"] != sim["failure_time_basis"]:
        diffs.append({"field": "failure_time",
                      "real": None if rt is None else f"{rt:.2f} s {real['failure_time_basis']}",
                      "sim": None if st is None else f"{st:.2f} s {sim['failure_time_basis']}"})
    elif rt is not None and not within(st, rt):
        diffs.append({"field": "failure_time", "real": f"{rt:.2f} s {real['failure_time_basis']}",
                      "sim": f"{st:.2f} s {sim['failure_time_basis']}"})
    return diffs


def compare_syn_schedule(kernel: dict | None, sim: dict | None) -> dict:
    """Row by row: each SYN's time after the first, and the connect's ETIMEDOUT."""
    rows = []
    agree = kernel is not None and sim is not None and "error" not in (kernel or {}) and "error" not in (sim or {})
    ks = (kernel or {}).get("syn_times_s") or []
    ss = (sim or {}).get("syn_times_s") or []
    for i in range(max(len(ks), len(ss))):
        k = ks[i] if i < len(ks) else None
        s = ss[i] if i < len(ss) else None
        ok = k is not None and s is not None and within(s, k)
        agree &= ok
        rows.append({"what": f"SYN {i + 1}", "kernel_s": k, "sim_s": s, "agree": ok})
    k = (kernel or {}).get("connect_failed_after_first_syn_s")
    s = (sim or {}).get("gave_up_after_first_syn_s")
    ok = k is not None and s is not None and within(s, k)
    agree &= ok
    rows.append({"what": "connect() fails (ETIMEDOUT)", "kernel_s": k, "sim_s": s, "agree": ok})
    return {"agree": bool(agree), "rows": rows}
