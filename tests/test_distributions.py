"""Every distribution samples what its parameters say, within confidence intervals."""

import math

import numpy as np
import pytest
from pydantic import BaseModel, ValidationError

from orgsim.config.distributions import BySegment, DurationDist, NumberDist, resolve

N = 200_000
Z = 4.0  # a 4-sigma band: a correct sampler fails it about once in 16,000 runs


class Holder(BaseModel):
    duration: DurationDist = 0.0
    number: NumberDist = 0.0


CASES = [
    # (field, written, mean in field units, cv)
    ("number", {"dist": "constant", "value": 3}, 3.0, 0.0),
    ("duration", {"dist": "exponential", "mean": "2h"}, 2.0, 1.0),
    ("duration", {"dist": "lognormal", "mean": "1h", "cv": 0.3}, 1.0, 0.3),
    ("number", {"dist": "lognormal", "mean": 30000, "cv": 0.6}, 30000.0, 0.6),
    ("duration", {"dist": "gamma", "mean": "5d", "cv": 0.5}, 120.0, 0.5),
    ("duration", {"dist": "uniform", "low": "1h", "high": "3h"}, 2.0, (2 / math.sqrt(12)) / 2),
    (
        "number",
        {"dist": "triangular", "low": 1, "mode": 2, "high": 6},
        3.0,
        math.sqrt((1 + 36 + 4 - 6 - 2 - 12) / 18) / 3,
    ),
    ("number", {"dist": "empirical", "values": [1, 2, 2, 7]}, 3.0, float(np.std([1, 2, 2, 7]) / 3)),
    ("duration", "45min", 0.75, 0.0),
]


@pytest.mark.parametrize(("field", "written", "mean", "cv"), CASES)
def test_mean_and_cv_within_confidence(field, written, mean, cv):
    dist = resolve(getattr(Holder(**{field: written}), field))
    assert dist.expected() == pytest.approx(mean)
    assert dist.variation() == pytest.approx(cv)
    x = dist.sample(np.random.default_rng(12345), N)
    sd = cv * mean
    if sd == 0:
        assert np.all(x == mean)
        return
    assert abs(x.mean() - mean) < Z * sd / math.sqrt(N)
    # the sample variance's own standard error, from the sample's fourth moment
    m4 = np.mean((x - x.mean()) ** 4)
    se_var = math.sqrt((m4 - x.var() ** 2) / N)
    assert abs(x.var(ddof=1) - sd**2) < Z * se_var


def test_by_segment_picks_each_segments_distribution():
    holder = Holder(
        duration={"by_segment": {"smb": "21d", "ent": {"dist": "exponential", "mean": "100d"}}}
    )
    assert isinstance(holder.duration, BySegment)
    assert resolve(holder.duration, "smb").expected() == 21 * 24
    assert resolve(holder.duration, "ent").expected() == 100 * 24


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ({"dist": "weibull", "mean": "1h"}, "unknown distribution 'weibull'"),
        ({"dist": "gama", "mean": "1h", "cv": 1}, "did you mean 'gamma'"),
        ({"mean": "1h"}, "needs 'dist'"),
        ({"dist": "gamma", "mean": "1h"}, "Field required"),
        ({"dist": "lognormal", "mean": "1h", "cv": 0}, "greater than or equal to 0.001"),
        ({"dist": "uniform", "low": "3h", "high": "1h"}, "low must not exceed high"),
        ({"dist": "exponential", "mean": 2}, "needs a unit"),
        ({"by_segment": {"smb": {"by_segment": {}}}}, "cannot be nested"),
    ],
)
def test_bad_distributions_are_refused(written, says):
    with pytest.raises(ValidationError, match=says):
        Holder(duration=written)
