"""The two estimators of a co-player's degree of cooperation β (thesis §5.3).

An estimator is a bundle of pure functions:

    state = estimator.init()
    state = estimator.update(state, observation, alpha)   # alpha: own degree this round
    beta_hat = estimator.estimate(state, alpha)

**Bayesian inference from the co-player's actions** (:func:`bayes`, thesis §5.3.1,
eq. 5.1, an adaptation of Bayesian policy reuse, Rosman et al. 2016):

    P_{t+1}(β) = P(a_t^opp = a | β) P_t(β) / ∫₀¹ P(a_t^opp = a | β) P_t(β) dβ,

with the symmetric plug-in that §5.3.1 suggests: P(a | β) is the probability that the
*agent's own* α-policy, at α = β, takes a (``game.log_likelihood``). prosocial's choices:
the integral is a sum over a grid of ``grid`` points from 0 to 1 (both ends included);
the prior is Beta(a, b) on that grid (``prior=(1, 1)``, uniform, by default), its density
taken at grid points clipped to [10⁻³, 1 − 10⁻³]; the point estimate β̂ is the posterior
mean. Optional forgetting (not in the thesis; ``forget = 0``, exact eq. 5.1, by default)
pulls the log-posterior toward the log-prior before each update,
log P_t ← (1 − f) log P_t + f log P_0, so that a co-player who changes can be followed.

**Inversion of one's own smoothed reward** (:func:`reward_inversion`, thesis §5.3.2,
after Peysakhovich & Lerer's consequentialist conditional cooperation): the time-weighted
average reward

    G_1 = r_1,   G_t = τ r_t + (1 − τ) G_{t−1},

and β̂ solves V_1(α, β̂) = G_t, where V_1(α, ·) (``game.value``) is increasing in β. When
no β ∈ [0, 1] solves it the estimate is clamped: β̂ = 0 if G_t < V_1(α, β) for all β,
and β̂ = 1 if G_t > V_1(α, β) for all β. *The thesis prints β̂ = 0 in both cases; the
second is a typo* (a reward above anything a β ≤ 1 explains is evidence of the most
cooperative co-player, and β̂ = 0 there would punish it), *fixed here to β̂ = 1.* The
thesis also says "for any β" where it means "for all β". The root is found by bisection
(``iters`` halvings, 2⁻³⁰ by default), since only monotonicity is assumed; α is the
agent's current degree. Before the first reward, β̂ = ``beta0`` (0.5 by default).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from prosocial.errors import ConfigError
from prosocial.registry import Registry
from prosocial.strategies.base import Observation

F32 = jnp.float32


class Estimator(NamedTuple):
    """``init() -> state``, ``update(state, obs, alpha)``, ``estimate(state, alpha) -> β̂``."""

    init: Callable[[], Any]
    update: Callable[[Any, Observation, jax.Array], Any]
    estimate: Callable[[Any, jax.Array], jax.Array]


MAX_GRID = 100_000
"""At most this many grid points of β in :func:`bayes`."""
MAX_ITERS = 1000
"""At most this many bisection steps in :func:`reward_inversion` (float32 needs ~30)."""


def _number(field: str, value: Any, low: float, high: float, *, open_low: bool = False) -> None:
    if isinstance(value, jax.core.Tracer):
        return
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = ok and (low < value if open_low else low <= value) and value <= high
    if not ok:
        bracket = "(" if open_low else "["
        raise ConfigError(
            field, f"{value!r} is not accepted; accepted: a number in {bracket}{low:g}, {high:g}]"
        )


# ---------------------------------------------------------------- eq. 5.1


def beta_grid(points: int) -> jax.Array:
    """``points`` values of β from 0 to 1, ends included."""
    return jnp.linspace(0.0, 1.0, points, dtype=F32)


def beta_log_prior(grid: jax.Array, a: float, b: float) -> jax.Array:
    """Normalised log Beta(a, b) weights on ``grid`` (density at clipped grid points)."""
    x = jnp.clip(grid, 1e-3, 1.0 - 1e-3)
    log_density = (a - 1.0) * jnp.log(x) + (b - 1.0) * jnp.log1p(-x)
    return log_density - jax.nn.logsumexp(log_density)


def bayes(
    game: Any,
    *,
    grid: int = 101,
    prior: tuple[float, float] = (1.0, 1.0),
    min_noise: float = 0.02,
    forget: float | jax.Array = 0.0,
) -> Estimator:
    """Thesis eq. 5.1 on a grid of β: state is the log-posterior, β̂ its mean.

    Args:
        game: a game of :mod:`prosocial.games.degrees` (its ``log_likelihood``).
        grid: number of grid points, at least 2.
        prior: Beta(a, b) parameters, both > 0.
        min_noise: the smallest action noise the continuous game's likelihood assumes.
        forget: pull toward the prior before each update, in [0, 1); 0 is eq. 5.1.
    """
    if isinstance(grid, bool) or not isinstance(grid, int) or not 2 <= grid <= MAX_GRID:
        raise ConfigError(
            "bayes.grid", f"{grid!r} is not accepted; accepted: an integer in 2 .. {MAX_GRID}"
        )
    if not (isinstance(prior, (tuple, list)) and len(prior) == 2):
        raise ConfigError("bayes.prior", f"{prior!r} is not accepted; accepted: a pair (a, b)")
    for name, value in zip(("a", "b"), prior, strict=True):
        _number(f"bayes.prior.{name}", value, 0.0, float("inf"), open_low=True)
    _number("bayes.min_noise", min_noise, 0.0, float("inf"), open_low=True)
    _number("bayes.forget", forget, 0.0, 0.999)
    betas = beta_grid(grid)
    log_prior = beta_log_prior(betas, *prior)

    def init() -> jax.Array:
        return log_prior

    def update(log_post: jax.Array, obs: Observation, alpha: jax.Array) -> jax.Array:
        del alpha
        log_post = (1.0 - forget) * log_post + forget * log_prior
        log_post = log_post + game.log_likelihood(obs.other, betas, min_noise)
        return (log_post - jax.nn.logsumexp(log_post)).astype(F32)

    def estimate(log_post: jax.Array, alpha: jax.Array) -> jax.Array:
        del alpha
        return jnp.exp(log_post) @ betas

    return Estimator(init, update, estimate)


# ---------------------------------------------------------------- §5.3.2


class RewardState(NamedTuple):
    """The time-weighted average reward G, the same average of V_1(α_s, 0) (the own-degree
    reference), and the number of rewards seen."""

    average: jax.Array
    reference: jax.Array
    count: jax.Array


def invert_increasing(f: Callable[[jax.Array], jax.Array], target: jax.Array, iters: int = 30):
    """The β ∈ [0, 1] with ``f(β) = target`` for increasing ``f``, clamped as in §5.3.2.

    ``target < f(0)`` gives 0, ``target > f(1)`` gives 1 (the thesis's typo fixed).
    """

    def halve(_, bounds):
        low, high = bounds
        mid = (low + high) / 2
        below = f(mid) < target
        return jnp.where(below, mid, low), jnp.where(below, high, mid)

    low, high = jax.lax.fori_loop(0, iters, halve, (jnp.zeros((), F32), jnp.ones((), F32)))
    root = (low + high) / 2
    return jnp.where(target <= f(0.0), 0.0, jnp.where(target >= f(1.0), 1.0, root)).astype(F32)


OWN_DEGREE = ("smoothed", "current")


def reward_inversion(
    game: Any,
    *,
    tau: float | jax.Array = 0.02,
    beta0: float = 0.5,
    own: str = "smoothed",
    iters: int = 30,
) -> Estimator:
    """Thesis §5.3.2: smoothed reward ``G_t`` and ``V_1(α, β̂) = G_t``, clamped to [0, 1].

    Args:
        game: a game of :mod:`prosocial.games.degrees` (its ``value``).
        tau: the decay τ in (0, 1].
        beta0: the estimate before any reward, in [0, 1].
        own: ``"current"`` solves V_1(α_t, β̂) = G_t as printed; ``"smoothed"`` (the
            default) accounts for G_t averaging rewards earned at *past* degrees α_s:
            with D_t the same time-weighted average of V_1(α_s, 0), it solves
            V_1(α_t, β̂) = G_t − D_t + V_1(α_t, 0). For a game whose value separates,
            V_1(α, β) = f(α) + g(β) (both games here), this is exactly
            Σ_s w_s V_1(α_s, β̂) = G_t, and it is the printed rule whenever α is constant.
        iters: bisection steps.
    """
    _number("reward.tau", tau, 0.0, 1.0, open_low=True)
    _number("reward.beta0", beta0, 0.0, 1.0)
    if own not in OWN_DEGREE:
        raise ConfigError(
            "reward.own", f"{own!r} is not accepted; accepted: {', '.join(OWN_DEGREE)}"
        )
    if isinstance(iters, bool) or not isinstance(iters, int) or not 1 <= iters <= MAX_ITERS:
        raise ConfigError(
            "reward.iters",
            f"{iters!r} is not accepted; accepted: an integer in 1 .. {MAX_ITERS}",
        )

    def smooth(state: RewardState, previous: jax.Array, new: jax.Array) -> jax.Array:
        return jnp.where(state.count == 0, new, tau * new + (1.0 - tau) * previous).astype(F32)

    def init() -> RewardState:
        return RewardState(jnp.zeros((), F32), jnp.zeros((), F32), jnp.zeros((), jnp.int32))

    def update(state: RewardState, obs: Observation, alpha: jax.Array) -> RewardState:
        return RewardState(
            smooth(state, state.average, obs.reward),
            smooth(state, state.reference, game.value(alpha, 0.0)),
            state.count + 1,
        )

    def estimate(state: RewardState, alpha: jax.Array) -> jax.Array:
        target = state.average
        if own == "smoothed":
            target = target - state.reference + game.value(alpha, 0.0)
        beta = invert_increasing(lambda b: game.value(alpha, b), target, iters)
        return jnp.where(state.count == 0, beta0, beta).astype(F32)

    return Estimator(init, update, estimate)


ESTIMATORS: Registry[Estimator] = Registry("estimator")
"""``ESTIMATORS.make("bayes", game=game)`` or ``("reward", game=game, tau=0.1)``."""
ESTIMATORS.register("bayes", bayes)
ESTIMATORS.register("reward", reward_inversion)
