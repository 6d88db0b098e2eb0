"""The generic summariser: finals per seed, their statistics, the tables beside the paper.

Statistics over seeds (``stats``): ``mean``, ``std`` (population, ``ddof = 0``), ``ci95``
(the half-width ``1.96 · s / √n`` of the mean's 95% interval, ``s`` with ``ddof = 1``),
``median`` and ``n``. A paper's number is printed beside ours only for rows whose cell
config matches the setting the paper ran (:class:`~prosocial.experiments.spec.Paper`);
when the paper's spread is a 95% interval, a † marks our mean outside it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from prosocial.experiments.spec import Bar, CellData, Preset, Table

OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
REDUCE = {"mean": np.mean, "min": np.min, "max": np.max}


def stats(values: Sequence[float] | np.ndarray) -> dict[str, float]:
    """``mean``, ``std``, ``ci95``, ``median`` and ``n`` of per-seed values."""
    v = np.asarray(values, dtype=float)
    n = v.size
    ci = 1.96 * v.std(ddof=1) / math.sqrt(n) if n > 1 else 0.0
    reached = v[np.isfinite(v)]
    return {
        "mean": float(v.mean()) if n else math.nan,
        "std": float(v.std()) if n else math.nan,
        "ci95": float(ci),
        "median": float(np.median(reached)) if reached.size else math.nan,
        "reached": int(reached.size),
        "n": int(n),
    }


def compute_finals(preset: Preset, data: Mapping[str, CellData]) -> dict[str, dict]:
    """Per cell: ``{"meta", "finals": {name: per-seed list}, "stats": {name: stats}}``."""
    out = {}
    for label, cell_data in data.items():
        finals = {}
        for name, fn in preset.finals.items():
            try:
                finals[name] = np.asarray(fn(cell_data), dtype=float)
            except KeyError:  # a final of metrics this cell does not log
                continue
        out[label] = {
            "meta": dict(cell_data.cell.meta),
            "finals": {k: v.tolist() for k, v in finals.items()},
            "stats": {k: stats(v) for k, v in finals.items()},
        }
    return out


def _fmt(s: Mapping[str, float], stat: str, digits: int) -> str:
    if stat == "reach":
        if not s["reached"]:
            return "never"
        return f"{s['median']:.{digits}f} ({s['reached']}/{s['n']})"
    if stat == "median":
        return f"{s['median']:.{digits}f}"
    if stat == "mean":
        return f"{s['mean']:.{digits}f}"
    spread = s["ci95"] if stat == "mean_ci95" else s["std"]
    return f"{s['mean']:.{digits}f} ± {spread:.{digits}f}"


def _paper_cell(ref: tuple[float, float] | None, spread: str, digits: int) -> str:
    if ref is None:
        return "–"
    if spread == "single":
        return f"{ref[0]:.{digits}f} (1 run)"
    return f"{ref[0]:.{digits}f} ± {ref[1]:.{digits}f}"


def _setting_gap(paper, config: Any) -> list[str]:
    """The fields on which ``config`` differs from the setting the paper ran."""
    gaps = []
    for name, value in paper.setting.items():
        ours = getattr(config, name, value)
        if ours != value:
            gaps.append(f"{name}={ours} (paper: {value})")
    return gaps


def table(spec: Table, cells: Mapping[str, dict], configs: Mapping[str, Any]) -> dict:
    """One table: header and formatted rows, the paper's column, flags and bars."""
    labels = list(spec.cells) if spec.cells is not None else list(cells)
    labels = [label for label in labels if label in cells]
    paper = spec.paper
    keys = (paper.keys or spec.rows) if paper else ()
    header = list(spec.rows)
    for col in spec.columns:
        header.append(col.title)
        if col.paper and paper:
            header.append(f"paper {col.title}")
    rows, flags, missing = [], [], []
    for label in labels:
        entry = cells[label]
        row = [str(entry["meta"].get(k, "")) for k in spec.rows]
        gaps = _setting_gap(paper, configs[label]) if paper else []
        values = None
        if paper and not gaps:
            values = paper.values.get(tuple(entry["meta"].get(k) for k in keys))
        if paper and gaps:
            missing.append(f"{label}: {', '.join(gaps)}")
        for col in spec.columns:
            s = entry["stats"].get(col.final)
            cell = "–" if s is None else _fmt(s, col.stat, col.digits)
            ref = values.get(col.final) if values else None
            if ref is not None and s is not None and paper.spread == "ci95":
                if abs(s["mean"] - ref[0]) > ref[1]:
                    cell += " †"
                    flags.append(
                        f"{label}, {col.title}: ours {s['mean']:.{col.digits}f}, "
                        f"paper {ref[0]:.{col.digits}f} ± {ref[1]:.{col.digits}f}"
                    )
            row.append(cell)
            if col.paper and paper:
                row.append(_paper_cell(ref, paper.spread, col.digits))
        rows.append(row)
    return {
        "title": spec.title,
        "intro": spec.intro,
        "header": header,
        "rows": rows,
        "paper": None
        if paper is None
        else {
            "source": paper.source,
            "spread": paper.spread,
            "not_run_by_paper": missing,
        },
        "flags": flags,
        "bars": [bar(b, cells) for b in spec.bars],
        "notes": list(spec.notes),
    }


def bar(spec: Bar, cells: Mapping[str, dict]) -> dict:
    """Whether a bar is met, with the value it was judged on."""
    finals = cells.get(spec.cell, {}).get("finals", {}).get(spec.final)
    if finals is None:
        return {"text": spec.text, "met": False, "value": "not run"}
    value = float(REDUCE[spec.reduce](np.asarray(finals, dtype=float)))
    met = bool(OPS[spec.op](value, spec.value))  # False for NaN
    return {"text": spec.text, "met": met, "value": f"{spec.reduce} {value:.4g}"}
