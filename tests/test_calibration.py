"""Your own history (SCENARIO-SPEC 9.3): the event log out, a CRM export in, calibration.

The proof is a round trip: simulate a market whose numbers are known, export its event log,
calibrate from it, and check that each true number lies inside its 95% interval about as
often as the level says (a binomial count over 100 seeds), and that the team's fitted skill
spread matches the spread the simulation drew. Messy exports are checked oddity by oddity
(each counted, nothing dropped unnamed) and bad ones give errors at the row.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import orgsim
from orgsim.cli import app
from orgsim.config import ConfigError
from orgsim.history.calibrate import calibrate, people_text
from orgsim.history.estimate import aalen_johansen, durations
from orgsim.history.export import read
from orgsim.history.mapping import load_mapping
from orgsim.measure.events import COLUMNS

from .conftest import ROOT, needs
from .intervals import assert_binomial

TRUTH = """
kind: scenario
name: Round trip
horizon: 52w
replications: {replications}
seed: 11
market:
  kind: market
  name: Known truth
  segments:
    smb: {{deal_value: {{dist: lognormal, mean: 10000, cv: 0.5}}}}
  sources:
    inbound: {{rate: 40/week, enters: qualify}}
  journey:
    qualify:
      outcomes: {{deal: 0.4}}
      buyer_delay: {{dist: gamma, mean: 3d, cv: 0.5}}
    deal:
      outcomes: {{won: 0.3}}
      buyer_delay: {{dist: gamma, mean: 20d, cv: 0.6}}
    won: {{milestone: won}}
org:
  kind: org
  name: Always on, never a queue
  roles:
    rep: {{headcount: 8, schedule: always, skill: {skill}}}
  work:
    qualify: {{role: rep, effort: 5min, routing: round_robin}}
    deal: {{role: rep, effort: 5min, routing: round_robin}}
"""
EFFORT = 5 / 60
KNOWN = {
    # the time in a stage is the rep's 5-minute touch, then the buyer's delay (no queue)
    "sources.inbound.rate": 40.0,
    "journey.qualify.outcomes.deal": 0.4,
    "journey.deal.outcomes.won": 0.3,
    "journey.qualify.buyer_delay.mean": 72 + EFFORT,
    "journey.deal.buyer_delay.mean": 480 + EFFORT,
    "segments.smb.deal_value.mean": 10000.0,
}


def truth(replications: int, skill: str = "{dist: lognormal, mean: 1.0, cv: 0.3}"):
    text = TRUTH.format(replications=replications, skill=skill)
    return orgsim.simulate(orgsim.load_text(text), records=True)


def exports(results, folder) -> list:
    """Each replication's event log as its own CSV export: one history per seed."""
    paths = []
    for r, log in results.events().groupby("replication"):
        path = folder / f"history_{r}.csv"
        log.to_csv(path, index=False)
        paths.append(path)
    return paths


@pytest.mark.statistical
def test_round_trip_recovers_each_known_number_with_nominal_coverage(tmp_path):
    results = truth(100)
    covered = dict.fromkeys(KNOWN, 0)
    excess = []  # per seed and stage: fitted skill variance minus the variance drawn
    for r, path in enumerate(exports(results, tmp_path)):
        found = calibrate([path], "orgsim_events")
        estimates = {e.name: e for e in found.estimates}
        for name, true in KNOWN.items():
            covered[name] += estimates[name].low <= true <= estimates[name].high
        drawn = results.records[r].reps["skills"]  # one column per stage (one segment)
        excess.append(
            [
                found.skill_spread[s] ** 2 - np.var(drawn[:, i] / drawn[:, i].mean())
                for i, s in enumerate(("qualify", "deal"))
            ]
        )
    for name, k in covered.items():
        assert_binomial(k, 100, 0.95, f"{name}: 95% intervals covering the truth", checks=6)
    excess = np.array(excess)
    half = 3.29 * excess.std(axis=0, ddof=1) / np.sqrt(len(excess))  # 99.9% on each stage
    assert (np.abs(excess.mean(axis=0)) <= half).all(), (excess.mean(axis=0), half)


@pytest.mark.statistical
def test_an_equal_team_calibrates_to_a_skill_spread_near_zero(tmp_path):
    results = truth(20, skill="1.0")
    spreads = [calibrate([p], "orgsim_events").skill_spread for p in exports(results, tmp_path)]
    squares = np.array([[s["qualify"] ** 2, s["deal"] ** 2] for s in spreads])
    # a team whose skill spreads by 0.3 shows a variance of about 0.09: an equal one, noise
    assert squares.mean() < 0.1 * 0.3**2, squares.mean(axis=0)


def test_censored_visits_do_not_bias_the_share_that_wins():
    """Won deals take ten times longer than lost ones and one in seven is still open:
    counting won over closed undercounts the winners; Aalen-Johansen recovers the written
    50%. (Censoring reaches past nearly every deal's time: beyond it no method can tell.)"""
    rng = np.random.default_rng(5)
    n = 20_000
    won = rng.random(n) < 0.5
    hours = np.where(won, rng.exponential(10, n), rng.exponential(1, n))
    open_at = rng.uniform(0, 40, n)
    decided = hours <= open_at
    seen = np.minimum(hours, open_at)
    to = np.where(won, "won", "lost")
    naive = (won & decided).sum() / decided.sum()
    share = aalen_johansen(seen, decided, to)["won"]
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / decided.sum())
    assert naive < 0.5 - 8 * np.sqrt(0.25 / decided.sum())


def test_the_event_log_has_one_row_per_visit_and_end_in_pm4py_names(tmp_path):
    results = truth(2)
    log = results.events()
    visits = results.visits
    ends = visits["next"].isin(["lost", "leaked", "churned"]).sum()
    assert len(log) == len(visits) + ends
    assert list(log.columns) == [*COLUMNS, "replication"]
    # cases never span replications; within a case, time runs forward
    assert log.groupby("case:concept:name")["replication"].nunique().max() == 1
    ordered = log.groupby("case:concept:name")["start_timestamp"].apply(
        lambda t: t.is_monotonic_increasing
    )
    assert ordered.all()
    still = log["lifecycle:transition"] == "start"
    assert (log.loc[still, "time:timestamp"] == log.loc[still, "start_timestamp"]).all()
    assert log["time:timestamp"].max() <= pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=52)
    worked = log["concept:name"].isin(["qualify", "deal"])
    assert log.loc[worked, "org:resource"].str.fullmatch(r"rep-\d").all()


def test_pm4py_reads_the_event_log_and_its_dfg_times_match_the_configured_delays(tmp_path):
    pm4py = needs("pm4py")
    results = truth(1)
    log = results.events()
    events = pm4py.format_dataframe(
        log,
        case_id="case:concept:name",
        activity_key="concept:name",
        timestamp_key="time:timestamp",
    )
    assert events["case:concept:name"].nunique() == len(results.cases)
    assert len(events) == len(log)
    # with start_timestamp pm4py's edge is the idle time between stages (none: a lead enters
    # deal as it leaves qualify); without it, the time from leaving qualify to leaving deal,
    # which is one visit of deal: the rep's touch and the buyer's gamma delay (mean 20 days,
    # cv 0.6). Cases that reach deal by week 30 have all decided by week 52 (22 weeks is
    # over 7 means).
    assert pm4py.discover_performance_dfg(events)[0][("qualify", "deal")]["mean"] == 0
    early = log.loc[
        (log["concept:name"] == "deal") & (log["start_timestamp"] < pd.Timestamp("2024-07-29")),
        "case:concept:name",
    ]
    assert (
        log.loc[log["case:concept:name"].isin(early), "lifecycle:transition"] == "complete"
    ).all()
    chosen = events[events["case:concept:name"].isin(early)].drop(columns="start_timestamp")
    edge = pm4py.discover_performance_dfg(chosen)[0][("qualify", "deal")]
    se = 480 * 0.6 / np.sqrt(len(early)) * 3600
    assert abs(edge["mean"] - (480 + EFFORT) * 3600) < 3.29 * se


def test_run_writes_the_event_log_where_asked_and_calibrate_reads_it_back(tmp_path, write):
    scenario = write("truth.yaml", TRUTH.format(replications=1, skill="1.0"))
    runner = CliRunner()
    done = runner.invoke(app, ["run", str(scenario), "--events", str(tmp_path / "log.csv")])
    assert done.exit_code == 0, done.output
    wrong = runner.invoke(app, ["run", str(scenario), "--events", str(tmp_path / "log.yaml")])
    assert wrong.exit_code == 2 and "log.yaml" in wrong.output and ".csv" in wrong.output
    out = tmp_path / "calibrated"
    done = runner.invoke(
        app,
        [
            "calibrate",
            str(tmp_path / "log.csv"),
            "--mapping",
            "orgsim_events",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert done.exit_code == 0, done.output
    facts = json.loads(done.stdout)
    names = {e["name"] for e in facts["estimates"]}
    assert set(KNOWN) <= names
    assert {"people.rep.rep-0.skill.qualify", "people.rep.rep-7.skill.deal"} <= names
    parquet = tmp_path / "log.parquet"
    assert runner.invoke(app, ["run", str(scenario), "--events", str(parquet)]).exit_code == 0
    from_parquet = calibrate([parquet], "orgsim_events").to_frame()
    from_csv = calibrate([tmp_path / "log.csv"], "orgsim_events").to_frame()
    assert np.allclose(from_parquet["value"], from_csv["value"])
    calibrated = orgsim.load(out / "scenario.yaml")
    run = orgsim.simulate(calibrated, replications=1)
    assert run.summary(raw=True).loc["leads", "mean"] > 0
    people = calibrated.variant().org.roles["rep"].people
    assert sorted(p.name for p in people) == [f"rep-{i}" for i in range(8)]


MAVEN = """\
opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,close_value
A1,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054
A1,Moses Frase,GTX Plus Basic,Cancity,Won,2016-10-20,2017-03-01,1054
A2,Darcel Schlecht,GTXPro,Isdom,Lost,2016-10-25,2017-03-11,0
A3,Darcel Schlecht,MG Special,Cancity,Engaging,2016-11-02,,
A4,Zane Levy,GTX Basic,Codehow,Won,2016-11-05,2017-03-09,
A5,Zane Levy,GTX Basic,Codehow,Won,2016-12-05,2016-11-09,500
A6,Moses Frase,GTXPro,Isdom,Lost,2016-12-07,,0
A7,,GTX Basic,Isdom,Prospecting,,,
A8,Moses Frase,GTX Basic,Isdom,Won,2017-01-05,2017-02-09,600
"""


def test_a_messy_record_table_names_each_oddity_with_its_count(tmp_path, write):
    export = write("pipeline.csv", MAVEN)
    history = read([export], load_mapping("crm_sales_pipeline"))
    said = {o.what: o.count for o in history.oddities}
    assert said["duplicate rows"] == 1
    assert said["rows without created_at"] == 1  # A7: prospecting, no date yet
    assert said["closed records without a close date"] == 1  # A6
    assert said["records closed before they were created"] == 1  # A5
    assert said["records without an amount"] == 2  # A3 open, A4 won
    assert any(w.startswith("segment labels renamed") for w in said)  # 'GTX Plus Basic'
    # nothing unnamed: every row read is a visit, or counted where it was set aside
    set_aside = sum(said[w] for w in said if w.startswith(("duplicate", "rows without")))
    set_aside += said["closed records without a close date"]
    set_aside += said["records closed before they were created"]
    assert len(history.visits) + set_aside == history.rows == 9
    assert sorted(history.visits["next"]) == ["", "lost", "won", "won", "won"]
    garbled = read(
        [write("tbd.csv", MAVEN.replace(",600\n", ",TBD\n"))], load_mapping("crm_sales_pipeline")
    )
    named = [o for o in garbled.oddities if o.what == "amounts that are not numbers"]
    assert len(named) == 1 and named[0].count == 1 and named[0].examples == ("line 10",)


STAGES = """\
deal,stage,entered,rep
D1,Discovery,2024-01-02,Ann
D1,Demo,2024-01-09,Ann
D1,Discovery,2024-01-12,Ann
D1,Demo,2024-01-20,Ann
D1,Closed Won,2024-02-01,Ann
D1,Demo,2024-03-01,Ann
D2,Discovery,2024-01-03,Bo
D2,Closed Lost,2024-01-05,Bo
D3,Demo,2024-01-04,Bo
D3,Closed Won,2024-01-30,Bo
D4,Discovery,2024-02-01,Bo
"""
STAGES_MAPPING = """
kind: mapping
shape: stages
columns: {record_id: deal, stage: stage, entered_at: entered, owner: rep}
stages: {Discovery: discovery, Demo: demo, Closed Won: won, Closed Lost: lost}
"""


def test_a_messy_stage_history_counts_loops_reopened_deals_and_late_starts(write):
    history = read([write("h.csv", STAGES)], load_mapping(write("m.yaml", STAGES_MAPPING)))
    said = {o.what: o.count for o in history.oddities}
    assert said["moves back to an earlier stage"] == 1  # D1 demo -> discovery
    assert said["rows after a record was won or lost (reopened, or stages after the sale)"] == 1
    assert (
        said["records first seen past their source's first stage (created before the history)"] == 1
    )
    assert history.records.set_index("record")["new"].to_dict() == {
        "D1": True,
        "D2": True,
        "D3": False,
        "D4": True,
    }
    d1 = history.visits[history.visits["record"] == "D1"]
    assert list(d1["next"]) == ["demo", "discovery", "demo", "won"]
    _, decided = durations(history.visits, history.snapshot)
    assert decided.sum() == len(history.visits) - 1  # D4 is open at the snapshot


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("engage_date,", "created,"), "columns.created_at: the file has no column 'engage_date'"),
        (("2016-10-25", "10/25/2016"), ":4:1: created_at: '10/25/2016' is not a date in ISO 8601"),
        (("Engaging", "Negotiating"), ":5:1: stage: stage value 'Negotiating' (1 row) is not"),
    ],
)
def test_a_bad_export_is_an_error_at_its_row(write, change, expected):
    export = write("pipeline.csv", MAVEN.replace(*change))
    result = CliRunner().invoke(app, ["calibrate", str(export), "--mapping", "crm_sales_pipeline"])
    assert result.exit_code == 2
    assert expected in result.output, result.output
    assert "Traceback" not in result.output


def test_an_empty_or_undecided_export_says_what_to_do(write):
    mapping = load_mapping("crm_sales_pipeline")
    header = MAVEN.splitlines()[0] + "\n"
    with pytest.raises(ConfigError, match="has no rows"):
        calibrate([write("empty.csv", header)], mapping)
    open_only = header + "A3,Dee,GTX,Acme,Engaging,2016-11-02,,\n"
    with pytest.raises(ConfigError, match="no record is closed"):
        calibrate([write("open.csv", open_only)], mapping)
    with pytest.raises(ConfigError, match="shipped mappings are"):
        calibrate([write("x.csv", header)], "no_such_mapping")


def test_a_mapping_names_what_it_lacks(write):
    bad = textwrap.dedent(STAGES_MAPPING).replace("entered_at: entered, ", "")
    with pytest.raises(ConfigError, match=r"columns\.entered_at"):
        load_mapping(write("m.yaml", bad))


@pytest.mark.statistical
def test_a_backtest_of_the_calibrated_model_covers_its_history_and_catches_a_wrong_one(
    tmp_path,
):
    """Three histories, each calibrated and replayed: each covers its 36 month-checks
    (created, won, value won) as a 95% band should, the count no lower than a binomial's
    0.1% quantile (Bonferroni over three). A market whose volume is half again too high is
    caught: most of its months of new leads fall outside."""
    from scipy import stats

    from orgsim.history.backtest import backtest

    results = truth(3)
    least = stats.binom.ppf(0.001 / 3, 36, 0.95)
    for r, path in enumerate(exports(results, tmp_path)):
        folder = tmp_path / f"calibrated_{r}"
        calibrate([path], "orgsim_events").save(folder)
        replayed = backtest(folder / "scenario.yaml", [path], "orgsim_events", replications=40)
        inside = int(replayed.months["inside"].sum())
        assert len(replayed.months) == 36 and inside >= least, replayed.verdict()
        assert replayed.totals["inside"].all(), replayed.totals
    wrong = orgsim.load(folder / "scenario.yaml").with_set(
        {"market.sources.inbound.rate": f"{1.5 * KNOWN['sources.inbound.rate']}/week"}
    )
    replayed = backtest(wrong, [path], "orgsim_events", replications=40)
    assert replayed.coverage("created") < 0.5, replayed.verdict()
    assert not replayed.consistent() and replayed.verdict().startswith("Not consistent")
    assert "50% above yours" in replayed.verdict() or "% above yours" in replayed.verdict()


def test_backtest_prints_months_json_and_a_figure(tmp_path, write):
    scenario = write("truth.yaml", TRUTH.format(replications=1, skill="1.0"))
    log = tmp_path / "log.csv"
    runner = CliRunner()
    assert runner.invoke(app, ["run", str(scenario), "--events", str(log)]).exit_code == 0
    picture = tmp_path / "months.png"
    replay = [
        "backtest",
        str(scenario),
        "--history",
        str(log),
        "--mapping",
        "orgsim_events",
        "--reps",
        "5",
    ]
    done = runner.invoke(app, [*replay, "--json", "--plot", str(picture)])
    assert done.exit_code == 0, done.output
    facts = json.loads(done.stdout)
    assert {m["metric"] for m in facts["months"]} == {"created", "won", "won_value"}
    assert len(facts["months"]) == 3 * 12
    assert facts["coverage"] == np.mean([m["inside"] for m in facts["months"]])
    assert [p["stage"] for p in facts["pipeline"]] == ["qualify", "deal"]
    assert "\ncreated: the model reproduces" in facts["verdict"]
    assert facts["notes"] == [  # nobody left, nothing created before the history
        "5 replications make each band a 67% band, not 95%: expect more months outside "
        "(run 40 or more)"
    ]
    assert facts["band_level"] == pytest.approx(4 / 6)
    assert [t["metric"] for t in facts["totals"]] == ["created", "won", "won_value"]
    assert [m["partial"] for m in facts["months"][:12]] == [False] * 11 + [True]
    assert picture.stat().st_size > 10_000
    table = runner.invoke(app, replay)
    assert table.exit_code == 0 and "coverage:" in table.stdout and "2024-12" in table.stdout


EXAMPLE = ROOT / "configs" / "history"


def test_the_shipped_example_is_what_its_script_writes(tmp_path):
    """The shipped export is regenerated from its documented truth; compared as data
    (timestamps to the minute, amounts to the unit), not bytes, so a library's last digit
    cannot fail it."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLE / "make_export.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ("opportunity_history.csv", "opportunities.csv"):
        shipped, fresh = pd.read_csv(EXAMPLE / name), pd.read_csv(tmp_path / name)
        assert list(shipped.columns) == list(fresh.columns) and len(shipped) == len(fresh)
        for column in shipped.columns:
            if "DATE" in column.upper():
                gap = (pd.to_datetime(shipped[column]) - pd.to_datetime(fresh[column])).abs()
                assert (gap.fillna(pd.Timedelta(0)) < pd.Timedelta(minutes=1)).all(), name
            elif shipped[column].dtype.kind == "f":
                assert np.allclose(shipped[column], fresh[column], atol=1, equal_nan=True)
            else:
                assert (shipped[column].fillna("") == fresh[column].fillna("")).all(), column


def test_salesforce_exports_calibrate_with_the_shipped_mappings_and_name_the_mess():
    history = EXAMPLE / "opportunity_history.csv"
    rows = pd.read_csv(history)
    found = calibrate([history], "salesforce_stage_history")
    said = {o.what: o.count for o in found.oddities}
    assert said["duplicate rows"] == rows.duplicated().sum() > 0
    assert said["rows after a record was won or lost (reopened, or stages after the sale)"] == 2
    assert said["rows repeating the record's stage (an amount or date changed)"] > 0
    assert said["owners with nothing in the last 90 days (left?)"] == 1
    people = {p.owner for p in found.skills}
    assert "Lou Berg" in people  # calibrates the market ...
    roster = yaml.safe_load(people_text(found))
    assert "Lou Berg" not in [p["name"] for p in roster["roles"]["ae"]]  # ... not the roster
    first = {s.owner: s.skill for s in found.skills if s.stage == "prospecting"}
    assert max(first, key=first.get) == "Alex Kim" and min(first, key=first.get) == "Lou Berg"
    report = calibrate([EXAMPLE / "opportunities.csv"], "salesforce_opportunity")
    assert {e.name for e in report.estimates} >= {
        "sources.web.rate",
        "sources.outbound.rate",
        "journey.opportunity.outcomes.won",
    }


def test_a_hubspot_export_written_across_calibrates_as_its_stage_history(tmp_path):
    """The example's history pivoted into HubSpot's deals export (one row per deal, a
    "Date entered" column per stage) gives the same conversions as the history itself."""
    rows = pd.read_csv(EXAMPLE / "opportunity_history.csv").drop_duplicates()
    labels = {
        "Prospecting": "Appointment Scheduled",
        "Qualification": "Qualified To Buy",
        "Needs Analysis": "Presentation Scheduled",
        "Proposal/Price Quote": "Decision Maker Bought-In",
        "Negotiation/Review": "Contract Sent",
        "Closed Won": "Closed Won",
        "Closed Lost": "Closed Lost",
    }
    rows = rows.assign(
        stage=rows["STAGENAME"].map(labels),
        at=pd.to_datetime(rows["CREATEDDATE"]).dt.strftime("%Y-%m-%d %H:%M"),
    )
    wide = rows.pivot_table(index="OPPORTUNITYID", columns="stage", values="at", aggfunc="first")
    wide.columns = [f'Date entered "{c} (Sales Pipeline)"' for c in wide.columns]
    first = rows.groupby("OPPORTUNITYID").first()
    wide = (
        wide.assign(
            **{
                "Deal owner": first["OPPORTUNITY.OWNER.NAME"],
                "Amount": first["AMOUNT"],
                "Original Source Type": first["OPPORTUNITY.LEADSOURCE"],
            }
        )
        .rename_axis("Record ID")
        .reset_index()
    )
    wide.to_csv(tmp_path / "deals.csv", index=False)
    across = calibrate([tmp_path / "deals.csv"], "hubspot_deals")
    down = calibrate([EXAMPLE / "opportunity_history.csv"], "salesforce_stage_history")
    names = dict(
        zip(
            ["appointment", "qualified", "presentation", "decision", "contract"],
            ["prospecting", "qualification", "discovery", "proposal", "negotiation"],
            strict=True,
        )
    )
    # the same visits decided; shares equal but for HubSpot's dates to the minute, which
    # reorder visits closed within a minute of each other (a tenth of a standard error)
    twins = {e.name: e for e in down.estimates if ".outcomes." in e.name}
    compared = 0
    for e in across.estimates:
        if ".outcomes." in e.name:
            _, stage, _, to = e.name.split(".")
            twin = twins[f"journey.{names[stage]}.outcomes.{names.get(to, to)}"]
            assert e.n == twin.n and e.value == pytest.approx(twin.value, abs=0.002), e.name
            compared += 1
    assert compared == 5


@pytest.mark.statistical
def test_a_seasonal_source_gets_its_monthly_factors_and_an_even_one_none(tmp_path):
    season = [1.5, 1.4, 1.2, 1.0, 0.9, 0.7, 0.5, 0.6, 0.9, 1.1, 1.3, 1.4]
    text = TRUTH.format(replications=1, skill="1.0").replace(
        "inbound: {rate: 40/week, enters: qualify}",
        f"inbound: {{rate: 40/week, enters: qualify, seasonality: {season}}}",
    )
    path = exports(orgsim.simulate(orgsim.load_text(text), records=True), tmp_path)[0]
    found = {e.name: e for e in calibrate([path], "orgsim_events").estimates}
    for month, truth_factor in enumerate(season):
        e = found[f"sources.inbound.seasonality.{month}"]
        # the estimate's standard error is about factor / sqrt(count): 3.5 of them is 99.9%
        # over the twelve months (Bonferroni)
        assert abs(e.value - truth_factor) < 3.5 * e.value / np.sqrt(e.n), (month, e)
    assert (
        found["sources.inbound.rate"].low
        < np.mean(season) * 40
        < found["sources.inbound.rate"].high
    )
    (tmp_path / "even").mkdir()
    even = exports(truth(1), tmp_path / "even")
    assert not [e for e in calibrate(even, "orgsim_events").estimates if "season" in e.name]


def test_excel_exports_are_read_and_unreadable_ones_say_how_to_fix(tmp_path, write):
    """Excel's byte-order mark and semicolons (a European locale) are read as they are; a
    file that is not UTF-8, a folder, or a history whose early closes were cut off each
    get a sentence that says what to do."""
    european = "\ufeff" + MAVEN.replace(",", ";")
    (tmp_path / "eu.csv").write_text(european, encoding="utf-8")
    comma = read([write("us.csv", MAVEN)], load_mapping("crm_sales_pipeline"))
    semicolon = read([tmp_path / "eu.csv"], load_mapping("crm_sales_pipeline"))
    assert semicolon.visits.equals(comma.visits)
    (tmp_path / "latin.csv").write_bytes(MAVEN.replace("Moses", "Mos\xe9s").encode("cp1252"))
    for path, says in [
        (tmp_path / "latin.csv", "is not UTF-8 text"),
        (tmp_path, "is a folder: name the export file"),
    ]:
        with pytest.raises(ConfigError, match=says):
            calibrate([path], "crm_sales_pipeline")
    rows = pd.read_csv(EXAMPLE / "opportunity_history.csv", dtype=str, keep_default_na=False)
    when = pd.to_datetime(rows["CREATEDDATE"])
    cut = rows["STAGENAME"].str.startswith("Closed") & (when < when.min() + pd.Timedelta(days=120))
    rows[~cut].to_csv(tmp_path / "cut.csv", index=False)
    said = [o.what for o in calibrate([tmp_path / "cut.csv"], "salesforce_stage_history").oddities]
    assert any(w.startswith("closes start 1") and "missing" in w for w in said), said
    whole = calibrate([EXAMPLE / "opportunity_history.csv"], "salesforce_stage_history")
    assert not [o for o in whole.oddities if o.what.startswith("closes start")]


def test_deals_left_open_far_longer_than_any_closed_one_are_named(tmp_path):
    rows = pd.read_csv(EXAMPLE / "opportunity_history.csv", dtype=str, keep_default_na=False)
    dead = rows.iloc[:2].assign(
        OPPORTUNITYID=["0069999990", "0069999991"],
        STAGENAME="Needs Analysis",
        CREATEDDATE="2025-01-20T10:00:00.000Z",
    )
    pd.concat([rows, dead]).to_csv(tmp_path / "dead.csv", index=False)
    said = calibrate([tmp_path / "dead.csv"], "salesforce_stage_history").oddities
    stale = [o for o in said if o.what.startswith("records open at discovery longer")]
    assert len(stale) == 1 and stale[0].count == 2 and "record 0069999990" in stale[0].examples
    whole = calibrate([EXAMPLE / "opportunity_history.csv"], "salesforce_stage_history")
    assert not [o for o in whole.oddities if "longer than 99 in 100" in o.what]


@pytest.mark.statistical
def test_the_shipped_example_calibrated_backtests_as_consistent_with_its_history(tmp_path):
    """The issue's bar: the shipped export, calibrated with the shipped mapping, reproduces
    its own year (every total, and as many months as a right model's 95% bands hold)."""
    from orgsim.history.backtest import backtest

    history = [EXAMPLE / "opportunity_history.csv"]
    calibrate(history, "salesforce_stage_history").save(tmp_path / "calibrated")
    replayed = backtest(
        tmp_path / "calibrated" / "scenario.yaml", history, "salesforce_stage_history"
    )
    assert replayed.replications == 40 and replayed.consistent(), replayed.verdict()
