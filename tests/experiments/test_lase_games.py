"""The ``lase-games`` preset: its cells, scales, equality after gifts and the analysis
that states its bars."""

import types

import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.envs.wrappers import EXTRINSIC
from prosocial.errors import ConfigError
from prosocial.experiments.spec import Cell, CellData
from prosocial.experiments.ssd import lase_games as lg
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.program import learning_rewards


def test_cells_run_every_method_with_its_learner_and_reward():
    cells = {c.label: c.config for c in lg.cells(lg.GamesConfig())}
    assert len(cells) == 4 * 7
    lase, wo = cells["stag_hunt/lase"], cells["stag_hunt/lase_wo"]
    assert (lase.algo, lase.perspective, wo.algo, wo.perspective) == ("lase", True, "lase", False)
    assert (cells["snowdrift/go"].algo, cells["snowdrift/go"].reward) == ("a2c", "collective")
    assert cells["coin_game/ia"].reward == "inequity_aversion"
    assert (cells["cleanup_small/si"].algo, cells["cleanup_small/lio"].algo) == (
        "influence",
        "lio",
    )
    assert lase.lr_sr == lase.lr_pt == lase.lr == 1e-3  # the cpu scale's, ours
    for config in cells.values():
        config.check()
    # A2C, GO and IA of one game differ only in data: one compiled program
    assert len({cells[f"snowdrift/{m}"].shape() for m in ("a2c", "go", "ia")}) == 1
    assert cells["snowdrift/lase"].shape() != cells["snowdrift/lase_wo"].shape()


def test_the_gpu_scale_is_the_development_codes_settings():
    cfg = lg.GamesConfig(scale="gpu", games=("snowdrift",), methods=("lase",))
    (cell,) = lg.cells(cfg)
    c = cell.config
    assert (c.lr, c.lr_sr, c.lr_pt, c.channels, c.hidden) == (1e-4, 5e-5, 3e-5, (16, 32), (128,))
    assert c.updates * c.num_envs == 100_000


@pytest.mark.parametrize(("updates", "log_every"), [(40, 10), (7, 7), (45, 15), (1, 1)])
def test_an_updates_override_logs_at_a_divisor(updates, log_every):
    cfg = lg.GamesConfig(updates=updates)
    assert cfg.settings()["log_every"] == log_every
    for cell in lg.cells(cfg):
        cell.config.check()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"games": ("harvest",)}, "games"), ({"methods": ("ppo",)}, "methods")],
)
def test_bad_configs_name_their_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        lg.GamesConfig(**kwargs).check()
    assert err.value.field == field


def _data(metrics: dict) -> CellData:
    rows = {k: np.asarray(v, dtype=float) for k, v in metrics.items()}
    rows["step"] = np.zeros((2, 1))
    return CellData(Cell("x", None, {}), rows, np.zeros(1))


def test_equality_after_gifts_reads_lases_gifted_rewards_and_the_others_own():
    # two seeds, one row, two agents: (1, 3) → 1 − 2·2 / (2·2·4) = 0.75; (2, 2) → 1
    lase = _data(
        {
            "lase/gifted_reward": [[[1.0, 3.0]], [[2.0, 2.0]]],
            "train/return": [[[0.0, 4.0]], [[0.0, 4.0]]],
            "lase/gift_given": [[[0.2, 0.4]], [[0.1, 0.1]]],
        }
    )
    np.testing.assert_allclose(lg.equality_after_gifts(lase), [0.75, 1.0])
    np.testing.assert_allclose(lg.FINALS["gift_given"](lase), [0.3, 0.1])
    a2c = _data({"train/return": [[[0.0, 4.0]], [[1.0, 3.0]]]})
    np.testing.assert_allclose(lg.equality_after_gifts(a2c), [0.5, 0.75])
    assert np.all(np.isnan(lg.FINALS["gift_given"](a2c)))


def fake(game: str, values: dict) -> dict:
    """Cells whose collective return and rewards after gifts are given per method."""
    out = {}
    for method, (ret, rewards) in values.items():
        metrics = {
            "social/collective_return": np.array([[ret], [ret + 2.0]]),
            "train/return": np.array([[rewards], [rewards]]),
        }
        if method.startswith("lase"):
            metrics["lase/gifted_reward"] = metrics.pop("train/return")
        out[f"{game}/{method}"] = types.SimpleNamespace(metrics=metrics)
    return out


def test_the_analysis_states_lases_bars_against_a2c_and_cleanups_comparisons():
    cfg = lg.GamesConfig(games=("snowdrift", "cleanup_small"))
    results = {
        **fake("snowdrift", {"lase": (10.0, [2.0, 2.0]), "a2c": (8.0, [1.0, 3.0])}),
        **fake(
            "cleanup_small",
            {"lase": (5.0, [0.0, 4.0]), "a2c": (6.0, [2.0, 2.0]), "go": (9.0, [1.0, 1.0])},
        ),
    }
    entry, md = lg.against_a2c(results, cfg)
    snow, clean = entry["snowdrift"], entry["cleanup_small"]
    assert snow["return_gap"] == [2.0, 0.0] and snow["return_bar"] and snow["equality_bar"]
    assert not clean["return_bar"] and not clean["equality_bar"]
    assert clean["return_gap_go"] == [-4.0, 0.0] and "return_gap_lio" not in clean
    assert md.count("**not met**") == 2 and "against GO 10.00" in md
    assert lg.against_a2c({}, cfg) == ({}, "")


def test_adaptation_cells_pit_one_lase_agent_against_each_bot():
    from prosocial.experiments.ssd import lase_adaptation as la

    cells = {c.label: c.config for c in la.cells(la.AdaptationConfig())}
    assert sorted(cells) == sorted(
        f"ipd/{m}/{b}" for m in ("lase", "lase_wo") for b in ("cooperate", "defect", "random")
    )
    assert cells["ipd/lase/random"].coplayers == "random" and cells["ipd/lase/random"].perspective
    assert not cells["ipd/lase_wo/defect"].perspective
    seq = la.cells(la.AdaptationConfig(game="stag_hunt", methods=("lase",)))
    assert [c.config.env for c in seq] == ["stag_hunt"] * 3
    for config in [*cells.values(), *(c.config for c in seq)]:
        config.check()
    with pytest.raises(ConfigError) as err:
        SSDConfig(env="ipd", algo="a2c", coplayers="defect", shared=True).check()
    assert err.value.field == "shared"
    with pytest.raises(ConfigError) as err:
        SSDConfig(env="ipd", coplayers="tit_for_tat")
    assert err.value.field == "coplayers"


def test_the_adaptation_analysis_orders_the_gifts():
    from prosocial.experiments.ssd import lase_adaptation as la

    cfg = la.AdaptationConfig(methods=("lase",))

    def cell(given):  # (seeds, rows, agents): agent 0 is the LASE agent
        return _data({"lase/gift_given": [[[given, 0.0]], [[given + 0.02, 0.0]]]})

    results = {"ipd/lase/cooperate": cell(0.6), "ipd/lase/random": cell(0.3)}
    assert la.ordering(results, cfg) == ({}, "")  # no AllD cell: nothing to say
    results["ipd/lase/defect"] = cell(0.01)
    entry, md = la.ordering(results, cfg)
    assert entry["lase"]["cooperate"] == pytest.approx(0.61)
    assert entry["lase"]["allc_above_random"] and entry["lase"]["alld_near_zero"]
    assert "not met" not in md
    results["ipd/lase/random"] = cell(0.7)
    assert "**not met**" in la.ordering(results, cfg)[1]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"algo": "a2c", "altruists": 1},  # selfish A2C has no altruists
        {"algo": "a2c", "reward": "inequity_aversion", "altruists": 1},
        {"algo": "lase", "altruists": 5},  # the stag hunt has 4 agents
        {"algo": "lase", "altruists": 1, "coplayers": "random"},  # bots never gift
    ],
)
def test_altruists_are_refused_where_they_mean_nothing(kwargs):
    with pytest.raises(ConfigError) as err:
        SSDConfig(env="stag_hunt", **kwargs).check()
    assert err.value.field == "altruists"
    SSDConfig(env="stag_hunt", algo="lase", altruists=1).check()
    go_one = SSDConfig(env="stag_hunt", algo="a2c", reward="collective", altruists=1)
    go_one.check()
    # GO's altruists are data: one program serves it and selfish A2C
    assert go_one.shape() == SSDConfig(env="stag_hunt", algo="a2c").shape()
    assert go_one.learner_numbers()["altruists"] == 1.0


def test_one_go_agent_learns_from_the_sum_and_the_rest_from_their_own():
    """Under GO with ``altruists=1`` the first agent's learning reward is the sum of the
    game's rewards, the others keep their own; a wrong mask or axis breaks it."""
    rewards = jnp.asarray([[[1.0, 2.0, -3.0, 4.0]]])  # (T, E, n)
    info = {EXTRINSIC: rewards}
    one = learning_rewards({"collective": 1.0, "altruists": 1.0}, rewards, info)
    np.testing.assert_allclose(one[0, 0], [4.0, 2.0, -3.0, 4.0])
    every = learning_rewards({"collective": 1.0, "altruists": 1e9}, rewards, info)
    np.testing.assert_allclose(every[0, 0], [4.0] * 4)
    selfish = learning_rewards({"collective": 0.0, "altruists": 1e9}, rewards, info)
    np.testing.assert_allclose(selfish, rewards)


def test_lases_own_cleanup_and_one_lase_among_a2c_are_choices():
    cfg = lg.GamesConfig(games=("cleanup_lase",), methods=("lase_one", "a2c"))
    cells = {c.label: c.config for c in lg.cells(cfg)}
    one = cells["cleanup_lase/lase_one"]
    assert (one.env, one.algo, one.altruists) == ("cleanup_lase", "lase", 1)
    for config in cells.values():
        config.check()
    assert "lase_one" not in lg.GamesConfig().methods  # not run by default


def test_the_extended_games_are_larger_with_more_players_and_longer_episodes():
    cells = {c.label: c.config for c in lg.cells(lg.ExtendedConfig())}
    assert set(cells) == {
        f"{g}/{m}" for g in lg.EXTENDED for m in ("lase", "ia", "lio", "si", "a2c")
    }
    for game, base in (("cleanup_lase_extn", "cleanup_lase"), ("snowdrift_extn", "snowdrift")):
        big = cells[f"{game}/lase"]
        big.check()
        small = SSDConfig(env=base)
        env, env0 = big.make_game(), small.make_game()
        assert (env.num_agents(), env0.num_agents()) == (6, 4)
        view, view0 = (e.observation_space(e.params).shape for e in (env, env0))
        assert view[:2] == (7, 7) and view0[:2] == (5, 5)
        assert big.episode_length() > small.episode_length()
    with pytest.raises(ConfigError) as err:
        lg.ExtendedConfig(games=("harvest",)).check()
    assert err.value.field == "games"
