"""Read YAML safely and remember where every key and value was written.

Why not `yaml.safe_load`: it forgets positions (so errors could not say
FILE:LINE:COL), silently keeps the last of two duplicate keys, and follows
YAML 1.1, where a segment called `no` becomes `False` and `1e-3` stays a
string. Here the document is composed into nodes, each scalar is resolved by
the YAML 1.2 core schema, and every tag other than the plain data types is
refused without being constructed.
"""

from __future__ import annotations

import copy
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from orgsim.config.errors import ConfigError, Problem, dotted


class Mark(NamedTuple):
    """Where something was written: file, 1-based line and column, and its path in that file."""

    file: str
    line: int
    col: int
    path: tuple

    def problem(self, message: str, *, warning: bool = False, extra: tuple = ()) -> Problem:
        return Problem(self.file, self.line, self.col, dotted(self.path + extra), message, warning)


class _Loader(yaml.SafeLoader):
    """Composes nodes with YAML 1.2 core-schema scalars instead of YAML 1.1's."""

    yaml_implicit_resolvers: dict = {}


_RESOLVERS = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", [*list("~nN"), ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+0123456789."),
    ),
    ("tag:yaml.org,2002:merge", r"^<<$", ["<"]),
]
for _tag, _pattern, _first in _RESOLVERS:
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)

_DATA_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_MERGE = "tag:yaml.org,2002:merge"


MAX_BYTES = 2_000_000
"""A scenario, market or org file is a few kilobytes; beyond this it is not one."""
MAX_DEPTH = 64
"""Nesting deeper than any field needs (an alias that contains itself never ends)."""
MAX_VALUES = 200_000
"""Values a file may expand to, aliases included: a few hundred bytes of nested aliases
(a "billion laughs") would otherwise expand until memory runs out."""
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Characters that would drive a terminal (escape sequences) rather than be read, lone
surrogates (`"\\ud800"`), which no file or terminal can encode, and the bidirectional
controls (`"\\u202e"`), which turn a line round where it is shown."""


def text_problem(text: str) -> str | None:
    """Why a text may not be read (a control or bidirectional character, an unpaired
    surrogate), or None: the one rule for YAML and for values given from Python."""
    control = _CONTROL.search(text)
    if control is None:
        return None
    char = control.group()
    kind = (
        "an unpaired surrogate" if "\ud800" <= char <= "\udfff"
        else "the control character" if char < "\u0100"
        else "the bidirectional control"
    )  # fmt: skip
    return f"the text holds {kind} {char!r}: remove it"


def _scalar(node: yaml.ScalarNode) -> Any:
    """The value of a scalar; ValueError with a reason where the text does not fit its tag
    (`!!float abc`) or holds a control character."""
    text, tag = node.value, node.tag
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        if text.lower() not in ("true", "false"):
            raise ValueError(f"'{text}' is not true or false")
        return text.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        digits = text.lstrip("+-")
        if len(digits) > 30:  # far beyond any planning figure; int() of a huge text is slow
            raise ValueError(f"a {len(digits)}-digit integer is too large")
        try:
            return int(text, 0) if text.startswith(("0o", "0x")) else int(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a whole number") from None
    if tag == "tag:yaml.org,2002:float":
        lowered = text.lower().lstrip("+")
        if lowered in (".inf", "-.inf", ".nan"):
            return float(lowered.replace(".", ""))
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"'{text}' is not a number") from None
    problem = text_problem(text)
    if problem:
        raise ValueError(problem)
    return text


@dataclass
class Located:
    """A plain data tree plus the marks of its values and keys, keyed by path in the tree.

    Trees are shared between variants, so nothing here mutates one in place:
    `graft` copies the containers along the path it changes.
    """

    data: Any
    values: dict[tuple, Mark] = field(default_factory=dict)
    keys: dict[tuple, Mark] = field(default_factory=dict)

    def get(self, path: tuple) -> Any:
        node = self.data
        for part in path:
            node = node[part]
        return node

    def has(self, path: tuple) -> bool:
        node = self.data
        for part in path:
            if (isinstance(node, dict) and part in node) or (
                isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            ):
                node = node[part]
            else:
                return False
        return True

    def sub(self, path: tuple) -> Located:
        """The subtree at `path`, its marks re-rooted (they keep their in-file paths)."""
        n = len(path)
        return Located(
            self.get(path),
            {p[n:]: m for p, m in self.values.items() if p[:n] == path},
            {p[n:]: m for p, m in self.keys.items() if p[:n] == path and len(p) > n},
        )

    def graft(self, path: tuple, other: Located, key_mark: Mark | None = None) -> Located:
        """A new tree with `other` at `path` (whose parent must exist)."""
        data = copy.copy(self.data)
        node = data
        for part in path[:-1]:
            node[part] = copy.copy(node[part])
            node = node[part]
        if path:
            node[path[-1]] = other.data
        else:
            data = other.data
        n = len(path)
        values = {p: m for p, m in self.values.items() if p[:n] != path}
        keys = {p: m for p, m in self.keys.items() if p[:n] != path or len(p) == n}
        values.update({path + p: m for p, m in other.values.items()})
        keys.update({path + p: m for p, m in other.keys.items()})
        if key_mark is not None:
            keys[path] = key_mark
        return Located(data, values, keys)

    def locate(self, path: tuple) -> tuple[Mark, tuple]:
        """The mark nearest to `path`, and the part of `path` below it that was never written."""
        for cut in range(len(path), -1, -1):
            prefix = path[:cut]
            mark = self.values.get(prefix) or self.keys.get(prefix)
            if mark is not None:
                return mark, path[cut:]
        raise KeyError(path)  # the root always has a mark

    def key_mark(self, path: tuple) -> Mark:
        return self.keys.get(path) or self.locate(path)[0]


def parse(text: str, file: str) -> Located:
    """Parse one YAML document; raise ConfigError with every problem found."""
    if len(text) > MAX_BYTES:
        raise ConfigError.unplaced(file, "<document>", _too_large(len(text)))
    try:
        root = yaml.compose(text, Loader=_Loader)
    except RecursionError:
        raise ConfigError.unplaced(
            file, "<document>", f"nested too deeply: orgsim reads up to {MAX_DEPTH} levels"
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = err.problem or str(err)
        if err.context:
            message = f"{err.context}: {message}"
        raise ConfigError(
            [Problem(file, line, col, "<document>", f"YAML syntax: {message}")]
        ) from None
    except yaml.reader.ReaderError as err:  # a character YAML does not allow
        before = text[: err.position]
        line, col = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        message = f"YAML: character {err.character!r} is not allowed ({err.reason})"
        raise ConfigError([Problem(file, line, col, "<document>", message)]) from None
    except yaml.YAMLError as err:
        raise ConfigError.unplaced(file, "<document>", f"YAML: {err}") from None
    if root is None:
        raise ConfigError.unplaced(file, "<document>", "the file is empty")
    builder = _Builder(file)
    try:
        data = builder.build(root, ())
    except _TooLarge as err:
        why = (
            f"nested deeper than {MAX_DEPTH} levels (an alias inside itself?)"
            if len(err.mark.path) > MAX_DEPTH
            else f"the file expands to more than {MAX_VALUES:,} values (aliases that repeat "
            "aliases?)"
        )
        mark = err.mark._replace(path=err.mark.path[:4])  # where it starts; the rest repeats
        raise ConfigError([mark.problem(why)]) from None
    if builder.problems:
        raise ConfigError(builder.problems)
    return Located(data, builder.values, builder.keys)


def _too_large(size: int) -> str:
    return (
        f"the file is {size:,} bytes; orgsim reads files of up to {MAX_BYTES:,} "
        "(a scenario, market or org is a few thousand)"
    )


def not_a_file(path: str | Path) -> str | None:
    """Why `path` cannot be read as a YAML file, in words (`no such file`, `is a folder`,
    `is a device, pipe or socket`), or None for a regular file. Looks without opening, so a
    pipe does not block and a device is not read."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as err:  # a symlink loop, a name too long, no permission
        return f"cannot read: {err.strerror or err}"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return "is a device, pipe or socket, not a file: orgsim reads YAML files"
    return None


def read(path: str | Path, shown_as: str | None = None) -> Located:
    """Read a YAML file; `shown_as` is the name errors use (defaults to the path). Only a
    regular file of at most MAX_BYTES is read, and never more than that of it."""
    name = shown_as or str(path)
    why = not_a_file(path)
    if why is not None:
        raise ConfigError.unplaced(name, "<document>", why)
    size = os.stat(path).st_size
    if size > MAX_BYTES:
        raise ConfigError.unplaced(name, "<document>", _too_large(size))
    try:
        with open(path, "rb") as file:
            text = file.read(MAX_BYTES + 1).decode("utf-8")
    except OSError as err:
        raise ConfigError.unplaced(name, "<document>", f"cannot read: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise ConfigError.unplaced(
            name, "<document>", f"not UTF-8 text (byte {err.start + 1} cannot be read)"
        ) from None
    return parse(text, name)


class _TooLarge(Exception):
    def __init__(self, mark: Mark):
        self.mark = mark


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.values: dict[tuple, Mark] = {}
        self.keys: dict[tuple, Mark] = {}
        self.problems: list[Problem] = []

    def mark(self, node: yaml.Node, path: tuple) -> Mark:
        return Mark(self.file, node.start_mark.line + 1, node.start_mark.column + 1, path)

    def build(self, node: yaml.Node, path: tuple) -> Any:
        if len(path) > MAX_DEPTH or len(self.values) >= MAX_VALUES:
            raise _TooLarge(self.mark(node, path))
        self.values[path] = self.mark(node, path)
        if node.tag not in _DATA_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.problems.append(
                self.mark(node, path).problem(
                    f"the tag '{tag}' is not allowed: orgsim reads plain YAML data only"
                )
            )
            return None
        if isinstance(node, yaml.ScalarNode):
            try:
                return _scalar(node)
            except ValueError as err:
                self.problems.append(self.mark(node, path).problem(str(err)))
                return None
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.mapping(node, path)

    def mapping(self, node: yaml.MappingNode, path: tuple) -> dict:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        merged: list[yaml.MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self._merge_sources(value_node, path))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(self.mark(key_node, path).problem("a key must be plain text"))
                continue
            key = key_node.value
            here = (*path, key)
            if _CONTROL.search(key):
                self.problems.append(
                    self.mark(key_node, path).problem("a key holds a control character")
                )
                continue
            if key in first_seen:
                self.problems.append(
                    self.mark(key_node, here).problem(
                        f"duplicate key '{key}' (first written at line {first_seen[key]})"
                    )
                )
                continue
            first_seen[key] = key_node.start_mark.line + 1
            self.keys[here] = self.mark(key_node, here)
            result[key] = self.build(value_node, here)
        for source in merged:  # `<<: *defaults` fills in keys not written here
            for key_node, value_node in source.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value not in result:
                    here = (*path, key_node.value)
                    self.keys[here] = self.mark(key_node, here)
                    result[key_node.value] = self.build(value_node, here)
        return result

    def _merge_sources(self, node: yaml.Node, path: tuple) -> Iterator[yaml.MappingNode]:
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        for item in items:
            if isinstance(item, yaml.MappingNode):
                yield item
            else:
                self.problems.append(self.mark(item, path).problem("'<<' merges mappings only"))
