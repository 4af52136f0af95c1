"""Reps, their queues, and how a lead is routed to one of them.

A *team* is the reps of one role that serve one pod (a role not in pods has
one team). Each team has a shared queue (routing `pool`, and escalations),
and each rep its own queue (every other routing). A free rep takes the best
item of its own queue and its team's shared queue, by the role's queue
order. Queues are heaps; the least-loaded rep comes from a heap too, so the
cost per lead stays flat however many reps a team has.

Reps work only inside their schedule. Instead of an event per shift change,
a team sleeps when work arrives out of hours and wakes once, at the next
shift start, when its free reps pick up work.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush, heapreplace

from orgsim.engine.model import LEAST_LOADED, POOL, RANDOM, ROUND_ROBIN, SAME_REP, RolePlan

INF = float("inf")


class Rep:
    __slots__ = ("busy", "id", "idle", "index", "items", "queue", "queued", "skills", "team", "won")

    def __init__(self, rep_id: int, index: int, team: Team, skills: list[float]):
        self.id = rep_id
        self.index = index
        self.team = team
        self.skills = skills  # by segment of the lead
        self.queue: list[list] = []  # own queue: entries [rank, key, seq, visit or None]
        self.queued = 0  # live entries in `queue`
        self.busy = 0  # 1 while working a task
        self.idle = False  # waiting on shift, listed in the team's idle heap
        self.items = 0  # tasks finished
        self.won = 0  # deals closed


class Team:
    """The reps of one role serving one pod, with their queues."""

    def __init__(self, role: RolePlan, pod: int | None, journey, routing_draws):
        self.role = role
        self.pod = pod
        self.calendar = role.calendar
        self.journey = journey
        self.reps: list[Rep] = []
        self.shared: list[list] = []
        self.idle: list[int] = []
        self.loads: list[tuple[int, int]] = []
        self.track_load = False  # some stage routes least_loaded or same_rep
        self.uses_shared = True  # some stage routes to the pool, or escalates to it
        self.turn = 0
        self.wake_pending = False
        self.routing_draws = routing_draws
        self.order = role.order
        self.always = role.calendar.always
        self.productive_share = role.productive_share
        self.seq = 0

    def add(self, rep: Rep) -> None:
        """A new rep starts free: listed as idle, so the first item in the pool finds it."""
        self.reps.append(rep)
        heappush(self.loads, (0, rep.index))
        rep.idle = True
        heappush(self.idle, rep.index)

    # -- queue entries

    def entry(self, visit, now: float) -> list:
        """A queue entry ordered by stage priority, then the role's queue order, then arrival."""
        order = self.order
        if order == "fifo":
            key = now
        elif order == "newest_first":
            key = -now
        elif order == "value":
            key = -visit.lead.value
        else:  # deadline: earliest SLA deadline first, for items still waiting a first touch
            deadline = visit.deadline
            key = deadline if visit.touches == 0 and deadline == deadline else INF
        self.seq += 1
        entry = [visit.plan.work.priority, key, self.seq, visit]
        visit.entry = entry
        visit.queued_at = now
        return entry

    # -- routing

    def assign(self, visit, routing: int, now: float) -> None:
        """Route a lead that reached this stage's queue, by the stage's routing."""
        reps = self.reps
        if routing == POOL or not reps:
            self.push_shared(visit, now)
            return
        if routing == ROUND_ROBIN:
            rep = reps[self.turn % len(reps)]
            self.turn += 1
        elif routing == RANDOM:
            rep = reps[int(self.routing_draws() * len(reps))]
        elif routing == SAME_REP:
            last = visit.lead.last_rep
            rep = last if last is not None and last.team is self else self.least_loaded()
        elif routing == LEAST_LOADED:
            rep = self.least_loaded()
        else:  # pragma: no cover - ROUTINGS is closed
            raise ValueError(routing)
        self.push_own(rep, visit, now)

    def least_loaded(self) -> Rep:
        """Fewest items queued or in progress; ties to the lowest index.

        `loads` is a heap of (load, rep index) that may lag behind: an entry is only
        pushed when a load falls, and one found too low is fixed when it reaches the top.
        Every rep keeps an entry no higher than its load, so the top, once current, is
        the least loaded rep.
        """
        loads, reps = self.loads, self.reps
        while True:
            load, index = loads[0]
            rep = reps[index]
            current = rep.queued + rep.busy
            if current == load:
                return rep
            if current > load:
                heapreplace(loads, (current, index))
            else:  # a lower entry for this rep was pushed when its load fell
                heappop(loads)

    def _load_fell(self, rep: Rep) -> None:
        loads = self.loads
        heappush(loads, (rep.queued + rep.busy, rep.index))
        if len(loads) > 4 * len(self.reps) + 64:  # drop stale entries now and then
            self.loads = [(r.queued + r.busy, r.index) for r in self.reps]
            heapify(self.loads)

    # -- queues

    def push_shared(self, visit, now: float) -> None:
        heappush(self.shared, self.entry(visit, now))
        visit.rep_queue = None
        if not self.always and not self.calendar.is_open(now):
            self.sleep(now)
            return
        idle, reps = self.idle, self.reps
        while idle:
            rep = reps[heappop(idle)]
            if rep.idle:
                rep.idle = False
                self.next_for(rep, now)
                return

    def push_own(self, rep: Rep, visit, now: float) -> None:
        heappush(rep.queue, self.entry(visit, now))
        visit.rep_queue = rep
        rep.queued += 1
        if not rep.busy:
            if self.always or self.calendar.is_open(now):
                rep.idle = False
                self.next_for(rep, now)
            else:
                self.sleep(now)

    def withdraw(self, visit, now: float) -> bool:
        """Move an item waiting in a rep's own queue to the shared queue (escalation)."""
        if visit.rep_queue is None or visit.entry is None:
            return False
        self.take_out(visit)
        self.push_shared(visit, now)
        return True

    def take_out(self, visit) -> None:
        """Remove a waiting item from its queue (its heap entry is skipped when it surfaces)."""
        visit.entry[3] = None
        visit.entry = None
        rep = visit.rep_queue
        if rep is not None:
            rep.queued -= 1
            if self.track_load:
                self._load_fell(rep)

    def next_for(self, rep: Rep, now: float) -> None:
        """Give a free rep its next task, or let it wait."""
        if not self.always and not self.calendar.is_open(now):
            self.sleep(now)
            return
        own, shared = rep.queue, self.shared
        while own and own[0][3] is None:
            heappop(own)
        while shared and shared[0][3] is None:
            heappop(shared)
        if own and (not shared or own[0] < shared[0]):
            entry = heappop(own)
            rep.queued -= 1
        elif shared:
            entry = heappop(shared)
        else:
            if self.uses_shared and not rep.idle:  # listed where pooled work can find it
                rep.idle = True
                heappush(self.idle, rep.index)
                if len(self.idle) > 2 * len(self.reps) + 16:  # drop stale entries
                    self.idle = [r.index for r in self.reps if r.idle]
                    heapify(self.idle)
            return
        visit = entry[3]
        visit.entry = None
        rep.busy = 1
        rep.idle = False  # a rep listed as idle that takes work (at opening time) is no longer
        self.journey.start_touch(rep, visit, now)

    def done(self, rep: Rep) -> None:
        rep.busy = 0
        rep.items += 1
        if self.track_load:
            self._load_fell(rep)

    # -- shifts

    def sleep(self, now: float) -> None:
        """Work arrived out of hours: wake the team at the next shift start."""
        if not self.wake_pending:
            self.wake_pending = True
            self.journey.call_at(self.calendar.next_open(now), self.wake, None)

    def wake(self, _step) -> None:
        self.wake_pending = False
        now = self.journey.env.now
        for rep in self.reps:
            if not rep.busy:
                self.next_for(rep, now)

    def waiting(self):
        """Queue entries still waiting (for the end-of-run records)."""
        for entry in self.shared:
            if entry[3] is not None:
                yield entry[3]
        for rep in self.reps:
            for entry in rep.queue:
                if entry[3] is not None:
                    yield entry[3]
