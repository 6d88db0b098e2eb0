"""Conventional learners as strategies: naive gradient ascent and LOLA, each with an
opponent model, playing the same matches as the scripted strategies.

Policy: a *reactive* strategy w = (θ_start, θ_D, θ_C): level σ(θ_start) in the first
round, then σ(θ_D) + (σ(θ_C) − σ(θ_D))·ℓ where ℓ is the co-player's last observed level
(clipped to [0, 1]). In the iterated Prisoner's Dilemma these are Nowak & Sigmund's
reactive strategies (P(C) after the co-player's D and after its C); the exact values of
two reactive strategies are ``game.reactive_values`` (:mod:`prosocial.games.degrees`).

Opponent model (LOLA with opponent modelling, Foerster et al. 2018, "Learning with
Opponent-Learning Awareness", AAMAS, §3.3: the opponent's parameters are inferred from
its observed actions): the co-player is modelled as a reactive strategy too. Its level y
after the learner's level x is fitted by exponentially weighted ridge regression,
y ≈ c + d·x, with forgetting factor ``forget`` per round and a Gaussian prior of
precision ``prior`` (in observations) centred on c = ½, d = 0 (an unseen co-player is
modelled as random and as not reacting); then p̂_D = c and p̂_C = c + d, clipped to
[0.01, 0.99]. θ̂_start is the logit of the co-player's first level, averaged with ½.
In the IPD, where x ∈ {0, 1}, c and c + d are shrunk frequencies of C after the
learner's D and after its C. In the continuous game the learner's levels vary too
little to reveal a reaction, so it explores: it plays its level plus N(0, explore²)
noise, clipped to [0, 1] (``explore`` is 0.1 there and 0 in the IPD by default).

Update, every round after the first: on the modelled two-player game
ℓ(W) = −game.reactive_values(W) with W = (w, ŵ), the learner steps

    w ← w − lr · direction_0(ℓ, W),

where the direction is that of an adjustment of :mod:`prosocial.adjust`: ``simul_ind``
(naive: ∇_w ℓ_0, plain gradient ascent on its own value) or ``lola`` (ξ − η χ: the
first-order LOLA correction that assumes the co-player takes a naive step of size η on
its own modelled value). Only the learner's own row is used.

Simplifications, named: the values are per-round averages (1 − γ)V with γ = 0.96, so the
step size does not depend on the horizon; the model of the continuous game ignores the
action noise in the levels' dynamics; the learner starts from w ~ N(0, init_std²).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from prosocial.adjust import ADJUSTMENTS
from prosocial.errors import ConfigError
from prosocial.strategies.base import Observation, Strategy, no_probe

F32 = jnp.float32
METHODS = ("naive", "lola")
MODEL_CLIP = 0.01


class LearnerState(NamedTuple):
    """Own reactive logits, the opponent model's weighted sums and the last levels.

    ``sums`` holds Σ weight · (1, x, x², y, x·y) over (own level x, co-player's next
    level y); ``start`` the co-player's first level; ``last_own``/``last_other`` the
    previous round's levels; ``rounds`` the number of rounds played.
    """

    w: jax.Array
    sums: jax.Array
    start: jax.Array
    last_own: jax.Array
    last_other: jax.Array
    rounds: jax.Array


def _logit(p: jax.Array) -> jax.Array:
    p = jnp.clip(p, MODEL_CLIP, 1.0 - MODEL_CLIP)
    return jnp.log(p) - jnp.log1p(-p)


def opponent_model(
    sums: jax.Array, start: jax.Array, rounds: jax.Array, prior: float | jax.Array = 1.0
) -> jax.Array:
    """The co-player's modelled reactive logits ``(θ̂_start, θ̂_D, θ̂_C)`` (ridge fit)."""
    n, sx, sxx, sy, sxy = sums
    # (XᵀWX + λI)(c, d) = XᵀWy + λ(½, 0)
    a, b, d_ = n + prior, sx, sxx + prior
    rhs_c, rhs_d = sy + prior * 0.5, sxy
    det = a * d_ - b * b
    intercept = (d_ * rhs_c - b * rhs_d) / det
    slope = (a * rhs_d - b * rhs_c) / det
    first = jnp.where(rounds > 0, (start + 0.5) / 2, 0.5)
    return jnp.stack([_logit(first), _logit(intercept), _logit(intercept + slope)])


def reactive_level(w: jax.Array, other: jax.Array) -> jax.Array:
    """``σ(θ_D) + (σ(θ_C) − σ(θ_D))·ℓ_other``."""
    p_d, p_c = jax.nn.sigmoid(w[1]), jax.nn.sigmoid(w[2])
    return p_d + (p_c - p_d) * other


def reactive_learner(
    game: Any,
    method: str = "naive",
    *,
    lr: float | jax.Array = 1.0,
    eta: float | jax.Array = 1.0,
    gamma: float = 0.96,
    forget: float | jax.Array = 0.02,
    prior: float | jax.Array = 1.0,
    explore: float | jax.Array | None = None,
    init_std: float | jax.Array = 1.0,
) -> Strategy:
    """A naive or LOLA learner of reactive strategies with an opponent model.

    Args:
        game: a game of :mod:`prosocial.games.degrees` (its ``reactive_values``).
        method: ``"naive"`` or ``"lola"``.
        lr: the learner's step size on per-round values.
        eta: LOLA's assumed co-player step size η (unused by ``naive``).
        gamma: discount of the modelled values.
        forget: the opponent model's forgetting per round, in [0, 1).
        prior: the opponent model's prior precision, in observations (> 0).
        explore: standard deviation of the learner's exploration noise on its level;
            None: 0.1 in the continuous game, 0 in the IPD.
        init_std: standard deviation of the initial logits.
    """
    if not callable(getattr(game, "reactive_values", None)):
        raise ConfigError(
            "learner.game",
            f"{game!r:.60} is not accepted; accepted: a game of prosocial.games.degrees"
            " (degree_ipd(), continuous_dilemma())",
        )
    if method not in METHODS:
        raise ConfigError(
            "learner.method", f"{method!r} is not accepted; accepted: {', '.join(METHODS)}"
        )
    for field, value, high in (
        ("learner.lr", lr, float("inf")),
        ("learner.eta", eta, float("inf")),
        ("learner.init_std", init_std, float("inf")),
        ("learner.forget", forget, 0.999),
        ("learner.gamma", gamma, 0.999),
        ("learner.prior", prior, float("inf")),
        ("learner.explore", 0.0 if explore is None else explore, 1.0),
    ):
        if isinstance(value, jax.core.Tracer):
            continue
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (ok and math.isfinite(value) and 0 <= value <= high):
            raise ConfigError(
                field,
                f"{value!r} is not accepted; accepted: a "
                + ("finite number >= 0" if math.isinf(high) else f"number in [0, {high:g}]"),
            )
    if not isinstance(prior, jax.core.Tracer) and prior == 0:
        raise ConfigError("learner.prior", "0 is not accepted; accepted: a number > 0")
    if explore is None:
        explore = 0.1 if game.kind == "continuous" else 0.0
    adjustment = (
        ADJUSTMENTS.make("lola", lr=eta) if method == "lola" else ADJUSTMENTS.make("simul_ind")
    )

    def losses(W: jax.Array) -> jax.Array:
        return -game.reactive_values(W, gamma)

    def init(key: jax.Array) -> LearnerState:
        zero = jnp.zeros((), F32)
        w = (init_std * jax.random.normal(key, (3,))).astype(F32)
        return LearnerState(w, jnp.zeros((5,), F32), zero, zero, zero, jnp.zeros((), jnp.int32))

    def act(state: LearnerState, key: jax.Array) -> jax.Array:
        first = jax.nn.sigmoid(state.w[0])
        level = jnp.where(state.rounds == 0, first, reactive_level(state.w, state.last_other))
        noise = explore * jax.random.normal(key, ())
        return jnp.clip(level + noise, 0.0, 1.0).astype(F32)

    def update(state: LearnerState, obs: Observation) -> LearnerState:
        other = jnp.clip(obs.other, 0.0, 1.0).astype(F32)
        x = state.last_own
        pair = jnp.stack([jnp.ones((), F32), x, x * x, other, x * other])
        learned = state.rounds > 0
        sums = jnp.where(learned, (1.0 - forget) * state.sums + pair, state.sums)
        start = jnp.where(learned, state.start, other)
        model = opponent_model(sums, start, state.rounds + 1, prior)
        W = jnp.stack([state.w, model])
        direction, _ = adjustment.update(losses, W, adjustment.init(W))
        w = jnp.where(learned, state.w - lr * direction[0], state.w)
        own = jnp.clip(obs.own, 0.0, 1.0).astype(F32)
        return LearnerState(w.astype(F32), sums.astype(F32), start, own, other, state.rounds + 1)

    return Strategy(init, act, update, no_probe)


def naive_learner(game: Any, **options: Any) -> Strategy:
    """Naive gradient ascent on its own modelled value (:func:`reactive_learner`)."""
    return reactive_learner(game, "naive", **options)


def lola_learner(game: Any, **options: Any) -> Strategy:
    """LOLA with opponent modelling (:func:`reactive_learner`)."""
    return reactive_learner(game, "lola", **options)
