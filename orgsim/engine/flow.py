"""Leads moving through the journey: stages, handoffs, touches, buyer delays, outcomes.

The simulation runs on a SimPy `Environment`, but without a generator
process per lead: each step of a lead is a `Step`, a SimPy event born
triggered, whose callback is the next handler below (`arrive`,
`after_handoff`, `touch_done`, `after_buyer`, ...), with the lead's visit in
`step.arg`. That keeps SimPy's clock and event queue (`env.schedule`,
`env.now`) while paying for one heap push and one call per step, which is
what makes orgsim as fast as a hand-written SimPy model of the same queue.

Semantics follow docs/scenario-language.md and docs/engine.md; the comments cite them
where a choice was needed.
"""

from __future__ import annotations

import simpy

from orgsim.engine.luck import (
    BUYER_DELAY,
    DEAL_VALUE,
    EFFORT,
    HANDOFF_DELAY,
    LEAK,
    OUTCOME,
    PATIENCE,
    VALUE_CHANGE,
    LeadLuck,
    distribution_sampler,
    uniform_sampler,
)
from orgsim.engine.model import Model, StagePlan
from orgsim.engine.outbound import Prospecting, aligned
from orgsim.engine.recorder import GAVE_UP, RECYCLED, Recorder
from orgsim.engine.sources import Arrivals
from orgsim.engine.staff import Crew, Rep

NAN = float("nan")
INF = float("inf")
NORMAL = 1  # SimPy's priority for ordinary events
LATE = 1e-9  # hours: a call at `when` fires at `now + (when - now)`, a rounding apart


class Step(simpy.Event):
    """One step of a lead: a SimPy event that is born triggered, as SimPy's own `Timeout` is,
    and carries its handler's argument in `arg`. SimPy calls `callbacks[0](step)` when the
    clock reaches it.

    `Event.__init__` (which marks an event pending until someone triggers it) is skipped: a
    step is never pending. That keeps a step as cheap as a bare slotted object, where
    `simpy.Timeout` costs about 140 ns more per step (benchmarks/engine.py (a): 0.85 against
    hand-written SimPy with this class, 1.03 with Timeout).
    """

    _ok = True  # every step succeeds: SimPy's `Environment.step` reads this
    __init__ = object.__init__


class Lead:
    __slots__ = (
        "arr",
        "customer",
        "end",
        "ended_at",
        "first_touch",
        "id",
        "last_rep",
        "last_role",
        "segment",
        "value",
        "visits",
        "won_at",
    )

    def __init__(self, lead_id: int, segment: int, value: float, stages: int):
        self.id = lead_id  # its creation index: source and creation time are in the arrivals
        self.segment = segment
        self.value = value
        self.visits = [0] * stages  # visits so far to each stage (keys the lead's luck)
        self.last_rep: Rep | None = None  # who worked its previous owned stage
        self.last_role = -1
        self.customer = False
        self.arr = 0.0
        self.end = -1
        self.ended_at = NAN
        self.won_at = NAN
        self.first_touch = NAN


class Visit:
    """One lead's stay in one stage; also its record (see recorder.py)."""

    __slots__ = (
        "buyer",
        "crew",
        "deadline",
        "decay",
        "due",
        "entered",
        "entry",
        "escalated",
        "expired",
        "first_touch",
        "handoff",
        "k",
        "lead",
        "left",
        "next",
        "penalty",
        "plan",
        "queued_at",
        "rep",
        "rep_queue",
        "touches",
    )

    def __init__(self, lead: Lead, plan: StagePlan, k: int, now: float):
        self.lead = lead
        self.plan = plan
        self.k = k
        self.entered = now
        self.due = now  # when its work falls due: later in a `buyer_delay_first` stage
        self.first_touch = NAN
        self.left = NAN
        self.next = -1
        self.buyer = 0.0
        self.penalty = 0.0
        self.decay = 1.0
        self.deadline = NAN
        self.escalated = False
        self.expired = 0  # GAVE_UP or RECYCLED when it left before its first touch
        self.handoff = None  # the manual handoff it came through, if any
        self.rep: Rep | None = None
        self.rep_queue: Rep | None = None
        self.crew: Crew | None = None
        self.entry = None
        self.queued_at = now
        self.touches = 0


def _on_clock(sla, calendar, start: float, hours: float) -> float:
    """When `hours` have passed since `start` on the SLA's clock: every hour (calendar),
    or only the role's scheduled hours (business)."""
    if sla.business_clock:
        return calendar.at_worked(calendar.worked(start) + hours)
    return start + hours


class LeadFlow:
    """The state of one replication and the handlers that move leads through it.

    It is also the `Dispatcher` its crews work for: it starts their touches and sets their
    wake-up calls, passed in on each call, so crews hold no reference back to it.
    """

    def __init__(
        self,
        model: Model,
        arrivals: Arrivals,
        luck: LeadLuck,
        recorder: Recorder,
        crews: list[list[Crew]],
    ):
        self.model = model
        self.env = simpy.Environment()
        self.schedule = self.env.schedule
        self.arrivals = arrivals
        self.luck = luck
        self.record = recorder
        self.leads: list[Lead] = []
        self.customers: list[Lead] = []
        self.arr_warmup: list[tuple[int, float]] = []
        self._times = arrivals.time.tolist()
        self._count = len(self._times)
        self.end = model.end
        self._sources = arrivals.source.tolist()
        self._segments = arrivals.segment.tolist()
        self._values = arrivals.value.tolist()
        self._entries = [source.enters for source in model.sources]
        self.n_stages = len(model.stages)
        self.n_segments = len(model.segments)
        self._market_slots(model, luck)
        self.work_as(model.stages, crews, [role.crew_of_segment for role in model.roles])
        self.met: list[tuple[Lead, float, int]] = []  # outbound meetings: (lead, when, source)
        self.met_base = INF  # lead ids from here on are meetings (outbound.py)
        self.prospecting = None
        if any(source.outbound is not None for source in model.sources):
            self._prospect(model, luck, recorder, crews)

    def _prospect(self, model: Model, luck: LeadLuck, recorder: Recorder, crews) -> None:
        """The outbound sources' accounts, and the keyed draws of the meetings they book:
        lead ids from the first whole block after the arrivals' on (see outbound.py)."""
        self.met_base = aligned(len(self.arrivals))
        self.prospecting = Prospecting(model, luck.streams, crews, self.met_base, recorder)
        luck.met = (self.met_base, self.prospecting.met_segments())
        self.met_value_slot = luck.slot(
            DEAL_VALUE, "meeting", distribution_sampler(model.deal_values)
        )

    def _market_slots(self, model: Model, luck: LeadLuck) -> None:
        """Register the keyed draws the market decides (see luck.py)."""
        self.outcome_slot, self.buyer_slot, self.leak_slot = [], [], []
        self.value_slot, self.patience_slot = [], []
        for stage in model.stages:
            name = stage.name
            self.patience_slot.append(
                luck.slot(PATIENCE, name, distribution_sampler(stage.patience))
                if stage.gives_up
                else -1
            )
            self.outcome_slot.append(luck.slot(OUTCOME, name, uniform_sampler))
            self.buyer_slot.append(
                luck.slot(BUYER_DELAY, name, distribution_sampler(stage.buyer_delay))
            )
            self.leak_slot.append(luck.slot(LEAK, name, uniform_sampler))
            self.value_slot.append(
                luck.slot(VALUE_CHANGE, name, distribution_sampler(stage.value_change))
                if stage.value_change
                else -1
            )

    def work_as(
        self, stages: list[StagePlan], crews: list[list[Crew]], crew_of_segment: list[list[int]]
    ) -> None:
        """The journey as an org works it: its stages, the crew that works each stage for
        each segment (`crew_of_segment`: per role), and the keyed draws its work needs. Called
        at the start, and again when a transition switches org (the draws are keyed to the
        stage, not to the org, so the leads keep their luck)."""
        luck = self.luck
        self.stages = stages
        self.crews = crews
        self.crew_of = [
            [
                crews[s.work.role][crew_of_segment[s.work.role][g]]
                for g in range(len(self.model.segments))
            ]
            if s.work
            else None
            for s in stages
        ]
        """Per stage and segment, the crew that works it (None for a stage no role works)."""
        self.expires = [stage.leaves_untouched for stage in stages]
        self.effort_slot = [
            luck.slot(EFFORT, s.name, distribution_sampler(s.work.effort)) if s.work else -1
            for s in stages
        ]
        self.handoff_slot = [
            {
                giver: luck.slot(
                    HANDOFF_DELAY, f"{s.name}/{handoff.name}", distribution_sampler(handoff.delay)
                )
                for giver, handoff in s.handoffs_in.items()
            }
            for s in stages
        ]

    # -- the clock

    def call_at(self, when: float, handler, arg, now: float, priority: int = NORMAL) -> None:
        """Call `handler(step)` at time `when` (`now` is the time it is asked at); `step.arg`
        is `arg`. Nothing after the end of the run is scheduled: it could not change a result,
        and an empty event queue at the end means nothing in SimPy still points back here.
        SimPy's URGENT `priority` runs it before the ordinary steps of the same instant."""
        if when < self.end:
            step = Step()
            step.callbacks, step.arg = [handler], arg
            self.schedule(step, priority, when - now)

    def call_after(self, delay: float, handler, arg, now: float) -> None:
        """Call `handler(step)` after `delay` hours from `now`; `step.arg` is `arg`."""
        if now + delay < self.end:
            step = Step()
            step.callbacks, step.arg = [handler], arg
            self.schedule(step, NORMAL, delay)

    # -- arrivals

    def start(self) -> None:
        """The book's leads exist from t = 0 (existing customers hold their ARR from then) and
        enter their stage when placed; the sources' leads follow, one arrival at a time."""
        arrivals, first = self.arrivals, self.arrivals.book
        for i in range(first):
            lead = Lead(i, self._segments[i], self._values[i], self.n_stages)
            self.leads.append(lead)
            entry = self.model.book[arrivals.book_entry[i]]
            if entry.customers:
                lead.customer = True
                lead.arr = lead.value
                self.customers.append(lead)
            self.call_at(float(arrivals.placed[i]), self.place, (lead, entry.stage), 0.0)
        if first < self._count:
            self.call_at(self._times[first], self.arrive, first, 0.0)
        for crews in self.crews:  # reps who prospect start when their schedule opens
            for crew in crews:
                if crew.territory is not None:
                    for rep in list(crew.present):
                        if not rep.busy:
                            crew.next_for(rep, 0.0, self)

    def place(self, step: Step) -> None:
        """A book lead enters its stage with its visit already under way: it falls due at
        once (the buyer delay has elapsed, and a customer's value change on entering was
        applied before t = 0), so a renewal placed at τ is decided at τ, after its touches."""
        lead, stage = step.arg
        if stage >= self.n_stages:  # `lost` today: it keeps its id, and every lead its luck
            lead.end, lead.ended_at = stage, self.env.now
            return
        self.enter(lead, stage, self.env.now, due=True)

    def arrive(self, step: Step) -> None:
        i = step.arg
        source = self._sources[i]
        now = self.env.now
        lead = Lead(i, self._segments[i], self._values[i], self.n_stages)
        self.leads.append(lead)
        if i + 1 < self._count:  # SimPy is done with this step: it brings the next lead
            step.callbacks, step.arg = [self.arrive], i + 1
            self.schedule(step, NORMAL, self._times[i + 1] - now)
        self.enter(lead, self._entries[source], now)

    def meet(self, lead_id: int, source: int, segment: int, now: float) -> None:
        """An outbound attempt booked a meeting: a new lead enters the source's stage."""
        value = self.luck.draw(self.met_value_slot, lead_id, 0)
        lead = Lead(lead_id, segment, value, self.n_stages)
        self.met.append((lead, now, source))
        self.enter(lead, self._entries[source], now)

    def prospect(self, rep: Rep, crew: Crew, now: float) -> bool:
        """A free rep with nothing queued: an outbound attempt, if it has budget and accounts."""
        return self.prospecting.attempt(rep, crew, now, self)

    # -- stages

    def enter(self, lead: Lead, s: int, now: float, due: bool = False) -> None:
        """A lead enters stage s at the instant it takes the outcome that leads there; `due`:
        a book lead placed with its visit under way (no buyer delay, no value change)."""
        plan = self.stages[s]
        k = lead.visits[s]
        lead.visits[s] = k + 1
        if plan.won:
            self.win(lead, now)
        if plan.value_change is not None and lead.customer and not due:
            lead.arr *= self.luck.draw(self.value_slot[s], lead.id, k)
        if plan.is_end:
            self.record.arrivals_at_ends.append((lead.id, s, k, now))
            lead.end = s
            lead.ended_at = now
            if lead.id >= self.met_base:
                self.prospecting.closed(lead, now, self)
            return
        visit = Visit(lead, plan, k, now)
        self.record.visits.append(visit)
        buyer = plan.fixed_buyer_delay
        if due:
            visit.buyer = 0.0
        else:
            visit.buyer = self.luck.draw(self.buyer_slot[s], lead.id, k) if buyer is None else buyer
        if plan.buyer_first and visit.buyer > 0:  # the buyer's time runs first, then the work
            visit.due = now + visit.buyer
            visit.buyer = 0.0
            self.call_after(visit.due - now, self.fall_due, visit, now)
            return
        self.to_work(visit, now)

    def fall_due(self, step: Step) -> None:
        """The buyer delay of a `buyer_delay_first` stage is over: the work falls due."""
        self.to_work(step.arg, self.env.now)

    def to_work(self, visit: Visit, now: float) -> None:
        """A visit whose work is due: through its handoff, if any, to its owner's queue."""
        plan = visit.plan
        s, lead = plan.index, visit.lead
        work = plan.work
        if work is None:  # no role works it: the buyer delay elapses in full
            self.call_after(visit.buyer, self.after_buyer, visit, now)
            return
        if self.expires[s]:
            self.set_expiry(visit, now)
        giver = lead.last_role
        handoff = plan.handoffs_in.get(giver) if giver != work.role else None
        if handoff is None:
            self.to_queue(visit, now)
            return
        visit.handoff = handoff
        visit.penalty = handoff.penalty
        delay = self.luck.draw(self.handoff_slot[s][giver], lead.id, visit.k)
        self.call_after(delay, self.after_handoff, visit, now)

    def after_handoff(self, step: Step) -> None:
        """A manual handoff's delay is over: the lead leaks, or reaches the queue."""
        visit = step.arg
        if visit.left == visit.left:  # gave up or was recycled during the delay
            return
        plan = visit.plan
        handoff = visit.handoff
        if (
            handoff.leak > 0
            and self.luck.draw(self.leak_slot[plan.index], visit.lead.id, visit.k) < handoff.leak
        ):
            self.leave(visit, self.model.leaked, self.env.now)
            return
        visit.queued_at = self.env.now  # its wait begins now, not when it entered the stage
        self.to_queue(visit, self.env.now)

    def to_queue(self, visit: Visit, now: float) -> None:
        lead, work = visit.lead, visit.plan.work
        crew = self.crew_of[visit.plan.index][lead.segment]
        role = crew.role
        visit.crew = crew
        sla = work.sla
        if sla is not None:
            visit.deadline = _on_clock(sla, role.calendar, visit.due, sla.first_touch)
        crew.assign(visit, work.routing, now, self)
        if (
            sla is not None
            and sla.escalate_after is not None
            and visit.touches == 0
            and visit.rep_queue is not None
        ):
            self.call_at(max(self.escalation(visit), now), self.escalate, visit, now)

    def set_expiry(self, visit: Visit, now: float) -> None:
        """Schedule the moment the lead leaves untouched (see `expiry`)."""
        self.call_at(max(self.expiry(visit)[0], now), self.expire, visit, now)

    def expiry(self, visit: Visit) -> tuple[float, int]:
        """When the buyer's patience or the SLA's `recycle_after` runs out, counted from
        entering the stage (from falling due in a `buyer_delay_first` stage), whichever is
        first, and which; patience wins a tie. (inf, 0): neither applies."""
        plan = visit.plan
        when, why = INF, 0
        if self.patience_slot[plan.index] >= 0:
            patience = self.luck.draw(self.patience_slot[plan.index], visit.lead.id, visit.k)
            when, why = visit.due + patience, GAVE_UP
        sla = plan.work.sla
        if sla is not None and sla.recycle_after is not None:
            role = self.model.roles[plan.work.role]
            recycle = _on_clock(sla, role.calendar, visit.due, sla.recycle_after)
            if recycle < when:
                when, why = recycle, RECYCLED
        return when, why

    def expire(self, step: Step) -> None:
        """A lead still waiting for its first touch leaves the queue (or its handoff delay).
        The rule is read again: after a switch of org (transition.py) an earlier call may
        be out of date, and the current rule's own call is scheduled."""
        visit = step.arg
        if visit.first_touch == visit.first_touch or visit.left == visit.left:
            return  # touched in time, or already gone (a handoff leak)
        now = self.env.now
        when, why = self.expiry(visit)
        if when > now + LATE:
            return
        plan = visit.plan
        sla = plan.work.sla
        if visit.deadline != visit.deadline:  # left during the handoff
            visit.deadline = self.deadline(visit)
        if visit.entry is not None:
            visit.crew.take_out(visit)
            self.record.expired.append((visit.crew.role.index, visit.queued_at, now))
        visit.expired = why
        self.leave(visit, plan.gives_up_to if why == GAVE_UP else sla.recycle_to, now)

    def deadline(self, visit: Visit) -> float:
        """When the visit's SLA wants its first touch, on the SLA's clock (NaN: no SLA)."""
        work = visit.plan.work
        if work.sla is None:
            return NAN
        calendar = self.model.roles[work.role].calendar
        return _on_clock(work.sla, calendar, visit.due, work.sla.first_touch)

    def escalation(self, visit: Visit) -> float:
        """When a lead still untouched in a rep's own queue goes to the shared queue (inf:
        never), on its SLA's clock from entering the stage."""
        sla = visit.plan.work.sla
        if sla is None or sla.escalate_after is None:
            return INF
        return _on_clock(sla, visit.crew.role.calendar, visit.due, sla.escalate_after)

    def escalate(self, step: Step) -> None:
        """The rule is read again: after a switch of org (transition.py) an earlier call may
        be out of date, and the current rule's own call is scheduled."""
        visit = step.arg
        if visit.touches:  # touched in time: most calls end here
            return
        now = self.env.now
        if self.escalation(visit) > now + LATE:
            return
        if visit.crew.withdraw(visit, now, self):
            visit.escalated = True

    # -- work

    def start_touch(self, rep: Rep, visit: Visit, now: float) -> None:
        """A rep starts one work session (touch) on a lead; called by its crew."""
        plan = visit.plan
        lead = visit.lead
        visit.rep = rep  # the rep of its latest touch: the first one's unless it left
        if visit.touches == 0:
            visit.first_touch = now
            if lead.first_touch != lead.first_touch:  # NaN: its first touch ever
                lead.first_touch = now
            if plan.decay is not None:
                visit.decay = plan.decay.factor(now - visit.due)
        crew = visit.crew
        effort = plan.work.fixed_effort
        if effort is None:
            effort = self.luck.draw(
                self.effort_slot[plan.index], lead.id, visit.k * plan.touches + visit.touches
            )
        work = effort / crew.productive_share
        ramp = rep.ramps_as
        if ramp.ramp_speed:  # a rep still ramping takes longer
            work /= ramp.ramp_share(now - rep.hired)
        finish = now + work if crew.always else rep.calendar.finish(now, work)
        self.record.tasks.append((rep.id, plan.index, lead.id, visit.queued_at, now, finish, work))
        self.call_after(finish - now, self.touch_done, visit, now)

    def touch_done(self, step: Step) -> None:
        visit = step.arg
        rep, crew = visit.rep, visit.crew
        now = self.env.now
        visit.touches += 1
        crew.done(rep)
        share = visit.buyer / visit.plan.touches  # buyer delay split evenly after each touch
        if share == 0 and visit.touches < visit.plan.touches:
            visit.queued_at = now
            crew.push_own(rep, visit, now, self)  # ready again at once: back in the rep's queue
        self.task_over(rep, crew, visit, now)
        if share > 0:
            self.call_after(share, self.after_buyer, visit, now)
        elif visit.touches >= visit.plan.touches:
            self.decide(visit, now)

    def task_over(self, rep: Rep, crew: Crew, visit: Visit | None, now: float) -> None:
        """A rep's task (a touch on `visit`, or an outbound attempt) is over: a rep still free
        takes its next; one that has left ends its time on the payroll."""
        if not rep.busy:
            if rep.present:
                crew.next_for(rep, now, self)
            elif rep.quitting:  # it has left: this was its last task
                rep.left = now
                if rep.successor is not None:  # the same person, in its new crew
                    self.hand_over(rep, visit, now)

    def after_buyer(self, step: Step) -> None:
        visit = step.arg
        now = self.env.now
        if visit.plan.work is not None and visit.touches < visit.plan.touches:
            visit.queued_at = now
            visit.crew.push_own(visit.rep, visit, now, self)
        else:
            self.decide(visit, now)

    def hand_over(self, rep: Rep, visit: Visit | None, now: float) -> None:
        """A rep whose crew changed at a switch (transition.py) has done its last task there:
        the same person starts in its new crew, and takes the lead's next touch if the lead
        is in that crew too."""
        successor = rep.successor
        successor.since = now
        crew = self.crews[successor.seat.role.index][successor.seat.crew]
        crew.release(successor)
        if visit is not None and visit.rep is rep and visit.crew is crew:
            visit.rep = successor
        if successor.present:
            crew.next_for(successor, now, self)
        elif successor.quitting:
            successor.left = now

    # -- outcomes

    def decide(self, visit: Visit, now: float) -> None:
        """The lead takes exactly one outcome (docs/scenario-language.md)."""
        plan = visit.plan
        lead = visit.lead
        factor = visit.decay * (1.0 - visit.penalty)
        rep = visit.rep
        if rep is not None:
            factor *= rep.skills[plan.index * self.n_segments + lead.segment]
            ramp = rep.ramps_as
            if ramp.ramp_skill:  # a rep still ramping converts less
                factor *= ramp.ramp_share(now - rep.hired)
            lead.last_rep = rep
            lead.last_role = plan.work.role
        target = plan.certain[lead.segment] if factor == 1.0 else -1
        if target < 0:
            target = self._draw_outcome(visit, factor)
        self.leave(visit, target, now)

    def _draw_outcome(self, visit: Visit, factor: float) -> int:
        """Success outcomes scaled by skill, penalty and decay; rescaled if above 1."""
        plan = visit.plan
        chances = plan.chances[visit.lead.segment]
        if factor != 1.0:
            chances = [
                p * factor if good else p
                for p, good in zip(chances[:-1], plan.success, strict=False)
            ]
            total = sum(chances)
            if total > 1.0:
                chances = [p / total for p in chances]
        u = self.luck.draw(self.outcome_slot[plan.index], visit.lead.id, visit.k)
        for p, place in zip(chances, plan.targets, strict=False):
            if u < p:
                return place
            u -= p
        return plan.targets[-1]  # otherwise

    def leave(self, visit: Visit, target: int, now: float) -> None:
        visit.left = now
        visit.next = target
        lead = visit.lead
        model = self.model
        if target < self.n_stages:
            self.enter(lead, target, now)
            return
        lead.end = target
        lead.ended_at = now
        if target == model.churned and lead.customer:
            self.record.churns.append((now, lead.id, lead.arr))
            lead.customer = False
            lead.arr = 0.0
        if lead.id >= self.met_base:
            self.prospecting.closed(lead, now, self)

    # -- money

    def win(self, lead: Lead, now: float) -> None:
        """Entering a `won` milestone: a new customer, its deal value booked as new ARR."""
        rep = lead.last_rep
        if rep is not None:
            rep.deals_won += 1
        self.record.wins.append((now, lead.id, lead.value, -1 if rep is None else rep.id))
        if lead.won_at != lead.won_at:
            lead.won_at = now
            self.customers.append(lead)
        lead.customer = True
        lead.arr = lead.value

    def snapshot_arr(self, step: Step) -> None:
        """ARR of every customer at the end of warm-up (for NRR and GRR)."""
        self.arr_warmup = [(c.id, c.arr) for c in self.customers if c.customer]
