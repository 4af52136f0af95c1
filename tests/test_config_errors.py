"""A catalogue of broken inputs: each gives exit 2 and FILE:LINE:COL: path: message, no traceback.

Each case edits one of three small valid files (market, org, scenario) and
names where the error must be reported: the file, the line (found by a marker
text in the edited file), the dotted path, and words of the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from orgsim.cli import app

MARKET = """\
kind: market
name: m
segments:
  smb: {deal_value: 9000}
  ent: {deal_value: 90000}
sources:
  inbound: {rate: 100/week, enters: mql, mix: {smb: 0.7, ent: 0.3}}
journey:
  mql:
    outcomes: {sql: 0.4}
  sql:
    buyer_delay: 2d
    outcomes: {won: 0.3}
  won:
    milestone: won
"""
ORG = """\
kind: org
name: o
roles:
  sdr: {headcount: 2}
  ae: {headcount: 3}
work:
  mql: {role: sdr, effort: 30min}
  sql: {role: ae, effort: 1h}
handoffs:
  sdr->ae: {delay: 4h, leak: 0.02}
"""
SCENARIO = """\
kind: scenario
name: s
market: market.yaml
org: org.yaml
horizon: 10w
"""
BASE = {"market.yaml": MARKET, "org.yaml": ORG, "scenario.yaml": SCENARIO}


@dataclass
class Case:
    name: str
    file: str
    old: str
    new: str
    marker: str
    path: str
    says: str
    reported_in: str | None = None  # defaults to `file`


CASES = [
    Case(
        "probability over 1",
        "market.yaml",
        "{sql: 0.4}",
        "{sql: 1.4}",
        "sql: 1.4",
        "journey.mql.outcomes.sql",
        "at most 1",
    ),
    Case(
        "probability written as a percentage",
        "market.yaml",
        "{sql: 0.4}",
        "{sql: 40}",
        "sql: 40",
        "journey.mql.outcomes.sql",
        "must be at most 1, got 40 (a share: write 0.4 for 40%)",
    ),
    Case(
        "probabilities sum over 1",
        "market.yaml",
        "{sql: 0.4}",
        "{sql: 0.7, lost: 0.5}",
        "sql: 0.7",
        "journey.mql.outcomes",
        "sum to 1.2",
    ),
    Case(
        "unknown outcome stage",
        "market.yaml",
        "{sql: 0.4}",
        "{sqll: 0.4}",
        "sqll",
        "journey.mql.outcomes.sqll",
        "unknown stage 'sqll'",
    ),
    Case(
        "typo in a key",
        "market.yaml",
        "buyer_delay: 2d",
        "buyer_dealy: 2d",
        "buyer_dealy",
        "journey.sql.buyer_dealy",
        "did you mean 'buyer_delay'",
    ),
    Case(
        "bare number as duration",
        "market.yaml",
        "buyer_delay: 2d",
        "buyer_delay: 2",
        "buyer_delay",
        "journey.sql.buyer_delay",
        "needs a unit",
    ),
    Case(
        "unknown duration unit",
        "market.yaml",
        "buyer_delay: 2d",
        "buyer_delay: 2days",
        "buyer_delay",
        "journey.sql.buyer_delay",
        "unknown duration unit 'days'",
    ),
    Case(
        "unknown rate unit",
        "market.yaml",
        "100/week",
        "100/fortnight",
        "100/fortnight",
        "sources.inbound.rate",
        "unknown rate unit",
    ),
    Case(
        "bare number as rate",
        "market.yaml",
        "100/week",
        "100",
        "rate: 100",
        "sources.inbound.rate",
        "needs a unit",
    ),
    Case(
        "unknown distribution",
        "market.yaml",
        "buyer_delay: 2d",
        "buyer_delay: {dist: weibull, mean: 2d}",
        "weibull",
        "journey.sql.buyer_delay",
        "unknown distribution 'weibull'",
    ),
    Case(
        "missing distribution parameter",
        "market.yaml",
        "buyer_delay: 2d",
        "buyer_delay: {dist: gamma, mean: 2d}",
        "gamma",
        "journey.sql.buyer_delay.cv",
        "missing required field 'cv'",
    ),
    Case(
        "loop with no exit",
        "market.yaml",
        "  mql:\n    outcomes: {sql: 0.4}",
        "  mql:\n    outcomes: {sql: 0.4, nurture: 0.1}\n  nurture:\n    outcomes: {nurture: 1.0}",
        "  nurture:",
        "journey.nurture",
        "no way out",
    ),
    Case(
        "duplicate key",
        "market.yaml",
        "  ent: {deal_value: 90000}",
        "  ent: {deal_value: 90000}\n  smb: {deal_value: 1}",
        "smb: {deal_value: 1}",
        "segments.smb",
        "duplicate key 'smb'",
    ),
    Case(
        "object tag",
        "market.yaml",
        "name: m",
        "name: !!python/object/apply:os.system [ls]",
        "name:",
        "name",
        "not allowed",
    ),
    Case(
        "YAML syntax error",
        "market.yaml",
        "ent: 0.3}}",
        "ent: 0.3}",
        "journey:",
        "<document>",
        "YAML syntax",
    ),
    Case(
        "mix does not sum to 1",
        "market.yaml",
        "ent: 0.3",
        "ent: 0.2",
        "mix:",
        "sources.inbound.mix",
        "sum to 1",
    ),
    Case(
        "mix names an unknown segment",
        "market.yaml",
        "ent: 0.3",
        "mid: 0.3",
        "mid: 0.3",
        "sources.inbound.mix.mid",
        "unknown segment 'mid'",
    ),
    Case(
        "source enters an unknown stage",
        "market.yaml",
        "enters: mql",
        "enters: lead",
        "enters: lead",
        "sources.inbound.enters",
        "not a journey stage",
    ),
    Case(
        "reserved name",
        "market.yaml",
        "  ent: {deal_value: 90000}",
        "  ent: {deal_value: 90000}\n  lost: {deal_value: 1}",
        "lost:",
        "segments.lost",
        "reserved",
    ),
    Case(
        "by_segment misses a segment",
        "market.yaml",
        "{won: 0.3}",
        "{won: {by_segment: {smb: 0.3}}}",
        "by_segment",
        "journey.sql.outcomes.won.by_segment",
        "missing ent",
    ),
    Case(
        "success names no outcome",
        "market.yaml",
        "    outcomes: {sql: 0.4}",
        "    outcomes: {sql: 0.4}\n    success: [won]",
        "success:",
        "journey.mql.success.0",
        "not one of this stage's outcomes",
    ),
    Case(
        "unknown role in work",
        "org.yaml",
        "role: sdr,",
        "role: sdrr,",
        "sdrr",
        "work.mql.role",
        "unknown role 'sdrr'",
    ),
    Case(
        "negative headcount",
        "org.yaml",
        "sdr: {headcount: 2}",
        "sdr: {headcount: -2}",
        "headcount: -2",
        "roles.sdr.headcount",
        "at least 0",
    ),
    Case(
        "headcount not whole",
        "org.yaml",
        "ae: {headcount: 3}",
        "ae: {headcount: 2.5}",
        "2.5",
        "roles.ae.headcount",
        "whole number",
    ),
    Case(
        "productive share over 1",
        "org.yaml",
        "sdr: {headcount: 2}",
        "sdr: {headcount: 2, productive_share: 1.5}",
        "1.5",
        "roles.sdr.productive_share",
        "at most 1",
    ),
    Case(
        "unknown routing",
        "org.yaml",
        "effort: 30min}",
        "effort: 30min, routing: roundrobin}",
        "roundrobin",
        "work.mql.routing",
        "did you mean 'round_robin'",
    ),
    Case(
        "handoff to an unknown role",
        "org.yaml",
        "sdr->ae",
        "sdr->am",
        "sdr->am",
        "handoffs.sdr->am",
        "unknown role 'am'",
    ),
    Case(
        "escalation with pool routing",
        "org.yaml",
        "effort: 1h}",
        "effort: 1h, sla: {first_touch: 4h, escalate_after: 2h}}",
        "escalate_after",
        "work.sql.sla.escalate_after",
        "nothing is assigned",
    ),
    Case(
        "recycle_after without recycle_to",
        "org.yaml",
        "effort: 1h}",
        "effort: 1h, sla: {first_touch: 4h, recycle_after: 2d}}",
        "recycle_after",
        "work.sql.sla.recycle_after",
        "recycle_after needs recycle_to",
    ),
    Case(
        "recycle_to without recycle_after",
        "org.yaml",
        "effort: 1h}",
        "effort: 1h, sla: {first_touch: 4h, recycle_to: lost}}",
        "recycle_to",
        "work.sql.sla.recycle_to",
        "recycle_to needs recycle_after",
    ),
    Case(
        "recycle_to an unknown stage (the org names a market stage)",
        "org.yaml",
        "effort: 1h}",
        "effort: 1h,\n        sla: {first_touch: 4h, recycle_after: 2d, recycle_to: nuture}}",
        "nuture",
        "work.sql.sla.recycle_to",
        "unknown stage 'nuture'",
    ),
    Case(
        "recycle_after that is not a duration",
        "org.yaml",
        "effort: 1h}",
        "effort: 1h, sla: {first_touch: 4h, recycle_after: soon, recycle_to: lost}}",
        "soon",
        "work.sql.sla.recycle_after",
        "duration",
    ),
    Case(
        "gives_up_to an unknown stage",
        "market.yaml",
        "    buyer_delay: 2d",
        "    buyer_delay: 2d\n    patience: 3d\n    gives_up_to: nurture",
        "gives_up_to",
        "journey.sql.gives_up_to",
        "unknown stage 'nurture'",
    ),
    Case(
        "patience that is negative",
        "market.yaml",
        "    buyer_delay: 2d",
        "    buyer_delay: 2d\n    patience: -3d",
        "patience",
        "journey.sql.patience",
        "is not a duration",
    ),
    Case(
        "patience that can be zero (a lead leaving at once could loop forever)",
        "market.yaml",
        "    buyer_delay: 2d",
        "    buyer_delay: 2d\n    patience: 0h",
        "patience",
        "journey.sql.patience",
        "must be more than 0",
    ),
    Case(
        "a buyer who gives up cannot be won",
        "market.yaml",
        "    buyer_delay: 2d",
        "    buyer_delay: 2d\n    patience: 3d\n    gives_up_to: won",
        "gives_up_to",
        "journey.sql.gives_up_to",
        "cannot be won",
    ),
    Case(
        "giving up into the same queue",
        "market.yaml",
        "    buyer_delay: 2d",
        "    buyer_delay: 2d\n    patience: 3d\n    gives_up_to: sql",
        "gives_up_to",
        "journey.sql.gives_up_to",
        "is this stage",
    ),
    Case(
        "recycling leads into churned",
        "org.yaml",
        "effort: 1h}",
        "effort: 1h, sla: {first_touch: 4h, recycle_after: 2d, recycle_to: churned}}",
        "churned",
        "work.sql.sla.recycle_to",
        "only customers churn",
    ),
    Case(
        "recycle_after of zero",
        "org.yaml",
        "effort: 1h}",
        "effort: 1h, sla: {first_touch: 0h, recycle_after: 0h, recycle_to: lost}}",
        "recycle_after",
        "work.sql.sla.recycle_after",
        "must be more than 0",
    ),
    Case(
        "a field of another kind of distribution",
        "market.yaml",
        "    buyer_delay: 2d",
        "    buyer_delay: {dist: exponential, mean: 2d, cv: 0.5}",
        "cv:",
        "journey.sql.buyer_delay.cv",
        "not a field of this entry",
    ),
    Case(
        "work names a stage the market lacks (reported in the org file)",
        "org.yaml",
        "  sql: {role: ae, effort: 1h}",
        "  sql: {role: ae, effort: 1h}\n  demo: {role: ae, effort: 1h}",
        "demo:",
        "work.demo",
        "not a stage of the market's journey",
    ),
    Case(
        "set path with a typo",
        "scenario.yaml",
        "horizon: 10w",
        "horizon: 10w\nset: {org.roles.sdr.headcont: 3}",
        "headcont",
        "set.org.roles.sdr.headcont",
        "did you mean 'headcount'",
    ),
    Case(
        "set value out of range (reported at the set entry)",
        "scenario.yaml",
        "horizon: 10w",
        "horizon: 10w\nset: {org.roles.sdr.headcount: -1}",
        "headcount: -1",
        "set.org.roles.sdr.headcount",
        "at least 0",
    ),
    Case(
        "missing org file",
        "scenario.yaml",
        "org: org.yaml",
        "org: orgs.yaml",
        "orgs.yaml",
        "org",
        "no such org file",
    ),
    Case(
        "horizon without unit",
        "scenario.yaml",
        "horizon: 10w",
        "horizon: 10",
        "horizon",
        "horizon",
        "needs a unit",
    ),
    Case(
        "unknown target KPI",
        "scenario.yaml",
        "horizon: 10w",
        "horizon: 10w\ntargets: {won_per_wek: {min: 1}}",
        "won_per_wek",
        "targets.won_per_wek",
        "did you mean 'won_per_week'",
    ),
    Case(
        "variant names a market as its org",
        "scenario.yaml",
        "horizon: 10w",
        "horizon: 10w\nvariants: {a: {org: market.yaml}}",
        "org: market.yaml",
        "variants.a.org",
        "is a market file",
    ),
    Case(
        "sweep value out of range",
        "scenario.yaml",
        "horizon: 10w",
        "horizon: 10w\nsweep:\n  org.roles.ae.headcount: [2, -1]",
        "[2, -1]",
        "sweep.org.roles.ae.headcount.1",
        "at least 0",
    ),
    Case(
        "a cost both yearly and per seat",
        "org.yaml",
        "handoffs:",
        "costs:\n  - {name: crm, per_year: 1000, per_seat_per_year: 50}\nhandoffs:",
        "name: crm",
        "costs.0",
        "either per_year or per_seat_per_year",
    ),
    Case(
        "a per-seat cost for an unknown role",
        "org.yaml",
        "handoffs:",
        "costs:\n  - {name: crm, per_seat_per_year: 50, roles: [sdr, bdr]}\nhandoffs:",
        "name: crm",
        "costs.0.roles.1",
        "unknown role 'bdr'",
    ),
    Case(
        "two costs with one name",
        "org.yaml",
        "handoffs:",
        "costs:\n  - {name: crm, per_year: 10}\n  - {name: crm, per_year: 20}\nhandoffs:",
        "per_year: 20",
        "costs.1.name",
        "a second cost named 'crm'",
    ),
    Case(
        "a handoff paid by a cost that is not there",
        "org.yaml",
        "{delay: 4h, leak: 0.02}",
        "{mode: automated, cost: routing}",
        "cost: routing",
        "handoffs.sdr->ae.cost",
        "no cost named 'routing'",
    ),
    Case(
        "two opportunity milestones",
        "market.yaml",
        "    outcomes: {sql: 0.4}\n  sql:\n    buyer_delay: 2d\n",
        "    outcomes: {sql: 0.4}\n    milestone: opportunity\n  sql:\n    buyer_delay: 2d\n"
        "    milestone: opportunity  # again\n",
        "# again",
        "journey.sql.milestone",
        "a second opportunity milestone (the first is 'mql')",
    ),
    Case(
        "an opportunity after the sale",
        "market.yaml",
        "    milestone: won\n",
        "    milestone: won\n    outcomes: {renewal: 1}\n  renewal:\n    milestone: opportunity\n",
        "milestone: opportunity",
        "journey.renewal.milestone",
        "only after a won milestone",
    ),
    Case(
        "wrong kind",
        "scenario.yaml",
        "kind: scenario",
        "kind: scenery",
        "kind:",
        "kind",
        "unknown kind 'scenery'",
    ),
]


def _run(tmp_path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return CliRunner().invoke(app, ["validate", str(tmp_path / "scenario.yaml")])


def test_the_base_files_are_valid(tmp_path):
    result = _run(tmp_path, BASE)
    assert result.exit_code == 0, result.output


def test_the_catalogue_is_large_enough():
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_input_is_reported_where_it_was_written(tmp_path, case):
    files = dict(BASE)
    assert case.old in files[case.file], "the case must edit text that exists"
    files[case.file] = files[case.file].replace(case.old, case.new, 1)
    result = _run(tmp_path, files)
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    line = next(i for i, text in enumerate(files[case.file].splitlines(), 1) if case.marker in text)
    reported = str(tmp_path / (case.reported_in or case.file))
    pattern = re.compile(
        rf"^{re.escape(reported)}:{line}:(\d+): {re.escape(case.path)}: (.*)$", re.MULTILINE
    )
    matches = [m for m in pattern.finditer(output) if case.says in m.group(2)]
    assert matches, f"expected {reported}:{line}:COL: {case.path}: ...{case.says}... in\n{output}"
    column = int(matches[0].group(1))
    assert 1 <= column <= len(files[case.file].splitlines()[line - 1]) + 1


def test_every_problem_is_reported_at_once(tmp_path):
    files = dict(BASE)
    files["org.yaml"] = ORG.replace("headcount: 2}", "headcount: -2}").replace(
        "effort: 1h}", "effort: 1}"
    )
    files["scenario.yaml"] = SCENARIO.replace("horizon: 10w", "horizon: 10")
    result = _run(tmp_path, files)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 3, result.output
    assert {line.split(":")[0].rsplit("/", 1)[-1] for line in lines} == {
        "org.yaml",
        "scenario.yaml",
    }


def test_warnings_do_not_fail(tmp_path):
    files = dict(BASE)
    files["market.yaml"] = MARKET + "  orphan:\n    outcomes: {won: 0.5}\n"
    result = _run(tmp_path, files)
    assert result.exit_code == 0, result.output
    assert "journey.orphan: warning: no source can reach this stage" in result.output


def test_warnings_keep_their_place_in_a_folder_whose_name_has_a_colon(tmp_path):
    """Warnings travel as Problem objects, never as text split on ':' (Windows paths have one)."""
    folder = tmp_path / "C:plans"
    folder.mkdir()
    files = dict(BASE)
    files["market.yaml"] = MARKET + "  orphan:\n    outcomes: {won: 0.5}\n"
    result = _run(folder, files)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "warning:" in x)
    assert line.startswith(f"{folder / 'market.yaml'}:")
    assert ": journey.orphan: warning: no source can reach this stage" in line


def test_a_stage_reached_only_by_recycling_is_not_called_unreachable(tmp_path):
    files = dict(BASE)
    files["market.yaml"] = MARKET + "  nurture:\n    buyer_delay: 30d\n    outcomes: {mql: 0.2}\n"
    files["org.yaml"] = ORG.replace(
        "effort: 30min}",
        "effort: 30min, sla: {first_touch: 4h, recycle_after: 1d, recycle_to: nurture}}",
    )
    result = _run(tmp_path, files)
    assert result.exit_code == 0, result.output
    assert "no source can reach" not in result.output


def test_recycling_before_the_deadline_or_before_escalation_is_a_warning(tmp_path):
    files = dict(BASE)
    files["org.yaml"] = ORG.replace(
        "effort: 30min}",
        "effort: 30min, routing: round_robin,\n"
        "        sla: {first_touch: 4h, escalate_after: 2h, recycle_after: 1h, recycle_to: lost}}",
    )
    result = _run(tmp_path, files)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "warning: recycle_after is shorter than first_touch" in text
    assert "warning: escalate_after is not before recycle_after" in text


def test_one_run_reports_field_errors_cross_references_and_targets_with_did_you_mean(tmp_path):
    """A misspelt stage in `work`, a misspelt role, a stage priority that follows them, a
    target written in words and a share written as a percentage: every problem in the
    same run, each with the name meant, and no false error about a KPI the typo hid."""
    files = {
        "market.yaml": MARKET,
        "scenario.yaml": """kind: scenario
name: typos
market: market.yaml
org:
  kind: org
  name: typos
  roles:
    sdr: {headcount: 2}
    ae: {headcount: 3}
  work:
    mqll: {role: sdr, effort: 30min, sla: {first_touch: 4h}}
    sql: {role: aee, effort: 1h}
  queues:
    ae: {stage_priority: [sqll]}
horizon: 52w
targets:
  mql_to_sql: {min: 0.2}
  sla.mql.attainment: {min: 90}
""",
    }
    output = _run(tmp_path, files).output
    said = [line.split(": ", 2)[1:] for line in output.splitlines() if "scenario.yaml" in line]
    assert [path for path, _ in said] == [
        "org.work.mqll",
        "org.work.sql.role",
        "org.queues.ae.stage_priority.0",
        "targets.mql_to_sql",
        "targets.sla.mql.attainment.min",
    ], output
    hints = [message for _, message in said]
    assert "did you mean 'mql'?" in hints[0] and "did you mean 'ae'?" in hints[1]
    assert "did you mean 'sql'?" in hints[2]
    assert "did you mean 'stage.mql.conversion.sql'?" in hints[3]
    assert "write 0.9 for 90%" in hints[4]


def test_targets_are_judged_even_when_the_org_has_a_field_wrong(tmp_path):
    files = dict(BASE)
    files["org.yaml"] = ORG.replace("headcount: 2}", "headcount: -2}")
    files["scenario.yaml"] = SCENARIO + "targets:\n  won_per_wek: {min: 1}\n"
    output = _run(tmp_path, files).output
    assert "headcount" in output and "did you mean 'won_per_week'?" in output, output
