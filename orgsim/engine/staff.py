"""Reps, their queues, and how a lead is routed to one of them.

A *crew* is the reps of one role that serve one pod (a role not in pods has
one crew). Each crew has a shared queue (routing `pool`, and escalations),
and each rep its own queue (every other routing). A free rep takes the best
item of its own queue and its crew's shared queue, by the role's queue
order. Queues are heaps; the least-loaded rep comes from a heap too, so the
cost per lead stays flat however many reps a crew has.

A queue entry is a tuple `(stage rank, order key, sequence, visit)`, compared
by its first three fields; the visit holds the sequence number of its current
entry, so an entry whose visit has moved on (started, escalated, gave up,
recycled) is skipped when it surfaces instead of being searched for.

A rep of a role that prospects (outbound.py) with nothing queued makes an outbound attempt
instead of waiting, within its day's budget.

Reps work only inside their schedule. Instead of an event per shift change,
a crew sleeps when work arrives out of hours and wakes once, at the next
shift start, when its free reps pick up work.

People come and go (see people.py): routing picks among the crew's reps
*present* (on the payroll and not on PTO). A rep who steps out finishes the
task in progress, and the items in its own queue are routed again.

A crew knows nothing of the replication it works in: whoever hands it work
passes a `Dispatcher`, which starts touches and sets the wake-up call.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush, heapreplace
from typing import Protocol

from orgsim.engine.model import LEAST_LOADED, POOL, RANDOM, ROUND_ROBIN, SAME_REP, RolePlan

INF = float("inf")
SEQ, VISIT = 2, 3  # where the sequence number and the visit sit in a queue entry


class Dispatcher(Protocol):
    """What a crew needs from the replication it works in."""

    def start_touch(self, rep: Rep, visit, now: float) -> None: ...

    def call_at(self, when: float, handler, arg, now: float) -> None: ...

    def prospect(self, rep: Rep, crew: Crew, now: float) -> bool: ...


class Rep:
    __slots__ = (
        "busy",
        "calendar",
        "crew_id",
        "days_off",
        "deals_won",
        "hired",
        "id",
        "idle",
        "index",
        "left",
        "name",
        "present",
        "prospector",
        "queue",
        "queued",
        "quitting",
        "ramps_as",
        "seat",
        "since",
        "skills",
        "successor",
        "tasks_done",
    )

    def __init__(
        self, rep_id: int, index: int, crew: Crew, skills: list[float], hired: float = -INF
    ):
        self.id = rep_id
        self.hired = hired  # when the rep joined (t < 0: before the run): its tenure's origin
        self.index = index  # within its crew
        self.crew_id = crew.id  # an id, not the crew: no reference cycle between them
        self.skills = skills  # by stage and segment of the lead (see people._skills)
        self.calendar = crew.calendar  # its role's, or its own with its PTO days closed
        self.days_off: list[int] = []  # its PTO days (days from t = 0)
        self.queue: list[tuple] = []  # own queue entries
        self.queued = 0  # live entries in `queue`
        self.busy = 0  # 1 while working a task
        self.idle = False  # free with nothing to do, listed in the crew's idle heap
        self.present = False  # at work: on the payroll and not on PTO (routing picks it)
        self.quitting = False  # has left, but finishes the task in progress first
        self.left = INF  # when it left the payroll
        self.seat = None  # the seat it fills (people.py)
        self.since = max(hired, 0.0)  # on the payroll since (t = 0 for today's reps)
        self.ramps_as = crew.role  # the role whose ramp it follows (another after a move)
        self.successor: Rep | None = None  # the same person in its next crew (transition.py)
        self.tasks_done = 0
        self.deals_won = 0
        self.name = ""  # a named person's name (roles.<r>.people); "" for an unnamed seat
        self.prospector = None  # its outbound budget and sequences, once it prospects

    @property
    def on_payroll(self) -> bool:
        """Not gone, and not leaving after the task in progress."""
        return self.left == INF and not self.quitting


class Crew:
    """The reps of one role serving one pod, with their queues."""

    def __init__(self, crew_id: int, role: RolePlan, pod: int | None, routing_draws, order: str):
        self.id = crew_id
        self.role = role
        self.pod = pod
        self.calendar = role.calendar
        self.reps: list[Rep] = []  # everyone who ever worked in it, by index
        self.present: list[Rep] = []  # those at work now, in the order they came
        self.shared: list[tuple] = []
        self.idle: list[int] = []
        self.loads: list[tuple[int, int]] = []
        self.track_load = False  # some stage routes least_loaded or same_rep
        self.uses_shared = True  # some stage routes to the pool, or escalates to it
        self.turn = 0
        self.wake_pending = False
        self.routing_draws = routing_draws
        self.order = order
        self.away = role.away  # PTO: each rep on its own calendar
        self.always = role.calendar.always and not self.away
        self.productive_share = role.productive_share
        self.seq = 0
        self.territory = None  # the accounts it prospects (outbound.py), if its role does

    def add(self, rep: Rep) -> None:
        """A new rep starts free: listed as idle, so the first item in the pool finds it."""
        self.reps.append(rep)
        self.arrive(rep)

    def arrive(self, rep: Rep) -> None:
        """A rep is at work: routing can pick it, and a free one waits listed as idle."""
        rep.present = True
        self.present.append(rep)
        heappush(self.loads, (rep.queued + rep.busy, rep.index))
        if not rep.busy:
            rep.idle = True
            heappush(self.idle, rep.index)

    def join(self, rep: Rep, now: float, dispatcher: Dispatcher) -> None:
        """A rep joins (or comes back from PTO) during the run and picks up waiting work."""
        if rep.index == len(self.reps):
            self.reps.append(rep)
        self.arrive(rep)
        if not rep.busy:
            self.next_for(rep, now, dispatcher)

    def step_out(self, rep: Rep, now: float, dispatcher: Dispatcher) -> None:
        """A rep leaves or goes on PTO: routing stops picking it, and the items in its own
        queue are routed again by their stage's routing (no new luck is drawn for them). A
        task in progress stays with it."""
        if not rep.present:
            return
        rep.present = False
        rep.idle = False
        self.present.remove(rep)
        waiting = sorted(e for e in rep.queue if e[VISIT].entry == e[SEQ])
        rep.queue, rep.queued = [], 0
        for entry in waiting:
            visit = entry[VISIT]
            visit.entry = None
            self.assign(visit, visit.plan.work.routing, now, dispatcher)

    # -- queue entries

    def entry(self, visit) -> tuple:
        """A queue entry ordered by stage priority, then the role's queue order, then arrival.
        Time in the queue counts from `visit.queued_at`, so an item escalated or routed again
        when its rep leaves keeps its place in a fifo or newest-first queue."""
        order = self.order
        if order == "fifo":
            key = visit.queued_at
        elif order == "newest_first":
            key = -visit.queued_at
        elif order == "value":
            key = -visit.lead.value
        else:  # deadline: earliest SLA deadline first, for items still waiting a first touch
            deadline = visit.deadline
            key = deadline if visit.touches == 0 and deadline == deadline else INF
        self.seq += 1
        entry = (visit.plan.work.priority, key, self.seq, visit)
        visit.entry = self.seq
        return entry

    # -- routing

    def assign(self, visit, routing: int, now: float, dispatcher: Dispatcher) -> None:
        """Route a lead that reached this stage's queue, by the stage's routing."""
        reps = self.present
        if routing == POOL or not reps:
            self.push_shared(visit, now, dispatcher)
            return
        if routing == ROUND_ROBIN:
            rep = reps[self.turn % len(reps)]
            self.turn += 1
        elif routing == RANDOM:
            rep = reps[int(self.routing_draws() * len(reps))]
        elif routing == SAME_REP:
            last = visit.lead.last_rep
            if last is not None and last.crew_id == self.id and last.present:
                rep = last
            else:  # new to this crew, or its last rep has gone: least loaded
                rep = self.least_loaded()
        elif routing == LEAST_LOADED:
            rep = self.least_loaded()
        else:  # pragma: no cover - ROUTINGS is closed
            raise ValueError(routing)
        self.push_own(rep, visit, now, dispatcher)

    def least_loaded(self) -> Rep:
        """Fewest items queued or in progress among the reps present; ties to the lowest index.

        `loads` is a heap of (load, rep index) that may lag behind: an entry is only
        pushed when a load falls (or a rep arrives), and one found too low is fixed when it
        reaches the top. Every rep present keeps an entry no higher than its load, so the
        top, once current and present, is the least loaded rep.
        """
        reps = self.reps
        while True:
            if not self.loads:  # every entry went stale (reps left or moved at a switch)
                self._fresh_loads()
            loads = self.loads
            load, index = loads[0]
            rep = reps[index]
            current = rep.queued + rep.busy
            if not rep.present:
                heappop(loads)
            elif current == load:
                return rep
            elif current > load:
                heapreplace(loads, (current, index))
            else:  # a lower entry for this rep was pushed when its load fell
                heappop(loads)

    def _load_fell(self, rep: Rep) -> None:
        loads = self.loads
        heappush(loads, (rep.queued + rep.busy, rep.index))
        if len(loads) > 4 * len(self.reps) + 64:  # drop stale entries now and then
            self._fresh_loads()

    # -- queues

    def push_shared(self, visit, now: float, dispatcher: Dispatcher) -> None:
        """Queue an item for whoever is free first (`visit.queued_at` says since when it
        waits: the caller sets it when a new wait begins)."""
        visit.rep_queue = None
        if not self.always and not self.calendar.is_open(now):
            heappush(self.shared, self.entry(visit))
            self.sleep(now, dispatcher)
            return
        idle, reps, shared = self.idle, self.reps, self.shared
        while idle:
            rep = reps[heappop(idle)]
            if self.away and not rep.calendar.is_open(now):
                continue  # its PTO begins this instant: its step out comes next
            if rep.idle:  # a free rep: the lead is served at once
                rep.idle = False
                if shared or rep.queued:
                    heappush(shared, self.entry(visit))
                    self.next_for(rep, now, dispatcher)
                else:  # nothing waits before it: start without a trip through the heap
                    rep.busy = 1
                    dispatcher.start_touch(rep, visit, now)
                return
        heappush(shared, self.entry(visit))

    def push_own(self, rep: Rep, visit, now: float, dispatcher: Dispatcher) -> None:
        """Queue an item for one rep; for a rep no longer at work, route it again."""
        if not rep.present:
            self.assign(visit, visit.plan.work.routing, now, dispatcher)
            return
        heappush(rep.queue, self.entry(visit))
        visit.rep_queue = rep
        rep.queued += 1
        if not rep.busy:
            if self.always or rep.calendar.is_open(now):
                rep.idle = False
                self.next_for(rep, now, dispatcher)
            else:
                self.sleep(now, dispatcher)

    def withdraw(self, visit, now: float, dispatcher: Dispatcher) -> bool:
        """Move an item waiting in a rep's own queue to the shared queue (escalation)."""
        if visit.rep_queue is None or visit.entry is None:
            return False
        self.take_out(visit)
        self.push_shared(visit, now, dispatcher)
        return True

    def take_out(self, visit) -> None:
        """Remove a waiting item from its queue (its entry is skipped when it surfaces)."""
        visit.entry = None
        rep = visit.rep_queue
        if rep is not None:
            rep.queued -= 1
            if self.track_load:
                self._load_fell(rep)

    def next_for(self, rep: Rep, now: float, dispatcher: Dispatcher) -> None:
        """Give a free rep its next task, or let it wait. A rep present works on its own
        calendar (its role's, unless it has PTO): closed for a rep present only in the
        instant its PTO begins, before it steps out."""
        if not self.always and not rep.calendar.is_open(now):
            self.sleep(now, dispatcher)
            return
        own, shared = rep.queue, self.shared
        while own and own[0][VISIT].entry != own[0][SEQ]:
            heappop(own)
        while shared and shared[0][VISIT].entry != shared[0][SEQ]:
            heappop(shared)
        if own and (not shared or own[0] < shared[0]):
            entry = heappop(own)
            rep.queued -= 1
        elif shared:
            entry = heappop(shared)
        else:
            if self.territory is not None and dispatcher.prospect(rep, self, now):
                return  # nothing queued: an outbound attempt instead
            if self.uses_shared and not rep.idle:  # listed where pooled work can find it
                rep.idle = True
                heappush(self.idle, rep.index)
                if len(self.idle) > 2 * len(self.reps) + 16:  # drop stale entries
                    self._fresh_idle()
            return
        visit = entry[VISIT]
        visit.entry = None
        rep.busy = 1
        rep.idle = False  # a rep listed as idle that takes work (at opening time) is no longer
        dispatcher.start_touch(rep, visit, now)

    def release(self, rep: Rep) -> None:
        """A rep that was busy elsewhere (finishing its task in its crew before a switch of
        org, transition.py) is free to work here."""
        rep.busy = 0
        if self.track_load and rep.present:
            self._load_fell(rep)

    def take_all(self) -> list[tuple]:
        """Every item waiting in the crew's queues, taken out, in queue order: (visit, the
        rep whose own queue it was in, or None for the shared queue)."""
        entries = [(e, None) for e in self.shared]
        entries += [(e, rep) for rep in self.reps for e in rep.queue]
        live = sorted((e[SEQ], e[VISIT], rep) for e, rep in entries if e[VISIT].entry == e[SEQ])
        self.shared = []
        for rep in self.reps:
            rep.queue, rep.queued = [], 0
        for _, visit, _ in live:
            visit.entry = None
        return [(visit, rep) for _, visit, rep in live]

    def restart(self, now: float, dispatcher: Dispatcher) -> None:
        """After its work changed under it (a switch of org, transition.py): the load and
        idle lists rebuilt, and each free rep picks up waiting work or is listed as idle
        (where the crew now uses a shared queue it may not have used before)."""
        self._fresh_loads()
        self._fresh_idle()
        for rep in list(self.present):
            if not rep.busy and (rep.queued or self.shared or (self.uses_shared and not rep.idle)):
                self.next_for(rep, now, dispatcher)

    def _fresh_loads(self) -> None:
        self.loads = [(r.queued + r.busy, r.index) for r in self.present]
        heapify(self.loads)

    def _fresh_idle(self) -> None:
        self.idle = [r.index for r in self.present if r.idle]
        heapify(self.idle)

    def done(self, rep: Rep) -> None:
        rep.busy = 0
        rep.tasks_done += 1
        if self.track_load and rep.present:  # one that is away is listed again when back
            self._load_fell(rep)

    # -- shifts

    def sleep(self, now: float, dispatcher: Dispatcher) -> None:
        """Work arrived out of hours: wake the crew at the next shift start."""
        if not self.wake_pending:
            self.wake_pending = True
            opens = self.calendar.next_open(now)
            dispatcher.call_at(opens, self.wake, (dispatcher, opens), now)

    def wake(self, step) -> None:
        """The shift opens: every free rep picks up work."""
        self.wake_pending = False
        dispatcher, now = step.arg
        for rep in self.present:
            if not rep.busy:
                self.next_for(rep, now, dispatcher)

    def waiting(self):
        """Visits still waiting in this crew's queues (for the end-of-run records)."""
        for entry in self.shared:
            if entry[VISIT].entry == entry[SEQ]:
                yield entry[VISIT]
        for rep in self.reps:
            for entry in rep.queue:
                if entry[VISIT].entry == entry[SEQ]:
                    yield entry[VISIT]


def set_routing(crews: list[list[Crew]], stages) -> None:
    """What the stages' routing asks of each role's crews: load tracking (least_loaded,
    same_rep) and a shared queue (pool, or escalation to it)."""
    worked = [s.work for s in stages if s.work]
    load_routed = {w.role for w in worked if w.routing in (LEAST_LOADED, SAME_REP)}
    pooled = {
        w.role
        for w in worked
        if w.routing == POOL or (w.sla is not None and w.sla.escalate_after is not None)
    }
    for role, mine in enumerate(crews):
        for crew in mine:
            crew.track_load = role in load_routed
            crew.uses_shared = role in pooled
