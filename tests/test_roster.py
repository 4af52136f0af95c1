"""Your own people (SCENARIO-SPEC 9.2): a roster of named reps, the same person with the same
luck in every design, planned departures and dated starts, per-person results.

Theory (a round-robin crew with written skills wins lambda * p * mean(s) deals a week, and
losing the two best changes it by exactly the predicted amount), exact traces of each dated
event, an identity check across designs, and errors at their line.
"""

from __future__ import annotations

import json
import re
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

import orgsim
from orgsim.cli import app
from orgsim.config import ConfigError
from orgsim.config.units import DAY, MONTH, WEEK
from orgsim.engine import compile_model, run_replication

from .conftest import ROOT
from .intervals import assert_in_interval
from .models import scenario

DEALS = """
kind: market
name: deals
segments: {all: {deal_value: 1000}}
sources: {web: {rate: 40/week, enters: pitch, hours: always}}
journey:
  pitch: {outcomes: {won: 0.3}}
  won: {milestone: won}
"""


def crew(people: str, more: str = "", routing: str = "round_robin", extra: str = "") -> str:
    """One role of AEs, always at work, whose work is short: no lead ever waits."""
    return f"""
    kind: org
    name: o
    roles:
      ae:
        schedule: always
        skill: {{dist: lognormal, mean: 1, cv: 0.3}}
        {more}
        people:
{people}
    work: {{pitch: {{role: ae, effort: 1min, routing: {routing}}}}}
    {extra}
    """


FIVE = """
          - {name: Kim, skill: 1.6}
          - {name: Lee, skill: 1.4}
          - {name: Park, skill: 1.0}
          - {name: Chen, skill: 0.6}
          - {name: Tan, skill: 0.4}
"""


# -- theory


@pytest.mark.statistical
def test_a_crew_of_written_skills_wins_at_their_mean_and_losing_the_best_two_costs_as_predicted():
    """Round robin deals each rep 1/n of the leads, so deals won a week are
    lambda * p * mean(s): 12 * mean(1.6, 1.4, 1.0, 0.6, 0.4) = 12 a week today; with Kim and
    Lee gone from t = 0 the crew is (1.0, 0.6, 0.4): 8 a week. Deals are Poisson counts of
    the same leads in both designs: the paired difference's interval holds -4 (two checks,
    each at 99.9% / 2)."""
    today = scenario(DEALS, crew(FIVE), horizon="20w", warmup="0h", replications=30, seed=5)
    gone = scenario(
        DEALS,
        crew(FIVE, extra="leaves: [{role: ae, best: 2, at: 0w}]"),
        horizon="20w",
        warmup="0h",
        replications=30,
        seed=5,
    )
    a = orgsim.simulate(today, progress=False).kpis["won_per_week"]
    b = orgsim.simulate(gone, progress=False).kpis["won_per_week"]
    assert_in_interval(a, 40 * 0.3 * 1.0, "deals a week, five named AEs", checks=2)
    assert_in_interval(b - a, 40 * 0.3 * (2.0 / 3 - 1.0), "paired change, best two gone", checks=2)


# -- the same person, the same luck


def _person_rows(records, name: str) -> dict:
    row = int(np.flatnonzero(records.reps["person"] == name)[0])
    days = records.days_off
    return {
        "left": float(records.reps["left"][row]),
        "hired": float(records.reps["hired"][row]),
        "skills": records.reps["skills"][row].tolist(),
        "days_off": sorted(days["day"][days["rep"] == row].tolist()),
    }


def test_a_named_person_keeps_their_luck_whatever_the_seat_and_the_design():
    """Kim's time to leave, tenure, drawn skill and PTO days are keyed by her name: the same
    in a design that lists the team in another order and adds two unnamed seats."""
    more = (
        "attrition: 2/year\n        tenure: {dist: exponential, mean: 12mo}\n"
        "        pto: {days_per_year: 20}"
    )
    people = "          - {name: Lee}\n          - {name: Kim}\n          - {name: Park}\n"
    reordered = "          - {name: Park}\n          - {name: Kim}\n          - {name: Lee}\n"
    one = scenario(DEALS, crew(people, more), horizon="1y", warmup="0h", replications=1)
    other = scenario(
        DEALS, crew(reordered, more + "\n        headcount: 5"), horizon="1y", warmup="0h"
    )
    a = run_replication(compile_model(one), 17, check=True)
    b = run_replication(compile_model(other), 17, check=True)
    for name in ("Kim", "Lee", "Park"):
        assert _person_rows(a, name) == _person_rows(b, name), name
    assert (b.reps["person"] == "").sum() >= 2  # the unnamed seats are there too


def test_the_same_roster_in_two_designs_gives_the_same_numbers():
    """Identity: two designs that keep the same people (one written in a roster file, one
    inline in the org) report identical KPIs, replication by replication."""
    text = (ROOT / "scenarios/people_risk.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^horizon: .*$", "horizon: 6w", text, flags=re.M)
    text = re.sub(r"^replications: .*$", "replications: 3", text, flags=re.M)
    roster = (ROOT / "configs/people/ae_team.yaml").read_text(encoding="utf-8")
    inline = "\n".join("      " + line for line in roster.splitlines() if not line.startswith("#"))
    text = text.replace(
        "variants:\n", f"variants:\n  same_people_inline:\n    people:\n{inline}\n", 1
    )
    sc = orgsim.load_text(text, directory=ROOT / "scenarios")
    comparison = orgsim.compare(sc, progress=False)
    first = next(iter(sc.variants))
    assert first == "same_people_inline"
    pd_a = comparison.results["same_people_inline"].kpis
    pd_b = comparison.results["today"].kpis
    assert pd_a.equals(pd_b)


# -- exact traces of dated events


def test_planned_departures_and_a_dated_start_happen_when_written():
    """Park leaves at 4w (seat closed), Lee at 6w with backfill (a new AE exactly 30 days
    later, at tenure 0), and Ng joins at 8w as an experienced hire (tenure 24 months), each
    counted from the end of a 1-week warm-up."""
    people = (
        "          - {name: Kim, skill: 1.2}\n"
        "          - {name: Lee, leaves: {at: 6w, backfill: true}}\n"
        "          - {name: Park, leaves: 4w}\n"
        "          - {name: Ng, joins: 8w, tenure: 24mo}\n"
    )
    more = "backfill: {delay: 30d}"
    sc = scenario(DEALS, crew(people, more), horizon="20w", warmup="1w", replications=1)
    records = run_replication(compile_model(sc), 3, check=True)
    reps, w = records.reps, 1 * WEEK
    row = {name: int(np.flatnonzero(reps["person"] == name)[0]) for name in ("Lee", "Park", "Ng")}
    assert reps["left"][row["Park"]] == w + 4 * WEEK
    assert reps["left"][row["Lee"]] == w + 6 * WEEK
    assert reps["since"][row["Ng"]] == w + 8 * WEEK
    assert reps["hired"][row["Ng"]] == pytest.approx(w + 8 * WEEK - 24 * MONTH)
    backfill = np.flatnonzero(reps["joined"] & (reps["person"] == ""))
    assert reps["since"][backfill].tolist() == [w + 6 * WEEK + 30 * DAY]
    assert reps["skills"][row["Lee"]][0] != 1.2  # drawn, keyed by the name
    assert len(reps["person"]) == 5  # Kim, Lee, Park, Ng and Lee's replacement


# -- per-person results


def test_run_by_person_shows_each_named_rep_and_json_carries_them(tmp_path):
    path = tmp_path / "s.yaml"
    text = (ROOT / "scenarios/people_risk.yaml").read_text(encoding="utf-8")
    text = text.replace("../configs", str(ROOT / "configs"))
    path.write_text(re.sub(r"^horizon: .*$", "horizon: 4w", text, flags=re.M))
    shown = CliRunner().invoke(app, ["run", str(path), "-n", "2", "--by", "person"])
    assert shown.exit_code == 0, shown.output
    assert "Your people over the 4-week horizon" in shown.output
    for name in ("Kim", "Lee", "Park", "Chen", "Garcia", "Novak", "Okafor", "Silva", "Tan"):
        assert re.search(rf"│ {name} +│ ae +│", shown.output), name
    printed = CliRunner().invoke(app, ["run", str(path), "-n", "2", "--json"])
    people = json.loads(printed.output)["people"]
    assert [p["person"] for p in people][:2] == ["Kim", "Lee"]
    assert all(0 <= p["won_low"] <= p["won"] <= p["won_high"] for p in people)
    results = orgsim.simulate(orgsim.load(path), replications=2, progress=False)
    assert results.people()["won"].sum() == pytest.approx(results.kpis["won"].mean())


def test_by_person_without_a_roster_says_how_to_name_people():
    shown = CliRunner().invoke(
        app, ["run", str(ROOT / "scenarios/smb_velocity.yaml"), "-n", "1", "--by", "person"]
    )
    assert shown.exit_code == 0 and "no named people in this design" in shown.output


# -- errors at their line


def test_roster_mistakes_are_errors_at_their_lines():
    people = (
        "          - {name: Kim, skill: {pitch: 1.2, demo: 1.1}}\n"
        "          - {name: Kim}\n"
        "          - {name: Lee, pod: west}\n"
        "          - {name: Park, joins: 8w, leaves: 4w}\n"
        "          - {name: Ng, leaves: {at: 2w, backfill: true}}\n"
    )
    org_text = crew(
        people,
        "headcount: 2",
        extra="leaves: [{role: ae, names: [Nobody], at: 1w}, {role: ae, best: 5, at: 1w}]",
    )
    with pytest.raises(ConfigError) as error:
        scenario(DEALS, org_text)
    said = str(error.value)
    for expected in (
        "roles.ae.people.0.skill.demo: ae does not work 'demo' (it works: pitch)",
        "roles.ae.people.1.name: 'Kim' is named twice (also at roles.ae.people.0)",
        "roles.ae.people.2.pod: no pod 'west' has ae (ae has no pods)",
        "roles.ae.people.3.leaves: Park leaves before joining",
        "roles.ae.people.4.leaves: ae has no backfill: give the role one",
        "roles.ae.headcount: 4 people are named at t = 0 but headcount is 2",
        "leaves.0.names.0: no one called 'Nobody' in ae's people",
        "leaves.1.best: ae has 1 person with a written skill at t = 0",
    ):
        assert expected in said, (expected, said)
    assert all(re.match(r"^<[^>]+>:\d+:\d+: ", line) for line in said.splitlines()), said


def test_a_roster_file_for_a_role_the_org_lacks_is_an_error_in_the_roster(tmp_path):
    (tmp_path / "people.yaml").write_text(
        "kind: people\nroles:\n  ae:\n    - {name: Kim}\n  closer:\n    - {name: Lee}\n"
    )
    text = (ROOT / "scenarios/people_risk.yaml").read_text(encoding="utf-8")
    text = text.replace("../configs/people/ae_team.yaml", str(tmp_path / "people.yaml"))
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("../configs", str(ROOT / "configs")))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'people.yaml'}:5:3: roles.closer: the org has no role 'closer'" in (
        result.output
    )
    alone = CliRunner().invoke(app, ["validate", str(tmp_path / "people.yaml")])
    assert alone.exit_code == 0 and "2 named people in 2 roles" in alone.output
    (tmp_path / "twice.yaml").write_text("kind: people\nroles:\n  ae:\n    - {name: Kim}\n"
                                         "  sdr:\n    - {name: Kim}\n")  # fmt: skip
    twice = CliRunner().invoke(app, ["validate", str(tmp_path / "twice.yaml")])
    assert twice.exit_code == 2
    assert "twice.yaml:6:14: roles.sdr.0.name: 'Kim' is named twice (also at roles.ae.0)" in (
        twice.output
    )


@pytest.mark.slow
def test_the_report_puts_each_named_person_side_by_side_across_designs(tmp_path):
    text = (ROOT / "scenarios/people_risk.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^horizon: .*$", "horizon: 4w", text, flags=re.M)
    sc = orgsim.load_text(text, directory=ROOT / "scenarios")
    page = orgsim.compare(sc, replications=2, progress=False).report_html()
    table = page[page.index('<table id="people">') :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr><td>(\w+)</td><td>ae</td>", table)
    assert sorted(rows) == sorted(
        ["Kim", "Lee", "Park", "Chen", "Garcia", "Novak", "Okafor", "Silva", "Tan"]
    )
    assert table.count("deals<br>") == 9 * len(sc.variants)
    plain = orgsim.load(ROOT / "scenarios/smb_velocity.yaml").only("today")
    assert 'id="people"' not in orgsim.compare(plain, replications=1, progress=False).report_html()


SWITCH = """
kind: org
name: split
roles:
  sdr: {headcount: 1, schedule: always}
  ae: {headcount: 2, schedule: always}
work:
  pitch: {role: ae, effort: 1min}
"""


def _switching(people: str, moves: str) -> orgsim.Scenario:
    """Today's crew as role `rep` with `people`, and a variant that splits it at week 3."""
    extra = f"""
variants:
  split:
    transition:
      at: 3w
      org:
{textwrap.indent(textwrap.dedent(SWITCH).strip(), "        ")}
      moves: {moves}
"""
    org_text = crew(people).replace("ae", "rep")
    return scenario(DEALS, org_text, horizon="6w", warmup="0h", replications=1, extra=extra)


def test_a_named_move_takes_that_person_before_the_counted_moves():
    """At the switch (week 3) Lee moves to sdr by name; the counted move then takes the
    first two people left in seat order, Kim and Park, to ae. Each new row carries the
    person's name and skill, and Lee's draws stay keyed by her name in the new role."""
    people = (
        "          - {name: Kim, skill: 1.5}\n"
        "          - {name: Lee, skill: 0.5}\n"
        "          - {name: Park, skill: 1.0}\n"
    )
    sc = _switching(people, "{Lee: sdr, rep: {ae: 2}}")
    records = run_replication(compile_model(sc, "split"), 5, check=True)
    reps, roles = records.reps, compile_model(sc, "split").roles
    after = {
        str(reps["person"][i]): roles[int(reps["role"][i])].name
        for i in np.flatnonzero(reps["before"] >= 0)
    }
    assert after == {"Lee": "sdr", "Kim": "ae", "Park": "ae"}
    for i in np.flatnonzero(reps["before"] >= 0):
        assert (reps["skills"][i] == reps["skills"][reps["before"][i]]).all()
        assert reps["since"][i] == 3 * WEEK


@pytest.mark.parametrize(
    ("moves", "message"),
    [
        ("{Nobody: sdr, rep: {ae: 2}}", "moves.Nobody: no one called 'Nobody' in today's people"),
        ("{Lee: rep}", "moves.Lee: the new org has no role 'rep'"),
    ],
)
def test_a_named_move_of_someone_unknown_or_to_nowhere_is_an_error(moves, message):
    people = "          - {name: Kim}\n          - {name: Lee}\n          - {name: Park}\n"
    with pytest.raises(ConfigError, match=re.escape(message)):
        _switching(people, moves)


# -- where the interval comes from


def test_with_every_seat_named_the_team_draw_explains_none_of_the_interval():
    """A team of named people with written skills is the same team in every replication:
    holding it changes nothing, so the held run equals the usual one replication by
    replication and the team draw's share is exactly 0."""
    from orgsim.experiment.team_draw import where_from

    extra = "variants:\n  today: {}\n  best_two_leave:\n    set:\n      org.leaves: "
    extra += "[{role: ae, best: 2, at: 2w}]\n"
    sc = scenario(DEALS, crew(FIVE, routing="least_loaded"), horizon="8w", warmup="0h",
                  replications=6, extra=extra)  # fmt: skip
    drawn = orgsim.compare(sc, progress=False)
    held = orgsim.compare(sc, hold_team=True, progress=False)
    for name in sc.variants:
        assert drawn.results[name].kpis.equals(held.results[name].kpis)
    (share,) = where_from(sc, "won_per_week", progress=False)
    assert share.share == 0.0 and share.drawn == share.held and share.low == 0.0


def test_holding_the_team_keeps_one_drawn_team_in_every_replication():
    """With hold_team, the unnamed reps' drawn skills are the same in every replication
    (and differ between replications without it)."""
    sc = scenario(DEALS, crew("          - {name: Kim, skill: 1.2}\n", "headcount: 4"),
                  horizon="2w", warmup="0h", replications=3)  # fmt: skip
    for hold, same in ((True, True), (False, False)):
        reps = orgsim.compare(sc, hold_team=hold, progress=False).results["base"].reps
        unnamed = reps[reps["person"] == ""].groupby("replication")["skill"].apply(tuple)
        assert (unnamed.nunique() == 1) is same


def test_a_roster_file_is_the_same_people_in_the_org_a_transition_switches_to():
    """A scenario's roster applies to the org switched to as well (found by a new-user
    pass: the switch was refused, 'ae keeps its definition', blaming the shipped org file).
    Kim moves by name at week 2; her one row reads `ae → sales_manager`."""
    text = (ROOT / "scenarios/people_risk.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^horizon: .*$", "horizon: 4w", text, flags=re.M)
    text = text.replace(
        "variants:\n",
        "variants:\n  kim_manages:\n    transition:\n      at: 2w\n"
        "      org: ../configs/orgs/process_stage.yaml\n      moves: {Kim: sales_manager}\n",
        1,
    )
    sc = orgsim.load_text(text, directory=ROOT / "scenarios")
    people = orgsim.simulate(sc, replications=2, variant="kim_manages", progress=False).people()
    roles = dict(zip(people["person"], people["role"], strict=True))
    assert roles["Kim"] == "ae → sales_manager" and roles["Lee"] == "ae"
    assert (people["utilization_high"].dropna() <= 1.0).all()
