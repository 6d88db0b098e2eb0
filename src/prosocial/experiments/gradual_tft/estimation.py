"""The gradual TFT estimation preset's data: both estimators against fixed-β opponents
on a grid of β, in the IPD and the continuous game at each action noise."""

from __future__ import annotations

from dataclasses import dataclass, fields
from types import MappingProxyType

import numpy as np

from prosocial.errors import ConfigError
from prosocial.experiments import finals as f
from prosocial.experiments.fields import option, seed_option, seeds_option
from prosocial.experiments.gradual_tft import analyses
from prosocial.experiments.gradual_tft.analyses import BAR_BETAS, TITLES
from prosocial.experiments.gradual_tft.program import GRADUAL, AgentOptions, MatchCell
from prosocial.experiments.spec import Bar, Cell, Column, Figure, Table

COLORS = MappingProxyType(
    {
        "gtft_bayes": "#c44e52",
        "gtft_reward": "#4c72b0",
        "lgtft_bayes": "#dd8452",
        "lgtft_reward": "#55a868",
    }
)


@dataclass(frozen=True)
class EstimationConfig(AgentOptions):
    """Both estimators against fixed-β opponents, in the IPD and the continuous game."""

    betas: tuple[float, ...] = option(
        tuple(np.round(np.linspace(0.0, 1.0, 21), 2).tolist()),
        "the opponents' β (the bar's 0, 0.25, 0.5, 0.75, 1 among them)",
        low=0.0,
        high=1.0,
    )
    noises: tuple[float, ...] = option(
        (0.0, 0.1), "action noises σ of the continuous game (each one setting)", low=0.0, high=1.0
    )
    seeds: int = seeds_option(64, "matches per game setting, estimator and β, vmapped")
    seed: int = seed_option()
    rounds: int = option(400, "rounds per match", low=1, high=10**7)
    at: int = option(200, "the round after which β̂ is read (the bar's)", low=1, high=10**7)
    tolerance: float = option(0.05, "the bar's |β̂ − β|", low=0.0, strict=True, high=1.0)
    log_every: int = option(20, "rounds per logged row", low=1, high=10**7)

    def check(self) -> None:
        if self.at > self.rounds:
            raise ConfigError(
                "at", f"{self.at} is not accepted; accepted: at most rounds={self.rounds}"
            )
        self.cell("ipd", 0.0, GRADUAL[0], self.betas[0])  # validates log_every

    def settings(self) -> list[tuple[str, str, float]]:
        """``(label, game, noise)``: the IPD, then the continuous game at each noise."""
        return [("ipd", "ipd", 0.0)] + [
            (f"continuous σ={s:g}", "continuous", s) for s in self.noises
        ]

    def cell(self, game: str, noise: float, estimator: str, beta: float) -> MatchCell:
        shared = {k.name: getattr(self, k.name) for k in fields(AgentOptions)}
        return MatchCell(
            **shared,
            game=game,
            noise=noise,
            rows=GRADUAL,
            columns=("fixed_beta",),
            agent=estimator,
            opponent="fixed_beta",
            beta=beta,
            at=self.at,
            seeds=self.seeds,
            seed=self.seed,
            rounds=self.rounds,
            log_every=self.log_every,
        )


def _beta_hat(d):
    return f.finished("beta_hat_at")(d)


ESTIMATION_FINALS = MappingProxyType(
    {
        "beta_hat_at": _beta_hat,
        "alpha_at": f.finished("alpha_at"),
        "abs_error": lambda d: np.abs(_beta_hat(d) - d.cell.config.beta),
        "within": lambda d: (
            np.abs(_beta_hat(d) - d.cell.config.beta) <= d.cell.meta["tolerance"]
        ).astype(float),
    }
)


def estimation_cells(cfg: EstimationConfig) -> list[Cell]:
    return [
        Cell(
            analyses.estimation_label(label, est, b),
            cfg.cell(game, noise, est, b),
            {
                "game": label,
                "estimator": TITLES[est],
                "beta": f"{b:g}",
                "estimator_key": est,
                "beta_value": b,
                "tolerance": cfg.tolerance,
            },
        )
        for label, game, noise in cfg.settings()
        for est in GRADUAL
        for b in cfg.betas
    ]


def estimation_tables(cfg: EstimationConfig) -> list[Table]:
    shown = [b for b in cfg.betas if any(np.isclose(b, BAR_BETAS))]
    bars = tuple(
        Bar(
            f"{label}, {TITLES[est]}, β = {b:g}: |β̂ − β| ≤ {cfg.tolerance:g} after {cfg.at} "
            "rounds in ≥ 95% of seeds",
            analyses.estimation_label(label, est, b),
            "within",
            ">=",
            0.95,
            "mean",
        )
        for label, game, _ in cfg.settings()
        if game == "continuous"
        for est in GRADUAL
        for b in BAR_BETAS
    )
    return [
        Table(
            "Gradual tit-for-tat: estimating a fixed-β opponent",
            rows=("game", "estimator", "beta"),
            columns=(
                Column("beta_hat_at", "β̂ (mean ± std)"),
                Column("abs_error", "mean |β̂ − β|", stat="mean"),
                Column("within", f"fraction of seeds within {cfg.tolerance:g}", 2, stat="mean"),
            ),
            intro=(
                f"Gradual TFT (ε = {cfg.eps:g}) against an opponent that plays the α-policy with "
                f"α = β for ever; {cfg.seeds} seeds, β̂ read after round {cfg.at}. IPD: κ = "
                f"{cfg.temperature:g}; continuous game with action noise σ as labelled. Bayes: "
                f"{cfg.grid} grid points, uniform prior, posterior mean; reward inversion: τ = "
                f"{cfg.tau:g}. Rows: the bar's β; every β of the grid is in summary.json."
            ),
            cells=tuple(
                analyses.estimation_label(label, est, b)
                for label, _, _ in cfg.settings()
                for est in GRADUAL
                for b in shown
            ),
            bars=bars,
        )
    ]


def estimation_figures(cfg: EstimationConfig, cells) -> list[Figure]:
    betas = [b for b in cfg.betas if any(np.isclose(b, BAR_BETAS))]
    panels = [
        {
            "title": f"{label}, {TITLES[est]}",
            "ylabel": "|β̂ − β|",
            "ylim": [0, 0.3],
            "hlines": [cfg.tolerance],
            "vlines": [cfg.at],
            "series": [
                {
                    "cell": analyses.estimation_label(label, est, b),
                    "column": "estimate/abs_error",
                    "label": f"β = {b:g}",
                }
                for b in betas
            ],
        }
        for est in GRADUAL
        for label, _, _ in cfg.settings()
    ]
    error = Figure(
        "beta_error",
        "curves",
        f"Estimating a fixed-β opponent (dotted: round {cfg.at}; line: {cfg.tolerance:g})",
        {"x": "round", "columns": len(cfg.settings()), "legend": "figure", "panels": panels},
    )
    return [error, analyses.identifiability_figure(cfg, COLORS)]
