"""Dated targets and hiring plans: plan-quarter KPIs, `plan(hires=True)`, and how people over
time are shown (the `people` figure, `orgsim run`'s tables, `orgsim plan --hires`)."""

from __future__ import annotations

import itertools
import json
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

import orgsim
from orgsim.cli import app
from orgsim.config import ConfigError
from orgsim.config.kpis import QUARTER
from orgsim.config.schema import Target
from orgsim.config.units import WEEK
from orgsim.experiment.plan import _defer, _Hiring, _Judge, plan, staffing_of
from orgsim.experiment.results import simulate
from orgsim.report import terminal

from .conftest import ROOT
from .models import scenario
from .test_planner import Quiet

MARKET = """
kind: market
name: inbound with response decay
segments: {all: {deal_value: 10000}}
sources: {web: {rate: 250/week, enters: mql}}
journey:
  mql:
    outcomes: {won: 0.6}
    success: [won]
    response_decay: {half_life: 4h, floor: 0.2}
  won: {milestone: won}
"""
ORG = """
kind: org
name: two SDRs
roles:
  sdr:
    headcount: 2
    schedule: always
    cost_per_year: 100000
    ramp: {by_month: [0.5], affects: speed}
    attrition: 0.5/year
    backfill: {delay: 3w}
work:
  mql: {role: sdr, effort: {dist: exponential, mean: 1h}, routing: pool}
"""


def small(hires: str = "", **run) -> orgsim.Scenario:
    org = ORG + (f"hires: {hires}\n" if hires else "")
    settings = dict(horizon="26w", warmup="2w", replications=4, seed=5) | run
    return scenario(MARKET, org, **settings)


def written(folder, replications: int) -> str:
    """The small scenario as a file, for the command line."""
    path = folder / "s.yaml"
    text = (
        f"kind: scenario\nname: small\nhorizon: 26w\nwarmup: 2w\nreplications: {replications}\n"
        "seed: 5\nmarket:\n"
        + textwrap.indent(MARKET.strip(), "  ")
        + "\norg:\n"
        + textwrap.indent(ORG.strip(), "  ")
        + "\n"
    )
    path.write_text(text)
    return str(path)


def test_quarters_split_the_measured_horizon_exactly():
    results = simulate(small(), progress=False)
    kpis = results.to_frame()
    quarters = [f"quarter.{q}.won_per_week" for q in (1, 2)]
    assert np.allclose(kpis[quarters].mean(axis=1), kpis["won_per_week"])
    values = kpis[["quarter.1.won_value", "quarter.2.won_value"]].sum(axis=1)
    assert np.allclose(values, kpis["won_value"])
    assert "quarter.3.won_per_week" not in kpis  # 26 weeks hold two whole quarters
    short = simulate(small(horizon="20w"), progress=False).to_frame()
    assert not any(k.startswith("quarter.") for k in short)  # one quarter is the horizon


def test_a_hire_in_the_second_quarter_changes_nothing_before_it_joins():
    """Common random numbers: a dated hire draws from its own keyed streams, so everything
    before it joins is identical, and only the quarter it joins in can move."""
    before = simulate(small(), progress=False).to_frame()
    after = simulate(small("[{role: sdr, at: 13w, count: 1}]"), progress=False).to_frame()
    for kpi in ("quarter.1.won_per_week", "quarter.1.won_value"):
        assert before[kpi].tolist() == after[kpi].tolist()
    assert (after["quarter.2.won_per_week"] >= before["quarter.2.won_per_week"]).all()
    assert after["quarter.2.won_per_week"].sum() > before["quarter.2.won_per_week"].sum()


TARGETS = {"quarter.2.won_per_week": {"min": 130.0}}


@pytest.fixture(scope="module")
def hiring():
    sc = small(replications=3)
    return sc, plan(sc, TARGETS, progress=False, hires=True)


def test_the_hiring_plan_meets_its_target_and_no_hire_can_wait_or_be_spared(hiring):
    """The two steps' promise, checked by simulating on the same seeds: the plan meets the
    target; without any one of its hires, or with any one of them a quarter later, it
    does not."""
    sc, result = hiring
    assert result.chosen is not None and result.chosen.meets, result.table()
    assert result.chosen.hires, "the case needs at least one hire: raise the target"
    alone = sc.only(sc.variant().name)
    lines = staffing_of(alone, sc.variant().name)
    judge = _Judge(
        _Hiring(alone, lines, result.dates),
        {k: Target(**v) for k, v in TARGETS.items()},
        result.utilization_cap,
        lambda trial: simulate(trial, progress=False),
        10_000,
        Quiet(),
    )
    step = len(result.dates)
    counts = [0] * (len(lines) * step)
    for hire in result.chosen.hires:
        counts[
            [line.role for line in lines].index(hire["role"]) * step
            + result.dates.index(hire["at"])
        ] += hire["count"]
    assert judge.feasible(tuple(counts))
    for i, n in enumerate(counts):
        if not n:
            continue
        fewer = counts.copy()
        fewer[i] -= 1
        assert not judge.feasible(tuple(fewer)), f"hire {i} can be spared"
        if (i + 1) % step:
            later = fewer.copy()
            later[i + 1] += 1
            assert not judge.feasible(tuple(later)), f"hire {i} can wait a quarter"


def test_the_hiring_plan_reads_as_hires_per_quarter(hiring):
    _, result = hiring
    table = result.hires_by_quarter()
    assert list(table.columns) == ["Q1", "Q2"] and list(table.index) == ["sdr"]
    assert table.to_numpy().sum() == sum(h["count"] for h in result.chosen.hires)
    assert result.chosen.headcount["sdr"] == 2 + table.to_numpy().sum()
    weeks = {h["at"] / QUARTER for h in result.chosen.hires}
    assert weeks <= {0.0, 1.0}
    cost = sum(
        100000 * h["count"] * (26 * 7 * 24 - h["at"]) / (365 * 24) for h in result.chosen.hires
    )
    assert result.chosen.hires_cost == pytest.approx(cost)
    data = result.to_json()
    assert data["hire_dates"] == ["0w", "13w"]
    assert all(h["at"] in ("0w", "13w") for h in data["hires"])


class Additive:
    """A stand-in judge for `_defer`: a hire at date j adds `worth[j]` of one constraint."""

    def __init__(self, worth, need, lines=1):
        self.dates, self.lines = list(range(len(worth))), list(range(lines))
        self.worth, self.need = worth, need

    def feasible(self, counts):
        step = len(self.dates)
        return sum(n * self.worth[i % step] for i, n in enumerate(counts)) >= self.need - 1e-9


@pytest.mark.parametrize("worth", [(10, 6, 1), (10, 9, 1), (10, 5, 4), (9, 9, 2, 1)])
@pytest.mark.parametrize("need", [12, 19, 24])
def test_deferring_leaves_no_hire_that_could_join_a_quarter_later(worth, need):
    judge = Additive(worth, need, lines=2)
    total = -(-need // worth[0])  # the fewest hires that meet the need all at the start
    start = (total - total // 2, 0, 0, 0)[: len(worth)] + (total // 2, 0, 0, 0)[: len(worth)]
    found = _defer(judge, start)
    assert judge.feasible(found)
    assert [sum(found[: len(worth)]), sum(found[len(worth) :])] == [total - total // 2, total // 2]
    for i in itertools.compress(range(len(found)), found):
        if (i + 1) % len(worth):
            later = list(found)
            later[i], later[i + 1] = later[i] - 1, later[i + 1] + 1
            assert not judge.feasible(tuple(later))


def test_run_prints_people_by_quarter_and_week_by_week():
    result = CliRunner().invoke(
        app, ["run", str(ROOT / "scenarios/hiring_plan.yaml"), "-n", "2", "--variant", "hire_q2"]
    )
    assert result.exit_code == 0, result.output
    text = result.output
    assert "People by plan quarter" in text and "Week by week" in text
    for row in ("Q1", "Q4", "ae on the payroll", "sdr ramped", "won per week"):
        assert row in text
    assert "quarter.4.won_per_week" in text  # a target is shown though not a headline KPI
    spark = next(line for line in text.splitlines() if "ae on the payroll" in line)
    assert sum(c in "▁▂▃▄▅▆▇█" for c in spark) == 52


@pytest.mark.slow
def test_plan_hires_on_the_command_line(tmp_path):
    args = ["plan", written(tmp_path, 3), "--hires", "--target", "quarter.2.won_per_week>=130"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "hire in Q1" in result.output and "cost of the hires over the horizon" in result.output
    result = CliRunner().invoke(app, [*args, "--json"])
    data = json.loads(result.stdout)
    assert data["hires"] and data["hire_dates"] == ["0w", "13w"]


def test_the_people_figure_needs_people_who_change():
    steady = orgsim.simulate(
        small().with_set({"org.roles.sdr.ramp": None, "org.roles.sdr.attrition": "0/year"}),
        progress=False,
    )
    with pytest.raises(ConfigError, match="people"):
        steady.plot("people")
    figure = simulate(small(), progress=False).plot("people")
    assert len(figure.axes) == 2  # one role, and won deals
    assert figure.axes[0].get_ylabel() == "sdr: people"


TWO_ROLES = """
kind: org
name: SDRs and AEs
roles:
  sdr: {headcount: 3, schedule: always, cost_per_year: 80000, attrition: 0.3/year}
  ae: {headcount: 2, schedule: always, cost_per_year: 150000, ramp: {by_month: [0.5]}}
work:
  mql: {role: sdr, effort: {dist: exponential, mean: 30min}}
  sql: {role: ae, effort: {dist: exponential, mean: 1h}}
"""
TWO_STAGES = """
kind: market
name: two stages
segments: {all: {deal_value: 10000}}
sources: {web: {rate: 100/week, enters: mql}}
journey:
  mql: {outcomes: {sql: 0.5}}
  sql: {outcomes: {won: 0.5}}
  won: {milestone: won}
"""


def test_targets_met_without_hiring_give_a_plan_of_no_hires():
    sc = scenario(TWO_STAGES, TWO_ROLES, horizon="26w", warmup="1w", replications=2, seed=3)
    result = plan(sc, {"won_per_week": {"min": 1}}, progress=False, hires=True)
    assert result.chosen.hires == [] and result.chosen.in_words() == "no hires"
    assert result.chosen.headcount == {"sdr": 3, "ae": 2} and result.chosen.hires_cost == 0
    assert result.hires_by_quarter().to_numpy().sum() == 0


def test_the_orgs_own_hires_count_in_the_plans_headcount_and_cost():
    sc = small("[{role: sdr, at: 0w, count: 2}]", replications=2)
    result = plan(sc, {"quarter.2.won_per_week": {"min": 1}}, progress=False, hires=True)
    assert result.chosen.hires == []
    assert result.chosen.headcount == {"sdr": 4} and result.chosen.people == 4
    assert result.chosen.cost_per_year == 400000


def test_the_people_tables_show_whole_quarters_only():
    results = simulate(small(horizon="25.5w", replications=2), progress=False)
    tables = terminal.people_tables(
        results.timeseries, results.summary(raw=True), 25.5 * WEEK, 2 * WEEK
    )
    assert [row for row in tables[0].columns[0].cells] == ["Q1"]
    shifted = simulate(small(warmup="2.5w", replications=2), progress=False)
    tables = terminal.people_tables(
        shifted.timeseries, shifted.summary(raw=True), 26 * WEEK, 2.5 * WEEK
    )
    assert len(tables) == 1 and "Week by week" in tables[0].title


def test_the_long_run_load_counts_every_hire_ramped():
    """Long run (what "keeps up" judges renewal loops by): dated hires have all joined and
    ramped, so two AEs hired in week 0 load the team exactly as two more fully productive
    AEs would; on average over the horizon they count less (they ramp, and a window
    average is not the long run)."""
    hired = scenario(
        TWO_STAGES,
        TWO_ROLES + "hires: [{role: ae, at: 0w, count: 2}]\n",
        horizon="26w",
        warmup="1w",
    )
    more = scenario(
        TWO_STAGES,
        TWO_ROLES.replace("ae: {headcount: 2,", "ae: {headcount: 4,").replace(
            ", ramp: {by_month: [0.5]}", ""
        ),
        horizon="26w",
        warmup="1w",
    )
    for role in ("sdr", "ae"):
        settled = orgsim.capacity(hired, long_run=True).roles[role].utilization
        assert settled == pytest.approx(
            orgsim.capacity(more, long_run=True).roles[role].utilization
        )
    window = orgsim.capacity(hired).roles["ae"].utilization
    assert window > orgsim.capacity(hired, long_run=True).roles["ae"].utilization
