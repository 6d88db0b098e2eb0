"""prosocial: learning cooperation in mixed-motive games, in JAX.

The public surface is a set of subpackages, imported on first use (PEP 562), so that
``import prosocial`` itself is cheap and imports no JAX:

* :mod:`prosocial.games`: normal-form games and the matrix-game social dilemmas;
* :mod:`prosocial.envs`: the sequential social dilemmas and their wrappers;
* :mod:`prosocial.metrics`: the social outcome metrics and episode statistics;
* :mod:`prosocial.learners`: the learning rules;
* :mod:`prosocial.adjust`: the gradient and reward adjustments;
* :mod:`prosocial.planner`: the mechanism-design planner;
* :mod:`prosocial.strategies`: scripted strategies, gradual tit-for-tat, estimators;
* :mod:`prosocial.experiments`: the experiment presets;
* :mod:`prosocial.errors`: the errors prosocial raises on bad input.

>>> import prosocial
>>> prosocial.errors.ConfigError.__name__
'ConfigError'
"""

import importlib as _importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "adjust",
    "envs",
    "errors",
    "experiments",
    "games",
    "learners",
    "metrics",
    "planner",
    "strategies",
)

__all__ = list(_SUBMODULES)


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = _importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module  # later look-ups skip this function
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
