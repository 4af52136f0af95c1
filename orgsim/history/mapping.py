"""A mapping file (`kind: mapping`): which column of a CRM export is which, and what its
stage values mean in the journey.

Exports differ by CRM and by admin, so orgsim never guesses a column: the mapping names
them, and the shipped mappings (`orgsim/history/mappings/*.yaml`, by name:
`--mapping salesforce_opportunity`) cover the usual reports.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, TypeAdapter, model_validator

from orgsim.config.distributions import Frozen
from orgsim.config.errors import ConfigError
from orgsim.config.schema import Name
from orgsim.config.validation import validate
from orgsim.config.yamlio import read

SHIPPED = Path(__file__).parent / "mappings"
"""The mappings orgsim ships, each under its name (`salesforce_opportunity`)."""

OUTCOMES = ("won", "lost")
"""Stage values that close a record rather than name a stage of the journey."""


def _meaning(value):
    """`lost` (a built-in end, so no name of the language), else a stage's name."""
    return value if value == "lost" else TypeAdapter(Name).validate_python(value)


StageMeaning = Annotated[str, BeforeValidator(_meaning)]
"""What a stage value in the export is: a journey stage, `won` or `lost`."""


class Columns(Frozen):
    """orgsim's name for a column: the export's name for it."""

    record_id: str
    """The column that names a lead or deal (`Id`, `Deal ID`)."""
    stage: str | None = None
    """The stage: the record's current stage (records) or the stage entered (stages); not
    needed with `stage_columns`."""
    created_at: str | None = None
    """When the record was created (records: required)."""
    closed_at: str | None = None
    """When a records-shaped row was won or lost."""
    entered_at: str | None = None
    """When the stage was entered (stages: required)."""
    exited_at: str | None = None
    """When the stage was left (stages; default: when the record's next stage was entered)."""
    outcome: str | None = None
    """`won`, `lost` or `open`, where the export says so apart from the stage."""
    owner: str | None = None
    """Who owned the record (or worked the stage): becomes a named person."""
    source: str | None = None
    """Where the lead came from (`LeadSource`): a source of the market."""
    segment: str | None = None
    """The record's segment or product: a segment of the market."""
    amount: str | None = None
    """The deal's value (ARR)."""
    replication: str | None = None
    """A simulated log's replication (orgsim's event log): each is its own history, so only
    the first is read and the others are counted and set aside."""


class Mapping(Frozen):
    """How to read one CRM export."""

    kind: Literal["mapping"]
    """Always `mapping`."""
    name: str | None = None
    """What export this reads, for messages (`Salesforce opportunity report`)."""
    shape: Literal["records", "stages"]
    """`records`: a row per lead or deal; `stages`: a row per stage entered."""
    columns: Columns
    """The export's column for each of orgsim's names."""
    date_format: str | None = None
    """A `strptime` format for the dates (`%m/%d/%Y`); default: ISO 8601."""
    stages: Annotated[dict[str, StageMeaning | None], Field(min_length=1)]
    """Each stage value in the file: the journey stage it is, `won` or `lost`, or null for
    rows to set aside (stages after the sale). A journey stage that no value maps to is not
    in the calibrated market."""
    other_stages: Literal["error", "keep"] = "error"
    """A stage value `stages` does not list: an error naming it (`error`), or a journey stage
    of the same name (`keep`: an export whose values are already the journey's names)."""
    stage_columns: dict[str, str] = {}
    """A stage history written across: one row per record and, for each stage, a column with
    the date the record entered it (HubSpot's `Date entered "Qualified To Buy (Sales
    Pipeline)"`): the column's name to the stage value it stands for (a key of `stages`).
    With these, `shape` is `stages` and `columns.stage`, `columns.entered_at` are not used."""
    role: Name = "rep"
    """The role the owners hold (`ae`): the roster's role in `people.yaml`."""
    snapshot: date | None = None
    """The export's date (default: the latest date in the file)."""

    @model_validator(mode="after")
    def _dates_named(self) -> Mapping:
        if self.stage_columns:
            if self.shape != "stages":
                raise ValueError("stage_columns make a stage history: write shape: stages")
            unknown = [v for v in self.stage_columns.values() if v not in self.stages]
            if unknown:
                raise ValueError(f"stage_columns: '{unknown[0]}' is not a key of stages")
            return self
        needed = ("created_at", "stage") if self.shape == "records" else ("entered_at", "stage")
        missing = [n for n in needed if getattr(self.columns, n) is None]
        if missing:
            raise ValueError(f"a {self.shape} export needs columns.{missing[0]}")
        return self

    @model_validator(mode="after")
    def _a_journey(self) -> Mapping:
        if not self.journey and (self.other_stages == "error" or self.shape == "records"):
            raise ValueError("at least one stage value must map to a journey stage")
        return self

    @property
    def journey(self) -> list[str]:
        """The journey stages, in the order the mapping lists them (its first is where a
        new record starts)."""
        names = [v for v in self.stages.values() if v is not None and v not in OUTCOMES]
        return list(dict.fromkeys(names))


def shipped() -> list[str]:
    """The names of the shipped mappings."""
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def load_mapping(where: str | Path) -> Mapping:
    """A mapping from a file, or a shipped one by name; ConfigError with every problem."""
    path = Path(where)
    if not path.suffix and not path.exists() and str(where) in shipped():
        path = SHIPPED / f"{where}.yaml"
    elif not path.exists():
        names = ", ".join(shipped())
        raise ConfigError.unplaced(
            str(where), "<document>", f"no such mapping file; the shipped mappings are {names}"
        )
    tree = read(path)
    mapping, problems = validate(Mapping, tree)
    if problems:
        raise ConfigError(problems)
    return mapping
