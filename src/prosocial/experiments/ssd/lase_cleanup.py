"""``lase-cleanup``: who cleans, who eats and who gives in LASE's Cleanup.

Two experiments of the paper (Kong et al. 2024) on the Cleanup of its development code
(``cleanup_lase``: 8×8, four players, cleaning and eating on one's own cell):

* **one LASE (or GO) agent among three A2C agents**: each agent's reward after gifts and
  the waste it cleaned. The first agent gifts with LASE (``altruists=1``), or learns from
  the collective reward (GO, ``altruists=1``); the other three learn with A2C from what
  they receive. Four A2C agents are the reference.
* **division of labour** among four LASE agents: per agent, its extrinsic reward, the
  waste it cleaned, the gift weight it receives (the shares the others give it, summed)
  and its total reward after gifts. Which agent cleans differs from seed to seed, so the
  agents are ranked within each seed by the waste they cleaned before the seeds are
  averaged.

Every per-agent figure is from the training episodes of the last ``log_every``
iterations (exploration included), per episode: the extrinsic return (``train/return``),
the waste cleaned (``train/waste_cleaned``), the gift weight received
(``lase/gift_received``, per step) and the reward after gifts (LASE: its mean r̃_i per step
times the episode's steps; the others: their extrinsic return, for no reward changes hands).
Scales and settings are ``lase-games``'s (:mod:`prosocial.experiments.ssd.lase_games`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prosocial.experiments.fields import Config, option, seed_option, seeds_option
from prosocial.experiments.render import markdown_table
from prosocial.experiments.spec import Analysis, Cell, CellData, Column, Figure, Preset, Table
from prosocial.experiments.ssd import lase_games as lg

GAME = "cleanup_lase"
METHODS = ("lase", "lase_one", "go_one", "a2c")
AMONG = ("lase_one", "go_one", "a2c")
"""The methods of the one-among-three tables (the first agent is LASE's or GO's)."""
N_AGENTS = 4


def _train(data: CellData, metric: str) -> np.ndarray | None:
    """``(seeds, n)`` a training metric at the last row, or None where the cell lacks it."""
    return np.asarray(data.metrics[metric])[:, -1] if metric in data.metrics else None


def quantity(data: CellData, name: str) -> np.ndarray:
    """``(seeds, n)`` one per-agent quantity (module docstring): ``extrinsic``,
    ``cleaned``, ``received`` (NaN for methods that do not gift) or ``total``."""
    seeds = len(np.asarray(data.metrics["step"]))
    if name == "extrinsic":
        return _train(data, "train/return")
    if name == "cleaned":
        return _train(data, "train/waste_cleaned")
    if name == "received":
        got = _train(data, "lase/gift_received")
        return np.full((seeds, N_AGENTS), np.nan) if got is None else got
    if name == "total":
        gifted = _train(data, "lase/gifted_reward")
        if gifted is None:
            return _train(data, "train/return")
        return gifted * data.cell.config.episode_length()
    raise ValueError(f"unknown quantity {name!r}")


def by_cleaning(values: np.ndarray, cleaned: np.ndarray) -> np.ndarray:
    """``(seeds, n)`` values reordered within each seed so that column 0 is the agent that
    cleaned most (ties keep the agents' order)."""
    order = np.argsort(-cleaned, axis=1, kind="stable")
    return np.take_along_axis(values, order, axis=1)


def _agent(name: str, i: int):
    return lambda data: quantity(data, name)[:, i]


FINALS = {
    **lg.FINALS,
    **{f"{q}_{i}": _agent(q, i) for q in ("total", "cleaned") for i in range(N_AGENTS)},
}


@dataclass(frozen=True)
class CleanupConfig(Config):
    """LASE's Cleanup, agent by agent (module docstring)."""

    methods: tuple[str, ...] = option(METHODS, "methods to run", choices=tuple(lg.METHODS))
    scale: str = option("cpu", "cpu (ours, 2 cores) or gpu (LASE's code)", choices=tuple(lg.SCALES))
    updates: int | None = option(None, "iterations per run (none: the scale's)", low=1, high=10**7)
    seeds: int = seeds_option(5)
    seed: int = seed_option()

    def games(self) -> lg.GamesConfig:
        """The same runs as ``lase-games``'s cells of LASE's Cleanup."""
        return lg.GamesConfig(
            games=(GAME,),
            methods=self.methods,
            scale=self.scale,
            updates=self.updates,
            seeds=self.seeds,
            seed=self.seed,
        )


def cells(cfg: CleanupConfig) -> list[Cell]:
    return lg.cells(cfg.games())


def tables(cfg: CleanupConfig) -> list[Table]:
    out = lg.tables(cfg.games())[:1]
    among = tuple(f"{GAME}/{m}" for m in AMONG if m in cfg.methods)
    if among:
        note = (
            "Agent 1 is the LASE or GO agent, agents 2 to 4 learn with A2C (the A2C row: "
            "four A2C agents). Per training episode of the last "
            f"{cfg.games().settings()['log_every']} iterations, exploration included; "
            "reward after gifts: LASE's r̃, the others' own reward."
        )
        for name, title, digits in (
            ("total", "reward after gifts", 2),
            ("cleaned", "waste cleaned", 2),
        ):
            out.append(
                Table(
                    title=f"One LASE or GO agent among three A2C agents: {title}",
                    rows=("method",),
                    columns=tuple(
                        Column(f"{name}_{i}", f"agent {i + 1}", digits) for i in range(N_AGENTS)
                    ),
                    cells=among,
                    notes=(note,),
                )
            )
    return out


def figures(cfg: CleanupConfig, cells) -> list[Figure]:
    return lg.figures(cfg.games(), cells)


def division_of_labour(results, cfg: CleanupConfig) -> tuple[dict, str]:
    """Per method with every agent alike (LASE, A2C): each agent's extrinsic return, waste
    cleaned, gift weight received and reward after gifts, agents ranked within each seed
    by the waste they cleaned (mean ± std over seeds)."""
    names = {
        "extrinsic": "extrinsic",
        "cleaned": "waste cleaned",
        "received": "gift weight received",
        "total": "reward after gifts",
    }
    summary, parts = {}, []
    for m in ("lase", "lase_wo", "a2c", "go"):
        data = results.get(f"{GAME}/{m}")
        if data is None:
            continue
        cleaned = quantity(data, "cleaned")
        ranked = {q: by_cleaning(quantity(data, q), cleaned) for q in names}
        rows, entry = [], {}
        for rank in range(cleaned.shape[1]):
            cells = []
            for q in names:
                v = ranked[q][:, rank]
                entry.setdefault(q, []).append([float(np.mean(v)), float(np.std(v))])
                cells.append("–" if np.all(np.isnan(v)) else f"{v.mean():.2f} ± {v.std():.2f}")
            rows.append([f"{rank + 1}", *cells])
        summary[m] = entry
        parts.append(
            f"**{lg.METHODS[m][0]}**\n\n" + markdown_table(["agent", *names.values()], rows)
        )
    if not parts:
        return {}, ""
    return summary, (
        "## Division of labour in LASE's Cleanup\n\n"
        "Agents ranked within each seed by the waste they cleaned (1: the most), per "
        f"training episode of the last {cfg.games().settings()['log_every']} iterations "
        "(mean ± std over seeds); gift weight received: the shares of their rewards the "
        "others give the agent, summed, mean per step.\n\n" + "\n\n".join(parts) + "\n"
    )


PRESET = Preset(
    name="lase-cleanup",
    group="lase",
    description="LASE's Cleanup agent by agent: one LASE or GO among A2C, labour",
    config=CleanupConfig(),
    program="ssd",
    cells=cells,
    finals=FINALS,
    tables=tables,
    figures=figures,
    analyses=(
        Analysis("division_of_labour", division_of_labour),
        Analysis("against_a2c", lambda results, cfg: lg.against_a2c(results, cfg.games())),
    ),
)

__all__ = ["PRESET", "CleanupConfig", "by_cleaning", "cells", "division_of_labour", "quantity"]
