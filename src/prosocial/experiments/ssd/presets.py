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

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from prosocial.experiments import finals as fin
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.render import markdown_table
from prosocial.experiments.spec import Analysis, Bar, Cell, Column, Figure, Preset, Table, register
from prosocial.experiments.ssd import program as _program  # noqa: F401  (registers "ssd")
from prosocial.experiments.ssd.config import SSDConfig


class Game(NamedTuple):
    title: str
    env: str
    options: tuple[str, ...] | None
    counter: str
    counter_title: str


GAMES = {
    "coin_game": Game(
        "Coin Game (2 players, 3×3)", "coin_game", None, "coin/own_fraction", "own-coin fraction"
    ),
    "cleanup_small": Game(
        "Cleanup, LIO's 7×7 map (2 players)",
        "cleanup_small",
        None,
        "cleanup/waste_cleaned",
        "waste cleaned",
    ),
    "harvest": Game(
        "Harvest (4 players, 9×9 view, 100 steps)",
        "harvest",
        ("num_agents=4", "view=4/4/4", "max_steps=100"),
        "harvest/apples",
        "apples eaten",
    ),
    "stag_hunt": Game(
        "Sequential stag hunt (4 players)", "stag_hunt", None, "stag_hunt/stags", "stags caught"
    ),
    "snowdrift": Game(
        "Sequential snowdrift (4 players)", "snowdrift", None, "snowdrift/drifts", "drifts removed"
    ),
}

METHODS = {
    "a2c": ("A2C", {"algo": "a2c"}),
    "ppo": ("PPO", {"algo": "ppo"}),
    "go": ("PPO, group optimum", {"algo": "ppo", "reward": "collective"}),
    "ia": ("PPO, inequity aversion", {"algo": "ppo", "reward": "inequity_aversion"}),
    "svo": ("PPO, SVO 45°", {"algo": "ppo", "reward": "svo"}),
}

COLORS = {
    "a2c": "tab:gray",
    "ppo": "tab:blue",
    "go": "tab:green",
    "ia": "tab:orange",
    "svo": "tab:purple",
    "individual": "tab:blue",
    "collective": "tab:green",
}

FINALS = {
    "collective_return": fin.last("social/collective_return"),
    "equality": fin.last("social/equality"),
    "sustainability": fin.last("social/sustainability"),
    "peace": fin.last("social/peace"),
    **{g.counter: fin.last(g.counter) for g in GAMES.values()},
}


def _columns(game: Game) -> tuple[Column, ...]:
    peace = (Column("peace", "peace", 2),) if game.env in ("cleanup", "harvest") else ()
    return (
        Column("collective_return", "collective return", 2),
        Column("equality", "equality", 3),
        Column(game.counter, game.counter_title, 3 if "fraction" in game.counter else 2),
        *peace,
    )


def _figures(title: str, panels_of: list[tuple[str, list[tuple[str, str]]]], counters: dict):
    """Learning curves: collective return and each game's counter, per game."""
    figs = []
    for name, column, ylabel in (
        ("collective_return", "social/collective_return", "collective return"),
        ("counters", None, None),
    ):
        panels = []
        for game_title, series in panels_of:
            col = column or counters[game_title][0]
            panels.append(
                {
                    "title": game_title,
                    "ylabel": ylabel or counters[game_title][1],
                    "series": [
                        {"cell": cell, "column": col, "label": label, "color": color}
                        for cell, label, color in series
                    ],
                }
            )
        what = "collective return" if column else "the game's counters"
        figs.append(
            Figure(
                name,
                "curves",
                f"{title}: {what} at evaluation (mean ± std over seeds)",
                {"x": "step", "columns": 3, "legend": "figure", "panels": panels},
            )
        )
    return figs


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
            columns=_columns(GAMES[g]),
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
    return _figures("Deep baselines", panels, counters)


GO_RATIO = 1.4
"""The group optimum's collective return over individual-reward learners' in the small
Cleanup, as a bar (ours: GO must be clearly better where cleaning is the dilemma)."""


def group_optimum(results, cfg: BaselinesConfig) -> tuple[dict, str]:
    """Per game: the group optimum's final collective return and counter over those of
    the individual-reward learners (means over seeds), and the small Cleanup's bar."""
    entry: dict = {}
    rows = []
    for g in cfg.games:
        go = results.get(f"{g}/go")
        if go is None:
            continue
        counter = GAMES[g].counter

        def final(data, metric):
            return float(np.nanmean(np.asarray(data.metrics[metric])[:, -1]))

        for m in ("ppo", "a2c"):
            other = results.get(f"{g}/{m}")
            if other is None:
                continue
            mine, theirs = (
                final(go, "social/collective_return"),
                final(other, "social/collective_return"),
            )
            ratio = mine / theirs if theirs > 0 else None
            more = final(go, counter) > final(other, counter)
            item = {"ratio": ratio, "go": mine, "other": theirs, "counter_higher": more}
            if g == "cleanup_small":
                item["bar"] = bool(ratio is not None and ratio >= GO_RATIO and more)
            entry[f"{g}/{m}"] = item
            shown = "–" if ratio is None else f"{ratio:.2f}×"
            bar = {True: "**met**", False: "**not met**"}.get(item.get("bar"), "")
            rows.append(
                [
                    GAMES[g].title,
                    METHODS[m][0],
                    f"{mine:.2f}",
                    f"{theirs:.2f}",
                    shown,
                    "yes" if more else "no",
                    bar,
                ]
            )
    if not rows:
        return entry, ""
    md = (
        "## The group optimum against individual rewards\n\n"
        "Collective return after the last update, mean over seeds; in the small Cleanup "
        f"the bar is GO at least {GO_RATIO}× the individual learner with more of the "
        "game's counter (waste cleaned).\n\n"
        + markdown_table(
            ["game", "against", "GO", "it", "GO / it", "GO's counter higher", "bar"], rows
        )
    )
    return entry, md


# ============================================================ published full scale


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


def _full_cells(base: SSDConfig, key: str):
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


def _full_tables(game: Game, key: str):
    def tables(cfg: FullScaleConfig) -> list[Table]:
        return [
            Table(
                title=game.title,
                rows=("reward",),
                columns=_columns(game),
                cells=tuple(f"{key}/{r}" for r in cfg.rewards),
            )
        ]

    return tables


def _full_figures(game: Game, key: str):
    def figures(cfg: FullScaleConfig, cells) -> list[Figure]:
        series = [(f"{key}/{r}", r, COLORS.get(r)) for r in cfg.rewards]
        counters = {game.title: (game.counter, game.counter_title)}
        return _figures(game.title, [(game.title, series)], counters)

    return figures


def register_all() -> None:
    """Register the deep-baseline presets."""
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
            cells=_full_cells(SOCIALJAX_CLEANUP, "cleanup"),
            finals=FINALS,
            tables=_full_tables(cleanup, "cleanup"),
            figures=_full_figures(cleanup, "cleanup"),
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
            cells=_full_cells(PAX_COIN_GAME, "coin_game"),
            finals=FINALS,
            tables=_full_tables(coin, "coin_game"),
            figures=_full_figures(coin, "coin_game"),
        )
    )


__all__ = ["GAMES", "METHODS", "BaselinesConfig", "FullScaleConfig", "register_all"]
