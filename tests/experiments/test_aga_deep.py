"""The ``aga-deep`` preset and PPO with adjustments in the training program.

The behavioural test: in the iterated Prisoner's Dilemma (10 rounds), PPO agents on their
own surrogate (Simul-Ind) learn to defect, on the collective surrogate (Simul-Co) to
cooperate, and AgA (λ = 1, collective gradient plus the adjustment) cooperates too. A
sign error in the joint-ratio surrogate, a collective gradient that is the individual
one, or an adjustment that is not applied breaks it.
"""

import types

import numpy as np
import pytest

from prosocial.errors import ConfigError
from prosocial.experiments.aga import deep
from prosocial.experiments.ssd import program
from prosocial.experiments.ssd.config import SSDConfig


def ipd(adjustment: str) -> SSDConfig:
    return SSDConfig(
        env="ipd",
        env_options=("max_steps=10",),
        algo="adjusted_ppo",
        adjustment=adjustment,
        hidden=(16,),
        num_envs=16,
        updates=40,
        log_every=40,
        eval_envs=16,
        minibatches=2,
        lr=3e-3,
        ent_coef=0.0,
        seeds=2,
    )


@pytest.mark.parametrize(
    ("adjustment", "low", "high"),
    [("simul_ind", 0.0, 3.0), ("simul_co", 5.0, 10.0), ("aga", 4.0, 10.0)],
)
def test_ppo_with_adjustments_defects_alone_and_cooperates_for_the_collective(
    adjustment, low, high
):
    _, metrics = program.train(ipd(adjustment))
    cooperations = np.asarray(metrics["agent/cooperate"])[:, -1]  # (seeds, agents), of 10
    assert np.all((cooperations >= low) & (cooperations <= high)), cooperations


def test_cells_run_every_method_and_lambda_with_its_adjustment_and_reward():
    cfg = deep.DeepConfig(lams=(0.1, 100.0), sign_lams=(1.0,), coef=0.5)
    cells = {c.label: c for c in deep.cells(cfg)}
    per_game = 6 + 2 + 1  # six baselines, AgA at two λ, AgA without sign at one
    assert len(cells) == 2 * per_game
    aga = cells["harvest/aga/100"].config
    assert (aga.adjustment, aga.adjust_coef, aga.reward) == ("aga", 100.0, "individual")
    assert cells["cleanup/aga_fixed_sign/1"].config.adjustment == "aga_fixed_sign"
    svo = cells["harvest/svo"].config
    assert (svo.adjustment, svo.reward) == ("simul_ind", "svo")
    assert cells["harvest/sl"].config.adjust_coef == 0.5
    assert cells["harvest/simul_co"].config.adjust_coef == 1.0  # no coefficient
    assert "num_agents=4" in cells["cleanup/cga"].config.env_options
    for cell in cells.values():
        cell.config.check()
    # the AgA λ of one game are one compiled program
    shapes = {c.config.shape() for k, c in cells.items() if k.startswith("harvest/aga/")}
    assert len(shapes) == 1


def test_the_named_scales_are_the_published_settings():
    fc = deep.cell_config(deep.DeepConfig(scale="fcgrad"), "harvest", "aga", 1.0)
    assert (fc.num_envs, fc.minibatches, fc.channels, fc.kernels) == (64, 500, (32,) * 3, (5, 3, 3))
    assert "num_agents=4" in fc.env_options and "max_steps=1000" in fc.env_options
    sj = deep.cell_config(deep.DeepConfig(scale="socialjax"), "cleanup", "simul_ind", None)
    assert (sj.num_envs, sj.updates, sj.lr) == (256, 390, 5e-4)
    assert "num_agents=7" in sj.env_options
    # the batch is an option over any scale: the same steps in fewer, larger updates
    big = deep.cell_config(deep.DeepConfig(num_envs=32, updates=10), "harvest", "aga", 1.0)
    assert (big.num_envs, big.updates, big.minibatches) == (32, 10, 4)
    assert deep.cell_config(deep.DeepConfig(), "harvest", "aga", 1.0).num_envs == 8
    # the small orchard is a game on request, not part of the default reproduction
    assert deep.DeepConfig().games == ("harvest", "cleanup")
    small = deep.cell_config(deep.DeepConfig(max_steps=100), "harvest_small", "aga", 1.0)
    assert small.env == "harvest_small" and "max_steps=100" in small.env_options
    long = deep.cell_config(deep.DeepConfig(max_steps=200), "harvest", "aga", 1.0)
    assert "max_steps=200" in long.env_options and long.rollout_steps() == 200
    # the cross terms across time reach every cell, and their absence is the default
    crossed = deep.DeepConfig(hessian_lambda=0.5)
    assert {c.config.hessian_lambda for c in deep.cells(crossed)} == {0.5}
    assert deep.cell_config(deep.DeepConfig(), "harvest", "aga", 1.0).hessian_lambda is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"log_every": 7}, "log_every"),  # 7 does not divide 40 updates
        ({"scale": "gpu"}, "scale"),
        ({"lams": (-1.0,)}, "lams"),
        ({"methods": ("lola",)}, "methods"),
        ({"num_envs": 3}, "num_envs"),  # 4 minibatches of 3 × 50 steps
        ({"num_envs": 0}, "num_envs"),
        # whole environments in 4 minibatches: 6 × 50 steps would divide, 6 environments not
        ({"num_envs": 6, "hessian_lambda": 1.0}, "num_envs"),
        ({"hessian_lambda": 2.0}, "hessian_lambda"),
    ],
)
def test_bad_configs_name_their_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        deep.DeepConfig(**kwargs).check()
    assert err.value.field == field


def test_ssd_config_refuses_adjustments_for_other_learners():
    with pytest.raises(ConfigError) as err:
        SSDConfig(env="ipd", algo="ppo", adjustment="simul_co").check()
    assert err.value.field == "adjustment"
    with pytest.raises(ConfigError) as err:
        SSDConfig(env="ipd", algo="adjusted_ppo", shared=True).check()
    assert err.value.field == "shared"
    with pytest.raises(ConfigError) as err:
        SSDConfig(env="ipd", algo="adjusted_ppo", adjustment="svo").check()
    assert err.value.field == "adjustment"


def fake(returns_by_cell):
    return {
        cell: types.SimpleNamespace(
            metrics={"social/collective_return": np.array([[0.0, r], [0.0, r + 2.0]])}
        )
        for cell, r in returns_by_cell.items()
    }


def test_the_analysis_compares_aga_with_simul_ind_at_every_lambda():
    cfg = deep.DeepConfig(games=("harvest",), lams=(1.0, 100.0), sign_lams=(1.0,))
    results = fake(
        {
            "harvest/simul_ind": 10.0,
            "harvest/simul_co": 30.0,
            "harvest/aga/1": 12.0,
            "harvest/aga/100": 8.0,
            "harvest/aga_fixed_sign/1": 11.0,
        }
    )
    entry, md = deep.against_baselines(results, cfg)
    assert entry["harvest/aga/1"]["aga"] == 13.0  # mean of the seeds' last rows
    assert entry["harvest/aga/1"]["at_least_ind"] and not entry["harvest/aga/100"]["at_least_ind"]
    assert entry["harvest_bar"]["met"] is False
    assert "**not met**" in md
    results["harvest/aga/100"] = fake({"x": 10.0})["x"]
    assert deep.against_baselines(results, cfg)[0]["harvest_bar"]["met"] is True
