#!/usr/bin/env bash
# Quick start 2: install what is missing, then run every test suite of the project.
#   native: format, lints, unit + scenario + property + snapshot tests, engine-purity checks
#   web:    wasm lints, Trunk release build, size budget, browser tests in headless Chromium
#   fidelity: the simulator against real Linux, vsftpd, pyftpdlib, curl and ftplib (as root)
# Artifacts (screenshots, size report) go to artifacts/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/tools.sh test

step() { printf '\n\033[1;32m== %s\033[0m\n' "$*"; }

step "format"
cargo fmt --check

step "lints (native and wasm32)"
cargo clippy --all-targets --locked -- -D warnings
cargo clippy --target wasm32-unknown-unknown --lib --bins --locked -- -D warnings
# The hosted page is built without the "assessment" feature (index.html): lint it that way too.
cargo clippy --target wasm32-unknown-unknown --lib --bins --locked --no-default-features -- -D warnings

step "native tests"
cargo test --locked --all-targets
cargo test --locked --doc

step "documentation builds without warnings (native and wasm32)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --target wasm32-unknown-unknown

step "release build with Trunk"
scripts/trunk-release.sh build --release

step "size budget"
mkdir -p artifacts
python3 scripts/size_report.py dist --budget-kb 210 --out artifacts/size-report.txt

step "SCORM 1.2 package (the page with its questions, for an LMS; outside dist/ and its budget)"
scripts/scorm-package.sh
python3 scripts/size_report.py target/scorm/app --budget-kb 1000 --out artifacts/size-report-scorm.txt

step "browser tests (headless Chromium)"
PYTHON="${FTPSIM_TOOLS_DIR:-$HOME/.cache/ftpsim-tools}/venv/bin/python"
"$PYTHON" tests/browser/test_app.py --dist dist --artifacts artifacts --scorm dist-scorm/ftpsim-scorm.zip

step "Quick start command 1 serves the app"
# scripts/serve.sh runs `trunk serve` on 127.0.0.1:8080; check the page it serves, then stop it.
if curl -s -o /dev/null http://127.0.0.1:8080/; then
  echo "port 8080 is already in use: skipping the check of scripts/serve.sh" >&2
else
  setsid ./scripts/serve.sh > artifacts/serve.log 2>&1 &
  serve_pid=$!
  trap 'kill -- -"$serve_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 150); do
    curl -s -o /dev/null http://127.0.0.1:8080/ && break
    sleep 2
  done
  FTPSIM_SERVE_URL=http://127.0.0.1:8080/ "$PYTHON" tests/browser/test_app.py --dist dist --artifacts artifacts ServeCommand
  kill -- -"$serve_pid" 2>/dev/null || true
  trap - EXIT
fi

step "fidelity: real namespaces vs the simulator"
# tests/fidelity (FIDELITY.md): the simulator's topology built from network namespaces, with real
# nftables, the kernel's FTP helper, vsftpd/pyftpdlib and curl/ftplib, against `ftpsim run` on the
# same settings; first a self-test that its cleanup leaves no namespace or process behind. Needs
# root: without it both say why and skip, except in CI (CI set), where that fails. ~3-4 minutes.
FIDELITY_PYTHON="${FTPSIM_TOOLS_DIR:-$HOME/.cache/ftpsim-tools}/fidelity-venv/bin/python"
"$FIDELITY_PYTHON" tests/fidelity/test_cleanup.py
"$FIDELITY_PYTHON" tests/fidelity/harness.py

step "real sockets: ftpsim serve and get/ls/put against real programs"
# tests/sockets (issue 9), on loopback only: curl, ftplib and lftp against `ftpsim serve`; `ftpsim
# get/ls/put` in every mode against pyftpdlib and vsftpd; hostile and faulty input over the socket,
# each expectation checked against a real vsftpd first; then the server alive, its sockets closed
# and its memory back to its level. ~25 s. vsftpd must start as root: without root those cases say
# they skipped, except in CI (CI set), where that fails. Known ftpsim bugs are listed apart.
cargo build --release --locked --bin ftpsim
"$FIDELITY_PYTHON" tests/sockets/run.py

step "fuzzing: every fuzz target for 20 s, and the kept regression inputs"
# fuzz/ (FUZZING.md): cargo-fuzz targets for the command and reply parsers, PORT/EPRT/227/229,
# scenario files, links, the stored record and both engines; installs cargo-fuzz if missing.
# Fails on any crash. Cold (cargo-fuzz installed, targets built): 7 min 51 s on the loaded 2-core
# machine it was measured on (install 1.5 min, build 3.5 min, runs 3 min); warm, about 3.5 min.
scripts/fuzz.sh short

step "all test suites passed"
