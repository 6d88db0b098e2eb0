"""Figure specifications of the AgA presets: everything a drawer needs (titles, labels,
colours, the toy game's landscape) is written into ``figures.json`` here."""

from __future__ import annotations

from functools import cache
from types import MappingProxyType

import jax
import numpy as np

from prosocial.experiments.aga.analyses import TITLES, cell_name
from prosocial.experiments.aga.program import COEFFICIENT
from prosocial.experiments.spec import Figure
from prosocial.games import STATE_NAMES, aga_toy_game

COLORS = MappingProxyType(
    {
        "simul_ind": "#4c72b0",
        "cga": "#55a868",
        "sga": "#2a9d8f",
        "svo": "#8172b2",
        "simul_co": "#dd8452",
        "sl": "#937860",
        "aga": "#c44e52",
        "aga_fixed_sign": "#da8bc3",
        "lola": "#1d3557",
        "sos": "#ccb974",
    }
)
LANDSCAPE_SIZE = 201
"""Grid points per side on which the seed reading's optimum is taken."""
DRAWN_SIZE = 101
"""Grid points per side of the landscape written into figures.json."""


@cache
def landscape(variant: str, view: tuple[float, float], size: int) -> tuple[np.ndarray, ...]:
    """``(axis, reward_1, reward_2)`` on a ``size²`` grid of the view box (rows: a₂)."""
    axis = np.linspace(view[0], view[1], size)
    a1, a2 = np.meshgrid(axis, axis)
    grid = np.stack([a1.ravel(), a2.ravel()], axis=1)[:, :, None].astype(np.float32)
    r = -np.asarray(jax.jit(jax.vmap(aga_toy_game(variant)))(grid)).reshape(size, size, 2)
    return axis, r[..., 0], r[..., 1]


def toy_optimum(variant: str, view: tuple[float, ...]) -> float:
    """The collective reward of the social optimum: 2 in the bounded (blog) reading; the
    best value on the view grid in the seed's unbounded one."""
    if variant == "blog":
        return 2.0
    _, r1, r2 = landscape(variant, tuple(view), LANDSCAPE_SIZE)
    return float((r1 + r2).max())


def _method(m: str) -> dict:
    return {"key": m, "title": TITLES[m], "color": COLORS[m]}


def toy_figures(cfg, cells) -> list[Figure]:
    axis, r1, r2 = landscape(cfg.variant, tuple(cfg.view), DRAWN_SIZE)
    optimum = toy_optimum(cfg.variant, cfg.view)
    clip = None if cfg.variant == "blog" else 4.0
    collective = r1 + r2 if clip is None else np.clip(r1 + r2, -clip, clip)
    own = r1 if clip is None else np.clip(r1, -clip, clip)
    spec = {
        "axis": np.round(axis, 5).tolist(),
        "panels": [
            {
                "title": "(a) over the collective reward",
                "z": np.round(collective, 4).tolist(),
                "cmap": "Oranges",
                "label": "collective reward r₁ + r₂",
                "contour": optimum - cfg.tol,
            },
            {
                "title": "(b) over player 1's reward",
                "z": np.round(own, 4).tolist(),
                "cmap": "Blues",
                "label": "player 1's reward r₁",
                "contour": None,
            },
        ],
        "methods": [_method(m) for m in sorted(cfg.methods, key=lambda m: m == "aga")],
        "cell_suffix": "" if cfg.start is None else "/figure",
        "start_index": 0,
        "start_from": "analyses/sign_alignment/drawn_start/index",
        "view": list(cfg.view),
        "every": 10,
        "x": "step",
        "legend": ["every 10th step", "last step", f"collective = optimum − {cfg.tol:g}"],
    }
    title = (
        f"Toy game ({cfg.variant} reading of ℓ₂): {cfg.steps} plain gradient steps of "
        f"size {cfg.lr:g}; λ = {cfg.lam:g}, α = {cfg.alpha:g}, SVO angle {cfg.angle:g}°"
    )
    figs = [Figure("toy_trajectories", "aga_landscape", title, spec)]
    pair = [m for m in ("aga_fixed_sign", "aga") if m in cfg.methods]
    if pair:
        series = [
            {"cell": m, "column": "social/collective", "label": TITLES[m], "color": COLORS[m]}
            for m in pair
        ]
        figs.append(
            Figure(
                "toy_sign_alignment",
                "curves",
                f"AgA against AgA-Sign: collective reward over {cfg.starts} starts",
                {
                    "x": "step",
                    "columns": 1,
                    "legend": "panel",
                    "panels": [
                        {
                            "title": f"reached: ≥ optimum − {cfg.tol:g}",
                            "ylabel": "collective reward r₁ + r₂",
                            "hlines": [optimum - cfg.tol],
                            "series": series,
                        }
                    ],
                },
            )
        )
    return figs


def public_goods_figures(cfg, cells) -> list[Figure]:
    methods = [m for m in cfg.methods if COEFFICIENT[m] is not None]
    panels = []
    for m in methods:
        points = [
            {"cell": f"{cell_name(m, c)}/report", "select": f"{cell_name(m, c)}/select", "x": c}
            for c in cfg.grid(m)
        ]
        panels.append(
            {
                **_method(m),
                "points": points,
                "log": COEFFICIENT[m] != "angle",
                "xlabel": "SVO target angle (°)"
                if COEFFICIENT[m] == "angle"
                else f"{ {'lam': 'λ', 'alpha': 'α', 'lr': 'η'}[COEFFICIENT[m]] } (log scale)",
            }
        )
    spec = {
        "panels": panels,
        "x": "step",
        "metrics": [
            {"column": "social/welfare", "label": "SW"},
            {"column": "social/equality", "label": "Equality"},
        ],
        "chosen_from": "analyses/public_goods/chosen",
    }
    title = (
        f"Public goods: final SW and Equality against each method's coefficient, "
        f"{cfg.runs} runs (line: reported runs, dashed: selection runs)"
    )
    curves = {
        "x": "step",
        "columns": 2,
        "legend": "figure",
        "panels": [
            {
                "title": label,
                "ylabel": label,
                "series": [
                    {
                        "cell": f"{m}/report",
                        "column": column,
                        "label": TITLES[m],
                        "color": COLORS[m],
                    }
                    for m in cfg.methods
                    if COEFFICIENT[m] is None
                ],
            }
            for column, label in (("social/welfare", "SW"), ("social/equality", "Equality"))
        ],
    }
    figs = [Figure("public_goods_sweep", "aga_sweep", title, spec)] if panels else []
    if any(COEFFICIENT[m] is None for m in cfg.methods):
        figs.append(
            Figure(
                "public_goods_learning",
                "curves",
                "Public goods: methods without a coefficient, reported runs",
                curves,
            )
        )
    return figs


def ipd_figures(cfg, cells) -> list[Figure]:
    rows = [
        {
            "cell": c.label,
            "title": f"{c.label}, player {i + 1} ({c.meta[f'learner{i + 1}']})",
            "player": i,
        }
        for c in cells
        for i in range(2)
    ]
    spec = {
        "rows": rows,
        "states": [f"P(C | {s})" for s in STATE_NAMES],
        "x": "step",
        "column": "policy/p_coop",
        "seed0": cfg.seed,
    }
    palette = {"lola-lola": "#c44e52", "naive-naive": "#4c72b0", "lola-naive": "#55a868"}
    learning = {
        "x": "step",
        "columns": 2,
        "legend": "panel",
        "panels": [
            {
                "title": f"player {i + 1}",
                "ylabel": "(1 − γ)V",
                "ylim": [-2.25, -0.8],
                "hlines": [-1.0, -2.0],
                "series": [
                    {
                        "cell": c.label,
                        "column": f"payoff/average_reward/{i}",
                        "label": c.label,
                        "color": palette.get(c.label),
                    }
                    for c in cells
                ],
            }
            for i in range(2)
        ],
    }
    return [
        Figure(
            "ipd_policies",
            "ipd_policies",
            "Final memory-one policies in the exact IPD, each in its player's own "
            "perspective; tit-for-tat reads 1, 1, 0, 1, 0",
            spec,
        ),
        Figure(
            "ipd_learning",
            "curves",
            f"Exact IPD, average reward per step, mean ± std over {cfg.seeds} seeds",
            learning,
        ),
    ]
