"""What belongs to one AgA table only: the public goods coefficient selection (on separate
selection runs) with the seed's table beside ours, and AgA against AgA-Sign on the toy game.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from prosocial.experiments import summary as gen
from prosocial.experiments.aga.paper import (
    SEED_PUBLIC_GOODS,
    SEED_SETTING,
    SEED_SIGN_SAVING,
    SUBSCRIPT,
    TITLES,
    cell_name,
    coef_label,
)
from prosocial.experiments.aga.program import COEFFICIENT
from prosocial.experiments.render import markdown, markdown_table
from prosocial.experiments.spec import Bar, Column, Paper, Table


def reach(data) -> np.ndarray:
    """Per start, the first step whose collective reward is ≥ the cell's target (NaN: never)."""
    values = np.asarray(data.metrics["social/collective"], dtype=float)
    hit = values >= data.cell.meta["target"]
    x = np.asarray(data.x, dtype=float)
    return np.where(hit.any(axis=1), x[hit.argmax(axis=1)], np.nan)


# ================================================================ public goods


def select(grid: dict[str, list[tuple[float | None, float]]], tol: float) -> dict[str, int]:
    """Per method, the position in its grid of the chosen coefficient: the smallest whose
    mean SW on the selection runs is within ``tol`` of the method's best.

    ``grid``: method -> ``[(coefficient, mean SW on the selection runs), ...]``.
    """
    chosen = {}
    for m, points in grid.items():
        best = max(sw for _, sw in points)
        near = [k for k, (_, sw) in enumerate(points) if sw >= best - tol]
        chosen[m] = min(near, key=lambda k: (points[k][0] or 0.0, k))
    return chosen


def grid_edge(grid: tuple, coefficient: float | None) -> str | None:
    """``smallest``/``largest``/``only`` value of the grid, or None (inside, or none)."""
    if coefficient is None or grid == (None,):
        return None
    low, high = min(grid), max(grid)
    if low == high:
        return "only"
    return {low: "smallest", high: "largest"}.get(coefficient)


def reason(method: str, metric: str, ours: float, seed: float, coef: float | None) -> str:
    """Why a cell of ours is outside the seed's interval, in one line."""
    more = "ours higher" if ours > seed else "ours lower"
    what = (
        "how much of the initial spread between the players remains"
        if metric == "equality"
        else "how far the contributions move"
    )
    protocol = (
        "the seed gives neither its learning rate nor its initial distribution, and "
        f"our shared choice sets {what} within the budget"
    )
    if method == "sga":
        return (
            f"{more}; SGA is Simul-Ind in this game (its game Hessian is diagonal, so the "
            f"antisymmetric part vanishes): {protocol}"
        )
    if COEFFICIENT[method] is None:
        return f"{more}; {protocol}"
    label = coef_label(method, coef)
    if method == "svo":
        return f"{more}; our SW sweep selected {label} at a fixed weight; the seed gives neither"
    return f"{more}; our SW sweep selected {label}; the seed does not give its coefficient"


def ranking_bars(table: dict[str, dict[str, float]]) -> list[dict]:
    """The comparisons between methods (``table``: method -> {"sw", "equality"} means)."""
    bars = []
    if "aga" not in table:
        return bars
    sw, eq = table["aga"]["sw"], table["aga"]["equality"]
    if "simul_co" in table:
        selfish = [m for m in ("simul_ind", "cga", "sga") if m in table]
        co = table["simul_co"]["sw"]
        worst = max((table[m]["sw"] for m in selfish), default=-math.inf)
        bars.append(
            {
                "text": "SW: AgA ≥ Simul-Co > " + ", ".join(TITLES[m] for m in selfish),
                "met": bool(sw >= co > worst),
                "value": f"{sw:.3f} ≥ {co:.3f} > {worst:.3f}",
                "name": "ordering",
            }
        )
    others = {m: v["equality"] for m, v in table.items() if m != "aga"}
    if others:
        top = max(others, key=others.get)
        bars.append(
            {
                "text": "AgA has the highest Equality",
                "met": bool(eq >= others[top]),
                "value": f"AgA {eq:.5f}, next {TITLES[top]} {others[top]:.5f}",
                "name": "aga_top_equality",
            }
        )
    return bars


def public_goods(results, cfg) -> tuple[dict, str]:
    """Choose each method's coefficient on the selection runs; tabulate the reported runs
    of the chosen cells beside the seed's table; list the sweep."""
    from prosocial.experiments.aga.presets import PG_FINALS

    cells = gen.compute_finals(SimpleNamespace(finals=PG_FINALS), results)
    configs = {label: d.cell.config for label, d in results.items()}
    mean = lambda label, f: cells[label]["stats"][f]["mean"]  # noqa: E731
    grids = {
        m: [(c, mean(f"{cell_name(m, c)}/select", "sw")) for c in cfg.grid(m)] for m in cfg.methods
    }
    pick = select(grids, cfg.select_tol)
    chosen = {m: grids[m][pick[m]][0] for m in cfg.methods}
    edges = {m: grid_edge(cfg.grid(m), chosen[m]) for m in cfg.methods}
    n = cfg.n_players
    metrics = [*(f"r{i + 1}" for i in range(n)), "sw", "equality"]
    titles = {
        **{f"r{i + 1}": f"r{str(i + 1).translate(SUBSCRIPT)}" for i in range(n)},
        "sw": "SW",
        "equality": "Equality",
    }
    gaps = [
        f"{k}={getattr(cfg, k):g} (seed: {v:g})"
        for k, v in SEED_SETTING.items()
        if getattr(cfg, k) != v
    ]
    paper = (
        None
        if gaps
        else Paper(
            "seed 001, Table 1", SEED_PUBLIC_GOODS, "ci95", SEED_SETTING, keys=("method_key",)
        )
    )
    notes = [f"No seed column: the seed ran {', '.join(gaps)}."] if gaps else []
    reports = {m: f"{cell_name(m, chosen[m])}/report" for m in cfg.methods}
    bars = (
        [
            Bar("AgA's SW ≥ 2.85", reports["aga"], "sw", ">=", 2.85),
            Bar("AgA's Equality ≥ 0.95", reports["aga"], "equality", ">=", 0.95),
        ]
        if "aga" in reports
        else []
    )
    spec = Table(
        "AgA, public goods game (seed 001, Table 1)",
        rows=("method", "coefficient"),
        columns=tuple(Column(k, titles[k], 3, "mean_ci95", paper=True) for k in metrics),
        intro=_pg_intro(cfg, edges, chosen),
        cells=tuple(reports.values()),
        paper=paper,
        bars=tuple(bars),
        notes=tuple(notes),
    )
    table = gen.table(spec, cells, configs)
    why = []
    for m, label in reports.items():
        ref = SEED_PUBLIC_GOODS.get((m,), {}) if paper else {}
        for k in metrics:
            if k in ref and abs(mean(label, k) - ref[k][0]) > ref[k][1]:
                why.append(
                    f"- {TITLES[m]}, {titles[k]}: "
                    f"{reason(m, k, mean(label, k), ref[k][0], chosen[m])}."
                )
    if why:
        table["notes"].insert(0, "Why outside the seed's interval:\n\n" + "\n".join(why))
    sums = {
        m: {"sw": mean(reports[m], "sw"), "equality": mean(reports[m], "equality")}
        for m in cfg.methods
    }
    table["bars"] += [{k: v for k, v in b.items() if k != "name"} for b in ranking_bars(sums)]
    bad = {
        label: int(np.sum(~np.asarray(e["finals"]["w_finite"], bool))) for label, e in cells.items()
    }
    sweep, rows = [], []
    for m in cfg.methods:
        for c in cfg.grid(m):
            name = cell_name(m, c)
            point = {
                "method": m,
                "coefficient": c,
                "cell": name,
                "chosen": c == chosen[m],
                "grid_edge": edges[m] if c == chosen[m] else None,
            }
            for split in ("select", "report"):
                for k in ("sw", "equality"):
                    s = cells[f"{name}/{split}"]["stats"][k]
                    point[f"{split}_{k}"], point[f"{split}_{k}_ci"] = s["mean"], s["ci95"]
            sweep.append(point)
            if COEFFICIENT[m] is not None:
                rows.append(
                    [
                        TITLES[m],
                        coef_label(m, c),
                        *(
                            f"{point[k]:.3f}"
                            for k in (
                                "select_sw",
                                "select_equality",
                                "report_sw",
                                "report_equality",
                            )
                        ),
                        "✓" if point["chosen"] else "",
                        f"⚑ {point['grid_edge']}" if point["grid_edge"] else "",
                    ]
                )
    md = markdown({"tables": [table]}) + (
        "\n## The sweep\n\nSW and Equality: mean final values on the selection runs (used to "
        "choose) and on the reported runs. ✓ = selected; ⚑ = selected at the smallest or "
        "largest value of the grid. In this game each player's gradient depends on its own "
        "parameter only, so a coefficient mostly sets how fast a method moves towards or away"
        " from full contribution (docs/aga.md).\n\n"
        + markdown_table(
            ["method", "coefficient", "SW (select)", "E (select)", "SW", "E", "", "grid edge"], rows
        )
    )
    entry = {
        "table": table,
        "sweep": sweep,
        "chosen": {
            m: {"coefficient": chosen[m], "cell": reports[m], "grid_edge": edges[m]}
            for m in cfg.methods
        },
        "nonfinite_w": {k: v for k, v in bad.items() if v},
    }
    return entry, md


def _pg_intro(cfg, edges: dict, chosen: dict) -> str:
    text = (
        f"{cfg.n_players} players, b = {cfg.endowment:g}, c = {cfg.multiplier:g}, "
        f"a_i = b·σ(w_i). Shared protocol: {cfg.optimizer.upper()} with learning rate "
        f"{cfg.lr:g}, {cfg.steps} steps, w_i ~ Logistic(0, {cfg.init_scale:g}). Mean ± 95%"
        f" CI (1.96·std/√n) over {cfg.runs} runs.\n\nCoefficient selection: for each "
        "method, the smallest coefficient whose mean final SW over "
        f"{cfg.runs} separate selection runs is within {cfg.select_tol:g} of the best of "
        "its grid; the table reports fresh runs of the selected cell."
    )
    swept = [m for m in cfg.methods if COEFFICIENT[m] is not None]
    at_edge = [m for m in swept if edges[m]]
    if swept and not at_edge:
        text += "\n\nNo method's selected coefficient lies at the edge of its grid."
    elif at_edge:
        listed = "; ".join(
            f"{TITLES[m]} ({coef_label(m, chosen[m])}, the {edges[m]} value of its grid)"
            for m in at_edge
        )
        text += (
            f"\n\n⚑ Selected at the edge of its grid: {listed}. For these the selection"
            " is set by the grid's bound, not by an optimum inside it."
        )
    return text


# ================================================================ toy game


def sign_alignment(results, cfg) -> tuple[dict | None, str]:
    """AgA against AgA-Sign in steps to the optimum, over the starts both reach; and the
    start the trajectory figure draws."""
    steps = {m: reach(results[m]) for m in cfg.methods}
    entry: dict = {"seed_saving": SEED_SIGN_SAVING}
    md = ""
    if "aga" in steps and "aga_fixed_sign" in steps:
        a, f = steps["aga"], steps["aga_fixed_sign"]
        both = np.isfinite(a) & np.isfinite(f)
        entry |= {
            "starts": int(a.size),
            "both_reached": int(both.sum()),
            "only_aga": int((np.isfinite(a) & ~np.isfinite(f)).sum()),
            "only_aga_sign": int((~np.isfinite(a) & np.isfinite(f)).sum()),
        }
        md = "## AgA against AgA-Sign (no sign alignment)\n\n"
        if both.any():
            ma, mf = float(a[both].mean()), float(f[both].mean())
            entry |= {
                "mean_steps_aga": ma,
                "mean_steps_aga_sign": mf,
                "saving": 1 - ma / mf if mf > 0 else None,
                "aga_faster": int((a[both] < f[both]).sum()),
                "aga_slower": int((a[both] > f[both]).sum()),
                "ties": int((a[both] == f[both]).sum()),
            }
            saving = "–" if entry["saving"] is None else f"{entry['saving']:.0%}"
            md += markdown_table(
                ["", "ours", "seed"],
                [
                    [
                        "steps to the optimum, AgA / AgA-Sign (mean over starts both reach)",
                        f"{ma:.1f} / {mf:.1f}",
                        "–",
                    ],
                    ["steps saved by sign alignment", saving, f"about {SEED_SIGN_SAVING:.0%}"],
                    [
                        "starts: both reach / AgA faster / slower / tie",
                        f"{entry['both_reached']} / {entry['aga_faster']} / "
                        f"{entry['aga_slower']} / {entry['ties']}",
                        "1 start",
                    ],
                    [
                        "starts reached only by AgA / only by AgA-Sign",
                        f"{entry['only_aga']} / {entry['only_aga_sign']}",
                        "–",
                    ],
                ],
            )
        else:
            md += "No start reached the optimum under both; no ratio.\n"
    entry["drawn_start"] = drawn = _drawn_start(cfg, steps, results)
    md += (
        f"\nThe trajectory figure starts at (a₁, a₂) = ({drawn['a1']:.3f}, "
        f"{drawn['a2']:.3f}), {drawn['why']}.\n"
    )
    died = []
    for m in cfg.methods:
        at = np.asarray(results[m].finished["diverged_at"])
        if (at >= 0).any():
            first = int(np.flatnonzero(at >= 0)[0])
            died.append(
                f"{TITLES[m]} {int((at >= 0).sum())} (the first at start {first}, "
                f"step {int(at[first])})"
            )
    if died:
        md += f"\nDiverged trajectories out of {cfg.starts} starts: {'; '.join(died)}.\n"
    return entry, md


def _drawn_start(cfg, steps: dict, results) -> dict:
    """The configured start (its own cells), else the start whose AgA/AgA-Sign step ratio
    is nearest the median ratio, else the first."""
    if cfg.start is not None:
        return {
            "cell_suffix": "/figure",
            "index": 0,
            "a1": cfg.start[0],
            "a2": cfg.start[1],
            "why": f"configured (drawn only: not one of the {cfg.starts} starts of the statistics)",
            "in_statistics": False,
        }
    index, why = 0, "the first random start"
    if "aga" in steps and "aga_fixed_sign" in steps:
        a, f = steps["aga"], steps["aga_fixed_sign"]
        both = np.flatnonzero(np.isfinite(a) & np.isfinite(f) & (f > 0))
        if both.size:
            ratios = a[both] / f[both]
            index = int(both[np.argmin(np.abs(ratios - np.median(ratios)))])
            why = "the start whose AgA/AgA-Sign step ratio is nearest the median ratio"
    start = np.asarray(results[cfg.methods[0]].metrics["action/a"])[index, 0]
    return {
        "cell_suffix": "",
        "index": index,
        "a1": float(start[0]),
        "a2": float(start[1]),
        "why": why,
        "in_statistics": True,
    }
