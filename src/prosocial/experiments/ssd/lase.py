"""LASE's presets: empathy-based gifting against its baselines.

* ``lase-theory``: the theory figure (:mod:`prosocial.experiments.ssd.lase_theory`).
* ``lase-games``: LASE against its baselines on four sequential games
  (:mod:`prosocial.experiments.ssd.lase_games`).
* ``lase-extended``: the same on larger Cleanup and snowdrift maps with six players
  (:mod:`prosocial.experiments.ssd.lase_games`), a group of its own (``prosocial
  reproduce lase-extended``), too slow on 2 cores to join the others.
* ``lase-adaptation``: a LASE agent's gifts to fixed co-players
  (:mod:`prosocial.experiments.ssd.lase_adaptation`).
* ``lase-cleanup``: LASE's Cleanup agent by agent, one LASE or GO agent among A2C agents
  and the division of labour (:mod:`prosocial.experiments.ssd.lase_cleanup`).
* ``lase-ipd``: the iterated prisoner's dilemma of LASE's development code (R = 4, S = 0,
  T = 5, P = 1; state: the last joint action) with two LASE agents, LASE w/o (no
  perspective taking), LASE whose co-player model imitates the co-player (ours: the
  ablation that separates the two regimes the paper's 0.93 lies between), the group
  optimum (A2C on the collective reward) and independent A2C. The paper (Kong et al.
  2024, Fig. 4a) reports LASE's cooperation converging to about 0.93; the bar is at
  least 0.8, A2C pairs near 0, and gifts that conserve the collective reward.

The IPD's settings are ours where the paper's table was not available to us: episodes of
20 rounds (the development code: 100), 16 episodes per iteration, 1500 iterations, Adam
steps of 10⁻³ for every network, ε-greedy exploration 0.5 → 0.05 over 2000 episodes,
MLP 32, 64 (the development code's ``IPDActor``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prosocial.envs.matrix_game import GAMES as STAGE_GAMES
from prosocial.experiments import finals as fin
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.spec import (
    Bar,
    Cell,
    CellData,
    Column,
    Figure,
    Paper,
    Preset,
    Table,
    register,
)
from prosocial.experiments.ssd import lase_adaptation, lase_cleanup, lase_games, lase_theory
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.tables import curve_figures

GAME = "lase_prisoners_dilemma"
METHODS = {
    "lase": ("LASE", {"algo": "lase"}),
    "lase_wo": ("LASE w/o", {"algo": "lase", "perspective": False}),
    "lase_imitate": ("LASE, π̂ imitates", {"algo": "lase", "coplayer_model": "imitate"}),
    "go": ("GO", {"algo": "a2c", "reward": "collective"}),
    "a2c": ("A2C", {"algo": "a2c"}),
}
COLORS = {
    "lase": "tab:red",
    "lase_wo": "tab:orange",
    "lase_imitate": "tab:purple",
    "go": "tab:green",
    "a2c": "tab:gray",
}


def random_play(rounds: int) -> tuple[float, float]:
    """``(cooperation rate, collective return)`` of two uniformly random players over
    ``rounds`` rounds of LASE's IPD: the payoffs' mean over the four outcomes."""
    payoffs = np.asarray(STAGE_GAMES[GAME]())  # (2 players, 2, 2)
    return 0.5, float(rounds * payoffs.sum(axis=0).mean())


def train_cooperation(data: CellData) -> np.ndarray:
    """Per seed, the rate of cooperation in the training episodes since the last
    evaluation (ε-greedy exploration included), over both players."""
    per_episode = np.asarray(data.metrics["train/cooperate"])[:, -1].mean(axis=-1)
    return per_episode / np.asarray(data.metrics["episode/length"])[:, -1]


def most(metric: str):
    """Per seed, the largest value of a metric over every row."""

    def final(data: CellData) -> np.ndarray:
        values = np.asarray(data.metrics[metric])
        return values.reshape(len(values), -1).max(axis=1)

    return final


FINALS = {
    "cooperation_rate": fin.last("matrix_game/cooperation_rate"),
    "train_cooperation": train_cooperation,
    "collective_return": fin.last("social/collective_return"),
    "equality": fin.last("social/equality"),
    "gift_given": fin.last("lase/gift_given", "mean"),
    "relationship": fin.last("lase/relationship", "mean"),
    "conservation_error": most("lase/conservation_error"),
}


@dataclass(frozen=True)
class IPDConfig(Config):
    """LASE and its baselines in LASE's iterated prisoner's dilemma (module docstring)."""

    methods: tuple[str, ...] = option(tuple(METHODS), "methods to run", choices=tuple(METHODS))
    rounds: int = option(20, "rounds per episode (LASE's code: 100)", low=1, high=10**5)
    updates: int = option(1500, "iterations", low=1, high=10**7)
    num_envs: int = option(16, "episodes per iteration", low=1, high=65536)
    lr: float = option(1e-3, "Adam step of every network (ours)", low=0.0, strict=True, high=1.0)
    eps_div: float = option(
        2000.0, "episodes over which ε anneals 0.5 → 0.05 (ours)", low=1.0, high=1e9
    )
    log_every: int = option(150, "iterations between evaluations", low=1, high=10**7)
    seeds: int = seeds_option(5)
    seed: int = seed_option()

    def check(self) -> None:
        check_log_every(self, "updates")


def _cells(cfg: IPDConfig) -> list[Cell]:
    return [
        Cell(
            f"ipd/{m}",
            SSDConfig(
                env="iterated_matrix_game",
                env_options=(f"game={GAME}", f"max_steps={cfg.rounds}"),
                hidden=(32, 64),
                num_envs=cfg.num_envs,
                updates=cfg.updates,
                log_every=cfg.log_every,
                eval_envs=64,
                lr=cfg.lr,
                lr_sr=cfg.lr,
                lr_pt=cfg.lr,
                eps_div=cfg.eps_div,
                seeds=cfg.seeds,
                seed=cfg.seed,
                **METHODS[m][1],
            ),
            {"method": METHODS[m][0], "method_key": m},
        )
        for m in cfg.methods
    ]


def _tables(cfg: IPDConfig) -> list[Table]:
    p_random, r_random = random_play(cfg.rounds)
    mutual = float(np.asarray(STAGE_GAMES[GAME]())[:, 0, 0].sum() * cfg.rounds)
    bars = []
    if "lase" in cfg.methods:
        bars += [
            Bar(
                "LASE cooperates with probability at least 0.8",
                "ipd/lase",
                "cooperation_rate",
                ">=",
                0.8,
            ),
            Bar(
                "LASE's gifts conserve the collective reward (float32)",
                "ipd/lase",
                "conservation_error",
                "<=",
                1e-4,
                "max",
            ),
        ]
    if "a2c" in cfg.methods:
        bars.append(
            Bar(
                "A2C pairs defect (cooperation at most 0.1)",
                "ipd/a2c",
                "cooperation_rate",
                "<=",
                0.1,
            )
        )
    return [
        Table(
            title=f"Iterated prisoner's dilemma, LASE's payoffs ({cfg.rounds} rounds)",
            rows=("method",),
            columns=(
                Column("cooperation_rate", "coop", 3, paper=True),
                Column("train_cooperation", "coop (ε)", 3),
                Column("collective_return", "return", 2),
                Column("equality", "equality", 3),
                Column("gift_given", "given", 3),
                Column("relationship", "w_ij", 3),
            ),
            paper=Paper(
                source="Kong et al. 2024, Fig. 4a (the paper's IPD settings are not known to us)",
                values={("LASE",): {"cooperation_rate": (0.93, 0.0)}},
                spread="single",
            ),
            bars=tuple(bars),
            notes=(
                f"{cfg.updates} iterations of {cfg.num_envs} episodes per run, {cfg.seeds} "
                "seeds. coop: the rate of cooperation in evaluation episodes after the last "
                "iteration, agents sampling from their policies without exploration; coop "
                f"(ε): in the training episodes of the last {cfg.log_every} iterations, "
                "ε-greedy exploration included; return: collective. GO: A2C on the "
                "collective reward. Mutual cooperation "
                f"returns {mutual:.0f}; two uniformly random players cooperate at "
                f"{p_random:.2f} and return {r_random:.0f} on average. given (the share of "
                "its reward an agent gives) and w_ij are training averages over the last "
                "evaluation interval.",
                "LASE, π̂ imitates (ours): the SR policy learns the co-player's actions "
                "instead of the agent's own selfish policy (the development code's), so "
                "that w_ij = 1 − π̂(C) after cooperation fades as cooperation becomes "
                "certain.",
            ),
        )
    ]


def _figures(cfg: IPDConfig, cells) -> list[Figure]:
    title = "Iterated prisoner's dilemma"
    series = [(f"ipd/{m}", METHODS[m][0], COLORS[m]) for m in cfg.methods]
    counter = ("matrix_game/cooperation_rate", "cooperation rate")
    figs = curve_figures(title, [(title, series)], {title: counter})
    panels = [
        {
            "title": f"agent {i + 1}",
            "ylabel": "share of reward given",
            "ylim": [0.0, 1.0],
            "series": [
                {"cell": c, "column": f"lase/gift_given/{i}", "label": label, "color": color}
                for c, label, color in series
                if "lase" in c
            ],
        }
        for i in range(2)
    ]
    if panels[0]["series"]:
        figs.append(
            Figure(
                "gifts",
                "curves",
                "Share of its reward each LASE agent gives (IPD; mean ± std)",
                {"x": "step", "columns": 2, "legend": "figure", "panels": panels},
            )
        )
    return figs


def register_all() -> None:
    """Register LASE's presets."""
    lase_theory.register_all()
    register(lase_games.PRESET)
    register(lase_games.EXTENDED_PRESET)
    register(lase_adaptation.PRESET)
    register(lase_cleanup.PRESET)
    register(
        Preset(
            name="lase-ipd",
            group="lase",
            description="LASE, its ablations, GO and A2C in LASE's iterated prisoner's dilemma",
            config=IPDConfig(),
            program="ssd",
            cells=_cells,
            finals=FINALS,
            tables=_tables,
            figures=_figures,
        )
    )
