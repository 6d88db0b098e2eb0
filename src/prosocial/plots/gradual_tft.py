"""Drawers for kinds of figure first needed by the gradual TFT presets: ``heatmap``,
``identifiability`` and ``ranking``. They read ``figures.json``'s specification and
``summary.json`` only; every title, label and derived value (a curve, a colour) is
written there by the run.

``heatmap``: rows × columns of one final's mean over seeds, one panel per final::

    {"name", "kind": "heatmap", "title",
     "spec": {"cells": [[cell label, ...], ...],          # rows × columns
              "row_labels": [...], "column_labels": [...],
              "xlabel": "", "ylabel": "",
              "panels": [{"final", "title", "fmt": ".2f", "cmap": "viridis",
                          "symmetric": false, "limits": [lo, hi] | null}]}}

A cell or final missing from ``summary.json`` is drawn blank; ``symmetric`` centres the
colour scale on 0 (for signed finals with a diverging colour map); ``limits`` fixes the
colour scale (so that panels compare).

``identifiability``: two panels. Left: β̂ after the bar's round against β (mean ± std,
``summary.json["analyses"][analysis]["settings"][setting][estimator]``), a reference
setting's means dashed, the diagonal and the threshold. Right: the curve
``spec["curve"]`` (``beta``, ``bound``, ``label``) and each estimator's root mean square
error, log scale, with the tolerance. ``ranking``: horizontal bars of
``summary.json["analyses"][analysis]["ranking"]`` entries' ``value``, highlighted where
the entry's ``highlight`` key is true.

Drawers that read ``summary.json`` draw nothing (and return None) while it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from prosocial.plots.common import figure, save
from prosocial.plots.kinds import DRAWERS


def _summary(run_dir: Path) -> dict | None:
    path = Path(run_dir) / "summary.json"
    return json.loads(path.read_text()) if path.exists() else None


def _mean(summary: dict, cell: str, final: str) -> float:
    stats = summary.get("cells", {}).get(cell, {}).get("stats", {}).get(final)
    return np.nan if stats is None else float(stats["mean"])  # "nan" in JSON reads as NaN


WIDE = 24
"""At most this many heat-map columns side by side; more panels go on further rows."""


def heatmap(run_dir: Path, fig_spec: dict) -> Path | None:
    summary = _summary(run_dir)
    if summary is None:
        return None
    spec = fig_spec["spec"]
    cells, panels = spec["cells"], spec["panels"]
    n_rows, n_cols = len(cells), len(cells[0]) if cells else 0
    across = max(1, min(len(panels), WIDE // max(n_cols, 1)))  # panels side by side
    down = -(-len(panels) // across)
    size = (1.0 * n_cols * across + 3, (0.55 * n_rows + 2.2) * down + 0.4)
    with figure(figsize=size) as fig:
        axes = fig.subplots(down, across, squeeze=False).reshape(-1)
        for ax in axes[len(panels) :]:
            ax.set_visible(False)
        for ax, panel in zip(axes, panels, strict=False):
            values = np.array([[_mean(summary, c, panel["final"]) for c in row] for row in cells])
            shown = np.ma.masked_invalid(values)
            finite = values[np.isfinite(values)]
            limits = {}
            if panel.get("limits"):
                limits = dict(zip(("vmin", "vmax"), map(float, panel["limits"]), strict=True))
            elif panel.get("symmetric") and finite.size:  # a diverging scale centred on 0
                top = max(float(np.abs(finite).max()), 1e-9)
                limits = {"vmin": -top, "vmax": top}
            cmap = panel.get("cmap", "viridis")
            image = ax.imshow(shown, cmap=cmap, aspect="auto", **limits)
            ax.set_xticks(range(n_cols), spec["column_labels"], rotation=45, ha="right")
            ax.set_yticks(range(n_rows), spec["row_labels"])
            ax.set(xlabel=spec.get("xlabel", ""), ylabel=spec.get("ylabel", ""))
            ax.grid(False)
            middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
            if panel.get("limits"):
                middle = (limits["vmin"] + limits["vmax"]) / 2
            for i in range(n_rows):
                for j in range(n_cols):
                    v = values[i, j]
                    if np.isfinite(v):
                        ax.text(
                            j,
                            i,
                            format(v, panel.get("fmt", ".2f")),
                            ha="center",
                            va="center",
                            fontsize=7,
                            color=(
                                ("white" if abs(v) > 0.6 * limits["vmax"] else "black")
                                if panel.get("symmetric") and not panel.get("limits")
                                else ("white" if v < middle else "black")
                            ),
                        )
            ax.set_title(panel.get("title", panel["final"]))
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.02)
        fig.suptitle(fig_spec["title"])
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / size[1]))  # room for the suptitle
        return save(fig, run_dir, fig_spec["name"], tight=False)


def identifiability(run_dir: Path, fig_spec: dict) -> Path | None:
    summary = _summary(run_dir)
    if summary is None:
        return None
    spec = fig_spec["spec"]
    settings = summary["analyses"][spec["analysis"]]["settings"]
    betas = np.asarray(spec["betas"], dtype=float)
    with figure(figsize=(9.5, 3.8)) as fig:
        left, right = fig.subplots(1, 2)
        for est in spec["estimators"]:
            s = settings[spec["setting"]][est["key"]]
            mean, std = np.asarray(s["beta_hat_mean"]), np.asarray(s["beta_hat_std"])
            left.plot(betas, mean, "o-", ms=3, color=est["color"], label=est["label"])
            left.fill_between(betas, mean - std, mean + std, color=est["color"], alpha=0.2, lw=0)
        ref = spec.get("reference")
        if ref:
            s = settings[ref["setting"]][ref["estimator"]]
            left.plot(betas, s["beta_hat_mean"], color="grey", lw=1, ls="--", label=ref["label"])
        left.plot([0, 1], [0, 1], color="k", lw=0.6)
        left.axvline(spec["threshold"], color="k", lw=0.6, ls=":")
        left.set(**spec["left"])
        left.legend(fontsize=7)
        curve = spec["curve"]
        right.plot(curve["beta"], curve["bound"], color="k", lw=1.2, label=curve["label"])
        right.axhline(spec["tolerance"], color="k", lw=0.8, ls=":", label=f"{spec['tolerance']:g}")
        right.axvline(spec["threshold"], color="k", lw=0.6, ls=":")
        for est in spec["estimators"]:
            rmse = np.asarray(settings[spec["setting"]][est["key"]]["rmse"], dtype=float)
            right.plot(
                betas,
                np.maximum(rmse, 1e-4),
                "o",
                ms=3,
                color=est["color"],
                label=est["rmse_label"],
            )
        right.set_yscale("log")
        right.set_ylim(1e-3, 10)
        right.set(**spec["right"])
        right.legend(fontsize=7)
        fig.suptitle(fig_spec["title"])
        return save(fig, run_dir, fig_spec["name"])


def ranking(run_dir: Path, fig_spec: dict) -> Path | None:
    summary = _summary(run_dir)
    spec = fig_spec["spec"]
    entries = (summary or {}).get("analyses", {}).get(spec["analysis"], {}).get("ranking")
    if not entries:
        return None
    names = [e[spec["name"]] for e in entries]
    values = [e[spec["value"]] for e in entries]
    colors = [
        spec["highlight_color"] if e.get(spec["highlight"]) else spec["color"] for e in entries
    ]
    with figure(figsize=(7.5, 0.26 * len(names) + 1.2)) as fig:
        ax = fig.subplots()
        ax.barh(range(len(names)), values, color=colors)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(min(values) - 0.2, max(values) + 0.1)
        ax.set_xlabel(spec["xlabel"])
        ax.set_title(fig_spec["title"])
        return save(fig, run_dir, fig_spec["name"])


DRAWERS.register("heatmap", lambda: heatmap)
DRAWERS.register("identifiability", lambda: identifiability)
DRAWERS.register("ranking", lambda: ranking)
