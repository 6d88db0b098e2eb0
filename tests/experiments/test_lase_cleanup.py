"""The ``lase-cleanup`` preset: one LASE or GO agent among A2C agents and the division
of labour in LASE's Cleanup."""

import numpy as np
import pytest

from prosocial.errors import ConfigError
from prosocial.experiments.spec import Cell, CellData
from prosocial.experiments.ssd import lase_cleanup as lc
from prosocial.experiments.ssd.config import SSDConfig


def test_cells_put_one_lase_or_go_agent_among_a2c_agents():
    cells = {c.label: c.config for c in lc.cells(lc.CleanupConfig())}
    assert set(cells) == {f"cleanup_lase/{m}" for m in lc.METHODS}
    one, go = cells["cleanup_lase/lase_one"], cells["cleanup_lase/go_one"]
    assert (one.env, one.algo, one.altruists) == ("cleanup_lase", "lase", 1)
    assert (go.algo, go.reward, go.altruists) == ("a2c", "collective", 1)
    assert cells["cleanup_lase/lase"].altruists is None
    for config in cells.values():
        config.check()
    # GO among A2C and four A2C agents differ only in data: one compiled program
    assert go.shape() == cells["cleanup_lase/a2c"].shape()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"methods": ("ppo",)}, "methods"), ({"scale": "tpu"}, "scale"), ({"updates": 0}, "updates")],
)
def test_bad_configs_name_their_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        lc.CleanupConfig(**kwargs).check()
    assert err.value.field == field


def test_agents_are_ranked_by_cleaning_within_each_seed():
    values = np.asarray([[10.0, 20.0, 30.0, 40.0], [1.0, 2.0, 3.0, 4.0]])
    cleaned = np.asarray([[0.0, 5.0, 1.0, 5.0], [9.0, 0.0, 0.0, 3.0]])
    np.testing.assert_allclose(
        lc.by_cleaning(values, cleaned), [[20.0, 40.0, 30.0, 10.0], [1.0, 4.0, 2.0, 3.0]]
    )


def _data(label: str, metrics: dict) -> CellData:
    config = SSDConfig(env="cleanup_lase", algo="lase" if "lase" in label else "a2c")
    rows = {k: np.asarray(v, dtype=float)[:, None] for k, v in metrics.items()}
    rows["step"] = np.zeros((2, 1))
    return CellData(Cell(label, config, {}), rows, np.zeros(1))


LASE = {
    "train/return": [[4.0, 0.0, 2.0, 2.0], [0.0, 6.0, 1.0, 1.0]],
    "train/waste_cleaned": [[0.0, 9.0, 1.0, 1.0], [0.0, 0.0, 8.0, 2.0]],
    "lase/gift_received": [[0.0, 0.3, 0.1, 0.1], [0.0, 0.0, 0.4, 0.1]],
    "lase/gifted_reward": [[0.02, 0.03, 0.02, 0.01], [0.01, 0.04, 0.02, 0.01]],
}


def test_reward_after_gifts_is_lases_per_step_reward_times_the_episode():
    lase = _data("cleanup_lase/lase", LASE)
    steps = SSDConfig(env="cleanup_lase").episode_length()
    assert steps == 100
    np.testing.assert_allclose(
        lc.quantity(lase, "total"), np.asarray(LASE["lase/gifted_reward"]) * 100
    )
    np.testing.assert_allclose(lc.FINALS["total_1"](lase), [3.0, 4.0])
    a2c = _data("cleanup_lase/a2c", {k: LASE[k] for k in ("train/return", "train/waste_cleaned")})
    np.testing.assert_allclose(lc.quantity(a2c, "total"), LASE["train/return"])
    assert np.isnan(lc.quantity(a2c, "received")).all()
    with pytest.raises(ValueError, match="unknown quantity"):
        lc.quantity(a2c, "apples")


def test_division_of_labour_lists_the_top_cleaner_first():
    results = {
        "cleanup_lase/lase": _data("cleanup_lase/lase", LASE),
        "cleanup_lase/a2c": _data(
            "cleanup_lase/a2c", {k: LASE[k] for k in ("train/return", "train/waste_cleaned")}
        ),
    }
    summary, text = lc.division_of_labour(results, lc.CleanupConfig())
    # seed 0's top cleaner is agent 2 (9 cleaned, return 0), seed 1's agent 3 (8, return 1)
    np.testing.assert_allclose(summary["lase"]["cleaned"][0], [8.5, 0.5])
    np.testing.assert_allclose(summary["lase"]["extrinsic"][0], [0.5, 0.5])
    np.testing.assert_allclose(summary["lase"]["received"][0], [0.35, 0.05])
    np.testing.assert_allclose(summary["lase"]["total"][0], [2.5, 0.5])
    assert "Division of labour" in text and "| 1 | 0.50 ± 0.50 | 8.50 ± 0.50 |" in text
    assert np.isnan(summary["a2c"]["received"][0][0])
    assert lc.division_of_labour({}, lc.CleanupConfig()) == ({}, "")


def test_tables_hold_the_among_a2c_tables_only_when_their_methods_run():
    full = lc.tables(lc.CleanupConfig())
    assert len(full) == 3
    assert [c.final for c in full[1].columns] == [f"total_{i}" for i in range(4)]
    assert full[2].cells == tuple(f"cleanup_lase/{m}" for m in ("lase_one", "go_one", "a2c"))
    assert len(lc.tables(lc.CleanupConfig(methods=("lase",)))) == 1
