"""Before any work starts: every output path can be written, and the replications fit in
memory. A run that fails here loses nothing; one that failed an hour in would."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from orgsim.config import size
from orgsim.config.scenario import Scenario
from orgsim.experiment.runner import worker_count


def output_problems(
    folders: Iterable[Path | None] = (), files: Iterable[Path | None] = ()
) -> list[str]:
    """What is wrong with each output path, as `PATH: what: how to fix` (none: all fine).
    Folders that do not exist yet are made, and each is tried with a scratch file."""
    problems = []
    for path, is_folder in [(p, True) for p in folders if p] + [(p, False) for p in files if p]:
        folder = path if is_folder else path.parent
        if is_folder and path.exists() and not path.is_dir():
            problems.append(f"{path}: is a file, not a folder: name a folder for the results")
            continue
        if not is_folder and path.is_dir():
            problems.append(f"{path}: is a folder: name the file to write, such as {path}/out")
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as error:
            reason = error.strerror or str(error)
            problems.append(f"{path}: cannot write there ({reason}): choose another place")
    return problems


def size_note(
    scenario: Scenario,
    replications: int | None,
    variants: list[str],
    workers: int | None,
    allow_large: bool = False,
) -> str | None:
    """Refuse (ConfigError) replications that would not fit in memory side by side on
    `workers` processes (None: every core), unless `allow_large`; a note when the run will
    take minutes, or None (`config.size`)."""
    sized = scenario.with_run(replications=replications)
    return size.check(sized, variants, worker_count(workers), allow_large)
