"""Measure how far `orgsim capacity` is from simulation, figure by figure and method by method.

    python docs/capacity_accuracy.py           # print the table (about three minutes)
    python docs/capacity_accuracy.py --write   # and rewrite docs/capacity-accuracy.md

The matrix is every shipped scenario and variant plus generated two-role
scenarios spanning routing, schedules, source hours, seasonality, stage
priority and load. Each is simulated long enough for the figures to settle and
compared with the analytic answer. Errors: utilization and SLA attainment as
absolute differences, entries per week and mean wait relative (a wait within
1 hour counts as within budget whatever its relative error). A method whose
90th-percentile error is outside the budget is one `capacity` must not print a
number for: capacity withholds waits and SLA for routings to one rep, and under
shifts or office-hours arrivals unless the weekly chain is exact
(orgsim/analytic/capacity.py, the `no reliable estimate` reasons), following
this table; tests/test_capacity_plan.py checks the budget
on a fast subset. Stages on a slow loop (renewals) are left out of the entries:
capacity gives their long-run rate on purpose and says so.
"""

from __future__ import annotations

import itertools
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

import orgsim
from orgsim.analytic.capacity import slow_loop_stages
from orgsim.engine.model import compile_model

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "capacity-accuracy.md"
BUDGET = {
    "utilization": 0.02,
    "load by quarter": 0.03,
    "entries": 0.05,
    "sla": 0.05,
    "wait": 0.20,
}
SCHEDULES = {
    "always": ("always", 168),
    "business_hours": ("business_hours", 40),
    "overnight": ('{days: [sun, mon, tue, wed, thu], start: "22:00", end: "06:00"}', 40),
}
"""Each schedule as the YAML writes it, with its open hours a week."""
WAIT_FLOOR = 1.0  # hours: a wait this close is within budget whatever its relative error


PEOPLE = {
    "": ("", ""),
    "attrition": (
        ", attrition: 0.35/year, backfill: {delay: 7w}, ramp: {by_month: [0.4, 0.7]}, "
        "tenure: {dist: exponential, mean: 3y}",
        "",
    ),
    "pto": (", pto: {days_per_year: 25}", ""),
    "hires": ("", "hires: [{role: sdr, at: 10w, count: 1}, {role: ae, at: 20w, count: -1}]"),
}
"""People over time: what each role adds, and the org's dated hires. These cases run 16
replications: with two or three reps, who happens to leave when is most of the spread."""


def generated() -> list[tuple[str, orgsim.Scenario]]:
    """Two-role scenarios across routing, schedules, source hours, seasonality and load; and
    pooled ones with people over time (attrition with backfill and ramp, PTO, dated hires)."""
    plain = itertools.product(
        ("pool", "round_robin", "least_loaded"),
        tuple(SCHEDULES),
        ("always", "business_hours", "seasonal"),
        (0.3, 0.6, 0.9),
        ("", ", response_decay: {half_life: 6h, floor: 0.3}"),
        ("",),
    )
    people = itertools.product(
        ("pool",), tuple(SCHEDULES), ("always",), (0.5, 0.8), ("",), tuple(PEOPLE)[1:]
    )
    cases = []
    for routing, schedule, hours, load, decay, kind in [*plain, *people]:
        role, hires = PEOPLE[kind]
        open_hours = SCHEDULES[schedule][1]
        rate = load * 3 * open_hours / 1.0  # leads a week: three SDRs, one hour a lead
        source_hours = "business_hours" if hours == "business_hours" else "always"
        seasonality = (
            ", seasonality: [1, 1, 1.1, 1.1, 1, 1, 0.9, 0.9, 1, 1, 1, 1]"
            if hours == "seasonal"
            else ""
        )
        text = textwrap.dedent(f"""
            kind: scenario
            name: matrix
            horizon: 30w
            warmup: 4w
            replications: {16 if kind else 4}
            seed: 5
            market:
              kind: market
              name: m
              segments: {{all: {{deal_value: 1000}}}}
              sources:
                web: {{rate: {rate:.2f}/week, enters: mql, hours: {source_hours}{seasonality}}}
              journey:
                mql: {{outcomes: {{sql: 0.5}}{decay}}}
                sql: {{buyer_delay: 1d, outcomes: {{won: 0.3}}}}
                won: {{}}
            org:
              kind: org
              name: o
              roles:
                sdr: {{headcount: 3, schedule: {SCHEDULES[schedule][0]}{role}}}
                ae: {{headcount: 2, schedule: {SCHEDULES[schedule][0]}{role}}}
              work:
                mql: {{role: sdr, effort: {{dist: exponential, mean: 1h}}, routing: {routing},
                      sla: {{first_touch: 8h}}}}
                sql: {{role: ae, effort: {{dist: gamma, mean: 1.5h, cv: 0.5}}, routing: {routing}}}
              {hires}
            """)
        name = f"{routing}/{schedule}/{hours}/{load:.1f}" + ("/decay" if decay else "")
        name += f"/{kind}" if kind else ""
        cases.append((name, orgsim.load_text(text)))
    return cases


def shipped() -> list[tuple[str, orgsim.Scenario, str]]:
    found = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        scenario = orgsim.load(path).with_run(replications=4)
        if any(v.market.book for v in scenario.variants.values()):
            # capacity follows the sources' leads alone (it says so): judge it on those
            scenario = scenario.with_set({"market.book": []})
        found += [(f"{path.stem}/{v}", scenario, v) for v in scenario.variants]
    return found


def errors(name: str, scenario: orgsim.Scenario, variant: str | None = None) -> list[dict]:
    """One row per analytic figure: its method, the analytic and simulated values, the error."""
    analytic = orgsim.capacity(scenario, variant)
    kpis = orgsim.simulate(scenario, variant=variant, progress=False).kpis.mean()
    weeks = scenario.horizon / 168
    chosen = scenario.variant(variant)
    model = compile_model(scenario, variant)
    long_run = slow_loop_stages(model)  # given as long-run rates

    rows = []

    def add(figure, method, mine, simulated, error):
        rows.append(
            {
                "case": name,
                "figure": figure,
                "method": method,
                "analytic": mine,
                "simulated": simulated,
                "error": error,
            }
        )

    people = any(r.people_change or r.away for r in model.roles)
    flows = "traffic equations" + (
        " with response decay" if analytic.decaying else " with people over time" if people else ""
    )
    for role, load in analytic.roles.items():
        kpi = f"role.{role}.utilization"
        if kpi in kpis and load.utilization < 1:
            add(
                "utilization",
                flows,
                load.utilization,
                kpis[kpi],
                abs(load.utilization - kpis[kpi]),
            )
    over_time = "time-dependent flows" + flows.removeprefix("traffic equations")
    for role, load in analytic.roles.items():
        for q, quarter in enumerate(load.load_by_quarter, 1):
            simulated = kpis.get(f"quarter.{q}.role.{role}.utilization", np.nan)
            if np.isfinite(simulated) and quarter < 1:
                add("load by quarter", over_time, quarter, simulated, abs(quarter - simulated))
    for stage, flow in analytic.stages.items():
        simulated = kpis.get(f"stage.{stage}.entered", np.nan) / weeks
        if simulated > 0 and stage not in long_run:
            add(
                "entries",
                flows,
                flow.entries_per_week,
                simulated,
                abs(flow.entries_per_week - simulated) / simulated,
            )
        work = chosen.org.work.get(stage)
        if work is None or work.role not in analytic.roles:
            continue
        method = analytic.roles[work.role].method
        if flow.wait_mean is None or not np.isfinite(flow.wait_mean):
            if method.startswith("no reliable estimate"):
                add("wait", method, np.nan, kpis.get(f"stage.{stage}.wait_mean"), np.nan)
            continue
        simulated = kpis.get(f"stage.{stage}.wait_mean", np.nan)
        gap = abs(flow.wait_mean - simulated)
        add(
            "wait",
            method,
            flow.wait_mean,
            simulated,
            0.0 if gap <= WAIT_FLOOR else gap / max(simulated, 1e-9),
        )
        if flow.sla_attainment is not None:
            simulated = kpis.get(f"sla.{stage}.attainment", np.nan)
            add("sla", method, flow.sla_attainment, simulated, abs(flow.sla_attainment - simulated))
    return rows


def matrix() -> pd.DataFrame:
    rows = []
    for name, scenario in generated():
        rows += errors(name, scenario)
    for name, scenario, variant in shipped():
        rows += errors(name, scenario, variant)
    return pd.DataFrame(rows)


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """Median and 90th-percentile error per figure and method, against its budget."""
    grouped = frame.groupby(["figure", "method"])["error"]
    out = grouped.agg(
        cases="size", median="median", p90=lambda e: e.quantile(0.9) if e.notna().any() else None
    )
    out["budget"] = [BUDGET[f] for f, _ in out.index]
    out["within"] = out["p90"] <= out["budget"]
    return out.reset_index()


def markdown(summary: pd.DataFrame) -> str:
    lines = [
        "| figure | method | cases | median error | 90th percentile | budget | within |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in summary.itertuples():
        relative = row.figure in ("entries", "wait")
        show = (lambda e: f"{e:.0%}") if relative else (lambda e: f"{e:.3f}")
        if row.median != row.median:  # withheld: capacity prints no number
            lines.append(
                f"| {row.figure} | {row.method} | {row.cases} | withheld | withheld"
                f" | {show(row.budget)} | not printed |"
            )
            continue
        lines.append(
            f"| {row.figure} | {row.method.replace('_', ' ')} | {row.cases} | {show(row.median)}"
            f" | {show(row.p90)} | {show(row.budget)} | {'yes' if row.within else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    summary = table(matrix())
    text = markdown(summary)
    print(text)
    if "--write" in argv:
        page = PAGE.read_text(encoding="utf-8")
        start = page.index("<!-- accuracy -->\n") + len("<!-- accuracy -->\n")
        end = page.index("<!-- /accuracy -->")
        PAGE.write_text(page[:start] + text + page[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
