"""Adaptive mechanism design: a planning agent that learns to hand out extra rewards.

Source: T. Baumann, T. Graepel, J. Shawe-Taylor, *Adaptive Mechanism Design: Learning to
Promote Cooperation* (IJCNN 2020; arXiv 1806.04067), thesis chapter 4, and the authors'
code (github ``tobiasbaumann1/Adaptive_Mechanism_Design`` at 8119f40, two players, and
``tobiasbaumann1/Mechanism_Design_Multi-Player`` at a1b02f9, N players; both
``Planning_Agent.py``).

The planner observes the joint action ``a`` and pays player ``i`` an extra reward
``r_p,i(a) = 2c(σ(z_i) − ½) ∈ (−c, c)`` with ``z = W·1[a = C] + b`` (one dense layer,
weights and biases N(0, 0.1), as in the authors' ``Planning_Agent.py``), so
``|r_p,i| ≤ c``. In the *revenue-neutral* setting the transfers are centred,
``r_p ← r_p − mean(r_p)``, so they sum to exactly zero (then ``|r_p,i| < 2c``, as in the
authors' code). With ``inputs="own"`` the planner sees only the player's own action and
shares one output across players (the symmetric N-player planner of the authors'
multi-player code).

Learners take a naive gradient step ``Δθ_i = η_i ∇_i(V_i + V_i^p)`` (eq. 4.1). The planner
maximises the welfare ``V = Σ_i V_i`` after that step; to first order (eq. 4.2–4.3)

    ∇_p V(θ + Δθ) ≈ Σ_i η_i (∇_p ∇_i V_i^p)^T ∇_i V,

so it ascends the *look-ahead gain* ``G(θ_p) = Σ_i η_i ⟨∇_i V_i^p(θ, θ_p), ∇_i V(θ)⟩``
(``∇_i V`` held fixed), minus a cost (eq. 4.7):

    L_p(θ_p) = −G(θ_p) + α ‖V^p(θ, θ_p)‖₂.

The cost is the L2 norm (not squared), as in the authors' code; the thesis writes
``α‖V^p‖²`` where the superscript is ambiguous.

Variants (``value=``):

* ``"exact"`` — ``V_i`` and ``V_i^p = Σ_a π(a) r_p,i(a)`` are exact expectations over all
  joint actions, and the gradient is taken by automatic differentiation. This is eq. 4.3
  as written. *Simplification named:* the authors' code instead linearises
  ``∇_i V_i^p ≈ σ'(θ_i) ∂r_p,i/∂a_i`` at the sampled joint action and puts the cost on the
  sampled ``r_p``; ``value="exact"`` implements the equation; ``"linearised"`` the code.
* ``"linearised"`` — the authors' coded version of the exact variant (above), kept so
  that the published numbers can be set beside eq. 4.3.
* ``"estimated"`` — eq. 4.5: single-sample policy-gradient estimates from sampled play,
  ``∇_i V_i^p ≈ ∇_i log π_i(a_i) r_p,i(a)`` and ``∇_i V ≈ ∇_i log π_i(a_i)(Σ_j r_j(a) − b)``,
  with the authors' fixed baseline and the cost on the sampled ``r_p``. *Simplification
  named:* eq. 4.5 writes ``∇_p log π_p`` for a stochastic planner; like the authors' code we
  differentiate the deterministic transfer ``r_p`` itself. The authors' two repositories
  disagree on the baseline (``b = 1.9`` in the two-player code, ``T + S − 0.1`` in the
  multi-player code); both are available (``baseline_value``). Under revenue neutrality we
  use the centred transfers the learners receive (eq. 4.5 as written). Averaging over
  ``samples > 1`` plays, or a learned baseline (an exponential average of the observed
  welfare), are prosocial's improvements, named as such.

Opponent modelling (eq. 4.6): instead of reading ``θ_i``, the planner plugs in the maximum
likelihood estimate ``θ̂_i = argmax Σ_t w_t log π_θ(a_i,t)`` over the observed actions,
discounted by ``w_t = λ^{T−t}`` so that it tracks a learner that moves. For a single-logit
player this argmax is closed form: ``θ̂_i = logit(n_C / n)`` with the discounted counts,
to which we add ½ and 1 (a Krichevsky–Trofimov prior) so that it is finite. The thesis
proposes this but never ran it.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from prosocial.games.matrix import COOPERATE, joint_actions
from prosocial.learners.binary import score

INPUTS = ("joint", "own")


class OpponentModel(NamedTuple):
    """Discounted action counts per player: cooperations and plays."""

    cooperations: jax.Array
    plays: jax.Array


def init_params(key: jax.Array, n_players: int, inputs: str = "joint") -> dict:
    """Planner weights, N(0, 0.1) as in the authors' code."""
    n_in, n_out = (n_players, n_players) if inputs == "joint" else (1, 1)
    z = 0.1 * jax.random.normal(key, ((n_in + 1) * n_out,))
    return {"w": z[: n_in * n_out].reshape(n_in, n_out), "b": z[n_in * n_out :]}


def extra_rewards(
    params: dict,
    actions: jax.Array,
    max_reward: float,
    revenue_neutral: jax.Array | bool = False,
    inputs: str = "joint",
) -> jax.Array:
    """The planner's transfers ``r_p(a)`` for one joint action (shape ``(n,)``).

    ``revenue_neutral`` may be a traced 0/1 flag: ``r_p − flag·mean(r_p)``.
    """
    return _transfers(
        params, (actions == COOPERATE).astype(jnp.float32), max_reward, revenue_neutral, inputs
    )


def _transfers(params, coop, max_reward, revenue_neutral, inputs):
    # coop: 1 where a player cooperates; a float, so that it can be differentiated.
    if inputs == "joint":
        z = coop @ params["w"] + params["b"]
    else:
        z = coop * params["w"][0, 0] + params["b"][0]
    r = 2.0 * max_reward * (jax.nn.sigmoid(z) - 0.5)
    return r - jnp.asarray(revenue_neutral, r.dtype) * jnp.mean(r)


def joint_probabilities(logits: jax.Array) -> jax.Array:
    """``π(a) = Π_j π_j(a_j)`` for every joint action, in ``joint_actions`` order."""
    acts = jnp.asarray(joint_actions(logits.shape[0]))
    log_p = jnp.where(acts == COOPERATE, jax.nn.log_sigmoid(logits), jax.nn.log_sigmoid(-logits))
    return jnp.exp(log_p.sum(axis=1))


def joint_table(payoffs: jax.Array) -> jax.Array:
    """The payoff tensor as a ``(A^n, n)`` table, rows in ``joint_actions`` order."""
    n = payoffs.shape[0]
    return payoffs.reshape(n, -1).T


def own_gradient(logits: jax.Array, table: jax.Array) -> jax.Array:
    """``[∂/∂θ_i E_π[F_i(a)]]_i`` for a table ``F`` (``(2^n, n)``) that does not depend on θ.

    By the score-function identity applied to the exact expectation,
    ``∂/∂θ_i Σ_a π(a) F_i(a) = Σ_a π(a) ∂_i log π_i(a_i) F_i(a)``: one matrix product, no
    Jacobian. Tested against ``jax.jacfwd``.
    """
    acts = jnp.asarray(joint_actions(logits.shape[0]))
    scores = jax.vmap(lambda a: score(logits, a))(acts)  # (2^n, n)
    return joint_probabilities(logits) @ (scores * table)


def transfer_table(params: dict, n_players: int, max_reward, revenue_neutral=False, inputs="joint"):
    """The planner's transfers on every joint action, ``(2^n, n)``."""
    acts = jnp.asarray(joint_actions(n_players))
    return jax.vmap(lambda a: extra_rewards(params, a, max_reward, revenue_neutral, inputs))(acts)


def _own_transfers(params: dict, max_reward) -> jax.Array:
    # inputs="own": the uncentred transfer to a cooperator and to a defector.
    return _transfers(params, jnp.array([1.0, 0.0]), max_reward, False, "own")


def expected_extra_rewards(
    params: dict, logits: jax.Array, max_reward: float, revenue_neutral=False, inputs="joint"
) -> jax.Array:
    """Exact ``V_i^p(θ) = Σ_a π(a) r_p,i(a)`` for every player (shape ``(n,)``).

    With ``inputs="own"`` the transfers are separable, ``r_p,i = g(a_i) − ρ·mean_j g(a_j)``,
    so the expectation factorises: ``E g(a_i) = p_i g(C) + (1 − p_i) g(D)``, O(n) instead
    of a sum over 2^n joint actions (tested against the enumeration).
    """
    if inputs == "own":
        g = _own_transfers(params, max_reward)
        p = jax.nn.sigmoid(logits)
        e = p * g[0] + (1 - p) * g[1]
        return e - jnp.asarray(revenue_neutral, e.dtype) * jnp.mean(e)
    table = transfer_table(params, logits.shape[0], max_reward, revenue_neutral, inputs)
    return joint_probabilities(logits) @ table


def extra_reward_gradient(
    params: dict, logits: jax.Array, max_reward: float, revenue_neutral=False, inputs="joint"
) -> jax.Array:
    """``[∂V_i^p/∂θ_i]_i``, by the closed form for ``inputs="own"``."""
    if inputs == "own":
        g = _own_transfers(params, max_reward)
        p = jax.nn.sigmoid(logits)
        own_share = 1.0 - jnp.asarray(revenue_neutral, p.dtype) / logits.shape[0]
        return p * (1 - p) * (g[0] - g[1]) * own_share
    table = transfer_table(params, logits.shape[0], max_reward, revenue_neutral, inputs)
    return own_gradient(logits, table)


def welfare_gradient(payoffs: jax.Array, logits: jax.Array) -> jax.Array:
    """``[∂V/∂θ_i]_i`` with ``V = Σ_j V_j(θ)`` the exact expected welfare."""
    welfare = joint_table(payoffs).sum(axis=1, keepdims=True)
    return own_gradient(logits, jnp.broadcast_to(welfare, (welfare.shape[0], logits.shape[0])))


def lookahead_gain(
    params: dict,
    logits: jax.Array,
    payoffs: jax.Array,
    learner_lr: float,
    max_reward: float,
    revenue_neutral=False,
    inputs: str = "joint",
) -> jax.Array:
    """``G(θ_p) = Σ_i η_i ⟨∇_i V_i^p, ∇_i V⟩`` (eq. 4.3), with ``∇_i V`` held fixed."""
    g_welfare = jax.lax.stop_gradient(welfare_gradient(payoffs, logits))
    g_extra = extra_reward_gradient(params, logits, max_reward, revenue_neutral, inputs)
    return learner_lr * jnp.sum(g_extra * g_welfare)


def exact_loss(
    params: dict,
    logits: jax.Array,
    payoffs: jax.Array,
    learner_lr: float,
    max_reward: float,
    cost: float,
    revenue_neutral=False,
    inputs: str = "joint",
) -> jax.Array:
    """``L_p = −G(θ_p) + α‖V^p‖₂`` with exact values (eq. 4.3 and 4.7)."""
    gain = lookahead_gain(params, logits, payoffs, learner_lr, max_reward, revenue_neutral, inputs)
    v_extra = expected_extra_rewards(params, logits, max_reward, revenue_neutral, inputs)
    return -gain + cost * _norm(v_extra)


def linearised_loss(
    params: dict,
    logits: jax.Array,
    actions: jax.Array,
    payoffs: jax.Array,
    learner_lr: float,
    max_reward: float,
    cost: float,
    revenue_neutral=False,
    inputs: str = "joint",
) -> jax.Array:
    """The authors' coded "exact" loss: ``∇_i V_i^p`` linearised at the sampled actions.

    ``∇_i V_i^p ≈ σ'(θ_i) ∂r_p,i/∂x_i`` at ``x = 1[a = C]`` (the planner's action input
    treated as continuous), ``∇_i V`` exact, and the cost on the sampled ``r_p``
    (the authors' ``Planning_Agent.py``, ``value_fn_variant='exact'``). In the
    revenue-neutral setting the code centres the transfers only where it pays them, so
    the slope is that of the *uncentred* output while the cost is on the centred one; we
    keep that too. Kept to reproduce the published numbers beside eq. 4.3.
    """
    coop = (actions == COOPERATE).astype(jnp.float32)
    slope = jnp.diagonal(
        jax.jacfwd(lambda x: _transfers(params, x, max_reward, False, inputs))(coop)
    )
    p = jax.nn.sigmoid(logits)
    g_extra = p * (1.0 - p) * slope
    g_welfare = jax.lax.stop_gradient(welfare_gradient(payoffs, logits))
    r_p = _transfers(params, coop, max_reward, revenue_neutral, inputs)
    return -learner_lr * jnp.sum(g_extra * g_welfare) + cost * _norm(r_p)


def estimated_loss(
    params: dict,
    logits: jax.Array,
    actions: jax.Array,
    game_rewards: jax.Array,
    baseline: jax.Array,
    learner_lr: float,
    max_reward: float,
    cost: float,
    revenue_neutral=False,
    inputs: str = "joint",
    weights: jax.Array | None = None,
) -> jax.Array:
    """Policy-gradient estimate of ``L_p`` from ``K`` sampled plays (eq. 4.5 and 4.7).

    Args:
        actions: ``(K, n)`` sampled joint actions.
        game_rewards: ``(K, n)`` the game's rewards for them.
        baseline: the welfare baseline ``b``.
        weights: ``(K,)`` weights of the plays, summing to one (None: equal weights).
    """
    k = actions.shape[0]
    w = jnp.full((k,), 1.0 / k) if weights is None else weights
    s = jax.vmap(lambda a: score(logits, a))(actions)  # (K, n)
    r_p = jax.vmap(lambda a: extra_rewards(params, a, max_reward, revenue_neutral, inputs))(actions)
    g_extra = w @ (s * r_p)
    g_welfare = w @ (s * (game_rewards.sum(axis=1, keepdims=True) - baseline))
    gain = learner_lr * jnp.sum(g_extra * jax.lax.stop_gradient(g_welfare))
    return -gain + cost * (w @ jax.vmap(_norm)(r_p))


def _norm(x: jax.Array) -> jax.Array:
    # ‖x‖₂ with a finite gradient at x = 0.
    return jnp.sqrt(jnp.sum(x**2) + 1e-12)


def init_opponent_model(n_players: int) -> OpponentModel:
    zeros = jnp.zeros((n_players,))
    return OpponentModel(zeros, zeros)


def observe(model: OpponentModel, actions: jax.Array, decay: float) -> OpponentModel:
    """Add one round of observed actions, discounting the past by ``decay``."""
    return OpponentModel(
        decay * model.cooperations + (actions == COOPERATE), decay * model.plays + 1.0
    )


def estimated_logits(model: OpponentModel) -> jax.Array:
    """Discounted maximum-likelihood logits (eq. 4.6) with a ½-count prior."""
    p = (model.cooperations + 0.5) / (model.plays + 1.0)
    return jnp.log(p) - jnp.log1p(-p)
