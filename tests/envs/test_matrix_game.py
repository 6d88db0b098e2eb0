"""The iterated matrix game: payoffs, memory-one observations, ends, and sampled returns
of memory-one policies against the exact values of :mod:`prosocial.games.iterated`."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs, games
from prosocial.envs.matrix_game import GAMES, MatrixGameState
from prosocial.errors import ConfigError

C, D = 0, 1
KEY = jax.random.PRNGKey(0)
BIG = 50.0  # σ(±50) is exactly 1 or 0 in float32
TFT = [BIG, BIG, -BIG, BIG, -BIG]  # start C, then copy the other's last action
ALLD = [-BIG] * 5
RANDOM = [0.0] * 5


def test_rewards_are_the_payoff_tensor_entries():
    for name, constructor in GAMES.items():
        env = envs.make("iterated_matrix_game", game=name)
        payoffs = np.asarray(constructor())
        _, state = env.reset(KEY)
        joint = jnp.asarray([[a, b] for a in range(2) for b in range(2)])
        rewards = jax.jit(jax.vmap(lambda a: env.step(KEY, state, a)[2]))(joint)  # noqa: B023
        np.testing.assert_allclose(rewards, payoffs.reshape(2, 4).T, err_msg=name)
    # Table 4.1 Prisoner's Dilemma by default: R=3, S=0, T=4, P=1 for the row player
    env = envs.make("iterated_matrix_game")
    _, state = env.reset(KEY)
    _, _, rewards, *_ = env.step(KEY, state, jnp.asarray([C, D]))
    np.testing.assert_allclose(rewards, [0.0, 4.0])


def test_explicit_payoffs_take_precedence_and_may_be_vmapped():
    payoffs = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
    env = envs.make("iterated_matrix_game", game="chicken", payoffs=payoffs)
    _, state = env.reset(KEY)
    _, _, rewards, *_ = env.step(KEY, state, jnp.asarray([D, C]))
    np.testing.assert_allclose(rewards, [2.0, 6.0])
    # a batch of games in one compiled call: payoffs are data
    batch = jnp.stack([games.prisoners_dilemma(), games.chicken(), games.stag_hunt()])

    def first_reward(p):
        params = env.params.replace(payoffs=p)
        return env.step(KEY, env.reset(KEY, params)[1], jnp.asarray([D, C]), params)[2]

    np.testing.assert_allclose(jax.jit(jax.vmap(first_reward))(batch), batch[:, :, D, C])


def test_observation_is_memory_one_from_each_players_perspective():
    env = envs.make("iterated_matrix_game")
    obs, state = env.reset(KEY)
    np.testing.assert_array_equal(obs, [[1, 0, 0, 0, 0], [1, 0, 0, 0, 0]])  # start
    assert obs.dtype == jnp.uint8
    step = jax.jit(env.step)
    expected = {  # (a_1, a_2) -> state index seen by player 1, by player 2
        (C, C): (games.CC, games.CC),
        (C, D): (games.CD, games.DC),
        (D, C): (games.DC, games.CD),
        (D, D): (games.DD, games.DD),
    }
    for (a, b), (s1, s2) in expected.items():
        obs, state, *_ = step(KEY, state, jnp.asarray([a, b]))
        np.testing.assert_array_equal(obs, np.eye(5, dtype=np.uint8)[[s1, s2]])
    obs, *_ = step(KEY, MatrixGameState(jnp.int32(games.DD), jnp.int32(99)), jnp.asarray([C, C]))
    np.testing.assert_array_equal(obs[:, games.START], 1, err_msg="a fresh episode starts")


def test_episodes_truncate_at_max_steps_and_stop_with_the_continuation_probability():
    env = envs.make("iterated_matrix_game", max_steps=3)
    state = MatrixGameState(jnp.int32(games.CC), jnp.int32(1))
    *_, terminated, truncated, _ = env.step(KEY, state, jnp.asarray([C, C]))
    assert not bool(jnp.any(truncated | terminated))
    *_, terminated, truncated, _ = env.step(KEY, state.replace(t=jnp.int32(2)), jnp.asarray([C, C]))
    assert bool(jnp.all(truncated)) and not bool(jnp.any(terminated))

    env = envs.make("iterated_matrix_game", continuation=0.7)
    keys = jax.random.split(KEY, 20000)
    _, state = env.reset(KEY)
    stops = jax.jit(jax.vmap(lambda k: env.step(k, state, jnp.asarray([C, C]))[3]))(keys)
    assert bool(jnp.all(stops[:, 0] == stops[:, 1])), "the game stops for both players"
    rate = float(jnp.mean(stops[:, 0]))
    assert abs(rate - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 20000)
    env = envs.make("iterated_matrix_game")  # continuation 1: never stops early
    stops = jax.jit(jax.vmap(lambda k: env.step(k, state, jnp.asarray([C, C]))[3]))(keys)
    assert not bool(jnp.any(stops))


def sampled_returns(env, params, logits, gamma, episodes, key):
    """Returns of memory-one players, each discounted by ``gamma``: ``(episodes, 2)``.

    Player ``i`` cooperates with probability ``σ(logits[i] · obs_i)``. The episodes run
    side by side until each has ended once; rewards after an episode's end are not
    counted. ``params`` and ``logits`` may carry a leading batch axis (vmap over them).
    """

    def act(key, obs, logits):
        p_coop = jax.nn.sigmoid(jnp.sum(obs.astype(jnp.float32) * logits, axis=-1))
        return (jax.random.uniform(key, (2,)) >= p_coop).astype(jnp.int32)

    def one(key, params, logits):
        k_reset, key = jax.random.split(key)
        obs, state = env.reset(k_reset, params)

        def body(carry):
            obs, state, alive, ret, weight, key = carry
            key, k_act, k_step = jax.random.split(key, 3)
            actions = act(k_act, obs, logits)
            obs, state, rewards, terminated, truncated, _ = env.step(k_step, state, actions, params)
            ret = ret + jnp.where(alive, weight * rewards, 0.0)
            alive = alive & ~jnp.all(terminated | truncated)
            return obs, state, alive, ret, weight * gamma, key

        init = (obs, state, jnp.bool_(True), jnp.zeros(2), jnp.float32(1.0), key)
        return jax.lax.while_loop(lambda c: c[2], body, init)[3]

    keys = jax.random.split(key, episodes)
    return jax.vmap(one, in_axes=(0, None, None))(keys, params, logits)


PAIRS = {
    "tft_vs_random": [TFT, RANDOM],
    "alld_vs_tft": [ALLD, TFT],
    "random_memory_one": np.asarray(2.0 * jax.random.normal(jax.random.PRNGKey(11), (2, 5))),
    "other_random_memory_one": np.asarray(1.5 * jax.random.normal(jax.random.PRNGKey(12), (2, 5))),
}
NAMED = ("prisoners_dilemma", "chicken", "stag_hunt", "lola_prisoners_dilemma")
FIXED_GAMMA = 0.85  # over 100 steps the truncated tail is below γ^100·5/(1 − γ) < 3e-6


def _mean_and_error(returns):
    returns = np.asarray(returns, np.float64)
    return returns.mean(axis=-2), returns.std(axis=-2) / np.sqrt(returns.shape[-2])


@pytest.fixture(scope="module")
def sampled():
    """Sampled mean returns (and standard errors) of every pair in every named game.

    ``"ipd"``: the registered ``ipd`` (continuation 0.96), undiscounted returns;
    ``"fixed"``: ``iterated_matrix_game`` (100 steps, continuation 1), returns discounted
    by ``FIXED_GAMMA``. One compiled call each, vmapped over games and pairs.
    """
    logits = jnp.asarray(np.stack([np.asarray(PAIRS[k], np.float32) for k in sorted(PAIRS)]))
    ipd = envs.make("ipd")
    run = jax.jit(jax.vmap(lambda lg: sampled_returns(ipd, ipd.params, lg, 1.0, 8192, KEY)))
    out = {
        "ipd": dict(
            zip(sorted(PAIRS), zip(*_mean_and_error(run(logits)), strict=True), strict=True)
        )
    }
    env = envs.make("iterated_matrix_game")
    payoffs = jnp.stack([GAMES[g]() for g in NAMED])

    def per_game(p):
        params = env.params.replace(payoffs=p)
        return jax.vmap(lambda lg: sampled_returns(env, params, lg, FIXED_GAMMA, 4096, KEY))(logits)

    means, errors = _mean_and_error(jax.jit(jax.vmap(per_game))(payoffs))
    out["fixed"] = {
        (g, k): (means[i, j], errors[i, j])
        for i, g in enumerate(NAMED)
        for j, k in enumerate(sorted(PAIRS))
    }
    return out


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_ipd_episode_return_is_the_exact_discounted_value(sampled, pair):
    """``ipd`` stops with probability 1 − γ: its undiscounted return has mean V."""
    exact = np.asarray(games.memory_one_values(jnp.asarray(PAIRS[pair], jnp.float32)))
    mean, se = sampled["ipd"][pair]
    assert np.all(np.abs(mean - exact) < 4 * se + 1e-3), (mean, exact, se)


@pytest.mark.parametrize("game", NAMED)
@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_discounted_return_of_fixed_length_episodes_is_the_exact_value(sampled, game, pair):
    """Continuation 1, 100 steps: Σ_t γ^t r_t has mean V up to the truncated tail."""
    logits = jnp.asarray(PAIRS[pair], jnp.float32)
    exact = np.asarray(games.memory_one_values(logits, GAMES[game](), FIXED_GAMMA))
    mean, se = sampled["fixed"][game, pair]
    assert np.all(np.abs(mean - exact) < 4 * se + 1e-3), (mean, exact, se)


def test_deterministic_pairs_match_their_closed_forms():
    """AllD against TFT: (5, 0) then (1, 1) forever, in the Table 4.1 Prisoner's Dilemma."""
    gamma, steps = 0.9, 20
    env = envs.make("iterated_matrix_game", max_steps=steps)
    logits = jnp.asarray([ALLD, TFT])
    returns = jax.jit(lambda k: sampled_returns(env, env.params, logits, gamma, 4, k))(KEY)
    tail = gamma * (1 - gamma ** (steps - 1)) / (1 - gamma)  # (1, 1) in rounds 1 .. T − 1
    np.testing.assert_allclose(returns, np.broadcast_to([4.0 + tail, tail], (4, 2)), rtol=1e-5)


def test_renders_the_last_joint_action():
    env = envs.make("iterated_matrix_game")
    frames = {
        s: np.asarray(env.render(MatrixGameState(jnp.int32(s), jnp.int32(1)))) for s in range(5)
    }
    assert frames[0].shape == (64, 64, 3) and frames[0].dtype == np.uint8
    lit = {
        s: tuple(f[16, 16]) + tuple(f[16, 48]) + tuple(f[48, 16]) + tuple(f[48, 48])
        for s, f in frames.items()
    }
    assert len(set(lit.values())) == 5, "each joint action shows differently"
    assert tuple(frames[games.CD][16, 48]) != tuple(frames[games.CD][16, 16])


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"game": "prisoner_dilemma"}, "game"),
        ({"payoffs": np.zeros((2, 2))}, "payoffs"),
        ({"payoffs": np.zeros((2, 3, 3))}, "payoffs"),
        ({"payoffs": np.full((2, 2, 2), np.nan)}, "payoffs"),
        ({"continuation": 0.0}, "continuation"),
        ({"continuation": 1.5}, "continuation"),
        ({"max_steps": 0}, "max_steps"),
        ({"num_agents": 3}, "num_agents"),
    ],
)
def test_bad_parameters_are_named(overrides, field):
    with pytest.raises(ConfigError, match=rf"iterated_matrix_game\.{field}: "):
        envs.make("iterated_matrix_game", **overrides)


def test_unknown_game_lists_the_accepted_ones():
    with pytest.raises(
        ConfigError, match=r"accepted: chicken, lase_prisoners_dilemma, lola_prisoners_dilemma"
    ):
        envs.make("ipd", game="snowdrift")
