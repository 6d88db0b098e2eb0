"""Social metrics against hand-computed values, over batches and episodes, and the two
routes (raw trajectory, episode-statistics wrapper) giving the same numbers."""

import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs, metrics
from prosocial.envs import wrappers
from prosocial.errors import ConfigError

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

GLOSSARY = pathlib.Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


# --------------------------------------------------------------------------------------
# the formulas on hand-computed cases


# golden values: (returns, published E, absolute E)
EQUALITY_GOLDEN = [
    ([1.0, 1.0], 1.0, 1.0),
    ([2.0, 0.0], 0.5, 0.5),
    ([3.0, 0.0, 0.0], 1.0 - 12.0 / 18.0, 1.0 - 12.0 / 18.0),  # Σ|R_i − R_j| = 12, 2NΣR = 18
    ([3.0, -1.0], 0.0, 0.5),  # Σ|R_i − R_j| = 8; published 8 / (2·2·2), absolute 8 / (2·2·4)
    ([4.0, -1.0, 1.0], 1.0 - 20.0 / 24.0, 1.0 - 20.0 / 36.0),  # Σ|..| = 20, ΣR = 4, Σ|R| = 6
    ([1.0, -1.0], np.nan, 0.5),  # ΣR = 0: published undefined; absolute 1 − 4 / (2·2·2)
    ([-2.0, -2.0], np.nan, 1.0),
    ([-3.0, 1.0], np.nan, 0.5),
    ([0.0, 0.0], np.nan, 1.0),
    ([0.0, 0.0, 0.0], np.nan, 1.0),
]


@pytest.mark.parametrize(("returns", "published", "absolute"), EQUALITY_GOLDEN)
def test_equality_golden_values_in_both_conventions(returns, published, absolute):
    x = jnp.array(returns)
    for convention, expected in (("published", published), ("absolute", absolute)):
        e = float(metrics.equality(x, convention=convention))
        g = float(metrics.gini(x, convention=convention))
        if np.isnan(expected):
            assert np.isnan(e) and np.isnan(g), convention
        else:
            assert e == pytest.approx(expected, abs=1e-6), convention
            assert g == pytest.approx(1 - expected, abs=1e-6), convention


def test_equality_defaults_to_the_published_convention():
    for returns, published, _ in EQUALITY_GOLDEN:
        np.testing.assert_allclose(
            float(metrics.equality(jnp.array(returns))), published, atol=1e-6, equal_nan=True
        )
        np.testing.assert_allclose(
            float(metrics.gini(jnp.array(returns))), 1 - published, atol=1e-6, equal_nan=True
        )


def _published_by_hand(row):
    """Perolat et al. 2017's E, written out with loops over agent pairs."""
    n = len(row)
    total = sum(row)
    if total <= 0:
        return float("nan")
    gaps = sum(abs(a - b) for a in row for b in row)
    return 1.0 - gaps / (2 * n * total)


def test_published_equality_equals_a_hand_computation_on_numpy_batches():
    rng = np.random.default_rng(0)
    # mostly positive returns, some negative entries, some rows with a non-positive sum
    returns = rng.uniform(-2.0, 5.0, size=(4, 6, 3))
    returns[0, 0] = 0.0
    returns[1, 1] = [-1.0, -2.0, 0.5]
    expected = np.array([[_published_by_hand(list(r)) for r in b] for b in returns])
    assert np.isnan(expected).any() and (~np.isnan(expected)).any()
    out = metrics.equality(returns)  # NumPy input, two leading axes
    assert out.shape == (4, 6)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-6, equal_nan=True)


def test_the_two_conventions_agree_on_non_negative_returns():
    rng = np.random.default_rng(1)
    returns = rng.uniform(0.0, 5.0, size=(20, 4))
    np.testing.assert_allclose(
        metrics.equality(returns, convention="absolute"), metrics.equality(returns), rtol=1e-5
    )


def test_equality_is_jittable_in_both_conventions():
    x = jnp.array([[3.0, -1.0], [0.0, 0.0]])
    for convention in ("published", "absolute"):
        f = jax.jit(lambda r, c=convention: metrics.equality(r, convention=c))
        np.testing.assert_allclose(f(x), metrics.equality(x, convention=convention))


@pytest.mark.parametrize("convention", ["Published", "abs", "gini", None])
def test_an_unknown_equality_convention_is_a_config_error(convention):
    with pytest.raises(ConfigError, match=r"convention.*'published'.*'absolute'"):
        metrics.equality(jnp.array([1.0, 2.0]), convention=convention)
    with pytest.raises(ConfigError, match="convention"):
        metrics.gini(jnp.array([1.0, 2.0]), convention=convention)


def test_the_episode_metrics_use_the_absolute_convention():
    # returns (3, −1) over two steps: absolute E = 0.5 (published would give 0)
    rewards = jnp.array([[3.0, 0.0], [0.0, -1.0]])
    assert float(metrics.trajectory_metrics(rewards)["social/equality"]) == pytest.approx(0.5)
    rewards = jnp.zeros((3, 2))  # all-zero returns: 1, not NaN
    assert float(metrics.trajectory_metrics(rewards)["social/equality"]) == pytest.approx(1.0)


def test_efficiency_is_the_collective_return_per_step():
    rewards = jnp.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [0.0, -1.0]])
    out = metrics.trajectory_metrics(rewards)
    assert float(out["social/collective_return"]) == pytest.approx(4.0)
    assert float(out["social/efficiency"]) == pytest.approx(1.0)
    assert float(out["episode/length"]) == 4 and float(out["episode/count"]) == 1


def test_sustainability_is_the_mean_time_of_positive_rewards():
    # agent 0 rewarded at t = 1 and 3 (t_0 = 2), agent 1 at t = 4 (t_1 = 4): S = 3
    rewards = jnp.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    assert float(metrics.trajectory_metrics(rewards)["social/sustainability"]) == pytest.approx(3)
    # an agent never rewarded is left out of the mean
    rewards = rewards.at[3, 1].set(0.0)
    assert float(metrics.trajectory_metrics(rewards)["social/sustainability"]) == pytest.approx(2)
    # and with no positive reward at all sustainability is undefined
    assert np.isnan(float(metrics.trajectory_metrics(-jnp.abs(rewards))["social/sustainability"]))


def test_peace_counts_agent_steps_under_penalty_once():
    rewards = jnp.zeros((4, 2))
    hit = jnp.array([[0, 0], [2, 0], [1, 0], [0, 0]])  # two beams at step 2 count once
    out = metrics.trajectory_metrics(rewards, info={"cleanup/hit": hit})
    assert float(out["social/peace"]) == pytest.approx((2 * 4 - 2) / 4)
    assert float(out["cleanup/hit"]) == 3
    assert "social/peace" not in metrics.trajectory_metrics(rewards)


def test_coin_own_fraction_pools_the_agents():
    info = {
        "coin/picked": jnp.array([[1, 1], [0, 1]]),
        "coin/own": jnp.array([[1, 0], [0, 0]]),
        "coin/lost": jnp.array([[0, 1], [1, 0]]),
    }
    out = metrics.trajectory_metrics(jnp.zeros((2, 2)), info=info)
    assert float(out["coin/own_fraction"]) == pytest.approx(1 / 3)
    assert float(out["coin/picked"]) == 3 and float(out["coin/lost"]) == 2
    none = {k: jnp.zeros_like(v) for k, v in info.items()}
    assert np.isnan(
        float(metrics.trajectory_metrics(jnp.zeros((2, 2)), info=none)["coin/own_fraction"])
    )


def test_levels_are_averaged_and_counters_summed():
    info = {
        "cleanup/waste_density": jnp.array([0.2, 0.4, 0.6]),  # one value per step
        "cleanup/waste_cleaned": jnp.array([[1, 0], [2, 1], [0, 0]]),
        "matrix_game/cooperate": jnp.array([[1, 0], [1, 1], [0, 0]]),
    }
    out = metrics.trajectory_metrics(jnp.zeros((3, 2)), info=info)
    assert float(out["cleanup/waste_density"]) == pytest.approx(0.4)
    assert float(out["cleanup/waste_cleaned"]) == 4
    assert float(out["matrix_game/cooperation_rate"]) == pytest.approx(3 / 6)


def test_extrinsic_rewards_are_used_when_recorded():
    shaped = jnp.array([[5.0, 5.0]])
    out = metrics.trajectory_metrics(shaped, info={"reward/extrinsic": jnp.array([[2.0, 0.0]])})
    assert float(out["social/equality"]) == pytest.approx(0.5)
    assert float(out["social/collective_return"]) == pytest.approx(2.0)


# --------------------------------------------------------------------------------------
# episodes and batches


def test_metrics_average_over_completed_episodes_only():
    rewards = jnp.array([[2.0, 0.0], [0.0, 0.0], [1.0, 1.0], [3.0, 3.0], [9.0, 0.0]])
    done = jnp.array([False, True, True, False, False])  # episodes of 2 and 1 steps
    out = metrics.trajectory_metrics(rewards, done)
    assert float(out["episode/count"]) == 2
    assert float(out["social/efficiency"]) == pytest.approx((2.0 / 2 + 2.0 / 1) / 2)
    assert float(out["social/equality"]) == pytest.approx((0.5 + 1.0) / 2)
    assert float(out["episode/length"]) == pytest.approx(1.5)
    # per-agent flags work the same way: an episode ends where every agent is done
    flags = jnp.stack([done, done | jnp.array([True, False, False, True, False])], axis=-1)
    again = metrics.trajectory_metrics(rewards, flags)
    assert float(again["social/efficiency"]) == float(out["social/efficiency"])


def test_mean_over_episodes_reads_only_completed_slots_and_skips_undefined_values():
    values = {"x/y": jnp.array([[5.0, 1.0, jnp.nan, 3.0], [7.0, 7.0, 7.0, 7.0]])}
    done = jnp.array([[False, True, True, True], [False, False, False, False]])
    out = metrics.mean_over_episodes(values, done)
    np.testing.assert_allclose(out["x/y"][0], 2.0)
    assert np.isnan(float(out["x/y"][1]))
    np.testing.assert_array_equal(out["episode/count"], [3, 0])


def test_batched_metrics_equal_one_call_per_trajectory_under_jit_and_vmap():
    key = jax.random.PRNGKey(0)
    rewards = jax.random.randint(key, (3, 4, 6, 2), -1, 3).astype(jnp.float32)
    done = jax.random.bernoulli(jax.random.PRNGKey(1), 0.3, (3, 4, 6)).at[..., -1].set(True)
    hit = jax.random.randint(jax.random.PRNGKey(2), (3, 4, 6, 2), 0, 2)
    info = {"harvest/hit": hit}
    batched = jax.jit(metrics.trajectory_metrics)(rewards, done, info)
    mapped = jax.vmap(jax.vmap(metrics.trajectory_metrics))(rewards, done, info)
    for key_ in batched:
        assert batched[key_].shape == (3, 4)
        np.testing.assert_allclose(batched[key_], mapped[key_], rtol=1e-6, equal_nan=True)
        one = metrics.trajectory_metrics(rewards[2, 1], done[2, 1], {"harvest/hit": hit[2, 1]})
        np.testing.assert_allclose(batched[key_][2, 1], one[key_], rtol=1e-6, equal_nan=True)


def _rollout(env, key, steps):
    n, space = env.num_agents(), env.action_space(env.params)

    def body(state, k):
        k_act, k_step = jax.random.split(k)
        _, state, rewards, terminated, truncated, info = env.step(
            k_step, state, space.sample(k_act, (n,))
        )
        return state, (rewards, terminated | truncated, info)

    k_reset, k_run = jax.random.split(key)
    _, state = env.reset(k_reset)
    return jax.lax.scan(body, state, jax.random.split(k_run, steps))[1]


def test_the_wrapper_and_the_raw_trajectory_give_the_same_table_and_metrics():
    game = envs.make("coin_game", max_steps=7)
    wrapped = wrappers.episode_statistics(game)
    keys = jax.random.split(jax.random.PRNGKey(3), 4)
    run = jax.jit(jax.vmap(lambda k: _rollout(wrapped, k, 30)))
    rewards, done, info = run(keys)
    game_info = {k: v for k, v in info.items() if not k.startswith("episode/")}
    table = metrics.episode_summaries(rewards, done, game_info)
    assert sorted(table) == sorted(k for k in info if k.startswith("episode/"))
    for key in table:
        np.testing.assert_allclose(table[key], info[key], rtol=1e-6, err_msg=key)
    from_wrapper = jax.jit(metrics.from_episode_statistics)(info)
    from_trajectory = metrics.trajectory_metrics(rewards, done, game_info)
    assert sorted(from_wrapper) == sorted(from_trajectory)
    for key in from_wrapper:
        assert from_wrapper[key].shape == (4,)
        np.testing.assert_allclose(from_wrapper[key], from_trajectory[key], rtol=1e-6)
    np.testing.assert_array_equal(from_wrapper["episode/count"], [4, 4, 4, 4])
    # the same numbers by hand from the rewards of the first seed
    r, d = np.asarray(rewards[0]), np.all(np.asarray(done[0]), axis=-1)  # per-agent flags
    ends = np.flatnonzero(d)
    starts = np.concatenate([[0], ends[:-1] + 1])
    eff = [r[s : e + 1].sum() / (e + 1 - s) for s, e in zip(starts, ends, strict=True)]
    assert float(from_wrapper["social/efficiency"][0]) == pytest.approx(np.mean(eff), rel=1e-6)


def test_pooling_every_slot_and_missing_statistics_are_named():
    wrapped = wrappers.episode_statistics(envs.make("coin_game", max_steps=5))
    _, _, info = jax.jit(jax.vmap(lambda k: _rollout(wrapped, k, 10)))(
        jax.random.split(jax.random.PRNGKey(0), 3)
    )
    pooled = metrics.from_episode_statistics(info, axis=None)
    assert pooled["social/efficiency"].shape == () and float(pooled["episode/count"]) == 6
    with pytest.raises(ConfigError, match=r"info: has no episode/done.*episode_statistics"):
        metrics.from_episode_statistics({"coin/own": info["coin/own"]})
    with pytest.raises(ConfigError, match=r"done: needs shape \(4,\)"):
        metrics.trajectory_metrics(jnp.zeros((4, 2)), jnp.zeros((3,), bool))
    with pytest.raises(ConfigError, match=r"info\['coin/own'\]: needs shape"):
        metrics.trajectory_metrics(jnp.zeros((4, 2)), info={"coin/own": jnp.zeros((3, 2))})
    with pytest.raises(ConfigError, match=r"rewards: needs shape \(\.\.\., T, N\)"):
        metrics.trajectory_metrics(jnp.zeros(4))


# --------------------------------------------------------------------------------------
# every key is in the glossary


def _glossary_keys() -> set[str]:
    return set(re.findall(r"`([a-z_]+/[a-z_<>]+)`", GLOSSARY.read_text()))


@pytest.mark.parametrize("name", envs.names())
def test_every_metric_key_of_every_game_is_in_the_glossary(name):
    env = wrappers.episode_statistics(envs.make(name))
    # shapes only: tracing the rollout and the metrics compiles nothing
    _, _, info = jax.eval_shape(lambda k: _rollout(env, k, 3), jax.random.PRNGKey(0))
    out = jax.eval_shape(metrics.from_episode_statistics, info)
    documented = _glossary_keys()
    keys = set(out) | set(info)
    keys = {k for k in keys if not re.fullmatch(r"episode/[a-z_]+/[a-z_]+", k)}
    missing = sorted(keys - documented)
    assert not missing, f"docs/metrics.md does not define {missing}"


def test_the_glossary_defines_the_social_metrics_and_peace():
    documented = _glossary_keys()
    for key in (
        "social/efficiency",
        "social/equality",
        "social/sustainability",
        "social/peace",
        "social/collective_return",
        "coin/own_fraction",
        "cleanup/waste_cleaned",
        "stag_hunt/stags",
        "snowdrift/drifts",
    ):
        assert key in documented, key


def test_alpha_fair_means_golden_values_and_limits():
    from prosocial.metrics import alpha_fair_mean

    r = jnp.array([[1.0, 4.0], [2.0, 8.0]])
    np.testing.assert_allclose(alpha_fair_mean(r, 0.0), [2.5, 5.0])  # mean
    np.testing.assert_allclose(alpha_fair_mean(r, 1.0), [2.0, 4.0], rtol=1e-6)  # √(1·4)
    np.testing.assert_allclose(alpha_fair_mean(r, 2.0), [1.6, 3.2], rtol=1e-6)  # harmonic
    np.testing.assert_allclose(alpha_fair_mean(r, float("inf")), [1.0, 2.0])  # minimum
    # α → 1 approaches the geometric mean; a large α approaches the minimum
    assert float(alpha_fair_mean(r[0], 1.001)) == pytest.approx(2.0, rel=1e-3)
    assert float(alpha_fair_mean(r[0], 60.0)) == pytest.approx(1.0, rel=0.05)
    # ordered: a larger α never raises the value (power-mean inequality)
    values = [float(alpha_fair_mean(r[0], a)) for a in (0.0, 0.5, 1.0, 2.0, 10.0)]
    assert values == sorted(values, reverse=True)
    # equal returns: every α gives the return itself
    assert float(alpha_fair_mean(jnp.array([3.0, 3.0, 3.0]), 5.0)) == pytest.approx(3.0)


def test_alpha_fair_means_need_positive_returns_and_a_valid_alpha():
    from prosocial.metrics import alpha_fair_mean

    r = jnp.array([[0.0, 4.0], [-1.0, 3.0]])
    assert np.all(np.isnan(alpha_fair_mean(r, 1.0)))
    assert np.all(np.isnan(alpha_fair_mean(r, 0.5)))
    np.testing.assert_allclose(alpha_fair_mean(r, 0.0), [2.0, 1.0])
    np.testing.assert_allclose(alpha_fair_mean(r, float("inf")), [0.0, -1.0])
    for bad in (-0.5, float("nan")):
        with pytest.raises(ConfigError, match=r"^alpha: "):
            alpha_fair_mean(r, bad)


def test_jain_index_golden_values():
    from prosocial.metrics import jain_index

    np.testing.assert_allclose(jain_index(jnp.array([2.0, 2.0, 2.0])), 1.0)
    np.testing.assert_allclose(jain_index(jnp.array([6.0, 0.0, 0.0])), 1.0 / 3.0, rtol=1e-6)
    np.testing.assert_allclose(jain_index(jnp.array([1.0, 3.0])), 16.0 / 20.0, rtol=1e-6)
    assert np.isnan(jain_index(jnp.zeros(4)))
