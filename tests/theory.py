"""Exact queueing formulas the engine's statistical tests compare against.

Pure numpy/scipy and independent of the engine: these are the yardsticks, so they must not
share code (or bugs) with what they check. The periodic chain of a pooled team on a weekly
schedule lives in `orgsim.analytic.periodic`, because capacity prints its answers; it imports
nothing from the engine and is re-exported here. Times are in hours; t = 0 is Monday 00:00
and the schedule repeats every week (168 h).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import linalg, special

from orgsim.analytic.periodic import (  # noqa: F401  (re-exported for the tests)
    BUSINESS_HOURS,
    WEEK,
    open_hours_between,
    periodic_pool,
)
from orgsim.analytic.queueing import erlang_c

# --------------------------------------------------------------------------------------------
# Erlang C: M/M/c
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Erlang A: M/M/c+M
# --------------------------------------------------------------------------------------------


def erlang_a(c: int, lam: float, mu: float, theta: float, tol: float = 1e-12) -> dict:
    """M/M/c+M (Erlang A): c servers, Exp(mu) service, Exp(theta) patience while waiting.

    Birth–death chain on the number in system k: birth lam, death min(k,c)·mu + (k−c)⁺·theta,
    truncated where the remaining tail is below `tol`. Garnett, Mandelbaum & Reiman (2002),
    "Designing a call center with impatient customers", M&SOM 4(3), 208–227.

    A customer arriving with n ahead in the queue moves up at rate c·mu + j·theta (j still
    ahead) and abandons at rate theta, so P(served | n) telescopes to c·mu / (c·mu + (n+1)·theta)
    and, given service, stage j lasts Exp(c·mu + (j+1)·theta).

    Returns p_abandon, utilization (mean busy servers / c), p_wait (arrival finds all busy),
    mean_queue, wait_mean (time in queue of all arrivals, = mean_queue/lam),
    wait_mean_served (mean wait of those served) and p_served_within(t) = P(served, wait ≤ t).
    """
    if c < 1 or lam <= 0 or mu <= 0 or theta < 0:
        raise ValueError("need c >= 1, lam > 0, mu > 0, theta >= 0")
    if theta == 0 and lam >= c * mu:
        raise ValueError("unstable: theta = 0 and lam >= c*mu")
    size = c + 64
    while True:
        k = np.arange(size)
        death = np.minimum(k, c) * mu + np.maximum(k - c, 0) * theta
        logpi = np.concatenate([[0.0], np.cumsum(np.log(lam) - np.log(death[1:]))])
        logpi -= logpi.max()
        ratio = lam / (c * mu + (size - c) * theta)  # bounds every later birth/death ratio
        if ratio < 1 and logpi[-1] + math.log(ratio / (1 - ratio)) < math.log(tol) - 5:
            break
        size *= 2
        if size > 50_000_000:
            raise ValueError("Erlang A chain did not truncate: theta too small for this load")
    pi = np.exp(logpi)
    pi /= pi.sum()
    queue = np.maximum(k - c, 0)
    p_abandon = float(pi @ queue) * theta / lam
    utilization = float(pi @ np.minimum(k, c)) / c
    mean_queue = float(pi @ queue)
    # Customers who arrive to find n = k - c ahead.
    ahead = pi[c:]
    n = np.arange(ahead.size)
    p_served_n = c * mu / (c * mu + (n + 1) * theta)
    h_n = np.cumsum(1.0 / (c * mu + (n + 1) * theta))
    served = 1.0 - p_abandon
    wait_mean_served = float(ahead @ (p_served_n * h_n)) / served

    # Stages left for an arrival that waits; the mass beyond `m` is below 1e-16 and dropped.
    m = int(np.searchsorted(-np.cumsum(ahead[::-1])[::-1], -1e-16 * ahead.sum())) + 1
    m = min(max(m, 1), ahead.size)
    go = c * mu + np.arange(m) * theta  # advance rate with j ahead
    gen = np.zeros((m + 2, m + 2))  # states 0..m-1 = customers ahead; m = served; m+1 = gone
    gen[np.arange(m), np.r_[m, np.arange(m - 1)]] = go
    gen[np.arange(m), m + 1] = theta
    gen[np.arange(m), np.arange(m)] = -(go + theta)
    start = np.concatenate([ahead[:m], [0.0, 0.0]])

    def p_served_within(t: float) -> float:
        """P(an arrival is served and waits ≤ t): a pure-death chain on customers ahead."""
        if t <= 0:
            return float(pi[:c].sum()) if t == 0 else 0.0
        return float(pi[:c].sum() + (start @ linalg.expm(gen * t))[m])

    return {
        "p_abandon": p_abandon,
        "utilization": utilization,
        "p_wait": float(ahead.sum()),
        "mean_queue": mean_queue,
        "wait_mean": mean_queue / lam,
        "wait_mean_served": wait_mean_served,
        "p_served_within": p_served_within,
    }


# --------------------------------------------------------------------------------------------
# M/M/c+D: deterministic patience
# --------------------------------------------------------------------------------------------


def mmc_deterministic_patience(c: int, lam: float, mu: float, tau: float) -> dict:
    """M/M/c+D, FIFO: every customer leaves if service has not started within `tau` hours.

    Exact via the offered-wait (virtual waiting time) process V: Baccelli & Hebuterne (1981),
    "On queues with impatient customers"; Zeltyn & Mandelbaum (2005), "Call centers with
    impatient customers: many-server asymptotics of the M/M/n+G queue", Queueing Syst. 51.

    V falls at unit rate; an arrival seeing V = y < tau joins and (all c busy) raises V by an
    Exp(c·mu) amount; one seeing j = c−1 busy and V = 0 starts V at Exp(c·mu). Level crossing:
        f(x) = lam·pi_{c−1}·e^{−c·mu·x} + lam·∫_0^{min(x,tau)} f(y)·e^{−c·mu·(x−y)} dy.
    With g = f·e^{c·mu·x}, g' = lam·g on (0, tau) and g is constant beyond, so
        f(x) = lam·pi_{c−1}·exp(lam·min(x, tau) − c·mu·x),   pi_j ∝ (lam/mu)^j / j! for j < c.
    Normalise sum_j pi_j + ∫f = 1 in closed form; p_abandon = P(V > tau) by PASTA
    = lam·pi_{c−1}·e^{(lam − c·mu)·tau} / (c·mu). tau = 0 gives Erlang B.

    Returns p_abandon, utilization (= lam·(1 − p_abandon)/(c·mu)), p_wait (V > 0),
    wait_mean_served, wait_mean (time in queue of all arrivals).
    """
    if c < 1 or lam <= 0 or mu <= 0 or tau < 0:
        raise ValueError("need c >= 1, lam > 0, mu > 0, tau >= 0")
    a = lam / mu
    cm = c * mu
    d = lam - cm
    j = np.arange(c)
    # Atoms relative to pi_{c-1}: w_j = a^(j-c+1) (c-1)! / j!.
    w = np.exp((j - (c - 1)) * math.log(a) + special.gammaln(c) - special.gammaln(j + 1))
    z = d * tau

    def ex1(x: float) -> float:  # expm1(x)/x, = 1 at 0
        return math.expm1(x) / x if x != 0 else 1.0

    if z <= 50:
        below = lam * tau * ex1(z)  # ∫_0^tau f / pi_{c-1}
        above = lam * math.exp(z) / cm  # ∫_tau^inf f / pi_{c-1}
        scale = 1.0
    else:  # overloaded and patient: divide everything by e^z to avoid overflow
        scale = math.exp(-z)
        below = lam * (1 - scale) / d
        above = lam / cm
    pi_last = 1.0 / (w.sum() * scale + below + above)  # pi_{c-1} * scale
    p_abandon = pi_last * above
    p_wait = pi_last * (below + above)
    # E[V; V < tau] / pi_{c-1}: ∫_0^tau x lam e^{d x} dx, series near d·tau = 0.
    if abs(z) < 1e-4:
        xe = tau * tau * (0.5 + z / 3 + z * z / 8)
    elif z <= 50:
        xe = (math.exp(z) * (z - 1) + 1) / (d * d)
    else:
        xe = ((z - 1) + math.exp(-z)) / (d * d)  # already divided by e^z
    served_wait = pi_last * lam * xe
    served = 1 - p_abandon
    return {
        "p_abandon": p_abandon,
        "utilization": lam * served / cm,
        "p_wait": p_wait,
        "wait_mean_served": served_wait / served,
        "wait_mean": (served_wait + tau * p_abandon),
    }
