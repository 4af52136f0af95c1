"""`orgsim calibrate` and `orgsim backtest`: your own CRM history in, a calibrated
scenario out, and the scenario checked against what happened."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from orgsim.cli.shell import (
    Json,
    Reps,
    ScenarioPath,
    Variant,
    _Command,
    app,
    at_fixed_count,
    check_outputs,
    check_variant,
    load_scenario,
    out,
    reported_errors,
    say,
    writing,
)

Files = Annotated[
    list[Path],
    typer.Argument(metavar="FILE", help="The CRM export: CSV or Parquet files of one shape."),
]
MappingOption = Annotated[
    str,
    typer.Option(
        "--mapping",
        help="The mapping file (kind: mapping) naming the export's columns and stage values, "
        "or a shipped mapping's name: salesforce_opportunity, salesforce_stage_history, "
        "hubspot_deals, crm_sales_pipeline, orgsim_events (each documented in "
        "orgsim/history/mappings/).",
    ),
]


@app.command(cls=_Command)
def calibrate(
    files: Files,
    mapping: MappingOption,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write market.yaml, people.yaml, org.yaml, scenario.yaml, "
            "calibration.html (the figures) and calibration.json into this folder.",
        ),
    ] = None,
    org: Annotated[
        Path | None,
        typer.Option(
            help="Your org file, for scenario.yaml (default: a generated one-role "
            "org whose effort is a placeholder)."
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Estimate your market and your reps' skill from a CRM export.

    Reads the export through the mapping and estimates, each with its 95%
    interval and the count it rests on: new leads per week by source, the
    segment mix, where each stage's leads go (open ones censored), time in
    each stage (a fitted curve), deal values, and each owner's skill shrunk
    towards the team. Every oddity in the data (duplicates, reopened deals,
    owners who left, records created before the history) is named with its
    count and what was done about it.

    Example: [bold]orgsim calibrate export.csv --mapping salesforce_opportunity
    --out calibrated/[/bold], then [bold]orgsim backtest calibrated/scenario.yaml
    --history export.csv --mapping salesforce_opportunity[/bold]
    """
    from orgsim.history.calibrate import calibrate as estimate

    if out_dir is not None:
        check_outputs(folders=[out_dir], inputs=[*files, *([org] if org else [])])
    with reported_errors():
        found = estimate(files, mapping)
    for oddity in found.oddities:
        say(f"warning: {oddity}")
    if out_dir is not None:
        with writing():
            for path in found.save(out_dir, org):
                say(f"wrote {path}")
    if as_json:
        print(json.dumps(found.to_json(), allow_nan=False))
        return
    from orgsim.report.terminal import calibration_table

    for table in calibration_table(found.to_frame(), found.people(), found.skill_spread):
        out.print(table)


@app.command(cls=_Command)
def backtest(
    scenario_file: ScenarioPath,
    history: Annotated[
        list[Path],
        typer.Option("--history", help="The CRM export to replay (repeat for several files)."),
    ],
    mapping: MappingOption,
    reps: Reps = None,
    variant: Variant = None,
    plot: Annotated[
        Path | None,
        typer.Option(help="Draw the months against the simulated bands into this PNG file."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Check a scenario against your history, month by month.

    Simulates the scenario over the history's own months (from its first
    record to its snapshot, starting empty) and compares, each month, new
    leads, deals won and value won with the simulation's 95% band (the
    spread of single simulated months), and the pipeline open at the
    snapshot by stage, and each metric's total over the history. A model
    that is right covers about 95% of months and its totals; the verdict
    says whether it does and names the months it misses. Runs at least 40
    replications unless --reps says otherwise (fewer make each band
    narrower than 95%).

    Example: [bold]orgsim backtest calibrated/scenario.yaml --history export.csv
    --mapping salesforce_opportunity[/bold]
    """
    from orgsim.history.backtest import backtest as replay

    scenario = load_scenario(scenario_file)
    check_variant(scenario, variant, scenario_file)
    if plot is not None:
        check_outputs(
            files=[plot], inputs=[*history, *scenario.source_files()], kinds={plot: "figure"}
        )
    at_fixed_count(scenario, reps, "backtest")
    with reported_errors():
        found = replay(scenario, history, mapping, reps, variant)
    for note in found.notes:
        say(f"note: {note}")
    if plot is not None:
        from orgsim.report.history import backtest_bands

        with writing():
            backtest_bands(found.months).savefig(plot, dpi=100)
        say(f"wrote {plot}")
    if as_json:
        print(json.dumps(found.to_json(), allow_nan=False, default=float))
        return
    from orgsim.report.terminal import backtest_table

    for table in backtest_table(found.months, found.pipeline):
        out.print(table)
    out.print(f"coverage: {found.coverage():.0%} of months inside their 95% band")
    out.print(found.verdict(), markup=False, highlight=False)
