"""Speed to lead per source (SCENARIO-SPEC 9.1): each source's own figure, the headline over
every source's leads together, and each in the scorecard under the team that answers it."""

from __future__ import annotations

import numpy as np

import orgsim
from orgsim.config import scorecard

from .models import scenario

MARKET = """
kind: market
name: inbound and outbound
segments: {all: {deal_value: 1000}}
sources:
  inbound: {rate: 40/week, enters: mql}
  outbound: {rate: 15/week, enters: prospect}
journey:
  mql: {outcomes: {won: 0.1}}
  prospect: {outcomes: {won: 0.05}}
  won: {milestone: won}
"""
ORG = """
kind: org
name: two teams
roles:
  sdr: {team: marketing_ops, headcount: 2, schedule: always}
  bdr: {team: sales, headcount: 1, schedule: business_hours}
work:
  mql: {role: sdr, effort: 20min}
  prospect: {role: bdr, effort: 1h}
"""


def test_each_source_has_its_own_speed_and_the_headline_weighs_them_by_leads():
    sc = scenario(MARKET, ORG, horizon="8w", warmup="1w", replications=4)
    results = orgsim.simulate(sc, progress=False, records=True)
    kpis = results.kpis
    inbound, outbound = (
        kpis["source.inbound.speed_to_lead_mean"],
        kpis["source.outbound.speed_to_lead_mean"],
    )
    assert (outbound > 3 * inbound).all()  # a business-hours team answers far later
    for i, records in enumerate(results.records):  # the headline is every lead's, together
        leads = records.leads
        touched = (leads["first_touch"] >= records.warmup) & (leads["source"] >= 0)
        counts = np.bincount(leads["source"][touched], minlength=2)
        mixed = (counts[0] * inbound.iloc[i] + counts[1] * outbound.iloc[i]) / counts.sum()
        assert np.isclose(kpis["speed_to_lead_mean"].iloc[i], mixed, rtol=1e-12)
    for facet in ("p50", "p90"):
        assert kpis[f"source.outbound.speed_to_lead_{facet}"].notna().all()


def test_the_scorecard_puts_each_sources_speed_under_the_team_that_answers_it():
    sc = scenario(MARKET, ORG, horizon="4w", warmup="0h", replications=2)
    results = orgsim.simulate(sc, progress=False)
    teams = dict(scorecard.by_team(results.kpis.columns, results.facts.owners()))
    assert "source.outbound.speed_to_lead_mean" in teams["sales"]
    assert "source.inbound.speed_to_lead_mean" in teams["marketing_ops"]
    shown = {name for members in teams.values() for name in members}
    assert "source.inbound.speed_to_lead_p90" not in shown  # --all shows it
