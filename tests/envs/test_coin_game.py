"""The Coin Game's rules, by scripted actions from hand-made states."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs.coin_game import CoinGameState
from prosocial.errors import ConfigError

UP, DOWN, LEFT, RIGHT, STAY = 0, 1, 2, 3, 4


def _state(pos, coin_pos, coin_colour, t=0):
    return CoinGameState(
        jnp.asarray(pos, jnp.int32),
        jnp.asarray(coin_pos, jnp.int32),
        jnp.asarray(coin_colour, jnp.int32),
        jnp.asarray(t, jnp.int32),
    )


@pytest.fixture(scope="module")
def game():
    env = envs.make("coin_game")
    return env, jax.jit(env.step)


def test_wrong_colour_pickup_costs_the_owner_two(game):
    _, step = game
    state = _state([[2, 2], [1, 1]], [[0, 1]], [0])  # a red coin just above blue
    _, nxt, rewards, *_, info = step(jax.random.PRNGKey(0), state, jnp.array([LEFT, UP]))
    np.testing.assert_allclose(rewards, [-2.0, 1.0])
    np.testing.assert_array_equal(info["coin/picked"], [0, 1])
    np.testing.assert_array_equal(info["coin/own"], [0, 0])
    np.testing.assert_array_equal(info["coin/lost"], [1, 0])
    # a new coin appears at once, on a cell no agent occupies
    assert not np.any(np.all(np.asarray(nxt.coin_pos)[0] == np.asarray(nxt.pos), axis=-1))


def test_own_colour_pickup_pays_one_and_costs_nobody(game):
    _, step = game
    state = _state([[1, 1], [2, 0]], [[1, 2]], [0])
    _, _, rewards, *_, info = step(jax.random.PRNGKey(0), state, jnp.array([RIGHT, UP]))
    np.testing.assert_allclose(rewards, [1.0, 0.0])
    np.testing.assert_array_equal(info["coin/own"], [1, 0])


def test_both_reaching_a_coin_are_credited_and_the_owner_is_charged(game):
    _, step = game
    state = _state([[1, 0], [1, 2]], [[1, 1]], [1])  # a blue coin between them
    _, _, rewards, *_ = step(jax.random.PRNGKey(0), state, jnp.array([RIGHT, LEFT]))
    np.testing.assert_allclose(rewards, [1.0, 1.0 - 2.0])


def test_moves_wrap_around_the_torus_and_agents_may_share_a_cell(game):
    _, step = game
    state = _state([[0, 0], [2, 2]], [[1, 1]], [0])
    _, nxt, *_ = step(jax.random.PRNGKey(0), state, jnp.array([UP, RIGHT]))
    np.testing.assert_array_equal(nxt.pos, [[2, 0], [2, 0]])


def test_episode_truncates_at_max_steps_and_resets(game):
    env, step = game
    state = _state([[0, 0], [2, 2]], [[1, 1]], [0], t=env.params.max_steps - 1)
    _, nxt, _, terminated, truncated, _ = step(jax.random.PRNGKey(0), state, jnp.array([UP, UP]))
    assert bool(jnp.all(truncated)) and not bool(jnp.any(terminated))
    assert int(nxt.t) == 0
    state = _state([[0, 0], [2, 2]], [[1, 1]], [0], t=5)
    _, nxt, _, _, truncated, _ = step(jax.random.PRNGKey(0), state, jnp.array([UP, UP]))
    assert not bool(jnp.any(truncated)) and int(nxt.t) == 6


def test_observations_show_the_board_from_each_agents_side():
    env = envs.make("coin_game_5x5", egocentric=True)
    state = _state([[0, 0], [1, 3]], [[4, 4]], [1])
    obs = np.asarray(env.observe_fn(state, env.params))
    centre = (2, 2)
    for i in range(2):
        assert obs[i, centre[0], centre[1], 0] == 1 and obs[i, ..., 0].sum() == 1
    # agent 0 sees agent 1 one row down, three columns right; the blue coin is not its own
    assert obs[0, 3, 0, 1] == 1 and obs[0, ..., 2].sum() == 0 and obs[0, 1, 1, 3] == 1
    # agent 1 sees the same coin as its own: (4,4) - (1,3) = (3,1) -> centre + (3,1) mod 5
    assert obs[1, 0, 3, 2] == 1 and obs[1, ..., 3].sum() == 0


def test_coin_colours_and_cells_are_uniform():
    env = envs.make("coin_game", num_agents=3, size=3)
    keys = jax.random.split(jax.random.PRNGKey(0), 6000)
    states = jax.vmap(env.init_fn, in_axes=(0, None))(keys, env.params)
    colours = np.bincount(np.asarray(states.coin_colour[:, 0]), minlength=3) / 6000
    np.testing.assert_allclose(colours, 1 / 3, atol=0.025)
    pos = np.asarray(states.pos)
    assert np.all(np.any(pos[:, 0] != pos[:, 1], axis=-1))  # agents start apart
    coin = np.asarray(states.coin_pos[:, 0])
    assert not np.any(np.all(coin[:, None] == pos, axis=-1))  # coin on a free cell
    cells = np.bincount(coin[:, 0] * 3 + coin[:, 1], minlength=9) / 6000
    np.testing.assert_allclose(cells, 1 / 9, atol=0.02)


def test_per_agent_coins_keep_one_coin_of_every_colour():
    env = envs.make("coin_game", coins="per_agent", stay_action=True)
    assert env.action_space(env.params).n == 5
    state = _state([[0, 0], [2, 2]], [[0, 1], [0, 0]], [0, 1])
    _, nxt, rewards, *_ = jax.jit(env.step)(jax.random.PRNGKey(1), state, jnp.array([STAY, UP]))
    np.testing.assert_allclose(rewards, [1.0, -2.0])  # red stays on blue's coin: +1, blue -2
    np.testing.assert_array_equal(nxt.coin_colour, [0, 1])
    assert not np.array_equal(np.asarray(nxt.coin_pos[1]), [0, 0])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("coins", "many", "accepted: single, per_agent"),
        ("num_agents", 1, "at least 2"),
        ("size", 2, "no free cell"),
        ("max_steps", 0, "an integer in 1"),
    ],
)
def test_bad_parameters_are_named(field, value, message):
    kwargs = {field: value}
    if field == "size":
        kwargs["num_agents"] = 4
    with pytest.raises(ConfigError, match=f"coin_game.{field}: .*{message}"):
        envs.make("coin_game", **kwargs)
