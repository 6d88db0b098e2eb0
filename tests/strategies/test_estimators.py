"""The two β estimators of thesis §5.3: eq. 5.1 on a grid and the reward inversion."""

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import beta as beta_dist

from prosocial.errors import ConfigError
from prosocial.games import continuous_dilemma, degree_ipd
from prosocial.strategies import (
    Observation,
    bayes,
    beta_grid,
    beta_log_prior,
    invert_increasing,
    reward_inversion,
)


def obs(other=0.0, reward=0.0, own=0.0):
    return Observation(jnp.float32(own), jnp.float32(other), jnp.float32(reward))


def test_bayes_is_eq_5_1_by_hand():
    game = degree_ipd()
    est = bayes(game, grid=11, prior=(2.0, 3.0))
    grid = np.linspace(0, 1, 11)
    p_c = 1 / (1 + np.exp(-(3 * grid - 1) / 0.2))
    prior = beta_dist.pdf(np.clip(grid, 1e-3, 1 - 1e-3), 2.0, 3.0)
    posterior = prior.copy()
    state = est.init()
    for seen in (1.0, 0.0, 1.0, 1.0):
        state = est.update(state, obs(other=seen), 0.5)
        posterior = posterior * (p_c if seen else 1 - p_c)
        posterior /= posterior.sum()
    np.testing.assert_allclose(np.exp(state), posterior, rtol=1e-4, atol=1e-7)
    assert float(est.estimate(state, 0.0)) == pytest.approx(posterior @ grid, rel=1e-4)


def test_bayes_forgetting_pulls_toward_the_prior():
    game = continuous_dilemma()
    sticky, forgetful = bayes(game), bayes(game, forget=0.5)
    s1, s2 = sticky.init(), forgetful.init()
    for _ in range(50):
        s1, s2 = sticky.update(s1, obs(other=1.0), 0.0), forgetful.update(s2, obs(other=1.0), 0.0)
    for _ in range(5):
        s1, s2 = sticky.update(s1, obs(other=0.0), 0.0), forgetful.update(s2, obs(other=0.0), 0.0)
    # the forgetful posterior follows the switch to defection, the sticky one lags
    assert float(forgetful.estimate(s2, 0.0)) < 0.1 < float(sticky.estimate(s1, 0.0))


def test_uniform_prior_is_flat_and_beta_prior_peaks_at_its_mode():
    grid = beta_grid(101)
    assert float(jnp.ptp(beta_log_prior(grid, 1.0, 1.0))) == 0.0
    # mode (a − 1)/(a + b − 2) = 1/3, the nearest grid point is 0.33
    assert float(grid[jnp.argmax(beta_log_prior(grid, 3.0, 5.0))]) == pytest.approx(0.33)


def test_reward_average_is_g1_r1_then_exponential():
    game = continuous_dilemma()
    est = reward_inversion(game, tau=0.25)
    state = est.init()
    for r in (0.4, 0.0, 0.8):
        state = est.update(state, obs(reward=r), 1.0)
    # G1 = 0.4, G2 = 0.25·0 + 0.75·0.4 = 0.3, G3 = 0.25·0.8 + 0.75·0.3 = 0.425
    assert float(state.average) == pytest.approx(0.425)


def test_reward_inversion_solves_v_and_clamps_with_the_typo_fixed():
    game = continuous_dilemma()  # V(α, β) = β − α²/2
    est = reward_inversion(game, own="current")
    for reward, expected in ((0.3 - 0.5**2 / 2, 0.3), (-1.0, 0.0), (5.0, 1.0)):
        state = est.update(est.init(), obs(reward=reward), 0.5)
        assert float(est.estimate(state, 0.5)) == pytest.approx(expected, abs=1e-6)
    # the thesis prints β̂ = 0 for a reward above V(α, 1): that would be 0 here, not 1
    assert float(est.estimate(est.update(est.init(), obs(reward=5.0), 0.5), 0.5)) == 1.0
    assert float(est.estimate(est.init(), 0.5)) == 0.5  # beta0 before any reward


def test_smoothed_inversion_accounts_for_past_degrees_and_equals_printed_if_alpha_fixed():
    game = continuous_dilemma()
    smoothed, printed = (
        reward_inversion(game, tau=0.5),
        reward_inversion(game, tau=0.5, own="current"),
    )
    s, p = smoothed.init(), printed.init()
    for alpha in (0.2, 0.9):  # co-player at β = 0.6: reward 0.6 − α²/2
        o = obs(reward=0.6 - alpha**2 / 2)
        s, p = smoothed.update(s, o, alpha), printed.update(p, o, alpha)
    assert float(smoothed.estimate(s, 0.9)) == pytest.approx(0.6, abs=1e-6)
    # G still holds the cheaper rounds at α = 0.2: the printed rule overestimates β
    assert float(printed.estimate(p, 0.9)) == pytest.approx(0.6 + (0.81 - 0.04) / 4, abs=1e-6)
    s, p = smoothed.init(), printed.init()
    for _ in range(3):
        s, p = smoothed.update(s, obs(reward=0.1), 0.4), printed.update(p, obs(reward=0.1), 0.4)
    assert float(smoothed.estimate(s, 0.4)) == pytest.approx(float(printed.estimate(p, 0.4)))


def test_invert_increasing_finds_roots_of_a_nonlinear_function():
    root = invert_increasing(lambda b: jnp.tanh(3 * b), jnp.tanh(1.2))
    assert float(root) == pytest.approx(0.4, abs=1e-6)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda g: bayes(g, grid=1), "bayes.grid"),
        (lambda g: bayes(g, grid=2.5), "bayes.grid"),
        (lambda g: bayes(g, prior=(0.0, 1.0)), "bayes.prior.a"),
        (lambda g: bayes(g, prior=(1.0,)), "bayes.prior"),
        (lambda g: bayes(g, forget=1.0), "bayes.forget"),
        (lambda g: bayes(g, min_noise=0.0), "bayes.min_noise"),
        (lambda g: reward_inversion(g, tau=0.0), "reward.tau"),
        (lambda g: reward_inversion(g, tau=1.5), "reward.tau"),
        (lambda g: reward_inversion(g, beta0=-0.1), "reward.beta0"),
        (lambda g: reward_inversion(g, own="past"), "reward.own"),
        (lambda g: reward_inversion(g, iters=0), "reward.iters"),
    ],
)
def test_bad_estimator_options_name_the_field(build, field):
    with pytest.raises(ConfigError, match=f"^{field}: .*accepted"):
        build(continuous_dilemma())
