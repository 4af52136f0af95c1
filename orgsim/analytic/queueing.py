"""Queueing theory where it applies: Erlang C for a pooled crew (M/M/c).

Used by the capacity model for an answer without simulating, and by the
tests that hold the simulation to theory.
"""

from __future__ import annotations

import math


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in M/M/c with `offered` = lambda / mu erlangs.

    Computed through the Erlang B recursion, which stays stable for large c.
    Returns 1.0 when the queue is unstable (offered >= servers).
    """
    if servers <= 0 or offered >= servers:
        return 1.0
    if offered <= 0:
        return 0.0
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered * blocking / (k + offered * blocking)
    return servers * blocking / (servers - offered * (1 - blocking))


def mmc_wait_mean(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue, E[Wq] = C(c, a) / (c mu - lambda)."""
    spare = servers * service_rate - arrival_rate
    if spare <= 0:
        return math.inf
    return erlang_c(servers, arrival_rate / service_rate) / spare


def mmc_wait_within(servers: int, arrival_rate: float, service_rate: float, t: float) -> float:
    """P(Wq <= t) = 1 - C(c, a) exp(-(c mu - lambda) t): the SLA attainment of a pool."""
    spare = servers * service_rate - arrival_rate
    if spare <= 0:
        return 0.0
    return 1.0 - erlang_c(servers, arrival_rate / service_rate) * math.exp(-spare * t)
