"""How busy is too busy: one line shared by the plan's utilization cap, the capacity table
and every report's overload flag. Its own module so that `orgsim --help` can show it
without loading the scenario language."""

BUSY = 0.85
"""Utilization above which a role is shown as nearly saturated: queues grow fast beyond it."""
