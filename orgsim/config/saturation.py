"""How busy is too busy: one line shared by the plan's utilization cap, the capacity table
and every report's overload flag. Its own module so that `orgsim --help` can show it
without loading the scenario language."""

BUSY = 0.85
"""Utilization above which a role is shown as nearly saturated: queues grow fast beyond it."""


def over(utilization: float, line: float = BUSY) -> bool:
    """Whether a utilization (or a load) is above the line: the one comparison every report,
    the planner's cap and the overload flag make."""
    return utilization > line
