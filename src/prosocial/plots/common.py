"""Shared helpers for figures drawn from run directories (never from live objects).

Nothing here touches matplotlib's global state: figures are ``matplotlib.figure.Figure``
objects drawn under :data:`STYLE` with ``matplotlib.rc_context`` and saved by their own
canvas, so importing prosocial never changes a user's matplotlib settings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

STYLE = {
    "figure.dpi": 150,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.size": 9,
    "legend.frameon": False,
}


def read_csv(path: Path) -> dict[str, np.ndarray]:
    """Columns of a metrics file: numbers as floats, text as strings."""
    with Path(path).open() as f:
        names = f.readline().rstrip("\n").split(",")
        rows = [line.rstrip("\n").split(",") for line in f if line.strip()]
    out = {}
    for i, name in enumerate(names):
        col = np.array([r[i] for r in rows])
        try:
            out[name] = col.astype(float)
        except ValueError:
            out[name] = col
    return out


def load(run_dir: Path) -> tuple[dict, dict, dict]:
    """``(metrics columns, summary, config)`` of a run directory."""
    run_dir = Path(run_dir)
    summary_path = run_dir / "summary.json"
    return (
        read_csv(run_dir / "metrics.csv"),
        json.loads(summary_path.read_text()) if summary_path.exists() else {},
        json.loads((run_dir / "config.json").read_text())["config"],
    )


def series(cols: dict, cell: str, name: str, x: str) -> tuple[np.ndarray, np.ndarray]:
    """``(x values, values (seeds, rows))`` of one column of one cell."""
    mask = cols["cell"] == cell
    n_seeds = len(np.unique(cols["seed"][mask]))
    values = cols[name][mask].reshape(n_seeds, -1)
    return cols[x][mask].reshape(n_seeds, -1)[0], values


def band(ax, x, values, label=None, color=None, limits=(-np.inf, np.inf), **kw):
    """Mean over seeds with a shaded ± one standard deviation, clipped to ``limits``."""
    mean, std = values.mean(axis=0), values.std(axis=0)
    (line,) = ax.plot(x, mean, label=label, color=color, lw=1.4, **kw)
    low, high = np.clip(mean - std, *limits), np.clip(mean + std, *limits)
    ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, lw=0)
    return line


@contextmanager
def figure(**kwargs) -> Iterator:
    """A ``matplotlib.figure.Figure`` under :data:`STYLE`, without pyplot."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        yield Figure(**kwargs)


def save(fig, run_dir: Path, name: str, tight: bool = True, to: Path | None = None) -> Path:
    """Write ``run_dir/figures/<name>.png`` (or ``to``) through a temporary file."""
    import os

    import matplotlib

    path = Path(run_dir) / "figures" / f"{name}.png" if to is None else Path(to)
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(STYLE):
        if tight:
            fig.tight_layout()
        tmp = path.with_name(f".{path.name}.tmp")
        fig.savefig(tmp, format="png")
        os.replace(tmp, path)
    return path
