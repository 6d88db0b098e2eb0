"""LOLA: learning with opponent-learning awareness, exact first-order form.

Source: Foerster et al. 2018, "Learning with Opponent-Learning Awareness", AAMAS, the
LOLA update with exact values. Player 1 maximises V¹(θ¹, θ² + Δθ²) after the opponent's
naive step Δθ² = η ∇_{θ²}V²; a first-order Taylor expansion, differentiated only through
Δθ², gives the ascent direction

    ∇_{θ¹}V¹ + η (∇_{θ²}V¹)ᵀ ∇_{θ¹}∇_{θ²}V².

With losses ℓ = −V the two minus signs cancel in the product, so the *descent*
direction of player i, summed over every other player j (the n-player form of
Letcher et al. 2019, "Stable Opponent Shaping in Differentiable Games", ICLR), is

    direction_i = ∇_{w_i} ℓ_i − η Σ_{j≠i} (∇_{w_i}∇_{w_j} ℓ_j)ᵀ ∇_{w_j} ℓ_i
                = ξ_i − η χ_i,
    χ_i = ∇_{w_i} Σ_{j≠i} ⟨ ∇_{w_j} ℓ_j , stop(∇_{w_j} ℓ_i) ⟩ = [Hᵀ u⁽ⁱ⁾]_i,

where u⁽ⁱ⁾ holds ∇_{w_j} ℓ_i in block j ≠ i and zero in block i, so χ is n vjps of the
gradient map ξ. η ≥ 0 is the opponent's assumed learning rate (the paper's η). The
default η = 1 is what the authors' exact-value IPD code runs with: its script
scripts/run_lola.py passes ``lr_correction = 1`` (η), while its ``train()`` in
lola/train_exact.py defaults ``lr_correction`` to 0.5; the players' own step size there
(``lr``, the paper's α) is 1.

Simplification, as in Foerster et al.: the term −η (∇_{w_i}∇_{w_j} ℓ_i) ∇_{w_j} ℓ_j
that comes from differentiating ∇_{w_j}ℓ_i (Letcher et al.'s "LookAhead" term H_o ξ) is
dropped. Letcher et al.'s "LOLA" keeps it; that variant is SOS with p = 1.
"""

from __future__ import annotations

import jax

from prosocial.adjust import trees
from prosocial.adjust.base import Access, Adjustment, LossesFn, check_coefficient, stateless
from prosocial.adjust.derivatives import individual_gradient, jacobian
from prosocial.adjust.trees import Params

ACCESS = Access(others_losses=True, others_parameters=True, second_order=True)


def shaping_term(losses_fn: LossesFn, w: Params) -> tuple[Params, Params]:
    """``(ξ, χ)``: the simultaneous gradient and the opponent-shaping term χ (see above)."""
    xi, pullback = jax.vjp(lambda x: individual_gradient(losses_fn, x), w)
    cotangents = trees.off_diagonal(jacobian(losses_fn, w), trees.n_players(w))  # row i: u⁽ⁱ⁾
    chi = trees.block_diagonal(jax.vmap(lambda u: pullback(u)[0])(cotangents))
    return xi, chi


def lola(*, lr: float | jax.Array = 1.0) -> Adjustment:
    """Exact LOLA with opponent learning rate ``lr`` (η ≥ 0): ``direction = ξ − η χ``."""
    check_coefficient("lola.lr", lr, ge=0.0)

    def direction(losses_fn: LossesFn, w: Params) -> Params:
        xi, chi = shaping_term(losses_fn, w)
        return jax.tree.map(lambda x, c: x - lr * c, xi, chi)

    return stateless(direction, ACCESS)
