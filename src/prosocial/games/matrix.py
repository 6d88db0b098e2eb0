"""Normal-form games as payoff tensors, and the matrix-game social dilemmas.

A game of ``n`` players, each with ``A`` actions, is a payoff tensor ``U`` of shape
``(n, A, ..., A)`` (``n`` action axes): ``U[i, a_1, ..., a_n]`` is player ``i``'s payoff
under the joint action ``a``. Under independent mixed strategies ``π_j`` the exact
expected payoff of player ``i`` is

    V_i(π) = Σ_a U[i, a] Π_j π_j(a_j),

computed here by contracting one player's action axis at a time, so it is an ordinary,
differentiable JAX function of the strategies (and, through ``binary_policies``, of the
players' logits).

Binary games use action 0 = cooperate (C) and 1 = defect (D); a single-logit player
cooperates with probability ``σ(θ)``.

Social dilemmas (thesis §3.1.2, after Macy & Flache 2002): a symmetric 2×2 game with
payoffs R (mutual cooperation), P (mutual defection), T (temptation), S (sucker) is a
social dilemma when

1. R > P          mutual cooperation beats mutual defection;
2. R > S          mutual cooperation beats being exploited;
3. 2R > T + S     mutual cooperation beats an even chance of exploiting or being exploited;
4. T > R or P > S there is a reason to defect: greed (T − R > 0) or fear (P − S > 0).

Chapter 4 fixes R = 3, P = 1 and sets T = R + greed, S = P − fear (Table 4.1).
The N-player Prisoner's Dilemma (chapter 4, footnote 4) interpolates linearly between
the two-player payoffs by the fraction of the *other* players who cooperate.
"""

from __future__ import annotations

import itertools
from types import MappingProxyType

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.errors import ConfigError, InvalidGameError

COOPERATE, DEFECT = 0, 1

# Table 4.1 of the thesis: (greed, fear) with R = 3, P = 1.
TABLE_4_1 = MappingProxyType(
    {
        "prisoners_dilemma": {"greed": 1.0, "fear": 1.0},
        "chicken": {"greed": 0.5, "fear": -1.0},
        "stag_hunt": {"greed": -1.0, "fear": 1.0},
    }
)

_CONDITIONS = (
    ("condition 1 (R > P: mutual cooperation beats mutual defection)", lambda R, P, T, S: R > P),
    ("condition 2 (R > S: mutual cooperation beats being exploited)", lambda R, P, T, S: R > S),
    (
        "condition 3 (R > (T + S)/2: mutual cooperation beats alternating exploitation)",
        lambda R, P, T, S: 2 * R > T + S,
    ),
    (
        "condition 4 (T > R or P > S: greed or fear gives a reason to defect)",
        lambda R, P, T, S: T > R or P > S,
    ),
)


def _check_real(name: str, value) -> None:
    """Raise :class:`InvalidGameError` unless ``value`` is a finite real number (float32)."""
    ok = not isinstance(value, bool | np.bool_ | str | bytes) and np.ndim(value) == 0
    if ok:
        try:
            x = float(value)
        except (TypeError, ValueError):
            ok = False
        else:
            ok = bool(np.isfinite(x)) and abs(x) <= float(np.finfo(np.float32).max)
    if not ok:
        raise InvalidGameError(
            f"{name}={value!r} is not accepted: accepted a finite real number (float32)"
        )


def check_social_dilemma(R: float, P: float, T: float, S: float) -> None:
    """Raise :class:`InvalidGameError` naming the first violated condition of §3.1.2."""
    values = {"R": R, "P": P, "T": T, "S": S}
    for name, value in values.items():
        _check_real(name, value)
    for description, holds in _CONDITIONS:
        if not holds(R, P, T, S):
            shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
            raise InvalidGameError(f"not a social dilemma: {description} fails for {shown}")


def matrix_game(R: float, P: float, T: float, S: float, *, check: bool = True) -> jax.Array:
    """The symmetric 2×2 game with payoffs (R, P, T, S) as a ``(2, 2, 2)`` tensor.

    ``check=True`` requires the four social-dilemma conditions.
    """
    for name, value in (("R", R), ("P", P), ("T", T), ("S", S)):
        _check_real(name, value)
    if check:
        check_social_dilemma(R, P, T, S)
    row = np.array([[R, S], [T, P]], dtype=np.float32)  # row player's payoff
    return jnp.asarray(np.stack([row, row.T]))


def social_dilemma(
    greed: float, fear: float, *, R: float = 3.0, P: float = 1.0, check: bool = True
) -> jax.Array:
    """A 2×2 dilemma from greed and fear (Table 4.1): T = R + greed, S = P − fear."""
    for name, value in (("greed", greed), ("fear", fear), ("R", R), ("P", P)):
        _check_real(name, value)
    return matrix_game(R, P, R + greed, P - fear, check=check)


def prisoners_dilemma() -> jax.Array:
    """Prisoner's Dilemma of Table 4.1: R=3, P=1, T=4, S=0."""
    return social_dilemma(**TABLE_4_1["prisoners_dilemma"])


def chicken() -> jax.Array:
    """Chicken of Table 4.1: R=3, P=1, T=3.5, S=2."""
    return social_dilemma(**TABLE_4_1["chicken"])


def stag_hunt() -> jax.Array:
    """Stag Hunt of Table 4.1: R=3, P=1, T=2, S=0."""
    return social_dilemma(**TABLE_4_1["stag_hunt"])


def n_player_dilemma(
    n_players: int,
    greed: float = 1.0,
    fear: float = 1.0,
    *,
    R: float = 3.0,
    P: float = 1.0,
    check: bool = True,
) -> jax.Array:
    """The N-player dilemma with linear interpolation (chapter 4, footnote 4).

    With ``k`` of the other ``N − 1`` players cooperating, a cooperator gets
    ``S + (R − S)·k/(N − 1)`` and a defector ``P + (T − P)·k/(N − 1)``, where
    T = R + greed and S = P − fear. With N = 2 this is :func:`social_dilemma`.
    The tensor has ``N·2^N`` entries, so N is limited to 16.
    """
    if isinstance(n_players, bool) or not isinstance(n_players, int) or not 2 <= n_players <= 16:
        raise InvalidGameError(f"n_players={n_players!r}: accepted integers 2..16")
    for name, value in (("greed", greed), ("fear", fear), ("R", R), ("P", P)):
        _check_real(name, value)
    T, S = R + greed, P - fear
    _check_real("T", T)  # R + greed, P - fear may overflow
    _check_real("S", S)
    if check:
        check_social_dilemma(R, P, T, S)
    actions = joint_actions(n_players)
    coop = actions == COOPERATE
    others = coop.sum(axis=1, keepdims=True) - coop  # cooperating others per player
    frac = others / (n_players - 1)
    payoff = np.where(coop, S + (R - S) * frac, P + (T - P) * frac)  # (2^N, N)
    tensor = payoff.T.reshape((n_players,) + (2,) * n_players)
    return jnp.asarray(tensor, dtype=jnp.float32)


def joint_actions(n_players: int, n_actions: int = 2) -> np.ndarray:
    """All joint actions, shape ``(n_actions^n, n)``, in the tensor's C (row-major) order."""
    return np.array(list(itertools.product(range(n_actions), repeat=n_players)), dtype=np.int32)


def validate_payoffs(payoffs: jax.Array | np.ndarray) -> None:
    """Check that ``payoffs`` is a finite ``(n, A, ..., A)`` tensor with n action axes."""
    try:
        arr = np.asarray(payoffs)
    except ValueError:  # ragged nested lists
        raise InvalidGameError(
            "payoffs are ragged: accepted a (n, A_1, ..., A_n) array with n action axes"
        ) from None
    if arr.dtype.kind not in "iuf":
        raise InvalidGameError(f"payoffs of dtype {arr.dtype}: accepted real numbers")
    if arr.ndim < 2 or arr.shape[0] != arr.ndim - 1:
        raise InvalidGameError(
            f"payoffs of shape {arr.shape}: accepted (n, A_1, ..., A_n) with n action axes"
        )
    if not np.all(np.isfinite(arr)):
        raise InvalidGameError("payoffs contain NaN or inf: accepted finite numbers only")


def _check_game_input(payoffs, x, field: str, ndim: int):
    """``payoffs`` (shape-checked) and ``x`` as arrays; ``x`` must be ``(n, A)``
    (``ndim=2``) or ``(n,)`` (``ndim=1``) for an ``(n, A, ..., A)`` tensor."""
    if not isinstance(payoffs, jax.core.Tracer):
        validate_payoffs(payoffs)
    payoffs = jnp.asarray(payoffs)
    try:
        x = jnp.asarray(x)
    except (TypeError, ValueError):
        raise ConfigError(field, f"{type(x).__name__}: accepted a real array") from None
    n, actions = payoffs.shape[0], payoffs.shape[1]
    want = (n, actions) if ndim == 2 else (n,)
    if x.shape != want:
        raise ConfigError(
            field, f"shape {x.shape}: accepted {want} for payoffs of shape {payoffs.shape}"
        )
    return payoffs, x


def expected_payoffs(payoffs: jax.Array, policies: jax.Array) -> jax.Array:
    """Exact expected payoffs ``V_i(π) = Σ_a U[i, a] Π_j π_j(a_j)``.

    Args:
        payoffs: ``(n, A, ..., A)`` payoff tensor.
        policies: ``(n, A)`` mixed strategies, one row per player.

    Returns:
        ``(n,)`` expected payoff of each player.
    """
    payoffs, policies = _check_game_input(payoffs, policies, "policies", 2)
    n = payoffs.shape[0]
    values = payoffs
    for j in reversed(range(n)):  # contract the last action axis with π_j
        values = values @ policies[j]
    return values


def binary_policies(logits: jax.Array) -> jax.Array:
    """Single-logit policies ``[P(C), P(D)] = [σ(θ), σ(−θ)]``, shape ``(n, 2)``."""
    return jnp.stack([jax.nn.sigmoid(logits), jax.nn.sigmoid(-logits)], axis=-1)


def values_from_logits(payoffs: jax.Array, logits: jax.Array) -> jax.Array:
    """Exact values ``V_i`` of single-logit players with logits ``θ`` (shape ``(n,)``).

    ``payoffs`` must be a binary ``(n, 2, ..., 2)`` tensor; a wrong shape raises
    :class:`~prosocial.errors.ConfigError` naming ``logits`` (or ``InvalidGameError``
    for the payoffs). Non-finite logits give non-finite values (pure array math).
    """
    payoffs, logits = _check_game_input(payoffs, logits, "logits", 1)
    if payoffs.shape[1] != 2:
        raise InvalidGameError(
            f"payoffs of shape {payoffs.shape}: single-logit players accept binary games"
            " only, shape (n, 2, ..., 2)"
        )
    return expected_payoffs(payoffs, binary_policies(logits))


def payoff_of(payoffs: jax.Array, actions: jax.Array) -> jax.Array:
    """Realised payoffs ``U[:, a_1, ..., a_n]`` of one joint action ``a`` (shape ``(n,)``).

    ``actions`` must be ``n`` integers in ``0 .. A - 1`` (checked when concrete).
    """
    if not isinstance(payoffs, jax.core.Tracer):
        validate_payoffs(payoffs)
    payoffs = jnp.asarray(payoffs)
    n, a = payoffs.shape[0], payoffs.shape[1]
    if not isinstance(actions, jax.core.Tracer):
        arr = np.asarray(actions)
        if arr.shape != (n,) or arr.dtype.kind not in "iu" or not np.all((arr >= 0) & (arr < a)):
            raise ConfigError(
                "actions", f"{actions!r}: accepted {n} integers in 0 .. {a - 1}, one per player"
            )
    elif jnp.shape(actions) != (n,):
        raise ConfigError("actions", f"shape {jnp.shape(actions)}: accepted ({n},)")
    return payoffs[(slice(None), *tuple(actions))]


def greed_and_fear(matrix: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Greed ``T − R`` and fear ``P − S`` of the row player of a 2×2 payoff matrix."""
    R, S, T, P = matrix[0, 0], matrix[0, 1], matrix[1, 0], matrix[1, 1]
    return T - R, P - S
