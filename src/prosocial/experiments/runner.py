"""The generic runner: every preset's cells, batched by compiled program, with checkpoints.

:func:`run` takes one or more presets with their resolved configs and

1. collects their cells, merges equal cells, and groups them by program and
   ``Program.group`` (one compiled program per group; groups run in parallel threads,
   since XLA releases the GIL while it compiles and runs);
2. advances each group chunk by chunk (``Program.chunk`` rows), and after every chunk
   checks every logged metric for NaN or inf, reports progress and tracking sinks, and
   writes the group's whole state, the metrics so far and the row count to
   ``checkpoint/<group>.npz`` atomically;
3. reads each preset's finals, summarises its tables, renders ``summary.md``, writes
   ``metrics.csv``, ``figures.json`` and ``summary.json`` (the run is complete when it
   exists), then draws the figures from those files.

A run of one preset writes its files at the run directory's top; a run of several (``prosocial
reproduce``) writes one folder per preset beside a shared ``checkpoint/``. Resuming reads
the checkpoints and continues: the chunks are the same, so the numbers are identical to an
uninterrupted run. A group that diverges stops after the chunk where it did; its presets
still write everything they had, and ``summary.json`` says where it diverged.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import numpy as np

from prosocial.experiments import rundir
from prosocial.experiments.program import PROGRAMS, Batch, Program
from prosocial.experiments.render import markdown
from prosocial.experiments.spec import Cell, CellData, Preset
from prosocial.experiments.summary import compute_finals, table


class Interrupted(Exception):
    """The run was asked to stop; its last checkpoint is on disk."""


@dataclass
class Options:
    """How a run reports and stops.

    Attributes:
        progress: a ``rich.progress.Progress`` or None.
        sinks: tracking sinks (``log(scalars, step)``, ``close()``).
        stop: set it to stop after the current chunk (raises :class:`Interrupted`).
        draw: draw the figures (``prosocial.plots``).
        checkpoint_every: units (episodes, steps, rounds) between checkpoints (None: each
            program's default). It fixes the chunks, so a resumed run must use the value
            it started with (``config.json`` keeps it).
    """

    progress: Any = None
    sinks: Sequence[Any] = ()
    stop: threading.Event = field(default_factory=threading.Event)
    draw: bool = True
    checkpoint_every: int | None = None


@dataclass
class GroupResult:
    configs: list[Any]
    metrics: dict[str, np.ndarray]  # (cells, seeds, rows, ...)
    finished: dict[str, np.ndarray]  # (cells, seeds, ...)
    diverged: dict | None


_INITIALISING = threading.Lock()
"""One group computes its initial state at a time. The initial state is computed op by
op (:func:`prosocial.experiments.program._init_batch`); with jax 0.10.2 on a 2-core CPU,
two groups doing so from two threads at once hung with every thread idle, inside the
single operations' dispatch. An initial state takes seconds; the groups' training
programs still compile and run concurrently."""


def _group_id(program: Program, configs: Sequence[Any], chunk: int) -> str:
    text = repr((program.name, chunk, [repr(c) for c in configs]))
    return f"{program.name}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"


def _first_nonfinite(piece: Mapping[str, np.ndarray], program: Program) -> dict | None:
    """Where the first non-finite value of a chunk's metrics is: cell, seed, row, metric
    (NaN in a metric the program says may be undefined does not count)."""
    found, x = None, program.x
    for name, values in piece.items():
        values = np.asarray(values)
        if values.dtype.kind != "f":
            continue
        flat = values.reshape(*values.shape[:3], -1)
        ok = ~np.isinf(flat) if program.may_be_nan(name) else np.isfinite(flat)
        bad = ~ok.all(axis=3)
        if bad.any():
            cell, seed, row = (int(i) for i in np.argwhere(bad)[0])
            if found is None or (row, cell, seed) < (found["row"], found["cell"], found["seed"]):
                found = {
                    "cell": cell,
                    "seed": seed,
                    "row": row,
                    "metric": name,
                    "x": float(np.asarray(piece[x])[cell, seed, row]),
                }
    return found


def _columns(program: Program, metrics: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``(seeds, rows, ...)`` metrics as flat columns named ``name/label``."""
    cols = {}
    for name, values in metrics.items():
        if name == program.x:
            continue
        values = np.asarray(values)
        if values.ndim == 2:
            cols[name] = values.reshape(-1)
            continue
        flat = values.reshape(*values.shape[:2], -1)
        labels = dict(program.labels).get(name) or [str(i) for i in range(flat.shape[2])]
        for i in range(flat.shape[2]):
            cols[f"{name}/{labels[i]}"] = flat[:, :, i].reshape(-1)
    return cols


def _run_group(
    program: Program,
    configs: list[Any],
    ckpt_dir: Path,
    options: Options,
    label: str,
    names: list[str],
) -> GroupResult:
    batch = Batch(program, configs, options.checkpoint_every)
    gid = _group_id(program, configs, batch.chunk_rows)
    path = ckpt_dir / f"{gid}.npz"
    state = jax.eval_shape(batch.init)
    piece_shape = jax.eval_shape(lambda s: batch.advance(s, batch.chunk_rows), state)[1]
    empty = {k: np.zeros((*v.shape[:2], 0, *v.shape[3:]), v.dtype) for k, v in piece_shape.items()}
    rows_done, diverged, metrics = 0, None, empty
    if path.exists():
        (state, metrics), extra = rundir.load_tree(path, (state, empty))
        rows_done, diverged = extra["rows_done"], extra["diverged"]
    else:
        with _INITIALISING:
            state = jax.block_until_ready(batch.init())
    task = None
    if options.progress is not None:
        task = options.progress.add_task(label, total=batch.total_rows, completed=rows_done)
    while rows_done < batch.total_rows and diverged is None:
        if options.stop.is_set():
            raise Interrupted
        state, piece = batch.advance(state, batch.chunk_rows)
        piece = jax.device_get(piece)
        metrics = {k: np.concatenate([metrics[k], piece[k]], axis=2) for k in metrics}
        bad = _first_nonfinite(piece, program)
        if bad is not None:
            bad["row"] += rows_done
            diverged = bad
        _log(options.sinks, program, names, piece)
        rows_done += batch.chunk_rows
        rundir.save_tree(path, (state, metrics), {"rows_done": rows_done, "diverged": diverged})
        if task is not None:
            options.progress.update(task, completed=min(rows_done, batch.total_rows))
    finished = jax.device_get(batch.finish(state))
    return GroupResult(configs, metrics, finished, diverged)


def _count(k: int, noun: str) -> str:
    return f"{k} {noun}" if k == 1 else f"{k} {noun}s"


def _log(sinks: Sequence[Any], program: Program, names: list[str], piece: dict) -> None:
    """Each row of a chunk to the tracking sinks: per cell, the mean over seeds."""
    if not sinks:
        return
    x = np.asarray(piece[program.x])
    for row in range(x.shape[2]):
        scalars = {}
        for i, cell in enumerate(names):
            one = {k: np.asarray(v)[i : i + 1, :, row : row + 1] for k, v in piece.items()}
            for name, col in _columns(program, one).items():
                scalars[f"{cell}/{name}"] = float(np.mean(col))
        for sink in sinks:
            sink.log(scalars, int(x[0, 0, row]))


def run(
    selected: Sequence[tuple[Preset, Any]],
    root: Path,
    options: Options | None = None,
) -> list[tuple[Path, dict | None]]:
    """Run presets with their configs into the run directory ``root`` (made by the caller,
    holding ``config.json``); resume from ``root/checkpoint`` when it holds checkpoints.

    Returns:
        per preset, its run directory and its divergence (None when every metric stayed
        finite).
    """
    options = options or Options()
    root = Path(root)
    with rundir.exclusive(root):
        return _run(selected, root, options)


def _plan(selected):
    """The presets' cells and the compiled groups they run in: ``(per preset (preset,
    config, cells), jobs ((program, group key), configs), cell names)``."""
    per_preset = [(p, cfg, list(p.cells(cfg))) for p, cfg in selected]
    groups: dict[tuple, list[Any]] = {}
    names: dict[tuple, str] = {}
    for p, _, cells in per_preset:
        program = PROGRAMS.make(p.program)
        for cell in cells:
            key = (p.program, program.group(cell.config))
            if cell.config not in groups.setdefault(key, []):
                groups[key].append(cell.config)
                prefix = f"{p.name}/" if len(per_preset) > 1 else ""
                names[(p.program, cell.config)] = prefix + cell.label
    return per_preset, list(groups.items()), names


def final_states(
    selected: Sequence[tuple[Preset, Any]], root: Path, checkpoint_every: int | None = None
) -> dict[tuple[str, str], tuple[Program, Any, Any]]:
    """The last checkpointed state of every cell of a run directory, for evaluation.

    Returns ``(preset name, cell label) -> (program, cell config, state)``, the state with
    a leading seeds axis, for every cell whose group has a checkpoint (a finished run has
    one for every group). ``checkpoint_every`` must be the run's (its ``config.json``).
    """
    per_preset, jobs, _ = _plan(selected)
    states = {}
    for (name, _), configs in jobs:
        program = PROGRAMS.make(name)
        batch = Batch(program, configs, checkpoint_every)
        path = Path(root) / "checkpoint" / f"{_group_id(program, configs, batch.chunk_rows)}.npz"
        if not path.exists():
            continue
        like = jax.eval_shape(batch.init)
        piece = jax.eval_shape(lambda s, b=batch: b.advance(s, b.chunk_rows), like)[1]
        empty = {k: np.zeros((*v.shape[:2], 0, *v.shape[3:]), v.dtype) for k, v in piece.items()}
        (state, _), _ = rundir.load_tree(path, (like, empty))
        for i, cfg in enumerate(configs):
            states[(name, cfg)] = (program, cfg, jax.tree.map(lambda x, i=i: x[i], state))
    out = {}
    for p, _, cells in per_preset:
        for cell in cells:
            if (p.program, cell.config) in states:
                out[(p.name, cell.label)] = states[(p.program, cell.config)]
    return out


def _run(selected, root: Path, options: Options) -> list[tuple[Path, dict | None]]:
    ckpt = root / "checkpoint"
    ckpt.mkdir(parents=True, exist_ok=True)
    rundir.clean_temporaries(root)
    per_preset, jobs, names = _plan(selected)

    def job(item):
        (name, _), configs = item
        program = PROGRAMS.make(name)
        seeds = getattr(configs[0], "seeds", None)
        label = f"{name}: {_count(len(configs), 'cell')}"
        if seeds is not None:
            label += f" × {_count(seeds, 'seed')}"
        cell_names = [names[(name, c)] for c in configs]
        return _run_group(program, configs, ckpt, options, label, cell_names)

    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(job, jobs))
    finally:
        for sink in options.sinks:
            sink.close()
    by_config = {}
    for ((name, _), _), res in zip(jobs, results, strict=True):
        for i, cfg in enumerate(res.configs):
            by_config[(name, cfg)] = (res, i)
    paths = []
    for p, cfg, cells in per_preset:
        target = root if len(per_preset) == 1 else root / p.name
        target.mkdir(exist_ok=True)
        paths.append(write_preset(p, cfg, cells, by_config, target, options, root))
    return paths


def _cell_data(program: Program, cell: Cell, res: GroupResult, i: int) -> CellData:
    rows = min(program.rows(cell.config), res.metrics[program.x].shape[2])
    metrics = {k: v[i, :, :rows] for k, v in res.metrics.items()}
    finished = {k: v[i] for k, v in res.finished.items()}
    return CellData(cell, metrics, np.asarray(metrics[program.x][0]), finished)


def write_preset(
    preset: Preset,
    config: Any,
    cells: list[Cell],
    by_config: Mapping,
    target: Path,
    options: Options,
    root: Path,
) -> tuple[Path, dict | None]:
    """Summarise one preset's cells and write its files into ``target``."""
    program = PROGRAMS.make(preset.program)
    data, diverged = {}, None
    for cell in cells:
        res, i = by_config[(preset.program, cell.config)]
        data[cell.label] = _cell_data(program, cell, res, i)
        if diverged is None and res.diverged is not None and res.diverged["cell"] == i:
            d = res.diverged
            seed = getattr(cell.config, "seed", 0) + d["seed"]
            diverged = {
                **d,
                "cell": cell.label,
                "seed": seed,
                "text": f"cell {cell.label}, seed {seed}: non-finite {d['metric']} at "
                f"{program.x} {d['x']:g}",
            }
    if diverged is None:
        for cell in cells:
            res, _ = by_config[(preset.program, cell.config)]
            if res.diverged is not None:
                diverged = {
                    "cell": None,
                    "text": "a cell run in the same batch diverged "
                    f"(batch stopped at {program.x} {res.diverged['x']:g})",
                }
                break
    cells_summary = compute_finals(preset, data)
    configs = {c.label: c.config for c in cells}
    tables = [table(t, cells_summary, configs) for t in preset.tables(config)]
    analyses, extra_md = {}, []
    for analysis in preset.analyses:
        entry, md = analysis.run(data, config)
        analyses[analysis.name] = entry
        extra_md.append(md)
    summary = {
        "preset": preset.name,
        "x": program.x,
        "cells": cells_summary,
        "tables": tables,
        "analyses": analyses,
        "diverged": diverged,
    }
    if target != root:
        rundir.write_atomic(
            target / "config.json", rundir.dumps({"preset": preset.name, "config": config})
        )
    rundir.write_atomic(target / "metrics.csv", rundir.csv_text(_csv(program, data)))
    rundir.write_atomic(target / "summary.md", markdown(summary, extra_md))
    figures = [f for f in preset.figures(config, cells)]
    rundir.write_atomic(target / "figures.json", rundir.dumps(figures))
    rundir.write_atomic(target / "summary.json", rundir.dumps(summary))
    if options.draw:  # drawers read summary.json (an analysis's choices) too
        from prosocial import plots

        plots.draw(target)
    return target, diverged


def _csv(program: Program, data: Mapping[str, CellData]) -> dict[str, np.ndarray]:
    """One row per cell, seed and logged row; columns missing in a cell are NaN."""
    blocks = []
    for label, d in data.items():
        seeds, rows = d.metrics[program.x].shape[:2]
        seed0 = getattr(d.cell.config, "seed", 0)
        block = {
            "cell": np.full(seeds * rows, label),
            "seed": np.repeat(np.arange(seeds) + seed0, rows),
            program.x: np.asarray(d.metrics[program.x]).reshape(-1),
            **_columns(program, d.metrics),
        }
        blocks.append(block)
    names = list(dict.fromkeys(k for b in blocks for k in b))
    return {
        n: np.concatenate([b.get(n, np.full(len(b["cell"]), np.nan)) for b in blocks])
        for n in names
    }
