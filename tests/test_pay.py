"""Quotas, attainment and commissions (measure/pay.py): payouts against hand tables, payout
monotone in credit, credit conserved and splits as written, attainment's spread against the
Poisson counts theory gives, a ramped quota that a rep ramping as assumed attains as a
ramped rep does, and the planner's errors."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import orgsim
from orgsim.engine import compile_model, run_replication
from orgsim.engine.model import CommissionPlan
from orgsim.measure import pay
from orgsim.measure.kpis import compute

from .intervals import assert_binomial, assert_in_interval
from .models import scenario

WEEK = 168.0


def plan(mode: str = "marginal", cap: float = math.inf) -> CommissionPlan:
    return CommissionPlan(0.1, [(1.0, 0.15), (1.5, 0.2)], mode == "cumulative", cap, {})


@pytest.mark.parametrize(
    "mode, cap, credit, paid",
    [
        # below quota: the base rate on everything
        ("marginal", math.inf, 50, 5.0),
        ("cumulative", math.inf, 50, 5.0),
        # 120% of a 100 quota: 10 on the first 100, 15% of the 20 above
        ("marginal", math.inf, 120, 13.0),
        ("cumulative", math.inf, 120, 18.0),
        # 200%: 10 + 15% of 50 + 20% of 50, or 20% of all of it
        ("marginal", math.inf, 200, 27.5),
        ("cumulative", math.inf, 200, 40.0),
        # capped at 160%: nothing is paid on the credit above 160
        ("marginal", 1.6, 200, 19.5),
        ("cumulative", 1.6, 200, 32.0),
        ("marginal", 1.6, 150, 17.5),
        ("cumulative", 1.6, 150, 30.0),
    ],
)
def test_payout_matches_the_hand_table(mode, cap, credit, paid):
    got = pay.payout(plan(mode, cap), np.array([float(credit)]), np.array([100.0]))
    assert got[0] == pytest.approx(paid)


rates = st.floats(0, 1, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    base=rates,
    tiers=st.lists(st.tuples(st.floats(0.01, 3), rates), max_size=4),
    cap=st.one_of(st.just(math.inf), st.floats(0.1, 4)),
    credits=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=2, max_size=20),
    cumulative=st.booleans(),
)
def test_payout_never_falls_as_credit_grows(base, tiers, cap, credits, cumulative):
    # Marginal plans pay each slice at a rate >= 0, so more credit never pays less; a
    # cumulative plan pays more only while each tier's rate is at least the one before.
    tiers = sorted(dict(tiers).items())
    if cumulative:
        tiers = [(start, max([base, *(r for _, r in tiers[: i + 1])])) for i, (start, _) in
                 enumerate(tiers)]  # fmt: skip
    plan = CommissionPlan(base, tiers, cumulative, cap, {})
    credit = np.sort(np.array(credits))
    paid = pay.payout(plan, credit, np.full(len(credit), 1000.0))
    assert (np.diff(paid) >= -1e-9 * np.maximum(1.0, paid[1:])).all()


MARKET = """
kind: market
name: deals
segments: {all: {deal_value: 10000}}
sources: {inbound: {rate: RATE, enters: mql}}
journey:
  mql: {outcomes: {deal: 0.5, lost: 0.5}}
  deal: {milestone: opportunity, outcomes: {won: 0.4, lost: 0.6}}
  won: {milestone: won}
"""


def org(quota: str, ae: str = "", routing: str = "pool", sdr: str = "", deal="10min") -> str:
    return f"""
    kind: org
    name: paid
    roles:
      sdr: {{headcount: 2{sdr}}}
      ae: {{headcount: 4, quota: {quota}{ae}}}
    work:
      mql: {{role: sdr, effort: 10min}}
      deal: {{role: ae, effort: {deal}, routing: {routing}}}
    """


def test_every_won_deal_is_credited_once_and_splits_pay_as_written():
    # Quarters that fill the horizon exactly: every deal an AE won after warm-up is in one
    # seat's credit, once; the SDR split is 5% of every such deal (each one an SDR worked).
    sc = scenario(
        MARKET.replace("RATE", "40/week"),
        org("{per: quarter, value: 100000}", ", commission: {rate: 0.1, split: {sdr: 0.05}}"),
        horizon="26w",
        warmup="2w",
        replications=1,
    )
    model = compile_model(sc)
    records = run_replication(model, 3, check=True)
    ae = model.roles[1]
    found = pay.attainment(records, model, ae)
    wins = records.wins["time"] >= records.warmup
    assert found.credit.sum() == pytest.approx(records.wins["value"][wins].sum())
    assert len(set(zip(found.seat, found.period, strict=True))) == len(found.seat) == 4 * 2
    assert pay.splits(records, model, ae) == {"sdr": pytest.approx(0.05 * found.credit.sum())}
    quarters = ["role.ae.attainment_bottom_quartile", "role.ae.attainment_top_quartile"]
    kpis = compute(records, model, ["cost.commission", *quarters])
    assert kpis["cost.commission"] == pytest.approx(0.1 * found.credit.sum() * 1.5)
    assert [kpis[k] for k in quarters] == pytest.approx(found.quartiles())


@pytest.mark.statistical
def test_attainment_spread_is_the_poisson_count_theory_gives():
    # Random routing thins the Poisson stream of deals into independent Poisson streams per
    # AE, so a seat's wins in a quarter are Poisson(rate x p x 13 weeks / reps): the share of
    # seat-quarters at a quota of q wins is P(Poisson >= q), and the attainment's mean and
    # variance follow. Work is instant beside a quarter (reps to spare).
    rate, p, reps, quota = 20.0, 0.5 * 0.4, 4, 12
    sc = scenario(
        MARKET.replace("RATE", f"{rate:g}/week"),
        org(f"{{per: quarter, value: {quota}, credit: won}}", routing="random"),
        horizon="52w",
        warmup="1w",
        replications=1,
    )
    model = compile_model(sc)
    ae = model.roles[1]
    shares = np.concatenate(
        [pay.attainment(run_replication(model, s, check=True), model, ae).share
         for s in range(40)]
    )  # fmt: skip
    mean = rate * p * 13 / reps
    at_quota = stats.poisson(mean).sf(quota - 1)
    assert_binomial(int((shares >= 1).sum()), len(shares), at_quota, "share at quota", 3)
    assert_in_interval(shares, mean / quota, "mean attainment", checks=3)
    variance = np.var(shares * quota, ddof=1) / mean  # Poisson: 1
    n = len(shares) - 1
    low, high = stats.chi2.ppf([0.001 / 6, 1 - 0.001 / 6], n) / n
    assert low <= variance <= high


@pytest.mark.statistical
def test_a_ramped_quota_is_attained_as_a_ramped_rep_attains_its_full_one():
    # Two AEs join at the end of warm-up and ramp (their skill at 25%, 50%, 75% of full in
    # their first three months); their quota ramps the same. Random routing gives every AE
    # the same stream of deals, so a ramping AE's attainment of its ramped quota is, month
    # by month, a tenured AE's of the full one.
    quota = "{per: month, value: 4, credit: won, ramp_quota: true}"
    ramp = ", ramp: {by_month: [0.25, 0.5, 0.75], affects: skill}"
    text = org(quota, ramp, routing="random").replace(
        "    work:", "    hires: [{role: ae, at: 0w, count: 2}]\n    work:"
    )
    sc = scenario(MARKET.replace("RATE", "40/week"), text, horizon="13w", warmup="1w",
                  replications=1)  # fmt: skip
    model = compile_model(sc)
    ae = model.roles[1]
    new, old = [], []
    for seed in range(60):
        records = run_replication(model, seed, check=True)
        found = pay.attainment(records, model, ae)
        ramping = (found.seat >= 4) & (found.period < 3)
        new.append(found.share[ramping].mean())
        old.append(found.share[(found.seat < 4) & (found.period < 3)].mean())
    difference = np.array(new) - np.array(old)
    assert_in_interval(difference, 0.0, "ramping minus tenured attainment")


def test_a_seat_left_empty_carries_its_quota_and_misses_it():
    # An AE leaves at week 2 of a 13-week quarter and the seat is refilled three weeks
    # later: the seat carries the whole quarter's quota (its occupants' 10 weeks and the
    # empty 3), while a seat given up by a planned departure carries only its weeks.
    people = (", people: [{name: ann, leaves: {at: 2w, backfill: true}}, {name: bo, leaves: 2w}, "
              "{name: cy}, {name: di}], backfill: {delay: 3w}")  # fmt: skip
    text = org("{per: quarter, value: 13}", people).replace("headcount: 4, ", "")
    sc = scenario(MARKET.replace("RATE", "40/week"), text, horizon="13w", warmup="0h",
                  replications=1)  # fmt: skip
    model = compile_model(sc)
    records = run_replication(model, 1, check=True)
    found = pay.attainment(records, model, model.roles[1])
    by_seat = dict(zip(found.seat.tolist(), found.quota.tolist(), strict=True))
    assert by_seat == {0: pytest.approx(13.0), 1: pytest.approx(2.0), 2: 13.0, 3: 13.0}


def test_a_rep_who_leaves_at_a_quarter_end_leaves_no_sliver_of_a_quarter():
    # Bo leaves on the last Friday of the first quarter, at 16:30, without backfill; when a
    # two-hour deal is in progress he finishes it on Monday, in the second quarter: those
    # hours are no period of their own (a tiny quota would make the deal they decide an
    # attainment in the thousands of percent).
    people = ", people: [{name: bo, leaves: 2128.5h}, {name: cy}, {name: di}, {name: ed}]"
    text = org("{per: quarter, value: 52, credit: won}", people, deal="2h")
    text = text.replace("headcount: 4, ", "")
    sc = scenario(MARKET.replace("RATE", "80/week"), text, horizon="26w", warmup="0h",
                  replications=1)  # fmt: skip
    model = compile_model(sc)
    for seed in range(8):  # in seeds 5 and 6 Bo is mid-deal and leaves in the second quarter
        found = pay.attainment(run_replication(model, seed, check=True), model, model.roles[1])
        assert (found.quota >= 52 / 91).all() and found.share.max() < 3
        assert found.period[found.seat == 0].tolist() == [0]


def test_a_52_week_year_has_twelve_monthly_periods_the_last_pro_rata():
    sc = scenario(MARKET.replace("RATE", "20/week"), org("{per: month, value: 4, credit: won}"),
                  horizon="52w", warmup="0h", replications=1)  # fmt: skip
    model = compile_model(sc)
    found = pay.attainment(run_replication(model, 1, check=True), model, model.roles[1])
    quotas = found.quota[found.seat == 0]
    assert len(quotas) == 12 and quotas[:11].tolist() == [4.0] * 11
    assert quotas[11] == pytest.approx(4 * (52 * 7 * 24 - 11 * 365 * 2) / (365 * 2))


def test_each_named_person_shows_their_attainment():
    # One occupant per seat, nobody leaves: a person's attainment over the run is their
    # seat's credit over its quota, all periods together; the SDRs carry no quota.
    people = ", people: [{name: kim, quota: 30}, {name: lee}, {name: max}, {name: noa}]"
    text = org("{per: month, value: 20, credit: won}", people).replace("headcount: 4, ", "")
    sc = scenario(MARKET.replace("RATE", "40/week"), text, horizon="26w", warmup="1w",
                  replications=2)  # fmt: skip
    results = orgsim.simulate(sc, records=True, progress=False)
    model = compile_model(sc)
    seats = [pay.attainment(r, model, model.roles[1]) for r in results.records]
    table = results.people().set_index("person")
    for seat, name in enumerate(["kim", "lee", "max", "noa"]):
        mine = [f.credit[f.seat == seat].sum() / f.quota[f.seat == seat].sum() for f in seats]
        assert table.loc[name, "attainment"] == pytest.approx(np.mean(mine))
    assert table["attainment"].notna().all()


def test_every_pay_mistake_is_named_at_once():
    with pytest.raises(orgsim.ConfigError) as caught:
        scenario(
            MARKET.replace("RATE", "10/week"),
            org("{per: quarter, value: 10}",
                ", commission: {rate: 0.1, tiers: [{from: 1.5, rate: 0.2}, {from: 1.0, rate: "
                "0.1}], split: {ae: 0.1, sdrr: 0.1}}", sdr=", commission: {rate: 5}"),
        )  # fmt: skip
    said = str(caught.value)
    for message in (
        "roles.ae.commission.tiers: tiers must be in increasing order of `from`",
        "roles.ae.commission.split.ae: ae cannot split with itself",
        "roles.ae.commission.split.sdrr: 'sdrr' is not another role of the org; did you mean",
        "roles.sdr.commission: a commission pays on what a quota credits",
    ):
        assert message in said
    warned = scenario(
        MARKET.replace("RATE", "10/week"),
        org("{per: quarter, value: 10}",
            ", commission: {rate: 0.1, tiers: [{from: 1.0, rate: 0.2}], cap: 0.5}"),
    )  # fmt: skip
    assert any("tiers from 1 never pay" in str(w) for w in warned.warnings)


def test_a_named_person_carries_their_own_quota():
    people = ", people: [{name: kim, quota: 26}, {name: lee}, {name: max}, {name: noa}]"
    text = org("{per: quarter, value: 13}", people).replace("headcount: 4, ", "")
    sc = scenario(MARKET.replace("RATE", "40/week"), text, horizon="13w", warmup="0h",
                  replications=1)  # fmt: skip
    model = compile_model(sc)
    found = pay.attainment(run_replication(model, 1, check=True), model, model.roles[1])
    assert found.quota.tolist() == [26.0, 13.0, 13.0, 13.0]
    with pytest.raises(orgsim.ConfigError, match="kim's own quota needs ae's quota"):
        scenario(MARKET.replace("RATE", "40/week"), org("x").replace(
            "headcount: 4, quota: x", "people: [{name: kim, quota: 26}]"))  # fmt: skip


def test_people_read_from_results_saved_before_quotas_have_no_attainment():
    from orgsim.measure.people import people

    saved = pd.DataFrame({"person": ["kim", "kim"], "replication": [0, 1], "role": ["ae", "ae"],
                          "won": [1, 2], "won_value": [10.0, 20.0], "tasks": [3, 4],
                          "hours_worked": [1.0, 1.0], "hours_at_work": [2.0, 2.0]})  # fmt: skip
    row = people(saved).iloc[0]
    assert row["won"] == 1.5 and np.isnan(row["attainment"]) and row["utilization"] == 0.5


def test_the_report_shows_each_named_person_s_attainment():
    people = ", people: [{name: kim, quota: 30}, {name: lee}]"
    text = org("{per: month, value: 20, credit: won}", people).replace("headcount: 4, ", "")
    sc = scenario(MARKET.replace("RATE", "20/week"), text, horizon="13w", warmup="0h",
                  replications=2, extra="variants:\n  today: {}\n  more_sdrs:\n    set: "
                  "{org.roles.sdr.headcount: 3}\n")  # fmt: skip
    html = orgsim.compare(sc, progress=False).report_html()
    start = html.index('<table id="people">')
    table = html[start : html.index("</table>", start)]
    assert table.count("of quota") == 4  # two people in two designs


def test_top_and_bottom_quartiles_are_the_means_of_the_best_and_worst_quarter():
    found = pay.Attainment(*(np.arange(8) for _ in range(2)), np.full(8, 10.0),
                           np.array([0, 25, 5, 12, 8, 30, 9, 10.0]))  # fmt: skip
    # shares sorted: 0, .5, .8, .9, 1, 1.2, 2.5, 3: two in each quarter
    assert found.quartiles() == pytest.approx((0.25, 2.75))
    one = pay.Attainment(np.zeros(1), np.zeros(1), np.ones(1), np.full(1, 0.7))
    assert one.quartiles() == pytest.approx((0.7, 0.7))
    assert all(math.isnan(q) for q in pay.Attainment(*(np.zeros(0),) * 4).quartiles())
