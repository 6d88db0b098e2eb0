"""Single-logit learners for binary-action games (cooperate = action 0).

Each player ``i`` holds one logit ``θ_i`` and cooperates with probability ``σ(θ_i)``. The
learners of all ``n`` players are held together as arrays with a leading player axis;
every rule is element-wise over players, so this is the same as ``n`` separate learners.

Two rules, selectable by name (``LEARNERS.make(name, ...)``):

``pg_critic`` — the learner of the authors' code for adaptive mechanism design
(Baumann et al., ``Agents.py`` of github ``tobiasbaumann1/Adaptive_Mechanism_Design``
and ``tobiasbaumann1/Mechanism_Design_Multi-Player``): sampled play, an actor-critic with a
*centralised* critic ``V_i(x)`` whose input is a dummy state feature followed by every
player's action-probability vector, ``x = [0, π_1(C), π_1(D), …, π_n(C), π_n(D)]``
(one hidden layer of 20 ReLU units, weights N(0, 0.1), biases 0.1, then linear). With
the observed total reward ``r_i`` (game reward plus the planner's extra reward),

    δ_i = r_i + γ V_i(x) − V_i(x)          (TD(0); one-shot game, next state = same x)
    critic:  minimise δ_i²                  (Adam)
    actor:   minimise −log π_i(a_i) · δ_i   (Adam, δ_i held fixed)

with γ = 0.9 and step size 0.01 for both. The code bootstraps with ``done=False`` on the
dummy next state; we keep that, so the critic tracks ``r/(1 − γ)``.

``exact_gradient`` — plain gradient ascent on the player's own exact value, the learner
that the look-ahead of eq. 4.1 assumes:

    θ_i ← θ_i + η ∇_i V_i^tot(θ),   V_i^tot = V_i + V_i^p.

The runner supplies ``∇_i V_i^tot`` (``Transition.value_grad``); ``pg_critic`` ignores it.

Why the two differ (see docs/learners.md): Adam normalises each step by a running gradient
scale, so a ``pg_critic`` player moves its logit by about its step size per update whatever
the size of the gradient. Plain gradient ascent moves by ``η · σ'(θ) · ΔV``, which vanishes
as ``P(C) → 1``: once the planner is turned off in the Prisoner's Dilemma, the Adam learner
unlearns cooperation within a few thousand episodes, the plain learner barely moves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from prosocial.errors import ConfigError
from prosocial.games.matrix import COOPERATE
from prosocial.registry import Registry


class Transition(NamedTuple):
    """What a learner sees after one round.

    Attributes:
        actions: ``(n,)`` int actions taken (0 = C, 1 = D).
        rewards: ``(n,)`` total rewards received (game plus extra rewards).
        value_grad: ``(n,)`` exact ``∇_i V_i^tot`` (used by ``exact_gradient`` only).
    """

    actions: jax.Array
    rewards: jax.Array
    value_grad: jax.Array


class LearnerState(NamedTuple):
    logits: jax.Array
    actor_opt: Any
    critic: Any
    critic_opt: Any


class BinaryLearner(NamedTuple):
    """A bundle of pure functions, as ``optax.GradientTransformation`` is.

    Attributes:
        init: ``(key, n_players) -> LearnerState``.
        update: ``(state, transition) -> (state, info)`` with ``info`` a dict of scalars per
            player (``critic/td_error`` etc.).
        needs_exact_gradient: whether ``Transition.value_grad`` must be filled in.
    """

    init: Callable[[jax.Array, int], LearnerState]
    update: Callable[[LearnerState, Transition], tuple[LearnerState, dict]]
    needs_exact_gradient: bool


def _initial_logits(n_players: int, p_init: float) -> jax.Array:
    return jnp.full((n_players,), jnp.log(p_init) - jnp.log1p(-p_init), dtype=jnp.float32)


def _check(name: str, value: float, *, low: float = 0.0, high: float | None = None) -> None:
    """``value`` must be a real scalar in ``(low, high)``, finite in float32 (a traced
    value is not checked)."""
    if isinstance(value, jax.core.Tracer):
        return
    top = float(jnp.finfo(jnp.float32).max) if high is None else high
    ok = not isinstance(value, bool | str | bytes) and np.ndim(value) == 0
    if ok:
        try:
            x = float(value)
        except (TypeError, ValueError):
            ok = False
        else:
            ok = low < x < top
    if not ok:
        accepted = (
            f"a number in ({low:g}, {high:g})" if high is not None else f"a finite number > {low:g}"
        )
        raise ConfigError(name, f"{value!r} is not accepted; accepted: {accepted}")


class Critic(nn.Module):
    """Centralised critic: 20 ReLU units (weights N(0, 0.1), biases 0.1), then linear."""

    hidden: int = 20

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        init = nn.initializers.normal(0.1)
        h = nn.relu(
            nn.Dense(self.hidden, kernel_init=init, bias_init=nn.initializers.constant(0.1))(x)
        )
        return nn.Dense(1, kernel_init=init, bias_init=nn.initializers.constant(0.1))(h)[0]


def init_critics(key: jax.Array, n_players: int, hidden: int = 20) -> dict:
    """Parameters of one :class:`Critic` per player, stacked on a leading player axis.

    Drawn directly (weights N(0, 0.1), biases 0.1) in the layout ``Critic.apply`` reads:
    one normal draw instead of a traced ``Critic.init``, which compiles several times
    slower and dominates a short run's start-up.
    """
    d = 1 + 2 * n_players
    w = 0.1 * jax.random.normal(key, (n_players, d * hidden + hidden))
    return {
        "params": {
            "Dense_0": {
                "kernel": w[:, : d * hidden].reshape(n_players, d, hidden),
                "bias": jnp.full((n_players, hidden), 0.1, jnp.float32),
            },
            "Dense_1": {
                "kernel": w[:, d * hidden :].reshape(n_players, hidden, 1),
                "bias": jnp.full((n_players, 1), 0.1, jnp.float32),
            },
        }
    }


def critic_input(logits: jax.Array) -> jax.Array:
    """``[0, π_1(C), π_1(D), …]``: a dummy state feature and every player's policy."""
    p = jax.nn.sigmoid(logits)
    return jnp.concatenate([jnp.zeros((1,)), jnp.stack([p, 1 - p], axis=-1).reshape(-1)])


def score(logits: jax.Array, actions: jax.Array) -> jax.Array:
    """``∇_θ log π(a)`` of a single-logit player: ``1 − σ(θ)`` for C, ``−σ(θ)`` for D."""
    p = jax.nn.sigmoid(logits)
    return jnp.where(actions == COOPERATE, 1.0 - p, -p)


def pg_critic(
    lr: float = 0.01, critic_lr: float = 0.01, gamma: float = 0.9, p_init: float = 0.25
) -> BinaryLearner:
    """Actor-critic learners with a centralised critic, as in the AMD authors' code."""
    _check("learner.lr", lr)
    _check("learner.critic_lr", critic_lr)
    _check("learner.gamma", gamma, low=0.0, high=1.0)
    _check("learner.p_init", p_init, low=0.0, high=1.0)
    critic = Critic()
    actor_opt, critic_opt = optax.adam(lr), optax.adam(critic_lr)

    def init(key: jax.Array, n_players: int) -> LearnerState:
        logits = _initial_logits(n_players, p_init)
        params = init_critics(key, n_players)
        return LearnerState(logits, actor_opt.init(logits), params, critic_opt.init(params))

    def update(state: LearnerState, t: Transition) -> tuple[LearnerState, dict]:
        x = critic_input(state.logits)

        def td_loss(params, reward):
            v = critic.apply(params, x)
            delta = reward + gamma * jax.lax.stop_gradient(v) - v
            return delta**2, delta

        grads, delta = jax.vmap(jax.grad(td_loss, has_aux=True))(state.critic, t.rewards)
        c_upd, c_opt = critic_opt.update(grads, state.critic_opt, state.critic)
        a_grad = -score(state.logits, t.actions) * delta  # ∇θ of −log π(a)·δ
        a_upd, a_opt = actor_opt.update(a_grad, state.actor_opt, state.logits)
        new = LearnerState(
            optax.apply_updates(state.logits, a_upd),
            a_opt,
            optax.apply_updates(state.critic, c_upd),
            c_opt,
        )
        return new, {"critic/td_error": delta}

    return BinaryLearner(init, update, needs_exact_gradient=False)


def exact_gradient(lr: float = 0.01, p_init: float = 0.25) -> BinaryLearner:
    """Plain gradient ascent on the exact value, ``θ_i ← θ_i + η ∇_i V_i^tot`` (eq. 4.1)."""
    _check("learner.lr", lr)
    _check("learner.p_init", p_init, low=0.0, high=1.0)

    def init(key: jax.Array, n_players: int) -> LearnerState:
        del key
        return LearnerState(_initial_logits(n_players, p_init), (), (), ())

    def update(state: LearnerState, t: Transition) -> tuple[LearnerState, dict]:
        logits = state.logits + lr * t.value_grad
        return state._replace(logits=logits), {"critic/td_error": jnp.zeros_like(logits)}

    return BinaryLearner(init, update, needs_exact_gradient=True)


LEARNERS: Registry[BinaryLearner] = Registry("learner")
LEARNERS.register("pg_critic", pg_critic)
LEARNERS.register("exact_gradient", exact_gradient)
