"""Scoring forecasting methods (SCENARIO-SPEC 9.4, `orgsim forecast --score`) against
theory: the weighted pipeline's bias is Little's law's W / H - 1; reps who sandbag by 0.8
commit 0.8 x E[min(T, H)] / H of a quarter (the share of its bookings already in the
pipeline at its start, from the delay's survival curve); the simulation's 10-90 band holds
the quarter as often as its order statistics say; and the stage chances a weighted
pipeline uses solve the journey's chain."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import integrate, stats
from typer.testing import CliRunner

import orgsim
from orgsim.analytic.chain import Chain
from orgsim.cli import app
from orgsim.config import ConfigError
from orgsim.engine import compile_model
from orgsim.experiment.score import held, score_forecasts

from .intervals import assert_binomial, assert_in_interval

WEEKS = 13
STEADY = """
kind: scenario
name: A steady pipeline
horizon: 13w
warmup: 26w
replications: 12
seed: 11
market:
  kind: market
  name: m
  segments: {{all: {{deal_value: {{dist: lognormal, mean: 1000, cv: 0.5}}}}}}
  sources: {{web: {{rate: 20/week, enters: deal, hours: always}}}}
  journey:
    deal: {{buyer_delay: {delay}, outcomes: {{won: 0.5}}}}
    won: {{milestone: won}}
org:
  kind: org
  name: o
  roles: {{ae: {{headcount: 40, schedule: always, forecast_bias: {bias}}}}}
  work: {{deal: {{role: ae, effort: 1min}}}}
"""
"""Deals decided after a buyer delay, then one short touch by one of plenty of reps: the
time to win is the delay, W, and nothing queues."""


def _ratios(score, method: str) -> np.ndarray:
    """Per replication, the bias on the total (forecasts summed over what was booked, less
    one): the bias of expectations, which theory speaks of (the mean of quarter ratios adds
    a Jensen term of the order of 1/deals)."""
    return score.errors().loc[method, "total_bias"].to_numpy()


@pytest.mark.statistical
def test_the_weighted_pipelines_bias_is_littles_law():
    """Open deals that will win = won rate x W (Little), a quarter books won rate x H: the
    weighted pipeline is off by W / H - 1. Half a quarter's delay: -50%; a whole quarter:
    none; a gamma delay of 4 weeks: 4/13 - 1 (three checks, Bonferroni)."""
    for delay, weeks in (("6.5w", 6.5), ("13w", 13.0), ("{dist: gamma, mean: 4w, cv: 0.6}", 4)):
        text = STEADY.format(delay=delay, bias=1)
        found = score_forecasts(orgsim.load_text(text), quarters=8, methods=("weighted_pipeline",))
        assert_in_interval(
            _ratios(found, "weighted_pipeline"), weeks / WEEKS - 1, f"W = {weeks}w", checks=3
        )


@pytest.mark.statistical
def test_sandbagging_reps_commit_what_the_arithmetic_says():
    """A deal open at the quarter's start that will win does so inside the quarter with
    the chance its remaining delay allows; summed over the pipeline that is won rate x
    E[min(T, H)], against won rate x H booked. Reps with forecast_bias 0.8 commit 0.8 of
    it: the bias is 0.8 x E[min(T, H)] / H - 1 for a gamma delay (mean 6.5w, cv 0.6), and
    a bias of 1 gives the same without the 0.8 (two checks)."""
    mean, cv = 6.5, 0.6
    law = stats.gamma(1 / cv**2, scale=mean * cv**2)
    reach = integrate.quad(law.sf, 0, WEEKS)[0] / WEEKS  # E[min(T, H)] / H
    scores = {}
    for bias in (0.8, 1.0):
        text = STEADY.format(delay=f"{{dist: gamma, mean: {mean}w, cv: {cv}}}", bias=bias)
        methods = ("commit", "weighted_pipeline")
        scores[bias] = score_forecasts(orgsim.load_text(text), quarters=8, methods=methods)
        assert_in_interval(
            _ratios(scores[bias], "commit"), bias * reach - 1, f"bias {bias}", checks=2
        )
    # the same markets (the bias changes no draw): the weighted pipeline is unchanged, the
    # commit is lower in every run
    gap = scores[0.8].against(scores[1.0]).set_index("method")
    assert gap.loc["weighted_pipeline", "mape"] == 0 and gap.loc["commit", "bias_high"] < 0


@pytest.mark.statistical
def test_the_simulations_band_holds_the_quarter_as_often_as_its_ranks_say():
    """Forecast from each quarter's snapshot (its deals and their ages) with 10 runs; the
    quarter's real bookings fall between the 2nd and 9th of them in 7/11 of quarters when
    the model is right (exchangeable ranks). A binomial count over 64 quarters; the
    forecast's mean is unbiased on the same quarters (its t interval holds zero)."""
    text = STEADY.format(delay="{dist: gamma, mean: 6.5w, cv: 0.6}", bias=1)
    found = score_forecasts(
        orgsim.load_text(text), quarters=8, replications=8, forecast_replications=10
    )
    assert found.nominal_coverage == pytest.approx(7 / 11)
    band = found.quarters["held"].dropna()
    assert_binomial(round(band.sum()), len(band), found.nominal_coverage, "band", checks=2)
    assert_in_interval(_ratios(found, "simulation"), 0.0, "simulation's bias", checks=2)
    ranked = found.summary()["method"].tolist()
    assert ranked.index("simulation") < ranked.index("commit")


def test_a_tie_at_the_bands_edge_counts_as_the_random_rank_says():
    """Twenty forecasts 1..20: the band is the 3rd to the 18th. Inside strictly: held; at
    an edge with one equal forecast, half (ranks 3 or 4 equally likely: 4 is inside, 3 is
    not); outside: not held."""
    sample = np.arange(1.0, 21.0)
    assert held(sample, 10.5) == 1.0
    assert held(sample, 3.0) == 0.5 and held(sample, 18.0) == 0.5
    assert held(sample, 2.5) == 0.0 and held(sample, 25.0) == 0.0
    assert held(np.full(20, 7.0), 7.0) == pytest.approx(15 / 21)


LOOP = """
kind: scenario
name: A journey with a loop
horizon: 1w
market:
  kind: market
  name: m
  segments: {all: {deal_value: 1000}}
  sources: {web: {rate: 1/week, enters: a}}
  journey:
    a: {outcomes: {b: 0.5}}
    b: {outcomes: {won: 0.4, a: 0.2}}
    won: {milestone: won}
org:
  kind: org
  name: o
  roles: {ae: {headcount: 1}}
  work: {a: {role: ae, effort: 1min}, b: {role: ae, effort: 1min}}
"""


def test_stage_chances_solve_the_journeys_chain():
    """From b: 0.4 + 0.2 x P(a); from a: 0.5 x P(b): P(a) = 0.2 / 0.9, P(b) = 0.4 / 0.9;
    a lead in `won` has been won (0)."""
    model = compile_model(orgsim.load_text(LOOP))
    chances = Chain(model).win_chances()[0]
    names = [stage.name for stage in model.stages]
    expected = {"a": 0.2 / 0.9, "b": 0.4 / 0.9, "won": 0.0}
    for name, chance in expected.items():
        assert chances[names.index(name)] == pytest.approx(chance)


def test_a_loop_no_lead_leaves_has_no_chance_and_takes_none_from_the_stages_before_it():
    """A wins half the time and otherwise enters C, which loops on itself for ever: A's
    chance is 0.5 and C's 0 (a least-squares solve would give 0.4 and -0.2)."""
    from orgsim.analytic.chain import _absorbed

    chances = _absorbed(np.array([[0.0, 0.5], [0.0, 1.0]]), np.array([0.5, 0.0]))
    assert chances.tolist() == [0.5, 0.0]


def test_score_prints_the_spec_json_a_ranked_table_and_refuses_what_it_cannot_score(tmp_path):
    runner = CliRunner()
    path = tmp_path / "steady.yaml"
    path.write_text(STEADY.format(delay="6.5w", bias=0.8))
    figure = tmp_path / "score.png"
    common = ["forecast", str(path), "--score", "--reps", "2", "--quarters", "2"]
    done = runner.invoke(app, [*common, "--forecast-reps", "10", "--json", "--plot", str(figure)])
    assert done.exit_code == 0, done.output
    facts = json.loads(done.stdout)
    assert facts["quarters"] == 4 and facts["horizon_weeks"] == 13
    assert set(facts["methods"]) == {"weighted_pipeline", "commit", "run_rate", "simulation"}
    for method, numbers in facts["methods"].items():
        assert {"bias", "total_bias", "mape", "coverage"} <= set(numbers)
        assert numbers["mape_interval"][0] >= 0  # a mean of absolute errors
        assert (numbers["coverage"] is None) == (method != "simulation")
    assert facts["methods"]["commit"]["bias"] == pytest.approx(0.8 * 0.5 - 1, abs=0.1)
    assert figure.stat().st_size > 10_000
    table = runner.invoke(app, [*common, "--forecast-reps", "10"])
    assert table.exit_code == 0, table.output
    assert "Most accurate:" in table.stdout and "band held" in table.stdout
    for path, variant in (("hiring_plan", "hire_q2"), ("people_risk", "best_two_leave")):
        changing = runner.invoke(
            app, ["forecast", f"scenarios/{path}.yaml", "--score", "--variant", variant]
        )
        assert changing.exit_code == 2 and "hires or loses people on a date" in changing.output
    days = runner.invoke(app, [*common, "--horizon", "10d"])
    assert days.exit_code == 2 and "score whole weeks" in days.output
    with pytest.raises(ConfigError, match="a 10-90 band needs 10"):
        score_forecasts(orgsim.load_text(STEADY.format(delay="1w", bias=1)),
                        forecast_replications=5)  # fmt: skip
