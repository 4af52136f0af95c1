"""Writing results to disk so that nothing is half-written or lost.

Every file is written under a temporary name in the same folder and then
renamed over the final name (`os.replace` is atomic on one filesystem): a
crash leaves either the old file or the new one, never a torn one. Tables
are Parquet when pyarrow is installed (`pip install orgsim[parquet]`),
CSV otherwise; readers accept both.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def has_parquet() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(temporary_path)`, then move the result to `path` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; use the usual mode
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(path: Path, data) -> Path:
    return write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_table(frame: pd.DataFrame, stem: Path, parquet: bool | None = None) -> Path:
    """Write `stem.parquet` (or `stem.csv` without pyarrow) atomically; the path written."""
    parquet = has_parquet() if parquet is None else parquet
    stem = Path(stem)
    if parquet:
        return atomic_write(stem.with_suffix(".parquet"), lambda p: frame.to_parquet(p))
    return atomic_write(stem.with_suffix(".csv"), lambda p: frame.to_csv(p, index=False))


def read_table(stem: Path) -> pd.DataFrame:
    """Read `stem.parquet` or `stem.csv`, whichever was written."""
    stem = Path(stem)
    parquet = stem.with_suffix(".parquet")
    if parquet.exists():
        return pd.read_parquet(parquet)
    return pd.read_csv(stem.with_suffix(".csv"))


def table_exists(stem: Path) -> bool:
    stem = Path(stem)
    return stem.with_suffix(".parquet").exists() or stem.with_suffix(".csv").exists()
