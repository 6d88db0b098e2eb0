"""The ``aga-smax`` preset: its cells, its named scales, its validation, and a team
that learns to win in the training program."""

import dataclasses

import numpy as np
import pytest

from prosocial.errors import ConfigError
from prosocial.experiments.aga import smax
from prosocial.experiments.ssd import program

pytest.importorskip("jaxmarl")


def test_cells_run_each_method_with_its_adjustment_on_the_selfish_team():
    cfg = smax.SMAXConfig(lams=(0.1, 100.0))
    cells = {c.label: c.config for c in smax.cells(cfg)}
    assert sorted(cells) == ["aga/0.1", "aga/100", "simul_co", "simul_ind"]
    assert (cells["aga/100"].adjustment, cells["aga/100"].adjust_coef) == ("aga", 100.0)
    assert cells["simul_co"].adjustment == "simul_co"
    for config in cells.values():
        assert config.env == "smax_selfish" and config.reward == "individual"
        assert "allies=7m2M1s" in config.env_options and "enemies=8m3M1s" in config.env_options
        # JaxMARL's IPPO settings for SMAX
        assert (config.lr, config.clip, config.max_grad_norm, config.epochs) == (
            0.004,
            0.05,
            0.25,
            4,
        )
    assert cells["aga/0.1"].shape() == cells["aga/100"].shape()  # λ is data: one program


def test_the_jaxmarl_scale_is_its_ippo_setting():
    config = smax.cell_config(smax.SMAXConfig(scale="jaxmarl"), "simul_ind", None)
    assert (config.num_envs, config.steps, config.updates) == (128, 128, 610)
    assert (config.memory, config.memory_size, config.anneal_lr) == ("gru", 128, True)
    smaller = smax.cell_config(smax.SMAXConfig(scale="jaxmarl", num_envs=16), "aga", 1.0)
    assert (smaller.num_envs, smaller.steps, smaller.updates) == (16, 128, 610)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"log_every": 7}, "log_every"),  # 7 does not divide the 300 updates
        ({"allies": "7q"}, "allies"),
        ({"allies": "1m"}, "allies"),
        ({"enemies": "0m"}, "enemies"),
        ({"enemies": "65m"}, "enemies"),
        ({"methods": ("sga",)}, "methods"),
    ],
)
def test_bad_configs_name_their_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        smax.SMAXConfig(**kwargs).check()
    assert err.value.field == field


def test_a_team_on_its_summed_reward_learns_to_fight():
    """Three marines against three, Simul-Co: the damage the team deals per battle grows
    over 60 updates (random play deals about a third of the enemies' health; a learner
    that ignored its reward, or climbed it the wrong way, would not deal more)."""
    cfg = smax.SMAXConfig(allies="3m", enemies="3m", updates=60, log_every=20, seeds=2)
    config = smax.cell_config(cfg, "simul_co", None)
    _, metrics = program.train(dataclasses.replace(config, num_envs=16, hidden=(64, 64)))
    damage = np.asarray(metrics["agent/damage"]).sum(-1)  # (seeds, rows)
    assert np.all(damage[:, -1] > damage[:, 0] + 0.05), damage
