"""JSON Schemas of the four kinds of file, so an editor checks the YAML as it is typed."""

from __future__ import annotations

from orgsim.config.schema import Market, Org, Roster, ScenarioFile


def schemas() -> dict[str, dict]:
    """JSON Schemas of the four kinds of file, for editors that check YAML as it is typed."""
    market, org = Market.model_json_schema(), Org.model_json_schema()
    scenario = ScenarioFile.model_json_schema()
    defs = {**market.pop("$defs", {}), **org.pop("$defs", {}), **scenario.pop("$defs", {})}
    defs["Market"], defs["Org"] = market, org
    for kind in ("market", "org"):
        ref = {"$ref": f"#/$defs/{kind.capitalize()}"}
        scenario["properties"][kind] = {"anyOf": [{"type": "string"}, ref]}
        variant = defs["VariantSpec"]["properties"][kind]
        variant["anyOf"] = [{"type": "string"}, ref, {"type": "null"}]
    scenario["$defs"] = defs
    result = {
        "market": Market.model_json_schema(),
        "org": Org.model_json_schema(),
        "people": Roster.model_json_schema(),
        "scenario": scenario,
    }
    for kind, schema in result.items():
        _readable_names(schema)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = f"orgsim {kind}"
    return result


def _readable_names(schema: dict) -> None:
    """Name each definition by its title (GammaDuration, not a mangled generic name)."""
    defs = schema.get("$defs", {})
    titles = [d.get("title", k) for k, d in defs.items()]
    if len(set(titles)) != len(titles):
        return
    renamed = {f"#/$defs/{k}": f"#/$defs/{d.get('title', k)}" for k, d in defs.items()}
    schema["$defs"] = {d.get("title", k): d for k, d in defs.items()}

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                node["$ref"] = renamed.get(node["$ref"], node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
