"""Outbound prospecting: reps work the accounts of a finite market in the time their queues
leave them.

An outbound source lists accounts by segment. Each crew of the role that prospects it
works the accounts of the segments the crew serves: its *territory*, a queue of accounts in
a keyed random order. A rep of that crew who is free, inside its schedule and with nothing
queued (inbound work always comes first) makes one *attempt* if today's outbound budget
allows: `outbound_share` of the day's scheduled hours on its own calendar, spent in the
attempts' work (effort / productive share, longer while ramping). An attempt begun on the
last of the budget may run over it; the overrun is taken from the next day's.

The attempt is the next of one of the rep's open sequences that has fallen due (`cadence`
after the one before), or else the first of a new sequence on the next account of the
territory. The buyer is reached with chance `connect`; a buyer reached books a meeting with
chance `meeting` (times the rep's ramp, where the ramp affects skill) or says no. A meeting
enters the journey at the source's `enters` as a new lead of the account's segment; a no,
or `attempts` attempts without reaching anyone, sets the account aside for `cool_off`, after
which it joins the back of the territory again. An account whose deal is lost, or which
churns, comes back the same way; a customer stays out. A rep who leaves gives its open
sequences' accounts back to the front of the territory, to start again.

A rep with no budget left waits for its next working day; one with nothing to work (no
sequence due, no account ready) waits for the first that will be. Those waits are timed
calls, so a rep with neither inbound nor outbound work costs nothing.

Luck is keyed to the account (see luck.py): an attempt's connect, meeting and effort to
(account, its n-th attempt ever), so an account answers its n-th call the same way in every
design. A meeting is the lead with id `met_base + m * stride + account` for the account's
m-th meeting, so its journey's luck is keyed to (account, m) too.
"""

from __future__ import annotations

from collections import deque
from heapq import heappop, heappush

import numpy as np

from orgsim.engine.luck import (
    ACCOUNT_ORDER,
    ATTEMPT_EFFORT,
    BLOCK,
    CONNECT,
    MEETING,
    LeadLuck,
    Streams,
    distribution_sampler,
    key,
    uniform_sampler,
)
from orgsim.engine.model import Model, SourcePlan

INF = float("inf")
DAY = 24.0
NOT_REACHED, SAID_NO, BOOKED = 0, 1, 2
"""An attempt's result (the `result` column of the attempts records)."""


def aligned(n: int) -> int:
    """`n` rounded up to whole blocks of keyed draws."""
    return -(-n // BLOCK) * BLOCK


class Territory:
    """The accounts of one outbound source that one crew works: those ready, in order, and
    those set aside until a time."""

    __slots__ = ("cooling", "ready", "source", "waiting")

    def __init__(self, source: int, accounts: list[int]):
        self.source = source
        self.ready = deque(accounts)
        self.cooling: list[tuple[float, int]] = []  # (ready again at, account)
        self.waiting: list = []  # (rep, crew) with nothing to work until an account is ready

    def next_account(self, now: float) -> int | None:
        """The next account to start a sequence on, or None."""
        cooling = self.cooling
        while cooling and cooling[0][0] <= now:
            self.ready.append(heappop(cooling)[1])
        return self.ready.popleft() if self.ready else None

    def ready_again(self) -> float:
        """When the next account set aside is ready (inf: none is)."""
        return self.cooling[0][0] if self.cooling else INF


class Prospector:
    """One rep's prospecting: its budget today and its open sequences."""

    __slots__ = ("day", "left", "open", "waiting", "wake_at")

    def __init__(self):
        self.day = -1
        self.left = 0.0  # hours of today's budget left (below 0: overrun, from the next day's)
        self.open: list[tuple[float, int, int, int]] = []  # (due, order, account, attempt)
        self.wake_at = INF
        self.waiting = False  # listed in its territory's `waiting`


class Prospecting:
    """The outbound sources' accounts in one replication, and the attempts reps make on them.

    Accounts are numbered across sources (source by source, in segment order); `segment`,
    `source`, `tries` (attempts ever) and `meetings` are per account.
    """

    def __init__(self, model: Model, streams: Streams, crews, met_base: int, recorder):
        self.model = model
        self.record = recorder
        self.met_base = met_base
        plans = [(i, s) for i, s in enumerate(model.sources) if s.outbound is not None]
        segments, sources, self.first = [], [], {}
        for i, source in plans:
            self.first[i] = len(segments)
            for code, count in enumerate(source.outbound.accounts):
                segments += [code] * count
                sources += [i] * count
        self.segment, self.source = segments, sources
        self.stride = aligned(len(segments))
        self.tries = [0] * len(segments)
        self.meetings = [0] * len(segments)
        self.order = 0
        self.territory_of: list[Territory | None] = [None] * len(segments)
        self.luck = LeadLuck(streams, np.array(segments, dtype=np.int64))
        self.slots = {
            i: (
                self.luck.slot(CONNECT, s.name, uniform_sampler),
                self.luck.slot(MEETING, s.name, uniform_sampler),
                self.luck.slot(ATTEMPT_EFFORT, s.name, distribution_sampler(s.outbound.effort)),
            )
            for i, s in plans
        }
        for i, source in plans:
            self._territories(i, source, streams, crews)

    def met_segments(self) -> np.ndarray:
        """The segment of every lead id in one stride of meetings (padding: segment 0)."""
        out = np.zeros(self.stride, dtype=np.int64)
        out[: len(self.segment)] = self.segment
        return out

    def _territories(self, i: int, source: SourcePlan, streams: Streams, crews) -> None:
        """Each crew of the prospecting role gets the source's accounts of the segments it
        serves, in one keyed random order."""
        plan = source.outbound
        role = self.model.roles[plan.role]
        first = self.first[i]
        rng = streams.generator(ACCOUNT_ORDER, key(source.name))
        order = (first + rng.permutation(sum(plan.accounts))).tolist()
        for c, crew in enumerate(crews[plan.role]):
            mine = [a for a in order if role.crew_of_segment[self.segment[a]] == c]
            crew.territory = Territory(i, mine)
            for account in mine:
                self.territory_of[account] = crew.territory

    # -- attempts

    def attempt(self, rep, crew, now: float, flow) -> bool:
        """A free rep inside its schedule with nothing queued: start an attempt if its budget
        and the accounts allow (True), or set its wake-up call (False)."""
        p = rep.prospector
        if p is None:
            p = rep.prospector = Prospector()
        territory = crew.territory
        day = int(now // DAY)
        if day != p.day:
            calendar = rep.calendar
            hours = calendar.worked((day + 1) * DAY) - calendar.worked(day * DAY)
            p.left = crew.role.outbound_share * hours + min(p.left, 0.0)
            p.day = day
        if p.left <= 0.0:
            self._wake(rep, crew, rep.calendar.next_open((day + 1) * DAY), now, flow)
            return False
        if p.open and p.open[0][0] <= now:
            _, _, account, n = heappop(p.open)
        else:
            account = territory.next_account(now)
            if account is None:  # called back when the first account is due or comes back
                self._wake(rep, crew, min(p.open[0][0] if p.open else INF,
                                          territory.ready_again()), now, flow)  # fmt: skip
                if not p.waiting:
                    p.waiting = True
                    territory.waiting.append((rep, crew))
                return False
            n = 0
            self.record.pool.append((now, territory.source, self.segment[account], -1))
        self._start(rep, crew, account, n, now, flow)
        return True

    def _start(self, rep, crew, account: int, n: int, now: float, flow) -> None:
        """The rep makes the n-th attempt of a sequence on `account`: its result is decided
        by the account's keyed luck, and takes effect when the work is done."""
        source = self.source[account]
        plan = self.model.sources[source].outbound
        connect, meeting, effort_slot = self.slots[source]
        k = self.tries[account]
        self.tries[account] = k + 1
        role = rep.ramps_as
        tenure_share = role.ramp_share(now - rep.hired) if role.ramp else 1.0
        work = self.luck.draw(effort_slot, account, k) / crew.productive_share
        if role.ramp_speed:
            work /= tenure_share
        chance = plan.meeting * tenure_share if role.ramp_skill else plan.meeting
        result = NOT_REACHED
        if self.luck.draw(connect, account, k) < plan.connect:
            result = BOOKED if self.luck.draw(meeting, account, k) < chance else SAID_NO
        finish = now + work if crew.always else rep.calendar.finish(now, work)
        rep.prospector.left -= work
        rep.busy = 1
        rep.idle = False
        self.record.attempts.append((rep.id, source, account, n, now, finish, work, result))
        flow.call_after(finish - now, self.done, (rep, crew, account, n, result, flow), now)

    def done(self, step) -> None:
        """An attempt's work is done: a meeting enters the journey, a sequence goes on or
        ends, and the rep takes its next task."""
        rep, crew, account, n, result, flow = step.arg
        now = flow.env.now
        plan = self.model.sources[self.source[account]].outbound
        if result == BOOKED:
            self._book(account, now, flow)
        elif result == NOT_REACHED and n + 1 < plan.attempts and rep.on_payroll:
            self.order += 1
            heappush(rep.prospector.open, (now + plan.cadence, self.order, account, n + 1))
        elif result == NOT_REACHED and n + 1 < plan.attempts:  # its rep left meanwhile
            self._back(account, now, flow)
        else:
            self.set_aside(account, now + plan.cool_off, now, flow)
        crew.release(rep)
        flow.task_over(rep, crew, None, now)

    def _book(self, account: int, now: float, flow) -> None:
        """A meeting: the account's next lead enters the journey."""
        m = self.meetings[account]
        self.meetings[account] = m + 1
        source = self.source[account]
        flow.meet(self.met_base + m * self.stride + account, source, self.segment[account], now)

    def set_aside(self, account: int, until: float, now: float, flow) -> None:
        """The account may be worked again from `until` (inf: never); reps with nothing to
        work are called back then."""
        if until >= self.model.end:
            return
        territory = self.territory_of[account]
        heappush(territory.cooling, (until, account))
        self.record.pool.append((until, territory.source, self.segment[account], 1))
        self._call_back(territory, until, now, flow)

    def _back(self, account: int, now: float, flow) -> None:
        """An account whose sequence stopped with its rep goes back to the front of its
        territory, to start again."""
        territory = self.territory_of[account]
        territory.ready.appendleft(account)
        self.record.pool.append((now, territory.source, self.segment[account], 1))
        self._call_back(territory, now, now, flow)

    def _call_back(self, territory: Territory, when: float, now: float, flow) -> None:
        """Reps of the territory with nothing to work are called back at `when`."""
        waiting, territory.waiting = territory.waiting, []
        for rep, crew in waiting:
            rep.prospector.waiting = False
            self._wake(rep, crew, when, now, flow)

    def closed(self, lead, now: float, flow) -> None:
        """A meeting's lead reached an end: a customer stays out of the market; any other
        account (lost, churned) may be worked again after its cool-off."""
        account = (lead.id - self.met_base) % self.stride
        if not lead.customer:
            plan = self.model.sources[self.source[account]].outbound
            self.set_aside(account, now + plan.cool_off, now, flow)

    def drop(self, rep, now: float, flow) -> None:
        """A rep leaves: the accounts of its open sequences go back to the front of their
        territory, to start again (the one it is calling goes back when the call ends)."""
        for _, _, account, _ in sorted(rep.prospector.open, reverse=True):
            self._back(account, now, flow)
        rep.prospector.open = []

    # -- waiting

    def _wake(self, rep, crew, when: float, now: float, flow) -> None:
        """Call the rep back at `when` (one call at a time: the earliest asked for; inf:
        no call)."""
        p = rep.prospector
        if when < p.wake_at:
            p.wake_at = when
            flow.call_at(max(when, now), self._woken, (rep, crew, flow), now)

    def _woken(self, step) -> None:
        rep, crew, flow = step.arg
        now = flow.env.now
        p = rep.prospector
        if now >= p.wake_at:
            p.wake_at = INF
        if rep.present and not rep.busy:
            crew.next_for(rep, now, flow)
