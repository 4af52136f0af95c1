"""A CRM export read through its mapping into one table of stage visits.

Real exports are messy, so every oddity met is named with its count and what was done
about it (`Oddity`); no row disappears without being counted in one. What cannot be read
safely (a column the file lacks, a date in another format, a stage value the mapping does
not know, no closed record at all) is an error at the row: `FILE:LINE: what: how to fix`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orgsim.config.errors import ConfigError, Problem
from orgsim.history.mapping import OUTCOMES, Mapping, shipped

REQUIRED = ("record_id", "stage", "created_at", "entered_at")
"""The columns a mapping cannot do without (for its shape); the others may be left out."""
DATES = ("created_at", "closed_at", "entered_at", "exited_at")
OPEN = ""
"""`next` of a visit still open at the snapshot."""


@dataclass(frozen=True)
class Oddity:
    """Something odd in the data: what, how many rows or records, and what was done."""

    what: str
    count: int
    did: str
    examples: tuple[str, ...] = ()
    """The first few rows or records it names (`line 12`, `record 0060000123`), to look up."""

    def __str__(self) -> str:
        named = f" (e.g. {', '.join(self.examples)})" if self.examples else ""
        return f"{self.what}: {self.count:,}{named}: {self.did}"


def lines(frame: pd.DataFrame, mask) -> list[str]:
    """The file lines of the flagged rows, as an oddity's examples."""
    return [f"line {n}" for n in frame.loc[mask, "_line"].head(3)]


def named(ids) -> list[str]:
    """Record ids, as an oddity's examples."""
    return [f"record {i}" for i in list(ids)[:3]]


@dataclass
class History:
    """An export as calibration reads it.

    `visits`: one row per stage visit (`record`, `stage`, `entered`, `exited`: NaT while
    open, `next`: the stage or outcome that followed, OPEN while open, `owner`).
    `records`: one row per record (`record`, `source`, `segment`, `amount`, `created`,
    `new`: created inside the history at its entry stage, so it counts as an arrival)."""

    shape: str
    journey: list[str]
    visits: pd.DataFrame
    records: pd.DataFrame
    start: pd.Timestamp
    snapshot: pd.Timestamp
    rows: int
    oddities: list[Oddity] = field(default_factory=list)

    @property
    def weeks(self) -> float:
        return (self.snapshot - self.start) / pd.Timedelta(weeks=1)


def _read_one(path: Path) -> pd.DataFrame:
    """One export file as text columns, each row keeping its line (CSV: UTF-8, with or
    without Excel's byte-order mark, comma- or semicolon-separated; or Parquet)."""
    if not path.exists():
        raise ConfigError.unplaced(str(path), "<document>", "no such file: check the path")
    if not path.is_file():
        what = "a folder" if path.is_dir() else "a device, pipe or socket"
        raise ConfigError.unplaced(str(path), "<document>", f"is {what}: name the export file")
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path).astype(str)
        else:
            frame = _read_csv(path, ",")
            if len(frame.columns) == 1 and ";" in frame.columns[0]:  # a European Excel export
                frame = _read_csv(path, ";")
    except UnicodeDecodeError as error:
        raise ConfigError.unplaced(
            str(path),
            "<document>",
            f"is not UTF-8 text (byte {error.start + 1}): save the "
            "export as CSV UTF-8 (Excel: Save As, CSV UTF-8)",
        ) from None
    except (ValueError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigError.unplaced(str(path), "<document>", f"cannot be read: {reason}") from None
    if frame.empty:
        raise ConfigError.unplaced(
            str(path), "<document>", "has no rows: export the report again with its data"
        )
    frame = frame.apply(lambda c: c.str.strip()).replace({"nan": "", "None": "", "NaT": ""})
    return frame.assign(_file=str(path), _line=np.arange(len(frame)) + 2)


def _read_csv(path: Path, separator: str) -> pd.DataFrame:
    return pd.read_csv(
        path,
        sep=separator,
        dtype=str,
        keep_default_na=False,
        skipinitialspace=True,
        encoding="utf-8-sig",
    )


def _columns(frames: list[pd.DataFrame], mapping: Mapping, where: str) -> list[Problem]:
    problems = []
    wanted = mapping.columns.model_dump() | {f"stage_columns.{c}": c for c in mapping.stage_columns}
    for name, column in wanted.items():
        for frame in frames:
            if column is not None and column not in frame.columns:
                have = ", ".join(c for c in frame.columns if not c.startswith("_"))
                problems.append(
                    Problem(
                        frame["_file"].iat[0],
                        1,
                        1,
                        name if "." in name else f"columns.{name}",
                        f"the file has no column '{column}' (it has {have}): name one of "
                        f"them in {_editable(where)}"
                        + ("" if name in REQUIRED else f", or leave {name} out"),
                    )
                )
    return problems


def _stage_rows(frame: pd.DataFrame, mapping: Mapping) -> pd.DataFrame:
    """A stage history written across (a date column per stage) as one row per stage
    entered, each keeping its file row's line."""
    columns = list(mapping.stage_columns)
    rest = [c for c in frame.columns if c not in columns]
    long = frame.melt(id_vars=rest, value_vars=columns, var_name="_column", value_name="entered_at")
    long = long[long["entered_at"] != ""]
    return long.assign(stage=long.pop("_column").map(mapping.stage_columns))


def _dates(frame: pd.DataFrame, column: str, fmt: str | None, problems: list[Problem]):
    text = frame[column]
    if fmt:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    else:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        parsed = parsed.dt.tz_convert(None)
    bad = parsed.isna() & (text != "")
    for i in np.flatnonzero(bad.to_numpy())[:3]:
        row = frame.iloc[i]
        tried = f"the format {fmt}" if fmt else "ISO 8601 (2024-01-31 or 2024-01-31T09:30:00)"
        problems.append(
            Problem(
                row["_file"],
                int(row["_line"]),
                1,
                column,
                f"'{text.iat[i]}' is not a date in {tried}: fix the value, or set the mapping's "
                "date_format if every date is written this way",
            )
        )
    return parsed


def _editable(where: str) -> str:
    """Where a user fixes a mapping: their file, or a copy of a shipped one."""
    if where in shipped():
        return f"a copy of orgsim/history/mappings/{where}.yaml (then --mapping YOUR_COPY.yaml)"
    return where


def _stage_values(frame: pd.DataFrame, column: str, mapping: Mapping, where: str) -> list:
    problems = []
    unknown = frame[~frame[column].isin(mapping.stages)]
    for value, rows in unknown.groupby(column, sort=True):
        first = rows.iloc[0]
        problems.append(
            Problem(
                first["_file"],
                int(first["_line"]),
                1,
                column,
                f"stage value '{value}' ({_rows(len(rows))}) is not in the mapping's stages: "
                "map it to a journey stage, to won or lost, or to null to set its rows aside, "
                f"in {_editable(where)}",
            )
        )
    return problems


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def slug(text: str) -> str:
    """A CRM's label as a name of the language (`Web Form` -> `web_form`)."""
    name = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
    return name if name and name[0].isalpha() else f"x_{name}" if name else "unknown"


def read(paths: list[Path], mapping: Mapping, where: str = "the mapping") -> History:
    """Read the export's files (CSV or Parquet, one shape, one mapping) into a `History`."""
    frames = [_read_one(Path(p)) for p in paths]
    problems = _columns(frames, mapping, where)
    if problems:
        raise ConfigError(problems)
    named = {k: v for k, v in mapping.columns.model_dump().items() if v is not None}
    if mapping.stage_columns:  # the stage and its date come from the stage columns
        named = {k: v for k, v in named.items() if k not in ("stage", "entered_at")}
    kept = [*named.values(), *mapping.stage_columns, "_file", "_line"]
    frame = pd.concat(
        [
            f[kept].set_axis([*named, *mapping.stage_columns, "_file", "_line"], axis=1)
            for f in frames
        ],
        ignore_index=True,
    )
    if mapping.stage_columns:
        frame = _stage_rows(frame, mapping)
    problems = []
    if mapping.other_stages == "error":
        problems = _stage_values(frame, "stage", mapping, where)
    dated = {}
    for column in DATES:
        if column in frame:
            dated[column] = _dates(frame, column, mapping.date_format, problems)
    if problems:
        raise ConfigError(problems)
    for column, values in dated.items():
        frame[column] = values
    rows = len(frame)
    return _history(frame, mapping, rows)


def _history(frame: pd.DataFrame, mapping: Mapping, rows: int) -> History:
    oddities: list[Oddity] = []

    def odd(what: str, count: int, did: str, examples=()) -> None:
        if count:
            oddities.append(Oddity(what, int(count), did, tuple(examples)))

    frame = _cleaned(frame, mapping, odd)
    when = "created_at" if mapping.shape == "records" else "entered_at"
    latest = frame[[c for c in DATES if c in frame]].max().max()
    snapshot = pd.Timestamp(mapping.snapshot) if mapping.snapshot else latest
    if mapping.snapshot:
        late = frame[when] > snapshot
        odd(f"rows dated after the snapshot {mapping.snapshot}", late.sum(), "set aside")
        frame = frame[~late]
    if frame.empty:
        raise ConfigError.unplaced("export", "<document>", "no row is left to calibrate from")
    build = _from_records if mapping.shape == "records" else _from_stages
    visits, records = build(frame, mapping, snapshot, odd)
    _owners(visits, snapshot, odd)
    _late_closes(visits, frame[when].min(), odd)
    seen = set(visits["stage"])
    history = History(
        shape=mapping.shape,
        journey=[s for s in dict.fromkeys([*mapping.journey, *visits["stage"]]) if s in seen],
        visits=visits,
        records=records,
        start=frame[when].min(),
        snapshot=snapshot,
        rows=rows,
        oddities=oddities,
    )
    if not visits["next"].isin(OUTCOMES).any():
        raise ConfigError.unplaced(
            str(frame["_file"].iat[0]),
            "<document>",
            "no record is closed (won or lost): conversion cannot be estimated; map the "
            "stage values that close a record to won and lost",
        )
    return history


def _cleaned(frame: pd.DataFrame, mapping: Mapping, odd) -> pd.DataFrame:
    """The rows calibration can use: duplicates read once; rows without an id, a date, or
    with a stage mapped to null set aside (each counted); stage values mapped."""
    if "replication" in frame:
        first = frame["replication"] == frame["replication"].iloc[0]
        odd(
            "rows of further replications (each is its own history)",
            (~first).sum(),
            f"set aside: replication {frame['replication'].iloc[0]} is read",
        )
        frame = frame[first]
    keyed = [c for c in frame.columns if not c.startswith("_")]
    twins = frame.duplicated(subset=keyed)
    odd("duplicate rows", twins.sum(), "read once", lines(frame, twins))
    frame = frame[~twins]
    no_id = frame["record_id"].eq("")
    odd("rows without a record id", no_id.sum(), "set aside", lines(frame, no_id))
    frame = frame[~no_id]
    kept = frame["stage"] if mapping.other_stages == "keep" else None
    frame = frame.assign(stage=frame["stage"].map(mapping.stages))
    if kept is not None:
        unlisted = ~kept.isin(mapping.stages)
        frame.loc[unlisted, "stage"] = kept[unlisted].map(slug)
    aside = frame["stage"].isna()
    odd("rows of stages mapped to null", aside.sum(), "set aside, as the mapping says")
    frame = frame[~aside]
    if "amount" in frame:
        amounts = _amounts(frame["amount"])
        garbled = amounts.isna() & (frame["amount"] != "")
        odd("amounts that are not numbers", garbled.sum(), "read as missing", lines(frame, garbled))
        frame = frame.assign(amount=amounts)
    when = "created_at" if mapping.shape == "records" else "entered_at"
    undated = frame[when].isna()
    odd(
        f"rows without {when}",
        undated.sum(),
        "set aside: a row needs its date",
        lines(frame, undated),
    )
    return frame[~undated]


def _amounts(text: pd.Series) -> pd.Series:
    """Amounts as numbers: currency signs, spaces and thousands separators dropped."""
    return pd.to_numeric(text.str.replace(r"[,$€£\s]", "", regex=True), errors="coerce")


def _attributes(frame: pd.DataFrame, odd) -> pd.DataFrame:
    """One row per record: its source, segment and amount (the first written)."""
    first = frame.groupby("record_id", sort=False).first()
    out = pd.DataFrame(index=first.index)
    for column, default in (("source", "inbound"), ("segment", "all")):
        raw = first[column].replace("", np.nan) if column in first else pd.Series(np.nan, out.index)
        missing = raw.isna()
        if column in first:
            odd(f"records without a {column}", missing.sum(), f"given '{default}'")
        filled = raw.astype(object).fillna(default)
        names = filled.map({label: slug(label) for label in filled.unique()})
        renamed = sorted(
            {f"'{a}' as {b}" for a, b in zip(raw[~missing], names[~missing], strict=True) if a != b}
        )
        odd(f"{column} labels renamed to names ({', '.join(renamed[:4])})", len(renamed), "read")
        out[column] = names
    if "amount" in frame:
        amount = frame.groupby("record_id", sort=False)["amount"].first()
        odd("records without an amount", amount.isna().sum(), "deal values from those with one")
        out["amount"] = amount
    else:
        out["amount"] = np.nan
    return out


def _from_records(frame: pd.DataFrame, mapping: Mapping, snapshot: pd.Timestamp, odd):
    """A records-shaped export: each record is one visit of the journey's first stage, from
    created to closed (a record table has no time in each stage)."""
    twice = frame["record_id"].duplicated(keep="last")
    odd(
        "records on more than one row",
        twice.sum(),
        "the last row read",
        named(frame.loc[twice, "record_id"]),
    )
    frame = frame[~twice]
    outcome = frame["stage"].where(frame["stage"].isin(OUTCOMES), "open")
    if "outcome" in frame:
        said = frame["outcome"].str.lower()
        outcome = said.where(said.isin([*OUTCOMES, "open"]), outcome)
    closed = outcome != "open"
    closes = frame["closed_at"] if "closed_at" in frame else pd.Series(pd.NaT, frame.index)
    undated = closed & closes.isna()
    odd(
        "closed records without a close date",
        undated.sum(),
        "set aside",
        named(frame.loc[undated, "record_id"]),
    )
    backwards = closed & (closes < frame["created_at"])
    odd(
        "records closed before they were created",
        backwards.sum(),
        "set aside",
        named(frame.loc[backwards, "record_id"]),
    )
    late = closed & (closes > snapshot)
    odd("records closed after the snapshot", late.sum(), "counted as open at the snapshot")
    closed &= ~late
    keep = ~(undated | backwards)
    frame, closed, outcome, closes = frame[keep], closed[keep], outcome[keep], closes[keep]
    if len(mapping.journey) > 1:
        odd(
            f"journey stages a record table cannot time ({', '.join(mapping.journey[1:])})",
            len(mapping.journey) - 1,
            f"one stage, {mapping.journey[0]}, from created to closed",
        )
    visits = pd.DataFrame(
        {
            "record": frame["record_id"].to_numpy(),
            "stage": mapping.journey[0],
            "entered": frame["created_at"].to_numpy(),
            "exited": closes.where(closed).to_numpy(),
            "next": outcome.where(closed, OPEN).to_numpy(),
            "owner": frame["owner"].to_numpy() if "owner" in frame else "",
        }
    )
    records = _attributes(frame, odd).assign(created=frame.set_index("record_id")["created_at"])
    records = records.assign(begins=mapping.journey[0], new=True)
    return visits, records.reset_index(names="record")


def _from_stages(frame: pd.DataFrame, mapping: Mapping, snapshot: pd.Timestamp, odd):
    """A stage history: each row a stage entered; a visit lasts until the record's next
    row (or `exited_at`), and one still open at the snapshot is censored there."""
    frame = frame.sort_values(["record_id", "entered_at", "_file", "_line"], kind="stable")
    same = frame["record_id"].eq(frame["record_id"].shift()) & frame["stage"].eq(
        frame["stage"].shift()
    )
    odd(
        "rows repeating the record's stage (an amount or date changed)",
        same.sum(),
        "read as one visit of the stage",
    )
    frame = frame[~same]
    record = frame["record_id"].to_numpy()
    stage = frame["stage"].to_numpy()
    entered = frame["entered_at"].to_numpy()
    same_next = np.append(record[1:] == record[:-1], False)
    nxt = np.where(same_next, np.roll(stage, -1), OPEN)
    exited = np.where(same_next, np.roll(entered, -1), np.datetime64("NaT"))
    if "exited_at" in frame:
        written = frame["exited_at"].to_numpy()
        exited = np.where(~pd.isna(written), written, exited)
    is_end = np.isin(stage, OUTCOMES)
    closed_before = pd.Series(is_end).groupby(record).cumsum().to_numpy() - is_end > 0
    odd(
        "rows after a record was won or lost (reopened, or stages after the sale)",
        closed_before.sum(),
        "set aside: a record is read up to its first close",
    )
    order = {s: i for i, s in enumerate(mapping.journey)}
    at = np.array([order.get(s, -1) for s in stage])
    to = np.array([order.get(s, -1) for s in nxt])
    step = (~is_end) & (to >= 0) & ~closed_before
    odd("moves back to an earlier stage", (step & (to < at)).sum(), "kept (a loop)")
    odd("moves that skip a stage", (step & (to > at + 1)).sum(), "kept (a direct move)")
    first = ~np.append(False, record[1:] == record[:-1])
    keep = ~is_end & ~closed_before
    visits = pd.DataFrame(
        {
            "record": record[keep],
            "stage": stage[keep],
            "entered": entered[keep],
            "exited": exited[keep],
            "next": nxt[keep],
            "owner": frame["owner"].to_numpy()[keep] if "owner" in frame else "",
        }
    )
    visits.loc[visits["next"] == OPEN, "exited"] = pd.NaT
    begins = pd.Series(stage[first], index=record[first])
    return visits, _new_records(frame, begins, odd)


def _new_records(frame: pd.DataFrame, begins: pd.Series, odd) -> pd.DataFrame:
    """One row per record with its attributes, and whether it is new in the history: it
    begins at its source's usual first stage (the others were created before it)."""
    records = _attributes(frame, odd)
    records["begins"] = begins
    entry = records.groupby("source")["begins"].agg(lambda b: b.mode().iat[0])
    new = records["begins"] == records["source"].map(entry)
    book = records["source"] == "book"  # orgsim's own log: today's pipeline at t = 0
    odd(
        "records of orgsim's book (open at the start)",
        book.sum(),
        "their stages counted; not counted as new leads",
    )
    only_closed = records["begins"].isin(OUTCOMES)
    odd("records seen only at their close", only_closed.sum(), "not counted: no stage to time")
    late = ~new & ~only_closed & ~book
    odd(
        "records first seen past their source's first stage (created before the history)",
        late.sum(),
        "their stages counted; not counted as new leads",
    )
    new &= ~book
    created = frame.groupby("record_id")["entered_at"].min()
    return records.assign(created=created, new=new).reset_index(names="record")


def _late_closes(visits: pd.DataFrame, start: pd.Timestamp, odd) -> None:
    """Closes that only begin long after the first records (later than nine in ten records
    take to close): the export probably lost its early closed records (left truncation)."""
    closes = visits[visits["next"].isin(OUTCOMES)]
    if closes.empty:
        return
    first = visits.groupby("record")["entered"].min()
    took = closes["exited"].to_numpy() - first.reindex(closes["record"]).to_numpy()
    gap = closes["exited"].min() - start
    if gap > pd.Timedelta(days=30) and gap > pd.Series(took).quantile(0.9):
        odd(
            f"closes start {gap.days} days after the first record, later than nine in ten "
            "records take to close (early closed records missing from the export?)",
            len(closes),
            "read as they are: check the export's filters on close date or status",
        )


GONE_AFTER = pd.Timedelta(days=90)
"""An owner with nothing entered or closed for this long before the snapshot has left."""


def last_activity(visits: pd.DataFrame) -> pd.Series:
    """Per owner, the last time they entered or closed anything."""
    owned = visits[visits["owner"] != ""]
    return owned[["entered", "exited"]].max(axis=1).groupby(owned["owner"]).max()


def gone(visits: pd.DataFrame, snapshot: pd.Timestamp) -> pd.Series:
    """Per owner, whether they have left: nothing entered or closed in the last 90 days."""
    return last_activity(visits) < snapshot - GONE_AFTER


def _owners(visits: pd.DataFrame, snapshot: pd.Timestamp, odd) -> None:
    if not (visits["owner"] != "").any():
        return
    left, last = gone(visits, snapshot), last_activity(visits)
    odd(
        "owners with nothing in the last 90 days (left?)",
        left.sum(),
        "their records calibrate the market; they are not in people.yaml",
        [f"{o}, last {last[o].date()}" for o in left[left].index[:3]],
    )
    unowned = visits["owner"].eq("")
    odd("visits without an owner", unowned.sum(), "counted for the team, for no person")
