"""AgA on a selfish StarCraft team, as data: the preset ``aga-smax``
(``prosocial reproduce aga-smax``).

The AgA paper's Selfish-MMM2 (Li et al., NeurIPS 2024): ten heterogeneous units, each
rewarded for itself, against a scripted enemy; the team's win rate is the collective
measure. Here on JaxMARL's SMAX (the environment ``smax_selfish``: a stalker stands in for
the medivac SMAX lacks, and the per-unit reward is ours; see
:mod:`prosocial.envs.smax`). Methods: Simul-Ind (independent PPO on the selfish rewards),
Simul-Co (every unit on the team's summed reward) and AgA at each λ of ``lams``, each a
run of ``PROGRAMS["ssd"]`` with the ``adjusted_ppo`` learner over an MLP, 3 seeds.

Scales (``scale``):

* ``cpu`` (default, ours): JaxMARL's IPPO settings for SMAX (``ippo_rnn_smax.yaml``: Adam
  0.004, clip 0.05, entropy 0.01, gradient norm 0.25, 4 epochs of 4 minibatches) on a
  feed-forward 128-128 MLP, 32 environments × 100 steps, 300 updates (960,000 steps).
* ``jaxmarl``: those settings with JaxMARL's scale and memory: 128 environments × 128
  steps, a GRU of 128 after a 128 layer, the step annealed, 610 updates (10^7 steps). For a
  GPU.

JaxMARL shares one network among a team's units; here every unit has its own (AgA's
adjustment is over the units' separate parameters).
"""

from __future__ import annotations

from dataclasses import dataclass

from prosocial.envs.smax import parse_team
from prosocial.errors import ConfigError
from prosocial.experiments import finals as fin
from prosocial.experiments.aga.deep import METHODS, scale_settings
from prosocial.experiments.fields import Config, option, seed_option, seeds_option
from prosocial.experiments.spec import Cell, Column, Figure, Preset, Table, register
from prosocial.experiments.ssd import program as _program  # noqa: F401  (registers "ssd")
from prosocial.experiments.ssd.config import SSDConfig

SMAX_METHODS = ("simul_ind", "simul_co", "aga")

SCALES = {
    "cpu": {"num_envs": 32, "steps": 100, "updates": 300, "log_every": 30,
            "hidden": (128, 128), "memory": "none", "anneal_lr": False},
    "jaxmarl": {"num_envs": 128, "steps": 128, "updates": 610, "log_every": 61,
                "hidden": (128,), "memory": "gru", "anneal_lr": True},
}  # fmt: skip


@dataclass(frozen=True)
class SMAXConfig(Config):
    """AgA, Simul-Ind and Simul-Co on the selfish SMAX team (module docstring)."""

    methods: tuple[str, ...] = option(SMAX_METHODS, "methods to run", choices=SMAX_METHODS)
    lams: tuple[float, ...] = option((1.0,), "AgA's λ", low=0.0, high=1e6)
    allies: str = option("7m2M1s", "the learning team: a count before each unit letter")
    enemies: str = option("8m3M1s", "the scripted enemy team, written the same way")
    scale: str = option(
        "cpu", "cpu (ours, 2 cores) or jaxmarl (JaxMARL's IPPO scale; GPU)", choices=tuple(SCALES)
    )
    num_envs: int | None = option(
        None, "environments per update (none: the scale's)", low=1, high=65536
    )
    updates: int | None = option(None, "updates per run (none: the scale's)", low=1, high=10**7)
    log_every: int | None = option(
        None, "updates between evaluations (none: the scale's)", low=1, high=10**7
    )
    seeds: int = seeds_option(3)
    seed: int = seed_option()

    def settings(self) -> dict:
        return scale_settings(SCALES, self)

    def check(self) -> None:
        self.settings()
        # the teams, without importing JaxMARL (registering the preset builds this config)
        for field in ("allies", "enemies"):
            try:
                size = len(parse_team(getattr(self, field)))
            except ValueError as err:
                raise ConfigError(field, str(err)) from None
            low = 2 if field == "allies" else 1  # a team of one is no social dilemma
            if not low <= size <= 64:
                raise ConfigError(field, f"{size} units; accepted: {low}..64")

    def env_options(self) -> tuple[str, ...]:
        return (f"allies={self.allies}", f"enemies={self.enemies}")


def cell_config(cfg: SMAXConfig, method: str, lam: float | None) -> SSDConfig:
    s = cfg.settings()
    return SSDConfig(
        env="smax_selfish",
        env_options=cfg.env_options(),
        algo="adjusted_ppo",
        adjustment=METHODS[method][1],
        adjust_coef=1.0 if lam is None else lam,
        torso="mlp",
        hidden=s["hidden"],
        memory=s["memory"],
        memory_size=128,
        num_envs=s["num_envs"],
        steps=s["steps"],
        updates=s["updates"],
        log_every=s["log_every"],
        eval_envs=16,
        epochs=4,
        minibatches=4,
        lr=0.004,
        anneal_lr=s["anneal_lr"],
        clip=0.05,
        ent_coef=0.01,
        max_grad_norm=0.25,
        seeds=cfg.seeds,
        seed=cfg.seed,
    )


def _runs(cfg: SMAXConfig):
    for m in cfg.methods:
        yield from ((m, lam) for lam in (cfg.lams if m == "aga" else (None,)))


def label(method: str, lam: float | None) -> str:
    return method if lam is None else f"{method}/{lam:g}"


def cells(cfg: SMAXConfig) -> list[Cell]:
    return [
        Cell(
            label(m, lam),
            cell_config(cfg, m, lam),
            {"method": METHODS[m][0], "λ": "" if lam is None else f"{lam:g}"},
        )
        for m, lam in _runs(cfg)
    ]


FINALS = {
    "win_rate": fin.last("agent/won", 0),
    "collective_return": fin.last("social/collective_return"),
    "equality": fin.last("social/equality"),
    "damage": fin.last("agent/damage", "sum"),
    "survivors": fin.last("agent/survived", "sum"),
    "minimum": fin.last("fair/minimum"),
    "jain": fin.last("fair/jain"),
}


def tables(cfg: SMAXConfig) -> list[Table]:
    s = cfg.settings()
    note = (
        f"Scale `{cfg.scale}`: {cfg.allies} against SMAX's heuristic {cfg.enemies}, "
        f"{s['updates']} updates of {s['num_envs']} environments × {s['steps']} steps, "
        f"{cfg.seeds} seeds; evaluation battles after the last update, units sampling from "
        "their policies. Damage: the team's damage term (1 = every enemy destroyed); "
        "survivors: units alive when the battle ends. The AgA paper reports that AgA wins "
        "more often than the baselines on Selfish-MMM2 (no numbers we could read)."
    )
    return [
        Table(
            title="Selfish SMAX team",
            rows=("method", "λ"),
            columns=(
                Column("win_rate", "win rate", 3),
                Column("collective_return", "collective return", 3),
                Column("equality", "equality", 3),
                Column("damage", "damage", 3),
                Column("survivors", "survivors", 2),
                Column("minimum", "minimum", 3),
                Column("jain", "Jain", 3),
            ),
            notes=(note,),
        )
    ]


def figures(cfg: SMAXConfig, _cells) -> list[Figure]:
    runs = [
        (label(m, lam), METHODS[m][0] + ("" if lam is None else f" λ={lam:g}"))
        for m, lam in _runs(cfg)
    ]
    panels = (("agent/won/0", "win rate"), ("social/collective_return", "collective return"))
    return [
        Figure(
            "curves",
            "curves",
            "The selfish SMAX team (mean ± std over seeds)",
            {
                "x": "step",
                "columns": len(panels),
                "legend": "figure",
                "panels": [
                    {
                        "title": title,
                        "ylabel": title,
                        "series": [
                            {"cell": cell, "column": column, "label": name, "color": f"C{k}"}
                            for k, (cell, name) in enumerate(runs)
                        ],
                    }
                    for column, title in panels
                ],
            },
        )
    ]


def register_all() -> None:
    register(
        Preset(
            name="aga-smax",
            group="aga-smax",
            description="AgA, Simul-Ind and Simul-Co on a selfish ten-unit SMAX team",
            config=SMAXConfig(),
            program="ssd",
            cells=cells,
            finals=FINALS,
            tables=tables,
            figures=figures,
        )
    )
