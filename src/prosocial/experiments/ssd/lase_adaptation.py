"""``lase-adaptation``: how much a LASE agent gives to fixed co-players.

The paper (Kong et al. 2024) shows LASE's gifting weights toward an always-cooperating,
an always-defecting and a random co-player: an agent that infers relationships should give
to the first, less to the third and nothing to the second. Here one LASE agent (with and
without perspective taking) learns in LASE's IPD (R = 4, S = 0, T = 5, P = 1, 20 rounds)
against each scripted bot of :mod:`prosocial.envs.bots` (``cooperate``, ``defect``,
``random``), the bot neither learning nor giving; ``--game`` plays a sequential game
instead, every co-player the bot.

With two players and two actions the outcome can be worked out (the learner's page): after
a cooperation, w = 1 − π̂(C), after a defection −π̂(C). Against AllD no cooperation is ever
seen and nothing is given; against AllC, w = 1 − π̂(C) at every step; against a random
co-player, only its cooperations are rewarded, half the steps.

Settings are ``lase-ipd``'s (ours where the paper's are not known): Adam steps of 10⁻³,
ε-greedy 0.5 → 0.05 over 2000 episodes, MLP 32, 64, 16 episodes per iteration, 300
iterations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prosocial.experiments import finals as fin
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.spec import Analysis, Bar, Cell, Column, Figure, Preset, Table
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.lase_games import CHOICES as SEQUENTIAL

BOTS = {"cooperate": "AllC", "defect": "AllD", "random": "random"}
METHODS = {"lase": ("LASE", True), "lase_wo": ("LASE w/o", False)}
GAME_CHOICES = ("ipd", *SEQUENTIAL)
COLORS = {"cooperate": "tab:green", "defect": "tab:red", "random": "tab:gray"}

FINALS = {
    "given": fin.last("lase/gift_given", 0),
    "relationship": fin.last("lase/relationship", 0),
    "relationship_std": fin.last("lase/relationship_std", 0),
    "return": fin.last("agent/return", 0),
}


@dataclass(frozen=True)
class AdaptationConfig(Config):
    """One LASE agent among scripted co-players (module docstring)."""

    game: str = option("ipd", "LASE's IPD, or a sequential game", choices=GAME_CHOICES)
    methods: tuple[str, ...] = option(tuple(METHODS), "methods to run", choices=tuple(METHODS))
    updates: int = option(300, "iterations", low=1, high=10**7)
    num_envs: int = option(16, "episodes per iteration", low=1, high=65536)
    log_every: int = option(30, "iterations between evaluations", low=1, high=10**7)
    seeds: int = seeds_option(5)
    seed: int = seed_option()

    def check(self) -> None:
        check_log_every(self, "updates")


def cells(cfg: AdaptationConfig) -> list[Cell]:
    if cfg.game == "ipd":
        env = {
            "env": "iterated_matrix_game",
            "env_options": ("game=lase_prisoners_dilemma", "max_steps=20"),
            "hidden": (32, 64),
        }
    else:
        game = SEQUENTIAL[cfg.game]
        env = {"env": game.env, "env_options": game.options, "channels": (8, 8)}
    return [
        Cell(
            f"{cfg.game}/{m}/{bot}",
            SSDConfig(
                algo="lase",
                perspective=METHODS[m][1],
                coplayers=bot,
                num_envs=cfg.num_envs,
                updates=cfg.updates,
                log_every=cfg.log_every,
                eval_envs=64,
                lr=1e-3,
                lr_sr=1e-3,
                lr_pt=1e-3,
                eps_div=2000.0,
                seeds=cfg.seeds,
                seed=cfg.seed,
                **env,
            ),
            {"co-player": BOTS[bot], "method": METHODS[m][0], "bot": bot, "method_key": m},
        )
        for m in cfg.methods
        for bot in BOTS
    ]


def tables(cfg: AdaptationConfig) -> list[Table]:
    bars = tuple(
        Bar(
            f"{METHODS[m][0]} gives (almost) nothing to AllD: at most 0.05",
            f"{cfg.game}/{m}/defect",
            "given",
            "<=",
            0.05,
        )
        for m in cfg.methods
    )
    return [
        Table(
            title=f"A LASE agent's gifts to fixed co-players ({cfg.game})",
            rows=("method", "co-player"),
            columns=(
                Column("given", "given", 3),
                Column("relationship", "w_ij", 3),
                Column("relationship_std", "w spread", 3),
                Column("return", "LASE's return", 2),
            ),
            bars=bars,
            notes=(
                f"{cfg.updates} iterations of {cfg.num_envs} episodes, {cfg.seeds} seeds. "
                "given: the share of its reward the LASE agent gives its co-players, w_ij "
                "its mean relationship to them and w spread its spread over steps (training "
                f"averages over the last {cfg.log_every} iterations); LASE's return: "
                "extrinsic, in evaluation episodes after the last iteration.",
                "The bar that AllC receives more than the random co-player is in the "
                "analysis below.",
            ),
        )
    ]


def figures(cfg: AdaptationConfig, cells) -> list[Figure]:
    panels = [
        {
            "title": METHODS[m][0],
            "ylabel": "share of reward given",
            "ylim": [0.0, 1.0],
            "series": [
                {
                    "cell": f"{cfg.game}/{m}/{bot}",
                    "column": "lase/gift_given/0",
                    "label": BOTS[bot],
                    "color": COLORS[bot],
                }
                for bot in BOTS
            ],
        }
        for m in cfg.methods
    ]
    return [
        Figure(
            "gifts",
            "curves",
            "Share of its reward a LASE agent gives to each fixed co-player (mean ± std)",
            {"x": "step", "columns": 2, "legend": "figure", "panels": panels},
        )
    ]


def ordering(results, cfg: AdaptationConfig) -> tuple[dict, str]:
    """Per method: gifts toward AllC above those toward the random co-player, and toward
    AllD near zero (at most 0.05), means over seeds."""
    summary, lines = {}, []
    for m in cfg.methods:
        given = {}
        for bot in BOTS:
            data = results.get(f"{cfg.game}/{m}/{bot}")
            if data is not None:
                given[bot] = float(np.mean(FINALS["given"](data)))
        if len(given) < len(BOTS):
            continue
        entry = {
            **given,
            "allc_above_random": given["cooperate"] > given["random"],
            "alld_near_zero": given["defect"] <= 0.05,
        }
        summary[m] = entry
        met = entry["allc_above_random"] and entry["alld_near_zero"]
        lines.append(
            f"- {METHODS[m][0]}: gives {given['cooperate']:.3f} to AllC, "
            f"{given['random']:.3f} to random, {given['defect']:.3f} to AllD: "
            + ("met" if met else "**not met**")
        )
    if not lines:
        return {}, ""
    return summary, (
        "## Gifts toward fixed co-players\n\n"
        "Bar: more to AllC than to the random co-player, at most 0.05 to AllD.\n\n"
        + "\n".join(lines)
        + "\n"
    )


PRESET = Preset(
    name="lase-adaptation",
    group="lase",
    description="A LASE agent's gifts to always-cooperating, defecting, random co-players",
    config=AdaptationConfig(),
    program="ssd",
    cells=cells,
    finals=FINALS,
    tables=tables,
    figures=figures,
    analyses=(Analysis("ordering", ordering),),
)

__all__ = ["BOTS", "PRESET", "AdaptationConfig", "cells", "ordering"]
