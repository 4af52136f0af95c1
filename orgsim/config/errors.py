"""Problems in a planner's files, reported as `FILE:LINE:COL: dotted.path: message`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from orgsim.text import one_line, printable


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) at one place in one file."""

    file: str
    line: int
    col: int
    path: str
    message: str
    warning: bool = False

    @classmethod
    def unplaced(cls, source: str, path: str, message: str) -> Problem:
        """A problem with no line to point at (a command-line value, a folder, a missing
        extra): reported at line 1, column 1 of `source`."""
        return cls(source, 1, 1, path, message)

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return (  # one problem, one line
            f"{self.file}:{self.line}:{self.col}: {printable(self.path)}: {kind}"
            f"{one_line(self.message)}"
        )


class ConfigError(Exception):
    """Every problem found, all at once; raised instead of a traceback-worthy error."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def unplaced(cls, source: str, path: str, message: str) -> ConfigError:
        """One problem with no line to point at (see `Problem.unplaced`)."""
        return cls([Problem.unplaced(source, path, message)])


def dotted(path: tuple) -> str:
    """`('journey', 'mql', 'outcomes', 'sql')` -> `journey.mql.outcomes.sql`."""
    return ".".join(str(part) for part in path) if path else "<document>"
