"""Reports speak the planner's language: labels before names, durations in the unit people
use, true minus signs, differences in their own unit, intervals a reader can believe, and a
scorecard per team."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

import orgsim
from orgsim.cli import app
from orgsim.config import kpis as catalogue
from orgsim.config import scorecard
from orgsim.config import targets as target_rules
from orgsim.config.units import YEAR
from orgsim.report import format as fmt

from .conftest import ROOT

SCENARIO = str(ROOT / "scenarios/reorg_sdr_split.yaml")


def test_every_kpi_a_scenario_reports_has_a_label_of_its_own():
    names = set()
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        scenario = orgsim.load(path)
        names |= set(catalogue.names_across(scenario.variants.values(), scenario.horizon))
    assert names
    for name in names:
        label = catalogue.info(name).label
        parts = name.split(".")
        words = label.replace(parts[1], "") if len(parts) > 2 else label  # stage, role, source
        assert label != name and "_" not in words, (name, label)
    assert catalogue.info("stage.mql.conversion.sql").label == "mql → sql"
    assert catalogue.info("quarter.4.won_per_week").label == "New customers per week, quarter 4"


@pytest.mark.parametrize(
    ("hours", "text"),
    [(0.4, "24 min"), (3.44, "3.4 h"), (47.9, "47.9 h"), (1046.5, "43.6 d"), (-72, "−3.0 d")],
)
def test_durations_read_in_minutes_hours_or_days(hours, text):
    assert fmt.number(hours, "hours") == text


def test_negative_numbers_carry_a_true_minus_and_a_zero_no_sign():
    assert fmt.number(-5.5, "count") == "−5.5"
    assert fmt.number(-1250, "money") == "−1,250"
    assert fmt.kpi_difference("won", -3) == "−3.0"
    assert fmt.kpi_difference("sla.mql.attainment", -0.012) == "−1.2 pp"
    assert "-" not in fmt.kpi_plus_minus("cycle_time_mean", -100, -150, -50, signed=True)
    # a change too small to show is neither a gain nor a loss
    assert fmt.kpi_difference("won", -0.0001) == "0.0"
    assert fmt.kpi_difference("sla.mql.attainment", -0.0001) == "0.0 pp"
    assert fmt.kpi_difference_interval("cost.marketing", 0.0, 0.0) == "0 to 0"


def test_a_difference_and_its_interval_share_its_unit():
    assert fmt.kpi_difference_interval("sla.mql.attainment", -0.03, 0.01) == "−3.0 to +1.0 pp"
    assert fmt.kpi_difference_interval("cycle_time_mean", -72, -10) == "−3.0 d to −0.4 d"
    # a mean and its spread in one unit, the larger one's
    assert fmt.kpi_plus_minus("stage.mql.wait_mean", 21.3, -437.7, 480.3, signed=True) == (
        "+0.9 d ±19.1"
    )


def test_intervals_shown_stay_inside_what_a_kpi_can_be():
    assert fmt.kpi_interval("role.am.utilization", 0.485, 1.035) == "48.5% – 100.0%"
    assert fmt.kpi_interval("won", -3, 10) == "0.0 – 10.0"
    assert fmt.kpi_interval("nrr", 0.9, 1.1) == "90.0% – 110.0%"  # NRR may exceed 100%
    low, high = catalogue.possible("role.sdr.backlog_growth")
    assert low == -math.inf and high == math.inf


def test_targets_and_margins_in_words():
    assert fmt.target("sla.mql.attainment", 0.8, None) == "mql: SLA met at least 80.0%"
    assert fmt.target("cost_per_won", None, 14500) == "cost per new customer at most 14,500"
    assert fmt.target("cac", None, 9000) == "CAC at most 9,000"
    assert fmt.margin("sla.mql.attainment", 0.81, 0.8, None) == "1.0 pp above"
    assert fmt.margin("sla.mql.attainment", 0.81, 0.8, None, met=False) == (
        "1.0 pp above, not surely"
    )
    assert fmt.margin("cost_per_won", 16215, None, 14500, met=False) == "1,715 over"
    # a mean past the target whose interval crosses it is not a miss: it is not sure yet
    assert target_rules.verdict(2.66, 2.5, None, is_met=True) == "met"
    assert target_rules.verdict(2.66, 2.5, None, is_met=False) == "not sure"
    assert target_rules.verdict(2.4, 2.5, None, is_met=False) == "missed"
    assert target_rules.verdict(16215, None, 14500, is_met=False) == "missed"


def test_a_difference_of_rounding_shows_as_none():
    """Two designs with the same NRR differ by 4e-14 in the sums: that is not a change."""
    assert fmt.kpi_difference_interval("nrr", -4e-14, 3e-14) == "0.0 to 0.0 pp"
    assert fmt.kpi_difference_interval("nrr", -0.0004, -0.00005) == "−0.04 to −0.005 pp"


def test_the_scorecard_gives_each_team_what_it_answers_for():
    scenario = orgsim.load(SCENARIO)
    variants = list(scenario.variants.values())
    names = catalogue.names_across(variants, scenario.horizon)
    owned = scorecard.owners([v.org for v in variants])
    owned["first_touch"] = scorecard.first_touch(variants[0].market)
    cards = dict(scorecard.by_team(names, owned, keep=["stage.mql.entered"]))
    assert list(cards) == ["marketing", "sales", "customer_success", catalogue.WHOLE_ORG]
    assert {"leads", "lead_to_customer", "cost.marketing"} <= set(cards["marketing"])
    # a role's KPI goes to the role's team; a stage's to the team of the role that works it
    assert {"role.sdr.utilization", "role.ae.utilization", "sla.mql.attainment"} <= set(
        cards["sales"]
    )
    assert {"role.csm.utilization", "logo_retention", "nrr"} <= set(cards["customer_success"])
    assert cards[catalogue.WHOLE_ORG] == ["cost", "cost_per_won"]
    # a target is shown even where the scorecard would leave it out; queues are detail
    assert "stage.mql.entered" in cards["sales"] and "stage.mql.wait_mean" in cards["sales"]
    assert "role.sdr.queue_mean" not in {n for card in cards.values() for n in card}
    every = dict(scorecard.by_team(names, owned, every=True))
    assert sorted(n for card in every.values() for n in card) == sorted(names)


def test_speed_to_lead_belongs_to_whoever_first_touches_new_leads():
    owned = {
        "teams": {"mops": "marketing", "ae": "sales"},
        "worked_by": {"mql": "mops", "sql": "ae"},
        "first_touch": {"speed_to_lead": "mql"},
    }
    names = ["speed_to_lead_p50", "sla.mql.attainment", "stage.sql.wait_mean", "won"]
    cards = dict(scorecard.by_team(names, owned))
    assert cards["marketing"] == ["speed_to_lead_p50", "sla.mql.attainment"]
    assert cards["sales"] == ["won", "stage.sql.wait_mean"]


def test_run_by_team_prints_a_scorecard_with_labels():
    result = CliRunner().invoke(
        app, ["run", SCENARIO, "-n", "2", "--by", "team", "--variant", "process_stage"]
    )
    assert result.exit_code == 0, result.output
    for heading in ("marketing (money in USD)", "sales", "customer success", "whole org"):
        assert heading in result.output
    assert "SLA met · sla.mql.attainment" in result.output
    assert " d " in result.output  # the sales cycle in days


def test_the_cycle_time_legend_counts_deals_a_year():
    scenario = orgsim.load(SCENARIO).with_run(replications=2)
    results = orgsim.simulate(scenario, variant="functional", progress=False)
    legend = results.plot("cycle_time").axes[0].get_legend().get_texts()[0].get_text()
    per_year = len(results.details["cycle_times"]) / 2 / (scenario.horizon / YEAR)
    assert f"about {per_year:,.0f} deals a year" in legend


def test_the_scorecard_teams_are_the_ones_a_role_may_name():
    from orgsim.config.schema import TEAMS

    owners = {family.team for family in catalogue.FAMILIES.values()} - {None}
    assert owners == {*TEAMS, catalogue.WHOLE_ORG}


def _scenario_with(tmp_path, old: str, new: str):
    text = (ROOT / "scenarios/reorg_sdr_split.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = tmp_path / "scenarios" / "s.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace(old, new).replace("../configs", str(ROOT / "configs")))
    return path, text[: text.index(old)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("{min: 0.8}", "{min: 80}", "never below 0 or above 1 (a share: write 0.8 for 80%)"),
        ("{max: 14500}", "{max: 4h}", "'4h' is a duration, but cost_per_won is not counted"),
    ],
)
def test_a_target_a_kpi_can_never_meet_is_an_error_at_its_line(old, new, says, tmp_path):
    path, line = _scenario_with(tmp_path, old, new)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"s.yaml:{line}:" in result.output and says in result.output, result.output


def test_a_wait_target_may_be_written_as_a_duration(tmp_path):
    path, _ = _scenario_with(
        tmp_path, "  cost_per_won: {max: 14500}", "  stage.sql.wait_mean: {max: 1d}"
    )
    scenario = orgsim.load(path)
    assert scenario.targets["stage.sql.wait_mean"].max == 24.0
    assert target_rules.from_text(["stage.sql.wait_mean<=90min"]) == {
        "stage.sql.wait_mean": {"max": "90min"}
    }


def test_a_report_rebuilt_from_run_out_judges_the_targets(tmp_path):
    out = tmp_path / "run"
    assert CliRunner().invoke(app, ["run", SCENARIO, "-n", "2", "--out", str(out)]).exit_code == 0
    result = CliRunner().invoke(app, ["report", str(out), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "r.html").read_text()
    assert 'id="targets"' in page and "no targets were set" not in page


def test_targets_from_python_get_the_errors_the_yaml_gets():
    # `orgsim.plan(targets=...)` once took {"min": "3d"} on a weekly count as 72 a week
    from orgsim.config.errors import ConfigError

    scenario = orgsim.load(SCENARIO)
    bad = {
        "won_per_week": {"min": "3d"},
        "sla.mql.attainment": {"min": 80},
        "mql_to_sql": {"min": 0.3},
        "cost_per_won": {},
    }
    with pytest.raises(ConfigError) as caught:
        orgsim.plan(scenario, targets=bad, replications=2)
    said = "\n".join(map(str, caught.value.problems))
    assert "targets.won_per_week.min: '3d' is a duration, but won_per_week is not counted" in said
    assert "(a share: write 0.8 for 80%)" in said
    assert "did you mean 'stage.mql.conversion.sql'?" in said
    assert "targets.cost_per_won: a target needs min, max or both" in said
