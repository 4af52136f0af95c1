"""Checks that need the whole picture: references, shares that must add up, the journey graph.

Each check reports at the key or value where the problem was written. A
market or org file validated alone gets the checks that file allows;
references between them (stages in `work`, segments in `pods`) are checked
when a scenario composes them.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator

from orgsim.config import roster
from orgsim.config.distributions import BySegment, resolve
from orgsim.config.errors import Problem
from orgsim.config.journey import (
    MAX_VISITS,
    TOLERANCE,
    Graph,
    after_won,
    chance,
    end_places,
    endless_loops,
    handoff_roles,
    journey_graph,
    reach,
    reversed_graph,
)
from orgsim.config.schema import BUILT_IN_ENDS, TEAMS, Market, Org, Transition
from orgsim.config.yamlio import Located


class _Reporter:
    def __init__(self, tree: Located, at: tuple):
        self.tree, self.at, self.problems = tree, at, []

    def error(self, path: tuple, message: str, *, key: bool = False, warning: bool = False):
        full = self.at + path
        mark, unwritten = self.tree.locate(full)
        if key and not unwritten and full in self.tree.keys:
            mark = self.tree.keys[full]
        self.problems.append(mark.problem(message, warning=warning, extra=unwritten))

    def warn(self, path: tuple, message: str, *, key: bool = False):
        self.error(path, message, key=key, warning=True)


def _names(options) -> str:
    return ", ".join(options) if options else "none"


def _hint(name: str, options) -> str:
    """`; did you mean 'x'?` for the closest of `options`, or nothing."""
    close = difflib.get_close_matches(name, list(options), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


# --------------------------------------------------------------------- market


def check_market(
    market: Market, tree: Located, at: tuple = (), org: Org | None = None
) -> list[Problem]:
    """A market's own consistency: sources, segments, outcomes and the journey graph (with
    `org`, the journey also follows where its SLA policy recycles leads)."""
    say = _Reporter(tree, at)
    stages, segments = set(market.journey), list(market.segments)
    places = stages | set(BUILT_IN_ENDS)

    _check_sources(say, market, stages, segments)
    _check_book(say, market, segments)
    _check_milestones(say, market)
    _check_stages(say, market, places, segments)
    for path, value in _by_segment_fields_market(market):
        _check_covers(say, path, value, segments)
    _check_journey_graph(say, market, org)
    return say.problems


def _check_sources(say: _Reporter, market: Market, stages: set, segments: list[str]) -> None:
    """Each source enters a real stage, with a mix of real segments that sums to 1."""
    for name, source in market.sources.items():
        here = ("sources", name)
        if source.kind == "outbound":
            _check_accounts(say, here, source.accounts, segments)
        if source.enters not in stages:
            say.error(
                (*here, "enters"),
                f"'{source.enters}' is not a journey stage{_hint(source.enters, market.journey)} "
                f"(stages: {_names(market.journey)})",
            )
        if source.kind == "outbound":
            continue
        if source.mix is None:
            if len(segments) > 1:
                say.error(
                    here,
                    f"mix is required when the market has several segments ({_names(segments)})",
                    key=True,
                )
        else:
            _check_mix(say, here, source.mix, segments)


def _check_segment_keys(say: _Reporter, here: tuple, keys, segments: list[str]) -> None:
    """Every key at `here` names a segment of the market."""
    for segment in keys:
        if segment not in segments:
            say.error(
                (*here, segment),
                f"unknown segment '{segment}'{_hint(segment, segments)} "
                f"(segments: {_names(segments)})",
                key=True,
            )


def _check_accounts(say: _Reporter, here: tuple, accounts: dict, segments: list[str]) -> None:
    """An outbound source's accounts are of real segments, and there are some."""
    _check_segment_keys(say, (*here, "accounts"), accounts, segments)
    if not sum(accounts.values()):
        say.error((*here, "accounts"), "no accounts to prospect: give at least one")


def _check_mix(say: _Reporter, here: tuple, mix: dict, segments: list[str]) -> None:
    """A segment mix names real segments and sums to 1."""
    _check_segment_keys(say, (*here, "mix"), mix, segments)
    total = sum(mix.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        say.error((*here, "mix"), f"segment shares must sum to 1, they sum to {total:g}")


def _check_book(say: _Reporter, market: Market, segments: list[str]) -> None:
    """Each book entry places leads in a real stage where something can happen to them."""
    for i, entry in enumerate(market.book):
        here = ("book", i)
        stage = market.journey.get(entry.stage)
        if stage is None:
            if entry.stage != "lost":  # `lost`: a deal lost today, no stage of the journey
                say.error(
                    (*here, "stage"),
                    f"'{entry.stage}' is not a journey stage{_hint(entry.stage, market.journey)} "
                    f"(stages: {_names(market.journey)}; or lost, for a deal lost today)",
                )
        elif stage.is_end:
            say.error((*here, "stage"), f"'{entry.stage}' is an end: nothing happens there")
        elif stage.milestone == "won":
            say.error(
                (*here, "stage"),
                f"'{entry.stage}' is the won milestone: a book lead placed there would be "
                "counted as won again; place customers in the stage after it",
            )
        if entry.mix is not None:
            _check_mix(say, here, entry.mix, segments)


def _check_milestones(say: _Reporter, market: Market) -> None:
    """At most one opportunity milestone (`win_rate` counts from it), and not after the sale."""
    marked = [n for n, s in market.journey.items() if s.milestone == "opportunity"]
    for name in marked[1:]:
        say.error(
            ("journey", name, "milestone"),
            f"a second opportunity milestone (the first is '{marked[0]}'): win_rate counts "
            "opportunities from one stage",
        )
    entries = [s.enters for s in market.sources.values()]
    reached = reach(journey_graph(market), entries)  # an unreachable stage is not "after" won
    for name in set(marked[:1]) & after_won(market) & reached:
        say.error(
            ("journey", name, "milestone"),
            f"'{name}' is reached only after a won milestone: an opportunity comes before the sale",
        )


def _check_stages(say: _Reporter, market: Market, places: set, segments: list[str]) -> None:
    """Each stage's outcomes, success list, probabilities and give-up place."""
    for name in market.journey:
        _check_outcomes(say, market, name, places, segments)
        _check_giving_up(say, market, name, places, segments)


def _check_outcomes(say: _Reporter, market: Market, name: str, places: set, segments) -> None:
    """Outcomes and otherwise go to real places, success names outcomes, chances add up."""
    stage, here = market.journey[name], ("journey", name)
    for target in stage.outcomes:
        if target not in places:
            say.error(
                (*here, "outcomes", target),
                f"unknown stage '{target}'{_hint(target, market.journey)} "
                f"(stages: {_names(market.journey)}; ends: {_names(BUILT_IN_ENDS)})",
                key=True,
            )
    if stage.otherwise is not None and stage.otherwise not in places:
        say.error(
            (*here, "otherwise"),
            f"unknown stage '{stage.otherwise}'{_hint(stage.otherwise, market.journey)} "
            f"(stages: {_names(market.journey)}; ends: {_names(BUILT_IN_ENDS)})",
        )
    for i, target in enumerate(stage.success or []):
        if target not in stage.outcomes:
            say.error(
                (*here, "success", i),
                f"'{target}' is not one of this stage's outcomes ({_names(stage.outcomes)})",
            )
    for segment in segments:
        total = sum(chance(p, segment) for p in stage.outcomes.values())
        if total > 1 + TOLERANCE:
            which = f" for segment '{segment}'" if len(segments) > 1 else ""
            say.error(
                (*here, "outcomes"),
                f"outcome probabilities sum to {total:g}{which}; "
                "they must sum to at most 1 (the rest goes to otherwise)",
            )
            break


def _check_giving_up(say: _Reporter, market: Market, name: str, places: set, segments) -> None:
    """Where buyers who give up go, and patience that is more than no time at all."""
    stage, here = market.journey[name], ("journey", name)
    if stage.is_end and (
        stage.touches != 1 or stage.response_decay is not None or stage.patience is not None
    ):
        say.warn(
            here,
            "this stage is an end (no outcomes, no otherwise): its touches, "
            "response_decay and patience have no effect",
            key=True,
        )
    if stage.gives_up_to is not None:
        if stage.gives_up_to not in places:
            say.error(
                (*here, "gives_up_to"),
                f"unknown stage '{stage.gives_up_to}'"
                f"{_hint(stage.gives_up_to, market.journey)} "
                f"(stages: {_names(market.journey)}; ends: {_names(BUILT_IN_ENDS)})",
            )
        elif stage.patience is None:
            say.warn(
                (*here, "gives_up_to"),
                "no patience is given, so no buyer gives up here (add patience)",
            )
        else:
            _check_untouched_exit(say, market, (*here, "gives_up_to"), name, stage.gives_up_to)
    if stage.patience is not None and _can_be_zero(stage.patience, segments):
        say.error(
            (*here, "patience"),
            "patience must be more than 0: a buyer who waits no time at all leaves at once, "
            "and a lead that leaves at once can loop forever",
        )


def _can_be_zero(value, segments: list[str]) -> bool:
    """Whether a duration can be exactly 0 for some segment (a constant 0)."""
    return any(
        (d := resolve(value, segment)).dist == "constant" and d.value <= 0 for segment in segments
    )


def _check_untouched_exit(
    say: _Reporter, market: Market, path: tuple, stage: str, target: str
) -> None:
    """Where a lead that leaves a stage untouched (gave up, recycled) may go: not back into
    the same queue, not into a won milestone, not to `churned` (only customers churn)."""
    if target == stage:
        say.error(path, f"'{target}' is this stage: the lead would queue again where it waited")
    elif target == "churned":
        say.error(path, "only customers churn: send leads that leave untouched to lost or a stage")
    elif target in market.journey and market.journey[target].milestone == "won":
        say.error(path, f"'{target}' is a won milestone: a lead nobody touched cannot be won")


def _by_segment_fields_market(market: Market) -> Iterator[tuple[tuple, BySegment]]:
    for name, segment in market.segments.items():
        if isinstance(segment.deal_value, BySegment):
            yield ("segments", name, "deal_value"), segment.deal_value
    for name, stage in market.journey.items():
        for field in ("buyer_delay", "value_change", "patience"):
            value = getattr(stage, field)
            if isinstance(value, BySegment):
                yield ("journey", name, field), value
        for target, p in stage.outcomes.items():
            if isinstance(p, BySegment):
                yield ("journey", name, "outcomes", target), p


def _check_covers(say: _Reporter, path: tuple, value: BySegment, segments: list[str]):
    listed = list(value.by_segment)
    for segment in listed:
        if segment not in segments:
            say.error(
                (*path, "by_segment", segment),
                f"unknown segment '{segment}'{_hint(segment, segments)} "
                f"(segments: {_names(segments)})",
                key=True,
            )
    missing = [s for s in segments if s not in listed]
    if missing:
        say.error(
            (*path, "by_segment"), f"by_segment must list every segment; missing {_names(missing)}"
        )


def _check_journey_graph(say: _Reporter, market: Market, org: Org | None) -> None:
    graph = journey_graph(market, org)
    can_finish = reach(reversed_graph(graph), end_places(market)) | end_places(market)
    stuck = [s for s in market.journey if s not in can_finish]
    for stage in stuck:
        loop = _loop_from(graph, stage, set(stuck))
        shown = f" (loop: {' -> '.join(loop)})" if loop else ""
        say.error(
            ("journey", stage),
            f"no way out: a lead here can never reach an end{shown}; "
            "give the loop an exit with an outcome below 1 or an otherwise",
            key=True,
        )
    if not stuck:
        _check_endless_loops(say, market)
    entries = [s.enters for s in market.sources.values()] + [b.stage for b in market.book]
    sources_reach = reach(graph, entries)
    for stage in market.journey:
        if stage not in sources_reach:
            say.warn(("journey", stage), "no source can reach this stage", key=True)


def _check_endless_loops(say: _Reporter, market: Market) -> None:
    """A loop a lead goes round more than MAX_VISITS times on average: it would run
    without end (a renewal at 0.9999999, no delay) and fill memory."""
    for stage, visits in endless_loops(market).items():
        say.error(
            ("journey", stage),
            f"a lead comes back here about {visits:,.0f} times on average, with little or "
            f"no time between visits (its loop lets it leave with a chance of about "
            f"{1 / visits:.1g} a round): at most {MAX_VISITS:,} are allowed; give the loop a "
            "larger way out or a buyer_delay",
            key=True,
        )


def _loop_from(graph: Graph, stage: str, within: set[str]) -> list[str]:
    """The loop a lead at `stage` falls into when every step stays `within` (the stages
    that cannot finish), as `a -> b -> a`; [] where the walk leaves `within`."""
    walk = [stage]
    while True:
        nexts = [n for n in graph[walk[-1]] if n in within]
        if not nexts:
            return []
        if nexts[0] in walk:
            return [*walk[walk.index(nexts[0]) :], nexts[0]]
        walk.append(nexts[0])


# ------------------------------------------------------------------------ org


def check_org(org: Org, tree: Located, at: tuple = ()) -> list[Problem]:
    """An org's own consistency: roles, handoffs, queues, pods and staffing."""
    say = _Reporter(tree, at)
    roles = list(org.roles)
    in_pods = org.roles_in_pods()

    _check_work(say, org, roles)
    _check_handoffs(say, org, roles)
    _check_queues(say, org, roles)
    _check_pods(say, org, roles)
    _check_staffing(say, org, in_pods)
    _check_hires(say, org, roles, in_pods)
    roster.check(say, org, in_pods, switched_to=at == ("transition", "org"))
    _check_costs(say, org, roles)
    _check_teams(say, org)
    _check_pay(say, org, roles)
    return say.problems


def _check_pay(say: _Reporter, org: Org, roles: list[str]) -> None:
    """A commission pays on what a quota credits, and its tiers and cap are attainments of
    it; a split pays another role that exists; a person's own quota is one of the role's."""
    for name, role in org.roles.items():
        for i, person in enumerate(role.people):
            if person.quota is not None and role.quota is None:
                say.error(
                    ("roles", name, "people", i, "quota"),
                    f"{person.name}'s own quota needs {name}'s quota (its period and credit)",
                )
        plan = role.commission
        if plan is None:
            continue
        here = ("roles", name, "commission")
        if role.quota is None:
            say.error(
                here,
                f"a commission pays on what a quota credits: give {name} a quota (`{{per: "
                "quarter, value: 150000, credit: won_value}`)",
            )
        starts = [t.start for t in plan.tiers]
        if starts != sorted(set(starts)):
            say.error((*here, "tiers"), "tiers must be in increasing order of `from`")
        elif plan.cap is not None and starts and starts[-1] >= plan.cap:
            never = [s for s in starts if s >= plan.cap]
            say.warn(
                (*here, "cap"),
                f"tiers from {', '.join(f'{s:g}' for s in never)} never pay: nothing is paid "
                f"on attainment above the cap, {plan.cap:g}",
            )
        for other in plan.split:
            if other == name:
                say.error((*here, "split", other), f"{name} cannot split with itself", key=True)
            elif other not in org.roles:
                say.error(
                    (*here, "split", other),
                    f"'{other}' is not another role of the org{_hint(other, roles)} "
                    f"(roles: {_names(roles)})",
                    key=True,
                )


def _check_teams(say: _Reporter, org: Org) -> None:
    """A team name close to a known one is most likely a typo: it would get a scorecard
    section of its own."""
    for name, role in org.roles.items():
        if role.team is None or role.team in TEAMS:
            continue
        close = difflib.get_close_matches(role.team, TEAMS, n=1)
        if close:
            say.warn(
                ("roles", name, "team"),
                f"team '{role.team}' is not one of {_names(TEAMS)}; did you mean '{close[0]}'? "
                "(another name gets a scorecard section of its own)",
            )


def _check_work(say: _Reporter, org: Org, roles: list[str]) -> None:
    """Each worked stage names a real role, and its SLA's escalation and recycling add up."""
    for stage, work in {**org.work, **org.prospecting}.items():
        if work.role not in org.roles:
            say.error(
                ("work", stage, "role"),
                f"unknown role '{work.role}'{_hint(work.role, roles)} (roles: {_names(roles)})",
            )
        if work.sla and work.sla.escalate_after is not None and work.routing == "pool":
            say.error(
                ("work", stage, "sla", "escalate_after"),
                "escalate_after moves items assigned to one rep; with routing 'pool' "
                "nothing is assigned (use round_robin, least_loaded, random or same_rep)",
            )
        if work.sla and (work.sla.recycle_after is None) != (work.sla.recycle_to is None):
            given, missing = (
                ("recycle_after", "recycle_to")
                if work.sla.recycle_to is None
                else ("recycle_to", "recycle_after")
            )
            say.error(
                ("work", stage, "sla", given),
                f"{given} needs {missing}: recycle_after says when a lead still waiting for "
                "its first touch is taken out of the queue, recycle_to where it goes "
                "(a stage such as nurture, or an end such as lost)",
                key=True,
            )
        if work.sla and work.sla.recycle_after is not None:
            _check_recycling(say, stage, work.sla)


def _check_recycling(say: _Reporter, stage: str, sla) -> None:
    """A recycling policy that can work, and that leaves the SLA and escalation meaning."""
    here = ("work", stage, "sla")
    if sla.recycle_after <= 0:
        say.error(
            (*here, "recycle_after"),
            "recycle_after must be more than 0: a lead recycled at once can loop forever",
        )
    if sla.recycle_after < sla.first_touch:
        say.warn(
            (*here, "recycle_after"),
            "recycle_after is shorter than first_touch: a lead recycled before its deadline "
            "counts neither as met nor missed, so SLA attainment covers only the leads touched",
        )
    if sla.escalate_after is not None and sla.escalate_after >= sla.recycle_after:
        say.warn(
            (*here, "escalate_after"),
            "escalate_after is not before recycle_after: leads are recycled before they could "
            "escalate",
        )


def _check_handoffs(say: _Reporter, org: Org, roles: list[str]) -> None:
    for key in org.handoffs:
        giver, taker = handoff_roles(key)
        for role in (giver, taker):
            if role not in org.roles:
                say.error(
                    ("handoffs", key),
                    f"unknown role '{role}'{_hint(role, roles)} (roles: {_names(roles)})",
                    key=True,
                )
        if giver == taker:
            say.error(
                ("handoffs", key), "a handoff is a change of role; this names one role", key=True
            )
        cost = org.handoffs[key].cost
        if cost is not None and cost not in {c.name for c in org.costs}:
            say.error(
                ("handoffs", key, "cost"),
                f"no cost named '{cost}' in the org's costs "
                f"({_names([c.name for c in org.costs])})",
            )


def _check_costs(say: _Reporter, org: Org, roles: list[str]) -> None:
    """Cost names are unique and their roles exist."""
    seen = set()
    for i, cost in enumerate(org.costs):
        if cost.name in seen:
            say.error(("costs", i, "name"), f"a second cost named '{cost.name}'")
        seen.add(cost.name)
        for j, role in enumerate(cost.roles or []):
            if role not in org.roles:
                say.error(
                    ("costs", i, "roles", j),
                    f"unknown role '{role}'{_hint(role, roles)} (roles: {_names(roles)})",
                )


def _check_queues(say: _Reporter, org: Org, roles: list[str]) -> None:
    for role, queue in org.queues.items():
        if role not in org.roles:
            say.error(
                ("queues", role),
                f"unknown role '{role}'{_hint(role, roles)} (roles: {_names(roles)})",
                key=True,
            )
            continue
        worked = [s for s, w in org.work.items() if w.role == role]
        for i, stage in enumerate(queue.stage_priority):
            if stage not in worked:
                say.error(
                    ("queues", role, "stage_priority", i),
                    f"'{stage}' is not a stage that {role} works"
                    f"{_hint(stage, org.work) if stage not in org.work else ''} ({_names(worked)})",
                )


def _check_pods(say: _Reporter, org: Org, roles: list[str]) -> None:
    for pod_name, pod in org.pods.items():
        for role in pod.members:
            if role not in org.roles:
                say.error(
                    ("pods", pod_name, "members", role),
                    f"unknown role '{role}'{_hint(role, roles)} (roles: {_names(roles)})",
                    key=True,
                )


def _check_staffing(say: _Reporter, org: Org, in_pods: set[str]) -> None:
    """Headcount given where it belongs, and somebody in every role that works a stage."""
    for role_name, role in org.roles.items():
        if role_name in in_pods and role.headcount is not None:
            say.error(
                ("roles", role_name, "headcount"),
                f"'{role_name}' is staffed by pods: its headcount is the sum of the pods' "
                "members, so leave headcount out",
                key=True,
            )
        if role_name not in in_pods and role.headcount is None and not role.people:
            say.error(("roles", role_name, "headcount"), "missing required field 'headcount'")

    for stage, work in org.work.items():
        if work.role not in org.roles:
            continue
        if work.role in in_pods:
            for pod_name, pod in org.pods.items():
                if pod.members.get(work.role, 0) == 0:
                    say.warn(
                        ("work", stage),
                        f"pod '{pod_name}' has no {work.role}: its leads "
                        f"reaching {stage} will wait forever",
                        key=True,
                    )
        elif org.headcount(work.role) == 0:
            say.warn(
                ("work", stage),
                f"{work.role} has headcount 0: leads reaching {stage} will wait forever",
                key=True,
            )


def _check_hires(say: _Reporter, org: Org, roles: list[str], in_pods: set[str]) -> None:
    """Dated hires name a real role (and pod, for a role in pods) and never take a crew below
    zero seats."""
    seats: dict[tuple, int] = {}
    for i, hire in sorted(enumerate(org.hires), key=lambda item: item[1].at):
        path = ("hires", i)
        if hire.role not in org.roles:
            say.error(
                (*path, "role"),
                f"unknown role '{hire.role}'{_hint(hire.role, roles)} (roles: {_names(roles)})",
            )
            continue
        if hire.role in in_pods:
            pods = [p for p, pod in org.pods.items() if hire.role in pod.members]
            if hire.pod is None:
                say.error(path, f"'{hire.role}' is staffed by pods: say which pod ({_names(pods)})")
                continue
            if hire.pod not in pods:
                say.error((*path, "pod"), f"no pod '{hire.pod}' has {hire.role} ({_names(pods)})")
                continue
            start = org.pods[hire.pod].members[hire.role]
        elif hire.pod is not None:
            say.error((*path, "pod"), f"'{hire.role}' is not staffed by pods: leave pod out")
            continue
        else:
            start = org.headcount(hire.role)
        crew = (hire.role, hire.pod)
        seats[crew] = seats.get(crew, start) + hire.count
        if seats[crew] < 0:
            say.error(
                (*path, "count"),
                f"{hire.role} would have {seats[crew]} seats after this: "
                f"it has {seats[crew] - hire.count} then",
            )


# ---------------------------------------------------------------- composition


def check_together(market: Market, org: Org, tree: Located, at: tuple = ("org",)) -> list[Problem]:
    """References from the org (at `at` in the tree) into the market: stages, segments, pods,
    and who prospects each outbound source."""
    say = _Reporter(tree, at)
    _check_prospecting(say, market, org)
    _check_worked_stages(say, market, org)
    if org.pods:
        _check_pod_segments(say, market, org)
    _check_recycle_targets(say, market, org)
    _check_segments_covered(say, market, org)
    market_say = _Reporter(tree, ("market",))
    _warn_unworked(market_say, market, org)
    return say.problems + market_say.problems


def _check_prospecting(say: _Reporter, market: Market, org: Org) -> None:
    """Each outbound source has one prospecting role, with a share of its time to spend on it;
    a role prospects one source at most; an attempt has no routing or SLA."""
    for name in market.prospected():
        if name not in org.prospecting:
            say.error(
                ("work",),
                f"nobody prospects the outbound source '{name}': add work.{name} "
                "(`{role: sdr, effort: 4min}`)",
                key=True,
            )
    by_role: dict[str, str] = {}
    for name, work in org.prospecting.items():
        here = ("work", name)
        for field in ("routing", "sla"):
            if field in work.model_fields_set:
                say.error((*here, field), f"an attempt on an account has no {field}", key=True)
        role = org.roles.get(work.role)
        if role is None:
            continue  # check_org names the unknown role
        if role.outbound_share is None:
            say.error(
                ("roles", work.role),
                f"{work.role} prospects '{name}': give its outbound_share, the most of each "
                "day's scheduled hours it may spend on it (`0.5`)",
            )
        if work.role in by_role:
            say.error(
                (*here, "role"),
                f"{work.role} already prospects '{by_role[work.role]}': one outbound source per "
                "role",
            )
        by_role[work.role] = name
    for role_name, role in org.roles.items():
        if role.outbound_share is not None and role_name not in by_role:
            say.error(
                ("roles", role_name, "outbound_share"),
                f"{role_name} prospects no outbound source (work.<source> with role: {role_name})",
                key=True,
            )


def _check_worked_stages(say: _Reporter, market: Market, org: Org) -> None:
    """Every worked stage is a stage of the journey, and not an end."""
    stages = list(market.journey)
    for stage in org.work:
        if stage not in market.journey:
            say.error(
                ("work", stage),
                f"'{stage}' is not a stage of the market's journey{_hint(stage, stages)} "
                f"(stages: {_names(stages)})",
                key=True,
            )
        elif market.journey[stage].is_end:
            say.error(
                ("work", stage),
                f"'{stage}' is an end of the journey (no outcomes): there is no work to do there",
                key=True,
            )


def _check_pod_segments(say: _Reporter, market: Market, org: Org) -> None:
    """Each segment is served by exactly one pod, and pods name real segments."""
    segments = list(market.segments)
    served: dict[str, str] = {}
    for pod_name, pod in org.pods.items():
        for i, segment in enumerate(pod.segments):
            if segment not in market.segments:
                say.error(
                    ("pods", pod_name, "segments", i),
                    f"unknown segment '{segment}'{_hint(segment, segments)} "
                    f"(segments: {_names(segments)})",
                )
            elif segment in served:
                say.error(
                    ("pods", pod_name, "segments", i),
                    f"segment '{segment}' is already served by pod '{served[segment]}'",
                )
            else:
                served[segment] = pod_name
    for segment in segments:
        if segment not in served:
            say.error(
                ("pods",),
                f"segment '{segment}' is served by no pod; every lead must belong to a pod",
                key=True,
            )


def _check_recycle_targets(say: _Reporter, market: Market, org: Org) -> None:
    """An SLA recycles leads to a real place, one a lead nobody touched may reach."""
    stages = list(market.journey)
    places = set(market.journey) | set(BUILT_IN_ENDS)
    for stage, work in org.work.items():
        target = work.sla.recycle_to if work.sla else None
        if target is not None and target not in places:
            say.error(
                ("work", stage, "sla", "recycle_to"),
                f"unknown stage '{target}'{_hint(target, stages)} "
                f"(stages: {_names(stages)}; ends: {_names(BUILT_IN_ENDS)})",
            )
        elif target is not None:
            _check_untouched_exit(say, market, ("work", stage, "sla", "recycle_to"), stage, target)


def _check_segments_covered(say: _Reporter, market: Market, org: Org) -> None:
    """Per-segment effort, skill and handoff delays list every segment."""
    segments = list(market.segments)
    for stage, work in org.work.items():
        if isinstance(work.effort, BySegment):
            _check_covers(say, ("work", stage, "effort"), work.effort, segments)
    for name, role in org.roles.items():
        if isinstance(role.skill, BySegment):
            _check_covers(say, ("roles", name, "skill"), role.skill, segments)
    for key, handoff in org.handoffs.items():
        if isinstance(handoff.delay, BySegment):
            _check_covers(say, ("handoffs", key, "delay"), handoff.delay, segments)


def _warn_unworked(say: _Reporter, market: Market, org: Org) -> None:
    """Decay and patience at a stage no role works never apply: a warning."""
    for stage, spec in market.journey.items():
        if spec.response_decay is not None and stage not in org.work:
            say.warn(
                ("journey", stage, "response_decay"),
                "no role works this stage, so response decay never applies",
            )
        if spec.patience is not None and stage not in org.work:
            say.warn(
                ("journey", stage, "patience"),
                "no role works this stage, so no buyer waits for a touch and none gives up",
            )


# ----------------------------------------------------------------- transition


def check_transition(org: Org, transition: Transition, tree: Located) -> list[Problem]:
    """A switch from `org` to the transition org must add up: moves
    between roles that exist, no more people than there are or than the new org wants, the
    same stages worked, and a role both orgs have defined the same way in both."""
    say = _Reporter(tree, ("transition",))
    if org.prospecting or transition.org.prospecting:
        say.error(
            (),
            "a switch of org with outbound prospecting is not modelled yet: compare the two "
            "orgs as variants instead",
        )
    _check_moves(say, org, transition)
    _check_same_roles_and_stages(say, org, transition.org)
    today = _Reporter(tree, ("org",))
    for i, hire in enumerate(org.hires):
        if hire.at >= transition.at:
            today.error(
                ("hires", i, "at"),
                "a dated hire at or after the transition: write it in the new org's hires "
                "(the new org's headcount and hires say who is there from the switch on)",
            )
    return say.problems + today.problems


def _check_moves(say: _Reporter, org: Org, transition: Transition) -> None:
    """People move between roles that exist, out of roles that have them, into roles that
    want them."""
    new = transition.org
    _check_named_moves(say, org, transition)
    for old_role, to in transition.counted_moves().items():
        if old_role not in org.roles:
            say.error(
                ("moves", old_role),
                f"today's org has no role '{old_role}' (roles: {_names(org.roles)})",
                key=True,
            )
            continue
        for role in to:
            if role not in new.roles:
                say.error(
                    ("moves", old_role, role),
                    f"the new org has no role '{role}' to move people into "
                    f"(roles: {_names(new.roles)})",
                    key=True,
                )
            elif role == old_role:
                say.error(("moves", old_role, role), "a move must change role", key=True)
        out, have = transition.moved(old_role, org)[0], org.headcount_at(old_role, transition.at)
        if out > have:
            say.error(
                ("moves", old_role),
                f"moves {out} people out of '{old_role}', which has {have}",
                key=True,
            )
    for role in new.roles:
        into, room = transition.moved(role, org)[1], new.headcount_at(role, transition.at)
        if into > room:
            say.error(
                ("moves",),
                f"moves {into} people into '{role}', but the new org has {room}",
                key=True,
            )


def _check_named_moves(say: _Reporter, org: Org, transition: Transition) -> None:
    """A person moved by name is in today's roster and goes to another role the new org has."""
    role_of = {name: r for r, role in org.roles.items() for name in role.names()}
    for person, to in transition.named_moves().items():
        here = ("moves", person)
        if person not in role_of:
            say.error(here, f"no one called '{person}' in today's people (nor a role)", key=True)
        elif to not in transition.org.roles:
            say.error(here, f"the new org has no role '{to}' ({_names(transition.org.roles)})")
        elif to == role_of[person]:
            say.error(here, f"{person} is in {to} already: a move must change role")


def _check_same_roles_and_stages(say: _Reporter, org: Org, new: Org) -> None:
    """A role in both orgs keeps its definition; both orgs work the same stages."""
    for role in set(org.roles) & set(new.roles):
        mine = org.roles[role].model_dump(exclude={"headcount", "description"})
        theirs = new.roles[role].model_dump(exclude={"headcount", "description"})
        changed = [field for field in mine if mine[field] != theirs[field]]
        if changed:
            say.error(
                ("org", "roles", role),
                f"role '{role}' is in both orgs with a different {', '.join(changed)}: a role "
                "keeps its definition across a transition (give the new one another name, "
                "and move people into it)",
                key=True,
            )
    if set(org.work) != set(new.work):
        differ = sorted(set(org.work) ^ set(new.work))
        say.error(
            ("org", "work"),
            f"both orgs must work the same stages (only one works {_names(differ)})",
            key=True,
        )
