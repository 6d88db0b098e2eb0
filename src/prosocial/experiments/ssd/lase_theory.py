"""LASE's cooperation over the (T, S) plane of symmetric 2×2 games: ``PROGRAMS["lase_stage"]``.

One run is one stage game (R, S, T, P its data) and one starting cooperation
q₀ drawn per seed uniformly from (0, 1). Two populations follow the replicator dynamics
``q ← q + rate · q (1 − q) · A(q)`` from q₀: selfish players, with ``A`` the plain
advantage of cooperating, ``qR + (1 − q)S − qT − (1 − q)P``, and LASE players, with ``A``
the advantage after LASE's gifts (:func:`prosocial.learners.lase.stage_advantage`: a
myopic critic on the stage payoffs and a co-player model that tracks the co-player).
Row ``r`` is the state after ``r · log_every`` steps (row 0 the start).

The preset ``lase-theory`` runs the plane as a grid of cells (one compiled program) and
draws both populations' cooperation as heat maps (R = 1, P = 0); its bars: LASE's IPD
(4/0/5/1) settles at the hand-derived q* = 0.8, and the same game rescaled to R = 1, P = 0
(T = 4/3, S = −1/3) at q* = 0.75 (:data:`IPD`).

The paper's theory figure (Kong et al. 2024, Fig. 2) plots LASE's cooperation over this
plane, split into the prisoner's dilemma (T > 1, S < 0), stag hunt (T < 1, S < 0),
snowdrift (T > 1, S > 0) and harmony (T < 1, S > 0); its derivation was not available to
us, and this analysis is ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.experiments import finals as fin
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.program import PROGRAMS, Program, seed_keys
from prosocial.experiments.spec import Analysis, Bar, Cell, Column, Figure, Preset, Table, register
from prosocial.learners.lase import stage_advantage


@dataclass(frozen=True)
class Replicator(Config):
    """The replicator dynamics' numbers, shared by one game and the plane."""

    steps: int = option(4000, "replicator steps", low=1, high=10**7)
    rate: float = option(0.05, "replicator step size", low=0.0, strict=True, high=10.0)
    log_every: int = option(400, "steps between logged rows", low=1, high=10**7)
    seeds: int = seeds_option(8)
    seed: int = seed_option()

    def check(self) -> None:
        check_log_every(self, "steps")


@dataclass(frozen=True)
class StageConfig(Replicator):
    """One stage game of the (T, S) plane (R = 1, P = 0 by default)."""

    R: float = option(1.0, "reward of mutual cooperation", low=-10.0, high=10.0)
    S: float = option(-0.5, "sucker's payoff", low=-10.0, high=10.0)
    T: float = option(1.5, "temptation", low=-10.0, high=10.0)
    P: float = option(0.0, "punishment of mutual defection", low=-10.0, high=10.0)


class State(NamedTuple):
    q: jax.Array  # (2,): selfish, LASE
    t: jax.Array  # steps taken
    row: jax.Array  # rows logged


def stage_row(R: jax.Array, S: jax.Array, T: jax.Array, P: jax.Array) -> jax.Array:
    """A player's payoffs ``[[R, S], [T, P]]``."""
    return jnp.stack([jnp.stack([R, S]), jnp.stack([T, P])])


def plain_advantage(row: jax.Array, q: jax.Array) -> jax.Array:
    """``E[r | C] − E[r | D]`` without gifts: ``q(R − T) + (1 − q)(S − P)``."""
    return q * (row[0, 0] - row[1, 0]) + (1.0 - q) * (row[0, 1] - row[1, 1])


def init(static, dyn: dict, key: jax.Array) -> State:
    q0 = jax.random.uniform(key, (), minval=0.01, maxval=0.99)
    zero = jnp.zeros((), jnp.int32)
    return State(jnp.stack([q0, q0]), zero, zero)


def advance(static: int, dyn: dict, state: State, rows: int):
    """Row ``r`` runs the steps up to ``r · log_every`` (none for row 0), then logs."""
    row = stage_row(dyn["R"], dyn["S"], dyn["T"], dyn["P"])

    def step(target, s: State) -> State:
        gain = jnp.stack([plain_advantage(row, s.q[0]), stage_advantage(row, s.q[1])])
        q = jnp.clip(s.q + dyn["rate"] * s.q * (1.0 - s.q) * gain, 0.0, 1.0)
        go = (s.t < target) & (s.t < dyn["steps"])
        return s._replace(q=jnp.where(go, q, s.q), t=jnp.where(go, s.t + 1, s.t))

    def one(s: State, _):
        target = s.row * static
        s = jax.lax.fori_loop(0, static, lambda _, x: step(target, x), s)
        s = s._replace(row=s.row + 1)
        return s, {"step": s.t, "stage/selfish": s.q[0], "stage/lase": s.q[1]}

    return jax.lax.scan(one, state, None, length=rows)


PROGRAM = Program(
    name="lase_stage",
    x="step",
    group=lambda c: (c.log_every, c.seeds),
    static=lambda cs: cs[0].log_every,
    dynamic=lambda c, static: {
        **{k: jnp.asarray(getattr(c, k), jnp.float32) for k in ("R", "S", "T", "P", "rate")},
        "steps": jnp.asarray(c.steps, jnp.int32),
    },
    inputs=lambda c: seed_keys(c.seed, c.seeds),
    init=init,
    advance=advance,
    rows=lambda c: c.steps // c.log_every + 1,
    chunk=lambda c, every: (
        c.steps // c.log_every + 1 if every is None else max(1, every // c.log_every)
    ),
)
PROGRAMS.register("lase_stage", lambda: PROGRAM)


# ============================================================ lase-theory

REGIONS = {
    "prisoner's dilemma": lambda t, s: t > 1 and s < 0,
    "stag hunt": lambda t, s: t < 1 and s < 0,
    "snowdrift": lambda t, s: t > 1 and s > 0,
    "harmony": lambda t, s: t < 1 and s > 0,
}
IPD = {"R": 4.0, "S": 0.0, "T": 5.0, "P": 1.0}
"""LASE's IPD, whose root q* = 0.8 is derived by hand; and the same game rescaled to
R = 1, P = 0 (T = 4/3, S = −1/3), whose root is q* = 0.75: LASE's gifts are shares of
rewards, and a share of a shifted reward is not the shifted share (r̃_i = Σ_k g_ki r_k,
and the shares an agent receives need not sum to 1), so LASE's dynamics, unlike the
selfish ones, depend on where the payoffs' zero lies."""
IPD_LABEL, RESCALED = "IPD 4/0/5/1", (4.0 / 3.0, -1.0 / 3.0)


@dataclass(frozen=True)
class TheoryConfig(Replicator):
    """LASE's cooperation over the (T, S) plane (module docstring)."""

    grid: int = option(11, "points per axis: T from 0 to 2, S from −1 to 1", low=3, high=201)

    def axes(self) -> tuple[np.ndarray, np.ndarray]:
        """``(T values, S values)`` of the grid, S from the top (1) down."""
        return np.linspace(0.0, 2.0, self.grid), np.linspace(1.0, -1.0, self.grid)


def _point(t: float, s: float) -> str:
    return f"T={t:.2f},S={s:.2f}"


def _theory_cells(cfg: TheoryConfig) -> list[Cell]:
    ts, ss = cfg.axes()
    points = [(float(t), float(s)) for s in ss for t in ts] + [RESCALED]
    common = {k: getattr(cfg, k) for k in ("steps", "rate", "log_every", "seeds", "seed")}
    cells = [
        Cell(_point(t, s), StageConfig(T=t, S=s, **common), {"game": _point(t, s)})
        for t, s in points
    ]
    return [*cells, Cell(IPD_LABEL, StageConfig(**IPD, **common), {"game": IPD_LABEL})]


THEORY_FINALS = {
    "lase": fin.last("stage/lase"),
    "selfish": fin.last("stage/selfish"),
}


def _theory_tables(cfg: TheoryConfig) -> list[Table]:
    rescaled = _point(*RESCALED)

    def settles(cell: str, q: float) -> tuple[Bar, Bar]:
        text = f"{cell}: LASE settles at the hand-derived q* = {q}"
        return (
            Bar(
                f"{text} (every seed at least {q - 0.01:.2f})", cell, "lase", ">=", q - 0.01, "min"
            ),
            Bar(f"{text} (every seed at most {q + 0.01:.2f})", cell, "lase", "<=", q + 0.01, "max"),
        )

    return [
        Table(
            title="Cooperation reached in LASE's IPD, as it is and rescaled",
            rows=("game",),
            columns=(Column("selfish", "selfish", 3), Column("lase", "LASE", 3)),
            cells=(IPD_LABEL, rescaled),
            bars=(*settles(IPD_LABEL, 0.8), *settles(rescaled, 0.75)),
            notes=(
                f"Replicator dynamics, {cfg.steps} steps of {cfg.rate} from a starting "
                f"cooperation drawn uniformly per seed ({cfg.seeds} seeds). LASE: a myopic "
                "critic on the stage payoffs and a co-player model that tracks the "
                "co-player (ours; the paper's derivation was not available to us). The "
                "second row is the first rescaled to R = 1, P = 0: LASE's gifts are "
                "shares of rewards, so its dynamics depend on where the payoffs' zero "
                "lies. Per region of the plane, the analysis below.",
            ),
        )
    ]


def region_means(results, cfg: TheoryConfig) -> tuple[dict, str]:
    """Mean cooperation of selfish and LASE players over each region's grid points."""
    ts, ss = cfg.axes()
    entry, lines = {}, []
    for region, inside in REGIONS.items():
        labels = [_point(t, s) for s in ss for t in ts if inside(t, s)]
        data = [results[label] for label in labels if label in results]
        if not data:
            continue
        means = {
            k: float(np.mean([THEORY_FINALS[k](d).mean() for d in data])) for k in THEORY_FINALS
        }
        entry[region] = means
        lines.append(f"| {region} | {len(data)} | {means['selfish']:.3f} | {means['lase']:.3f} |")
    md = (
        "## Cooperation by region\n\n| region | points | selfish | LASE |\n|---|---|---|---|\n"
        + "\n".join(lines)
        + "\n"
    )
    return entry, md


def _theory_figures(cfg: TheoryConfig, cells) -> list[Figure]:
    ts, ss = cfg.axes()
    return [
        Figure(
            "theory",
            "heatmap",
            "Cooperation reached over the (T, S) plane (R = 1, P = 0)",
            {
                "cells": [[_point(t, s) for t in ts] for s in ss],
                "row_labels": [f"{s:.1f}" for s in ss],
                "xlabel": "temptation T",
                "ylabel": "sucker's payoff S",
                "column_labels": [f"{t:.1f}" for t in ts],
                "panels": [
                    {"final": "selfish", "title": "selfish", "fmt": ".1f", "limits": [0, 1]},
                    {"final": "lase", "title": "LASE", "fmt": ".1f", "limits": [0, 1]},
                ],
            },
        )
    ]


def register_all() -> None:
    """Register ``lase-theory``."""
    register(
        Preset(
            name="lase-theory",
            group="lase",
            description="LASE's cooperation over the (T, S) plane of 2×2 games",
            config=TheoryConfig(),
            program="lase_stage",
            cells=_theory_cells,
            finals=THEORY_FINALS,
            tables=_theory_tables,
            figures=_theory_figures,
            analyses=(Analysis("region_means", region_means),),
        )
    )
