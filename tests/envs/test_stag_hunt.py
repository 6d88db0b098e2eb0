"""The sequential stag hunt: every rule on scripted states, the start, the view, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs.stag_hunt import ACTIONS, StagHuntState
from prosocial.errors import ConfigError

UP, DOWN, LEFT, RIGHT, STAY, HUNT = range(6)
KEY = jax.random.PRNGKey(0)


@pytest.fixture(scope="module")
def env():
    return envs.make("stag_hunt")


def board(pos, stags=(), hares=(), done=None, t=0, size=(5, 5)):
    """A scripted state: hunters at ``pos``, prey on the listed cells."""
    stag_grid, hare_grid = np.zeros(size, bool), np.zeros(size, bool)
    for r, c in stags:
        stag_grid[r, c] = True
    for r, c in hares:
        hare_grid[r, c] = True
    n = len(pos)
    return StagHuntState(
        pos=jnp.asarray(pos, jnp.int32),
        stags=jnp.asarray(stag_grid),
        hares=jnp.asarray(hare_grid),
        done=jnp.asarray(np.zeros(n, bool) if done is None else done),
        t=jnp.int32(t),
    )


def play(env, state, actions):
    """One transition (no automatic reset): next state, rewards, flags and counters."""
    return jax.jit(env.transition_fn)(KEY, state, jnp.asarray(actions, jnp.int32), env.params)


def test_defaults_follow_the_development_code(env):
    p = env.params
    assert (p.num_agents, p.height, p.width, p.num_stags, p.num_hares) == (4, 5, 5, 2, 4)
    assert (int(p.max_steps), float(p.stag_reward), float(p.hare_reward)) == (30, 10.0, 1.0)
    assert int(p.stag_hunters) == 2 and p.view_radius == 2
    assert env.action_names(p) == ("up", "down", "left", "right", "stay", "hunt")
    assert env.observation_space(p).shape == (5, 5, 5)


def test_a_lone_stag_hunter_gets_nothing_and_stays_in_play(env):
    state = board([(2, 2), (2, 2), (0, 0), (4, 4)], stags=[(2, 2)])
    nxt, rewards, terminated, truncated, info = play(env, state, [HUNT, STAY, STAY, STAY])
    np.testing.assert_array_equal(rewards, 0.0)
    assert bool(nxt.stags[2, 2]), "one hunter alone must not catch the stag"
    assert not bool(jnp.any(terminated)) and not bool(jnp.any(truncated))
    np.testing.assert_array_equal(info["stag_hunt/stags"], 0)


def test_two_hunters_catch_a_stag_and_split_it(env):
    state = board([(2, 2), (2, 2), (0, 0), (4, 4)], stags=[(2, 2), (0, 1)])
    nxt, rewards, terminated, _, info = play(env, state, [HUNT, HUNT, STAY, STAY])
    np.testing.assert_allclose(rewards, [5.0, 5.0, 0.0, 0.0])
    np.testing.assert_array_equal(terminated, [True, True, False, False])
    np.testing.assert_array_equal(info["stag_hunt/stags"], [1, 1, 0, 0])
    np.testing.assert_array_equal(info["stag_hunt/hares"], 0)
    assert not bool(nxt.stags[2, 2]) and bool(nxt.stags[0, 1]), "only the hunted stag goes"


def test_three_hunters_split_a_stag_three_ways(env):
    state = board([(1, 3), (1, 3), (1, 3), (4, 4)], stags=[(1, 3)])
    _, rewards, terminated, _, _ = play(env, state, [HUNT, HUNT, HUNT, HUNT])
    np.testing.assert_allclose(rewards, [10 / 3, 10 / 3, 10 / 3, 0.0], rtol=1e-6)
    np.testing.assert_array_equal(terminated, [True, True, True, False])


def test_a_hunter_standing_by_without_hunting_gets_no_share(env):
    state = board([(1, 3), (1, 3), (1, 3), (4, 4)], stags=[(1, 3)])
    _, rewards, terminated, _, _ = play(env, state, [HUNT, HUNT, STAY, STAY])
    np.testing.assert_allclose(rewards, [5.0, 5.0, 0.0, 0.0])
    np.testing.assert_array_equal(terminated, [True, True, False, False])


def test_a_hare_needs_one_hunter_and_splits_among_its_hunters(env):
    state = board([(0, 0), (3, 3), (3, 3), (4, 0)], hares=[(0, 0), (3, 3), (4, 0)])
    nxt, rewards, terminated, _, info = play(env, state, [HUNT, HUNT, HUNT, STAY])
    np.testing.assert_allclose(rewards, [1.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(terminated, [True, True, True, False])
    np.testing.assert_array_equal(info["stag_hunt/hares"], [1, 1, 1, 0])
    np.testing.assert_array_equal(np.argwhere(np.asarray(nxt.hares)), [[4, 0]])


def test_hunting_an_empty_cell_does_nothing(env):
    state = board([(0, 0), (1, 1), (2, 2), (3, 3)], stags=[(4, 4)], hares=[(4, 3)])
    nxt, rewards, terminated, _, _ = play(env, state, [HUNT] * 4)
    np.testing.assert_array_equal(rewards, 0.0)
    assert not bool(jnp.any(terminated))
    np.testing.assert_array_equal(nxt.pos, state.pos)


def test_the_reward_parameters_are_data(env):
    state = board([(2, 2), (2, 2), (0, 0), (0, 0)], stags=[(2, 2)], hares=[(0, 0)])
    params = env.params.replace(stag_reward=8.0, hare_reward=3.0)
    _, rewards, *_ = jax.jit(env.transition_fn)(KEY, state, jnp.full(4, HUNT), params)
    np.testing.assert_allclose(rewards, [4.0, 4.0, 1.5, 1.5])


def test_more_hunters_may_be_required_for_a_stag():
    env = envs.make("stag_hunt", stag_hunters=3)
    state = board([(2, 2), (2, 2), (2, 2), (0, 0)], stags=[(2, 2)])
    _, rewards, *_ = play(env, state, [HUNT, HUNT, STAY, STAY])
    np.testing.assert_array_equal(rewards, 0.0)
    _, rewards, *_ = play(env, state, [HUNT, HUNT, HUNT, STAY])
    np.testing.assert_allclose(rewards, [10 / 3, 10 / 3, 10 / 3, 0.0], rtol=1e-6)


def test_a_terminal_hunter_is_out_of_the_game(env):
    # hunter 0 is terminal on a hare: its hunt is ignored, it gets 0 and it does not move
    state = board(
        [(2, 2), (2, 2), (2, 1), (4, 4)], hares=[(2, 2)], done=[True, False, False, False]
    )
    nxt, rewards, terminated, _, _ = play(env, state, [HUNT, STAY, STAY, STAY])
    np.testing.assert_array_equal(rewards, 0.0)
    assert bool(nxt.hares[2, 2])
    np.testing.assert_array_equal(terminated, [True, False, False, False])
    nxt, *_ = play(env, state, [DOWN, STAY, STAY, STAY])
    np.testing.assert_array_equal(nxt.pos[0], [2, 2])
    # a terminal hunter does not count towards a stag
    state = board(
        [(1, 1), (1, 1), (0, 0), (4, 4)], stags=[(1, 1)], done=[True, False, False, False]
    )
    _, rewards, *_ = play(env, state, [HUNT, HUNT, STAY, STAY])
    np.testing.assert_array_equal(rewards, 0.0)
    # and the others no longer see it: hunter 2 at (2, 1) sees one hunter in play at (2, 2)
    state = board(
        [(2, 2), (2, 2), (2, 1), (4, 4)], hares=[(2, 2)], done=[True, False, False, False]
    )
    obs = env.observe_fn(state, env.params)
    assert int(obs[2, 2, 3, 4]) == 1
    assert int(obs[0, 2, 2, 3]) == 0, "a terminal hunter's self channel is empty"


def test_terminal_stays_terminal_and_the_episode_ends_when_all_are(env):
    state = board([(0, 0), (0, 0), (4, 4), (4, 4)], stags=[(0, 0), (4, 4)])
    nxt, _, terminated, *_ = play(env, state, [HUNT, HUNT, STAY, STAY])
    nxt, rewards, terminated, *_ = play(env, nxt, [UP, UP, STAY, STAY])
    np.testing.assert_array_equal(terminated, [True, True, False, False])
    np.testing.assert_array_equal(rewards, 0.0)
    # the last two hunters catch the second stag: every hunter is terminal, step resets
    _, fresh, rewards, terminated, truncated, _ = jax.jit(env.step)(
        KEY, nxt, jnp.asarray([STAY, STAY, HUNT, HUNT])
    )
    np.testing.assert_allclose(rewards, [0.0, 0.0, 5.0, 5.0])
    assert bool(jnp.all(terminated)) and not bool(jnp.any(truncated))
    assert int(fresh.t) == 0 and not bool(jnp.any(fresh.done))
    assert int(fresh.stags.sum()) == 2 and int(fresh.hares.sum()) == 4


def test_moves_stop_at_the_edge_and_hunters_may_share_a_cell(env):
    state = board([(0, 0), (0, 2), (1, 1), (4, 4)])
    nxt, *_ = play(env, state, [UP, LEFT, UP, DOWN])
    np.testing.assert_array_equal(nxt.pos, [[0, 0], [0, 1], [0, 1], [4, 4]])
    nxt, *_ = play(env, state, [DOWN, RIGHT, LEFT, RIGHT])
    np.testing.assert_array_equal(nxt.pos, [[1, 0], [0, 3], [1, 0], [4, 4]])


def test_truncates_at_max_steps(env):
    state = board([(0, 0), (1, 1), (2, 2), (3, 3)], t=28)
    _, _, _, truncated, _ = play(env, state, [STAY] * 4)
    assert not bool(jnp.any(truncated))
    _, state, _, _, truncated, _ = jax.jit(env.step)(
        KEY, state.replace(t=jnp.int32(29)), jnp.zeros(4, jnp.int32)
    )
    assert bool(jnp.all(truncated)) and int(state.t) == 0


def test_observation_window_is_north_up_and_counts_hunters(env):
    # hunter 0 at (0, 1): its window covers rows -2..2 and columns -1..3
    state = board([(0, 1), (1, 2), (1, 2), (4, 4)], stags=[(2, 3)], hares=[(0, 0)])
    obs = np.asarray(env.observe_fn(state, env.params))
    assert obs.dtype == np.uint8 and env.observation_space(env.params).contains(obs)
    stag, hare, outside, me, others = np.moveaxis(obs[0], -1, 0)
    assert stag[4, 4] == 1 and stag.sum() == 1
    assert hare[2, 1] == 1 and hare.sum() == 1
    np.testing.assert_array_equal(outside[:2], 1)  # rows above the board
    np.testing.assert_array_equal(outside[2:, 0], 1)  # the column left of it
    assert outside.sum() == 10 + 3
    assert me[2, 2] == 1 and me.sum() == 1
    assert others[3, 3] == 2 and others.sum() == 2  # two hunters share (1, 2)
    # hunter 1 sees itself at the centre and hunter 2 beside it in the same cell
    assert obs[1, 2, 2, 3] == 1 and obs[1, 2, 2, 4] == 1


def test_start_states_are_well_formed():
    env = envs.make("stag_hunt")
    draws = 20000
    states = jax.jit(jax.vmap(lambda k: env.reset(k)[1]))(jax.random.split(KEY, draws))
    pos = np.asarray(states.pos)
    flat = pos[..., 0] * 5 + pos[..., 1]
    assert np.all(np.sort(flat, axis=1)[:, 1:] != np.sort(flat, axis=1)[:, :-1]), (
        "hunters start on distinct cells"
    )
    stags, hares = np.asarray(states.stags), np.asarray(states.hares)
    np.testing.assert_array_equal(stags.sum(axis=(1, 2)), 2)
    np.testing.assert_array_equal(hares.sum(axis=(1, 2)), 4)
    assert not np.any(stags & hares)
    # uniform: every hunter on every cell, and stags and hares on every cell, equally often
    for counts, p in [
        (np.stack([np.bincount(flat[:, i], minlength=25) for i in range(4)]), 1 / 25),
        (stags.reshape(draws, 25).sum(axis=0), 2 / 25),
        (hares.reshape(draws, 25).sum(axis=0), 4 / 25),
    ]:
        sigma = np.sqrt(draws * p * (1 - p))
        assert np.all(np.abs(counts - draws * p) < 5 * sigma), counts
    # a hunter may start on a prey (drawn independently), as in the development code
    on_prey = (stags | hares).reshape(draws, 25)[np.arange(draws)[:, None], flat]
    assert 0.2 < on_prey.mean() < 0.28  # 6 of 25 cells hold prey: 0.24


def test_a_random_rollout_keeps_the_books():
    """Shares add up to whole prey, and terminal hunters earn nothing, on random play."""
    env = envs.make("stag_hunt")

    def body(state, k):
        k_act, k_step = jax.random.split(k)
        actions = jax.random.randint(k_act, (4,), 0, 6)
        raw, rewards, terminated, _, info = env.transition_fn(k_step, state, actions, env.params)
        stags = state.stags.sum() - raw.stags.sum()
        hares = state.hares.sum() - raw.hares.sum()
        _, nxt, *_ = env.step(k_step, state, actions)
        return nxt, (rewards, info, stags, hares, state.done, terminated)

    def run(key):
        _, state = env.reset(key)
        return jax.lax.scan(body, state, jax.random.split(key, 300))[1]

    keys = jax.random.split(jax.random.PRNGKey(5), 32)
    out = jax.jit(jax.vmap(run))(keys)
    rewards, info, stags, hares, was_done, terminated = jax.tree.map(np.asarray, out)
    np.testing.assert_allclose(rewards.sum(axis=-1), 10.0 * stags + 1.0 * hares, atol=1e-4)
    assert hares.sum() > 0 and stags.sum() > 0
    assert np.all(info["stag_hunt/stags"].sum(axis=-1) >= 2 * stags)
    np.testing.assert_array_equal(info["stag_hunt/hares"].sum(axis=-1) > 0, hares > 0)
    assert not np.any(rewards[was_done]), "terminal hunters earn 0"
    assert np.all(terminated[was_done]), "terminal stays terminal"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"num_stags": -1}, "num_stags"),
        ({"num_hares": -2}, "num_hares"),
        ({"num_stags": 20, "num_hares": 6}, "num_stags"),
        ({"num_agents": 26}, "num_agents"),
        ({"num_agents": 1}, "num_agents"),
        ({"stag_hunters": 0}, "stag_hunters"),
        ({"stag_hunters": 5}, "stag_hunters"),
        ({"max_steps": 0}, "max_steps"),
        ({"view_radius": -1}, "view_radius"),
        ({"height": 0}, "height"),
        ({"stag_reward": float("nan")}, "stag_reward"),
        ({"hare_reward": float("inf")}, "hare_reward"),
        ({"num_hares": 2.5}, "num_hares"),
    ],
)
def test_bad_parameters_are_named(overrides, field):
    with pytest.raises(ConfigError, match=rf"stag_hunt\.{field}: "):
        envs.make("stag_hunt", **overrides)


def test_action_names_match_the_table():
    assert ACTIONS.index("hunt") == HUNT and ACTIONS.index("stay") == STAY
