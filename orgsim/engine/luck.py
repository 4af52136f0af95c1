"""Random numbers keyed to what they are about, so two org designs see the same luck.

Common random numbers make "design B beats design A" a paired comparison:
replication i of every variant must see the same leads with the same luck.
So no draw may depend on the order in which an org happens to process
events. Every random number here is a pure function of

    (replication seed, purpose, what it is about, which block)

realised through numpy's `SeedSequence(seed, spawn_key=...)`:

- org-independent lead attributes (arrivals, segments, deal values) are
  drawn for the whole run up front, in creation order;
- a lead's per-visit luck (its buyer delay, the uniform deciding the
  outcome, its efforts, its handoff delay and leak, its patience) is keyed to (stage,
  lead, k-th visit of that stage). Leads are grouped in blocks of 4096 by
  creation index; a block of draws is made the first time any lead of the
  block needs it, from its own sub-stream, so which lead asks first cannot
  change any value. Long loops extend the same way (k = 1, 2, ...);
- per-rep skill and tenure are keyed to (role, rep index); the draws about people
  who come and go (time to leave, backfill delay, PTO days, a new rep's skill) to
  (role, seat, occupant), see people.py; a named person's (roles.<r>.people) to
  (PERSON, name) instead, whatever the role, seat or design; random routing has its
  own stream (it depends on the org by nature);
- an outbound account's attempts to (account, its n-th attempt), and a meeting it books to
  (account, its m-th meeting): see outbound.py.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

BLOCK_BITS = 12
BLOCK = 1 << BLOCK_BITS  # leads per block of draws
_ROW = BLOCK - 1

ARRIVALS, ATTRIBUTES, DEAL_VALUE, SKILL, ROUTING = 1, 2, 3, 4, 5
OUTCOME, BUYER_DELAY, EFFORT, HANDOFF_DELAY, LEAK, VALUE_CHANGE, PATIENCE = range(6, 13)
TENURE, ATTRITION, BACKFILL, PTO = 13, 14, 15, 16
BOOK = 17
CONNECT, MEETING, ATTEMPT_EFFORT, ACCOUNT_ORDER = 18, 19, 20, 21
PERSON = 1 << 32
"""Leads a named person's keys: (purpose, PERSON, key(name)) can equal no (purpose,
key(role), seat) key, since a crc32 is below 2**32."""


def key(name: str) -> int:
    """A stable number for a name (Python's own hash() differs between processes)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Independent numpy Generators, one per (purpose, keys), all from one replication seed."""

    def __init__(self, seed: int):
        self.seed = int(seed)

    def generator(self, purpose: int, *keys: int) -> np.random.Generator:
        sequence = np.random.SeedSequence(self.seed, spawn_key=(purpose, *keys))
        return np.random.Generator(np.random.PCG64(sequence))


Sampler = Callable[[np.random.Generator, np.ndarray], np.ndarray]
"""Draws one value per lead of a block, given the block's segment codes."""


class LeadLuck:
    """Per-visit draws for every lead, keyed to (slot, lead, k), made a block at a time."""

    def __init__(self, streams: Streams, segments: np.ndarray):
        self.streams = streams
        self.segments = segments
        self.met: tuple[int, np.ndarray] | None = None
        """Leads from `met[0]` on are outbound meetings, keyed to (account, meeting): their
        segments repeat `met[1]` (see outbound.py)."""
        self.samplers: list[tuple[int, int, Sampler]] = []
        self.blocks: list[list[list]] = []  # [slot][k][block] -> values, filled on first use

    def slot(self, purpose: int, about: str, sampler: Sampler) -> int:
        """Register a kind of draw (e.g. the buyer delay at stage `opportunity`); its id."""
        self.samplers.append((purpose, key(about), sampler))
        self.blocks.append([])
        return len(self.samplers) - 1

    def draw(self, slot: int, lead: int, k: int) -> float:
        """The value of `slot` for `lead` on its k-th use (k counts visits, or touches)."""
        try:
            values = self.blocks[slot][k][lead >> BLOCK_BITS]
        except IndexError:
            values = None
        if values is None:
            values = self._fill(slot, lead >> BLOCK_BITS, k)
        return values[lead & _ROW]

    def _fill(self, slot: int, block: int, k: int) -> list[float]:
        purpose, about, sampler = self.samplers[slot]
        rng = self.streams.generator(purpose, about, block, k)
        start = block * BLOCK
        if self.met is not None and start >= self.met[0]:
            start = (start - self.met[0]) % len(self.met[1])
            segments = self.met[1][start : start + BLOCK]
        else:
            segments = self.segments[start : start + BLOCK]
        values = sampler(rng, segments).tolist()
        by_k = self.blocks[slot]
        while len(by_k) <= k:
            by_k.append([])
        if len(by_k[k]) <= block:
            by_k[k].extend([None] * (block + 1 - len(by_k[k])))
        by_k[k][block] = values
        return values


def uniform_sampler(rng: np.random.Generator, segments: np.ndarray) -> np.ndarray:
    return rng.random(len(segments))


def distribution_sampler(per_segment: list) -> Sampler:
    """A sampler drawing each lead's value from its segment's distribution."""
    if all(d is per_segment[0] for d in per_segment):
        only = per_segment[0]
        return lambda rng, segments: only.sample(rng, len(segments))

    def sample(rng: np.random.Generator, segments: np.ndarray) -> np.ndarray:
        values = np.empty(len(segments))
        for code, dist in enumerate(per_segment):
            drawn = dist.sample(rng, len(segments))  # same count for every segment: keyed
            mask = segments == code
            values[mask] = drawn[mask]
        return values

    return sample
