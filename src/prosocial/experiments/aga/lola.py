"""The ``aga-lola-ipd`` preset as data: LOLA and naive learners in the exact IPD.

The cells are runs of ``PROGRAMS["ipd_lola"]`` (:mod:`prosocial.experiments.aga.ipd`), one
per pairing; the bars are those of Foerster et al. (AAMAS 2018): LOLA pairs end near mutual
cooperation, naive pairs near mutual defection.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from prosocial.experiments import finals as fin
from prosocial.experiments.aga.ipd import IPDConfig
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.spec import Bar, Cell, Column, Table
from prosocial.games import STATE_NAMES

PAIRINGS = MappingProxyType(
    {"lola-lola": (True, True), "naive-naive": (False, False), "lola-naive": (True, False)}
)
MUTUAL = MappingProxyType({"cooperation": -1.0, "defection": -2.0})


@dataclass(frozen=True)
class LolaIPDConfig(Config):
    """LOLA and naive learners in the exact IPD (Foerster et al. 2018's defaults)."""

    pairings: tuple[str, ...] = option(tuple(PAIRINGS), "pairings to run", choices=tuple(PAIRINGS))
    seeds: int = seeds_option(10, "random initialisations per pairing")
    seed: int = seed_option()
    steps: int = option(200, "learning steps", low=1, high=10**5)
    lr: float = option(1.0, "the players' step size", low=0.0, strict=True, high=100.0)
    eta: float = option(1.0, "LOLA's assumed opponent step size η", low=0.0, high=100.0)
    init_std: float = option(1.0, "standard deviation of the initial logits", low=0.0, high=100.0)
    gamma: float = option(0.96, "the discount", low=0.0, high=0.999)
    log_every: int = option(10, "steps between logged rows", low=1, high=10**5)

    def check(self) -> None:
        check_log_every(self, "steps")


def cells(cfg: LolaIPDConfig) -> list[Cell]:
    shared = {
        k: getattr(cfg, k)
        for k in ("seeds", "seed", "steps", "lr", "eta", "init_std", "gamma", "log_every")
    }
    return [
        Cell(
            p,
            IPDConfig(lola=PAIRINGS[p], **shared),
            {
                "pairing": p,
                **{f"learner{i + 1}": "LOLA" if PAIRINGS[p][i] else "naive" for i in range(2)},
            },
        )
        for p in cfg.pairings
    ]


def _gap(level: float):
    """Per seed: how far the players' mean final average reward is from ``level``."""
    return lambda d: np.abs(np.asarray(d.metrics["payoff/average_reward"])[:, -1].mean(-1) - level)


def _policy(player: int, state: int):
    """Per seed, the player's final P(C) in one state of its own perspective."""
    return lambda d: np.asarray(d.metrics["policy/p_coop"])[:, -1, player, state]


FINALS = MappingProxyType(
    {
        **{f"v{i + 1}": fin.last("payoff/average_reward", i) for i in range(2)},
        **{f"p{i + 1}_{s}": _policy(i, k) for i in range(2) for k, s in enumerate(STATE_NAMES)},
        "gap_cooperation": _gap(MUTUAL["cooperation"]),
        "gap_defection": _gap(MUTUAL["defection"]),
    }
)


def tables(cfg: LolaIPDConfig):
    bars = tuple(
        Bar(
            f"{p}: every seed's average reward within 0.1 of mutual {level} ({MUTUAL[level]:g})",
            p,
            f"gap_{level}",
            "<=",
            0.1,
            "max",
        )
        for p, level in (("lola-lola", "cooperation"), ("naive-naive", "defection"))
        if p in cfg.pairings
    )
    intro = (
        f"Memory-one policies (5 logits, θ ~ N(0, {cfg.init_std:g}²)), γ = {cfg.gamma:g},"
        f" {cfg.steps} plain gradient steps of size {cfg.lr:g} on the total discounted "
        f"value, LOLA's η = {cfg.eta:g}; {cfg.seeds} seeds. Average reward per step "
        "(1 − γ)V: mutual cooperation −1, mutual defection −2. Policies in each player's"
        " own perspective (CD = I cooperated, the other defected); tit-for-tat is "
        "1, 1, 0, 1, 0. Mean ± std over seeds."
    )
    return [
        Table(
            f"LOLA against naive learners, exact IPD: player {i + 1}",
            rows=("pairing", f"learner{i + 1}"),
            columns=(
                Column(f"v{i + 1}", "(1 − γ)V", 3),
                *(Column(f"p{i + 1}_{s}", f"P(C | {s})", 2, "mean") for s in STATE_NAMES),
            ),
            intro=intro if i == 0 else "",
            bars=bars if i == 1 else (),
        )
        for i in range(2)
    ]
