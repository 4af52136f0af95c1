"""Regenerate every figure the README and docs publish from running orgsim.

A published figure sits between two markers in a Markdown file:

    <!-- refresh: NAME -->
    ...generated text...
    <!-- /refresh -->

and NAME is one of FIGURES below: the orgsim command that produces it, run on a
shipped scenario with its own seed, and what of its output is shown.

    python docs/refresh.py          # rewrite every block that changed
    python docs/refresh.py --check  # exit 1 and name the stale blocks

tests/test_published_figures.py fails when a block no longer matches what the
code gives, so a number that moves cannot stay published. Measured timings
(the benchmark tables) are not in here: they depend on the machine.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"(<!-- refresh: (\S+) -->\n)(.*?)(<!-- /refresh -->)", re.S)
WIDTH = "130"  # terminal columns the published tables are drawn at


def orgsim(*args: str) -> str:
    """What `orgsim ARGS` prints, as a user's terminal of WIDTH columns shows it."""
    env = {**os.environ, "COLUMNS": WIDTH, "NO_COLOR": "1", "TERM": "dumb"}
    env.pop("FORCE_COLOR", None)
    done = subprocess.run(
        [sys.executable, "-m", "orgsim", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return "\n".join(line.rstrip() for line in done.stdout.splitlines())


def text_block(command: str, output: str) -> str:
    return f"```text\n$ {command}\n{output.strip()}\n```\n"


def quoted(output: str) -> str:
    return "".join(f"> {line}\n" for line in output.strip().splitlines())


def after_last_table(output: str) -> str:
    """The lines printed after the last table (a headline or a note)."""
    lines = output.splitlines()
    last = max(i for i, line in enumerate(lines) if line.startswith("└"))
    return "\n".join(lines[last + 1 :])


def excerpt(output: str, keep: tuple[str, ...]) -> str:
    """The output up to the line saying how many plans were simulated, then only the rows
    naming one of `keep`, with `...` where rows were left out."""
    lines = output.splitlines()
    head_end = next(i for i, line in enumerate(lines) if "plans simulated" in line) + 1
    shown = [*lines[:head_end], "..."]
    for line in lines[head_end:]:
        if any(f" {name} " in line for name in keep):
            shown.append(line)
    return "\n".join([*shown, "..."])


def transitions(output: str) -> str:
    """The lines from `Transitions` on: each switch's dip and payback."""
    lines = output.splitlines()
    return "\n".join(
        lines[next(i for i, line in enumerate(lines) if line.startswith("Transitions")) :]
    )


def person_table(output: str) -> str:
    """The table of named people (`--by person`), from its title to its last row."""
    lines = output.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("Your people"))
    last = next(i for i in range(first, len(lines)) if lines[i].startswith("└"))
    return "\n".join(lines[first : last + 1])


def first_table(output: str) -> str:
    """The first table printed, from its title to its last row."""
    lines = output.splitlines()
    last = next(i for i, line in enumerate(lines) if line.startswith("└"))
    return "\n".join(lines[: last + 1])


def kpi_table(keep: tuple[str, ...], paired: tuple[str, ...] = ()) -> Callable[[str], str]:
    """A Markdown table of the KPIs `keep` from `compare --json`: each design's mean and 95%
    interval, as the terminal writes them; for the KPIs `paired`, each design's difference
    from the first on the same leads and luck."""

    def show(output: str) -> str:
        import json

        from orgsim.report import format as fmt

        found = json.loads(output)
        designs = list(found["variants"])
        lines = ["| KPI | " + " | ".join(designs) + " |", "|---" * (len(designs) + 1) + "|"]
        for name in keep:
            cells = []
            for design in designs:
                kpi = found["variants"][design]["kpis"][name]
                mean, interval = fmt.kpi_mean_interval(name, kpi["mean"], *kpi["ci95"])
                cells.append(f"{mean} ({interval})")
            lines.append(f"| {fmt.label(name)} (`{name}`) | " + " | ".join(cells) + " |")
        for name in paired:
            cells = ["–"]
            for design in designs[1:]:
                change = found["differences"][design][name]
                cells.append(
                    f"{fmt.kpi_difference(name, change['mean'])} "
                    f"({fmt.kpi_difference_interval(name, *change['ci95'])})"
                )
            lines.append(
                f"| {fmt.label(name)}, vs {designs[0]} (paired) | " + " | ".join(cells) + " |"
            )
        command = "orgsim " + " ".join(a for a in OUTBOUND if a != "--json")
        return f"`{command}`, {found['replications']} replications:\n\n" + "\n".join(lines) + "\n"

    return show


def note_on(word: str) -> Callable[[str], str]:
    """The capacity note that names `word`, whole, as a quotation."""

    def show(output: str) -> str:
        lines = output.splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith("note:") and word in line)
        rest = next(
            (i for i in range(first + 1, len(lines)) if lines[i].startswith("note:")), len(lines)
        )
        return quoted(" ".join(lines[first:rest]))

    return show


@dataclass(frozen=True)
class Figure:
    command: tuple[str, ...]
    show: Callable[[str], str]

    def render(self) -> str:
        return self.show(orgsim(*self.command))


COMPARE = ("compare", "scenarios/reorg_sdr_split.yaml")
CAPACITY = ("capacity", "scenarios/reorg_sdr_split.yaml", "--variant", "process_stage")
PLAN = ("plan", "scenarios/headcount_plan.yaml", "--role", "sdr", "--role", "ae")
PLAN_TARGETS = ("sla.mql.attainment", "stage.sql.wait_mean", "role.ae.utilization")
STEADY = (*PLAN, "--variant", "steady_state")
HIRES = (
    "plan",
    "scenarios/hiring_plan.yaml",
    "--variant",
    "no_hires",
    "--hires",
    "--role",
    "sdr",
    "--role",
    "ae",
)
HIRES_TARGETS = ("quarter.4.won_per_week", "sla.mql.attainment")
TRANSITION = ("compare", "scenarios/reorg_transition.yaml")
PEOPLE = ("run", "scenarios/people_risk.yaml", "--by", "person")
FORECAST = ("forecast", "scenarios/reorg_transition.yaml", "--horizon", "13w")
AGAINST = ("forecast", "scenarios/quarter_forecast.yaml", "--variant", "we_lose_acme",
           "--against", "plan")  # fmt: skip
SCORE = ("forecast", "scenarios/reorg_sdr_split.yaml", "--score", "--reps", "5")
OUTBOUND = ("compare", "scenarios/outbound_capacity.yaml", "--json")
OUTBOUND_KPIS = (
    "source.outbound.meetings",
    "source.outbound.accounts_left",
    "role.sdr.outbound_time",
    "role.sdr.utilization",
    "sla.mql.attainment",
)
OUTBOUND_CAPACITY = ("capacity", "scenarios/outbound_capacity.yaml")
CALIBRATE = (
    "calibrate",
    "configs/history/opportunity_history.csv",
    "--mapping",
    "salesforce_stage_history",
)

FIGURES = {
    "compare-headline": Figure(COMPARE, lambda out: quoted(after_last_table(out))),
    "capacity": Figure(CAPACITY, lambda out: text_block("orgsim " + " ".join(CAPACITY), out)),
    "plan": Figure(
        PLAN,
        lambda out: text_block("orgsim " + " ".join(PLAN), excerpt(out, PLAN_TARGETS)),
    ),
    "plan-steady-state": Figure(
        STEADY,
        lambda out: text_block("orgsim " + " ".join(STEADY), excerpt(out, PLAN_TARGETS)),
    ),
    "transition": Figure(
        TRANSITION,
        lambda out: text_block("orgsim " + " ".join(TRANSITION), "...\n" + transitions(out)),
    ),
    "people": Figure(
        PEOPLE,
        lambda out: text_block("orgsim " + " ".join(PEOPLE), "...\n" + person_table(out)),
    ),
    "forecast": Figure(FORECAST, lambda out: text_block("orgsim " + " ".join(FORECAST), out)),
    "forecast-against": Figure(
        AGAINST, lambda out: text_block("orgsim " + " ".join(AGAINST), after_last_table(out))
    ),
    "forecast-score": Figure(SCORE, lambda out: text_block("orgsim " + " ".join(SCORE), out)),
    "outbound": Figure(
        OUTBOUND, kpi_table(OUTBOUND_KPIS, ("source.outbound.meetings", "won_value"))
    ),
    "outbound-capacity": Figure(OUTBOUND_CAPACITY, note_on("(outbound)")),
    "calibrate": Figure(
        CALIBRATE,
        lambda out: text_block("orgsim " + " ".join(CALIBRATE), first_table(out) + "\n..."),
    ),
    "plan-hires": Figure(
        HIRES,
        lambda out: text_block("orgsim " + " ".join(HIRES), excerpt(out, HIRES_TARGETS)),
    ),
}


def blocks(page: Path) -> list[tuple[str, str]]:
    """(figure name, published text) of every block in a page."""
    return [(m.group(2), m.group(3)) for m in BLOCK.finditer(page.read_text(encoding="utf-8"))]


def refresh(page: Path, rendered: dict[str, str]) -> bool:
    """Rewrite the page's blocks from `rendered`; whether anything changed."""
    text = page.read_text(encoding="utf-8")
    new = BLOCK.sub(lambda m: m.group(1) + rendered[m.group(2)] + m.group(4), text)
    if new != text:
        page.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    used = {name for page in PAGES for name, _ in blocks(page)}
    unknown = used - set(FIGURES)
    if unknown:
        print(f"unknown figures: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    rendered = {name: FIGURES[name].render() for name in sorted(used)}
    stale = [
        f"{page.relative_to(ROOT)}: {name}"
        for page in PAGES
        for name, text in blocks(page)
        if text != rendered[name]
    ]
    if check:
        for line in stale:
            print(f"stale: {line}")
        return 1 if stale else 0
    for page in PAGES:
        if refresh(page, rendered):
            print(f"refreshed {page.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
