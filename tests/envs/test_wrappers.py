"""Wrappers: hand-computed reward transforms, resets with the episode, stacking, and the
environment contract (compiles once, vmaps, data parameters) over every registered game."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import struct

from prosocial import envs
from prosocial.envs import wrappers
from prosocial.envs.core import Box, Discrete, Environment
from prosocial.errors import ConfigError, UnknownNameError

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

# --------------------------------------------------------------------------------------
# a scripted game: the rewards and hits of step τ of every episode are rows of params


@struct.dataclass
class ScriptParams:
    rewards: jax.Array  # (K, n): the rewards at step τ = 1..K of an episode
    hits: jax.Array  # (K, n): the script/hit counter at step τ
    num_agents: int = struct.field(pytree_node=False, default=3)
    max_steps: int = struct.field(pytree_node=False, default=2)


@struct.dataclass
class ScriptState:
    t: jax.Array


def _script(rewards, hits=None, max_steps=2) -> Environment:
    rewards = jnp.asarray(rewards, jnp.float32)
    hits = jnp.zeros(rewards.shape, jnp.int32) if hits is None else jnp.asarray(hits, jnp.int32)
    n = rewards.shape[1]

    def init(key, params):
        return ScriptState(jnp.zeros((), jnp.int32))

    def transition(key, state, actions, params):
        row = state.t % params.rewards.shape[0]
        t = state.t + 1
        truncated = jnp.broadcast_to(t >= params.max_steps, (params.num_agents,))
        info = {"script/hit": params.hits[row], "script/acted": actions}
        terminated = jnp.zeros((params.num_agents,), bool)
        return ScriptState(t), params.rewards[row], terminated, truncated, info

    return Environment(
        name="script",
        params=ScriptParams(rewards, hits, n, max_steps),
        init_fn=init,
        transition_fn=transition,
        observe_fn=lambda s, p: jnp.broadcast_to(s.t.astype(jnp.float32), (p.num_agents, 1)),
        observation_space=lambda p: Box(0.0, float(p.max_steps), (1,)),
        action_space=lambda p: Discrete(2),
        action_names=lambda p: ("a", "b"),
        render_fn=lambda s, p: jnp.zeros((8, 8, 3), jnp.uint8),
    )


def _runner(env, steps, actions=None):
    """A jitted ``(key, params) ->`` ``steps`` steps of ``env``, every output stacked."""
    n = env.num_agents()
    space = env.action_space(env.params)

    def rollout(key, params):
        def body(state, k):
            k_act, k_step = jax.random.split(k)
            a = space.sample(k_act, (n,)) if actions is None else jnp.asarray(actions, jnp.int32)
            obs, state, r, term, trunc, info = env.step(k_step, state, a, params)
            return state, (obs, r, term, trunc, info)

        k_reset, k_run = jax.random.split(key)
        _, state = env.reset(k_reset, params)
        return jax.lax.scan(body, state, jax.random.split(k_run, steps))[1]

    return jax.jit(rollout)


def _run(env, steps, key=0, actions=None):
    """``steps`` steps of ``env`` from a reset: ``(obs, rewards, terminated, truncated, info)``."""
    return _runner(env, steps, actions)(jax.random.PRNGKey(key), env.params)


# --------------------------------------------------------------------------------------
# reward transforms against hand-computed values


def test_collective_reward_gives_every_agent_the_sum():
    env = wrappers.collective_reward(_script([[3.0, -1.0, 0.0], [0.0, 0.0, 2.0]]))
    _, rewards, *_, info = _run(env, 2)
    np.testing.assert_allclose(rewards, [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]])
    np.testing.assert_allclose(info["reward/extrinsic"], [[3.0, -1.0, 0.0], [0.0, 0.0, 2.0]])


def test_collective_reward_on_the_coin_game_sums_a_wrong_colour_pickup():
    from prosocial.envs.coin_game import CoinGameState

    env = wrappers.collective_reward(envs.make("coin_game"))
    state = CoinGameState(
        jnp.array([[2, 2], [1, 1]]), jnp.array([[0, 1]]), jnp.array([0]), jnp.array(0)
    )
    _, _, rewards, *_, info = jax.jit(env.step)(jax.random.PRNGKey(0), state, jnp.array([2, 0]))
    np.testing.assert_allclose(info["reward/extrinsic"], [-2.0, 1.0])
    np.testing.assert_allclose(rewards, [-1.0, -1.0])


@pytest.mark.parametrize(
    ("colour", "c", "base", "want"),
    [
        (0, 1.5, 0.0, [-2.0, -0.5]),
        (1, [0.5, 2.0], 0.0, [0.0, 3.0]),
        # the base is paid to the agent that picks nothing, not for a pickup
        (0, 1.0, 1.0, [-1.0, 0.0]),
        (1, [0.5, 2.0], [0.5, 1.0], [0.25, 3.0]),
    ],
)
def test_pickup_transfers_fine_a_wrong_colour_pickup_and_pay_an_own_one(colour, c, base, want):
    from prosocial.envs.coin_game import CoinGameState

    env = wrappers.pickup_transfers(envs.make("coin_game"), c=c, base=base)
    state = CoinGameState(
        jnp.array([[2, 2], [1, 1]]), jnp.array([[0, 1]]), jnp.array([colour]), jnp.array(0)
    )
    _, _, rewards, *_, info = jax.jit(env.step)(jax.random.PRNGKey(0), state, jnp.array([2, 0]))
    game = [-2.0, 1.0] if colour == 0 else [0.0, 1.0]  # agent 1 steps onto the coin
    np.testing.assert_allclose(info["reward/extrinsic"], game)
    np.testing.assert_allclose(rewards, want)


def test_pickup_transfers_need_a_game_that_counts_coins_and_a_non_negative_c():
    with pytest.raises(ConfigError, match=r"pickup_transfers\(harvest\)\.env: .*coin/picked"):
        wrappers.pickup_transfers(envs.make("harvest"))
    with pytest.raises(ConfigError, match=r"pickup_transfers\(coin_game\)\.c: .*>= 0"):
        wrappers.pickup_transfers(envs.make("coin_game"), c=-1.0)
    with pytest.raises(ConfigError, match=r"pickup_transfers\(coin_game\)\.base: .*<= 1"):
        wrappers.pickup_transfers(envs.make("coin_game"), base=1.5)


# r = (2, 0, 1) then (0, 2, 0); γλ = 0.5, α = 2, β = 0.5, N − 1 = 2.
# step 1: e = (2, 0, 1)
#   agent 0: envy 0, guilt (2−0)+(2−1) = 3  → 2 − 0 − 0.5·3/2 = 1.25
#   agent 1: envy (2−0)+(1−0) = 3, guilt 0  → 0 − 2·3/2 = −3
#   agent 2: envy 1, guilt 1                → 1 − 2·1/2 − 0.5·1/2 = −0.25
# step 2: e = 0.5·(2, 0, 1) + (0, 2, 0) = (1, 2, 0.5)
#   agent 0: envy 1, guilt 0.5              → 0 − 1 − 0.125 = −1.125
#   agent 1: envy 0, guilt 1 + 1.5 = 2.5    → 2 − 0.5·2.5/2 = 1.375
#   agent 2: envy 0.5 + 1.5 = 2, guilt 0    → 0 − 2 = −2
IA_STEP_1 = [1.25, -3.0, -0.25]
IA_STEP_2 = [-1.125, 1.375, -2.0]


def test_inequity_aversion_matches_a_hand_computed_example():
    env = wrappers.inequity_aversion(
        _script([[2.0, 0.0, 1.0], [0.0, 2.0, 0.0]], max_steps=5),
        alpha=2.0,
        beta=0.5,
        gamma=1.0,
        lam=0.5,
    )
    _, rewards, *_, info = _run(env, 2)
    np.testing.assert_allclose(rewards, [IA_STEP_1, IA_STEP_2], rtol=1e-6)
    np.testing.assert_allclose(info["reward/extrinsic"], [[2.0, 0.0, 1.0], [0.0, 2.0, 0.0]])


def test_inequity_aversion_traces_restart_with_each_episode():
    # episodes of two steps: steps 3 and 4 repeat steps 1 and 2 only if e restarts at 0
    env = wrappers.inequity_aversion(
        _script([[2.0, 0.0, 1.0], [0.0, 2.0, 0.0]], max_steps=2),
        alpha=2.0,
        beta=0.5,
        gamma=1.0,
        lam=0.5,
    )
    _, rewards, _, truncated, _ = _run(env, 5)
    np.testing.assert_array_equal(np.asarray(truncated)[:, 0], [False, True, False, True, False])
    expected = [IA_STEP_1, IA_STEP_2, IA_STEP_1, IA_STEP_2, IA_STEP_1]
    np.testing.assert_allclose(rewards, expected, rtol=1e-6)
    # the state after the last step of an episode holds a fresh, zero trace
    _, state = env.reset(jax.random.PRNGKey(0))
    np.testing.assert_array_equal(state.trace, [0.0, 0.0, 0.0])
    step = jax.jit(env.step)
    _, state, *_ = step(jax.random.PRNGKey(1), state, jnp.zeros(3, jnp.int32))
    np.testing.assert_allclose(state.trace, [2.0, 0.0, 1.0])
    _, state, *_ = step(jax.random.PRNGKey(2), state, jnp.zeros(3, jnp.int32))
    np.testing.assert_array_equal(state.trace, [0.0, 0.0, 0.0])


def test_inequity_aversion_takes_per_agent_weights_and_instantaneous_rewards():
    base = _script([[2.0, 0.0, 1.0], [0.0, 2.0, 0.0]], max_steps=5)
    env = wrappers.inequity_aversion(base, alpha=jnp.array([2.0, 0.0, 2.0]), beta=0.0, gamma=0.0)
    _, rewards, *_ = _run(env, 2)
    # no smoothing: e = r; agent 1 has α = 0 and everyone β = 0
    np.testing.assert_allclose(rewards, [[2.0, 0.0, 1.0 - 1.0], [0.0 - 2.0, 2.0, 0.0 - 2.0]])


def test_svo_at_zero_is_the_identity_and_at_a_right_angle_the_others_mean():
    base = _script([[3.0, 0.0, -1.0], [1.0, 1.0, 4.0]], max_steps=5)
    _, raw, *_ = _run(base, 2)
    _, same, *_ = _run(wrappers.social_value_orientation(base, angle=0.0), 2)
    np.testing.assert_allclose(same, raw, atol=1e-7)
    _, altruist, *_ = _run(wrappers.social_value_orientation(base, angle=math.pi / 2), 2)
    np.testing.assert_allclose(altruist, [[-0.5, 1.0, 1.5], [2.5, 2.5, 1.0]], atol=1e-6)
    _, prosocial, *_ = _run(wrappers.social_value_orientation(base, angle=math.pi / 4), 2)
    c = math.cos(math.pi / 4)
    np.testing.assert_allclose(prosocial[0], [c * 2.5, c * 1.0, c * 0.5], rtol=1e-6)


def test_svo_angle_may_differ_per_agent():
    base = _script([[3.0, 0.0, -1.0]], max_steps=5)
    env = wrappers.social_value_orientation(base, angle=jnp.array([0.0, math.pi / 2, 0.0]))
    _, rewards, *_ = _run(env, 1)
    np.testing.assert_allclose(rewards, [[3.0, 1.0, -1.0]], atol=1e-6)


def test_stacked_reward_wrappers_compose_inside_out_and_keep_the_game_rewards():
    base = _script([[2.0, 0.0, 1.0], [0.0, 2.0, 0.0]], max_steps=5)
    env = wrappers.inequity_aversion(
        wrappers.social_value_orientation(base, angle=math.pi / 2),
        alpha=2.0,
        beta=0.5,
        gamma=1.0,
        lam=0.5,
    )
    _, rewards, *_, info = _run(env, 1)
    # SVO first: others' means (0.5, 1.5, 1); then inequity aversion on those, e = r
    # agent 0: envy 1 + 0.5 = 1.5 → 0.5 − 1.5 = −1
    # agent 1: guilt 1 + 0.5 = 1.5 → 1.5 − 0.375 = 1.125
    # agent 2: envy 0.5, guilt 0.5 → 1 − 0.5 − 0.125 = 0.375
    np.testing.assert_allclose(rewards, [[-1.0, 1.125, 0.375]], rtol=1e-6)
    np.testing.assert_allclose(info["reward/extrinsic"], [[2.0, 0.0, 1.0]])
    assert env.name == "inequity_aversion(social_value_orientation(script))"


def test_parameters_are_data_that_vmap_without_recompiling():
    env = wrappers.inequity_aversion(
        _script([[2.0, 0.0, 1.0], [0.0, 2.0, 0.0]], max_steps=5), gamma=1.0, lam=0.5
    )
    traces = []

    def first_rewards(alpha, beta):
        traces.append(1)
        params = env.params.replace(alpha=alpha, beta=beta)
        _, state = env.reset(jax.random.PRNGKey(0), params)
        actions = jnp.zeros(3, jnp.int32)
        return env.step(jax.random.PRNGKey(1), state, actions, params)[2]

    run = jax.jit(jax.vmap(first_rewards))
    out = run(jnp.array([2.0, 0.0]), jnp.array([0.5, 0.0]))
    np.testing.assert_allclose(out, [IA_STEP_1, [2.0, 0.0, 1.0]], rtol=1e-6)
    run(jnp.array([1.0, 3.0]), jnp.array([0.1, 0.2]))
    assert len(traces) == 1


# --------------------------------------------------------------------------------------
# episode statistics


def _python_episodes(rewards, done, info):
    """Per-episode totals by a plain Python loop: {end step: totals}."""
    rewards, done = np.asarray(rewards), np.asarray(done)
    episodes, acc = {}, None
    for t in range(len(rewards)):
        if acc is None:
            acc = {"length": 0, "return": 0.0, "counters": {}}
        acc["length"] += 1
        acc["return"] = acc["return"] + rewards[t]
        for key, value in info.items():
            acc["counters"][key] = acc["counters"].get(key, 0) + np.asarray(value[t])
        if done[t]:
            episodes[t], acc = acc, None
    return episodes


@pytest.mark.parametrize("max_steps", [3, 4])
def test_episode_statistics_equal_a_python_loop_across_auto_resets(max_steps):
    env = wrappers.episode_statistics(envs.make("coin_game", max_steps=max_steps))
    step = jax.jit(env.step)
    _, state = env.reset(jax.random.PRNGKey(0))
    key = jax.random.PRNGKey(1)
    rows = []
    for _ in range(11):
        key, k_act, k_step = jax.random.split(key, 3)
        actions = jax.random.randint(k_act, (2,), 0, 4)
        _, state, rewards, term, trunc, info = step(k_step, state, actions)
        rows.append((rewards, np.all(np.asarray(term | trunc)), info))
    rewards = np.stack([r for r, _, _ in rows])
    done = np.array([d for _, d, _ in rows])
    game_keys = ("coin/picked", "coin/own", "coin/lost")
    raw = {k: np.stack([np.asarray(i[k]) for *_, i in rows]) for k in game_keys}
    expected = _python_episodes(rewards, done, raw)
    assert len(expected) == 11 // max_steps >= 2
    for t, (_, d, info) in enumerate(rows):
        assert bool(info["episode/done"]) == bool(d)
        if t in expected:
            e = expected[t]
            assert int(info["episode/length"]) == e["length"] == max_steps
            np.testing.assert_allclose(info["episode/return"], e["return"])
            np.testing.assert_allclose(info["episode/extrinsic_return"], e["return"])
            for k in game_keys:
                np.testing.assert_array_equal(info[f"episode/{k}"], e["counters"][k])
        else:
            assert int(info["episode/length"]) == 0
            assert not np.any(np.asarray(info["episode/return"]))
            assert not np.any(np.asarray(info["episode/coin/picked"]))
    assert any(np.any(np.asarray(e["counters"]["coin/picked"])) for e in expected.values())


def test_episode_statistics_count_positive_rewards_and_hit_steps():
    rewards = [[1.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [0.0, 2.0]]
    hits = [[0, 0], [2, 0], [1, 0], [0, 0]]  # agent 0 hit by two beams at step 2
    env = wrappers.episode_statistics(_script(rewards, hits, max_steps=4))
    *_, info = _run(env, 4)
    last = {k: np.asarray(v[-1]) for k, v in info.items()}
    assert bool(last["episode/done"]) and int(last["episode/length"]) == 4
    np.testing.assert_array_equal(last["episode/positive_steps"], [2, 1])
    np.testing.assert_allclose(last["episode/positive_time"], [1 + 3, 4])
    np.testing.assert_array_equal(last["episode/script/hit"], [3, 0])
    np.testing.assert_array_equal(last["episode/script/hit_steps"], [2, 0])
    np.testing.assert_allclose(last["episode/return"], [1.0, 2.0])


def test_episode_statistics_outside_a_reward_wrapper_keep_both_returns():
    base = _script([[2.0, 0.0, 1.0], [0.0, 2.0, 0.0]], max_steps=2)
    env = wrappers.episode_statistics(wrappers.collective_reward(base))
    *_, info = _run(env, 2)
    np.testing.assert_allclose(info["episode/return"][-1], [5.0, 5.0, 5.0])
    np.testing.assert_allclose(info["episode/extrinsic_return"][-1], [2.0, 2.0, 1.0])
    assert "episode/reward/extrinsic" not in info


def test_episode_statistics_reset_with_the_episode_when_stacked_inside_another_wrapper():
    base = _script([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], max_steps=2)
    env = wrappers.social_value_orientation(wrappers.episode_statistics(base), angle=0.0)
    *_, info = _run(env, 6)
    np.testing.assert_array_equal(info["episode/length"], [0, 2, 0, 2, 0, 2])
    np.testing.assert_allclose(info["episode/return"][1::2], [[1.0, 1.0, 0.0]] * 3)


# --------------------------------------------------------------------------------------
# the contract over every registered game


def _stack(env):
    env = wrappers.collective_reward(env)
    env = wrappers.social_value_orientation(env, angle=0.3)
    env = wrappers.inequity_aversion(env)
    return wrappers.episode_statistics(env)


@pytest.fixture(scope="module", params=envs.names())
def stacked(request):
    return _stack(envs.make(request.param))


def test_stacked_wrappers_keep_the_contract(stacked):
    """Compiles once, vmaps over keys, same key same result, outputs in their spaces."""
    env = stacked
    n = env.num_agents()
    one = _runner(env, 5)
    traces = []

    def batch(keys, params):
        traces.append(1)
        return jax.vmap(one, in_axes=(0, None))(keys, params)

    run = jax.jit(batch)
    keys = jax.random.split(jax.random.PRNGKey(1), 2)
    first = run(keys, env.params)
    second = run(jax.random.split(jax.random.PRNGKey(2), 2), env.params)
    again = run(keys, env.params)
    assert len(traces) == 1
    for x, y in zip(jax.tree.leaves(again), jax.tree.leaves(first), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    obs, rewards, terminated, truncated, info = first
    space = env.observation_space(env.params)
    assert obs.shape == (2, 5, n, *space.shape) and space.contains(obs)
    assert rewards.shape == (2, 5, n) and rewards.dtype == jnp.float32
    assert bool(jnp.all(jnp.isfinite(rewards)))
    for flags in (terminated, truncated):
        assert flags.shape == (2, 5, n) and flags.dtype == jnp.bool_
    for key, value in info.items():
        assert "/" in key and value.shape[:2] == (2, 5), key
        assert bool(jnp.all(jnp.isfinite(value))), key
    assert info["episode/return"].shape == (2, 5, n)
    # the batch members are independent draws
    obs_b = np.asarray(second[0]).reshape(2, -1)
    assert not np.array_equal(obs_b[0], obs_b[1])
    _, state = env.reset(jax.random.PRNGKey(0))
    frame = np.asarray(jax.jit(env.render)(state))
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8


@pytest.mark.parametrize("name", wrappers.names())
def test_every_registered_wrapper_steps_the_coin_game_under_jit(name):
    env = wrappers.wrap(envs.make("coin_game", max_steps=3), name)
    obs, rewards, *_, info = _run(env, 4)
    assert rewards.shape == (4, 2) and obs.shape[:2] == (4, 2)
    assert env.name == f"{name}(coin_game)"
    if name != "episode_statistics":
        np.testing.assert_array_equal(info["reward/extrinsic"].shape, (4, 2))


# --------------------------------------------------------------------------------------
# pass-through reads and errors


def test_reads_pass_through_to_the_game():
    env = wrappers.inequity_aversion(wrappers.episode_statistics(envs.make("coin_game")))
    assert env.num_agents() == 2 and env.params.max_steps == 100 and env.params.size == 3
    _, state = env.reset(jax.random.PRNGKey(0))
    assert int(state.t) == 0 and state.trace.shape == (2,)
    assert env.action_names(env.params) == envs.make("coin_game").action_names(
        envs.make("coin_game").params
    )
    with pytest.raises(AttributeError):
        env.params.no_such_field  # noqa: B018


def test_replace_validates_the_wrapper_fields():
    env = wrappers.inequity_aversion(envs.make("coin_game"))
    assert float(env.replace(alpha=1.5).params.alpha) == 1.5
    with pytest.raises(ConfigError, match=r"inequity_aversion\(coin_game\)\.gamma: .*<= 1"):
        env.replace(gamma=1.5)
    with pytest.raises(ConfigError, match=r"inequity_aversion\(coin_game\)\.alph: no such"):
        env.replace(alph=1.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"alpha": float("nan")}, "alpha"),
        ({"beta": [0.1, 0.2, 0.3]}, "beta"),
        ({"lam": -0.1}, "lam"),
        ({"gamma": [0.9, 0.9]}, "gamma"),
    ],
)
def test_bad_inequity_aversion_parameters_are_named(kwargs, field):
    with pytest.raises(ConfigError, match=rf"inequity_aversion\(coin_game\)\.{field}: "):
        wrappers.inequity_aversion(envs.make("coin_game"), **kwargs)


def test_bad_svo_angle_and_single_agent_games_are_named():
    with pytest.raises(ConfigError, match=r"social_value_orientation\(coin_game\)\.angle: .*<= "):
        wrappers.social_value_orientation(envs.make("coin_game"), angle=4.0)
    single = _script([[1.0]], max_steps=2)
    with pytest.raises(ConfigError, match=r"inequity_aversion\(script\)\.num_agents: "):
        wrappers.inequity_aversion(single)


def test_unknown_wrapper_lists_the_accepted_ones():
    with pytest.raises(UnknownNameError, match=r"accepted: .*inequity_aversion"):
        wrappers.wrap(envs.make("coin_game"), "inequity")
