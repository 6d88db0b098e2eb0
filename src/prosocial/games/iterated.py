"""Iterated 2×2 games with memory-one policies: exact discounted values and rollouts.

A memory-one player has 5 logits θ, P(C | s) = σ(θ[s]) for the states
``start, CC, CD, DC, DD`` (the constants :data:`START`, :data:`CC`, ...), each read from
the player's *own* perspective: its own last action first. The joint chain is kept in
player 1's perspective; player 2's logits are brought into it by :func:`swap_perspective`
(CD ↔ DC).

Exact value (Foerster et al. 2018, "Learning with Opponent-Learning Awareness", AAMAS,
the IPD with exact values): with s_0 the distribution of the first joint action, P the
4×4 transition matrix over joint actions (CC, CD, DC, DD) and r_i the payoff of each joint
action, the total discounted return from t = 0 is

    V_i = Σ_t γ^t s_0ᵀ Pᵗ r_i = s_0ᵀ (I − γP)⁻¹ r_i,

computed with ``jnp.linalg.solve((I − γP)ᵀ, s_0)`` (no inverse). Values are *total*
discounted returns, not normalised; :func:`average_reward` gives the per-step average
(1 − γ) V. Defaults are the LOLA paper's: γ = 0.96 and the payoffs
CC (−1, −1), CD (−3, 0), DC (0, −3), DD (−2, −2).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.errors import ConfigError, InvalidGameError
from prosocial.games.matrix import validate_payoffs

START, CC, CD, DC, DD = range(5)
"""Indices of a memory-one policy's logits; CD = "I cooperated, the other defected"."""
STATE_NAMES = ("start", "CC", "CD", "DC", "DD")
PERSPECTIVE_SWAP = (START, CC, DC, CD, DD)
"""Re-indexing that reads a policy from the other player's perspective (an involution)."""
LOLA_GAMMA = 0.96


def lola_payoffs() -> jax.Array:
    """The LOLA paper's IPD payoffs as a ``(2, 2, 2)`` tensor (action 0 = C, 1 = D)."""
    row = np.array([[-1.0, -3.0], [0.0, -2.0]], dtype=np.float32)
    return jnp.asarray(np.stack([row, row.T]))


def _payoffs(payoffs: jax.Array | None) -> jax.Array:
    """The payoff tensor (LOLA's by default), checked when its values are concrete."""
    if payoffs is None:
        return lola_payoffs()
    if not isinstance(payoffs, jax.core.Tracer):
        validate_payoffs(payoffs)
    if jnp.shape(payoffs) != (2, 2, 2):
        raise InvalidGameError(f"payoffs of shape {jnp.shape(payoffs)}: accepted (2, 2, 2)")
    return jnp.asarray(payoffs)


def _check_gamma(gamma: float | jax.Array) -> None:
    if isinstance(gamma, jax.core.Tracer):
        return
    ok = not isinstance(gamma, bool | np.bool_ | str | bytes) and np.ndim(gamma) == 0
    try:
        ok = ok and 0.0 <= float(gamma) < 1.0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError("gamma", f"{gamma!r}: accepted a discount 0 ≤ γ < 1")


def _check_logits(logits: jax.Array) -> None:
    if jnp.shape(logits) != (2, 5):
        raise ConfigError(
            "logits", f"shape {jnp.shape(logits)}: accepted (2, 5), one row per player"
        )


def swap_perspective(logits: jax.Array) -> jax.Array:
    """Reorder memory-one logits ``(..., 5)`` to the other player's perspective."""
    return logits[..., jnp.array(PERSPECTIVE_SWAP)]


def memory_one_chain(logits: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(s_0, P)``: first-joint-action distribution ``(4,)`` and transition matrix ``(4, 4)``.

    ``logits`` is ``(2, 5)``, each row in its player's own perspective. Joint actions are
    ordered CC, CD, DC, DD from player 1's perspective, as the payoff tensor's entries.
    """
    _check_logits(logits)
    p = jax.nn.sigmoid(logits[0])
    q = jax.nn.sigmoid(swap_perspective(logits[1]))

    def joint(p: jax.Array, q: jax.Array) -> jax.Array:
        return jnp.stack([p * q, p * (1 - q), (1 - p) * q, (1 - p) * (1 - q)], axis=-1)

    return joint(p[START], q[START]), joint(p[CC:], q[CC:])


def _values(logits: jax.Array, payoffs: jax.Array, gamma: float | jax.Array) -> jax.Array:
    s0, transition = memory_one_chain(logits)
    occupancy = jnp.linalg.solve(jnp.eye(4) - gamma * transition.T, s0)
    return payoffs.reshape(2, 4) @ occupancy


def memory_one_values(
    logits: jax.Array, payoffs: jax.Array | None = None, gamma: float | jax.Array = LOLA_GAMMA
) -> jax.Array:
    """Exact total discounted values ``V = s_0ᵀ (I − γP)⁻¹ r`` of both players, ``(2,)``."""
    _check_gamma(gamma)
    return _values(logits, _payoffs(payoffs), gamma)


def average_reward(values: jax.Array, gamma: float | jax.Array = LOLA_GAMMA) -> jax.Array:
    """Per-step average reward ``(1 − γ) V`` of total discounted values ``V``."""
    return (1 - gamma) * values


def memory_one_game(
    payoffs: jax.Array | None = None, gamma: float | jax.Array = LOLA_GAMMA
) -> Callable[[jax.Array], jax.Array]:
    """The iterated game as losses ``ℓ = −V(w)`` of memory-one logits ``w`` of shape (2, 5)."""
    _check_gamma(gamma)
    payoffs = _payoffs(payoffs)
    return lambda w: -_values(w, payoffs, gamma)


def memory_one_rollout(
    key: jax.Array, logits: jax.Array, payoffs: jax.Array | None = None, n_steps: int = 200
) -> tuple[jax.Array, jax.Array]:
    """Sample one episode of ``n_steps`` rounds.

    Returns:
        ``actions`` of shape ``(n_steps, 2)`` (0 = C, 1 = D) and ``rewards`` of shape
        ``(n_steps, 2)``; the discounted return is ``Σ_t γ^t rewards[t]``.
    """
    payoffs = _payoffs(payoffs)
    _check_logits(logits)
    # Row i: P(C) of player i in each joint state, indexed in player 1's perspective.
    coop = jax.nn.sigmoid(jnp.stack([logits[0], swap_perspective(logits[1])]))

    def play(state: jax.Array, key: jax.Array) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
        defect = (jax.random.uniform(key, (2,)) >= coop[:, state]).astype(jnp.int32)
        rewards = payoffs[:, defect[0], defect[1]]
        return CC + 2 * defect[0] + defect[1], (defect, rewards)

    _, (actions, rewards) = jax.lax.scan(play, jnp.int32(START), jax.random.split(key, n_steps))
    return actions, rewards
