"""The gradual tit-for-tat presets (thesis §5.4, the experiments it asks for), as data.

``prosocial reproduce gradual-tft`` runs four presets:

- ``gradual-tft-ipd`` and ``gradual-tft-continuous``: gradual TFT (each estimator), the
  naive and the LOLA learner against a field of strategies, in the iterated Prisoner's
  Dilemma with α-policies and in the continuous dilemma; per pairing own return, the
  co-player's return, welfare, exploitation, own level and time to mutual cooperation;
  the issue's bars and, opponent by opponent, whether gradual TFT does better than LOLA
  and naive learning (:mod:`.analyses`).
- ``gradual-tft-estimation``: both estimators against fixed-β opponents on a grid of β,
  in the IPD and the continuous game without and with action noise; the bar "within
  0.05 after 200 rounds" (continuous game) and what the IPD lets them identify.
- ``gradual-tft-axelrod``: gradual TFT in a round robin of the Axelrod library's classic
  strategies (:mod:`.tournament`; needs the optional ``axelrod`` extra).

Every table of a game is one compiled program (:mod:`.program`). The thesis has no
numbers to reproduce; the bars are the issue's. Choices are in ``docs/gradual_tft.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType

from prosocial.experiments import finals as f
from prosocial.experiments.fields import option, seed_option, seeds_option
from prosocial.experiments.gradual_tft import analyses, estimation, tournament
from prosocial.experiments.gradual_tft.program import (
    AGENTS,
    COOPERATIVE,
    EXTORTIONERS,
    GAMES,
    GRADUAL,
    LEARNERS,
    LEDGER,
    MEMORY_ONE,
    AgentOptions,
    MatchCell,
    game_numbers,
)
from prosocial.experiments.spec import Analysis, Bar, Cell, Column, Figure, Preset, Table, register

TITLES = analyses.TITLES
ROWS = (*GRADUAL, *LEARNERS)
COLUMNS = ("allc", "alld", "random", "tft", "generous_tft", "grim", "wsls", *GRADUAL, *LEARNERS)
EXTORTION_COLUMNS = (*MEMORY_ONE, "tft", "random", *GRADUAL)
BAR_BETAS = analyses.BAR_BETAS
COLORS = estimation.COLORS
ASYMMETRY = 0.1
"""The ledger's bar: |own − co-player's| per round against each extortioner."""


# ================================================================ matches


@dataclass(frozen=True)
class MatchConfig(AgentOptions):
    """Gradual TFT, naive and LOLA learners against a field of strategies, in one game."""

    game: str = option("ipd", "ipd (R=3 P=1 T=4 S=0, α-policies) or continuous", choices=GAMES)
    noise: float = option(0.0, "action noise σ of the continuous game", low=0.0, high=1.0)
    rows: tuple[str, ...] = option(ROWS, "the agents whose results are read", choices=AGENTS)
    columns: tuple[str, ...] = option(COLUMNS, "their opponents", choices=AGENTS)
    seeds: int = seeds_option(8, "matches per pairing, vmapped")
    seed: int = seed_option()
    rounds: int = option(1000, "rounds per match", low=2, high=10**7)
    log_every: int = option(10, "rounds per logged row (averages over them)", low=1, high=10**7)

    def check(self) -> None:
        self.cell(self.rows[0], self.columns[0])  # validates log_every against rounds

    def cell(self, agent: str, opponent: str) -> MatchCell:
        shared = {k.name: getattr(self, k.name) for k in dataclasses.fields(MatchConfig)}
        return MatchCell(**shared, agent=agent, opponent=opponent, at=self.rounds)


def _own(d):
    return f.over_rows("payoff/reward", 0)(d)


def _other(d):
    return f.over_rows("payoff/reward", 1)(d)


def _shortfall(d):
    """How far the own return falls short of mutual defection, as a fraction of the
    cooperation–defection gap."""
    n = game_numbers(d.cell.config)
    gap = n["mutual_cooperation"] - n["mutual_defection"]
    return (n["mutual_defection"] - _own(d)) / gap


MATCH_FINALS = MappingProxyType(
    {
        "own": _own,
        "other": _other,
        "welfare": lambda d: _own(d) + _other(d),
        "welfare_share": lambda d: (
            (_own(d) + _other(d)) / game_numbers(d.cell.config)["max_welfare"]
        ),
        "exploitation": lambda d: _own(d) - _other(d),
        "asymmetry": lambda d: abs(_own(d) - _other(d)),
        "shortfall": _shortfall,
        "own_level": f.over_rows("play/level", 0),
        "other_level": f.over_rows("play/level", 1),
        "time_to_cooperation": f.finished("time_to_cooperation"),
    }
)


def _match_cells(cfg: MatchConfig) -> list[Cell]:
    return [
        Cell(
            f"{r}/{c}",
            cfg.cell(r, c),
            {"agent": TITLES[r], "opponent": TITLES[c], "agent_key": r, "opponent_key": c},
        )
        for r in cfg.rows
        for c in cfg.columns
    ]


def _setting(cfg: MatchConfig) -> str:
    if cfg.game == "ipd":
        return (
            "Iterated Prisoner's Dilemma R=3, P=1, T=4, S=0 (equal gains from switching), "
            f"α-policies P(C) = σ((3α − 1)/κ) with κ = {cfg.temperature:g}"
        )
    return (
        "Continuous dilemma r_i = a_j − a_i²/2, a ∈ [0, 1], α-action α, "
        f"action noise σ = {cfg.noise:g}"
    )


def _match_bars(cfg: MatchConfig) -> tuple[Bar, ...]:
    n = game_numbers(cfg)
    defection = n["mutual_defection"]
    gap = n["mutual_cooperation"] - defection
    bars = []
    for agent in (a for a in GRADUAL if a in cfg.rows):
        t = TITLES[agent]
        if agent in cfg.columns:
            bars.append(
                Bar(
                    f"{t} against itself reaches ≥ 90% of the maximum welfare (match "
                    "average, every seed)",
                    f"{agent}/{agent}",
                    "welfare_share",
                    ">=",
                    0.9,
                    "min",
                )
            )
        if "allc" in cfg.columns:
            bars.append(
                Bar(
                    f"{t} cooperates with AllC (average level ≥ {COOPERATIVE:g}, every seed)",
                    f"{agent}/allc",
                    "own_level",
                    ">=",
                    COOPERATIVE,
                    "min",
                )
            )
        if "alld" in cfg.columns:
            bars.append(
                Bar(
                    f"{t} against AllD, {cfg.rounds} rounds: average payoff short of "
                    f"mutual defection ({defection:.3g}) by ≤ 5% of the cooperation–"
                    f"defection gap ({gap:.3g}), worst seed",
                    f"{agent}/alld",
                    "shortfall",
                    "<=",
                    0.05,
                    "max",
                )
            )
        for opp in (o for o in EXTORTIONERS if agent in LEDGER and o in cfg.columns):
            bars.append(
                Bar(
                    f"{t} against {TITLES[opp]}, {cfg.rounds} rounds: own payoff within "
                    f"{ASYMMETRY:g} per round of the co-player's (mean over seeds of "
                    "|own − other|)",
                    f"{agent}/{opp}",
                    "asymmetry",
                    "<=",
                    ASYMMETRY,
                    "mean",
                )
            )
    return tuple(bars)


def _match_tables(cfg: MatchConfig) -> list[Table]:
    n = game_numbers(cfg)
    intro = (
        f"{_setting(cfg)}; {cfg.rounds} rounds, {cfg.seeds} seeds per pairing. gTFT: ε = "
        f"{cfg.eps:g}, Bayes on {cfg.grid} grid points (uniform prior), reward inversion τ = "
        f"{cfg.tau:g}; its payoff ledger (gTFT+ledger): tolerance δ = {cfg.tolerance:g}, "
        f"width w = {cfg.width:g}, leak ρ = {cfg.leak:g}. Learners: reactive strategies with "
        "an opponent model, step "
        f"{cfg.learner_lr:g}, LOLA η = {cfg.lola_eta:g}. Per-round averages; mutual cooperation "
        f"{n['mutual_cooperation']:.3g}, mutual defection {n['mutual_defection']:.3g} per "
        "player. Mean ± std over seeds; time to mutual cooperation: median round over the "
        "seeds that reach it (how many)."
    )
    return [
        Table(
            f"Gradual tit-for-tat: {cfg.game}",
            rows=("agent", "opponent"),
            columns=(
                Column("own", "own return"),
                Column("other", "co-player's return"),
                Column("welfare", "welfare"),
                Column("exploitation", "exploitation"),
                Column("own_level", "own level"),
                Column("time_to_cooperation", "time to mutual cooperation", 0, stat="reach"),
            ),
            intro=intro,
            bars=_match_bars(cfg),
        )
    ]


def _match_figures(cfg: MatchConfig, cells) -> list[Figure]:
    n = game_numbers(cfg)
    grid = [[f"{r}/{c}" for c in cfg.columns] for r in cfg.rows]
    heat = Figure(
        "payoff_matrix",
        "heatmap",
        f"Gradual TFT pairings, {cfg.game}: mutual cooperation "
        f"{n['mutual_cooperation']:.3g}, mutual defection {n['mutual_defection']:.3g}",
        {
            "cells": grid,
            "row_labels": [TITLES[r] for r in cfg.rows],
            "column_labels": [TITLES[c] for c in cfg.columns],
            "panels": [
                {
                    "final": "own",
                    "title": "own return per round (row agent)",
                    "fmt": ".2f",
                    "cmap": "viridis",
                },
                {
                    "final": "welfare_share",
                    "title": "welfare / maximum welfare",
                    "fmt": ".2f",
                    "cmap": "magma",
                },
                {
                    "final": "exploitation",
                    "title": "own − co-player's return per round",
                    "fmt": ".2f",
                    "cmap": "RdBu",
                    "symmetric": True,
                },
            ],
        },
    )
    agents = [a for a in GRADUAL if a in cfg.rows]
    panels = [
        {
            "title": f"against {TITLES[c]}",
            "ylabel": "degree",
            "ylim": [0, 1],
            "series": [
                {
                    "cell": f"{a}/{c}",
                    "column": f"gtft/{k}/0",
                    "color": COLORS[a],
                    "label": f"{sym}, {TITLES[a]}",
                }
                for a in agents
                for k, sym in (("alpha", "α"), ("beta_hat", "β̂"))
            ],
        }
        for c in cfg.columns
    ]
    figs = [heat]
    if agents:
        figs.append(
            Figure(
                "alpha_beta",
                "curves",
                "Gradual TFT: its degree α and its estimate "
                "β̂ of the co-player (mean ± std over seeds)",
                {"x": "round", "columns": 4, "legend": "figure", "panels": panels},
            )
        )
    return figs


# ================================================================ registration


def register_all() -> None:
    """Register the gradual TFT presets."""
    for game, what in (
        ("ipd", "iterated Prisoner's Dilemma"),
        ("continuous", "continuous dilemma"),
    ):
        register(
            Preset(
                name=f"gradual-tft-{game}",
                group="gradual-tft",
                description=f"Thesis §5.4: gradual TFT, naive and LOLA learners vs a field, {what}",
                config=MatchConfig(game=game),
                program="gradual_tft",
                cells=_match_cells,
                finals=MATCH_FINALS,
                tables=_match_tables,
                figures=_match_figures,
                analyses=(Analysis("verdicts", analyses.verdicts),),
            )
        )
    register(
        Preset(
            name="gradual-tft-extortion",
            group="gradual-tft",
            description="Gradual TFT with and without its payoff ledger against extortioners",
            config=MatchConfig(
                game="ipd", rows=GRADUAL, columns=EXTORTION_COLUMNS, seeds=5, rounds=200
            ),
            program="gradual_tft",
            cells=_match_cells,
            finals=MATCH_FINALS,
            tables=_match_tables,
            figures=_match_figures,
        )
    )
    register(
        Preset(
            name="gradual-tft-estimation",
            group="gradual-tft",
            description="Thesis §5.3: the β estimators (with and without the ledger) vs fixed β",
            config=estimation.EstimationConfig(),
            program="gradual_tft",
            cells=estimation.estimation_cells,
            finals=estimation.ESTIMATION_FINALS,
            tables=estimation.estimation_tables,
            figures=estimation.estimation_figures,
            analyses=(Analysis("identifiability", analyses.identifiability),),
        )
    )
    register(
        Preset(
            name="gradual-tft-axelrod",
            group="gradual-tft",
            description="Gradual TFT in a tournament of Axelrod's classic strategies (extra)",
            config=tournament.AxelrodConfig(),
            program="gradual_tft",
            cells=lambda cfg: [],
            finals={},
            tables=lambda cfg: [],
            figures=tournament.figures,
            analyses=(Analysis("tournament", tournament.run),),
        )
    )
