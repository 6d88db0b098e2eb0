"""``lase-games``: LASE against its baselines on four sequential social dilemmas.

The paper's main experiment (Kong et al. 2024, Figs. 5 and 6, Tables 1 and 2): LASE, its
ablation LASE w/o (no perspective taking), A2C, the group optimum (GO), inequity aversion
(IA), social influence (SI) and LIO on the Coin Game, Cleanup, the sequential stag hunt and
the sequential snowdrift game, 5 seeds, reporting collective reward curves, the equality of
every method on rewards after gifts, LASE's gifting weights and the mean ± std of its
inferred relationships w_ij with and without perspective taking.

Games are prosocial's registered ones: the 2-player Coin Game (3×3), LIO's 7×7 Cleanup
(2 players), and the stag hunt (4 players, 5×5, 30 steps) and snowdrift (4 players, 8×8,
50 steps) of LASE's development code; ``--games cleanup_lase`` adds the Cleanup of that
code (4 players, 8×8, cleaning and eating actions). GO, IA and SI learn with A2C, the
acting learner of LASE, with the same numbers; LIO with its own recipients. The method
``lase_one`` (not run by default) is one LASE agent among A2C agents: the first agent
gifts, the others learn with A2C on what they receive; ``go_one`` one GO agent (learning
from the collective reward) among A2C agents. ``lase-extended`` runs the paper's table of
the extended games: LASE, IA, LIO, SI and A2C on larger Cleanup and snowdrift maps with
six players (:mod:`prosocial.experiments.ssd.lase_maps`; the maps are ours), a group of
its own: six LASE agents on a 12×12 map are too slow on 2 cores for ``prosocial
reproduce lase`` to finish in 45 minutes with them.

Scales (``--scale``). The paper's table of settings was not available to us, and neither
is its scale; the development code trains 100k to 500k episodes.

* ``cpu`` (default; ours): every network's Adam step 10⁻³ (the development code: 10⁻⁴,
  5·10⁻⁵, 3·10⁻⁵, made for 10⁵ episodes), CNN 8-8, dense 64, 8 episodes per iteration,
  ε-greedy 0.5 → 0.05 over 500 episodes, few iterations: what 2 cores finish with the
  rest of ``prosocial reproduce lase`` in under 45 minutes;
* ``gpu``: the development code's steps and networks (CNN 16-32, dense 128), 32 episodes
  per iteration, ε over 2000 episodes, 3125 iterations (10⁵ episodes).

Equality "after gifts" is the paper's: 1 − Gini of each agent's reward after gifts, for
LASE the per-step r̃_i = Σ_k g_ki r_k of its training rollouts (``lase/gifted_reward``), for
every other method its extrinsic return in the same training episodes (``train/return``;
LIO's incentives are not transfers of reward and are left out), with |R_i| in the Gini's
denominator (:func:`prosocial.metrics.equality`, ``convention="absolute"``; the same as
the paper's where no reward is negative, defined where the Coin Game's sum below zero).
The evaluation's equality on the games' own rewards is printed beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from prosocial.experiments import finals as fin
from prosocial.experiments.fields import Config, option, seed_option, seeds_option
from prosocial.experiments.spec import Analysis, Cell, CellData, Column, Figure, Preset, Table
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.lase_maps import CHOICES, EXTENDED, EXTENDED_METHODS, GAMES
from prosocial.experiments.ssd.tables import curve_figures
from prosocial.metrics import equality

METHODS = {
    "lase": ("LASE", {"algo": "lase"}),
    "lase_wo": ("LASE w/o", {"algo": "lase", "perspective": False}),
    "a2c": ("A2C", {"algo": "a2c"}),
    "go": ("GO", {"algo": "a2c", "reward": "collective"}),
    "ia": ("IA", {"algo": "a2c", "reward": "inequity_aversion"}),
    "si": ("SI", {"algo": "influence"}),
    "lio": ("LIO", {"algo": "lio"}),
    "lase_one": ("one LASE, the rest A2C", {"algo": "lase", "altruists": 1}),
    "go_one": ("one GO, the rest A2C", {"algo": "a2c", "reward": "collective", "altruists": 1}),
}
DEFAULT_METHODS = ("lase", "lase_wo", "a2c", "go", "ia", "si", "lio")
COLORS = {
    "lase": "tab:red",
    "lase_wo": "tab:orange",
    "a2c": "tab:gray",
    "go": "tab:green",
    "ia": "tab:brown",
    "si": "tab:cyan",
    "lio": "tab:blue",
    "lase_one": "tab:pink",
    "go_one": "tab:olive",
}
SCALES = {
    "cpu": {
        "updates": 60,
        "num_envs": 8,
        "log_every": 15,
        "lr": 1e-3,
        "lr_sr": 1e-3,
        "lr_pt": 1e-3,
        "eps_div": 500.0,
        "channels": (8, 8),
        "hidden": (64,),
    },
    "gpu": {
        "updates": 3125,
        "num_envs": 32,
        "log_every": 125,
        "lr": 1e-4,
        "lr_sr": 5e-5,
        "lr_pt": 3e-5,
        "eps_div": 2000.0,
        "channels": (16, 32),
        "hidden": (128,),
    },
}
"""The settings of each scale (module docstring)."""


@dataclass(frozen=True)
class GamesConfig(Config):
    """LASE and its baselines on four sequential games (module docstring)."""

    games: tuple[str, ...] = option(tuple(GAMES), "games to run", choices=tuple(CHOICES))
    methods: tuple[str, ...] = option(DEFAULT_METHODS, "methods to run", choices=tuple(METHODS))
    scale: str = option("cpu", "cpu (ours, 2 cores) or gpu (LASE's code)", choices=tuple(SCALES))
    updates: int | None = option(None, "iterations per run (none: the scale's)", low=1, high=10**7)
    seeds: int = seeds_option(5)
    seed: int = seed_option()

    def settings(self) -> dict:
        out = dict(SCALES[self.scale])
        if self.updates is not None:
            out["updates"] = self.updates
            out["log_every"] = max(1, min(out["log_every"], self.updates))
            while self.updates % out["log_every"]:
                out["log_every"] -= 1
        return out


@dataclass(frozen=True)
class ExtendedConfig(GamesConfig):
    """LASE and its baselines on the extended Cleanup and snowdrift (``CHOICES``)."""

    games: tuple[str, ...] = option(EXTENDED, "games to run", choices=tuple(CHOICES))
    methods: tuple[str, ...] = option(EXTENDED_METHODS, "methods to run", choices=tuple(METHODS))


def cell_config(cfg: GamesConfig, game: str, method: str) -> SSDConfig:
    s = cfg.settings()
    return SSDConfig(
        env=CHOICES[game].env,
        env_options=CHOICES[game].options,
        channels=s["channels"],
        kernels=(3,) * len(s["channels"]),
        hidden=s["hidden"],
        num_envs=s["num_envs"],
        updates=s["updates"],
        log_every=s["log_every"],
        eval_envs=16,
        lr=s["lr"],
        eps_div=s["eps_div"],
        seeds=cfg.seeds,
        seed=cfg.seed,
        **({"lr_sr": s["lr_sr"], "lr_pt": s["lr_pt"]} if method.startswith("lase") else {}),
        **METHODS[method][1],
    )


def cells(cfg: GamesConfig) -> list[Cell]:
    return [
        Cell(
            f"{g}/{m}",
            cell_config(cfg, g, m),
            {
                "game": CHOICES[g].title,
                "method": METHODS[m][0],
                "game_key": g,
                "method_key": m,
            },
        )
        for g in cfg.games
        for m in cfg.methods
    ]


def rewards_after_gifts(data: CellData) -> np.ndarray:
    """``(seeds, n)`` each agent's reward after gifts at the last row: LASE's mean r̃_i
    per step, any other method's extrinsic training return."""
    name = "lase/gifted_reward" if "lase/gifted_reward" in data.metrics else "train/return"
    return np.asarray(data.metrics[name])[:, -1]


def equality_after_gifts(data: CellData) -> np.ndarray:
    """Per seed, 1 − Gini of the agents' rewards after gifts (module docstring), in the
    ``absolute`` convention: the Coin Game's rewards may sum below zero, where the
    published formula is undefined."""
    return np.asarray(equality(rewards_after_gifts(data), convention="absolute"))


def _if_lase(metric: str, agg: str = "mean"):
    """LASE's metric at the last row, NaN for the methods that do not gift."""
    final = fin.last(metric, agg)

    def value(data: CellData) -> np.ndarray:
        if metric not in data.metrics:
            return np.full(len(np.asarray(data.metrics["step"])), np.nan)
        return final(data)

    return value


FINALS = {
    "collective_return": fin.last("social/collective_return"),
    "equality": fin.last("social/equality"),
    "equality_gifts": equality_after_gifts,
    "gift_given": _if_lase("lase/gift_given"),
    "relationship": _if_lase("lase/relationship"),
    "relationship_std": _if_lase("lase/relationship_std"),
    "conservation_error": _if_lase("lase/conservation_error", "max"),
    **{g.counter: fin.last(g.counter) for g in CHOICES.values()},
}


def tables(cfg: GamesConfig) -> list[Table]:
    s = cfg.settings()
    scale = (
        f"Scale {cfg.scale}: {s['updates']} iterations of {s['num_envs']} episodes per run, "
        f"{cfg.seeds} seeds; collective return, evaluation equality and the game's counter "
        "from evaluation episodes after the last iteration (no exploration, the games' own "
        "rewards)."
    )
    gifts = (
        "equality (gifts): 1 − Gini of the agents' rewards after gifts in the training "
        f"episodes of the last {s['log_every']} iterations (LASE: r̃; the others: their "
        "own rewards). given: the share of its reward a LASE agent gives; w_ij: its mean "
        "relationship to the others, and w spread: the spread of w_ij over steps (mean "
        "over agents; ± over seeds)."
    )
    out = [
        Table(
            title=CHOICES[g].title,
            rows=("method",),
            columns=(
                Column("collective_return", "collective return", 2),
                Column("equality", "equality", 3),
                Column("equality_gifts", "equality (gifts)", 3),
                Column(CHOICES[g].counter, CHOICES[g].counter_title, 2),
            ),
            cells=tuple(f"{g}/{m}" for m in cfg.methods),
            notes=(scale, gifts),
        )
        for g in cfg.games
    ]
    lase = [m for m in ("lase", "lase_wo") if m in cfg.methods]
    if lase:
        out.append(
            Table(
                title="LASE's gifts and relationships, with and without perspective taking",
                rows=("game", "method"),
                columns=(
                    Column("gift_given", "given", 3),
                    Column("relationship", "w_ij", 3),
                    Column("relationship_std", "w spread", 3),
                    Column("conservation_error", "|Σr̃ − Σr|", 7, stat="mean"),
                ),
                cells=tuple(f"{g}/{m}" for g in cfg.games for m in lase),
                notes=(
                    gifts,
                    "|Σr̃ − Σr|: the largest error of the collective reward after gifts at "
                    "any step of the last rows' updates (float32 rounding).",
                ),
            )
        )
    return out


def figures(cfg: GamesConfig, cells) -> list[Figure]:
    panels = [
        (CHOICES[g].title, [(f"{g}/{m}", METHODS[m][0], COLORS[m]) for m in cfg.methods])
        for g in cfg.games
    ]
    counters = {CHOICES[g].title: (CHOICES[g].counter, CHOICES[g].counter_title) for g in cfg.games}
    figs = curve_figures("LASE and its baselines", panels, counters)
    lase = [m for m in ("lase", "lase_wo") if m in cfg.methods]
    if lase:
        gift_panels = [
            {
                "title": CHOICES[g].title,
                "ylabel": "share of reward given (agent 1)",
                "series": [
                    {
                        "cell": f"{g}/{m}",
                        "column": "lase/gift_given/0",
                        "label": METHODS[m][0],
                        "color": COLORS[m],
                    }
                    for m in lase
                ],
            }
            for g in cfg.games
        ]
        figs.append(
            Figure(
                "gifts",
                "curves",
                "Share of its reward LASE's first agent gives (mean ± std over seeds)",
                {"x": "step", "columns": 2, "legend": "figure", "panels": gift_panels},
            )
        )
    return figs


def against_a2c(results, cfg: GamesConfig) -> tuple[dict, str]:
    """LASE against A2C in every game (the bars: collective return above A2C's and
    equality after gifts at least A2C's, paired seeds), and in Cleanup against GO, LIO,
    IA and SI."""
    summary: dict = {}
    lines = ["## LASE against its baselines", ""]

    def per_seed(cell: str, name: str) -> np.ndarray | None:
        data = results.get(cell)
        return None if data is None else np.asarray(FINALS[name](data), dtype=float)

    for g in cfg.games:
        lase_r = per_seed(f"{g}/lase", "collective_return")
        a2c_r = per_seed(f"{g}/a2c", "collective_return")
        if lase_r is None or a2c_r is None:
            continue
        lase_e = per_seed(f"{g}/lase", "equality_gifts")
        a2c_e = per_seed(f"{g}/a2c", "equality_gifts")
        gap_r, gap_e = lase_r - a2c_r, lase_e - a2c_e
        entry = {
            "return_gap": [float(gap_r.mean()), float(gap_r.std())],
            "equality_gap": [float(np.nanmean(gap_e)), float(np.nanstd(gap_e))],
            "return_bar": bool(lase_r.mean() > a2c_r.mean()),
            "equality_bar": bool(np.nanmean(lase_e) >= np.nanmean(a2c_e)),
        }
        summary[g] = entry
        word = {True: "met", False: "**not met**"}
        lines.append(
            f"- {CHOICES[g].title}: collective return LASE {lase_r.mean():.2f} against A2C "
            f"{a2c_r.mean():.2f} (gap {gap_r.mean():.2f} ± {gap_r.std():.2f}, paired "
            f"seeds): {word[entry['return_bar']]}; equality after gifts "
            f"{np.nanmean(lase_e):.3f} against {np.nanmean(a2c_e):.3f}: "
            f"{word[entry['equality_bar']]}."
        )
        if g in ("cleanup_small", "cleanup_lase"):
            others = []
            for m in ("go", "lio", "ia", "si"):
                theirs = per_seed(f"{g}/{m}", "collective_return")
                if theirs is not None:
                    gap = lase_r - theirs
                    summary[g][f"return_gap_{m}"] = [float(gap.mean()), float(gap.std())]
                    others.append(
                        f"{METHODS[m][0]} {theirs.mean():.2f} (LASE − {METHODS[m][0]}: "
                        f"{gap.mean():.2f} ± {gap.std():.2f})"
                    )
            if others:
                lines.append("  In Cleanup, against " + "; ".join(others) + ".")
    if len(lines) == 2:
        return {}, ""
    return summary, "\n".join(lines) + "\n"


PRESET = Preset(
    name="lase-games",
    group="lase",
    description="LASE, LASE w/o, A2C, GO, IA, SI, LIO on four sequential games",
    config=GamesConfig(),
    program="ssd",
    cells=cells,
    finals=FINALS,
    tables=tables,
    figures=figures,
    analyses=(Analysis("against_a2c", against_a2c),),
)

EXTENDED_PRESET = replace(
    PRESET,
    name="lase-extended",
    group="lase-extended",
    description="LASE, IA, LIO, SI, A2C on larger Cleanup and snowdrift (6 players)",
    config=ExtendedConfig(),
)

__all__ = [
    "CHOICES",
    "EXTENDED_PRESET",
    "GAMES",
    "METHODS",
    "PRESET",
    "SCALES",
    "ExtendedConfig",
    "GamesConfig",
    "cells",
    "tables",
]
