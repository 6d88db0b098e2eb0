"""The config of one adaptive-mechanism-design run (one cell of a chapter-4 table)."""

from __future__ import annotations

from dataclasses import dataclass

import jax

from prosocial.errors import ConfigError
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.games.matrix import TABLE_4_1, n_player_dilemma
from prosocial.planner.amd import INPUTS as PLANNER_INPUTS

GAMES = tuple(TABLE_4_1)
PLANNER_CHOICES = ("none", "exact", "estimated", "linearised")
BASELINES = ("fixed", "learned")
LEARNER_ORDER = ("pg_critic", "exact_gradient")


@dataclass(frozen=True)
class AMDConfig(Config):
    """One adaptive-mechanism-design run (defaults: thesis §4.2 and the authors' code)."""

    game: str = option("prisoners_dilemma", "a game of Table 4.1", choices=GAMES)
    greed: float | None = option(
        None, "override the game's greed T − R (none: Table 4.1)", low=-100.0, high=100.0
    )
    fear: float | None = option(
        None, "override the game's fear P − S (none: Table 4.1)", low=-100.0, high=100.0
    )
    n_players: int = option(2, "learners; above 2 the N-player dilemma", low=2, high=16)
    episodes: int = option(4000, "rounds of the one-shot game played in total", low=1, high=10**8)
    turn_off_after: int | None = option(
        None, "the planner stops after this many episodes (none: never)", low=0, high=10**8
    )
    learner: str = option("pg_critic", "the learners' rule", choices=LEARNER_ORDER)
    learner_lr: float = option(
        0.01, "the learners' step size η_i", low=0.0, strict=True, high=100.0
    )
    p_init: float = option(
        0.25, "initial probability of cooperation", low=0.0, strict=True, high=0.999
    )
    planner: str = option("exact", "the planner's rule (none: no planner)", choices=PLANNER_CHOICES)
    planner_lr: float = option(
        0.01, "the planner's Adam step size η_p", low=0.0, strict=True, high=100.0
    )
    max_reward: float = option(
        3.0, "the bound c on every extra reward", low=0.0, strict=True, high=1000.0
    )
    cost: float = option(0.0002, "the cost parameter α of eq. 4.7", low=0.0, high=1000.0)
    revenue_neutral: bool = option(False, "transfers are centred so that they sum to zero")
    planner_inputs: str = option(
        "joint", "the planner sees every action or the player's own", choices=PLANNER_INPUTS
    )
    opponent_model: bool = option(False, "the planner estimates the logits from actions")
    om_decay: float = option(
        0.99, "discount of past actions in the opponent model", low=0.0, strict=True, high=1.0
    )
    samples: int = option(1, "plays per step behind the estimated planner", low=1, high=1024)
    baseline: str = option("fixed", "the estimated planner's welfare baseline", choices=BASELINES)
    baseline_value: float | None = option(
        None, "the fixed baseline (none: T + S − 0.1, the authors' code)", low=-1e4, high=1e4
    )
    seeds: int = seeds_option(10)
    seed: int = seed_option()
    log_every: int = option(10, "episodes between logged rows", low=1, high=10**8)

    def check(self) -> None:
        check_log_every(self, "episodes")
        if self.turn_off_after is not None and self.turn_off_after > self.episodes:
            raise ConfigError(
                "turn_off_after",
                f"{self.turn_off_after} is not accepted; accepted: at most episodes="
                f"{self.episodes}",
            )
        if self.seed + self.seeds - 1 > 2**32 - 1:
            raise ConfigError("seed", f"{self.seed} + {self.seeds} seeds leave the uint32 range")
        self.payoffs()  # raises when greed/fear make no social dilemma

    @property
    def payoff_source(self) -> str:
        """``table_4_1`` when greed and fear are the game's values in Table 4.1, else
        ``override``: the paper's numbers hold only for the former."""
        table = TABLE_4_1[self.game]
        same = self.greed_fear == (table["greed"], table["fear"])
        return "table_4_1" if same else "override"

    @property
    def greed_fear(self) -> tuple[float, float]:
        table = TABLE_4_1[self.game]
        greed = table["greed"] if self.greed is None else self.greed
        fear = table["fear"] if self.fear is None else self.fear
        return greed, fear

    def payoffs(self) -> jax.Array:
        greed, fear = self.greed_fear
        return n_player_dilemma(self.n_players, greed, fear)
