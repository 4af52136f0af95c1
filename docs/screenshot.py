"""Take the README's screenshot of the HTML report's first screen.

    python docs/screenshot.py          # run the shipped comparison, screenshot its report
    python docs/screenshot.py --check  # exit 1 when the screenshot is stale

The picture is what a leader sees on opening the report of
`orgsim compare scenarios/reorg_sdr_split.yaml` in a 1280 x 1000 browser window
(headless Chromium). Next to it, `report-first-screen.sources` holds a digest of
the files that shape that screen (the template, the report and format code, the
figures, the KPI catalogue and the scenario with its configs): when one of them
changes, tests/test_published_figures.py fails until the screenshot is taken again.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "docs/images/report-first-screen.png"
DIGEST = IMAGE.with_suffix(".sources")
SCENARIO = "scenarios/reorg_sdr_split.yaml"
SOURCES = [
    "orgsim/report/templates/report.html.j2",
    "orgsim/report/html.py",
    "orgsim/report/format.py",
    "orgsim/report/figures.py",
    "orgsim/config/kpis.py",
    "orgsim/experiment/compare.py",
    SCENARIO,
    "configs/markets/saas_midmarket.yaml",
    "configs/orgs/functional.yaml",
    "configs/orgs/process_stage.yaml",
    "configs/orgs/pods.yaml",
]
WINDOW = "1280,1000"


def digest() -> str:
    """One line per source file: its SHA-256 and its path."""
    lines = []
    for name in SOURCES:
        text = (ROOT / name).read_bytes().replace(b"\r\n", b"\n")
        lines.append(f"{hashlib.sha256(text).hexdigest()}  {name}")
    return "\n".join(lines) + "\n"


def stale() -> bool:
    return not IMAGE.exists() or not DIGEST.exists() or DIGEST.read_text() != digest()


def take() -> Path:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("docs/screenshot.py needs chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.html"
        subprocess.run(
            [sys.executable, "-m", "orgsim", "compare", SCENARIO, "--report", str(report)],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        IMAGE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={Path(folder) / 'profile'}",
                f"--window-size={WINDOW}",
                f"--screenshot={IMAGE}",
                report.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
    DIGEST.write_text(digest())
    return IMAGE


def main() -> None:
    if "--check" in sys.argv[1:]:
        if stale():
            print(f"{IMAGE.relative_to(ROOT)} is stale: run python docs/screenshot.py")
            sys.exit(1)
        return
    print(f"wrote {take().relative_to(ROOT)}")


if __name__ == "__main__":
    main()
