"""AgA: altruistic gradient adjustment.

Update (Li et al. 2024, "Aligning Individual and Collective Objectives in Multi-Agent
Cooperation", NeurIPS, arXiv 2402.12416: the definition of AgA, Eq. 1, and Corollary 4.3).
With ℓ_c = Σ_i ℓ_i, ξ_c its gradient, H_c its (symmetric) Hessian and ∇ℋ_c = H_cᵀ ξ_c
the gradient of ℋ_c = ½‖ξ_c‖²:

    ξ̃ = ξ_c + λ (ξ + H_cᵀ ξ_c)
    sign(λ) = sign( ⟨ξ_c, ∇ℋ_c⟩ (⟨ξ, ∇ℋ_c⟩ + ‖∇ℋ_c‖²) ),   sign(0) = +1

so that λ·⟨ξ_c, ∇ℋ_c⟩(⟨ξ, ∇ℋ_c⟩ + ‖∇ℋ_c‖²) ≥ 0, the corollary's condition under which AgA
pulls towards stable and pushes away from unstable fixed points of ℓ_c. The rule is
SGA's alignment (Balduzzi et al. 2018, Algorithm 1) applied to ξ̃ with reference ∇ℋ_c.

Choices:
- |λ| ≥ 0 is the coefficient; ``align_sign=True`` picks its sign by the rule above and
  ``align_sign=False`` keeps λ = +|λ| (the paper's "AgA-Sign" ablation in its toy-game case study).
- The camera-ready states the rule with a subscript typo; this is the corrected form,
  consistent with the corollary's proof (see docs/methods/aga.md).
- ∇ℋ_c = H_c ξ_c is one jvp of the collective gradient map (H_c is symmetric).
- ℓ_c is the unnormalised sum of the losses (minus the social welfare).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from prosocial.adjust import trees
from prosocial.adjust.base import Access, Adjustment, LossesFn, check_coefficient, stateless
from prosocial.adjust.derivatives import collective_gradient, individual_gradient
from prosocial.adjust.trees import Params
from prosocial.errors import ConfigError

ACCESS = Access(others_losses=True, others_parameters=True, second_order=True)


def aga_sign(xi: Params, xi_c: Params, grad_ham_c: Params) -> jax.Array:
    """``sign(⟨ξ_c, ∇ℋ_c⟩ (⟨ξ, ∇ℋ_c⟩ + ‖∇ℋ_c‖²))`` with ``sign(0) = +1``."""
    score = trees.vdot(xi_c, grad_ham_c) * (
        trees.vdot(xi, grad_ham_c) + trees.vdot(grad_ham_c, grad_ham_c)
    )
    return jnp.where(score >= 0, 1.0, -1.0)


def aga(*, lam: float | jax.Array = 1.0, align_sign: bool = True) -> Adjustment:
    """Altruistic gradient adjustment ``ξ_c + λ (ξ + H_cᵀ ξ_c)`` with ``|λ| = lam ≥ 0``."""
    check_coefficient("aga.lam", lam, ge=0.0)
    if not isinstance(align_sign, bool):
        raise ConfigError("aga.align_sign", f"{align_sign!r}: accepted True or False")

    def direction(losses_fn: LossesFn, w: Params) -> Params:
        xi = individual_gradient(losses_fn, w)
        xi_c, tangent = jax.linearize(partial(collective_gradient, losses_fn), w)
        grad_ham_c = tangent(xi_c)
        sign = aga_sign(xi, xi_c, grad_ham_c) if align_sign else 1.0
        return jax.tree.map(lambda c, x, h: c + sign * lam * (x + h), xi_c, xi, grad_ham_c)

    return stateless(direction, ACCESS)


def aga_fixed_sign(*, lam: float | jax.Array = 1.0) -> Adjustment:
    """AgA without sign selection (the paper's "AgA-Sign" ablation): λ = +lam."""
    return aga(lam=lam, align_sign=False)
