"""Per-agent learning rules as bundles of pure functions.

* :mod:`prosocial.learners.binary`: single-logit learners of one-shot binary games
  (``LEARNERS``);
* :mod:`prosocial.learners.a2c`, :mod:`prosocial.learners.ppo`: deep actor-critic learners
  of sequential games over flax networks (``DEEP_LEARNERS``), with their shared parts in
  :mod:`prosocial.learners.deep`, the networks in :mod:`prosocial.learners.networks` and
  rollouts in :mod:`prosocial.learners.play`.
"""

from prosocial.learners import a2c, ppo
from prosocial.learners.binary import (
    LEARNERS,
    BinaryLearner,
    LearnerState,
    Transition,
    critic_input,
    exact_gradient,
    init_critics,
    pg_critic,
    score,
)
from prosocial.learners.deep import DEEP_LEARNERS, DeepLearner, Rollout
from prosocial.learners.networks import NetworkConfig, make_network

__all__ = [
    "DEEP_LEARNERS",
    "LEARNERS",
    "BinaryLearner",
    "DeepLearner",
    "LearnerState",
    "NetworkConfig",
    "Rollout",
    "Transition",
    "a2c",
    "critic_input",
    "exact_gradient",
    "init_critics",
    "make_network",
    "pg_critic",
    "ppo",
    "score",
]
