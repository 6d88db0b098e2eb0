"""Social metrics with documented, namespaced keys (glossary: ``docs/metrics.md``).

Pure ``jax.numpy`` functions over trajectories (rewards ``(..., T, N)`` with done flags
and ``info``) or over the tables that the episode-statistics wrapper writes, usable
inside ``jit`` and ``vmap``:

>>> import jax.numpy as jnp
>>> from prosocial import metrics
>>> rewards = jnp.array([[1.0, 0.0], [1.0, 0.0]])  # T = 2 steps, N = 2 agents
>>> out = metrics.trajectory_metrics(rewards)
>>> float(out["social/efficiency"]), float(out["social/equality"])
(1.0, 0.5)

This package imports nothing of prosocial but :mod:`prosocial.errors`.
"""

from __future__ import annotations

from prosocial.metrics.episodes import (
    EXTRINSIC,
    MEAN_KEYS,
    TABLE_KEYS,
    episode_metrics,
    episode_summaries,
    from_episode_statistics,
    mean_over_episodes,
    trajectory_metrics,
)
from prosocial.metrics.social import (
    alpha_fair_mean,
    collective_return,
    efficiency,
    equality,
    gini,
    jain_index,
    peace,
    sustainability,
)

__all__ = [
    "EXTRINSIC",
    "MEAN_KEYS",
    "TABLE_KEYS",
    "alpha_fair_mean",
    "collective_return",
    "efficiency",
    "episode_metrics",
    "episode_summaries",
    "equality",
    "from_episode_statistics",
    "gini",
    "jain_index",
    "mean_over_episodes",
    "peace",
    "sustainability",
    "trajectory_metrics",
]
