"""Every registered environment keeps the environment contract (DESIGN.md rule 6).

Compiles once and never again on a second call, vmaps over keys, the same key gives
identical trajectories, observations lie inside their space, rewards and counters are
finite, flags are per-agent booleans, and a frame renders.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.errors import ConfigError, UnknownNameError

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

STEPS = 12


def _rollout(env, key, steps=STEPS):
    """Random actions for ``steps`` steps from a reset; every output stacked over time."""
    n, space = env.num_agents(), env.action_space(env.params)

    def body(state, k):
        k_act, k_step = jax.random.split(k)
        actions = space.sample(k_act, (n,))
        obs, state, rewards, terminated, truncated, info = env.step(k_step, state, actions)
        return state, (obs, rewards, terminated, truncated, info)

    k_reset, k_run = jax.random.split(key)
    obs0, state = env.reset(k_reset)
    _, out = jax.lax.scan(body, state, jax.random.split(k_run, steps))
    return obs0, out


@pytest.fixture(scope="module", params=envs.names())
def env(request):
    return envs.make(request.param)


def test_outputs_lie_in_their_spaces(env):
    n = env.num_agents()
    obs0, (obs, rewards, terminated, truncated, info) = jax.jit(lambda k: _rollout(env, k))(
        jax.random.PRNGKey(0)
    )
    space = env.observation_space(env.params)
    assert obs0.shape == (n, *space.shape) and space.contains(obs0)
    assert obs.shape == (STEPS, n, *space.shape) and space.contains(obs)
    assert rewards.shape == (STEPS, n) and rewards.dtype == jnp.float32
    assert bool(jnp.all(jnp.isfinite(rewards)))
    for flags in (terminated, truncated):
        assert flags.shape == (STEPS, n) and flags.dtype == jnp.bool_
    for key, value in info.items():
        assert "/" in key, f"info key {key!r} is not namespaced"
        assert value.shape[0] == STEPS
        assert bool(jnp.all(jnp.isfinite(value))), key
    assert env.action_space(env.params).contains(np.arange(env.action_space(env.params).n))
    assert len(env.action_names(env.params)) == env.action_space(env.params).n


def test_compiles_once_and_vmaps_over_keys(env):
    traces = []

    def batch(keys):
        traces.append(1)
        return jax.vmap(lambda k: _rollout(env, k, 4))(keys)

    run = jax.jit(batch)
    first = run(jax.random.split(jax.random.PRNGKey(1), 3))
    second = run(jax.random.split(jax.random.PRNGKey(2), 3))
    assert len(traces) == 1
    n = env.num_agents()
    assert first[1][1].shape == (3, 4, n)
    # the batch members are independent draws: their trajectories are not all one
    obs_b = np.asarray(second[1][0]).reshape(3, -1)
    assert not (np.array_equal(obs_b[0], obs_b[1]) and np.array_equal(obs_b[1], obs_b[2]))


def test_same_key_gives_identical_trajectories(env):
    key = jax.random.PRNGKey(7)
    a = jax.jit(lambda k: _rollout(env, k))(key)
    b = jax.jit(lambda k: _rollout(env, k))(key)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_step_is_a_pure_function_of_its_inputs(env):
    _, state = env.reset(jax.random.PRNGKey(3))
    actions = jnp.zeros(env.num_agents(), jnp.int32)
    step = jax.jit(env.step)
    one = step(jax.random.PRNGKey(4), state, actions)
    two = step(jax.random.PRNGKey(4), state, actions)
    for x, y in zip(jax.tree.leaves(one), jax.tree.leaves(two), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_renders_an_rgb_frame(env):
    _, state = env.reset(jax.random.PRNGKey(0))
    frame = np.asarray(jax.jit(env.render)(state))
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    assert frame.shape[0] >= 8 and frame.shape[1] >= 8
    assert frame.std() > 0, "a frame of one colour shows nothing"


def test_unknown_parameter_is_named():
    with pytest.raises(ConfigError, match=r"coin_game\.sise: no such parameter"):
        envs.make("coin_game", sise=4)


def test_unknown_environment_lists_the_accepted_ones():
    with pytest.raises(UnknownNameError, match=r"accepted: .*coin_game"):
        envs.make("coin_gam")
