"""Scripted strategies, gradual TFT and the learners: behaviour a wrong rule would break."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.errors import ConfigError
from prosocial.games import continuous_dilemma, degree_ipd
from prosocial.strategies import (
    STRATEGIES,
    Observation,
    allc,
    alld,
    fixed_beta,
    generous_tft,
    gradual_tft,
    grim,
    ledger_gtft,
    mirror,
    naive_learner,
    opponent_model,
    play_match,
    random,
    reactive_learner,
    select,
    tft,
    wsls,
)
from prosocial.strategies.estimators import bayes, reward_inversion

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

IPD = degree_ipd()
CONT = continuous_dilemma()
KEY = jax.random.PRNGKey(0)


def match(first, second, rounds=6, game=IPD, key=KEY):
    return play_match(game, first, second, key, rounds)


def test_tft_copies_and_grim_never_forgives():
    # a co-player that defects in round 2 only (levels 1, 0, 1, 1, ...)
    script = jnp.array([1.0, 0.0, 1.0, 1.0, 1.0, 1.0])

    def scripted():
        return STRATEGIES.make("fixed_beta", game=CONT, beta=0.0)._replace(
            init=lambda key: jnp.zeros((), jnp.int32),
            act=lambda t, key: script[t],
            update=lambda t, obs: t + 1,
        )

    t_tft = match(tft(), scripted(), game=CONT)
    np.testing.assert_allclose(t_tft.levels[:, 0], [1, 1, 0, 1, 1, 1])
    t_grim = match(grim(), scripted(), game=CONT)
    np.testing.assert_allclose(t_grim.levels[:, 0], [1, 1, 0, 0, 0, 0])
    t_gen = match(generous_tft(g=0.25), scripted(), game=CONT)
    np.testing.assert_allclose(t_gen.levels[:, 0], [1, 1, 0.25, 1, 1, 1])


def test_wsls_is_pavlov_in_the_ipd():
    # WSLS against AllD: C (sucker, lose) → D (P, lose) → C → D ...
    t = match(wsls(IPD), alld())
    np.testing.assert_array_equal(t.levels[:, 0], [1, 0, 1, 0, 1, 0])
    # against TFT it cooperates for ever
    assert bool(jnp.all(match(wsls(IPD), tft()).levels == 1))


def test_random_and_fixed_beta_levels():
    t = play_match(IPD, random(p=0.3), fixed_beta(IPD, 0.5), KEY, 4000)
    assert float(t.levels[:, 0].mean()) == pytest.approx(0.3, abs=0.03)
    assert set(np.unique(t.levels[:, 0]).tolist()) == {0.0, 1.0}
    np.testing.assert_allclose(t.levels[:, 1], IPD.policy(0.5))
    np.testing.assert_allclose(t.probes[:, 1, 0], 0.5)  # fixed-β probes α = β
    assert float((t.actions[:, 1] == 0).mean()) == pytest.approx(float(IPD.policy(0.5)), abs=0.02)


def test_mirror_rule_clips_and_forgives():
    np.testing.assert_allclose(mirror(jnp.array([-0.5, 0.2, 0.95]), 0.1), [0.0, 0.3, 1.0])


def test_gradual_tft_mirrors_a_fixed_beta_in_the_continuous_game():
    me = gradual_tft(CONT, "bayes", eps=0.05)
    t = play_match(CONT, me, fixed_beta(CONT, 0.4), KEY, 20)
    np.testing.assert_allclose(t.probes[-1, 0], [0.45, 0.4], atol=1e-3)  # α = β̂ + ε
    # the first move is the prior mean's mirror; α is played as its α-policy
    np.testing.assert_allclose(t.levels[0, 0], 0.55, atol=1e-6)
    np.testing.assert_allclose(t.levels[1:, 0], t.probes[:-1, 0, 0], atol=1e-6)


@pytest.mark.parametrize("estimator", ["bayes", "reward"])
@pytest.mark.parametrize("game", [IPD, CONT], ids=["ipd", "continuous"])
@pytest.mark.parametrize(
    ("opponent", "eps"),
    [(lambda g: random(p=0.6), 0.1), (lambda g: fixed_beta(g, 0.3), 0.05), (allc, 0.3)],
    ids=["random", "fixed_beta", "allc_clipped"],
)
def test_gradual_tft_mirrors_its_estimate_at_every_round(estimator, game, opponent, eps):
    """Round by round: level_t = policy(clip(β̂_{t−1} + ε, 0, 1)), with β̂ re-derived here.

    The estimate is recomputed outside the match from the executed actions and rewards,
    by the named estimator alone, so a wrong mirror rule, a stale α, or a probe that does
    not report the estimate the strategy used, fails at the first round where it shows.
    """
    rounds = 40
    t = play_match(game, gradual_tft(game, estimator, eps=eps), opponent(game), KEY, rounds)
    est = (bayes if estimator == "bayes" else reward_inversion)(game)
    update, estimate = jax.jit(est.update), jax.jit(est.estimate)
    state = est.init()
    beta_hat = float(estimate(state, jnp.ones((), jnp.float32)))  # the prior's β̂
    clipped = 0
    for r in range(rounds):
        alpha = min(1.0, max(0.0, beta_hat + eps))  # the rule, written out
        clipped += beta_hat + eps > 1.0
        np.testing.assert_allclose(
            t.levels[r, 0], game.policy(jnp.float32(alpha)), atol=1e-5, err_msg=f"round {r}"
        )
        seen = game.level_of(t.actions[r])
        obs = Observation(seen[0], seen[1], t.rewards[r, 0])
        state = update(state, obs, jnp.float32(alpha))
        beta_hat = float(estimate(state, jnp.float32(alpha)))
        np.testing.assert_allclose(t.probes[r, 0, 1], beta_hat, atol=1e-4, err_msg=f"round {r}")
        np.testing.assert_allclose(
            t.probes[r, 0, 0], min(1.0, max(0.0, beta_hat + eps)), atol=1e-4, err_msg=f"round {r}"
        )
    if opponent is allc:
        assert clipped > 0  # the upper clip was exercised


@pytest.mark.parametrize("factory", [gradual_tft, ledger_gtft], ids=["plain", "ledger"])
@pytest.mark.parametrize("estimator", ["bayes", "reward"])
@pytest.mark.parametrize("game", [IPD, CONT], ids=["ipd", "continuous"])
def test_gradual_tft_bars_at_reduced_scale(estimator, game, factory):
    """The thesis' bars, for gradual TFT and for its variant with the payoff ledger."""
    me = factory(game, estimator, eps=0.1)
    keys = jax.random.split(KEY, 4)
    run = jax.jit(
        jax.vmap(
            lambda k, i: play_match(game, me, select([me, allc(), alld()], i), k, 300), (0, None)
        )
    )
    welfare = run(keys, 0).rewards.sum(axis=-1).mean()
    assert float(welfare) >= 0.9 * float(game.max_welfare)
    assert float(run(keys, 1).levels[..., 0].mean()) >= 0.9
    own = run(keys, 2).rewards[..., 0].mean()
    gap = float(game.mutual_cooperation - game.mutual_defection)
    assert (float(game.mutual_defection) - float(own)) / gap <= 0.05


def test_select_plays_as_the_selected_strategy():
    options = [allc(), alld(), tft()]
    run = jax.jit(jax.vmap(lambda i: match(select(options, i), random(p=0.5))))
    selected = run(jnp.arange(3))
    np.testing.assert_array_equal(selected.levels[0, :, 0], 1.0)
    np.testing.assert_array_equal(selected.levels[1, :, 0], 0.0)
    direct = jax.jit(lambda: match(tft(), random(p=0.5)))()
    np.testing.assert_array_equal(direct.levels, selected.levels[2])
    np.testing.assert_array_equal(direct.rewards, selected.rewards[2])


def test_play_match_is_a_pure_function_of_its_key():
    me = gradual_tft(IPD, "reward")
    run = jax.jit(lambda key: match(me, random(p=0.5), 50, key=key))
    a, b = run(KEY), run(KEY)
    jax.tree.map(np.testing.assert_array_equal, a, b)
    c = run(jax.random.PRNGKey(1))
    assert not np.array_equal(a.actions, c.actions)


def test_opponent_model_of_a_binary_co_player_is_a_shrunk_frequency():
    # 6 rounds after my C (the co-player cooperated 5 times), 4 after my D (never)
    xs = np.array([1.0] * 6 + [0.0] * 4)
    ys = np.array([1.0] * 5 + [0.0] + [0.0] * 4)
    sums = jnp.array([len(xs), xs.sum(), (xs**2).sum(), ys.sum(), (xs * ys).sum()], jnp.float32)
    model = opponent_model(sums, jnp.float32(1.0), jnp.int32(11), prior=1e-6)
    np.testing.assert_allclose(jax.nn.sigmoid(model), [0.75, 0.01, 5 / 6], atol=1e-4)
    # with a prior of one observation: ridge regression toward c = ½, d = 0, by hand
    X = np.stack([np.ones_like(xs), xs], axis=1)
    c, d = np.linalg.solve(X.T @ X + np.eye(2), X.T @ ys + [0.5, 0.0])
    shrunk = jax.nn.sigmoid(opponent_model(sums, jnp.float32(1.0), jnp.int32(11), prior=1.0))
    np.testing.assert_allclose(shrunk[1:], [c, c + d], atol=1e-4)
    assert 0.01 < c < 0.5 and c + d < 5 / 6


def test_naive_step_is_gradient_ascent_and_lola_differs():
    def first_step(method):
        learner = reactive_learner(IPD, method, lr=0.5, init_std=0.0)
        state = learner.init(KEY)
        obs = Observation(jnp.float32(1.0), jnp.float32(1.0), jnp.float32(3.0))
        update = jax.jit(learner.update)
        return update(update(state, obs), obs)

    naive, lola = first_step("naive"), first_step("lola")
    # by hand: one gradient step on the modelled value from w = 0
    model = opponent_model(naive.sums, naive.start, jnp.int32(2))
    grad = jax.grad(lambda w: IPD.reactive_values(jnp.stack([w, model]))[0])(jnp.zeros(3))
    np.testing.assert_allclose(naive.w, 0.5 * grad, rtol=1e-4, atol=1e-6)
    assert not np.allclose(lola.w, naive.w)


def test_learners_exploit_allc_and_reciprocate_with_tft():
    learner = naive_learner(IPD)
    keys = jax.random.split(KEY, 4)
    run = jax.jit(
        jax.vmap(
            lambda k, i: play_match(IPD, learner, select([allc(), tft()], i), k, 400), (0, None)
        )
    )
    assert float(run(keys, 0).levels[:, -50:, 0].mean()) < 0.05  # defects against AllC
    assert float(run(keys, 1).levels[:, -50:, 0].mean()) > 0.9  # cooperates with TFT


def test_continuous_learner_explores():
    t = play_match(CONT, naive_learner(CONT), alld(), KEY, 50)
    assert float(jnp.std(jnp.diff(t.levels[:, 0]))) > 0.05
    # in the IPD it does not explore: against AllD its level only falls as it learns
    t = play_match(IPD, naive_learner(IPD), alld(), KEY, 50)
    assert bool(jnp.all(jnp.diff(t.levels[1:, 0]) <= 0))


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: random(p=1.5), "random.p"),
        (lambda: generous_tft(g=-0.1), "generous_tft.g"),
        (lambda: grim(threshold="x"), "grim.threshold"),
        (lambda: fixed_beta(IPD, 2.0), "fixed_beta.beta"),
        (lambda: gradual_tft(IPD, "oracle"), "gradual_tft.estimator"),
        (lambda: gradual_tft(IPD, eps=1.5), "gradual_tft.eps"),
        (lambda: gradual_tft(IPD, "bayes", tau=0.1), "gradual_tft.options"),
        (lambda: reactive_learner(IPD, "sgd"), "learner.method"),
        (lambda: reactive_learner(IPD, lr=-1.0), "learner.lr"),
        (lambda: reactive_learner(IPD, forget=1.0), "learner.forget"),
        (lambda: reactive_learner(IPD, prior=0.0), "learner.prior"),
        (lambda: reactive_learner(IPD, explore=2.0), "learner.explore"),
    ],
)
def test_bad_options_name_the_field(build, field):
    with pytest.raises(ConfigError, match=field):
        build()
