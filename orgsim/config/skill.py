"""How the reps' skill moves a design's conversion away from the written rates, in words.

A written rate is what an average rep of the team achieves: today's reps' skills are
relative to their team. Two things still move a team's realised rate, and a comparison of
designs can turn on them, so reports name them:

- a skill that spans every stage a rep works (`skill_across_stages`) compounds: a lead
  worked by one rep at k stages wins about E[s^k] times the written rates;
- routing that sends more leads to some reps than to others (`least_loaded` prefers the
  reps whose queues are short, and gives ties to the first rep; `same_rep` follows the rep
  of the last stage) converts at the lead-weighted mean skill of the reps, not the team's.
"""

from __future__ import annotations

from orgsim.config.distributions import BySegment, resolve
from orgsim.config.schema import Org

SELECTING = ("least_loaded", "same_rep")
"""Routings that give some reps more leads than others."""


def spread(org: Org, role: str) -> bool:
    """Whether the role's reps differ in skill (a distribution that is not a constant)."""
    skill = org.roles[role].skill
    values = skill.by_segment.values() if isinstance(skill, BySegment) else [skill]
    return any(resolve(value).variation() > 0 for value in values)


def effects(org: Org) -> list[str]:
    """A sentence for each role whose skill compounds across its stages or whose routing
    selects among reps of different skill; nothing for a team with equal skill."""
    found = []
    for role, spec in org.roles.items():
        if not spread(org, role):
            continue
        stages = [s for s, work in org.work.items() if work.role == role]
        if spec.skill_across_stages and len(stages) > 1:
            found.append(
                f"{role}'s skill spans the stages it works ({', '.join(stages)}): a lead's "
                "chances compound with its rep's skill, so the team wins more than the written "
                "rates give (about E[s^k] times, over k stages)"
            )
        routed = [s for s in stages if org.work[s].routing in SELECTING]
        if routed:
            found.append(
                f"{role}'s routing at {', '.join(routed)} gives some reps more leads than others "
                "(least loaded favours short queues and gives ties to the first rep): there "
                "the team converts at its reps' lead-weighted mean skill, not the written rate"
            )
    return found
