"""Before any work starts: every output path can be written, and the replications fit in
memory. A run that fails here loses nothing; one that failed an hour in would."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from orgsim.config import size
from orgsim.config.errors import ConfigError, Problem
from orgsim.config.scenario import Scenario
from orgsim.experiment import storage
from orgsim.experiment.runner import worker_count
from orgsim.measure.tables import DETAILS

SAVED_FILES = ("comparison.json", "results.json", "summary.json", "scenario.yaml", "manifest.json")
"""The facts files of saved results (`Results.save`, `Comparison.save`, a sweep's folder)."""
FREE_BYTES = 50 * 2**20
"""Free space an output needs at least before any work starts (results are a few MB)."""


def _problems(
    folders: Iterable[Path | None] = (),
    files: Iterable[Path | None] = (),
    inputs: Iterable[Path] = (),
    kinds: Mapping[Path, str] = {},
) -> list[tuple[Path, str]]:
    """What is wrong with each output path, as (path, what: how to fix) (none: all fine):
    it would overwrite an input (the scenario, its market and org, the results being read),
    it is not a regular file (a device, a pipe), it cannot be written, its disk is full, or
    its name does not say what it holds (`kinds`: a file's kind, such as `html`, so that a
    report never lands on a YAML file). Each is tried with a scratch file it removes; the
    folders made for the try stay only when every path is fine, so a refused command leaves
    nothing behind."""
    inputs = [Path(p).resolve() for p in inputs]
    problems, made, seen = [], [], set()
    for path, is_folder in [(p, True) for p in folders if p] + [(p, False) for p in files if p]:
        path = Path(path)
        made += _missing_folders(path if is_folder else path.parent)
        why = (
            ("is named for two outputs: give each its own" if path.resolve() in seen else None)
            or _overwrites(path, is_folder, inputs)
            or _writable(path, is_folder)
            or _misnamed(path, kinds.get(path))
        )
        seen.add(path.resolve())
        if why:
            problems.append((path, why))
    if problems:
        for folder in sorted(made, key=lambda f: len(f.parts), reverse=True):
            with contextlib.suppress(OSError):  # not empty, or gone: leave it
                folder.rmdir()
    return problems


SUFFIXES = {
    "html": (".html", ".htm"),
    "markdown": (".md", ".markdown", ".txt"),
    "event log": (".csv", ".parquet"),
    "figure": (".png",),
}
"""The names a report, a summary or an event log may have: never a scenario's, a market's or an
org's."""


def as_path(value, argument: str) -> Path:
    """A path argument from Python, or a ConfigError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, str | os.PathLike):
        raise ConfigError.unplaced("<arguments>", argument, f"{value!r} is not a path")
    return Path(value)


def output_problems(folders=(), files=(), inputs=(), kinds: Mapping[Path, str] = {}) -> list[str]:
    """Each problem of `_problems` as `PATH: what: how to fix`, for the command line."""
    return [f"{path}: {why}" for path, why in _problems(folders, files, inputs, kinds)]


def check_outputs(folders=(), files=(), inputs=(), kinds: Mapping[Path, str] = {}) -> None:
    """`_problems` for Python callers: a ConfigError naming each output."""
    problems = _problems(folders, files, inputs, kinds)
    if problems:
        raise ConfigError([Problem.unplaced(str(p), "<output>", why) for p, why in problems])


def _misnamed(path: Path, kind: str | None) -> str | None:
    allowed = SUFFIXES.get(kind or "", ())
    if not allowed or path.suffix.lower() in allowed:
        return None
    endings = " or ".join(allowed)
    return f"a {kind} file's name ends in {endings}: name it so (say {path.stem}{allowed[0]})"


def _missing_folders(folder: Path) -> list[Path]:
    """The folders on the way to `folder` that do not exist yet (the try will make them)."""
    missing = []
    try:
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
    except OSError:  # a name too long: the check itself will say so
        return []
    return missing


def _overwrites(path: Path, is_folder: bool, inputs: list[Path]) -> str | None:
    """Why writing `path` could destroy an input, or None."""
    target = path.resolve()
    for source in inputs:
        inside = not is_folder and source.is_dir() and source in target.parents
        if target == source or (inside and _saved_file(target)):
            return f"is what this command reads ({source}): choose another place"
        if is_folder and target in source.parents:
            return f"holds this command's input {source}: write results to a folder of their own"
    return None


def _saved_file(path: Path) -> bool:
    """Whether a file in a results folder is one of the saved results (a report written
    beside them is not)."""
    tables = {"kpis", "cases", "visits", *DETAILS}
    return path.name in SAVED_FILES or (path.suffix in (".csv", ".parquet") and path.stem in tables)


def _name_max(folder: Path) -> int:
    """The longest file name the folder's file system takes (255 where it does not say)."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, ValueError, OSError):
        return 255


def _writable(path: Path, is_folder: bool) -> str | None:
    """Why `path` cannot take the output (a file where a folder goes, a device, a name too
    long, no space)."""
    folder = path if is_folder else path.parent
    longest = _name_max(folder.parent if is_folder else folder)
    if len(path.name.encode()) > longest:
        size = len(path.name.encode())
        return f"the name is {size} bytes, and this disk takes at most {longest}: shorten it"
    if is_folder and path.exists() and not path.is_dir():
        return "is a file, not a folder: name a folder for the results"
    if not is_folder and path.is_dir():
        return f"is a folder: name the file to write, such as {path}/out"
    if not is_folder and storage.special(path):
        return "is a device, pipe or stream, not a file: orgsim writes regular files; name a file"
    if is_folder and storage.among_devices(path):
        return "is among devices (/dev, /proc, /sys): orgsim writes regular files; choose a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
        free = shutil.disk_usage(folder).free
    except OSError as error:
        return f"cannot write there ({error.strerror or error}): choose another place"
    if free < FREE_BYTES:
        return f"only {free / 2**20:.0f} MB free there: free some space or choose another place"
    return None


def size_note(
    scenario: Scenario,
    replications: int | None,
    variants: list[str],
    workers: int | None,
    allow_large: bool = False,
    points: int = 1,
) -> str | None:
    """Refuse (ConfigError) replications that would not fit in memory side by side on
    `workers` processes (None: every core), unless `allow_large`; a note when the run will
    take minutes, or None (`config.size`)."""
    sized = scenario.with_run(replications=replications)
    return size.check(sized, variants, worker_count(workers), allow_large, points)
