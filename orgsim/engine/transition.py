"""The switch from today's org to another during a run (SCENARIO-SPEC 8.3).

At the switch instant, before the lead events of that instant:

1. every queued lead is taken out of its queue;
2. people: in each role, `moves` take the first people in seat order to another role (they
   keep who they are, their skill and tenure, and work at `ramp_after_move` there); of the
   others, the earliest hires keep their role up to the new org's headcount and the most
   recent hires leave; vacancies waiting for a backfill close; whatever the new org's
   headcount still lacks is hired (tenure 0, the role's ramp);
3. the new org's journey (work map, handoffs, SLAs, queue rules) replaces today's;
4. the queued leads go back, without new luck: to the same rep's queue or the same shared
   queue where that is still theirs under the new org, otherwise to the stage's new owner
   by its routing (a lead that changes role starts a new wait there, in queue order: the
   wait so far is recorded as the old role's).

A person stays the same `Rep` when its crew (role and pod) is in both orgs and no lead it
works keeps going in another crew. Otherwise a *successor* `Rep`, the same person, starts in
its new crew, once the task in progress is done (the flow hands over then): a task in
progress finishes with its rep. So a switch to an identical org with no moves changes
nothing.
"""

from __future__ import annotations

from heapq import heapify, heappush

from orgsim.engine.flow import NAN, _on_clock
from orgsim.engine.model import TransitionPlan
from orgsim.engine.staff import INF, SEQ, VISIT, Crew, Rep


def switch(people, flow, plan: TransitionPlan, now: float) -> None:
    """Switch the replication's people and flow to the transition's org at `now`."""
    crews = _crews(people, plan)
    queued = _take_out(people.crews)
    live = [visit for visit in flow.record.visits if visit.left != visit.left]

    def owner(visit) -> Crew:
        role = plan.stages[visit.plan.index].work.role
        return crews[role][plan.crew_of_segment[role][visit.lead.segment]]

    # a lead that keeps going in another crew takes its rep (as a successor) out of its crew
    unsettled = {v.rep.id for v in live if v.rep is not None and owner(v).id != v.rep.crew_id}
    people.crews = crews
    _people(people, plan, crews, unsettled, now)
    flow.work_as(plan.stages, crews, plan.crew_of_segment)
    working = _in_progress(flow, people)
    for visit in live:
        visit.plan = plan.stages[visit.plan.index]
        if visit.plan.work is not None:
            visit.crew = owner(visit)
        rep = visit.rep
        if (
            rep is not None
            and rep.successor is not None
            and working.get(rep.id) is not visit
            and rep.successor.crew_id == visit.crew.id
        ):
            visit.rep = rep.successor  # its next touch stays with the same person
        lead = visit.lead
        if lead.last_rep is not None and lead.last_rep.successor is not None:
            lead.last_rep = lead.last_rep.successor
    for visit, rep, crew, sla in queued:
        _queue_again(flow, visit, rep, crew, sla, now)
    for mine in crews:
        for crew in mine:
            _restart(crew, flow, now)


def _crews(people, plan: TransitionPlan) -> list[list[Crew]]:
    """Each role's crews in the new org: today's crew of the same role and pod where there
    is one (with the new org's queue order), a new crew otherwise."""
    from orgsim.engine.people import set_routing

    crews = []
    for role in people.model.roles:
        today = {crew.pod: crew for crew in people.crews[role.index]}
        mine = []
        for crew_plan in plan.crews[role.index]:
            crew = today.get(crew_plan.pod)
            if crew is None:
                crew = people.new_crew(role, crew_plan.pod, plan.orders[role.index])
            crew.order = plan.orders[role.index]
            mine.append(crew)
        crews.append(mine)
    set_routing(crews, plan.stages)
    return crews


def _take_out(crews: list[list[Crew]]) -> list[tuple]:
    """Every queued lead, out of its queue: (visit, the rep whose queue it was in or None,
    its crew, its SLA before the switch), in each crew's queue order."""
    queued = []
    for mine in crews:
        for crew in mine:
            entries = [(e, None) for e in crew.shared]
            entries += [(e, rep) for rep in crew.reps for e in rep.queue]
            live = sorted((e[SEQ], e[VISIT], rep) for e, rep in entries if e[VISIT].entry == e[SEQ])
            for _, visit, rep in live:
                visit.entry = None
                queued.append((visit, rep, crew, visit.plan.work.sla))
            crew.shared = []
            for rep in crew.reps:
                rep.queue, rep.queued = [], 0
    return queued


def _people(people, plan: TransitionPlan, crews, unsettled: set[int], now: float) -> None:
    """Who moves, stays, leaves or is hired at the switch (see the module's docstring)."""
    on_payroll = [r for r in people.reps if r.left == INF and not r.quitting]
    by_role: dict[int, list[Rep]] = {}
    for rep in sorted(on_payroll, key=lambda r: (r.seat.index, r.id)):
        by_role.setdefault(rep.seat.role.index, []).append(rep)
    moving: dict[int, int] = {}
    for source, target, count in plan.moves:
        for rep in [r for r in by_role.get(source, []) if r.id not in moving][:count]:
            moving[rep.id] = target
    for seats in people.seats:
        for seat in seats:
            if seat.vacant:
                seat.closed = True  # the new org's headcount is hired at the switch instead
    for role in people.model.roles:
        mine = crews[role.index]
        room = [crew_plan.headcount for crew_plan in plan.crews[role.index]]
        arriving = [r for r in on_payroll if moving.get(r.id) == role.index]
        staying = sorted(
            (r for r in by_role.get(role.index, []) if r.id not in moving),
            key=lambda r: (r.hired, r.id),
        )
        kept = max(0, sum(room) - len(arriving))
        for rep in staying[kept:]:  # the most recent hires leave
            rep.seat.closed = True
            people._depart(rep, now)
        elsewhere = []
        for rep in staying[:kept]:
            here = next((c for c, crew in enumerate(mine) if crew.id == rep.crew_id), None)
            if here is not None and room[here] > 0 and rep.id not in unsettled:
                room[here] -= 1
                rep.seat.crew = here
            else:
                elsewhere.append(rep)
        for rep in elsewhere + arriving:
            here = next(c for c, free in enumerate(room) if free > 0)
            room[here] -= 1
            _successor(people, plan, rep, mine[here], here, rep in arriving, now)
        for here, free in enumerate(room):
            for _ in range(free):
                people._hire_into(people._new_seat(role, here), now)


def _successor(people, plan, rep: Rep, crew: Crew, here: int, moved: bool, now: float) -> None:
    """The same person, as a new `Rep` in `crew` (the `here`-th of its role): with a new seat
    and `ramp_after_move` after a move, in its own seat with its tenure otherwise. It starts
    when the task in progress, if any, is done."""
    role = crew.role
    if moved:
        seat, hired = people._new_seat(role, here), now
        seat.occupants = 1
    else:
        seat, hired = rep.seat, rep.hired
        seat.crew = here
    new = Rep(len(people.reps), len(crew.reps), crew, rep.skills, hired)
    new.seat = seat
    new.since = INF if rep.busy else now  # on the payroll once the task is done (hand_over)
    if moved:
        new.ramps_as = plan.after_move[role.index]
    crew.reps.append(new)
    people.reps.append(new)
    people.before[new.id] = rep.id
    busy = rep.busy
    people._depart(rep, now)
    rep.successor = new
    new.busy = busy  # it starts when its predecessor's task is done (LeadFlow.hand_over)
    if moved:
        people._settle(new, now)
        away = False
    else:
        away = people.carry_over(rep, new, now)
    if not away:
        crew.arrive(new)


def _in_progress(flow, people) -> dict[int, object]:
    """The visit each busy rep is working on, by rep id (from the latest tasks)."""
    busy = {rep.id for rep in people.reps if rep.busy and rep.successor is not None}
    found: dict[int, int] = {}
    for rep, _, lead, *_ in reversed(flow.record.tasks):
        if len(found) == len(busy):
            break
        if rep in busy and rep not in found:
            found[rep] = lead
    visits = {}
    for visit in flow.record.visits[::-1]:
        if len(visits) == len(found):
            break
        rep = visit.rep
        if visit.left != visit.left and rep is not None and found.get(rep.id) == visit.lead.id:
            visits[rep.id] = visit
    return visits


def _queue_again(flow, visit, rep: Rep | None, crew: Crew, sla, now: float) -> None:
    """A lead queued at the switch goes back where it was if that is still its place under
    the new org (same rep, or same shared queue), or to its stage's new owner."""
    work = visit.plan.work
    owner = visit.crew
    if owner.role is not crew.role:  # its wait so far was in another role's queue
        flow.record.expired.append((crew.role.index, visit.queued_at, now))
        visit.queued_at = now
    if visit.touches == 0:
        new = work.sla
        visit.deadline = (
            NAN
            if new is None
            else _on_clock(new, owner.role.calendar, visit.entered, new.first_touch)
        )
    if rep is not None and rep.successor is not None and rep.successor.crew_id == owner.id:
        rep = rep.successor
    if rep is not None and rep.present and rep.crew_id == owner.id:
        heappush(rep.queue, owner.entry(visit))
        visit.rep_queue = rep
        rep.queued += 1
    elif rep is None and crew is owner:
        heappush(owner.shared, owner.entry(visit))
        visit.rep_queue = None
    else:
        owner.assign(visit, work.routing, now, flow)
    new = work.sla
    if (
        new is not None
        and new.escalate_after is not None
        and new != sla
        and visit.touches == 0
        and visit.rep_queue is not None
    ):
        when = _on_clock(new, owner.role.calendar, visit.entered, new.escalate_after)
        flow.call_at(max(when, now), flow.escalate, visit, now)


def _restart(crew: Crew, flow, now: float) -> None:
    """After the switch: the crew's load and idle lists rebuilt, and free reps with work
    waiting pick it up."""
    crew.loads = [(r.queued + r.busy, r.index) for r in crew.present]
    heapify(crew.loads)
    crew.idle = [r.index for r in crew.present if r.idle]
    heapify(crew.idle)
    for rep in list(crew.present):
        if not rep.busy and (rep.queued or crew.shared):
            crew.next_for(rep, now, flow)
