"""Deep learners on sequential games through the experiment layer: configs, the reward
baselines as data, the group-optimum analysis (the CLI run that is killed, resumed and
cross-played is in tests/test_cli.py)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs import wrappers
from prosocial.errors import ConfigError
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.program import build, learning_rewards

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

# ---------------------------------------------------------------- configs


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"env_options": ("nope=1",)}, "cleanup_small.nope"),
        ({"env_options": ("num_agents",)}, "env_options"),
        ({"env_options": ("max_steps=0",)}, "max_steps"),
        ({"wrappers": ("no_such_wrapper",)}, "wrappers"),
        ({"wrappers": ("episode_statistics",)}, "wrappers"),
        ({"wrappers": ("inequity_aversion:alpha",)}, "wrappers"),
        ({"minibatches": 3, "num_envs": 4, "steps": 8}, "minibatches"),
        ({"memory": "gru", "minibatches": 3, "num_envs": 4}, "minibatches"),
        ({"updates": 10, "log_every": 3}, "log_every"),
        ({"algo": "a2c", "eps_start": 0.1, "eps_end": 0.2}, "eps_end"),
        ({"kernels": (3,)}, "kernels"),
        ({"channels": (0,)}, "channels"),
        ({"reward": "selfless"}, "reward"),
        ({"lr": 0.0}, "lr"),
        ({"algo": "lio", "shared": True}, "shared"),
        ({"algo": "lio", "reward": "collective"}, "reward"),
        ({"algo": "lio", "steps": 10}, "steps"),
        ({"algo": "lio", "eps_start": 0.1, "eps_end": 0.2}, "eps_end"),
        ({"algo": "lio", "r_max": -1.0}, "r_max"),
        ({"algo": "lio", "watched": ("zap",)}, "watched"),
        ({"algo": "a2c", "watched": ("clean",)}, "watched"),
        ({"algo": "lase", "reward": "collective"}, "reward"),
        ({"algo": "lase", "coplayer_model": "mirror"}, "coplayer_model"),
        ({"algo": "a2c", "coplayer_model": "imitate"}, "coplayer_model"),
        ({"algo": "ppo", "perspective": False}, "perspective"),
        ({"algo": "ppo", "hessian_lambda": 0.5}, "hessian_lambda"),
        ({"algo": "adjusted_ppo", "hessian_lambda": 1.5}, "hessian_lambda"),
        # whole sequences: 4 environments in 3 minibatches, though 12 steps × 4 would divide
        (
            {
                "algo": "adjusted_ppo",
                "hessian_lambda": 0.5,
                "minibatches": 3,
                "num_envs": 4,
                "steps": 12,
            },
            "minibatches",
        ),
    ],
)
def test_bad_configs_name_the_field(fields, needle):
    with pytest.raises(ConfigError, match=needle):
        SSDConfig(env="cleanup_small", **fields)


def test_a_cnn_needs_a_grid_view():
    with pytest.raises(ConfigError, match="torso"):
        SSDConfig(env="ipd", torso="cnn")
    assert SSDConfig(env="ipd").network().torso == "mlp"
    assert SSDConfig(env="coin_game").network().torso == "cnn"


def test_data_fields_do_not_change_the_compiled_shape():
    a = SSDConfig(env="coin_game", lr=1e-3, reward="svo", seed=3)
    b = SSDConfig(env="coin_game", lr=2e-3, reward="collective", gamma=0.9)
    assert a.shape() == b.shape()
    assert a.shape() != SSDConfig(env="coin_game", num_envs=8).shape()
    assert a.shape() != SSDConfig(env="coin_game", algo="a2c").shape()


def test_env_options_parse_numbers_booleans_and_tuples():
    cfg = SSDConfig(env="cleanup", env_options=("num_agents=3", "view=4/1/2", "max_steps=20"))
    game = cfg.make_game()
    assert game.num_agents() == 3 and game.params.view == (4, 1, 2)
    assert cfg.rollout_steps() == 20 and cfg.evaluation_steps() == 20


# ---------------------------------------------------------------- rewards as data


def _steps(reward: str, **numbers):
    """The rewards the agents learn from beside the bare game's, step by step."""
    cfg = SSDConfig(env="coin_game", reward=reward, **numbers)
    dyn = {k: jnp.asarray(v, jnp.float32) for k, v in cfg.learner_numbers().items()}
    env, _ = build(cfg.shape(), dyn)
    game = envs.make("coin_game")
    key = jax.random.PRNGKey(4)
    _, state = env.reset(key)
    _, game_state = game.reset(key)
    for t in range(40):  # play until both colours have been picked at least once
        k = jax.random.fold_in(key, t)
        actions = jax.random.randint(k, (2,), 0, 4)
        _, state, shaped, *_, info = env.step(k, state, actions)
        _, game_state, rewards, *_ = game.step(k, game_state, actions)
        learned = learning_rewards(dyn, shaped[None], {k2: v[None] for k2, v in info.items()})[0]
        yield np.asarray(learned), np.asarray(rewards), info


def test_the_reward_baselines_are_the_wrappers_rules_with_their_numbers_as_data():
    picked = 0
    for learned, game, _ in _steps("individual"):
        np.testing.assert_array_equal(learned, game)  # exactly the game's rewards
        picked += np.any(game != 0)
    assert picked > 0
    for learned, game, _ in _steps("collective"):
        np.testing.assert_allclose(learned, np.full(2, game.sum()), rtol=1e-6)
    angle = 30.0
    for learned, game, _ in _steps("svo", svo_angle=angle):
        expected = np.cos(math.radians(angle)) * game + np.sin(math.radians(angle)) * game[::-1]
        np.testing.assert_allclose(learned, expected, rtol=1e-5, atol=1e-6)
    traces = np.zeros(2)
    for learned, game, _ in _steps("inequity_aversion", ia_alpha=2.0, ia_beta=0.5):
        traces = 0.99 * 0.95 * traces + game
        expected = wrappers.inequity_averse_rewards(
            jnp.asarray(game), jnp.asarray(traces, jnp.float32), 2.0, 0.5
        )
        np.testing.assert_allclose(learned, expected, rtol=1e-4, atol=1e-5)


def test_the_group_optimum_analysis_compares_collective_returns_and_counters():
    from prosocial.experiments.spec import Cell, CellData
    from prosocial.experiments.ssd.analyses import group_optimum
    from prosocial.experiments.ssd.presets import BaselinesConfig

    def data(label, collective, cleaned):
        metrics = {
            "social/collective_return": np.array([[0.0, collective], [0.0, collective]]),
            "cleanup/waste_cleaned": np.array([[0.0, cleaned], [0.0, cleaned]]),
        }
        return CellData(Cell(label, None), metrics, np.array([1, 2]))

    cfg = BaselinesConfig(games=("cleanup_small",), methods=("ppo", "a2c", "go"))
    results = {
        "cleanup_small/go": data("go", 30.0, 5.0),
        "cleanup_small/ppo": data("ppo", 20.0, 1.0),  # 1.5×, less cleaning: met
        "cleanup_small/a2c": data("a2c", 25.0, 1.0),  # 1.2×: not met
    }
    entry, md = group_optimum(results, cfg)
    assert entry["cleanup_small/ppo"]["ratio"] == pytest.approx(1.5)
    assert entry["cleanup_small/ppo"]["bar"] is True
    assert entry["cleanup_small/a2c"]["bar"] is False
    results["cleanup_small/ppo"] = data("ppo", 20.0, 9.0)  # cleans more than GO: not met
    assert group_optimum(results, cfg)[0]["cleanup_small/ppo"]["bar"] is False
    assert "not met" in md and "1.50×" in md


def test_lio_finals_find_the_cleaner_and_the_analysis_pairs_seeds():
    from prosocial.experiments.spec import Cell, CellData
    from prosocial.experiments.ssd.lio import (
        CleanupConfig,
        cleaner_received,
        lio_against_a2c,
        top_cleaner_share,
    )

    # 2 seeds × 2 rows × 2 agents: in seed 0 agent 1 cleans 3 of 4 and is paid 7; in seed
    # 1 nobody cleans
    cleaned = np.array([[[0.0, 0.0], [1.0, 3.0]], [[0.0, 0.0], [0.0, 0.0]]])
    received = np.array([[[0.0, 0.0], [2.0, 7.0]], [[0.0, 0.0], [5.0, 1.0]]])
    lio = CellData(
        Cell("lio", None),
        {
            "agent/waste_cleaned": cleaned,
            "incentive/received": received,
            "social/collective_return": np.array([[0.0, 10.0], [0.0, 4.0]]),
        },
        np.array([1, 2]),
    )
    share = top_cleaner_share(lio)
    assert share[0] == pytest.approx(0.75) and np.isnan(share[1])
    np.testing.assert_allclose(cleaner_received(lio)[0], 7.0)

    def other(collective):
        return CellData(
            Cell("x", None),
            {"social/collective_return": np.array([[0.0, collective[0]], [0.0, collective[1]]])},
            np.array([1, 2]),
        )

    results = {
        "cleanup_small/lio": lio,
        "cleanup_small/a2c": other((6.0, 6.0)),  # gaps 4, −2: mean 1 ± 3
        "cleanup_small/ac": other((12.0, 4.0)),  # gaps −2, 0: mean −1 ± 1
    }
    entry, md = lio_against_a2c(results, CleanupConfig())
    assert entry["gap_a2c"] == pytest.approx([1.0, 3.0])
    assert entry["gap_ac"] == pytest.approx([-1.0, 1.0])
    assert entry["bar"] is True and "met" in md
    results["cleanup_small/a2c"] = other((9.0, 6.0))  # gaps 1, −2: mean −0.5
    assert lio_against_a2c(results, CleanupConfig())[0]["bar"] is False


def test_lio_cleanup_runs_either_of_lios_maps():
    from prosocial.experiments.ssd.lio import CleanupConfig, _cleanup_cells, lio_against_a2c

    for name, env, agents in (("7x7", "cleanup_small", 2), ("10x10", "cleanup_10x10", 3)):
        cells = _cleanup_cells(CleanupConfig(map=name))
        assert {c.label for c in cells} == {f"{env}/lio", f"{env}/a2c", f"{env}/ac"}
        assert {c.config.env for c in cells} == {env}
        assert envs.make(env).params.num_agents == agents
        # LIO's own learners without incentives: the same learner, R_max 0
        by = {c.label.split("/")[1]: c.config for c in cells}
        assert by["ac"].algo == by["lio"].algo == "lio" and by["a2c"].algo == "a2c"
        assert by["ac"].r_max == 0.0 < by["lio"].r_max
    cells = _cleanup_cells(CleanupConfig(watch_cleaning=True))
    watching = {c.label: c.config.watched for c in cells}
    assert watching == {
        "cleanup_small/lio": ("clean",),
        "cleanup_small/ac": ("clean",),  # one compiled program with LIO's
        "cleanup_small/a2c": None,
    }
    assert lio_against_a2c({}, CleanupConfig(map="10x10")) == ({}, "")
    with pytest.raises(ConfigError, match="map"):
        CleanupConfig(map="5x5")


def test_lase_ipd_runs_through_the_batched_runner_and_counts_training_moves():
    """LASE vmapped over cells × seeds at 5 × 16 (the size that crashed XLA's CPU
    runtime before the YNNPACK workaround), one evaluation row; and the preset's finals:
    the training cooperation of two uniformly random players (ε = 1) is about one half,
    and random play's reference figures follow from LASE's payoffs."""
    from prosocial.experiments.program import Batch
    from prosocial.experiments.spec import Cell, CellData
    from prosocial.experiments.ssd import lase as presets
    from prosocial.experiments.ssd.program import PROGRAM

    base = {
        "env": "iterated_matrix_game",
        "env_options": ("game=lase_prisoners_dilemma", "max_steps=20"),
        "hidden": (8,),
        "seeds": 5,
        "num_envs": 16,
        "updates": 2,
        "log_every": 2,
        "eval_envs": 4,
    }
    lase = SSDConfig(algo="lase", **base)
    batch = Batch(PROGRAM, [lase])
    _, metrics = batch.advance(batch.init(), 1)
    assert np.asarray(metrics["lase/conservation_error"]).max() <= 1e-4
    assert np.asarray(metrics["train/cooperate"]).shape == (1, 5, 1, 2)

    coin = SSDConfig(algo="a2c", eps_start=1.0, eps_end=1.0, **base)
    batch = Batch(PROGRAM, [coin])
    _, metrics = batch.advance(batch.init(), 1)
    rows = {k: np.asarray(v)[0] for k, v in metrics.items()}  # (seeds, rows, ...)
    rate = presets.train_cooperation(CellData(Cell("a2c", coin), rows, np.arange(1)))
    assert rate.shape == (5,)
    assert abs(rate.mean() - 0.5) < 0.03  # 5 × 16 × 2 episodes of 20 moves each
    assert presets.random_play(20) == (0.5, 100.0)  # (4 + 0 + 5 + 1) · 2 / 4 per round
