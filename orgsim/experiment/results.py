"""`orgsim.simulate`: many replications of one org design, and what they add up to."""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import date
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from orgsim.config import kpis as catalogue
from orgsim.config.scenario import Scenario, load
from orgsim.experiment import preflight, sequential, storage
from orgsim.experiment.facts import RunFacts
from orgsim.experiment.overload import RunsOut, Shortfall, shortfalls
from orgsim.experiment.runner import ReplicationResult, jobs, replication_seeds, run_jobs
from orgsim.experiment.sequential import Stop
from orgsim.measure import tables
from orgsim.measure.events import event_log
from orgsim.measure.jsonable import json_number
from orgsim.measure.people import people as measured_people
from orgsim.measure.stats import interval
from orgsim.report import figures
from orgsim.report import format as fmt


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load(scenario)


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% t interval of each KPI column (NaN replications left out)."""
    rows = []
    for name in frame.columns:
        ci = interval(frame[name])
        about = catalogue.info(name)
        rows.append(
            {
                "kpi": name,
                "group": about.group,
                "mean": ci.mean,
                "ci_low": ci.low,
                "ci_high": ci.high,
                "std": ci.std,
                "n": ci.n,
                "meaning": about.meaning,
                "better": {1: "higher", -1: "lower", 0: ""}[about.direction],
            }
        )
    return pd.DataFrame(rows).set_index("kpi")


def kpi_json(summary: pd.DataFrame) -> dict:
    return {
        name: {
            "mean": json_number(row["mean"]),
            "ci95": [json_number(row["ci_low"]), json_number(row["ci_high"])],
        }
        for name, row in summary.iterrows()
    }


class Results:
    """Replications of one variant.

    `kpis` has one row per replication and one column per KPI; `summary()` the
    mean and 95% interval of each. The weekly series, the rep table, cycle times
    and speed to lead are kept for figures; with `simulate(..., records=True)`,
    every lead (`cases`) and stage visit (`visits`) too.
    """

    def __init__(
        self,
        scenario_name: str,
        variant: str,
        seed: int,
        kpis: pd.DataFrame,
        details: dict[str, pd.DataFrame] | None = None,
        facts: RunFacts | None = None,
        records: list | None = None,
        scenario: Scenario | None = None,
    ):
        self.scenario_name = scenario_name
        self.variant = variant
        self.seed = seed
        self.kpis = kpis
        self.details = details or {}
        self.facts = facts or RunFacts(scenario=scenario_name, variant=variant, seed=seed)
        self._records = records or []
        self._shortfalls: list[Shortfall] | None = None
        self._runs_out: list[RunsOut] = []
        self.scenario = scenario
        self.stop: Stop | None = None
        """Why `replications: auto` stopped where it did (None: a fixed count)."""

    @classmethod
    def from_replications(
        cls,
        scenario: Scenario,
        variant: str,
        seed: int,
        done: list[ReplicationResult],
        team_held: bool = False,
    ) -> Results:
        done = sorted(done, key=lambda o: o.replication)
        facts = RunFacts.of(scenario, variant, seed, [o.seed for o in done])
        facts = dataclasses.replace(facts, team_held=team_held)
        kpis = pd.DataFrame([o.kpis for o in done], columns=facts.kpi_names, dtype=float)
        kpis.index = pd.Index([o.replication for o in done], name="replication")
        details = {}
        if done and done[0].details is not None:
            for name in tables.DETAILS:
                details[name] = pd.concat(
                    [o.details[name].assign(replication=o.replication) for o in done],
                    ignore_index=True,
                )
        records = [(o.records, o.model) for o in done if o.records is not None]
        return cls(scenario.name, variant, seed, kpis, details, facts, records, scenario)

    @property
    def replications(self) -> int:
        return len(self.kpis)

    @property
    def seeds(self) -> list[int]:
        return self.facts.seeds

    def summary(self, raw: bool = False) -> pd.DataFrame:
        """Per KPI, as the command line shows it: its label, the mean and 95% interval in
        the KPI's unit (hours as minutes, hours or days; shares as percentages; intervals
        cut to what the KPI can be), the replications it is defined in and its meaning.
        With `raw`, numbers: mean, 95% t interval, standard deviation, n, meaning."""
        numbers = summarize(self.kpis)
        return numbers if raw else fmt.readable(numbers)

    def to_frame(self) -> pd.DataFrame:
        """KPIs as tidy rows: variant, replication, one column per KPI."""
        frame = self.kpis.reset_index()
        frame.insert(0, "variant", self.variant)
        return frame

    def shortfalls(self) -> list[Shortfall]:
        """Roles of this design that do not keep up (see `orgsim.experiment.overload`); for
        results loaded from disk, the ones found when they were saved."""
        if self._shortfalls is None:
            self._shortfalls, self._runs_out = shortfalls(
                self.summary(raw=True), self.facts.roles, self.scenario, self.variant
            )
        return self._shortfalls

    def runs_out(self) -> list[RunsOut]:
        """Roles of this design that keep up over the horizon but whose work reaches their
        hours later, as the customer base grows, with the week (see `overload`)."""
        self.shortfalls()
        return self._runs_out

    def to_json(self) -> dict:
        """The `orgsim run --json` object (docs/scenario-language.md: What --json prints),
        with the roles that do not keep up, and each named person where there is a roster."""
        people = self.people()
        named = {} if people.empty else {"people": [
            {k: v if isinstance(v, str) else json_number(v) for k, v in row.items()}
            for row in people.to_dict("records")
        ]}  # fmt: skip
        return {
            "scenario": self.scenario_name,
            "variant": self.variant,
            "replications": self.replications,
            "stopping": self.stop.to_json() if self.stop else {"mode": "fixed"},
            "seed": self.seed,
            "currency": self.facts.currency,
            "kpis": kpi_json(self.summary(raw=True)),
            "does_not_keep_up": [s.to_json() for s in self.shortfalls()],
            "runs_out_of_hours": [r.to_json() for r in self.runs_out()],
        } | named

    # -- tables

    def _detail(self, name: str) -> pd.DataFrame:
        if name not in self.details:
            raise ValueError(f"no {name} kept: run simulate(...) with details (the default)")
        return self.details[name]

    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per week and replication: leads, won, queue and utilization per role."""
        return self._detail("timeseries")

    @property
    def reps(self) -> pd.DataFrame:
        """One row per rep and replication: role, pod, skill, tasks, deals won, utilization."""
        return self._detail("reps")

    def people(self) -> pd.DataFrame:
        """One row per named person of the roster (`roles.<r>.people`): deals and value won
        in the measured window, utilization and tasks, each a mean over replications with
        its 95% interval (`won`, `won_low`, `won_high`, ...). Empty without a roster, or
        where the run kept no per-rep table."""
        return measured_people(self.details.get("reps", pd.DataFrame()))

    @property
    def cycle_times(self) -> pd.DataFrame:
        """Hours from creation to won, one row per deal won after warm-up."""
        return self._detail("cycle_times")

    @property
    def speed_to_lead(self) -> pd.DataFrame:
        """Hours from creation to first touch, one row per lead first touched after warm-up."""
        return self._detail("speed_to_lead")

    def per_replication(self, build) -> pd.DataFrame:
        """`build(records, model)` for every replication's records, one frame with a
        `replication` column (needs records=True)."""
        if not self._records:
            raise ValueError("run simulate(..., records=True) to keep every lead's records")
        return pd.concat(
            [
                build(records, model).assign(replication=i)
                for i, (records, model) in enumerate(self._records)
            ],
            ignore_index=True,
        )

    @property
    def cases(self) -> pd.DataFrame:
        """One row per lead and replication (needs records=True)."""
        return self.per_replication(tables.cases)

    @property
    def visits(self) -> pd.DataFrame:
        """One row per stage visit and replication, with its record type (needs records=True)."""
        return self.per_replication(tables.visits)

    def events(self) -> pd.DataFrame:
        """Every stage visit as a process-mining event log (pm4py's column names, dated from
        the scenario's `start`), one block per replication (needs records=True). A case is
        named by its replication and lead (`2-1041`), so replications never share a case."""
        start = date.fromisoformat(self.facts.start)
        log = self.per_replication(lambda records, model: event_log(records, model, start))
        case = log["replication"].astype(str) + "-" + log["case:concept:name"].astype(str)
        return log.assign(**{"case:concept:name": case})

    @property
    def records(self) -> list:
        return [r for r, _ in self._records]

    def figure_data(self) -> figures.FigureData:
        """These results' frames and facts, as the figures draw them."""
        sla, switch = self.facts.entry_sla, self.facts.transition
        frames = {
            name: self.details.get(name, pd.DataFrame()).assign(variant=self.variant)
            for name in tables.DETAILS
        }
        return figures.FigureData(
            variants=[self.variant],
            kpis=self.to_frame(),
            stages=self.facts.stages,
            roles=self.facts.roles,
            horizon_hours=self.facts.horizon_hours,
            warmup_hours=self.facts.warmup_hours,
            entry_slas=[figures.EntrySLA(**sla)] if sla else [],
            switches={self.variant: switch["at_hours"]} if switch else {},
            **frames,
        )

    def plot(self, kind: str = "weekly_won", ax=None):
        """A figure of these results: see `orgsim.report.figures.FIGURES` for the kinds."""
        return figures.draw(kind, self.figure_data(), ax=ax)

    # -- files

    def save(self, directory: Path) -> list[Path]:
        """Write KPIs, detail tables and the run's facts (atomically, file by file); never
        into a folder that holds the files the run read (ConfigError)."""
        directory = preflight.as_path(directory, "directory")
        preflight.check_outputs(folders=[directory], inputs=self.inputs())
        (directory / "results.json").unlink(missing_ok=True)  # complete again only at the end
        (directory / "comparison.json").unlink(missing_ok=True)  # a comparison saved here before
        written = [storage.write_table(self.to_frame(), directory / "kpis")]
        for name, frame in self.details.items():
            written.append(storage.write_table(frame, directory / name))
        if self._records:
            for name in ("cases", "visits"):
                written.append(storage.write_table(getattr(self, name), directory / name))
        written.append(storage.write_json(directory / "summary.json", self.to_json()))
        if self.facts.composed_yaml:
            written.append(
                storage.write_text(directory / "scenario.yaml", self.facts.composed_yaml)
            )
        sealed = dataclasses.replace(self.facts, files=storage.digests(written))
        written.append(storage.write_sealed_json(directory / "results.json", sealed.to_json()))
        return written

    def save_events(self, path: Path) -> Path:
        """Write `events()` to `path` (`.csv`, or `.parquet` with pyarrow); never over a file
        the run read (ConfigError)."""
        path = preflight.as_path(path, "path")
        preflight.check_outputs(files=[path], inputs=self.inputs(), kinds={path: "event log"})
        return storage.write_frame(self.events(), path)

    def inputs(self) -> list[Path]:
        """The files this run read (its scenario, market, org and roster), where known."""
        return self.scenario.source_files() if self.scenario is not None else []

    @classmethod
    def load(cls, directory: Path) -> Results:
        """Results written by `save` (or `orgsim run --out`), without simulating again."""
        directory = Path(directory)
        with storage.reading(directory):
            return cls._read(directory)

    @classmethod
    def _read(cls, directory: Path) -> Results:
        facts = RunFacts.from_json(storage.read_sealed_json(directory / "results.json"))
        storage.check_digests(directory, facts.files)
        kpis = storage.read_table(directory / "kpis").drop(columns="variant")
        kpis = kpis.set_index("replication")[facts.kpi_names].astype(float)
        details = {
            name: storage.read_table(directory / name)
            for name in tables.DETAILS
            if (table := storage.table_path(directory / name)) is not None
            and (not facts.files or table.name in facts.files)
        }
        results = cls(facts.scenario, facts.variant, facts.seed, kpis, details, facts)
        summary = json.loads((directory / "summary.json").read_text(encoding="utf-8"))
        if "does_not_keep_up" in summary:  # older results: measured from the saved KPIs alone
            results._shortfalls = [Shortfall.from_json(s) for s in summary["does_not_keep_up"]]
            results._runs_out = [RunsOut(**r) for r in summary.get("runs_out_of_hours", [])]
        return results

    def __repr__(self) -> str:
        return (
            f"<Results {self.scenario_name!r} variant={self.variant!r} "
            f"replications={self.replications} seed={self.seed}>"
        )


def run_variants(
    scenario: Scenario,
    variants: list[str],
    replications: int | None,
    seed: int | None,
    records: bool = False,
    executor: Executor | None = None,
    progress: bool | None = None,
    description: str = "replications",
    allow_large: bool = False,
    hold_team: bool = False,
    rule=sequential.next_count,
    details: bool = True,
) -> dict[str, Results]:
    """Every listed variant on common random numbers: replication i uses one seed in all;
    with `hold_team`, today's unnamed team is drawn once (from the root seed) for all. With
    `replications: auto`, `rule` says when to stop (`sequential`); without `details`, only
    KPIs come back (no figures: what a planner's many trials need)."""
    scenario = scenario.with_run(replications=replications, seed=seed)
    preflight.size_note(scenario, None, variants, 1, allow_large)  # one at least must fit
    root = scenario.seed
    seeds = replication_seeds(root, scenario.replications)
    team = root if hold_team else None
    fields = {"records": records, "details": details, "team_seed": team}
    done: dict[str, list[ReplicationResult]] = {name: [] for name in variants}
    stop = None
    if scenario.auto is None:
        work = jobs(scenario, variants, seeds, _batch(executor, len(seeds)), **fields)
        for result in run_jobs(work, executor, progress, description):
            done[result.variant].append(result)
    else:
        stop = _until_answered(scenario, variants, seeds, fields, executor, progress, done, rule)
    found = {
        name: Results.from_replications(scenario, name, root, done[name], hold_team)
        for name in variants
    }
    for results in found.values():
        results.stop = stop
    return found


def _batch(executor: Executor | None, replications: int) -> int:
    return 1 if executor is None else max(1, replications // 8)


def _slots(executor: Executor | None) -> int:
    """Replications a pool runs at once: a process pool's workers (it has no public count);
    one for any other executor, which then runs nothing ahead."""
    return getattr(executor, "_max_workers", 1) if isinstance(executor, ProcessPoolExecutor) else 1


def _until_answered(scenario, variants, seeds, fields, executor, progress, done, rule) -> Stop:
    """Replicate in batches until the questions the output states are answered
    (`sequential`): every design on the same seeds, each batch the next replications. A
    look that would leave workers idle in its last round runs the next replications there
    too, kept for the next look (the look itself sees exactly its count: the same answer)."""
    auto, n, aim, asked = scenario.auto, 0, scenario.auto.least, None
    ahead: dict[str, list[ReplicationResult]] = {name: [] for name in variants}
    disable = None if progress is None else not progress
    with tqdm(total=aim * len(variants), desc="replications (auto)", unit="rep",
              disable=disable, leave=False) as bar:  # fmt: skip
        while True:
            start = n + len(ahead[variants[0]])
            size = _batch(executor, aim - start)
            idle = -(aim - start) * len(variants) % _slots(executor) if size == 1 else 0
            until = min(len(seeds), aim + -(-idle // len(variants)))
            work = jobs(scenario, variants, seeds[:until], size, start, **fields)
            for result in run_jobs(work, executor, progress=False):
                ahead[result.variant].append(result)
                bar.update(result.replication < aim)
            for name in variants:  # jobs finish in any order: pair by replication
                results = sorted(ahead[name], key=lambda o: o.replication)
                done[name] += [o for o in results if o.replication < aim]
                ahead[name] = [o for o in results if o.replication >= aim]
            kpis = {v: pd.DataFrame([o.kpis for o in done[v]]) for v in variants}
            if asked is None:
                reported = {v: list(frame.columns) for v, frame in kpis.items()}
                asked = sequential.questions(variants, scenario.targets, reported)
            n = aim
            aim, still, stop = rule(n, asked, kpis, auto)
            if stop is not None:
                return stop
            bar.total = aim * len(variants)
            bar.set_postfix_str(f"{still} of {len(asked)} questions open")


def simulate(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    variant: str | None = None,
    records: bool = False,
    executor: Executor | None = None,
    progress: bool | None = None,
    allow_large: bool = False,
    precision: float | None = None,
    least: int | None = None,
    most: int | None = None,
) -> Results:
    """Run one variant of a scenario for many replications.

    Replication i uses the same seed in every variant, so two runs of different
    variants are paired (common random numbers).

    Args:
        scenario: a `Scenario`, or the path of a scenario file.
        replications: how many (default: the scenario's `replications`); `"auto"`
            replicates until each target is met or missed (without targets: until new
            customers a week and cost per new customer are within `precision`, 0.05), from
            `least` (10) to `most` (100): `.stop` says why it stopped.
        seed: the root seed (default: the scenario's `seed`).
        variant: which design (default: the first).
        records: keep every lead's history (`Results.cases`, `Results.visits`).
        executor: a `concurrent.futures.Executor` to run replications on (a process
            pool, a Dask client's executor); default: this process.
        progress: show a progress bar (default: on a terminal only).
        allow_large: run even when a replication would not fit in this machine's memory
            (otherwise a ConfigError says so before anything runs).

    Returns:
        `Results`: one row of KPIs per replication (`.kpis`), `.summary()` with 95%
        intervals, `.plot(kind)`, `.to_frame()`, `.save(folder)`.

    Raises:
        ConfigError: the file does not load, or has no such variant.

    Example:
        >>> results = orgsim.simulate("scenarios/smb_velocity.yaml", replications=5)
        >>> results.summary().loc["won_per_week"]          # as the command line shows it
        >>> results.summary(raw=True).loc["won_per_week", ["mean", "ci_low", "ci_high"]]
    """
    scenario = as_scenario(scenario).with_run(
        replications=replications, seed=seed, precision=precision, least=least, most=most
    )
    name = scenario.variant(variant).name
    return run_variants(
        scenario, [name], None, None, records, executor, progress, allow_large=allow_large
    )[name]


__all__ = ["Results", "simulate"]
