"""Figures of the gradual tit-for-tat presets, drawn from their run directories only.

``plot_matches`` writes ``payoff_matrix`` (the row agent's own return and the pair's
welfare, pairing by pairing, as heat maps) and ``alpha_beta`` (gradual TFT's α and β̂
over rounds against each opponent). ``plot_estimation`` writes ``beta_error`` (mean
|β̂ − β| over rounds against fixed-β opponents) and ``identifiability_ipd`` (β̂ against
β after the bar's round, and the Fisher information an IPD action carries about β).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from prosocial.experiments.gradual_tft_presets import (
    BAR_BETAS,
    GRADUAL,
    TITLES,
    ipd_fisher_information,
)
from prosocial.plots.common import load, save

ESTIMATOR_COLORS = {"gtft_bayes": "#c44e52", "gtft_reward": "#4c72b0"}


def _title(name: str) -> str:
    return TITLES.get(name, name)


# ---------------------------------------------------------------- matches


def plot_matches(run_dir: Path) -> list[Path]:
    cols, summary, cfg = load(run_dir)
    return [_payoff_matrix(run_dir, summary, cfg), _alpha_beta(run_dir, cols, cfg)]


def _heat(ax, values: np.ndarray, rows, columns, title: str, fmt: str, cmap: str) -> None:
    image = ax.imshow(values, cmap=cmap, aspect="auto")
    ax.set_xticks(range(len(columns)), [_title(c) for c in columns], rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), [_title(r) for r in rows])
    ax.grid(False)
    finite = values[np.isfinite(values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0.0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=7,
                    color="white" if v < middle else "black")  # fmt: skip
    ax.set_title(title)
    plt.colorbar(image, ax=ax, fraction=0.046, pad=0.02)


def _payoff_matrix(run_dir: Path, summary: dict, cfg: dict) -> Path:
    rows, columns = cfg["rows"], cfg["columns"]
    table = summary["table"]

    def grid(metric: str) -> np.ndarray:
        return np.array([[np.mean(table[r][c][metric]) for c in columns] for r in rows])

    fig, axes = plt.subplots(1, 2, figsize=(1.0 * len(columns) * 2 + 3, 0.55 * len(rows) + 2.6))
    _heat(axes[0], grid("own"), rows, columns, "own return per round (row agent)", ".2f", "viridis")
    _heat(
        axes[1], grid("welfare_share"), rows, columns, "welfare / maximum welfare", ".2f", "magma"
    )
    fig.suptitle(
        f"Gradual TFT pairings, {summary['game']}: mutual cooperation "
        f"{summary['mutual_cooperation']:.3g}, mutual defection {summary['mutual_defection']:.3g}"
    )
    return save(fig, run_dir, "payoff_matrix")


def _alpha_beta(run_dir: Path, cols: dict, cfg: dict) -> Path:
    agents = [a for a in GRADUAL if a in cfg["rows"]]
    columns = cfg["columns"]
    n = len(columns)
    width = min(4, n)
    height = -(-n // width)
    fig, axes = plt.subplots(
        height, width, figsize=(3.1 * width, 2.3 * height), sharex=True, sharey=True, squeeze=False
    )
    for ax, col in zip(axes.flat, columns, strict=False):
        for agent in agents:
            mask = cols["cell"] == f"{agent}:{col}"
            if not mask.any():
                continue
            seeds = len(np.unique(cols["seed"][mask]))
            x = cols["round"][mask].reshape(seeds, -1)[0]
            for key, style, label in (("alpha", "-", "α"), ("beta_hat", "--", "β̂")):
                y = cols[f"gtft/{key}/0"][mask].reshape(seeds, -1).mean(axis=0)
                ax.plot(x, y, style, color=ESTIMATOR_COLORS[agent], lw=1.2,
                        label=f"{label}, {_title(agent)}")  # fmt: skip
        ax.set_title(f"against {_title(col)}")
        ax.set_ylim(-0.03, 1.03)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("round")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower right", ncol=2, fontsize=8)
    fig.suptitle("Gradual TFT: its degree α and its estimate β̂ of the co-player (mean over seeds)")
    return save(fig, run_dir, "alpha_beta")


# ---------------------------------------------------------------- estimation


def plot_estimation(run_dir: Path) -> list[Path]:
    cols, summary, cfg = load(run_dir)
    return [_beta_error(run_dir, cols, summary, cfg), _identifiability(run_dir, summary, cfg)]


def _beta_error(run_dir: Path, cols: dict, summary: dict, cfg: dict) -> Path:
    labels = list(summary["settings"])
    fig, axes = plt.subplots(
        len(GRADUAL), len(labels), figsize=(3.4 * len(labels), 5.2), sharex=True, sharey=True,
        squeeze=False,
    )  # fmt: skip
    betas = [b for b in BAR_BETAS if np.isclose(cfg["betas"], b).any()]
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(betas)))
    for j, label in enumerate(labels):
        for i, est in enumerate(GRADUAL):
            ax = axes[i, j]
            cell = cols["cell"] == f"{label}/{est}"
            for beta, color in zip(betas, colors, strict=True):
                mask = cell & np.isclose(cols["beta"], beta)
                seeds = len(np.unique(cols["seed"][mask]))
                x = cols["round"][mask].reshape(seeds, -1)[0]
                err = np.abs(cols["beta_hat"][mask] - beta).reshape(seeds, -1).mean(axis=0)
                ax.plot(x, np.maximum(err, 1e-4), color=color, lw=1.2, label=f"β = {beta:g}")
            ax.axhline(cfg["tolerance"], color="k", lw=0.8, ls=":")
            ax.axvline(cfg["at"], color="grey", lw=0.8, ls="--")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{label}, {_title(est)}", fontsize=8)
            if j == 0:
                ax.set_ylabel("mean |β̂ − β|")
            if i == len(GRADUAL) - 1:
                ax.set_xlabel("round")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(
        f"Estimating a fixed-β opponent (dotted: {cfg['tolerance']:g}; dashed: round {cfg['at']};"
        " errors below 1e-4 drawn at 1e-4)"
    )
    return save(fig, run_dir, "beta_error")


def _identifiability(run_dir: Path, summary: dict, cfg: dict) -> Path:
    betas = np.asarray(cfg["betas"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.8))
    settings = summary["settings"]
    for est in GRADUAL:
        s = settings["ipd"][est]
        mean, std = np.asarray(s["beta_hat_mean"]), np.asarray(s["beta_hat_std"])
        color = ESTIMATOR_COLORS[est]
        left.plot(betas, mean, "o-", ms=3, color=color, label=f"IPD, {_title(est)}")
        left.fill_between(betas, mean - std, mean + std, color=color, alpha=0.2, lw=0)
    noisy = [k for k in settings if k != "ipd"]
    if noisy:
        s = settings[noisy[-1]]["gtft_bayes"]
        left.plot(betas, s["beta_hat_mean"], color="grey", lw=1, ls="--",
                  label=f"{noisy[-1]}, {_title('gtft_bayes')}")  # fmt: skip
    threshold = 1 / 3
    left.plot([0, 1], [0, 1], color="k", lw=0.6)
    left.axvline(threshold, color="k", lw=0.6, ls=":")
    left.set_xlabel("the opponent's β")
    left.set_ylabel(f"β̂ after {cfg['at']} rounds (mean ± std)")
    left.set_title("what the estimators recover")
    left.legend(fontsize=7)
    fine = np.linspace(0, 1, 401)
    info = ipd_fisher_information(fine, cfg["temperature"])
    bound = 1 / np.sqrt(cfg["at"] * info)
    right.plot(fine, bound, color="k", lw=1.2, label=f"Cramér–Rao bound, {cfg['at']} rounds")
    right.axhline(cfg["tolerance"], color="k", lw=0.8, ls=":", label=f"{cfg['tolerance']:g}")
    right.axvline(threshold, color="k", lw=0.6, ls=":")
    for est in GRADUAL:
        rmse = np.asarray(settings["ipd"][est]["rmse"])
        right.plot(betas, np.maximum(rmse, 1e-4), "o", ms=3, color=ESTIMATOR_COLORS[est],
                   label=f"root mean square error, {_title(est)}")  # fmt: skip
    right.set_yscale("log")
    right.set_ylim(1e-3, 10)
    right.set_xlabel("the opponent's β")
    right.set_ylabel("error of β̂")
    right.set_title(f"IPD, κ = {cfg['temperature']:g}: information per action (3/κ)²π(1−π)")
    right.legend(fontsize=7)
    return save(fig, run_dir, "identifiability_ipd")


# ---------------------------------------------------------------- tournament


def plot_tournament(run_dir: Path) -> list[Path]:
    """Median score per turn of every player, in rank order; gradual TFT highlighted."""
    _, summary, _ = load(run_dir)
    if "ranking" not in summary:
        return []  # the tournament was not run (the axelrod extra is missing)
    ranking = summary["ranking"]
    names = [r["name"] for r in ranking]
    scores = [r["median_score"] for r in ranking]
    colors = ["#c44e52" if r["prosocial"] else "#8c8c8c" for r in ranking]
    fig, ax = plt.subplots(figsize=(7.5, 0.26 * len(names) + 1.2))
    ax.barh(range(len(names)), scores, color=colors)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(min(scores) - 0.2, max(scores) + 0.1)
    ax.set_xlabel("median score per turn")
    ax.set_title(f"Axelrod tournament (Axelrod {summary['axelrod_version']}), R=3 P=1 T=4 S=0")
    return [save(fig, run_dir, "tournament")]
