"""A config model's field docstrings become its fields' descriptions, read from one parse of
its module's source.

pydantic's own `use_attribute_docstrings` does the same but, before Python 3.13, walks the
interpreter's stack and tokenizes each class's source anew: 0.05 s of every command's start
(benchmarks/startup.py). Here each module's source is parsed once, when its first model is
defined, and a docstring is written into the field as if given with
`Field(description=...)`, unless the field already has a description of its own or is
given as a `Field(...)` (pydantic keeps only what a Field was given: describe it there).
"""

from __future__ import annotations

import ast
import inspect
import sys
from functools import cache
from itertools import pairwise

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo


def describe(cls: type[BaseModel]) -> None:
    """Write each field docstring of a model class being defined into its field, before
    pydantic collects the fields (call it from the base class's `__init_subclass__`)."""
    for field, doc in _docstrings(cls.__module__, cls.__qualname__).items():
        value = cls.__dict__.get(field, ...)
        if not isinstance(value, FieldInfo):  # a Field(...) keeps only what it was given:
            setattr(cls, field, Field(value, description=doc))  # describe it there


def _docstrings(module: str, qualname: str) -> dict[str, str]:
    """Each field of the class and the string written under it, where the field gives no
    description itself (in `Field(description=...)`, in its annotation or its value)."""
    return _by_class(getattr(sys.modules.get(module), "__file__", None)).get(qualname, {})


@cache
def _by_class(path: str | None) -> dict[str, dict[str, str]]:
    """Every class of a source file, by qualified name, with its fields' docstrings."""
    try:
        with open(path, encoding="utf-8") as file:  # type: ignore[arg-type]
            tree = ast.parse(file.read())
    except (OSError, TypeError, SyntaxError):
        return {}
    found: dict[str, dict[str, str]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                found[prefix + node.name] = _fields(node.body)
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(node.body, f"{prefix}{node.name}.<locals>.")

    visit(tree.body, "")
    return found


def _fields(body: list[ast.stmt]) -> dict[str, str]:
    docs = {}
    for node, after in pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and not node.target.id.startswith("_")
            and "ClassVar" not in ast.unparse(node.annotation)
            and not _describes(node)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(after.value.value)
    return docs


def _describes(node: ast.AnnAssign) -> bool:
    """Whether the field's annotation or value already gives a description."""
    return any(
        isinstance(kw, ast.keyword) and kw.arg == "description"
        for part in (node.annotation, node.value)
        if part is not None
        for kw in ast.walk(part)
    )
