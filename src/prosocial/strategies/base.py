"""The shape every strategy shares, and a match between two of them.

A strategy is a bundle of pure functions over its own state, as a learner is:

    state = strategy.init(key)
    level = strategy.act(state, key)          # this round's level of cooperation ℓ ∈ [0, 1]
    state = strategy.update(state, observation)
    alpha, beta_hat = strategy.probe(state)   # NaN where the strategy has no such thing

A *level* is what a game of :mod:`prosocial.games.degrees` turns into an action: the
probability of C in the iterated Prisoner's Dilemma, the fraction of the optimal
contribution in the continuous dilemma. Every strategy plays every such game: it is
built for one game (``factory(game, **options)``) and speaks in levels only.

:func:`play_match` is one match as a ``lax.scan`` over rounds, a pure function of its
key; :func:`select` makes a strategy out of several with an index that may be data, so
that a whole table of pairings is one program vmapped over (index, index, key).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

NAN = float("nan")
F32 = jnp.float32


class Observation(NamedTuple):
    """What a player sees after a round, in levels.

    Attributes:
        own: its own executed level (IPD: 1 for C, 0 for D; continuous: executed action
            over a*, noise included).
        other: the co-player's executed level, as observed.
        reward: its own reward.
    """

    own: jax.Array
    other: jax.Array
    reward: jax.Array


class Strategy(NamedTuple):
    """``init(key)``, ``act(state, key) -> level``, ``update(state, obs)``, ``probe(state)``."""

    init: Callable[[jax.Array], Any]
    act: Callable[[Any, jax.Array], jax.Array]
    update: Callable[[Any, Observation], Any]
    probe: Callable[[Any], jax.Array]


def no_probe(state: Any) -> jax.Array:
    """``[α, β̂] = [NaN, NaN]``: a strategy without a degree of cooperation."""
    del state
    return jnp.full((2,), NAN, dtype=jnp.float32)


class Trajectory(NamedTuple):
    """One match, one row per round (leading axis: rounds).

    Attributes:
        levels: ``(rounds, 2)`` the levels the two players chose (before sampling).
        actions: ``(rounds, 2)`` executed actions (IPD: 0 = C, 1 = D).
        rewards: ``(rounds, 2)``.
        probes: ``(rounds, 2, 2)`` each player's ``[α, β̂]`` after the round's update.
    """

    levels: jax.Array
    actions: jax.Array
    rewards: jax.Array
    probes: jax.Array


def play_match(game: Any, first: Strategy, second: Strategy, key: jax.Array, rounds: int):
    """Play ``rounds`` rounds of ``game`` between two strategies; a pure function of ``key``.

    Each round both act at once, the game samples the executed actions, and each player
    observes its own and the co-player's executed level and its own reward.
    """
    init_key, key = jax.random.split(key)
    k1, k2 = jax.random.split(init_key)
    states = (first.init(k1), second.init(k2))

    def round_(states, key):
        k1, k2, k_play = jax.random.split(key, 3)
        levels = jnp.stack([first.act(states[0], k1), second.act(states[1], k2)])
        actions = game.sample(k_play, levels)
        rewards = game.rewards(actions)
        seen = game.level_of(actions)
        s1 = first.update(states[0], Observation(seen[0], seen[1], rewards[0]))
        s2 = second.update(states[1], Observation(seen[1], seen[0], rewards[1]))
        probes = jnp.stack([first.probe(s1), second.probe(s2)])
        return (s1, s2), Trajectory(levels, actions, rewards, probes)

    _, trajectory = jax.lax.scan(round_, states, jax.random.split(key, rounds))
    return trajectory


def select(strategies: Sequence[Strategy], index: jax.Array) -> Strategy:
    """The strategy ``strategies[index]``, where ``index`` may be traced (a vmapped axis).

    The state holds every strategy's state; ``act``, ``update`` and ``probe`` branch with
    ``lax.switch`` and only the selected strategy's state changes. Under ``vmap`` every
    branch is computed, so the cost of a round is the sum over ``strategies``.
    """
    strategies = tuple(strategies)
    n = len(strategies)

    def init(key: jax.Array) -> tuple:
        keys = jax.random.split(key, n)
        return tuple(s.init(k) for s, k in zip(strategies, keys, strict=True))

    def act(state: tuple, key: jax.Array) -> jax.Array:
        branches = [lambda st, k, i=i: strategies[i].act(st[i], k).astype(F32) for i in range(n)]
        return jax.lax.switch(index, branches, state, key)

    def update(state: tuple, obs: Observation) -> tuple:
        def branch(i: int) -> Callable:
            def updated(st: tuple, obs: Observation) -> tuple:
                return (*st[:i], strategies[i].update(st[i], obs), *st[i + 1 :])

            return updated

        return jax.lax.switch(index, [branch(i) for i in range(n)], state, obs)

    def probe(state: tuple) -> jax.Array:
        branches = [lambda st, i=i: strategies[i].probe(st[i]).astype(F32) for i in range(n)]
        return jax.lax.switch(index, branches, state)

    return Strategy(init, act, update, probe)
