"""SOS: stable opponent shaping.

Update (Letcher et al. 2019, "Stable Opponent Shaping in Differentiable Games", ICLR,
Algorithm 1). With H_o the off-diagonal blocks of the game Hessian and χ the
opponent-shaping term of :mod:`prosocial.adjust.lola`:

    ξ_0 = (I − α H_o) ξ,          (H_o ξ)_i = Σ_{j≠i} ∇_{w_j}∇_{w_i} ℓ_i · ξ_j   (LookAhead)
    p_1 = 1                                  if ⟨−αχ, ξ_0⟩ ≥ 0
        = min(1, −a ‖ξ_0‖² / ⟨−αχ, ξ_0⟩)     otherwise
    p_2 = ‖ξ‖²  if ‖ξ‖ < b,  else 1
    p   = min(p_1, p_2)
    direction = ξ_0 − p α χ

α ≥ 0 is the look-ahead learning rate; a ∈ (0, 1) and b ∈ (0, 1) with the paper's
values a = 0.5, b = 0.1 as defaults. p_1 guarantees ⟨direction, ξ_0⟩ ≥ (1 − a)‖ξ_0‖², and
p_2 → 0 near fixed points, where SOS becomes LookAhead. H_o ξ costs n jvps of ξ and χ
n vjps. Letcher et al. apply the same α as the players' step size; here α is a separate
coefficient, so the optimiser's learning rate may differ.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from prosocial.adjust import trees
from prosocial.adjust.base import Access, Adjustment, LossesFn, check_coefficient, stateless
from prosocial.adjust.derivatives import individual_gradient
from prosocial.adjust.lola import shaping_term
from prosocial.adjust.trees import Params

ACCESS = Access(others_losses=True, others_parameters=True, second_order=True)


def lookahead_term(losses_fn: LossesFn, w: Params) -> Params:
    """``H_o ξ``: the game Hessian's off-diagonal blocks applied to ξ."""
    xi, tangent = jax.linearize(partial(individual_gradient, losses_fn), w)
    n = trees.n_players(w)
    masked = trees.off_diagonal(trees.broadcast_rows(xi, n), n)  # row i: ξ, block i zeroed
    return trees.block_diagonal(jax.vmap(tangent)(masked))


def sos(
    *, lr: float | jax.Array = 1.0, a: float | jax.Array = 0.5, b: float | jax.Array = 0.1
) -> Adjustment:
    """Stable opponent shaping with look-ahead rate ``lr`` (α) and criterion constants."""
    check_coefficient("sos.lr", lr, ge=0.0)
    check_coefficient("sos.a", a, gt=0.0, lt=1.0)
    check_coefficient("sos.b", b, gt=0.0, lt=1.0)

    def direction(losses_fn: LossesFn, w: Params) -> Params:
        xi, chi = shaping_term(losses_fn, w)
        xi_0 = jax.tree.map(lambda x, h: x - lr * h, xi, lookahead_term(losses_fn, w))
        shaping = jax.tree.map(lambda c: -lr * c, chi)
        dot = trees.vdot(shaping, xi_0)
        safe_dot = jnp.where(dot < 0, dot, -1.0)
        p_1 = jnp.where(dot >= 0, 1.0, jnp.minimum(1.0, -a * trees.vdot(xi_0, xi_0) / safe_dot))
        norm = trees.norm(xi)
        p_2 = jnp.where(norm < b, norm**2, 1.0)
        return trees.combine(xi_0, shaping, jnp.minimum(p_1, p_2))

    return stateless(direction, ACCESS)
