"""Figure specifications of the AMD presets (drawn by ``prosocial.plots`` from run folders)."""

from __future__ import annotations

from prosocial.experiments.spec import Figure


def p_coop_figure(name: str, title: str, cfg, cells, turn_off=None) -> Figure:
    """Mean P(C) per game panel, one curve per mode."""
    panels = {}
    for cell in cells:
        panel = panels.setdefault(
            cell.meta["game"],
            {
                "title": cell.meta["game"],
                "ylabel": "mean P(C)",
                "ylim": [0, 1],
                "vlines": [turn_off] if turn_off else [],
                "series": [],
            },
        )
        label = cell.meta.get("label", cell.meta["mode"])
        panel["series"].append({"cell": cell.label, "column": "social/p_coop_mean", "label": label})
    spec = {"x": "episode", "columns": 3, "legend": "figure", "panels": list(panels.values())}
    return Figure(name, "curves", title, spec)


def figures_4_1(cfg, cells) -> list[Figure]:
    """The four panels of Figure 4.1, per cell."""
    figs = []
    for cell in cells:
        c = cell.label
        pays = [
            {"cell": c, "column": f"planner/pay_player0/{o}", "label": f"({o[0]},{o[1]})"}
            for o in ("CC", "CD", "DC", "DD")
        ]
        panels = [
            {
                "title": "(a) probability of cooperation",
                "ylabel": "P(C)",
                "ylim": [0, 1],
                "series": [
                    {"cell": c, "column": f"policy/p_coop/{i}", "label": f"player {i + 1}"}
                    for i in range(2)
                ],
            },
            {
                "title": "(b) extra reward for player 1",
                "ylabel": "r_p,1",
                "hlines": [0],
                "series": pays,
            },
            {
                "title": "(c) greed and fear of the modified game",
                "hlines": [0],
                "series": [
                    {"cell": c, "column": "planner/greed", "label": "greed T′ − R′"},
                    {"cell": c, "column": "planner/fear", "label": "fear P′ − S′"},
                ],
            },
            {
                "title": "(d) cumulative extra rewards Σ|r_p|",
                "series": [{"cell": c, "column": "planner/extra_abs", "cumsum": cfg.log_every}],
            },
        ]
        spec = {"x": "episode", "columns": 2, "legend": "panel", "panels": panels}
        figs.append(
            Figure(
                "figure_4_1",
                "curves",
                f"Mechanism design in the {cell.meta['game']} ({cfg.seeds} seeds)",
                spec,
            )
        )
    return figs


def figures_multi(cfg, cells) -> list[Figure]:
    """Figure 4.2: with and without the planner, one panel each."""
    panels = [
        {
            "title": f"({'ab'[i]}) {'with' if c.meta['mode_key'] == 'planner' else 'without'} "
            "mechanism design",
            "ylabel": "average P(C)",
            "ylim": [0, 1],
            "series": [{"cell": c.label, "column": "social/p_coop_mean", "label": c.meta["game"]}],
        }
        for i, c in enumerate(cells)
    ]
    spec = {"x": "episode", "columns": 2, "legend": "panel", "panels": panels}
    return [
        Figure("figure_4_2", "curves", f"{cfg.n_players}-player dilemmas ({cfg.seeds} seeds)", spec)
    ]
