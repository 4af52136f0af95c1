"""Queueing theory where it applies: Erlang C for a pooled crew (M/M/c).

Used by the capacity model for an answer without simulating; the tests' own yardsticks
(mean wait and SLA attainment of M/M/c, Erlang A, ...) are in tests/theory.py.
"""

from __future__ import annotations


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
