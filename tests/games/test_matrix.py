import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.errors import InvalidGameError, UnknownNameError
from prosocial.games import (
    MATRIX_GAMES,
    TABLE_4_1,
    binary_policies,
    check_social_dilemma,
    chicken,
    expected_payoffs,
    greed_and_fear,
    joint_actions,
    matrix_game,
    n_player_dilemma,
    payoff_of,
    prisoners_dilemma,
    social_dilemma,
    stag_hunt,
    validate_payoffs,
    values_from_logits,
)


def test_table_4_1_games():
    pd, chicken, stag = (
        MATRIX_GAMES.make(n) for n in ("prisoners_dilemma", "chicken", "stag_hunt")
    )
    # row player's matrix [[R, S], [T, P]]
    np.testing.assert_allclose(pd[0], [[3, 0], [4, 1]])
    np.testing.assert_allclose(chicken[0], [[3, 2], [3.5, 1]])
    np.testing.assert_allclose(stag[0], [[3, 0], [2, 1]])
    np.testing.assert_allclose(pd[1], pd[0].T)  # symmetric game
    assert tuple(map(float, greed_and_fear(chicken[0]))) == (0.5, -1.0)


def test_values_match_hand_formula():
    p1, p2 = 0.3, 0.8
    logits = jnp.log(jnp.array([p1, p2]) / (1 - jnp.array([p1, p2])))
    R, S, T, P = 3, 0, 4, 1
    v1 = p1 * p2 * R + p1 * (1 - p2) * S + (1 - p1) * p2 * T + (1 - p1) * (1 - p2) * P
    v2 = p1 * p2 * R + p1 * (1 - p2) * T + (1 - p1) * p2 * S + (1 - p1) * (1 - p2) * P
    np.testing.assert_allclose(
        values_from_logits(social_dilemma(1, 1), logits), [v1, v2], rtol=1e-5
    )


def test_exact_values_match_monte_carlo_play():
    key = jax.random.PRNGKey(0)
    payoffs = jax.random.normal(key, (3, 2, 2, 2))  # 3 players, 2 actions each
    policies = jnp.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
    exact = expected_payoffs(payoffs, policies)
    n = 200_000
    keys = jax.random.split(jax.random.PRNGKey(1), 3)
    acts = jnp.stack([jax.random.choice(k, 2, (n,), p=policies[j]) for j, k in enumerate(keys)], 1)
    sampled = jax.vmap(lambda a: payoff_of(payoffs, a))(acts)
    stderr = sampled.std(axis=0) / np.sqrt(n)
    assert np.all(np.abs(sampled.mean(axis=0) - exact) < 4 * stderr)


def test_n_player_dilemma_is_the_footnote_4_interpolation():
    n = 5
    game = n_player_dilemma(n)  # PD: R=3, P=1, T=4, S=0
    all_c, all_d = (0,) * n, (1,) * n
    np.testing.assert_allclose(game[(slice(None), *all_c)], 3.0)
    np.testing.assert_allclose(game[(slice(None), *all_d)], 1.0)
    lone_defector = (1,) + (0,) * (n - 1)
    assert float(game[(0, *lone_defector)]) == pytest.approx(4.0)  # T
    assert float(game[(1, *lone_defector)]) == pytest.approx(3 * 3 / 4)  # S + (R−S)·3/4
    lone_cooperator = (0,) + (1,) * (n - 1)
    assert float(game[(0, *lone_cooperator)]) == pytest.approx(0.0)  # S
    assert float(game[(1, *lone_cooperator)]) == pytest.approx(1 + 3 / 4)  # P + (T−P)/4
    np.testing.assert_allclose(n_player_dilemma(2), social_dilemma(1, 1))
    assert joint_actions(3).shape == (8, 3)


def _two_player_tensor(T, S, R=3.0, P=1.0):
    """Written out entry by entry: U[i, a_0, a_1], action 0 = C, 1 = D."""
    return np.array(
        [
            [[R, S], [T, P]],  # player 0: (C,C)=R, (C,D)=S, (D,C)=T, (D,D)=P
            [[R, T], [S, P]],  # player 1: (C,C)=R, (C,D)=T, (D,C)=S, (D,D)=P
        ]
    )


# (greed, fear, T, S) with R = 3, P = 1: T = R + greed, S = P − fear (Table 4.1)
GREED_FEAR = [
    pytest.param(1.0, 1.0, 4.0, 0.0, id="pd"),
    pytest.param(0.5, -1.0, 3.5, 2.0, id="chicken"),
    pytest.param(-1.0, 1.0, 2.0, 0.0, id="stag_hunt"),
    pytest.param(0.5, 1.5, 3.5, -0.5, id="asym-fear-larger"),
    pytest.param(2.0, 0.5, 5.0, 0.5, id="asym-greed-larger"),
    pytest.param(1.0, -0.5, 4.0, 1.5, id="greed-only"),
    pytest.param(-0.5, 0.25, 2.5, 0.75, id="fear-only"),
]


@pytest.mark.parametrize(("greed", "fear", "T", "S"), GREED_FEAR)
def test_two_player_dilemma_matches_the_tensor_written_out(greed, fear, T, S):
    expected = _two_player_tensor(T, S)
    game = n_player_dilemma(2, greed, fear)
    assert game.shape == (2, 2, 2)
    np.testing.assert_array_equal(np.asarray(game), expected)
    np.testing.assert_array_equal(np.asarray(social_dilemma(greed, fear)), expected)
    # keyword and positional greed/fear agree
    np.testing.assert_array_equal(np.asarray(n_player_dilemma(2, fear=fear, greed=greed)), expected)
    if greed != fear:  # a swap of greed and fear gives another tensor, which the test catches
        swapped = np.asarray(n_player_dilemma(2, fear, greed, check=False))
        np.testing.assert_array_equal(swapped, _two_player_tensor(T=3.0 + fear, S=1.0 - greed))
        assert not np.array_equal(swapped, expected)


@pytest.mark.parametrize(
    ("name", "build"),
    [
        ("prisoners_dilemma", prisoners_dilemma),
        ("chicken", chicken),
        ("stag_hunt", stag_hunt),
    ],
)
def test_two_player_dilemma_equals_the_named_games_entry_by_entry(name, build):
    greed, fear = TABLE_4_1[name]["greed"], TABLE_4_1[name]["fear"]
    named = np.asarray(build())
    game = np.asarray(n_player_dilemma(2, greed, fear))
    for i, a0, a1 in np.ndindex(2, 2, 2):
        assert game[i, a0, a1] == named[i, a0, a1], (name, i, a0, a1)
    # the named game's own greed and fear are the Table 4.1 pair, not its swap
    assert tuple(map(float, greed_and_fear(build()[0]))) == (greed, fear)
    if greed != fear:  # chicken and stag hunt: the swapped pair is another game
        swapped = np.asarray(n_player_dilemma(2, fear, greed, check=False))
        assert not np.array_equal(swapped, named)


@pytest.mark.parametrize(("greed", "fear", "T", "S"), GREED_FEAR)
def test_three_player_dilemma_uses_greed_for_t_and_fear_for_s(greed, fear, T, S):
    R, P = 3.0, 1.0
    game = np.asarray(n_player_dilemma(3, greed, fear))
    for actions in np.ndindex(2, 2, 2):
        for i in range(3):
            k = sum(a == 0 for j, a in enumerate(actions) if j != i)  # cooperating others
            if actions[i] == 0:
                want = S + (R - S) * k / 2
            else:
                want = P + (T - P) * k / 2
            assert game[(i, *actions)] == pytest.approx(want), (actions, i)


@pytest.mark.parametrize(
    ("R", "P", "T", "S", "condition"),
    [
        (1, 3, 4, 0, "condition 1"),  # R < P
        (3, 1, 4, 3.5, "condition 2"),  # S > R
        (3, 1, 4, 2.5, "condition 3"),  # 2R < T + S
        (3, 1, 2, 1, "condition 4"),  # no greed, no fear
    ],
)
def test_games_that_are_no_dilemma_are_rejected(R, P, T, S, condition):
    with pytest.raises(InvalidGameError, match=condition):
        check_social_dilemma(R, P, T, S)
    with pytest.raises(InvalidGameError, match=condition):
        matrix_game(R, P, T, S)
    matrix_game(R, P, T, S, check=False)  # an explicit opt-out builds it


def test_chicken_greed_must_stay_below_one():
    # Table 4.1's note: greed ≥ 1 in Chicken breaks R > (T + S)/2.
    social_dilemma(0.99, -1)
    with pytest.raises(InvalidGameError, match="condition 3"):
        social_dilemma(1.0, -1)


def test_invalid_tensors_and_names():
    with pytest.raises(InvalidGameError, match="shape"):
        validate_payoffs(np.zeros((3, 2, 2)))
    with pytest.raises(InvalidGameError, match="finite"):
        validate_payoffs(np.full((2, 2, 2), np.nan))
    validate_payoffs(np.zeros((2, 2, 2)))
    with pytest.raises(InvalidGameError, match="n_players"):
        n_player_dilemma(1)
    with pytest.raises(UnknownNameError, match=r"accepted: .*stag_hunt"):
        MATRIX_GAMES.make("stag_hnt")


def test_binary_policies_rows_sum_to_one():
    pol = binary_policies(jnp.array([-3.0, 0.0, 2.0]))
    np.testing.assert_allclose(pol.sum(axis=1), 1.0, rtol=1e-6)
    assert float(pol[2, 0]) > 0.88  # θ > 0 cooperates more often
