"""Bad inputs to the public Python API: one clear ProsocialError naming the field.

Validation only: nothing here compiles an environment step or trains anything.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs, games, metrics
from prosocial.adjust import ADJUSTMENTS
from prosocial.errors import ProsocialError
from prosocial.learners import LEARNERS
from prosocial.strategies import STRATEGIES

NAN, INF = float("nan"), float("inf")


def _raises(field: str, call) -> None:
    with pytest.raises(ProsocialError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(field), message


# ------------------------------------------------------------------ environments

INT_BAD = [2.5, "3", True, None, [3], -1, 10**12]
REAL_BAD = [NAN, INF, -INF, 1e39, "1.0", None, [1.0], True]


def _env_cases():
    for name in envs.names():
        params = envs.make(name).params
        for f in dataclasses.fields(params):
            value = getattr(params, f.name)
            if isinstance(value, bool):
                bad = ["yes", 2, None]
            elif isinstance(value, int):
                bad = INT_BAD
            elif isinstance(value, float):
                bad = REAL_BAD
            elif isinstance(value, str):
                bad = [3, None, "bogus", ["x"]]
            elif f.name == "view":
                bad = [(7, 7), (7, 7, -1), (7.0, 7, 7), [7, 7, 7], (10**6, 0, 0), None]
            elif f.name == "actions":
                bad = [(), ("fly",), ("stay", "stay"), None]
            elif f.name == "map":
                bad = [(), ("PP", "P"), "P  ", ("P" * 100_000,)]
            elif f.name == "payoffs":
                bad = [
                    [[1, 2], [3, 4]],
                    [[[1, 2], [3, 4]], [[1, 2], [3]]],
                    [[[1, 2], [3, 4]], [[1, 2], [3, NAN]]],
                    [[["a", "b"], ["c", "d"]]] * 2,
                ]
            elif f.name == "regrowth_probabilities":
                bad = [(), (0.1, NAN), (1.5,), ("0.1",), None]
            else:
                continue
            for b in bad:
                yield pytest.param(name, f.name, b, id=f"{name}.{f.name}={b!r:.30}")


@pytest.mark.parametrize(("env", "field", "value"), list(_env_cases()))
def test_bad_env_parameter_is_named(env, field, value):
    if field == "max_steps" and value == -1:
        value = 0
    _raises(f"{env}.{field}", lambda: envs.make(env, **{field: value}))


@pytest.mark.parametrize(
    ("env", "overrides", "field"),
    [
        ("coin_game", {"num_agents": 2.5}, "num_agents"),
        ("coin_game", {"size": 100_000}, "size"),
        ("coin_game", {"num_agents": 256, "size": 100}, "size"),
        ("stag_hunt", {"height": 100_000}, "height"),
        ("stag_hunt", {"view_radius": 2049}, "view_radius"),
        ("snowdrift", {"width": 10**9}, "width"),
        ("snowdrift", {"num_agents": 300}, "num_agents"),
        ("cleanup", {"fire_length": 10**6}, "fire_length"),
        ("cleanup", {"clean_length": 4096}, "clean_length"),
        ("harvest", {"regrowth_radius_sq": 10**7}, "regrowth_radius_sq"),
        ("harvest", {"view": (2048, 2048, 2048)}, "view"),
        ("ipd", {"max_steps": 2**31}, "max_steps"),
        ("ipd", {"continuation": 0.0}, "continuation"),
    ],
)
def test_huge_or_wrong_sizes_are_bounded(env, overrides, field):
    _raises(f"{env}.{field}", lambda: envs.make(env, **overrides))


@pytest.mark.parametrize("env", envs.names())
def test_defaults_build(env):
    envs.make(env)


@pytest.mark.parametrize(
    ("env", "overrides"),
    [
        ("coin_game", {"size": 2048}),
        ("coin_game", {"num_agents": 8, "size": 64, "max_steps": 2**31 - 1}),
        ("coin_game", {"pickup_reward": np.float32(2.0), "owner_penalty": 1e38}),
        ("stag_hunt", {"height": 2048, "width": 2048, "max_steps": jnp.int32(10)}),
        ("snowdrift", {"num_agents": 256, "height": 64, "width": 64}),
        ("snowdrift", {"end_when_cleared": np.bool_(False)}),
        ("cleanup", {"num_agents": 7, "view": (9, 1, 5)}),
        ("harvest", {"regrowth_radius_sq": 4, "fire_length": 20}),
        ("iterated_matrix_game", {"payoffs": np.ones((2, 2, 2)), "continuation": 0.5}),
    ],
)
def test_good_inputs_near_the_bounds_build(env, overrides):
    envs.make(env, **overrides)


# ------------------------------------------------------------------ games

PD = games.prisoners_dilemma()

GAME_CASES = [
    ("n_players", lambda: games.n_player_dilemma(2.5)),
    ("n_players", lambda: games.n_player_dilemma(True)),
    ("n_players", lambda: games.n_player_dilemma(100)),
    ("greed", lambda: games.n_player_dilemma(3, greed=NAN)),
    ("greed", lambda: games.n_player_dilemma(3, greed="1")),
    ("R", lambda: games.n_player_dilemma(3, R=None)),
    ("greed", lambda: games.n_player_dilemma(3, greed=INF, check=False)),
    ("greed", lambda: games.social_dilemma("a", 1.0)),
    ("T", lambda: games.matrix_game(3, 1, 1e39, 0)),
    ("n_players", lambda: games.public_goods_game(2.5)),
    ("endowment", lambda: games.public_goods_game(2, endowment=NAN)),
    ("endowment", lambda: games.public_goods_game(2, endowment="1")),
    ("multiplier", lambda: games.public_goods_game(2, multiplier=None)),
    ("multiplier", lambda: games.public_goods_game(3, multiplier=[1.5])),
    ("w", lambda: games.public_goods_game()(jnp.zeros((3, 1)))),
    ("variant", lambda: games.aga_toy_game("x")),
    ("w", lambda: games.aga_toy_game()(jnp.zeros(2))),
    ("gamma", lambda: games.memory_one_game(gamma=NAN)),
    ("gamma", lambda: games.memory_one_game(gamma="0.9")),
    ("gamma", lambda: games.memory_one_game(gamma=None)),
    ("payoffs", lambda: games.memory_one_game(jnp.zeros((2, 2)))),
    ("payoffs", lambda: games.memory_one_game([[[1, 2], [3, 4]], [[1, 2], [3]]])),
    ("payoffs", lambda: games.memory_one_game(jnp.full((2, 2, 2), NAN))),
    ("payoffs", lambda: games.memory_one_game("abc")),
    ("logits", lambda: games.memory_one_game()(jnp.zeros((2, 4)))),
    ("logits", lambda: games.values_from_logits(PD, jnp.zeros(3))),
    ("logits", lambda: games.values_from_logits(PD, jnp.zeros((2, 2)))),
    ("logits", lambda: games.values_from_logits(PD, 0.0)),
    ("payoffs", lambda: games.values_from_logits(jnp.zeros((2, 2)), jnp.zeros(2))),
    ("actions", lambda: games.payoff_of(PD, [0])),
    ("actions", lambda: games.payoff_of(PD, [0, 1, 0])),
    ("actions", lambda: games.payoff_of(PD, [0, 2])),
    ("actions", lambda: games.payoff_of(PD, [0, -1])),
    ("actions", lambda: games.payoff_of(PD, [0.5, 0])),
    ("actions", lambda: games.payoff_of(PD, 0)),
    ("policies", lambda: games.expected_payoffs(PD, jnp.ones((2, 3)) / 3)),
    ("policies", lambda: games.expected_payoffs(PD, jnp.ones((3, 2)) / 2)),
    ("payoffs", lambda: games.matrix_game_losses(jnp.zeros((2, 3, 3)))),
    ("benefit", lambda: games.continuous_dilemma(benefit=NAN)),
    ("benefit", lambda: games.continuous_dilemma(benefit="1")),
    ("cost", lambda: games.continuous_dilemma(cost=None)),
    ("noise", lambda: games.continuous_dilemma(noise=-1)),
    ("noise", lambda: games.continuous_dilemma(noise=INF)),
    ("benefit", lambda: games.continuous_dilemma(benefit=1e39, cost=1e39)),
    ("R", lambda: games.degree_ipd(R=NAN)),
    ("R", lambda: games.degree_ipd(R="3")),
    ("temperature", lambda: games.degree_ipd(temperature=0)),
    ("temperature", lambda: games.degree_ipd(temperature=None)),
]


@pytest.mark.parametrize(
    ("field", "call"), GAME_CASES, ids=[str(i) for i in range(len(GAME_CASES))]
)
def test_bad_game_input_is_named(field, call):
    _raises(field, call)


def test_good_game_inputs():
    assert games.values_from_logits(PD.tolist(), [0.0, 0.0]).shape == (2,)
    assert games.payoff_of(PD, np.array([0, 1])).shape == (2,)
    games.n_player_dilemma(16)
    games.continuous_dilemma(benefit=np.float32(0.5), cost=1.0)
    games.memory_one_game(gamma=np.float64(0.9))


# ------------------------------------------------------------------ metrics
# NaN in pure array math (equality, gini, ...) gives NaN out, as documented; trajectory
# metrics reject concrete NaN/inf rewards, which would otherwise drop episodes silently.

METRIC_CASES = [
    ("rewards", lambda: metrics.trajectory_metrics(jnp.array([[NAN, 1.0], [1.0, 0.0]]))),
    ("rewards", lambda: metrics.trajectory_metrics(jnp.array([[INF, 1.0], [1.0, 0.0]]))),
    ("rewards", lambda: metrics.trajectory_metrics(jnp.array([1.0, 0.0]))),
    ("rewards", lambda: metrics.trajectory_metrics("abc")),
    ("rewards", lambda: metrics.trajectory_metrics([[1.0, 0.0], [1.0]])),
    ("rewards", lambda: metrics.trajectory_metrics(jnp.ones((0, 2)))),
    ("rewards", lambda: metrics.episode_summaries(jnp.array([[NAN, 1.0]]))),
    ("done", lambda: metrics.trajectory_metrics(jnp.ones((3, 2)), jnp.ones(4, bool))),
    ("info", lambda: metrics.trajectory_metrics(jnp.ones((3, 2)), None, {"a/b": jnp.ones(4)})),
    ("convention", lambda: metrics.equality(jnp.array([1.0, 1.0]), "x")),
    ("returns", lambda: metrics.equality("ab")),
    ("length", lambda: metrics.efficiency(jnp.ones((3, 2)), jnp.ones(4))),
    ("length", lambda: metrics.peace(jnp.ones((3, 2)), jnp.ones(4))),
    ("positive_time", lambda: metrics.sustainability(jnp.ones((3, 2)), jnp.ones((3, 3)))),
    ("positive_time", lambda: metrics.sustainability(jnp.ones((3, 2)), jnp.ones((2,)))),
    ("done", lambda: metrics.mean_over_episodes({"a": jnp.ones(3)}, jnp.ones(4, bool))),
    ("info", lambda: metrics.from_episode_statistics({})),
    ("table", lambda: metrics.episode_metrics({})),
]


@pytest.mark.parametrize(
    ("field", "call"), METRIC_CASES, ids=[str(i) for i in range(len(METRIC_CASES))]
)
def test_bad_metric_input_is_named(field, call):
    _raises(field, call)


def test_nan_in_pure_metrics_is_nan_out():
    assert np.isnan(metrics.equality(jnp.array([NAN, 1.0])))
    assert float(metrics.trajectory_metrics([[1.0, 0.0]])["social/efficiency"]) == 1.0


# ------------------------------------------------------------------ learners, adjustments

COEFFICIENT_BAD = [-1.0, NAN, INF, "0.1", None, True, [0.1], np.float32(NAN), 1e39]


@pytest.mark.parametrize("value", COEFFICIENT_BAD, ids=repr)
@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("pg_critic", "lr"),
        ("pg_critic", "critic_lr"),
        ("pg_critic", "gamma"),
        ("pg_critic", "p_init"),
        ("exact_gradient", "lr"),
        ("exact_gradient", "p_init"),
    ],
)
def test_bad_learner_coefficient(name, field, value):
    _raises(f"learner.{field}", lambda: LEARNERS.make(name, **{field: value}))


ADJUST_FIELDS = [
    ("aga", "lam"),
    ("cga", "lam"),
    ("lola", "lr"),
    ("sga", "lam"),
    ("sga", "eps"),
    ("sl", "alpha"),
    ("sos", "lr"),
    ("sos", "a"),
    ("sos", "b"),
    ("svo", "angle"),
    ("svo", "weight"),
]


@pytest.mark.parametrize("value", [NAN, INF, "0.1", None, True, [0.1], 1 + 2j], ids=repr)
@pytest.mark.parametrize(("name", "field"), ADJUST_FIELDS)
def test_bad_adjustment_coefficient(name, field, value):
    _raises(f"{name}.{field}", lambda: ADJUSTMENTS.make(name, **{field: value}))


def test_bad_adjustment_flags():
    _raises("sga.align", lambda: ADJUSTMENTS.make("sga", align="yes"))
    _raises("aga.align_sign", lambda: ADJUSTMENTS.make("aga", align_sign=None))


def test_good_coefficients():
    LEARNERS.make("pg_critic", lr=np.float32(0.1), gamma=0.99)
    ADJUSTMENTS.make("sos", lr=np.float64(0.5), a=0.9, b=0.01)
    ADJUSTMENTS.make("svo", angle=-3.0, weight=0)


# ------------------------------------------------------------------ strategies

G = games.degree_ipd()
STRATEGY_FIELDS = [
    ("random", "p", "random.p"),
    ("generous_tft", "g", "generous_tft.g"),
    ("grim", "threshold", "grim.threshold"),
    ("fixed_beta", "beta", "fixed_beta.beta"),
    ("gradual_tft", "eps", "gradual_tft.eps"),
    ("ledger_gtft", "tolerance", "ledger.tolerance"),
    ("ledger_gtft", "width", "ledger.width"),
    ("ledger_gtft", "leak", "ledger.leak"),
    ("joss", "p", "joss.p"),
    ("naive_learner", "lr", "learner.lr"),
    ("naive_learner", "forget", "learner.forget"),
    ("lola_learner", "eta", "learner.eta"),
    ("naive_learner", "gamma", "learner.gamma"),
    ("naive_learner", "prior", "learner.prior"),
    ("naive_learner", "init_std", "learner.init_std"),
]


@pytest.mark.parametrize("value", [-1.0, NAN, INF, "0.5", None, True, [0.5]], ids=repr)
@pytest.mark.parametrize(("name", "kw", "field"), STRATEGY_FIELDS)
def test_bad_strategy_coefficient(name, kw, field, value):
    _raises(field, lambda: STRATEGIES.make(name, game=G, **{kw: value}))


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("learner.game", lambda: STRATEGIES.make("naive_learner", game=None)),
        ("learner.game", lambda: STRATEGIES.make("lola_learner", game="ipd")),
        ("wsls.game", lambda: STRATEGIES.make("wsls", game=None)),
        ("gradual_tft.game", lambda: STRATEGIES.make("gradual_tft", game="ipd")),
        ("gradual_tft.estimator", lambda: STRATEGIES.make("gradual_tft", game=G, estimator=3)),
        ("bayes.grid", lambda: STRATEGIES.make("gradual_tft", game=G, grid=10**9)),
        ("bayes.grid", lambda: STRATEGIES.make("gradual_tft", game=G, grid=2.5)),
        ("bayes.prior.a", lambda: STRATEGIES.make("gradual_tft", game=G, prior=(NAN, 1.0))),
        (
            "reward.iters",
            lambda: STRATEGIES.make("gradual_tft", game=G, estimator="reward", iters=10**9),
        ),
    ],
)
def test_bad_strategy_setup(field, call):
    _raises(field, call)
