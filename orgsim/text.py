"""Text from a user's files, made safe to show anywhere.

A scenario's name, a description or a path is data: shown in a terminal, a report or a
problem line, it must not move the cursor, colour the terminal, reorder a line (U+202E) or
fail to encode (a lone surrogate). Imports nothing, so any layer may use it.
"""


def printable(text: str) -> str:
    """Every character that is not printable (controls, bidirectional and other format
    characters, surrogates) shown as its escape (`\\x1b`, `\\u202e`)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def one_line(text: str) -> str:
    """A user's text on one line: each run of whitespace (a description's line breaks) one
    space, then `printable`."""
    return printable(" ".join(str(text).split()))
