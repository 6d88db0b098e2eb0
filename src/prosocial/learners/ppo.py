"""Proximal policy optimisation with independent learners (IPPO), one network per agent.

After a rollout of ``T`` steps in ``E`` environments, advantages are generalised
advantage estimates (Schulman et al. 2016) from the acting values,

    δ_t = r_t + γ (1 − d_t) V(o_{t+1}) − V(o_t),    Â_t = δ_t + γ λ (1 − d_t) Â_{t+1},

with value targets R̂_t = Â_t + V(o_t). For ``epochs`` passes over the rollout, split into
``minibatches`` random minibatches (of steps; of whole environments' sequences when the
network has memory), each agent minimises (Schulman et al. 2017, eqs. 7 and 9)

    L(θ) = −E[min(ρ_t Â_t, clip(ρ_t, 1 − ε, 1 + ε) Â_t)]
           + c_v · ½ E[max((V_θ − R̂)², (V_old + clip(V_θ − V_old, −ε, ε) − R̂)²)]
           − c_H · E[H(π_θ)],        ρ_t = π_θ(a_t | o_t) / π_old(a_t | o_t),

with Â normalised to zero mean and unit variance within each minibatch and agent, the
gradient clipped to global norm ``max_grad_norm`` per agent, and Adam with step size
``lr``, annealed linearly to 0 over ``total_updates`` updates when ``anneal_lr``.

Sources: Schulman et al. (2017), "Proximal policy optimization algorithms", arXiv
1707.06347; the clipped value loss, per-minibatch advantage normalisation and annealing as
in PureJaxRL (github ``luchris429/purejaxrl``, ``ppo.py``) and the IPPO of JaxMARL and
SocialJax (de Witt et al. 2020, "Is independent learning all you need in the StarCraft
multi-agent challenge?"). SocialJax's Cleanup settings: lr 5e-4 annealed, 2 epochs, clip
0.2, γ 0.99, λ 0.95, c_H 0.01, c_v 0.5, max-norm 0.5. Independent parameters per agent by
default (``shared=True`` is SocialJax's and JaxMARL's parameter sharing).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from prosocial.errors import ConfigError
from prosocial.learners import deep
from prosocial.learners.deep import DEEP_LEARNERS, DeepLearner, LearnerState, Rollout
from prosocial.learners.networks import Network


def check_passes(epochs: int, minibatches: int) -> tuple[int, int]:
    epochs, minibatches = int(epochs), int(minibatches)
    if not 1 <= epochs <= 1000:
        raise ConfigError("epochs", f"{epochs}; accepted: 1..1000")
    if not 1 <= minibatches <= 1_000_000:
        raise ConfigError("minibatches", f"{minibatches}; accepted: 1..1000000")
    return epochs, minibatches


def clipped_value_loss(values, mb, clip):
    """``½ E[max((V − R̂)², (V_old + clip(V − V_old, −ε, ε) − R̂)²)]`` over the last axes."""
    clipped = mb["values"] + jnp.clip(values - mb["values"], -clip, clip)
    return 0.5 * jnp.mean(
        jnp.maximum((values - mb["targets"]) ** 2, (clipped - mb["targets"]) ** 2), axis=(-2, -1)
    )


def make_update(
    network: Network,
    n_agents: int,
    tx,
    shared: bool,
    minibatch_gradient,
    *,
    lr,
    anneal_lr,
    total_updates,
    gamma,
    gae_lambda,
    epochs: int,
    minibatches: int,
    sequences: bool = False,
):
    """PPO's update (module docstring) around ``minibatch_gradient(params, mb, carry) ->
    (grads, (policy, value, entropy))``, whatever direction that gradient is; minibatches
    are environments' whole sequences where the network has memory or ``sequences``, else
    shuffled steps."""
    by_sequence = network.config.memory != "none" or sequences

    def update(state: LearnerState, rollout: Rollout, key):
        data = deep.by_agent(rollout, n_agents)  # (n, T, E, ...)
        adv = jax.vmap(deep.gae, in_axes=(0, 0, 0, 0, None, None))(
            data["rewards"], data["values"], data["dones"], data["last_value"], gamma, gae_lambda
        )
        batch = {
            "obs": data["obs"],
            "resets": data["resets"],
            "actions": data["actions"],
            "logp": data["logp"],
            "values": data["values"],
            "advantages": adv,
            "targets": adv + data["values"],
        }
        carry = rollout.carry
        steps, envs = rollout.actions.shape[:2]
        if not by_sequence:  # every step is its own sequence of length one
            flat = steps * envs
            batch = jax.tree.map(lambda x: x.reshape((n_agents, 1, flat, *x.shape[3:])), batch)
            carry = deep.initial_carry(network, n_agents, flat)
        size = batch["actions"].shape[2]
        if size % minibatches:
            raise ConfigError(
                "minibatches",
                f"{minibatches} does not divide the {size} "
                + ("environments" if by_sequence else "steps × environments")
                + " of a rollout",
            )
        lr_now = lr * jnp.where(anneal_lr, 1.0 - state.updates / total_updates, 1.0)

        def epoch(carry_state, k):
            params, opt = carry_state
            order = jax.random.permutation(k, size)

            def split(x, axis):
                x = jnp.take(x, order, axis=axis)
                shape = (*x.shape[:axis], minibatches, size // minibatches, *x.shape[axis + 1 :])
                return jnp.moveaxis(x.reshape(shape), axis, 0)

            mbs = jax.tree.map(lambda x: split(x, 2), batch)
            mcarry = jax.tree.map(lambda x: split(x, 1), carry)

            def step(carry_state, xs):
                params, opt = carry_state
                mb, c = xs
                grads, aux = minibatch_gradient(params, mb, c)
                params, opt = deep.apply_gradients(tx, shared, params, opt, grads, lr_now)
                return (params, opt), aux

            (params, opt), aux = jax.lax.scan(step, (params, opt), (mbs, mcarry))
            return (params, opt), aux

        (params, opt), (pg, vf, ent) = jax.lax.scan(
            epoch, (state.params, state.opt), jax.random.split(key, epochs)
        )
        episodes = state.episodes + deep.completed_episodes(rollout)
        metrics = {
            "loss/policy": jnp.mean(pg, axis=(0, 1)),
            "loss/value": jnp.mean(vf, axis=(0, 1)),
            "loss/entropy": jnp.mean(ent, axis=(0, 1)),
            "learner/lr": lr_now,
        }
        return LearnerState(params, opt, state.updates + 1, episodes), metrics

    return update


def make_learner(name: str, network: Network, n_agents: int, shared: bool, tx, update):
    """The :class:`DeepLearner` bundle of a PPO learner with update rule ``update``."""

    def init(key):
        params = deep.init_params(network, key, n_agents, shared)
        zero = jnp.zeros((), jnp.float32)
        return LearnerState(params, deep.init_opt(tx, shared, params), zero, zero)

    return DeepLearner(
        name,
        network,
        n_agents,
        shared,
        init,
        lambda envs: deep.initial_carry(network, n_agents, envs),
        deep.make_act(network, shared, lambda state: jnp.zeros((), jnp.float32)),
        deep.make_evaluate(network, shared),
        update,
    )


@DEEP_LEARNERS.register("ppo")
def ppo(
    network: Network,
    n_agents: int,
    *,
    shared: bool = False,
    lr=5e-4,
    anneal_lr=True,
    total_updates=1,
    gamma=0.99,
    gae_lambda=0.95,
    clip=0.2,
    vf_coef=0.5,
    ent_coef=0.01,
    max_grad_norm=0.5,
    epochs: int = 2,
    minibatches: int = 4,
) -> DeepLearner:
    """A PPO learner for ``n_agents`` agents (module docstring); ``epochs`` and
    ``minibatches`` shape the program, the other numbers may be traced."""
    epochs, minibatches = check_passes(epochs, minibatches)
    tx = deep.optimiser(max_grad_norm)

    def agent_loss(params, mb, carry):
        _, logits, values = network.apply(params, carry, mb["obs"], mb["resets"])
        logp = deep.log_prob(logits, mb["actions"])
        ratio = jnp.exp(logp - mb["logp"])
        adv = mb["advantages"]
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        pg = -jnp.mean(jnp.minimum(ratio * adv, jnp.clip(ratio, 1 - clip, 1 + clip) * adv))
        vf = clipped_value_loss(values, mb, clip)
        ent = jnp.mean(deep.entropy(logits))
        return pg + vf_coef * vf - ent_coef * ent, (pg, vf, ent)

    loss_n = deep.per_agent(agent_loss, shared, (0, 0, 0))

    def total(params, mb, carry):
        losses, aux = loss_n(params, mb, carry)
        return (jnp.mean(losses) if shared else jnp.sum(losses)), aux

    update = make_update(
        network,
        n_agents,
        tx,
        shared,
        jax.grad(total, has_aux=True),
        lr=lr,
        anneal_lr=anneal_lr,
        total_updates=total_updates,
        gamma=gamma,
        gae_lambda=gae_lambda,
        epochs=epochs,
        minibatches=minibatches,
    )
    return make_learner("ppo", network, n_agents, shared, tx, update)
