"""Per-agent learning rules as bundles of pure functions.

* :mod:`prosocial.learners.binary`: single-logit learners of one-shot binary games
  (``LEARNERS``);
* :mod:`prosocial.learners.a2c`, :mod:`prosocial.learners.ppo`,
  :mod:`prosocial.learners.influence`: deep actor-critic learners of sequential games over
  flax networks (``DEEP_LEARNERS``; ``influence`` adds the social-influence reward of a
  model of the other agents to A2C), with their shared parts in
  :mod:`prosocial.learners.deep`, the networks in :mod:`prosocial.learners.networks` and
  rollouts in :mod:`prosocial.learners.play`;
* :mod:`prosocial.learners.lio`: LIO's incentive-giving learners (``DEEP_LEARNERS``
  ``lio``) and :mod:`prosocial.learners.amd`: adaptive mechanism design's planner
  network (``amd``), both built on the differentiable look-ahead of
  :mod:`prosocial.learners.lookahead` through the learners of
  :mod:`prosocial.learners.recipients`; :mod:`prosocial.learners.amd_authors`: the planner
  and online learners of the authors' Coin Game code (``amd_authors``);
* :mod:`prosocial.learners.adjusted`: PPO whose policy step is a joint-gradient
  adjustment of :mod:`prosocial.adjust` (``adjusted_ppo``: AgA and its baselines on
  networks);
* :mod:`prosocial.learners.lase`: LASE's empathy-based gifting (``lase``): A2C on rewards
  redistributed by counterfactual social relationships.
"""

from prosocial.learners import a2c, adjusted, amd, amd_authors, influence, lase, lio, ppo
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
    "adjusted",
    "amd",
    "amd_authors",
    "critic_input",
    "exact_gradient",
    "influence",
    "init_critics",
    "lase",
    "lio",
    "make_network",
    "pg_critic",
    "ppo",
    "score",
]
