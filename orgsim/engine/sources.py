"""Where leads come from: Poisson arrivals with seasonality and business hours.

All arrivals of a replication are drawn up front, vectorised, in creation
order. They depend only on the market and the seed, never on the org, so
every org design sees exactly the same leads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from orgsim.config.units import MONTH, WEEK
from orgsim.engine.calendar import BUSINESS_HOURS, month_of
from orgsim.engine.luck import ARRIVALS, ATTRIBUTES, BOOK, DEAL_VALUE, Streams, key
from orgsim.engine.model import BookPlan, Model, SourcePlan

BUSINESS_SHARE = sum(b - a for a, b in BUSINESS_HOURS) / WEEK
"""Share of the week inside Mon-Fri 09:00-17:00 (40 of 168 hours)."""


@dataclass
class Arrivals:
    """Every lead of a replication, in creation order: first the book (existing customers and
    open pipeline, created at t = 0 with source -1), then the sources' leads."""

    time: np.ndarray
    source: np.ndarray
    segment: np.ndarray
    value: np.ndarray
    placed: np.ndarray | None = None
    """Per book lead (the first `len(placed)` leads): when it enters its stage."""
    book_entry: np.ndarray | None = None
    """Per book lead: which entry of the market's `book` it comes from."""

    def __len__(self) -> int:
        return len(self.time)

    @property
    def book(self) -> int:
        """How many of the leads are the book's."""
        return 0 if self.placed is None else len(self.placed)


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
    value = deal_values(
        model.deal_values,
        segment,
        lambda code: streams.generator(DEAL_VALUE, key(model.segments[code])),
    )
    if not model.book:
        return Arrivals(time, source, segment, value)
    book = draw_book(model, streams)
    return Arrivals(
        np.concatenate([book.time, time]),
        np.concatenate([book.source, source]),
        np.concatenate([book.segment, segment]),
        np.concatenate([book.value, value]),
        book.placed,
        book.book_entry,
    )


def deal_values(
    per_segment: list, segment: np.ndarray, stream: Callable[[int], np.random.Generator]
) -> np.ndarray:
    """Each lead's deal value, drawn segment by segment from `per_segment[code]` with
    `stream(code)`."""
    value = np.zeros(len(segment))
    for code, distribution in enumerate(per_segment):
        mask = segment == code
        value[mask] = distribution.sample(stream(code), int(mask.sum()))
    return value


def remaining_delay(entry: BookPlan, segment: np.ndarray, rng: np.random.Generator):
    """Per lead of an entry with `age`: what is left of its stage's buyer delay, drawn from
    the delay given that it is longer than the lead's age (rejection, up to 64 rounds; a
    lead older than any draw falls due at once)."""
    left = np.zeros(len(segment))
    for code, (ages, delays) in enumerate(zip(entry.age, entry.delay, strict=True)):
        mine = np.flatnonzero(segment == code)
        age = ages.sample(rng, len(mine))
        for _ in range(64):
            if not len(mine):
                break
            drawn = delays.sample(rng, len(mine))
            longer = drawn > age
            left[mine[longer]] = drawn[longer] - age[longer]
            mine, age = mine[~longer], age[~longer]
    return left


def draw_book(model: Model, streams: Streams) -> Arrivals:
    """The book's leads, entry by entry, each entry from its own stream (so the sources' leads
    keep their values whatever the book holds): segment from the entry's mix, deal value from
    the segment's, and when it enters its stage."""
    segments, values, placed, entries = [], [], [], []
    for i, entry in enumerate(model.book):
        rng = streams.generator(BOOK, i)
        segment = rng.choice(len(model.segments), size=entry.count, p=entry.mix)
        segments.append(segment)
        written = model.deal_values if entry.value is None else entry.value
        values.append(deal_values(written, segment, lambda _, rng=rng: rng))
        if entry.age is None:
            placed.append(rng.random(entry.count) * entry.over)
        else:
            placed.append(remaining_delay(entry, segment, rng))
        entries.append(np.full(entry.count, i))
    n = sum(entry.count for entry in model.book)
    return Arrivals(
        np.zeros(n),
        np.full(n, -1),
        np.concatenate(segments),
        np.concatenate(values),
        np.concatenate(placed),
        np.concatenate(entries),
    )
