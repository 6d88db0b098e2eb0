"""The sequential snowdrift game: every rule on scripted states, the start, the view, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs.snowdrift import ACTIONS, SnowdriftState
from prosocial.errors import ConfigError

UP, DOWN, LEFT, RIGHT, STAY, REMOVE = range(6)
KEY = jax.random.PRNGKey(0)


@pytest.fixture(scope="module")
def env():
    return envs.make("snowdrift")


def board(pos, drifts=(), t=0, size=(8, 8)):
    grid = np.zeros(size, bool)
    for r, c in drifts:
        grid[r, c] = True
    return SnowdriftState(jnp.asarray(pos, jnp.int32), jnp.asarray(grid), jnp.int32(t))


def play(env, state, actions, params=None, key=KEY):
    params = env.params if params is None else params
    return jax.jit(env.transition_fn)(key, state, jnp.asarray(actions, jnp.int32), params)


def test_defaults_follow_the_development_code(env):
    p = env.params
    assert (p.num_agents, p.height, p.width, p.num_drifts, int(p.max_steps)) == (4, 8, 8, 6, 50)
    assert (float(p.drift_benefit), float(p.removal_cost)) == (6.0, 4.0)
    assert bool(p.end_when_cleared)
    assert ACTIONS == ("up", "down", "left", "right", "stay", "remove")
    assert env.observation_space(p).shape == (5, 5, 4)


def test_removing_a_drift_pays_two_to_the_remover_and_six_to_each_other(env):
    state = board([(0, 0), (3, 3), (5, 5), (7, 7)], drifts=[(3, 3), (6, 6)])
    nxt, rewards, terminated, truncated, info = play(env, state, [STAY, REMOVE, STAY, STAY])
    np.testing.assert_allclose(rewards, [6.0, 2.0, 6.0, 6.0])
    np.testing.assert_array_equal(info["snowdrift/drifts"], [0, 1, 0, 0])
    assert not bool(nxt.drifts[3, 3]) and bool(nxt.drifts[6, 6])
    assert not bool(jnp.any(terminated | truncated))
    # the collective gain of one drift is b·n − c = 20
    assert float(rewards.sum()) == pytest.approx(20.0)


def test_two_removals_in_one_step_add_up(env):
    state = board([(1, 1), (3, 3), (5, 5), (7, 7)], drifts=[(1, 1), (3, 3), (0, 7)])
    _, rewards, _, _, info = play(env, state, [REMOVE, REMOVE, STAY, REMOVE])
    # each player gets 6 per cleared drift, each remover pays 4 for its own
    np.testing.assert_allclose(rewards, [8.0, 8.0, 12.0, 12.0])
    np.testing.assert_array_equal(info["snowdrift/drifts"], [1, 1, 0, 0])


def test_benefit_and_cost_are_data(env):
    state = board([(1, 1), (3, 3), (5, 5), (7, 7)], drifts=[(1, 1), (0, 0)])
    params = env.params.replace(drift_benefit=3.0, removal_cost=5.0)
    _, rewards, *_ = play(env, state, [REMOVE, STAY, STAY, STAY], params)
    np.testing.assert_allclose(rewards, [-2.0, 3.0, 3.0, 3.0])
    # and vmap over a batch of costs in one compiled call
    costs = jnp.asarray([0.0, 4.0, 6.0])
    batch = jax.jit(
        jax.vmap(
            lambda c: play(
                env, state, [REMOVE, STAY, STAY, STAY], env.params.replace(removal_cost=c)
            )[1]
        )
    )
    np.testing.assert_allclose(batch(costs)[:, 0], [6.0, 2.0, 0.0])


def test_removing_off_a_drift_does_nothing(env):
    state = board([(1, 1), (3, 3), (5, 5), (7, 7)], drifts=[(0, 0)])
    nxt, rewards, _, _, info = play(env, state, [REMOVE] * 4)
    np.testing.assert_array_equal(rewards, 0.0)
    np.testing.assert_array_equal(info["snowdrift/drifts"], 0)
    assert bool(nxt.drifts[0, 0])


def test_clearing_the_last_drift_ends_the_episode(env):
    state = board([(1, 1), (3, 3), (5, 5), (7, 7)], drifts=[(1, 1)], t=10)
    _, fresh, rewards, terminated, truncated, _ = jax.jit(env.step)(
        KEY, state, jnp.asarray([REMOVE, STAY, STAY, STAY])
    )
    np.testing.assert_allclose(rewards, [2.0, 6.0, 6.0, 6.0])
    assert bool(jnp.all(terminated)) and not bool(jnp.any(truncated))
    assert int(fresh.t) == 0 and int(fresh.drifts.sum()) == 6, "a fresh episode began"
    # with drifts left, or with the early end switched off, it goes on
    more = board([(1, 1), (3, 3), (5, 5), (7, 7)], drifts=[(1, 1), (2, 2)])
    _, _, terminated, *_ = play(env, more, [REMOVE, STAY, STAY, STAY])
    assert not bool(jnp.any(terminated))
    _, _, terminated, *_ = play(
        env, state, [REMOVE, STAY, STAY, STAY], env.params.replace(end_when_cleared=False)
    )
    assert not bool(jnp.any(terminated))


def test_truncates_at_max_steps(env):
    state = board([(1, 1), (3, 3), (5, 5), (7, 7)], drifts=[(0, 0)], t=48)
    *_, truncated, _ = play(env, state, [STAY] * 4)
    assert not bool(jnp.any(truncated))
    *_, truncated, _ = play(env, state.replace(t=jnp.int32(49)), [STAY] * 4)
    assert bool(jnp.all(truncated))


def test_moves_are_blocked_by_edges_and_players(env):
    state = board([(0, 0), (2, 2), (2, 3), (7, 7)])
    # up off the grid; into a player that stays; right (free); down off the grid
    nxt, *_ = play(env, state, [UP, RIGHT, STAY, DOWN])
    np.testing.assert_array_equal(nxt.pos, [[0, 0], [2, 2], [2, 3], [7, 7]])
    # a player may follow another that moves away
    nxt, *_ = play(env, state, [DOWN, RIGHT, RIGHT, LEFT])
    np.testing.assert_array_equal(nxt.pos, [[1, 0], [2, 3], [2, 4], [7, 6]])


def test_a_contested_cell_goes_to_one_player_chosen_at_random(env):
    state = board([(0, 0), (0, 2), (5, 5), (7, 7)])
    winners = []
    for seed in range(40):
        nxt, *_ = play(env, state, [RIGHT, LEFT, STAY, STAY], key=jax.random.PRNGKey(seed))
        on = np.all(np.asarray(nxt.pos[:2]) == [0, 1], axis=1)
        assert on.sum() == 1, "exactly one player enters the contested cell"
        winners.append(int(np.argmax(on)))
    assert 0 < sum(winners) < 40, "either player may win the cell"


def test_observation_window_is_north_up(env):
    # player 0 at (6, 1): its window covers rows 4..8 and columns -1..3
    state = board([(6, 1), (5, 2), (0, 7), (7, 3)], drifts=[(4, 0), (7, 1), (0, 0)])
    obs = np.asarray(env.observe_fn(state, env.params))
    assert obs.dtype == np.uint8 and env.observation_space(env.params).contains(obs)
    drift, outside, me, others = np.moveaxis(obs[0], -1, 0)
    assert drift[0, 1] == 1 and drift[3, 2] == 1 and drift.sum() == 2
    np.testing.assert_array_equal(outside[4], 1)  # the row below the board
    np.testing.assert_array_equal(outside[:, 0], 1)  # the column left of it
    assert outside.sum() == 9
    assert me[2, 2] == 1 and me.sum() == 1
    assert others[1, 3] == 1 and others[3, 4] == 1 and others.sum() == 2


def test_start_states_are_well_formed(env):
    draws = 20000
    states = jax.jit(jax.vmap(lambda k: env.reset(k)[1]))(jax.random.split(KEY, draws))
    pos = np.asarray(states.pos)
    flat = np.sort(pos[..., 0] * 8 + pos[..., 1], axis=1)
    assert np.all(flat[:, 1:] != flat[:, :-1]), "players start on distinct cells"
    drifts = np.asarray(states.drifts).reshape(draws, 64)
    np.testing.assert_array_equal(drifts.sum(axis=1), 6)
    # uniform: each cell holds a drift with probability 6/64, a player with 4/64
    for counts, p in [
        (drifts.sum(axis=0), 6 / 64),
        (np.bincount(flat.ravel(), minlength=64), 4 / 64),
    ]:
        sigma = np.sqrt(draws * p * (1 - p))
        assert np.all(np.abs(counts - draws * p) < 5 * sigma), counts


def test_a_random_rollout_keeps_the_books(env):
    """Rewards are b·(drifts cleared) − c·(own clearings), players never share a cell."""

    def body(state, k):
        k_act, k_step = jax.random.split(k)
        actions = jax.random.randint(k_act, (4,), 0, 6)
        _, nxt, rewards, _, _, info = env.step(k_step, state, actions)
        return nxt, (rewards, info["snowdrift/drifts"], nxt.pos)

    def run(key):
        _, state = env.reset(key)
        return jax.lax.scan(body, state, jax.random.split(key, 200))[1]

    out = jax.jit(jax.vmap(run))(jax.random.split(jax.random.PRNGKey(3), 16))
    rewards, removed, pos = map(np.asarray, out)
    cleared = removed.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(rewards, 6.0 * cleared - 4.0 * removed)
    assert removed.sum() > 0
    flat = pos[..., 0] * 8 + pos[..., 1]
    assert all(len(set(row)) == 4 for row in flat.reshape(-1, 4))


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"num_drifts": -1}, "num_drifts"),
        ({"num_drifts": 0}, "num_drifts"),
        ({"num_drifts": 65}, "num_drifts"),
        ({"num_agents": 65}, "num_agents"),
        ({"num_agents": 1}, "num_agents"),
        ({"height": 0}, "height"),
        ({"view_radius": -1}, "view_radius"),
        ({"max_steps": 0}, "max_steps"),
        ({"drift_benefit": float("nan")}, "drift_benefit"),
        ({"removal_cost": float("inf")}, "removal_cost"),
        ({"width": 3.0}, "width"),
    ],
)
def test_bad_parameters_are_named(overrides, field):
    with pytest.raises(ConfigError, match=rf"snowdrift\.{field}: "):
        envs.make("snowdrift", **overrides)
