"""The book of business (SCENARIO-SPEC 8.4): existing customers and open pipeline at t = 0.

Against theory: a book of renewals only gives the renewal entries, churn and ARR that its
size, renewal chance and placement imply; open opportunities close as a binomial count.
Book leads are not `leads`, cost no marketing, and stay out of speed to lead and cycle time.
"""

from __future__ import annotations

import numpy as np
import pytest

import orgsim
from orgsim.config.errors import ConfigError
from orgsim.engine.model import compile_model

from .intervals import assert_in_interval

RENEWALS = """
kind: scenario
name: a book of renewals
horizon: 52w
warmup: 0h
replications: REPS
seed: 4
market:
  kind: market
  name: renewals
  segments: {small: {deal_value: 8000}, large: {deal_value: 40000}}
  sources: {web: {rate: 0/week, enters: mql, mix: {small: 0.8, large: 0.2}}}
  journey:
    mql: {outcomes: {opportunity: 1}}
    opportunity: {buyer_delay: 3w, outcomes: {won: 0.3}}
    won: {milestone: won, outcomes: {renewal: 1}}
    renewal: {buyer_delay: 20w, outcomes: {renewal: 0.9}, otherwise: churned}
  book:
BOOK
org:
  kind: org
  name: nobody works
  roles: {csm: {headcount: 1, cost_per_year: 52000}}
  work: {}
  marketing: {cost_per_lead: 100}
"""


def book(entries: str, replications: int = 40) -> orgsim.Scenario:
    text = RENEWALS.replace("REPS", str(replications)).replace("BOOK", entries)
    return orgsim.load_text(text)


def worked(entries: str, renewal: str, work: str, replications: int = 1, horizon: str = "52w"):
    """RENEWALS with its `renewal` stage written anew and CSMs who work it (`work`: the
    work and roles entries of the org) always at work."""
    text = (
        RENEWALS.replace("REPS", str(replications))
        .replace("horizon: 52w", f"horizon: {horizon}")
        .replace("BOOK", entries)
        .replace(
            "renewal: {buyer_delay: 20w, outcomes: {renewal: 0.9}, otherwise: churned}",
            f"renewal: {renewal}",
        )
        .replace("work: {}", work)
        .replace("  roles: {csm: {headcount: 1, cost_per_year: 52000}}\n", "")
    )
    return orgsim.load_text(text)


def test_a_book_of_renewals_gives_the_entries_churn_and_arr_theory_implies():
    """200 existing customers fall due for renewal uniformly over the first 20 weeks (their
    first buyer delay has elapsed), then renew every 20 weeks with chance 0.9. Within 52
    weeks everyone decides at its placing time and 20 weeks later, and the 60% placed in
    the first 12 weeks once more: 200 + 180 + 97.2 decisions, a tenth of them churned,
    entries 200 plus the renewals. ARR at the end is the survivors' values; NRR their share
    of the start's. Four checks, each inside its Bonferroni-corrected 99.9% interval."""
    kpis = orgsim.simulate(
        book("    - {stage: renewal, count: 200, over: 20w, mix: {small: 1}}"), progress=False
    ).kpis
    decisions = 200 + 200 * 0.9 + 200 * 0.9**2 * 0.6
    assert_in_interval(kpis["stage.renewal.entered"], 200 + 0.9 * decisions, "entries", 4)
    assert_in_interval(kpis["churned"], 0.1 * decisions, "churned", 4)
    survivors = 200 - 0.1 * decisions
    assert_in_interval(kpis["arr_end"], 8000 * survivors, "ARR at the end", 4)
    assert_in_interval(kpis["nrr"], survivors / 200, "NRR", 4)
    assert (kpis["leads"] == 0).all() and (kpis["won"] == 0).all()
    # 52 weeks of the CSM (364 of 365 days); the book costs no marketing
    assert np.allclose(kpis["cost"], 52000 * 364 / 365)


def test_open_opportunities_close_as_a_binomial_count_and_are_not_leads():
    """60 open opportunities, due at t = 0, close with chance 0.3: won is
    binomial(60, 0.3) in each replication, their value ARR; no lead was created, none was
    touched for the first time, and no cycle time is reported (their buyers came before
    t = 0)."""
    sc = book("    - {stage: opportunity, count: 60}")
    results = orgsim.simulate(sc, progress=False)
    kpis = results.kpis
    assert_in_interval(kpis["won"], 60 * 0.3, "won", 2)
    share_large = (kpis["won_value"] - 8000 * kpis["won"]) / (32000 * kpis["won"])
    assert_in_interval(share_large, 0.2, "share of large deals", 2)
    assert (kpis["leads"] == 0).all() and kpis["cycle_time_mean"].isna().all()
    assert kpis["nrr"].isna().all()  # open pipeline holds no ARR at t = 0: no base for NRR
    assert (kpis["arr_end"] <= kpis["won_value"]).all()  # some churn at their first renewal


def test_existing_customers_are_customers_from_the_start_and_pipeline_is_not():
    """Customers hold their ARR from t = 0, even those placed in their stage after the run
    ends (`over` beyond the horizon: they wait outside the journey, which the invariants,
    checked on every replication here, allow only for book leads)."""
    sc = book(
        "    - {stage: renewal, count: 5, over: 10w, mix: {large: 1}}\n"
        "    - {stage: opportunity, count: 7}\n"
        "    - {stage: mql, count: 3}\n"
        "    - {stage: renewal, count: 4, over: 1000w, mix: {small: 1}}",
        replications=1,
    )
    model = compile_model(sc)
    assert [(p.count, p.customers) for p in model.book] == [
        (5, True),
        (7, False),
        (3, False),
        (4, True),
    ]
    results = orgsim.simulate(sc, progress=False, records=True)
    cases = results.cases
    assert (cases["source"].iloc[:19] == "book").all() and (cases["created"].iloc[:19] == 0).all()
    late = cases.iloc[15:19]  # placed after the end on this seed: still customers at the end
    assert (late["arr_end"] == 8000).all() and late["end"].eq("").all()
    assert results.kpis["nrr"].notna().all()  # 9 customers at t = 0 are its base


@pytest.mark.parametrize(
    "entry, message",
    [
        ("{stage: renewl, count: 5}", "'renewl' is not a journey stage"),
        ("{stage: churned, count: 5}", "'churned' is not a journey stage"),
        ("{stage: won, count: 5}", "is the won milestone"),
        ("{stage: renewal, count: 0}", "must be at least 1"),
        ("{stage: renewal, count: 5, mix: {small: 0.5}}", "must sum to 1"),
        ("{stage: renewal, count: 5, mix: {tiny: 1}}", "unknown segment 'tiny'"),
    ],
)
def test_book_entries_that_cannot_be_are_placed_errors(entry, message):
    with pytest.raises(ConfigError) as raised:
        book(f"    - {entry}")
    text = str(raised.value)
    assert message in text and "market.book.0" in text, text
    assert text.startswith("<string>:") or ":" in text.split(" ")[0]


def test_capacity_says_the_book_is_outside_its_steady_state():
    result = orgsim.capacity(book("    - {stage: renewal, count: 200, over: 20w}"))
    assert any("book's 200 leads" in note for note in result.notes)


def test_trace_a_customer_falls_due_when_placed_and_pipeline_takes_its_whole_stage():
    """Constant efforts and delays, one replication, every instant exact: the customer placed
    at t = 0 in `renewal` is touched at once and decides after the 2 h touch (its first
    buyer delay has elapsed); renewed, its next visit takes the touch and the full 10-week
    delay. The open opportunity placed at t = 0 in an unowned stage is due too: it
    decides at once."""
    sc = worked(
        "    - {stage: renewal, count: 1, mix: {small: 1}}\n    - {stage: opportunity, count: 1}",
        "{buyer_delay: 10w, outcomes: {renewal: 0.999999}, otherwise: churned}",
        "work: {renewal: {role: csm, effort: 2h}}\n"
        "  roles: {csm: {headcount: 1, schedule: always}}",
    )
    results = orgsim.simulate(sc, progress=False, records=True)
    visits = results.visits.sort_values(["lead", "entered"])
    customer = visits[visits.lead == 0][["stage", "entered", "first_touch", "left"]]
    assert customer.to_numpy().tolist()[:2] == [
        ["renewal", 0.0, 0.0, 2.0],
        ["renewal", 2.0, 2.0, 2.0 + 2.0 + 10 * 168.0],
    ]
    opportunity = visits[visits.lead == 1][["stage", "entered", "left"]]
    assert opportunity.to_numpy().tolist()[0] == ["opportunity", 0.0, 0.0]


def test_a_book_customers_value_changes_once_a_renewal_not_when_placed():
    """Renewing multiplies ARR by 1.1 on entering `renewal` again; the value change of the
    entry before t = 0 is already in the customer's ARR. With renewal chance 0.9 and the
    decisions of the first test (at τ, τ + 20w, and τ + 40w for 60%), each customer's
    expected end-to-start ARR is 0.99 x 0.99 x (0.6 x 0.99 + 0.4): NRR 0.9742 (a second
    value change on placing would give about 1.07)."""
    sc = orgsim.load_text(
        RENEWALS.replace("REPS", "40")
        .replace("BOOK", "    - {stage: renewal, count: 200, over: 20w, mix: {small: 1}}")
        .replace(
            "outcomes: {renewal: 0.9}, otherwise",
            "value_change: 1.1, outcomes: {renewal: 0.9}, otherwise",
        )
    )
    kpis = orgsim.simulate(sc, progress=False).kpis
    assert_in_interval(kpis["nrr"], 0.99 * 0.99 * (0.6 * 0.99 + 0.4), "NRR")


def _renewals_worked(buyer_first: bool, reps: int = 30) -> orgsim.Scenario:
    """A book of 600 customers due over the year, renewing every 11 months with chance
    0.88; two CSMs (always at work) spend 2 h on each renewal."""
    return worked(
        "    - {stage: renewal, count: 600, over: 52w, mix: {small: 1}}",
        f"{{buyer_delay: 11mo, buyer_delay_first: {str(buyer_first).lower()}, "
        "outcomes: {renewal: 0.88}, otherwise: churned}",
        "work: {renewal: {role: csm, effort: 2h, routing: pool}}\n"
        "  roles: {csm: {headcount: 2, schedule: always}}",
        replications=reps,
    )


def _touches(results, stage: int) -> np.ndarray:
    return np.array([(r.tasks["stage"] == stage).sum() for r in results.records], dtype=float)


def test_a_renewal_book_is_worked_once_per_customer_year():
    """SCENARIO-SPEC 9.1: with `buyer_delay_first`, a customer placed at τ (uniform over the
    year) is worked at τ and next at τ + 11 months, if it renewed: within 52 weeks, N + N r
    P(τ + 11mo < 52w) touches, P = (364 - 334.58) / 364. The CSMs' utilization follows:
    2 h a touch over 2 x 52 x 168 hours. Without it the work came first and every renewed
    customer was worked again at once, eleven months early (N + N r + N r^2 P touches, the
    1,170 the issue found). Three checks, Bonferroni."""
    sc = _renewals_worked(True)
    stage = compile_model(sc).place("renewal")
    results = orgsim.simulate(sc, progress=False, records=True)
    due_again = (364 - 11 * 365 / 12) / 364
    expected = 600 + 600 * 0.88 * due_again
    touches = _touches(results, stage)
    assert_in_interval(touches, expected, "renewal touches in a year", 3)
    assert_in_interval(
        results.kpis["role.csm.utilization"], 2 * expected / (2 * 52 * 168), "CSM utilization", 3
    )
    worked_twice = _touches(
        orgsim.simulate(_renewals_worked(False, reps=5), progress=False, records=True), stage
    )
    work_first = 600 + 600 * 0.88 + 600 * 0.88**2 * due_again
    assert_in_interval(worked_twice, work_first, "work-first touches", 3)


def test_trace_a_buyer_first_renewal_is_due_when_placed_and_again_a_full_delay_later():
    """Constant delays, one CSM always at work: the book customer placed at t = 0 is due at
    once, worked 0-2 h and decides at 2 h; its next visit enters at 2 h, falls due at
    2 h + 10 w, and is worked then; its wait counts from falling due (0 here), and an SLA
    deadline does too."""
    sc = worked(
        "    - {stage: renewal, count: 1, mix: {small: 1}}",
        "{buyer_delay: 10w, buyer_delay_first: true, outcomes: {renewal: 0.999999}, "
        "otherwise: churned}",
        "work: {renewal: {role: csm, effort: 2h, sla: {first_touch: 1h}}}\n"
        "  roles: {csm: {headcount: 1, schedule: always}}",
    )
    results = orgsim.simulate(sc, progress=False, records=True)
    visits = results.visits.sort_values(["lead", "entered"])
    columns = ["stage", "entered", "due", "first_touch", "left", "wait", "sla_deadline"]
    due = 2.0 + 10 * 168.0
    assert visits[visits.lead == 0][columns].to_numpy().tolist()[:2] == [
        ["renewal", 0.0, 0.0, 0.0, 2.0, 0.0, 1.0],
        ["renewal", 2.0, due, due, due + 2.0, 0.0, due + 1.0],
    ]
    assert results.kpis["sla.renewal.attainment"].iloc[0] == 1.0
