"""Advantage actor-critic as LIO and LASE train their agents (A2C).

Each agent ``i`` has a policy π_θ(a | o) and a value V_θ(o) sharing one network (or, with
``shared=True``, one network for all agents). After a rollout of ``T`` steps in ``E``
environments (a whole episode when ``T`` is the episode length), the discounted return of
every step is bootstrapped from the value after the last step,

    G_t = r_t + γ (1 − d_t) G_{t+1},        G_T = V_θ(o_T)   (0 where the episode ended),

and one gradient step minimises, per agent, the mean over the rollout of

    L(θ) = −log π_θ(a_t | o_t) · sg(G_t − V_θ(o_t))
           + c_v · ½ (G_t − V_θ(o_t))² − c_H · H(π_θ(· | o_t)),

with gradients clipped to global norm ``max_grad_norm`` (per agent), then Adam with step
size ``lr`` (sg: stop-gradient). Exploration is ε-greedy over the stochastic policy, ε
annealed linearly from ``eps_start`` to ``eps_end`` over ``eps_div`` episodes
(:mod:`prosocial.learners.deep`).

Sources: Mnih et al. (2016), "Asynchronous methods for deep reinforcement learning",
ICML (the advantage actor-critic loss); its use with full-episode returns, ε-greedy
exploration and gradient clipping as in LIO (Yang et al. 2020, NeurIPS; github
``011235813/lio``, ``lio/alg/actor_critic.py``: ε 0.5 → 0.05, entropy 0.1, γ 0.99) and
LASE's development code (Kong et al. 2024, github ``kfq20/Empathy``: Adam 1e-4, max-norm
1.0, ε 0.5 → 0.05 over 2000 episodes). Simplifications: one network and one optimiser
for actor and critic (LIO keeps a separate critic with its own step size and a target
critic; LASE's code shares the body as here); the value loss weight ``c_v`` stands in for
LIO's critic step size.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from prosocial.learners import deep
from prosocial.learners.deep import DEEP_LEARNERS, DeepLearner, LearnerState, Rollout
from prosocial.learners.networks import Network


@DEEP_LEARNERS.register("a2c")
def a2c(
    network: Network,
    n_agents: int,
    *,
    shared: bool = False,
    lr=1e-4,
    gamma=0.99,
    vf_coef=0.5,
    ent_coef=0.1,
    max_grad_norm=1.0,
    eps_start=0.5,
    eps_end=0.05,
    eps_div=1000.0,
) -> DeepLearner:
    """An A2C learner for ``n_agents`` agents (module docstring); numbers may be traced."""
    tx = deep.optimiser(max_grad_norm)

    def init(key):
        params = deep.init_params(network, key, n_agents, shared)
        zero = jnp.zeros((), jnp.float32)
        return LearnerState(params, deep.init_opt(tx, shared, params), zero, zero)

    def eps(state):
        return deep.epsilon(state.episodes, eps_start, eps_end, eps_div)

    def agent_loss(params, data, carry):
        _, logits, values = network.apply(params, carry, data["obs"], data["resets"])
        adv = data["returns"] - values
        pg = -jnp.mean(deep.log_prob(logits, data["actions"]) * jax.lax.stop_gradient(adv))
        vf = 0.5 * jnp.mean(adv**2)
        ent = jnp.mean(deep.entropy(logits))
        return pg + vf_coef * vf - ent_coef * ent, (pg, vf, ent)

    loss_n = deep.per_agent(agent_loss, shared, (0, 0, 0))

    def total(params, data, carry):
        losses, aux = loss_n(params, data, carry)
        return (jnp.mean(losses) if shared else jnp.sum(losses)), aux

    def update(state: LearnerState, rollout: Rollout, key):
        del key  # A2C's update is deterministic
        data = deep.by_agent(rollout, n_agents)
        returns = jax.vmap(deep.discounted_returns, in_axes=(0, 0, 0, None))(
            data["rewards"], data["dones"], data["last_value"], gamma
        )
        data = {"returns": returns, **{k: data[k] for k in ("obs", "resets", "actions")}}
        grads, (pg, vf, ent) = jax.grad(total, has_aux=True)(state.params, data, rollout.carry)
        params, opt = deep.apply_gradients(tx, shared, state.params, state.opt, grads, lr)
        episodes = state.episodes + deep.completed_episodes(rollout)
        metrics = {
            "loss/policy": pg,
            "loss/value": vf,
            "loss/entropy": ent,
            "learner/epsilon": eps(state),
        }
        return LearnerState(params, opt, state.updates + 1, episodes), metrics

    return DeepLearner(
        "a2c",
        network,
        n_agents,
        shared,
        init,
        lambda envs: deep.initial_carry(network, n_agents, envs),
        deep.make_act(network, shared, eps),
        deep.make_evaluate(network, shared),
        update,
    )
