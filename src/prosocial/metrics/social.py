"""The four social outcome metrics of Perolat et al. (2017), on one episode's totals.

Source: J. Perolat, J. Z. Leibo, V. Zambaldi, C. Beattie, K. Tuyls, T. Graepel, "A
multi-agent reinforcement learning model of common-pool resource appropriation", NeurIPS
2017 (the "social outcome metrics"), also used by Hughes et al. 2018 and LASE. For an
episode of ``T`` steps in which agent ``i`` of ``N`` collects the return ``R_i``:

* Utilitarian efficiency  ``U = Σ_i R_i / T``, the collective return per step.
* Equality  ``E = 1 − G``, ``G = Σ_i Σ_j |R_i − R_j| / (2 N Σ_i R_i)`` (the Gini
  coefficient), in two conventions (see :func:`equality`). ``"published"`` (the default)
  is Perolat et al.'s ratio as printed: NaN where ``Σ_i R_i ≤ 0``, where the Gini
  coefficient is undefined. ``"absolute"`` divides by ``2 N Σ_i |R_i|`` instead, which
  is the same whenever every ``R_i ≥ 0``, stays in ``[0, 1]`` when some return is
  negative, and gives ``E = 1`` when every ``R_i = 0``; the episode metrics of
  :mod:`prosocial.metrics.episodes` use it because Cleanup and Harvest returns can be
  negative.
* Sustainability  ``S = (1/N) Σ_i t_i``, with ``t_i`` the mean step number
  ``τ = 1 … T`` at which agent ``i`` received a positive reward: resources that last
  are collected later. ``t_i`` is undefined for an agent that never received a
  positive reward; prosocial averages over the agents that did, and ``S`` is NaN when
  none did.
* Peace  ``P = (N T − Σ_i Σ_t I_i(t)) / T``, with ``I_i(t) = 1`` when agent ``i`` is under
  a penalty at step ``t``: the mean number of unpenalised agents per step, in
  ``[0, N]``. Perolat's agents are timed out when tagged; prosocial's SSD rules have no
  timeout, so "under penalty" is read as "hit by a penalty beam at step t", the steps at
  which the game's ``*/hit`` counter is positive.

Beside them, the fairness measures that FCGrad (2025) reports: the α-fair
mean (:func:`alpha_fair_mean`: the mean, geometric mean and minimum of the returns at
α = 0, 1, ∞) and Jain's index (:func:`jain_index`).

Perolat et al. take the expectation over episodes; :mod:`prosocial.metrics.episodes`
averages the per-episode values over the completed episodes of a rollout.

Every function is pure ``jax.numpy``, takes arrays with any leading batch axes and the
agent axis last, and returns one value per batch entry. Inputs whose shapes do not match
(e.g. a ``length`` that does not broadcast to the returns' batch shape) or that are not
arrays of numbers raise :class:`~prosocial.errors.ConfigError` naming the argument; NaN or
inf entries are pure array math and give NaN (or inf) for the batch entries they enter.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from prosocial.errors import ConfigError


def _float(x, field: str = "returns") -> jax.Array:
    """``x`` as float32; a string, ragged list or other non-number raises a
    :class:`ConfigError` naming ``field``. NaN or inf entries are pure array math here:
    they give NaN (or inf) metrics for the entries they enter."""
    try:
        return jnp.asarray(x, jnp.float32)
    except (TypeError, ValueError):
        raise ConfigError(
            field, f"{type(x).__name__} {x!r:.40}: accepted an array of numbers"
        ) from None


def _same_batch(field: str, x: jax.Array, batch: tuple[int, ...]) -> None:
    """``x`` must broadcast to the batch shape ``batch`` without changing it."""
    try:
        ok = jnp.broadcast_shapes(jnp.shape(x), batch) == tuple(batch)
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(field, f"shape {jnp.shape(x)}: accepted {tuple(batch)} or () ")


def collective_return(returns: jax.Array) -> jax.Array:
    """``Σ_i R_i`` of ``returns`` ``(..., N)``."""
    return jnp.sum(_float(returns), axis=-1)


def efficiency(returns: jax.Array, length: jax.Array) -> jax.Array:
    """Utilitarian efficiency ``U = Σ_i R_i / T``.

    ``returns`` ``(..., N)`` and the episode ``length`` ``(...)``.
    """
    returns = _float(returns)
    length = _float(length, "length")
    _same_batch("length", length, returns.shape[:-1])
    return collective_return(returns) / length


EQUALITY_CONVENTIONS = ("published", "absolute")
"""The accepted values of :func:`equality`'s ``convention``."""


def _check_convention(convention: str) -> None:
    if convention not in EQUALITY_CONVENTIONS:
        raise ConfigError(
            "convention",
            f"got {convention!r}; accepted: " + ", ".join(repr(c) for c in EQUALITY_CONVENTIONS),
        )


def equality(returns: jax.Array, convention: str = "published") -> jax.Array:
    """Equality ``E = 1 − G`` of ``returns`` ``(..., N)``, one value per leading index.

    ``G`` is the Gini coefficient of the agents' returns (agent axis last; NumPy arrays
    and lists are accepted and converted):

    * ``convention="published"`` (default): Perolat et al. (NeurIPS 2017)'s formula
      ``E = 1 − Σ_i Σ_j |R_i − R_j| / (2 N Σ_i R_i)``. It presumes non-negative returns
      and is NaN where ``Σ_i R_i ≤ 0`` (including when every ``R_i = 0``). With a
      negative ``R_i`` but a positive sum it is returned as computed and may be below 0.
    * ``convention="absolute"``: ``E = 1 − Σ_i Σ_j |R_i − R_j| / (2 N Σ_i |R_i|)``, and
      ``E = 1`` when every ``R_i = 0``. Equal to the published value whenever every
      ``R_i ≥ 0``; always in ``[0, 1]``.

    Examples: ``(2, 0)`` gives 0.5 in both; ``(3, −1)`` gives 0 (published: 8 / (2·2·2))
    and 0.5 (absolute: 8 / (2·2·4)); ``(0, 0)`` gives NaN and 1; ``(−2, −2)`` gives NaN
    and 1.

    Raises:
        ConfigError: ``convention`` is neither ``"published"`` nor ``"absolute"``.
    """
    _check_convention(convention)
    returns = _float(returns)
    n = returns.shape[-1]
    gaps = jnp.sum(jnp.abs(returns[..., :, None] - returns[..., None, :]), axis=(-2, -1))
    if convention == "published":
        total = jnp.sum(returns, axis=-1)
        scale = 2.0 * n * total
        safe = jnp.where(total > 0, scale, 1.0)
        return jnp.where(total > 0, 1.0 - gaps / safe, jnp.nan)
    scale = 2.0 * n * jnp.sum(jnp.abs(returns), axis=-1)
    safe = jnp.where(scale > 0, scale, 1.0)
    return jnp.where(scale > 0, 1.0 - gaps / safe, 1.0)


def gini(returns: jax.Array, convention: str = "published") -> jax.Array:
    """The Gini coefficient ``G = 1 − E`` in the same ``convention`` as :func:`equality`.

    NaN under ``"published"`` where ``Σ_i R_i ≤ 0``; 0 under ``"absolute"`` when every
    ``R_i = 0``.
    """
    return 1.0 - equality(returns, convention)


def sustainability(positive_time: jax.Array, positive_steps: jax.Array) -> jax.Array:
    """``S``: the mean over agents of ``t_i = positive_time_i / positive_steps_i``.

    ``positive_steps`` ``(..., N)`` counts the steps at which agent ``i`` received a positive
    reward and ``positive_time`` sums their step numbers ``τ`` (1-based). Agents with no
    positive reward are left out of the mean; NaN when no agent had one.
    """
    steps = _float(positive_steps, "positive_steps")
    time = _float(positive_time, "positive_time")
    if time.shape != steps.shape:
        raise ConfigError(
            "positive_time", f"shape {time.shape}: accepted {steps.shape} like positive_steps"
        )
    rewarded = steps > 0
    t = time / jnp.where(rewarded, steps, 1.0)
    count = jnp.sum(rewarded, axis=-1)
    total = jnp.sum(jnp.where(rewarded, t, 0.0), axis=-1)
    return jnp.where(count > 0, total / jnp.maximum(count, 1), jnp.nan)


def peace(penalty_steps: jax.Array, length: jax.Array) -> jax.Array:
    """Peace ``P = (N T − Σ_i penalty_steps_i) / T``.

    ``penalty_steps`` ``(..., N)``: the steps each agent spent under penalty; ``length``
    ``(...)``: the episode length ``T``.
    """
    steps = _float(penalty_steps, "penalty_steps")
    n = steps.shape[-1]
    length = _float(length, "length")
    _same_batch("length", length, steps.shape[:-1])
    return (n * length - jnp.sum(steps, axis=-1)) / length


# ---------------------------------------------------------------- fairness (FCGrad)


def alpha_fair_mean(returns: jax.Array, alpha: float) -> jax.Array:
    """The α-fair mean of ``returns`` ``(..., N)``: the power mean with exponent ``1 − α``,

        M_α = ((1/N) Σ_i R_i^{1−α})^{1/(1−α)},   M_1 = (Π_i R_i)^{1/N},   M_∞ = min_i R_i,

    the certainty equivalent of the α-fair welfare ``U_α = Σ_i R_i^{1−α} / (1 − α)``
    (``Σ_i log R_i`` at α = 1; Mo and Walrand 2000): the mean (α = 0), the geometric
    mean (α = 1) and the minimum (α = ∞) that FCGrad reports ("Fair cooperation in
    mixed-motive games via conflict-aware gradient adjustment", 2025; code
    github.com/wjkim1202/fcgrad). A larger α weighs the worst-off agent more.

    Defined for returns ``R_i > 0`` when α > 0 (NaN where some ``R_i ≤ 0``; the minimum,
    α = ∞, is defined for every return); α = 0 is the plain mean of any returns.

    Raises:
        ConfigError: ``alpha`` is negative or NaN.
    """
    alpha = float(alpha)
    if not alpha >= 0.0:
        raise ConfigError("alpha", f"{alpha}: accepted a number ≥ 0 (inf: the minimum)")
    returns = _float(returns)
    if alpha == 0.0:
        return jnp.mean(returns, axis=-1)
    if alpha == float("inf"):
        return jnp.min(returns, axis=-1)
    positive = jnp.all(returns > 0, axis=-1)
    safe = jnp.where(returns > 0, returns, 1.0)
    if alpha == 1.0:
        value = jnp.exp(jnp.mean(jnp.log(safe), axis=-1))
    else:
        p = 1.0 - alpha
        value = jnp.mean(safe**p, axis=-1) ** (1.0 / p)
    return jnp.where(positive, value, jnp.nan)


def jain_index(returns: jax.Array) -> jax.Array:
    """Jain's fairness index ``J = (Σ_i R_i)² / (N Σ_i R_i²)`` of ``returns`` ``(..., N)``
    (Jain, Chiu and Hawe 1984; reported by FCGrad): 1 when every agent's return is equal,
    ``1/N`` when one agent has everything; NaN when every ``R_i = 0``."""
    returns = _float(returns)
    n = returns.shape[-1]
    square = jnp.sum(returns**2, axis=-1)
    safe = jnp.where(square > 0, square, 1.0)
    return jnp.where(square > 0, jnp.sum(returns, axis=-1) ** 2 / (n * safe), jnp.nan)
