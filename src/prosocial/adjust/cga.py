"""CGA: consensus gradient adjustment (consensus optimisation).

Update (Mescheder, Nowozin & Geiger 2017, "The Numerics of GANs", NeurIPS, consensus
optimisation; the "CGA" baseline of Li et al. 2024):

    direction = ξ + λ Hᵀξ = ξ + λ ∇(½‖ξ‖²),   λ ≥ 0

Hᵀξ is one vjp of the gradient map ξ. Mescheder et al. descend the regulariser
½‖ξ‖² with weight γ; λ here is their γ. Not to be confused with competitive gradient
descent (Schäfer & Anandkumar 2019).
"""

from __future__ import annotations

from functools import partial

import jax

from prosocial.adjust import trees
from prosocial.adjust.base import Access, Adjustment, LossesFn, check_coefficient, stateless
from prosocial.adjust.derivatives import individual_gradient
from prosocial.adjust.trees import Params

ACCESS = Access(others_losses=True, others_parameters=True, second_order=True)


def cga(*, lam: float | jax.Array = 1.0) -> Adjustment:
    """Consensus: ``direction = ξ + λ Hᵀξ`` (``lam ≥ 0``)."""
    check_coefficient("cga.lam", lam, ge=0.0)

    def direction(losses_fn: LossesFn, w: Params) -> Params:
        xi, pullback = jax.vjp(partial(individual_gradient, losses_fn), w)
        return trees.combine(xi, pullback(xi)[0], lam)

    return stateless(direction, ACCESS)
