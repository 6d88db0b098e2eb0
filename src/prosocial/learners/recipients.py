"""Actor-critic learners whose one policy step another agent differentiates: LIO's
recipients and the learners of adaptive mechanism design.

Every agent ``i`` has a policy π_θⁱ acting ε-greedily, i.e. from the mixture
π̃ = (1 − ε) π_θⁱ + ε/|A|, and a critic V_φⁱ with a target critic φ′ⁱ. Given extra
rewards ``bⁱ_t`` (from incentive functions or a planner, differentiable in the giver's
parameters), one iteration on whole episodes τ is

* the critics' step: Adam (``lr_v``) on the squared TD(0) error of ``r + b`` with the
  target critic, ``y_t = r_t + b_t + γ (1 − d_t) V_φ′(o_{t+1})``; then
  φ′ ← τ φ + (1 − τ) φ′;
* the policies' step, a plain gradient step of size β (``lr``), as a function of ``b``
  (:func:`prosocial.learners.lookahead.step`):

      θ̂ⁱ = θⁱ − β ∇_θⁱ [ −Σ_t log π̃_θⁱ(aⁱ_t | oⁱ_t) δⁱ_t − c_H Σ_t H(π̃_θⁱ(· | oⁱ_t)) ],
      δⁱ_t = rⁱ_t + bⁱ_t + γ (1 − d_t) Vⁱ(o_{t+1}) − Vⁱ(o_t),

  sums over an episode's steps, averaged over the parallel environments; where the
  giver can price every action (``action_bonus``: ``qⁱ_t(a)``, the extra reward agent
  ``i`` would get for each of its actions at step ``t``), the sampled ``bⁱ_t`` leaves δ
  and its expectation under the acting policy enters exactly,

      −Σ_t log π̃(aⁱ_t | oⁱ_t) δⁱ_t  →  −Σ_t [log π̃(aⁱ_t | oⁱ_t) δⁱ_t + Σ_a π̃(a | oⁱ_t) qⁱ_t(a)],

  the same gradient in expectation (E_a[∇ log π̃(a) q(a)] = ∇ Σ_a π̃(a) q(a)) without the
  noise of the sampled action;
* fresh episodes τ̂ played with θ̂, on which the giver scores the step.

Source: the actor-critic version of LIO (Yang et al. 2020, NeurIPS; github
``011235813/lio``, ``lio/alg/lio_ac.py``: the TD-error actor loss, plain gradient descent
for the policy, Adam for the critic, the target critic). Parameters are stacked on a
leading agent axis and every per-agent function is ``vmap``\\ ped over it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from prosocial.envs.core import Environment
from prosocial.learners import deep, lookahead, play
from prosocial.learners.deep import LearnerState, Rollout
from prosocial.learners.networks import Network


def mixture_log_probs(logits: jax.Array, eps) -> jax.Array:
    """log π̃ with π̃ = (1 − ε) softmax(logits) + ε / |A|: the ε-greedy policy that acts."""
    probs = jax.nn.softmax(logits)
    return jnp.log((1.0 - eps) * probs + eps / logits.shape[-1])


def td_errors(rewards, values, dones, last_value, gamma) -> jax.Array:
    """δ_t = r_t + γ (1 − d_t) V_{t+1} − V_t over ``(T, ...)``, V_T = ``last_value``."""
    following = jnp.concatenate([values[1:], last_value[None]], axis=0)
    return rewards + gamma * (1.0 - dones) * following - values


EPISODE_KEYS = ("obs", "resets", "actions", "rewards", "dones", "values", "last_value")


class Recipients(NamedTuple):
    """The learners' pure functions (module docstring); ``(n, T, E, ...)`` data is
    :func:`episode_data` of a rollout."""

    init: Callable[[jax.Array], tuple[dict, dict]]
    initial_carry: Callable[[int], Any]
    act: Callable
    evaluate: Callable
    critic_step: Callable
    policy_loss: Callable
    look_ahead: Callable
    play: Callable
    log_probs: Callable
    policy_log_probs: Callable
    acting_probs: Callable


def episode_data(rollout: Rollout, n: int) -> dict:
    """The rollout's per-agent fields ``(n, T, E, ...)``; the recorded values are data."""
    full = deep.by_agent(rollout, n)
    data = {k: full[k] for k in EPISODE_KEYS}
    data["values"] = jax.lax.stop_gradient(data["values"])
    return data


def make_recipients(
    network: Network,
    n: int,
    env: Environment,
    *,
    lr,
    lr_v,
    gamma,
    ent_coef,
    tau,
    eps: Callable[[LearnerState], jax.Array],
) -> Recipients:
    """The recipients of ``n`` agents of ``env`` (module docstring); numbers may be traced.
    ``eps(state)`` is the exploration rate of a learner state."""
    n_actions = int(env.action_space(env.params).n)
    adam = optax.scale_by_adam(eps=1e-5)
    step_n = jax.vmap(network.step, in_axes=(0, 0, 0, None))
    apply_n = jax.vmap(network.apply)

    def init(key):
        k_pol, k_crit = jax.random.split(key)
        critic = jax.vmap(network.init)(jax.random.split(k_crit, n))
        policy = jax.vmap(network.init)(jax.random.split(k_pol, n))
        params = {"policy": policy, "critic": critic, "target": critic}
        return params, {"critic": jax.vmap(adam.init)(critic)}

    def initial_carry(envs):
        one = deep.initial_carry(network, n, envs)
        return (one, one)

    def act(state: LearnerState, carry, obs, reset, key):
        obs_n = deep.to_agents(obs, 1)
        pol_carry, logits, _ = step_n(state.params["policy"], carry[0], obs_n, reset)
        crit_carry, _, value = step_n(state.params["critic"], carry[1], obs_n, reset)
        k_pol, k_eps, k_rand = jax.random.split(key, 3)
        sampled = jax.random.categorical(k_pol, logits)
        uniform = jax.random.randint(k_rand, sampled.shape, 0, n_actions)
        explore = jax.random.uniform(k_eps, sampled.shape) < eps(state)
        actions = jnp.where(explore, uniform, sampled).astype(jnp.int32)
        logp = jnp.take_along_axis(mixture_log_probs(logits, eps(state)), actions[..., None], -1)
        return (pol_carry, crit_carry), actions.T, logp[..., 0].T, value.T

    def evaluate(params, carry, obs, reset):
        pol_carry, logits, value = step_n(params["policy"], carry[0], deep.to_agents(obs, 1), reset)
        return (pol_carry, carry[1]), jnp.moveaxis(logits, 0, 1), value.T

    def critic_step(params, opt, data, carry, bonus):
        """``(critic, target, opt, losses (n,))`` after one step on ``r + bonus``."""
        target = apply_n(params["target"], carry, data["obs"], data["resets"])[2]

        def loss(phi, d, tv, b, c):
            _, _, v = network.apply(phi, c, d["obs"], d["resets"])
            following = jnp.concatenate([tv[1:], d["last_value"][None]], axis=0)
            y = d["rewards"] + b + gamma * (1.0 - d["dones"]) * following
            return jnp.mean((jax.lax.stop_gradient(y) - v) ** 2)

        losses, grads = jax.vmap(jax.value_and_grad(loss))(
            params["critic"], data, target, bonus, carry
        )
        moves, opt = jax.vmap(adam.update)(grads, opt, params["critic"])
        critic = jax.tree.map(lambda p, s: p - lr_v * s, params["critic"], moves)
        target = jax.tree.map(lambda t, p: tau * p + (1.0 - tau) * t, params["target"], critic)
        return critic, target, opt, losses

    def agent_loss(theta, data, carry, bonus, epsilon, action_bonus=None):
        _, logits, _ = network.apply(theta, carry, data["obs"], data["resets"])
        logp_all = mixture_log_probs(logits, epsilon)
        logp = jnp.take_along_axis(logp_all, data["actions"][..., None], -1)[..., 0]
        delta = td_errors(
            data["rewards"] + bonus, data["values"], data["dones"], data["last_value"], gamma
        )
        probs = jnp.exp(logp_all)
        ent = -jnp.sum(probs * logp_all, axis=-1)
        loss = lookahead.policy_gradient_loss(logp, delta) - ent_coef * jnp.sum(ent)
        if action_bonus is not None:
            loss = loss - jnp.sum(probs * action_bonus)
        return loss / logp.shape[1]

    def policy_loss(theta, data, carry, bonus, epsilon, action_bonus=None):
        """Every agent's actor loss ``(n,)``; ``action_bonus (n, T, E, A)`` or None."""
        return jax.vmap(agent_loss, in_axes=(0, 0, 0, 0, None, 0))(
            theta, data, carry, bonus, epsilon, action_bonus
        )

    def look_ahead(theta, data, carry, bonus, epsilon, action_bonus=None):
        """θ̂ for every agent, differentiable in ``bonus (n, T, E)`` and in
        ``action_bonus (n, T, E, A)`` (None: no exactly priced actions)."""

        def one(th, d, c, b, q):
            return lookahead.step(agent_loss, th, lr, d, c, b, epsilon, q)

        return jax.vmap(one)(theta, data, carry, bonus, action_bonus)

    def acting_probs(theta, data, carry, epsilon):
        """``(n, T, E, A)``: every agent's acting policy π̃ at the episodes' views."""
        _, logits, _ = apply_n(theta, carry, data["obs"], data["resets"])
        return jnp.exp(mixture_log_probs(logits, epsilon))

    def play_fresh(
        learner_act, state: LearnerState, key, envs: int, steps: int, game: Environment = env
    ) -> tuple[Rollout, dict]:
        """``envs`` fresh episodes of ``steps`` steps of ``game`` (by default the learners'
        own) with ``state``'s parameters: the rollout and the games' ``info (T, E, ...)``."""
        actors = play.start(game, initial_carry(envs), jax.random.fold_in(key, 0), envs)
        holder = _Acting(learner_act)
        _, rollout, info = play.collect(holder, game, state, actors, key, steps)
        return rollout, info

    def policy_log_probs(theta, rollout: Rollout) -> jax.Array:
        """``(n, T, E, A)``: log π_θ (plain softmax) of every action at the rollout's views."""
        data = deep.by_agent(rollout, n)
        _, logits, _ = apply_n(theta, rollout.carry[0], data["obs"], data["resets"])
        return jax.nn.log_softmax(logits)

    def log_probs(theta, rollout: Rollout) -> jax.Array:
        """``(n, T, E)``: log π_θ (plain softmax) of the rollout's actions."""
        actions = deep.to_agents(rollout.actions, 2)
        return jnp.take_along_axis(policy_log_probs(theta, rollout), actions[..., None], -1)[..., 0]

    return Recipients(
        init,
        initial_carry,
        act,
        evaluate,
        critic_step,
        policy_loss,
        look_ahead,
        play_fresh,
        log_probs,
        policy_log_probs,
        acting_probs,
    )


class _Acting(NamedTuple):
    """What :func:`prosocial.learners.play.collect` reads of a learner: its ``act``."""

    act: Callable
