"""One table over many run directories: ``report(paths, out)``.

A run directory holds ``config.json`` and, once complete, ``summary.json`` (see the
run-directory format of ``prosocial.experiments``). :func:`collect` finds them under the
given paths; :func:`report` groups their cells by (preset, the config fields whose values
differ between the runs of that preset, cell label), pools the per-seed finals of every
run in a group, and writes ``report.md``, ``report.json`` and ``report.png``.

Each entry of the table is ``mean ± h`` with the 95% half-width ``h = 1.96 · s / √n``
(``s`` the sample standard deviation, ``ddof = 1``; ``n`` the pooled seeds), and ``–`` in
place of ``h`` when ``n < 2``. The fields named in ``POOLED`` (the PRNG seed and the seed
count) never split a group: runs that differ only in them are replications, so their
seeds are pooled.

This module reads files only and draws with matplotlib's object API.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prosocial.errors import ProsocialError
from prosocial.experiments.collect import RunInfo, as_float, collect
from prosocial.experiments.render import markdown_table
from prosocial.experiments.rundir import write_atomic

POOLED = ("seed", "seeds")
"""Config fields that never split a group: runs differing only in them are pooled."""

DASH = "–"


# ---------------------------------------------------------------- aggregating


@dataclass(frozen=True)
class Stat:
    """Mean and 95% half-width of one final over the pooled seeds (ci95 None when n < 2)."""

    mean: float
    std: float | None
    ci95: float | None
    n: int


def stat(values: Sequence[float]) -> Stat:
    """Mean, sample std (ddof = 1) and ``1.96 · std / √n`` of ``values``."""
    n = len(values)
    if n == 0:
        return Stat(math.nan, None, None, 0)
    mean = math.fsum(values) / n
    if n < 2:
        return Stat(mean, None, None, n)
    if all(math.isfinite(v) for v in values):
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    else:
        std = math.nan
    return Stat(mean, std, 1.96 * std / math.sqrt(n), n)


@dataclass(frozen=True)
class Row:
    """One row of the table: a group's pooled finals.

    Attributes:
        preset: the preset's name.
        fields: the varying fields' values (display strings), in ``Report.fields`` order;
            a field that does not vary within this preset shows its single value.
        cell: the cell label.
        runs: the run directories pooled into this row.
        stats: final name -> :class:`Stat`.
    """

    preset: str
    fields: dict[str, str]
    cell: str
    runs: tuple[Path, ...]
    stats: dict[str, Stat]


@dataclass
class Report:
    """What :func:`report` returns.

    Attributes:
        markdown: the text of report.md.
        rows: the table's rows.
        finals: the table's final columns, in order.
        fields: the varying fields, in order (the union over presets).
        varying: preset -> the fields that vary between its runs.
        runs: every run found (complete, incomplete, malformed).
        figure_final: the final drawn in report.png, or None when nothing was drawn.
        paths: the files written (report.md, report.json, report.png); empty without ``out``.
    """

    markdown: str
    rows: list[Row]
    finals: list[str]
    fields: list[str]
    varying: dict[str, list[str]]
    runs: list[RunInfo]
    figure_final: str | None = None
    paths: list[Path] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The numbers of the report, JSON-ready (NaN/inf as strings, like summary.json)."""
        return {
            "runs": [
                {
                    "path": str(r.path),
                    "status": r.status,
                    "preset": r.preset,
                    "problem": r.problem,
                }
                for r in self.runs
            ],
            "varying": self.varying,
            "fields": self.fields,
            "pooled": list(POOLED),
            "finals": self.finals,
            "rows": [
                {
                    "preset": row.preset,
                    "fields": row.fields,
                    "cell": row.cell,
                    "runs": [str(p) for p in row.runs],
                    "finals": {
                        name: {
                            "mean": _json_float(s.mean),
                            "std": _json_float(s.std),
                            "ci95": _json_float(s.ci95),
                            "n": s.n,
                        }
                        for name, s in row.stats.items()
                    },
                }
                for row in self.rows
            ],
        }


def _json_float(x: float | None) -> float | str | None:
    if x is None or math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _display(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(_display(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "none"
    return str(value)


_MISSING = object()


def _sort_key(value: Any) -> tuple:
    """Numbers before everything else and in numeric order; then the JSON text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    if value is _MISSING:
        return (2, 0.0, "")
    return (1, 0.0, _canon(value))


def varying_fields(runs: Sequence[RunInfo]) -> list[str]:
    """Config fields whose values differ between ``runs`` (POOLED fields excluded).

    A field that some runs lack counts as differing. Order: first appearance.
    """
    names: dict[str, None] = {}
    for r in runs:
        names.update(dict.fromkeys(r.config))
    out = []
    for name in names:
        if name in POOLED:
            continue
        values = {_canon(r.config[name]) if name in r.config else "\0missing" for r in runs}
        if len(values) > 1:
            out.append(name)
    return out


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def cell_text(s: Stat) -> str:
    """``mean ± h`` (``–`` for ``h`` when n < 2; ``–`` alone when there are no values)."""
    if s.n == 0:
        return DASH
    return f"{_fmt(s.mean)} ± {DASH if s.ci95 is None else _fmt(s.ci95)}"


def aggregate(runs: Sequence[RunInfo]) -> tuple[list[Row], list[str], list[str], dict]:
    """Rows, final names, varying fields (union) and preset -> varying fields of ``runs``."""
    complete = [r for r in runs if r.complete]
    by_preset: dict[str, list[RunInfo]] = {}
    for r in complete:
        by_preset.setdefault(r.preset, []).append(r)
    varying = {p: varying_fields(rs) for p, rs in sorted(by_preset.items())}
    fields: list[str] = list(dict.fromkeys(f for fs in varying.values() for f in fs))
    finals: list[str] = []
    rows: list[Row] = []
    for preset, preset_runs in sorted(by_preset.items()):
        vary = varying[preset]
        groups: dict[tuple, list[RunInfo]] = {}
        for r in preset_runs:
            key = tuple(_canon(r.config.get(f, None)) if f in r.config else "\0" for f in vary)
            groups.setdefault(key, []).append(r)

        def order(key: tuple, vary=vary, groups=groups) -> tuple:
            first = groups[key][0].config
            return tuple(_sort_key(first.get(f, _MISSING)) for f in vary)

        for key in sorted(groups, key=order):
            group = groups[key]
            first = group[0].config
            shown = {f: (_display(first[f]) if f in first else DASH) for f in fields}
            labels: dict[str, None] = {}
            for r in group:
                labels.update(dict.fromkeys(r.summary["cells"]))
            for label in labels:
                pooled: dict[str, list[float]] = {}
                for r in group:
                    cell = r.summary["cells"].get(label)
                    if cell is None:
                        continue
                    for name, values in cell["finals"].items():
                        pooled.setdefault(name, []).extend(as_float(v) for v in values)
                for name in pooled:
                    if name not in finals:
                        finals.append(name)
                rows.append(
                    Row(
                        preset=preset,
                        fields=shown,
                        cell=str(label),
                        runs=tuple(r.path for r in group if label in r.summary["cells"]),
                        stats={name: stat(v) for name, v in pooled.items()},
                    )
                )
    return rows, finals, fields, varying


# ---------------------------------------------------------------- writing


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(
    rows: Sequence[Row],
    finals: Sequence[str],
    fields: Sequence[str],
    varying: dict[str, list[str]],
    runs: Sequence[RunInfo],
    paths: Sequence[Path],
    figure: str | None,
) -> str:
    complete = [r for r in runs if r.complete]
    skipped = [r for r in runs if not r.complete]
    lines = ["# Report", ""]
    lines.append(
        f"{len(complete)} complete run{'s' * (len(complete) != 1)} under "
        + ", ".join(f"`{p}`" for p in paths)
        + (f"; {len(skipped)} skipped (listed below)." if skipped else ".")
    )
    lines.append("")
    for preset, vary in varying.items():
        n = sum(r.preset == preset for r in complete)
        shown = ", ".join(f"`{f}`" for f in vary) if vary else "none (every run has one config)"
        lines.append(f"- `{preset}` ({n} runs): fields that vary: {shown}")
    lines.append("")
    lines.append(
        "Each entry is mean ± 95% half-width 1.96·s/√n over the seeds of every run with the "
        f"same preset, varying fields and cell (n seeds pooled; {DASH} when n < 2; "
        f"runs differing only in {', '.join(f'`{p}`' for p in POOLED)} are pooled)."
    )
    lines.append("")
    for preset in dict.fromkeys(row.preset for row in rows):
        mine = [row for row in rows if row.preset == preset]
        own = [f for f in finals if any(f in row.stats for row in mine)]
        own_fields = [f for f in fields if f in varying.get(preset, [])]
        table = []
        for row in mine:
            ns = sorted({s.n for s in row.stats.values()})
            n_text = DASH if not ns else (str(ns[0]) if len(ns) == 1 else f"{ns[0]}–{ns[-1]}")
            table.append(
                [
                    *(row.fields[f] for f in own_fields),
                    row.cell,
                    n_text,
                    *(cell_text(row.stats[f]) if f in row.stats else DASH for f in own),
                ]
            )
        lines += [f"## {preset}", "", markdown_table([*own_fields, "cell", "n", *own], table)]
    if figure is not None:
        lines += [f"![{figure}](report.png)", ""]
    lines.append("## Runs")
    lines.append("")
    for r in complete:
        lines.append(f"- `{r.path}` ({r.preset})")
    if skipped:
        lines += ["", "## Skipped", ""]
        for r in skipped:
            lines.append(f"- `{r.path}`: {r.status}: {_md_escape(r.problem or '')}")
    lines.append("")
    return "\n".join(lines)


def report(
    paths: Sequence[Path | str] | Path | str,
    out: Path | str | None = None,
    final: str | None = None,
) -> Report:
    """Aggregate the run directories under ``paths`` into one table.

    Args:
        paths: run directories, or directories searched recursively for them (a sweep).
        out: directory to write report.md, report.json and report.png into (created if
            missing); None writes nothing.
        final: the final drawn in report.png; the first column by default.

    Raises:
        ProsocialError: a path holds no run; no run is complete; ``final`` is not a final.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    roots = [Path(p) for p in paths]
    runs = collect(roots)
    if not any(r.complete for r in runs):
        raise ProsocialError(
            f"report: none of the {len(runs)} run directories under "
            f"{', '.join(map(str, roots))} is complete (no readable summary.json)"
        )
    rows, finals, fields, varying = aggregate(runs)
    if final is not None and final not in finals:
        raise ProsocialError(
            f"final: {final!r} is not a final of these runs; accepted: {', '.join(finals)}"
        )
    chosen = final if final is not None else (finals[0] if finals else None)
    markdown = _markdown(rows, finals, fields, varying, runs, roots, chosen if out else None)
    result = Report(markdown, rows, finals, fields, varying, runs)
    if out is None:
        return result
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    md_path, json_path = out / "report.md", out / "report.json"
    write_atomic(md_path, markdown)
    write_atomic(json_path, json.dumps(result.as_json(), indent=2, allow_nan=False) + "\n")
    result.paths = [md_path, json_path]
    if chosen is not None:
        from prosocial.plots.report import draw_report

        result.paths.append(draw_report(out, chosen))
        result.figure_final = chosen
    return result
