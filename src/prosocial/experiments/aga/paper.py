"""The AgA seed's numbers, and the names and labels its tables print.

Source: Y. Li et al., *Aligning Individual and Collective Objectives in Multi-Agent
Cooperation* (NeurIPS 2024, arXiv 2402.12416), as given in its project page: the two-player
public goods table (mean and 95% CI over 50 runs) and the toy-game comparison of AgA with
AgA-Sign.
"""

from __future__ import annotations

from types import MappingProxyType

from prosocial.experiments.aga.program import COEFFICIENT

TITLES = MappingProxyType(
    {
        "simul_ind": "Simul-Ind",
        "cga": "CGA",
        "sga": "SGA",
        "svo": "SVO",
        "simul_co": "Simul-Co",
        "sl": "SL",
        "aga": "AgA",
        "aga_fixed_sign": "AgA-Sign",
        "lola": "LOLA",
        "sos": "SOS",
    }
)
SYMBOL = MappingProxyType({"lam": "λ", "alpha": "α", "angle": "θ_SVO", "lr": "η"})
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _seed(r1, r2, sw, eq):
    return MappingProxyType({"r1": r1, "r2": r2, "sw": sw, "equality": eq})


SEED_PUBLIC_GOODS = MappingProxyType(
    {
        ("simul_ind",): _seed((1.133, 0.063), (1.184, 0.065), (2.316, 0.039), (0.923, 0.014)),
        ("cga",): _seed((1.156, 0.060), (1.150, 0.057), (2.306, 0.039), (0.929, 0.012)),
        ("sga",): _seed((1.175, 0.062), (1.137, 0.063), (2.312, 0.044), (0.924, 0.013)),
        ("svo",): _seed((1.104, 0.054), (1.060, 0.051), (2.164, 0.026), (0.930, 0.011)),
        ("simul_co",): _seed((1.433, 0.056), (1.381, 0.065), (2.814, 0.033), (0.941, 0.014)),
        ("sl",): _seed((1.314, 0.062), (1.371, 0.057), (2.684, 0.049), (0.940, 0.011)),
        ("aga",): _seed((1.443, 0.042), (1.459, 0.041), (2.903, 0.023), (0.960, 0.008)),
    }
)
"""Seed 001's public goods table: (mean, 95% CI half-width) over 50 runs, b = 1, c = 1.5."""
SEED_SETTING = MappingProxyType({"n_players": 2, "endowment": 1.0, "multiplier": 1.5})
SEED_SIGN_SAVING = 0.15
"""Seed 001: AgA needs about 15% fewer steps than AgA-Sign on the toy game."""


def coef_label(method: str, value: float | None) -> str:
    param = COEFFICIENT[method]
    if param is None or value is None:
        return "–"
    return f"{SYMBOL[param]} = {value:g}" + ("°" if param == "angle" else "")


def cell_name(method: str, value: float | None) -> str:
    param = COEFFICIENT[method]
    return method if param is None or value is None else f"{method}/{param}={value:g}"
