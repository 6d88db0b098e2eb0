"""Deep actor-critic learners for sequential games: the parts A2C and PPO share.

A deep learner is a bundle of pure functions (:class:`DeepLearner`), in the style of an
``optax.GradientTransformation``, over the parameters of *every* agent of a game at once:

    state = learner.init(key)
    carry, actions, logp, value = learner.act(state, carry, obs, reset, key)
    state, metrics = learner.update(state, rollout, key)

* **Independent parameters** (the default): one parameter set per agent, stacked on a
  leading agent axis; ``act`` and the losses are ``vmap``\\ ped over that axis (no Python
  loop over agents), and so is the optimiser, so gradient clipping and Adam's moments are
  per agent, exactly as ``n`` separate learners.
* **Parameter sharing** (``shared=True``): one parameter set, applied to every agent's
  observation; the loss is the mean of the agents' losses (JaxMARL's and SocialJax's
  IPPO).
* Rewards are whatever the environment gives each agent (individual by default); the
  reward-shaping baselines (group optimum, inequity aversion, SVO) are environment
  wrappers, not learners.

Shapes: ``E`` environments, ``n`` agents, ``T`` steps. ``obs (E, n, ...)``, ``reset (E,)``
(whether ``obs`` is the first observation of an episode: recurrent memory is cleared
there), ``carry`` per agent and environment (``(n, E, ...)``). A :class:`Rollout` stacks
``T`` steps.

Exploration: ``act`` samples from the policy, and with probability ε takes a uniformly
random action instead (ε-greedy over a stochastic policy, as LIO's and LASE's A2C do).
ε is annealed linearly per episode, ε = max(ε_end, ε_start − (ε_start − ε_end) e / ε_div)
after ``e`` episodes (LIO, ``lio/alg/config_ssd_lio.py``: ``epsilon_start``,
``epsilon_end``, ``epsilon_div``); PPO uses ε = 0. ``logp`` is the policy's own
log-probability of the action taken, and the learners' gradients treat the ε-greedy
samples as on-policy, as those codes do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from prosocial.learners.networks import Network
from prosocial.registry import Registry


class Rollout(NamedTuple):
    """``T`` steps of ``E`` environments, every agent's view, for one update.

    Attributes:
        obs: ``(T, E, n, ...)`` the observations acted on.
        resets: ``(T, E)`` whether ``obs[t]`` starts an episode.
        actions: ``(T, E, n)`` int32.
        rewards: ``(T, E, n)`` the rewards the agents learn from.
        dones: ``(T, E)`` whether the episode ended with step ``t``.
        logp: ``(T, E, n)`` log-probability of each action under the acting policy.
        values: ``(T, E, n)`` the value estimates at ``obs``.
        carry: the memory at ``obs[0]``, ``(n, E, ...)``.
        last_value: ``(E, n)`` the value of the observation after the last step (the
            bootstrap; ignored where ``dones[-1]``).
    """

    obs: jax.Array
    resets: jax.Array
    actions: jax.Array
    rewards: jax.Array
    dones: jax.Array
    logp: jax.Array
    values: jax.Array
    carry: Any
    last_value: jax.Array


class LearnerState(NamedTuple):
    """Parameters (stacked per agent unless shared), optimiser state and counters.

    ``updates`` counts updates (for learning-rate annealing), ``episodes`` the episodes
    completed per environment (for ε annealing).
    """

    params: Any
    opt: Any
    updates: jax.Array
    episodes: jax.Array


class DeepLearner(NamedTuple):
    """A deep multi-agent learner as pure functions (module docstring).

    Attributes:
        name: the registry name.
        network: the per-agent :class:`~prosocial.learners.networks.Network`.
        n_agents: the number of agents.
        shared: whether every agent uses one parameter set.
        init: ``key -> LearnerState``.
        initial_carry: ``envs -> carry (n, E, ...)`` of zeros.
        act: ``(state, carry, obs, reset, key) -> (carry, actions, logp, value)``.
        evaluate: ``(params, carry, obs, reset) -> (carry, logits, value)`` for every agent,
            ``logits (E, n, A)``.
        update: ``(state, rollout, key) -> (state, metrics)``; ``metrics`` are scalars
            averaged over agents and ``(n,)`` per-agent arrays under ``loss/...``.
    """

    name: str
    network: Network
    n_agents: int
    shared: bool
    init: Callable[[jax.Array], LearnerState]
    initial_carry: Callable[[int], Any]
    act: Callable
    evaluate: Callable
    update: Callable


DEEP_LEARNERS: Registry[DeepLearner] = Registry("deep learner")


def per_agent(fn: Callable, shared: bool, in_axes: tuple) -> Callable:
    """``fn`` vmapped over the agent axis; its first argument (parameters) is not mapped
    when ``shared``."""
    axes = (None if shared else 0, *in_axes[1:])
    return jax.vmap(fn, in_axes=axes)


def init_params(network: Network, key: jax.Array, n_agents: int, shared: bool) -> Any:
    """One parameter set per agent (stacked), or one for all."""
    if shared:
        return network.init(key)
    return jax.vmap(network.init)(jax.random.split(key, n_agents))


def initial_carry(network: Network, n_agents: int, envs: int) -> Any:
    carry = network.initial_carry(envs)
    return jax.tree.map(lambda c: jnp.broadcast_to(c, (n_agents, *c.shape)), carry)


def to_agents(x: jax.Array, axis: int) -> jax.Array:
    """Move the agent axis of ``x`` (at ``axis``) to the front."""
    return jnp.moveaxis(x, axis, 0)


def epsilon(episodes: jax.Array, start, end, div) -> jax.Array:
    """ε after ``episodes`` episodes: linear from ``start`` to ``end`` over ``div``."""
    frac = jnp.clip(episodes / jnp.maximum(div, 1e-12), 0.0, 1.0)
    return jnp.maximum(end, start - (start - end) * frac)


def make_act(network: Network, shared: bool, eps: Callable[[LearnerState], jax.Array]):
    """The acting function of a learner: sample, ε-greedy, record ``logp`` and value."""
    step = per_agent(network.step, shared, (0, 0, 0, None))

    def act(state: LearnerState, carry, obs, reset, key):
        obs_n = to_agents(obs, 1)  # (n, E, ...)
        carry, logits, value = step(state.params, carry, obs_n, reset)
        k_pol, k_eps, k_rand = jax.random.split(key, 3)
        sampled = jax.random.categorical(k_pol, logits)
        uniform = jax.random.randint(k_rand, sampled.shape, 0, logits.shape[-1])
        explore = jax.random.uniform(k_eps, sampled.shape) < eps(state)
        actions = jnp.where(explore, uniform, sampled).astype(jnp.int32)
        logp = jnp.take_along_axis(jax.nn.log_softmax(logits), actions[..., None], -1)[..., 0]
        return carry, actions.T, logp.T, value.T  # (E, n)

    return act


def make_evaluate(network: Network, shared: bool):
    step = per_agent(network.step, shared, (0, 0, 0, None))

    def evaluate(params, carry, obs, reset):
        carry, logits, value = step(params, carry, to_agents(obs, 1), reset)
        return carry, jnp.moveaxis(logits, 0, 1), value.T

    return evaluate


def optimiser(max_grad_norm) -> optax.GradientTransformation:
    """Gradient clipping by global norm, then Adam's scaling (the step size comes after)."""
    return optax.chain(optax.clip_by_global_norm(max_grad_norm), optax.scale_by_adam(eps=1e-5))


def apply_gradients(tx, shared: bool, params, opt, grads, lr):
    """One optimiser step of size ``lr``; per agent (clipping included) unless shared."""
    update = tx.update if shared else jax.vmap(tx.update)
    steps, opt = update(grads, opt, params)
    params = jax.tree.map(lambda p, s: p - lr * s, params, steps)
    return params, opt


def init_opt(tx, shared: bool, params):
    return tx.init(params) if shared else jax.vmap(tx.init)(params)


def entropy(logits: jax.Array) -> jax.Array:
    logp = jax.nn.log_softmax(logits)
    return -jnp.sum(jnp.exp(logp) * logp, axis=-1)


def log_prob(logits: jax.Array, actions: jax.Array) -> jax.Array:
    logp = jax.nn.log_softmax(logits)
    return jnp.take_along_axis(logp, actions[..., None], -1)[..., 0]


def discounted_returns(rewards, dones, last_value, gamma) -> jax.Array:
    """G_t = r_t + γ (1 − d_t) G_{t+1}, G_T = the bootstrap value; over ``(T, ...)``."""

    def back(g, xs):
        r, d = xs
        g = r + gamma * (1.0 - d) * g
        return g, g

    _, returns = jax.lax.scan(back, last_value, (rewards, dones), reverse=True)
    return returns


def gae(rewards, values, dones, last_value, gamma, lam) -> jax.Array:
    """Generalised advantage estimates (Schulman et al. 2016, eq. 16), over ``(T, ...)``:

    δ_t = r_t + γ (1 − d_t) V_{t+1} − V_t,   A_t = δ_t + γ λ (1 − d_t) A_{t+1}.
    """
    next_values = jnp.concatenate([values[1:], last_value[None]], axis=0)
    deltas = rewards + gamma * (1.0 - dones) * next_values - values

    def back(a, xs):
        delta, d = xs
        a = delta + gamma * lam * (1.0 - d) * a
        return a, a

    _, adv = jax.lax.scan(back, jnp.zeros_like(last_value), (deltas, dones), reverse=True)
    return adv


def by_agent(rollout: Rollout, n_agents: int) -> dict:
    """The rollout's per-agent fields with the agent axis first: ``(n, T, E, ...)``."""
    dones = jnp.broadcast_to(rollout.dones[..., None], rollout.actions.shape).astype(jnp.float32)
    resets = jnp.broadcast_to(rollout.resets[None], (n_agents, *rollout.resets.shape))
    return {
        "obs": to_agents(rollout.obs, 2),
        "resets": resets,
        "actions": to_agents(rollout.actions, 2),
        "rewards": to_agents(rollout.rewards, 2),
        "dones": to_agents(dones, 2),
        "logp": to_agents(rollout.logp, 2),
        "values": to_agents(rollout.values, 2),
        "last_value": rollout.last_value.T,
    }


def completed_episodes(rollout: Rollout) -> jax.Array:
    """Episodes completed per environment in the rollout."""
    return jnp.sum(rollout.dones) / rollout.dones.shape[1]
