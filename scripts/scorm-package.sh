#!/usr/bin/env bash
# Builds the SCORM 1.2 package of the page with its generated questions (issue 12):
#   scripts/scorm-package.sh [--lesson ID] [--mode practice|test] [--pass PERCENT] [--seed N|--per-learner]
# and writes dist-scorm/ftpsim-scorm.zip (imsmanifest.xml + the app as one file), ready to
# upload to Moodle or any SCORM 1.2 LMS. Inside the LMS the page finds the SCORM API in its
# parent frames and reports the score, the status, the time and the progress
# (src/ui/scorm.rs); opened anywhere else it works the same without reporting.
#
# Why a build of its own, and why not in dist/: the questions, their controls and the SCORM
# bridge (the cargo feature "assessment") cost about 11 KB gzip, and the hosted page in dist/
# already fills its 210 KB download budget (BENCHMARKS.md). The package is uploaded to an LMS,
# not downloaded from the hosted site, so it lives beside dist/ instead of inside it.
#
# --per-learner gives each student of the course a variant of their own: the seed is taken
# from the LMS's learner id (cmi.core.student_id). --seed N gives everyone the same variant.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

lesson="active-nat" mode="test" pass="70" seed="learner"
while [ $# -gt 0 ]; do
  case "$1" in
    --lesson) lesson="$2"; shift 2 ;;
    --mode) mode="$2"; shift 2 ;;
    --pass) pass="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --per-learner) seed="learner"; shift ;;
    *) echo "scorm-package: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$mode" in practice|test) ;; *) echo "scorm-package: --mode is practice or test" >&2; exit 2 ;; esac
[[ "$pass" =~ ^[0-9]+$ ]] && [ "$pass" -le 100 ] || { echo "scorm-package: --pass is 0 to 100" >&2; exit 2; }
[[ "$seed" = learner || "$seed" =~ ^[0-9]+$ ]] || { echo "scorm-package: --seed is a whole number" >&2; exit 2; }

work="target/scorm"
rm -rf "$work"
mkdir -p "$work" dist-scorm
# The page of the hosted build, with the feature on and the questions' styles added (the
# packer takes one CSS file). Paths are relative to the page, which sits two folders down.
cat static/style.css static/assessment.css > "$work/style.css"
sed -e 's| data-cargo-no-default-features||' \
    -e 's|href="static/style.css"|href="style.css"|' \
    -e 's|href="static/favicon.svg"|href="../../static/favicon.svg"|' \
    -e 's|data-trunk rel="rust"|data-trunk rel="rust" href="../../Cargo.toml"|' \
    index.html > "$work/index.html"
grep -q 'data-cargo-no-default-features' "$work/index.html" && { echo "scorm-package: the feature is still off" >&2; exit 1; }
scripts/trunk-release.sh build --release=true --dist "$work/app" "$work/index.html"

python3 scripts/scorm_manifest.py --app "$work/app/ftpsim.html" --lesson "$lesson" --mode "$mode" \
  --pass "$pass" --seed "$seed" --output dist-scorm/ftpsim-scorm.zip
