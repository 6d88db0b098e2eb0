"""What a deep-baseline table needs beyond the generic summary: the group optimum against
individual rewards."""

from __future__ import annotations

import numpy as np

from prosocial.experiments.render import markdown_table
from prosocial.experiments.ssd.tables import GAMES, METHODS

GO_RATIO = 1.4
"""The group optimum's collective return over individual-reward learners' in the small
Cleanup, as a bar (ours: GO must be clearly better where cleaning is the dilemma)."""


def group_optimum(results, cfg) -> tuple[dict, str]:
    """Per game: the group optimum's final collective return and counter over those of
    the individual-reward learners (means over seeds), and the small Cleanup's bar."""
    entry: dict = {}
    rows = []
    for g in cfg.games:
        go = results.get(f"{g}/go")
        if go is None:
            continue
        counter = GAMES[g].counter

        def final(data, metric):
            return float(np.nanmean(np.asarray(data.metrics[metric])[:, -1]))

        for m in ("ppo", "a2c"):
            other = results.get(f"{g}/{m}")
            if other is None:
                continue
            mine, theirs = (
                final(go, "social/collective_return"),
                final(other, "social/collective_return"),
            )
            ratio = mine / theirs if theirs > 0 else None
            more = final(go, counter) > final(other, counter)
            item = {"ratio": ratio, "go": mine, "other": theirs, "counter_higher": more}
            if g == "cleanup_small":
                item["bar"] = bool(ratio is not None and ratio >= GO_RATIO and more)
            entry[f"{g}/{m}"] = item
            shown = "–" if ratio is None else f"{ratio:.2f}×"
            bar = {True: "**met**", False: "**not met**"}.get(item.get("bar"), "")
            rows.append(
                [
                    GAMES[g].title,
                    METHODS[m][0],
                    f"{mine:.2f}",
                    f"{theirs:.2f}",
                    shown,
                    "yes" if more else "no",
                    bar,
                ]
            )
    if not rows:
        return entry, ""
    md = (
        "## The group optimum against individual rewards\n\n"
        "Collective return after the last update, mean over seeds; in the small Cleanup "
        f"the bar is GO at least {GO_RATIO}× the individual learner with more of the "
        "game's counter (waste cleaned).\n\n"
        + markdown_table(
            ["game", "against", "GO", "it", "GO / it", "GO's counter higher", "bar"], rows
        )
    )
    return entry, md
