"""The config of one deep multi-agent training run on a sequential game (``SSDConfig``).

A run is a game (a registered environment with its parameters), a stack of reward
wrappers (the group optimum, inequity aversion and SVO baselines are wrapper stacks, not
learners), a learner (A2C or PPO over a CNN or MLP network, optional memory) and the
scale (environments, rollout length, updates, evaluation). Numbers that only enter
arithmetic (step sizes, discounts, coefficients, ε) are data in the compiled program; the
rest shapes it.

Command-line forms of the two structured fields:

* ``env_options``: ``key=value`` pairs, comma-separated (``coins=per_agent,max_steps=10``);
  a value of several numbers joins them with ``/`` (``view=9/1/5``);
* ``wrappers``: wrapper names, comma-separated, applied innermost first, each with its
  keywords after colons (``inequity_aversion:alpha=5:beta=0.05``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from prosocial import envs
from prosocial.envs import wrappers as env_wrappers
from prosocial.envs.bots import bot_names, make_bot
from prosocial.errors import ConfigError, UnknownNameError
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.ssd.pairs import parse_pairs, parse_wrapper
from prosocial.learners.adjusted import ACCEPTED as ADJUSTMENTS
from prosocial.learners.amd import ESTIMATES as AMD_ESTIMATES
from prosocial.learners.amd import MAX_JOINT_ACTIONS
from prosocial.learners.amd import READS as AMD_READS
from prosocial.learners.amd_authors import LEARNER_STEP
from prosocial.learners.lase import COPLAYER_MODELS
from prosocial.learners.lio import watched_indices
from prosocial.learners.networks import MEMORIES, NetworkConfig

envs._load_all()
ENV_NAMES = envs.names()
BOT_NAMES = bot_names()
ALGOS = ("ppo", "adjusted_ppo", "a2c", "influence", "lio", "amd", "amd_authors", "lase")
LOOK_AHEAD = ("lio", "amd", "amd_authors")
"""Learners that differentiate through the others' step and play whole episodes."""
TORSOS = ("auto", "cnn", "mlp")
REWARDS = ("individual", "collective", "inequity_aversion", "svo")
"""The reward baselines: the game's own reward; the group optimum (every agent learns from
the sum of all rewards); inequity aversion (Hughes et al. 2018) and SVO, the wrappers of
:mod:`prosocial.envs.wrappers` with their numbers as data."""

OWN_FIELDS = {  # field: (its default, the learner that takes it, who)
    "perspective": (True, "lase", "lase"),
    "coplayer_model": ("own", "lase", "lase"),
    "adjustment": ("aga", "adjusted_ppo", "adjusted_ppo"),
    "adjust_coef": (1.0, "adjusted_ppo", "adjusted_ppo"),
    "hessian_lambda": (None, "adjusted_ppo", "adjusted_ppo"),
    "planner_estimate": ("sampled", "amd", "amd's planner"),
    "planner_welfare": ("sampled", "amd", "amd's planner"),
    "planner_gamma": (None, "amd", "amd's planner"),
    "planner_logit_reg": (0.0, "amd", "amd's planner"),
    "planner_reads": ("actions", "amd", "amd's planner"),
}
"""Fields only one learner reads; any other refuses them away from their defaults."""

ALGO_DEFAULTS = {
    # SocialJax's IPPO (ippo_base.yaml) and LIO's / LASE's A2C (module docstrings)
    "ppo": {"lr": 5e-4, "ent_coef": 0.01, "max_grad_norm": 0.5},
    "adjusted_ppo": {"lr": 5e-4, "ent_coef": 0.01, "max_grad_norm": 0.5},
    "a2c": {"lr": 1e-4, "ent_coef": 0.1, "max_grad_norm": 1.0},
    "influence": {"lr": 1e-4, "ent_coef": 0.1, "max_grad_norm": 1.0},  # A2C's
    # LIO's Cleanup settings (lio/alg/config_ssd_lio.py): lr is its plain policy step
    "lio": {"lr": 1e-4, "ent_coef": 0.1, "max_grad_norm": 1.0},
    # the learners of adaptive mechanism design: LIO's recipients, a larger step
    "amd": {"lr": 1e-3, "ent_coef": 0.1, "max_grad_norm": 1.0},
    "amd_authors": {"lr": LEARNER_STEP, "ent_coef": 0.1, "max_grad_norm": 1.0},  # momentum SGD
    # LASE's acting policy: A2C (its development code's Adam 1e-4)
    "lase": {"lr": 1e-4, "ent_coef": 0.1, "max_grad_norm": 1.0},
}


@dataclass(frozen=True)
class SSDConfig(Config):
    """One deep multi-agent training run on a sequential game (module docstring)."""

    env: str = option("coin_game", "the game, a registered environment", choices=ENV_NAMES)
    env_options: tuple[str, ...] | None = option(
        None, "the game's parameters, key=value (none: its defaults)"
    )
    wrappers: tuple[str, ...] | None = option(
        None, "extra wrappers around the game, innermost first: name:key=value"
    )
    reward: str = option("individual", "what each agent learns from", choices=REWARDS)
    ia_alpha: float = option(5.0, "inequity aversion: envy weight α", low=0.0, high=1e3)
    ia_beta: float = option(0.05, "inequity aversion: guilt weight β", low=-1e3, high=1e3)
    svo_angle: float = option(
        45.0, "SVO: angle θ in degrees (0 selfish, 45 prosocial)", low=-180.0, high=180.0
    )
    algo: str = option("ppo", "the learner", choices=ALGOS)
    shared: bool = option(False, "one parameter set for every agent (default: one each)")
    torso: str = option("auto", "network torso (auto: cnn for grid views)", choices=TORSOS)
    channels: tuple[int, ...] = option(
        (32, 32), "channels of each convolution", low=1, high=512, unique=False
    )
    kernels: tuple[int, ...] = option(
        (3, 3), "kernel size of each convolution", low=1, high=15, unique=False
    )
    hidden: tuple[int, ...] = option(
        (64,), "widths of the dense layers", low=1, high=4096, unique=False
    )
    memory: str = option("none", "recurrent memory", choices=MEMORIES)
    memory_size: int = option(64, "width of the recurrent cell", low=1, high=4096)
    num_envs: int = option(16, "environments played in parallel per run", low=1, high=65536)
    steps: int | None = option(
        None, "rollout length per update (none: one episode, max_steps)", low=1, high=100_000
    )
    updates: int = option(200, "updates in the run", low=1, high=10**7)
    lr: float | None = option(
        None, "Adam step size (none: 5e-4 PPO, 1e-4 A2C)", low=0.0, strict=True, high=1.0
    )
    anneal_lr: bool = option(True, "PPO: anneal the step size linearly to 0")
    gamma: float = option(0.99, "discount γ", low=0.0, high=1.0)
    gae_lambda: float = option(0.95, "PPO: GAE λ", low=0.0, high=1.0)
    clip: float = option(0.2, "PPO: clipping ε of the ratio and the value", low=0.0, high=10.0)
    epochs: int = option(2, "PPO: passes over each rollout", low=1, high=100)
    minibatches: int = option(4, "PPO: minibatches per pass", low=1, high=100_000)
    vf_coef: float = option(0.5, "value-loss weight c_v", low=0.0, high=1e3)
    ent_coef: float | None = option(
        None, "entropy weight c_H (none: 0.01 PPO, 0.1 A2C)", low=0.0, high=1e3
    )
    max_grad_norm: float | None = option(
        None,
        "clip each agent's gradient to this norm (none: 0.5 PPO, 1 A2C)",
        low=0.0,
        strict=True,
        high=1e6,
    )
    eps_start: float = option(
        0.5, "A2C, SI, LIO, AMD, LASE: ε-greedy exploration at the start", low=0.0, high=1.0
    )
    eps_end: float = option(0.05, "A2C, SI, LIO, AMD, LASE: final ε", low=0.0, high=1.0)
    eps_div: float = option(
        1000.0, "A2C, SI, LIO, AMD, LASE: episodes over which ε anneals", low=1.0, high=1e9
    )
    lr_v: float = option(1e-3, "LIO, AMD: critics' Adam step", low=0.0, strict=True, high=1.0)
    lr_reward: float = option(
        1e-3, "LIO, AMD: the incentives' or the planner's step", low=0.0, strict=True, high=1e3
    )
    watched: tuple[str, ...] | None = option(
        None, "LIO: the others' actions its incentive function sees (none: all)"
    )
    r_max: float = option(
        2.0, "LIO: the largest incentive R_max; AMD: the transfer bound c", low=0.0, high=1e3
    )
    reg_coeff: float = option(
        1e-4, "LIO: weight of the L1 cost of giving; AMD: cost weight α", low=0.0, high=1e3
    )
    influence_weight: float = option(1.0, "SI: weight β of the influence reward", low=0.0, high=1e3)
    influence_ramp: float = option(0.0, "SI: episodes for β to ramp up from 0", low=0.0, high=1e9)
    moa_coef: float = option(1.0, "SI: weight of the model of others' loss", low=0.0, high=1e3)
    lr_sr: float = option(
        5e-5, "LASE: the SR network's Adam step (α_μ, α_η)", low=0.0, strict=True, high=1.0
    )
    lr_pt: float = option(
        3e-5, "LASE: the perspective network's Adam step (α_φ)", low=0.0, strict=True, high=1.0
    )
    pt_delta: float = option(0.1, "LASE: L1 weight δ of perspective loss", low=0.0, high=1.0)
    perspective: bool = option(True, "LASE: perspective taking (false: LASE w/o)")
    coplayer_model: str = option(
        "own",
        "LASE: π_η is the agent's own SR policy (own) or imitates the co-players (imitate)",
        choices=COPLAYER_MODELS,
    )
    adjustment: str = option(
        "aga", "adjusted_ppo: the policies' joint-gradient adjustment", choices=ADJUSTMENTS
    )
    adjust_coef: float = option(
        1.0, "adjusted_ppo: its coefficient (AgA's λ, SL's α, ...)", low=0.0, high=1e6
    )
    hessian_lambda: float | None = option(
        None,
        "adjusted_ppo: λ_d of Loaded DiCE's cross terms across time in the policies' "
        "second derivatives (none: the per-step surrogate's only)",
        low=0.0,
        high=1.0,
    )
    altruists: int | None = option(
        None,
        "LASE, GO: how many agents, the first, gift or learn from the collective reward "
        "(none: all; the rest learn from their own)",
        low=0,
        high=10**4,
    )
    coplayers: str = option(
        "learners",
        "every agent but the first: a learner, or a scripted bot that plays it",
        choices=("learners", *BOT_NAMES),
    )
    revenue_neutral: bool = option(False, "AMD: centre the transfers (they sum to zero)")
    planner_estimate: str = option(
        "sampled",
        "AMD: the learners' step sees the transfers at the actions taken (sampled) or "
        "their expectation over the joint action (exact)",
        choices=AMD_ESTIMATES,
    )
    planner_welfare: str = option(
        "sampled",
        "AMD: the planner scores a step's welfare at the joint action taken (sampled) or "
        "its expectation over the joint action (exact)",
        choices=AMD_ESTIMATES,
    )
    planner_gamma: float | None = option(
        None,
        "AMD: discount of the welfare the planner scores (none: gamma; 0: each step's own)",
        low=0.0,
        high=1.0,
    )
    planner_logit_reg: float = option(
        0.0, "AMD: weight κ of the planner's mean square logit", low=0.0, high=1e3
    )
    planner_reads: str = option(
        "actions",
        "AMD: the planner reads the joint action, or it and the step's rewards",
        choices=AMD_READS,
    )
    planner_until: int | None = option(
        None, "AMD: iterations during which the planner pays (none: all)", low=0, high=10**7
    )
    tau: float = option(0.01, "LIO, AMD: the target critics' rate", low=0.0, high=1.0)
    log_every: int = option(10, "updates between evaluations (logged rows)", low=1, high=10**7)
    eval_envs: int = option(16, "environments per evaluation", low=1, high=65536)
    eval_steps: int | None = option(
        None, "steps per evaluation (none: one episode, max_steps)", low=1, high=100_000
    )
    seeds: int = seeds_option(5)
    seed: int = seed_option()

    def check(self) -> None:
        check_log_every(self, "updates")
        env = self.make_game()
        if env.num_agents() < 2:
            raise ConfigError("env_options", f"{self.env} with one agent is no social dilemma")
        self.network()
        if self.coplayers != "learners":
            if self.shared:
                raise ConfigError("shared", "scripted co-players need one policy per agent")
            try:
                make_bot(self.coplayers, env)
            except ConfigError as err:
                raise ConfigError("coplayers", str(err).partition(": ")[2]) from None
        if self.torso == "cnn" and len(env.observation_space(env.params).shape) != 3:
            raise ConfigError("torso", f"'cnn' needs a grid view; {self.env} gives vectors")
        if self.algo in ("ppo", "adjusted_ppo") and self.minibatches > 1:
            by_sequence = self.memory != "none" or self.hessian_lambda is not None
            size = self.num_envs * (1 if by_sequence else self.rollout_steps())
            if size % self.minibatches:
                raise ConfigError(
                    "minibatches",
                    f"{self.minibatches} does not divide the {size} "
                    + ("environments" if by_sequence else "steps × environments")
                    + " of a rollout",
                )
        if self.algo in LOOK_AHEAD:
            if self.shared:
                raise ConfigError("shared", f"{self.algo} gives every agent its own policy")
            if self.reward != "individual":
                raise ConfigError(
                    "reward", f"{self.reward!r}; {self.algo} learns from individual rewards"
                )
            if self.rollout_steps() != self.episode_length():
                raise ConfigError(
                    "steps",
                    f"{self.steps}; {self.algo}'s rollouts are whole episodes "
                    f"({self.episode_length()} steps): leave steps unset",
                )
        if self.watched is not None:
            if self.algo != "lio":
                raise ConfigError("watched", f"only lio watches actions, not {self.algo}")
            watched_indices(env, self.watched)
        if self.algo == "lase" and (self.shared or self.reward != "individual"):
            raise ConfigError(
                "shared" if self.shared else "reward",
                "lase gives every agent its own networks and gifts its individual reward",
            )
        if self.altruists is not None:
            go = self.algo == "a2c" and self.reward == "collective"
            if not (self.algo == "lase" or go) or self.coplayers != "learners":
                raise ConfigError(
                    "altruists",
                    "only lase agents gift and GO's (a2c, collective reward) share, among "
                    "learners, not scripted co-players",
                )
            if self.altruists > env.num_agents():
                raise ConfigError(
                    "altruists", f"{self.altruists}; {self.env} has {env.num_agents()}"
                )
        for name, (default, algo, who) in OWN_FIELDS.items():
            if self.algo != algo and getattr(self, name) != default:
                raise ConfigError(name, f"only {who} takes {name}, not {self.algo}'s")
        joint = int(env.action_space(env.params).n) ** env.num_agents()
        for name in ("planner_estimate", "planner_welfare"):
            if getattr(self, name) == "exact" and joint > MAX_JOINT_ACTIONS:
                raise ConfigError(
                    name,
                    f"'exact' sums over {joint} joint actions of {self.env} per step "
                    f"(at most {MAX_JOINT_ACTIONS}): use 'sampled'",
                )
        if self.algo == "adjusted_ppo" and self.shared:
            raise ConfigError("shared", "adjusted_ppo gives every agent its own policy")
        if self.algo in ("a2c", "influence", "lase", *LOOK_AHEAD) and self.eps_end > self.eps_start:
            raise ConfigError("eps_end", f"{self.eps_end} is above eps_start={self.eps_start}")

    # ------------------------------------------------------------------ derived

    def env_kwargs(self) -> dict[str, Any]:
        return parse_pairs(self.env_options or (), "env_options")

    def wrapper_stack(self) -> tuple[tuple[str, dict[str, Any]], ...]:
        return tuple(parse_wrapper(s) for s in self.wrappers or ())

    def make_game(self):
        """The game with the extra wrappers of ``wrappers``."""
        env = envs.make(self.env, **self.env_kwargs())
        for name, kwargs in self.wrapper_stack():
            if name == "episode_statistics":
                raise ConfigError("wrappers", "episode_statistics is always applied, outermost")
            try:
                env = env_wrappers.WRAPPERS.make(name, env=env, **kwargs)
            except UnknownNameError as err:
                raise ConfigError("wrappers", str(err)) from None
            except TypeError as err:
                raise ConfigError("wrappers", f"{name}: {err}") from None
        return env

    def episode_length(self) -> int:
        return int(envs.make(self.env, **self.env_kwargs()).params.max_steps)

    def rollout_steps(self) -> int:
        return self.steps if self.steps is not None else self.episode_length()

    def evaluation_steps(self) -> int:
        return self.eval_steps if self.eval_steps is not None else self.episode_length()

    def network(self) -> NetworkConfig:
        env = self.make_game()
        grid = len(env.observation_space(env.params).shape) == 3
        torso = ("cnn" if grid else "mlp") if self.torso == "auto" else self.torso
        return NetworkConfig(
            torso=torso,
            channels=self.channels,
            kernels=self.kernels,
            hidden=self.hidden,
            memory=self.memory,
            memory_size=self.memory_size,
        )

    def learner_numbers(self) -> dict[str, float]:
        """The learner's numbers, the algorithm's defaults filled in."""
        defaults = ALGO_DEFAULTS[self.algo]
        pick = {k: v if getattr(self, k) is None else getattr(self, k) for k, v in defaults.items()}
        return {
            **pick,
            **{k: getattr(self, k) for k in PLAIN_NUMBERS},
            "revenue_neutral": float(self.revenue_neutral),
            "planner_until": float(1e12 if self.planner_until is None else self.planner_until),
            "planner_gamma": self.gamma if self.planner_gamma is None else self.planner_gamma,
            "ia_alpha": self.ia_alpha if self.reward == "inequity_aversion" else 0.0,
            "ia_beta": self.ia_beta if self.reward == "inequity_aversion" else 0.0,
            "svo_angle": math.radians(self.svo_angle) if self.reward == "svo" else 0.0,
            "collective": float(self.reward == "collective"),
            "altruists": float(10**9 if self.altruists is None else self.altruists),
        }

    def shape(self) -> SSDConfig:
        """This config with every number that is data in the compiled program (and the
        seed) at its default: configs with equal shapes run as one program."""
        defaults = {f.name: f.default for f in dataclasses.fields(self) if f.name in DATA_FIELDS}
        if self.algo != "lase":  # GO's altruists are data; LASE's givers shape its update
            defaults["altruists"] = None
        return dataclasses.replace(self, **defaults)


DATA_FIELDS = (
    "lr", "gamma", "gae_lambda", "clip", "vf_coef", "ent_coef", "max_grad_norm",
    "eps_start", "eps_end", "eps_div", "lr_v", "lr_reward", "r_max", "reg_coeff", "tau",
    "influence_weight", "influence_ramp", "moa_coef", "lr_sr", "lr_pt", "pt_delta",
    "adjust_coef", "revenue_neutral", "planner_until", "planner_gamma", "planner_logit_reg",
    "seed", "reward", "ia_alpha", "ia_beta", "svo_angle",
)  # fmt: skip
"""Fields that are data in the compiled program, not part of its shape."""
PLAIN_NUMBERS = (
    "gamma", "vf_coef", "gae_lambda", "clip", "eps_start", "eps_end", "eps_div", "lr_v",
    "lr_reward", "r_max", "reg_coeff", "tau", "influence_weight", "influence_ramp",
    "moa_coef", "lr_sr", "lr_pt", "pt_delta", "adjust_coef", "planner_logit_reg",
)  # fmt: skip
"""The learner's numbers taken as they are (:meth:`SSDConfig.learner_numbers`)."""
