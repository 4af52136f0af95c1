"""Outbound prospecting, analytically: the most a prospecting role can dial and book.

Outbound is flexible load: a rep prospects in the hours its journey work leaves, up to
`outbound_share` of each day, so its volume follows the role's free time and the accounts
left, not a rate. What capacity can stand behind are bounds, each true of every run:

- hours: each day, outbound <= share x that day's hours and <= the hours its inbound work
  leaves, and a sum of minima is at most the minimum of the sums, so prospecting hours over
  the horizon are at most min(share, 1 - utilization) x the role's hours (the utilization
  is capacity's own estimate, with its budget; inbound work that varies from day to day
  makes the real figure lower);
- attempts: those hours over the mean work of one attempt (effort / productive share);
- meetings: c x m per attempt (a ramping rep books fewer);
- the market: each sequence takes E[D] = (1 - (1 - c)^A) / c attempts on average and an
  account's sequences start more than a cool-off apart, so over a horizon T the sequences
  are at most N (1 + floor(T / cool-off)), each booking a meeting with chance
  (1 - (1 - c)^A) m.

Capacity adds the bound on meetings as the source's arrival rate, so the roles that work
them are loaded as if prospecting ran at its most: their load is an upper bound too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from orgsim.config.units import WEEK
from orgsim.engine.model import Model
from orgsim.measure.jsonable import json_number


@dataclass
class OutboundBound:
    """The most one outbound source's prospecting can make over the horizon."""

    source: str
    role: str
    headcount: int
    share: float
    """Most of the role's hours that can go on prospecting: min(outbound_share, 1 - load)."""
    attempts_per_week: float
    meetings_per_week: float
    """While fresh accounts last."""
    accounts: int
    lasts_weeks: float
    """Weeks the accounts last at that pace, at the earliest (inf: longer than ever)."""
    average_meetings_per_week: float
    """Over the horizon, with the market's limit (each account once per cool-off)."""

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "role": self.role,
            "headcount": self.headcount,
            "share_at_most": json_number(self.share),
            "attempts_per_week_at_most": json_number(self.attempts_per_week),
            "meetings_per_week_at_most": json_number(self.meetings_per_week),
            "accounts": self.accounts,
            "accounts_last_weeks_at_least": json_number(self.lasts_weeks),
            "horizon_meetings_per_week_at_most": json_number(self.average_meetings_per_week),
        }

    def words(self, horizon_weeks: float) -> str:
        lasts = (
            f"its {self.accounts:,} accounts last at least {self.lasts_weeks:.0f} weeks at that "
            "pace"
            if self.lasts_weeks < horizon_weeks
            else f"its {self.accounts:,} accounts outlast the horizon"
        )
        reps = self.headcount
        each = (
            f" ({self.attempts_per_week / reps:,.0f} and {self.meetings_per_week / reps:.2f} a rep)"
        )
        return (
            f"{self.source} (outbound): {self.role} can prospect at most {self.share:.0%} of its "
            "scheduled hours (what its journey work and outbound_share leave), so the team makes "
            f"up to {self.attempts_per_week:,.0f} attempts and {self.meetings_per_week:.1f} "
            f"meetings a week{each}; {lasts}; over the horizon, with each "
            f"account called at most once per cool-off, at most "
            f"{self.average_meetings_per_week:.1f} meetings a week. Bounds, not estimates: "
            f"{self.role}'s load above is its journey work only (prospecting fills up to its "
            "share of the hours left), and the roles that work the meetings, and the headroom "
            "line, count the meetings at this most."
        )


def outbound_bounds(model: Model, hours: dict[str, tuple[float, float]]) -> list[OutboundBound]:
    """The bounds of every outbound source, given each role's (journey work offered,
    hours available) a week (capacity's estimate before outbound meetings are added)."""
    bounds = []
    for source in model.sources:
        plan = source.outbound
        if plan is None:
            continue
        role = model.roles[plan.role]
        offered, available = hours.get(role.name, (0.0, 0.0))
        share = max(0.0, min(role.outbound_share, 1 - offered / available)) if available else 0.0
        total = sum(plan.accounts)
        effort = sum(
            n * dist.expected() for n, dist in zip(plan.accounts, plan.effort, strict=True)
        ) / max(total, 1)
        attempts = share * available * role.productive_share / effort if effort else math.inf
        c, m, a = plan.connect, plan.meeting, plan.attempts
        reached = 1 - (1 - c) ** a
        per_sequence = reached / c if c > 0 else a  # E[D]: attempts a sequence takes
        sequences = attempts / per_sequence
        horizon = model.horizon / WEEK
        rounds = 1 + math.floor(model.horizon / plan.cool_off)  # starts > cool-off apart
        market = total * rounds / horizon if horizon else math.inf
        bounds.append(
            OutboundBound(
                source=source.name,
                role=role.name,
                headcount=role.headcount,
                share=share,
                attempts_per_week=attempts,
                meetings_per_week=attempts * c * m,
                accounts=total,
                lasts_weeks=total / sequences if sequences else math.inf,
                average_meetings_per_week=min(sequences, market) * reached * m,
            )
        )
    return bounds


def with_meetings(model: Model, bounds: list[OutboundBound]) -> Model:
    """The model with each outbound source arriving at the bound on its meetings (a rate per
    hour, over the accounts' segment mix), for the loads of the roles after it."""
    rates = {b.source: b.average_meetings_per_week / WEEK for b in bounds}
    return replace(
        model,
        sources=[replace(s, rate=rates[s.name]) if s.name in rates else s for s in model.sources],
    )
