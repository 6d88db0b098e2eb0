"""The four social outcome metrics of Perolat et al. (2017), on one episode's totals.

Source: J. Perolat, J. Z. Leibo, V. Zambaldi, C. Beattie, K. Tuyls, T. Graepel, "A
multi-agent reinforcement learning model of common-pool resource appropriation", NeurIPS
2017 (the "social outcome metrics"), also used by Hughes et al. 2018 and LASE. For an
episode of ``T`` steps in which agent ``i`` of ``N`` collects the return ``R_i``:

* Utilitarian efficiency  ``U = Σ_i R_i / T``, the collective return per step.
* Equality  ``E = 1 − G``, ``G = Σ_i Σ_j |R_i − R_j| / (2 N Σ_i R_i)`` (the Gini
  coefficient). The published formula presumes non-negative returns; prosocial divides
  by ``2 N Σ_i |R_i|`` instead, which is the same whenever every ``R_i ≥ 0`` and keeps
  ``E`` in ``[0, 1]`` when some return is negative (where the published ratio leaves
  ``[0, 1]`` or divides by ``Σ_i R_i ≤ 0``); when every ``R_i = 0``, ``E = 1`` (nobody has
  more than anybody else).
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

Perolat et al. take the expectation over episodes; :mod:`prosocial.metrics.episodes`
averages the per-episode values over the completed episodes of a rollout.

Every function is pure ``jax.numpy``, takes arrays with any leading batch axes and the
agent axis last, and returns one value per batch entry.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def _float(x) -> jax.Array:
    return jnp.asarray(x, jnp.float32)


def collective_return(returns: jax.Array) -> jax.Array:
    """``Σ_i R_i`` of ``returns`` ``(..., N)``."""
    return jnp.sum(_float(returns), axis=-1)


def efficiency(returns: jax.Array, length: jax.Array) -> jax.Array:
    """Utilitarian efficiency ``U = Σ_i R_i / T``.

    ``returns`` ``(..., N)`` and the episode ``length`` ``(...)``.
    """
    return collective_return(returns) / _float(length)


def equality(returns: jax.Array) -> jax.Array:
    """``E = 1 − Σ_i Σ_j |R_i − R_j| / (2 N Σ_i |R_i|)``, and 1 when every ``R_i = 0``."""
    returns = _float(returns)
    n = returns.shape[-1]
    gaps = jnp.sum(jnp.abs(returns[..., :, None] - returns[..., None, :]), axis=(-2, -1))
    scale = 2.0 * n * jnp.sum(jnp.abs(returns), axis=-1)
    safe = jnp.where(scale > 0, scale, 1.0)
    return jnp.where(scale > 0, 1.0 - gaps / safe, 1.0)


def gini(returns: jax.Array) -> jax.Array:
    """The Gini coefficient ``G = 1 − E`` (see :func:`equality`)."""
    return 1.0 - equality(returns)


def sustainability(positive_time: jax.Array, positive_steps: jax.Array) -> jax.Array:
    """``S``: the mean over agents of ``t_i = positive_time_i / positive_steps_i``.

    ``positive_steps`` ``(..., N)`` counts the steps at which agent ``i`` received a positive
    reward and ``positive_time`` sums their step numbers ``τ`` (1-based). Agents with no
    positive reward are left out of the mean; NaN when no agent had one.
    """
    steps = _float(positive_steps)
    rewarded = steps > 0
    t = _float(positive_time) / jnp.where(rewarded, steps, 1.0)
    count = jnp.sum(rewarded, axis=-1)
    total = jnp.sum(jnp.where(rewarded, t, 0.0), axis=-1)
    return jnp.where(count > 0, total / jnp.maximum(count, 1), jnp.nan)


def peace(penalty_steps: jax.Array, length: jax.Array) -> jax.Array:
    """Peace ``P = (N T − Σ_i penalty_steps_i) / T``.

    ``penalty_steps`` ``(..., N)``: the steps each agent spent under penalty; ``length``
    ``(...)``: the episode length ``T``.
    """
    steps = _float(penalty_steps)
    n = steps.shape[-1]
    length = _float(length)
    return (n * length - jnp.sum(steps, axis=-1)) / length
