"""Adaptive mechanism design on a sequential game: a planner network that pays the agents.

The planner of chapter 4 (:mod:`prosocial.planner.amd`) made stateful, as the thesis
proposes for the Coin Game (§4.3.1) and as the authors' later code does
(github ``tobiasbaumann1/amd``, ``marltoolbox/examples/tune_class_api/amd.py``): after
every step it pays agent ``i``

    r_p,i(s, a) = 2c (σ(f_p(s, a))_i − ½) ∈ (−c, c),

with ``f_p`` a network over the state (every agent's observation, stacked on the channel
axis) and the one-hot joint action; with revenue neutrality the transfers are centred,
``r_p ← r_p − mean_i r_p`` (they sum to zero). The agents are the actor-critic learners of
:mod:`prosocial.learners.recipients` and learn from ``rⁱ + r_p,i``.

The planner maximises the welfare ``V = Σ_i Vⁱ`` (the game's own rewards) *after* the
learners' step (eq. 4.2 of the thesis), minus the cost of its transfers (eq. 4.7, the L2
norm as in the authors' code). With the learners' step written out and differentiated
(:mod:`prosocial.learners.lookahead`), one iteration is: an episode τ; the learners' step
θ̂(p) on ``r + r_p``; fresh episodes τ̂ with θ̂; one Adam step of the planner on

    L_p(p) = −Σ_i Σ_t log π_θ̂ⁱ(p)(âⁱ_t | ôⁱ_t) (Ĝ_t − b_t) + α Σ_t ‖r_p(s_t, a_t)‖₂,

where Ĝ_t is the discounted welfare return along τ̂ from step ``t``, ``b_t`` its mean over
the parallel episodes (a baseline that does not depend on the actions), and the cost runs
along τ. Its gradient is the policy-gradient estimate of the planner's look-ahead
gradient Σ_i (∂θ̂ⁱ/∂p)ᵀ ∇_θ̂ⁱ V (eq. 4.3 and 4.5 with the learners' step exact); the
welfare term is the score-function estimate on new episodes, as LIO estimates a giver's
objective. After ``planner_until`` iterations the planner stops paying (the thesis'
"turning off" runs).

With ``logit_reg`` κ > 0 the loss also holds κ · mean f_p², the mean square of the
planner's logits behind the transfers the learners' step sees (at the joint actions
taken, or at every joint action with the exact estimate). It is prosocial's: the sigmoid
that bounds the transfers is flat far from 0, where neither the gain nor the cost passes
any gradient back, and a planner whose transfers drift there stays there (in the Coin
Game, two seeds of five paid the bound on every step to the end); the penalty's gradient
does not vanish there.

With ``reads="rewards"`` the planner's network reads, beside the state and the one-hot
joint action, the game's own rewards of that step for every agent,
``f_p(s, a, r(s, a))``. It is prosocial's, and it adds no information: the step's rewards
are a function of the state and the joint action (in the thesis' matrix games the joint
action alone fixes them). What it changes is how hard the transfers that tell moves apart
are to learn: in the Coin Game a wrong pickup is ``rⁱ = 1, rʲ = −2``, one linear unit of
the rewards, where from the state and the actions it takes a conjunction of where the
coin lies and where the move goes. It needs the rewards of the joint action the
learners' step prices, so it takes the sampled estimate only (the learners' episodes do
not keep the rewards of the joint actions not taken).

With ``welfare_estimate="exact"`` the step's own welfare leaves the score function and
enters as its expectation over the joint action at the visited state,

    Σ_t log π_θ̂(â_t | ŝ_t) (Ĝ_t − b_t)  →  Σ_t [log π_θ̂(â_t | ŝ_t) (Ĝ_t − Ŵ_t − b′_t)
                                                + Σ_a Π_i π_θ̂ⁱ(aⁱ | ôⁱ_t) W(ŝ_t, a)],

with W(s, a) = Σ_i rⁱ(s, a) read from the game's step from ``ŝ_t`` under every joint
action and b′_t the batch mean of Ĝ_t − Ŵ_t (the expected policy gradient of Ciosek &
Whiteson 2018, AAAI, for the immediate term: the same gradient in expectation, without
the noise of the sampled joint action).

Simplifications and choices, named: the learners are LIO's actor-critic recipients
(plain gradient step on the TD-error actor loss, Adam critic), not the authors' momentum
optimiser with weight decay and a centralised critic; the welfare's baseline is the batch
mean (the authors' code: a constant, 1.9 or T + S − 0.1); the authors' state-gradient term,
running normalisation of the cost and its clipping are not implemented (their
configuration is reproduced in numbers only where it maps: c, α, the step sizes).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax

from prosocial.envs.core import Environment
from prosocial.envs.wrappers import require_coin_counters
from prosocial.errors import ConfigError
from prosocial.learners import deep
from prosocial.learners.deep import DEEP_LEARNERS, DeepLearner, LearnerState, Rollout
from prosocial.learners.lio import IncentiveNet
from prosocial.learners.networks import Network, NetworkConfig
from prosocial.learners.recipients import episode_data, make_recipients

ESTIMATES = ("sampled", "exact")
"""How the learners' step sees the planner's transfers, and how the planner scores the
welfare of a step (:func:`amd`)."""
READS = ("actions", "rewards")
"""What the planner's network reads beside the state (:func:`amd`)."""
WELFARE_TABLE = "amd/welfare_table"
"""The info key of :func:`with_welfare_table`."""
MAX_JOINT_ACTIONS = 1024
"""The most joint actions the exact expectation sums over at every step."""


def joint_view(obs: jax.Array, grid: bool) -> jax.Array:
    """Every agent's observation in one: ``(n, ..., H, W, C) -> (..., H, W, n·C)`` for grid
    views, else flattened and concatenated, ``(n, ..., d) -> (..., n·d)``."""
    if grid:
        moved = jnp.moveaxis(obs, 0, -2)  # (..., H, W, n, C)
        return moved.reshape(*moved.shape[:-2], -1)
    flat = obs.reshape(*obs.shape[: obs.ndim - 1], -1)
    return jnp.moveaxis(flat, 0, -2).reshape(*flat.shape[1:-1], -1)


def joint_actions(n: int, n_actions: int) -> np.ndarray:
    """``(|A|ⁿ, n)``: every joint action, in the row-major order of an ``(|A|,)*n`` array
    (agent 0's action changes slowest)."""
    return np.indices((n_actions,) * n).reshape(n, -1).T


def expected_transfers(table: jax.Array, probs: jax.Array) -> jax.Array:
    """qⁱ(a) = Σ_{a⁻ⁱ} Π_{k≠i} πᵏ(aᵏ) r_i(a, a⁻ⁱ): what agent ``i`` gets in expectation
    for each of its actions when the others act from their policies.

    ``table``: ``(|A|,)*n + (..., n)``, agent ``i``'s transfer at every joint action;
    ``probs``: ``(n, ..., |A|)``, every agent's policy. Returns ``(n, ..., |A|)``.
    """
    n = probs.shape[0]
    if n > 10:
        raise ConfigError("n_agents", f"{n}; the exact expectation handles at most 10 agents")
    axes = "abcdefghij"[:n]
    out = []
    for i in range(n):
        others = [k for k in range(n) if k != i]
        spec = f"{axes}...," + ",".join(f"...{axes[k]}" for k in others) + f"->...{axes[i]}"
        out.append(jnp.einsum(spec, table[..., i], *(probs[k] for k in others)))
    return jnp.stack(out)


def with_welfare_table(env: Environment, joint: np.ndarray) -> Environment:
    """``env`` whose every step also reports ``W(s_t, a) = Σ_i rⁱ(s_t, a)`` for every joint
    action ``a`` of ``joint (J, n)``: the rewards ``env`` returns (those the sampled welfare
    sums) for the step from the same state with the same key, ``info[WELFARE_TABLE] (J,)``."""

    def transition(key, state, actions, params):
        out = env.transition_fn(key, state, actions, params)

        def welfare(a):
            return jnp.sum(env.transition_fn(key, state, a, params)[1])

        table = jax.vmap(welfare)(jnp.asarray(joint, jnp.int32))
        return (*out[:4], {**out[4], WELFARE_TABLE: table})

    return dataclasses.replace(env, transition_fn=transition)


def bounded(logits: jax.Array, r_max) -> jax.Array:
    """r = 2c (σ(f) − ½) ∈ (−c, c): the planner's transfers from its logits ``f``."""
    return 2.0 * r_max * (jax.nn.sigmoid(logits) - 0.5)


def logit_table(planner, p, view, joint, lead) -> jax.Array:
    """``(|A|ⁿ, *lead, n)``: the logits f_p of the planner network ``planner`` (parameters
    ``p``, built with ``squash=False``) for every agent under every joint action ``joint
    (|A|ⁿ, n·|A|)`` (one-hot, in the order of :func:`joint_actions`; or ``(|A|ⁿ, *lead,
    d)``, what it reads of each joint action at each state) at the states ``view
    (*lead, ...)``."""
    return jax.lax.map(
        lambda hot: planner.apply(p, view, jnp.broadcast_to(hot, (*lead, hot.shape[-1]))), joint
    )


def transfer_table(logits: jax.Array, r_max, revenue_neutral=0.0) -> jax.Array:
    """The transfers of a :func:`logit_table`, centred over the agents with revenue
    neutrality."""
    table = bounded(logits, r_max)
    return table - revenue_neutral * jnp.mean(table, axis=-1, keepdims=True)


def transfers_by_move(
    config: NetworkConfig,
    params,
    env: Environment,
    key,
    *,
    r_max=1.0,
    revenue_neutral=0.0,
    reads: str = "actions",
    states: int = 4000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What a planner of :func:`amd` (network ``config``, parameters ``params``) pays at
    ``states`` states of uniformly random play of ``env``, a game that counts coins, under
    every joint action at each: ``(pay, picked, own)``, each ``(S, |A|ⁿ, n)``, the transfers
    and the coin counters of the step from that state (the same key for every joint
    action), for :func:`move_gaps`; ``reads`` as the planner was trained (:data:`READS`)."""
    require_coin_counters(env, f"transfers_by_move({env.name})")
    n, n_actions = env.num_agents(), int(env.action_space(env.params).n)
    obs_shape = tuple(env.observation_space(env.params).shape)
    planner = IncentiveNet(config, n, len(obs_shape), squash=False)
    every = jnp.asarray(joint_actions(n, n_actions), jnp.int32)
    joint = jax.nn.one_hot(every, n_actions).reshape(-1, n * n_actions)

    def walk(carry, k):
        obs, state = carry
        k_act, k_step = jax.random.split(k)
        actions = jax.random.randint(k_act, (n,), 0, n_actions)
        return env.step(k_step, state, actions)[:2], (obs, state, k_step)

    k_reset, k_walk = jax.random.split(key)
    _, (obs, visited, keys) = jax.lax.scan(
        walk, env.reset(k_reset), jax.random.split(k_walk, states)
    )

    def outcomes(k, state):
        out = jax.vmap(lambda a: env.transition_fn(k, state, a, env.params))(every)
        return out[1], out[4]["coin/picked"], out[4]["coin/own"]

    @jax.jit
    def run(obs, visited, keys):
        view = joint_view(jnp.moveaxis(obs, 1, 0), config.torso == "cnn")  # (S, ...)
        rewards, picked, own = jax.vmap(outcomes)(keys, visited)  # (S, J, n) each
        seen = joint
        if reads == "rewards":
            hot = jnp.broadcast_to(joint[:, None], (joint.shape[0], states, joint.shape[-1]))
            seen = jnp.concatenate([hot, jnp.moveaxis(rewards, 1, 0)], axis=-1)
        logits = logit_table(planner, params, view, seen, (states,))
        pay = transfer_table(logits, r_max, revenue_neutral)
        return jnp.moveaxis(pay, 0, 1), picked, own

    return tuple(np.asarray(x) for x in run(obs, visited, keys))


def move_gaps(pay, picked, own) -> dict[str, np.ndarray]:
    """How transfers ``pay (S, J, n)`` at ``S`` states under ``J`` joint actions tell each
    agent's moves apart by what they do (``picked``, ``own``: the coin counters of each
    step, same shape). At a state where some joint actions have agent ``i`` take a coin of
    another's colour and some do not, ``"wrong"`` is the mean transfer to ``i`` over the
    others minus that over those; where some have ``i`` take its own, ``"own"`` is the mean
    over those minus the others'. ``(S, n)`` each, NaN at a state without such a move.
    A pickup mechanism with bound c (``pickup_transfers``) has gaps c and c; with its base,
    2c and 0."""
    pay = np.asarray(pay, np.float64)

    def gap(marked):
        some, rest = marked.sum(1), (~marked).sum(1)
        inside = (pay * marked).sum(1) / np.maximum(some, 1)
        outside = (pay * ~marked).sum(1) / np.maximum(rest, 1)
        return np.where((some > 0) & (rest > 0), inside - outside, np.nan)

    own = np.asarray(own)
    wrong = (np.asarray(picked) - own) > 0
    return {"wrong": -gap(wrong), "own": gap(own > 0)}


def expected_welfare(table: jax.Array, logp: jax.Array) -> jax.Array:
    """E_{a∼π}[W(a)] = Σ_a Πᵢ πⁱ(aⁱ) W(a), ``table (..., |A|ⁿ)`` in the order of
    :func:`joint_actions`, ``logp (n, ..., |A|)`` every agent's log-policy; ``(...)``."""
    n, n_actions = logp.shape[0], logp.shape[-1]
    if n > 10:
        raise ConfigError("n_agents", f"{n}; the exact expectation handles at most 10 agents")
    axes = "abcdefghij"[:n]
    spec = f"...{axes}," + ",".join(f"...{a}" for a in axes) + "->..."
    grid = table.reshape(*table.shape[:-1], *(n_actions,) * n)
    return jnp.einsum(spec, grid, *jnp.exp(logp))


def discounted_sum(rewards: jax.Array, dones: jax.Array, gamma) -> jax.Array:
    """G_t = r_t + γ (1 − d_t) G_{t+1} over ``(T, ...)`` with G_T = 0."""

    def back(g, xs):
        r, d = xs
        g = r + gamma * (1.0 - d) * g
        return g, g

    _, out = jax.lax.scan(back, jnp.zeros_like(rewards[0]), (rewards, dones), reverse=True)
    return out


@DEEP_LEARNERS.register("amd")
def amd(
    network: Network,
    n_agents: int,
    *,
    env: Environment | None = None,
    shared: bool = False,
    lr=1e-3,
    lr_v=1e-3,
    lr_reward=1e-3,
    gamma=0.99,
    ent_coef=0.1,
    r_max=1.0,
    reg_coeff=1e-4,
    logit_reg=0.0,
    revenue_neutral=0.0,
    planner_until=1e12,
    estimate: str = "sampled",
    welfare_estimate: str = "sampled",
    welfare_gamma=None,
    reads: str = "actions",
    tau=0.01,
    eps_start=0.5,
    eps_end=0.05,
    eps_div=100.0,
    **unused,
) -> DeepLearner:
    """Learners of ``env`` and their planner (module docstring); numbers may be traced.

    ``lr``: the learners' step β; ``lr_reward``: the planner's Adam step; ``r_max``: the
    bound ``c`` of a transfer; ``reg_coeff``: the cost weight α; ``logit_reg``: the weight
    κ of the mean square logit; ``revenue_neutral``: 1 to centre the transfers;
    ``planner_until``: the iterations during which the planner pays;
    ``estimate``: how the learners' step sees the transfers, ``sampled`` (at the actions
    taken) or ``exact`` (their expectation over the joint action, ``|A|ⁿ`` planner calls
    per step); ``welfare_gamma``: the discount of the welfare the planner scores on the
    fresh episodes (None: ``gamma``; 0: the welfare of each step alone, as the authors'
    Coin Game code scores the collective reward of the step it pays for);
    ``welfare_estimate``: how the planner scores the welfare of each fresh step,
    ``sampled`` (by the score function of the joint action taken) or ``exact`` (its
    expectation over the joint action under θ̂, from the game's rewards of every joint
    action at the step's state, ``|A|ⁿ`` game steps per step); ``reads``: what the
    planner's network reads beside the state, the one-hot joint action (``actions``) or
    that and the step's rewards (``rewards``, with the sampled estimate only).
    """
    del unused
    for name, value, allowed in (
        ("planner_estimate", estimate, ESTIMATES),
        ("planner_welfare", welfare_estimate, ESTIMATES),
        ("planner_reads", reads, READS),
    ):
        if value not in allowed:
            raise ConfigError(name, f"{value!r}; choose from {', '.join(allowed)}")
    if reads == "rewards" and estimate == "exact":
        raise ConfigError(
            "planner_reads",
            "'rewards' needs the sampled estimate: the learners' episodes keep the rewards "
            "of the joint actions taken only",
        )
    if env is None:
        raise ConfigError("algo", "amd plays its look-ahead episodes itself: pass env=")
    if shared:
        raise ConfigError("shared", "amd gives every learner its own policy")
    n, n_actions = n_agents, int(env.action_space(env.params).n)
    obs_shape = tuple(env.observation_space(env.params).shape)
    grid = network.config.torso == "cnn"
    planner = IncentiveNet(network.config, n, len(obs_shape), squash=False)
    exact = estimate == "exact"
    exact_welfare = welfare_estimate == "exact"
    for name, used in (("planner_estimate", exact), ("planner_welfare", exact_welfare)):
        if used and n_actions**n > MAX_JOINT_ACTIONS:
            raise ConfigError(
                name,
                f"'exact' sums over {n_actions}^{n} = {n_actions**n} joint actions per step "
                f"(at most {MAX_JOINT_ACTIONS}): use 'sampled'",
            )
    every = joint_actions(n, n_actions)
    joint = jax.nn.one_hot(every, n_actions).reshape(-1, n * n_actions)
    scored = with_welfare_table(env, every) if exact_welfare else env
    adam = optax.scale_by_adam(eps=1e-5)

    def eps(state):
        return deep.epsilon(state.episodes, eps_start, eps_end, eps_div)

    agents = make_recipients(
        network, n, env, lr=lr, lr_v=lr_v, gamma=gamma, ent_coef=ent_coef, tau=tau, eps=eps
    )

    def init(key):
        k_agents, k_plan = jax.random.split(key)
        params, opt = agents.init(k_agents)
        view = joint_view(jnp.zeros((n, 1, *obs_shape), jnp.float32), grid)
        seen = n * n_actions + (n if reads == "rewards" else 0)
        p = planner.init(k_plan, view, jnp.zeros((1, seen), jnp.float32))
        zero = jnp.zeros((), jnp.float32)
        opt = {**opt, "planner": adam.init(p)}
        return LearnerState({**params, "planner": p}, opt, zero, zero)

    def logits_taken(p, obs, actions_all, rewards):
        """``(T, E, n)``: the planner's logits at the joint actions taken, whose rewards
        are ``rewards (T, E, n)``."""
        hot = jax.nn.one_hot(actions_all, n_actions).reshape(*actions_all.shape[:-1], -1)
        if reads == "rewards":
            hot = jnp.concatenate([hot, rewards], axis=-1)
        return planner.apply(p, joint_view(obs, grid), hot)

    def transfers(p, obs, actions_all, rewards, on):
        """``(n, T, E)``: the planner's payment to every agent at every step."""
        out = bounded(logits_taken(p, obs, actions_all, rewards), r_max)  # (T, E, n)
        out = out - revenue_neutral * jnp.mean(out, axis=-1, keepdims=True)
        return on * jnp.moveaxis(out, -1, 0)

    def priced(p, obs, probs, on):
        """``(n, T, E, A)``: qⁱ_t(a) = Σ_{a⁻ⁱ} Π_{k≠i} π̃ᵏ(aᵏ) r_p,i(s_t, (a, a⁻ⁱ)), what
        agent ``i`` is paid in expectation for each of its actions (the others' policies
        ``probs (n, T, E, A)`` held fixed), and the mean square logit of the table."""
        view = joint_view(obs, grid)  # (T, E, ...)
        lead = view.shape[:2]
        logits = logit_table(planner, p, view, joint, lead)
        table = on * transfer_table(logits, r_max, revenue_neutral)
        table = table.reshape(*(n_actions,) * n, *lead, n)
        return expected_transfers(table, jax.lax.stop_gradient(probs)), jnp.mean(logits**2)

    def update(state: LearnerState, rollout: Rollout, key):
        epsilon = eps(state)
        steps_t, envs = rollout.actions.shape[:2]
        on = (state.updates < planner_until).astype(jnp.float32)
        data = episode_data(rollout, n)
        pol_carry0, crit_carry0 = rollout.carry
        p, theta = state.params["planner"], state.params["policy"]

        paid = transfers(p, data["obs"], rollout.actions, rollout.rewards, on)
        critic, target, crit_opt, value_loss = agents.critic_step(
            state.params, state.opt["critic"], data, crit_carry0, paid
        )
        probs = agents.acting_probs(theta, data, pol_carry0, epsilon) if exact else None

        def bonuses(p):
            """What the learners' step sees of the planner ``p``: the transfers at the
            actions taken (in δ), or none there and every action priced exactly; and the
            mean square of the planner's logits behind them."""
            if exact:
                q, square = priced(p, data["obs"], probs, on)
                return jnp.zeros_like(paid), q, square
            square = jnp.mean(logits_taken(p, data["obs"], rollout.actions, rollout.rewards) ** 2)
            return transfers(p, data["obs"], rollout.actions, rollout.rewards, on), None, square

        bonus, priced_now, _ = bonuses(p)
        policy_loss = agents.policy_loss(theta, data, pol_carry0, bonus, epsilon, priced_now)
        theta_hat = agents.look_ahead(theta, data, pol_carry0, bonus, epsilon, priced_now)

        playing = state._replace(params={**state.params, "policy": theta_hat, "critic": critic})
        new, info = agents.play(agents.act, playing, key, envs, steps_t, scored)
        fresh = episode_data(new, n)
        now = jnp.sum(fresh["rewards"], axis=0)  # (T, E)
        welfare = discounted_sum(
            now, fresh["dones"][0], gamma if welfare_gamma is None else welfare_gamma
        )
        if exact_welfare:  # the step's own welfare is scored exactly, the rest sampled
            welfare = welfare - now
        advantage = jax.lax.stop_gradient(welfare - jnp.mean(welfare, axis=1, keepdims=True))

        def planner_loss(p):
            pay = transfers(p, data["obs"], rollout.actions, rollout.rewards, on)
            bonus, priced_p, square = bonuses(p)
            theta_new = agents.look_ahead(theta, data, pol_carry0, bonus, epsilon, priced_p)
            if exact_welfare:
                logp_all = agents.policy_log_probs(theta_new, new)  # (n, T, E, A)
                logp = jnp.take_along_axis(logp_all, fresh["actions"][..., None], -1)[..., 0]
                expected = expected_welfare(info[WELFARE_TABLE], logp_all)
            else:
                logp, expected = agents.log_probs(theta_new, new), 0.0  # (n, T, E)
            gain = (jnp.sum(logp * advantage[None]) + jnp.sum(expected)) / envs
            cost = jnp.sum(jnp.sqrt(jnp.sum(pay**2, axis=0) + 1e-12)) / envs
            return -gain + on * (reg_coeff * cost + logit_reg * square)

        loss, grads = jax.value_and_grad(planner_loss)(p)
        moves, plan_opt = adam.update(grads, state.opt["planner"], p)
        p = jax.tree.map(lambda x, s: x - on * lr_reward * s, p, moves)

        params = {
            "policy": jax.lax.stop_gradient(theta_hat),
            "critic": critic,
            "target": target,
            "planner": p,
        }
        opt = {"critic": crit_opt, "planner": plan_opt}
        episodes = state.episodes + deep.completed_episodes(rollout)
        per_env = jnp.maximum(jnp.sum(rollout.dones) / envs, 1.0)
        metrics = {
            "loss/policy": policy_loss,
            "loss/value": value_loss,
            "planner/loss": loss,
            "planner/spending": jnp.sum(jnp.abs(paid)) / envs / per_env,
            "planner/transfer": jnp.sum(paid, axis=(1, 2)) / envs / per_env,
            "learner/epsilon": epsilon,
        }
        return LearnerState(params, opt, state.updates + 1, episodes), metrics

    return DeepLearner(
        "amd", network, n, False, init, agents.initial_carry, agents.act, agents.evaluate, update
    )
