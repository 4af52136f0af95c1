"""How big a run is before it starts: leads and memory, from the scenario alone.

A rate of a million leads a week or a horizon of a century is valid YAML, but a replication
would need gigabytes and hours. Every run checks the size first (`simulate`, `compare`,
`plan`, `sweep` at each swept market value): it refuses one whose replications, side by
side on the workers, would not fit in this machine's memory (naming `--allow-large` to run
it anyway); the command line also warns about one that will take long.
"""

from __future__ import annotations

import os

from orgsim.config.errors import ConfigError

LEAD_BYTES = 2_400
"""Memory per lead of a replication with its records: `benchmarks/run.py engine` (c)
measures 15.8 MiB of Python heap for a replication of the shipped reorg scenario, about
8,000 leads (2.0 KB each), and this keeps a margin over it."""
MAX_REPLICATIONS = 100_000
"""Far more than any interval needs (20-50 give a few percent); beyond it even drawing the
seeds takes minutes."""
MAX_PEOPLE = 100_000
"""People in one role, pod or hire: more than any revenue org has; beyond it the queueing
formulas (a sum over every rep) and the engine's per-rep state stop being instant."""
MAX_BOOK = 10_000_000
MAX_ACCOUNTS = 10_000_000
"""Accounts of one segment an outbound source may list (each is one row of the run's state)."""
"""Leads in one entry of a market's book: ten times the customers of the largest SaaS
companies; beyond it, a typo."""
LEADS_PER_SECOND = 20_000
"""Leads one worker simulates a second, conservatively: `benchmarks/run.py engine` (c)
measured 38,000-58,800 on the 2-core development machine, before KPIs and tables."""
LONG = 2_000_000
"""Leads, over all replications and variants, above which a run takes minutes: a warning."""


CALIBRATED_VISITS = 2.83
"""Stage visits per source lead in the scenario LEAD_BYTES was measured on (the shipped
reorg scenario, `journey.visits_per_lead`): a journey whose leads loop more needs more."""


def leads_per_replication(variant, hours: float) -> float:
    """Leads a replication of `variant` creates over `hours` (each source at its mean
    seasonal rate), plus its book."""
    market = variant.market
    created = sum(
        source.rate * (sum(source.seasonality) / 12 if source.seasonality else 1.0)
        for source in market.sources.values()
        if source.kind == "inbound"
    )
    accounts = sum(sum(s.accounts.values()) for s in market.prospected().values())
    return created * hours + sum(entry.count for entry in market.book) + accounts


def bytes_per_lead(variant, hours: float) -> float:
    """Memory per lead of a replication over `hours`, more for a journey whose leads visit
    more stages."""
    from orgsim.config.journey import visits_per_lead  # the schema imports this module's caps

    return LEAD_BYTES * max(1.0, visits_per_lead(variant.market, hours) / CALIBRATED_VISITS)


def memory() -> int | None:
    """This machine's memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check(
    scenario, variants: list[str], workers: int, allow_large: bool = False, points: int = 1
) -> str | None:
    """Refuse (ConfigError) a run whose replications running side by side on `workers`
    would not fit in memory, unless `allow_large`; a warning for a long one, or None."""
    if not isinstance(allow_large, bool):  # "no" is true: it would lift the check unasked
        why = f"{allow_large!r}: pass True or False"
        raise ConfigError.unplaced("<arguments>", "allow_large", why)
    hours = scenario.warmup + scenario.horizon
    leads = [leads_per_replication(scenario.variants[v], hours) for v in variants]
    each = max(leads)
    heaviest = max(leads_per_replication(scenario.variants[v], hours) * bytes_per_lead(
        scenario.variants[v], hours) for v in variants)  # fmt: skip
    side_by_side = heaviest * max(1, min(workers, scenario.replications))
    total = sum(leads) * scenario.replications * points  # a sweep runs every point
    available = memory()
    if available and side_by_side > 0.8 * available and not allow_large:
        raise ConfigError.unplaced(
            scenario.file or "<scenario>",
            "<size>",
            f"about {each:,.0f} leads a replication need about {side_by_side / 2**30:,.1f} GiB "
            f"on {workers} worker(s) at once, and this machine has {available / 2**30:,.1f} "
            "GiB: lower the rates or the horizon, use fewer workers, or pass --allow-large "
            "(allow_large=True in Python) to run it anyway",
        )
    if total > LONG:
        at_once = max(1, min(workers, scenario.replications * len(variants) * points))
        took = _duration(total / (LEADS_PER_SECOND * at_once))
        if scenario.auto is not None:  # replications is the most it may take
            return (
                f"note: about {each:,.0f} leads a replication, and replications: auto runs "
                f"up to {scenario.auto.most} of them: {took} at the most"
            )
        return f"note: about {total:,.0f} leads in all ({each:,.0f} a replication): {took}"
    return None


def _duration(seconds: float) -> str:
    """How long a run takes, in the unit a person plans by."""
    if seconds < 90:
        return "this takes about a minute"
    if seconds < 90 * 60:
        return f"this takes about {seconds / 60:.0f} minutes"
    if seconds < 36 * 3600:
        return f"this takes about {seconds / 3600:.0f} hours: try fewer replications first"
    return f"this takes about {seconds / 86400:.0f} days: try fewer replications first"
