"""The switch from today's org to another during a run (docs/scenario-language.md).

At the switch instant, before the lead events of that instant:

1. every queued lead is taken out of its queue;
2. people: named moves (`{Kim: sdr}`) take those people, then in each role `moves` by count
   take the first people in seat order to another role: they
   keep who they are (their skill, and their PTO days where both roles have PTO), leave at
   their new role's attrition rate from the switch, and work at `ramp_after_move` there,
   counted from the switch. Of the others, the earliest hires keep their role up to the
   new org's headcount (with their time to leave and PTO days) and the most recent hires
   leave; seats waiting for a backfill keep it while the headcount has room for them (the
   most recent vacancies close first); whatever the new org's headcount still lacks is
   hired (tenure 0, the role's ramp). The new org's headcount at the switch counts its
   own dated hires before the switch;
3. the new org's journey (work map, handoffs, SLAs, queue rules) replaces today's;
4. the queued leads go back, without new luck: to the same rep's queue or the same shared
   queue where that is still theirs under the new org, otherwise to the stage's new owner
   by its routing (a lead that changes role starts a new wait there, in queue order: the
   wait so far is recorded as the old role's).

5. a lead not yet touched whose patience, recycling or escalation now falls at another time
   gets a new call for it (the old call, which reads the rule again, then does nothing).

A person stays the same `Rep` when its crew (role and pod) is in both orgs and no lead it
works keeps going in another crew. Otherwise a *successor* `Rep`, the same person, starts in
its new crew, once the task in progress is done (the flow hands over then): a task in
progress finishes with its rep. So a switch to an identical org with no moves changes
nothing: the same people stay in the same seats with the same luck, and vacancies keep
their backfill.
"""

from __future__ import annotations

from heapq import heappush
from typing import TYPE_CHECKING

from orgsim.engine.model import TransitionPlan
from orgsim.engine.staff import INF, Crew, Rep, set_routing

if TYPE_CHECKING:
    from orgsim.engine.flow import LeadFlow, Visit
    from orgsim.engine.people import People


def switch(people: People, flow: LeadFlow, plan: TransitionPlan, now: float) -> None:
    """Switch the replication's people and flow to the transition's org at `now`."""
    crews = _crews(people, plan)
    queued = [
        (v, rep, crew) for mine in people.crews for crew in mine for v, rep in crew.take_all()
    ]
    live = [visit for visit in flow.record.visits if visit.left != visit.left]
    untouched = [v for v in live if v.touches == 0 and v.plan.work is not None]
    before = {id(v): (flow.expiry(v), _escalation(flow, v)) for v in untouched}

    def owner(visit: Visit) -> Crew:
        role = plan.stages[visit.plan.index].work.role
        return crews[role][plan.crew_of_segment[role][visit.lead.segment]]

    # a lead that keeps going in another crew takes its rep (as a successor) out of its crew
    unsettled = {v.rep.id for v in live if v.rep is not None and owner(v).id != v.rep.crew_id}
    before_crews, people.crews = people.crews, crews
    _people(people, plan, before_crews, unsettled, now)
    flow.work_as(plan.stages, crews, plan.crew_of_segment)
    working = _in_progress(flow, people)
    for visit in live:
        visit.plan = plan.stages[visit.plan.index]
        if visit.plan.work is not None:  # both orgs work the same stages
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
    for visit, rep, crew in queued:
        _queue_again(flow, visit, rep, crew, now)
    for visit in untouched:  # a rule that now falls at another time gets its own call
        expiry, escalation = before[id(visit)]
        if flow.expiry(visit) != expiry:
            flow.set_expiry(visit, now)
        when = _escalation(flow, visit)
        if when != escalation:
            flow.call_at(max(when, now), flow.escalate, visit, now)
    for mine in crews:
        for crew in mine:
            crew.restart(now, flow)


def _escalation(flow: LeadFlow, visit: Visit) -> float:
    """When a lead waiting in a rep's own queue is escalated (inf: it is not in one)."""
    return flow.escalation(visit) if visit.rep_queue is not None else INF


def _crews(people: People, plan: TransitionPlan) -> list[list[Crew]]:
    """Each role's crews in the new org: today's crew of the same role and pod where there
    is one (with the new org's queue order), a new crew otherwise."""
    crews = []
    for role in people.model.roles:
        today = {crew.pod: crew for crew in people.crews[role.index]}
        mine = []
        for crew_plan in plan.crews[role.index]:
            crew = today.get(crew_plan.pod)
            if crew is None:
                crew = people.new_crew(role, crew_plan.pod, plan.orders[role.index])
            else:
                crew.order = plan.orders[role.index]
            mine.append(crew)
        crews.append(mine)
    set_routing(crews, plan.stages)
    return crews


def _people(
    people: People,
    plan: TransitionPlan,
    before: list[list[Crew]],
    unsettled: set[int],
    now: float,
) -> None:
    """Who moves, stays, leaves or is hired at the switch (see the module's docstring);
    `before`: each role's crews under today's org (`people.crews` is the new org's)."""
    crews = people.crews
    on_payroll = [r for r in people.reps if r.on_payroll]
    by_role: dict[int, list[Rep]] = {}
    for rep in sorted(on_payroll, key=lambda r: (r.seat.index, r.id)):
        by_role.setdefault(rep.seat.role.index, []).append(rep)
    moving: dict[int, int] = {}
    for name, target in plan.named_moves:  # a person attrition took has nothing to move
        rep = next((r for r in on_payroll if r.name == name), None)
        if rep is not None:
            moving[rep.id] = target
    for source, target, count in plan.moves:
        for rep in [r for r in by_role.get(source, []) if r.id not in moving][:count]:
            moving[rep.id] = target
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
            people.depart(rep, now)
        vacant = [s for s in people.seats[role.index] if s.vacant and not s.closed]
        for seat in vacant[max(0, kept - len(staying)) :]:  # no room: the latest close
            seat.closed = True
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
        for seat in (s for s in vacant if not s.closed):  # its backfill joins the same pod
            pod = before[role.index][seat.crew].pod
            same = [c for c, crew in enumerate(mine) if crew.pod == pod and room[c] > 0]
            seat.crew = same[0] if same else next(c for c, free in enumerate(room) if free > 0)
            room[seat.crew] -= 1
        for here, free in enumerate(room):
            for _ in range(free):
                people.hire_into(people.new_seat(role, here), now)


def _successor(
    people: People, plan: TransitionPlan, rep: Rep, crew: Crew, here: int, moved: bool, now: float
) -> None:
    """The same person, as a new `Rep` in `crew` (the `here`-th of its role): with a new seat
    and `ramp_after_move` from now after a move, in its own seat with its tenure otherwise.
    It starts when the task in progress, if any, is done (`LeadFlow.hand_over`)."""
    role = crew.role
    if moved:  # a named person's draws stay keyed by their name
        person = rep.seat.person if rep.name and rep.seat.person else None
        seat = people.new_seat(role, here, person)
        seat.occupants = 1
    else:
        seat = rep.seat
        seat.crew = here
    new = Rep(len(people.reps), len(crew.reps), crew, rep.skills, now if moved else rep.hired)
    new.seat = seat
    new.name = rep.name
    new.since = INF if rep.busy else now  # on the payroll once the task is done
    new.busy = rep.busy
    if moved:
        new.ramps_as = plan.after_move[role.index]
    crew.reps.append(new)
    people.reps.append(new)
    people.depart(rep, now)
    rep.successor = new
    if not people.carry_over(rep, new, now):
        crew.arrive(new)


def _in_progress(flow: LeadFlow, people: People) -> dict[int, Visit]:
    """The visit each busy rep that went on in another crew is working on, by rep id (from
    the latest tasks)."""
    busy = {rep.id for rep in people.reps if rep.busy and rep.successor is not None}
    found: dict[int, int] = {}
    for rep, _, lead, *_ in reversed(flow.record.tasks):
        if len(found) == len(busy):
            break
        if rep in busy and rep not in found:
            found[rep] = lead
    visits = {}
    for visit in reversed(flow.record.visits):
        if len(visits) == len(found):
            break
        rep = visit.rep
        if visit.left != visit.left and rep is not None and found.get(rep.id) == visit.lead.id:
            visits[rep.id] = visit
    return visits


def _queue_again(flow: LeadFlow, visit: Visit, rep: Rep | None, crew: Crew, now: float) -> None:
    """A lead queued at the switch goes back where it was if that is still its place under
    the new org (same rep, or same shared queue), or to its stage's new owner."""
    work = visit.plan.work
    owner = visit.crew
    if owner.role is not crew.role:  # its wait so far was in another role's queue
        flow.record.expired.append((crew.role.index, visit.queued_at, now))
        visit.queued_at = now
    if visit.touches == 0:
        visit.deadline = flow.deadline(visit)
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
