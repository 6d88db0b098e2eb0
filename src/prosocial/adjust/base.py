"""The shape shared by every joint-gradient adjustment, and its composition with optax.

A differentiable game of ``n`` players is a function ``losses_fn(w) -> Array[n]`` of the
joint parameters ``w``: player ``i`` controls ``w[i]`` and minimises ``losses_fn(w)[i]``.
``w`` is an ``(n, d)`` array (every player with ``d`` parameters: pad smaller players
with parameters that their losses ignore) or, for networks, a pytree whose every leaf has
the leading player axis ``n`` (:mod:`prosocial.adjust.trees`); the direction has the
structure of ``w``.

An adjustment is a bundle of pure functions, as ``optax.GradientTransformation`` is:

    state = adjustment.init(w)
    direction, state = adjustment.update(losses_fn, w, state)

``direction`` has the structure of ``w`` and is a *descent* direction: feed it to any optax
optimiser as if it were a gradient. :func:`adjusted_optimizer` does that composition.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import numpy as np
import optax

from prosocial.adjust.trees import Params
from prosocial.errors import ConfigError

LossesFn = Callable[[Any], jax.Array]
"""A game: joint parameters ``w`` (``(n, d)`` or a tree with a player axis) to the players'
losses, shape ``(n,)``."""


@dataclass(frozen=True)
class SeparableGame:
    """A game ``ℓ = outer(inner(w))`` whose ``inner`` is separable across players.

    ``inner(w)`` is a tree of per-player features with the leading player axis ``n``,
    where player ``j``'s features depend on ``w[j]`` alone (a network of each agent
    applied to its own observations: the log-probabilities of its actions); ``outer``
    maps them to the ``(n,)`` losses, cheaply. Calling it is calling the game. The
    derivatives of :mod:`prosocial.adjust.derivatives` use the separation for the
    simultaneous gradient, ``ξ_i = (∂z_i/∂w_i)ᵀ ∂ℓ_i/∂z_i``: one reverse pass through
    ``inner`` instead of ``n`` (the Jacobian's off-diagonal blocks are never formed).
    Nothing checks that ``inner`` is separable: a coupled ``inner`` gives wrong
    gradients.
    """

    inner: Callable[[Any], Any]
    outer: Callable[[Any], jax.Array]

    def __call__(self, w: Any) -> jax.Array:
        return self.outer(self.inner(w))


@dataclass(frozen=True)
class Access:
    """What a method must know about the other players to compute its direction.

    Attributes:
        others_losses: it uses the other players' losses (their values or gradients).
        others_parameters: it differentiates with respect to the other players'
            parameters, i.e. it needs white-box access to how they learn.
        second_order: it needs second derivatives (Hessian-vector products).
    """

    others_losses: bool
    others_parameters: bool
    second_order: bool


class Adjustment(NamedTuple):
    """A joint-gradient adjustment: ``init(w) -> state``, ``update(losses_fn, w, state)``."""

    init: Callable[[Params], Any]
    update: Callable[[LossesFn, Params, Any], tuple[Params, Any]]
    access: Access


def stateless(direction: Callable[[LossesFn, Params], Params], access: Access) -> Adjustment:
    """An :class:`Adjustment` whose state is ``optax.EmptyState()``."""

    def init(w: Params) -> optax.EmptyState:
        del w
        return optax.EmptyState()

    def update(losses_fn: LossesFn, w: Params, state: Any) -> tuple[Params, Any]:
        return direction(losses_fn, w), state

    return Adjustment(init, update, access)


def check_coefficient(
    field: str,
    value: Any,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
) -> Any:
    """Return ``value`` if it is a finite real scalar within the bounds, else raise
    (a bool, string, None, complex number or array is not a coefficient).

    A traced value (inside ``jit`` or ``vmap``, e.g. a coefficient swept as data) cannot be
    inspected and is returned unchecked.
    """
    if isinstance(value, jax.core.Tracer):
        return value
    tests = [
        (ge, "≥", operator.ge),
        (gt, ">", operator.gt),
        (le, "≤", operator.le),
        (lt, "<", operator.lt),
    ]
    bounds = [(b, symbol, ok) for b, symbol, ok in tests if b is not None]
    limits = " and ".join(f"{symbol} {b:g}" for b, symbol, _ in bounds)
    accepted = f"accepted a finite real number {limits}".rstrip()
    if isinstance(value, bool | np.bool_ | str | bytes) or np.ndim(value) != 0:
        raise ConfigError(field, f"{value!r}: {accepted}")
    try:
        x = float(value)
    except (TypeError, ValueError):  # None, complex, other objects
        raise ConfigError(field, f"{value!r}: {accepted}") from None
    if not np.isfinite(x) or not all(ok(x, b) for b, _, ok in bounds):
        raise ConfigError(field, f"{value!r}: {accepted}")
    return value


class AdjustedState(NamedTuple):
    """State of an :class:`AdjustedOptimizer`: the adjustment's and the optimiser's."""

    adjustment: Any
    optimizer: optax.OptState


class AdjustedOptimizer(NamedTuple):
    """``init(w) -> state`` and ``step(losses_fn, w, state) -> (w, state)``."""

    init: Callable[[Params], AdjustedState]
    step: Callable[[LossesFn, Params, AdjustedState], tuple[Params, AdjustedState]]


def adjusted_optimizer(
    adjustment: Adjustment, optimizer: optax.GradientTransformation
) -> AdjustedOptimizer:
    """Compose an adjustment with an optax optimiser into one learning step.

    Example:
        >>> opt = adjusted_optimizer(ADJUSTMENTS.make("aga", lam=1.0), optax.sgd(0.1))
        >>> state = opt.init(w)
        >>> w, state = opt.step(losses_fn, w, state)
    """

    def init(w: Params) -> AdjustedState:
        return AdjustedState(adjustment.init(w), optimizer.init(w))

    def step(losses_fn: LossesFn, w: Params, state: AdjustedState) -> tuple[Params, AdjustedState]:
        direction, adj_state = adjustment.update(losses_fn, w, state.adjustment)
        updates, opt_state = optimizer.update(direction, state.optimizer, w)
        return optax.apply_updates(w, updates), AdjustedState(adj_state, opt_state)

    return AdjustedOptimizer(init, step)
