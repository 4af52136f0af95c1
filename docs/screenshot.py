"""Take the README's screenshots: the HTML report's first screen and the workshop page.

    python docs/screenshot.py                   # take both
    python docs/screenshot.py workshop          # take one (report or workshop)
    python docs/screenshot.py --check           # exit 1 when one is stale

`report`: what a leader sees on opening the report of
`orgsim compare scenarios/reorg_sdr_split.yaml` in a 1280 x 1000 browser window (headless
Chromium). `workshop`: the page of `orgsim serve scenarios/reorg_sdr_split.yaml` in a window
1280 wide, after moving the process-stage design's AEs from 9 to 10 and pressing
"Simulate" (Playwright driving Debian's chromium; needs the ui and dev extras).

Next to each picture, a `.sources` file holds a digest of the files that shape it (the
templates and code that word and draw it, the KPI catalogue, the scenario with its
configs): when one of them changes, tests/test_published_figures.py fails until the
screenshot is taken again.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/reorg_sdr_split.yaml"
CONFIGS = [
    SCENARIO,
    "configs/markets/saas_midmarket.yaml",
    "configs/orgs/functional.yaml",
    "configs/orgs/process_stage.yaml",
    "configs/orgs/pods.yaml",
]


@dataclass(frozen=True)
class Shot:
    """One screenshot, the files that shape it, and how to take it."""

    image: Path
    sources: list[str]
    take: Callable[[Path], None]

    @property
    def digest_file(self) -> Path:
        return self.image.with_suffix(".sources")

    def digest(self) -> str:
        """One line per source file: its SHA-256 and its path."""
        lines = []
        for name in self.sources:
            text = (ROOT / name).read_bytes().replace(b"\r\n", b"\n")
            lines.append(f"{hashlib.sha256(text).hexdigest()}  {name}")
        return "\n".join(lines) + "\n"

    def stale(self) -> bool:
        return (
            not self.image.exists()
            or not self.digest_file.exists()
            or (self.digest_file.read_text() != self.digest())
        )

    def retake(self) -> Path:
        self.image.parent.mkdir(parents=True, exist_ok=True)
        self.take(self.image)
        self.digest_file.write_text(self.digest())
        return self.image


def _chromium() -> str:
    return shutil.which("chromium") or sys.exit("needs chromium (apt-get install chromium)")


def _report(image: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.html"
        subprocess.run(
            [sys.executable, "-m", "orgsim", "compare", SCENARIO, "--report", str(report)],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={Path(folder) / 'profile'}", "--window-size=1280,1000",
             f"--screenshot={image}", report.as_uri()],
            check=True, capture_output=True,
        )  # fmt: skip


def _workshop(image: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "orgsim", "serve", SCENARIO, "--port", str(port), "--no-show"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(200):
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1500})
            page.goto(url)
            box = page.locator(".ctl-org-roles-ae-headcount input")
            box.fill("10")
            box.press("Enter")
            expect(page.locator(".keeps-up-edited p")).to_contain_text("1 change")
            page.locator(".simulate button").click()
            expect(page.locator(".status")).to_contain_text("replications: auto", timeout=300_000)
            page.wait_for_timeout(1000)  # the last figures settle
            page.screenshot(path=str(image))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


SHOTS = {
    "report": Shot(
        ROOT / "docs/images/report-first-screen.png",
        [
            "orgsim/report/templates/report.html.j2",
            "orgsim/report/html.py",
            "orgsim/report/format.py",
            "orgsim/report/figures.py",
            "orgsim/config/kpis.py",
            "orgsim/experiment/compare.py",
            *CONFIGS,
        ],
        _report,
    ),
    "workshop": Shot(
        ROOT / "docs/images/workshop.png",
        [
            "orgsim/workshop/page.py",
            "orgsim/workshop/controls.py",
            "orgsim/workshop/simulation.py",
            "orgsim/report/terminal.py",
            "orgsim/report/format.py",
            "orgsim/report/verdict.py",
            "orgsim/report/figures.py",
            "orgsim/config/kpis.py",
            *CONFIGS,
        ],
        _workshop,
    ),
}


def main() -> None:
    names = [a for a in sys.argv[1:] if not a.startswith("--")] or list(SHOTS)
    unknown = [n for n in names if n not in SHOTS]
    if unknown:
        sys.exit(f"no screenshot {', '.join(unknown)}: choose from {', '.join(SHOTS)}")
    if "--check" in sys.argv[1:]:
        stale = [n for n in names if SHOTS[n].stale()]
        for name in stale:
            shown = SHOTS[name].image.relative_to(ROOT)
            print(f"{shown} is stale: run python docs/screenshot.py {name}")
        sys.exit(1 if stale else 0)
    for name in names:
        print(f"wrote {SHOTS[name].retake().relative_to(ROOT)}")


if __name__ == "__main__":
    main()
