"""LIO: learning to incentivize other learning agents (Yang et al. 2020).

Every agent ``j`` has an actor-critic policy π_θʲ and an *incentive function*

    r_ηʲ(oʲ, a⁻ʲ) ∈ [0, R_max]ⁿ        (a sigmoid scaled by R_max; its own entry unused)

of its observation and the other agents' actions (one-hot), paying every other agent
after each step. Recipient ``i`` learns from ``rⁱ_env + Σ_{j≠i} r_ηʲ(·)_i``. One
iteration, on an episode τ of every agent's policy:

1. critics: TD(0) on the total reward with a target critic (step ``lr_v``, Adam), the
   target following at rate τ;
2. the recipients' step, as a function of every η (:mod:`prosocial.learners.lookahead`),
   on the ε-mixture policy π̃ = (1 − ε) π + ε/|A| that acted:

       θ̂ⁱ(η) = θⁱ − β ∇_θⁱ [ −Σ_t log π̃_θⁱ(aⁱ_t | oⁱ_t) δⁱ_t(η) − c_H Σ_t H(π̃_θⁱ(· | oⁱ_t)) ],
       δⁱ_t(η) = rⁱ_env,t + Σ_{j≠i} r_ηʲ(oʲ_t, a⁻ʲ_t)_i + γ Vⁱ(o_{t+1}) − Vⁱ(o_t);

3. a new episode τ̂ with the updated policies θ̂ (ε-mixture);
4. every giver ``j`` takes an Adam step (``lr_reward``) on its own η only
   (:func:`~prosocial.learners.lookahead.own_gradients`), minimising

       Lʲ(η) = Σ_{i≠j} −Σ_t log π_θ̂ⁱ(η)(âⁱ_t | ôⁱ_t) δ̂ʲ_t
               + c_reg Σ_t γᵗ Σ_{i≠j} |r_ηʲ(oʲ_t, a⁻ʲ_t)_i|,

   with δ̂ʲ_t = rʲ_env,t + γ Vʲ(ô_{t+1}) − Vʲ(ô_t) the giver's own TD error on its
   *extrinsic* reward along τ̂ (LIO's Eq. 5 with its actor-critic estimate), π the plain
   softmax policy, and the L1 cost of what it gave along τ;
5. θ ← θ̂.

Sums run over an episode's steps and are averaged over the ``E`` parallel environments
(LIO plays one environment). A rollout must be whole episodes (``steps`` = the episode
length): τ̂ is played from fresh environments inside :func:`update`, which therefore
takes the environment; the training program's counter of environment steps counts τ
only (LIO's log counts both).

Sources: Yang, Li, Farajtabar, Sunehag, Hughes, Zha (2020), "Learning to Incentivize
Other Learning Agents", NeurIPS, Algorithm 1 and Eq. 3–5; github ``011235813/lio``,
``lio/alg/lio_ac.py`` (the actor-critic version, ``include_cost_in_chain_rule=False``:
the cost of giving enters as the L1 term, not the giver's reward) and
``lio/alg/config_ssd_lio.py`` / ``config_ipd_lio.py`` (the defaults below are its Cleanup
numbers). Simplifications and choices, named: by default the incentive function sees the
full one-hot of the others' actions (the code's ``obs_cleaned_1hot=False``); its Cleanup
runs give it only whether the other agent fired the cleaning beam, which
``watched=("clean",)`` reproduces; the target critic is
moved once per iteration (the code moves it twice, in ``update`` and ``train_reward``);
the IPD uses the same actor-critic version (the code's IPD runs use its
policy-gradient version); the critic's value of the last observation bootstraps a
rollout that ends without the episode ending.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax

from prosocial.envs.core import Environment
from prosocial.errors import ConfigError
from prosocial.learners import deep, lookahead
from prosocial.learners.deep import DEEP_LEARNERS, DeepLearner, LearnerState, Rollout
from prosocial.learners.networks import Network, NetworkConfig, torso
from prosocial.learners.recipients import episode_data, make_recipients, td_errors


class IncentiveNet(nn.Module):
    """r_η(o, a⁻ʲ) = R_max σ(f_η(o, a⁻ʲ)) ∈ (0, R_max)ⁿ: the observation through the
    policy's torso (no memory), concatenated with the others' one-hot actions, dense ReLU
    layers, one output per agent (LIO's ``networks.reward``); with ``squash=False``, the
    logits f_η before the sigmoid."""

    config: NetworkConfig
    n_agents: int
    obs_ndim: int
    squash: bool = True

    @nn.compact
    def __call__(self, obs, others):
        x = torso(self.config, obs, self.obs_ndim)
        x = jnp.concatenate([x, others.astype(jnp.float32)], axis=-1)
        for width in self.config.hidden:
            x = nn.relu(nn.Dense(width, kernel_init=nn.initializers.orthogonal(math.sqrt(2)))(x))
        out = nn.Dense(self.n_agents)(x)
        return jax.nn.sigmoid(out) if self.squash else out


def others_one_hot(
    actions: jax.Array, n_actions: int, watched: tuple[int, ...] | None = None
) -> jax.Array:
    """``(..., n) -> (n, ..., (n − 1) · W)``: for every agent ``j``, the one-hot actions of
    the others in their order, restricted to the ``watched`` action indices (``W`` of
    them; None: all ``A``). LIO's Cleanup runs watch one action, cleaning: the incentive
    function sees only whether each other agent cleaned."""
    n = actions.shape[-1]
    others = np.array([[k for k in range(n) if k != j] for j in range(n)])  # (n, n-1)
    hot = jax.nn.one_hot(actions, n_actions)  # (..., n, A)
    if watched is not None:
        hot = hot[..., np.asarray(watched)]  # (..., n, W)
    picked = jnp.moveaxis(hot[..., others, :], -3, 0)  # (n, ..., n-1, W)
    return picked.reshape(*picked.shape[:-2], -1)


def watched_indices(env: Environment, watched: tuple[str, ...] | None) -> tuple[int, ...] | None:
    """The indices of the ``watched`` action names in ``env`` (None: every action)."""
    if watched is None:
        return None
    names = tuple(env.action_names(env.params))
    unknown = [w for w in watched if w not in names]
    if unknown or not watched or len(set(watched)) != len(watched):
        raise ConfigError(
            "watched",
            f"{tuple(watched)!r}; accepted: distinct action names of {env.name}: "
            + ", ".join(names),
        )
    return tuple(names.index(w) for w in watched)


@DEEP_LEARNERS.register("lio")
def lio(
    network: Network,
    n_agents: int,
    *,
    env: Environment | None = None,
    shared: bool = False,
    lr=1e-4,
    lr_v=1e-3,
    lr_reward=1e-3,
    gamma=0.99,
    ent_coef=0.1,
    r_max=2.0,
    reg_coeff=1e-4,
    tau=0.01,
    eps_start=0.5,
    eps_end=0.05,
    eps_div=100.0,
    watched: tuple[str, ...] | None = None,
    **unused,
) -> DeepLearner:
    """LIO for ``n_agents`` agents of ``env`` (module docstring); numbers may be traced.

    ``lr`` is the policies' plain gradient step β (LIO's ``lr_actor``); ``watched`` names
    the actions of the others that the incentive function sees (None: all; LIO's
    Cleanup: ``("clean",)``); ``unused`` takes the other learners' keywords
    (``vf_coef``, ``max_grad_norm``), which LIO has no use for.
    """
    del unused
    if env is None:
        raise ConfigError("algo", "lio plays its look-ahead episodes itself: pass env=")
    if shared:
        raise ConfigError("shared", "lio gives every agent its own policy and incentives")
    if n_agents < 2:
        raise ConfigError("n_agents", f"{n_agents}; lio needs at least two agents")
    n, n_actions = n_agents, int(env.action_space(env.params).n)
    seen = watched_indices(env, watched)
    width = n_actions if seen is None else len(seen)
    obs_shape = tuple(env.observation_space(env.params).shape)
    incentive = IncentiveNet(network.config, n, len(obs_shape))
    adam = optax.scale_by_adam(eps=1e-5)

    def eps(state):
        return deep.epsilon(state.episodes, eps_start, eps_end, eps_div)

    agents = make_recipients(
        network, n, env, lr=lr, lr_v=lr_v, gamma=gamma, ent_coef=ent_coef, tau=tau, eps=eps
    )

    def init(key):
        k_agents, k_inc = jax.random.split(key)
        params, opt = agents.init(k_agents)
        dummy_obs = jnp.zeros((1, *obs_shape), jnp.float32)
        dummy_others = jnp.zeros((1, (n - 1) * width), jnp.float32)
        eta = jax.vmap(lambda k: incentive.init(k, dummy_obs, dummy_others))(
            jax.random.split(k_inc, n)
        )
        opt = {**opt, "incentive": jax.vmap(adam.init)(eta)}
        zero = jnp.zeros((), jnp.float32)
        return LearnerState({**params, "incentive": eta}, opt, zero, zero)

    def given(eta, obs, actions_all):
        """``(n givers, T, E, n recipients)``: what every giver pays every agent (its own
        entry zero), from ``obs (n, T, E, ...)`` and ``actions_all (T, E, n)``."""
        others = others_one_hot(actions_all, n_actions, seen)  # (n, T, E, (n-1)W)
        paid = jax.vmap(incentive.apply)(eta, obs, others) * r_max
        return paid * (1.0 - jnp.eye(n))[:, None, None, :]

    def received(eta, obs, actions_all):
        return jnp.moveaxis(jnp.sum(given(eta, obs, actions_all), axis=0), -1, 0)  # (n, T, E)

    def update(state: LearnerState, rollout: Rollout, key):
        epsilon = eps(state)
        steps_t, envs = rollout.actions.shape[:2]
        data = episode_data(rollout, n)
        actions_all = rollout.actions
        pol_carry0, crit_carry0 = rollout.carry
        eta, theta = state.params["incentive"], state.params["policy"]

        bonus = received(eta, data["obs"], actions_all)
        critic, target, crit_opt, value_loss = agents.critic_step(
            state.params, state.opt["critic"], data, crit_carry0, bonus
        )
        policy_loss = agents.policy_loss(theta, data, pol_carry0, bonus, epsilon)
        theta_hat = agents.look_ahead(theta, data, pol_carry0, bonus, epsilon)

        # τ̂: fresh episodes with the updated policies (and critics)
        playing = state._replace(params={**state.params, "policy": theta_hat, "critic": critic})
        new, _ = agents.play(act, playing, key, envs, steps_t)
        fresh = episode_data(new, n)
        giver_delta = jax.lax.stop_gradient(
            jax.vmap(td_errors, in_axes=(0, 0, 0, 0, None))(
                fresh["rewards"], fresh["values"], fresh["dones"], fresh["last_value"], gamma
            )
        )  # (n, T, E): every agent's TD error on its own extrinsic reward along τ̂
        discount = gamma ** jnp.arange(steps_t, dtype=jnp.float32)

        def giver_loss(eta_all, j):
            paid_all = received(eta_all, data["obs"], actions_all)
            theta_new = agents.look_ahead(theta, data, pol_carry0, paid_all, epsilon)
            logp = agents.log_probs(theta_new, new)  # (n, T, E)
            others = 1.0 - jax.nn.one_hot(j, n)
            pg = -jnp.sum(others[:, None, None] * logp * giver_delta[j][None]) / envs
            paid = given(eta_all, data["obs"], actions_all)[j]  # (T, E, n)
            cost = jnp.sum(discount[:, None, None] * jnp.abs(paid) * others[None, None]) / envs
            return pg + reg_coeff * cost

        incentive_loss, grads = lookahead.own_gradients(giver_loss, eta)
        moves, inc_opt = jax.vmap(adam.update)(grads, state.opt["incentive"], eta)
        eta = jax.tree.map(lambda p, s: p - lr_reward * s, eta, moves)

        params = {
            "policy": jax.lax.stop_gradient(theta_hat),
            "critic": critic,
            "target": target,
            "incentive": eta,
        }
        opt = {"critic": crit_opt, "incentive": inc_opt}
        episodes = state.episodes + deep.completed_episodes(rollout)
        paid = given(state.params["incentive"], data["obs"], actions_all)  # (n, T, E, n)
        per_env = jnp.maximum(jnp.sum(rollout.dones) / envs, 1.0)  # episodes per environment
        metrics = {
            "loss/policy": policy_loss,
            "loss/value": value_loss,
            "loss/incentive": incentive_loss,
            "incentive/given": jnp.sum(paid, axis=(1, 2, 3)) / envs / per_env,
            "incentive/received": jnp.sum(paid, axis=(0, 1, 2)) / envs / per_env,
            "learner/epsilon": epsilon,
        }
        return LearnerState(params, opt, state.updates + 1, episodes), metrics

    act = agents.act
    return DeepLearner(
        "lio", network, n, False, init, agents.initial_carry, act, agents.evaluate, update
    )
