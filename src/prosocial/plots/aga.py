"""Drawers of the AgA presets' figures, registered in :data:`prosocial.plots.kinds.DRAWERS`.

Everything drawn comes from the run directory: the specification in ``figures.json``
(titles, labels, colours, the toy game's landscape), ``metrics.csv`` and, where present,
``summary.json`` (the chosen coefficients and the drawn start, which analyses pick after
the runs).

``aga_landscape``: trajectories over reward landscapes. ``aga_sweep``: each method's final
SW and Equality against its coefficient. ``ipd_policies``: final memory-one policies.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from prosocial.plots.common import figure, load, save, series
from prosocial.plots.kinds import DRAWERS


def _lookup(summary: dict, path: str, default=None):
    node = summary
    for key in path.split("/"):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


def _finals(cols: dict, cell: str, column: str, x: str) -> np.ndarray:
    """Per seed, the column at the cell's last row."""
    return series(cols, cell, column, x)[1][:, -1]


def aga_landscape(run_dir: Path, fig_spec: dict) -> Path:
    cols, summary, _ = load(run_dir)
    spec = fig_spec["spec"]
    axis = np.asarray(spec["axis"])
    index = int(_lookup(summary, spec["start_from"], spec["start_index"]))
    if spec["cell_suffix"]:
        index = 0
    with figure(figsize=(10.5, 4.8)) as fig:
        axes = fig.subplots(1, len(spec["panels"]), squeeze=False)[0]
        for ax, panel in zip(axes, spec["panels"], strict=True):
            cs = ax.contourf(axis, axis, np.asarray(panel["z"]), levels=24, cmap=panel["cmap"])
            fig.colorbar(cs, ax=ax, shrink=0.85, label=panel["label"])
            if panel.get("contour") is not None:
                ax.contour(
                    axis,
                    axis,
                    np.asarray(panel["z"]),
                    levels=[panel["contour"]],
                    colors="k",
                    linewidths=0.8,
                    linestyles="--",
                )
            points = []
            for m in spec["methods"]:
                cell = m["key"] + spec["cell_suffix"]
                a1 = series(cols, cell, "action/a/0", spec["x"])[1][index]
                a2 = series(cols, cell, "action/a/1", spec["x"])[1][index]
                path = np.stack([a1, a2], axis=1)
                points.append(path)
                ax.plot(
                    path[:, 0],
                    path[:, 1],
                    "-",
                    color=m["color"],
                    lw=1.6,
                    label=m["title"] if ax is axes[0] else None,
                )
                marks = path[:: spec["every"]]
                ax.plot(marks[1:, 0], marks[1:, 1], "o", color=m["color"], ms=4, mec="k", mew=0.4)
                ax.plot(path[-1, 0], path[-1, 1], "s", color=m["color"], ms=5, mec="k", mew=0.6)
            if points:
                start = points[0][0]
                ax.plot(
                    start[0],
                    start[1],
                    "*",
                    color="k",
                    ms=11,
                    label="start" if ax is axes[0] else None,
                )
                pts = np.concatenate(points)
                low, high = pts.min(axis=0), pts.max(axis=0)
                centre, half = (low + high) / 2, max((high - low).max() / 2 + 0.35, 0.8)
                lo = np.maximum(centre - half, spec["view"][0])
                hi = np.minimum(centre + half, spec["view"][1])
                ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
            ax.set(title=panel["title"], xlabel="a₁", ylabel="a₂", aspect="equal")
            ax.grid(False)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", fontsize=8, ncol=5)
        fig.suptitle(fig_spec["title"], fontsize=9)
        fig.tight_layout(rect=(0, 0.1, 1, 1))
        return save(fig, run_dir, fig_spec["name"], tight=False)


def aga_sweep(run_dir: Path, fig_spec: dict) -> Path:
    cols, summary, _ = load(run_dir)
    spec = fig_spec["spec"]
    chosen = _lookup(summary, spec["chosen_from"], {}) or {}
    panels, metrics = spec["panels"], spec["metrics"]
    with figure(figsize=(3.2 * len(panels), 2.6 * len(metrics) + 0.5)) as fig:
        axes = fig.subplots(len(metrics), len(panels), squeeze=False)
        for j, panel in enumerate(panels):
            x = np.array([p["x"] for p in panel["points"]], dtype=float)
            for i, metric in enumerate(metrics):
                ax = axes[i, j]
                for key, ls in (("cell", "-"), ("select", "--")):
                    values = [
                        _finals(cols, p[key], metric["column"], spec["x"]) for p in panel["points"]
                    ]
                    mean = np.array([v.mean() for v in values])
                    ax.plot(x, mean, ls, marker="o", ms=3, color=panel["color"], lw=1.2)
                    if key == "cell":
                        ci = np.array(
                            [
                                1.96 * v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else 0.0
                                for v in values
                            ]
                        )
                        ax.fill_between(
                            x, mean - ci, mean + ci, color=panel["color"], alpha=0.15, lw=0
                        )
                pick = chosen.get(panel["key"], {}).get("coefficient")
                if pick is not None:
                    ax.axvline(pick, color="k", lw=0.8, ls=":")
                if panel["log"]:
                    ax.set_xscale("log")
                ax.set(
                    title=f"{panel['title']}: {metric['label']}",
                    xlabel=panel["xlabel"],
                    ylabel=metric["label"],
                )
        fig.suptitle(fig_spec["title"], fontsize=9)
        return save(fig, run_dir, fig_spec["name"])


def ipd_policies(run_dir: Path, fig_spec: dict) -> Path:
    cols, _, _ = load(run_dir)
    spec = fig_spec["spec"]
    rows, states = spec["rows"], spec["states"]
    ncols = 2
    nrows = math.ceil(len(rows) / ncols)
    with figure(figsize=(10.0, 0.8 + 1.9 * nrows)) as fig:
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).reshape(-1)
        image = None
        for ax, row in zip(axes, rows, strict=False):
            names = [f"{spec['column']}/{row['player']}/{s.split('| ')[1][:-1]}" for s in states]
            grid = np.stack([_finals(cols, row["cell"], n, spec["x"]) for n in names])
            image = ax.imshow(grid, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
            for k in range(grid.shape[0]):
                for s in range(grid.shape[1]):
                    v = grid[k, s]
                    ax.text(
                        s,
                        k,
                        f"{v:.2f}",
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="k" if 0.25 < v < 0.75 else "w",
                    )
            ax.set_yticks(range(len(states)), states, fontsize=7)
            ax.set_xticks(
                range(grid.shape[1]),
                [str(spec["seed0"] + s) for s in range(grid.shape[1])],
                fontsize=7,
            )
            ax.set_title(row["title"], fontsize=8)
            ax.set_xlabel("seed")
            ax.grid(False)
        for ax in axes[len(rows) :]:
            ax.set_visible(False)
        if image is not None:
            fig.colorbar(image, ax=list(axes), shrink=0.7, label="P(cooperate | state)")
        fig.suptitle(fig_spec["title"], fontsize=9)
        return save(fig, run_dir, fig_spec["name"], tight=False)


for _name, _fn in (
    ("aga_landscape", aga_landscape),
    ("aga_sweep", aga_sweep),
    ("ipd_policies", ipd_policies),
):
    DRAWERS.register(_name, (lambda f: lambda: f)(_fn))
