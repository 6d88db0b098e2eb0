"""Published full-scale settings as presets, for a GPU: SocialJax's IPPO on Cleanup and
Pax's Coin Game PPO with memory."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.spec import Cell, Figure, Table
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.tables import COLORS, Game, columns, curve_figures


@dataclass(frozen=True)
class FullScaleConfig(Config):
    """A published full-scale setting: its numbers are the defaults (module docstring)."""

    rewards: tuple[str, ...] = option(
        ("individual", "collective"),
        "reward settings to run",
        choices=("individual", "collective", "inequity_aversion", "svo"),
    )
    updates: int = option(390, "updates per run", low=1, high=10**7)
    num_envs: int = option(256, "environments per run", low=1, high=65536)
    log_every: int = option(10, "updates between evaluations", low=1, high=10**7)
    seeds: int = seeds_option(3)
    seed: int = seed_option()

    def check(self) -> None:
        check_log_every(self, "updates")


SOCIALJAX_CLEANUP = SSDConfig(
    env="cleanup",
    env_options=("num_agents=7", "view=5/5/5", "max_steps=1000"),
    algo="ppo",
    shared=True,
    channels=(32, 32, 32),
    kernels=(5, 3, 3),
    hidden=(64,),
    num_envs=256,
    steps=1000,
    updates=390,
    lr=5e-4,
    anneal_lr=True,
    gamma=0.99,
    gae_lambda=0.95,
    clip=0.2,
    epochs=2,
    minibatches=500,
    vf_coef=0.5,
    ent_coef=0.01,
    max_grad_norm=0.5,
    log_every=10,
    eval_envs=16,
    seeds=3,
)
"""SocialJax's IPPO on Cleanup (``algorithms/IPPO/config/ippo_base.yaml`` and
``ippo_cnn_cleanup.yaml``): 7 agents, 1000-step episodes, an 11×11 view, its CNN, one
shared parameter set, 256 × 1000 steps per update, 1e8 steps. prosocial's Cleanup is the
SSD map (25×18), not SocialJax's 19×28 map."""

PAX_COIN_GAME = SSDConfig(
    env="coin_game",
    env_options=("coins=per_agent", "egocentric=true", "max_steps=16"),
    algo="ppo",
    torso="mlp",
    hidden=(16,),
    memory="gru",
    memory_size=16,
    num_envs=50,
    steps=16,
    updates=500,
    lr=0.005,
    anneal_lr=False,
    gamma=0.96,
    gae_lambda=0.95,
    clip=0.2,
    epochs=2,
    minibatches=2,
    vf_coef=0.5,
    ent_coef=0.1,
    max_grad_norm=0.5,
    log_every=10,
    eval_envs=50,
    seeds=3,
)
"""Pax's Coin Game PPO with memory (``pax/conf/experiment/cg/sanity.yaml``): 50
environments, 16-step episodes, discount 0.96, step size 0.005, 2 epochs, entropy 0.1, a
GRU of 16 units, egocentric views, one coin per player. Pax splits 8 minibatches over
time steps; with memory prosocial splits over environments, and 50 environments allow 2."""


def full_cells(base: SSDConfig, key: str):
    def cells(cfg: FullScaleConfig) -> list[Cell]:
        return [
            Cell(
                f"{key}/{r}",
                dataclasses.replace(
                    base,
                    reward=r,
                    updates=cfg.updates,
                    num_envs=cfg.num_envs,
                    log_every=cfg.log_every,
                    seeds=cfg.seeds,
                    seed=cfg.seed,
                ),
                {"reward": r},
            )
            for r in cfg.rewards
        ]

    return cells


def full_tables(game: Game, key: str):
    def tables(cfg: FullScaleConfig) -> list[Table]:
        return [
            Table(
                title=game.title,
                rows=("reward",),
                columns=columns(game),
                cells=tuple(f"{key}/{r}" for r in cfg.rewards),
            )
        ]

    return tables


def full_figures(game: Game, key: str):
    def figures(cfg: FullScaleConfig, cells) -> list[Figure]:
        series = [(f"{key}/{r}", r, COLORS.get(r)) for r in cfg.rewards]
        counters = {game.title: (game.counter, game.counter_title)}
        return curve_figures(game.title, [(game.title, series)], counters)

    return figures
