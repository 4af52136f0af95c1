"""The workshop page (`orgsim serve`): a leader moves a design's numbers and sees capacity
change at once, then simulates the edited design against a baseline in seconds.

Built with Panel (the `ui` extra): its widgets are the same in a notebook and in a served
page, each browser tab is its own session (no shared state), and callbacks are plain
Python. The capacity view and the comparison tables are the command line's own rich tables,
exported as HTML, so the page and the terminal never word a number differently.
"""

from __future__ import annotations

import html
import io
import re
from concurrent.futures import Executor
from pathlib import Path

import panel as pn
from rich.console import Console
from rich.text import Text

from orgsim.analytic.capacity import capacity
from orgsim.config import targets as target_rules
from orgsim.config.errors import ConfigError
from orgsim.config.scenario import Scenario, load
from orgsim.report import format as fmt
from orgsim.report import terminal
from orgsim.workshop import controls as knobs
from orgsim.workshop.simulation import Simulation, Snapshot

WIDE = 120
"""Characters per line of the exported terminal tables (about 950 px)."""
PRE = (
    '<pre style="font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11.5px; '
    'line-height: 1.3; margin: 0">{code}</pre>'
)
COLOURS = {
    target_rules.MET: "#1a7f37",
    target_rules.NOT_SURE: "#9a6700",
    target_rules.MISSED: "#cf222e",
}
SIDES = ("baseline", "edited")
OWN_VARIANT = re.compile(r"^variants\.\w+\.set\.")
IN_VARIANT = re.compile(r" \(in variant '\w+'\)$")
POLL_MS = 300
"""How often the page reads a running simulation's progress."""


def rich_html(*parts) -> str:
    """Rich renderables as an HTML fragment, styled as the terminal shows them."""
    console = Console(record=True, width=WIDE, file=io.StringIO(), color_system="truecolor")
    for part in parts:
        console.print(part)
    return console.export_html(inline_styles=True, code_format=PRE)


def css_class(path: str) -> str:
    """The CSS class of a control's widget (`org.roles.ae.headcount` -> `ctl-org-roles-ae-
    headcount`): what a browser test or a stylesheet finds it by."""
    return "ctl-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")


def page(path: Path, executor: Executor | None = None) -> pn.viewable.Viewable:
    """One browser tab's page: the scenario read now (a fixed file shows on reload), or its
    problems when it does not load."""
    try:
        scenario, text = load(path), Path(path).read_text(encoding="utf-8")
    except ConfigError as error:
        problems = "\n".join(str(p) for p in error.problems)
        return pn.Column(
            f"## {html.escape(str(path))} does not load",
            pn.pane.Alert(f"<pre>{html.escape(problems)}</pre>", alert_type="danger"),
            "Fix the file and reload this page.",
            css_classes=["load-errors"],
        )
    shop = Workshop(scenario, text, executor)
    if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
        pn.state.on_session_destroyed(lambda _: shop.abandon())  # a closed tab stops its run
    return shop.layout


class Workshop:
    """One session: the designs chosen, the controls, the edited design and its runs."""

    def __init__(self, scenario: Scenario, text: str, executor: Executor | None):
        self.scenario = scenario
        self.text = text
        """The scenario file as the page read it: what is edited, simulated and saved (a
        change on disk shows on reload)."""
        self.executor = executor
        names = list(scenario.variants)
        self.baseline = pn.widgets.Select(label="Baseline design", options=names, value=names[0])
        self.design = pn.widgets.Select(
            label="Design to edit", options=names, value=names[min(1, len(names) - 1)]
        )
        self.controls: list[knobs.Control] = []
        self.widgets: dict[str, pn.widgets.Widget] = {}
        self.edited: Scenario | None = None
        self.run: Simulation | None = None
        self.shown: Snapshot | None = None
        self.poll = None
        self._build_panes()
        self.layout = self._lay_out()
        self.baseline.param.watch(lambda _: self._baseline_chosen(), "value")
        self.design.param.watch(lambda _: self._designs_chosen(), "value")
        self._designs_chosen()

    def _build_panes(self) -> None:
        self.sidebar = pn.Column(width=330)
        self.problems = pn.pane.Alert(
            "", alert_type="danger", visible=False, css_classes=["problems"]
        )
        self.capacity: dict[str, object] = {}
        """Each side's capacity result (`baseline`, `edited`), for the table side by side."""
        self.keeps_up = {side: pn.pane.Alert(css_classes=[f"keeps-up-{side}"]) for side in SIDES}
        self.detail = {side: pn.pane.HTML(css_classes=[f"capacity-{side}"]) for side in SIDES}
        self.side_by_side = pn.pane.HTML(css_classes=["capacity-table"])
        self.simulate = pn.widgets.Button(
            label="Simulate", color="primary", css_classes=["simulate"]
        )
        self.cancel = pn.widgets.Button(label="Cancel", disabled=True, css_classes=["cancel"])
        self.progress = pn.indicators.Progress(value=0, max=1, width=260, visible=False)
        self.status = pn.pane.Markdown("", css_classes=["status"], sizing_mode="stretch_width")
        self.headline = pn.pane.Markdown("", css_classes=["headline"])
        self.verdicts = pn.pane.HTML(css_classes=["verdicts"])
        self.kpis = pn.pane.HTML(css_classes=["kpis"])
        self.figures = pn.Row()
        self.results = pn.Column(self.headline, self.verdicts, self.figures, self.kpis)
        self.name = pn.widgets.TextInput(
            label="New design's name", width=220, css_classes=["variant-name"]
        )
        self.save = pn.widgets.Button(label="Save as variant", css_classes=["save"])
        self.saved = pn.pane.Markdown("", css_classes=["saved"])
        self.download = pn.widgets.FileDownload(
            callback=self._report,
            filename=f"{Path(self.scenario.file).stem}-workshop.html",
            label="Download report",
            disabled=True,
            css_classes=["download"],
        )
        self.simulate.on_click(lambda _: self._start())
        self.cancel.on_click(lambda _: self._cancel())
        self.save.on_click(lambda _: self._save())

    def _lay_out(self) -> pn.Column:
        """The controls on the left; capacity, then the simulation, on the right."""
        warnings = "\n".join(str(w) for w in self.scenario.warnings)
        main = pn.Column(
            pn.pane.Alert(
                f"**The scenario loads with warnings:**<pre>{html.escape(warnings)}</pre>",
                alert_type="warning",
                visible=bool(warnings),
                css_classes=["warnings"],
            ),
            self.problems,
            "### Capacity now (queueing formulas, no simulation)",
            pn.Row(*self.keeps_up.values()),
            self.side_by_side,
            pn.Card(
                pn.Tabs(*((side, self.detail[side]) for side in SIDES)),
                title="Capacity in detail: flows, waits, seasonality and notes",
                collapsed=True,
            ),
            "### Simulation (baseline and edited design on the same random numbers)",
            pn.Row(self.simulate, self.cancel, self.progress),
            self.status,
            pn.Row(self.name, self.save, self.download),
            self.saved,
            self.results,
            sizing_mode="stretch_width",
        )
        title = f"## orgsim workshop: {html.escape(self.scenario.name)}"
        return pn.Column(title, pn.Row(self.sidebar, main), sizing_mode="stretch_width")

    # -- controls

    def _designs_chosen(self) -> None:
        """A design to edit chosen (or reset): its controls as written."""
        self.controls = knobs.controls(self.scenario, self.design.value)
        self.widgets = {c.path: _widget(c) for c in self.controls}
        for widget in self.widgets.values():
            widget.param.watch(lambda _: self._edited(), "value")
        cards = []
        for group in knobs.GROUPS:
            members = [self.widgets[c.path] for c in self.controls if c.group == group]
            if members:
                cards.append(
                    pn.Card(*members, title=group, collapsed=group != "Headcount", width=320)
                )
        reset = pn.widgets.Button(label="Reset to the design as written", css_classes=["reset"])
        reset.on_click(lambda _: self._designs_chosen())
        self.sidebar.objects = [self.baseline, self.design, *cards, reset]
        self.name.value = f"{self.design.value}_edited"
        self._baseline_chosen()

    def _baseline_chosen(self) -> None:
        baseline = self.baseline.value
        self._capacity("baseline", self.scenario, baseline, f"baseline ({baseline})")
        self._edited()

    def changes(self) -> dict:
        """The edits on screen, as `set` overrides."""
        values = {path: widget.value for path, widget in self.widgets.items()}
        return knobs.edits(self.controls, values)

    def _edited(self) -> None:
        """Check the edited design and redraw its capacity: at once, on every change. A
        simulation of the design before the change stops, and its results say so."""
        if self.poll is not None or self.shown is not None:
            self._outdated(running=self.poll is not None)
        try:
            changes = self.changes()
            self.edited = knobs.edited(
                self.scenario, self.text, self.baseline.value, self.design.value, changes
            )
        except ConfigError as error:
            self.edited = None
            self.problems.object = (
                "**This edit is not a valid design:** "
                f"{html.escape(_messages(error))}. Capacity below is of the last valid edit."
            )
            self.problems.visible = True
            self.simulate.disabled = self.save.disabled = True
            return
        self.problems.visible = False
        self.simulate.disabled = self.save.disabled = False
        count = len(changes)
        title = f"edited ({self.design.value}, {count} change{'s' * (count != 1)})"
        self._capacity("edited", self.edited, list(self.edited.variants)[-1], title)

    def _capacity(self, side: str, scenario: Scenario, variant: str, title: str) -> None:
        """One design's capacity: whether every role keeps up, in a coloured line that a
        leader reads first; both designs' roles side by side; the command line's report."""
        result = self.capacity[side] = capacity(scenario, variant)
        behind = any(load.fullest_quarter for load in result.roles.values())
        later = [
            (role, load.runs_out_week)
            for role, load in result.roles.items()
            if load.runs_out_week is not None and not behind
        ]
        said = Text.from_markup(terminal.over_horizon(result)).plain
        if behind:
            said += " — its backlog keeps growing: this design is overloaded"
        elif later:
            said += ". Later: " + fmt.runs_out({side: later}, scenario.horizon_weeks)
        alert = self.keeps_up[side]
        alert.alert_type = "danger" if behind else "warning" if later else "success"
        alert.object = f"**{html.escape(title)}**: {html.escape(said)}"
        parts = terminal.capacity_report(self.scenario.name, result, scenario.horizon_weeks)
        self.detail[side].object = rich_html(*parts)
        if len(self.capacity) == len(SIDES):
            table = terminal.capacity_side_by_side({s: self.capacity[s] for s in SIDES})
            self.side_by_side.object = rich_html(table)

    # -- simulation

    def _start(self) -> None:
        if self.edited is None:
            return
        self.abandon()
        self.run = Simulation(self.edited, self.executor).start()
        self.shown = None
        self.cancel.disabled, self.progress.visible, self.simulate.disabled = False, True, True
        self.download.disabled = True  # until the first results are on screen
        self.status.object = "Simulating…"
        self.poll = pn.state.add_periodic_callback(self._watch, period=POLL_MS)

    def _cancel(self) -> None:
        """Stop before the next replication; the page keeps what is done and says so."""
        if self.run is not None:
            self.run.cancel()
        self.cancel.disabled = True
        self.status.object = "Cancelling…"

    def abandon(self) -> None:
        """Stop the simulation and stop watching it (the designs changed, the tab closed)."""
        if self.run is not None:
            self.run.cancel()
        if self.poll is not None:
            self.poll.stop()
            self.poll = None
        self.cancel.disabled, self.progress.visible = True, False
        self.simulate.disabled = self.edited is None

    def _outdated(self, running: bool) -> None:
        """The designs changed: a running simulation stops, results on screen grey out and
        are no longer offered as a report."""
        self.abandon()
        said = "Stopped: the designs changed while simulating. " if running else ""
        if self.shown is not None and self.shown.comparison is not None:
            self.results.styles = {"opacity": "0.4"}
            self.download.disabled = True
            said += "The greyed results below are of the designs before your last change. "
        self.status.object = said + "Press Simulate for the designs as they are now."

    def _watch(self) -> None:
        """Show a running simulation's progress, and each new result as it arrives."""
        if self.run is None:
            return
        snap, before = self.run.snapshot(), self.shown
        self.shown = snap
        self.progress.max, self.progress.value = max(snap.aim, 1), min(snap.done, snap.aim)
        if snap.comparison is not None and (
            before is None or snap.comparison is not before.comparison
        ):
            self._show(snap)
        self.status.object = _status(snap, len(self.run.scenario.variants))
        if snap.finished:
            self.abandon()

    def _show(self, snap: Snapshot) -> None:
        comparison = snap.comparison
        frame = comparison.to_frame()
        title = f"{comparison.replications} replications per design (mean ±95% half-interval)"
        self.kpis.object = rich_html(
            terminal.comparison_table(
                title,
                comparison.variants,
                frame,
                shown=self.scenario.targets,
                currency=self.scenario.currency,
                written=comparison.written_rates(),
            )
        )
        self.headline.object = f"**{html.escape(comparison.headline())}**"
        self.verdicts.object = _verdicts(comparison) if comparison.targets else ""
        self.figures.objects = [
            pn.pane.Matplotlib(comparison.plot(kind), dpi=80, tight=True, format="svg", width=460)
            for kind in ("trade_off", "weekly_won")
        ]
        self.download.disabled = False
        self.results.styles = {"opacity": "1"}

    # -- keeping

    def _save(self) -> None:
        try:
            path = knobs.save_variant(
                self.scenario,
                self.text,
                self.design.value,
                self.name.value.strip(),
                self.changes(),
            )
        except ConfigError as error:
            self.saved.object = f"Not saved: {html.escape(_messages(error))}"
            return
        self.saved.object = (
            f"Saved `{path}`: `orgsim compare {path}` runs it beside the other designs."
        )

    def _report(self) -> io.StringIO:
        shown = self.shown.comparison if self.shown is not None else None
        return io.StringIO(shown.report_html() if shown is not None else "")


def _widget(control: knobs.Control) -> pn.widgets.Widget:
    """A widget for the control's kind: whole numbers for people, a choice from the
    language's words; the values the language refuses (a negative rate, shares above 1) are
    named by its own checks, never clamped out of sight."""
    common = {"label": control.label, "css_classes": [css_class(control.path)], "width": 290}
    if control.kind == "choice":
        return pn.widgets.Select(options=list(control.choices), value=control.value, **common)
    step = 0.01 if control.kind == "share" else 1  # people too: 2.5 is refused, not 25
    return pn.widgets.FloatInput(value=control.value, step=step, **common)


def _status(snap: Snapshot, designs: int) -> str:
    if snap.error:
        return f"**The simulation failed:** {html.escape(snap.error)}"
    if snap.cancelled and snap.comparison is None:
        return "Cancelled before the first results."
    if snap.cancelled:
        shown = snap.comparison.replications
        return f"Cancelled: the results below rest on the first {shown} replications per design."
    if snap.finished and snap.stop is not None:
        return "Done: " + html.escape(snap.stop.in_words())
    said = f"{snap.done // designs} of {snap.aim // designs} replications per design"
    if snap.open is not None:
        said += f"; {snap.open} of {snap.questions} questions still open"
    return said


def _verdicts(comparison) -> str:
    """Each target in each design: met, not sure or missed, with the interval."""
    rows = []
    for row in comparison.verdicts().to_dict("records"):
        target = comparison.targets[row["kpi"]]
        said = target_rules.verdict(row["mean"], target.min, target.max, row["met"])
        margin = fmt.margin(row["kpi"], row["mean"], target.min, target.max, bool(row["met"]))
        rows.append(
            f"<tr><td>{html.escape(row['variant'])}</td>"
            f"<td>{html.escape(fmt.target(row['kpi'], target.min, target.max))}</td>"
            f"<td>{fmt.kpi_plus_minus(row['kpi'], row['mean'], row['ci_low'], row['ci_high'])}"
            f"</td><td style='color: {COLOURS[said]}; font-weight: bold'>{said}</td>"
            f"<td>{html.escape(margin)}</td></tr>"
        )
    head = (
        "<tr><th>design</th><th>target</th><th>mean ±95%</th><th>verdict</th><th>margin</th></tr>"
    )
    return f"<table class='verdict-table'>{head}{''.join(rows)}</table>"


def _messages(error: ConfigError) -> str:
    """What is wrong, by the dotted path the edit wrote (not the page's own variant around
    it) or the file it is about, without line numbers: the edit is not in a file."""
    said = []
    for p in error.problems:
        where = p.file if p.path.startswith("<") else OWN_VARIANT.sub("", p.path)
        said.append(f"{where}: {IN_VARIANT.sub('', p.message)}")
    return "; ".join(said)
