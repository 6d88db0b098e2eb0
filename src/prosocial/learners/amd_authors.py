"""Adaptive mechanism design on a sequential game, in the configuration of the authors' code.

The planner and learners of the authors' Coin Game code (github ``tobiasbaumann1/amd``,
``marltoolbox/algos/adaptive_mechanism_design``, run by
``marltoolbox/examples/tune_class_api/amd.py``), beside prosocial's look-ahead planner
(:mod:`prosocial.learners.amd`). Everything learns online, once per step of the game.

**Learners** (their ``Actor_Critic_Agent`` with a centralised critic): agent ``i``'s policy
π_θⁱ acts on its own view (theirs: every player acts on the first player's view, the
whole board); its critic V_wⁱ(s, π(s)) reads the state and every agent's
action probabilities. After every step, on its reward plus the planner's transfer,

    δ_t = rⁱ_t + r_p,i(s_t, a_t) + γ V_wⁱ(s_{t+1}, π(s_{t+1})) − V_wⁱ(s_t, π(s_t)),
    L_w = δ_t² + λ ‖w‖₂,      L_θ = −δ_t log π_θⁱ(aⁱ_t | oⁱ_t) + β Σ_a π log π + λ ‖θ‖₂,

each minimised by one step of momentum SGD (TensorFlow's ``MomentumOptimizer``:
m ← μ m + g, x ← x − η m); ‖·‖₂ is the norm of all the network's weights, not squared.

**Planner** (their ``Planning_Agent`` with ``value_fn_variant='exact'``): it pays
r_p(s, a) = 2c (σ(f_p(x)) − ½) ∈ (−c, c), f_p a leaky-ReLU network over
x = (s, one-hot a) − ½. After every step, with gᵢ = πⁱ(aⁱ_t)(1 − πⁱ(aⁱ_t)) (a number, no
gradient), it takes

    g_Vp,i = gᵢ (∂r_p,i/∂aⁱ + Σ_k ∂r_p,i/∂s_k) / 31,        g_V,i = gᵢ Σ_j rʲ_t,

where ∂/∂aⁱ is the derivative through the authors' one-hot of the action index,
hot_k(a) = 1 − |k − a| clipped at 0, that is Σ_{k≠aⁱ} sign(k − aⁱ) ∂r_p,i/∂hot_k, and 31 is
their constant for the Coin Game's state; the look-ahead term of agent ``i`` is
−η g_Vp,i g_V,i (η the learners' step), normalised by running sums over a window ``W``,

    m_p,i ← (1 − 1/W) m_p,i + |r_p,i|,      m_V ← (1 − 1/W) m_V + |Σ_j rʲ_t|,
    x = Σ_i [−η g_Vp,i g_V,i / (10 m_p,i / (W c))] / (m_V / W),

and the planner minimises, by one step of momentum SGD,

    L_p = clip(x, κ) + α ‖r_p(s_t, a_t)‖₂ + λ_p ‖p‖₂,       clip(x, κ) = x κ / max(|x|, κ),

TensorFlow's ``clip_by_norm`` on a scalar, differentiated through the norm as TensorFlow
does: a step whose |x| exceeds κ gives the planner no look-ahead gradient at all (the
``planner/clipped`` metric counts them). With revenue neutrality the transfers paid and
the cost are centred (the authors' ``with_redistribution``; their Coin Game runs it off).

The numbers are the effective ones of their Coin Game configuration: ``_init_algo``
rescales the configuration dictionary at run time for networks of 64 units (the
learners' step ÷ 40, the planner's multiplier × 6.25, the cost × 1.5), so η = 0.01/120,
μ = 0.99, λ = 0.003, γ = 0.5, β = 0.1; the planner's step 12 500 η ≈ 1.04 with μ_p = 0.999,
α = 1.5·10⁻⁸, λ_p = 3·10⁻¹⁰, κ = 3·10⁻⁶, W = 1000, c = 1, the running sums starting at
m_p = 0.1 W and m_V = 0.2 W; every weight and bias drawn from N(0, 0.1); a critic of 20
and a planner of 64 leaky-ReLU units (slope 0.2, TensorFlow's). Their runs: 10⁶ episodes
of 20 steps, one at a time, 5 seeds; no result was published.

Differences, named: the learners' policy is prosocial's network (ReLU, the configured
torso; the authors': one leaky-ReLU layer of 64 units), re-drawn from N(0, 0.1); each
step's updates average the gradients of ``E`` parallel episodes (theirs: one episode),
the running sums move by the batch's mean and each episode's term is normalised with its
own transfer; the episodes of an update are played with the parameters at its start
(theirs: the parameters after each step's update, which a step of η ≈ 10⁻⁴ barely moves);
the state is every agent's view stacked (theirs: the first player's view, the whole Coin
Game board), so the state gradient's sum is divided by ``n`` before the 31; the last step
of an episode does not bootstrap (their code never passes the end of an episode); a
recurrent policy is stepped with its memory and its gradient stops at the memory; the
weight decay's norm includes the policy network's value head, which nothing else trains
(about 1 % of the norm at the start). The game differs too: prosocial's Coin Game draws
each new coin's colour at random, theirs alternates the colour after every pickup.
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp

from prosocial.envs.core import Environment
from prosocial.errors import ConfigError
from prosocial.learners import deep
from prosocial.learners.amd import joint_view
from prosocial.learners.deep import DEEP_LEARNERS, DeepLearner, LearnerState, Rollout
from prosocial.learners.networks import Network

LEARNER_STEP = 0.01 / 3 / 5 / 8
"""η: the learners' step of the authors' Coin Game configuration after its rescaling."""
PLANNER_STEP = 2000 * 5**2 / 4 * LEARNER_STEP
"""The planner's momentum step: their multiplier 2000, × 6.25 at run time, times η."""
STATE_DIVISOR = 31.0
"""The authors' divisor of the planner's input gradient in the Coin Game (``3*9+4``)."""
LEAK = 0.2
"""The negative slope of TensorFlow's ``leaky_relu``."""


def mlp_init(key: jax.Array, sizes: tuple[int, ...], std) -> list[dict]:
    """Dense layers of ``sizes`` with every weight and bias drawn from N(0, std²)."""
    keys = jax.random.split(key, 2 * (len(sizes) - 1))
    return [
        {
            "w": std * jax.random.normal(keys[2 * k], (a, b)),
            "b": std * jax.random.normal(keys[2 * k + 1], (b,)),
        }
        for k, (a, b) in enumerate(itertools.pairwise(sizes))
    ]


def mlp(params: list[dict], x: jax.Array) -> jax.Array:
    """Leaky-ReLU hidden layers, a linear output."""
    for layer in params[:-1]:
        x = jax.nn.leaky_relu(x @ layer["w"] + layer["b"][None], LEAK)
    return x @ params[-1]["w"] + params[-1]["b"][None]


def weight_norm(tree) -> jax.Array:
    """‖·‖₂ of every array of ``tree`` together (not squared)."""
    return jnp.sqrt(sum(jnp.sum(x**2) for x in jax.tree.leaves(tree)))


def momentum_step(params, trace, grads, lr, momentum):
    """TensorFlow's ``MomentumOptimizer``: m ← μ m + g, x ← x − η m."""
    trace = jax.tree.map(lambda m, g: momentum * m + g, trace, grads)
    return jax.tree.map(lambda x, m: x - lr * m, params, trace), trace


def action_gradient(d_hot: jax.Array, actions: jax.Array) -> jax.Array:
    """∂r/∂a through the authors' one-hot of the action index: Σ_k sign(k − a) ∂r/∂hot_k.

    ``d_hot (..., A)``: the gradient with respect to an agent's one-hot block;
    ``actions (...)``: the actions taken. (TensorFlow differentiates |k − a| at k = a as 0.)
    """
    index = jnp.broadcast_to(jnp.arange(d_hot.shape[-1]), d_hot.shape)
    signs = jnp.sign(index - actions[..., None])
    return jnp.sum(signs * d_hot, axis=-1)


def safe_divide(x: jax.Array, by: jax.Array) -> jax.Array:
    """x / by, and 0 where ``by`` is 0 (the authors' ``tf.cond`` on a zero running sum)."""
    return jnp.where(by != 0, x / jnp.where(by != 0, by, 1.0), 0.0)


def clip_scalar(x: jax.Array, bound) -> jax.Array:
    """``tf.clip_by_norm`` of scalars, x κ / max(|x|, κ): its gradient is 0 where |x| > κ."""
    return x * bound / jnp.maximum(jnp.abs(x), bound)


@DEEP_LEARNERS.register("amd_authors")
def amd_authors(
    network: Network,
    n_agents: int,
    *,
    env: Environment | None = None,
    shared: bool = False,
    lr=LEARNER_STEP,
    gamma=0.5,
    ent_coef=0.1,
    r_max=1.0,
    reg_coeff=1.5e-8,
    lr_reward=PLANNER_STEP,
    revenue_neutral=0.0,
    planner_until=1e12,
    momentum=0.99,
    planner_momentum=0.999,
    weight_decay=0.003,
    planner_decay=3e-10,
    clip=3e-6,
    window=1000.0,
    init_std=0.1,
    critic_units: int = 20,
    planner_units: int = 64,
    **unused,
) -> DeepLearner:
    """Learners of ``env`` and their planner as the authors' code runs them (module
    docstring); numbers may be traced, the widths may not.

    ``lr``: the learners' step η; ``lr_reward``: the planner's step; ``r_max``: the bound
    ``c``; ``reg_coeff``: the cost weight α; ``planner_until``: the updates during which
    the planner pays and learns.
    """
    del unused
    if env is None:
        raise ConfigError("algo", "amd_authors needs the game: pass env=")
    if shared:
        raise ConfigError("shared", "amd_authors gives every learner its own policy")
    n, n_actions = n_agents, int(env.action_space(env.params).n)
    obs_shape = tuple(env.observation_space(env.params).shape)
    grid = network.config.torso == "cnn"
    state_size = n * math.prod(obs_shape)
    step_n = jax.vmap(network.step, in_axes=(0, 0, 0, None))

    def state_of(obs_n):
        """``(n, E, ...) -> (E, D)``: every agent's view, flattened."""
        view = joint_view(obs_n, grid)
        return view.reshape(view.shape[0], -1).astype(jnp.float32)

    def critic_input(state, probs):
        """The centralised critic's input: the state and every agent's probabilities."""
        return jnp.concatenate([state, jnp.moveaxis(probs, 0, 1).reshape(len(state), -1)], -1)

    def values(critic, state, probs):
        """``(n, E)``: every agent's critic."""
        x = critic_input(state, probs)
        return jax.vmap(lambda w: mlp(w, x)[:, 0])(critic)

    def pay(p, state, hot):
        """``(E, n)``: the planner's transfers, before any centring."""
        return 2.0 * r_max * (jax.nn.sigmoid(mlp(p, jnp.concatenate([state, hot], -1) - 0.5)) - 0.5)

    def init(key):
        k_pol, k_crit, k_plan, k_draw = jax.random.split(key, 4)
        policy = jax.vmap(network.init)(jax.random.split(k_pol, n))
        leaves, tree = jax.tree.flatten(policy)
        draws = jax.random.split(k_draw, len(leaves))
        policy = tree.unflatten(
            [init_std * jax.random.normal(k, x.shape) for k, x in zip(draws, leaves, strict=True)]
        )
        sizes = (state_size + n * n_actions, critic_units, 1)
        critic = jax.vmap(lambda k: mlp_init(k, sizes, init_std))(jax.random.split(k_crit, n))
        planner = mlp_init(k_plan, (state_size + n * n_actions, planner_units, n), init_std)
        params = {"policy": policy, "critic": critic, "planner": planner}
        zeros = jax.tree.map(jnp.zeros_like, params)
        scale = {"transfers": jnp.full((n,), 0.1 * window), "welfare": 0.2 * window}
        zero = jnp.zeros((), jnp.float32)
        return LearnerState(params, {**zeros, "scale": scale}, zero, zero)

    def initial_carry(envs):
        return deep.initial_carry(network, n, envs)

    def act(state: LearnerState, carry, obs, reset, key):
        obs_n = deep.to_agents(obs, 1)
        carry, logits, _ = step_n(state.params["policy"], carry, obs_n, reset)
        actions = jax.random.categorical(key, logits).astype(jnp.int32)  # (n, E)
        logp = deep.log_prob(logits, actions)
        probs = jax.nn.softmax(logits)
        value = values(state.params["critic"], state_of(obs_n), probs)
        return carry, actions.T, logp.T, value.T

    def evaluate(params, carry, obs, reset):
        obs_n = deep.to_agents(obs, 1)
        carry, logits, _ = step_n(params["policy"], carry, obs_n, reset)
        value = values(params["critic"], state_of(obs_n), jax.nn.softmax(logits))
        return carry, jnp.moveaxis(logits, 0, 1), value.T

    def planner_loss(p, scale, state, hot, actions, probs, welfare, on):
        """The planner's loss at one step of ``E`` episodes (module docstring), the
        transfers and the running sums after it. ``actions (n, E)``, ``probs (n, E, A)``,
        ``welfare (E,)``."""
        out, pull = jax.vjp(lambda s, h: pay(p, s, h), state, hot)
        d_state, d_hot = jax.vmap(lambda i: pull(jnp.broadcast_to(i, out.shape)))(jnp.eye(n))
        own = jnp.einsum("ieja,ij->iea", d_hot.reshape(n, -1, n, n_actions), jnp.eye(n))
        grad = action_gradient(own, actions) + jnp.sum(d_state, -1) / n  # (n, E)
        taken = jnp.take_along_axis(probs, actions[..., None], -1)[..., 0]
        g = jax.lax.stop_gradient(taken * (1.0 - taken))
        look = -lr * (g * grad / STATE_DIVISOR) * (g * welfare[None])  # (n, E)
        keep = 1.0 - 1.0 / window
        m_p = keep * scale["transfers"][:, None] + jnp.abs(out.T)
        look = safe_divide(look, m_p * 10.0 / (window * r_max))
        m_v = keep * scale["welfare"] + jnp.abs(welfare)
        x = safe_divide(jnp.sum(look, 0), m_v / window)
        centred = out - revenue_neutral * jnp.mean(out, -1, keepdims=True)
        cost = reg_coeff * jnp.sqrt(jnp.sum(centred**2, -1) + 1e-12)
        loss = jnp.mean(clip_scalar(x, clip) + on * cost) + planner_decay * weight_norm(p)
        moved = {
            "transfers": keep * scale["transfers"] + jnp.mean(jnp.abs(out), 0),
            "welfare": keep * scale["welfare"] + jnp.mean(jnp.abs(welfare)),
        }
        return loss, (on * centred, moved, jnp.mean(jnp.abs(x) > clip))

    def learner_losses(theta, w, carry, obs, reset, state, probs, target, actions):
        """One agent's actor and critic losses at one step; ``target (E,)`` is
        r + r_p + γ V(s′) (no gradient)."""
        v = mlp(w, critic_input(state, probs))[:, 0]
        delta = target - v
        critic = jnp.mean(delta**2) + weight_decay * weight_norm(w)
        _, logits, _ = network.step(theta, carry, obs, reset)
        logp = jax.nn.log_softmax(logits)
        actor = (
            -jnp.mean(deep.log_prob(logits, actions) * jax.lax.stop_gradient(delta))
            + ent_coef * jnp.mean(jnp.sum(jnp.exp(logp) * logp, -1))
            + weight_decay * weight_norm(theta)
        )
        return actor + critic, (actor, critic)

    grads_n = jax.vmap(
        jax.grad(learner_losses, argnums=(0, 1), has_aux=True),
        in_axes=(0, 0, 0, 0, None, None, None, 0, 0),
    )

    def update(state: LearnerState, rollout: Rollout, key):
        del key
        steps_t, envs = rollout.actions.shape[:2]
        on = (state.updates < planner_until).astype(jnp.float32)
        obs = jnp.moveaxis(rollout.obs, 2, 1)  # (T, n, E, ...)
        last = jnp.arange(steps_t) == steps_t - 1
        xs = {
            "obs": obs,
            "next_obs": jnp.concatenate([obs[1:], obs[-1:]]),
            "reset": rollout.resets,
            "next_reset": jnp.concatenate([rollout.resets[1:], rollout.resets[-1:]]),
            "actions": jnp.moveaxis(rollout.actions, 2, 1),  # (T, n, E)
            "rewards": jnp.moveaxis(rollout.rewards, 2, 1),
            "bootstrap": (1.0 - rollout.dones) * (1.0 - last[:, None]),  # (T, E)
        }
        eye = jax.nn.one_hot(jnp.arange(n_actions), n_actions)

        def step(carry, x):
            params, opt, memory = carry
            theta, w, p = params["policy"], params["critic"], params["planner"]
            s, s_next = state_of(x["obs"]), state_of(x["next_obs"])
            memory_next, logits, _ = step_n(theta, memory, x["obs"], x["reset"])
            _, logits_next, _ = step_n(theta, memory_next, x["next_obs"], x["next_reset"])
            probs = jax.nn.softmax(logits)
            probs_next = jax.lax.stop_gradient(jax.nn.softmax(logits_next))
            hot = jnp.moveaxis(eye[x["actions"]], 0, 1).reshape(envs, -1)  # (E, n·A)
            welfare = jnp.sum(x["rewards"], 0)  # (E,)
            (plan_loss, (paid, scale, clipped)), plan_grad = jax.value_and_grad(
                planner_loss, has_aux=True
            )(p, opt["scale"], s, hot, x["actions"], probs, welfare, on)
            p_new, plan_trace = momentum_step(
                p, opt["planner"], plan_grad, on * lr_reward, planner_momentum
            )
            later = gamma * x["bootstrap"][None] * values(w, s_next, probs_next)
            target = x["rewards"] + paid.T + later
            (g_theta, g_w), (actor, critic) = grads_n(
                theta, w, memory, x["obs"], x["reset"], s, probs, target, x["actions"]
            )
            theta, pol_trace = momentum_step(theta, opt["policy"], g_theta, lr, momentum)
            w, crit_trace = momentum_step(w, opt["critic"], g_w, lr, momentum)
            params = {"policy": theta, "critic": w, "planner": p_new}
            scale = jax.tree.map(lambda a, b: on * a + (1.0 - on) * b, scale, opt["scale"])
            opt = {"policy": pol_trace, "critic": crit_trace, "planner": plan_trace, "scale": scale}
            memory_next = jax.lax.stop_gradient(memory_next)
            return (params, opt, memory_next), (actor, critic, plan_loss, paid, clipped)

        carry0 = (state.params, state.opt, rollout.carry)
        (params, opt, _), (actor, critic, plan_loss, paid, clipped) = jax.lax.scan(step, carry0, xs)
        per_env = jnp.maximum(jnp.sum(rollout.dones) / envs, 1.0)
        metrics = {
            "loss/policy": jnp.mean(actor, 0),
            "loss/value": jnp.mean(critic, 0),
            "planner/loss": jnp.mean(plan_loss),
            "planner/spending": jnp.sum(jnp.abs(paid)) / envs / per_env,
            "planner/transfer": jnp.sum(paid, axis=(0, 1)) / envs / per_env,
            "planner/clipped": on * jnp.mean(clipped),
        }
        episodes = state.episodes + deep.completed_episodes(rollout)
        return LearnerState(params, opt, state.updates + 1, episodes), metrics

    return DeepLearner("amd_authors", network, n, False, init, initial_carry, act, evaluate, update)
