"""The PettingZoo adapter: PettingZoo's own API test for every registered environment,
and the points that test does not check (same numbers as the JAX env, agents leaving)."""

import dataclasses
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

pytest.importorskip("pettingzoo")

from pettingzoo.test import parallel_api_test

from prosocial import envs
from prosocial.envs.core import Box, Discrete, Environment
from prosocial.envs.pettingzoo import to_parallel_env

SHORT = 6  # steps of an episode in these tests, so that every episode ends


def short_params(name):
    fields = {f.name for f in dataclasses.fields(envs.make(name).params)}
    return {"max_steps": SHORT} if "max_steps" in fields else {}


@pytest.mark.parametrize("name", envs.names())
def test_every_environment_passes_the_pettingzoo_parallel_api_test(name):
    env = envs.make(name, **short_params(name))
    par = to_parallel_env(env, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # its soft checks (dict keys of live agents) too
        parallel_api_test(par, num_cycles=3 * SHORT)

    # the first observation is the environment's own, for the key the docstring names
    observations, infos = par.reset(seed=11)
    expected, _ = jax.jit(env.reset)(jax.random.split(jax.random.PRNGKey(11))[1])
    assert list(observations) == [f"agent_{i}" for i in range(env.num_agents())] == par.agents
    assert infos == {agent: {} for agent in par.agents}
    for i, agent in enumerate(par.possible_agents):
        np.testing.assert_array_equal(observations[agent], np.asarray(expected[i]))
        assert par.observation_space(agent).contains(observations[agent])
        assert env.observation_space(env.params).contains(observations[agent])
        assert par.action_space(agent).n == env.action_space(env.params).n
    # a whole episode: every observation in its space, finite rewards, then no agents
    for _ in range(10 * SHORT):
        actions = {agent: par.action_space(agent).sample() for agent in par.agents}
        observations, rewards, terminations, truncations, infos = par.step(actions)
        assert set(observations) == set(rewards) == set(infos) == set(actions)
        assert all(par.observation_space(a).contains(o) for a, o in observations.items())
        assert all(isinstance(r, float) and np.isfinite(r) for r in rewards.values())
        assert all(isinstance(t, bool) for t in (*terminations.values(), *truncations.values()))
        assert par.agents == [a for a in actions if not (terminations[a] or truncations[a])]
        if not par.agents:
            break
    assert par.agents == []
    with pytest.raises(RuntimeError, match="call reset"):
        par.step({})


def direct_rollout(env, seed, actions):
    """What the adapter should give: the same keys through the game's own functions."""

    @jax.jit
    def step(key, state, actions):
        state, *out = env.transition_fn(key, state, actions, env.params)
        return state, (env.observe_fn(state, env.params), *out)

    key = jax.random.PRNGKey(seed)
    key, subkey = jax.random.split(key)
    obs, state = jax.jit(env.reset)(subkey)
    out = [obs]
    for a in actions:
        key, subkey = jax.random.split(key)
        state, result = step(subkey, state, jnp.asarray(a, jnp.int32))
        out.append(result)
    return out, state


def test_coin_game_steps_match_the_jax_environment_and_end_on_the_final_state():
    env = envs.make("coin_game", max_steps=4)
    par = to_parallel_env(env, render_mode="rgb_array")
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 4, (4, 2))
    expected, final_state = direct_rollout(env, 5, actions)
    observations, _ = par.reset(seed=5)
    np.testing.assert_array_equal(observations["agent_1"], expected[0][1])
    for t, a in enumerate(actions):
        assert par.agents == ["agent_0", "agent_1"]
        step = par.step({"agent_0": a[0], "agent_1": int(a[1])})
        obs, rewards, terminated, truncated, info = expected[t + 1]
        for i, agent in enumerate(("agent_0", "agent_1")):
            np.testing.assert_array_equal(step[0][agent], obs[i])
            assert step[1][agent] == float(rewards[i])
            assert step[2][agent] is bool(terminated[i]) is False
            assert step[3][agent] is bool(truncated[i]) is (t == 3)
            assert step[4][agent] == {k: int(v[i]) for k, v in info.items()}
    assert par.agents == []  # truncated at max_steps: the episode is over
    # the last observation and frame are the final state's, not a fresh episode's
    np.testing.assert_array_equal(par.render(), np.asarray(jax.jit(env.render)(final_state)))
    assert par.render().shape == (72, 72, 3)


def test_reset_without_a_seed_goes_on_with_the_key_stream():
    a, b = to_parallel_env("coin_game", seed=3), to_parallel_env("coin_game", seed=3)
    first_a, first_b = a.reset()[0], b.reset(seed=3)[0]
    second_a, second_b = a.reset()[0], b.reset()[0]
    for agent in a.possible_agents:
        np.testing.assert_array_equal(first_a[agent], first_b[agent])
        np.testing.assert_array_equal(second_a[agent], second_b[agent])
    env = envs.make("coin_game")
    key = jax.random.split(jax.random.PRNGKey(3))[0]  # the stream after the first reset
    expected, _ = jax.jit(env.reset)(jax.random.split(key)[1])
    np.testing.assert_array_equal(second_a["agent_0"], np.asarray(expected[0]))


def test_bad_actions_and_unknown_render_mode_are_named():
    par = to_parallel_env("coin_game", num_agents=3)
    with pytest.raises(RuntimeError, match="reset"):
        par.step({agent: 0 for agent in par.possible_agents})
    par.reset(seed=0)
    with pytest.raises(ValueError, match="no action for agent_2"):
        par.step({"agent_0": 0, "agent_1": 0})
    with pytest.raises(ValueError, match="unknown agent 'agent_7'"):
        par.step({"agent_0": 0, "agent_1": 0, "agent_2": 0, "agent_7": 0})
    with pytest.raises(ValueError, match=r"agent_1: action 4 is not accepted; .* 0\.\.3"):
        par.step({"agent_0": 0, "agent_1": 4, "agent_2": 0})
    with pytest.raises(ValueError, match="rgb_array"):
        to_parallel_env("coin_game", render_mode="human")


# A toy game in which agent i terminates after i + 1 steps; it records the joint actions.
@dataclasses.dataclass(frozen=True)
class ToyParams:
    num_agents: int = 3


def toy_env():
    n = 3

    def init(key, params):
        return {"t": jnp.zeros((), jnp.int32), "actions": jnp.full((4, n), -1, jnp.int32)}

    def transition(key, state, actions, params):
        t = state["t"] + 1
        state = {"t": t, "actions": state["actions"].at[state["t"]].set(actions)}
        rewards = actions.astype(jnp.float32) + 10.0 * jnp.arange(n)
        terminated = jnp.arange(n) + 1 <= t
        info = {"toy/t": t, "toy/own": jnp.arange(n) * t}
        return state, rewards, terminated, jnp.zeros(n, bool), info

    def observe(state, params):
        return jnp.broadcast_to(state["t"].astype(jnp.float32), (n, 1))

    return Environment(
        name="toy",
        params=ToyParams(),
        init_fn=init,
        transition_fn=transition,
        observe_fn=observe,
        observation_space=lambda p: Box(0.0, 10.0, (1,)),
        action_space=lambda p: Discrete(2),
        action_names=lambda p: ("go", "stay"),
        render_fn=lambda state, p: jnp.zeros((4, 4, 3), jnp.uint8),
    )


def test_terminated_agents_leave_and_take_the_idle_action():
    par = to_parallel_env(toy_env())
    par.reset(seed=0)
    obs, rewards, terminated, truncated, infos = par.step(
        {"agent_0": 0, "agent_1": 0, "agent_2": 0}
    )
    assert terminated == {"agent_0": True, "agent_1": False, "agent_2": False}
    assert truncated == dict.fromkeys(terminated, False)
    assert all(o.tolist() == [1.0] for o in obs.values())
    assert rewards == {"agent_0": 0.0, "agent_1": 10.0, "agent_2": 20.0}
    assert infos["agent_2"] == {"toy/t": 1, "toy/own": 2}  # shared and per-agent counters
    assert par.agents == ["agent_1", "agent_2"]
    # an action for an agent that has left is ignored; it takes "stay" (index 1)
    obs, rewards, terminated, truncated, infos = par.step(
        {"agent_0": 0, "agent_1": 0, "agent_2": 0}
    )
    assert set(obs) == set(rewards) == set(truncated) == set(infos) == {"agent_1", "agent_2"}
    assert terminated == {"agent_1": True, "agent_2": False}
    assert par.agents == ["agent_2"]
    obs, *_ = par.step({"agent_2": 0})
    assert list(obs) == ["agent_2"] and obs["agent_2"].tolist() == [3.0]
    assert par.agents == []
    np.testing.assert_array_equal(par._state["actions"][:3], [[0, 0, 0], [1, 0, 0], [1, 1, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parallel_api_test(par, num_cycles=5)
