"""Aggregation over replications: the mean and its 95% confidence interval (Student t)."""

from __future__ import annotations

import math
from collections.abc import Sequence

# Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond.
_T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


def t975(dof: int) -> float:
    assert dof >= 1, "a confidence interval needs at least two replications"
    return _T975[dof - 1] if dof <= len(_T975) else 1.96


def mean_ci(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, low, high): the 95% interval of the mean; a single value is its own band."""
    n = len(values)
    assert n > 0, "no values to aggregate"
    mean = math.fsum(values) / n
    if n == 1:
        return mean, mean, mean
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = t975(n - 1) * math.sqrt(var / n)
    return mean, mean - half, mean + half


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2.0


def fmt(value: float | None) -> str:
    """Stable text for a number: integers as such, others with 6 significant digits."""
    if value is None:
        return ""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def rounded(value: float | None) -> float | int | None:
    """A JSON-stable number: whole numbers as ints, others to 6 significant digits."""
    if value is None or math.isnan(value):
        return None
    if value == int(value) and abs(value) < 1e15:
        return int(value)
    return float(f"{value:.6g}")
