"""Numbers as JSON writes them: JSON has no NaN or Infinity, so an undefined value is null."""

from __future__ import annotations

import math


def json_number(x: float | None) -> float | None:
    """A finite float, or None for a value that is undefined (NaN), infinite or missing."""
    return None if x is None or not math.isfinite(x) else float(x)
