"""Gradual tit-for-tat (thesis chapter 5): the match program and its presets."""

from prosocial.experiments.gradual_tft.program import MatchCell, build_game, roster

__all__ = ["MatchCell", "build_game", "roster"]
