"""AgA and its baselines on deep policies, as data: the preset ``aga-deep-ppo``
(``prosocial reproduce aga-deep``).

PPO agents on Harvest and Cleanup whose policy step is a joint-gradient adjustment
(:mod:`prosocial.learners.adjusted`): Simul-Ind (independent PPO), Simul-Co (every agent
on the collective return), SL (own return plus α times the collective), SVO (Simul-Ind
on McKee et al.'s reward shaping, 45°), CGA, SGA, AgA at every λ of ``lams`` (the seed's
{0.1, 1, 100, 1000}) and AgA without its sign rule at ``sign_lams`` (1 by default, for
time: every λ of the sweep is one more run), 3 seeds. Every cell is a run of
``PROGRAMS["ssd"]``; the λ of one method and game are data of one compiled program.

Scales (``scale``), each a named configuration:

* ``cpu`` (default, ours): 4 agents, a 9×9 view, 50-step episodes, 8 environments, a
  small CNN (16-16 channels, 3×3) and a larger step (1e-3) for a short run; it finishes
  in under 45 minutes on 2 cores and shows early learning, not converged play.
* ``fcgrad``: FCGrad's Cleanup and Harvest settings ("Fair cooperation in mixed-motive
  games via conflict-aware gradient adjustment", 2025, appendix C): 4 agents, 64
  environments × 1000 steps, 2 epochs of 500 minibatches, its CNN (32 channels, kernels 5,
  3, 3, dense 64), Adam 5e-4 annealed, entropy 0.01, value 0.5, norm 0.5; FCGrad gives no
  step count, so SocialJax's 1e8 steps (1560 updates). For a GPU.
* ``socialjax``: the same network and PPO numbers with SocialJax's 7 agents, 256
  environments × 1000 steps and 390 updates (``ippo_base.yaml``). For a GPU.

Not FCGrad's or SocialJax's games: prosocial's Harvest and Cleanup are the SSD maps with
an 11×11 view at the published scales (SocialJax draws its own 16×22 and 19×28 maps;
FCGrad fixes asymmetric spawns), so their numbers are context, not targets. The AgA paper
(Li et al. 2024, NeurIPS) gives no numbers we could read for these games; its claim is
that AgA's social welfare is at least the baselines'. The docs (``docs/aga.md``) set both
beside ours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from prosocial.errors import ConfigError
from prosocial.experiments import finals as fin
from prosocial.experiments.fields import Config, option, seed_option, seeds_option
from prosocial.experiments.render import markdown_table
from prosocial.experiments.spec import Analysis, Cell, Column, Figure, Preset, Table, register
from prosocial.experiments.ssd import program as _program  # noqa: F401  (registers "ssd")
from prosocial.experiments.ssd.config import SSDConfig


class Game(NamedTuple):
    title: str
    env: str
    counter: str
    counter_title: str


GAMES = {
    "harvest": Game("Harvest", "harvest", "harvest/apples", "apples eaten"),
    "cleanup": Game("Cleanup", "cleanup", "cleanup/waste_cleaned", "waste cleaned"),
    # prosocial's own small orchard of scarce apples (not run by default)
    "harvest_small": Game("Harvest, small orchard", "harvest_small", "harvest/apples",
                          "apples eaten"),
}  # fmt: skip

METHODS = {  # name -> (title, adjustment, reward, colour)
    "simul_ind": ("Simul-Ind", "simul_ind", "individual", "tab:blue"),
    "simul_co": ("Simul-Co", "simul_co", "individual", "tab:green"),
    "sl": ("SL", "sl", "individual", "tab:olive"),
    "svo": ("SVO 45°", "simul_ind", "svo", "tab:purple"),
    "cga": ("CGA", "cga", "individual", "tab:brown"),
    "sga": ("SGA", "sga", "individual", "tab:pink"),
    "aga": ("AgA", "aga", "individual", "tab:red"),
    "aga_fixed_sign": ("AgA w/o sign", "aga_fixed_sign", "individual", "tab:orange"),
}
SWEPT = ("aga", "aga_fixed_sign")
LAMS = (0.1, 1.0, 100.0, 1000.0)

SCALES = {
    "cpu": {
        "agents": 4, "view": 4, "max_steps": 50, "channels": (16, 16), "kernels": (3, 3),
        "num_envs": 8, "minibatches": 4, "updates": 40, "lr": 1e-3, "log_every": 10,
    },
    "fcgrad": {
        "agents": 4, "view": 5, "max_steps": 1000, "channels": (32, 32, 32),
        "kernels": (5, 3, 3), "num_envs": 64, "minibatches": 500, "updates": 1560,
        "lr": 5e-4, "log_every": 20,
    },
    "socialjax": {
        "agents": 7, "view": 5, "max_steps": 1000, "channels": (32, 32, 32),
        "kernels": (5, 3, 3), "num_envs": 256, "minibatches": 500, "updates": 390,
        "lr": 5e-4, "log_every": 10,
    },
}  # fmt: skip


def scale_settings(scales: dict, config) -> dict:
    """The settings of ``config.scale`` with the config's ``num_envs``, ``updates``,
    ``log_every`` and ``max_steps`` (where it has one) in place of the scale's where given;
    ``log_every`` must divide ``updates``."""
    s = dict(scales[config.scale])
    if getattr(config, "max_steps", None):
        s["max_steps"] = config.max_steps
    s["num_envs"] = config.num_envs or s["num_envs"]
    s["updates"] = config.updates or s["updates"]
    s["log_every"] = config.log_every or s["log_every"]
    if s["updates"] % s["log_every"]:
        raise ConfigError(
            "log_every",
            f"{s['log_every']} does not divide updates={s['updates']}; accepted: a divisor",
        )
    return s


@dataclass(frozen=True)
class DeepConfig(Config):
    """AgA and its baselines on Harvest and Cleanup (module docstring)."""

    games: tuple[str, ...] = option(("harvest", "cleanup"), "games to run", choices=tuple(GAMES))
    methods: tuple[str, ...] = option(tuple(METHODS), "methods to run", choices=tuple(METHODS))
    lams: tuple[float, ...] = option(LAMS, "AgA's λ", low=0.0, high=1e6)
    sign_lams: tuple[float, ...] = option(
        (1.0,), "the λ of AgA without its sign rule (the ablation)", low=0.0, high=1e6
    )
    coef: float = option(1.0, "SL's α and CGA's and SGA's λ", low=0.0, high=1e6)
    scale: str = option(
        "cpu",
        "cpu (ours, 2 cores), fcgrad (FCGrad's settings) or socialjax (7 agents; both GPU)",
        choices=tuple(SCALES),
    )
    num_envs: int | None = option(
        None, "environments per update (none: the scale's)", low=1, high=65536
    )
    updates: int | None = option(None, "updates per run (none: the scale's)", low=1, high=10**7)
    log_every: int | None = option(
        None, "updates between evaluations (none: the scale's)", low=1, high=10**7
    )
    max_steps: int | None = option(
        None, "steps per episode and rollout (none: the scale's)", low=1, high=100_000
    )
    hessian_lambda: float | None = option(
        None,
        "λ_d of Loaded DiCE's cross terms across time in the policies' second derivatives "
        "(none: the per-step surrogate's only; set: minibatches of whole environments)",
        low=0.0,
        high=1.0,
    )
    seeds: int = seeds_option(3)
    seed: int = seed_option()

    def settings(self) -> dict:
        return scale_settings(SCALES, self)

    def check(self) -> None:
        s = self.settings()
        if self.hessian_lambda is not None and s["num_envs"] % s["minibatches"]:
            raise ConfigError(
                "num_envs",
                f"{s['num_envs']}: with hessian_lambda the scale's {s['minibatches']} PPO "
                f"minibatches split whole environments; accepted: a multiple of "
                f"{s['minibatches']}",
            )
        if (s["num_envs"] * s["max_steps"]) % s["minibatches"]:
            raise ConfigError(
                "num_envs",
                f"{s['num_envs']}: the scale's {s['minibatches']} PPO minibatches do not divide "
                f"its {s['max_steps']} steps × num_envs; accepted: a multiple of "
                f"{s['minibatches'] // math.gcd(s['minibatches'], s['max_steps'])}",
            )


def cell_config(cfg: DeepConfig, game: str, method: str, lam: float | None) -> SSDConfig:
    s = cfg.settings()
    _, adjustment, reward, _ = METHODS[method]
    coef = lam if lam is not None else (cfg.coef if adjustment in ("sl", "cga", "sga") else 1.0)
    view = s["view"]
    return SSDConfig(
        env=GAMES[game].env,
        env_options=(f"num_agents={s['agents']}", f"view={view}/{view}/{view}",
                     f"max_steps={s['max_steps']}"),
        algo="adjusted_ppo",
        adjustment=adjustment,
        adjust_coef=coef,
        hessian_lambda=cfg.hessian_lambda,
        reward=reward,
        channels=s["channels"],
        kernels=s["kernels"],
        hidden=(64,),
        num_envs=s["num_envs"],
        updates=s["updates"],
        log_every=s["log_every"],
        eval_envs=8,
        minibatches=s["minibatches"],
        lr=s["lr"],
        seeds=cfg.seeds,
        seed=cfg.seed,
    )  # fmt: skip


def lams(cfg: DeepConfig, method: str) -> tuple[float | None, ...]:
    """The λ a method runs at (None: a method without λ)."""
    return {"aga": cfg.lams, "aga_fixed_sign": cfg.sign_lams}.get(method, (None,))


def label(game: str, method: str, lam: float | None) -> str:
    return f"{game}/{method}" if lam is None else f"{game}/{method}/{lam:g}"


def _runs(cfg: DeepConfig):
    for g in cfg.games:
        for m in cfg.methods:
            yield from ((g, m, lam) for lam in lams(cfg, m))


def cells(cfg: DeepConfig) -> list[Cell]:
    return [
        Cell(
            label(g, m, lam),
            cell_config(cfg, g, m, lam),
            {
                "game": GAMES[g].title,
                "method": METHODS[m][0],
                "λ": "" if lam is None else f"{lam:g}",
            },
        )
        for g, m, lam in _runs(cfg)
    ]


FINALS = {
    "collective_return": fin.last("social/collective_return"),
    "equality": fin.last("social/equality"),
    "geometric_mean": fin.last("fair/geometric_mean"),
    "minimum": fin.last("fair/minimum"),
    "jain": fin.last("fair/jain"),
    **{g.counter: fin.last(g.counter) for g in GAMES.values()},
}

CLAIMS = (
    "The AgA paper (Li et al. 2024) reports that AgA's social welfare in Cleanup and Harvest "
    "is at least that of every baseline (no numbers we could read). FCGrad's JAX "
    "re-implementation (4 agents, SocialJax's games) finds that AgA struggles to learn in "
    "Cleanup, as the individual-reward methods do, and beats the individual-reward methods "
    "in Harvest."
)


def tables(cfg: DeepConfig) -> list[Table]:
    s = cfg.settings()
    scale = (
        f"Scale `{cfg.scale}`: {s['agents']} agents, {s['max_steps']}-step episodes, "
        f"{s['updates']} updates of {s['num_envs']} environments, {cfg.seeds} seeds; "
        "evaluation episodes after the last update, agents sampling from their policies; "
        "returns on the game's own rewards. Fairness: FCGrad's measures of the agents' "
        "returns (docs/metrics.md)."
    )
    if cfg.hessian_lambda is not None:
        scale += (
            f" Second derivatives with Loaded DiCE's cross terms across time at "
            f"λ_d = {cfg.hessian_lambda:g}; minibatches of whole environments."
        )
    out = []
    for g in cfg.games:
        game = GAMES[g]
        out.append(
            Table(
                title=game.title,
                rows=("method", "λ"),
                columns=(
                    Column("collective_return", "collective return", 2),
                    Column("equality", "equality", 3),
                    Column("geometric_mean", "geometric mean", 2),
                    Column("minimum", "minimum", 2),
                    Column("jain", "Jain", 3),
                    Column(game.counter, game.counter_title, 1),
                ),
                cells=tuple(label(g, m, lam) for gg, m, lam in _runs(cfg) if gg == g),
                notes=(CLAIMS, scale),
            )
        )
    return out


def figures(cfg: DeepConfig, _cells) -> list[Figure]:
    def series(g, methods, only, by_lambda=False):
        runs = [
            (m, lam)
            for m in methods
            if m in cfg.methods
            for lam in lams(cfg, m)
            if lam is None or lam in only
        ]
        return [
            {
                "cell": label(g, m, lam),
                "column": "social/collective_return",
                "label": METHODS[m][0] + ("" if lam is None else f" λ={lam:g}"),
                "color": f"C{k % 10}" if by_lambda else METHODS[m][3],
            }
            for k, (m, lam) in enumerate(runs)
        ]

    baselines = [m for m in METHODS if m not in SWEPT]
    lam = 1.0 if 1.0 in cfg.lams else cfg.lams[0]
    spec = [
        (
            "baselines",
            f"AgA (λ = {lam:g}) and the baselines",
            lambda g: series(g, [*baselines, *SWEPT], (lam,)),
        ),
        (
            "lambda",
            "AgA over λ, ± its sign rule",
            lambda g: series(g, SWEPT, (*cfg.lams, *cfg.sign_lams), by_lambda=True),
        ),
    ]
    return [
        Figure(
            name,
            "curves",
            f"{title}: collective return (mean ± std over seeds)",
            {
                "x": "step",
                "columns": len(cfg.games),
                "legend": "figure",
                "panels": [
                    {"title": GAMES[g].title, "ylabel": "collective return", "series": pick(g)}
                    for g in cfg.games
                ],
            },
        )
        for name, title, pick in spec
    ]


def against_baselines(results, cfg: DeepConfig) -> tuple[dict, str]:
    """Per game and λ: AgA's final collective return against Simul-Ind's and Simul-Co's
    (means over seeds), and the seed's claim in Harvest (AgA at least Simul-Ind)."""

    def final(cell: str) -> float | None:
        data = results.get(cell)
        if data is None:
            return None
        return float(np.nanmean(np.asarray(data.metrics["social/collective_return"])[:, -1]))

    entry, rows = {}, []
    for g in cfg.games:
        ind, co = final(label(g, "simul_ind", None)), final(label(g, "simul_co", None))
        for m in SWEPT:
            for lam in lams(cfg, m):
                mine = final(label(g, m, lam))
                if mine is None or ind is None:
                    continue
                item = {"aga": mine, "simul_ind": ind, "simul_co": co, "at_least_ind": mine >= ind}
                entry[label(g, m, lam)] = item
                rows.append([
                    GAMES[g].title, METHODS[m][0], f"{lam:g}", f"{mine:.2f}", f"{ind:.2f}",
                    "–" if co is None else f"{co:.2f}", "yes" if mine >= ind else "no",
                ])  # fmt: skip
    if not rows:
        return entry, ""
    harvest = [v for k, v in entry.items() if k.startswith("harvest/aga/")]
    if harvest:
        entry["harvest_bar"] = {
            "text": "Harvest: AgA's collective return at least Simul-Ind's, at every λ",
            "met": all(v["at_least_ind"] for v in harvest),
        }
    md = (
        "## AgA against Simul-Ind and Simul-Co\n\n"
        "Collective return after the last update, mean over seeds.\n\n"
        + markdown_table(
            ["game", "method", "λ", "AgA", "Simul-Ind", "Simul-Co", "≥ Simul-Ind"], rows
        )
    )
    if "harvest_bar" in entry:
        met = "**met**" if entry["harvest_bar"]["met"] else "**not met**"
        md += f"\n\nBar: {entry['harvest_bar']['text']}: {met}.\n"
    return entry, md


def register_all() -> None:
    register(
        Preset(
            name="aga-deep-ppo",
            group="aga-deep",
            description="AgA and its baselines on PPO agents in Harvest and Cleanup",
            config=DeepConfig(),
            program="ssd",
            cells=cells,
            finals=FINALS,
            tables=tables,
            figures=figures,
            analyses=(Analysis("against_baselines", against_baselines),),
        )
    )
