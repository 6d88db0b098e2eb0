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
- ``memory_one(p)``: level 1 first, then P(C | own last, co-player's last) =
  ``p = (p_CC, p_CD, p_DC, p_DD)`` (own move first, as in the Axelrod library), read
  bilinearly in the two observed levels in the continuous game. ``joss``: Joss's entry to
  Axelrod's first tournament, p = (0.9, 0, 0.9, 0) (Axelrod 1980).
- ``zero_determinant(φ, s, l)``: the memory-one strategy that enforces
  s (π_X − l) = π_Y − l on its own payoff π_X and the co-player's π_Y (Press & Dyson,
  PNAS 2012), in the parameterisation of Hilbe, Nowak & Sigmund (PNAS 2013, eq. 14):

      p_CC = 1 − φ(1 − s)(R − l),      p_CD = 1 − φ(s(l − S) + (T − l)),
      p_DC = φ((l − S) + s(T − l)),    p_DD = φ(1 − s)(l − P),

  with R, S, T, P the game's payoffs at full cooperation and defection. Extortioners
  have l = P and s = 1/χ < 1: their surplus over P is χ times the co-player's.
  ``zd_extort2`` (φ = 1/9, s = 1/2, l = P; Stewart & Plotkin, PNAS 2012),
  ``zd_extortion`` (φ = 0.2, s = 0.1, l = P) and ``zd_gtft2`` (φ = 1/4, s = 1/2, l = R,
  generous) carry the Axelrod library's parameters. In the continuous dilemma the same
  (φ, s, l) apply to its payoffs at full cooperation and defection (R = 1/2, S = −1/2,
  T = 1, P = 0 by default), read bilinearly in the levels: a graded analogue, milder
  than the IPD's, for which the zero-determinant relation is not exact.
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


class MemoryOne(NamedTuple):
    """The last observed levels (own, co-player's) and whether a round was played."""

    own: jax.Array
    other: jax.Array
    played: jax.Array


def memory_one(game: Any = None, p: Any = (1.0, 0.0, 1.0, 0.0)) -> Strategy:
    """Level 1 first, then ``P(C | own last, co-player's last)`` from
    ``p = (p_CC, p_CD, p_DC, p_DD)`` (the default is tit-for-tat)."""
    del game
    if isinstance(p, jax.core.Tracer):
        table = p
    else:
        if not isinstance(p, (tuple, list)) or len(p) != 4:
            raise ConfigError(
                "memory_one.p", f"{p!r} is not accepted; accepted: four numbers in [0, 1]"
            )
        for x in p:
            _unit("memory_one.p", x)
        table = jnp.asarray(p, F32)

    def init(key: jax.Array) -> MemoryOne:
        del key
        return MemoryOne(jnp.ones((), F32), jnp.ones((), F32), jnp.zeros((), bool))

    def act(state: MemoryOne, key: jax.Array) -> jax.Array:
        del key
        o, x = state.own, state.other
        weights = jnp.stack([o * x, o * (1 - x), (1 - o) * x, (1 - o) * (1 - x)])
        return jnp.where(state.played, weights @ table, 1.0).astype(F32)

    def update(state: MemoryOne, obs: Observation) -> MemoryOne:
        return MemoryOne(_seen(obs.own), _seen(obs.other), jnp.ones((), bool))

    return Strategy(init, act, update, no_probe)


def joss(game: Any = None, p: float | jax.Array = 0.9) -> Strategy:
    """Joss: cooperate with probability ``p`` after the co-player's C, defect after its D."""
    _unit("joss.p", p)
    return memory_one(game, (p, 0.0, p, 0.0))


def _corners(game: Any) -> tuple[float, float, float, float]:
    """The game's R, S, T, P: the row player's rewards at full cooperation and defection."""
    if not callable(getattr(game, "rewards_of_levels", None)):
        raise ConfigError(
            "zero_determinant.game",
            f"{game!r:.60} is not accepted; accepted: a game of prosocial.games.degrees",
        )
    with jax.ensure_compile_time_eval():  # concrete numbers even while a program is traced
        levels = jnp.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], F32)
        R, S, T, P = (float(game.rewards_of_levels(pair)[0]) for pair in levels)
    return R, S, T, P


def zero_determinant_vector(
    game: Any, phi: float, s: float, l: float | None = None
) -> tuple[float, float, float, float]:
    """``(p_CC, p_CD, p_DC, p_DD)`` of Hilbe et al. (2013, eq. 14); ``l = None`` is P."""
    R, S, T, P = _corners(game)
    l = P if l is None else l
    for field, value in (("phi", phi), ("s", s), ("l", l)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
            raise ConfigError(f"zero_determinant.{field}", f"{value!r} is not accepted")
    s_min = -min((T - l) / (l - S), (l - S) / (T - l))
    if not (P <= l <= R and s_min <= s <= 1 and phi > 0):
        raise ConfigError(
            "zero_determinant",
            f"(φ={phi:g}, s={s:g}, l={l:g}) is not enforceable: needs P={P:g} ≤ l ≤ R={R:g},"
            f" {s_min:.3g} ≤ s ≤ 1 and φ > 0",
        )
    p = (
        1 - phi * (1 - s) * (R - l),
        1 - phi * (s * (l - S) + (T - l)),
        phi * ((l - S) + s * (T - l)),
        phi * (1 - s) * (l - P),
    )
    if not all(-1e-9 <= x <= 1 + 1e-9 for x in p):
        raise ConfigError(
            "zero_determinant.phi",
            f"{phi:g} gives probabilities {[round(x, 3) for x in p]} outside [0, 1]; take a"
            " smaller φ",
        )
    return tuple(min(1.0, max(0.0, x)) for x in p)


def zero_determinant(game: Any, phi: float = 1 / 9, s: float = 0.5, l: float | None = None):
    """The zero-determinant strategy (φ, s, l) of ``game`` (``l = None``: l = P)."""
    return memory_one(game, zero_determinant_vector(game, phi, s, l))


def zd_extort2(game: Any) -> Strategy:
    """ZD-Extort-2: φ = 1/9, s = 1/2, l = P (χ = 2; Stewart & Plotkin 2012)."""
    return zero_determinant(game, 1 / 9, 0.5)


def zd_extortion(game: Any) -> Strategy:
    """ZD-Extortion: φ = 0.2, s = 0.1, l = P (χ = 10; the Axelrod library's, l = P = 1)."""
    return zero_determinant(game, 0.2, 0.1)


def zd_gtft2(game: Any) -> Strategy:
    """ZD-GTFT-2, a generous ZD strategy: φ = 1/4, s = 1/2, l = R (Stewart & Plotkin 2012)."""
    return zero_determinant(game, 0.25, 0.5, _corners(game)[0])
