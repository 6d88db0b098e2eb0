"""A payoff ledger: the surplus a co-player has been taking, and a guard that withholds
cooperation while it stays large (prosocial's answer to extortion of gradual TFT).

Why a mirror of the degree is not enough. A zero-determinant extortioner (Press & Dyson,
PNAS 2012; Stewart & Plotkin, PNAS 2012) enforces π_X − P = χ (π_Y − P) with χ > 1
whatever its co-player Y does: it cooperates often enough that a mirror of its degree
answers with a matching degree of cooperation, and takes its surplus from *when* it
defects (after being cooperated with). A degree estimate β̂ does not see the timing;
the payoffs do. The only reply that leaves an extortioner no surplus is π_Y → P, mutual
defection, so a guarded mirror must withhold cooperation while the extortion lasts, and
only then.

The ledger counts, in units of the game's cooperation–defection gap
G = r(C, C) − r(D, D), the surplus the co-player has taken and not paid back:

    d_t = (r_j,t − r_i,t) / G                         the round's asymmetry
    L_t = max(0, (1 − ρ) L_{t−1} + d_t),   L_0 = 0    the ledger, with leak ρ
    g_t = clip((L_t − δ) / w, 0, 1)                   the guard

and the guarded agent plays the mirror scaled down by the guard (:func:`guarded`):

    α_{t+1} = (1 − g_t) · clip(β̂_t + ε, 0, 1).

r_i and r_j are both players' rewards of the round, computed by the game from the two
executed levels (``game.rewards_of_levels``). The parts of the rule:

- **tolerance δ** (2.5): the ledger must hold more than one exploitation (T − S over G,
  2 in the IPD R=3 P=1 T=4 S=0) before the guard moves, so a lone defection, such as an
  entropy-regularised policy's chance defection, is answered by the mirror only; two in
  quick succession are not. **Width w** (1): the guard is full at L = δ + w.
- **no credit**: L is floored at 0, so surplus the agent took earlier does not buy the
  co-player a later licence to extort.
- **forgiveness when the asymmetry closes**: a co-player that cooperates while the
  guarded agent defects pays the ledger back (d = −(T − S)/G per round in the IPD) and
  the mirror returns within a round or two; mutual defection does not pay it back.
- **leak ρ** (0.005): a ledger that nobody pays back still fades, so a co-player stuck
  with the agent in mutual defection is offered cooperation again after
  log(L/δ)/ρ rounds. Against an extortioner the leak is what it can still take: about
  ρ · δ · G per round in the long run (0.025 in the IPD), plus the tolerance once.

Mutual cooperation and any symmetric outcome leave the ledger at 0, so the guard never
moves in self-play or against reciprocators, and the thesis' behaviour of gradual TFT
is kept there. Against an unconditional cooperator d ≤ 0 and the ledger stays empty.

The payoff ledger is prosocial's construction; keeping score of payoffs rather than
moves follows "consequentialist conditional cooperation" (Peysakhovich & Lerer, 2017),
which the thesis' reward estimator also adapts (§5.3.2), and the reply to extortion
follows Hilbe, Nowak & Sigmund (PNAS 2013): refuse the extortioner its surplus.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from prosocial.errors import ConfigError
from prosocial.strategies.base import Observation
from prosocial.strategies.estimators import _number

F32 = jnp.float32


class Ledger(NamedTuple):
    """``init() -> L₀``, ``update(L, observation) -> L``, ``guard(L) -> g ∈ [0, 1]``."""

    init: Callable[[], jax.Array]
    update: Callable[[jax.Array, Observation], jax.Array]
    guard: Callable[[jax.Array], jax.Array]


def payoff_ledger(
    game: Any,
    *,
    tolerance: float | jax.Array = 2.5,
    width: float | jax.Array = 1.0,
    leak: float | jax.Array = 0.005,
) -> Ledger:
    """The payoff ledger of ``game`` (see the module): tolerance δ, width w, leak ρ."""
    if not callable(getattr(game, "rewards_of_levels", None)):
        raise ConfigError(
            "ledger.game",
            f"{game!r:.60} is not accepted; accepted: a game of prosocial.games.degrees",
        )
    _number("ledger.tolerance", tolerance, 0.0, 1e6, open_low=False)
    _number("ledger.width", width, 0.0, 1e6, open_low=True)
    _number("ledger.leak", leak, 0.0, 1.0, open_low=False)
    gap = float(game.mutual_cooperation) - float(game.mutual_defection)

    def init() -> jax.Array:
        return jnp.zeros((), F32)

    def update(ledger: jax.Array, obs: Observation) -> jax.Array:
        own, other = game.rewards_of_levels(jnp.stack([obs.own, obs.other]))
        step = (other - own) / gap
        return jnp.maximum(0.0, (1.0 - leak) * ledger + step).astype(F32)

    def guard(ledger: jax.Array) -> jax.Array:
        return jnp.clip((ledger - tolerance) / width, 0.0, 1.0).astype(F32)

    return Ledger(init, update, guard)


def guarded(alpha: jax.Array, guard: jax.Array) -> jax.Array:
    """The mirror's degree scaled down by the guard: ``(1 − g) · α``."""
    return ((1.0 - guard) * alpha).astype(F32)
