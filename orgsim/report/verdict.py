"""The headline of a comparison in words: which designs meet the targets and keep up, and
which targets are out of reach. Plain facts in, sentences out, so that the terminal, the
HTML report, the Markdown summary and `--json` say the same."""

from __future__ import annotations

import pandas as pd

from orgsim.report import format as fmt

Bounds = dict[str, tuple[float | None, float | None]]
"""Each target's KPI and its (min, max)."""


def verdict(
    variants: list[str],
    replications: int,
    targets: Bounds,
    verdicts: pd.DataFrame,
    behind: dict[str, bool],
) -> str:
    """Which designs meet the targets and keep up (`behind`: a role of the design does not),
    and which targets are out of reach. `verdicts` has a row per variant and target with
    `met` (`Comparison.verdicts`). A design that meets its targets but does not keep up is
    never called a winner."""
    designs = "1 design" if len(variants) == 1 else f"{len(variants)} designs"
    if not targets:
        return (
            f"{designs} compared on {replications} replications; no targets were "
            "set, so no design is declared best."
        )
    met = verdicts.groupby("variant", sort=False)["met"].sum()
    total = len(targets)
    meets = [v for v in variants if met[v] == total]
    winners = [v for v in meets if not behind[v]]
    all_of = {1: "the target", 2: "both targets"}.get(total, f"all {total} targets")
    if len(winners) == 1:
        text = f"{winners[0]} is the only design that meets {all_of} and keeps up."
    elif winners:
        text = f"{fmt.listing(winners)} meet {all_of} and keep up."
    elif meets:
        one = len(meets) == 1
        text = (
            f"{fmt.listing(meets)} {'meets' if one else 'meet'} {all_of} but "
            f"{'does' if one else 'do'} not keep up."
        )
    elif len(variants) == 1:
        text = f"{variants[0]} meets {int(met.iloc[0])} of {total} targets."
    elif met.max() == 0:  # the sentence on what nobody reaches says it all
        return " ".join(misses(variants, targets, verdicts))
    elif met.nunique() == 1:
        text = f"No design meets {all_of}; each meets {int(met.iloc[0])}."
    else:
        most = int(met.max())
        best = [v for v in variants if met[v] == most]
        text = (
            f"No design meets {all_of}; {fmt.listing(best)} "
            f"{'comes' if len(best) == 1 else 'come'} closest ({most} of {total})."
        )
    return " ".join([text, *([] if meets else misses(variants, targets, verdicts))])


def misses(variants: list[str], targets: Bounds, verdicts: pd.DataFrame) -> list[str]:
    """Which targets are out of reach: the ones no design meets in one sentence, then one
    sentence for each target that only some designs meet."""
    nobody, some = [], []
    for kpi, (low, high) in targets.items():
        rows = verdicts[verdicts.kpi == kpi]
        meeting = list(rows[rows.met].variant)
        words = fmt.target(kpi, low, high)
        if not meeting:
            nobody.append(words)
        elif len(meeting) < len(variants):
            verb = "reaches" if len(meeting) == 1 else "reach"
            some.append(f"Only {fmt.listing(meeting)} surely {verb} {words}.")
    if not nobody:
        return some
    if len(variants) == 1:
        return [f"{variants[0]} does not surely reach {fmt.listing(nobody)}.", *some]
    joined = nobody[0] if len(nobody) == 1 else f"{', '.join(nobody[:-1])} or {nobody[-1]}"
    return [f"No design surely reaches {joined}.", *some]


def warning(behind: dict[str, list[str]]) -> str:
    """The roles that do not keep up, in one sentence (empty when every role does);
    `behind` holds each design's shortfalls in words."""
    falling = fmt.shortfalls(behind)
    return f"Warning: {falling}." if falling else ""


def outlook(later: dict[str, list[tuple[str, float]]], horizon_weeks: float) -> str:
    """The roles that keep up over the horizon but run out of hours later, with the week,
    in one sentence (empty when none does within ten years)."""
    text = fmt.runs_out(later, horizon_weeks)
    return f"Note: {text}." if text else ""
