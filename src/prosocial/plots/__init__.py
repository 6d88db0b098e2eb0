"""Figures drawn from run directories only.

``draw(run_dir)`` reads ``figures.json`` (the figure specifications the run wrote),
``metrics.csv`` and ``summary.json``, and draws each figure with the drawer of its kind
(:data:`DRAWERS`). Nothing is imported from ``prosocial.experiments`` and nothing is
recomputed: titles, labels, colours and derived values all come from the run directory.
"""

from __future__ import annotations

import json
from pathlib import Path

from prosocial.plots import aga, gradual_tft  # noqa: F401  (register their drawers)
from prosocial.plots.kinds import DRAWERS


def draw(run_dir: Path) -> list[Path]:
    """Draw every figure that ``run_dir/figures.json`` specifies; return the PNG paths."""
    run_dir = Path(run_dir)
    spec_path = run_dir / "figures.json"
    if not spec_path.exists():
        return []
    paths = []
    for fig in json.loads(spec_path.read_text()):
        paths.append(DRAWERS.make(fig["kind"])(run_dir, fig))
    return paths


__all__ = ["DRAWERS", "draw"]
