"""Distributions a planner can put wherever a value varies from lead to lead.

A plain value is a constant; otherwise a mapping with `dist` and its
parameters, in the units of the field (a duration field takes `mean: 4h`, a
money field `mean: 9000`). Lead-level fields may also take `by_segment`, one
distribution per segment.

Each distribution knows its mean and coefficient of variation (the capacity
model needs them) and samples a numpy array from a numpy Generator (the
engine draws in vectorised blocks, never one number at a time).
"""

from __future__ import annotations

import difflib
import math
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, create_model
from pydantic import model_validator as _model_validator
from pydantic_core import PydanticCustomError

from orgsim.config.described import describe
from orgsim.config.units import Duration, Number

if TYPE_CHECKING:
    import numpy as np


def _numpy():
    """numpy, imported at the first draw: `orgsim validate` never draws, and starts 0.05 s
    sooner without it (benchmarks/startup.py)."""
    import numpy

    return numpy


class Frozen(BaseModel):
    """Base of every config model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init_subclass__(cls, **kwargs):
        """A field's docstring is its description (`described`): in `orgsim schema` (editors
        show it on hover) and in docs/reference.md, generated from these models."""
        describe(cls)
        super().__init_subclass__(**kwargs)


Q = TypeVar("Q")
NonNegative = Field(ge=0)
Positive = Field(gt=0)
_UNIT_NAMES = {id(Duration): "Duration", id(Number): "Number"}
CV = (
    "Coefficient of variation: standard deviation / mean, from 0.001 (a constant would say "
    "it better) to 100 (beyond, the draws overflow)."
)


class Distribution(Frozen, ABC):
    """What every family offers the engine and the capacity model."""

    @classmethod
    def model_parametrized_name(cls, params: tuple[Any, ...]) -> str:
        return cls.__name__ + _UNIT_NAMES.get(id(params[0]), "")

    def expected(self) -> float:
        """The mean, in the field's unit (hours for durations)."""
        return self.mean  # type: ignore[attr-defined]

    def variation(self) -> float:
        """Coefficient of variation (standard deviation / mean)."""
        return self.cv  # type: ignore[attr-defined]

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` independent draws, as a numpy array."""


class Constant(Distribution, Generic[Q]):
    dist: Annotated[Literal["constant"], Field(description="`constant`.")]
    value: Annotated[Q, NonNegative, Field(description="The value every draw takes.")]

    def expected(self) -> float:
        return self.value

    def variation(self) -> float:
        return 0.0

    def sample(self, rng, size):
        return _numpy().full(size, float(self.value))


class Exponential(Distribution, Generic[Q]):
    dist: Annotated[Literal["exponential"], Field(description="`exponential`.")]
    mean: Annotated[Q, NonNegative, Field(description="The mean (memoryless: cv 1).")]

    def variation(self) -> float:
        return 1.0

    def sample(self, rng, size):
        return rng.exponential(self.mean, size) if self.mean > 0 else _numpy().zeros(size)


class LogNormal(Distribution, Generic[Q]):
    dist: Annotated[Literal["lognormal"], Field(description="`lognormal`.")]
    mean: Annotated[Q, Positive, Field(description="The mean.")]
    cv: Annotated[Number, Field(ge=0.001, le=100, description=CV)]

    def sample(self, rng, size):
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), size)


class Gamma(Distribution, Generic[Q]):
    dist: Annotated[Literal["gamma"], Field(description="`gamma`.")]
    mean: Annotated[Q, Positive, Field(description="The mean.")]
    cv: Annotated[Number, Field(ge=0.001, le=100, description=CV)]

    def sample(self, rng, size):
        shape = 1 / self.cv**2
        return rng.gamma(shape, self.mean / shape, size)


class Uniform(Distribution, Generic[Q]):
    dist: Annotated[Literal["uniform"], Field(description="`uniform`.")]
    low: Annotated[Q, NonNegative, Field(description="Smallest value.")]
    high: Annotated[Q, NonNegative, Field(description="Largest value.")]

    @_model_validator(mode="after")
    def _ordered(self):
        if self.low > self.high:
            raise PydanticCustomError("order", "low must not exceed high")
        return self

    def expected(self) -> float:
        return (self.low + self.high) / 2

    def variation(self) -> float:
        mean = self.expected()
        return (self.high - self.low) / math.sqrt(12) / mean if mean else 0.0

    def sample(self, rng, size):
        return rng.uniform(self.low, self.high, size)


class Triangular(Distribution, Generic[Q]):
    dist: Annotated[Literal["triangular"], Field(description="`triangular`.")]
    low: Annotated[Q, NonNegative, Field(description="Smallest value.")]
    mode: Annotated[Q, NonNegative, Field(description="Most likely value.")]
    high: Annotated[Q, NonNegative, Field(description="Largest value.")]

    @_model_validator(mode="after")
    def _ordered(self):
        if not self.low <= self.mode <= self.high:
            raise PydanticCustomError("order", "need low <= mode <= high")
        return self

    def expected(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def variation(self) -> float:
        a, c, b = self.low, self.mode, self.high
        var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        mean = self.expected()
        return math.sqrt(var) / mean if mean else 0.0

    def sample(self, rng, size):
        if self.low == self.high:
            return _numpy().full(size, float(self.low))
        return rng.triangular(self.low, self.mode, self.high, size)


class Empirical(Distribution, Generic[Q]):
    dist: Annotated[Literal["empirical"], Field(description="`empirical`.")]
    values: Annotated[
        list[Annotated[Q, NonNegative]],
        Field(min_length=1, description="Observed values; each draw picks one at random."),
    ]

    def expected(self) -> float:
        return float(_numpy().mean(self.values))

    def variation(self) -> float:
        mean = self.expected()
        return float(_numpy().std(self.values) / mean) if mean else 0.0

    def sample(self, rng, size):
        return rng.choice(_numpy().asarray(self.values, dtype=float), size)


FAMILIES = {
    "constant": Constant,
    "exponential": Exponential,
    "lognormal": LogNormal,
    "gamma": Gamma,
    "uniform": Uniform,
    "triangular": Triangular,
    "empirical": Empirical,
}


class BySegment(Frozen):
    """One value per segment; the semantic checks make it cover every segment."""

    by_segment: dict[str, Any]
    """One value per segment name (`{smb: 21d, ent: 100d}`)."""

    def for_segment(self, segment: str) -> Any:
        return self.by_segment[segment]


def _branch(value: Any) -> str:
    """Which branch of a distribution field a value belongs to."""
    if isinstance(value, BySegment):
        return "by_segment"
    if isinstance(value, Distribution):
        return f"dist:{value.dist}"  # type: ignore[attr-defined]
    if isinstance(value, dict):
        return "by_segment" if "by_segment" in value else f"dist:{value.get('dist')}"
    return "plain"


def _check_shape(allow_by_segment: bool):
    """Say clearly what is wrong with a mapping before pydantic tries the branches."""

    def check(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        if "by_segment" in value:
            if not allow_by_segment:
                raise PydanticCustomError(
                    "by_segment", "by_segment is not allowed here: by_segment cannot be nested"
                )
            extra = sorted(set(value) - {"by_segment"})
            if extra:
                raise PydanticCustomError(
                    "by_segment", f"by_segment stands alone; remove {', '.join(extra)}"
                )
            if not isinstance(value["by_segment"], dict):
                raise PydanticCustomError("by_segment", "by_segment takes a mapping of segments")
            return value
        if "dist" not in value:
            raise PydanticCustomError(
                "dist", f"a distribution needs 'dist' (one of {', '.join(FAMILIES)})"
            )
        name = value["dist"]
        if not isinstance(name, str) or name not in FAMILIES:
            close = difflib.get_close_matches(str(name), FAMILIES, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (use {', '.join(FAMILIES)})"
            raise PydanticCustomError("dist", f"unknown distribution '{name}'{hint}")
        return value

    return check


def _field_type(quantity: Any, *, by_segment: bool):
    plain = Annotated[Annotated[quantity, NonNegative], Tag("plain")]
    branches = [plain] + [Annotated[fam[quantity], Tag(f"dist:{n}")] for n, fam in FAMILIES.items()]
    if by_segment:
        inner = _field_type(quantity, by_segment=False)
        per_segment = _by_segment_model(quantity, inner)
        branches.append(Annotated[per_segment, Tag("by_segment")])
    return Annotated[
        Union[tuple(branches)],  # noqa: UP007 - a union built at import time
        Discriminator(_branch),
        BeforeValidator(_check_shape(by_segment)),
    ]


def _by_segment_model(quantity: Any, inner: Any) -> type[BySegment]:
    name = f"BySegment{_UNIT_NAMES.get(id(quantity), '')}"
    model = create_model(
        name, __base__=BySegment, __module__=__name__, by_segment=(dict[str, inner], ...)
    )
    globals()[name] = model  # so that pickle finds it
    return model


DurationDist = _field_type(Duration, by_segment=True)
"""A lead-level duration: buyer delay, effort, handoff delay."""
NumberDist = _field_type(Number, by_segment=True)
"""A number: a deal value, a value change at renewal, a rep's skill."""
ProbabilityValue = Annotated[Number, Field(ge=0, le=1)]


def _probability_branch(value: Any) -> str:
    if isinstance(value, BySegment) or (isinstance(value, dict) and "by_segment" in value):
        return "by_segment"
    return "plain"


class BySegmentProbability(BySegment):
    by_segment: dict[str, ProbabilityValue]


Probability = Annotated[
    Union[  # noqa: UP007
        Annotated[ProbabilityValue, Tag("plain")],
        Annotated[BySegmentProbability, Tag("by_segment")],
    ],
    Discriminator(_probability_branch),
]
"""An outcome probability: a number in [0, 1] or one per segment."""


def resolve(value: Any, segment: str | None = None) -> Distribution:
    """The distribution that applies to a lead of `segment` (plain numbers become constants)."""
    if isinstance(value, BySegment):
        value = value.for_segment(segment)
    if isinstance(value, Distribution):
        return value
    return Constant[Number](dist="constant", value=float(value))


def probability(value: Any, segment: str | None = None) -> float:
    """The probability that applies to a lead of `segment`."""
    return float(value.for_segment(segment) if isinstance(value, BySegment) else value)


def _register_for_pickling() -> None:
    """Give every generated model a module-level name, so pickle can find it again
    (sweeps ship scenarios to other processes)."""
    for quantity in (Duration, Number):
        for family in FAMILIES.values():
            model = family[quantity]
            globals()[model.__name__] = model
            model.__qualname__ = model.__name__
            model.__module__ = __name__


_register_for_pickling()
