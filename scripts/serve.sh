#!/usr/bin/env bash
# Quick start 1: install what is missing, then serve the app on http://127.0.0.1:8080
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/tools.sh web
exec scripts/trunk-release.sh serve --release
