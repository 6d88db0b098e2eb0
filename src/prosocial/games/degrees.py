"""Two-player dilemmas played with *degrees of cooperation* (thesis, chapter 5).

An agent with degree of cooperation α ∈ [0, 1] maximises V_i + α·V_j (thesis §5.2: the
combination α·W + (1 − α)·V_i with W = V_1 + V_2). In a 2×2 dilemma or a linear public
goods game the α-best response is a step: cooperate iff α exceeds a threshold, so the
co-player's β could only be placed above or below that threshold. The two games here
make the response *graded*, so that β can be read back from behaviour:

:class:`DegreeIPD`, the iterated Prisoner's Dilemma with entropy-regularised α-policies.
The payoffs must have *equal gains from switching*, T − R = P − S (the donation game,
shifted: cooperating costs c = P − S and gives the co-player b = T − P, so R = P + b − c,
S = P − c, T = P + b). Then the advantage of C over D in the α-weighted stage payoff,

    Q_C − Q_D = q·(R − T + α(R − S)) + (1 − q)·(S − P + α(T − P)) = α·b − c,

does not depend on the co-player's cooperation probability q, and the policy that
maximises E[r_i + α r_j] + κ·H(π) over stationary policies (entropy H, temperature κ) is
exactly

    π_α(C) = σ((α·b − c)/κ),                          (threshold α = c/b = 1/3 here)

whatever the co-player does. (Against a stationary co-player each round is independent,
so the same policy maximises the discounted V_i + α·V_j.) The per-round value of an
α-player against a β-player is V(α, β) = P + b·π_β(C) − c·π_α(C): increasing in β,
decreasing in α, as §5.2 asks. Defaults: Table 4.1's Prisoner's Dilemma R = 3, P = 1,
T = 4, S = 0 (b = 3, c = 1) and κ = 0.2.

:class:`ContinuousDilemma`, a continuous donation game with interior best responses:
actions a_i ∈ [0, 1] and rewards

    r_i = B·a_j − (C/2)·a_i²,        0 < B ≤ C.

a_i = 0 is dominant (the Nash equilibrium); the social optimum is a* = B/C; maximising
r_i + α r_j gives a_i(α) = α·B/C = α·a*, so the *level of cooperation* a_i / a* equals α.
Optional action noise σ (a "trembling hand"): the executed action is a_i + σ·ξ, ξ ~ N(0, 1),
unclipped (so that its mean is the intended action), and it is what the co-player
observes and what the rewards are computed from. Then V(α, β) = B·a*·β − (C/2)·(α²a*² + σ²).
Defaults: B = C = 1 (a* = 1), σ = 0.

Both games speak in *levels* ℓ ∈ [0, 1], a player's degree of cooperation in one round:
the probability of C in the IPD, the fraction a / a* of the optimal contribution in the
continuous game. ``policy(α)`` is the α-level, ``sample`` turns two levels into executed
actions, ``level_of`` reads levels back from executed actions (observed levels may leave
[0, 1] under noise), ``value(α, β)`` is the exact expected per-round reward and
``log_likelihood`` the probability of an observed level under β (thesis eq. 5.1's
P(a | β)). ``reactive_values`` gives the exact (IPD: linear solve; continuous: an
unrolled expected trajectory with a geometric tail) per-round discounted values of two
*reactive* strategies w = (θ_start, θ_D, θ_C): level σ(θ_start) in the first round,
then p_D + (p_C − p_D)·ℓ_other with p_D = σ(θ_D), p_C = σ(θ_C) and ℓ_other the
co-player's last level (Nowak & Sigmund's reactive strategies (y, p, q) in the IPD, where
ℓ_other is 0 or 1; in the continuous game the same rule read as an expected level); the
learners of :mod:`prosocial.strategies` optimise it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.errors import ConfigError, InvalidGameError
from prosocial.games.continuous import concrete_scalar as _concrete
from prosocial.games.iterated import memory_one_values
from prosocial.games.matrix import check_social_dilemma
from prosocial.registry import Registry

GAMMA = 0.96
"""Default discount of the reactive strategies' values (the LOLA paper's γ)."""
HORIZON = 100
"""Rounds unrolled by :meth:`ContinuousDilemma.reactive_values` before the geometric tail."""


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _positive(field: str, value, *, strict: bool = True) -> None:
    x = _concrete(value)
    if x is None:
        return
    ok = math.isfinite(x) and x <= _FLOAT32_MAX and (x > 0 if strict else x >= 0)
    if not ok:
        bound = "> 0" if strict else ">= 0"
        raise ConfigError(field, f"{value!r} is not accepted; accepted: a finite number {bound}")


class DegreeIPD(NamedTuple):
    """The iterated Prisoner's Dilemma with α-policies ``σ((α b − c)/κ)``; see the module."""

    R: float = 3.0
    P: float = 1.0
    T: float = 4.0
    S: float = 0.0
    temperature: float = 0.2

    kind = "ipd"

    @property
    def benefit(self):
        """b = T − P: what cooperating gives the co-player."""
        return self.T - self.P

    @property
    def cost(self):
        """c = P − S: what cooperating costs the cooperator."""
        return self.P - self.S

    @property
    def threshold(self):
        """The degree c/b above which an α-player cooperates more often than not."""
        return self.cost / self.benefit

    @property
    def mutual_cooperation(self):
        return self.R

    @property
    def mutual_defection(self):
        return self.P

    @property
    def max_welfare(self):
        return 2 * self.R

    @property
    def aspiration(self):
        """Win-stay-lose-shift's line between a win (R, T) and a loss (P, S)."""
        return (self.R + self.P) / 2

    def payoffs(self) -> jax.Array:
        """The ``(2, 2, 2)`` payoff tensor (action 0 = C) of :mod:`prosocial.games.matrix`."""
        row = jnp.array([[self.R, self.S], [self.T, self.P]], dtype=jnp.float32)
        return jnp.stack([row, row.T])

    def policy(self, alpha: jax.Array) -> jax.Array:
        """``π_α(C) = σ((α b − c)/κ)``."""
        return jax.nn.sigmoid((alpha * self.benefit - self.cost) / self.temperature)

    def sample(self, key: jax.Array, levels: jax.Array) -> jax.Array:
        """Actions (0 = C, 1 = D) of two players who cooperate with probabilities ``levels``."""
        return (jax.random.uniform(key, jnp.shape(levels)) >= levels).astype(jnp.int32)

    def rewards(self, actions: jax.Array) -> jax.Array:
        return self.payoffs()[:, actions[0], actions[1]]

    def level_of(self, actions: jax.Array) -> jax.Array:
        """1 for C, 0 for D."""
        return 1.0 - actions.astype(jnp.float32)

    def rewards_of_levels(self, levels: jax.Array) -> jax.Array:
        """Both players' rewards from their executed levels (1 = C, 0 = D)."""
        return self.rewards((levels < 0.5).astype(jnp.int32))

    def value(self, alpha: jax.Array, beta: jax.Array) -> jax.Array:
        """``V(α, β) = P + b π_β(C) − c π_α(C)``, per round."""
        return self.P + self.benefit * self.policy(beta) - self.cost * self.policy(alpha)

    def log_likelihood(self, level: jax.Array, beta: jax.Array, min_noise: float = 0.0):
        """``log P(observed level | β)``: log π_β(C) for C (level 1), log π_β(D) for D.

        ``min_noise`` is not used (actions are observed exactly).
        """
        del min_noise
        z = (beta * self.benefit - self.cost) / self.temperature
        return jnp.where(level > 0.5, jax.nn.log_sigmoid(z), jax.nn.log_sigmoid(-z))

    def reactive_values(self, w: jax.Array, gamma: float | jax.Array = GAMMA) -> jax.Array:
        """Per-round discounted values ``(1 − γ) V`` of two reactive strategies ``w (2, 3)``.

        A reactive strategy is the memory-one strategy whose P(C) depends on the
        co-player's last action only; the exact value is the linear solve of
        :func:`prosocial.games.memory_one_values`.
        """
        start, after_d, after_c = w[:, 0], w[:, 1], w[:, 2]
        # own-perspective states start, CC, CD, DC, DD: the second letter is the co-player's
        logits = jnp.stack([start, after_c, after_d, after_c, after_d], axis=1)
        return (1 - gamma) * memory_one_values(logits, self.payoffs(), gamma)


class ContinuousDilemma(NamedTuple):
    """``r_i = B a_j − (C/2) a_i²`` with α-actions ``α B / C`` and action noise σ."""

    benefit: float = 1.0
    cost: float = 1.0
    noise: float = 0.0

    kind = "continuous"

    @property
    def optimum(self):
        """a* = B/C, the socially optimal contribution (level 1)."""
        return self.benefit / self.cost

    @property
    def threshold(self):
        return 0.0

    def _expected(self, own: jax.Array, other: jax.Array) -> jax.Array:
        """Expected reward of levels ``own`` against ``other`` under the action noise."""
        a_own, a_other = own * self.optimum, other * self.optimum
        return self.benefit * a_other - self.cost / 2 * (a_own**2 + self.noise**2)

    @property
    def mutual_cooperation(self):
        return self._expected(1.0, 1.0)

    @property
    def mutual_defection(self):
        return self._expected(0.0, 0.0)

    @property
    def max_welfare(self):
        return 2 * self.mutual_cooperation

    @property
    def aspiration(self):
        return (self.mutual_cooperation + self.mutual_defection) / 2

    def policy(self, alpha: jax.Array) -> jax.Array:
        """The α-best response as a level: ``argmax_a r_i + α r_j = α a*``, so level α."""
        return jnp.clip(alpha, 0.0, 1.0)

    def sample(self, key: jax.Array, levels: jax.Array) -> jax.Array:
        """Executed actions ``a* ℓ + σ ξ``."""
        return levels * self.optimum + self.noise * jax.random.normal(key, jnp.shape(levels))

    def rewards(self, actions: jax.Array) -> jax.Array:
        return self.benefit * actions[::-1] - self.cost / 2 * actions**2

    def level_of(self, actions: jax.Array) -> jax.Array:
        return actions / self.optimum

    def rewards_of_levels(self, levels: jax.Array) -> jax.Array:
        """Both players' rewards from their executed levels (actions ``a* ℓ``)."""
        return self.rewards(levels * self.optimum)

    def value(self, alpha: jax.Array, beta: jax.Array) -> jax.Array:
        """``V(α, β) = B a* β − (C/2)(α² a*² + σ²)``, per round (α, β ∈ [0, 1])."""
        return self._expected(self.policy(alpha), self.policy(beta))

    def log_likelihood(self, level: jax.Array, beta: jax.Array, min_noise: float = 0.02):
        """Gaussian ``log N(ℓ; β, s²)`` up to a constant, ``s = max(σ, min_noise)/a*``.

        ``min_noise`` keeps the likelihood proper (and the grid posterior defined) when the
        actions are noiseless.
        """
        s = jnp.maximum(self.noise, min_noise) / self.optimum
        return -0.5 * ((level - self.policy(beta)) / s) ** 2

    def reactive_values(
        self, w: jax.Array, gamma: float | jax.Array = GAMMA, horizon: int = HORIZON
    ) -> jax.Array:
        """Per-round discounted values ``(1 − γ) V`` of two reactive strategies ``w (2, 3)``.

        The expected levels follow ℓ_i ← p_D + (p_C − p_D) ℓ_j deterministically (the
        action noise enters the rewards' expectation, not the levels: a simplification
        when σ > 0); ``horizon`` rounds are summed exactly and the rest as a geometric
        tail of the last round's rewards.
        """
        levels = jax.nn.sigmoid(w[:, 0])

        def step(levels, _):
            p_d, p_c = jax.nn.sigmoid(w[:, 1]), jax.nn.sigmoid(w[:, 2])
            nxt = p_d + (p_c - p_d) * levels[::-1]
            return nxt, self._expected(levels, levels[::-1])

        last, rewards = jax.lax.scan(step, levels, None, length=horizon)
        discount = gamma ** jnp.arange(horizon, dtype=jnp.float32)
        tail = gamma**horizon / (1 - gamma) * self._expected(last, last[::-1])
        return (1 - gamma) * (discount @ rewards + tail)


DegreeGame = DegreeIPD | ContinuousDilemma


def degree_ipd(
    R: float = 3.0, P: float = 1.0, T: float = 4.0, S: float = 0.0, temperature: float = 0.2
) -> DegreeIPD:
    """The IPD with α-policies; a Prisoner's Dilemma with T − R = P − S is required."""
    check_social_dilemma(R, P, T, S)  # also: finite real numbers
    if not (T > R and P > S):
        raise InvalidGameError(
            f"R={R:g}, P={P:g}, T={T:g}, S={S:g}: α-policies need a Prisoner's Dilemma"
            " (T > R and P > S)"
        )
    if not np.isclose(T - R, P - S):
        raise InvalidGameError(
            f"R={R:g}, P={P:g}, T={T:g}, S={S:g}: α-policies are exact only with equal gains"
            f" from switching, T − R = P − S (here {T - R:g} and {P - S:g})"
        )
    _positive("temperature", temperature)
    return DegreeIPD(float(R), float(P), float(T), float(S), float(temperature))


def continuous_dilemma(
    benefit: float = 1.0, cost: float = 1.0, noise: float = 0.0
) -> ContinuousDilemma:
    """``r_i = B a_j − (C/2) a_i²`` on [0, 1]; requires 0 < B ≤ C and σ ≥ 0, all finite
    in float32 (at most 3.4e38)."""
    _positive("benefit", benefit)
    _positive("noise", noise, strict=False)
    b, c = _concrete(benefit), _concrete(cost)
    if c is not None and not (math.isfinite(c) and c <= _FLOAT32_MAX):
        raise ConfigError(
            "cost", f"{cost!r} is not accepted; accepted: a finite number C >= B (float32)"
        )
    if c is not None and b is not None and not (math.isfinite(c) and c >= b):
        raise ConfigError(
            "cost",
            f"{cost!r} is not accepted; accepted: a finite number C >= B = {benefit!r}"
            " (the α-action α·B/C must stay in [0, 1])",
        )
    return ContinuousDilemma(benefit, cost, noise)


DEGREE_GAMES: Registry = Registry("degree game")
"""Games with degrees of cooperation: ``DEGREE_GAMES.make("continuous", noise=0.1)``."""
DEGREE_GAMES.register("ipd", degree_ipd)
DEGREE_GAMES.register("continuous", continuous_dilemma)
