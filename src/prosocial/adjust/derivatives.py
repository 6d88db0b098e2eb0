"""First and second derivatives of a differentiable game, without forming a Hessian.

Notation (Balduzzi et al. 2018; Li et al. 2024), for joint parameters ``w`` (an
``(n, d)`` array or a tree of arrays with a leading player axis ``n``, see
:mod:`prosocial.adjust.trees`) and losses ``ℓ = losses_fn(w)`` of shape ``(n,)``:

    J[i, j] = ∇_{w_j} ℓ_i                    the Jacobian of the losses, leaves (n, n, ...)
    ξ_i     = ∇_{w_i} ℓ_i                    the simultaneous (individual) gradient, as w
    H       = ∇_w ξ                          the game Hessian, not symmetric in general
    ℓ_c     = Σ_i ℓ_i,  ξ_c = ∇_w ℓ_c        the collective loss and its gradient
    H_c     = ∇²_w ℓ_c                       the collective Hessian, symmetric

Products with ``H`` and ``H_c`` are forward-over-reverse (``jax.jvp`` of a gradient map);
products with ``Hᵀ`` are ``jax.vjp`` of the gradient map ξ. Each costs a small multiple
of one gradient evaluation; no Hessian matrix is ever built.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from prosocial.adjust import trees
from prosocial.adjust.base import LossesFn, SeparableGame
from prosocial.adjust.trees import Params
from prosocial.errors import ConfigError


def _check_game(losses_fn: LossesFn, w: Params) -> None:
    """Check, at trace time, that ``w`` has a player axis ``n`` and ``losses_fn(w)`` is ``(n,)``."""
    n = trees.n_players(w)
    shape = jax.eval_shape(losses_fn, w).shape
    if shape != (n,):
        raise ConfigError(
            "losses_fn",
            f"returned losses of shape {shape} for {n} players:"
            f" accepted one loss per player, shape ({n},)",
        )


def jacobian(losses_fn: LossesFn, w: Params) -> Params:
    """``J[i, j] = ∇_{w_j} ℓ_i``: leaves ``(n, n, ...)`` (``n`` reverse passes, vmapped)."""
    _check_game(losses_fn, w)
    return jax.jacrev(losses_fn)(w)


def individual_gradient(losses_fn: LossesFn, w: Params) -> Params:
    """The simultaneous gradient ``ξ_i = ∇_{w_i} ℓ_i``, shaped as ``w``.

    The diagonal blocks of the Jacobian (``n`` reverse passes); for a
    :class:`~prosocial.adjust.base.SeparableGame`, one reverse pass through its ``inner``
    with the cotangent ``∂ℓ_i/∂z_i`` in player ``i``'s block.
    """
    if isinstance(losses_fn, SeparableGame):
        _check_game(losses_fn, w)
        features, pullback = jax.vjp(losses_fn.inner, w)
        own = trees.block_diagonal(jax.jacrev(losses_fn.outer)(features))
        return pullback(own)[0]
    return trees.block_diagonal(jacobian(losses_fn, w))


def collective_gradient(losses_fn: LossesFn, w: Params) -> Params:
    """The collective gradient ``ξ_c = ∇_w Σ_i ℓ_i``, shaped as ``w``."""
    _check_game(losses_fn, w)
    return jax.grad(lambda v: jnp.sum(losses_fn(v)))(w)


def game_hvp(losses_fn: LossesFn, w: Params, v: Params) -> Params:
    """``H v``: the derivative of ξ at ``w`` in the direction ``v`` (forward over reverse)."""
    return jax.jvp(lambda x: individual_gradient(losses_fn, x), (w,), (v,))[1]


def game_hvp_transpose(losses_fn: LossesFn, w: Params, u: Params) -> Params:
    """``Hᵀ u = ∇_w ⟨u, ξ(w)⟩`` (``u`` held fixed): a vjp of the gradient map ξ."""
    _, pullback = jax.vjp(lambda x: individual_gradient(losses_fn, x), w)
    return pullback(u)[0]


def collective_hvp(losses_fn: LossesFn, w: Params, v: Params) -> Params:
    """``H_c v``: the derivative of ξ_c at ``w`` in the direction ``v`` (forward over reverse)."""
    return jax.jvp(lambda x: collective_gradient(losses_fn, x), (w,), (v,))[1]
