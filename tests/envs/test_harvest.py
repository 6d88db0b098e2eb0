"""Harvest's rules on scripted states of a small map, the registered game and errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs import harvest, ssd
from prosocial.envs.grid import DOWN, LEFT, UP
from prosocial.errors import ConfigError

ACTION = {name: i for i, name in enumerate(harvest.ACTIONS)}
STAY, FIRE, FORWARD = ACTION["stay"], ACTION["fire"], ACTION["forward"]
FLOOR, WALL, APPLE = ssd.FLOOR, ssd.WALL, ssd.APPLE

# apple cells in rows 1-5, columns 1-21; spawn cells in row 6
MAP = (
    "@" * 23,
    "@" + "A" * 21 + "@",
    "@" + "A" * 21 + "@",
    "@" + "A" * 21 + "@",
    "@" + "A" * 21 + "@",
    "@" + "A" * 21 + "@",
    "@" + "P" * 21 + "@",
    "@" * 23,
)
SHAPE = (8, 23)
BATCH = 3000


@pytest.fixture(scope="module")
def game(batched_transition):
    env = envs.make("harvest", map=MAP, num_agents=2)
    play = batched_transition(env)
    return env, play


def scene(pos, orient, apples=(), t=0, copies=1):
    """A scripted state of ``MAP`` with apples on the listed cells only."""
    codes = np.zeros(SHAPE, np.uint8)
    codes[np.array([list(r) for r in MAP]) == "@"] = WALL
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


AROUND = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def test_regrowth_probability_depends_on_the_apples_around():
    # each target cell in row 3 has 0, 1, 2, 3 or 5 apples in its 3x3 square; the targets
    # are 4 columns apart so that no apple is in two squares
    targets = {2: 0, 6: 1, 10: 2, 14: 3, 18: 5}
    apples = [(3 + dr, c + dc) for c, k in targets.items() for dr, dc in AROUND[:k]]
    env = envs.make("harvest", map=MAP, num_agents=2, regrowth_probabilities=(0.0, 0.1, 0.3, 0.6))
    step = jax.jit(jax.vmap(env.transition_fn, in_axes=(0, None, None, None)))
    state = jax.tree.map(lambda x: x[0], scene([[6, 1], [6, 2]], [UP, UP], apples=apples))
    keys = jax.random.split(jax.random.PRNGKey(1), BATCH)
    nxt, *_ = step(keys, state, jnp.asarray([STAY, STAY]), env.params)
    grid = np.asarray(nxt.grid)
    for c, k in targets.items():
        rate = np.mean(grid[:, 3, c] == APPLE)
        assert abs(rate - (0.0, 0.1, 0.3, 0.6)[min(k, 3)]) < 0.03, (c, k, rate)
    # apples never vanish by themselves, and cells with no apple around never grow
    assert np.all(grid[:, [a[0] for a in apples], [a[1] for a in apples]] == APPLE)
    lone = np.zeros(SHAPE, bool)
    lone[1:6, 1:22] = True
    for r, c in apples:
        lone[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2] = False
    assert not np.any(grid[:, lone] == APPLE)


def brute_counts(apples, radius_sq):
    h, w = apples.shape
    counts = np.zeros((h, w), int)
    for r in range(h):
        for c in range(w):
            for dr in range(-2, 3):
                for dc in range(-2, 3):
                    inside = 0 <= r + dr < h and 0 <= c + dc < w
                    if (dr, dc) != (0, 0) and dr * dr + dc * dc <= radius_sq and inside:
                        counts[r, c] += apples[r + dr, c + dc]
    return counts


@pytest.mark.parametrize("radius_sq", [2, 4])
def test_neighbour_counts_cover_the_square_or_the_disc(radius_sq):
    rng = np.random.default_rng(2)
    params = harvest.HarvestParams(map=MAP, num_agents=2, regrowth_radius_sq=radius_sq)
    cells = harvest.layout(params).cells["apple"]
    for _ in range(5):
        apples = rng.random(SHAPE) < 0.4
        codes = np.where(apples, APPLE, FLOOR).astype(np.uint8)
        got = np.asarray(harvest.neighbour_counts(jnp.asarray(codes), params))
        expect = brute_counts(apples.astype(int), radius_sq).reshape(-1)[cells]
        np.testing.assert_array_equal(got, expect)
    # SSD's 3x3 square: 8 neighbours; Melting Pot's radius-2 disc: 12
    assert len(harvest.neighbour_offsets(radius_sq)) == {2: 8, 4: 12}[radius_sq]


def test_melting_pot_regrowth_counts_apples_two_cells_away():
    params = dict(map=MAP, num_agents=2, regrowth_probabilities=(0.0, 1.0))
    state = jax.tree.map(lambda x: x[0], scene([[6, 1], [6, 2]], [UP, UP], apples=[(3, 5)]))
    for radius_sq, grows in ((2, False), (4, True)):
        env = envs.make("harvest", regrowth_radius_sq=radius_sq, **params)
        nxt, *_ = jax.jit(env.transition_fn)(
            jax.random.PRNGKey(0), state, jnp.asarray([STAY, STAY]), env.params
        )
        assert (np.asarray(nxt.grid)[3, 7] == APPLE) == grows  # two cells to the right
        assert np.asarray(nxt.grid)[4, 7] == FLOOR  # (1, 2) away: outside both


def test_eating_pays_one_and_an_occupied_cell_does_not_regrow(game):
    env, play = game
    params = env.replace(regrowth_probabilities=(1.0,)).params  # every free cell regrows
    # agent 0 steps up from (2, 1) onto the apple at (1, 1); agent 1 stays at (4, 4)
    state = scene([[2, 1], [4, 4]], [UP, DOWN], apples=[(1, 1)])
    nxt, rewards, *_, info = first(play(state, [FORWARD, STAY], params))
    np.testing.assert_allclose(rewards, [1.0, 0.0])
    np.testing.assert_array_equal(info["harvest/apples"], [1, 0])
    grid = np.asarray(nxt.grid)
    assert grid[1, 1] == FLOOR and grid[4, 4] == FLOOR  # both under an agent
    assert grid[2, 1] == APPLE and np.sum(grid == APPLE) == 5 * 21 - 2
    assert int(info["harvest/apples_left"]) == 5 * 21 - 2


def test_firing_costs_one_and_each_hit_line_fifty(game):
    _, play = game
    # agent 0 faces left from (3, 5); agent 1 stands on its right-hand line (row 2)
    state = scene([[3, 5], [2, 3]], [LEFT, UP])
    _, rewards, *_, info = first(play(state, [FIRE, STAY]))
    np.testing.assert_allclose(rewards, [-1.0, -50.0])
    np.testing.assert_array_equal(info["harvest/fired"], [1, 0])
    np.testing.assert_array_equal(info["harvest/hit"], [0, 1])
    # out of reach: six cells ahead on the centre line
    state = scene([[3, 8], [3, 2]], [LEFT, UP])
    _, rewards, *_ = first(play(state, [FIRE, STAY]))
    np.testing.assert_allclose(rewards, [-1.0, 0.0])


def test_the_egocentric_view_shows_what_is_ahead_in_the_top_rows(game):
    env, _ = game
    env = env.replace(view=(3, 1, 2))
    for o, (dr, dc) in enumerate([(-1, 0), (0, 1), (1, 0), (0, -1)]):
        apple = (3 + 2 * dr, 10 + 2 * dc)
        state = jax.tree.map(lambda x: x[0], scene([[3, 10], [6, 1]], [o, UP], apples=[apple]))
        obs = np.asarray(env.observe_fn(state, env.params))[0]  # (5, 5, 4)
        assert obs.shape == (5, 5, 4)
        assert obs[1, 2, 1] == 1 and obs[..., 1].sum() == 1  # apple channel
        assert obs[3, 2, 2] == 1 and obs[..., 2].sum() == 1  # self channel


def test_the_episode_truncates_at_max_steps_and_resets(game):
    env, _ = game
    env = env.replace(max_steps=3)
    state = jax.tree.map(lambda x: x[0], scene([[6, 1], [6, 2]], [UP, UP], t=2))
    _, nxt, _, terminated, truncated, _ = jax.jit(env.step)(
        jax.random.PRNGKey(0), state, jnp.asarray([STAY, STAY])
    )
    assert truncated.all() and not terminated.any() and int(nxt.t) == 0
    np.testing.assert_array_equal(nxt.grid, harvest.layout(env.params).start)
    assert np.all(np.asarray(nxt.pos)[:, 0] == 6)  # on spawn cells


def test_the_ssd_game_starts_with_every_apple_and_melting_pot_sizes_work():
    env = envs.make("harvest")
    obs, state = env.reset(jax.random.PRNGKey(0))
    chars = np.array([list(r) for r in harvest.HARVEST_MAP])
    np.testing.assert_array_equal(np.asarray(state.grid) == APPLE, chars == "A")
    assert np.sum(chars == "A") == 155 and obs.shape == (5, 15, 15, 4)
    assert env.action_names(env.params) == harvest.ACTIONS and env.params.max_steps == 1000
    big = envs.make("harvest", num_agents=7, view=(9, 1, 5))
    obs, state = big.reset(jax.random.PRNGKey(1))
    assert obs.shape == (7, 11, 11, 4)
    assert len({tuple(p) for p in np.asarray(state.pos).tolist()}) == 7


def test_spawn_and_orientation_are_uniform():
    env = envs.make("harvest", map=MAP, num_agents=2)
    states = jax.jit(jax.vmap(env.init_fn, in_axes=(0, None)))(
        jax.random.split(jax.random.PRNGKey(3), 4000), env.params
    )
    cols = np.asarray(states.pos)[:, :, 1]
    assert np.all(cols[:, 0] != cols[:, 1]) and np.all(np.asarray(states.pos)[:, :, 0] == 6)
    assert np.all(np.abs(np.bincount(cols[:, 0], minlength=22)[1:] / 4000 - 1 / 21) < 0.012)
    orient = np.bincount(np.asarray(states.orient).reshape(-1), minlength=4) / 8000
    assert np.all(np.abs(orient - 0.25) < 0.02)


def test_render_shape_and_colours():
    env = envs.make("harvest")
    _, state = env.reset(jax.random.PRNGKey(0))
    frame = np.asarray(jax.jit(env.render)(state))
    scale = ssd.RENDER_SCALE
    assert frame.shape == (16 * scale, 38 * scale, 3) and frame.dtype == np.uint8
    np.testing.assert_array_equal(frame[0, 0], [180, 180, 180])
    np.testing.assert_array_equal(frame[1 * scale + 1, 13 * scale + 1], [0, 255, 0])  # apple


@pytest.mark.parametrize(
    ("overrides", "field", "needle"),
    [
        ({"num_agents": 21}, "num_agents", "the map has 20"),
        ({"actions": ("forward", "clean")}, "actions", "unknown"),
        ({"regrowth_radius_sq": 0}, "regrowth_radius_sq", ">= 1"),
        ({"regrowth_probabilities": (0.0, 1.2)}, "regrowth_probabilities", "probabilities"),
        ({"regrowth_probabilities": ()}, "regrowth_probabilities", "probabilities"),
        ({"map": ("@@@", "@B@", "@@@")}, "map", "unknown characters"),
        ({"random_orientation": "yes"}, "random_orientation", "True or False"),
        ({"fire_length": 0}, "fire_length", ">= 1"),
    ],
)
def test_bad_parameters_are_named(overrides, field, needle):
    with pytest.raises(ConfigError, match=rf"harvest\.{field}: .*{needle}"):
        envs.make("harvest", **overrides)


def test_random_words_cut_into_uniform_24_bit_integers():
    out = ssd.draw(jax.random.PRNGKey(4), {"move": 3}, {"apples": 40001})
    assert out["move"].shape == (3,) and out["apples"].shape == (40001,)
    u = np.asarray(out["apples"])
    assert u.max() < 2**24
    bits = (u[:, None] >> np.arange(24)) & 1  # every bit a fair coin
    assert np.all(np.abs(bits.mean(axis=0) - 0.5) < 0.01)
    # the Bernoulli bound makes u / 2**24 < p exactly
    assert int(ssd.threshold(0.25)) == 2**22 and int(ssd.threshold(1.0)) == 2**24
    assert abs(np.mean(np.asarray(ssd.bernoulli(out["apples"], ssd.threshold(0.3)))) - 0.3) < 0.01


def test_the_small_orchard_is_registered_with_its_apples_and_players():
    env = envs.make("harvest_small")
    obs, state = env.reset(jax.random.key(0), env.params)
    assert env.num_agents() == 4 and env.params.max_steps == 100
    assert obs.shape == (4, 9, 9, 4)
    assert int(jnp.sum(state.grid == APPLE)) == 26
    # every agent starts on one of the four corner spawn cells, none shared
    corners = {(1, 1), (1, 12), (8, 1), (8, 12)}
    assert {tuple(int(v) for v in p) for p in np.asarray(state.pos)} == corners
    # stripped bare, it never regrows: no apple cell has an apple around it
    stay = jnp.full((4,), STAY)
    bare = state.replace(grid=jnp.where(state.grid == APPLE, FLOOR, state.grid))
    for k in jax.random.split(jax.random.key(1), 20):
        _, bare, *_ = env.step(k, bare, stay, env.params)
    assert int(jnp.sum(bare.grid == APPLE)) == 0
