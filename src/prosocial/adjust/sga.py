"""SGA: symplectic gradient adjustment with sign alignment.

Update (Balduzzi et al. 2018, "The Mechanics of n-Player Differentiable Games", ICML,
Algorithm 1; Letcher et al. 2019, "Differentiable Game Mechanics", JMLR 20; the "SGA"
baseline of Li et al. 2024). With A = ½(H − Hᵀ) the antisymmetric part of the game Hessian and
∇ℋ = Hᵀξ the gradient of ℋ = ½‖ξ‖²:

    Aᵀξ       = ½ (Hᵀξ − Hξ)
    s         = sign( ⟨ξ, ∇ℋ⟩ ⟨Aᵀξ, ∇ℋ⟩ / N + ε )     (N = n·d parameters, sign(0) = +1)
    direction = ξ + s λ Aᵀξ,   λ ≥ 0

Algorithm 1 of Balduzzi et al. uses |λ| = 1 and ε = 1/10; both are parameters here with
those defaults. ``align=False`` fixes s = +1 (plain SGA). Hξ is a jvp and Hᵀξ a vjp of
the gradient map ξ.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from prosocial.adjust import trees
from prosocial.adjust.base import Access, Adjustment, LossesFn, check_coefficient, stateless
from prosocial.adjust.derivatives import individual_gradient
from prosocial.adjust.trees import Params
from prosocial.errors import ConfigError

ACCESS = Access(others_losses=True, others_parameters=True, second_order=True)


def sga(
    *, lam: float | jax.Array = 1.0, eps: float | jax.Array = 0.1, align: bool = True
) -> Adjustment:
    """Symplectic adjustment ``ξ + s λ Aᵀξ`` with SGA's sign alignment ``s``."""
    check_coefficient("sga.lam", lam, ge=0.0)
    check_coefficient("sga.eps", eps, ge=0.0)
    if not isinstance(align, bool):
        raise ConfigError("sga.align", f"{align!r}: accepted True or False")

    def direction(losses_fn: LossesFn, w: Params) -> Params:
        xi_fn = partial(individual_gradient, losses_fn)
        xi, tangent = jax.linearize(xi_fn, w)
        _, pullback = jax.vjp(xi_fn, w)
        grad_ham = pullback(xi)[0]  # ∇ℋ = Hᵀξ
        antisym = jax.tree.map(lambda g, h: 0.5 * (g - h), grad_ham, tangent(xi))  # Aᵀξ
        sign = 1.0
        if align:
            score = trees.vdot(xi, grad_ham) * trees.vdot(antisym, grad_ham)
            score = score / trees.size(xi) + eps
            sign = jnp.where(score >= 0, 1.0, -1.0)
        return trees.combine(xi, antisym, sign * lam)

    return stateless(direction, ACCESS)
