"""Adaptive mechanism design (thesis chapter 4): the training program and its presets."""

from prosocial.experiments.amd.cell import AMDConfig
from prosocial.experiments.amd.program import RunState, train

__all__ = ["AMDConfig", "RunState", "train"]
