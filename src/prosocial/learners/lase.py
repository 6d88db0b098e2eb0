"""LASE: learning to balance altruism and self-interest based on empathy (Kong et al. 2024).

Every agent ``i`` keeps four parameter sets: an acting actor-critic θ (A2C, as
:mod:`prosocial.learners.a2c`), a *social-relationship* (SR) network μ/η with a critic
over the joint action and a policy head, and a *perspective-taking* network φ. After every
rollout, for every step and every co-player ``j ≠ i`` (no gradients):

    ô_j   = f_φ(o_i, onehot(j))                      i imagines j's observation
    π̂_j   = π_η(· | ô_j)                             and j's policy: its own SR policy there
    b_ij  = Σ_{a'} π̂_j(a') Q_μ(o_i, (a', a_{−j}))     j's action marginalised out
    M_ij  = max_{a'} Q_μ(o_i, (a', a_{−j})) − min_{a'} Q_μ(o_i, (a', a_{−j}))
    w_ij  = (Q_μ(o_i, a) − b_ij) / M_ij  ∈ [−1, 1]    (0 where M_ij < 10⁻⁶)

the *social relationship*: how much better j's real action made i's prospects than j's
expected action. Gifting is zero-sum: i gives j the share

    g_ij = max(w_ij, 0) / (N − 1)   (j ≠ i),     g_ii = 1 − Σ_{j≠i} g_ij,

of its own reward, every row of g sums to 1, and agent i's acting policy learns from

    r̃_i = Σ_k g_ki r_k,     so that Σ_i r̃_i = Σ_i r_i exactly.

The SR network learns from the agent's own *extrinsic* reward: a SARSA critic over the
joint action and an actor-critic policy head on its TD error,

    δ_t = r_i,t + γ_SR (1 − d_t) Q_μ(o_i,t+1, a_t+1) − Q_μ(o_i,t, a_t),
    L(μ, η) = mean_t [½ δ_t² − log π_η(a_i,t | o_i,t) sg(δ_t)],

(the last step of a rollout that does not end the episode has no successor and is left
out), and the perspective-taking network learns to make π_η predict j's real action from
the imagined observation, held near i's own:

    L(φ) = Σ_{j≠i} mean_t [(1 − δ) CE(π_η(· | f_φ(o_i, j)), a_j) + δ ‖f_φ(o_i, j) − o_i‖₁ / |o|]

with π_η frozen in L(φ). ``perspective=False`` is the ablation **LASE w/o**: ô_j = o_i.

π_η, as the development code trains it, is the agent's *own* policy on its extrinsic
reward: it predicts what a selfish i would do in j's place, not what j does. The ablation
``coplayer_model="imitate"`` (ours) trains it instead to predict the co-players' real
actions at their imagined observations,

    L(μ, η) = mean_t [½ δ_t² + Σ_{j≠i} CE(π_η(· | sg(ô_j,t)), a_j,t) / (N − 1)],

so that π̂_j tracks j. With two players and two actions, and a critic under which j's
cooperation helps, w_ij = 1 − π̂_j(C) after j cooperated and −π̂_j(C) after it defected:
a tracked co-player who cooperates with probability q is given (1 − q) q on average,
so the gifts fade as cooperation becomes certain (the reference value of about 0.8 for
payoffs 4/0/5/1 is where this balance settles), while the selfish π_η keeps π̂_j(C)
low and the gifts large.

Sources: Kong, Ma, Liang, Zhu (2024), "Learning to balance altruism and self-interest
based on empathy in mixed-motive games", NeurIPS, arXiv 2410.07863 (the abstract's
counterfactual social relationship and zero-sum gifting); the first author's development
code, github ``kfq20/Empathy`` (``counterfactual_factor``, the gifting rule, the SR
network ``ACself`` and perspective taking ``Imagine``, γ_SR = 0.99, δ = 0.1, learning rates
1e-4 / 5e-5 / 3e-5), read, not copied; the paper's full text was not available to us.
Choices where the paper is not available, named: the SR and perspective networks learn
from the current rollout (the development code samples episodes from a replay buffer of
5000); every co-player counts as visible (the code masks w_ij of unseen co-players in its
stag hunt); the SR critic has no target network; M_ij < 10⁻⁶ gives w_ij = 0 (the code has
no guard); the torso of both networks is the acting network's (CNN or MLP).
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax

from prosocial.envs.core import Environment
from prosocial.errors import ConfigError
from prosocial.learners import deep
from prosocial.learners.a2c import a2c
from prosocial.learners.deep import DEEP_LEARNERS, DeepLearner, LearnerState, Rollout
from prosocial.learners.networks import Network, NetworkConfig, torso

COPLAYER_MODELS = ("own", "imitate")
"""How π_η is trained: the agent's own SR policy (the development code), or an imitation
of the co-players' actions (ours; module docstring)."""

GUARD = 1e-6
"""Below this range of Q over j's actions, j's action made no difference: w_ij = 0."""


TORCH_DEFAULT = nn.initializers.variance_scaling(1 / 3, "fan_in", "uniform")
"""PyTorch's default initialisation of linear and convolution weights (uniform within
±1/√fan_in), which LASE's development code keeps for these two networks. It is also not
orthogonal: XLA's CPU runtime (jax 0.10.2, 2 cores) deadlocked in 4 of 4 runs of a
program initialising three networks with orthogonal (QR-based) weights, and in 0 of 4
with this one."""


class _Torso(nn.Module):
    config: NetworkConfig
    obs_ndim: int

    @nn.compact
    def __call__(self, obs):
        return torso(self.config, obs, self.obs_ndim, TORCH_DEFAULT)


def _dense(width: int) -> nn.Dense:
    return nn.Dense(width, kernel_init=TORCH_DEFAULT)


class SRNet(nn.Module):
    """The social-relationship network: a torso, a critic Q_μ(o, a) over the one-hot joint
    action and a policy head π_η(· | o) (LASE's ``ACself``, widths 64)."""

    config: NetworkConfig
    n_actions: int
    obs_ndim: int

    def setup(self):
        self.body = _Torso(self.config, self.obs_ndim)
        self.q_hidden, self.q_out = _dense(64), _dense(1)
        self.pi_hidden, self.pi_out = _dense(64), _dense(self.n_actions)

    def __call__(self, obs, joint):
        x = self.features(obs)
        return self.q(x, joint), self.logits(x)

    def features(self, obs):
        return self.body(obs)

    def q(self, x, joint):
        h = jnp.concatenate([x, joint.astype(jnp.float32)], axis=-1)
        return self.q_out(nn.relu(self.q_hidden(h)))[..., 0]

    def logits(self, x):
        return self.pi_out(nn.relu(self.pi_hidden(x)))


class PerspectiveNet(nn.Module):
    """f_φ(o_i, onehot(j)) ∈ [0, 1]^|o|: the torso, j's identity, two dense layers of 128
    and a sigmoid output shaped as the observation (LASE's ``Imagine``)."""

    config: NetworkConfig
    n_agents: int
    obs_shape: tuple[int, ...]

    @nn.compact
    def __call__(self, obs, who):
        x = torso(self.config, obs, len(self.obs_shape), TORCH_DEFAULT)
        x = jnp.concatenate([x, jax.nn.one_hot(who, self.n_agents)], axis=-1)
        x = nn.relu(_dense(128)(nn.relu(_dense(128)(x))))
        size = math.prod(self.obs_shape)
        out = jax.nn.sigmoid(_dense(size)(x))
        return out.reshape(*out.shape[:-1], *self.obs_shape)


def social_relationship(q_real: jax.Array, q_alt: jax.Array, pi_hat: jax.Array) -> jax.Array:
    """``w = (Q(o, a) − Σ_a' π̂(a') Q(o, (a', a_−j))) / (max − min over a')``, 0 where the
    range is below :data:`GUARD`; ``q_alt`` and ``pi_hat`` have j's actions last."""
    baseline = jnp.sum(pi_hat * q_alt, axis=-1)
    spread = jnp.max(q_alt, axis=-1) - jnp.min(q_alt, axis=-1)
    safe = jnp.where(spread > GUARD, spread, 1.0)
    return jnp.where(spread > GUARD, jnp.clip((q_real - baseline) / safe, -1.0, 1.0), 0.0)


def gift_matrix(w: jax.Array) -> jax.Array:
    """``(..., n, n)`` relationships ``w[i, j]`` → gift shares ``g[i, j]``: ``max(w, 0) /
    (n − 1)`` off the diagonal and the rest kept, so that every row sums to 1."""
    n = w.shape[-1]
    eye = jnp.eye(n).reshape((1,) * (w.ndim - 2) + (n, n))
    given = jnp.maximum(w, 0.0) * (1.0 - eye) / (n - 1)
    return given + eye * (1.0 - jnp.sum(given, axis=-1, keepdims=True))


def gifted_rewards(g: jax.Array, rewards: jax.Array) -> jax.Array:
    """``r̃_i = Σ_k g_ki r_k`` over the last axis (agents)."""
    return jnp.einsum("...ki,...k->...i", g, rewards)


@DEEP_LEARNERS.register("lase")
def lase(
    network: Network,
    n_agents: int,
    *,
    env: Environment | None = None,
    shared: bool = False,
    lr=1e-4,
    lr_sr=5e-5,
    lr_pt=3e-5,
    gamma=0.99,
    gamma_sr=0.99,
    pt_delta=0.1,
    perspective: bool = True,
    coplayer_model: str = "own",
    givers: tuple[bool, ...] | None = None,
    vf_coef=0.5,
    ent_coef=0.1,
    max_grad_norm=1.0,
    eps_start=0.5,
    eps_end=0.05,
    eps_div=1000.0,
) -> DeepLearner:
    """LASE for ``n_agents`` agents of ``env`` (module docstring); numbers may be traced.

    ``lr`` and the other A2C numbers are the acting policy's; ``lr_sr`` (α_μ, α_η) and
    ``lr_pt`` (α_φ) the Adam steps of the SR and perspective networks; ``pt_delta`` is δ;
    ``perspective=False`` gives LASE w/o; ``coplayer_model`` is ``"own"`` (π_η is the
    agent's own SR policy, as the development code trains it) or ``"imitate"`` (π_η
    learns the co-players' actions). ``givers`` ``(n,)`` says which agents gift (none:
    all); an agent that does not (a scripted co-player standing in for agent j) keeps its
    whole reward, g_jj = 1.
    """
    if coplayer_model not in COPLAYER_MODELS:
        raise ConfigError(
            "coplayer_model", f"{coplayer_model!r}; accepted: {', '.join(COPLAYER_MODELS)}"
        )
    if env is None:
        raise ConfigError("algo", "lase needs the environment's spaces: pass env=")
    if shared:
        raise ConfigError("shared", "lase gives every agent its own networks")
    if n_agents < 2:
        raise ConfigError("n_agents", f"{n_agents}; lase needs at least two agents")
    n, n_actions = n_agents, int(env.action_space(env.params).n)
    if givers is not None and len(givers) != n:
        raise ConfigError("givers", f"{len(givers)} flags for {n} agents")
    giving = jnp.asarray([True] * n if givers is None else givers, jnp.float32)
    obs_shape = tuple(env.observation_space(env.params).shape)
    sr_net = SRNet(network.config, n_actions, len(obs_shape))
    pt_net = PerspectiveNet(network.config, n, obs_shape)
    actor = a2c(
        network,
        n,
        lr=lr,
        gamma=gamma,
        vf_coef=vf_coef,
        ent_coef=ent_coef,
        max_grad_norm=max_grad_norm,
        eps_start=eps_start,
        eps_end=eps_end,
        eps_div=eps_div,
    )
    sr_tx = deep.optimiser(1.0)
    pt_tx = optax.scale_by_adam(eps=1e-5)
    joint_width = n * n_actions

    def init(key):
        k_pol, k_sr, k_pt = jax.random.split(key, 3)
        policy = actor.init(k_pol)
        obs = jnp.zeros((1, *obs_shape), jnp.float32)
        sr = jax.vmap(lambda k: sr_net.init(k, obs, jnp.zeros((1, joint_width))))(
            jax.random.split(k_sr, n)
        )
        pt = jax.vmap(lambda k: pt_net.init(k, obs, jnp.zeros((1,), jnp.int32)))(
            jax.random.split(k_pt, n)
        )
        opt = {
            "policy": policy.opt,
            "sr": jax.vmap(sr_tx.init)(sr),
            "pt": jax.vmap(pt_tx.init)(pt),
        }
        params = {"policy": policy.params, "sr": sr, "pt": pt}
        return LearnerState(params, opt, policy.updates, policy.episodes)

    def features(sr, obs):
        return sr_net.apply(sr, obs, method=SRNet.features)

    def imagined(pt, obs):
        """``(..., *obs) -> (..., n, *obs)``: i's imagination of every agent's view (its
        own view for every agent in LASE w/o)."""
        lead = obs.shape[: obs.ndim - len(obs_shape)]
        tiled = jnp.broadcast_to(jnp.expand_dims(obs, len(lead)), (*lead, n, *obs_shape))
        if not perspective:
            return tiled.astype(jnp.float32)
        return pt_net.apply(pt, tiled, jnp.broadcast_to(jnp.arange(n), (*lead, n)))

    def relationships(sr, pt, obs, joint):
        """Agent i's ``w[i, ..., j]`` from its own view ``obs (T, E, ...)`` and the joint
        actions ``(T, E, n)``; ``w[i, ..., i] = 0``."""
        x = features(sr, obs)  # (T, E, F)
        choices = jnp.arange(n_actions)
        # alternatives[t, e, j, a', k]: the joint action with j's replaced by a'
        shape = (*joint.shape[:-1], n, n_actions, n)
        mine = jnp.arange(n)[:, None, None] == jnp.arange(n)[None, None, :]  # (j, ·, k)
        alt = jnp.where(
            jnp.broadcast_to(mine, shape),
            jnp.broadcast_to(choices[None, :, None], shape),
            jnp.broadcast_to(joint[..., None, None, :], shape),
        )
        alt_hot = jax.nn.one_hot(alt, n_actions).reshape(*alt.shape[:-1], joint_width)
        x_alt = jnp.broadcast_to(x[..., None, None, :], (*alt.shape[:-1], x.shape[-1]))
        q_alt = sr_net.apply(sr, x_alt, alt_hot, method=SRNet.q)  # (T, E, n, A)
        real_hot = jax.nn.one_hot(joint, n_actions).reshape(*joint.shape[:-1], joint_width)
        q_real = sr_net.apply(sr, x, real_hot, method=SRNet.q)  # (T, E)
        seen = imagined(pt, obs)  # (T, E, n, *obs)
        logits = sr_net.apply(sr, features(sr, seen), method=SRNet.logits)
        w = social_relationship(q_real[..., None], q_alt, jax.nn.softmax(logits))
        return w  # (T, E, n)

    def sr_loss(sr, pt, obs, joint, reward, done, own, i):
        x = features(sr, obs)
        hot = jax.nn.one_hot(joint, n_actions).reshape(*joint.shape[:-1], joint_width)
        q = sr_net.apply(sr, x, hot, method=SRNet.q)  # (T, E)
        following = jnp.concatenate([q[1:], jnp.zeros_like(q[:1])], axis=0)
        target = jax.lax.stop_gradient(reward + gamma_sr * (1.0 - done) * following)
        valid = jnp.concatenate([jnp.ones_like(q[:-1]), done[-1:]], axis=0)
        td = target - q
        if coplayer_model == "own":
            logp = deep.log_prob(sr_net.apply(sr, x, method=SRNet.logits), own)
            per_step = 0.5 * td**2 - logp * jax.lax.stop_gradient(td)
            return jnp.sum(valid * per_step) / jnp.maximum(jnp.sum(valid), 1.0)
        critic = jnp.sum(valid * 0.5 * td**2) / jnp.maximum(jnp.sum(valid), 1.0)
        seen = jax.lax.stop_gradient(imagined(pt, obs))  # (T, E, n, *obs)
        logits = sr_net.apply(sr, features(sr, seen), method=SRNet.logits)
        ce = -deep.log_prob(logits, joint)  # (T, E, n)
        others = 1.0 - jax.nn.one_hot(i, n)
        return critic + jnp.sum(jnp.mean(ce, axis=(0, 1)) * others) / (n - 1)

    def pt_loss(pt, sr, obs, actions, i):
        seen = imagined(pt, obs)  # (T, E, n, *obs)
        logits = sr_net.apply(jax.lax.stop_gradient(sr), features(sr, seen), method=SRNet.logits)
        ce = -deep.log_prob(logits, jnp.moveaxis(actions, 0, -1))  # (T, E, n)
        own = jnp.expand_dims(obs.astype(jnp.float32), obs.ndim - len(obs_shape))
        axes = tuple(range(seen.ndim - len(obs_shape), seen.ndim))
        l1 = jnp.mean(jnp.abs(seen - own), axis=axes)  # (T, E, n)
        others = 1.0 - jax.nn.one_hot(i, n)
        per = (1.0 - pt_delta) * ce + pt_delta * l1
        return jnp.sum(jnp.mean(per, axis=(0, 1)) * others)

    def update(state: LearnerState, rollout: Rollout, key):
        data = deep.by_agent(rollout, n)
        sr, pt = state.params["sr"], state.params["pt"]
        w = jax.lax.stop_gradient(
            jax.vmap(relationships, in_axes=(0, 0, 0, None))(sr, pt, data["obs"], rollout.actions)
        )  # (n, T, E, n): w[i, t, e, j]
        w = w * ((1.0 - jnp.eye(n)) * giving[:, None])[:, None, None, :]
        g = gift_matrix(jnp.moveaxis(w, 0, -2))  # (T, E, n, n): g[t, e, i, j]
        shaped = gifted_rewards(g, rollout.rewards)
        inner = LearnerState(
            state.params["policy"], state.opt["policy"], state.updates, state.episodes
        )
        inner, metrics = actor.update(inner, rollout._replace(rewards=shaped), key)

        sr_value, sr_grads = jax.vmap(
            jax.value_and_grad(sr_loss), in_axes=(0, 0, 0, None, 0, 0, 0, 0)
        )(
            sr,
            pt,
            data["obs"],
            rollout.actions,
            data["rewards"],
            data["dones"],
            data["actions"],
            jnp.arange(n),
        )
        sr, sr_opt = deep.apply_gradients(sr_tx, False, sr, state.opt["sr"], sr_grads, lr_sr)
        pt_value, pt_grads = jax.vmap(jax.value_and_grad(pt_loss), in_axes=(0, 0, 0, None, 0))(
            pt, state.params["sr"], data["obs"], data["actions"], jnp.arange(n)
        )
        moves, pt_opt = jax.vmap(pt_tx.update)(pt_grads, state.opt["pt"], pt)
        pt = jax.tree.map(lambda p, s: p - lr_pt * s, pt, moves)

        off = 1.0 - jnp.eye(n)
        metrics = {
            **metrics,
            "loss/sr": sr_value,
            "loss/perspective": pt_value,
            # per agent: its mean relationship to the others and its spread over the
            # rollout's steps (the root of the mean over co-players of w_ij's variance),
            # the share of its reward it gives away, the shares it receives, its mean
            # reward per step after gifts, and the conservation check
            "lase/relationship": jnp.sum(jnp.mean(w, axis=(1, 2)) * off, axis=-1) / (n - 1),
            "lase/relationship_std": jnp.sqrt(
                jnp.sum(jnp.var(w, axis=(1, 2)) * off, axis=-1) / (n - 1)
            ),
            "lase/gift_given": jnp.mean(1.0 - jnp.diagonal(g, axis1=-2, axis2=-1), axis=(0, 1)),
            "lase/gift_received": jnp.mean(jnp.sum(g * off[None, None], axis=-2), axis=(0, 1)),
            "lase/gifted_reward": jnp.mean(shaped, axis=(0, 1)),
            "lase/conservation_error": jnp.max(
                jnp.abs(jnp.sum(shaped, axis=-1) - jnp.sum(rollout.rewards, axis=-1))
            ),
        }
        params = {"policy": inner.params, "sr": sr, "pt": pt}
        opt = {"policy": inner.opt, "sr": sr_opt, "pt": pt_opt}
        return LearnerState(params, opt, inner.updates, inner.episodes), metrics

    def act(state, carry, obs, reset, key):
        return actor.act(state._replace(params=state.params["policy"]), carry, obs, reset, key)

    def evaluate(params, carry, obs, reset):
        return actor.evaluate(params["policy"], carry, obs, reset)

    return DeepLearner("lase", network, n, False, init, actor.initial_carry, act, evaluate, update)


def stage_advantage(row: jax.Array, q: jax.Array) -> jax.Array:
    """E[r̃_i | C] − E[r̃_i | D] of two LASE agents in a symmetric 2×2 stage game.

    ``row[a_i, a_j]`` is a player's payoff (action 0 cooperates), and both agents
    cooperate with probability ``q``. The analysis assumes a myopic critic that has
    learned the stage payoffs (Q_μ(a_i, a_j) = row[a_i, a_j]) and a co-player model that
    tracks the co-player (π̂(C) = q); every gift is computed with
    :func:`social_relationship`, :func:`gift_matrix` and :func:`gifted_rewards` over the
    four joint actions. In a prisoner's dilemma (R > S, T > P) this is

        qR + (1 − q)S + (1 − q)²T − q²T − (1 − q)P,

    whose root is the cooperation at which gifting balances the temptation (q* = 0.8
    for R, S, T, P = 4, 0, 5, 1). Ours; the paper's theory figure (Kong et al. 2024,
    Fig. 2) plots LASE's cooperation over the (T, S) plane, its derivation not available
    to us.
    """
    row = jnp.asarray(row, jnp.float32)
    q = jnp.asarray(q, jnp.float32)
    pi = jnp.stack([q, 1.0 - q])  # the co-player's policy, which its model tracks exactly

    def shaped(a_i, a_j):
        w_ij = social_relationship(row[a_i, a_j], row[a_i], pi)
        w_ji = social_relationship(row[a_j, a_i], row[a_j], pi)
        g = gift_matrix(jnp.stack([jnp.stack([0.0, w_ij]), jnp.stack([w_ji, 0.0])]))
        return gifted_rewards(g, jnp.stack([row[a_i, a_j], row[a_j, a_i]]))[0]

    value = [sum(pi[a_j] * shaped(a_i, a_j) for a_j in (0, 1)) for a_i in (0, 1)]
    return value[0] - value[1]
