"""Joint-gradient adjustments for differentiable games, in the style of optax.

A game is ``losses_fn(w) -> Array[n]`` over joint parameters ``w``: an ``(n, d)`` array
(player ``i`` owns row ``w[i]``) or a pytree of arrays with a leading player axis ``n``
(stacked network parameters, one set per agent). An :class:`Adjustment` turns it into a
descent direction with the structure of ``w``::

    adjustment = ADJUSTMENTS.make("aga", lam=1.0)
    opt = adjusted_optimizer(adjustment, optax.sgd(0.1))
    state = opt.init(w)
    w, state = opt.step(losses_fn, w, state)

``adjust`` imports only the base layer of prosocial (errors, registry).
"""

from prosocial.adjust.aga import aga, aga_fixed_sign, aga_sign
from prosocial.adjust.base import (
    Access,
    AdjustedOptimizer,
    AdjustedState,
    Adjustment,
    LossesFn,
    SeparableGame,
    adjusted_optimizer,
)
from prosocial.adjust.cga import cga
from prosocial.adjust.derivatives import (
    collective_gradient,
    collective_hvp,
    game_hvp,
    game_hvp_transpose,
    individual_gradient,
    jacobian,
)
from prosocial.adjust.lola import lola, shaping_term
from prosocial.adjust.sga import sga
from prosocial.adjust.simul_co import simul_co
from prosocial.adjust.simul_ind import simul_ind
from prosocial.adjust.sl import sl, sl_losses
from prosocial.adjust.sos import lookahead_term, sos
from prosocial.adjust.svo import reward_angle, svo, svo_losses
from prosocial.registry import Registry

ADJUSTMENTS: Registry = Registry("adjustment")
"""Named adjustment factories: ``ADJUSTMENTS.make("sos", lr=1.0)``."""

COEFFICIENT = {
    "simul_ind": None,
    "simul_co": None,
    "cga": "lam",
    "sga": "lam",
    "svo": "angle",
    "sl": "alpha",
    "aga": "lam",
    "aga_fixed_sign": "lam",
    "lola": "lr",
    "sos": "lr",
}
"""Each adjustment's own coefficient (the keyword of its factory), or None: what a sweep
over "the method's coefficient" varies."""
ADJUSTMENTS.register("simul_ind", simul_ind)
ADJUSTMENTS.register("simul_co", simul_co)
ADJUSTMENTS.register("sl", sl)
ADJUSTMENTS.register("svo", svo)
ADJUSTMENTS.register("cga", cga)
ADJUSTMENTS.register("sga", sga)
ADJUSTMENTS.register("lola", lola)
ADJUSTMENTS.register("sos", sos)
ADJUSTMENTS.register("aga", aga)
ADJUSTMENTS.register("aga_fixed_sign", aga_fixed_sign)

__all__ = [
    "ADJUSTMENTS",
    "COEFFICIENT",
    "Access",
    "AdjustedOptimizer",
    "AdjustedState",
    "Adjustment",
    "LossesFn",
    "SeparableGame",
    "adjusted_optimizer",
    "aga",
    "aga_fixed_sign",
    "aga_sign",
    "cga",
    "collective_gradient",
    "collective_hvp",
    "game_hvp",
    "game_hvp_transpose",
    "individual_gradient",
    "jacobian",
    "lola",
    "lookahead_term",
    "reward_angle",
    "sga",
    "shaping_term",
    "simul_co",
    "simul_ind",
    "sl",
    "sl_losses",
    "sos",
    "svo",
    "svo_losses",
]
