"""`orgsim.compare`: every design on the same leads, paired differences, verdicts on targets.

Replication i of every variant uses the same seed, so each variant sees the
same leads with the same luck. "B minus A" is then computed replication by
replication, and its 95% t interval says how sure we are that B differs
from A. A target is met when the 95% interval of the KPI's mean lies on
the right side of the bound (docs/scenario-language.md).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path

import pandas as pd

from orgsim.config import kpis as catalogue
from orgsim.config import scorecard
from orgsim.config import targets as target_rules
from orgsim.config.errors import ConfigError, Problem
from orgsim.config.scenario import Scenario
from orgsim.config.schema import Target, is_name
from orgsim.config.units import WEEK
from orgsim.experiment import preflight, storage
from orgsim.experiment.facts import RunFacts
from orgsim.experiment.overload import Shortfall
from orgsim.experiment.results import Results, as_scenario, kpi_json, run_variants
from orgsim.experiment.sequential import Stop
from orgsim.measure import payback
from orgsim.measure.jsonable import json_number
from orgsim.measure.stats import interval, paired
from orgsim.report import figures, html
from orgsim.report import format as fmt
from orgsim.report import verdict as words
from orgsim.text import one_line, printable


class Comparison:
    """The variants of a scenario, run on common random numbers, side by side."""

    def __init__(
        self,
        scenario_name: str,
        seed: int,
        results: dict[str, Results],
        targets: dict[str, Target],
        description: str | None = None,
    ):
        self.scenario_name = scenario_name
        self.seed = seed
        self.results = results
        self.targets = targets
        self.description = description
        self._shortfalls: dict[str, list[Shortfall]] | None = None
        self._transitions: dict[str, payback.Payback] | None = None
        self._figure_data: figures.FigureData | None = None

    @property
    def variants(self) -> list[str]:
        return list(self.results)

    @property
    def baseline(self) -> str:
        return self.variants[0]

    @property
    def replications(self) -> int:
        return next(iter(self.results.values())).replications

    @property
    def stop(self) -> Stop | None:
        """Why `replications: auto` stopped where it did (None: a fixed count)."""
        return next(iter(self.results.values())).stop

    def kpi_names(self) -> list[str]:
        """Every KPI reported by any variant, in catalogue order."""
        return list(dict.fromkeys(n for r in self.results.values() for n in r.kpis.columns))

    def difference(self, variant: str, kpi: str, against: str | None = None):
        """Paired 95% interval of (variant - against) for one KPI, replication by
        replication; `against` defaults to the first variant. None if either lacks the KPI
        (ConfigError for a KPI no design reports, or a design this comparison lacks)."""
        for name in (variant, against or self.baseline):
            if not isinstance(name, str) or name not in self.results:
                why = f"no design {name!r} here (designs: {', '.join(self.variants)})"
                raise ConfigError.unplaced("<arguments>", "variant", why)
        if not any(kpi in r.kpis.columns for r in self.results.values()):
            raise ConfigError.unplaced(
                "<arguments>", "kpi", catalogue.unknown(kpi, self.kpi_names())
            )
        base = self.results[against or self.baseline].kpis
        other = self.results[variant].kpis
        if kpi not in base or kpi not in other:
            return None
        return paired(other[kpi].to_numpy(), base[kpi].to_numpy())

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows, one per (KPI, variant): mean and interval, and the paired difference
        against the first variant with its interval and whether it is significant."""
        rows = []
        for kpi in self.kpi_names():
            about = catalogue.info(kpi)
            for variant, results in self.results.items():
                if kpi not in results.kpis:
                    continue
                ci = interval(results.kpis[kpi])
                row = {
                    "kpi": kpi,
                    "group": about.group,
                    "variant": variant,
                    "mean": ci.mean,
                    "ci_low": ci.low,
                    "ci_high": ci.high,
                }
                diff = self.difference(variant, kpi) if variant != self.baseline else None
                if diff is not None:
                    row.update(
                        diff=diff.mean,
                        diff_low=diff.low,
                        diff_high=diff.high,
                        significant=diff.excludes_zero,
                        better=_better(about.direction, diff),
                    )
                rows.append(row)
        return pd.DataFrame(rows)

    def table(self) -> pd.DataFrame:
        """One row per KPI: each variant's mean [interval], and each other variant's paired
        difference against the first with its interval and significance."""
        tidy = self.to_frame()
        frame = pd.DataFrame(index=pd.Index(self.kpi_names(), name="kpi"))
        for variant in self.variants:
            part = tidy[tidy.variant == variant].set_index("kpi")
            for column in ("mean", "ci_low", "ci_high"):
                frame[(variant, column)] = part[column]
            if variant != self.baseline:
                for column in ("diff", "diff_low", "diff_high", "significant"):
                    frame[(variant, column)] = part.get(column)
        frame.columns = pd.MultiIndex.from_tuples(frame.columns, names=["variant", "value"])
        return frame

    def verdicts(self) -> pd.DataFrame:
        """For each variant and target: the bound, the KPI's mean and interval, met or missed,
        and the share of replications that met the bound on their own."""
        rows = []
        for variant, results in self.results.items():
            for kpi, target in self.targets.items():
                values = results.kpis[kpi] if kpi in results.kpis else pd.Series(dtype=float)
                ci = interval(values)
                defined = values.dropna()
                share = (
                    float(target_rules.allows(target, defined).mean())
                    if len(defined)
                    else float("nan")
                )
                rows.append(
                    {
                        "variant": variant,
                        "kpi": kpi,
                        "target": target.describe(),
                        "mean": ci.mean,
                        "ci_low": ci.low,
                        "ci_high": ci.high,
                        "met": target_rules.met(target, ci.low, ci.high, ci.n),
                        "share_of_replications": share,
                    }
                )
        return pd.DataFrame(rows)

    def owners(self) -> dict[str, dict[str, str | None]]:
        """Each role's team and each stage's role across the designs (`scorecard.owners`):
        the first design that has a role or a stage decides."""
        merged: dict[str, dict[str, str | None]] = {"teams": {}, "worked_by": {}, "first_touch": {}}
        for results in self.results.values():
            for key, mapping in merged.items():
                for name, owner in results.facts.owners()[key].items():
                    mapping.setdefault(name, owner)
        return merged

    def written_rates(self) -> dict:
        """The conversions the first design's market writes (`kpis.written_rates`)."""
        return next(iter(self.results.values())).facts.written_rates

    def shortfalls(self) -> dict[str, list[Shortfall]]:
        """Per variant, the roles that do not keep up (see `orgsim.experiment.overload`)."""
        if self._shortfalls is None:
            self._shortfalls = {v: r.shortfalls() for v, r in self.results.items()}
        return self._shortfalls

    def warning(self) -> str:
        """The roles that do not keep up, in one sentence (empty when every role does)."""
        behind = {v: [s.evidence() for s in f] for v, f in self.shortfalls().items()}
        return words.warning(behind)

    def outlook(self) -> str:
        """The roles that keep up over the horizon but run out of hours later, with the
        week, in one sentence (empty when none does within ten years)."""
        later = {v: [(r.role, r.week) for r in res.runs_out()] for v, res in self.results.items()}
        hours = next(iter(self.results.values())).facts.horizon_hours
        return words.outlook(later, hours / WEEK)

    def headline(self) -> str:
        """One or two sentences a leader can act on, then the warning. A design that meets
        its targets but does not keep up is never called a winner."""
        return " ".join(filter(None, [self.verdict(), self.warning(), self.outlook()]))

    def verdict(self) -> str:
        """Which designs meet the targets, and which targets are out of reach."""
        bounds = {kpi: (target.min, target.max) for kpi, target in self.targets.items()}
        behind = {v: bool(found) for v, found in self.shortfalls().items()}
        verdicts = self.verdicts() if self.targets else pd.DataFrame()
        return words.verdict(self.variants, self.replications, bounds, verdicts, behind)

    def to_json(self) -> dict:
        """The `orgsim compare --json` object (docs/scenario-language.md: What --json prints)."""
        differences = {}
        for variant in self.variants[1:]:
            entries = {}
            for kpi in self.kpi_names():
                diff = self.difference(variant, kpi)
                if diff is not None:
                    entries[kpi] = {
                        "mean": json_number(diff.mean),
                        "ci95": [json_number(diff.low), json_number(diff.high)],
                        "significant": bool(diff.excludes_zero),
                    }
            differences[variant] = entries
        return {
            "scenario": self.scenario_name,
            "replications": self.replications,
            "stopping": self.stop.to_json() if self.stop else {"mode": "fixed"},
            "seed": self.seed,
            "currency": next(iter(self.results.values())).facts.currency,
            "variants": {
                name: {
                    "replications": results.replications,
                    "kpis": kpi_json(results.summary(raw=True)),
                }
                for name, results in self.results.items()
            },
            "verdicts": self._verdict_words(),
            "differences": differences,
            "transitions": {
                variant: _payback_json(effect) for variant, effect in self.transitions().items()
            },
        }

    def _verdict_words(self) -> dict[str, dict[str, str]]:
        """Each design's targets as met, not_sure or missed (`compare --json`)."""
        words: dict[str, dict[str, str]] = {name: {} for name in self.variants}
        if not self.targets:
            return words
        for row in self.verdicts().to_dict("records"):
            target = self.targets[row["kpi"]]
            said = target_rules.verdict(row["mean"], target.min, target.max, row["met"])
            words[row["variant"]][row["kpi"]] = said.replace(" ", "_")
        return words

    # -- transitions

    def _switching(self) -> tuple[figures.FigureData, dict[str, float]]:
        """The figures' data, and the variants after the first that switch org (and when)."""
        data = self.figure_data()
        return data, {v: at for v, at in data.switches.items() if v != self.baseline}

    def transitions(self) -> dict[str, payback.Payback]:
        """For each variant that switches org during the run, what the switch costs and when
        it pays back against the first variant (see `orgsim.measure.payback`)."""
        if self._transitions is None:
            data, switching = self._switching()
            self._transitions = {
                variant: payback.payback(data.timeseries, variant, self.baseline, at)
                for variant, at in switching.items()
            }
        return self._transitions

    def transition_weekly(self) -> pd.DataFrame:
        """Tidy rows, one per (variant, measured week, measure): the weekly mean over
        replications of deals won, new ARR, speed to lead (hours) and each role's queue, with
        `switch` true in the week a variant switches org."""
        data = self.figure_data()
        rows = data.timeseries[~data.timeseries["warmup"]]
        columns = ["won", "won_value", "speed_to_lead"] + [
            c for c in rows.columns if c.startswith("queue.")
        ]
        weekly = rows.groupby(["variant", "week"], sort=False)[columns].mean().reset_index()
        weekly["week"] = weekly.groupby("variant").cumcount() + 1
        switch = {v: payback.switch_week(at) for v, at in data.switches.items()}
        weekly["switch"] = [
            switch.get(v) == w for v, w in zip(weekly.variant, weekly.week, strict=True)
        ]
        return weekly.melt(
            id_vars=["variant", "week", "switch"], var_name="measure", value_name="mean"
        ).dropna(subset=["mean"])

    def payback_frame(self) -> pd.DataFrame:
        """Tidy rows, one per (switching variant, measure, measured week): the cumulative
        paired difference against the first variant, its mean and 95% interval."""
        data, switching = self._switching()
        frames = [
            payback.cumulative(data.timeseries, variant, self.baseline, column).assign(
                variant=variant, measure=column
            )
            for variant in switching
            for column in payback.MEASURES
        ]
        columns = ["variant", "measure", "week", "mean", "low", "high"]
        return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame()

    def figure_data(self) -> figures.FigureData:
        """Every variant's frames and facts, as the figures draw them (joined once: the
        transitions, the weekly frames, the report and each plot read them)."""
        if self._figure_data is None:
            combined = figures.FigureData.combine([r.figure_data() for r in self.results.values()])
            bounds = {kpi: (t.min, t.max) for kpi, t in self.targets.items()}
            self._figure_data = replace(combined, targets=bounds)
        return self._figure_data

    def plot(self, kind: str = "weekly_won", ax=None):
        """A figure comparing the variants: see `orgsim.report.figures.FIGURES`."""
        return figures.draw(kind, self.figure_data(), ax=ax)

    # -- reports

    def report_facts(self) -> html.ReportFacts:
        first = next(iter(self.results.values())).facts
        return html.ReportFacts(
            scenario=one_line(self.scenario_name),
            description=one_line(self.description or "") or None,
            variants=self.variants,
            replications=self.replications,
            seed=self.seed,
            headline=self.verdict(),
            warning=self.warning(),
            outlook=self.outlook(),
            transitions=[fmt.payback(effect) for effect in self.transitions().values()],
            stopping=self.stop.in_words() if self.stop is not None else "",
            targets={kpi: (target.min, target.max) for kpi, target in self.targets.items()},
            teams=scorecard.by_team(self.kpi_names(), self.owners(), keep=self.targets),
            sources=scorecard.first_touch_sources(self.owners()),
            written=self.written_rates(),
            horizon_hours=first.horizon_hours,
            warmup_hours=first.warmup_hours,
            start=first.start,
            holidays=first.holidays,
            currency=first.currency,
            seeds=first.seeds,
            version=first.orgsim_version,
            date=first.date,
            assumptions=[
                {
                    "name": name,
                    "description": one_line(r.facts.description),
                    "org": one_line(_orgs(r.facts)),
                    "yaml": "\n".join(map(printable, r.facts.composed_yaml.splitlines())),
                    "skill_effects": r.facts.skill_effects,
                }
                for name, r in self.results.items()
            ],
            people={name: r.people() for name, r in self.results.items()},
        )

    def report_html(self) -> str:
        """The self-contained HTML report, as a string."""
        return html.render(
            self.report_facts(), self.to_frame(), self.verdicts(), self.figure_data()
        )

    def markdown(self) -> str:
        """A short summary: the headline, the targets, the significant changes."""
        return html.markdown(self.report_facts(), self.to_frame(), self.verdicts())

    def write_report(self, path: Path) -> Path:
        """Write the HTML report to `path` atomically (a name ending .html or .htm, never
        one of the files the comparison read: ConfigError)."""
        path = preflight.as_path(path, "path")
        preflight.check_outputs(files=[path], inputs=self.inputs(), kinds={path: "html"})
        return storage.write_text(path, self.report_html())

    def inputs(self) -> list[Path]:
        """The files the designs read, where known."""
        return list(dict.fromkeys(p for r in self.results.values() for p in r.inputs()))

    # -- files

    def save(self, directory: Path) -> list[Path]:
        """Each variant's results in its own folder, plus comparison.json; atomically."""
        directory = preflight.as_path(directory, "directory")
        preflight.check_outputs(folders=[directory], inputs=self.inputs())
        (directory / "comparison.json").unlink(missing_ok=True)  # complete only at the end
        (directory / "results.json").unlink(missing_ok=True)  # one run's, saved here before
        written = []
        for name, results in self.results.items():
            written += results.save(directory / name)
        facts = {
            "scenario": self.scenario_name,
            "description": self.description,
            "seed": self.seed,
            "variants": self.variants,
            "targets": target_rules.saved(self.targets),
            "study": next(iter(self.results.values())).facts.study,
        }
        written.append(storage.write_sealed_json(directory / "comparison.json", facts))
        return written

    @classmethod
    def load(cls, directory: Path) -> Comparison:
        """A comparison written by `save` (`orgsim compare --out`), without simulating again."""
        directory = Path(directory)
        with storage.reading(directory):
            facts = storage.read_sealed_json(directory / "comparison.json")
            _designs_named(directory, facts.get("variants"))
            results = {name: Results.load(directory / name) for name in facts["variants"]}
            _same_run(directory, facts, results)
            targets = target_rules.from_saved(facts["targets"])
            description = facts.get("description")
            return cls(facts["scenario"], facts["seed"], results, targets, description)

    def __repr__(self) -> str:
        return (
            f"<Comparison {self.scenario_name!r} variants={self.variants} "
            f"replications={self.replications}>"
        )


def _orgs(facts: RunFacts) -> str:
    """The org a design runs, and the one it switches to, in words."""
    switch = facts.transition
    if not switch:
        return facts.org
    week = payback.switch_week(switch["at_hours"])
    return f"{facts.org}, then {switch['org']} from week {week}"


def _payback_json(effect: payback.Payback) -> dict:
    def ci(value) -> dict:
        return {
            "mean": json_number(value.mean),
            "ci95": [json_number(value.low), json_number(value.high)],
        }

    return {
        "against": effect.against,
        "switch_week": effect.switch_week,
        "dip_week": effect.dip_week,
        "dip": {column: ci(effect.dip[column]) for column in payback.MEASURES},
        "payback_week": effect.payback_week,
        "sure_payback_week": effect.sure_payback_week,
        "over_horizon": {column: ci(effect.at_end[column]) for column in payback.MEASURES},
    }


def _better(direction: int, diff) -> bool | None:
    """Whether a significant difference is an improvement (None: not significant, or a KPI
    where neither direction is better)."""
    if direction == 0 or not diff.excludes_zero:
        return None
    return (diff.mean > 0) == (direction > 0)


def compare(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    allow_large: bool = False,
    hold_team: bool = False,
    precision: float | None = None,
    least: int | None = None,
    most: int | None = None,
    details: bool = True,
) -> Comparison:
    """Run every variant of a scenario on common random numbers and compare them.

    Replication i of each variant uses the same seed, so each sees the same leads
    with the same luck and differences are paired, replication by replication.

    Args:
        scenario: a `Scenario` or the path of a scenario file (its `variants` and
            `targets` are what is compared and judged).
        replications, seed: override the scenario's; `replications="auto"` replicates
            until each target is met or missed (or, without targets, each design's
            difference from the first is told from noise) within `precision` (0.05), from
            `least` (10) to `most` (100) replications: `.stop` says why it stopped.
        executor: where to run replications (default: this process).
        progress: show a progress bar (default: on a terminal only).
        allow_large: run even when a replication would not fit in memory.
        hold_team: draw today's unnamed reps (skill, tenure) once, from the root seed, and
            keep that team in every replication: the intervals are then lead luck alone,
            for that one team (`team_draw.where_from` says how much the draw matters).
        details: keep the tables figures, reports, saved results and transitions' paybacks
            need (about a tenth of each replication's time); without them, the KPIs,
            intervals, verdicts and headline alone.

    Returns:
        `Comparison`: `.headline()`, `.verdicts()` on the targets, `.to_frame()`
        (means, intervals, paired differences), `.difference(variant, kpi)`,
        `.plot(kind)`, `.write_report(path)`, `.markdown()`, `.save(folder)`.

    Raises:
        ConfigError: the file does not load.

    Example:
        >>> comparison = orgsim.compare("scenarios/reorg_sdr_split.yaml", replications=10)
        >>> comparison.headline()
        >>> comparison.difference("process_stage", "won_per_week")
    """
    scenario = as_scenario(scenario).with_run(
        replications=replications, seed=seed, precision=precision, least=least, most=most
    )
    results = run_variants(
        scenario,
        list(scenario.variants),
        None,
        None,
        executor=executor,
        progress=progress,
        allow_large=allow_large,
        hold_team=hold_team,
        details=details,
    )
    return Comparison(
        scenario.name, scenario.seed, results, dict(scenario.targets), scenario.description
    )


def _designs_named(directory: Path, variants) -> None:
    """comparison.json names one design folder or more, each a plain name (never a path
    that leads out of the folder)."""
    if not isinstance(variants, list) or not variants:
        why = "names no design: " + storage.AGAIN
        raise ConfigError.unplaced(str(directory / "comparison.json"), "variants", why)
    for name in variants:
        if not is_name(name):
            why = f"{name!r} is not a design's name: " + storage.AGAIN
            raise ConfigError.unplaced(str(directory / "comparison.json"), "variants", why)


def _same_run(directory: Path, facts: dict, results: dict[str, Results]) -> None:
    """Every design folder was saved by the run that wrote comparison.json: the same study
    and seed, so that its differences are paired."""
    problems = []
    for name, design in results.items():
        study = facts.get("study")
        held = design.facts.team_held != next(iter(results.values())).facts.team_held
        if design.seed != facts["seed"] or (study and design.facts.study != study) or held:
            problems.append(
                Problem.unplaced(
                    str(directory / name),
                    "<saved results>",
                    f"design '{name}' was saved by another run (seed {design.seed}, not "
                    f"{facts['seed']}, or another scenario): its differences would not be "
                    "paired; write the comparison again with orgsim compare --out",
                )
            )
    if problems:
        raise ConfigError(problems)


def saved(directory: Path) -> Comparison | None:
    """The comparison saved in `directory` (`orgsim compare --out`), or one run's results
    there (`orgsim run --out`) as a comparison of one design; None when it holds neither."""
    directory = Path(directory)
    if (directory / "comparison.json").exists():
        return Comparison.load(directory)
    if (directory / "results.json").exists():
        results = Results.load(directory)
        with storage.reading(directory):
            targets = target_rules.from_saved(results.facts.targets)
        return Comparison(results.scenario_name, results.seed, {results.variant: results}, targets)
    return None
