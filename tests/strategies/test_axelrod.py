"""Prosocial strategies as Axelrod players (only with the optional ``axelrod`` extra)."""

import numpy as np
import pytest

from prosocial.errors import InvalidGameError, UnknownNameError

axl = pytest.importorskip("axelrod")

from prosocial.strategies.axelrod import player  # noqa: E402

GAME = axl.Game(r=3, s=0, t=4, p=1)


def play(me, other, turns=30, seed=1, game=GAME):
    return axl.Match([me, other], turns=turns, game=game, seed=seed).play()


def test_tft_through_the_adapter_plays_axelrods_tft_moves():
    ours = play(player("tft"), axl.Alternator())
    theirs = play(axl.TitForTat(), axl.Alternator())
    assert ours == theirs


def test_gradual_tft_cooperates_with_cooperators_and_not_with_defectors():
    moves = play(player("gradual_tft", estimator="bayes"), axl.Cooperator(), turns=100)
    assert sum(m == axl.Action.C for m, _ in moves) >= 95
    moves = play(player("gradual_tft", estimator="reward"), axl.Defector(), turns=100)
    assert sum(m == axl.Action.C for m, _ in moves[10:]) <= 10


def test_seeded_matches_repeat_and_clones_keep_options():
    me = player("gradual_tft", label="mine", estimator="reward", eps=0.2)
    a = play(me, axl.Random(), turns=60, seed=7)
    b = play(me.clone(), axl.Random(), turns=60, seed=7)
    assert a == b
    assert me.clone().name == "mine" == str(me)
    assert dict(me.clone().options) == {"estimator": "reward", "eps": 0.2}


def test_probe_reads_alpha_and_beta_hat():
    me = player("gradual_tft", estimator="bayes", eps=0.1)
    play(me, axl.Cooperator(), turns=50)
    alpha, beta_hat = me.probe
    assert alpha == pytest.approx(min(1.0, beta_hat + 0.1)) and beta_hat > 0.7


def test_default_axelrod_game_is_refused_with_the_fix_named():
    with pytest.raises(InvalidGameError, match=r"equal gains.*axelrod.Game\(r=3, s=0, t=4, p=1\)"):
        play(player("gradual_tft"), axl.TitForTat(), game=axl.Game())
    with pytest.raises(UnknownNameError, match="unknown strategy"):
        player("gradual")


def test_a_small_tournament_ranks_gradual_tft():
    players = [player("gradual_tft", label="gTFT"), axl.Defector(), axl.TitForTat()]
    results = axl.Tournament(players, game=GAME, turns=50, repetitions=1, seed=0).play(
        processes=None, progress_bar=False
    )
    assert "gTFT" in results.ranked_names
    scores = np.asarray(results.normalised_scores)[:, 0]
    assert scores[0] > scores[1]  # gradual TFT outscores the defector


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("zd_extort2", "ZDExtort2"),
        ("zd_extortion", "ZDExtortion"),
        ("zd_gtft2", "ZDGTFT2"),
        ("joss", "FirstByJoss"),
    ],
)
def test_memory_one_strategies_are_axelrods(ours, theirs):
    """Our four-vectors equal the Axelrod library's for the game R=3 P=1 T=4 S=0."""
    from prosocial.games import degree_ipd
    from prosocial.strategies import STRATEGIES, Observation

    other = getattr(axl, theirs)()
    other.set_match_attributes(game=GAME)
    expected = [
        other._four_vector[(a, b)]
        for a in (axl.Action.C, axl.Action.D)
        for b in (axl.Action.C, axl.Action.D)
    ]
    me = STRATEGIES.make(ours, game=degree_ipd())
    state = me.init(None)
    got = []
    for own, co in ((1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)):
        seen = me.update(state, Observation(np.float32(own), np.float32(co), np.float32(0.0)))
        got.append(float(me.act(seen, None)))
    np.testing.assert_allclose(got, expected, atol=1e-6)
