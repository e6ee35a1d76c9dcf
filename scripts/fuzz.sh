#!/usr/bin/env bash
# Fuzzing (issue 10, FUZZING.md): cargo-fuzz targets in fuzz/ for the FTP command and reply
# parsers, the address encodings, scenario files, the page's link, the stored-state record and
# both engines.
#
#   scripts/fuzz.sh short [SECONDS]   build every target, run each SECONDS (default 20) from its
#                                     seeds, and run the kept regression inputs; fails on any
#                                     crash. The CI step (scripts/test.sh).
#   scripts/fuzz.sh long [RUNS]       run each target to RUNS executions (default 10 million),
#                                     one process at a time, and write the figures into the
#                                     table in FUZZING.md.
#   scripts/fuzz.sh regressions       run fuzz/regressions/TARGET/* with FTPSIM_FUZZ_STRICT set,
#                                     which turns off the targets' steps around known, reported
#                                     problems: says which still reproduce. Never fails.
#   FUZZ_TARGETS="command reply" scripts/fuzz.sh ...   only these targets.
#
# Targets are built without a sanitizer (FUZZ_SANITIZER=address to change it): the engine has
# no `unsafe` code, and AddressSanitizer makes these targets about 6 times slower. Debug
# assertions and overflow checks are on (cargo fuzz's default). On the stable toolchain
# RUSTC_BOOTSTRAP=1 lets cargo fuzz pass its -Z flags. The corpus each run grows is kept in
# fuzz/target/corpus (ignored); fuzz/corpus/TARGET holds the committed seeds only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CARGO_FUZZ_VERSION="0.13.2"
ALL_TARGETS="command reply scenario_json stored client_engine server_engine address link assessment"
TARGETS="${FUZZ_TARGETS:-$ALL_TARGETS}"
SANITIZER="${FUZZ_SANITIZER:-none}"
# cargo fuzz build/run options; `long` adds --no-trace-compares (see there).
BUILD_FLAGS=(--sanitizer "$SANITIZER")
export RUSTC_BOOTSTRAP=1
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34m[fuzz]\033[0m %s\n' "$*" >&2; }

ensure_cargo_fuzz() {
  if cargo fuzz --version 2>/dev/null | grep -q "cargo-fuzz $CARGO_FUZZ_VERSION"; then return; fi
  say "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
}

build() {
  say "building the fuzz targets (sanitizer: $SANITIZER)"
  (cd fuzz && cargo fuzz build "${BUILD_FLAGS[@]}")
}

# The longest input libFuzzer makes for a target: scenario files and stored records are a few
# KB (their seeds too); the stream targets make lines near MAX_LINE from short inputs
# (ftpsim_fuzz::stream), and a line cut into one-byte reads costs the decoders time growing with
# the square of its length, so short inputs keep them fast.
max_len() {
  case "$1" in
    scenario_json|stored) echo 4096 ;;
    command|reply) echo 256 ;;
    *) echo 1024 ;;
  esac
}

# run TARGET LIBFUZZER-ARGS...: the target from its seeds, growing its corpus in fuzz/target.
run() {
  local target="$1"; shift
  local work="fuzz/target/corpus/$target"
  mkdir -p "$work" "fuzz/corpus/$target"
  (cd fuzz && cargo fuzz run "${BUILD_FLAGS[@]}" "$target" "../$work" "corpus/$target" -- \
    -timeout=30 -rss_limit_mb=4096 -max_len="$(max_len "$target")" "$@")
}

# The kept inputs of problems found before (fuzz/regressions/TARGET/*), each run once.
run_regressions() {
  local target="$1"; shift
  local inputs=(fuzz/regressions/"$target"/*)
  [ -e "${inputs[0]}" ] || return 0
  (cd fuzz && cargo fuzz run "${BUILD_FLAGS[@]}" "$target" "${inputs[@]/#fuzz\//}" -- -runs=1 "$@")
}

short() {
  local seconds="${1:-20}"
  ensure_cargo_fuzz
  build
  mkdir -p fuzz/target/short
  for target in $TARGETS; do
    local log="fuzz/target/short/$target.log" status=0
    run_regressions "$target" > "$log" 2>&1 || status=$?
    [ "$status" -eq 0 ] && { run "$target" -max_total_time="$seconds" -print_final_stats=1 >> "$log" 2>&1 || status=$?; }
    if [ "$status" -ne 0 ]; then
      grep -vE '^ +(#?[0-9]+:|at ) ' "$log" | tail -n 40 >&2
      say "$target failed: the input is in fuzz/artifacts/$target (or among fuzz/regressions/$target)"
      return 1
    fi
    say "$target: $(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1) executions in $seconds s, no crash"
  done
}

# record FILE TARGET EXECUTIONS SECONDS RATE CRASHES DATE COMMIT: sets the target's row of the
# table between the long-run markers in FILE.
record() {
  python3 - "$@" <<'PY'
import sys
path, target, executions, seconds, rate, crashes, date, commit = sys.argv[1:]
start, end = "<!-- long-run:start -->", "<!-- long-run:end -->"
text = open(path).read()
head, rest = text.split(start, 1)
table, tail = rest.split(end, 1)
lines = [line for line in table.strip("\n").split("\n") if line]
header = lines[:2] or ["| target | executions | time | exec/s | crashes | date | commit |", "|---|--:|--:|--:|---|---|---|"]
rows = {line.split("|")[1].strip().strip("`"): line for line in lines[2:]}
minutes, secs = divmod(int(seconds), 60)
rows[target] = f"| `{target}` | {int(executions):,} | {minutes} min {secs:02d} s | {int(rate):,} | {crashes} | {date} | {commit} |"
order = "command reply address scenario_json link stored server_engine client_engine".split()
body = [rows[name] for name in order if name in rows] + [row for name, row in rows.items() if name not in order]
open(path, "w").write(head + start + "\n" + "\n".join(header + body) + "\n" + end + tail)
PY
}

long() {
  local runs="${1:-10000000}"
  # Without tracing comparisons: they took 60% of the command target's time (perf), and the
  # long run starts from the corpus the short runs grew with them. About twice the executions.
  BUILD_FLAGS+=(--no-trace-compares)
  ensure_cargo_fuzz
  build
  local commit date failed=0
  commit="$(git describe --always --dirty --abbrev=7)"
  date="$(date -u +%Y-%m-%d)"
  mkdir -p fuzz/target/long
  for target in $TARGETS; do
    say "$target: $runs executions"
    local log="fuzz/target/long/$target.log" started status=0
    started=$(date +%s)
    run "$target" -runs="$runs" -print_final_stats=1 > "$log" 2>&1 || status=$?
    local seconds=$(( $(date +%s) - started ))
    local executed crashes
    executed="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    [ -n "$executed" ] || executed="$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1)"
    executed="${executed:-0}"
    if [ "$status" -eq 0 ]; then crashes=0; else crashes="1 (stopped: $(grep -m1 -oE 'artifacts/[^ ]+' "$log" || echo "exit $status"))"; failed=1; fi
    local rate=$(( executed / (seconds > 0 ? seconds : 1) ))
    say "$target: $executed executions in $seconds s ($rate exec/s), crashes: $crashes"
    record FUZZING.md "$target" "$executed" "$seconds" "$rate" "$crashes" "$date" "$commit"
  done
  return "$failed"
}

regressions() {
  ensure_cargo_fuzz
  build
  for target in $TARGETS; do
    for input in fuzz/regressions/"$target"/*; do
      [ -e "$input" ] || continue
      if (cd fuzz && FTPSIM_FUZZ_STRICT=1 cargo fuzz run "${BUILD_FLAGS[@]}" "$target" "../$input" -- -runs=1) > /dev/null 2>&1; then
        say "fixed:              $input"
      else
        say "still reproduces:   $input"
      fi
    done
  done
}

case "${1:-}" in
  short) shift; short "$@" ;;
  long) shift; long "$@" ;;
  regressions) regressions ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
