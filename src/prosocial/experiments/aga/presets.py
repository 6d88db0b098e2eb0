"""The AgA presets as data: ``aga-public-goods``, ``aga-toy-game`` and ``aga-lola-ipd``.

Each preset declares its config, its cells (runs of ``PROGRAMS["adjust"]`` or
``PROGRAMS["ipd_lola"]``), its finals, tables, bars and figures. What belongs to one table
only (the public goods coefficient selection, AgA against AgA-Sign) is an ``Analysis`` in
:mod:`prosocial.experiments.aga.analyses`. Protocol choices: ``docs/aga.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from prosocial.errors import ConfigError
from prosocial.experiments import finals as fin
from prosocial.experiments.aga import analyses, deep, figures, lola, smax
from prosocial.experiments.aga.program import COEFFICIENT, AdjustConfig, radians
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.spec import Analysis, Cell, Column, Preset, Table, register
from prosocial.games import AGA_TOY_VARIANTS, check_public_goods

TABLE_METHODS = ("simul_ind", "cga", "sga", "svo", "simul_co", "sl", "aga")
TOY_METHODS = (*TABLE_METHODS, "aga_fixed_sign")
METHODS = tuple(COEFFICIENT)
GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)
ANGLES = (0.0, 11.25, 22.5, 33.75, 45.0, 56.25, 67.5, 78.75, 90.0)
MAX_PLAYERS = 64


def player_final(metric: str, i: int):
    """Player ``i``'s value of ``metric`` at the last row; KeyError when there is none
    (the summariser then leaves the final out of that cell)."""

    def final(data) -> np.ndarray:
        values = np.asarray(data.metrics[metric])
        if values.shape[-1] <= i:
            raise KeyError(f"{metric}/{i}")
        return values[:, -1, i]

    return final


# ================================================================ public goods


@dataclass(frozen=True)
class PublicGoodsConfig(Config):
    """The seed's public goods table: p_i = b − a_i + (c/n) Σ_j a_j, a_i = b·σ(w_i)."""

    methods: tuple[str, ...] = option(TABLE_METHODS, "methods to run", choices=METHODS)
    runs: int = option(50, "runs per cell, for choosing and for reporting", low=2, high=10_000)
    seed: int = seed_option()
    steps: int = option(100, "learning steps per run", low=1, high=10**5)
    lr: float = option(0.25, "the shared learning rate", low=0.0, strict=True, high=1e3)
    optimizer: str = option("sgd", "the shared optimiser", choices=("sgd", "adam"))
    init_scale: float = option(1.0, "w_i ~ Logistic(0, init_scale)", low=0.0, strict=True, high=1e3)
    n_players: int = option(2, "players", low=2, high=MAX_PLAYERS)
    endowment: float = option(1.0, "the budget b", low=0.0, strict=True, high=1e3)
    multiplier: float = option(
        1.5, "the multiplier c (1 < c < n)", low=1.0, strict=True, high=float(MAX_PLAYERS)
    )
    lam_grid: tuple[float, ...] = option(
        GRID, "λ swept for CGA, SGA, AgA, AgA-Sign (η: LOLA, SOS)", low=0.0, high=1e6
    )
    alpha_grid: tuple[float, ...] = option(GRID, "α swept for SL", low=0.0, high=1e6)
    angle_grid: tuple[float, ...] = option(
        ANGLES, "SVO target angles swept, degrees", low=-180.0, high=180.0
    )
    svo_weight: float = option(1.0, "SVO's shaping weight (not swept)", low=0.0, high=1e3)
    select_tol: float = option(
        0.001,
        "keep the smallest coefficient within this of the best mean SW on the selection runs",
        low=0.0,
        high=1e3,
    )
    log_every: int = option(10, "steps between logged rows", low=1, high=10**5)

    def check(self) -> None:
        check_log_every(self, "steps")
        check_public_goods(self.n_players, self.endowment, self.multiplier)

    def grid(self, method: str) -> tuple[float | None, ...]:
        param = COEFFICIENT[method]
        if param is None:
            return (None,)
        return {"alpha": self.alpha_grid, "angle": self.angle_grid}.get(param, self.lam_grid)


def _pg_cells(cfg: PublicGoodsConfig) -> list[Cell]:
    out = []
    for m in cfg.methods:
        for c in cfg.grid(m):
            name = analyses.cell_name(m, c)
            for split, stream in (("select", 1), ("report", 0)):
                config = AdjustConfig(
                    game="public_goods",
                    n_players=cfg.n_players,
                    endowment=cfg.endowment,
                    multiplier=cfg.multiplier,
                    methods=cfg.methods,
                    method=m,
                    coefficient=radians(m, c),
                    svo_weight=cfg.svo_weight,
                    optimizer=cfg.optimizer,
                    lr=cfg.lr,
                    steps=cfg.steps,
                    log_every=cfg.log_every,
                    init_scale=cfg.init_scale,
                    stream=stream,
                    seeds=cfg.runs,
                    seed=cfg.seed,
                )
                meta = {
                    "method": analyses.TITLES[m],
                    "coefficient": analyses.coef_label(m, c),
                    "method_key": m,
                    "value": c,
                    "split": split,
                    "name": name,
                }
                out.append(Cell(f"{name}/{split}", config, meta))
    return out


PG_FINALS = MappingProxyType(
    {
        **{f"r{i + 1}": player_final("payoff/reward", i) for i in range(MAX_PLAYERS)},
        "sw": fin.last("social/welfare"),
        "equality": fin.last("social/equality"),
        "w_finite": fin.finished("w_finite"),
    }
)


# ================================================================ toy game


@dataclass(frozen=True)
class ToyGameConfig(Config):
    """The seed's toy game: trajectories of every method, and AgA against AgA-Sign."""

    variant: str = option(
        "blog", "the reading of ℓ₂ (blog: social optimum 2)", choices=AGA_TOY_VARIANTS
    )
    methods: tuple[str, ...] = option(TOY_METHODS, "methods to run", choices=METHODS)
    lr: float = option(0.05, "plain gradient step size", low=0.0, strict=True, high=100.0)
    steps: int = option(40, "steps per trajectory", low=1, high=10**4)
    lam: float = option(0.1, "λ of CGA, SGA, AgA, AgA-Sign (η: LOLA, SOS)", low=0.0, high=1e6)
    alpha: float = option(1.0, "α of SL", low=0.0, high=1e6)
    angle: float = option(45.0, "SVO's target angle, degrees", low=-180.0, high=180.0)
    svo_weight: float = option(1.0, "SVO's shaping weight", low=0.0, high=1e3)
    starts: int = seeds_option(256, "random start points of the statistics")
    start_box: tuple[float, ...] = option(
        (-1.0, 1.0), "starts uniform on this square, low,high", low=-100.0, high=100.0
    )
    start: tuple[float, ...] | None = option(
        None,
        "a start a1,a2 drawn in the figure only (none: a representative start)",
        low=-100.0,
        high=100.0,
        unique=False,
    )
    tol: float = option(
        0.05,
        "reached: collective reward within tol of the optimum",
        low=0.0,
        strict=True,
        high=100.0,
    )
    view: tuple[float, ...] = option(
        (-2.0, 2.5), "the square of the landscape drawn", low=-100.0, high=100.0
    )
    seed: int = seed_option()

    def check(self) -> None:
        for name in ("start_box", "view"):
            box = getattr(self, name)
            if len(box) != 2 or box[0] >= box[1]:
                raise ConfigError(
                    name, f"{box!r} is not accepted; accepted: low,high with low < high"
                )
        if self.start is not None and len(self.start) != 2:
            raise ConfigError("start", f"{self.start!r} is not accepted; accepted: a1,a2")

    def coefficient(self, method: str) -> float | None:
        return {None: None, "alpha": self.alpha, "angle": self.angle}.get(
            COEFFICIENT[method], self.lam
        )


def _toy_cells(cfg: ToyGameConfig) -> list[Cell]:
    optimum = figures.toy_optimum(cfg.variant, cfg.view)
    out = []
    for m in cfg.methods:
        c = cfg.coefficient(m)
        base = AdjustConfig(
            game="toy",
            variant=cfg.variant,
            methods=cfg.methods,
            method=m,
            coefficient=radians(m, c),
            svo_weight=cfg.svo_weight,
            optimizer="sgd",
            lr=cfg.lr,
            steps=cfg.steps,
            log_every=1,
            hold=True,
            start_box=cfg.start_box,
            seeds=cfg.starts,
            seed=cfg.seed,
        )
        meta = {
            "method": analyses.TITLES[m],
            "coefficient": analyses.coef_label(m, c),
            "method_key": m,
            "optimum": optimum,
            "target": optimum - cfg.tol,
        }
        out.append(Cell(m, base, {**meta, "split": "statistics"}))
        if cfg.start is not None:
            drawn = dataclasses.replace(base, points=tuple(cfg.start), seeds=1)
            out.append(Cell(f"{m}/figure", drawn, {**meta, "split": "figure"}))
    return out


TOY_FINALS = MappingProxyType(
    {
        "reached": lambda d: 100.0 * np.isfinite(analyses.reach(d)),
        "steps": analyses.reach,
        "collective": fin.last("social/collective"),
        "r1": fin.last("payoff/reward", 0),
        "r2": fin.last("payoff/reward", 1),
        "diverged": lambda d: (np.asarray(d.finished["diverged_at"]) >= 0).astype(float),
    }
)


def _toy_tables(cfg: ToyGameConfig):
    optimum = figures.toy_optimum(cfg.variant, cfg.view)
    return [
        Table(
            f"AgA, toy game (seed 001, Figure 2; ℓ₂ as in the {cfg.variant} reading)",
            rows=("method", "coefficient"),
            columns=(
                Column("reached", "reached (%)", 0, "mean"),
                Column("steps", "median steps (starts reaching)", 0, "reach"),
                Column("collective", "final collective", 3, "mean"),
                Column("r1", "final r₁", 3, "mean"),
                Column("r2", "final r₂", 3, "mean"),
                Column("diverged", "diverged (share)", 3, "mean"),
            ),
            intro=(
                f"Plain gradient steps of size {cfg.lr:g}, {cfg.steps} steps, from "
                f"{cfg.starts} starts uniform on [{cfg.start_box[0]:g}, {cfg.start_box[1]:g}]²."
                f" A trajectory reaches the social optimum (collective reward {optimum:.3f}) "
                f"when its collective reward is ≥ {optimum - cfg.tol:.3f}. Coefficients: λ = "
                f"{cfg.lam:g}, α = {cfg.alpha:g}, SVO angle {cfg.angle:g}° (weight "
                f"{cfg.svo_weight:g}). A diverged trajectory (its next step would be "
                "non-finite) stops at its last finite point and counts as not reached."
            ),
            cells=tuple(cfg.methods),
        )
    ]


# ================================================================ registration


def register_all() -> None:
    """Register the AgA presets (the exact games here, the deep policies in :mod:`deep`)."""
    deep.register_all()
    smax.register_all()
    register(
        Preset(
            name="aga-public-goods",
            group="aga",
            description="Seed 001 Table 1: public goods, seven methods, coefficient sweep",
            config=PublicGoodsConfig(),
            program="adjust",
            cells=_pg_cells,
            finals=PG_FINALS,
            tables=lambda cfg: [],
            figures=figures.public_goods_figures,
            analyses=(Analysis("public_goods", analyses.public_goods),),
        )
    )
    register(
        Preset(
            name="aga-toy-game",
            group="aga",
            description="Seed 001 Figure 2: toy-game trajectories, AgA vs AgA-Sign",
            config=ToyGameConfig(),
            program="adjust",
            cells=_toy_cells,
            finals=TOY_FINALS,
            tables=_toy_tables,
            figures=figures.toy_figures,
            analyses=(Analysis("sign_alignment", analyses.sign_alignment),),
        )
    )
    register(
        Preset(
            name="aga-lola-ipd",
            group="aga",
            description="LOLA vs naive learners, exact iterated Prisoner's Dilemma",
            config=lola.LolaIPDConfig(),
            program="ipd_lola",
            cells=lola.cells,
            finals=lola.FINALS,
            tables=lola.tables,
            figures=figures.ipd_figures,
        )
    )
