"""The match program of the gradual tit-for-tat presets (thesis chapter 5).

A cell is one pairing: the first player ``agent`` drawn from the roster ``rows``, the
second ``opponent`` from the roster ``columns`` (``fixed_beta`` there is the α-policy
with α = ``beta``, the estimation experiment's opponent). The rosters, the game and the
agents' options shape the compiled program (:class:`MatchCell` with the pairing reset);
the pairing's indices, β and the round ``at`` are data, so a whole table of pairings in
one game is one program, vmapped over pairings × seeds
(:func:`prosocial.strategies.select` picks each player from its roster).

A match is :func:`prosocial.strategies.play_match` cut into rows of ``log_every``
rounds: the state carries both players' states, the round counter and the per-round keys
that ``play_match`` would draw, so the rows of any chunking give the same match. What
needs every round is kept online in the state and read by ``finish``:

- ``time_to_cooperation``: the first round t from which the :data:`WINDOW`-round moving
  average of both players' levels (the lower of the two each round) stays at or above
  :data:`COOPERATIVE` to the end (NaN: never);
- ``alpha_at``, ``beta_hat_at``: the first player's [α, β̂] after round ``at``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from prosocial.errors import ConfigError
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.program import PROGRAMS, Program, seed_keys
from prosocial.games import continuous_dilemma, degree_ipd
from prosocial.strategies import STRATEGIES, Observation, fixed_beta, select

GAMES = ("ipd", "continuous")
PLAIN = ("gtft_bayes", "gtft_reward")
LEDGER = ("lgtft_bayes", "lgtft_reward")
"""Gradual TFT guarded by a payoff ledger (:func:`prosocial.strategies.ledger_gtft`)."""
GRADUAL = (*PLAIN, *LEDGER)
ESTIMATOR = MappingProxyType({a: a.split("_")[1] for a in GRADUAL})
"""Each gradual TFT's estimator: ``bayes`` (eq. 5.1) or ``reward`` (§5.3.2)."""
LEARNERS = ("naive", "lola")
EXTORTIONERS = ("zd_extort2", "zd_extortion", "joss")
"""The co-players against which the ledger must keep payoffs within 0.1 per round."""
MEMORY_ONE = (*EXTORTIONERS, "zd_gtft2")
AGENTS = (
    *GRADUAL,
    *LEARNERS,
    "allc",
    "alld",
    "random",
    "tft",
    "generous_tft",
    "grim",
    "wsls",
    *MEMORY_ONE,
)
OPPONENTS = (*AGENTS, "fixed_beta")
COOPERATIVE = 0.9
"""A level at or above this is cooperation (time to mutual cooperation, "cooperates")."""
WINDOW = 20
"""Rounds of the moving average that time to mutual cooperation reads."""
TOLERANCE = 1e-6
"""A window's float32 mean counts as ≥ :data:`COOPERATIVE` within this (rounding)."""
NO_DEGREE = -1.0
"""Logged as α and β̂ of a first player that has no degree of cooperation (not gradual
TFT): the runner treats NaN in a metric as divergence."""


@dataclass(frozen=True)
class AgentOptions(Config):
    """The options every roster is built from (shared by every gradual TFT config)."""

    temperature: float = option(
        0.2, "κ of the IPD's α-policies σ((3α − 1)/κ)", low=0.0, strict=True, high=100.0
    )
    eps: float = option(0.1, "gradual TFT's forgiveness ε", low=0.0, high=1.0)
    tau: float = option(0.02, "the reward estimator's decay τ", low=0.0, strict=True, high=1.0)
    grid: int = option(
        101, "grid points of the Bayesian estimator (uniform prior)", low=2, high=10_001
    )
    p_random: float = option(
        0.5, "the random strategy's probability of cooperating", low=0.0, high=1.0
    )
    generosity: float = option(1 / 3, "generous TFT's g", low=0.0, high=1.0)
    learner_lr: float = option(
        1.0, "the learners' step size on per-round values", low=0.0, strict=True, high=1000.0
    )
    lola_eta: float = option(1.0, "LOLA's assumed co-player step size η", low=0.0, high=1000.0)
    tolerance: float = option(
        2.5, "the ledger's tolerance δ (units of the C–D gap)", low=0.0, high=1000.0
    )
    width: float = option(
        1.0, "the ledger guard's width w (units of the C–D gap)", low=0.0, strict=True, high=1000.0
    )
    leak: float = option(0.005, "the ledger's leak ρ per round", low=0.0, high=1.0)


@dataclass(frozen=True)
class MatchCell(AgentOptions):
    """One pairing of a table: ``agent`` (from ``rows``) against ``opponent`` (from
    ``columns``) in ``game``, ``seeds`` matches of ``rounds`` rounds."""

    game: str = option("ipd", "ipd (R=3 P=1 T=4 S=0, α-policies) or continuous", choices=GAMES)
    noise: float = option(0.0, "action noise σ of the continuous game", low=0.0, high=1.0)
    rows: tuple[str, ...] = option(
        (*GRADUAL, *LEARNERS), "the first players' roster", choices=AGENTS
    )
    columns: tuple[str, ...] = option(AGENTS, "the second players' roster", choices=OPPONENTS)
    agent: str = option("gtft_bayes", "the first player", choices=AGENTS)
    opponent: str = option("allc", "the second player", choices=OPPONENTS)
    beta: float = option(0.5, "the fixed_beta opponent's degree β", low=0.0, high=1.0)
    at: int = option(1, "the round after which α and β̂ are recorded", low=1, high=10**7)
    seeds: int = seeds_option(8, "matches per pairing, vmapped")
    seed: int = seed_option()
    rounds: int = option(1000, "rounds per match", low=1, high=10**7)
    log_every: int = option(10, "rounds per logged row (averages over them)", low=1, high=10**7)

    def check(self) -> None:
        if self.agent not in self.rows:
            raise ConfigError("agent", f"{self.agent!r} is not in rows={self.rows}")
        if self.opponent not in self.columns:
            raise ConfigError("opponent", f"{self.opponent!r} is not in columns={self.columns}")
        check_log_every(self, "rounds")
        if self.at > self.rounds:
            raise ConfigError(
                "at", f"{self.at} is not accepted; accepted: at most rounds={self.rounds}"
            )

    @property
    def static(self) -> MatchCell:
        """What shapes the compiled program: this config with the pairing reset."""
        return dataclasses.replace(
            self, agent=self.rows[0], opponent=self.columns[0], beta=0.5, at=1
        )


@cache
def build_game(game: str, temperature: float, noise: float) -> Any:
    """The IPD with temperature κ, or the continuous dilemma with action noise σ."""
    if game == "ipd":
        return degree_ipd(temperature=temperature)
    return continuous_dilemma(noise=noise)


def game_numbers(cfg: Any) -> dict[str, float]:
    """Mutual cooperation and defection per player, and the maximum welfare."""
    g = build_game(cfg.game, cfg.temperature, getattr(cfg, "noise", 0.0))
    return {
        "mutual_cooperation": float(g.mutual_cooperation),
        "mutual_defection": float(g.mutual_defection),
        "max_welfare": float(g.max_welfare),
    }


def roster(game: Any, cfg: AgentOptions, beta: Any = 0.5) -> dict[str, Any]:
    """Every strategy a roster may name, built for ``game`` from the options."""
    make = STRATEGIES.make
    ledger = {"tolerance": cfg.tolerance, "width": cfg.width, "leak": cfg.leak}
    return {
        **{
            agent: make(
                "ledger_gtft" if agent in LEDGER else "gradual_tft",
                game=game,
                estimator=ESTIMATOR[agent],
                eps=cfg.eps,
                **({"grid": cfg.grid} if ESTIMATOR[agent] == "bayes" else {"tau": cfg.tau}),
                **(ledger if agent in LEDGER else {}),
            )
            for agent in GRADUAL
        },
        "naive": make("naive_learner", game=game, lr=cfg.learner_lr),
        "lola": make("lola_learner", game=game, lr=cfg.learner_lr, eta=cfg.lola_eta),
        "allc": make("allc", game=game),
        "alld": make("alld", game=game),
        "random": make("random", game=game, p=cfg.p_random),
        "tft": make("tft", game=game),
        "generous_tft": make("generous_tft", game=game, g=cfg.generosity),
        "grim": make("grim", game=game),
        "wsls": make("wsls", game=game),
        **{name: make(name, game=game) for name in MEMORY_ONE},
        "fixed_beta": fixed_beta(game, beta),
    }


class Dynamic(NamedTuple):
    agent: jax.Array  # index into rows
    opponent: jax.Array  # index into columns
    beta: jax.Array
    at: jax.Array


class MatchState(NamedTuple):
    """A match between rows: the players, the round, the keys ``play_match`` draws, the
    moving window of the lower level, and the first player's [α, β̂] after round ``at``."""

    round: jax.Array
    players: tuple
    keys: jax.Array
    window: jax.Array
    last_bad: jax.Array
    last_ok: jax.Array
    probe_at: jax.Array


def _players(static: MatchCell, dyn: Dynamic):
    game = build_game(static.game, static.temperature, static.noise)
    agents = roster(game, static, dyn.beta)
    first = select([agents[n] for n in static.rows], dyn.agent)
    second = select([agents[n] for n in static.columns], dyn.opponent)
    return game, first, second


def init(static: MatchCell, dyn: Dynamic, key: jax.Array) -> MatchState:
    """The state before round 1, keyed exactly as :func:`play_match` keys a match."""
    _, first, second = _players(static, dyn)
    init_key, key = jax.random.split(key)
    k1, k2 = jax.random.split(init_key)
    return MatchState(
        jnp.zeros((), jnp.int32),
        (first.init(k1), second.init(k2)),
        jax.random.split(key, static.rounds),
        jnp.zeros((WINDOW,), jnp.float32),
        jnp.full((), -1, jnp.int32),
        jnp.zeros((), bool),
        jnp.full((2,), jnp.nan, jnp.float32),
    )


def cooperation_step(window, last_bad, last_ok, t, level):
    """One round of the online time to mutual cooperation: ``level`` is the lower of the
    two levels of round ``t`` (0-based); ``last_bad`` the last window start whose mean is
    below :data:`COOPERATIVE`, ``last_ok`` whether the latest full window clears it."""
    width = window.shape[0]
    window = window.at[t % width].set(level)
    full = t >= width - 1
    ok = window.sum() / width >= COOPERATIVE - TOLERANCE
    last_bad = jnp.where(full & ~ok, t - width + 1, last_bad)
    return window, last_bad, jnp.where(full, ok, last_ok)


def time_to_cooperation(last_bad: jax.Array, last_ok: jax.Array) -> jax.Array:
    return jnp.where(last_ok, last_bad + 1, jnp.nan).astype(jnp.float32)


def _round(static, dyn, game, first, second, state: MatchState):
    """One round of ``play_match``; past the match's rounds the state stays."""
    k1, k2, k_play = jax.random.split(state.keys[jnp.minimum(state.round, static.rounds - 1)], 3)
    s1, s2 = state.players
    levels = jnp.stack([first.act(s1, k1), second.act(s2, k2)])
    actions = game.sample(k_play, levels)
    rewards = game.rewards(actions)
    seen = game.level_of(actions)
    s1 = first.update(s1, Observation(seen[0], seen[1], rewards[0]))
    s2 = second.update(s2, Observation(seen[1], seen[0], rewards[1]))
    probes = jnp.stack([first.probe(s1), second.probe(s2)])
    window, last_bad, last_ok = cooperation_step(
        state.window, state.last_bad, state.last_ok, state.round, levels.min()
    )
    probe_at = jnp.where(state.round + 1 == dyn.at, probes[0], state.probe_at)
    new = MatchState(state.round + 1, (s1, s2), state.keys, window, last_bad, last_ok, probe_at)
    live = state.round < static.rounds
    state = jax.tree.map(lambda a, b: jnp.where(live, a, b), new, state)
    return state, (levels, rewards, probes[0])


def advance(static: MatchCell, dyn: Dynamic, state: MatchState, rows: int):
    """Play ``rows · log_every`` rounds; one metrics row per ``log_every`` rounds."""
    game, first, second = _players(static, dyn)
    estimation = "fixed_beta" in static.columns

    def block(state, _):
        state, (levels, rewards, probe) = jax.lax.scan(
            lambda s, _: _round(static, dyn, game, first, second, s),
            state,
            None,
            length=static.log_every,
        )
        degree = jnp.nan_to_num(probe[-1], nan=NO_DEGREE)
        row = {
            "round": state.round,
            "play/level": levels.mean(axis=0),
            "payoff/reward": rewards.mean(axis=0),
            "social/welfare": rewards.sum(axis=1).mean(),
            "gtft/alpha": degree[:1],
            "gtft/beta_hat": degree[1:],
        }
        if estimation:
            row["estimate/abs_error"] = jnp.abs(probe[-1, 1] - dyn.beta)
        return state, row

    return jax.lax.scan(block, state, None, length=rows)


def finish(static: MatchCell, dyn: Dynamic, state: MatchState) -> dict:
    return {
        "time_to_cooperation": time_to_cooperation(state.last_bad, state.last_ok),
        "alpha_at": state.probe_at[0],
        "beta_hat_at": state.probe_at[1],
    }


def _static(configs) -> MatchCell:
    statics = {c.static for c in configs}
    if len(statics) > 1:
        raise ConfigError(
            "cells", "cells run as one batch must share everything but the pairing, beta and at"
        )
    return statics.pop()


def _dynamic(cfg: MatchCell, static: MatchCell) -> Dynamic:
    return Dynamic(
        jnp.asarray(static.rows.index(cfg.agent), jnp.int32),
        jnp.asarray(static.columns.index(cfg.opponent), jnp.int32),
        jnp.asarray(cfg.beta, jnp.float32),
        jnp.asarray(cfg.at, jnp.int32),
    )


CHUNK_ROUNDS = 1000
"""Rounds per compiled call: the runner reports progress and checkpoints between them."""

PROGRAM = Program(
    name="gradual_tft",
    x="round",
    group=lambda c: c.static,
    static=_static,
    dynamic=_dynamic,
    inputs=lambda c: seed_keys(c.seed, c.seeds),
    init=init,
    advance=advance,
    rows=lambda c: c.rounds // c.log_every,
    chunk=lambda c, every: max(1, min(every or CHUNK_ROUNDS, c.rounds) // c.log_every),
    finish=finish,
)
PROGRAMS.register("gradual_tft", lambda: PROGRAM)
