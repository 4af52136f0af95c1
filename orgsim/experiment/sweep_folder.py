"""A sweep's folder: its manifest, each finished point with its check, and the protocol
that lets `--resume` trust only what this very sweep wrote.

The manifest names the study (a fingerprint of the composed scenario), the grid, the seed
and the replications; each point is written atomically (`points/NNNNN.csv` or `.parquet`),
then its check (`points/NNNNN.json`: rows and SHA-256). A point counts as done only once
both are there and agree.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from orgsim.config.errors import ConfigError
from orgsim.config.scenario import Scenario
from orgsim.experiment import storage
from orgsim.experiment.facts import study_fingerprint
from orgsim.experiment.runner import replication_seeds

MANIFEST = "manifest.json"


def point_stem(out: Path, index: int) -> Path:
    return out / "points" / f"{index:05d}"


def manifest(scenario: Scenario, grid: dict, seed: int, replications: int) -> dict:
    return {
        "scenario": scenario.name,
        "fingerprint": study_fingerprint(scenario),
        "grid": grid,
        "seed": seed,
        "replications": replications,
        "variants": list(scenario.variants),
        "seeds": replication_seeds(seed, replications),
    }


def prepare(out: Path, manifest: dict, resume: bool) -> None:
    """Write the manifest, or check that the folder holds this very sweep."""
    out.mkdir(parents=True, exist_ok=True)
    points = out / "points"
    if os.path.lexists(points) and not points.is_dir():
        why = "is in the place of the sweep's points folder: choose another --out folder"
        raise ConfigError.unplaced(str(points), "--out", why)
    path = out / MANIFEST
    if not path.exists():
        storage.write_json(path, manifest)
        return
    if not resume:
        raise ConfigError.unplaced(
            str(path),
            "<document>",
            "a sweep was already written here: pass --resume to finish it, or choose another "
            "--out folder",
        )
    try:
        found = storage.read_json(path)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError.unplaced(
            str(path), "<document>", f"the manifest is damaged ({err}): choose another --out folder"
        ) from None
    if found != json.loads(json.dumps(manifest)):
        raise ConfigError.unplaced(
            str(path),
            "<document>",
            "this folder holds a different sweep (scenario, grid, seed or replications "
            "differ); choose another --out folder",
        )


def point_key(manifest: dict, point) -> str:
    """What this point of this sweep is: the study, seed, replications and designs of the
    manifest, and the point's own values; a point file copied from another sweep (another
    seed, rate or grid) has another key."""
    mine = {k: manifest[k] for k in ("fingerprint", "seed", "replications", "variants")}
    text = json.dumps({**mine, "point": point}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_of(frame: pd.DataFrame, table: Path, key: str) -> dict:
    return {"rows": len(frame), "sha256": storage.digest(table), "point_key": key}


def write_point(out: Path, index: int, frame: pd.DataFrame, key: str) -> None:
    """The point's table, then its check (rows, checksum and the point's key): a point
    counts as done only once both are written."""
    table = storage.write_table(frame, point_stem(out, index))
    storage.write_json(point_stem(out, index).with_suffix(".json"), check_of(frame, table, key))


def clear_point(out: Path, index: int) -> bool:
    """Remove what a point that failed its check left (a folder in a file's place too);
    whether there was anything."""
    found = False
    for suffix in (".parquet", ".csv", ".json"):
        path = point_stem(out, index).with_suffix(suffix)
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        found = True
    return found


def read_point(out: Path, index: int, expected: set, key: str) -> pd.DataFrame | None:
    """A point written by an earlier run, or None when it is missing or fails its check:
    it was written by another sweep (its key), its file changed after it was written
    (checksum), lost rows, or holds another point's rows (the (variant, replication) pairs
    of this point, each once)."""
    stem = point_stem(out, index)
    table = storage.table_path(stem)
    try:
        check = storage.read_json(stem.with_suffix(".json"))
        if check.get("point_key") != key:
            return None
        if table is None or storage.digest(table) != check["sha256"]:
            return None
        frame = storage.read_table(stem)
    except Exception:  # any damage (a torn CSV, a folder in its place, bad JSON): redo it
        return None
    pairs = set(zip(frame.get("variant", []), frame.get("replication", []), strict=True))
    point = set(frame["point"]) if "point" in frame else set()
    if len(frame) != check.get("rows") or pairs != expected or len(frame) != len(pairs):
        return None
    return frame if point == {index} else None
