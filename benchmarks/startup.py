"""Start-up benchmark: how long the quick commands take from the shell prompt.

`orgsim --help`, `orgsim validate` and `orgsim capacity` should feel instant: each
command imports only what it needs (`orgsim.lazy`, imports inside the commands). Each
figure is the median wall time of `runs` fresh processes, next to a bare `python -c pass`
measured in the same run (the interpreter's own start on this machine). The list of heavy
libraries each command loaded shows why a figure moved.

The package's bytecode is compiled first (`compileall`), as Python does at a command's
first run: a machine that sets PYTHONDONTWRITEBYTECODE (this one does) would otherwise
compile every module of orgsim again at every start, 0.05 s that no user's second command
pays.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/reorg_sdr_split.yaml"
COMMANDS = {
    "orgsim --help": ["--help"],
    f"orgsim validate {SCENARIO}": ["validate", SCENARIO],
    "orgsim capacity --help": ["capacity", "--help"],
    f"orgsim capacity {SCENARIO}": ["capacity", SCENARIO],
}
HEAVY = ("pandas", "scipy", "matplotlib", "networkx", "numpy", "simpy")
TARGET = 0.5
"""Seconds: the bar for `--help`, `validate` and `capacity` of every shipped example."""

PROBE = """
import sys
from orgsim.cli import main
sys.argv = ["orgsim", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("LOADED", *[m for m in {heavy} if m in sys.modules], file=sys.stderr)
"""


def loaded(args: list[str]) -> list[str]:
    """The heavy libraries a command imports (a deterministic check the tests share)."""
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=ROOT
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED"))
    return line.split()[1:]


def _median_seconds(argv: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, cwd=ROOT, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(runs: int = 9) -> list[tuple[str, str, str]]:
    compileall.compile_dir(ROOT / "orgsim", quiet=1)
    script = Path(sys.executable).with_name("orgsim")  # what a user types
    orgsim = [str(script)] if script.exists() else [sys.executable, "-m", "orgsim"]
    bare = _median_seconds([sys.executable, "-c", "pass"], runs)
    rows = [("python -c pass (interpreter start)", f"{bare:.2f} s", "baseline")]
    for name, args in COMMANDS.items():
        seconds = _median_seconds([*orgsim, *args], runs)
        heavy = ", ".join(loaded(args)) or "none"
        rows.append((name, f"{seconds:.2f} s", f"{seconds / bare:.0f}x baseline; loads {heavy}"))
    shipped = {
        path.name: _median_seconds([*orgsim, "capacity", str(path)], max(3, runs // 2))
        for path in sorted((ROOT / "scenarios").glob("*.yaml"))
    }
    slowest = max(shipped, key=shipped.get)
    rows.append(
        (
            "orgsim capacity, slowest shipped example",
            f"{shipped[slowest]:.2f} s",
            f"{slowest} (fastest {min(shipped.values()):.2f} s)",
        )
    )
    return rows
