"""The payoff ledger and gradual TFT guarded by it: the ledger by hand, the guard's place
in the mirror rule, and the bars against extortioners that plain gradual TFT fails."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.errors import ConfigError
from prosocial.games import continuous_dilemma, degree_ipd
from prosocial.strategies import (
    STRATEGIES,
    Observation,
    gradual_tft,
    guarded,
    ledger_gtft,
    payoff_ledger,
    play_match,
)

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

IPD = degree_ipd()
CONT = continuous_dilemma()
KEY = jax.random.PRNGKey(0)


def obs(own, other, game=IPD):
    rewards = game.rewards_of_levels(jnp.array([own, other], jnp.float32))
    return Observation(jnp.float32(own), jnp.float32(other), rewards[0])


def test_ledger_by_hand_in_the_ipd():
    book = payoff_ledger(IPD, tolerance=2.5, width=1.0, leak=0.1)
    L = book.init()
    assert float(L) == 0.0
    L = book.update(L, obs(1.0, 0.0))  # exploited: (T − S)/(R − P) = 4/2
    assert float(L) == pytest.approx(2.0)
    assert float(book.guard(L)) == 0.0  # one exploitation is tolerated
    L = book.update(L, obs(1.0, 0.0))  # again: 0.9 · 2 + 2
    assert float(L) == pytest.approx(3.8)
    assert float(book.guard(L)) == pytest.approx(1.0)
    L = book.update(L, obs(0.0, 0.0))  # mutual defection pays nothing back: only the leak
    assert float(L) == pytest.approx(3.42)
    assert float(book.guard(L)) == pytest.approx(0.92)
    L = book.update(L, obs(0.0, 1.0))  # the co-player pays back: 0.9 · 3.42 − 2
    assert float(L) == pytest.approx(1.078)
    L = book.update(L, obs(0.0, 1.0))  # no credit: the ledger is floored at 0
    assert float(L) == 0.0


def test_ledger_in_the_continuous_game_uses_its_payoffs():
    book = payoff_ledger(CONT, leak=0.0)
    # levels (1, 0): own −C/2 = −0.5, the co-player's B = 1; gap R − P = 0.5
    assert float(book.update(book.init(), obs(1.0, 0.0, CONT))) == pytest.approx(3.0)
    # a half-contribution against a full one is the co-player's loss: floored at 0
    assert float(book.update(book.init(), obs(0.5, 1.0, CONT))) == 0.0


def test_guard_scales_the_mirror_at_every_round():
    """α_{t+1} = (1 − g_t) · clip(β̂_t + ε, 0, 1), g_t from the ledger replayed by hand."""
    me = ledger_gtft(IPD, "bayes", eps=0.1, tolerance=1.0, width=2.0, leak=0.01)
    book = payoff_ledger(IPD, tolerance=1.0, width=2.0, leak=0.01)
    you = STRATEGIES.make("zd_extortion", game=IPD)
    t = play_match(IPD, me, you, KEY, 120)
    L, guards = 0.0, []
    for r in range(120):
        own, other = (1.0 - np.asarray(t.actions[r])).tolist()
        L = float(book.update(jnp.float32(L), obs(own, other)))
        guards.append(float(book.guard(jnp.float32(L))))
        beta_hat = float(t.probes[r, 0, 1])
        expected = (1 - guards[-1]) * min(1.0, beta_hat + 0.1)
        assert float(t.probes[r, 0, 0]) == pytest.approx(expected, abs=1e-5), f"round {r}"
    assert 0 < np.mean(guards) and max(guards) == 1.0  # the guard moved and saturated
    assert float(guarded(jnp.float32(0.8), jnp.float32(0.25))) == pytest.approx(0.6)


def test_without_a_ledger_gradual_tft_is_the_thesis_rule():
    plain, same = gradual_tft(IPD, "reward"), gradual_tft(IPD, "reward", ledger=None)
    you = STRATEGIES.make("joss", game=IPD)
    a, b = play_match(IPD, plain, you, KEY, 80), play_match(IPD, same, you, KEY, 80)
    jax.tree.map(np.testing.assert_array_equal, a, b)
    beta_hat = np.asarray(a.probes[:, 0, 1])
    np.testing.assert_allclose(a.probes[:, 0, 0], np.clip(beta_hat + 0.1, 0, 1), atol=1e-6)


def _gaps(me, opponent, seeds=5, rounds=200):
    run = jax.jit(jax.vmap(lambda k: play_match(IPD, me, opponent, k, rounds).rewards.mean(0)))
    rewards = np.asarray(run(jax.random.split(KEY, seeds)))
    return np.abs(rewards[:, 0] - rewards[:, 1]).mean(), rewards.mean(0)


@pytest.mark.parametrize("estimator", ["bayes", "reward"])
@pytest.mark.parametrize("name", ["zd_extort2", "zd_extortion", "joss"])
def test_the_ledger_refuses_extortioners_their_surplus(name, estimator):
    """The issue's bar (200 rounds, 5 seeds: |own − other| ≤ 0.1), which plain gradual TFT
    misses by far."""
    opponent = STRATEGIES.make(name, game=IPD)
    gap, _ = _gaps(ledger_gtft(IPD, estimator), opponent)
    assert gap <= 0.1
    plain_gap, (own, other) = _gaps(gradual_tft(IPD, estimator), opponent)
    assert plain_gap > 0.3 and other > own


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("ledger.tolerance", lambda: ledger_gtft(IPD, tolerance=-1.0)),
        ("ledger.width", lambda: ledger_gtft(IPD, width=0.0)),
        ("ledger.leak", lambda: ledger_gtft(IPD, leak=1.5)),
        ("ledger.game", lambda: payoff_ledger("ipd")),
        ("gradual_tft.ledger", lambda: gradual_tft(IPD, ledger="yes")),
        ("gradual_tft.options", lambda: ledger_gtft(IPD, "bayes", tau=0.1)),
    ],
)
def test_bad_ledger_options_name_the_field(field, call):
    with pytest.raises(ConfigError, match=f"^{field}: "):
        call()
