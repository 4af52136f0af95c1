"""Where leads come from: Poisson arrivals with seasonality and business hours.

All arrivals of a replication are drawn up front, vectorised, in creation
order. They depend only on the market and the seed, never on the org, so
every org design sees exactly the same leads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orgsim.config.units import MONTH, WEEK
from orgsim.engine.calendar import BUSINESS_HOURS, month_of
from orgsim.engine.luck import ARRIVALS, ATTRIBUTES, DEAL_VALUE, Streams, key
from orgsim.engine.model import Model, SourcePlan

BUSINESS_SHARE = sum(b - a for a, b in BUSINESS_HOURS) / WEEK
"""Share of the week inside Mon-Fri 09:00-17:00 (40 of 168 hours)."""


@dataclass
class Arrivals:
    """Every lead of a replication, in creation order."""

    time: np.ndarray
    source: np.ndarray
    segment: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.time)


def rate_pieces(
    source: SourcePlan, until: float, offset: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intervals (start, length, rate per hour) on which the arrival rate is constant; t = 0
    is `offset` hours into the year (the scenario's start date)."""
    edges = [0.0, until]
    if source.seasonality is not None:
        edges += list(np.arange(MONTH, until + offset, MONTH) - offset)
    if source.business_hours:
        weeks = np.arange(0.0, until, WEEK)
        for open_, close in BUSINESS_HOURS:
            edges += list(weeks + open_) + list(weeks + close)
    edges = np.unique(np.clip(edges, 0.0, until))
    starts, lengths = edges[:-1], np.diff(edges)
    middle = starts + lengths / 2
    rate = np.full(len(starts), source.rate)
    if source.seasonality is not None:
        rate = rate * np.asarray(source.seasonality)[month_of(middle + offset)]
    if source.business_hours:
        in_week = middle % WEEK
        inside = np.zeros(len(starts), dtype=bool)
        for open_, close in BUSINESS_HOURS:
            inside |= (in_week >= open_) & (in_week < close)
        rate = np.where(inside, rate / BUSINESS_SHARE, 0.0)
    return starts, lengths, rate


def arrival_times(
    source: SourcePlan, until: float, rng: np.random.Generator, offset: float = 0.0
) -> np.ndarray:
    """Sorted arrival times in [0, until) of a piecewise-constant Poisson process."""
    starts, lengths, rate = rate_pieces(source, until, offset)
    counts = rng.poisson(rate * lengths)
    times = np.repeat(starts, counts) + rng.random(counts.sum()) * np.repeat(lengths, counts)
    return np.sort(times)


def draw_arrivals(model: Model, streams: Streams) -> Arrivals:
    """All leads of a replication: when, from which source, which segment, what deal value."""
    times, sources, segments = [], [], []
    for code, source in enumerate(model.sources):
        rng = streams.generator(ARRIVALS, key(source.name))
        t = arrival_times(source, model.end, rng, model.year_offset)
        mix_rng = streams.generator(ATTRIBUTES, key(source.name))
        times.append(t)
        sources.append(np.full(len(t), code))
        segments.append(mix_rng.choice(len(model.segments), size=len(t), p=source.mix))
    time = np.concatenate(times)
    order = np.argsort(time, kind="stable")
    time, source, segment = (
        time[order],
        np.concatenate(sources)[order],
        np.concatenate(segments)[order],
    )
    value = np.zeros(len(time))
    for code, name in enumerate(model.segments):
        mask = segment == code
        rng = streams.generator(DEAL_VALUE, key(name))
        value[mask] = model.deal_values[code].sample(rng, int(mask.sum()))
    return Arrivals(time, source, segment, value)
