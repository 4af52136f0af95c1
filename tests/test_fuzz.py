"""Random mutations of valid configs never give a traceback: a valid result or formatted errors."""

import re
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgsim.config import ConfigError, check_file

from .conftest import ROOT

LINE = re.compile(r"^.+:\d+:\d+: .+?: .+$")
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(
        ["4h", "0.5", "1e-3", "no", "150/week", "lost", "sdr", "mql", "-1h", "{", "dist"]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.just({"dist": "gamma", "mean": "2h"}),
    st.just({"by_segment": {"smb": 1}}),
)
FILES = [
    "configs/markets/saas_midmarket.yaml",
    "configs/orgs/process_stage.yaml",
    "configs/orgs/pods.yaml",
    "scenarios/reorg_sdr_split.yaml",
]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _mutate(data, path, action, junk):
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = junk
    elif action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)


@settings(
    max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    file=st.sampled_from(FILES),
    pick=st.integers(min_value=1),
    junk=JUNK,
    action=st.sampled_from(["replace", "delete", "rename"]),
    raw=st.booleans(),
)
def test_mutations_give_results_or_formatted_errors(file, pick, junk, action, raw):
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copytree(ROOT / "configs", work / "configs")
        shutil.copytree(ROOT / "scenarios", work / "scenarios")
        target = work / file
        if raw:  # damage the text itself, not just the data
            text = target.read_text()
            cut = pick % max(1, len(text))
            target.write_text(text[:cut] + str(junk)[:8] + text[cut + 3 :])
        else:
            data = yaml.safe_load(target.read_text())
            paths = [p for p in _paths(data) if p]
            _mutate(data, paths[pick % len(paths)], action, junk)
            target.write_text(yaml.safe_dump(data, sort_keys=False))
        try:
            check_file(work / FILES[-1] if file != FILES[-1] and pick % 2 else target)
        except ConfigError as err:
            lines = str(err).splitlines()
            assert lines
            for line in lines:
                assert LINE.match(line), line
