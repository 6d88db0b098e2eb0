"""Memory-one strategies: zero-determinant strategies enforce their linear relation
(exactly, from the Markov chain, and as sampled by play_match), Joss, bad parameters."""

import jax
import numpy as np
import pytest

from prosocial.errors import ConfigError
from prosocial.games import continuous_dilemma, degree_ipd
from prosocial.strategies import (
    STRATEGIES,
    memory_one,
    play_match,
    zero_determinant,
    zero_determinant_vector,
)

IPD = degree_ipd()
R, S, T, P = 3.0, 0.0, 4.0, 1.0


def stationary_payoffs(p, q):
    """Long-run payoffs of memory-one p (row) against q, states CC, CD, DC, DD (own first)."""
    q = np.asarray(q)[[0, 2, 1, 3]]  # the co-player sees CD as DC
    p = np.asarray(p)
    M = np.stack([p * q, p * (1 - q), (1 - p) * q, (1 - p) * (1 - q)], axis=1)
    w, v = np.linalg.eig(M.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    pi /= pi.sum()
    return pi @ np.array([R, S, T, P]), pi @ np.array([R, T, S, P])


def test_zd_extort2_vector_by_hand():
    # Hilbe et al. 2013 eq. 14 with φ = 1/9, s = 1/2, l = P = 1, R=3 S=0 T=4
    expected = (1 - 1 / 9, 1 - 3.5 / 9, 2.5 / 9, 0.0)
    np.testing.assert_allclose(zero_determinant_vector(IPD, 1 / 9, 0.5), expected)


@pytest.mark.parametrize(
    ("phi", "s", "l"), [(1 / 9, 0.5, None), (0.2, 0.1, None), (0.25, 0.5, 3.0), (0.1, 0.8, 2.0)]
)
def test_zd_strategies_enforce_their_linear_relation(phi, s, l):
    """s (π_X − l) = π_Y − l against any memory-one co-player (Press & Dyson 2012)."""
    p = zero_determinant_vector(IPD, phi, s, l)
    l = P if l is None else l
    rng = np.random.default_rng(0)
    for q in rng.uniform(0.05, 0.95, size=(6, 4)):
        x, y = stationary_payoffs(p, q)
        assert s * (x - l) == pytest.approx(y - l, abs=1e-9)
    tft = (1.0, 0.0, 1.0, 0.0)
    x, y = stationary_payoffs(p, (0.9, 0.1, 0.8, 0.3))
    x_tft, y_tft = stationary_payoffs(tft, (0.9, 0.1, 0.8, 0.3))
    assert abs(s * (x_tft - l) - (y_tft - l)) > 0.01  # TFT enforces no such relation


def test_play_match_samples_the_stationary_payoffs():
    """Exact (Markov chain) against sampled (play_match, 64 matches of 2000 rounds)."""
    p, q = zero_determinant_vector(IPD, 1 / 9, 0.5), (0.7, 0.2, 0.9, 0.4)
    me = STRATEGIES.make("zd_extort2", game=IPD)
    you = memory_one(IPD, q)
    run = jax.jit(jax.vmap(lambda k: play_match(IPD, me, you, k, 2000).rewards[200:].mean(0)))
    sampled = np.asarray(run(jax.random.split(jax.random.PRNGKey(0), 64))).mean(0)
    np.testing.assert_allclose(sampled, stationary_payoffs(p, q), atol=0.02)


def test_joss_cooperates_after_c_with_its_probability_and_defects_after_d():
    joss = STRATEGIES.make("joss", game=IPD, p=0.9)
    state = joss.init(None)
    assert float(joss.act(state, None)) == 1.0  # C first
    for own, other, level in ((1.0, 1.0, 0.9), (0.0, 1.0, 0.9), (1.0, 0.0, 0.0), (0.0, 0.0, 0.0)):
        seen = joss.update(state, _obs(own, other))
        assert float(joss.act(seen, None)) == pytest.approx(level)


def _obs(own, other):
    from prosocial.strategies import Observation

    return Observation(np.float32(own), np.float32(other), np.float32(0.0))


def test_memory_one_reads_levels_bilinearly_in_the_continuous_game():
    me = memory_one(continuous_dilemma(), (1.0, 0.2, 0.6, 0.0))
    seen = me.update(me.init(None), _obs(0.5, 0.25))
    # 0.5·0.25·1 + 0.5·0.75·0.2 + 0.5·0.25·0.6 + 0.5·0.75·0
    assert float(me.act(seen, None)) == pytest.approx(0.125 + 0.075 + 0.075)


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("zero_determinant", lambda: zero_determinant(IPD, 0.2, 0.1, l=3.5)),  # l > R
        ("zero_determinant", lambda: zero_determinant(IPD, 0.2, -2.0)),  # s < s_min
        ("zero_determinant", lambda: zero_determinant(IPD, -0.1, 0.5)),
        ("zero_determinant.phi", lambda: zero_determinant(IPD, 5.0, 0.5)),  # p outside [0, 1]
        ("zero_determinant.s", lambda: zero_determinant(IPD, 0.1, float("nan"))),
        ("zero_determinant.game", lambda: zero_determinant("ipd")),
        ("memory_one.p", lambda: memory_one(IPD, (1.0, 0.0, 1.0))),
        ("memory_one.p", lambda: memory_one(IPD, (1.0, 0.0, 1.5, 0.0))),
        ("joss.p", lambda: STRATEGIES.make("joss", game=IPD, p=2.0)),
    ],
)
def test_bad_memory_one_parameters_name_the_field(field, call):
    with pytest.raises(ConfigError, match=f"^{field}: "):
        call()
