"""Sequential games as pure, vectorisable functions (see :mod:`prosocial.envs.core`).

>>> import jax
>>> from prosocial import envs
>>> env = envs.make("coin_game")
>>> obs, state = env.reset(jax.random.PRNGKey(0))
>>> obs.shape
(2, 3, 3, 4)
"""

from __future__ import annotations

import importlib
from functools import cache

from prosocial.envs.core import ENVS, Box, Discrete, Environment, make, names

__all__ = ["ENVS", "Box", "Discrete", "Environment", "make", "names"]

_GAME_MODULES = (
    "coin_game",
    "stag_hunt",
    "snowdrift",
    "matrix_game",
    "cleanup",
    "harvest",
    "cleanup_lase",
    "smax",
)


@cache
def _load_all() -> None:
    """Import every game module once, which registers its environments."""
    for module in _GAME_MODULES:
        importlib.import_module(f"prosocial.envs.{module}")
