"""Playing a sequential game with deep learners: rollouts for training, episodes for evaluation.

Both are ``lax.scan``\\ s over steps of ``E`` environments stepped with ``vmap``; every
per-agent quantity is indexed ``(E, n, ...)`` (the environments' convention) except the
learners' memory, ``(n, E, ...)``.

* :func:`start` resets ``E`` environments: the :class:`Actors` a training run carries
  from one rollout to the next (environment states, current observations, memory).
* :func:`collect` plays ``T`` steps with the learner's acting policy and returns the
  :class:`~prosocial.learners.deep.Rollout` its update needs, plus the stacked ``info``.
* :func:`play` plays ``T`` steps from fresh environments with any joint policy (a learner's
  policy without exploration, a mix of populations and scripted bots for cross-play) and
  returns the stacked ``info``; with the episode-statistics wrapper that is a table of
  completed episodes for :mod:`prosocial.metrics`.
* :func:`scripted` replaces some agents' actions by a scripted bot's
  (:mod:`prosocial.envs.bots`) in training (``collect(..., override=)``) and evaluation
  (:func:`with_override`): a learner among fixed co-players. The rollout records the
  actions played, so a learner that reads the others' actions (LASE's relationships,
  LIO's incentives) sees the bot's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from prosocial.envs.core import Environment
from prosocial.learners.deep import DeepLearner, LearnerState, Rollout


class Actors(NamedTuple):
    """``E`` environments in play: states, observations ``(E, n, ...)``, whether each
    observation starts an episode ``(E,)``, and the learners' memory."""

    env_state: Any
    obs: jax.Array
    resets: jax.Array
    carry: Any


def start(env: Environment, learner_carry: Any, key: jax.Array, envs: int) -> Actors:
    """``envs`` fresh environments and zero memory."""
    obs, state = jax.vmap(env.reset)(jax.random.split(key, envs))
    return Actors(state, obs, jnp.ones((envs,), bool), learner_carry)


def _step_envs(env: Environment, key, state, actions):
    keys = jax.random.split(key, actions.shape[0])
    obs, state, rewards, terminated, truncated, info = jax.vmap(env.step)(keys, state, actions)
    done = jnp.all(terminated | truncated, axis=-1)
    return obs, state, rewards, done, info


Override = Callable[[jax.Array, Any, jax.Array], jax.Array]
"""``(key, env_state (E, ...), actions (E, n)) -> actions (E, n)``: the actions played."""


def scripted(bot: Callable, agents: jax.Array) -> Override:
    """The override under which the agents where ``agents`` ``(n,)`` is true play ``bot``
    (a :mod:`prosocial.envs.bots` policy) and the others their own actions."""

    def override(key, env_state, actions):
        keys = jax.random.split(key, actions.shape[0])
        n = jnp.arange(actions.shape[1])
        per_env = jax.vmap(bot, in_axes=(None, None, None, 0))  # one key for all agents
        bots = jax.vmap(lambda k, s: per_env(k, s, None, n))(keys, env_state)
        return jnp.where(agents[None, :], bots, actions).astype(actions.dtype)

    return override


def collect(
    learner: DeepLearner,
    env: Environment,
    state: LearnerState,
    actors: Actors,
    key: jax.Array,
    steps: int,
    override: Override | None = None,
) -> tuple[Actors, Rollout, dict]:
    """``steps`` steps of the learner's acting policy: ``(actors, rollout, info (T, E, ...))``;
    with ``override``, the actions it gives are played and recorded."""

    def one(actors: Actors, k):
        k_act, k_env = jax.random.split(k)
        carry, actions, logp, value = learner.act(
            state, actors.carry, actors.obs, actors.resets, k_act
        )
        if override is not None:  # its own key: without one, the stream is unchanged
            actions = override(jax.random.fold_in(k, 1), actors.env_state, actions)
        obs, env_state, rewards, done, info = _step_envs(env, k_env, actors.env_state, actions)
        record = (actors.obs, actors.resets, actions, rewards, done, logp, value)
        return Actors(env_state, obs, done, carry), (record, info)

    first = actors.carry
    actors, (record, info) = jax.lax.scan(one, actors, jax.random.split(key, steps))
    obs, resets, actions, rewards, dones, logp, values = record
    _, _, _, last_value = learner.act(state, actors.carry, actors.obs, actors.resets, key)
    # the bootstrap value is the acting network's value, whatever the sampled action
    rollout = Rollout(
        obs, resets, actions, rewards.astype(jnp.float32), dones, logp, values, first, last_value
    )
    return actors, rollout, info


JointPolicy = Callable[[jax.Array, Any, jax.Array, jax.Array, Any], tuple[Any, jax.Array]]
"""``(key, env_state (E,...), obs (E, n, ...), resets (E,), memory) -> (memory, actions
(E, n))``: every agent's action in every environment."""


def play(
    env: Environment,
    policy: JointPolicy,
    memory: Any,
    key: jax.Array,
    envs: int,
    steps: int,
) -> dict:
    """``info (T, E, ...)`` of ``steps`` steps of ``policy`` from ``envs`` fresh games."""
    k_reset, key = jax.random.split(key)
    obs, env_state = jax.vmap(env.reset)(jax.random.split(k_reset, envs))

    def one(carry, k):
        env_state, obs, resets, memory = carry
        k_act, k_env = jax.random.split(k)
        memory, actions = policy(k_act, env_state, obs, resets, memory)
        obs, env_state, _, done, info = _step_envs(env, k_env, env_state, actions)
        return (env_state, obs, done, memory), info

    init = (env_state, obs, jnp.ones((envs,), bool), memory)
    _, info = jax.lax.scan(one, init, jax.random.split(key, steps))
    return info


def with_override(policy: JointPolicy, override: Override | None) -> JointPolicy:
    """``policy`` with the actions ``override`` gives (none: ``policy`` itself)."""
    if override is None:
        return policy

    def overridden(key, env_state, obs, resets, memory):
        memory, actions = policy(key, env_state, obs, resets, memory)
        return memory, override(jax.random.fold_in(key, 1), env_state, actions)

    return overridden


def learner_policy(learner: DeepLearner, params: Any) -> JointPolicy:
    """Every agent samples from its own policy (no exploration)."""

    def policy(key, env_state, obs, resets, memory):
        del env_state
        memory, logits, _ = learner.evaluate(params, memory, obs, resets)
        return memory, jax.random.categorical(key, logits).astype(jnp.int32)

    return policy
