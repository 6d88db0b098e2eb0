"""The configs of the chapter-4 presets: settings shared by a chapter's tables, and the
name of the game a cell plays."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from prosocial.experiments.amd.cell import GAMES, LEARNER_ORDER, AMDConfig
from prosocial.experiments.amd.paper import TITLES
from prosocial.experiments.fields import Config, option, seed_option, seeds_option


def game_title(cfg: AMDConfig) -> str:
    """The game a cell plays, named as what it is: Table 4.1's name for Table 4.1's
    payoffs, otherwise the kind of dilemma its greed and fear make, with the values."""
    greed, fear = cfg.greed_fear
    players = f"{cfg.n_players}-player " if cfg.n_players > 2 else ""
    if cfg.payoff_source == "table_4_1":
        return players + TITLES[cfg.game]
    if greed > 0 and fear > 0:
        kind = "Prisoner's Dilemma"
    elif greed > 0:
        kind = "Chicken"
    else:
        kind = "Stag Hunt"
    return f"{players}{kind} (greed {greed:g}, fear {fear:g})"


@dataclass(frozen=True)
class ChapterConfig(Config):
    """Settings shared by the chapter-4 presets (defaults: thesis §4.2)."""

    games: tuple[str, ...] = option(GAMES, "games of Table 4.1 to run", choices=GAMES)
    greed: float | None = option(
        None, "override every game's greed T − R (none: Table 4.1)", low=-100.0, high=100.0
    )
    fear: float | None = option(
        None, "override every game's fear P − S (none: Table 4.1)", low=-100.0, high=100.0
    )
    seeds: int = seeds_option(10)
    seed: int = seed_option()
    episodes: int = option(
        4000, "episodes with the planner (turned-off runs play twice as many)", low=1, high=10**7
    )
    learner: str = option("pg_critic", "the learners' rule", choices=LEARNER_ORDER)
    learner_lr: float = option(0.01, "the learners' step size", low=0.0, strict=True, high=100.0)
    planner_lr: float = option(0.01, "the planner's step size", low=0.0, strict=True, high=100.0)
    max_reward: float = option(
        3.0, "the bound c on extra rewards", low=0.0, strict=True, high=1000.0
    )
    cost: float = option(0.0002, "the cost parameter α", low=0.0, high=1000.0)
    p_init: float = option(
        0.25, "initial probability of cooperation", low=0.0, strict=True, high=0.999
    )
    log_every: int = option(10, "episodes between logged rows", low=1, high=10**7)

    def check(self) -> None:
        for game in self.games:  # each game's cell validates greed, fear and log_every
            self.cell(game)

    def cell(self, game: str, **changes) -> AMDConfig:
        """The run of one game with this config's settings and ``changes``."""
        shared = {k.name: getattr(self, k.name) for k in dataclasses.fields(ChapterConfig)}
        shared.pop("games")
        base = {**shared, "game": game, **changes}
        if base.get("turn_off_after") == "half":
            base["turn_off_after"] = self.episodes
            base["episodes"] = 2 * self.episodes
        return AMDConfig(**base)


@dataclass(frozen=True)
class MultiPlayerConfig(ChapterConfig):
    """Figure 4.2: N-player dilemmas (the authors' code: 10 players, 2000 episodes).

    The cost keeps the thesis's stated default (α = 0.0002, §4.2); the authors' symmetric
    planner code has no cost term (``--cost 0`` runs that).
    """

    games: tuple[str, ...] = option(
        ("prisoners_dilemma",), "games of Table 4.1 to run", choices=GAMES
    )
    episodes: int = option(2000, "episodes", low=1, high=10**7)
    n_players: int = option(10, "learners", low=2, high=16)

    def cell(self, game: str, **changes) -> AMDConfig:
        changes = {"n_players": self.n_players, "planner_inputs": "own", **changes}
        return ChapterConfig.cell(self, game, **changes)
