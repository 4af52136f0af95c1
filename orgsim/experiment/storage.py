"""Writing results to disk so that nothing is half-written or lost.

Every file is written under a temporary name in the same folder and then
renamed over the final name (`os.replace` is atomic on one filesystem): a
crash leaves either the old file or the new one, never a torn one. Tables
are Parquet when pyarrow is installed (`pip install orgsim[parquet]`),
CSV otherwise; readers accept both.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pandas as pd

from orgsim.config.errors import ConfigError, Problem


def has_parquet() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


SPECIAL = ("/dev/", "/proc/", "/sys/")
"""Where paths are devices and streams, whatever a symlink to them looks like now (an
atomic replace would swap `/dev/stdout` itself for a regular file)."""


def special(path: Path) -> bool:
    """Whether the path, or any link it passes through, is under /dev, /proc or /sys, or is
    a device, pipe or socket: no place for a file's atomic replace."""
    return among_devices(path) or _not_regular(path)


def among_devices(path: Path) -> bool:
    """Whether the path, any link it passes through, or any folder above it leads under
    /dev, /proc or /sys (where no results belong, whatever exists there now)."""
    if os.path.realpath(path).startswith(SPECIAL):
        return True
    here = os.path.abspath(path)
    for _ in range(40):  # as many links as the system follows
        if here.startswith(SPECIAL):
            return True
        if not os.path.islink(here):
            break
        here = os.path.normpath(os.path.join(os.path.dirname(here), os.readlink(here)))
    else:
        return True  # a loop: nothing to write to
    return False


def _not_regular(path: Path) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError as error:  # not there yet: a new file; a loop of links: nothing to write
        return error.errno == errno.ELOOP


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(temporary_path)`, then move the result to `path` in one step (never onto
    a device, pipe or stream: ConfigError)."""
    path = Path(path)
    if special(path):
        raise ConfigError.unplaced(
            str(path), "<output>", "is a device, pipe or stream, not a file: name a file"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; use the usual mode
        _sync(Path(temporary))  # on disk before it takes the final name: a power cut
        os.replace(temporary, path)  # leaves the old file or the whole new one
        _sync(path.parent)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _sync(path: Path) -> None:
    """fsync a file, or a folder (so that a rename in it survives a crash; POSIX only)."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:  # a folder cannot be opened on Windows: its renames are durable there
        return
    with suppress(OSError):  # some filesystems refuse to fsync a folder: nothing more to do
        os.fsync(handle)
    os.close(handle)


def digest(path: Path) -> str:
    """SHA-256 of a file's bytes: what a resume checks a written table against."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def table_path(stem: Path) -> Path | None:
    """The table written for `stem` (Parquet or CSV), or None."""
    for suffix in (".parquet", ".csv"):
        if Path(stem).with_suffix(suffix).is_file():
            return Path(stem).with_suffix(suffix)
    return None


@contextmanager
def reading(folder: Path) -> Iterator[None]:
    """Any damage met while reading saved results (a torn file, bad JSON, a missing column)
    becomes one ConfigError naming the folder and what to do, never a traceback."""
    try:
        yield
    except ConfigError:
        raise
    except Exception as damage:
        raise ConfigError.unplaced(
            str(folder),
            "<saved results>",
            f"cannot be read ({type(damage).__name__}: {damage}): write them again with "
            "orgsim compare --out or orgsim run --out",
        ) from None


@contextmanager
def lock(folder: Path) -> Iterator[None]:
    """Hold `folder/.lock` while writing into the folder; a second writer is refused at once
    (two resumes would each compute the whole grid and could remove each other's files).
    The lock goes with the process, even a killed one (POSIX advisory lock)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; one writer per folder is on the user
        yield
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".lock", "a+")  # noqa: SIM115 (closed below, after the yield)
    except OSError as error:
        why = f"cannot hold its lock file ({error.strerror or error}): choose another --out folder"
        raise ConfigError.unplaced(str(folder / ".lock"), "--out", why) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(folder) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class FolderBusy(Exception):
    """Another orgsim process is writing into this folder."""

    def __init__(self, folder: Path):
        super().__init__(
            "another orgsim run is writing into this folder: wait for it to finish, or "
            "choose another --out folder"
        )
        self.folder = folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data) -> Path:
    return write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


SEAL = "sha256"
"""The key under which a sealed JSON file holds the digest of the rest of itself."""
AGAIN = "write the results again with orgsim compare --out or orgsim run --out"
CHANGED = (
    "has changed since orgsim saved it (edited, damaged, or copied from another run): " + AGAIN
)


def _seal_of(data: dict) -> str:
    text = json.dumps({k: v for k, v in data.items() if k != SEAL}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def write_sealed_json(path: Path, data: dict) -> Path:
    """A JSON file that knows its own digest: a byte changed after the save (a disk
    error, a hand edit) is found when it is read."""
    return write_json(path, {**data, SEAL: _seal_of(data)})


def read_sealed_json(path: Path) -> dict:
    """A file `write_sealed_json` wrote, checked: a facts file without its seal (edited, or
    from an orgsim before seals) is refused as one whose seal does not match."""
    data = read_json(path)
    if not isinstance(data, dict) or SEAL not in data:
        why = "has no seal: it was edited, or saved by an older orgsim; " + AGAIN
        raise ConfigError.unplaced(str(path), "<saved results>", why)
    if data[SEAL] != _seal_of(data):
        raise ConfigError.unplaced(str(path), "<saved results>", CHANGED)
    return {k: v for k, v in data.items() if k != SEAL}


MAX_JSON = 64 * 2**20
"""Larger than any facts file orgsim writes (they are kilobytes): a bigger one is not ours."""


def read_json(path: Path):
    """A saved JSON file, read only when it is a regular file of sane size (a pipe in its
    place would block, /dev/zero fill the memory): ConfigError naming it otherwise."""
    path = Path(path)
    why = unreadable(path)
    if why is None and path.stat().st_size > MAX_JSON:
        why = f"is {path.stat().st_size:,} bytes, larger than any file orgsim saves"
    if why:
        raise ConfigError.unplaced(str(path), "<saved results>", why)
    return json.loads(path.read_text(encoding="utf-8"))


def unreadable(path: Path) -> str | None:
    """Why a saved file cannot be read as one (missing, a folder, a device or pipe), or None."""
    if not os.path.lexists(path):
        return "is missing: " + AGAIN
    if among_devices(path) or _not_regular(path):
        return "is not a regular file (a device, pipe, folder or link to one): " + AGAIN
    return None


def digests(paths: list[Path]) -> dict[str, str]:
    """Each file's name and SHA-256, to seal a folder's files in its facts."""
    return {Path(p).name: digest(p) for p in paths}


def check_digests(folder: Path, files: dict[str, str]) -> None:
    """Every file a folder's facts sealed is there, byte for byte (ConfigError naming each
    missing or changed one)."""
    problems = []
    for name, sha in files.items():
        path = Path(folder) / name
        why = unreadable(path)
        if why:
            problems.append(Problem.unplaced(str(path), "<saved results>", why))
        elif digest(path) != sha:
            problems.append(Problem.unplaced(str(path), "<saved results>", CHANGED))
    if problems:
        raise ConfigError(problems)


def write_table(frame: pd.DataFrame, stem: Path, parquet: bool | None = None) -> Path:
    """Write `stem.parquet` (or `stem.csv` without pyarrow) atomically; the path written."""
    parquet = has_parquet() if parquet is None else parquet
    stem = Path(stem)
    if parquet:
        return atomic_write(stem.with_suffix(".parquet"), lambda p: frame.to_parquet(p))
    return atomic_write(stem.with_suffix(".csv"), lambda p: frame.to_csv(p, index=False))


def write_frame(frame: pd.DataFrame, path: Path) -> Path:
    """Write a table to the path a user named: Parquet for `.parquet`, else CSV."""
    if path.suffix.lower() == ".parquet":
        return atomic_write(path, lambda p: frame.to_parquet(p, index=False))
    return atomic_write(path, lambda p: frame.to_csv(p, index=False))


_EXACT = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}
"""CSV floats read back to the same bits: pandas 3 does it by default (and deprecates the
argument); pandas 2 needs asking, or a resumed sweep's table differs in last digits."""


def read_table(stem: Path) -> pd.DataFrame:
    """Read `stem.parquet` or `stem.csv`, whichever was written."""
    stem = Path(stem)
    parquet = stem.with_suffix(".parquet")
    if parquet.exists():
        return pd.read_parquet(parquet)
    return pd.read_csv(stem.with_suffix(".csv"), **_EXACT)
