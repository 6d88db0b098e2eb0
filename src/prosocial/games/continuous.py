"""Continuous mixed-motive games as differentiable losses of the joint parameters.

Every constructor returns ``losses_fn(w) -> Array[n]`` over ``w`` of shape ``(n, d)``
(player ``i`` owns row ``w[i]``), the form that :mod:`prosocial.adjust` takes. Rewards are
the negated losses, r_i = −ℓ_i.

- :func:`aga_toy_game`: the two-player toy game of Li et al. 2024 ("Aligning Individual
  and Collective Objectives in Multi-Agent Cooperation", NeurIPS, the toy-game case study), with
  actions a_i = w[i, 0] ∈ ℝ:

      ℓ_1 = −sin(a_1 a_2 + a_2²)
      ℓ_2 = −[cos(1 + a_1 − (1 + a_2)²) + a_1 a_2²]     variant "seed" (the default)
      ℓ_2 = −cos(1 + a_1 − (1 + a_2)² + a_1 a_2²)       variant "blog"

  Two transcriptions of ℓ_2 circulate: the seed text puts a_1 a_2² outside the cosine
  (ℓ_c is then unbounded below), a blog transcription inside it (ℓ_c ∈ [−2, 2]).
- :func:`public_goods_game`: the linear public goods game of the same paper (n = 2,
  b = 1, c = 1.5), for n players: p_i = b − a_i + (c/n) Σ_j a_j with contributions
  a_i ∈ [0, b]. Choice: a_i = b·σ(w[i, 0]), so every real parameter is a feasible
  contribution and the bounds are reached only in the limit. With 1 < c < n it is a
  social dilemma: contributing nothing is dominant (∂p_i/∂a_i = c/n − 1 < 0; Nash
  equilibrium a = 0, SW = n b) while full contribution maximises the social welfare
  (∂SW/∂a_i = c − 1 > 0; SW = c n b).
- :func:`matrix_game_losses`: any binary payoff tensor of :mod:`prosocial.games.matrix`
  with single-logit players, ℓ_i = −V_i(σ(w[:, 0])).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.errors import ConfigError, InvalidGameError
from prosocial.games.matrix import validate_payoffs, values_from_logits

LossesFn = Callable[[jax.Array], jax.Array]
AGA_TOY_VARIANTS = ("seed", "blog")


def _check_shape(w: jax.Array, shape: tuple[int, int]) -> None:
    if jnp.shape(w) != shape:
        raise ConfigError("w", f"shape {jnp.shape(w)}: accepted {shape} (players, parameters)")


def aga_toy_game(variant: str = "seed") -> LossesFn:
    """The AgA toy game; ``variant`` picks the transcription of ℓ_2 (``"seed"``/``"blog"``).

    ``w`` has shape ``(2, 1)``: ``a_1 = w[0, 0]``, ``a_2 = w[1, 0]``.
    """
    if variant not in AGA_TOY_VARIANTS:
        raise ConfigError("variant", f"{variant!r}: accepted {', '.join(AGA_TOY_VARIANTS)}")

    def losses(w: jax.Array) -> jax.Array:
        _check_shape(w, (2, 1))
        a1, a2 = w[0, 0], w[1, 0]
        loss_1 = -jnp.sin(a1 * a2 + a2**2)
        inner = 1 + a1 - (1 + a2) ** 2
        if variant == "seed":
            loss_2 = -(jnp.cos(inner) + a1 * a2**2)
        else:
            loss_2 = -jnp.cos(inner + a1 * a2**2)
        return jnp.stack([loss_1, loss_2])

    return losses


def concrete_scalar(value: float | jax.Array) -> float | None:
    """``value`` as a float, or None when it is traced (and so cannot be checked); NaN
    for what is not a real scalar (a string, None, a list), which every check rejects."""
    if isinstance(value, jax.core.Tracer):
        return None
    if isinstance(value, bool | np.bool_ | str | bytes) or np.ndim(value) != 0:
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def check_public_goods(
    n_players: int, endowment: float | jax.Array, multiplier: float | jax.Array
) -> None:
    """Raise :class:`ConfigError` unless the parameters make a public goods dilemma."""
    if isinstance(n_players, bool) or not isinstance(n_players, int) or n_players < 2:
        raise ConfigError("n_players", f"{n_players!r}: accepted integers ≥ 2")
    b, c = concrete_scalar(endowment), concrete_scalar(multiplier)
    if b is not None and not (np.isfinite(b) and b > 0):
        raise ConfigError("endowment", f"{endowment!r}: accepted a finite number b > 0")
    if c is None:
        return
    if not (np.isfinite(c) and c > 1):
        raise ConfigError(
            "multiplier",
            f"{multiplier!r}: no dilemma unless c > 1 (full contribution beats none);"
            f" accepted 1 < c < n = {n_players}",
        )
    if c >= n_players:
        raise ConfigError(
            "multiplier",
            f"{multiplier!r}: no dilemma unless c/n < 1 (contributing must cost the"
            f" contributor); accepted 1 < c < n = {n_players}",
        )


def public_goods_payoffs(
    contributions: jax.Array, endowment: float | jax.Array, multiplier: float | jax.Array
) -> jax.Array:
    """``p_i = b − a_i + (c/n) Σ_j a_j`` for contributions ``a`` of shape ``(n,)``."""
    n = contributions.shape[-1]
    share = multiplier / n * jnp.sum(contributions, axis=-1, keepdims=True)
    return endowment - contributions + share


def public_goods_contributions(w: jax.Array, endowment: float | jax.Array) -> jax.Array:
    """Contributions ``a_i = b·σ(w[i, 0])`` ∈ (0, b), shape ``(n,)``."""
    return endowment * jax.nn.sigmoid(w[:, 0])


def public_goods_game(
    n_players: int = 2,
    endowment: float | jax.Array = 1.0,
    multiplier: float | jax.Array = 1.5,
) -> LossesFn:
    """The n-player public goods game, ``ℓ_i = −p_i(b·σ(w[:, 0]))``; ``w`` is ``(n, 1)``.

    Defaults are the AgA paper's two-player game (b = 1, c = 1.5).
    """
    check_public_goods(n_players, endowment, multiplier)

    def losses(w: jax.Array) -> jax.Array:
        _check_shape(w, (n_players, 1))
        contributions = public_goods_contributions(w, endowment)
        return -public_goods_payoffs(contributions, endowment, multiplier)

    return losses


def matrix_game_losses(payoffs: jax.Array) -> LossesFn:
    """Single-logit players of a binary matrix game: ``ℓ_i = −V_i(σ(w[:, 0]))``.

    ``payoffs`` is an ``(n, 2, ..., 2)`` tensor of :mod:`prosocial.games.matrix`; ``w`` is
    ``(n, 1)`` and ``σ(w[i, 0])`` is player i's probability of action 0 (cooperate).
    """
    validate_payoffs(payoffs)
    if set(np.shape(payoffs)[1:]) != {2}:
        raise InvalidGameError(
            f"payoffs of shape {np.shape(payoffs)}: single-logit players accept binary"
            " games only, shape (n, 2, ..., 2)"
        )
    payoffs = jnp.asarray(payoffs)
    n = payoffs.shape[0]

    def losses(w: jax.Array) -> jax.Array:
        _check_shape(w, (n, 1))
        return -values_from_logits(payoffs, w[:, 0])

    return losses
