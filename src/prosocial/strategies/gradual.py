"""Gradual tit-for-tat: mirror the co-player's estimated degree of cooperation
(thesis chapter 5, "Gradual Tit-for-Tat").

The agent has a degree of cooperation α and plays the α-policy of its game, the policy
that maximises V_i + α·V_j (§5.2; :meth:`prosocial.games.degrees.DegreeIPD.policy` and
:meth:`~prosocial.games.degrees.ContinuousDilemma.policy`). After each round it updates
an estimate β̂ of the co-player's degree (§5.3; :mod:`prosocial.strategies.estimators`)
and mirrors it with forgiveness ε (§5.2, "similar to forgiving variants of
Tit-for-Tat"):

    α_{t+1} = clip(β̂_t + ε, 0, 1).

The three parts are separable: ``game.policy`` (the α-conditioned policy family), an
:class:`~prosocial.strategies.estimators.Estimator` (eq. 5.1 or §5.3.2) and
:func:`mirror`. A fourth, optional part is prosocial's: a
:class:`~prosocial.strategies.ledger.Ledger` of the payoff asymmetry the agent suffers,
whose guard g ∈ [0, 1] scales the mirror down while a co-player keeps taking a surplus,

    α_{t+1} = (1 − g_t) · clip(β̂_t + ε, 0, 1),

:func:`ledger_gtft` (see :mod:`prosocial.strategies.ledger` for why a mirror of the degree
alone is exploited by zero-determinant extortioners, and the ledger's equations).

What the thesis leaves open and prosocial fixes: the first α is the
mirror of the estimator's initial β̂ (the prior mean, 0.5 under the uniform prior, or
``beta0``), so α₀ = 0.5 + ε; the reward inversion uses the agent's current α; α is
clipped to [0, 1], the range of §5.2.
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from prosocial.errors import ConfigError
from prosocial.strategies.base import Observation, Strategy
from prosocial.strategies.estimators import Estimator, bayes, reward_inversion
from prosocial.strategies.ledger import Ledger, guarded, payoff_ledger

F32 = jnp.float32
ESTIMATOR_NAMES = ("bayes", "reward")


def mirror(beta_hat: jax.Array, eps: float | jax.Array) -> jax.Array:
    """The mirror rule with forgiveness: ``α = clip(β̂ + ε, 0, 1)``."""
    return jnp.clip(beta_hat + eps, 0.0, 1.0).astype(F32)


class GradualState(NamedTuple):
    estimator: Any
    alpha: jax.Array
    beta_hat: jax.Array
    ledger: jax.Array  # the payoff ledger L (0 without one)


def gradual_tft(
    game: Any,
    estimator: str | Estimator = "bayes",
    *,
    eps: float | jax.Array = 0.1,
    ledger: Ledger | None = None,
    **options: Any,
) -> Strategy:
    """Gradual tit-for-tat on ``game`` with an estimator and forgiveness ``eps``.

    Args:
        game: a game of :mod:`prosocial.games.degrees`.
        estimator: ``"bayes"`` (eq. 5.1), ``"reward"`` (§5.3.2), or an
            :class:`Estimator`; ``options`` go to the named estimator's factory.
        eps: forgiveness ε in [0, 1].
        ledger: a payoff :class:`~prosocial.strategies.ledger.Ledger` whose guard scales
            the mirror down (``None``: the thesis' gradual TFT).

    The probe is ``[α, β̂]`` after the round's update.
    """
    if not callable(getattr(game, "value", None)):
        raise ConfigError(
            "gradual_tft.game",
            f"{game!r:.60} is not accepted; accepted: a game of prosocial.games.degrees",
        )
    if not isinstance(estimator, str | Estimator):
        raise ConfigError(
            "gradual_tft.estimator",
            f"{estimator!r} is not accepted; accepted: {', '.join(ESTIMATOR_NAMES)}"
            " or an Estimator",
        )
    if isinstance(estimator, str):
        if estimator not in ESTIMATOR_NAMES:
            raise ConfigError(
                "gradual_tft.estimator",
                f"{estimator!r} is not accepted; accepted: {', '.join(ESTIMATOR_NAMES)}",
            )
        factory = bayes if estimator == "bayes" else reward_inversion
        accepted = [p for p in inspect.signature(factory).parameters if p != "game"]
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            raise ConfigError(
                "gradual_tft.options",
                f"{unknown} are not options of the {estimator!r} estimator; accepted:"
                f" {', '.join(accepted)}",
            )
        estimator = factory(game, **options)
    elif options:
        raise ConfigError("gradual_tft.options", f"{sorted(options)}: only with a named estimator")
    if ledger is not None and not isinstance(ledger, Ledger):
        raise ConfigError(
            "gradual_tft.ledger", f"{ledger!r:.60} is not accepted; accepted: a Ledger or None"
        )
    if not isinstance(eps, jax.core.Tracer) and not (
        isinstance(eps, (int, float)) and not isinstance(eps, bool) and 0 <= eps <= 1
    ):
        raise ConfigError(
            "gradual_tft.eps", f"{eps!r} is not accepted; accepted: a number in [0, 1]"
        )

    def init(key: jax.Array) -> GradualState:
        del key
        state = estimator.init()
        beta_hat = jnp.asarray(estimator.estimate(state, jnp.ones((), F32)), F32)
        book = jnp.zeros((), F32) if ledger is None else ledger.init()
        return GradualState(state, mirror(beta_hat, eps), beta_hat, book)

    def act(state: GradualState, key: jax.Array) -> jax.Array:
        del key
        return jnp.asarray(game.policy(state.alpha), F32)

    def update(state: GradualState, obs: Observation) -> GradualState:
        est = estimator.update(state.estimator, obs, state.alpha)
        beta_hat = jnp.asarray(estimator.estimate(est, state.alpha), F32)
        alpha = mirror(beta_hat, eps)
        if ledger is None:
            return GradualState(est, alpha, beta_hat, state.ledger)
        book = ledger.update(state.ledger, obs)
        return GradualState(est, guarded(alpha, ledger.guard(book)), beta_hat, book)

    def probe(state: GradualState) -> jax.Array:
        return jnp.stack([state.alpha, state.beta_hat])

    return Strategy(init, act, update, probe)


def ledger_gtft(
    game: Any,
    estimator: str | Estimator = "bayes",
    *,
    eps: float | jax.Array = 0.1,
    tolerance: float | jax.Array = 2.5,
    width: float | jax.Array = 1.0,
    leak: float | jax.Array = 0.005,
    **options: Any,
) -> Strategy:
    """Gradual TFT guarded by a payoff ledger: :func:`gradual_tft` with
    :func:`~prosocial.strategies.ledger.payoff_ledger` (tolerance δ, width w, leak ρ in
    units of the game's cooperation–defection gap), ``α = (1 − g) · clip(β̂ + ε, 0, 1)``.
    """
    book = payoff_ledger(game, tolerance=tolerance, width=width, leak=leak)
    return gradual_tft(game, estimator, eps=eps, ledger=book, **options)
