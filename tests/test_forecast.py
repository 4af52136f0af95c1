"""Forecasting bookings (SCENARIO-SPEC 9.4): an exact trace from a book whose deals all
close on a known day, identities between the breakdowns, the command's JSON, and the
claim a leader reads off the fan: 80% of real quarters land between the 10th and the 90th
percentile (a binomial count over independent quarters)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import orgsim
from orgsim.cli import app
from orgsim.config import ConfigError

from .intervals import assert_binomial, assert_in_interval

KNOWN = """
kind: scenario
name: Ten deals that close in a week
horizon: 26w
replications: 4
seed: 5
market:
  kind: market
  name: m
  segments: {all: {deal_value: 1000}}
  sources: {web: {rate: 5/week, enters: later, hours: always}}
  journey:
    pitch: {buyer_delay: 1w, outcomes: {won: 1.0}}
    later: {buyer_delay: 1y, outcomes: {won: 1.0}}
    won: {milestone: won}
  book:
    - {stage: pitch, count: 10}
org:
  kind: org
  name: o
  roles:
    ae:
      schedule: always
      people: [{name: Kim, skill: 1.0}, {name: Lee, skill: 1.0}]
  work:
    pitch: {role: ae, effort: 1min, routing: round_robin}
    later: {role: ae, effort: 1min}
"""


def test_a_book_that_closes_in_a_week_forecasts_exactly_its_deals():
    """Ten open deals placed today with their visit under way (a book's deal is decided at
    its next touch, its buyer delay spent); new leads win only after a year: every
    replication books 10 deals and 10,000 in the first week, all from the open pipeline,
    five each for Kim and Lee (round robin)."""
    found = orgsim.forecast(orgsim.load_text(KNOWN), "4w")
    overall = found.summary().set_index("metric")
    for q in ("mean", "p10", "p50", "p90"):
        assert overall.loc["won", q] == 10 and overall.loc["won_value", q] == 10_000
    cumulative = found.cumulative().unstack("week")
    assert (cumulative[0] == 10_000).all() and (cumulative[3] == 10_000).all()
    origins = found.summary("origin")
    assert list(origins["origin"].unique()) == ["open pipeline"]
    owners = found.summary("owner").set_index(["owner", "metric"])["mean"]
    assert owners[("Kim", "won")] == owners[("Lee", "won")] == 5
    assert found.summary("month")["month"].unique().tolist() == ["2024-01"]


def test_losing_the_big_deal_takes_exactly_its_value_out_of_every_replication():
    """A book entry for one known deal (`value: 400000`) books it with the ten others; the
    variant that loses it today (`stage: lost`) books the same ten, replication by replication."""
    text = (
        KNOWN.replace(
            "    - {stage: pitch, count: 10}",
            "    - {stage: pitch, count: 10}\n    - {stage: pitch, count: 1, value: 400000}",
        )
        + "variants:\n  today: {}\n  lost_it: {set: {market.book.1.stage: lost}}\n"
    )
    scenario = orgsim.load_text(text)
    kept = orgsim.forecast(scenario, "4w", variant="today").totals(None)
    lost = orgsim.forecast(scenario, "4w", variant="lost_it").totals(None)
    assert (kept["won_value"] == 410_000).all() and (lost["won_value"] == 10_000).all()
    assert (kept["won"] - lost["won"] == 1).all()


def test_the_breakdowns_add_up_to_the_whole_in_every_replication():
    found = orgsim.forecast("scenarios/reorg_transition.yaml", "13w", replications=4)
    whole = found.totals(None)
    for by in ("month", "origin", "segment"):
        parts = found.totals(by).groupby(level="replication").sum()
        assert np.allclose(parts.to_numpy(), whole.to_numpy()), by


def test_forecast_prints_the_spec_json_a_table_and_a_fan(tmp_path):
    runner = CliRunner()
    fan = tmp_path / "fan.png"
    done = runner.invoke(
        app,
        [
            "forecast",
            "scenarios/people_risk.yaml",
            "--horizon",
            "13w",
            "--reps",
            "4",
            "--json",
            "--plot",
            str(fan),
        ],
    )
    assert done.exit_code == 0, done.output
    facts = json.loads(done.stdout)
    assert facts["horizon_weeks"] == 13
    for metric in ("won", "won_value"):
        assert set(facts[metric]) == {"mean", "p10", "p50", "p90"}
        assert facts[metric]["p10"] <= facts[metric]["p50"] <= facts[metric]["p90"]
    assert [m["month"] for m in facts["by_month"]] == ["2024-01", "2024-02", "2024-03"]
    assert {o["owner"] for o in facts["by_owner"]} >= {"Kim", "Lee"}
    assert fan.stat().st_size > 10_000
    table = runner.invoke(
        app, ["forecast", "scenarios/people_risk.yaml", "--horizon", "13w", "--reps", "4"]
    )
    assert table.exit_code == 0 and "by owner: Kim" in table.stdout
    wrong = runner.invoke(app, ["forecast", "scenarios/people_risk.yaml", "--horizon", "13"])
    assert wrong.exit_code == 2 and "horizon: '13' is not a duration" in wrong.output
    for horizon in ("3d", "11y"):
        with pytest.raises(ConfigError, match=r"at least a week .* at most ten years"):
            orgsim.forecast("scenarios/people_risk.yaml", horizon)
    no_png = runner.invoke(
        app, ["forecast", "scenarios/people_risk.yaml", "--plot", str(tmp_path / "fan")]
    )
    assert no_png.exit_code == 2 and "name it so (say fan.png)" in no_png.output
    found = orgsim.forecast("scenarios/people_risk.yaml", "2w", replications=2)
    with pytest.raises(ConfigError, match="one of month, origin, segment, owner"):
        found.summary("weekly")


def test_a_month_the_horizon_cuts_says_so_and_options_that_mean_nothing_are_refused():
    """Ten days from Monday 1 January: January is 10 of 31 days, in the JSON; five weeks
    cut February at 4 of its 29 days, in the frame and the table;
    --quarters without --score, --score with --against, and --against a variant that does
    not exist are errors naming the option, not quietly ignored."""
    runner = CliRunner()
    common = ["forecast", "scenarios/people_risk.yaml", "--reps", "2"]
    short = runner.invoke(app, [*common, "--horizon", "10d", "--json"])
    assert short.exit_code == 0, short.output
    assert [m["days"] for m in json.loads(short.stdout)["by_month"]] == [10]
    five = orgsim.forecast("scenarios/people_risk.yaml", "5w", replications=2).to_frame()
    parts = five[five["scope"] == "month"].groupby("key")["part"].first()
    assert parts.to_dict() == {"2024-01": "", "2024-02": "4 of 29 days"}
    table = runner.invoke(app, [*common, "--horizon", "5w"])
    assert "2024-02 (4 of" in table.stdout and "(5 weeks)" in table.stdout
    refusals = {
        "--quarters:1:1: quarters: --quarters goes with --score": ["--quarters", "3"],
        "--against:1:1: against: --score scores one variant": ["--score", "--against", "x"],
        "--against:1:1: against: no variant 'plan'": ["--against", "plan"],
    }
    for message, options in refusals.items():
        refused = runner.invoke(app, [*common, *options])
        assert refused.exit_code == 2 and message in refused.output, refused.output
    one = ["--reps", "1", "--horizon", "2w", "--against", "best_two_leave", "--json"]
    once = runner.invoke(app, ["forecast", "scenarios/people_risk.yaml", *one])
    assert once.exit_code == 0, once.output  # one replication: an interval it cannot give
    assert json.loads(once.stdout)["against"]["won"]["low"] is None


STEADY = """
kind: scenario
name: A steady team with its pipeline
horizon: 13w
replications: 100
seed: {seed}
market:
  kind: market
  name: m
  segments: {{all: {{deal_value: {{dist: lognormal, mean: 20000, cv: 0.6}}}}}}
  sources: {{web: {{rate: 20/week, enters: pitch, hours: always}}}}
  journey:
    pitch: {{buyer_delay: {{dist: gamma, mean: 4w, cv: 0.6}}, outcomes: {{won: 0.3}}}}
    won: {{milestone: won}}
  book:
    - {{stage: pitch, count: 80, over: 4w}}
org:
  kind: org
  name: o
  roles: {{ae: {{headcount: 6, schedule: always}}}}
  work: {{pitch: {{role: ae, effort: 10min}}}}
"""


@pytest.mark.statistical
def test_eighty_percent_of_real_quarters_land_inside_the_forecasts_band():
    """The forecast is made from one set of seeds; the 'real' quarters are 100 others,
    independent. The share of real quarters whose value won lies between the forecast's
    10th and 90th percentiles is 80% (a binomial count, 99.9%), for deals and value."""
    forecast = orgsim.forecast(orgsim.load_text(STEADY.format(seed=1)))
    actual = orgsim.forecast(orgsim.load_text(STEADY.format(seed=2)))
    band = forecast.summary().set_index("metric")
    real = actual.totals(None)
    for metric in ("won", "won_value"):
        inside = real[metric].between(band.loc[metric, "p10"], band.loc[metric, "p90"])
        assert_binomial(int(inside.sum()), len(inside), 0.8, metric, checks=2)


AGED = """
kind: scenario
name: Deals of known age
horizon: {horizon}
replications: {replications}
seed: 5
market:
  kind: market
  name: m
  segments: {{all: {{deal_value: 1000}}}}
  sources: {{web: {{rate: 1/week, enters: later, hours: always}}}}
  journey:
    pitch: {{buyer_delay: {delay}, outcomes: {{won: {won}}}}}
    later: {{buyer_delay: 1y, outcomes: {{won: 1.0}}}}
    won: {{milestone: won}}
  book: {book}
org:
  kind: org
  name: o
  roles: {{ae: {{headcount: 20, schedule: always}}}}
  work:
    pitch: {{role: ae, effort: 1min}}
    later: {{role: ae, effort: 1min}}
"""


def test_a_deal_with_an_age_falls_due_when_the_rest_of_its_delay_has_passed():
    """A 24-day stage: deals 6 days in are decided 18 days from today, deals 30 days in
    (older than the stage ever takes) at once."""
    text = AGED.format(
        horizon="8w",
        replications=2,
        delay="24d",
        won=1.0,
        book="[{stage: pitch, count: 4, age: 6d}, {stage: pitch, count: 3, age: 30d}]",
    )
    results = orgsim.simulate(orgsim.load_text(text), records=True)
    for records in results.records:
        days = np.sort(records.wins["time"]) / 24
        assert np.allclose(days[:3], 0, atol=0.01) and np.allclose(days[3:], 18, atol=0.01)
    with pytest.raises(ConfigError, match="not both"):
        orgsim.load_text(text.replace("age: 6d", "age: 6d, over: 2w"))


@pytest.mark.statistical
def test_old_deals_book_what_the_survival_curve_leaves_them():
    """With a long-tailed stage (lognormal, mean 30 days, cv 2: the longer a deal has been
    open, the less likely it closes soon), a book of 200 deals 60 days old books, within
    four weeks, 200 x 0.5 x (F(60d + 4w) - F(60d)) / (1 - F(60d)), and fresh ones
    200 x 0.5 x F(4w): both inside the replications' 99% interval (Bonferroni over two),
    the old book clearly below the fresh one."""
    from scipy import stats

    sigma = np.sqrt(np.log1p(2.0**2))
    law = stats.lognorm(sigma, scale=30 / np.sqrt(1 + 2.0**2))  # days
    expected = {
        "fresh": 100 * law.cdf(28),
        "old": 100 * (law.cdf(88) - law.cdf(60)) / law.sf(60),
    }
    won = {}
    for name, age in (("fresh", "0h"), ("old", "60d")):
        text = AGED.format(
            horizon="4w",
            replications=60,
            delay="{dist: lognormal, mean: 30d, cv: 2}",
            won=0.5,
            book=f"[{{stage: pitch, count: 200, age: {age}}}]",
        )
        won[name] = orgsim.forecast(orgsim.load_text(text)).totals(None)["won"].to_numpy()
        assert_in_interval(won[name], expected[name], f"{name} book's deals won", checks=2)
    assert expected["old"] < 0.7 * expected["fresh"]
