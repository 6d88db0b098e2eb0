"""The shape shared by every joint-gradient adjustment, and its composition with optax.

A differentiable game of ``n`` players is a function ``losses_fn(w) -> Array[n]`` of the
joint parameters ``w`` of shape ``(n, d)``: player ``i`` controls the row ``w[i]`` and
minimises ``losses_fn(w)[i]``. Every player has the same number ``d`` of parameters (pad
smaller players with parameters that their losses ignore).

An adjustment is a bundle of pure functions, as ``optax.GradientTransformation`` is:

    state = adjustment.init(w)
    direction, state = adjustment.update(losses_fn, w, state)

``direction`` has the shape of ``w`` and is a *descent* direction: feed it to any optax
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

from prosocial.errors import ConfigError

LossesFn = Callable[[jax.Array], jax.Array]
"""A game: joint parameters ``w`` of shape ``(n, d)`` to the players' losses, shape ``(n,)``."""


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

    init: Callable[[jax.Array], Any]
    update: Callable[[LossesFn, jax.Array, Any], tuple[jax.Array, Any]]
    access: Access


def stateless(direction: Callable[[LossesFn, jax.Array], jax.Array], access: Access) -> Adjustment:
    """An :class:`Adjustment` whose state is ``optax.EmptyState()``."""

    def init(w: jax.Array) -> optax.EmptyState:
        del w
        return optax.EmptyState()

    def update(losses_fn: LossesFn, w: jax.Array, state: Any) -> tuple[jax.Array, Any]:
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

    init: Callable[[jax.Array], AdjustedState]
    step: Callable[[LossesFn, jax.Array, AdjustedState], tuple[jax.Array, AdjustedState]]


def adjusted_optimizer(
    adjustment: Adjustment, optimizer: optax.GradientTransformation
) -> AdjustedOptimizer:
    """Compose an adjustment with an optax optimiser into one learning step.

    Example:
        >>> opt = adjusted_optimizer(ADJUSTMENTS.make("aga", lam=1.0), optax.sgd(0.1))
        >>> state = opt.init(w)
        >>> w, state = opt.step(losses_fn, w, state)
    """

    def init(w: jax.Array) -> AdjustedState:
        return AdjustedState(adjustment.init(w), optimizer.init(w))

    def step(
        losses_fn: LossesFn, w: jax.Array, state: AdjustedState
    ) -> tuple[jax.Array, AdjustedState]:
        direction, adj_state = adjustment.update(losses_fn, w, state.adjustment)
        updates, opt_state = optimizer.update(direction, state.optimizer, w)
        return optax.apply_updates(w, updates), AdjustedState(adj_state, opt_state)

    return AdjustedOptimizer(init, step)
