"""The market's numbers and each owner's skill, estimated from a `History` with 95%
intervals.

Each estimate names the path it sets in a market (or roster), its value, interval, how many
records or visits it rests on, and the method, so a reader can judge it. The methods:

- arrivals: new records per week of history, exact Poisson interval; a volume that differs
  between the history's halves beyond chance is flagged as a trend;
- segment mix: shares of new records, Wilson intervals;
- conversion: where a stage's visits go, with visits still open at the snapshot censored
  (Aalen-Johansen: the share a stage's decided visits would have if every visit were
  decided), Wilson intervals on the decided visits;
- time in stage: gamma and lognormal fitted by maximum likelihood with open visits
  censored, the better kept; the interval of its mean from the likelihood's curvature, and
  the largest gap between the fitted and the Kaplan-Meier curve as its goodness of fit;
- seasonality: each month's count over an even rate's, where a year of history shows the
  months differing beyond chance (chi-square at 1%), exact Poisson intervals;
- deal values: mean (t interval) and coefficient of variation (bootstrap) of the amounts
  per segment;
- skill: each owner's successes over those the team's rates expect, shrunk towards the team
  by how much of its spread is more than binomial noise (empirical Bayes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from orgsim.history.export import OPEN, History, Oddity

Z95 = stats.norm.ppf(0.975)
MINUTE = 1 / 60


@dataclass(frozen=True)
class Estimate:
    """One number calibration sets: `name` is its path in the market (or the roster)."""

    name: str
    value: float
    low: float
    high: float
    n: int
    method: str

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "value": float(self.value),
            "ci95": [float(self.low), float(self.high)],
            "n": int(self.n),
            "method": self.method,
        }


@dataclass(frozen=True)
class Fit:
    """A duration distribution fitted to a stage's times (hours)."""

    dist: str
    mean: float
    cv: float
    mean_low: float
    mean_high: float
    n: int
    censored: int
    gap: float
    """Largest distance between the fitted and the Kaplan-Meier curve (0 to 1)."""


@dataclass(frozen=True)
class Skill:
    """One owner's skill at one stage: the raw ratio of successes to those the team's rate
    expects, the shrunk value calibration writes, its interval, and the visits it rests on."""

    owner: str
    stage: str
    raw: float
    skill: float
    low: float
    high: float
    visits: int
    told_apart: bool = True
    """False where the stage shows no spread beyond chance: the skill is written 1 and the
    interval is the range the data cannot rule out."""


def wilson(successes: float, n: float) -> tuple[float, float]:
    """Wilson's 95% interval for a share."""
    if n <= 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def poisson_rate(count: int, exposure: float) -> tuple[float, float]:
    """Exact (Garwood) 95% interval of a Poisson rate."""
    low = stats.chi2.ppf(0.025, 2 * count) / 2 if count else 0.0
    high = stats.chi2.ppf(0.975, 2 * count + 2) / 2
    return (low / exposure, high / exposure)


def durations(visits: pd.DataFrame, snapshot: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Hours each visit lasted (to the snapshot while open), and whether it was decided."""
    decided = (visits["next"] != OPEN).to_numpy()
    end = visits["exited"].where(decided, snapshot)
    hours = (end - visits["entered"]) / pd.Timedelta(hours=1)
    return np.maximum(hours.to_numpy(dtype=float), MINUTE), decided


def arrivals(history: History, oddities: list[Oddity]) -> list[Estimate]:
    """Each source's rate of new records per week, and its segment mix."""
    new = history.records[history.records["new"]]
    weeks = history.weeks
    out = []
    for source, rows in new.groupby("source", sort=True):
        n = len(rows)
        low, high = poisson_rate(n, weeks)
        method = f"new records per week over {weeks:.1f} weeks; exact Poisson interval"
        out.append(Estimate(f"sources.{source}.rate", n / weeks, low, high, n, method))
        _trend(source, rows["created"], history, oddities)
        out += seasonality(source, rows["created"], history)
        counts = rows["segment"].value_counts().sort_index()
        if len(history.records["segment"].unique()) > 1:
            for segment, k in counts.items():
                low, high = wilson(k, n)
                out.append(
                    Estimate(
                        f"sources.{source}.mix.{segment}",
                        k / n,
                        low,
                        high,
                        n,
                        "share of the source's new records; Wilson interval",
                    )
                )
    return out


def seasonality(source: str, created: pd.Series, history: History) -> list[Estimate]:
    """Monthly factors on the rate, where a year of history shows months differing
    beyond chance (a chi-square test of the counts against the months' lengths, at 1%):
    each month's rate over the whole history's, with an exact Poisson interval."""
    days = pd.date_range(history.start.normalize(), history.snapshot.normalize(), freq="D")
    exposure = pd.Series(1.0, index=days.month).groupby(level=0).sum()  # days per month
    if len(exposure) < 12 or len(created) < 120:  # every month seen at least in part
        return []
    counts = created.dt.month.value_counts().reindex(exposure.index, fill_value=0)
    expected = len(created) * exposure / exposure.sum()
    test = stats.chisquare(counts, expected)
    if test.pvalue >= 0.01:
        return []
    out = []
    method = (
        f"new records in the month over those at an even rate (months differ beyond "
        f"chance, p = {test.pvalue:.1g}); exact Poisson interval"
    )
    for month, k in counts.items():
        low, high = poisson_rate(int(k), expected[month])
        path = f"sources.{source}.seasonality.{month - 1}"
        out.append(Estimate(path, k / expected[month], low, high, int(k), method))
    return out


def _trend(source: str, created: pd.Series, history: History, oddities: list[Oddity]) -> None:
    """Flag a volume that differs between the two halves of the history beyond chance
    (a binomial test at 1%): a constant rate would misstate both halves."""
    middle = history.start + (history.snapshot - history.start) / 2
    later = int((created >= middle).sum())
    n = len(created)
    if n < 20:
        return
    test = stats.binomtest(later, n, 0.5)
    if test.pvalue < 0.01:
        ratio = later / max(n - later, 1)
        way = "grows" if ratio > 1 else "shrinks"
        oddities.append(
            Oddity(
                f"source {source}'s volume {way}: the history's second half has "
                f"{ratio:.2f} times the first's",
                n,
                "the rate is the whole history's average: set it to today's volume",
            )
        )


def aalen_johansen(hours: np.ndarray, decided: np.ndarray, to: np.ndarray) -> dict[str, float]:
    """The share of a stage's visits that go to each outcome, with open visits censored:
    each outcome's cumulative incidence at the last time, over all decided by then."""
    order = np.argsort(hours, kind="stable")
    hours, decided, to = hours[order], decided[order], to[order]
    at_risk = len(hours) - np.arange(len(hours))
    survival = np.cumprod(1 - decided / at_risk)
    before = np.concatenate([[1.0], survival[:-1]])  # S(t-) for each visit, in time order
    mass = before / at_risk
    incidence = {name: float(mass[decided & (to == name)].sum()) for name in np.unique(to[decided])}
    total = sum(incidence.values())
    return {name: value / total for name, value in incidence.items()}


def conversion(history: History) -> list[Estimate]:
    """Each stage's outcomes (lost is the remainder, `otherwise`)."""
    out = []
    for stage in history.journey:
        visits = history.visits[history.visits["stage"] == stage]
        hours, decided = durations(visits, history.snapshot)
        n = int(decided.sum())
        if n == 0:
            continue
        to = visits["next"].to_numpy()
        shares = aalen_johansen(hours, decided, to)
        method = (
            f"share of the stage's {n:,} decided visits, {len(visits) - n:,} open censored "
            "(Aalen-Johansen); Wilson interval"
        )
        for name, share in sorted(shares.items()):
            if name != "lost":
                low, high = wilson(share * n, n)
                path = f"journey.{stage}.outcomes.{name}"
                out.append(Estimate(path, share, low, high, n, method))
    return out


def _loglik(dist: str, params: np.ndarray, hours: np.ndarray, decided: np.ndarray) -> float:
    """Log-likelihood of (log mean, log cv): a density for each decided visit, the chance
    of lasting longer for each open one (written with scipy.special: freezing a
    scipy.stats law per call costs more than the sums)."""
    mean, cv = np.exp(params)
    done, still = hours[decided], hours[~decided]
    if dist == "gamma":
        shape = 1 / cv**2
        scale = mean / shape
        density = (shape - 1) * np.log(done) - done / scale - shape * np.log(scale)
        longer = np.log(np.maximum(special.gammaincc(shape, still / scale), 1e-300))
        return float(density.sum() - len(done) * special.gammaln(shape) + longer.sum())
    sigma = np.sqrt(np.log1p(cv**2))
    mu = np.log(mean) - sigma**2 / 2
    z = (np.log(done) - mu) / sigma
    density = -np.log(done) - np.log(sigma) - 0.5 * np.log(2 * np.pi) - z**2 / 2
    longer = special.log_ndtr(-(np.log(still) - mu) / sigma)
    return float(density.sum() + longer.sum())


def _curvature_se(f, x: np.ndarray) -> np.ndarray:
    """Standard errors from the numerical Hessian of the negative log-likelihood at x."""
    h = 1e-3
    k = len(x)
    hessian = np.zeros((k, k))
    for i in range(k):
        for j in range(k):
            e_i, e_j = np.eye(k)[i] * h, np.eye(k)[j] * h
            hessian[i, j] = (
                f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j) + f(x - e_i - e_j)
            ) / (4 * h * h)
    try:
        return np.sqrt(np.clip(np.diag(np.linalg.inv(hessian)), 0, None))
    except np.linalg.LinAlgError:
        return np.full(k, np.inf)


def fit_duration(hours: np.ndarray, decided: np.ndarray) -> Fit | None:
    """The better of gamma and lognormal by likelihood, open visits censored."""
    if decided.sum() < 5:
        return None
    best = None
    start = np.log([hours[decided].mean(), max(hours[decided].std() / hours[decided].mean(), 0.1)])
    for dist in ("gamma", "lognormal"):
        negative = lambda p, d=dist: -_loglik(d, p, hours, decided)  # noqa: E731
        options = {"xatol": 1e-6, "fatol": 1e-6, "maxiter": 2000}
        result = optimize.minimize(negative, start, method="Nelder-Mead", options=options)
        if best is None or result.fun < best[1].fun:
            best = (dist, result, negative)
    dist, result, negative = best
    se = _curvature_se(negative, result.x)
    mean, cv = np.exp(result.x)
    return Fit(
        dist=dist,
        mean=float(mean),
        cv=float(cv),
        mean_low=float(np.exp(result.x[0] - Z95 * se[0])),
        mean_high=float(np.exp(result.x[0] + Z95 * se[0])),
        n=len(hours),
        censored=int((~decided).sum()),
        gap=_km_gap(dist, result.x, hours, decided),
    )


def kaplan_meier(hours: np.ndarray, decided: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The data's share decided by each time, open visits censored: (times, shares)."""
    order = np.argsort(hours, kind="stable")
    t, d = hours[order], decided[order]
    at_risk = len(t) - np.arange(len(t))
    return t, 1 - np.cumprod(1 - d / at_risk)


def fitted_share(dist: str, mean: float, cv: float, t: np.ndarray) -> np.ndarray:
    """The fitted curve's share decided by each time."""
    if dist == "gamma":
        return stats.gamma.cdf(t, 1 / cv**2, scale=mean * cv**2)
    sigma = np.sqrt(np.log1p(cv**2))
    return stats.lognorm.cdf(t, sigma, scale=mean / np.sqrt(1 + cv**2))


def _km_gap(dist: str, params: np.ndarray, hours: np.ndarray, decided: np.ndarray) -> float:
    t, km = kaplan_meier(hours, decided)
    mean, cv = np.exp(params)
    gaps = np.abs(km - fitted_share(dist, mean, cv, t))
    return float(gaps[decided[np.argsort(hours, kind="stable")]].max())


def stage_times(history: History) -> dict[str, Fit]:
    """Each stage's time from entering to leaving, fitted."""
    fits = {}
    for stage in history.journey:
        visits = history.visits[history.visits["stage"] == stage]
        fit = fit_duration(*durations(visits, history.snapshot))
        if fit is not None:
            fits[stage] = fit
    return fits


def outcome_times(history: History) -> list[Oddity]:
    """Stages where visits that go on take clearly longer (or shorter) than those lost (a
    Mann-Whitney test at 0.1%, medians a quarter apart): the language draws one time per
    visit whatever its outcome, so the model's wins come as early as its losses."""
    out = []
    for stage in history.journey:
        visits = history.visits[history.visits["stage"] == stage]
        hours, decided = durations(visits, history.snapshot)
        lost = (visits["next"] == "lost").to_numpy()
        on, off = hours[decided & ~lost], hours[decided & lost]
        if min(len(on), len(off)) < 20:
            continue
        a, b = np.median(on), np.median(off)
        if stats.mannwhitneyu(on, off).pvalue < 0.001 and abs(a / b - 1) > 0.25:
            out.append(
                Oddity(
                    f"at {stage}, visits that go on take a median {a / 24:.1f} days and "
                    f"those lost {b / 24:.1f}",
                    int(decided.sum()),
                    "one time is fitted for both, so the model's wins come "
                    + ("earlier" if a > b else "later")
                    + " than yours: check the backtest's first months",
                )
            )
    return out


def stale_open(history: History) -> list[Oddity]:
    """Visits open at the snapshot for longer than nearly every decided visit of their stage
    took (its 99th percentile, and over 90 days): dead deals nobody closed in the CRM, which
    a censored fit reads as slow buyers and a book as live pipeline."""
    out = []
    for stage in history.journey:
        visits = history.visits[history.visits["stage"] == stage]
        hours, decided = durations(visits, history.snapshot)
        if decided.sum() < 20:
            continue
        limit = max(np.percentile(hours[decided], 99), 90 * 24)
        stale = ~decided & (hours > limit)
        if stale.any():
            ids = visits["record"].to_numpy()[stale][:3]
            out.append(
                Oddity(
                    f"records open at {stage} longer than 99 in 100 decided ones took "
                    f"({limit / 24:.0f} days)",
                    int(stale.sum()),
                    "kept open (they lengthen the fitted time and the book): close dead "
                    "deals in the CRM, or export again",
                    tuple(f"record {i}" for i in ids),
                )
            )
    return out


def time_estimates(fits: dict[str, Fit]) -> list[Estimate]:
    return [
        Estimate(
            f"journey.{stage}.buyer_delay.mean",
            fit.mean,
            fit.mean_low,
            fit.mean_high,
            fit.n,
            f"{fit.dist} fitted by likelihood, {fit.censored:,} open visits censored; hours; "
            f"cv {fit.cv:.2f}; largest gap to Kaplan-Meier {fit.gap:.3f}",
        )
        for stage, fit in fits.items()
    ]


def deal_values(history: History) -> list[Estimate]:
    """Mean deal value per segment (t interval), with its coefficient of variation."""
    out = []
    for segment, rows in history.records.groupby("segment", sort=True):
        amounts = rows["amount"].dropna().to_numpy(dtype=float)
        amounts = amounts[amounts > 0]
        n = len(amounts)
        if n < 2:
            continue
        mean, sd = amounts.mean(), amounts.std(ddof=1)
        half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
        path = f"segments.{segment}.deal_value"
        method = "the positive amounts"
        out.append(
            Estimate(
                f"{path}.mean", mean, mean - half, mean + half, n, f"mean of {method}; t interval"
            )
        )
        low, high = _bootstrap_cv(amounts)
        out.append(
            Estimate(
                f"{path}.cv",
                sd / mean,
                low,
                high,
                n,
                f"spread (sd over mean) of {method}; bootstrap interval",
            )
        )
    return out


def _bootstrap_cv(amounts: np.ndarray, draws: int = 200) -> tuple[float, float]:
    """Percentile interval of the coefficient of variation over resamples (seeded: the
    same export gives the same interval)."""
    rng = np.random.default_rng(0)
    cvs = np.empty(draws)
    for i in range(draws):
        sample = amounts[rng.integers(0, len(amounts), len(amounts))]
        cvs[i] = sample.std(ddof=1) / sample.mean()
    low, high = np.percentile(cvs, [2.5, 97.5])
    return float(low), float(high)


def skills(history: History) -> tuple[list[Skill], dict[str, float]]:
    """Each owner's skill at each stage it worked, shrunk towards 1, and each stage's
    estimated skill spread (the standard deviation of true skill around 1 that the data
    shows beyond binomial noise). Per stage, as the language draws skill by default: a rep
    strong at qualifying need not be strong at closing."""
    visits = history.visits[(history.visits["next"] != OPEN) & (history.visits["owner"] != "")]
    out, spreads = [], {}
    for stage, rows in visits.groupby("stage", sort=False):
        success = (rows["next"] != "lost").to_numpy(dtype=float)
        p = success.mean()
        if p in (0.0, 1.0):
            continue
        per = pd.DataFrame({"owner": rows["owner"].to_numpy(), "o": success})
        per = per.groupby("owner").agg(o=("o", "sum"), n=("o", "size"))
        ratio = per["o"] / (per["n"] * p)
        noise = (1 - p) / (per["n"] * p)  # binomial variance of the ratio at skill 1
        excess = float(((ratio - 1) ** 2).mean() - noise.mean()) if len(per) > 1 else 0.0
        spread = max(0.0, excess)
        weight = spread / (spread + noise)
        shrunk = 1 + weight * (ratio - 1)
        # no spread beyond chance: written 1, and the skills the data cannot rule out
        half = Z95 * np.sqrt(weight * noise if spread > 0 else noise)
        spreads[stage] = float(np.sqrt(spread))
        out += [
            Skill(str(o), stage, float(r), float(s), float(s - h), float(s + h), int(n), spread > 0)
            for o, r, s, h, n in zip(per.index, ratio, shrunk, half, per["n"], strict=True)
        ]
    return out, spreads
