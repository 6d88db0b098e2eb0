"""Gradual TFT in a round robin of the Axelrod library's classic strategies.

This preset runs no JAX program: it has no cells, and its one :class:`Analysis` plays the
tournament with the optional ``axelrod`` library (``processes=None``: no worker
processes) and returns the ranking and, for every gradual TFT variant, its payoff and
its co-player's against each opponent. Without the extra the analysis says "not run" and how
to install it, so ``prosocial reproduce gradual-tft`` runs everywhere.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from prosocial.errors import ConfigError
from prosocial.experiments.fields import Config, option
from prosocial.experiments.gradual_tft.analyses import TITLES
from prosocial.experiments.gradual_tft.program import ESTIMATOR, GRADUAL, LEDGER
from prosocial.experiments.render import markdown_table
from prosocial.experiments.spec import Figure

CLASSICS = (
    "TitForTat",
    "FirstByTidemanAndChieruzzi",
    "FirstByNydegger",
    "FirstByGrofman",
    "FirstByShubik",
    "FirstBySteinAndRapoport",
    "Grudger",
    "FirstByDavis",
    "FirstByGraaskamp",
    "FirstByDowning",
    "FirstByFeld",
    "FirstByJoss",
    "FirstByTullock",
    "FirstByAnonymous",
    "Random",
    "Gradual",
    "OriginalGradual",
    "Cooperator",
    "Defector",
    "WinStayLoseShift",
    "GTFT",
    "TitFor2Tats",
    "SuspiciousTitForTat",
    "Alternator",
    "ZDExtort2",
    "ZDExtortion",
    "ZDGTFT2",
    "SecondByTester",
)
"""Axelrod's first tournament (its 15 entrants, Joss, Grudger and Random included), both
of Axelrod's own gradual TFTs (Beaufils et al. 1997 as first implemented, and the
corrected one), the basic strategies of the Axelrod library, two zero-determinant
extortioners and a generous ZD strategy (Press & Dyson 2012; Stewart & Plotkin 2012),
and Tester from Axelrod's second tournament."""
EXTORTIONERS = ("ZDExtort2", "ZDExtortion", "FirstByJoss")
"""The opponents of the ledger's bar (payoffs within 0.1 per turn)."""
AXELROD_PAYOFFS = MappingProxyType({"r": 3, "s": 0, "t": 4, "p": 1})
"""R=3, P=1, T=4, S=0 (Table 4.1; gradual TFT's α-policies need T − R = P − S), not
Axelrod's default T = 5."""
NOT_RUN = (
    "# Gradual TFT in an Axelrod tournament\n\n**Not run**: the optional extra is missing; "
    '`pip install "prosocial[axelrod]"` (install `torch==2.13.0`, the CPU build, first) and run '
    "`prosocial run gradual-tft-axelrod`.\n"
)


@dataclass(frozen=True)
class AxelrodConfig(Config):
    """Gradual TFT (both estimators) in a round-robin tournament of the Axelrod library."""

    opponents: tuple[str, ...] = option(CLASSICS, "Axelrod strategy class names")
    variants: tuple[str, ...] = option(
        GRADUAL, "the gradual TFT variants that enter", choices=GRADUAL
    )
    turns: int = option(200, "turns per match", low=1, high=100_000)
    repetitions: int = option(5, "repetitions of each match", low=1, high=1000)
    seed: int = option(0, "the tournament's seed", low=0, high=2**31 - 1)
    noise: float = option(
        0.0, "Axelrod's action noise (probability a move is flipped)", low=0.0, high=1.0
    )
    temperature: float = option(
        0.2, "κ of gradual TFT's α-policies", low=0.0, strict=True, high=100.0
    )
    eps: float = option(0.1, "gradual TFT's forgiveness ε", low=0.0, high=1.0)
    tau: float = option(0.02, "the reward estimator's decay τ", low=0.0, strict=True, high=1.0)
    grid: int = option(101, "grid points of the Bayesian estimator", low=2, high=10_001)
    tolerance: float = option(
        2.5, "the ledger's tolerance δ (units of the C–D gap)", low=0.0, high=1000.0
    )
    width: float = option(
        1.0, "the ledger guard's width w (units of the C–D gap)", low=0.0, strict=True, high=1000.0
    )
    leak: float = option(0.005, "the ledger's leak ρ per round", low=0.0, high=1.0)


def installed() -> bool:
    return importlib.util.find_spec("axelrod") is not None


def play(cfg: AxelrodConfig) -> dict:
    """Play the tournament and read its results."""
    import axelrod as axl

    from prosocial.strategies.axelrod import player

    unknown = [n for n in cfg.opponents if not hasattr(axl, n)]
    if unknown:
        raise ConfigError("opponents", f"{unknown}: no such Axelrod strategy")
    ledger = {"tolerance": cfg.tolerance, "width": cfg.width, "leak": cfg.leak}
    ours = [
        player(
            "ledger_gtft" if agent in LEDGER else "gradual_tft",
            label=TITLES[agent],
            temperature=cfg.temperature,
            estimator=ESTIMATOR[agent],
            eps=cfg.eps,
            **({"grid": cfg.grid} if ESTIMATOR[agent] == "bayes" else {"tau": cfg.tau}),
            **(ledger if agent in LEDGER else {}),
        )
        for agent in cfg.variants
    ]
    players = ours + [getattr(axl, n)() for n in cfg.opponents]
    t = axl.Tournament(
        players,
        game=axl.Game(**AXELROD_PAYOFFS),
        turns=cfg.turns,
        repetitions=cfg.repetitions,
        noise=cfg.noise,
        seed=cfg.seed,
    )
    results = t.play(processes=None, progress_bar=False)
    names = [str(p) for p in players]
    return {
        "names": names,
        "ranking": [names[i] for i in results.ranking],
        "scores": np.asarray(results.normalised_scores, dtype=float),  # (players, reps)
        "wins": np.asarray(results.wins, dtype=float),
        "cooperation": np.asarray(results.cooperating_rating, dtype=float),
        "payoffs": np.asarray(results.payoff_matrix, dtype=float),  # per turn, i against j
        "version": axl.__version__,
    }


def run(data: Mapping[str, Any], cfg: AxelrodConfig) -> tuple[dict, str]:
    """The analysis: the ranking, or "not run" when the extra is missing."""
    del data
    try:
        import axelrod  # noqa: F401
    except ImportError:
        return {"skipped": "axelrod is not installed"}, NOT_RUN
    out = play(cfg)
    names, scores = out["names"], out["scores"]
    median = np.median(scores, axis=1)
    ours = {TITLES[a] for a in cfg.variants}
    ranking, rows = [], []
    for rank, name in enumerate(out["ranking"], start=1):
        i = names.index(name)
        entry = {
            "rank": rank,
            "name": name,
            "median_score": float(median[i]),
            "mean_score": float(scores[i].mean()),
            "wins": float(out["wins"][i].mean()),
            "cooperation": float(out["cooperation"][i]),
            "prosocial": name in ours,
        }
        ranking.append(entry)
        rows.append(
            [
                str(rank),
                f"**{name}**" if entry["prosocial"] else name,
                f"{entry['median_score']:.3f}",
                f"{entry['wins']:.1f}",
                f"{entry['cooperation']:.3f}",
            ]
        )
    pairings, pairing_md = _pairings(out, cfg)
    md = (
        "# Gradual TFT in an Axelrod tournament\n\n"
        f"Round robin of {len(names)} players (Axelrod {out['version']}), {cfg.turns} turns, "
        f"{cfg.repetitions} repetitions, noise {cfg.noise:g}, game R=3 P=1 T=4 S=0. Ranked by "
        "median score per turn over repetitions; wins: matches won per repetition; "
        "cooperation: the player's cooperating rating.\n\n"
        + markdown_table(["rank", "player", "median score/turn", "wins", "cooperation"], rows)
        + pairing_md
    )
    entry = {"axelrod_version": out["version"], "ranking": ranking, "pairings": pairings}
    return entry, md


def _pairings(out: dict, cfg: AxelrodConfig) -> tuple[dict, str]:
    """Each variant's payoff per turn and its co-player's, opponent by opponent (mean over
    repetitions), and the ledger's bar against the extortioners."""
    names, payoffs = out["names"], out["payoffs"]
    variants = [TITLES[a] for a in cfg.variants]
    pairings = {
        v: {
            names[j]: [float(payoffs[names.index(v), j]), float(payoffs[j, names.index(v)])]
            for j in range(len(names))
        }
        for v in variants
    }
    rows = [
        [f"**{names[j]}**" if names[j] in variants else names[j]]
        + [f"{pairings[v][names[j]][0]:.2f} / {pairings[v][names[j]][1]:.2f}" for v in variants]
        for j in range(len(names))
    ]
    import axelrod as axl

    extortioners = {str(getattr(axl, n)()): n for n in EXTORTIONERS if n in cfg.opponents}
    bars = []
    for agent, v in zip(cfg.variants, variants, strict=True):
        if agent not in LEDGER:
            continue
        rank = out["ranking"].index(v) + 1
        bars.append(
            f"- {v} ranks {rank} of {len(names)}: {'met' if rank <= 3 else 'NOT met'} (top three)"
        )
        for shown, cls in extortioners.items():
            own, other = pairings[v][shown]
            met = abs(own - other) <= 0.1
            bars.append(
                f"- {v} against {cls}: {own:.3f} against {other:.3f} per turn, gap "
                f"{abs(own - other):.3f}: {'met' if met else 'NOT met'} (≤ 0.1)"
            )
    md = (
        "\n## Pairings\n\nPayoff per turn of each gradual TFT variant / of its co-player, "
        f"mean over {cfg.repetitions} repetitions.\n\n"
        + markdown_table(["opponent", *variants], rows)
        + ("\n## The ledger against extortioners\n\n" + "\n".join(bars) + "\n" if bars else "")
    )
    return pairings, md


def figures(cfg: AxelrodConfig, cells) -> list[Figure]:
    """The ranking as bars (kind ``ranking``), when the tournament can run."""
    if not installed():
        return []
    return [
        Figure(
            "tournament",
            "ranking",
            "Axelrod tournament, R=3 P=1 T=4 S=0",
            {
                "analysis": "tournament",
                "name": "name",
                "value": "median_score",
                "highlight": "prosocial",
                "xlabel": "median score per turn",
                "highlight_color": "#c44e52",
                "color": "#8c8c8c",
            },
        )
    ]
