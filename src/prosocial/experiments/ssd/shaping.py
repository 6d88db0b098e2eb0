"""The preset of agents that shape the others' behaviour beside ones that do not: social
influence against A2C (the planner of adaptive mechanism design that shapes the others'
learning is :mod:`prosocial.experiments.ssd.amd_coin`).

* ``influence-ssd``: social influence (Jaques et al. 2019; :mod:`prosocial.learners.influence`)
  against A2C on LIO's small Cleanup and a 4-player Harvest, both A2C with the same
  numbers; the table prints the mean influence reward (in millionths: at this scale the
  model of the others has barely learned) beside the games' metrics.
"""

from __future__ import annotations

from dataclasses import dataclass

from prosocial.experiments import finals as fin
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.spec import (
    Cell,
    Column,
    Preset,
    Table,
    register,
)
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.tables import GAMES, curve_figures, scale_note

COLORS = {"influence": "tab:cyan", "a2c": "tab:gray"}
_INFLUENCE = fin.last("learner/influence", "mean")
FINALS = {
    "collective_return": fin.last("social/collective_return"),
    "equality": fin.last("social/equality"),
    "influence": lambda data: 1e6 * _INFLUENCE(data),  # in millionths
    "harvest/apples": fin.last("harvest/apples"),
    "cleanup/waste_cleaned": fin.last("cleanup/waste_cleaned"),
}


@dataclass(frozen=True)
class InfluenceConfig(Config):
    """Social influence and A2C on Cleanup and Harvest (module docstring)."""

    games: tuple[str, ...] = option(
        ("cleanup_small", "harvest"), "games", choices=("cleanup_small", "harvest")
    )
    updates: int = option(100, "updates per run", low=1, high=10**7)
    num_envs: int = option(8, "environments per run", low=1, high=65536)
    lr: float = option(
        1e-3, "step size (the paper's A3C: 1e-4 over 3·10⁸ steps)", low=0.0, strict=True, high=1.0
    )
    influence_weight: float = option(1.0, "weight β of the influence reward", low=0.0, high=1e3)
    log_every: int = option(25, "updates between evaluations", low=1, high=10**7)
    seeds: int = seeds_option(5)
    seed: int = seed_option()

    def check(self) -> None:
        check_log_every(self, "updates")


INFLUENCE_METHODS = {"influence": "social influence", "a2c": "A2C"}


def _influence_cells(cfg: InfluenceConfig) -> list[Cell]:
    return [
        Cell(
            f"{g}/{m}",
            SSDConfig(
                env=GAMES[g].env,
                env_options=GAMES[g].options,
                algo=m,
                channels=(6,),
                kernels=(3,),
                hidden=(64,),
                num_envs=cfg.num_envs,
                updates=cfg.updates,
                log_every=cfg.log_every,
                eval_envs=16,
                lr=cfg.lr,
                influence_weight=cfg.influence_weight,
                eps_div=500.0,
                seeds=cfg.seeds,
                seed=cfg.seed,
            ),
            {"game": GAMES[g].title, "method": INFLUENCE_METHODS[m], "method_key": m},
        )
        for g in cfg.games
        for m in INFLUENCE_METHODS
    ]


def _influence_tables(cfg: InfluenceConfig) -> list[Table]:
    return [
        Table(
            title=GAMES[g].title,
            rows=("method",),
            columns=(
                Column("collective_return", "collective return", 2),
                Column("equality", "equality", 3),
                Column(GAMES[g].counter, GAMES[g].counter_title, 2),
                Column("influence", "influence reward / step (10⁻⁶)", 1),
            ),
            cells=tuple(f"{g}/{m}" for m in INFLUENCE_METHODS),
            notes=(scale_note(cfg).replace("iterations", "updates"),),
        )
        for g in cfg.games
    ]


def _influence_figures(cfg, cells):
    panels = [
        (
            GAMES[g].title,
            [(f"{g}/{m}", INFLUENCE_METHODS[m], COLORS[m]) for m in INFLUENCE_METHODS],
        )
        for g in cfg.games
    ]
    counters = {GAMES[g].title: (GAMES[g].counter, GAMES[g].counter_title) for g in cfg.games}
    return curve_figures("Social influence", panels, counters)


def register_all() -> None:
    """Register the preset of social influence."""
    register(
        Preset(
            name="influence-ssd",
            group="influence",
            description="Social influence and A2C on Cleanup and Harvest",
            config=InfluenceConfig(),
            program="ssd",
            cells=_influence_cells,
            finals=FINALS,
            tables=_influence_tables,
            figures=_influence_figures,
        )
    )
