"""The training program of deep learners on sequential games: ``PROGRAMS["ssd"]``.

One run: ``E`` environments of a game (with its reward wrappers and the episode-statistics
wrapper outermost) and one learner bundle (:mod:`prosocial.learners`) holding every
agent's network. Every update plays a rollout of ``T`` steps in the ``E`` environments
(:func:`prosocial.learners.play.collect`) and updates every agent on it; every
``log_every`` updates, ``eval_envs`` fresh environments play ``eval_steps`` steps with
the agents' policies (sampling, no ε-greedy exploration) and one row of metrics is logged:

* ``step``: environment steps of training so far (``E · T`` per update);
* the evaluation's social metrics (``social/collective_return``, ``social/efficiency``,
  ``social/equality``, ``social/sustainability``, ``social/peace`` where the game has a
  penalty beam) and the game's counters (``coin/own_fraction``,
  ``cleanup/waste_cleaned``, ``stag_hunt/stags``, ``snowdrift/drifts``, ...), averaged
  over the completed evaluation episodes, on the game's own (extrinsic) rewards
  (:mod:`prosocial.metrics`);
* ``fair/geometric_mean``, ``fair/minimum``, ``fair/jain``: FCGrad's fairness measures
  of the agents' mean evaluation returns (the α-fair mean at α = 1 and α = ∞, and
  Jain's index; :func:`prosocial.metrics.alpha_fair_mean`);
* ``agent/return`` ``(n,)``: each agent's extrinsic return per evaluation episode, and
  ``agent/<counter>`` ``(n,)`` each agent's total of every game counter per episode
  (``agent/waste_cleaned``: who cleans);
* ``train/return`` ``(n,)``: the extrinsic return of the training episodes completed
  since the last row (with exploration), ``train/<counter>`` ``(n,)`` each agent's game
  counters in those episodes (``train/cooperate``: cooperations per episode with
  ε-greedy exploration), and ``train/reward`` ``(n,)`` the mean per-step reward the
  agents learned from (after the reward wrappers);

* ``loss/policy``, ``loss/value``, ``loss/entropy`` ``(n,)``: the learners' losses,
  averaged over the row's updates.

With ``coplayers`` a bot's name, every agent but the first plays that scripted bot
(:mod:`prosocial.envs.bots`) in training and evaluation: the first agent learns among
fixed co-players (the others' networks still update, on actions they did not choose, and
are never used).

An evaluation metric is NaN where it is undefined (the sustainability of episodes without
a positive reward, the own-coin fraction of episodes without a coin); that is not a
divergence. The losses and returns are checked for NaN and inf.

``train(config)`` runs every seed as one ``vmap`` compiled once; the experiment layer's
runner batches cells of equal shape (:meth:`SSDConfig.shape`) across presets and
checkpoints between chunks of rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from prosocial.envs import wrappers
from prosocial.envs.bots import make_bot
from prosocial.envs.wrappers import EXTRINSIC
from prosocial.experiments.program import PROGRAMS, Program, seed_keys
from prosocial.experiments.program import train as run_program
from prosocial.experiments.ssd.config import LOOK_AHEAD, SSDConfig
from prosocial.learners import deep, play
from prosocial.learners.deep import DEEP_LEARNERS, DeepLearner, LearnerState
from prosocial.learners.networks import make_network
from prosocial.metrics import alpha_fair_mean, from_episode_statistics, jain_index

CHUNK_UPDATES = 50
"""Updates per compiled call by default: the runner checkpoints between chunks."""


class RunState(NamedTuple):
    learner: LearnerState
    actors: play.Actors
    key: jax.Array
    updates: jax.Array


def dynamic(config: SSDConfig, static: SSDConfig) -> dict:
    del static
    numbers = config.learner_numbers()
    return {k: jnp.asarray(v, jnp.float32) for k, v in numbers.items()}


def build(static: SSDConfig, dyn: dict):
    """The environment and the learner of a run (numbers may be traced).

    The reward baselines are one stack with their numbers as data: the game (with any
    extra ``wrappers``), SVO with angle θ (0: the game's reward), inequity aversion with
    α, β (0, 0: unchanged), and the episode statistics outermost; the group optimum
    replaces each agent's reward by the sum of the game's rewards (:func:`learning_rewards`).
    """
    game = static.make_game()
    shaped = wrappers.social_value_orientation(game, angle=dyn["svo_angle"])
    shaped = wrappers.inequity_aversion(shaped, alpha=dyn["ia_alpha"], beta=dyn["ia_beta"])
    env = wrappers.episode_statistics(shaped)
    space = env.observation_space(env.params)
    network = make_network(static.network(), space.shape, env.action_space(env.params).n)
    n = env.num_agents()
    common = {
        "lr": dyn["lr"],
        "gamma": dyn["gamma"],
        "vf_coef": dyn["vf_coef"],
        "ent_coef": dyn["ent_coef"],
        "max_grad_norm": dyn["max_grad_norm"],
        "shared": static.shared,
    }
    if static.algo in ("ppo", "adjusted_ppo"):
        extra = {
            "gae_lambda": dyn["gae_lambda"],
            "clip": dyn["clip"],
            "anneal_lr": static.anneal_lr,
            "total_updates": static.updates,
            "epochs": static.epochs,
            "minibatches": static.minibatches,
        }
        if static.algo == "adjusted_ppo":
            extra.update(
                adjustment=static.adjustment,
                coef=dyn["adjust_coef"],
                hessian_lambda=static.hessian_lambda,
            )
    elif static.algo in LOOK_AHEAD:
        names = ("eps_start", "eps_end", "eps_div", "lr_v", "lr_reward", "r_max", "reg_coeff")
        names += ("tau",) if static.algo == "lio" else ("tau", "revenue_neutral", "planner_until")
        extra = {"env": env, **{k: dyn[k] for k in names}}
        if static.algo == "amd":
            extra["welfare_gamma"] = dyn["planner_gamma"]
            extra["welfare_estimate"] = static.planner_welfare
            extra["logit_reg"] = dyn["planner_logit_reg"]
            extra["reads"] = static.planner_reads
        if static.algo == "lio":
            extra["watched"] = static.watched
        elif static.algo == "amd":
            extra["estimate"] = static.planner_estimate
    elif static.algo == "lase":
        names = ("eps_start", "eps_end", "eps_div", "lr_sr", "lr_pt", "pt_delta")
        extra = {"env": env, "perspective": static.perspective, **{k: dyn[k] for k in names}}
        extra["coplayer_model"] = static.coplayer_model
        if static.coplayers != "learners":  # scripted co-players give nothing
            extra["givers"] = (True,) + (False,) * (n - 1)
        elif static.altruists is not None:  # LASE among A2C learners
            extra["givers"] = tuple(i < static.altruists for i in range(n))
    elif static.algo == "influence":
        names = ("eps_start", "eps_end", "eps_div", "influence_weight", "influence_ramp")
        extra = {k: dyn[k] for k in (*names, "moa_coef")}
    else:
        extra = {k: dyn[k] for k in ("eps_start", "eps_end", "eps_div")}
    learner = DEEP_LEARNERS.make(static.algo, network=network, n_agents=n, **common, **extra)
    return env, learner


def learning_rewards(dyn: dict, rewards: jax.Array, info: dict) -> jax.Array:
    """The rewards the agents learn from: the shaped ones, or under the group optimum
    the sum of the game's rewards, ``r_i' = Σ_j r_j``, for the first ``dyn["altruists"]``
    agents (the rest keep their shaped reward)."""
    total = jnp.sum(info[EXTRINSIC], axis=-1, keepdims=True)
    first = jnp.arange(rewards.shape[-1]) < dyn["altruists"]
    shared = (dyn["collective"] > 0) & first
    return jnp.where(shared, jnp.broadcast_to(total, rewards.shape), rewards)


def init(static: SSDConfig, dyn: dict, key: jax.Array) -> RunState:
    env, learner = build(static, dyn)
    k_learn, k_env, key = jax.random.split(key, 3)
    actors = play.start(env, learner.initial_carry(static.num_envs), k_env, static.num_envs)
    return RunState(learner.init(k_learn), actors, key, jnp.zeros((), jnp.int32))


def coplayer_override(static: SSDConfig, env) -> play.Override | None:
    """Every agent but the first plays ``static.coplayers``' bot (none: all learn)."""
    if static.coplayers == "learners":
        return None
    others = jnp.arange(env.num_agents()) > 0
    return play.scripted(make_bot(static.coplayers, env), others)


def _mean_episodes(info: dict, key: str) -> jax.Array:
    done = info["episode/done"]
    value = info[key]
    weights = done.reshape(*done.shape, *([1] * (value.ndim - done.ndim)))
    total = jnp.sum(jnp.where(weights, value, 0.0), axis=(0, 1))
    return total / jnp.maximum(jnp.sum(done), 1)


def evaluate(static: SSDConfig, env, learner: DeepLearner, params, key) -> dict:
    """Metrics of evaluation episodes played with every agent's policy."""
    override = coplayer_override(static, env)
    policy = play.with_override(play.learner_policy(learner, params), override)
    info = play.play(
        env,
        policy,
        learner.initial_carry(static.eval_envs),
        key,
        static.eval_envs,
        static.evaluation_steps(),
    )
    metrics = from_episode_statistics(info, axis=None)
    metrics["agent/return"] = _mean_episodes(info, "episode/extrinsic_return")
    metrics.update(fairness(metrics["agent/return"]))
    for key in _agent_counters(info):  # e.g. who cleaned the waste
        metrics[f"agent/{key.split('/')[2]}"] = _mean_episodes(info, key)
    return metrics


def fairness(returns: jax.Array) -> dict:
    """FCGrad's fairness measures of the agents' mean evaluation returns ``(n,)``."""
    return {
        "fair/geometric_mean": alpha_fair_mean(returns, 1.0),
        "fair/minimum": alpha_fair_mean(returns, math.inf),
        "fair/jain": jain_index(returns),
    }


def _agent_counters(info: dict) -> list[str]:
    """The keys of the per-agent game counters of finished episodes, ``(T, E, n)``."""
    return [
        key
        for key in info
        if len(key.split("/")) == 3 and key.startswith("episode/") and info[key].ndim == 3
    ]


def advance(static: SSDConfig, dyn: dict, state: RunState, rows: int):
    env, learner = build(static, dyn)
    steps = static.rollout_steps()
    override = coplayer_override(static, env)

    def one_update(carry, _):
        lstate, actors, key = carry
        key, k_roll, k_upd = jax.random.split(key, 3)
        actors, rollout, info = play.collect(learner, env, lstate, actors, k_roll, steps, override)
        rollout = rollout._replace(rewards=learning_rewards(dyn, rollout.rewards, info))
        lstate, losses = learner.update(lstate, rollout, k_upd)
        done = info["episode/done"]
        episode = {
            "returns": jnp.sum(
                jnp.where(done[..., None], info["episode/extrinsic_return"], 0.0), axis=(0, 1)
            ),
            "episodes": jnp.sum(done).astype(jnp.float32),
            "reward": jnp.mean(rollout.rewards, axis=(0, 1)),
            "counters": {
                key.split("/")[2]: jnp.sum(jnp.where(done[..., None], info[key], 0.0), axis=(0, 1))
                for key in _agent_counters(info)
            },
        }
        return (lstate, actors, key), (losses, episode)

    def one_row(state: RunState, _):
        (lstate, actors, key), (losses, episode) = jax.lax.scan(
            one_update, (state.learner, state.actors, state.key), None, length=static.log_every
        )
        key, k_eval = jax.random.split(key)
        row = evaluate(static, env, learner, lstate.params, k_eval)
        updates = state.updates + static.log_every
        row["step"] = updates * (static.num_envs * steps)
        row["train/return"] = jnp.sum(episode["returns"], 0) / jnp.maximum(
            jnp.sum(episode["episodes"]), 1.0
        )
        row["train/reward"] = jnp.mean(episode["reward"], 0)
        for name, total in episode["counters"].items():
            row[f"train/{name}"] = jnp.sum(total, 0) / jnp.maximum(
                jnp.sum(episode["episodes"]), 1.0
            )
        for name, value in losses.items():  # the learner's own metrics
            row[name] = jnp.mean(value, axis=0)
        return RunState(lstate, actors, key, updates), row

    return jax.lax.scan(one_row, state, None, length=rows)


def _group(config: SSDConfig):
    return config.shape()


def _static(configs: Sequence[SSDConfig]) -> SSDConfig:
    return configs[0].shape()


PROGRAM = Program(
    name="ssd",
    x="step",
    group=_group,
    static=_static,
    dynamic=dynamic,
    inputs=lambda c: seed_keys(c.seed, c.seeds),
    init=init,
    advance=advance,
    rows=lambda c: c.updates // c.log_every,
    chunk=lambda c, every: max(1, (every or CHUNK_UPDATES) // c.log_every),
    may_be_nan=lambda name: not name.startswith(("loss/", "train/", "agent/")),
)
PROGRAMS.register("ssd", lambda: PROGRAM)


def train(config: SSDConfig, key: jax.Array | None = None) -> tuple[Any, dict]:
    """``(final_state, metrics)`` of ``config``: every seed vmapped without ``key``
    (leading seeds axis), one run with it (``seeds=1``)."""
    return run_program(PROGRAM, config, key)


def policy_params(state: RunState) -> Any:
    """The trained parameters of every agent (stacked per agent unless shared)."""
    return state.learner.params


__all__ = ["PROGRAM", "RunState", "SSDConfig", "build", "deep", "evaluate", "train"]
