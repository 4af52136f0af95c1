"""`orgsim serve`: the workshop page in a browser (`orgsim.workshop`)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from orgsim.cli.shell import ScenarioPath, Workers, _Command, app, pool, refuse, say

Port = Annotated[int, typer.Option(min=1, max=65535, help="The port the page listens on.")]
Address = Annotated[
    str,
    typer.Option(
        help="The address to listen on. The default, 127.0.0.1, lets only this computer in: "
        "anyone who reaches another address can edit and simulate, and save variant files "
        "beside the scenario."
    ),
]
Show = Annotated[bool, typer.Option(help="Open the page in the default browser.")]


@app.command("serve", cls=_Command)
def serve_command(
    scenario_file: ScenarioPath,
    port: Port = 5006,
    address: Address = "127.0.0.1",
    show: Show = True,
    workers: Workers = None,
) -> None:
    """A what-if page for a leadership workshop: move a design's headcount, lead volume,
    conversion rates, SLAs, routing and handoffs, and see capacity change at once.

    "Simulate" runs the edited design against a baseline design on the same random
    numbers, in the background (cancellable), and shows the KPIs with intervals, the
    paired differences, the targets met / not sure / missed and the report's figures as
    they arrive. "Save as variant" writes the scenario again beside its file with the
    edited design as one more variant (SCENARIO.NAME.yaml, never over a file); "Download
    report" saves the HTML report of what is on screen. Each browser tab is its own
    session; the file is read again on every reload, and a file with problems shows them
    on the page. Needs the `ui` extra: pip install 'orgsim[ui]'. Ctrl-C stops it.

    Example: [bold]orgsim serve scenarios/reorg_sdr_split.yaml[/bold]
    """
    try:
        import panel as pn

        from orgsim.workshop.page import page
    except ImportError:
        refuse(["orgsim serve needs Panel, in the ui extra: pip install 'orgsim[ui]'"])
    if not Path(scenario_file).is_file():
        refuse([f"{scenario_file}: no such file: give the path of a scenario YAML"])
    if not _loopback(address):
        say(f"serving on {address}: anyone who can reach it can use the page and write files")
    with pool(workers) as executor:
        if executor is not None:  # start the workers now, before the server's threads
            executor.submit(abs, 0).result()
        origin = _origins(address, port)
        say(f"orgsim workshop: http://{address}:{port} (Ctrl-C stops it)")
        try:
            pn.serve(
                lambda: page(Path(scenario_file), executor),
                port=port,
                address=address,
                websocket_origin=origin,
                show=show,
                title=f"orgsim workshop: {Path(scenario_file).name}",
                verbose=False,
            )
        except OSError as error:
            refuse([f"{address}:{port}: cannot listen ({error.strerror}): try another --port"])


def _loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _origins(address: str, port: int) -> list[str] | str:
    """The pages allowed to open a session: this address (and localhost on the loopback);
    any, for a wildcard address, whose visitors' host name cannot be known here."""
    if address in ("0.0.0.0", "::"):
        return "*"
    host = f"[{address}]" if ":" in address else address
    return [f"{host}:{port}", f"localhost:{port}"] if _loopback(address) else [f"{host}:{port}"]
