"""Cleanup's rules on scripted states of a small map, its registered variants and errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs import cleanup, ssd
from prosocial.envs.grid import DOWN, LEFT, RIGHT, UP
from prosocial.errors import ConfigError

ACTION = {name: i for i, name in enumerate(cleanup.ACTIONS)}
STAY, FIRE, CLEAN = ACTION["stay"], ACTION["fire"], ACTION["clean"]
FLOOR, WALL, APPLE, WASTE, WATER = ssd.FLOOR, ssd.WALL, ssd.APPLE, cleanup.WASTE, cleanup.WATER

# 20 river cells (columns 1-5 of rows 1-4), a stream, spawn cells, an orchard column
MAP = (
    "@@@@@@@@@@",
    "@RRRRRPPB@",
    "@RRRRRPPB@",
    "@HHHHHPPB@",
    "@RRRRRPPB@",
    "@SSSSSPPB@",
    "@@@@@@@@@@",
)
RIVER = [(r, c) for r in range(1, 5) for c in range(1, 6)]
ORCHARD = [(r, 8) for r in range(1, 6)]
BATCH = 2000


@pytest.fixture(scope="module")
def game(batched_transition):
    env = envs.make("cleanup", map=MAP, num_agents=3)
    play = batched_transition(env)
    return env, play


def scene(pos, orient, waste=(), apples=(), t=0, copies=1):
    """A scripted state of ``MAP``: agents, waste on the listed river cells (the others
    clean), apples on the listed cells; ``copies`` identical states on a batch axis."""
    codes = np.zeros((7, 10), np.uint8)
    codes[np.array([list(r) for r in MAP]) == "@"] = WALL
    codes[np.isin(np.array([list(r) for r in MAP]), list("RHS"))] = WATER
    for r, c in waste:
        codes[r, c] = WASTE
    for r, c in apples:
        codes[r, c] = APPLE
    state = ssd.SSDState(
        jnp.asarray(pos, jnp.int32),
        jnp.asarray(orient, jnp.int32),
        jnp.asarray(codes),
        jnp.asarray(t, jnp.int32),
    )
    return jax.tree.map(lambda x: jnp.broadcast_to(x, (copies, *x.shape)), state)


def first(tree):
    return jax.tree.map(lambda x: np.asarray(x[0]), tree)


# ---------------------------------------------------------------- the penalty beam


def test_firing_costs_one_and_each_hit_line_fifty(game):
    _, play = game
    # agent 0 faces up from (4, 7); agent 1 stands 2 cells ahead on its centre line,
    # agent 2 on its left line
    state = scene([[4, 7], [2, 7], [3, 6]], [UP, UP, UP])
    _, rewards, *_, info = first(play(state, [FIRE, STAY, STAY]))
    np.testing.assert_allclose(rewards, [-1.0, -50.0, -50.0])
    np.testing.assert_array_equal(info["cleanup/fired"], [1, 0, 0])
    np.testing.assert_array_equal(info["cleanup/hit"], [0, 1, 1])
    # a beam that hits nobody still costs the firer one
    _, rewards, *_ = first(play(state, [STAY, FIRE, STAY]))
    np.testing.assert_allclose(rewards, [0.0, -1.0, 0.0])


def test_two_firers_hitting_one_agent_cost_it_a_hundred(game):
    _, play = game
    # agents 0 and 1 face agent 2 from both sides of row 3
    state = scene([[3, 6], [3, 8], [3, 7]], [RIGHT, LEFT, UP])
    _, rewards, *_, info = first(play(state, [FIRE, FIRE, STAY]))
    np.testing.assert_allclose(rewards, [-1.0, -1.0, -100.0])
    np.testing.assert_array_equal(info["cleanup/hit"], [0, 0, 2])


def test_a_beam_stops_at_the_first_agent_on_its_line(game):
    _, play = game
    # agent 2 stands behind agent 1 on agent 0's centre line: only agent 1 is hit
    state = scene([[4, 7], [3, 7], [2, 7]], [UP, UP, UP])
    _, rewards, *_ = first(play(state, [FIRE, STAY, STAY]))
    np.testing.assert_allclose(rewards, [-1.0, -50.0, 0.0])


# ---------------------------------------------------------------- the cleaning beam


def test_cleaning_removes_the_first_waste_on_each_line_and_stops(game):
    env, play = game
    # agent 0 faces left from (3, 6): its centre line runs along row 3, its right-hand
    # line along row 2 and its left-hand line along row 4 (from column 6 leftwards)
    waste = [(3, 5), (3, 4), (2, 3), (2, 1), (4, 3), (4, 2)]
    state = scene([[3, 6], [4, 3], [1, 6]], [LEFT, UP, UP], waste=waste)
    params = env.replace(waste_spawn_probability=0.0).params
    nxt, rewards, *_, info = first(play(state, [CLEAN, STAY, STAY], params))
    left = {(r, c) for r, c in RIVER if nxt.grid[r, c] == WASTE}
    # (3, 5) and (2, 3) are cleaned; on row 4 the line meets agent 1 standing on waste at
    # (4, 3): that waste is cleaned and the line ends before (4, 2)
    assert left == {(3, 4), (2, 1), (4, 2)}
    np.testing.assert_array_equal(info["cleanup/waste_cleaned"], [3, 0, 0])
    np.testing.assert_allclose(rewards, [0.0, 0.0, 0.0])  # cleaning is free


def test_cleaners_fire_in_a_random_order(game):
    env, play = game
    # both face left: agent 0's centre line runs along row 2 over columns 6..2, agent
    # 1's right-hand line, from (3, 5), over columns 5..1; both meet (2, 4) first, and
    # only agent 1 reaches the waste at (2, 1)
    waste = [(2, 4), (2, 1)]
    state = scene([[2, 7], [3, 5], [1, 7]], [LEFT, LEFT, UP], waste=waste, copies=400)
    keys = jax.random.split(jax.random.PRNGKey(1), 400)
    params = env.replace(waste_spawn_probability=0.0).params
    nxt, _, *_, info = play(state, [CLEAN, CLEAN, STAY], params, keys)
    cleaned = np.asarray(info["cleanup/waste_cleaned"])[:, :2]
    # agent 0 first: it cleans (2, 4) and agent 1 goes on to (2, 1);
    # agent 1 first: it cleans (2, 4) and agent 0 finds nothing more within reach
    assert {tuple(row) for row in cleaned.tolist()} == {(1, 1), (0, 1)}
    assert 0.4 < np.mean(cleaned[:, 0] == 1) < 0.6
    survived = np.asarray(nxt.grid)[:, 2, 1] == WASTE
    np.testing.assert_array_equal(survived, cleaned[:, 0] == 0)


# ---------------------------------------------------------------- river and orchard


def sampled(play, state, params):
    keys = jax.random.split(jax.random.PRNGKey(2), BATCH)
    copies = jax.tree.map(lambda x: jnp.broadcast_to(x[0], (BATCH, *x.shape[1:])), state)
    return play(copies, [STAY] * 3, params, keys)


@pytest.mark.parametrize(
    ("dirty", "expected"),
    # depletion 0.4, restoration 0.1, apple probability 0.6: d <= 0.1 gives 0.6, then a
    # straight line down to 0 at d = 0.4, and 0 from there on
    [(0, 0.6), (2, 0.6), (5, 0.3), (7, 0.1), (8, 0.0), (12, 0.0)],
)
def test_apple_probability_follows_the_waste_density(game, dirty, expected):
    env, play = game
    params = env.replace(
        apple_respawn_probability=0.6,
        threshold_depletion=0.4,
        threshold_restoration=0.1,
        waste_spawn_probability=0.0,
    ).params
    state = scene([[1, 6], [2, 6], [3, 6]], [UP] * 3, waste=RIVER[:dirty])
    nxt, *_ = sampled(play, state, params)
    grown = np.asarray(nxt.grid)[:, [r for r, _ in ORCHARD], 8] == APPLE
    assert abs(grown.mean() - expected) < 0.02
    waste_before = np.asarray(state.grid)[0, 1:5, 1:6] == WASTE
    assert np.all((np.asarray(nxt.grid)[:, 1:5, 1:6] == WASTE) == waste_before)


def test_at_most_one_waste_cell_appears_uniformly_among_the_clean_ones(game):
    env, play = game
    params = env.replace(waste_spawn_probability=0.05, apple_respawn_probability=0.0).params
    state = scene([[1, 6], [2, 6], [3, 6]], [UP] * 3, waste=RIVER[:5])  # 15 clean cells
    nxt, *_, info = sampled(play, state, params)
    before = np.asarray(state.grid)[0, 1:5, 1:6] == WASTE
    after = np.asarray(nxt.grid)[:, 1:5, 1:6] == WASTE
    assert np.all(after[:, before])  # waste stays where it was
    new = (after & ~before).reshape(BATCH, -1)
    assert new.sum(axis=1).max() == 1
    chance = 1 - 0.95**15  # one of the 15 clean cells in the reference's scan
    assert abs(new.any(axis=1).mean() - chance) < 0.035
    counts = new.sum(axis=0)[~before.reshape(-1)]
    assert np.all(np.abs(counts / new.sum() - 1 / 15) < 0.025)
    density = np.asarray(info["cleanup/waste_density"])
    np.testing.assert_allclose(density, (5 + new.sum(axis=1)) / 20, rtol=1e-6)


def test_waste_at_the_depletion_threshold_stops_apples_and_waste(game):
    env, play = game
    params = env.replace(apple_respawn_probability=1.0, waste_spawn_probability=1.0).params
    for dirty, grows in ((8, False), (7, True)):  # d = 0.4 and d = 0.35
        state = scene([[1, 6], [2, 6], [3, 6]], [UP] * 3, waste=RIVER[:dirty], copies=BATCH)
        for _ in range(3):
            state, *_ = play(state, [STAY] * 3, params)
        grid = np.asarray(state.grid)
        apples = np.sum(grid == APPLE, axis=(1, 2))
        waste = np.sum(grid[:, 1:5, 1:6] == WASTE, axis=(1, 2))
        if grows:
            # one waste cell appears at once (d = 0.35, p = 1), then d = 0.4 stops both;
            # apples grew only in that first step, with probability 1 - 0.35 / 0.4
            assert np.all(waste == 8)
            assert abs(apples.mean() / 5 - 0.125) < 0.02
        else:
            assert np.all(apples == 0) and np.all(waste == dirty)


def test_an_apple_does_not_grow_under_an_agent_and_is_eaten_when_stepped_on(game):
    env, play = game
    params = env.replace(apple_respawn_probability=1.0, waste_spawn_probability=0.0).params
    state = scene([[1, 8], [2, 7], [5, 6]], [DOWN, RIGHT, UP], apples=[(3, 8)])
    nxt, rewards, *_, info = first(play(state, [STAY, STAY, STAY], params))
    assert nxt.grid[1, 8] == FLOOR and nxt.grid[2, 8] == APPLE
    forward = ACTION["forward"]
    state = scene([[2, 8], [2, 7], [5, 6]], [DOWN, RIGHT, UP], apples=[(3, 8)])
    nxt, rewards, *_, info = first(play(state, [forward, STAY, STAY], params))
    np.testing.assert_allclose(rewards, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(info["cleanup/apples"], [1, 0, 0])
    assert nxt.grid[3, 8] == FLOOR  # eaten, and no regrowth under the agent


def test_info_counters_are_namespaced_per_agent_arrays(game):
    _, play = game
    *_, info = first(play(scene([[1, 6], [2, 6], [3, 6]], [UP] * 3), [STAY] * 3))
    assert set(info) == {
        "cleanup/apples",
        "cleanup/waste_cleaned",
        "cleanup/fired",
        "cleanup/hit",
        "cleanup/waste_density",
    }
    for key in ("cleanup/apples", "cleanup/waste_cleaned", "cleanup/fired", "cleanup/hit"):
        assert info[key].shape == (3,) and info[key].dtype == np.int32
    assert info["cleanup/waste_density"].shape == ()


# ---------------------------------------------------------------- episodes and reset


def test_the_episode_truncates_at_max_steps_and_resets(game):
    env, _ = game
    env = env.replace(max_steps=5, apple_respawn_probability=0.0, waste_spawn_probability=0.0)
    step = jax.jit(env.step)
    state = jax.tree.map(lambda x: x[0], scene([[1, 6], [2, 6], [3, 6]], [UP] * 3, t=3))
    _, state, _, terminated, truncated, _ = step(jax.random.PRNGKey(0), state, jnp.zeros(3, int))
    assert int(state.t) == 4 and not truncated.any() and not terminated.any()
    _, state, _, terminated, truncated, _ = step(jax.random.PRNGKey(0), state, jnp.zeros(3, int))
    assert truncated.all() and not terminated.any()
    assert int(state.t) == 0
    np.testing.assert_array_equal(state.grid, cleanup.layout(env.params).start)


def test_the_reset_runs_one_update_round(game):
    env, _ = game
    env = env.replace(
        apple_respawn_probability=1.0, waste_spawn_probability=1.0, threshold_restoration=0.3
    )
    _, state = jax.jit(env.reset)(jax.random.PRNGKey(3))
    grid = np.asarray(state.grid)
    assert all(grid[r, c] == APPLE for r, c in ORCHARD)  # d = 5/20 <= 0.3: all grow
    assert np.sum(grid == WASTE) == 6  # the 5 'H' cells and one new waste cell


def test_the_reset_round_is_the_same_with_traced_parameters(game):
    env, _ = game
    key = jax.random.PRNGKey(6)
    for chance in (1.0, 0.0):  # the round acts, or is skipped
        params = env.replace(
            apple_respawn_probability=chance,
            waste_spawn_probability=chance,
            threshold_restoration=0.3,
        ).params
        _, fixed = jax.jit(lambda k, p=params: env.reset(k, p))(key)
        _, traced = jax.jit(env.reset)(key, params)
        np.testing.assert_array_equal(fixed.grid, traced.grid)
        assert np.sum(np.asarray(traced.grid) == APPLE) == (5 if chance else 0)


def test_the_ssd_map_starts_polluted_with_agents_on_spawn_cells():
    env = envs.make("cleanup")
    _, state = jax.jit(env.reset)(jax.random.PRNGKey(4))
    grid, chars = np.asarray(state.grid), np.array([list(r) for r in cleanup.CLEANUP_MAP])
    np.testing.assert_array_equal(grid == WASTE, chars == "H")
    assert np.sum(chars == "H") == 56 and not np.any(grid == APPLE)
    pos = np.asarray(state.pos)
    assert len({tuple(p) for p in pos.tolist()}) == 5
    assert all(chars[r, c] == "P" for r, c in pos)


# ---------------------------------------------------------------- registered variants


def test_lio_small_maps_spawn_fixed_agents_facing_up():
    small = envs.make("cleanup_small")
    assert small.action_names(small.params) == cleanup.LIO_ACTIONS
    obs, state = small.reset(jax.random.PRNGKey(0))
    assert obs.shape == (2, 9, 9, 6)
    np.testing.assert_array_equal(state.pos, [[5, 2], [1, 4]])
    np.testing.assert_array_equal(state.orient, [UP, UP])
    big = envs.make("cleanup_10x10")
    obs, state = big.reset(jax.random.PRNGKey(0))
    assert obs.shape == (3, 15, 15, 6) and big.params.max_steps == 50
    np.testing.assert_array_equal(state.pos, [[8, 3], [5, 4], [1, 6]])


def test_lio_small_map_grows_nothing_until_a_cell_is_cleaned():
    env = envs.make("cleanup_small")
    _, state = env.reset(jax.random.PRNGKey(0))
    step = jax.jit(jax.vmap(env.transition_fn, in_axes=(0, None, None, None)))
    keys = jax.random.split(jax.random.PRNGKey(5), 500)
    stay = jnp.asarray([cleanup.LIO_ACTIONS.index("stay")] * 2)
    nxt, *_, info = step(keys, state, stay, env.params)
    assert not np.any(np.asarray(nxt.grid) == APPLE)  # d = 1 >= 0.6
    # agent 0 at (5, 2) facing up: its left-hand line runs up column 1 to the waste at
    # (2, 1); then d = 1/2, the apple probability (1 - 0.5 / 0.6) * 0.5 and the waste
    # comes back in the same step with probability 0.5
    clean = jnp.asarray([cleanup.LIO_ACTIONS.index("clean"), stay[1]])
    nxt, *_, info = step(keys, state, clean, env.params)
    np.testing.assert_array_equal(np.asarray(info["cleanup/waste_cleaned"])[:, 0], 1)
    density = np.asarray(info["cleanup/waste_density"])
    assert set(np.unique(density).tolist()) == {0.5, 1.0}
    assert abs(np.mean(density == 1.0) - 0.5) < 0.07
    apples = np.sum(np.asarray(nxt.grid) == APPLE, axis=(1, 2))
    assert abs(apples.mean() / 5 - (1 - 0.5 / 0.6) * 0.5) < 0.02


def test_melting_pot_player_count_and_view():
    env = envs.make("cleanup", num_agents=7, view=(9, 1, 5))
    obs, _ = env.reset(jax.random.PRNGKey(0))
    assert obs.shape == (7, 11, 11, 6)
    assert env.observation_space(env.params).shape == (11, 11, 6)
    assert obs[:, 9, 5, 4].all() and obs[..., 4].sum() == 7  # self, 1 row from the bottom


def test_render_draws_the_map_in_ssd_colours():
    env = envs.make("cleanup")
    _, state = env.reset(jax.random.PRNGKey(0))
    frame = np.asarray(jax.jit(env.render)(state))
    scale = ssd.RENDER_SCALE
    assert frame.shape == (25 * scale, 18 * scale, 3) and frame.dtype == np.uint8
    np.testing.assert_array_equal(frame[0, 0], [180, 180, 180])  # wall
    np.testing.assert_array_equal(frame[2 * scale + 1, 1 * scale + 1], [99, 156, 194])  # waste
    np.testing.assert_array_equal(frame[1 * scale + 1, 1 * scale + 1], [113, 75, 24])  # river
    r, c = np.asarray(state.pos)[0]
    centre = frame[r * scale + scale // 2, c * scale + scale // 2]
    np.testing.assert_array_equal(centre, ssd.SSD_AGENT_COLOURS[0])


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("overrides", "field", "needle"),
    [
        ({"num_agents": 11}, "num_agents", "the map has 10"),
        ({"num_agents": 0}, "num_agents", r"positive integer \(at most 256\)"),
        ({"actions": ("forward", "jump")}, "actions", r"unknown \['jump'\]"),
        ({"actions": ("stay", "stay")}, "actions", "repeat"),
        ({"spawn": "corner"}, "spawn", "accepted: random, fixed"),
        ({"view": (9, -1, 5)}, "view", "three integers >= 0"),
        ({"map": ("@@@", "@X@", "@@@")}, "map", r"unknown characters \['X'\]"),
        ({"map": ("@@@@", "@P@", "@@@@")}, "map", "rows differ in length"),
        ({"map": ("@@@", "@P@", "@@@")}, "map", "river cells"),
        ({"threshold_restoration": 0.5}, "threshold_restoration", "below threshold_depletion"),
        ({"apple_respawn_probability": 1.5}, "apple_respawn_probability", r"in \[0, 1\]"),
        ({"clean_length": 0}, "clean_length", ">= 1"),
        ({"max_steps": 0}, "max_steps", "an integer in 1"),
        ({"hit_reward": float("nan")}, "hit_reward", "finite"),
    ],
)
def test_bad_parameters_are_named(overrides, field, needle):
    with pytest.raises(ConfigError, match=rf"cleanup\.{field}: .*{needle}"):
        envs.make("cleanup", **overrides)
