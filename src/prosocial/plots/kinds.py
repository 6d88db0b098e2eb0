"""The drawers of figure specifications, one per kind: ``(run_dir, spec) -> PNG path``.

``curves``: panels of learning curves, each series the mean over seeds of one column of
one cell with a ± one-standard-deviation band. The specification (written by the run):

    {"name", "kind": "curves", "title",
     "spec": {"x": "episode", "columns": 3, "legend": "figure" | "panel",
              "panels": [{"title", "ylabel", "ylim": [lo, hi] | null,
                          "vlines": [x, ...], "hlines": [y, ...],
                          "series": [{"cell", "column", "label", "color": null,
                                      "cumsum": null | factor}]}]}}

``cumsum`` draws the running sum of the column times ``factor`` (a total over the units
each row averages).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from prosocial.plots.common import band, figure, load, save, series
from prosocial.registry import Registry

DRAWERS: Registry = Registry("figure kind")


def figure_legend(fig, handles, labels) -> int:
    """A legend under the panels with as many columns (at most 4) as the longest label
    lets fit the figure's width; returns its number of rows."""
    entry = 0.07 * max(len(label) for label in labels) + 0.6  # inches at font size 8
    ncol = max(1, min(len(labels), 4, int(fig.get_figwidth() // entry)))
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8)
    return math.ceil(len(labels) / ncol)


def curves(run_dir: Path, fig_spec: dict) -> Path:
    cols = load(run_dir)[0]
    spec = fig_spec["spec"]
    panels = spec["panels"]
    ncols = min(len(panels), spec.get("columns", 3))
    nrows = math.ceil(len(panels) / ncols)
    # at least two panels wide: one panel's width cuts the title and a 4-column legend
    with figure(figsize=(max(3.6 * ncols, 7.2), 2.9 * nrows + 0.4)) as fig:
        axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).reshape(-1)
        for ax, panel in zip(axes, panels, strict=False):
            limits = tuple(panel.get("ylim") or (-np.inf, np.inf))
            for s in panel["series"]:
                if s["column"] not in cols:
                    continue
                x, y = series(cols, s["cell"], s["column"], spec["x"])
                if s.get("cumsum"):
                    y = np.cumsum(y * s["cumsum"], axis=1)
                band(ax, x, y, label=s.get("label"), color=s.get("color"), limits=limits)
            for v in panel.get("vlines", []):
                ax.axvline(v, color="k", lw=0.8, ls=":")
            for h in panel.get("hlines", []):
                ax.axhline(h, color="k", lw=0.6)
            ax.set(title=panel.get("title", ""), xlabel=spec["x"], ylabel=panel.get("ylabel", ""))
            if panel.get("ylim"):
                lo, hi = panel["ylim"]
                pad = 0.02 * (hi - lo)
                ax.set_ylim(lo - pad, hi + pad)
            if spec.get("legend") == "panel" and ax.get_legend_handles_labels()[1]:
                ax.legend(fontsize=7)
        for ax in axes[len(panels) :]:
            ax.set_visible(False)
        fig.suptitle(fig_spec["title"])
        if spec.get("legend", "figure") == "figure":
            handles, labels = axes[0].get_legend_handles_labels()
            if labels:
                rows = figure_legend(fig, handles, labels)
                fig.tight_layout(rect=(0, 0.06 * rows / nrows, 1, 1))
                return save(fig, run_dir, fig_spec["name"], tight=False)
        return save(fig, run_dir, fig_spec["name"])


DRAWERS.register("curves", lambda: curves)
