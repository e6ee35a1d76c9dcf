#!/usr/bin/env python3
"""Size report of the release build: raw and gzip bytes of every file in dist/, and a budget check.

The budget is on the total gzip size of what a browser downloads (wasm + js + css + html + icons),
because that is what a classroom on a slow school network waits for. Exit status 1 when over budget.
"""
import argparse
import gzip
import pathlib
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dist", type=pathlib.Path)
    parser.add_argument("--budget-kb", type=float, required=True, help="budget in KB (1 KB = 1000 bytes)")
    parser.add_argument("--out", type=pathlib.Path)
    args = parser.parse_args()
    if not args.dist.is_dir():
        print(f"size report: {args.dist} is not a directory; run `trunk build --release` first", file=sys.stderr)
        return 2
    rows = []
    for path in sorted(p for p in args.dist.rglob("*") if p.is_file()):
        data = path.read_bytes()
        rows.append((path.relative_to(args.dist).as_posix(), len(data), len(gzip.compress(data, compresslevel=9, mtime=0))))
    total_raw = sum(raw for _, raw, _ in rows)
    total_gz = sum(gz for _, _, gz in rows)
    budget = int(args.budget_kb * 1000)
    lines = [f"{'file':<48} {'bytes':>10} {'gzip':>10}"]
    lines += [f"{name:<48} {raw:>10} {gz:>10}" for name, raw, gz in rows]
    lines.append(f"{'total':<48} {total_raw:>10} {total_gz:>10}")
    verdict = "within" if total_gz <= budget else "OVER"
    lines.append(f"gzip total {total_gz / 1000:.1f} KB is {verdict} the budget of {budget / 1000:.1f} KB")
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report + "\n")
    return 0 if total_gz <= budget else 1


if __name__ == "__main__":
    sys.exit(main())
