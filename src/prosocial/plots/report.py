"""The figure of ``prosocial report``, drawn from the report's own ``report.json``.

One horizontal bar per row of the report (preset, the fields that vary, cell) at the mean
of one final, with its 95% interval as an error bar where there is one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from prosocial.plots.common import figure, save


def _number(x) -> float:
    """A mean or half-width as ``report.json`` writes it (None, a float, "nan", "inf")."""
    return math.nan if x is None else float(x)


def draw_report(out: Path, final: str) -> Path:
    """Draw ``out/report.png`` from ``out/report.json`` for the final ``final``."""
    data = json.loads((Path(out) / "report.json").read_text())
    rows = data["rows"]
    labels = [
        " · ".join([r["preset"], *(f"{f}={r['fields'][f]}" for f in data["fields"]), r["cell"]])
        for r in rows
    ]
    stats = [r["finals"].get(final, {}) for r in rows]
    means = [_number(s.get("mean")) if s.get("n") else math.nan for s in stats]
    errs = [_number(s.get("ci95")) for s in stats]
    longest = max((len(t) for t in labels), default=10)
    with figure(figsize=(4.0 + 0.075 * longest, 1.0 + 0.32 * len(rows)), dpi=120) as fig:
        ax = fig.add_subplot()
        ys = list(range(len(rows)))
        ax.barh(ys, [m if math.isfinite(m) else 0.0 for m in means], color="#4c72b0", height=0.7)
        with_ci = [i for i, e in enumerate(errs) if math.isfinite(e) and e > 0]
        if with_ci:
            ax.errorbar(
                [means[i] for i in with_ci],
                with_ci,
                xerr=[errs[i] for i in with_ci],
                fmt="none",
                ecolor="black",
                capsize=3,
            )
        ax.set_yticks(ys, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(f"{final} (mean ± 95% CI)")
        ax.axvline(0.0, color="grey", linewidth=0.6)
        ax.grid(axis="x", alpha=0.3)
        return save(fig, Path(out), "report", to=Path(out) / "report.png")
