"""Scripted strategies, written in levels so that each plays both games of
:mod:`prosocial.games.degrees`.

In the iterated Prisoner's Dilemma a level is P(C) and the observed levels are 1 (C) or
0 (D), so these are the classic strategies; in the continuous dilemma a level is the
fraction of the optimal contribution a*, and each rule below is the natural graded
reading of its classic form (observed levels are clipped to [0, 1] before use).

- ``allc`` / ``alld``: level 1 / 0 every round.
- ``random(p)``: full cooperation with probability p, full defection otherwise.
- ``tft``: level 1 in the first round, then the co-player's last level
  (Axelrod 1980, *Effective choice in the Prisoner's Dilemma*).
- ``generous_tft(g)``: as TFT, but ℓ + g(1 − ℓ): in the IPD, cooperate with
  probability g after a defection (Nowak & Sigmund 1992, *Tit for tat in heterogeneous
  populations*, Nature; g = 1/3 by default, their value for R=3, P=1, T=5, S=0).
- ``grim(threshold)``: level 1 until the co-player's level first falls below
  ``threshold`` (0.5: a defection in the IPD), then 0 for ever (Friedman 1971).
- ``wsls``: win-stay, lose-shift (Nowak & Sigmund 1993, Nature): level 1 first; then
  keep the last own level if the reward reached the aspiration (R + P)/2 (a win: R or T
  in the IPD), else switch to 1 minus it.
- ``fixed_beta(β)``: the α-policy of the game with α = β for ever: the opponent whose
  degree of cooperation gradual tit-for-tat should recover.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from prosocial.errors import ConfigError
from prosocial.strategies.base import Observation, Strategy, no_probe

F32 = jnp.float32


def _unit(field: str, value: Any) -> None:
    """``value`` must be a number in [0, 1] (a traced value is not checked)."""
    if isinstance(value, jax.core.Tracer):
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
    if not ok:
        raise ConfigError(field, f"{value!r} is not accepted; accepted: a number in [0, 1]")


def _seen(level: jax.Array) -> jax.Array:
    return jnp.clip(level, 0.0, 1.0).astype(F32)


def constant(level: float) -> Strategy:
    """Level ``level`` every round, with no state."""

    def act(state: Any, key: jax.Array) -> jax.Array:
        del state, key
        return jnp.asarray(level, F32)

    return Strategy(lambda key: (), act, lambda state, obs: state, no_probe)


def allc(game: Any = None) -> Strategy:
    """Always cooperate fully."""
    del game
    return constant(1.0)


def alld(game: Any = None) -> Strategy:
    """Always defect fully."""
    del game
    return constant(0.0)


def random(game: Any = None, p: float | jax.Array = 0.5) -> Strategy:
    """Full cooperation with probability ``p`` each round, full defection otherwise."""
    del game
    _unit("random.p", p)

    def act(state: Any, key: jax.Array) -> jax.Array:
        del state
        return jax.random.bernoulli(key, p).astype(F32)

    return Strategy(lambda key: (), act, lambda state, obs: state, no_probe)


class Reactive(NamedTuple):
    """The co-player's last observed level (clipped) and whether a round was played."""

    last: jax.Array
    played: jax.Array


def _reactive(respond) -> Strategy:
    """Level 1 in the first round, then ``respond(last observed level)``."""

    def init(key: jax.Array) -> Reactive:
        del key
        return Reactive(jnp.ones((), F32), jnp.zeros((), bool))

    def act(state: Reactive, key: jax.Array) -> jax.Array:
        del key
        return jnp.where(state.played, respond(state.last), 1.0).astype(F32)

    def update(state: Reactive, obs: Observation) -> Reactive:
        return Reactive(_seen(obs.other), jnp.ones((), bool))

    return Strategy(init, act, update, no_probe)


def tft(game: Any = None) -> Strategy:
    """Tit-for-tat: cooperate first, then copy the co-player's last level."""
    del game
    return _reactive(lambda last: last)


def generous_tft(game: Any = None, g: float | jax.Array = 1 / 3) -> Strategy:
    """Generous tit-for-tat: ``ℓ + g (1 − ℓ)`` of the co-player's last level ℓ."""
    del game
    _unit("generous_tft.g", g)
    return _reactive(lambda last: last + g * (1.0 - last))


def grim(game: Any = None, threshold: float | jax.Array = 0.5) -> Strategy:
    """Grim trigger: cooperate until the co-player's level falls below ``threshold``."""
    del game
    _unit("grim.threshold", threshold)

    def init(key: jax.Array) -> jax.Array:
        del key
        return jnp.zeros((), bool)

    def act(triggered: jax.Array, key: jax.Array) -> jax.Array:
        del key
        return jnp.where(triggered, 0.0, 1.0).astype(F32)

    def update(triggered: jax.Array, obs: Observation) -> jax.Array:
        return triggered | (obs.other < threshold)

    return Strategy(init, act, update, no_probe)


class WSLSState(NamedTuple):
    level: jax.Array
    won: jax.Array


def wsls(game: Any) -> Strategy:
    """Win-stay, lose-shift with aspiration ``game.aspiration`` ((R + P)/2 in the IPD)."""
    if not hasattr(game, "aspiration"):
        raise ConfigError(
            "wsls.game",
            f"{game!r:.60} is not accepted; accepted: a game of prosocial.games.degrees",
        )
    aspiration = game.aspiration

    def init(key: jax.Array) -> WSLSState:
        del key
        return WSLSState(jnp.ones((), F32), jnp.ones((), bool))

    def act(state: WSLSState, key: jax.Array) -> jax.Array:
        del key
        return jnp.where(state.won, state.level, 1.0 - state.level).astype(F32)

    def update(state: WSLSState, obs: Observation) -> WSLSState:
        return WSLSState(_seen(obs.own), obs.reward >= aspiration)

    return Strategy(init, act, update, no_probe)


def fixed_beta(game: Any, beta: float | jax.Array = 0.5) -> Strategy:
    """The game's α-policy with α = ``beta`` in every round; probes ``[β, NaN]``."""
    _unit("fixed_beta.beta", beta)

    def act(state: Any, key: jax.Array) -> jax.Array:
        del state, key
        return jnp.asarray(game.policy(beta), F32)

    def probe(state: Any) -> jax.Array:
        del state
        return jnp.stack([jnp.asarray(beta, F32), jnp.asarray(jnp.nan, F32)])

    return Strategy(lambda key: (), act, lambda state, obs: state, probe)
