"""Presets as data: the cells a preset runs, the figures it reads, its tables and figures.

A :class:`Preset` declares

- ``config``: a frozen :class:`~prosocial.experiments.fields.Config` (every field
  overridable from the command line, with its documentation and bounds);
- ``program``: the registered training program that trains its cells
  (:mod:`prosocial.experiments.program`);
- ``cells(config)``: the cells it runs, each a labelled cell config with the row keys a
  table reads (``meta``), built from the *resolved* config, so that labels and titles
  always name what ran;
- ``finals``: per-seed figures read from a cell's metrics (:mod:`.finals`);
- ``tables``: what :mod:`.summary` computes and :mod:`.render` prints: rows, columns, the
  statistic, and the paper's numbers with the setting they hold for;
- ``figures(config, cells)``: figure specifications written into the run directory and
  drawn by :mod:`prosocial.plots` from the run directory alone.

Running, summarising, comparing with the paper and rendering are generic; a new table is
a new data entry. Where a table needs something that is really its own (a selection rule,
a paired comparison), it adds an :class:`Analysis`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from prosocial.registry import Registry


@dataclass(frozen=True)
class Cell:
    """One configuration a preset runs, with all its seeds.

    Attributes:
        label: unique within the preset (``prisoners_dilemma/none``); the ``cell`` column
            of ``metrics.csv``.
        config: the program's cell config.
        meta: the row keys a table or figure reads (``{"game": "Chicken", ...}``).
    """

    label: str
    config: Any
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class CellData:
    """What a final reads: the cell, its metrics ``(seeds, rows, ...)``, its x values
    ``(rows,)``, and figures read from its final state ``(seeds, ...)``."""

    cell: Cell
    metrics: Mapping[str, np.ndarray]
    x: np.ndarray
    finished: Mapping[str, np.ndarray] = field(default_factory=dict)


Final = Callable[[CellData], np.ndarray]
"""A per-seed figure of a cell: ``CellData -> (seeds,)``."""


@dataclass(frozen=True)
class Paper:
    """A paper's numbers for a table, and the setting they hold for.

    Attributes:
        source: where they are printed (``thesis Table 4.2``).
        values: ``row key -> final -> (mean, spread)``; the row key is the tuple of the
            table's ``keys`` meta values of the row.
        spread: what the spread is: ``std``, ``ci95``, or ``single`` (one run, no spread).
        setting: cell-config fields and the values the paper ran; a row whose config
            differs on any of them has no paper number (the table says why).
        keys: the meta keys that make a row key (default: the table's ``rows``).
    """

    source: str
    values: Mapping[tuple, Mapping[str, tuple[float, float]]]
    spread: str = "std"
    setting: Mapping[str, Any] = field(default_factory=dict)
    keys: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Column:
    """A column of a table: a final and how it is printed.

    Attributes:
        final: the name of the final.
        title: the column header.
        digits: decimals printed.
        stat: ``mean_std``, ``mean_ci95``, ``mean``, ``median``.
        paper: print the paper's value of this final in a column beside it.
    """

    final: str
    title: str
    digits: int = 3
    stat: str = "mean_std"
    paper: bool = False


@dataclass(frozen=True)
class Bar:
    """A bar a table must clear: ``reduce(final over seeds of cell) op value``.

    Attributes:
        text: what the bar says, in words.
        cell: the cell label.
        final: the final.
        op: ``>=``, ``<=``, ``>`` or ``<``.
        value: the threshold.
        reduce: ``mean``, ``min`` or ``max`` over seeds (``min`` with ``>=`` means every
            seed clears it).
    """

    text: str
    cell: str
    final: str
    op: str
    value: float
    reduce: str = "mean"


@dataclass(frozen=True)
class Table:
    """A table of a preset.

    Attributes:
        title: its heading.
        rows: the meta keys printed as the leading columns of each row.
        columns: the columns.
        intro: a paragraph under the heading.
        cells: the labels of the cells that are rows, in order (default: every cell).
        paper: the paper's numbers.
        bars: the bars it must clear.
        notes: paragraphs after the table.
    """

    title: str
    rows: tuple[str, ...]
    columns: tuple[Column, ...]
    intro: str = ""
    cells: tuple[str, ...] | None = None
    paper: Paper | None = None
    bars: tuple[Bar, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figure:
    """A figure specification: drawn by ``prosocial.plots`` from the run directory.

    Attributes:
        name: the PNG's file name (without ``.png``).
        kind: a drawer of ``prosocial.plots`` (``curves``, ...).
        title: the figure's title.
        spec: everything the drawer needs (JSON-able): panels, series, labels, colours.
    """

    name: str
    kind: str
    title: str
    spec: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Analysis:
    """Something a table needs that is its own: ``(results, config) -> (summary, markdown)``.

    ``results`` maps each cell label to its :class:`CellData` and finals; the summary
    entry is stored under ``name`` in ``summary.json``, the Markdown appended to
    ``summary.md``.
    """

    name: str
    run: Callable[[Mapping[str, Any], Any], tuple[Any, str]]


@dataclass(frozen=True)
class Preset:
    """A named, reproducible experiment, declared as data.

    Attributes:
        name: ``<group>-<what>``, or the group's own name where the group is one preset.
        group: the paper or chapter (``prosocial reproduce <group>``).
        description: one line.
        config: the default config.
        program: the registered training program of its cells.
        cells: ``config -> cells``.
        finals: final name -> :data:`Final`.
        tables: ``config -> tables``.
        figures: ``(config, cells) -> figure specifications``.
        analyses: what is its own (a selection rule, a paired comparison).
    """

    name: str
    group: str
    description: str
    config: Any
    program: str
    cells: Callable[[Any], Sequence[Cell]]
    finals: Mapping[str, Final]
    tables: Callable[[Any], Sequence[Table]]
    figures: Callable[[Any, Sequence[Cell]], Sequence[Figure]] = lambda config, cells: ()
    analyses: tuple[Analysis, ...] = ()


PRESETS: Registry[Preset] = Registry("preset")


def register(preset: Preset) -> Preset:
    PRESETS.register(preset.name, lambda: preset)
    return preset
