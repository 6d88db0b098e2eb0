"""Per-seed figures read from a cell's logged metrics: the finals a table prints.

Each constructor returns a function ``CellData -> (seeds,)``. Metrics arrive as
``(seeds, rows, ...)``; ``agg`` reduces the trailing axes (per-player values) with
``mean``, ``prod``, ``sum``, ``min`` or ``max``, or picks one entry with an integer.

Example:
    >>> finals = {"p_coop": last("policy/p_coop", agg="mean"),
    ...           "aar": over_rows("planner/extra_abs")}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from prosocial.experiments.spec import CellData

AGGREGATES: dict[str, Callable[..., np.ndarray]] = {
    "mean": np.mean,
    "prod": np.prod,
    "sum": np.sum,
    "min": np.min,
    "max": np.max,
}


def _agg(values: np.ndarray, agg: str | int | None, base_ndim: int) -> np.ndarray:
    """Reduce the axes beyond the first ``base_ndim`` of ``values``."""
    if values.ndim == base_ndim or agg is None:
        return values
    if isinstance(agg, int):
        return values[(slice(None),) * base_ndim + (agg,)]
    axes = tuple(range(base_ndim, values.ndim))
    return AGGREGATES[agg](values, axis=axes)


def last(metric: str, agg: str | int | None = None) -> Callable[[CellData], np.ndarray]:
    """The metric at the cell's last logged row."""

    def final(data: CellData) -> np.ndarray:
        return _agg(np.asarray(data.metrics[metric])[:, -1], agg, 1)

    return final


def over_rows(metric: str, agg: str | int | None = None) -> Callable[[CellData], np.ndarray]:
    """The metric's mean over every logged row of the cell."""

    def final(data: CellData) -> np.ndarray:
        return _agg(np.asarray(data.metrics[metric]), agg, 2).mean(axis=1)

    return final


def at(
    metric: str, x: Callable[[Any], float] | float, agg: str | int | None = None
) -> Callable[[CellData], np.ndarray]:
    """The metric at the last logged row whose x value is at most ``x`` (a number or a
    function of the cell config)."""

    def final(data: CellData) -> np.ndarray:
        where = x(data.cell.config) if callable(x) else x
        row = int(np.searchsorted(data.x, where, side="right")) - 1
        return _agg(np.asarray(data.metrics[metric])[:, max(row, 0)], agg, 1)

    return final


def first_reach(
    metric: str, level: float, agg: str | int | None = None
) -> Callable[[CellData], np.ndarray]:
    """Per seed, the first logged x at which the metric is at least ``level`` (NaN: never)."""

    def final(data: CellData) -> np.ndarray:
        values = _agg(np.asarray(data.metrics[metric]), agg, 2)
        reached = values >= level
        x = np.asarray(data.x, dtype=float)
        return np.where(reached.any(axis=1), x[reached.argmax(axis=1)], np.nan)

    return final


def finished(name: str, agg: str | int | None = None) -> Callable[[CellData], np.ndarray]:
    """A figure the program read from the final state (``Program.finish``)."""

    def final(data: CellData) -> np.ndarray:
        return _agg(np.asarray(data.finished[name]), agg, 1)

    return final
