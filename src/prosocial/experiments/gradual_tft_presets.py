"""The experiments that thesis §5.4 asks for and never ran (seed 002, chapter 5).

``prosocial reproduce gradual-tft`` runs four presets:

- ``gradual-tft-ipd`` and ``gradual-tft-continuous``: gradual tit-for-tat (each
  estimator), the naive learner and the LOLA learner, each against AllC, AllD, random,
  TFT, generous TFT, grim, WSLS, gradual TFT (both), the naive and the LOLA learner, in
  the iterated Prisoner's Dilemma with α-policies and in the continuous dilemma. Per
  pairing: own return, the co-player's return, welfare, exploitation (own minus the
  co-player's), time to mutual cooperation, and α, β̂ over time; the issue's bars
  (self-play welfare, cooperation with AllC, shortfall against AllD) and, opponent by
  opponent, whether gradual TFT does better than LOLA and naive learning.
- ``gradual-tft-estimation``: both estimators against fixed-β opponents on a grid of β,
  in the IPD and in the continuous game without and with action noise: |β̂ − β| over
  rounds, the bar "within 0.05 after 200 rounds" (continuous game) and what the IPD lets
  the estimators identify.
- ``gradual-tft-axelrod``: gradual TFT (both estimators) in a round robin of the Axelrod
  library's classic strategies, its own ``Gradual`` and ``OriginalGradual`` among them,
  ranked; it needs the optional ``axelrod`` extra (without it the run directory's
  summary says "not run" and how to install it, so the group runs everywhere).

Every table is one compiled program: a match is a ``lax.scan`` over rounds
(:func:`prosocial.strategies.play_match`), the players are
:func:`prosocial.strategies.select` over the roster with the pairing's indices as data,
and the program is vmapped over pairings and seeds. The thesis has no numbers to
reproduce; the bars are the issue's. Choices are in ``docs/gradual_tft.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.errors import ConfigError
from prosocial.experiments.checks import choice, integer, number
from prosocial.experiments.presets import (
    Preset,
    RunResult,
    lazy_plot,
    markdown_table,
    register,
)
from prosocial.games import continuous_dilemma, degree_ipd
from prosocial.strategies import STRATEGIES, Strategy, fixed_beta, play_match, select

GAMES = ("ipd", "continuous")
GRADUAL = ("gtft_bayes", "gtft_reward")
LEARNERS = ("naive", "lola")
AGENTS = (
    *GRADUAL,
    *LEARNERS,
    "allc",
    "alld",
    "random",
    "tft",
    "generous_tft",
    "grim",
    "wsls",
)
TITLES = MappingProxyType(
    {
        "gtft_bayes": "gTFT (Bayes)",
        "gtft_reward": "gTFT (reward)",
        "naive": "naive learner",
        "lola": "LOLA learner",
        "allc": "AllC",
        "alld": "AllD",
        "random": "Random",
        "tft": "TFT",
        "generous_tft": "GTFT",
        "grim": "Grim",
        "wsls": "WSLS",
    }
)
ROWS = (*GRADUAL, *LEARNERS)
COLUMNS = (
    "allc",
    "alld",
    "random",
    "tft",
    "generous_tft",
    "grim",
    "wsls",
    *GRADUAL,
    *LEARNERS,
)
COOPERATIVE = 0.9
"""A level at or above this is cooperation (time to mutual cooperation, "cooperates")."""
WINDOW = 20
"""Rounds of the moving average that time to mutual cooperation reads."""


def _names(name: str, value: Any, accepted: Sequence[str]) -> None:
    if not isinstance(value, tuple) or not value:
        raise ConfigError(
            name, f"{value!r} is not accepted; accepted: one or more of {', '.join(accepted)}"
        )
    for v in value:
        choice(name, v, accepted)
    if len(set(value)) != len(value):
        raise ConfigError(name, f"{value!r} is not accepted; accepted: each name once")


def _pass(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


@dataclass(frozen=True)
class AgentOptions:
    """The options every roster is built from (shared by the match and estimation configs)."""

    temperature: float = 0.2
    noise: float = 0.0
    eps: float = 0.1
    tau: float = 0.02
    grid: int = 101
    p_random: float = 0.5
    generosity: float = 1 / 3
    learner_lr: float = 1.0
    lola_eta: float = 1.0


def build_game(game: str, temperature: float, noise: float):
    """The game of a config: the IPD with temperature κ, or the continuous dilemma."""
    if game == "ipd":
        return degree_ipd(temperature=temperature)
    return continuous_dilemma(noise=noise)


def roster(game: Any, cfg: Any) -> dict[str, Strategy]:
    """Every agent of :data:`AGENTS`, built for ``game`` from the config's options."""
    return {
        "gtft_bayes": STRATEGIES.make(
            "gradual_tft", game=game, estimator="bayes", eps=cfg.eps, grid=cfg.grid
        ),
        "gtft_reward": STRATEGIES.make(
            "gradual_tft", game=game, estimator="reward", eps=cfg.eps, tau=cfg.tau
        ),
        "naive": STRATEGIES.make("naive_learner", game=game, lr=cfg.learner_lr),
        "lola": STRATEGIES.make("lola_learner", game=game, lr=cfg.learner_lr, eta=cfg.lola_eta),
        "allc": STRATEGIES.make("allc", game=game),
        "alld": STRATEGIES.make("alld", game=game),
        "random": STRATEGIES.make("random", game=game, p=cfg.p_random),
        "tft": STRATEGIES.make("tft", game=game),
        "generous_tft": STRATEGIES.make("generous_tft", game=game, g=cfg.generosity),
        "grim": STRATEGIES.make("grim", game=game),
        "wsls": STRATEGIES.make("wsls", game=game),
    }


def _check_options(cfg: Any) -> None:
    number("temperature", cfg.temperature, low=0.0, strict=True)
    number("noise", cfg.noise, low=0.0, strict=False, high=1.0)
    number("eps", cfg.eps, low=0.0, strict=False, high=1.0)
    number("tau", cfg.tau, low=0.0, strict=True, high=1.0)
    integer("grid", cfg.grid, 2, 10_001)
    number("p_random", cfg.p_random, low=0.0, strict=False, high=1.0)
    number("generosity", cfg.generosity, low=0.0, strict=False, high=1.0)
    number("learner_lr", cfg.learner_lr, low=0.0, strict=True)
    number("lola_eta", cfg.lola_eta, low=0.0, strict=False)


# ================================================================ matches


@dataclass(frozen=True)
class MatchConfig(AgentOptions):
    """Gradual TFT, naive and LOLA learners against a field of strategies, in one game.

    Attributes:
        game: ``ipd`` (α-policies σ((3α − 1)/κ), R=3 P=1 T=4 S=0) or ``continuous``
            (r_i = a_j − a_i²/2, a ∈ [0, 1], action noise ``noise``).
        rows: the agents whose results are read (gradual TFT, the learners).
        columns: their opponents.
        seeds: matches per pairing.
        seed: first PRNG seed.
        rounds: rounds per match.
        log_every: rounds between logged rows (rewards and levels are averaged over them).
        temperature: κ of the IPD's α-policies.
        noise: action noise σ of the continuous game.
        eps: gradual TFT's forgiveness ε.
        tau: the reward estimator's decay τ.
        grid: grid points of the Bayesian estimator (uniform prior).
        p_random: the random strategy's probability of cooperating.
        generosity: generous TFT's g.
        learner_lr: the learners' step size on per-round values.
        lola_eta: LOLA's assumed co-player step size η.
    """

    game: str = "ipd"
    rows: tuple[str, ...] = ROWS
    columns: tuple[str, ...] = COLUMNS
    seeds: int = 8
    seed: int = 0
    rounds: int = 1000
    log_every: int = 10

    def __post_init__(self) -> None:
        choice("game", self.game, GAMES)
        _names("rows", self.rows, AGENTS)
        _names("columns", self.columns, AGENTS)
        integer("seeds", self.seeds, 1)
        integer("seed", self.seed, 0)
        integer("rounds", self.rounds, 2)
        integer("log_every", self.log_every, 1)
        if self.rounds % self.log_every:
            raise ConfigError(
                "log_every",
                f"{self.log_every} does not divide rounds={self.rounds}; accepted: a divisor",
            )
        _check_options(self)


def match_table(cfg: MatchConfig) -> dict[str, np.ndarray]:
    """Every pairing (row × column) and seed as one compiled, vmapped program.

    Returns:
        ``levels``, ``rewards`` ``(pairings, seeds, rounds, 2)`` and ``probes``
        ``(pairings, seeds, rounds, 2, 2)`` (each player's [α, β̂] after each round);
        pairings are row-major (row, column).
    """
    game = build_game(cfg.game, cfg.temperature, cfg.noise)
    agents = roster(game, cfg)
    firsts = [agents[n] for n in cfg.rows]
    seconds = [agents[n] for n in cfg.columns]

    def one(i: jax.Array, j: jax.Array, key: jax.Array):
        t = play_match(game, select(firsts, i), select(seconds, j), key, cfg.rounds)
        return t.levels, t.rewards, t.probes

    def program(rows: jax.Array, cols: jax.Array, seeds: jax.Array):
        keys = jax.vmap(jax.random.PRNGKey)(seeds)
        per_seed = jax.vmap(one, (None, None, 0))
        return jax.vmap(per_seed, (0, 0, None))(rows, cols, keys)

    rows, cols = np.divmod(np.arange(len(cfg.rows) * len(cfg.columns)), len(cfg.columns))
    seeds = np.arange(cfg.seed, cfg.seed + cfg.seeds, dtype=np.int32)
    levels, rewards, probes = jax.jit(program)(rows.astype(np.int32), cols.astype(np.int32), seeds)
    return {
        "levels": np.asarray(levels),
        "rewards": np.asarray(rewards),
        "probes": np.asarray(probes),
    }


def time_to_cooperation(levels: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """First round t from which the ``window``-round moving average of *both* players'
    levels (the average over rounds t .. t + window − 1, then t + 1 .., ...) stays at or
    above :data:`COOPERATIVE` to the end; NaN if never.

    ``levels`` is ``(..., rounds, 2)``; the result has the leading shape.
    """
    both = np.asarray(levels).min(axis=-1)
    kernel = np.ones(window) / window
    rounds = both.shape[-1]
    flat = both.reshape(-1, rounds)
    out = np.full(flat.shape[0], np.nan)
    for k, series in enumerate(flat):
        avg = np.convolve(series, kernel, mode="valid")  # avg[t] covers t .. t + window − 1
        ok = avg >= COOPERATIVE - 1e-9  # a window's mean, up to rounding
        bad = np.nonzero(~ok)[0]
        if len(avg) and ok[-1]:
            out[k] = 0 if not len(bad) else bad[-1] + 1
    return out.reshape(both.shape[:-1])


def pairing_metrics(game: Any, levels: np.ndarray, rewards: np.ndarray) -> dict[str, np.ndarray]:
    """Per pairing and seed: the row player's metrics (over the whole match)."""
    own, other = rewards[..., 0].mean(axis=-1), rewards[..., 1].mean(axis=-1)
    return {
        "own": own,
        "other": other,
        "welfare": own + other,
        "welfare_share": (own + other) / float(game.max_welfare),
        "exploitation": own - other,
        "own_level": levels[..., 0].mean(axis=-1),
        "other_level": levels[..., 1].mean(axis=-1),
        "time_to_cooperation": time_to_cooperation(levels),
    }


def _bars(cfg: MatchConfig, game: Any, table: dict) -> dict:
    """The issue's bars that this game's table can decide."""
    bars = {}
    cooperation, defection = float(game.mutual_cooperation), float(game.mutual_defection)
    gap = cooperation - defection
    for agent in GRADUAL:
        if agent not in cfg.rows:
            continue
        t = TITLES[agent]
        if agent in cfg.columns:
            share = np.asarray(table[agent][agent]["welfare_share"])
            bars[f"{agent}/self"] = {
                "text": f"{t} against itself reaches ≥ 90% of the maximum welfare (match average)",
                "met": bool(share.min() >= 0.9),
                "value": f"mean {share.mean():.3f}, lowest seed {share.min():.3f}",
            }
        if "allc" in cfg.columns:
            level = np.asarray(table[agent]["allc"]["own_level"])
            bars[f"{agent}/allc"] = {
                "text": f"{t} cooperates with AllC (average level ≥ {COOPERATIVE:g})",
                "met": bool(level.min() >= COOPERATIVE),
                "value": f"mean level {level.mean():.3f}, lowest seed {level.min():.3f}",
            }
        if "alld" in cfg.columns:
            own = np.asarray(table[agent]["alld"]["own"])
            shortfall = (defection - own) / gap
            bars[f"{agent}/alld"] = {
                "text": f"{t} against AllD, {cfg.rounds} rounds: average payoff short of mutual"
                f" defection ({defection:.3g}) by ≤ 5% of the cooperation–defection gap"
                f" ({gap:.3g})",
                "met": bool(shortfall.max() <= 0.05),
                "value": f"shortfall mean {100 * shortfall.mean():.2f}%, worst seed"
                f" {100 * shortfall.max():.2f}%",
            }
    return bars


def _verdicts(cfg: MatchConfig, table: dict) -> list[str]:
    """Opponent by opponent: does gradual TFT earn more than LOLA and the naive learner?

    "more" means the difference of mean own returns exceeds twice its standard error
    over seeds; otherwise it is a tie.
    """
    lines = []
    learners = [a for a in LEARNERS if a in cfg.rows]
    for col in cfg.columns:
        for agent in (a for a in GRADUAL if a in cfg.rows):
            parts = []
            for learner in learners:
                a = np.asarray(table[agent][col]["own"])
                b = np.asarray(table[learner][col]["own"])
                diff = a.mean() - b.mean()
                se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size) if a.size > 1 else 0
                if diff > 2 * se:
                    word = "beats"
                elif diff < -2 * se:
                    word = "loses to"
                else:
                    word = "ties with"
                parts.append(f"{word} {TITLES[learner]} ({a.mean():.3f} vs {b.mean():.3f})")
            if parts:
                lines.append(f"- against {TITLES[col]}: {TITLES[agent]} " + "; ".join(parts))
    return lines


def _run_matches(cfg: MatchConfig, ctx) -> RunResult:
    n_pair = len(cfg.rows) * len(cfg.columns)
    advance = ctx.task(f"gradual TFT, {cfg.game}: {n_pair} pairings × {cfg.seeds} seeds", 1)
    game = build_game(cfg.game, cfg.temperature, cfg.noise)
    out = match_table(cfg)
    advance(1)
    metrics = pairing_metrics(game, out["levels"], out["rewards"])
    table: dict = {}
    for k in range(n_pair):
        row, col = cfg.rows[k // len(cfg.columns)], cfg.columns[k % len(cfg.columns)]
        table.setdefault(row, {})[col] = {m: v[k].tolist() for m, v in metrics.items()}
    bars = _bars(cfg, game, table)
    verdicts = _verdicts(cfg, table)
    summary = {
        "game": cfg.game,
        "mutual_cooperation": float(game.mutual_cooperation),
        "mutual_defection": float(game.mutual_defection),
        "max_welfare": float(game.max_welfare),
        "table": table,
        "bars": bars,
        "verdicts": verdicts,
    }
    md = _match_markdown(cfg, game, table, bars, verdicts)
    diverged = None
    if not np.isfinite(out["rewards"]).all():
        k = int(np.argwhere(~np.isfinite(out["rewards"]).all(axis=(1, 2, 3)))[0, 0])
        diverged = (
            f"pairing {cfg.rows[k // len(cfg.columns)]} vs {cfg.columns[k % len(cfg.columns)]}"
        )
    return RunResult(_match_columns(cfg, out), summary, md, {}, diverged)


def _ms(values: Sequence[float]) -> str:
    v = np.asarray(values, dtype=float)
    return f"{v.mean():.3f} ± {v.std():.3f}"


def _ttc(values: Sequence[float]) -> str:
    v = np.asarray(values, dtype=float)
    reached = np.isfinite(v)
    if not reached.any():
        return "never"
    return f"{np.median(v[reached]):.0f} ({reached.sum()}/{v.size})"


def _match_markdown(cfg, game, table, bars, verdicts) -> str:
    if cfg.game == "ipd":
        setting = (
            "Iterated Prisoner's Dilemma R=3, P=1, T=4, S=0 (equal gains from switching), "
            f"α-policies P(C) = σ((3α − 1)/κ) with κ = {cfg.temperature:g}"
        )
    else:
        setting = (
            "Continuous dilemma r_i = a_j − a_i²/2, a ∈ [0, 1], α-action α, "
            f"action noise σ = {cfg.noise:g}"
        )
    head = (
        f"# Gradual tit-for-tat: {cfg.game}\n\n{setting}; {cfg.rounds} rounds, {cfg.seeds} seeds "
        f"per pairing. gTFT: ε = {cfg.eps:g}, Bayes on {cfg.grid} grid points (uniform prior), "
        f"reward inversion τ = {cfg.tau:g}. Learners: reactive strategies with an opponent "
        f"model, step {cfg.learner_lr:g}, LOLA η = {cfg.lola_eta:g}. Per-round averages; mutual "
        f"cooperation {float(game.mutual_cooperation):.3g}, mutual defection "
        f"{float(game.mutual_defection):.3g} per player. Mean ± std over seeds; time to mutual "
        f"cooperation: median round over the seeds that reach it (how many).\n\n"
    )
    rows = []
    for row in cfg.rows:
        for col in cfg.columns:
            m = table[row][col]
            rows.append(
                [
                    TITLES[row],
                    TITLES[col],
                    _ms(m["own"]),
                    _ms(m["other"]),
                    _ms(m["welfare"]),
                    _ms(m["exploitation"]),
                    _ms(m["own_level"]),
                    _ttc(m["time_to_cooperation"]),
                ]
            )
    md = head + markdown_table(
        [
            "agent",
            "opponent",
            "own return",
            "co-player's return",
            "welfare",
            "exploitation",
            "own level",
            "time to mutual cooperation",
        ],
        rows,
    )
    if bars:
        md += "\n## Bars\n\n" + "\n".join(
            f"- {b['text']}: {_pass(b['met'])} ({b['value']})" for b in bars.values()
        )
        md += "\n"
    if verdicts:
        md += (
            "\n## Gradual TFT against LOLA and naive learning\n\nOwn return against the same "
            'opponent; "beats" when the difference of means exceeds twice its standard error '
            "over seeds.\n\n" + "\n".join(verdicts) + "\n"
        )
    return md


def _match_columns(cfg: MatchConfig, out: dict) -> dict[str, np.ndarray]:
    levels, rewards, probes = out["levels"], out["rewards"], out["probes"]
    n_pair, seeds, rounds = levels.shape[:3]
    n_rows = rounds // cfg.log_every

    def window(x: np.ndarray) -> np.ndarray:  # mean over each log window: (P, S, n_rows, ...)
        return x.reshape(n_pair, seeds, n_rows, cfg.log_every, *x.shape[3:]).mean(axis=3)

    shape = (n_pair, seeds, n_rows)
    names = np.array([f"{r}:{c}" for r in cfg.rows for c in cfg.columns])

    def spread(values: np.ndarray) -> np.ndarray:
        return np.broadcast_to(values, shape).reshape(-1)

    cols = {
        "cell": spread(names[:, None, None]),
        "seed": spread(cfg.seed + np.arange(seeds)[None, :, None]),
        "round": spread(((np.arange(n_rows) + 1) * cfg.log_every)[None, None, :]),
    }
    lv, rw = window(levels), window(rewards)
    last = probes[:, :, cfg.log_every - 1 :: cfg.log_every]  # [α, β̂] at each row's last round
    for i in range(2):
        cols[f"play/level/{i}"] = lv[..., i].reshape(-1)
        cols[f"payoff/reward/{i}"] = rw[..., i].reshape(-1)
        cols[f"gtft/alpha/{i}"] = last[..., i, 0].reshape(-1)
        cols[f"gtft/beta_hat/{i}"] = last[..., i, 1].reshape(-1)
    return cols


# ================================================================ estimation


@dataclass(frozen=True)
class EstimationConfig(AgentOptions):
    """Both estimators against fixed-β opponents, in the IPD and the continuous game.

    Attributes:
        betas: the opponents' β (the bar's 0, 0.25, 0.5, 0.75, 1 among them).
        noises: action noises σ of the continuous game (each is one setting).
        seeds: matches per (game, estimator, β).
        seed: first PRNG seed.
        rounds: rounds per match.
        at: the round at which the bar is read.
        tolerance: the bar's |β̂ − β|.
        (the rest as in :class:`MatchConfig`; ``noise`` is unused here.)
    """

    betas: tuple[float, ...] = tuple(np.round(np.linspace(0.0, 1.0, 21), 2).tolist())
    noises: tuple[float, ...] = (0.0, 0.1)
    seeds: int = 64
    seed: int = 0
    rounds: int = 400
    at: int = 200
    tolerance: float = 0.05

    def __post_init__(self) -> None:
        if not isinstance(self.betas, tuple) or not self.betas:
            raise ConfigError(
                "betas", f"{self.betas!r} is not accepted; accepted: numbers in [0, 1]"
            )
        for b in self.betas:
            number("betas", b, low=0.0, strict=False, high=1.0)
        if not isinstance(self.noises, tuple) or not self.noises:
            raise ConfigError(
                "noises", f"{self.noises!r} is not accepted; accepted: numbers in [0, 1]"
            )
        for s in self.noises:
            number("noises", s, low=0.0, strict=False, high=1.0)
        integer("seeds", self.seeds, 1)
        integer("seed", self.seed, 0)
        integer("rounds", self.rounds, 1)
        integer("at", self.at, 1, self.rounds)
        number("tolerance", self.tolerance, low=0.0, strict=True)
        _check_options(self)


def settings(cfg: EstimationConfig) -> list[tuple[str, str, float]]:
    """``(label, game, noise)`` of every game setting: the IPD, then each continuous noise."""
    return [("ipd", "ipd", 0.0)] + [(f"continuous σ={s:g}", "continuous", s) for s in cfg.noises]


def estimation_table(cfg: EstimationConfig, game_name: str, noise: float) -> dict[str, np.ndarray]:
    """β̂ and α over rounds of both estimators against every β: one program per game.

    Returns ``beta_hat`` and ``alpha`` ``(2 estimators, betas, seeds, rounds)``.
    """
    game = build_game(game_name, cfg.temperature, noise)
    agents = roster(game, cfg)
    gradual = [agents[n] for n in GRADUAL]

    def one(e: jax.Array, beta: jax.Array, key: jax.Array):
        t = play_match(game, select(gradual, e), fixed_beta(game, beta), key, cfg.rounds)
        return t.probes[:, 0, 1], t.probes[:, 0, 0]

    def program(betas: jax.Array, seeds: jax.Array):
        keys = jax.vmap(jax.random.PRNGKey)(seeds)
        f = jax.vmap(jax.vmap(jax.vmap(one, (None, None, 0)), (None, 0, None)), (0, None, None))
        return f(jnp.arange(len(GRADUAL)), betas, keys)

    betas = np.asarray(cfg.betas, np.float32)
    seeds = np.arange(cfg.seed, cfg.seed + cfg.seeds, dtype=np.int32)
    beta_hat, alpha = jax.jit(program)(betas, seeds)
    return {"beta_hat": np.asarray(beta_hat), "alpha": np.asarray(alpha)}


BAR_BETAS = (0.0, 0.25, 0.5, 0.75, 1.0)


def ipd_fisher_information(betas: np.ndarray, temperature: float) -> np.ndarray:
    """Fisher information about β in one IPD action: (b/κ)² π(1 − π), π = σ((3β − 1)/κ)."""
    z = (3.0 * np.asarray(betas) - 1.0) / temperature
    p = 1.0 / (1.0 + np.exp(-z))
    return (3.0 / temperature) ** 2 * p * (1 - p)


def _run_estimation(cfg: EstimationConfig, ctx) -> RunResult:
    cases = settings(cfg)
    advance = ctx.task(
        f"gradual TFT estimation: {len(cases)} games × {len(cfg.betas)} β", len(cases)
    )
    results = {}
    for label, name, noise in cases:
        results[label] = estimation_table(cfg, name, noise)
        advance(1)
    betas = np.asarray(cfg.betas)
    summary: dict = {"settings": {}, "bars": {}}
    rows = []
    for label, name, _ in cases:
        err = np.abs(results[label]["beta_hat"] - betas[None, :, None, None])  # (E, B, S, R)
        at = err[..., cfg.at - 1]
        per = {}
        for e, est in enumerate(GRADUAL):
            per[est] = {
                "mean_abs_error": at[e].mean(axis=1).tolist(),
                "p95_abs_error": np.quantile(at[e], 0.95, axis=1).tolist(),
                "within": (at[e] <= cfg.tolerance).mean(axis=1).tolist(),
                "rmse": np.sqrt((at[e] ** 2).mean(axis=1)).tolist(),
                "beta_hat_mean": results[label]["beta_hat"][e, :, :, cfg.at - 1]
                .mean(axis=1)
                .tolist(),
                "beta_hat_std": results[label]["beta_hat"][e, :, :, cfg.at - 1]
                .std(axis=1)
                .tolist(),
            }
            for b in BAR_BETAS:
                k = _index(betas, b)
                if k is None:
                    continue
                rows.append(
                    [
                        label,
                        TITLES[est],
                        f"{b:g}",
                        f"{per[est]['beta_hat_mean'][k]:.3f} ± {per[est]['beta_hat_std'][k]:.3f}",
                        f"{per[est]['mean_abs_error'][k]:.3f}",
                        f"{per[est]['p95_abs_error'][k]:.3f}",
                        f"{100 * per[est]['within'][k]:.0f}%",
                    ]
                )
            if name == "continuous":
                ks = [_index(betas, b) for b in BAR_BETAS]
                ks = [k for k in ks if k is not None]
                within = np.asarray(per[est]["within"])[ks]
                p95 = np.asarray(per[est]["p95_abs_error"])[ks]
                summary["bars"][f"{label}/{est}"] = {
                    "text": f"{label}, {TITLES[est]}: |β̂ − β| ≤ {cfg.tolerance:g} after {cfg.at} "
                    f"rounds for β ∈ {{{', '.join(f'{betas[k]:g}' for k in ks)}}} (95% of seeds)",
                    "met": bool(len(ks) == len(BAR_BETAS) and (within >= 0.95).all()),
                    "value": f"worst β: {100 * within.min():.0f}% of seeds within, 95th percentile"
                    f" {p95.max():.3f}",
                }
        summary["settings"][label] = per
    fisher = ipd_fisher_information(betas, cfg.temperature)
    summary["ipd_fisher_information"] = fisher.tolist()
    md = _estimation_markdown(cfg, summary, rows)
    return RunResult(_estimation_columns(cfg, results), summary, md, {}, None)


def _index(betas: np.ndarray, b: float) -> int | None:
    hits = np.nonzero(np.isclose(betas, b))[0]
    return int(hits[0]) if len(hits) else None


def _estimation_markdown(cfg: EstimationConfig, summary: dict, rows: list) -> str:
    md = (
        "# Gradual tit-for-tat: estimating a fixed-β opponent\n\n"
        f"Gradual TFT (ε = {cfg.eps:g}) against an opponent that plays the α-policy with α = β "
        f"for ever; {cfg.seeds} seeds, β̂ read after round {cfg.at}. IPD: κ = {cfg.temperature:g}; "
        f"continuous game with action noise σ as labelled. Bayes: {cfg.grid} grid points, "
        f"uniform prior, posterior mean; reward inversion: τ = {cfg.tau:g}.\n\n"
        + markdown_table(
            ["game", "estimator", "β", "β̂ (mean ± std)", "mean |β̂ − β|", "95th pct", "within"],
            rows,
        )
    )
    if summary["bars"]:
        md += "\n## Bars\n\n" + "\n".join(
            f"- {b['text']}: {_pass(b['met'])} ({b['value']})" for b in summary["bars"].values()
        )
        md += "\n"
    betas = np.asarray(cfg.betas)
    fisher = np.asarray(summary["ipd_fisher_information"])
    good = betas[1.0 / np.sqrt(np.maximum(cfg.at * fisher, 1e-300)) <= cfg.tolerance]
    span = f"{good.min():g}–{good.max():g}" if len(good) else "none of the grid"
    md += (
        "\n## What the IPD lets the estimators identify\n\n"
        f"One IPD action carries Fisher information (3/κ)² π(1 − π) about β, π = σ((3β − 1)/κ): "
        f"largest at the threshold β = 1/3 and vanishing as π saturates. After {cfg.at} rounds "
        f"the Cramér–Rao bound on the standard error of β̂ is ≤ {cfg.tolerance:g} only for β in "
        f"{span} (grid values); outside it no estimator can place β within {cfg.tolerance:g}, "
        "only on one side of the threshold.\n"
    )
    return md


def logged_rounds(cfg: EstimationConfig) -> np.ndarray:
    """About 30 rounds, spaced geometrically from 1 to ``rounds``, ``at`` among them."""
    rounds = np.unique(np.geomspace(1, cfg.rounds, 30).round().astype(int))
    return np.union1d(rounds, [cfg.at])


def _estimation_columns(cfg: EstimationConfig, results: dict) -> dict[str, np.ndarray]:
    cols: dict[str, list] = {k: [] for k in ("cell", "seed", "round", "beta", "beta_hat", "alpha")}
    rounds = logged_rounds(cfg)
    for label, out in results.items():
        for e, est in enumerate(GRADUAL):
            for b, beta in enumerate(cfg.betas):
                bh = out["beta_hat"][e, b][:, rounds - 1]  # (seeds, n)
                al = out["alpha"][e, b][:, rounds - 1]
                n = bh.size
                cols["cell"].append(np.full(n, f"{label}/{est}"))
                cols["seed"].append(np.repeat(cfg.seed + np.arange(cfg.seeds), len(rounds)))
                cols["round"].append(np.tile(rounds, cfg.seeds))
                cols["beta"].append(np.full(n, beta))
                cols["beta_hat"].append(bh.reshape(-1))
                cols["alpha"].append(al.reshape(-1))
    return {k: np.concatenate(v) for k, v in cols.items()}


# ================================================================ Axelrod tournament

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
)
"""Axelrod's first tournament (its 15 entrants, Random included), both of Axelrod's own
gradual TFTs (Beaufils et al. 1997 as first implemented, and the corrected one), and
the basic strategies of the Axelrod library."""


@dataclass(frozen=True)
class AxelrodConfig:
    """Gradual TFT (both estimators) in a round-robin tournament of the Axelrod library.

    Attributes:
        opponents: Axelrod strategy class names.
        turns: turns per match.
        repetitions: repetitions of each match.
        seed: the tournament's seed.
        noise: Axelrod's action noise (the probability that a move is flipped).
        temperature, eps, tau, grid: gradual TFT's options, as in :class:`MatchConfig`.

    The game is R=3, P=1, T=4, S=0 (Table 4.1; gradual TFT's α-policies need
    T − R = P − S), not Axelrod's default T = 5.
    """

    opponents: tuple[str, ...] = CLASSICS
    turns: int = 200
    repetitions: int = 3
    seed: int = 0
    noise: float = 0.0
    temperature: float = 0.2
    eps: float = 0.1
    tau: float = 0.02
    grid: int = 101

    def __post_init__(self) -> None:
        if not isinstance(self.opponents, tuple) or not self.opponents:
            raise ConfigError(
                "opponents", f"{self.opponents!r} is not accepted; accepted: Axelrod class names"
            )
        if len(set(self.opponents)) != len(self.opponents):
            raise ConfigError("opponents", "accepted: each name once")
        integer("turns", self.turns, 1)
        integer("repetitions", self.repetitions, 1)
        integer("seed", self.seed, 0)
        number("noise", self.noise, low=0.0, strict=False, high=1.0)
        number("temperature", self.temperature, low=0.0, strict=True)
        number("eps", self.eps, low=0.0, strict=False, high=1.0)
        number("tau", self.tau, low=0.0, strict=True, high=1.0)
        integer("grid", self.grid, 2, 10_001)


AXELROD_PAYOFFS = MappingProxyType({"r": 3, "s": 0, "t": 4, "p": 1})


def tournament(cfg: AxelrodConfig) -> dict:
    """Play the tournament (``processes=None``: no worker processes) and read its results."""
    import axelrod as axl

    from prosocial.strategies.axelrod import player

    unknown = [n for n in cfg.opponents if not hasattr(axl, n)]
    if unknown:
        raise ConfigError("opponents", f"{unknown}: no such Axelrod strategy")
    ours = [
        player(
            "gradual_tft",
            label=TITLES[agent],
            temperature=cfg.temperature,
            estimator=agent.removeprefix("gtft_"),
            eps=cfg.eps,
            **({"grid": cfg.grid} if agent == "gtft_bayes" else {"tau": cfg.tau}),
        )
        for agent in GRADUAL
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
    scores = np.asarray(results.normalised_scores, dtype=float)  # (players, repetitions)
    return {
        "names": names,
        "ranking": [names[i] for i in results.ranking],
        "scores": scores,
        "wins": np.asarray(results.wins, dtype=float),
        "cooperation": np.asarray(results.cooperating_rating, dtype=float),
        "version": axl.__version__,
    }


def _run_axelrod(cfg: AxelrodConfig, ctx) -> RunResult:
    try:
        import axelrod  # noqa: F401
    except ImportError:
        md = (
            "# Gradual TFT in an Axelrod tournament\n\n**Not run**: the optional extra is "
            'missing; `pip install "prosocial[axelrod]"` (install `torch==2.13.0`, the CPU '
            "build, first) and run `prosocial run gradual-tft-axelrod`.\n"
        )
        empty = {"cell": np.array([], dtype=str)}
        return RunResult(empty, {"skipped": "axelrod is not installed"}, md)
    advance = ctx.task(f"Axelrod tournament: {len(cfg.opponents) + 2} players", 1)
    out = tournament(cfg)
    advance(1)
    names, scores = out["names"], out["scores"]
    median = np.median(scores, axis=1)
    rows, ranking = [], []
    for rank, name in enumerate(out["ranking"], start=1):
        i = names.index(name)
        entry = {
            "rank": rank,
            "name": name,
            "median_score": float(median[i]),
            "mean_score": float(scores[i].mean()),
            "wins": float(out["wins"][i].mean()),
            "cooperation": float(out["cooperation"][i]),
            "prosocial": name in (TITLES[a] for a in GRADUAL),
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
    summary = {"axelrod_version": out["version"], "ranking": ranking}
    md = (
        "# Gradual TFT in an Axelrod tournament\n\n"
        f"Round robin of {len(names)} players (Axelrod {out['version']}), {cfg.turns} turns, "
        f"{cfg.repetitions} repetitions, noise {cfg.noise:g}, game R=3 P=1 T=4 S=0. Ranked by "
        "median score per turn over repetitions; wins: matches won per repetition; "
        "cooperation: the player's cooperating rating.\n\n"
        + markdown_table(["rank", "player", "median score/turn", "wins", "cooperation"], rows)
    )
    cols = {
        "cell": np.repeat(np.array(names), scores.shape[1]),
        "seed": np.tile(np.arange(scores.shape[1]), len(names)),
        "score/per_turn": scores.reshape(-1),
    }
    return RunResult(cols, summary, md)


# ================================================================ registration


def register_all() -> None:
    """Register the gradual TFT presets (called once by ``prosocial.experiments.catalog``)."""
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
                run=_run_matches,
                plot=lazy_plot("gradual_tft", "plot_matches"),
            )
        )
    register(
        Preset(
            name="gradual-tft-estimation",
            group="gradual-tft",
            description="Thesis §5.3: both β estimators against fixed-β opponents",
            config=EstimationConfig(),
            run=_run_estimation,
            plot=lazy_plot("gradual_tft", "plot_estimation"),
        )
    )
    register(
        Preset(
            name="gradual-tft-axelrod",
            group="gradual-tft",
            description="Gradual TFT in a tournament of Axelrod's classic strategies (extra)",
            config=AxelrodConfig(),
            run=_run_axelrod,
            plot=lazy_plot("gradual_tft", "plot_tournament"),
        )
    )
