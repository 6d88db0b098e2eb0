"""The games of LASE's experiments: the four of the paper's main figure (prosocial's
registered maps), LASE's own Cleanup and the extended Cleanup and snowdrift, as
:class:`~prosocial.experiments.ssd.tables.Game` rows (an environment and its options)."""

from __future__ import annotations

from prosocial.experiments.ssd.tables import GAMES as SSD_GAMES
from prosocial.experiments.ssd.tables import Game

GAMES = {g: SSD_GAMES[g] for g in ("coin_game", "cleanup_small", "stag_hunt", "snowdrift")}
CHOICES = {
    **GAMES,
    "cleanup_lase": Game(
        "Cleanup, LASE's 8×8 map (4 players)",
        "cleanup_lase",
        None,
        "cleanup/waste_cleaned",
        "waste cleaned",
    ),
    "cleanup_lase_extn": Game(
        "Cleanup, extended (6 players, 12×12)",
        "cleanup_lase",
        (
            "num_agents=6",
            "height=12",
            "width=12",
            "waste_rows=3",
            "apple_rows=3",
            "initial_waste=16",
            "max_waste=16",
            "view_radius=3",
            "max_steps=150",
        ),
        "cleanup/waste_cleaned",
        "waste cleaned",
    ),
    "snowdrift_extn": Game(
        "Snowdrift, extended (6 players, 12×12)",
        "snowdrift",
        (
            "num_agents=6",
            "height=12",
            "width=12",
            "num_drifts=12",
            "view_radius=3",
            "max_steps=100",
        ),
        "snowdrift/drifts",
        "drifts removed",
    ),
}
"""The default games; LASE's own Cleanup (its development code's) and the extended
Cleanup and snowdrift as choices. The paper's extended maps (its appendix) are larger,
with more players, a wider view, more initial waste or drifts and longer episodes; their
numbers were not available to us, so these are ours: 6 players on 12×12, a view of
radius 3 (7×7), twice the waste or drifts, episodes 1.5× (Cleanup) and 2× (snowdrift)
as long."""
EXTENDED = ("cleanup_lase_extn", "snowdrift_extn")
EXTENDED_METHODS = ("lase", "ia", "lio", "si", "a2c")
"""The paper's table of the extended games: total reward of LASE, IA, LIO, SI and A2C."""
