"""Take the README's screenshot of the workshop page (`orgsim serve`).

    python docs/workshop_screenshot.py          # serve the reorg example, edit, simulate, shoot
    python docs/workshop_screenshot.py --check  # exit 1 when the screenshot is stale

The picture is what a leader sees in a 1280-pixel-wide browser after moving the process-
stage design's AEs from 9 to 10 and pressing "Simulate" on
`orgsim serve scenarios/reorg_sdr_split.yaml` (Playwright driving Debian's chromium;
needs the ui and dev extras). Next to it, `workshop.sources` holds a digest of the files
that shape the page: when one of them changes, tests/test_published_figures.py fails until
the screenshot is taken again.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "docs/images/workshop.png"
DIGEST = IMAGE.with_suffix(".sources")
SCENARIO = "scenarios/reorg_sdr_split.yaml"
SOURCES = [
    "orgsim/workshop/page.py",
    "orgsim/workshop/controls.py",
    "orgsim/workshop/simulation.py",
    "orgsim/report/terminal.py",
    "orgsim/report/format.py",
    "orgsim/report/verdict.py",
    "orgsim/report/figures.py",
    "orgsim/config/kpis.py",
    SCENARIO,
    "configs/markets/saas_midmarket.yaml",
    "configs/orgs/functional.yaml",
    "configs/orgs/process_stage.yaml",
    "configs/orgs/pods.yaml",
]
HEIGHT = 1500
"""The top of the page: controls, capacity, the simulation's verdicts and figures."""


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
    from playwright.sync_api import expect, sync_playwright

    chromium = shutil.which("chromium") or sys.exit("needs chromium (apt-get install chromium)")
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
            browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": HEIGHT})
            page.goto(url)
            box = page.locator(".ctl-org-roles-ae-headcount input")
            box.fill("10")
            box.press("Enter")
            expect(page.locator(".keeps-up-edited p")).to_contain_text("1 change")
            page.locator(".simulate button").click()
            expect(page.locator(".status")).to_contain_text("replications: auto", timeout=300_000)
            page.wait_for_timeout(1000)  # the last figures settle
            IMAGE.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(IMAGE))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    DIGEST.write_text(digest())
    return IMAGE


def main() -> None:
    if "--check" in sys.argv[1:]:
        if stale():
            print(f"{IMAGE.relative_to(ROOT)} is stale: run python docs/workshop_screenshot.py")
            sys.exit(1)
        return
    print(f"wrote {take().relative_to(ROOT)}")


if __name__ == "__main__":
    main()
