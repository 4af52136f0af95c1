"""Questions about a checked market and org, answered once: where a lead can go, which
stages come after the sale, which roles work and which acquire customers.

Validation, the KPI catalogue and the engine's compiler all ask these; a pure module of
queries keeps one answer to each.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from orgsim.config.distributions import BySegment, probability, resolve
from orgsim.config.schema import BUILT_IN_ENDS, Handoff, Market, Org
from orgsim.config.units import YEAR

TOLERANCE = 1e-9
"""How far chances may add up past 1 before it is a mistake rather than rounding."""

Graph = dict[str, dict[str, None]]
"""Each place and the places a lead can go from it next (an ordered set, so that a loop is
always reported the same way). Three walks over a dozen stages need no graph library, and
`orgsim validate` starts 0.1 s sooner without importing networkx (benchmarks/startup.py)."""


def chance(p, segment: str) -> float:
    """A probability for a segment (0 where a by_segment leaves it out: reported elsewhere)."""
    return float(p.by_segment.get(segment, 0.0)) if isinstance(p, BySegment) else float(p)


def journey_graph(market: Market, org: Org | None = None) -> Graph:
    """Stages and ends, with an edge wherever a lead can actually go (chance > 0, giving up,
    and, with an org, being recycled by its SLA policy)."""
    graph: Graph = {place: {} for place in [*market.journey, *BUILT_IN_ENDS]}

    def edge(a: str, b: str) -> None:
        graph[a][b] = None
        graph.setdefault(b, {})

    segments = list(market.segments)
    for name, stage in market.journey.items():
        if stage.is_end:
            continue
        for target, p in stage.outcomes.items():
            if any(chance(p, s) > 0 for s in segments):
                edge(name, target)
        if stage.patience is not None:
            edge(name, stage.gives_up_place)
        remainder = max(1 - sum(chance(p, s) for p in stage.outcomes.values()) for s in segments)
        if remainder > TOLERANCE:
            edge(name, stage.exit)
    for name, work in org.work.items() if org is not None else ():
        if work.sla is not None and work.sla.recycle_to in graph and name in market.journey:
            edge(name, work.sla.recycle_to)
    return graph


def reach(graph: Graph, starts: Iterable[str]) -> set[str]:
    """Every place a lead can get to from `starts`, the starts included."""
    seen = {s for s in starts if s in graph}
    todo = list(seen)
    while todo:
        for nxt in graph[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def loops(graph: Graph) -> list[list[str]]:
    """Every loop in the graph once, as the places it goes round, from its place written
    first (a walk from each place through the places after it, back to it)."""
    order = {place: i for i, place in enumerate(graph)}
    found = []

    def walk(path: list[str]) -> None:
        for nxt in graph[path[-1]]:
            if nxt == path[0]:
                found.append(list(path))
            elif order[nxt] > order[path[0]] and nxt not in path:
                walk([*path, nxt])

    for place in graph:
        walk([place])
    return found


def reversed_graph(graph: Graph) -> Graph:
    """The same places with every edge turned round (who can reach this place)."""
    back: Graph = {place: {} for place in graph}
    for a, nexts in graph.items():
        for b in nexts:
            back[b][a] = None
    return back


def end_places(market: Market) -> set[str]:
    """The built-in ends and every stage the market marks as an end."""
    return set(BUILT_IN_ENDS) | {n for n, s in market.journey.items() if s.is_end}


def after_won(market: Market) -> set[str]:
    """Stages a lead reaches only after a `won` milestone: no source reaches them without
    passing one. A book lead placed there is an existing customer."""
    graph = journey_graph(market)
    for name, stage in market.journey.items():
        if stage.milestone == "won":
            graph[name].clear()
    return set(market.journey) - reach(graph, [s.enters for s in market.sources.values()])


def has_won_milestone(market: Market) -> bool:
    return any(stage.milestone == "won" for stage in market.journey.values())


def opportunity_stage(market: Market) -> str | None:
    """The stage marked `milestone: opportunity`, where `win_rate` counts from."""
    return next((n for n, s in market.journey.items() if s.milestone == "opportunity"), None)


def worked_roles(org: Org) -> list[str]:
    """Roles that work at least one stage or prospect a source, in the order the org
    declares them."""
    working = {work.role for work in [*org.work.values(), *org.prospecting.values()]}
    return [role for role in org.roles if role in working]


def acquisition_roles(market: Market, org: Org) -> set[str]:
    """Roles whose people and per-seat costs count in CAC: every role except those that work
    only stages after the sale (onboarding, renewals) and those that work no stage in the
    `customer_success` team."""
    serving = after_won(market)
    acquiring = set()
    for role, spec in org.roles.items():
        worked = {stage for stage, work in org.work.items() if work.role == role}
        prospects = any(work.role == role for work in org.prospecting.values())
        if (
            prospects
            or (worked and not worked <= serving)
            or (not worked and spec.team != "customer_success")
        ):
            acquiring.add(role)
    return acquiring


def handoff_roles(key: str) -> tuple[str, str]:
    """The role that hands a lead over and the role that takes it, from a handoff's key
    (`sdr->ae`, whose form the schema checked)."""
    giver, taker = key.split("->")
    return giver, taker


def manual_handoffs_into(org: Org, stage: str) -> list[Handoff]:
    """Manual handoffs a lead can meet entering `stage` (into the role that works it)."""
    work = org.work.get(stage)
    if work is None:
        return []
    return [
        h for key, h in org.handoffs.items() if handoff_roles(key)[1] == work.role and h.is_manual
    ]


def gives_up(market: Market, org: Org, stage: str) -> bool:
    """Whether buyers can run out of patience at `stage` (it has patience and a role works it)."""
    return market.journey[stage].patience is not None and stage in org.work


def recycles(org: Org, stage: str) -> bool:
    """Whether the stage's SLA takes leads out of the queue after `recycle_after`."""
    work = org.work.get(stage)
    return work is not None and work.sla is not None and work.sla.recycle_after is not None


def next_places(market: Market, org: Org, stage: str) -> list[str]:
    """Every place a lead can go when it leaves `stage`: its outcomes, otherwise, leaks,
    where buyers who give up go, where the SLA policy recycles to."""
    spec = market.journey[stage]
    places = list(spec.outcomes)
    if _otherwise_possible(market, org, stage):
        places.append(spec.exit)
    if any((h.leak or 0) > 0 for h in manual_handoffs_into(org, stage)):
        places.append("leaked")
    if gives_up(market, org, stage):
        places.append(spec.gives_up_place)
    if recycles(org, stage):
        places.append(org.work[stage].sla.recycle_to)
    return list(dict.fromkeys(places))


def _otherwise_possible(market: Market, org: Org, stage: str) -> bool:
    """Whether any lead can take `otherwise`: the base chances leave room, or skill, a
    handoff penalty or response decay can scale the success outcomes down."""
    spec = market.journey[stage]
    for segment in market.segments:
        if sum(probability(p, segment) for p in spec.outcomes.values()) < 1 - TOLERANCE:
            return True
    work = org.work.get(stage)
    if work is None or not spec.success_outcomes or work.role not in org.roles:
        return False
    skill = org.roles[work.role].skill
    fixed_skill = isinstance(skill, int | float) and skill == 1
    penalised = any((h.penalty or 0) > 0 for h in manual_handoffs_into(org, stage))
    return spec.response_decay is not None or not fixed_skill or penalised


MAX_VISITS = 1_000
"""Visits one lead may make to one stage on average: a loop that goes round more often (a
renewal at 0.9999999 with no delay) would run without end and fill memory."""


def endless_loops(market: Market) -> dict[str, float]:
    """Stages a lead comes back to more than MAX_VISITS times on average and often enough to
    do it within a year (the buyer's time between its visits is under a year / MAX_VISITS):
    each with its expected visits. A renewal at 0.999999 once every ten weeks is a loyal
    customer; the same with no delay is a loop that never ends. From the written chances:
    the traffic equations v = e + Pᵀv solved by Gaussian elimination (a dozen stages need no
    numpy)."""
    stages = [n for n, s in market.journey.items() if not s.is_end]
    index = {name: i for i, name in enumerate(stages)}
    found: dict[str, float] = {}
    entries = {s.enters for s in market.sources.values()} | {b.stage for b in market.book}
    for segment in market.segments:
        flows = _flows_between(market, stages, index, segment)
        delays = [resolve(market.journey[n].buyer_delay, segment).expected() for n in stages]
        for entry in entries & set(index):
            visits = _visits(flows, index[entry])
            waited = sum(v * d for v, d in zip(visits, delays, strict=True))
            for name, v in zip(stages, visits, strict=True):
                if MAX_VISITS < v < math.inf and waited / v < YEAR / MAX_VISITS:
                    found[name] = max(found.get(name, 0.0), v)
    return found


def visits_per_lead(market: Market, hours: float) -> float:
    """Stage visits a source's lead makes on average over `hours` (over sources, by rate
    and segment mix), from the written chances, and no more often at a stage than once per
    its buyer delay: what a replication's records grow with."""
    stages = [n for n, s in market.journey.items() if not s.is_end]
    index = {name: i for i, name in enumerate(stages)}
    total = weight = 0.0
    for segment in market.segments:
        flows = _flows_between(market, stages, index, segment)
        delays = [resolve(market.journey[n].buyer_delay, segment).expected() for n in stages]
        most = [1 + hours / d if d > 0 else math.inf for d in delays]
        for source in market.sources.values():
            if source.kind == "outbound":  # its meetings enter as inbound leads do: weighed
                continue  # by them (the volume is the org's to make)
            share = source.rate * ((source.mix or {segment: 1.0}).get(segment, 0.0))
            if share > 0 and source.enters in index:
                visits = _visits(flows, index[source.enters])
                total += share * sum(min(v, m) for v, m in zip(visits, most, strict=True))
                weight += share
    return total / weight if weight else 1.0


def _flows_between(market: Market, stages: list[str], index: dict, segment: str):
    """The chance of going from each stage to each other one (ends left out)."""
    flows = [[0.0] * len(stages) for _ in stages]
    for name in stages:
        spec = market.journey[name]
        chances = {t: chance(p, segment) for t, p in spec.outcomes.items()}
        left = max(0.0, 1 - sum(chances.values()))
        chances[spec.exit] = chances.get(spec.exit, 0.0) + left
        for target, p in chances.items():
            if target in index:
                flows[index[name]][index[target]] += p
    return flows


def _visits(flows: list[list[float]], entry: int) -> list[float]:
    """Solve (I - Pᵀ) v = e_entry; infinity for stages on a loop with no way out."""
    n = len(flows)
    a = [[(1.0 if i == j else 0.0) - flows[j][i] for j in range(n)] + [float(i == entry)]
         for i in range(n)]  # fmt: skip
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-15:
            return [math.inf if flows[i][i] or any(flows[i]) else 0.0 for i in range(n)]
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col and a[r][col]:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    return [max(0.0, a[i][n] / a[i][i]) for i in range(n)]
