"""What is the gradual TFT presets' own: the verdicts against the learners, and what the
IPD lets an estimator identify (the Fisher information of one action about β)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from prosocial.experiments import finals as f
from prosocial.experiments.gradual_tft.program import GRADUAL, LEARNERS
from prosocial.experiments.render import markdown_table
from prosocial.experiments.spec import Figure

TITLES = MappingProxyType(
    {
        "gtft_bayes": "gTFT (Bayes)",
        "gtft_reward": "gTFT (reward)",
        "lgtft_bayes": "gTFT+ledger (Bayes)",
        "lgtft_reward": "gTFT+ledger (reward)",
        "naive": "naive learner",
        "lola": "LOLA learner",
        "allc": "AllC",
        "alld": "AllD",
        "random": "Random",
        "tft": "TFT",
        "generous_tft": "GTFT",
        "grim": "Grim",
        "wsls": "WSLS",
        "fixed_beta": "fixed β",
        "zd_extort2": "ZD-Extort-2",
        "zd_extortion": "ZD-Extortion",
        "zd_gtft2": "ZD-GTFT-2",
        "joss": "Joss",
    }
)
BAR_BETAS = (0.0, 0.25, 0.5, 0.75, 1.0)
THRESHOLD = 1 / 3
"""The β at which the IPD's α-policy σ((3β − 1)/κ) crosses 1/2."""


# ---------------------------------------------------------------- verdicts


def verdicts(data: Mapping[str, Any], cfg: Any) -> tuple[list[str], str]:
    """Opponent by opponent: does gradual TFT earn more than LOLA and the naive learner?

    "More" means the difference of mean own returns exceeds twice its standard error over
    seeds (sample variances); otherwise it is a tie.
    """
    own = f.over_rows("payoff/reward", 0)
    lines = []
    learners = [a for a in LEARNERS if a in cfg.rows]
    for col in cfg.columns:
        for agent in (a for a in GRADUAL if a in cfg.rows):
            parts = []
            for learner in learners:
                a = np.asarray(own(data[f"{agent}/{col}"]), dtype=float)
                b = np.asarray(own(data[f"{learner}/{col}"]), dtype=float)
                diff = a.mean() - b.mean()
                se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size) if a.size > 1 else 0
                word = "beats" if diff > 2 * se else "loses to" if diff < -2 * se else "ties with"
                parts.append(f"{word} {TITLES[learner]} ({a.mean():.3f} vs {b.mean():.3f})")
            if parts:
                lines.append(f"- against {TITLES[col]}: {TITLES[agent]} " + "; ".join(parts))
    if not lines:
        return lines, ""
    md = (
        "## Gradual TFT against LOLA and naive learning\n\nOwn return against the same "
        'opponent; "beats" when the difference of means exceeds twice its standard error '
        "over seeds.\n\n" + "\n".join(lines) + "\n"
    )
    return lines, md


# ---------------------------------------------------------------- identifiability


def estimation_label(setting: str, estimator: str, beta: float) -> str:
    """The cell label of one (game setting, estimator, β) of the estimation preset."""
    return f"{setting}/{estimator}/β={beta:g}"


def ipd_fisher_information(betas: np.ndarray, temperature: float) -> np.ndarray:
    """Fisher information about β in one IPD action: (b/κ)² π(1 − π), π = σ((3β − 1)/κ)."""
    z = (3.0 * np.asarray(betas, dtype=float) - 1.0) / temperature
    p = 1.0 / (1.0 + np.exp(-z))
    return (3.0 / temperature) ** 2 * p * (1 - p)


def cramer_rao(betas: np.ndarray, temperature: float, rounds: int) -> np.ndarray:
    """The Cramér–Rao bound on the standard error of β̂ after ``rounds`` IPD actions."""
    info = ipd_fisher_information(betas, temperature)
    return 1.0 / np.sqrt(np.maximum(rounds * info, 1e-300))


def identifiability(data: Mapping[str, Any], cfg: Any) -> tuple[dict, str]:
    """Per game setting and estimator, over the β grid: β̂ after ``at`` rounds (mean, std),
    its mean, 95th-percentile and root-mean-square error and the fraction of seeds within
    the tolerance; the IPD's Fisher information; and the paragraph that reads it."""
    betas = np.asarray(cfg.betas, dtype=float)
    settings: dict = {}
    rows = []
    for label, _, _ in cfg.settings():
        per = settings.setdefault(label, {})
        for est in GRADUAL:
            hat = np.stack(
                [
                    np.asarray(
                        data[estimation_label(label, est, b)].finished["beta_hat_at"], dtype=float
                    )
                    for b in cfg.betas
                ]
            )
            err = np.abs(hat - betas[:, None])  # (betas, seeds)
            per[est] = {
                "beta_hat_mean": hat.mean(axis=1).tolist(),
                "beta_hat_std": hat.std(axis=1).tolist(),
                "mean_abs_error": err.mean(axis=1).tolist(),
                "p95_abs_error": np.quantile(err, 0.95, axis=1).tolist(),
                "within": (err <= cfg.tolerance).mean(axis=1).tolist(),
                "rmse": np.sqrt((err**2).mean(axis=1)).tolist(),
            }
            for k, b in enumerate(betas):
                if np.isclose(b, BAR_BETAS).any():
                    rows.append(
                        [
                            label,
                            TITLES[est],
                            f"{b:g}",
                            f"{per[est]['p95_abs_error'][k]:.3f}",
                            f"{per[est]['rmse'][k]:.3f}",
                        ]
                    )
    fisher = ipd_fisher_information(betas, cfg.temperature)
    good = betas[cramer_rao(betas, cfg.temperature, cfg.at) <= cfg.tolerance]
    span = f"{good.min():g}–{good.max():g}" if len(good) else "none of the grid"
    md = (
        "## Spread of the estimates\n\n"
        + markdown_table(["game", "estimator", "β", "95th pct of |β̂ − β|", "rms error"], rows)
        + "\n## What the IPD lets the estimators identify\n\n"
        "One IPD action carries Fisher information (3/κ)² π(1 − π) about β, π = σ((3β − 1)/κ): "
        f"largest at the threshold β = 1/3 and vanishing as π saturates. After {cfg.at} rounds "
        f"the Cramér–Rao bound on the standard error of β̂ is ≤ {cfg.tolerance:g} only for β in "
        f"{span} (grid values); outside it no estimator can place β within {cfg.tolerance:g}, "
        "only on one side of the threshold.\n"
    )
    entry = {
        "settings": settings,
        "ipd_fisher_information": fisher.tolist(),
        "identified_betas": good.tolist(),
    }
    return entry, md


def identifiability_figure(cfg: Any, colors: Mapping[str, str]) -> Figure:
    """The ``identifiability`` figure: β̂ against β in the IPD (read from the analysis in
    ``summary.json``) and the Cramér–Rao curve, computed here and written into the spec."""
    fine = np.linspace(0.0, 1.0, 401)
    noisy = [label for label, game, _ in cfg.settings() if game == "continuous"]
    spec = {
        "analysis": "identifiability",
        "setting": "ipd",
        "betas": list(cfg.betas),
        "estimators": [
            {
                "key": e,
                "label": f"IPD, {TITLES[e]}",
                "color": colors[e],
                "rmse_label": f"root mean square error, {TITLES[e]}",
            }
            for e in GRADUAL
        ],
        "reference": None
        if not noisy
        else {
            "setting": noisy[-1],
            "estimator": "gtft_bayes",
            "label": f"{noisy[-1]}, {TITLES['gtft_bayes']}",
        },
        "threshold": THRESHOLD,
        "tolerance": cfg.tolerance,
        "curve": {
            "beta": fine.tolist(),
            "bound": cramer_rao(fine, cfg.temperature, cfg.at).tolist(),
            "label": f"Cramér–Rao bound, {cfg.at} rounds",
        },
        "left": {
            "title": "what the estimators recover",
            "xlabel": "the opponent's β",
            "ylabel": f"β̂ after {cfg.at} rounds (mean ± std)",
        },
        "right": {
            "title": f"IPD, κ = {cfg.temperature:g}: information per action (3/κ)²π(1−π)",
            "xlabel": "the opponent's β",
            "ylabel": "error of β̂",
        },
    }
    return Figure(
        "identifiability_ipd", "identifiability", "What the IPD lets the estimators identify", spec
    )
