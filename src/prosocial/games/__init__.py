"""Exact, differentiable games.

``games`` imports nothing of prosocial but the base layer (:mod:`prosocial.errors`,
:mod:`prosocial.registry`).
"""

from prosocial.games.continuous import (
    AGA_TOY_VARIANTS,
    aga_toy_game,
    check_public_goods,
    matrix_game_losses,
    public_goods_contributions,
    public_goods_game,
    public_goods_payoffs,
)
from prosocial.games.degrees import (
    DEGREE_GAMES,
    ContinuousDilemma,
    DegreeGame,
    DegreeIPD,
    continuous_dilemma,
    degree_ipd,
)
from prosocial.games.iterated import (
    CC,
    CD,
    DC,
    DD,
    LOLA_GAMMA,
    PERSPECTIVE_SWAP,
    START,
    STATE_NAMES,
    average_reward,
    lola_payoffs,
    memory_one_chain,
    memory_one_game,
    memory_one_rollout,
    memory_one_values,
    swap_perspective,
)
from prosocial.games.matrix import (
    COOPERATE,
    DEFECT,
    TABLE_4_1,
    binary_policies,
    check_social_dilemma,
    chicken,
    expected_payoffs,
    greed_and_fear,
    joint_actions,
    matrix_game,
    n_player_dilemma,
    payoff_of,
    prisoners_dilemma,
    social_dilemma,
    stag_hunt,
    validate_payoffs,
    values_from_logits,
)
from prosocial.registry import Registry

MATRIX_GAMES: Registry = Registry("game")
"""Named payoff-tensor constructors: ``MATRIX_GAMES.make("stag_hunt")``."""
MATRIX_GAMES.register("prisoners_dilemma", prisoners_dilemma)
MATRIX_GAMES.register("chicken", chicken)
MATRIX_GAMES.register("stag_hunt", stag_hunt)
MATRIX_GAMES.register("social_dilemma", social_dilemma)
MATRIX_GAMES.register("n_player_dilemma", n_player_dilemma)

__all__ = [
    "AGA_TOY_VARIANTS",
    "CC",
    "CD",
    "COOPERATE",
    "DC",
    "DD",
    "DEFECT",
    "DEGREE_GAMES",
    "LOLA_GAMMA",
    "MATRIX_GAMES",
    "PERSPECTIVE_SWAP",
    "START",
    "STATE_NAMES",
    "TABLE_4_1",
    "ContinuousDilemma",
    "DegreeGame",
    "DegreeIPD",
    "aga_toy_game",
    "average_reward",
    "binary_policies",
    "check_public_goods",
    "check_social_dilemma",
    "chicken",
    "continuous_dilemma",
    "degree_ipd",
    "expected_payoffs",
    "greed_and_fear",
    "joint_actions",
    "lola_payoffs",
    "matrix_game",
    "matrix_game_losses",
    "memory_one_chain",
    "memory_one_game",
    "memory_one_rollout",
    "memory_one_values",
    "n_player_dilemma",
    "payoff_of",
    "prisoners_dilemma",
    "public_goods_contributions",
    "public_goods_game",
    "public_goods_payoffs",
    "social_dilemma",
    "stag_hunt",
    "swap_perspective",
    "validate_payoffs",
    "values_from_logits",
]
