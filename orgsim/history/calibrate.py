"""`orgsim.calibrate`: a CRM export in, a market, a roster and a scenario out, each number
with the interval and the count it rests on.

The files are written as text with a comment above each estimated number (n, 95% interval,
method), because a planner reads them before trusting them; `calibration.json` holds the
same estimates for code. Nothing here simulates: `orgsim backtest` checks the result
against the history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from orgsim.config.errors import ConfigError
from orgsim.config.units import DAY
from orgsim.experiment import preflight, storage
from orgsim.history import estimate
from orgsim.history.estimate import Estimate, Fit, Skill
from orgsim.history.export import OPEN, History, Oddity, gone, read
from orgsim.history.mapping import Mapping, load_mapping
from orgsim.report.terminal import spreads_in_words
from orgsim.version import __version__

POOR = 0.1
"""A fitted time curve further than this from the data's (Kaplan-Meier) somewhere is poor."""
POOR_FIT = ": a poor fit, the times are not one gamma or lognormal (a mix of quick and slow?)"
PLACEHOLDER_EFFORT = "30min"
"""A CRM export holds no time spent per task: the generated org says so where it uses this."""


@dataclass
class Calibration:
    """What `calibrate` found: the history read, the estimates, the fitted stage times, the
    owners' skills and every oddity, and the files' texts."""

    history: History
    mapping: Mapping
    estimates: list[Estimate]
    fits: dict[str, Fit]
    skills: list[Skill]
    skill_spread: dict[str, float]
    """Per stage, the standard deviation of true skill around 1 the data shows beyond noise."""
    oddities: list[Oddity] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    mapping_source: str = ""
    """How the mapping was named (a path, or a shipped mapping's name)."""

    def to_frame(self) -> pd.DataFrame:
        """One row per estimate: name, value, ci_low, ci_high, n, method."""
        rows = [
            {
                "name": e.name,
                "value": e.value,
                "ci_low": e.low,
                "ci_high": e.high,
                "n": e.n,
                "method": e.method,
            }
            for e in self.estimates
        ]
        return pd.DataFrame(rows, columns=["name", "value", "ci_low", "ci_high", "n", "method"])

    def people(self) -> pd.DataFrame:
        """One row per owner and stage it worked: skill as the data shows it (`raw`), as
        written (shrunk towards the team), its interval, the decided visits it rests on,
        and whether the owner has left (`left`: not in people.yaml)."""
        frame = pd.DataFrame([vars(s) for s in self.skills])
        if frame.empty:
            return frame
        left = gone(self.history.visits, self.history.snapshot)
        return frame.assign(left=frame["owner"].map(left).fillna(False).astype(bool))

    def to_json(self) -> dict:
        h = self.history
        people = [
            Estimate(
                f"people.{self.mapping.role}.{s.owner}.skill.{s.stage}",
                s.skill,
                s.low,
                s.high,
                s.visits,
                f"successes over expected, {s.raw:.2f} as seen; shrunk towards "
                "the team (empirical Bayes)",
            )
            for s in self.skills
        ]
        return {
            "orgsim_version": __version__,
            "snapshot": h.snapshot.date().isoformat(),
            "start": h.start.date().isoformat(),
            "rows": h.rows,
            "records": len(h.records),
            "shape": h.shape,
            "warnings": [str(o) for o in self.oddities],
            "skill_spread": self.skill_spread,
            "estimates": [e.to_json() for e in [*self.estimates, *people]],
        }

    def save(self, directory: Path, org: Path | None = None) -> list[Path]:
        """Write market.yaml, people.yaml, org.yaml (unless `org` is given), scenario.yaml,
        calibration.html and calibration.json into `directory`."""
        directory = preflight.as_path(directory, "directory")
        preflight.check_outputs(folders=[directory])
        directory.mkdir(parents=True, exist_ok=True)
        files = {"market.yaml": market_text(self), "people.yaml": people_text(self)}
        if org is None:
            files["org.yaml"] = org_text(self)
            org_ref = "org.yaml"
        else:
            org_ref = str(Path(org).resolve())
        files["scenario.yaml"] = scenario_text(self, org_ref)
        files["calibration.html"] = self.html(directory)
        written = [storage.write_text(directory / name, text) for name, text in files.items()]
        written.append(storage.write_json(directory / "calibration.json", self.to_json()))
        return written

    def curves(self) -> dict[str, tuple]:
        """Per stage with a fitted time: (hours, the data's share decided by then, the
        fitted curve's), at up to 400 times."""
        out = {}
        for stage, fit in self.fits.items():
            visits = self.history.visits[self.history.visits["stage"] == stage]
            t, data = estimate.kaplan_meier(*estimate.durations(visits, self.history.snapshot))
            keep = np.unique(np.linspace(0, len(t) - 1, min(len(t), 400)).astype(int))
            t, data = t[keep], data[keep]
            out[stage] = (t, data, estimate.fitted_share(fit.dist, fit.mean, fit.cv, t))
        return out

    def plot(self, kind: str = "stages"):
        """A figure: `stages` (time in each stage, data against the fitted curve),
        `arrivals` (new records per week by source) or `skills` (each owner's, seen and
        written)."""
        from orgsim.report import history as figures

        h = self.history
        drawn = {
            "stages": lambda: figures.stage_curves(self.curves()),
            "arrivals": lambda: figures.arrivals(h.records[h.records["new"]]),
            "skills": lambda: figures.skills(self.people()),
        }
        if kind not in drawn:
            raise ConfigError.unplaced("<arguments>", "kind", f"one of {', '.join(drawn)}")
        return drawn[kind]()

    def html(self, directory: Path) -> str:
        """calibration.html: the oddities, every estimate, and the figures."""
        from orgsim.report import history as figures

        h = self.history
        drawn = [
            (figures.arrivals(h.records[h.records["new"]]), "New records per week by source."),
            (
                figures.stage_curves(self.curves()),
                "Time in each stage: the share of visits "
                "decided by each time, your data (open visits censored) against the fitted curve "
                "the market writes.",
            ),
        ]
        if self.skills:
            drawn.append(
                (
                    figures.skills(self.people()),
                    "Each owner's skill by stage: as "
                    "the data shows it (circles) and as written, shrunk towards the "
                    "team, with its 95% interval.",
                )
            )
        facts = {
            "source": self.mapping.name or "CRM export",
            "rows": f"{h.rows:,}",
            "records": f"{len(h.records):,}",
            "start": h.start.date().isoformat(),
            "snapshot": h.snapshot.date().isoformat(),
            "oddities": [str(o) for o in self.oddities],
            "folder": str(directory),
            "files": " ".join(str(f) for f in self.files),
            "mapping": self.mapping_source,
        }
        return figures.calibration_page(facts, self.to_frame(), drawn)


def calibrate(
    files: list[str | Path], mapping: str | Path | Mapping, progress: bool | None = None
) -> Calibration:
    """Read a CRM export through its mapping (a file, or a shipped mapping by name) and
    estimate the market's numbers and each owner's skill (see `orgsim.history.estimate`).
    `progress`: a bar through the steps (default: on a terminal)."""
    from tqdm import tqdm

    if isinstance(files, str | Path):
        files = [files]
    if not files:
        raise ConfigError.unplaced("<files>", "files", "name at least one export file")
    where = "the mapping" if isinstance(mapping, Mapping) else str(mapping)
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    steps = tqdm(
        total=3,
        desc="calibrating",
        unit="step",
        leave=False,
        disable=None if progress is None else not progress,
    )
    with steps:
        steps.set_postfix_str("reading the export")
        history = read([Path(f) for f in files], mapping, where)
        steps.update()
        steps.set_postfix_str("fitting time in each stage")
        oddities = [
            *history.oddities,
            *estimate.outcome_times(history),
            *estimate.stale_open(history),
        ]
        fits = estimate.stage_times(history)
        steps.update()
        steps.set_postfix_str("rates, values and skill")
        skills, spread = estimate.skills(history)
        estimates = [
            *estimate.arrivals(history, oddities),
            *estimate.conversion(history),
            *estimate.time_estimates(fits),
            *estimate.deal_values(history),
        ]
        steps.update()
    oddities += _fit_notes(fits)
    return Calibration(
        history,
        mapping,
        estimates,
        fits,
        skills,
        spread,
        oddities,
        files=[Path(f) for f in files],
        mapping_source=where,
    )


def _fit_notes(fits: dict[str, Fit]) -> list[Oddity]:
    """What a reader must know about the fitted stage times: poor fits, and that a stage's
    time holds the team's queue and work."""
    notes = []
    poor = [s for s, f in fits.items() if f.gap > POOR]
    if poor:
        notes.append(
            Oddity(
                f"stages whose times fit no gamma or lognormal well ({', '.join(poor)})",
                len(poor),
                f"fitted anyway; the market's comment gives the gap (over {POOR})",
            )
        )
    if fits:
        notes.append(
            Oddity(
                "stages whose times include waiting for and doing the work",
                len(fits),
                "written as buyer_delay: the simulated time in stage adds the team's queue "
                "and work on top; the backtest's months show whether that matters",
            )
        )
    return notes


# -- the files as text


def _number(x: float) -> str:
    """Four significant digits, no exponent: 803.7, 0.1183, 6005."""
    if not np.isfinite(x):
        return "0"
    return np.format_float_positional(x, precision=4, fractional=False, trim="-")


def _duration(hours: float) -> str:
    return f"{_number(hours / DAY)}d" if hours >= 2 * DAY else f"{_number(hours)}h"


def _interval(e: Estimate, unit=_number) -> str:
    return f"95% interval {unit(e.low)} to {unit(e.high)}, n = {e.n:,}"


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def market_text(c: Calibration) -> str:
    h, by_name = c.history, {e.name: e for e in c.estimates}
    lines = [
        f"# Calibrated by orgsim {__version__} from {h.rows:,} rows ({len(h.records):,} records),",
        f"# {h.start.date()} to the snapshot {h.snapshot.date()}. Each number's comment gives its",
        "# 95% interval and how many records it rests on (calibration.json has them all).",
        "kind: market",
        f"name: {_quoted('Calibrated from ' + (c.mapping.name or 'a CRM export'))}",
        "segments:",
    ]
    segments = sorted(h.records["segment"].unique())
    for segment in segments:
        e = by_name.get(f"segments.{segment}.deal_value.mean")
        if e is None:
            lines += [f"  {segment}:", *_no_values(c, segment)]
            continue
        spread = by_name[f"segments.{segment}.deal_value.cv"]
        lines += [
            f"  {segment}:",
            f"    # mean deal value, {_interval(e)}; cv {_interval(spread)}",
            f"    deal_value: {{dist: lognormal, mean: {_number(e.value)}, "
            f"cv: {_number(spread.value)}}}",
        ]
    lines.append("sources:")
    entries = h.records[h.records["new"]].groupby("source")["begins"].agg(lambda b: b.mode().iat[0])
    for source, enters in entries.items():
        e = by_name[f"sources.{source}.rate"]
        lines += [
            f"  {source}:",
            f"    # new records per week, {_interval(e)}",
            f"    rate: {_number(e.value)}/week",
            f"    enters: {enters}",
        ]
        months = [by_name.get(f"sources.{source}.seasonality.{m}") for m in range(12)]
        if any(months):
            factors = ", ".join(_number(m.value) if m else "1" for m in months)
            lines += [
                f"    # monthly factors, January first: {months[0].method if months[0] else ''}",
                f"    seasonality: [{factors}]",
            ]
        mix = {g: by_name.get(f"sources.{source}.mix.{g}") for g in segments}
        if len(segments) > 1:
            shares = ", ".join(f"{g}: {_number(m.value) if m else 0}" for g, m in mix.items())
            lines += ["    # shares of the source's new records", f"    mix: {{{shares}}}"]
    lines.append("journey:")
    for stage in h.journey:
        lines += _stage_lines(c, stage, by_name)
    lines += ["  won:", "    milestone: won", *_book_lines(c)]
    return "\n".join(lines) + "\n"


def _no_values(c: Calibration, segment: str) -> list[str]:
    """A segment with fewer than two positive amounts: the one it has, or else the mean
    of all positive amounts, said so in its comment."""
    records = c.history.records
    amounts = records.loc[records["segment"] == segment, "amount"].dropna()
    amounts = amounts[amounts > 0]
    if len(amounts) == 1:
        return [
            "    # one amount only: taken as it is (write your own)",
            f"    deal_value: {_number(float(amounts.iloc[0]))}",
        ]
    every = records["amount"].dropna()
    every = every[every > 0]
    if every.empty:
        return [
            "    # the export has no amounts: a placeholder (write your own)",
            "    deal_value: 0",
        ]
    return [
        "    # no amount in this segment: the mean over every segment (write your own)",
        f"    deal_value: {_number(float(every.mean()))}",
    ]


def _stage_lines(c: Calibration, stage: str, by_name: dict[str, Estimate]) -> list[str]:
    lines = [f"  {stage}:"]
    outcomes = [e for n, e in by_name.items() if n.startswith(f"journey.{stage}.outcomes.")]
    if outcomes:
        lines.append(f"    # {outcomes[0].method}")
        for e in outcomes:
            lines.append(f"    #   {e.name.rsplit('.', 1)[1]}: {_interval(e)}")
        shares = ", ".join(f"{e.name.rsplit('.', 1)[1]}: {_number(e.value)}" for e in outcomes)
        lines.append(f"    outcomes: {{{shares}}}")
    lines.append("    otherwise: lost")
    fit = c.fits.get(stage)
    if fit is not None:
        mean = by_name[f"journey.{stage}.buyer_delay.mean"]
        lines += [
            f"    # time in stage: {fit.dist}, mean {_interval(mean, _duration)}",
            f"    # ({fit.censored:,} still open, censored); largest gap to the data's curve "
            f"{fit.gap:.3f}" + (POOR_FIT if fit.gap > POOR else ""),
            f"    buyer_delay: {{dist: {fit.dist}, mean: {_duration(fit.mean)}, "
            f"cv: {_number(fit.cv)}}}",
        ]
    return lines


AGES_WRITTEN = 200
"""At most this many ages per book entry (evenly spaced quantiles beyond): a short line."""


def _book_lines(c: Calibration) -> list[str]:
    """The deals open at the snapshot, by stage, each with its age in the stage: a forward
    run lets each fall due when the rest of its stage's delay has passed."""
    h = c.history
    open_ = h.visits[h.visits["next"] == OPEN]
    if open_.empty:
        return []
    lines = [
        "# Open at the snapshot: the pipeline a forward run starts with, each deal with how",
        "# long it has been in its stage (the rest of the stage's time is what is left).",
        "book:",
    ]
    for stage, rows in open_.groupby("stage", sort=False):
        ages = ((h.snapshot - rows["entered"]) / pd.Timedelta(days=1)).to_numpy(dtype=float)
        if len(ages) > AGES_WRITTEN:
            ages = np.quantile(ages, np.linspace(0, 1, AGES_WRITTEN))
        values = ", ".join(f"{_number(max(a, 0.01))}d" for a in np.sort(ages))
        age = f"{{dist: empirical, values: [{values}]}}" if stage in c.fits else None
        entry = f"{{stage: {stage}, count: {len(rows)}" + (f", age: {age}}}" if age else "}")
        lines += [f"  # {stage}: median age {np.median(ages):.1f} days", f"  - {entry}"]
    return lines


def people_text(c: Calibration) -> str:
    lines = [
        "# The owners active in the last 90 days of the history, each skill shrunk towards the",
        "# team by how much of the spread the data shows is more than chance. True skill",
        f"# spreads around 1 by about: {spreads_in_words(c.skill_spread)}.",
        "# Skill multiplies a rep's conversion at a stage; raw is what the data shows alone.",
        "kind: people",
        f"name: {_quoted('Owners in ' + (c.mapping.name or 'a CRM export'))}",
        "roles:",
        f"  {c.mapping.role}:",
    ]
    active = _active(c.history)
    people = [s for s in c.skills if s.owner in active]
    if not people:
        lines[-1] += " []"
    for owner in dict.fromkeys(s.owner for s in people):
        mine = [s for s in people if s.owner == owner]
        lines.append(f"    - name: {_quoted(owner)}")
        lines.append("      skill:")
        for s in mine:
            band = f"{_number(max(s.low, 0))} to {_number(s.high)}"
            if not s.told_apart:
                band = f"the data cannot tell anyone here from the team: {band}"
            lines.append(
                f"        {s.stage}: {_number(max(s.skill, 0.01))}   # raw {s.raw:.2f}, "
                f"{band}, {s.visits:,} decided visits"
            )
    return "\n".join(lines) + "\n"


def _active(h: History) -> set[str]:
    left = gone(h.visits, h.snapshot)
    return set(left[~left].index)


def org_text(c: Calibration) -> str:
    role = c.mapping.role
    lines = [
        "# Generated by orgsim calibrate: a CRM export says who owned what, not how long the",
        f"# work takes: {PLACEHOLDER_EFFORT} a touch is a placeholder. Write your own effort,",
        "# schedule and costs (or pass --org to calibrate) before you plan on utilization.",
        "kind: org",
        "name: Your team as the export shows it",
        "roles:",
        f"  {role}: {{schedule: business_hours}}   # its people come from people.yaml",
        "work:",
    ]
    for i, stage in enumerate(c.history.journey):  # each rep keeps its deals, as CRMs do
        routing = "round_robin" if i == 0 else "same_rep"
        lines.append(
            f"  {stage}: {{role: {role}, effort: {PLACEHOLDER_EFFORT}, routing: {routing}}}"
        )
    return "\n".join(lines) + "\n"


def scenario_text(c: Calibration, org: str) -> str:
    start = c.history.snapshot.date() + timedelta(days=1)
    start += timedelta(days=(7 - start.weekday()) % 7)  # the Monday after the snapshot
    return (
        "\n".join(
            [
                "# Today's market and team as calibrated: a run starts the Monday after the",
                "# snapshot with the open pipeline as its book; `orgsim backtest` replays the",
                "# history.",
                "kind: scenario",
                f"name: {_quoted('Calibrated from ' + (c.mapping.name or 'a CRM export'))}",
                "market: market.yaml",
                f"org: {_quoted(org)}",
                "people: people.yaml",
                f"start: {start.isoformat()}",
                "horizon: 13w",
                "replications: 20",
                "seed: 1",
            ]
        )
        + "\n"
    )
