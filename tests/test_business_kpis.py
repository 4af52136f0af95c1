"""Business KPIs (lead to customer, win rate, deal size, CAC and its payback, LTV, logo
retention, MRR) and the org's other costs.

Costs are checked exactly against hand arithmetic on an org whose people never change;
conversion and retention against binomial theory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import orgsim
from orgsim.config.units import WEEK, YEAR

from .intervals import assert_in_interval

COSTS = """
kind: scenario
name: what costs count where
horizon: 52w
warmup: 13w
replications: 3
seed: 5
market:
  kind: market
  name: one product
  gross_margin: 0.8
  segments: {smb: {deal_value: {dist: lognormal, mean: 12000, cv: 0.3}}}
  sources: {web: {rate: 50/week, enters: mql}}
  journey:
    mql: {outcomes: {opportunity: 0.5}}
    opportunity: {milestone: opportunity, buyer_delay: 1w, outcomes: {won: 0.3}}
    won: {milestone: won, outcomes: {onboarding: 1}}
    onboarding: {buyer_delay: 1w, outcomes: {renewal: 1}}
    renewal: {buyer_delay: 26w, outcomes: {renewal: 0.8}, otherwise: churned}
org:
  kind: org
  name: five roles
  roles:
    sdr: {headcount: 2, cost_per_year: 50000}
    ae: {headcount: 3, cost_per_year: 100000}
    csm: {headcount: 1, cost_per_year: 80000}
    manager: {team: sales, headcount: 1, cost_per_year: 150000}
    cs_lead: {team: customer_success, headcount: 1, cost_per_year: 90000}
  work:
    mql: {role: sdr, effort: 10min}
    opportunity: {role: ae, effort: 30min}
    onboarding: {role: csm, effort: 1h}
    renewal: {role: csm, effort: 30min}
  handoffs:
    sdr->ae: {mode: automated, cost: routing}
  marketing: {cost_per_lead: 100}
  costs:
    - {name: crm, per_seat_per_year: 1000}
    - {name: routing, per_seat_per_year: 600, roles: [sdr, ae]}
    - {name: cs_tool, per_year: 5000, roles: [csm]}
    - {name: bi, per_year: 12000}
"""


def test_costs_and_cac_add_up_by_hand():
    """Nobody joins or leaves, so every role is on the payroll for all 52 measured weeks.
    CAC leaves out the CSM (it works only after the sale) and the customer-success lead (no
    stage, team customer_success), and the yearly cost that serves only the CSM."""
    kpis = orgsim.simulate(orgsim.load_text(COSTS), progress=False).kpis
    years = 52 * WEEK / YEAR
    people = (2 * 50000 + 3 * 100000 + 80000 + 150000 + 90000) * years
    other = (1000 * 8 + 600 * 5 + 5000 + 12000) * years
    marketing = 100 * kpis["leads"]
    assert np.allclose(kpis["cost.people"], people)
    assert np.allclose(kpis["cost.other"], other)
    assert np.allclose(kpis["cost.marketing"], marketing)
    assert np.allclose(kpis["cost"], people + other + marketing)
    acquiring = (2 * 50000 + 3 * 100000 + 150000 + 1000 * 6 + 600 * 5 + 12000) * years
    assert np.allclose(kpis["cac"], (acquiring + marketing) / kpis["won"])
    assert np.allclose(kpis["avg_deal_size"], kpis["won_value"] / kpis["won"])
    assert np.allclose(kpis["cac_payback_months"], kpis["cac"] / (kpis["avg_deal_size"] / 12 * 0.8))
    assert np.allclose(kpis["mrr_end"], kpis["arr_end"] / 12)
    assert (kpis["cac"] < kpis["cost_per_won"]).all()


def test_a_source_with_its_own_cost_is_split_from_marketing_by_hand():
    """An outbound list bought at 40 a contact with 36,000 a year of data and dialer seats:
    its leads cost that, not marketing's 100 a lead; cost, CAC and the per-source costs
    count both, and a source without a cost of its own stays marketing's."""
    text = COSTS.replace(
        "sources: {web: {rate: 50/week, enters: mql}}",
        "sources:\n    web: {rate: 50/week, enters: mql}\n"
        "    outbound: {rate: 20/week, enters: mql, cost: {per_lead: 40, per_year: 36000}}",
    )
    kpis = orgsim.simulate(orgsim.load_text(text), progress=False).kpis
    years = 52 * WEEK / YEAR
    web = kpis["leads"] - _outbound_leads(text)
    own = 40 * (kpis["leads"] - web) + 36000 * years
    assert np.allclose(kpis["source.web.cost"], 100 * web)
    assert np.allclose(kpis["cost.marketing"], 100 * web)
    assert np.allclose(kpis["cost.sources"], own)
    assert np.allclose(kpis["source.outbound.cost"], own)
    won_outbound = kpis["source.outbound.lead_to_customer"] * (kpis["leads"] - web)
    assert np.allclose(kpis["source.outbound.cost_per_won"], own / won_outbound)
    people = (2 * 50000 + 3 * 100000 + 80000 + 150000 + 90000) * years
    other = (1000 * 8 + 600 * 5 + 5000 + 12000) * years
    assert np.allclose(kpis["cost"], people + other + 100 * web + own)
    acquiring = (2 * 50000 + 3 * 100000 + 150000 + 1000 * 6 + 600 * 5 + 12000) * years
    assert np.allclose(kpis["cac"], (acquiring + 100 * web + own) / kpis["won"])
    plain = orgsim.simulate(orgsim.load_text(COSTS), replications=1, progress=False).kpis
    assert "cost.sources" not in plain and "source.web.cost" in plain


def _outbound_leads(text: str) -> np.ndarray:
    """Per replication, the leads the outbound source created after warm-up (from records)."""

    def count(records, model) -> pd.DataFrame:
        mine = records.leads["source"] == [s.name for s in model.sources].index("outbound")
        return pd.DataFrame({"n": [(mine & (records.leads["created"] >= records.warmup)).sum()]})

    results = orgsim.simulate(orgsim.load_text(text), records=True, progress=False)
    return results.per_replication(count)["n"].to_numpy()


def test_a_switch_changes_the_costs_at_its_date():
    """A transition to the same org whose BI tool costs twice as much: 26 weeks at each."""
    text = COSTS.split("org:\n", 1)[1].replace("per_year: 12000", "per_year: 24000")
    inline = "\n".join("      " + line for line in text.splitlines())
    sc = orgsim.load_text(
        COSTS
        + "variants:\n  stay: {}\n  pricier:\n    transition:\n      at: 26w\n      org:\n"
        + inline
        + "\n"
    )
    comparison = orgsim.compare(sc, progress=False)
    other = comparison.results["pricier"].kpis["cost.other"]
    before = comparison.results["stay"].kpis["cost.other"]
    assert np.allclose(other - before, 12000 * 26 * WEEK / YEAR)


CONVERSION = """
kind: scenario
name: two sources, one funnel
horizon: 52w
warmup: 4w
replications: 30
seed: 12
market:
  kind: market
  name: m
  segments: {smb: {deal_value: 5000}}
  sources:
    ads: {rate: 30/week, enters: mql}
    events: {rate: 20/week, enters: mql}
  journey:
    mql: {outcomes: {opportunity: 0.5}}
    opportunity: {milestone: opportunity, buyer_delay: 1w, outcomes: {won: 0.3}}
    won: {milestone: won}
org: {kind: org, name: nobody works, roles: {ae: {headcount: 1}}}
"""


def test_lead_to_customer_and_win_rate_match_the_journey():
    """Nobody works a stage, so every chance is the market's: half the leads become
    opportunities and 30% of opportunities are won. The win rate is a binomial share of the
    opportunities decided; lead to customer is 0.15 overall and for each source (arrivals
    are stationary after warm-up, so won and leads in the window keep that ratio in
    expectation). Four checks, Bonferroni-corrected."""
    kpis = orgsim.simulate(orgsim.load_text(CONVERSION), progress=False).kpis
    assert_in_interval(kpis["win_rate"], 0.3, "win rate", 4)
    for name in (
        "lead_to_customer",
        "source.ads.lead_to_customer",
        "source.events.lead_to_customer",
    ):
        assert_in_interval(kpis[name], 0.15, name, 4)


def test_business_kpis_need_their_inputs():
    """No gross margin: no CAC payback or LTV; no opportunity milestone: no win rate; no
    other costs: no `cost.other`."""
    plain = orgsim.load_text(CONVERSION.replace("milestone: opportunity, ", "")).kpi_names()
    assert "win_rate" not in plain and "cac_payback_months" not in plain
    assert "ltv" not in plain and "cost.other" not in plain
    assert {"lead_to_customer", "avg_deal_size", "cac", "logo_retention", "mrr_end"} <= set(plain)
    full = orgsim.load_text(COSTS).kpi_names()
    assert {"win_rate", "cac_payback_months", "ltv", "cost.other"} <= set(full)


RETENTION = """
kind: scenario
name: a book that renews twice
horizon: 40w
warmup: 0h
replications: 40
seed: 8
market:
  kind: market
  name: m
  gross_margin: 0.7
  segments: {smb: {deal_value: 10000}}
  sources: {web: {rate: 0/week, enters: opportunity}}
  journey:
    opportunity: {outcomes: {won: 0.3}}
    won: {milestone: won, outcomes: {onboarding: 1}}
    onboarding: {outcomes: {renewal: 1}}
    renewal: {buyer_delay: 30w, outcomes: {renewal: 0.9}, otherwise: churned}
  book:
    - {stage: BOOKED, count: 200, over: 20w}
org: {kind: org, name: nobody works, roles: {csm: {headcount: 1}}}
"""


def test_logo_retention_is_the_share_of_todays_customers_left():
    """200 customers fall due uniformly over 20 weeks and again 30 weeks later, each time
    renewing with chance 0.9: those placed in the first 10 weeks decide twice within 40
    weeks. Expected retention 0.5 x 0.9 + 0.5 x 0.81 = 0.855."""
    kpis = orgsim.simulate(
        orgsim.load_text(RETENTION.replace("BOOKED", "renewal")), progress=False
    ).kpis
    assert_in_interval(kpis["logo_retention"], 0.855, "logo retention")


def test_lifetime_value_needs_churn_to_be_estimated():
    """With nobody churning the lifetime has no estimate: NaN, never infinity. With churn,
    LTV is ARR per customer x margin / churn per customer-year, and the customer-years lie
    between the survivors' time and everyone's."""
    # onboarding customers' first renewal is 30 weeks away: nobody decides within 20
    onboarding = RETENTION.replace("BOOKED", "onboarding").replace("horizon: 40w", "horizon: 20w")
    kept = orgsim.simulate(orgsim.load_text(onboarding), progress=False)
    assert (kept.kpis["churned"] == 0).all() and (kept.kpis["logo_retention"] == 1).all()
    assert kept.kpis["ltv"].isna().all()
    kpis = orgsim.simulate(
        orgsim.load_text(RETENTION.replace("BOOKED", "renewal")), progress=False
    ).kpis
    left = 200 - kpis["churned"]  # nobody new: the source sends no leads
    per_customer = kpis["arr_end"] / left
    # customer-years lie between the survivors' 40 weeks and everyone's
    fewest, most = left * 40 * WEEK / YEAR, 200 * 40 * WEEK / YEAR
    assert (kpis["ltv"] >= per_customer * 0.7 * fewest / kpis["churned"] - 1e-6).all()
    assert (kpis["ltv"] <= per_customer * 0.7 * most / kpis["churned"] + 1e-6).all()
    assert (kpis["logo_retention"] == left / 200).all()


def test_the_currency_is_named_beside_money(tmp_path):
    """`currency` is a label: the terminal's money heading, the report's and `--json` name
    it, and no amount changes."""
    import json

    from typer.testing import CliRunner

    from orgsim.cli import app

    path = tmp_path / "eur.yaml"
    path.write_text(CONVERSION.replace("seed: 12", "seed: 12\ncurrency: EUR"), encoding="utf-8")
    runner = CliRunner()
    shown = runner.invoke(app, ["run", str(path), "--reps", "2", "--workers", "1"])
    assert shown.exit_code == 0, shown.output
    assert "money (EUR)" in shown.output
    data = json.loads(runner.invoke(app, ["run", str(path), "--reps", "2", "--json"]).stdout)
    plain = tmp_path / "plain.yaml"
    plain.write_text(CONVERSION, encoding="utf-8")
    without = json.loads(runner.invoke(app, ["run", str(plain), "--reps", "2", "--json"]).stdout)
    assert (data["currency"], without["currency"]) == ("EUR", None)
    assert data["kpis"] == without["kpis"]
