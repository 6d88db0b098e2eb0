"""Games with degrees of cooperation: α-policies, exact values, reactive values, checks."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.errors import ConfigError, InvalidGameError
from prosocial.games import (
    DEGREE_GAMES,
    continuous_dilemma,
    degree_ipd,
    expected_payoffs,
    memory_one_values,
)


def test_ipd_alpha_policy_is_the_entropy_regularised_best_response_whatever_q():
    game = degree_ipd(temperature=0.3)
    payoffs = np.asarray(game.payoffs())
    for alpha in (0.0, 0.2, 1 / 3, 0.7, 1.0):
        for q in (0.0, 0.4, 1.0):
            # α-weighted stage payoff of C and D against a co-player cooperating with q
            weighted = payoffs[0] + alpha * payoffs[1]
            q_c, q_d = weighted[0] @ [q, 1 - q], weighted[1] @ [q, 1 - q]
            # argmax_p p·Q_C + (1−p)·Q_D + κ H(p) on a fine grid
            p = np.linspace(1e-6, 1 - 1e-6, 200001)
            entropy = -(p * np.log(p) + (1 - p) * np.log(1 - p))
            best = p[np.argmax(p * q_c + (1 - p) * q_d + 0.3 * entropy)]
            assert float(game.policy(alpha)) == pytest.approx(best, abs=1e-4)
    assert float(game.policy(1 / 3)) == pytest.approx(0.5)  # threshold c/b
    assert game.threshold == pytest.approx(1 / 3)


def test_ipd_value_is_the_expected_payoff_of_independent_mixing():
    game = degree_ipd()
    for alpha, beta in ((0.1, 0.9), (0.5, 0.5), (1.0, 0.0)):
        p, q = game.policy(alpha), game.policy(beta)
        policies = jnp.array([[p, 1 - p], [q, 1 - q]])
        expected = expected_payoffs(game.payoffs(), policies)[0]
        assert float(game.value(alpha, beta)) == pytest.approx(float(expected), rel=1e-5)
    betas = jnp.linspace(0, 1, 11)
    assert bool(jnp.all(jnp.diff(game.value(0.5, betas)) > 0))  # increasing in β
    assert bool(jnp.all(jnp.diff(game.value(betas, 0.5)) < 0))  # decreasing in α


def test_continuous_alpha_action_maximises_the_weighted_reward():
    game = continuous_dilemma(benefit=0.6, cost=1.0)
    grid = np.linspace(0.0, 1.0, 100001)
    for alpha in (0.0, 0.3, 1.0):
        # r_i + α r_j with the co-player's action fixed at 0.4 (it does not matter)
        weighted = 0.6 * 0.4 - 0.5 * grid**2 + alpha * (0.6 * grid - 0.5 * 0.4**2)
        best = float(grid[np.argmax(weighted)])
        assert float(game.policy(alpha)) * game.optimum == pytest.approx(best, abs=1e-4)
    assert game.optimum == pytest.approx(0.6)
    assert float(game.max_welfare) == pytest.approx(0.36)  # B²/C


def test_continuous_value_matches_monte_carlo_with_noise():
    game = continuous_dilemma(noise=0.2)
    levels = jnp.array([0.3, 0.8])
    keys = jax.random.split(jax.random.PRNGKey(0), 200_000)
    rewards = jax.vmap(lambda k: game.rewards(game.sample(k, levels)))(keys).mean(axis=0)
    exact = [game.value(0.3, 0.8), game.value(0.8, 0.3)]
    np.testing.assert_allclose(rewards, exact, atol=3e-3)
    # noise costs every player C σ²/2 even under mutual defection
    assert float(game.mutual_defection) == pytest.approx(-0.02)


def test_ipd_reactive_values_are_memory_one_values():
    game = degree_ipd()
    big = 30.0
    tft = jnp.array([big, -big, big])  # start C, D after D, C after C
    alld = jnp.full(3, -big)
    values = game.reactive_values(jnp.stack([tft, alld]), 0.9)
    # TFT vs AllD: S then P for ever: (1 − γ)(S + γ P/(1 − γ))
    np.testing.assert_allclose(values, [0.1 * 0 + 0.9 * 1, 0.1 * 4 + 0.9 * 1], atol=1e-5)
    w = jax.random.normal(jax.random.PRNGKey(1), (2, 3))
    m1 = jnp.stack([w[:, 0], w[:, 2], w[:, 1], w[:, 2], w[:, 1]], axis=1)
    np.testing.assert_allclose(
        game.reactive_values(w), 0.04 * memory_one_values(m1, game.payoffs(), 0.96), rtol=1e-5
    )


def test_continuous_reactive_values_match_a_long_rollout():
    game = continuous_dilemma(benefit=1.0, cost=1.5)
    w = jnp.array([[0.5, -1.0, 2.0], [-0.3, 0.2, 1.0]])
    p_d, p_c = jax.nn.sigmoid(w[:, 1]), jax.nn.sigmoid(w[:, 2])
    levels, total = np.asarray(jax.nn.sigmoid(w[:, 0])), np.zeros(2)
    for t in range(2000):
        a = levels * game.optimum
        total += 0.96**t * (a[::-1] - 0.75 * a**2)
        levels = np.asarray(p_d + (p_c - p_d) * levels[::-1])
    np.testing.assert_allclose(game.reactive_values(w), 0.04 * total, rtol=1e-4)


def test_registry_builds_both_games():
    assert DEGREE_GAMES.make("ipd", temperature=0.5).temperature == 0.5
    assert DEGREE_GAMES.make("continuous", noise=0.1).noise == 0.1


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        (lambda: degree_ipd(T=5.0), "equal gains from switching"),
        (lambda: degree_ipd(R=3, P=1, T=2, S=0), "T > R and P > S"),
        (lambda: degree_ipd(R=1, P=3, T=4, S=0), "not a social dilemma"),
        (lambda: degree_ipd(temperature=0.0), "temperature"),
        (lambda: continuous_dilemma(benefit=2.0, cost=1.0), "cost"),
        (lambda: continuous_dilemma(benefit=-1.0), "benefit"),
        (lambda: continuous_dilemma(noise=-0.1), "noise"),
        (lambda: continuous_dilemma(noise=float("nan")), "noise"),
    ],
)
def test_bad_games_are_named(build, needle):
    with pytest.raises((ConfigError, InvalidGameError), match=needle):
        build()
