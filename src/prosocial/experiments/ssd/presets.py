"""Deep multi-agent baselines on the sequential social dilemmas, as data.

* ``ssd-baselines``: A2C and PPO with individual rewards, and PPO with the group optimum
  (GO: every agent learns from the collective reward), inequity aversion (IA) and SVO
  rewards, on the Coin Game, LIO's small Cleanup, a small Harvest, the sequential stag
  hunt and the snowdrift game, at a scale that a 2-core CPU finishes in minutes. The
  scale is ours; the learners' settings are SocialJax's (PPO) and LIO's (A2C) where those
  fit a short run, and the docstring of each field says where we changed one.
* ``ssd-socialjax-cleanup``: SocialJax's IPPO on Cleanup at its published scale (7
  agents, 256 environments × 1000 steps, about 390 updates; ``ippo_base.yaml``), with
  individual and common rewards, for a GPU.
* ``ssd-pax-coin-game``: Pax's Coin Game PPO with memory (``pax/conf/experiment/cg/
  sanity.yaml``: 50 environments, 16-step episodes, 500 updates), individual rewards and
  the group optimum.

Every cell is a run of ``PROGRAMS["ssd"]`` (:mod:`prosocial.experiments.ssd.program`);
the reward baselines are data of one compiled program per game and learner.
"""

from __future__ import annotations

from dataclasses import dataclass

from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.spec import Analysis, Bar, Cell, Figure, Preset, Table, register
from prosocial.experiments.ssd import amd_coin, lase, lio, shaping
from prosocial.experiments.ssd import program as _program  # noqa: F401  (registers "ssd")
from prosocial.experiments.ssd.analyses import group_optimum
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.published import (
    PAX_COIN_GAME,
    SOCIALJAX_CLEANUP,
    FullScaleConfig,
    full_cells,
    full_figures,
    full_tables,
)
from prosocial.experiments.ssd.tables import (
    COLORS,
    FINALS,
    GAMES,
    METHODS,
    Game,
    columns,
    curve_figures,
)

# ============================================================ ssd-baselines


@dataclass(frozen=True)
class BaselinesConfig(Config):
    """A2C, PPO, GO, IA and SVO on five sequential games (module docstring)."""

    games: tuple[str, ...] = option(tuple(GAMES), "games to run", choices=tuple(GAMES))
    methods: tuple[str, ...] = option(tuple(METHODS), "methods to run", choices=tuple(METHODS))
    updates: int = option(40, "updates per run", low=1, high=10**7)
    num_envs: int = option(16, "environments per run", low=1, high=65536)
    log_every: int = option(10, "updates between evaluations", low=1, high=10**7)
    eval_envs: int = option(16, "environments per evaluation", low=1, high=65536)
    channels: tuple[int, ...] = option(
        (16, 16),
        "channels of each 3×3 convolution (ours, small for a CPU)",
        low=1,
        high=512,
        unique=False,
    )
    hidden: tuple[int, ...] = option((64,), "dense widths", low=1, high=4096, unique=False)
    ppo_lr: float = option(
        1e-3,
        "PPO step size (SocialJax: 5e-4 over 390 long updates; ours for short runs)",
        low=0.0,
        strict=True,
        high=1.0,
    )
    a2c_lr: float = option(
        1e-3,
        "A2C step size (LIO, LASE: 1e-4 over 50k+ episodes; ours for short runs)",
        low=0.0,
        strict=True,
        high=1.0,
    )
    eps_div: float = option(
        500.0,
        "A2C: episodes over which ε anneals 0.5 → 0.05 (LIO: 100 to 1000)",
        low=1.0,
        high=1e9,
    )
    seeds: int = seeds_option(5)
    seed: int = seed_option()

    def check(self) -> None:
        check_log_every(self, "updates")


def _cell_config(cfg: BaselinesConfig, game: Game, method: str) -> SSDConfig:
    settings = METHODS[method][1]
    lr = cfg.a2c_lr if settings["algo"] == "a2c" else cfg.ppo_lr
    return SSDConfig(
        env=game.env,
        env_options=game.options,
        channels=cfg.channels,
        kernels=(3,) * len(cfg.channels),
        hidden=cfg.hidden,
        num_envs=cfg.num_envs,
        updates=cfg.updates,
        log_every=cfg.log_every,
        eval_envs=cfg.eval_envs,
        minibatches=4,
        lr=lr,
        eps_div=cfg.eps_div,
        seeds=cfg.seeds,
        seed=cfg.seed,
        **settings,
    )


def _baseline_cells(cfg: BaselinesConfig) -> list[Cell]:
    return [
        Cell(
            f"{g}/{m}",
            _cell_config(cfg, GAMES[g], m),
            {"game": GAMES[g].title, "method": METHODS[m][0], "game_key": g, "method_key": m},
        )
        for g in cfg.games
        for m in cfg.methods
    ]


def _baseline_bars(cfg: BaselinesConfig, g: str) -> tuple[Bar, ...]:
    bars = []
    if g == "coin_game":
        for m in ("ppo", "a2c"):
            if m in cfg.methods:
                for op, v, word in ((">=", 0.4, "at least"), ("<=", 0.6, "at most")):
                    bars.append(
                        Bar(
                            f"{METHODS[m][0]}'s own-coin fraction {word} {v} "
                            "(colour-blind play: 0.5 ± 0.1)",
                            f"{g}/{m}",
                            "coin/own_fraction",
                            op,
                            v,
                        )
                    )
        if "go" in cfg.methods:
            bars.append(
                Bar(
                    "GO's own-coin fraction at least 0.9", f"{g}/go", "coin/own_fraction", ">=", 0.9
                )
            )
    return tuple(bars)


def _baseline_tables(cfg: BaselinesConfig) -> list[Table]:
    notes = (
        "Evaluation episodes after the last update, agents sampling from their policies "
        "without exploration; social metrics on the games' own rewards (docs/metrics.md). "
        f"{cfg.updates} updates of {cfg.num_envs} environments × one episode per run.",
    )
    return [
        Table(
            title=GAMES[g].title,
            rows=("method",),
            columns=columns(GAMES[g]),
            cells=tuple(f"{g}/{m}" for m in cfg.methods),
            bars=_baseline_bars(cfg, g),
            notes=notes,
        )
        for g in cfg.games
    ]


def _baseline_figures(cfg: BaselinesConfig, cells) -> list[Figure]:
    panels = [
        (
            GAMES[g].title,
            [(f"{g}/{m}", METHODS[m][0], COLORS[m]) for m in cfg.methods],
        )
        for g in cfg.games
    ]
    counters = {GAMES[g].title: (GAMES[g].counter, GAMES[g].counter_title) for g in cfg.games}
    return curve_figures("Deep baselines", panels, counters)


def register_all() -> None:
    """Register the deep-baseline presets, LIO's, social influence's and the Coin Game
    planner's."""
    lio.register_all()
    lase.register_all()
    shaping.register_all()
    amd_coin.register_all()
    register(
        Preset(
            name="ssd-baselines",
            group="ssd",
            description="A2C, PPO, GO, IA, SVO on five sequential games, CPU scale",
            config=BaselinesConfig(),
            program="ssd",
            cells=_baseline_cells,
            finals=FINALS,
            tables=_baseline_tables,
            figures=_baseline_figures,
            analyses=(Analysis("group_optimum", group_optimum),),
        )
    )
    cleanup = Game(
        "Cleanup (SocialJax's IPPO, 7 players)",
        "cleanup",
        None,
        "cleanup/waste_cleaned",
        "waste cleaned",
    )
    register(
        Preset(
            name="ssd-socialjax-cleanup",
            group="ssd",
            description="SocialJax's IPPO on Cleanup at its published scale (GPU)",
            config=FullScaleConfig(),
            program="ssd",
            cells=full_cells(SOCIALJAX_CLEANUP, "cleanup"),
            finals=FINALS,
            tables=full_tables(cleanup, "cleanup"),
            figures=full_figures(cleanup, "cleanup"),
        )
    )
    coin = Game(
        "Coin Game (Pax's PPO with memory)",
        "coin_game",
        None,
        "coin/own_fraction",
        "own-coin fraction",
    )
    register(
        Preset(
            name="ssd-pax-coin-game",
            group="ssd",
            description="Pax's Coin Game PPO with memory, individual and GO rewards",
            config=FullScaleConfig(updates=500, num_envs=50),
            program="ssd",
            cells=full_cells(PAX_COIN_GAME, "coin_game"),
            finals=FINALS,
            tables=full_tables(coin, "coin_game"),
            figures=full_figures(coin, "coin_game"),
        )
    )


__all__ = ["GAMES", "METHODS", "BaselinesConfig", "FullScaleConfig", "register_all"]
