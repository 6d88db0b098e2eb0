"""LIO's presets: LIO against independent A2C learners with the same numbers.

* ``lio-ipd``: LIO's IPD (5 rounds of LOLA's payoffs, R_max 3, steps 1e-3, no cost of
  giving, MLP 16, 8; ``lio/alg/config_ipd_lio.py``). LIO's paper reports mutual
  cooperation; the bar is a cooperation rate of at least 0.9.
* ``lio-cleanup``: LIO's 7×7 Cleanup with two agents, or with ``--map 10x10`` its 10×10
  map with three (``config_ssd_lio.py``: CNN of 6 3×3 filters, dense 64, 64), against
  A2C and against LIO's own learners with the incentives off (:data:`CLEANUP_METHODS`).
  LIO's paper reports a division of labour (one agent cleans, the others pay it) and a
  collective return well above independent learners'. The table prints each agent's
  waste cleaned and incentives, and the share of the cleaning done by the agent that
  cleans most.

Scale: ours (parallel environments, fewer iterations than LIO's 60k and 50k episodes);
the docstring of each field names the value it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prosocial.experiments import finals as fin
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.spec import (
    Analysis,
    Bar,
    Cell,
    CellData,
    Column,
    Preset,
    Table,
    register,
)
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.tables import curve_figures, scale_note

IPD = ("game=lola_prisoners_dilemma", "max_steps=5")
METHODS = {"lio": "LIO", "a2c": "A2C"}
CLEANUP_METHODS = {**METHODS, "ac": "LIO's AC"}
"""In Cleanup, beside our A2C (Adam), LIO's own actor-critic learners (plain gradient
steps, separate critic) with the incentives off (R_max = 0): the independent learners of
LIO's paper, which share LIO's policy step."""
COLORS = {"lio": "tab:red", "a2c": "tab:gray", "ac": "tab:blue"}
MAPS = {
    "7x7": ("cleanup_small", "Cleanup, LIO's 7×7 map (2 agents)"),
    "10x10": ("cleanup_10x10", "Cleanup, LIO's 10×10 map (3 agents)"),
}
"""LIO's Cleanup maps: the registered environment (LIO's map, agents, view, apple and
waste rates) and the table's title."""


def top_cleaner_share(data: CellData) -> np.ndarray:
    """Per seed, the share of the waste cleaned by the agent that cleans most, at the
    last evaluation (0.5 with two agents: an even split; 1: one agent does it all; NaN:
    nobody cleaned)."""
    cleaned = np.asarray(data.metrics["agent/waste_cleaned"])[:, -1]  # (seeds, n)
    total = cleaned.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, cleaned.max(axis=1) / total, np.nan)


def cleaner_received(data: CellData) -> np.ndarray:
    """Per seed, the incentives received per episode by the agent that cleans most, at
    the last row (LIO only)."""
    cleaned = np.asarray(data.metrics["agent/waste_cleaned"])[:, -1]
    received = np.asarray(data.metrics["incentive/received"])[:, -1]
    return received[np.arange(len(cleaned)), cleaned.argmax(axis=1)]


FINALS = {
    "collective_return": fin.last("social/collective_return"),
    "equality": fin.last("social/equality"),
    "cooperation_rate": fin.last("matrix_game/cooperation_rate"),
    "waste_cleaned": fin.last("cleanup/waste_cleaned"),
    "top_cleaner_share": top_cleaner_share,
    "given": fin.last("incentive/given", "sum"),
}
CLEANUP_FINALS = {**FINALS, "cleaner_received": cleaner_received}


@dataclass(frozen=True)
class IPDConfig(Config):
    """LIO and A2C in LIO's iterated prisoner's dilemma (module docstring)."""

    updates: int = option(4000, "iterations (LIO: 60,000 single episodes)", low=1, high=10**7)
    num_envs: int = option(4, "episodes per iteration (LIO: 1)", low=1, high=65536)
    eps_div: float = option(
        1000.0, "episodes over which ε anneals 1 → 0.01 (LIO: 5000)", low=1.0, high=1e9
    )
    log_every: int = option(400, "iterations between evaluations", low=1, high=10**7)
    seeds: int = seeds_option(5)
    seed: int = seed_option()

    def check(self) -> None:
        check_log_every(self, "updates")


@dataclass(frozen=True)
class CleanupConfig(Config):
    """LIO and A2C in LIO's small Cleanup (module docstring)."""

    map: str = option("7x7", "LIO's map: 7x7 with 2 agents, 10x10 with 3", choices=tuple(MAPS))
    updates: int = option(150, "iterations (LIO: 50,000 single episodes)", low=1, high=10**7)
    num_envs: int = option(8, "episodes per iteration (LIO: 1)", low=1, high=65536)
    lr: float = option(
        1e-3, "policy step size, both learners (LIO: 1e-4)", low=0.0, strict=True, high=1.0
    )
    reg_coeff: float = option(1e-4, "LIO: weight of the L1 cost of giving", low=0.0, high=1e3)
    watch_cleaning: bool = option(
        False, "LIO's incentives see only whether the others cleaned (LIO's runs: yes)"
    )
    eps_div: float = option(
        500.0,
        "episodes over which ε anneals 0.5 → 0.05 (LIO: 100 on 7x7, 1000 on 10x10)",
        low=1.0,
        high=1e9,
    )
    log_every: int = option(30, "iterations between evaluations", low=1, high=10**7)
    seeds: int = seeds_option(5)
    seed: int = seed_option()

    def check(self) -> None:
        check_log_every(self, "updates")


def _ipd_cells(cfg: IPDConfig) -> list[Cell]:
    return [
        Cell(
            f"ipd/{m}",
            SSDConfig(
                env="iterated_matrix_game",
                env_options=IPD,
                algo=m,
                hidden=(16, 8),
                num_envs=cfg.num_envs,
                updates=cfg.updates,
                log_every=cfg.log_every,
                eval_envs=64,
                lr=1e-3,
                lr_reward=1e-3,
                r_max=3.0,
                reg_coeff=0.0,
                eps_start=1.0,
                eps_end=0.01,
                eps_div=cfg.eps_div,
                ent_coef=0.1,
                seeds=cfg.seeds,
                seed=cfg.seed,
            ),
            {"method": METHODS[m], "method_key": m},
        )
        for m in METHODS
    ]


def _cleanup_cells(cfg: CleanupConfig) -> list[Cell]:
    return [
        Cell(
            f"{MAPS[cfg.map][0]}/{m}",
            SSDConfig(
                env=MAPS[cfg.map][0],
                algo="a2c" if m == "a2c" else "lio",
                r_max=0.0 if m == "ac" else 2.0,
                watched=("clean",) if cfg.watch_cleaning and m != "a2c" else None,
                channels=(6,),
                kernels=(3,),
                hidden=(64, 64),
                num_envs=cfg.num_envs,
                updates=cfg.updates,
                log_every=cfg.log_every,
                eval_envs=16,
                lr=cfg.lr,
                reg_coeff=cfg.reg_coeff,
                eps_div=cfg.eps_div,
                seeds=cfg.seeds,
                seed=cfg.seed,
            ),
            {"method": CLEANUP_METHODS[m], "method_key": m},
        )
        for m in CLEANUP_METHODS
    ]


def _ipd_tables(cfg: IPDConfig) -> list[Table]:
    return [
        Table(
            title="Iterated prisoner's dilemma (LIO's: 5 rounds, LOLA's payoffs)",
            rows=("method",),
            columns=(
                Column("cooperation_rate", "cooperation rate", 3),
                Column("collective_return", "collective return", 2),
                Column("given", "incentives given / episode", 2),
            ),
            bars=(
                Bar(
                    "LIO reaches mutual cooperation above 0.9",
                    "ipd/lio",
                    "cooperation_rate",
                    ">=",
                    0.9,
                ),
            ),
            notes=(scale_note(cfg),),
        )
    ]


def _cleanup_tables(cfg: CleanupConfig) -> list[Table]:
    return [
        Table(
            title=MAPS[cfg.map][1],
            rows=("method",),
            columns=(
                Column("collective_return", "collective return", 2),
                Column("waste_cleaned", "waste cleaned", 2),
                Column("top_cleaner_share", "top cleaner's share", 2),
                Column("cleaner_received", "incentives to the top cleaner", 2),
                Column("given", "incentives given / episode", 2),
            ),
            notes=(
                scale_note(cfg),
                "The bar (LIO's collective return above A2C's) is in the analysis below.",
            ),
        )
    ]


def lio_against_a2c(results, cfg) -> tuple[dict, str]:
    """LIO's final collective return against that of the independent learners (our A2C;
    LIO's learners without incentives): the gaps, mean ± standard deviation over paired
    seeds; the bar is LIO above A2C."""
    env = MAPS[cfg.map][0]
    lio = results.get(f"{env}/lio")
    if lio is None:
        return {}, ""
    ours = np.asarray(lio.metrics["social/collective_return"])[:, -1]
    entry: dict = {"lio": float(ours.mean())}
    lines = []
    for key in ("a2c", "ac"):
        other = results.get(f"{env}/{key}")
        if other is None:
            continue
        theirs = np.asarray(other.metrics["social/collective_return"])[:, -1]
        gap = ours - theirs
        entry[key] = float(theirs.mean())
        entry[f"gap_{key}"] = [float(gap.mean()), float(gap.std())]
        lines.append(
            f"- against {CLEANUP_METHODS[key]}: {theirs.mean():.2f}; gap "
            f"{gap.mean():.2f} ± {gap.std():.2f} over {len(gap)} paired seeds"
        )
    if "gap_a2c" in entry:
        entry["bar"] = entry["gap_a2c"][0] > 0
    verdict = (
        f"Bar (LIO above A2C): **{'met' if entry['bar'] else 'not met'}**.\n"
        if "bar" in entry
        else ""
    )
    md = (
        "## LIO against independent learners\n\n"
        f"Collective return after the last iteration: LIO {ours.mean():.2f}\n\n"
        + "\n".join(lines)
        + "\n\n"
        + verdict
    )
    return entry, md


def _ipd_figures(cfg, cells):
    title = "Iterated prisoner's dilemma"
    series = [(f"ipd/{m}", METHODS[m], COLORS[m]) for m in METHODS]
    counter = ("matrix_game/cooperation_rate", "cooperation rate")
    return curve_figures(title, [(title, series)], {title: counter})


def _cleanup_figures(cfg, cells):
    env, title = MAPS[cfg.map]
    series = [(f"{env}/{m}", CLEANUP_METHODS[m], COLORS[m]) for m in CLEANUP_METHODS]
    return curve_figures(
        title, [(title, series)], {title: ("cleanup/waste_cleaned", "waste cleaned")}
    )


def register_all() -> None:
    """Register LIO's presets."""
    register(
        Preset(
            name="lio-ipd",
            group="lio",
            description="LIO and A2C in LIO's iterated prisoner's dilemma",
            config=IPDConfig(),
            program="ssd",
            cells=_ipd_cells,
            finals=FINALS,
            tables=_ipd_tables,
            figures=_ipd_figures,
        )
    )
    register(
        Preset(
            name="lio-cleanup",
            group="lio",
            description="LIO and A2C in LIO's Cleanup maps: division of labour",
            config=CleanupConfig(),
            program="ssd",
            cells=_cleanup_cells,
            finals=CLEANUP_FINALS,
            tables=_cleanup_tables,
            figures=_cleanup_figures,
            analyses=(Analysis("lio_against_a2c", lio_against_a2c),),
        )
    )
