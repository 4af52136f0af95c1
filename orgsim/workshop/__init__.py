"""The workshop page (`orgsim serve`): move a design's numbers, see capacity at once and a
simulation in seconds. `controls` and `simulation` need no web library; `page` builds the
Panel page on them (the `ui` extra)."""
