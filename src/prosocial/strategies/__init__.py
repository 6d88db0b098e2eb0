"""Scripted strategies, conventional learners and gradual tit-for-tat (thesis chapter 5).

Every strategy is a bundle of pure functions over levels of cooperation
(:mod:`prosocial.strategies.base`), built for a game of :mod:`prosocial.games.degrees`::

    game = games.degree_ipd()
    me = STRATEGIES.make("gradual_tft", game=game, estimator="bayes", eps=0.1)
    you = STRATEGIES.make("fixed_beta", game=game, beta=0.5)
    trajectory = play_match(game, me, you, jax.random.PRNGKey(0), rounds=200)

``strategies`` imports ``games``, ``adjust`` and the base layer only. The Axelrod adapter
(:mod:`prosocial.strategies.axelrod`) imports the optional ``axelrod`` package when used.
"""

from prosocial.registry import Registry
from prosocial.strategies.base import (
    Observation,
    Strategy,
    Trajectory,
    no_probe,
    play_match,
    select,
)
from prosocial.strategies.estimators import (
    ESTIMATORS,
    Estimator,
    RewardState,
    bayes,
    beta_grid,
    beta_log_prior,
    invert_increasing,
    reward_inversion,
)
from prosocial.strategies.gradual import GradualState, gradual_tft, ledger_gtft, mirror
from prosocial.strategies.learners import (
    LearnerState,
    lola_learner,
    naive_learner,
    opponent_model,
    reactive_learner,
    reactive_level,
)
from prosocial.strategies.ledger import Ledger, guarded, payoff_ledger
from prosocial.strategies.scripted import (
    allc,
    alld,
    fixed_beta,
    generous_tft,
    grim,
    joss,
    memory_one,
    random,
    tft,
    wsls,
    zd_extort2,
    zd_extortion,
    zd_gtft2,
    zero_determinant,
    zero_determinant_vector,
)

STRATEGIES: Registry[Strategy] = Registry("strategy")
"""Named strategy factories ``(game, **options) -> Strategy``."""
STRATEGIES.register("allc", allc)
STRATEGIES.register("alld", alld)
STRATEGIES.register("random", random)
STRATEGIES.register("tft", tft)
STRATEGIES.register("generous_tft", generous_tft)
STRATEGIES.register("grim", grim)
STRATEGIES.register("wsls", wsls)
STRATEGIES.register("fixed_beta", fixed_beta)
STRATEGIES.register("memory_one", memory_one)
STRATEGIES.register("joss", joss)
STRATEGIES.register("zero_determinant", zero_determinant)
STRATEGIES.register("zd_extort2", zd_extort2)
STRATEGIES.register("zd_extortion", zd_extortion)
STRATEGIES.register("zd_gtft2", zd_gtft2)
STRATEGIES.register("gradual_tft", gradual_tft)
STRATEGIES.register("ledger_gtft", ledger_gtft)
STRATEGIES.register("naive_learner", naive_learner)
STRATEGIES.register("lola_learner", lola_learner)

__all__ = [
    "ESTIMATORS",
    "STRATEGIES",
    "Estimator",
    "GradualState",
    "LearnerState",
    "Ledger",
    "Observation",
    "RewardState",
    "Strategy",
    "Trajectory",
    "allc",
    "alld",
    "bayes",
    "beta_grid",
    "beta_log_prior",
    "fixed_beta",
    "generous_tft",
    "gradual_tft",
    "grim",
    "guarded",
    "invert_increasing",
    "joss",
    "ledger_gtft",
    "lola_learner",
    "memory_one",
    "mirror",
    "naive_learner",
    "no_probe",
    "opponent_model",
    "payoff_ledger",
    "play_match",
    "random",
    "reactive_learner",
    "reactive_level",
    "reward_inversion",
    "select",
    "tft",
    "wsls",
    "zd_extort2",
    "zd_extortion",
    "zd_gtft2",
    "zero_determinant",
    "zero_determinant_vector",
]
