"""PPO whose policy step is a joint-gradient adjustment: AgA and its baselines on networks.

The agents' policies, one parameter set ``θ_i`` per agent, play a differentiable game whose
losses are surrogate objectives over a minibatch of the rollout (``T`` steps in ``E``
environments, actions ``a_t`` of every agent, old log-probabilities, advantages Â_{i,t}
of agent ``i``'s own return from its own critic):

    ρ_t(θ) = Π_j π_{θ_j}(a_{j,t} | o_{j,t}) / π_old(a_{j,t} | o_{j,t})     (the joint ratio)
    ℓ_i(θ) = −E_t[min(ρ_t Â_{i,t}, clip(ρ_t, 1 − ε, 1 + ε) Â_{i,t})]
    ℓ_c(θ) = Σ_i ℓ_i(θ)

and any adjustment of :mod:`prosocial.adjust` (Simul-Ind, Simul-Co, SL, CGA, SGA, LOLA,
SOS, AgA) turns them into the policies' step; each critic and the entropy bonus keep
PPO's own terms, ``c_v · L_V(θ_i) − c_H · H(π_{θ_i})`` (:mod:`prosocial.learners.ppo`),
whose gradient is added to the direction. Clipping to ``max_grad_norm`` per agent, Adam
and the learning-rate schedule are PPO's.

Why the joint ratio. Where the trajectories are held fixed, agent ``i``'s usual surrogate
depends on ``θ_i`` alone: the Jacobian of the losses is block-diagonal, ξ_c = ξ, and every
method that reads the others' gradients or the off-diagonal Hessian (Simul-Co, CGA, SGA,
LOLA, AgA's H_c ξ_c) degenerates. With the joint ratio, ``∇_{θ_j} ℓ_i = −E[∇ log π_j Â_i]``
at ``θ = θ_old``: the policy gradient of agent ``i``'s return with respect to agent
``j``'s policy, for every pair, and the second derivatives carry the cross terms
``E[∇ log π_j ∇ log π_kᵀ Â_i]`` of the score-function (DiCE) estimator of the game
Hessian, one step at a time (Foerster et al. 2018, "DiCE: the infinitely differentiable
Monte Carlo estimator", ICML; their variance reduction with advantages in place of
returns). So ``ℓ_c = Σ_i ℓ_i`` is the collective surrogate with advantage Σ_i Â_i, the
exact-game definition carries over unchanged, and Simul-Co is PPO on the collective return.
Simul-Ind is IPPO with one trust region on the joint policy: at the first minibatch its
step is IPPO's; afterwards the co-players' ratios weight each sample and the clipping
acts on the joint ratio (a decentralised trust region, as in Sun et al. 2023, "Trust
region bounds for decentralized PPO under non-stationarity", AAMAS).

Second-order terms across time (``hessian_lambda``). The surrogate's second derivatives
hold each step's own score terms only. The Hessian of an expected return also couples a
step's action with the earlier actions of its episode (DiCE's ``∇S_t ∇S_tᵀ``, ``S_t``
the joint log-probability of every action up to ``t``). With ``hessian_lambda = λ_d``
each loss gains Loaded DiCE's missing terms (Farquhar et al. 2019, "Loaded DiCE: trading
off bias and variance in any-order score function gradient estimators for reinforcement
learning", NeurIPS, eqs. 8-9), ``ℓ_i ← ℓ_i − E_t[Â_{i,t} X_t]`` with

    log π_t = Σ_j log π_{θ_j}(a_{j,t} | o_{j,t})
    v_t = λ_d (v_{t−1} + log π_{t−1}),   0 where step t starts an episode or the rollout
    X_t = □(v_t + log π_t) − □(v_t) − □(log π_t) + 1,     □(x) = exp(x − ⊥(x))

``X_t`` is 0 in value and in gradient at every θ (``∇□(x) = ∇x``), so ξ, ξ_c and every
first-order method are unchanged; its Hessian is ``∇log π_t ∇v_tᵀ + ∇v_t ∇log π_tᵀ``. With
``λ_d = 1`` and Â the reward to go, summed over t the terms telescope into DiCE's
unbiased Hessian estimate of the return (tested by enumeration in the tests); ``λ_d < 1``
discounts the older actions' share (less variance, more bias), and ``0`` adds nothing.
The terms need whole sequences, so with ``hessian_lambda`` set the minibatches are
environments' whole rollouts (as for a recurrent network) instead of shuffled steps; the
PPO clipping does not act on them.

Advantages are centred per agent and divided by one standard deviation pooled over every
agent of the minibatch (PPO's per-agent normalisation would reweight the agents inside
ℓ_c). The collective objective is the unnormalised sum, as in the exact games; FCGrad
("Fair cooperation in mixed-motive games via conflict-aware gradient adjustment", 2025,
github ``wjkim1202/fcgrad``) takes the mean of the returns, so its λ
corresponds to ``n`` times ours. SVO is not an adjustment here: the deep SVO baseline is
reward shaping (McKee et al. 2020), the ``svo`` reward of the training program.

Sources: Li et al. (2024), "Aligning individual and collective objectives in multi-agent
cooperation", NeurIPS (AgA on PPO agents in Cleanup and Harvest; its code is not public);
FCGrad's JAX re-implementation on SocialJax's games as the closest public account.
Simplifications: one adjustment call per minibatch with a fresh adjustment state (every
registered adjustment is stateless); the critics are PPO's, not part of the game.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from prosocial.adjust import ADJUSTMENTS, COEFFICIENT, SeparableGame
from prosocial.errors import ConfigError
from prosocial.learners import deep, ppo
from prosocial.learners.deep import DEEP_LEARNERS, DeepLearner
from prosocial.learners.networks import Network

ACCEPTED = tuple(name for name in COEFFICIENT if name != "svo")
"""The adjustments a PPO learner accepts (SVO is reward shaping here: module docstring)."""


def normalise_advantages(adv: jax.Array) -> jax.Array:
    """``(Â_i − mean_i) / (pooled std + 1e-8)`` over ``(n, T, B)``: one scale for every agent."""
    centred = adv - jnp.mean(adv, axis=(1, 2), keepdims=True)
    return centred / (jnp.sqrt(jnp.mean(centred**2)) + 1e-8)


def magic_box(x: jax.Array) -> jax.Array:
    """DiCE's ``□(x) = exp(x − ⊥(x))``: 1 in value, ``∇□(x) = □(x) ∇x`` (Foerster et al. 2018)."""
    return jnp.exp(x - jax.lax.stop_gradient(x))


def cross_terms(logp: jax.Array, resets: jax.Array, lam) -> jax.Array:
    """Loaded DiCE's cross terms ``X_t`` (module docstring), shape ``(T, B)``, from the joint
    log-probability ``logp`` ``(T, B)`` of each step's actions and ``resets`` ``(T, B)``
    (whether step ``t`` starts an episode), with ``λ_d = lam``.

    ``v_t = Σ_{t' < t, same episode} λ_d^{t − t'} log π_{t'}`` is one ``(T, T)`` product per
    environment rather than a scan over time."""
    steps = logp.shape[0]
    episode = jnp.cumsum(resets, axis=0)  # (T, B): steps of one episode share a number
    t = jnp.arange(steps)
    lag = t[:, None] - t[None, :]  # (T, T'): t − t'
    weight = jnp.power(lam, jnp.maximum(lag, 1).astype(logp.dtype))
    earlier = (lag > 0)[:, :, None] & (episode[:, None, :] == episode[None, :, :])
    v = jnp.einsum("tub,ub->tb", jnp.where(earlier, weight[:, :, None], 0.0), logp)
    return magic_box(v + logp) - magic_box(v) - magic_box(logp) + 1.0


def surrogates(logp: jax.Array, mb: dict, clip, hessian_lambda=None) -> jax.Array:
    """The joint-ratio surrogates ``ℓ_i``, shape ``(n,)``, from every agent's
    log-probability ``(n, T, B)`` of its action on the minibatch ``mb``, with Loaded DiCE's
    cross terms where ``hessian_lambda`` is set (module docstring)."""
    ratio = jnp.exp(jnp.sum(logp - mb["logp"], axis=0, keepdims=True))  # (1, T, B)
    adv = normalise_advantages(mb["advantages"])
    clipped = jnp.clip(ratio, 1 - clip, 1 + clip)
    losses = -jnp.mean(jnp.minimum(ratio * adv, clipped * adv), axis=(1, 2))
    if hessian_lambda is None:
        return losses
    x = cross_terms(jnp.sum(logp, axis=0), mb["resets"][0], hessian_lambda)
    return losses - jnp.mean(adv * x[None], axis=(1, 2))


def surrogate_game(network: Network, clip, mb: dict, carry, hessian_lambda=None) -> SeparableGame:
    """The game the adjustment sees on minibatch ``mb``: agent ``j``'s network gives the
    log-probabilities of its own actions (separable across agents), and the surrogates
    combine them."""
    apply_n = jax.vmap(network.apply)

    def logp(params):
        _, logits, _ = apply_n(params, carry, mb["obs"], mb["resets"])
        return deep.log_prob(logits, mb["actions"])

    return SeparableGame(logp, lambda z: surrogates(z, mb, clip, hessian_lambda))


@DEEP_LEARNERS.register("adjusted_ppo")
def adjusted_ppo(
    network: Network,
    n_agents: int,
    *,
    adjustment: str = "aga",
    coef=1.0,
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
    hessian_lambda: float | None = None,
) -> DeepLearner:
    """PPO agents whose policy step is ``adjustment`` (a name of :data:`ACCEPTED`) with
    coefficient ``coef`` (AgA's λ, SL's α, CGA's and SGA's λ, LOLA's and SOS's η; ignored by
    Simul-Ind and Simul-Co; it may be traced, so a sweep over it compiles once), and
    ``hessian_lambda`` λ_d ∈ [0, 1] of the cross terms across time (None: none, and
    minibatches of shuffled steps; module docstring)."""
    if adjustment not in ACCEPTED:
        raise ConfigError("adjustment", f"{adjustment!r}; accepted: {', '.join(ACCEPTED)}")
    if hessian_lambda is not None and not 0.0 <= float(hessian_lambda) <= 1.0:
        raise ConfigError("hessian_lambda", f"{hessian_lambda}; accepted: None or 0..1")
    if shared:
        raise ConfigError("shared", "an adjustment needs one parameter set per agent")
    keyword = COEFFICIENT[adjustment]
    rule = ADJUSTMENTS.make(adjustment, **({keyword: coef} if keyword else {}))
    epochs, minibatches = ppo.check_passes(epochs, minibatches)
    tx = deep.optimiser(max_grad_norm)

    def critic_loss(params, mb, carry):
        """``Σ_i c_v L_V(θ_i) − c_H H_i``; each agent's surrogate ℓ_i comes along for the record."""
        _, logits, values = jax.vmap(network.apply)(params, carry, mb["obs"], mb["resets"])
        vf = ppo.clipped_value_loss(values, mb, clip)  # (n,)
        ent = jnp.mean(deep.entropy(logits), axis=(1, 2))
        logp = deep.log_prob(logits, mb["actions"])
        pg = jax.lax.stop_gradient(surrogates(logp, mb, clip))
        return jnp.sum(vf_coef * vf - ent_coef * ent), (pg, vf, ent)

    critic_grad = jax.grad(critic_loss, has_aux=True)

    def minibatch_gradient(params, mb, carry):
        game = surrogate_game(network, clip, mb, carry, hessian_lambda)
        direction, _ = rule.update(game, params, rule.init(params))
        grads, aux = critic_grad(params, mb, carry)
        return jax.tree.map(jnp.add, direction, grads), aux

    update = ppo.make_update(
        network,
        n_agents,
        tx,
        False,
        minibatch_gradient,
        lr=lr,
        anneal_lr=anneal_lr,
        total_updates=total_updates,
        gamma=gamma,
        gae_lambda=gae_lambda,
        epochs=epochs,
        minibatches=minibatches,
        sequences=hessian_lambda is not None,
    )
    return ppo.make_learner("adjusted_ppo", network, n_agents, False, tx, update)
