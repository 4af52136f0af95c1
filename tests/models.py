"""Small scenarios whose answers theory knows, written as a planner would write them."""

from __future__ import annotations

import textwrap

import orgsim


def scenario(
    market: str,
    org: str,
    horizon: str = "30w",
    warmup: str = "2w",
    replications: int = 10,
    seed: int = 1,
    extra: str = "",
) -> orgsim.Scenario:
    """A scenario from inline market and org YAML (each written without indentation)."""
    text = (
        "kind: scenario\nname: theory\n"
        f"horizon: {horizon}\nwarmup: {warmup}\nreplications: {replications}\nseed: {seed}\n"
        "market:\n" + textwrap.indent(textwrap.dedent(market).strip(), "  ") + "\n"
        "org:\n"
        + textwrap.indent(textwrap.dedent(org).strip(), "  ")
        + "\n"
        + textwrap.dedent(extra)
    )
    return orgsim.load_text(text)


def single_queue(
    servers: int,
    rate: str,
    effort: str,
    routing: str = "pool",
    sla: str = "",
    schedule: str = "always",
    productive_share: float = 1.0,
    hours: str = "always",
    patience: str = "",
    **kwargs,
) -> orgsim.Scenario:
    """One stage, one role: the M/M/c queue when effort is exponential and schedule always
    (M/M/c+G when buyers have `patience`)."""
    sla_text = f", sla: {sla}" if sla else ""
    patience_text = f", patience: {patience}" if patience else ""
    return scenario(
        f"""
        kind: market
        name: one queue
        segments: {{all: {{deal_value: 1000}}}}
        sources: {{calls: {{rate: {rate}, enters: service, hours: {hours}}}}}
        journey:
          service: {{outcomes: {{done: 1.0}}{patience_text}}}
          done: {{}}
        """,
        f"""
        kind: org
        name: one team
        roles:
          server: {{headcount: {servers}, schedule: {schedule},
                   productive_share: {productive_share}}}
        work:
          service: {{role: server, effort: {effort}, routing: {routing}{sla_text}}}
        """,
        **kwargs,
    )
