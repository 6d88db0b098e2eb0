"""The adaptive-mechanism-design run: learners, a planner and a matrix game.

``train(config, key) -> (final_state, metrics)`` is one pure function. Internally it is an
``init`` and a compiled ``advance`` over a chunk of episodes (a ``lax.scan`` of
``lax.scan``\\s), so that a caller can show progress between chunks without recompiling.
What changes the compiled program (player count, episode count, learner rule, planner
variant, sample count, logging interval) is the :class:`Static` part of the config; all
numbers (payoffs, step sizes, the bound ``c``, the cost, revenue neutrality, when the
planner turns off) are :class:`Dynamic` data, so many cells of a table run as one
``vmap`` over cells × seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from prosocial.errors import ConfigError
from prosocial.experiments.amd.cell import AMDConfig
from prosocial.experiments.program import PROGRAMS, Program, seed_keys
from prosocial.experiments.program import train as run_program
from prosocial.games.matrix import (
    payoff_of,
    values_from_logits,
)
from prosocial.learners.binary import LEARNERS, LearnerState, Transition
from prosocial.planner import amd as planner
from prosocial.planner.rules import PLANNERS, Round

CHUNK_EPISODES = 1000
"""Episodes per compiled call: the runner reports progress and checkpoints between them."""


class Static(NamedTuple):
    """The part of a batch that shapes the compiled program.

    ``learners`` and ``planners`` are the rules that the batch's cells use; only those are
    computed, and each cell selects its own by an index into them.
    """

    n_players: int
    planner_inputs: str
    max_samples: int
    log_every: int
    learners: tuple[str, ...]
    planners: tuple[str, ...]


class Dynamic(NamedTuple):
    """The numbers of a config: data, vmappable over the cells of a table.

    The learner rule and the planner variant are indices into ``Static.learners`` and
    ``Static.planners``: the batch's variants are all computed and each cell selects its
    own, so the whole grid of a chapter is one compiled program.
    """

    payoffs: jax.Array
    learner: jax.Array
    learner_lr: jax.Array
    p_init: jax.Array
    planner: jax.Array
    planner_on: jax.Array
    planner_lr: jax.Array
    max_reward: jax.Array
    cost: jax.Array
    revenue_neutral: jax.Array
    planner_until: jax.Array
    episodes: jax.Array
    opponent_model: jax.Array
    om_decay: jax.Array
    samples: jax.Array
    learned_baseline: jax.Array
    baseline_value: jax.Array


class PlannerState(NamedTuple):
    params: dict
    opt: Any
    model: planner.OpponentModel
    baseline: jax.Array


class RunState(NamedTuple):
    """Everything a run carries from one episode to the next."""

    episode: jax.Array
    learners: tuple[LearnerState, ...]
    planner: PlannerState
    key: jax.Array


def dynamic(config: AMDConfig, static: Static) -> Dynamic:
    """The config's numbers, with its rules as indices into ``static``'s."""
    greed, fear = config.greed_fear
    default_baseline = (3.0 + greed) + (1.0 - fear) - 0.1  # T + S − 0.1
    off = config.episodes if config.turn_off_after is None else config.turn_off_after
    f = partial(jnp.asarray, dtype=jnp.float32)
    i = partial(jnp.asarray, dtype=jnp.int32)
    baseline = default_baseline if config.baseline_value is None else config.baseline_value
    return Dynamic(
        payoffs=config.payoffs(),
        learner=i(static.learners.index(config.learner)),
        learner_lr=f(config.learner_lr),
        p_init=f(config.p_init),
        planner=i(static.planners.index(config.planner) if config.planner != "none" else 0),
        planner_on=f(config.planner != "none"),
        planner_lr=f(config.planner_lr),
        max_reward=f(config.max_reward),
        cost=f(config.cost),
        revenue_neutral=f(config.revenue_neutral),
        planner_until=i(off),
        episodes=i(config.episodes),
        opponent_model=f(config.opponent_model),
        om_decay=f(config.om_decay),
        samples=i(config.samples),
        learned_baseline=f(config.baseline == "learned"),
        baseline_value=f(baseline),
    )


def _learners(static: Static, dyn: Dynamic):
    # One step size for actor and critic, as in the authors' code.
    kwargs = {"pg_critic": {"critic_lr": dyn.learner_lr}, "exact_gradient": {}}
    return tuple(
        LEARNERS.make(name, lr=dyn.learner_lr, p_init=dyn.p_init, **kwargs[name])
        for name in static.learners
    )


def _select(index: jax.Array, options: Sequence[Any]) -> Any:
    """The option at ``index`` (a traced integer), leaf by leaf."""
    return jax.tree.map(lambda *xs: jnp.stack(xs)[index], *options)


def _where(flag: jax.Array, new: Any, old: Any) -> Any:
    return jax.tree.map(lambda a, b: jnp.where(flag, a, b), new, old)


def init(static: Static, dyn: Dynamic, key: jax.Array) -> RunState:
    """The state before the first episode."""
    k_learn, k_plan, key = jax.random.split(key, 3)
    learners = tuple(lrn.init(k_learn, static.n_players) for lrn in _learners(static, dyn))
    params = planner.init_params(k_plan, static.n_players, static.planner_inputs)
    plan = PlannerState(
        params,
        optax.adam(dyn.planner_lr).init(params),
        planner.init_opponent_model(static.n_players),
        dyn.baseline_value,  # the learned baseline starts at the fixed one
    )
    return RunState(jnp.zeros((), jnp.int32), learners, plan, key)


def current_logits(state: RunState, dyn: Dynamic) -> jax.Array:
    """The logits of the learners that this cell uses."""
    return _select(dyn.learner, [s.logits for s in state.learners])


def _planner_gradient(static, dyn, state, seen, actions, rewards, key):
    """The gradient of the cell's planner loss (its rule from ``PLANNERS``), and the new
    learned baseline."""
    n = static.n_players
    old = state.planner.baseline
    rules = [PLANNERS.make(name) for name in static.planners]
    plays, game_rewards = actions[None], rewards[None]
    weights, baseline = jnp.ones((1,)), old
    sampled = any(rule.sampled for rule in rules)
    if sampled:
        more = jax.random.uniform(key, (static.max_samples - 1, n)) >= jax.nn.sigmoid(seen)[None]
        plays = jnp.concatenate([actions[None], more.astype(jnp.int32)])
        weights = (jnp.arange(static.max_samples) < dyn.samples) / dyn.samples
        game_rewards = jnp.concatenate(
            [rewards[None], jax.vmap(lambda a: payoff_of(dyn.payoffs, a))(plays[1:])]
        )
        baseline = jnp.where(dyn.learned_baseline > 0, old, dyn.baseline_value)
    round_ = Round(
        seen,
        actions,
        plays,
        game_rewards,
        weights,
        baseline,
        dyn.payoffs,
        dyn.learner_lr,
        dyn.max_reward,
        dyn.cost,
        dyn.revenue_neutral,
    )
    grads = [rule.gradient(state.planner.params, round_, static.planner_inputs) for rule in rules]
    if sampled:
        old = old + 0.05 * (weights @ game_rewards.sum(axis=1) - old)
    return _select(dyn.planner, grads), old


def _episode(static: Static, dyn: Dynamic, state: RunState) -> tuple[RunState, dict]:
    """One round: play, transfers, learner updates, planner update.

    As in the authors' loop, the planner pays with its parameters from before its update,
    and both the planner's gradient and the learners' updates use the learners' policies
    from before theirs. *Simplification named:* all learners update simultaneously; the
    authors' code updates them one after another, so a later learner's critic sees an
    earlier learner's updated policy.
    """
    n, c, rn, inputs = static.n_players, dyn.max_reward, dyn.revenue_neutral, static.planner_inputs
    key, k_play, k_more = jax.random.split(state.key, 3)
    logits = current_logits(state, dyn)
    actions = (jax.random.uniform(k_play, (n,)) >= jax.nn.sigmoid(logits)).astype(jnp.int32)
    rewards = payoff_of(dyn.payoffs, actions)
    live = state.episode < dyn.episodes
    active = ((dyn.planner_on > 0) & (state.episode < dyn.planner_until)).astype(jnp.float32)
    params = state.planner.params
    extra = active * planner.extra_rewards(params, actions, c, rn, inputs)

    transfers = active * planner.transfer_table(params, n, c, rn, inputs)  # (2^n, n)
    value_grad = jnp.zeros((n,))
    if "exact_gradient" in static.learners:
        value_grad = planner.own_gradient(logits, planner.joint_table(dyn.payoffs) + transfers)
    t = Transition(actions, rewards + extra, value_grad)
    pairs = zip(_learners(static, dyn), state.learners, strict=True)
    updated = [lrn.update(s, t) for lrn, s in pairs]
    learners = tuple(s for s, _ in updated)
    td_error = _select(dyn.learner, [info["critic/td_error"] for _, info in updated])

    model = planner.observe(state.planner.model, actions, dyn.om_decay)
    plan = state.planner._replace(model=model)
    if static.planners:
        seen = jnp.where(dyn.opponent_model > 0, planner.estimated_logits(model), logits)
        grad, baseline = _planner_gradient(static, dyn, state, seen, actions, rewards, k_more)
        opt = optax.adam(dyn.planner_lr)
        updates, opt_state = opt.update(grad, state.planner.opt, params)
        stepped = PlannerState(optax.apply_updates(params, updates), opt_state, model, baseline)
        plan = _where(active > 0, stepped, plan)

    new = RunState(state.episode + 1, learners, plan, key)
    out = {
        "extra_abs": jnp.abs(extra).sum(),
        "extra_sum": extra.sum(),
        "td_error": jnp.abs(td_error).mean(),
        # what the planner would pay player 1 on each joint action (Figure 4.1b)
        "table": transfers[:, 0] if n == 2 else jnp.zeros((4,)),
    }
    return _where(live, new, state), out


def advance(static: Static, dyn: Dynamic, state: RunState, rows: int) -> tuple[RunState, dict]:
    """Play ``rows · log_every`` episodes; return one metrics row per ``log_every``."""

    def block(state, _):
        state, outs = jax.lax.scan(
            lambda s, _: _episode(static, dyn, s), state, None, length=static.log_every
        )
        logits = current_logits(state, dyn)
        p_coop = jax.nn.sigmoid(logits)
        row = {
            "episode": state.episode,
            "policy/p_coop": p_coop,
            "social/p_coop_mean": p_coop.mean(),
            "social/welfare": values_from_logits(dyn.payoffs, logits).sum(),
            "planner/extra_abs": outs["extra_abs"].mean(),
            "planner/extra_sum": outs["extra_sum"].mean(),
            "learner/td_error": outs["td_error"].mean(),
        }
        if static.n_players == 2:
            # what the planner would pay player 1 on each joint action (Figure 4.1b), and
            # the greed and fear of the game those payments make (Figure 4.1c)
            pay = outs["table"][-1]
            u = dyn.payoffs[0]  # player 1's payoffs u[a_1, a_2], action 0 = C
            row["planner/pay_player0"] = pay
            row["planner/greed"] = (u[1, 0] + pay[2]) - (u[0, 0] + pay[0])
            row["planner/fear"] = (u[1, 1] + pay[3]) - (u[0, 1] + pay[1])
        return state, row

    return jax.lax.scan(block, state, None, length=rows)


def _static(configs: Sequence[AMDConfig]) -> Static:
    first = configs[0]
    for cfg in configs:
        for name in GROUP_FIELDS:
            if getattr(cfg, name) != getattr(first, name):
                raise ConfigError(
                    name,
                    f"{getattr(cfg, name)!r} differs from {getattr(first, name)!r}; configs run "
                    f"as one batch must share {', '.join(GROUP_FIELDS)}",
                )
    return Static(
        first.n_players,
        first.planner_inputs,
        max(c.samples for c in configs),
        first.log_every,
        tuple(sorted({c.learner for c in configs})),
        tuple(sorted({c.planner for c in configs} - {"none"})),
    )


GROUP_FIELDS = ("n_players", "planner_inputs", "log_every", "seeds", "seed", "episodes")
"""Cells that agree on these run as one compiled program (the rest is data). Cells of
different lengths could share one (a cell stops changing after its own episodes), but a
short cell would then be carried through the long ones' episodes for nothing."""

PROGRAM = Program(
    name="amd",
    x="episode",
    group=lambda c: tuple(getattr(c, f) for f in GROUP_FIELDS),
    static=_static,
    dynamic=dynamic,
    inputs=lambda c: seed_keys(c.seed, c.seeds),
    init=init,
    advance=advance,
    rows=lambda c: c.episodes // c.log_every,
    chunk=lambda c, every: max(1, (every or CHUNK_EPISODES) // c.log_every),
    labels=(("planner/pay_player0", ("CC", "CD", "DC", "DD")),),
)
PROGRAMS.register("amd", lambda: PROGRAM)


def train(config: AMDConfig, key: jax.Array | None = None) -> tuple[RunState, dict]:
    """Every seed of ``config`` (leading seeds axis), or one run from ``key`` (with
    ``seeds=1``): ``(final_state, metrics)``, metrics with one row per ``log_every``."""
    return run_program(PROGRAM, config, key)
