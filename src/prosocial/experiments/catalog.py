"""Every preset of prosocial, registered on first use (nothing is done at import)."""

from __future__ import annotations

from functools import cache

from prosocial.experiments.presets import PRESETS
from prosocial.registry import Registry


@cache
def presets() -> Registry:
    """The preset registry, filled once."""
    from prosocial.experiments import aga_presets, amd_presets, gradual_tft_presets

    amd_presets.register_all()
    aga_presets.register_all()
    gradual_tft_presets.register_all()
    return PRESETS
