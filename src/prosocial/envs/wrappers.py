"""Wrappers: functions ``Environment -> Environment`` that change what any game pays or records.

A wrapper composes the inner game's ``init_fn``, ``transition_fn`` and ``observe_fn``
(:mod:`prosocial.envs.core`), so the result is an environment like any other: the
core's ``reset``/``step`` (with its automatic reset) drive it, it compiles once, vmaps,
and wrappers stack in any order::

    env = episode_statistics(inequity_aversion(envs.make("coin_game"), alpha=5.0, beta=0.05))

A wrapper with state (the smoothed rewards of inequity aversion, the episode
accumulators) keeps it in a state pytree whose field ``inner`` holds the game's state;
a wrapper with parameters (α, β, γ, λ; θ) keeps them in a params pytree whose field
``inner`` holds the game's parameters. Those parameters are data: they may be traced,
vmapped over, or given per agent as an ``(n,)`` array. Reads of a field the wrapper
does not define pass through to ``inner`` (``params.num_agents``, ``state.t``), and
``env.replace(alpha=...)`` validates the wrapper's fields. Because the core draws a
fresh episode with ``init_fn`` and every wrapper's ``init_fn`` starts its own state
afresh (zero traces, zero totals), wrapper state resets with the episode.

Every reward wrapper also records the rewards it received in ``info["reward/extrinsic"]``
unless an inner wrapper already did, so the game's own rewards stay available to
:mod:`prosocial.metrics` however many transforms are stacked. Each transform applies to
the rewards of the environment it wraps (which are the game's own unless another reward
wrapper sits inside).

Collective reward (``collective_reward``): every agent receives the sum of all rewards,
``r_i' = Σ_j r_j``; the ``use_collective_reward`` option of the SSD reference code
(Vinitsky et al., github ``eugenevinitsky/sequential_social_dilemma_games``,
``social_dilemmas/envs/map_env.py step``) and the usual cooperative baseline.

Inequity aversion (``inequity_aversion``; Hughes et al. 2018, "Inequity aversion improves
cooperation in intertemporal social dilemmas", NeurIPS, after Fehr & Schmidt 1999). Each
agent keeps a temporally smoothed reward

    e_i(t) = γ λ e_i(t−1) + r_i(t),    e_i = 0 at the start of an episode,

and receives

    r_i'(t) = r_i(t) − α/(N−1) Σ_{j≠i} max(e_j(t) − e_i(t), 0)
                     − β/(N−1) Σ_{j≠i} max(e_i(t) − e_j(t), 0),

α weighing disadvantageous inequity (envy), β advantageous inequity (guilt). This is the
published rule. The SSD reference code's ``inequity_averse_reward`` option differs in
two ways (``social_dilemmas/envs/map_env.py step``): it compares instantaneous rewards
(here: ``gamma = 0`` or ``lam = 0``) and, as coded, *adds* the β term (here: a negative
``beta``). Defaults: α = 5 and β = 0.05 are the SSD reference scripts' values; γ = 0.99
and λ = 0.95 are prosocial's choice. α and β may be per agent.

Social value orientation (``social_value_orientation``), the weighted-sum ("ring") form of
SVO (Griesinger & Livingston 1973; Liebrand 1984) that Schwarting et al. 2019 (PNAS,
"Social behavior for autonomous vehicles") use as an agent's reward:

    r_i' = cos θ · r_i + sin θ · r̄_{−i},    r̄_{−i} = (Σ_j r_j − r_i)/(N − 1).

θ is in radians with the convention of :mod:`prosocial.adjust.svo`: the angle measured
from the own-reward axis towards the others' mean reward, 0 individualistic, π/4
prosocial (the default), π/2 altruistic, in [−π, π]; r̄_{−i} is the same mean of the
others. The difference is the form: ``adjust.svo`` follows McKee et al. 2020 and
penalises the distance |θ_SVO − θ_i| of the achieved angle θ_i = atan2(r̄_{−i}, r_i),
whereas this wrapper rewards the projection of (r_i, r̄_{−i}) on the direction θ, which
is linear in the rewards and needs no angle of a zero reward. θ may be per agent.

Pickup transfers (``pickup_transfers``), a fixed mechanism for games that count coins
(``coin/picked``, ``coin/own``, as the Coin Game does): a designer who pays every agent
``c`` for each coin of its own colour it picks up, fines it ``c`` for each of another's,
and pays it ``b·c`` (the base, 0 ≤ b ≤ 1) on every step it picks up nothing,

    r_i' = r_i + c (own_i − others_i + b [picked_i = 0]),    others_i = picked_i − own_i,

the hand-made counterpart, with the same bound c per step, of the transfers that
adaptive mechanism design learns (:mod:`prosocial.learners.amd`). With b = 0 it pays for
pickups alone; with b = 1 an agent earns c on every step except one on which it takes
another's coin, which costs it 2c against any other step (the most a bound of c allows),
while its own coin is paid c like an idle step. A constant payment moves no policy
gradient; the base matters because it widens the gap between a wrong pickup and the
steps around it. c may be per agent (c ≥ 0), b too.

Episode statistics (``episode_statistics``): accumulates over each episode and, on the
step at which it ends (every agent terminated or truncated), writes the completed
episode's totals to ``info`` (zeros on every other step, with ``episode/done`` telling
which):

* ``episode/done`` ``()`` bool, ``episode/length`` ``()`` int32;
* ``episode/return`` ``(n,)``: the sum of the rewards this wrapper received;
* ``episode/extrinsic_return`` ``(n,)``: the sum of the game's own rewards
  (``info["reward/extrinsic"]`` where an inner reward wrapper recorded it);
* ``episode/positive_steps`` ``(n,)`` int32 and ``episode/positive_time`` ``(n,)``: the
  number of steps with a positive extrinsic reward and the sum of their step numbers
  τ = 1, 2, … within the episode (sustainability reads them);
* ``episode/<key>`` for every other ``info`` entry of the inner environment: its sum over
  the episode (booleans counted as 0/1);
* ``episode/<key>_steps`` for every entry whose key ends in ``/hit``: the number of
  steps at which it was positive (peace reads them; a ``*/hit`` entry may count several
  beams in one step).

A stacked rollout's ``info`` is then a table of completed episodes that
:func:`prosocial.metrics.from_episode_statistics` turns into metrics inside ``jit``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from prosocial.envs.core import Environment, require
from prosocial.registry import Registry

EXTRINSIC = "reward/extrinsic"
"""The ``info`` key of the game's own rewards, set by the innermost reward wrapper."""

WRAPPERS: Registry[Callable[..., Environment]] = Registry("wrapper")


def wrap(env: Environment, name: str, /, **kwargs) -> Environment:
    """``env`` wrapped by the wrapper registered under ``name`` with ``kwargs``."""
    return WRAPPERS.get(name)(env, **kwargs)


def names() -> tuple[str, ...]:
    """The registered wrappers."""
    return WRAPPERS.names()


class _PassThrough:
    """Reads of a field that this pytree does not define go to its ``inner`` field."""

    def __getattr__(self, name: str):
        if name.startswith("_") or name == "inner":
            raise AttributeError(name)
        return getattr(object.__getattribute__(self, "inner"), name)


def _inner(x):
    return x.inner


def _same(x):
    return x


def _derive(
    env: Environment,
    wrapper: str,
    params,
    init_fn: Callable,
    transition_fn: Callable,
    inner_params: Callable = _same,
    inner_state: Callable = _same,
) -> Environment:
    """An environment that observes, renders and acts like ``env`` on the inner pytrees."""
    return Environment(
        name=f"{wrapper}({env.name})",
        params=params,
        init_fn=init_fn,
        transition_fn=transition_fn,
        observe_fn=lambda s, p: env.observe_fn(inner_state(s), inner_params(p)),
        observation_space=lambda p: env.observation_space(inner_params(p)),
        action_space=lambda p: env.action_space(inner_params(p)),
        action_names=lambda p: env.action_names(inner_params(p)),
        render_fn=lambda s, p: env.render_fn(inner_state(s), inner_params(p)),
    )


def _with_extrinsic(info: dict, rewards: jax.Array) -> dict:
    """``info`` with the rewards received recorded as extrinsic, unless already there."""
    if EXTRINSIC in info:
        return info
    return {**info, EXTRINSIC: rewards}


def _check(
    env_name: str,
    field: str,
    value,
    n: int,
    *,
    ge: float | None = None,
    le: float | None = None,
    per_agent: bool = True,
) -> None:
    """Check a concrete scalar or ``(n,)`` value; traced values are not checked."""
    if isinstance(value, jax.core.Tracer):
        return
    x = np.asarray(value)
    shapes = "() or (n,) = " + str((n,)) if per_agent else "()"
    require(
        x.shape == () or (per_agent and x.shape == (n,)),
        env_name,
        field,
        f"needs shape {shapes}, got {x.shape}",
    )
    require(
        np.issubdtype(x.dtype, np.number) and not np.issubdtype(x.dtype, np.complexfloating),
        env_name,
        field,
        f"needs real numbers, got dtype {x.dtype}",
    )
    require(bool(np.all(np.isfinite(x))), env_name, field, f"needs finite values, got {value}")
    if ge is not None:
        require(bool(np.all(x >= ge)), env_name, field, f"needs values >= {ge}, got {value}")
    if le is not None:
        require(bool(np.all(x <= le)), env_name, field, f"needs values <= {le}, got {value}")


def _at_least_two(env: Environment, wrapper: str) -> int:
    n = env.num_agents()
    require(n >= 2, f"{wrapper}({env.name})", "num_agents", f"needs at least 2 agents, got {n}")
    return n


# --------------------------------------------------------------------------------------
# reward transforms as pure functions of one step's rewards (n,)


def collective_rewards(rewards: jax.Array) -> jax.Array:
    """``r_i' = Σ_j r_j`` for every agent."""
    return jnp.broadcast_to(jnp.sum(rewards, axis=-1, keepdims=True), rewards.shape)


def inequity_averse_rewards(rewards, traces, alpha, beta) -> jax.Array:
    """Hughes et al.'s ``r_i − α/(N−1) Σ_j max(e_j − e_i, 0) − β/(N−1) Σ_j max(e_i − e_j, 0)``.

    ``rewards`` and ``traces`` (the smoothed rewards e) are ``(n,)``; ``alpha`` and
    ``beta`` are scalars or ``(n,)``.
    """
    n = rewards.shape[-1]
    gap = traces[None, :] - traces[:, None]  # [i, j] = e_j − e_i
    envy = jnp.sum(jnp.maximum(gap, 0.0), axis=-1)
    guilt = jnp.sum(jnp.maximum(-gap, 0.0), axis=-1)
    return rewards - (alpha * envy + beta * guilt) / (n - 1)


def svo_rewards(rewards, angle) -> jax.Array:
    """``r_i' = cos θ · r_i + sin θ · r̄_{−i}`` with ``r̄_{−i}`` the others' mean."""
    n = rewards.shape[-1]
    others = (jnp.sum(rewards, axis=-1, keepdims=True) - rewards) / (n - 1)
    return jnp.cos(angle) * rewards + jnp.sin(angle) * others


# --------------------------------------------------------------------------------------
# collective reward


@WRAPPERS.register("collective_reward")
def collective_reward(env: Environment) -> Environment:
    """Every agent receives the sum of all agents' rewards."""

    def transition(key, state, actions, params):
        state, rewards, terminated, truncated, info = env.transition_fn(key, state, actions, params)
        info = _with_extrinsic(info, rewards)
        return state, collective_rewards(rewards), terminated, truncated, info

    return _derive(env, "collective_reward", env.params, env.init_fn, transition)


# --------------------------------------------------------------------------------------
# inequity aversion


@struct.dataclass
class InequityAversionParams(_PassThrough):
    """The inner game's parameters and α, β, γ, λ (scalars, or α, β per agent)."""

    inner: Any
    alpha: Any = 5.0
    beta: Any = 0.05
    gamma: Any = 0.99
    lam: Any = 0.95

    def validate(self, env_name: str) -> None:
        n = self.inner.num_agents
        _check(env_name, "alpha", self.alpha, n)
        _check(env_name, "beta", self.beta, n)
        _check(env_name, "gamma", self.gamma, n, ge=0.0, le=1.0, per_agent=False)
        _check(env_name, "lam", self.lam, n, ge=0.0, le=1.0, per_agent=False)


@struct.dataclass
class InequityAversionState(_PassThrough):
    """The inner game's state and the smoothed rewards ``e`` ``(n,)`` of this episode."""

    inner: Any
    trace: jax.Array


@WRAPPERS.register("inequity_aversion")
def inequity_aversion(
    env: Environment,
    *,
    alpha: Any = 5.0,
    beta: Any = 0.05,
    gamma: Any = 0.99,
    lam: Any = 0.95,
) -> Environment:
    """Hughes et al. (2018) inequity-averse rewards on smoothed rewards (module docstring).

    Args:
        env: the environment whose rewards are transformed.
        alpha: α, the weight of disadvantageous inequity; scalar or ``(n,)``.
        beta: β, the weight of advantageous inequity; scalar or ``(n,)``. A negative β
            reproduces the SSD reference's sign.
        gamma, lam: γ and λ in [0, 1]; the trace decays by γλ per step.
    """
    _at_least_two(env, "inequity_aversion")
    params = InequityAversionParams(env.params, alpha, beta, gamma, lam)
    params.validate(f"inequity_aversion({env.name})")

    def init(key, params):
        inner = env.init_fn(key, params.inner)
        return InequityAversionState(inner, jnp.zeros((env.num_agents(params.inner),), jnp.float32))

    def transition(key, state, actions, params):
        inner, rewards, terminated, truncated, info = env.transition_fn(
            key, state.inner, actions, params.inner
        )
        decay = jnp.asarray(params.gamma, jnp.float32) * jnp.asarray(params.lam, jnp.float32)
        trace = decay * state.trace + rewards
        alpha = jnp.asarray(params.alpha, jnp.float32)
        beta = jnp.asarray(params.beta, jnp.float32)
        shaped = inequity_averse_rewards(rewards, trace, alpha, beta).astype(jnp.float32)
        info = _with_extrinsic(info, rewards)
        return InequityAversionState(inner, trace), shaped, terminated, truncated, info

    return _derive(env, "inequity_aversion", params, init, transition, _inner, _inner)


# --------------------------------------------------------------------------------------
# social value orientation


@struct.dataclass
class SVOParams(_PassThrough):
    """The inner game's parameters and the reward angle θ (radians; scalar or ``(n,)``)."""

    inner: Any
    angle: Any = math.pi / 4

    def validate(self, env_name: str) -> None:
        _check(env_name, "angle", self.angle, self.inner.num_agents, ge=-math.pi, le=math.pi)


@WRAPPERS.register("social_value_orientation")
def social_value_orientation(env: Environment, *, angle: Any = math.pi / 4) -> Environment:
    """``r_i' = cos θ · r_i + sin θ · r̄_{−i}`` (module docstring); θ = ``angle`` in [−π, π]."""
    _at_least_two(env, "social_value_orientation")
    params = SVOParams(env.params, angle)
    params.validate(f"social_value_orientation({env.name})")

    def init(key, params):
        return env.init_fn(key, params.inner)

    def transition(key, state, actions, params):
        state, rewards, terminated, truncated, info = env.transition_fn(
            key, state, actions, params.inner
        )
        angle = jnp.asarray(params.angle, jnp.float32)
        info = _with_extrinsic(info, rewards)
        return state, svo_rewards(rewards, angle).astype(jnp.float32), terminated, truncated, info

    return _derive(env, "social_value_orientation", params, init, transition, _inner, _same)


# --------------------------------------------------------------------------------------
# pickup transfers


@struct.dataclass
class PickupTransfersParams(_PassThrough):
    """The inner game's parameters, the transfer per coin ``c`` and the base ``b`` paid
    (times c) on a step without a pickup (each scalar or ``(n,)``)."""

    inner: Any
    c: Any = 1.0
    base: Any = 0.0

    def validate(self, env_name: str) -> None:
        _check(env_name, "c", self.c, self.inner.num_agents, ge=0.0)
        _check(env_name, "base", self.base, self.inner.num_agents, ge=0.0, le=1.0)


COIN_COUNTERS = ("coin/picked", "coin/own")


def require_coin_counters(env: Environment, name: str) -> None:
    """Refuse, as ``name``, a game whose step does not report :data:`COIN_COUNTERS`."""
    n = env.num_agents()
    state = jax.eval_shape(env.init_fn, jax.random.PRNGKey(0), env.params)
    step = jax.eval_shape(
        env.transition_fn, jax.random.PRNGKey(0), state, jnp.zeros((n,), jnp.int32), env.params
    )
    missing = [k for k in COIN_COUNTERS if k not in step[4]]
    require(not missing, name, "env", f"needs a game that counts coins ({', '.join(missing)})")


@WRAPPERS.register("pickup_transfers")
def pickup_transfers(env: Environment, *, c: Any = 1.0, base: Any = 0.0) -> Environment:
    """``r_i' = r_i + c (own_i − others_i + b [picked_i = 0])`` per step (module docstring);
    a game that counts coins (``coin/picked``, ``coin/own`` in its ``info``) only."""
    name = f"pickup_transfers({env.name})"
    _at_least_two(env, "pickup_transfers")
    require_coin_counters(env, name)
    params = PickupTransfersParams(env.params, c, base)
    params.validate(name)

    def init(key, params):
        return env.init_fn(key, params.inner)

    def transition(key, state, actions, params):
        state, rewards, terminated, truncated, info = env.transition_fn(
            key, state, actions, params.inner
        )
        picked = info["coin/picked"].astype(jnp.float32)
        own = info["coin/own"].astype(jnp.float32)
        idle = jnp.asarray(params.base, jnp.float32) * (picked == 0)
        paid = jnp.asarray(params.c, jnp.float32) * (2.0 * own - picked + idle)
        info = _with_extrinsic(info, rewards)
        return state, (rewards + paid).astype(jnp.float32), terminated, truncated, info

    return _derive(env, "pickup_transfers", params, init, transition, _inner, _same)


# --------------------------------------------------------------------------------------
# episode statistics


@struct.dataclass
class EpisodeStatisticsState(_PassThrough):
    """The inner game's state and the running totals of this episode, by output key."""

    inner: Any
    totals: dict


def _as_count(value: jax.Array) -> jax.Array:
    if value.dtype == jnp.bool_ or jnp.issubdtype(value.dtype, jnp.integer):
        return value.astype(jnp.int32)
    return value.astype(jnp.float32)


def _increments(rewards: jax.Array, info: dict, step: jax.Array) -> dict:
    """What one step adds to each episode total; ``step`` is its number τ = 1, 2, …"""
    extrinsic = info.get(EXTRINSIC, rewards)
    positive = extrinsic > 0
    out = {
        "episode/length": jnp.ones((), jnp.int32),
        "episode/return": rewards.astype(jnp.float32),
        "episode/extrinsic_return": extrinsic.astype(jnp.float32),
        "episode/positive_steps": positive.astype(jnp.int32),
        "episode/positive_time": jnp.where(positive, step.astype(jnp.float32), 0.0),
    }
    for key, value in info.items():
        if key.startswith("episode/") or key == EXTRINSIC:
            continue
        out[f"episode/{key}"] = _as_count(value)
        if key.endswith("/hit"):
            out[f"episode/{key}_steps"] = (value > 0).astype(jnp.int32)
    return out


@WRAPPERS.register("episode_statistics")
def episode_statistics(env: Environment) -> Environment:
    """Per-episode totals of rewards, length and every ``info`` counter (module docstring)."""

    def init(key, params):
        inner = env.init_fn(key, params)

        def first_step(key, inner, params):
            actions = jnp.zeros((env.num_agents(params),), jnp.int32)
            _, rewards, _, _, info = env.transition_fn(key, inner, actions, params)
            return _increments(rewards, info, jnp.ones((), jnp.int32))

        shapes = jax.eval_shape(first_step, key, inner, params)
        totals = {k: jnp.zeros(s.shape, s.dtype) for k, s in shapes.items()}
        return EpisodeStatisticsState(inner, totals)

    def transition(key, state, actions, params):
        inner, rewards, terminated, truncated, info = env.transition_fn(
            key, state.inner, actions, params
        )
        step = state.totals["episode/length"] + 1
        totals = {
            k: (state.totals[k] + v).astype(state.totals[k].dtype)
            for k, v in _increments(rewards, info, step).items()
        }
        done = jnp.all(terminated | truncated)
        out = {**info, "episode/done": done}
        out.update({k: jnp.where(done, v, jnp.zeros_like(v)) for k, v in totals.items()})
        return EpisodeStatisticsState(inner, totals), rewards, terminated, truncated, out

    return _derive(env, "episode_statistics", env.params, init, transition, _same, _inner)
