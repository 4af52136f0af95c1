"""The `orgsim` command: a thin shell over the same functions notebooks call.

One module per group of commands (`files`, `simulate`, `planning`), each registering its
commands on the one `app`; what they share is in `shell`."""

from __future__ import annotations

import gc
import os
import sys

from orgsim.cli import (  # noqa: F401 - they register the commands
    files,
    forecast,
    history,
    planning,
    serve,
    simulate,
)
from orgsim.cli.shell import PIPED_WIDTH, app, err, out, refuse, say

__all__ = ["app", "main"]


def main() -> None:
    """The `orgsim` command. Decided here, when the command starts, not at import (a test
    runner importing this module has no say): piped output is PIPED_WIDTH wide."""
    for console, stream in ((out, sys.stdout), (err, sys.stderr)):
        if not stream.isatty() and "COLUMNS" not in os.environ:
            console.width = PIPED_WIDTH
    try:
        app()
    except MemoryError:
        refuse(
            [
                "orgsim: ran out of memory: fewer replications (--reps), a shorter horizon or "
                "lower rates fit; --allow-large lifts only the estimate, not the machine's memory"
            ]
        )
    except SystemExit as done:
        if done.code == 130:  # typer's exit on Ctrl-C; the pool's workers are already stopped
            hint = ""
            if "sweep" in sys.argv[1:3] and "--out" in sys.argv and "--resume" not in sys.argv:
                hint = f"; finish it with: orgsim {' '.join(sys.argv[1:])} --resume"
            say(f"interrupted{hint}")
        raise
    finally:
        # the process ends next: spare it the collector's last pass over every model,
        # schema and array it made (0.04 s of a quick command, benchmarks/startup.py)
        gc.freeze()
