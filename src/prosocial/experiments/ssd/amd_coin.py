"""The preset of adaptive mechanism design in the Coin Game.

* ``amd-coin-game``: adaptive mechanism design in the 2-player Coin Game (thesis §4.3.1;
  the planner as a network, :mod:`prosocial.learners.amd`), with the planner, without it
  (the same learners, planner off from the start) and turned off half-way through a run
  twice as long, as chapter 4 reports for matrix games, and with the planner seen by the
  learners' step through sampled actions beside its exact expectation over the joint
  action, and with a planner that reads the step's rewards beside the joint action
  (sampled estimate; prosocial's best planner and the bar's row, run six times longer
  with its own κ = 0.01 and no cost, ``READING``); beside them, the same learners under
  two fixed mechanisms with the same bound (``pickup_transfers``: +c per own-colour coin,
  −c per other coin, and the same with c on every step without a pickup), the yardsticks
  of what bounded transfers can do by hand. The authors' Coin Game code plays 20-step
  episodes on the 3×3 board with c = 1; no results were published. The learners' step,
  the planner's step, the batch and the welfare scored per step (discount 0, as the
  authors' code scores the step's collective reward) are prosocial's choices, from the
  sweep in docs/ssd.md. ``--configuration authors`` runs the same rows (but the sampled
  and the reading ones) with the authors' own learners and planner
  (:mod:`prosocial.learners.amd_authors`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from prosocial.errors import ConfigError
from prosocial.experiments import finals as fin
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.spec import Bar, Cell, CellData, Column, Preset, Table, register
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.tables import curve_figures
from prosocial.learners.amd import ESTIMATES as AMD_ESTIMATES
from prosocial.learners.amd_authors import LEARNER_STEP, PLANNER_STEP

COIN_COLORS = (
    "tab:red", "tab:purple", "tab:brown", "tab:gray", "tab:orange", "tab:green", "tab:blue"
)  # fmt: skip


CONFIGURATIONS = ("prosocial", "authors")
NUMBERS = {
    "prosocial": {"lr": 0.1, "lr_reward": 3e-3, "reg_coeff": 1e-4},
    "authors": {"lr": LEARNER_STEP, "lr_reward": PLANNER_STEP, "reg_coeff": 1.5e-8},
}
"""The steps and cost weight of each configuration (the authors': after their code's
run-time rescaling, :mod:`prosocial.learners.amd_authors`)."""
READING = {"planner_logit_reg": 0.01, "reg_coeff": 0.0}
"""The planner reading rewards: its own κ and α (prosocial's, from the runs in
docs/ssd.md; the authors' own α, 1.5·10⁻⁸, is nearly none), for ``rewards_updates``
iterations."""


@dataclass(frozen=True)
class CoinConfig(Config):
    """Adaptive mechanism design in the Coin Game (module docstring)."""

    configuration: str = option(
        "prosocial",
        "whose learners and planner: prosocial's (a look-ahead planner over episodes) or the "
        "authors' (their online planner and learners, github tobiasbaumann1/amd)",
        choices=CONFIGURATIONS,
    )
    updates: int = option(500, "iterations with the planner", low=1, high=10**7)
    rewards_updates: int = option(
        3000,
        "prosocial's: iterations of the row with the planner reading rewards (its own "
        f"κ = {READING['planner_logit_reg']:g}, α = {READING['reg_coeff']:g})",
        low=1,
        high=10**7,
    )
    num_envs: int = option(64, "episodes per iteration", low=1, high=65536)
    lr: float | None = option(
        None,
        "the learners' step (none: prosocial's 0.1, the authors' 0.01/120)",
        low=0.0,
        strict=True,
        high=1.0,
    )
    lr_planner: float | None = option(
        None,
        "the planner's step (none: prosocial's Adam 3e-3, the authors' 12,500 × lr)",
        low=0.0,
        high=1e3,
    )
    estimate: str = option(
        "exact",
        "prosocial's: how the learners' step sees the transfers in 'with' and 'off': exact "
        "(expected over the joint action) or sampled (at the actions taken); 'sampled' is "
        "always run beside",
        choices=AMD_ESTIMATES,
    )
    welfare: str = option(
        "sampled",
        "prosocial's: how the planner scores a step's welfare: sampled (at the joint action "
        "taken) or exact (expected over the joint action)",
        choices=AMD_ESTIMATES,
    )
    planner_gamma: float = option(
        0.0,
        "prosocial's: discount of the welfare the planner scores (0: each step's own)",
        low=0.0,
        high=1.0,
    )
    logit_reg: float = option(
        0.1,
        "prosocial's: weight κ of the planner's mean square logit (0: none), which keeps its "
        "transfers off the flat ends of their sigmoid (not in the row reading rewards)",
        low=0.0,
        high=1e3,
    )
    max_transfer: float = option(1.0, "the transfer bound c (authors: 1)", low=0.0, high=1e3)
    cost: float | None = option(
        None,
        "the cost weight α (none: prosocial's 1e-4, the authors' 1.5e-8; not in the row "
        "reading rewards)",
        low=0.0,
        high=1e3,
    )
    revenue_neutral: bool = option(False, "centre the transfers")
    log_every: int = option(50, "iterations between evaluations", low=1, high=10**7)
    seeds: int = seeds_option(5)
    seed: int = seed_option()

    def check(self) -> None:
        check_log_every(self, "updates")
        check_log_every(self, "rewards_updates")
        if self.configuration == "authors":
            for name in ("estimate", "welfare", "planner_gamma", "logit_reg", "rewards_updates"):
                if getattr(self, name) != CoinConfig.__dataclass_fields__[name].default:
                    raise ConfigError(
                        name, "a setting of prosocial's planner; the authors' has none"
                    )

    def numbers(self) -> dict[str, float]:
        """The learners' step, the planner's step and the cost weight of the run."""
        given = {"lr": self.lr, "lr_reward": self.lr_planner, "reg_coeff": self.cost}
        numbers = {k: NUMBERS[self.configuration][k] if v is None else v for k, v in given.items()}
        if self.configuration == "authors" and self.lr_planner is None:
            numbers["lr_reward"] = PLANNER_STEP / LEARNER_STEP * numbers["lr"]  # theirs: a multiple
        return numbers


COIN_MODES = {
    "with": "with the planner",
    "sampled": "with the planner, sampled estimate",
    "rewards": "with the planner reading rewards",
    "without": "without the planner",
    "off": "planner off half-way",
    "fixed": "fixed mechanism: ±c per pickup",
    "fixed_base": "fixed: ±c per pickup, c otherwise",
}
STEPS, AGENTS = 20, 2
"""The authors' Coin Game: its episode and its players."""


def _coin_cells(cfg: CoinConfig) -> list[Cell]:
    authors = cfg.configuration == "authors"
    numbers = cfg.numbers()

    def config(
        updates: int,
        until: int | None,
        estimate=cfg.estimate,
        wrappers=None,
        reads="actions",
        own=None,
    ) -> SSDConfig:
        """A row's run; ``own``: the settings it holds apart from the preset's."""
        # the authors' learners: a 64-unit layer on the flattened board, γ = 0.5
        net = {"torso": "mlp", "gamma": 0.5} if authors else {}
        planner = (
            {}
            if authors
            else {
                "planner_estimate": estimate,
                "planner_welfare": cfg.welfare if until != 0 else "sampled",
                "planner_gamma": cfg.planner_gamma,
                "planner_logit_reg": cfg.logit_reg,
                "planner_reads": reads,
            }
        )
        settings = dict(
            env="coin_game",
            env_options=(f"max_steps={STEPS}",),
            wrappers=wrappers,
            algo="amd_authors" if authors else "amd",
            channels=(16,),
            kernels=(3,),
            hidden=(64,),
            num_envs=cfg.num_envs,
            updates=updates,
            log_every=cfg.log_every,
            eval_envs=32,
            r_max=cfg.max_transfer,
            revenue_neutral=cfg.revenue_neutral,
            planner_until=until,
            eps_div=200.0,
            seeds=cfg.seeds,
            seed=cfg.seed,
            **numbers,
            **net,
            **planner,
        )
        return SSDConfig(**{**settings, **(own or {})})

    c = cfg.max_transfer
    runs = {  # built once the configuration's rows are known
        "with": lambda: config(cfg.updates, None),
        "sampled": lambda: config(cfg.updates, None, "sampled"),
        # the step's rewards beside the joint action: they need the sampled estimate
        "rewards": lambda: config(
            cfg.rewards_updates, None, "sampled", reads="rewards", own=READING
        ),
        "without": lambda: config(cfg.updates, 0, "sampled"),  # no planner: the same learners
        "off": lambda: config(2 * cfg.updates, cfg.updates),
        # the same learners paid ±c per pickup by hand: what bounded transfers can do
        "fixed": lambda: config(cfg.updates, 0, "sampled", (f"pickup_transfers:c={c}",)),
        # and c on every step without a pickup: a wrong pickup costs 2c against any other
        "fixed_base": lambda: config(
            cfg.updates, 0, "sampled", (f"pickup_transfers:c={c}:base=1",)
        ),
    }
    if authors:  # their planner has one estimate and reads the actions
        del runs["sampled"], runs["rewards"]
    meta = {"c": c}
    return [
        Cell(f"coin_game/{m}", make(), {"mode": COIN_MODES[m], "mode_key": m, **meta})
        for m, make in runs.items()
    ]


def _coin_tables(cfg: CoinConfig) -> list[Table]:
    # the bar's row: prosocial's best planner, or the authors' only one
    best = "with" if cfg.configuration == "authors" else "rewards"
    return [
        Table(
            title="Coin Game (2 players, 3×3, 20 steps): adaptive mechanism design",
            rows=("mode",),
            columns=(
                Column("own_fraction", "own-coin fraction", 3),
                Column("collective_return", "collective return", 2),
                Column("spending", "planner's spending / episode", 2),
            ),
            bars=(
                Bar(
                    f"{COIN_MODES[best]}, own-coin fraction at least 0.9",
                    f"coin_game/{best}",
                    "own_fraction",
                    ">=",
                    0.9,
                ),
                Bar(
                    "without it, about 0.5 (at most 0.6)",
                    "coin_game/without",
                    "own_fraction",
                    "<=",
                    0.6,
                ),
            ),
            notes=(
                f"{cfg.updates} iterations of {cfg.num_envs} episodes ({2 * cfg.updates} for "
                "'planner off half-way', the planner paying in the first half"
                + (
                    ""
                    if cfg.configuration == "authors"
                    else f"; {cfg.rewards_updates} for the planner reading rewards, with its "
                    f"own κ = {READING['planner_logit_reg']:g} and α = {READING['reg_coeff']:g}"
                )
                + "), "
                f"{cfg.seeds} seeds; {_setting(cfg)}; evaluation after the last iteration "
                "without exploration or transfers; spending is Σ_t Σ_i |r_p,i| per training "
                "episode averaged over the run's rows with the planner on. The fixed mechanisms "
                "pay +c for every coin of the picker's colour and fine c for every other coin, "
                "by hand (the pickup_transfers wrapper), the second also c on every step "
                "without a pickup; their spending is c per coin picked up (and per idle step).",
            ),
        )
    ]


def _setting(cfg: CoinConfig) -> str:
    """The table's words for the configuration and its numbers."""
    n = cfg.numbers()
    common = f"c = {cfg.max_transfer:g}, α = {n['reg_coeff']:g}"
    if cfg.configuration == "authors":
        return (
            "the authors' configuration (online planner and learners, momentum SGD, "
            f"normalised and clipped look-ahead term): learners' step {n['lr']:.3g}, "
            f"planner's step {n['lr_reward']:.3g}, {common}"
        )
    return (
        f"learners' step {n['lr']:g}, planner's Adam step {n['lr_reward']:g}, {common}, the "
        f"{cfg.estimate} estimate (sampled in its own row and with rewards), welfare discount "
        f"{cfg.planner_gamma:g}"
    )


def planner_spending(data: CellData) -> np.ndarray:
    """Per seed, the planner's mean spending per episode over the rows it paid in; for a
    fixed mechanism, c per coin picked up (and, with the base, per step without one) in the
    final evaluation's episodes."""
    mode = data.cell.meta["mode_key"]
    if mode.startswith("fixed"):
        picked = np.asarray(data.metrics["coin/picked"])[:, -1]  # every agent's, per episode
        picked = picked.reshape(len(picked), -1).sum(axis=1)
        idle = AGENTS * STEPS - picked if mode == "fixed_base" else 0.0
        return float(data.cell.meta["c"]) * (picked + idle)
    spent = np.asarray(data.metrics["planner/spending"])  # (seeds, rows)
    paying = spent.max(axis=0) > 0
    return spent[:, paying].mean(axis=1) if paying.any() else np.zeros(len(spent))


COIN_FINALS = {
    "own_fraction": fin.last("coin/own_fraction"),
    "collective_return": fin.last("social/collective_return"),
    "spending": planner_spending,
}


def _coin_figures(cfg, cells):
    title = "Coin Game"
    present = {c.meta["mode_key"] for c in cells}
    series = [
        (f"coin_game/{m}", COIN_MODES[m], c)
        for m, c in zip(COIN_MODES, COIN_COLORS, strict=True)
        if m in present
    ]
    return curve_figures(
        title, [(title, series)], {title: ("coin/own_fraction", "own-coin fraction")}
    )


def register_all() -> None:
    """Register the preset of the planner in the Coin Game."""
    register(
        Preset(
            name="amd-coin-game",
            group="amd-coin",  # not "amd": `prosocial reproduce amd` is chapter 4's tables
            description="Adaptive mechanism design in the Coin Game: planner on, off, stopped",
            config=CoinConfig(),
            program="ssd",
            cells=_coin_cells,
            finals=COIN_FINALS,
            tables=_coin_tables,
            figures=_coin_figures,
        )
    )
