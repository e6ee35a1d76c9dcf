#!/usr/bin/env python3
"""Writes the SCORM 1.2 package of the page: a zip of imsmanifest.xml and the app's build.

Called by scripts/scorm-package.sh after the build. The course has one item, the app, opened
with the link of the assessment as its parameters (`#v=1&lesson=…&quiz=test&pass=70&
assignment=…`), which Moodle and other SCORM 1.2 players add to the launch address. With
`--seed learner`, the page takes each student's variant from the LMS's learner id.

Usage: scorm_manifest.py --app FTPSIM_HTML --lesson ID --mode practice|test --pass N
                         --seed N|learner --output ZIP
"""
from __future__ import annotations

import argparse
import html
import zipfile
from pathlib import Path

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="ftpsim-{lesson}" version="1.0"
          xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>
  <organizations default="ftpsim">
    <organization identifier="ftpsim">
      <title>{title}</title>
      <item identifier="questions" identifierref="app" isvisible="true" parameters="{parameters}">
        <title>{title}</title>
        <adlcp:masteryscore>{mastery}</adlcp:masteryscore>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="app" type="webcontent" adlcp:scormtype="sco" href="ftpsim.html">
      <file href="ftpsim.html"/>
      <file href="index.html"/>
      <file href="sw.js"/>
      <file href="manifest.webmanifest"/>
    </resource>
  </resources>
</manifest>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, required=True)
    parser.add_argument("--lesson", required=True)
    parser.add_argument("--mode", choices=["practice", "test"], required=True)
    parser.add_argument("--pass", dest="passing", type=int, required=True)
    parser.add_argument("--seed", required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    if not 0 <= args.passing <= 100:
        parser.error("--pass is 0 to 100")
    if args.seed != "learner" and not args.seed.isdigit():
        parser.error("--seed is a whole number or learner")
    link = f"#v=1&lesson={args.lesson}&quiz={args.mode}&assignment={args.seed}&pass={args.passing}"
    title = f"FTP active and passive modes: questions ({args.lesson})"
    manifest = MANIFEST.format(
        lesson=html.escape(args.lesson, quote=True),
        title=html.escape(title),
        parameters=html.escape(link, quote=True),
        mastery=args.passing,
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(args.output, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("imsmanifest.xml", manifest)
        # The app and what the page refers to: its service worker and manifest (the page asks
        # for them; an LMS serves them from the package's folder).
        for path in sorted(args.app.parent.iterdir()):
            package.write(path, path.name)
    print(f"{args.output}: {args.output.stat().st_size} bytes ({args.lesson}, {args.mode}, pass {args.passing} %)")


if __name__ == "__main__":
    main()
