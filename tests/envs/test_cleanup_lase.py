"""LASE's small Cleanup: every rule on scripted states, regrowth, the start, the view, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs.cleanup_lase import ACTIONS, CleanupLaseState
from prosocial.errors import ConfigError

UP, DOWN, LEFT, RIGHT, STAY, CLEAN, EAT = range(7)
KEY = jax.random.PRNGKey(0)
FULL_RIVER = [(r, c) for r in (0, 1) for c in range(8)]
FULL_ORCHARD = [(r, c) for r in (6, 7) for c in range(8)]


@pytest.fixture(scope="module")
def env():
    return envs.make("cleanup_lase")


def board(pos, waste=(), apples=(), t=0):
    w, a = np.zeros((8, 8), bool), np.zeros((8, 8), bool)
    for r, c in waste:
        w[r, c] = True
    for r, c in apples:
        a[r, c] = True
    return CleanupLaseState(
        jnp.asarray(pos, jnp.int32), jnp.asarray(w), jnp.asarray(a), jnp.int32(t)
    )


def play(env, state, actions, params=None, key=KEY):
    params = env.params if params is None else params
    return jax.jit(env.transition_fn)(key, state, jnp.asarray(actions, jnp.int32), params)


@pytest.fixture(scope="module")
def many(env):
    """``run(state, actions, params, count)``: one transition of ``state`` under ``count``
    different keys, jitted and vmapped over the keys."""

    @jax.jit
    def batch(keys, state, actions, params):
        return jax.vmap(env.transition_fn, in_axes=(0, None, None, None))(
            keys, state, actions, params
        )

    def run(state, actions, params=None, count=4000):
        params = env.params if params is None else params
        keys = jax.random.split(jax.random.PRNGKey(7), count)
        return batch(keys, state, jnp.asarray(actions, jnp.int32), params)

    return run


def test_defaults_follow_the_development_code(env):
    p = env.params
    assert (p.num_agents, p.height, p.width, p.waste_rows, p.apple_rows) == (4, 8, 8, 2, 2)
    assert (p.initial_waste, int(p.max_waste), int(p.max_steps), p.view_radius) == (8, 8, 100, 2)
    assert (float(p.waste_spawn_prob), float(p.apple_reward), float(p.clean_cost)) == (
        pytest.approx(0.1),
        1.0,
        0.0,
    )
    assert ACTIONS == ("up", "down", "left", "right", "stay", "clean", "eat")
    assert env.observation_space(p).shape == (5, 5, 7)
    assert env.action_space(p).n == 7


def test_clean_removes_the_waste_under_the_player_only(env):
    params = env.params.replace(waste_spawn_prob=0.0, clean_cost=0.5)
    # player 0 on waste at (0, 1); player 1 at (1, 3) next to waste at (0, 3) and (1, 4)
    state = board([(0, 1), (1, 3), (4, 4), (5, 5)], waste=[(0, 1), (0, 3), (1, 4), (0, 7)])
    nxt, rewards, _, _, info = play(env, state, [CLEAN, CLEAN, CLEAN, STAY], params)
    np.testing.assert_array_equal(info["cleanup/waste_cleaned"], [1, 0, 0, 0])
    np.testing.assert_array_equal(info["cleanup/apples"], 0)
    np.testing.assert_allclose(rewards, [-0.5, 0.0, 0.0, 0.0])
    waste = np.asarray(nxt.waste)
    assert not waste[0, 1], "the cleaned cell"
    assert waste[0, 3] and waste[1, 4] and waste[0, 7], "adjacent waste is left alone"
    assert waste.sum() == 3
    np.testing.assert_array_equal(nxt.pos, state.pos)  # cleaning does not move
    # the default cost is 0, as in the development code
    _, rewards, *_ = play(env, state, [CLEAN, STAY, STAY, STAY])
    np.testing.assert_array_equal(rewards, 0.0)


def test_eat_takes_the_apple_under_the_player_only(env):
    params = env.params.replace(waste_spawn_prob=0.0)
    state = board(
        [(6, 2), (7, 4), (5, 5), (2, 2)],
        waste=FULL_RIVER,  # no apple can grow: only the eaten ones change
        apples=[(6, 2), (6, 4), (7, 5), (6, 5)],
    )
    nxt, rewards, _, _, info = play(env, state, [EAT, EAT, EAT, EAT], params)
    np.testing.assert_allclose(rewards, [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(info["cleanup/apples"], [1, 0, 0, 0])
    np.testing.assert_array_equal(info["cleanup/waste_cleaned"], 0)
    apples = np.asarray(nxt.apples)
    assert not apples[6, 2] and apples[6, 4] and apples[7, 5] and apples[6, 5]
    assert apples.sum() == 3
    # the reward is data
    _, rewards, *_ = play(env, state, [EAT, STAY, STAY, STAY], params.replace(apple_reward=2.5))
    np.testing.assert_allclose(rewards, [2.5, 0.0, 0.0, 0.0])


def test_a_move_and_an_action_on_the_cell_left_behind_do_not_mix(env):
    # moving onto an apple does not eat it; eating happens at the player's cell after moves
    state = board([(5, 2), (7, 7), (3, 3), (3, 4)], waste=FULL_RIVER, apples=[(6, 2)])
    nxt, rewards, *_ = play(env, state, [DOWN, EAT, STAY, STAY])
    np.testing.assert_array_equal(rewards, 0.0)
    np.testing.assert_array_equal(nxt.pos[0], [6, 2])
    assert bool(nxt.apples[6, 2])


def test_players_share_cells_and_stop_at_the_edge(env):
    state = board([(0, 0), (3, 3), (3, 4), (7, 7)])
    nxt, *_ = play(env, state, [UP, RIGHT, LEFT, DOWN])
    np.testing.assert_array_equal(nxt.pos, [[0, 0], [3, 4], [3, 3], [7, 7]])
    nxt, *_ = play(env, state, [LEFT, RIGHT, STAY, RIGHT])
    np.testing.assert_array_equal(nxt.pos, [[0, 0], [3, 4], [3, 4], [7, 7]])


def test_a_contested_resource_goes_to_one_player_chosen_at_random(env, many):
    state = board([(6, 3), (6, 3), (0, 5), (0, 5)], waste=[(0, 5)], apples=[(6, 3)])
    params = env.params.replace(waste_spawn_prob=0.0)
    _, rewards, _, _, info = many(state, [EAT, EAT, CLEAN, CLEAN], params, count=200)
    apples, cleaned = np.asarray(info["cleanup/apples"]), np.asarray(info["cleanup/waste_cleaned"])
    np.testing.assert_array_equal(apples[:, :2].sum(axis=1), 1)
    np.testing.assert_array_equal(cleaned[:, 2:].sum(axis=1), 1)
    np.testing.assert_allclose(np.asarray(rewards)[:, :2], apples[:, :2])
    for wins in (apples[:, 0], cleaned[:, 2]):
        assert 50 < wins.sum() < 150, "either player may win, about half the time each"


def test_no_apple_grows_with_a_full_river(env, many):
    state = board([(2, 0), (3, 0), (4, 0), (5, 0)], waste=[(0, c) for c in range(8)])
    nxt, *_ = many(state, [STAY] * 4)
    assert int(np.asarray(nxt.apples).sum()) == 0
    # nor with more waste than the cap
    state = board([(2, 0), (3, 0), (4, 0), (5, 0)], waste=FULL_RIVER)
    nxt, *_ = many(state, [STAY] * 4)
    assert int(np.asarray(nxt.apples).sum()) == 0


def test_a_clean_river_grows_exactly_one_apple_a_step(env, many):
    """The development code draws once per step and places one apple: a rule drawing per
    orchard cell would grow all 16 here."""
    state = board([(2, 0), (3, 0), (4, 0), (5, 0)], apples=[(6, 0), (7, 7)])
    nxt, *_ = many(state, [STAY] * 4)
    apples = np.asarray(nxt.apples)
    np.testing.assert_array_equal(apples.sum(axis=(1, 2)), 3)
    assert np.all(apples[:, 6, 0] & apples[:, 7, 7])
    assert not np.any(apples[:, :6]), "apples grow in the orchard rows only"
    # the new apple is uniform over the 14 empty orchard cells
    counts = apples[:, 6:].reshape(-1, 16).sum(axis=0)
    free = np.ones(16, bool)
    free[[0, 15]] = False
    expected, sigma = 4000 / 14, np.sqrt(4000 * (1 / 14) * (13 / 14))
    assert np.all(np.abs(counts[free] - expected) < 5 * sigma), counts
    # a full orchard stays full (and nothing breaks)
    full = board([(2, 0), (3, 0), (4, 0), (5, 0)], apples=FULL_ORCHARD)
    nxt, *_ = many(full, [STAY] * 4, count=50)
    assert np.all(np.asarray(nxt.apples)[:, 6:])


def test_the_apple_probability_is_one_minus_the_waste_share_after_cleaning(env, many):
    params = env.params.replace(waste_spawn_prob=0.0)
    count = 8000
    # 4 waste cells: probability 1/2
    state = board([(2, 0), (3, 0), (4, 0), (5, 0)], waste=[(0, c) for c in range(4)])
    nxt, *_ = many(state, [STAY] * 4, params, count)
    grown = np.asarray(nxt.apples).sum(axis=(1, 2))
    assert set(np.unique(grown)) <= {0, 1}
    assert abs(grown.mean() - 0.5) < 5 * np.sqrt(0.25 / count)
    # 8 waste cells of which one is cleaned this step: 7 left, probability 1/8 (a rule
    # reading the waste before the cleaning would give 0)
    state = board([(0, 0), (3, 0), (4, 0), (5, 0)], waste=[(0, c) for c in range(8)])
    nxt, *_ = many(state, [CLEAN, STAY, STAY, STAY], params, count)
    grown = np.asarray(nxt.apples).sum(axis=(1, 2))
    p = 1 / 8
    assert abs(grown.mean() - p) < 5 * np.sqrt(p * (1 - p) / count)


def test_waste_spawns_one_cell_with_its_probability_up_to_the_cap(env, many):
    count = 8000
    state = board([(2, 0), (3, 0), (4, 0), (5, 0)], waste=[(0, 0), (1, 7)])
    nxt, *_ = many(state, [STAY] * 4, count=count)
    waste = np.asarray(nxt.waste)
    added = waste.sum(axis=(1, 2)) - 2
    assert set(np.unique(added)) <= {0, 1}
    assert abs(added.mean() - 0.1) < 5 * np.sqrt(0.09 / count)
    assert not np.any(waste[:, 2:]), "waste lies in the river rows only"
    assert np.all(waste[:, 0, 0] & waste[:, 1, 7])
    # certain spawns are uniform over the 14 clean river cells
    nxt, *_ = many(state, [STAY] * 4, env.params.replace(waste_spawn_prob=1.0), count)
    counts = np.asarray(nxt.waste)[:, :2].reshape(-1, 16).sum(axis=0)
    np.testing.assert_array_equal(counts[[0, 15]], count)
    p = 1 / 14
    assert np.all(np.abs(counts[1:15] - count * p) < 5 * np.sqrt(count * p * (1 - p))), counts
    # at the cap (8 cells) nothing spawns
    capped = board([(2, 0), (3, 0), (4, 0), (5, 0)], waste=[(0, c) for c in range(8)])
    nxt, *_ = many(capped, [STAY] * 4, env.params.replace(waste_spawn_prob=1.0), 100)
    np.testing.assert_array_equal(np.asarray(nxt.waste).sum(axis=(1, 2)), 8)


def test_observation_layout_on_a_scripted_state(env):
    # player 0 at (6, 1): its window covers rows 4..8 and columns -1..3; players 1 and 2
    # share (7, 2); player 3 far away
    state = board(
        [(6, 1), (7, 2), (7, 2), (0, 7)],
        waste=[(0, 7), (1, 0)],
        apples=[(6, 0), (7, 3), (6, 6)],
    )
    obs = np.asarray(env.observe_fn(state, env.params))
    assert obs.shape == (4, 5, 5, 7) and obs.dtype == np.uint8
    assert env.observation_space(env.params).contains(obs)
    p0, p1, p2, p3, waste, apple, outside = np.moveaxis(obs[0], -1, 0)
    assert p0[2, 2] == 1 and p0.sum() == 1, "self by its absolute index, at the centre"
    assert p1[3, 3] == 1 and p1.sum() == 1 and p2[3, 3] == 1 and p2.sum() == 1
    assert p3.sum() == 0 and waste.sum() == 0
    assert apple[2, 1] == 1 and apple[3, 4] == 1 and apple.sum() == 2
    np.testing.assert_array_equal(outside[4], 1)  # the row below the board
    np.testing.assert_array_equal(outside[:, 0], 1)  # the column left of it
    assert outside.sum() == 9
    assert np.all(obs[0][outside == 1][:, :6] == 0), "outside cells hold nothing else"
    # player 3 at the top-right corner sees the waste under itself
    p0, p1, p2, p3, waste, apple, outside = np.moveaxis(obs[3], -1, 0)
    assert p3[2, 2] == 1 and waste[2, 2] == 1 and waste.sum() == 1
    assert outside[:2].all() and outside[:, 3:].all() and outside.sum() == 16
    assert p0.sum() + p1.sum() + p2.sum() + apple.sum() == 0
    # a bigger view sees more of the board
    params = env.params.replace(view_radius=3)
    big = np.asarray(env.observe_fn(state, params))
    assert big.shape == (4, 7, 7, 7) and env.observation_space(params).contains(big)


def test_episodes_last_max_steps(env):
    state = board([(2, 0), (3, 0), (4, 0), (5, 0)], t=98)
    *_, terminated, truncated, _ = play(env, state, [STAY] * 4)
    assert not bool(jnp.any(truncated | terminated))
    *_, terminated, truncated, _ = play(env, state.replace(t=jnp.int32(99)), [STAY] * 4)
    assert bool(jnp.all(truncated)) and not bool(jnp.any(terminated))

    def body(state, k):
        k_act, k_step = jax.random.split(k)
        actions = jax.random.randint(k_act, (4,), 0, 7)
        _, nxt, _, terminated, truncated, _ = env.step(k_step, state, actions)
        return nxt, (terminated | truncated, nxt.t)

    _, state = env.reset(KEY)
    _, (done, t) = jax.jit(lambda s: jax.lax.scan(body, s, jax.random.split(KEY, 250)))(state)
    ends = np.flatnonzero(np.asarray(done).all(axis=1))
    np.testing.assert_array_equal(ends, [99, 199])
    assert int(t[99]) == 0 and int(t[98]) == 99, "the automatic reset starts a fresh episode"


def test_start_states_are_well_formed(env):
    draws = 20000
    states = jax.jit(jax.vmap(lambda k: env.reset(k)[1]))(jax.random.split(KEY, draws))
    pos = np.asarray(states.pos)
    assert np.all((pos[..., 0] >= 2) & (pos[..., 0] <= 5)), "players start between the rows"
    flat = np.sort(pos[..., 0] * 8 + pos[..., 1], axis=1)
    assert np.all(flat[:, 1:] != flat[:, :-1]), "players start on distinct cells"
    waste = np.asarray(states.waste)
    np.testing.assert_array_equal(waste.sum(axis=(1, 2)), 8)
    assert not waste[:, 2:].any() and not np.asarray(states.apples).any()
    np.testing.assert_array_equal(states.t, 0)
    for counts, p in [
        (waste[:, :2].reshape(draws, 16).sum(axis=0), 8 / 16),
        (np.bincount(flat.ravel() - 16, minlength=32), 4 / 32),
    ]:
        sigma = np.sqrt(draws * p * (1 - p))
        assert np.all(np.abs(counts - draws * p) < 5 * sigma), counts


def test_jit_and_vmap_over_states_and_data_parameters(env, batched_transition):
    states = jax.vmap(env.init_fn, in_axes=(0, None))(jax.random.split(KEY, 16), env.params)
    nxt, rewards, _, _, info = batched_transition(env)(states, [CLEAN] * 4)
    assert rewards.shape == (16, 4) and rewards.dtype == jnp.float32
    assert nxt.waste.shape == (16, 8, 8) and info["cleanup/waste_cleaned"].shape == (16, 4)
    # vmap over the apple reward and the spawn probability in one compiled call
    state = board([(6, 2), (7, 4), (3, 3), (2, 2)], apples=[(6, 2)], waste=[(0, 0)])
    rewards_of = jax.jit(
        jax.vmap(
            lambda a, p: play(
                env,
                state,
                [EAT, STAY, STAY, STAY],
                env.params.replace(apple_reward=a, waste_spawn_prob=p),
            )[1][0]
        )
    )
    np.testing.assert_allclose(rewards_of(jnp.asarray([1.0, 3.0]), jnp.asarray([0.0, 1.0])), [1, 3])


def test_a_random_rollout_keeps_the_books(env):
    def body(state, k):
        k_act, k_step = jax.random.split(k)
        actions = jax.random.randint(k_act, (4,), 0, 7)
        _, nxt, rewards, _, _, info = env.step(k_step, state, actions)
        return nxt, (rewards, info["cleanup/apples"], info["cleanup/waste_cleaned"], nxt)

    def run(key):
        _, state = env.reset(key)
        return jax.lax.scan(body, state, jax.random.split(key, 100))[1]

    rewards, apples, cleaned, states = jax.jit(jax.vmap(run))(jax.random.split(KEY, 16))
    np.testing.assert_allclose(rewards, apples)  # apple reward 1, cleaning free
    assert cleaned.sum() > 0 and apples.sum() > 0
    waste = np.asarray(states.waste)
    assert not waste[..., 2:, :].any() and waste.sum(axis=(-1, -2)).max() <= 8
    assert not np.asarray(states.apples)[..., :6, :].any()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"num_agents": 1}, "num_agents"),
        ({"num_agents": 33}, "num_agents"),
        ({"height": 4}, "height"),
        ({"width": 0}, "width"),
        ({"waste_rows": 0}, "waste_rows"),
        ({"initial_waste": 17}, "initial_waste"),
        ({"max_waste": 0}, "max_waste"),
        ({"view_radius": -1}, "view_radius"),
        ({"max_steps": 0}, "max_steps"),
        ({"waste_spawn_prob": 1.5}, "waste_spawn_prob"),
        ({"apple_reward": float("nan")}, "apple_reward"),
        ({"clean_cost": float("inf")}, "clean_cost"),
        ({"width": 3.0}, "width"),
    ],
)
def test_bad_parameters_are_named(overrides, field):
    with pytest.raises(ConfigError, match=rf"cleanup_lase\.{field}: "):
        envs.make("cleanup_lase", **overrides)
