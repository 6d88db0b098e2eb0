"""Joint parameters as pytrees: one stacked parameter tree for all players.

The joint parameters ``w`` of an ``n``-player game are any pytree whose leaves all have
the same leading axis of length ``n``: leaf ``x`` holds ``x[i]`` for player ``i``. An
``(n, d)`` array is the one-leaf case; a network's parameters stacked per agent (as
:mod:`prosocial.learners.deep` stacks them) are the general one. Every adjustment is
written with the helpers below, so on a bare ``(n, d)`` array it performs exactly the
array operations it always did (same numbers, bit for bit), and on a parameter tree it
performs the same algebra on the flattened, concatenated vector of each player, without
ever flattening it.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import jax
import jax.numpy as jnp

from prosocial.errors import ConfigError

Params = Any
"""Joint parameters: a pytree of arrays, each with leading axis ``n`` (one row per player)."""


def n_players(w: Params) -> int:
    """The common leading dimension ``n`` of ``w``'s leaves; a clear error if there is none.

    A bare array must be ``(n, d)``; the leaves of a tree must each have at least one axis,
    all of the same length.
    """
    leaves = jax.tree.leaves(w)
    if len(leaves) == 1 and leaves[0] is w:  # a bare array
        if jnp.ndim(w) != 2:
            raise ConfigError(
                "w", f"shape {jnp.shape(w)}: accepted (n_players, d), one row per player"
            )
        return int(jnp.shape(w)[0])
    if not leaves:
        raise ConfigError("w", "an empty parameter tree: accepted arrays with a player axis")
    sizes = {jnp.shape(x)[0] if jnp.ndim(x) else None for x in leaves}
    if len(sizes) != 1 or None in sizes:
        shapes = [jnp.shape(x) for x in leaves]
        raise ConfigError(
            "w",
            f"leaves of shapes {shapes}: accepted a tree whose every leaf has the same"
            " leading (player) axis",
        )
    return int(sizes.pop())


def vdot(a: Params, b: Params) -> jax.Array:
    """``⟨a, b⟩`` over every leaf (``jnp.vdot`` for a bare array)."""
    products = [jnp.vdot(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)]
    return functools.reduce(operator.add, products)


def norm(a: Params) -> jax.Array:
    """The Euclidean norm over every leaf (``jnp.linalg.norm`` for a bare array)."""
    leaves = jax.tree.leaves(a)
    if len(leaves) == 1:
        return jnp.linalg.norm(leaves[0])
    return jnp.sqrt(vdot(a, a))


def size(a: Params) -> int:
    """The number of parameters of all players together."""
    return sum(x.size for x in jax.tree.leaves(a))


def combine(a: Params, b: Params, scale: Any) -> Params:
    """``a + scale · b``, leaf by leaf."""
    return jax.tree.map(lambda x, y: x + scale * y, a, b)


def block_diagonal(blocks: Params) -> Params:
    """``blocks[i, i]`` for every player ``i``: leaves ``(n, n, ...) -> (n, ...)``.

    ``blocks`` is a Jacobian-shaped tree (``J[i, j] = ∇_{w_j} ℓ_i`` for every leaf).
    """
    return jax.tree.map(lambda x: jnp.einsum("ii...->i...", x), blocks)


def off_diagonal(blocks: Params, n: int) -> Params:
    """``blocks`` with every block ``[i, i]`` zeroed: leaves ``(n, n, ...)``."""
    mask = 1.0 - jnp.eye(n)
    return jax.tree.map(lambda x: x * mask.reshape(n, n, *(1,) * (x.ndim - 2)), blocks)


def broadcast_rows(a: Params, n: int) -> Params:
    """``n`` copies of ``a`` on a new leading axis: leaves ``(n, ...) -> (n, n, ...)``."""
    return jax.tree.map(lambda x: jnp.broadcast_to(x[None], (n, *x.shape)), a)
