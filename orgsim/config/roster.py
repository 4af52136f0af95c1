"""A role's named people (`roles.<r>.people`) and the org's dated departures (`leaves`),
checked against the org: who is who, where they sit, and when they come and go.

Checks only: what a roster means for a run is in engine/people.py, and who "the best two"
are is `schema.departing`.
"""

from __future__ import annotations

from orgsim.config.schema import Org, departing


def check(say, org: Org, in_pods: set[str], switched_to: bool = False) -> None:
    """Every problem of every roster and departure, each at its line (`say` is the org
    checker's reporter). An org a transition `switched_to` has no seats to count: who is
    in it comes from the switch (moves, who stays), not from its roster."""
    seen: dict[str, tuple] = {}
    for role_name, role in org.roles.items():
        worked = {stage for stage, work in org.work.items() if work.role == role_name}
        pods = [p for p, pod in org.pods.items() if role_name in pod.members]
        for i, person in enumerate(role.people):
            path = ("roles", role_name, "people", i)
            if person.name in seen:
                where = ".".join(map(str, seen[person.name]))
                say.error((*path, "name"), f"'{person.name}' is named twice (also at {where})")
            seen.setdefault(person.name, path)
            _check_person(say, path, person, role, role_name, worked, pods)
        if not switched_to:
            _check_seats(say, org, role_name, in_pods, pods)
    for i, departure in enumerate(org.leaves):
        _check_departure(say, org, ("leaves", i), departure)


def _check_person(say, path, person, role, role_name, worked, pods) -> None:
    if pods and person.pod is None:
        say.error(path, f"'{role_name}' is staffed by pods: say which pod ({', '.join(pods)})")
    elif person.pod is not None and person.pod not in pods:
        has = f"pods with {role_name}: {', '.join(pods)}" if pods else f"{role_name} has no pods"
        say.error((*path, "pod"), f"no pod '{person.pod}' has {role_name} ({has})")
    if isinstance(person.skill, dict):
        for stage in person.skill:
            if stage not in worked:
                say.error(
                    (*path, "skill", stage),
                    f"{role_name} does not work '{stage}' (it works: "
                    f"{', '.join(sorted(worked)) or 'no stage'})",
                    key=True,
                )
    leaving = person.leaving
    if leaving is not None and person.joins is not None and leaving.at < person.joins:
        say.error((*path, "leaves"), f"{person.name} leaves before joining")
    if leaving is not None and leaving.backfill and role.backfill is None:
        say.error((*path, "leaves"), f"{role_name} has no backfill: give the role one")


def _check_seats(say, org: Org, role_name: str, in_pods: set[str], pods: list[str]) -> None:
    """No more people named at t = 0 than the role (or pod) has seats."""
    role = org.roles[role_name]
    if role_name in in_pods:
        for pod in pods:
            named, seats = len(role.named_today(pod)), org.pods[pod].members[role_name]
            if named > seats:
                say.error(
                    ("pods", pod, "members", role_name),
                    f"{named} people of {role_name} are named in pod '{pod}', which has "
                    f"{seats} seats",
                )
    elif role.headcount is not None and len(role.named_today()) > role.headcount:
        say.error(
            ("roles", role_name, "headcount"),
            f"{len(role.named_today())} people are named at t = 0 but headcount is "
            f"{role.headcount}: headcount counts the named people too",
        )


def _check_departure(say, org: Org, path: tuple, departure) -> None:
    role = org.roles.get(departure.role)
    if role is None:
        say.error((*path, "role"), f"unknown role '{departure.role}' ({', '.join(org.roles)})")
        return
    names = [p.name for p in role.people]
    for j, name in enumerate(departure.names):
        if name not in names:
            say.error((*path, "names", j), f"no one called '{name}' in {departure.role}'s people")
    if departure.best is not None:
        rated = len([p for p in role.people if p.skill is not None and p.joins is None])
        if departure.best > rated:
            say.error(
                (*path, "best"),
                f"{departure.role} has {rated} {'person' if rated == 1 else 'people'} with a "
                "written skill at t = 0: the "
                f"best {departure.best} cannot be told apart from the rest",
            )
    if departure.backfill and role.backfill is None:
        say.error((*path, "backfill"), f"{departure.role} has no backfill: give the role one")
    for name in departing(org, departure):
        person = next((p for p in role.people if p.name == name), None)
        if person is not None and person.leaves is not None:
            say.error(path, f"{name} already leaves at their own date (people: leaves)")
