"""A differentiable one-step look-ahead through other agents' policy-gradient updates.

LIO's incentive functions and the adaptive mechanism designer both act on *learning*:
a giver with parameters η hands out extra rewards, the recipients take one gradient step
on rewards that include them, and the giver judges η by what the recipients do *after*
that step. With recipients' parameters θ, a loss L(θ, η) whose rewards depend on η, and
step size β,

    θ̂(η) = θ − β ∇_θ L(θ, η),                                                  (1)

and the giver's gradient of an objective J evaluated at the updated parameters is, by
the chain rule,

    ∇_η J(θ̂(η)) = (∂θ̂/∂η)ᵀ ∇_θ̂ J = −β (∇_η ∇_θ L(θ, η))ᵀ ∇_θ̂ J.                 (2)

JAX computes (2) by differentiating through (1) (a Hessian-vector product, never the
Hessian). The giver's objective is estimated on *new* trajectories sampled with θ̂, whose
actions do not depend on η: only the log-probabilities of those actions under θ̂ carry
the gradient (the score-function form of LIO's Eq. 5 and of the planner's look-ahead in
adaptive mechanism design).

Sources: Yang et al. (2020), "Learning to Incentivize Other Learning Agents", NeurIPS,
Eq. 4–5 (github ``011235813/lio``, ``lio/alg/lio_ac.py``); Baumann, Graepel and
Shawe-Taylor (2020), "Adaptive Mechanism Design: Learning to Promote Cooperation",
IJCNN, §III (the first-order expansion of the learners' step); Foerster et al. (2018),
LOLA, for the same derivative of an opponent's naive update.

* :func:`step` is (1) for any parameter pytree and loss.
* :func:`policy_gradient_loss` is the recipients' loss: the score-function surrogate of
  a trajectory's advantages, whose gradient is the REINFORCE/actor-critic estimate.
* :func:`own_gradients` gives every giver ``j`` the gradient of *its* objective in *its*
  parameters, the other givers' parameters held fixed (each giver is a separate learner,
  not one optimiser of the sum).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


def step(loss: Callable[..., jax.Array], params: Any, lr, *args) -> Any:
    """θ̂ = θ − β ∇_θ L(θ, *args) (Eq. 1), differentiable in ``args`` (and ``lr``)."""
    grads = jax.grad(loss)(params, *args)
    return jax.tree.map(lambda p, g: p - lr * g, params, grads)


def policy_gradient_loss(logp: jax.Array, advantages: jax.Array, mask=None) -> jax.Array:
    """−Σ_t log π(a_t | o_t) · A_t, summed over every axis (masked steps left out).

    Its gradient in the policy's parameters is the score-function estimate of the
    (negated) policy gradient; ``advantages`` carry the gradient in the giver's
    parameters where the rewards do, so they must *not* be stop-gradiented here.
    """
    terms = logp * advantages
    if mask is not None:
        terms = jnp.where(mask, terms, 0.0)
    return -jnp.sum(terms)


def own_gradients(
    objective: Callable[[Any, jax.Array], jax.Array], params: Any
) -> tuple[jax.Array, Any]:
    """``(J_j, ∂ J_j / ∂ η_j)`` for every giver ``j``: the losses ``(n,)`` and the
    gradients stacked like ``params``.

    ``params`` holds every giver's parameters stacked on a leading axis of ``n``;
    ``objective(params, j)`` is giver ``j``'s scalar loss, which may depend on every
    giver's parameters (through the recipients' look-ahead). Giver ``j`` differentiates
    only in its own row; the other rows are held fixed (stop-gradient).
    """
    n = jax.tree.leaves(params)[0].shape[0]
    fixed = jax.lax.stop_gradient(params)

    def one(j):
        def own(row):
            full = jax.tree.map(lambda all_, r: all_.at[j].set(r), fixed, row)
            return objective(full, j)

        return jax.value_and_grad(own)(jax.tree.map(lambda p: p[j], params))

    return jax.vmap(one)(jnp.arange(n))
