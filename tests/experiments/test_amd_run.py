"""The AMD program at reduced scale: numbers a sign error would break, and reproducibility."""

import dataclasses

import jax
import numpy as np
import pytest

from prosocial.errors import ConfigError, InvalidGameError
from prosocial.experiments.amd.presets import FINALS, ChapterConfig
from prosocial.experiments.amd.program import PROGRAM, AMDConfig, train
from prosocial.experiments.program import Batch
from prosocial.experiments.spec import Cell, CellData

SMALL = ChapterConfig(seeds=3, episodes=2000, log_every=50)


def run_cells(configs):
    """Every config as one batch, chunk by chunk as the runner runs it: ``(state, metrics)``
    with metrics ``(cells, seeds, rows, ...)``, rows of the longest cell."""
    batch = Batch(PROGRAM, configs)
    state, pieces, rows = batch.init(), [], 0
    while rows < batch.total_rows:
        state, piece = batch.advance(state, batch.chunk_rows)
        pieces.append(jax.device_get(piece))
        rows += batch.chunk_rows
    metrics = {
        k: np.concatenate([p[k] for p in pieces], axis=2)[:, :, : batch.total_rows]
        for k in pieces[0]
    }
    return state, metrics


class Out:
    """One cell's metrics ``(seeds, rows, ...)`` and its finals."""

    def __init__(self, config, metrics):
        rows = config.episodes // config.log_every
        self.metrics = {k: v[:, :rows] for k, v in metrics.items()}
        data = CellData(Cell("cell", config), self.metrics, self.metrics["episode"][0])
        self.finals = {k: np.asarray(fn(data)) for k, fn in FINALS.items()}


def get(configs):
    _, metrics = run_cells(list(configs))
    return [Out(c, {k: v[i] for k, v in metrics.items()}) for i, c in enumerate(configs)]


@pytest.fixture(scope="module")
def outs():
    cells = {
        f"{g}/{m}": SMALL.cell(g, **kw)
        for g in SMALL.games
        for m, kw in (
            ("none", {"planner": "none"}),
            ("planner", {}),
            ("rn", {"revenue_neutral": True}),
        )
    }
    cells["pd/turned_off"] = SMALL.cell("prisoners_dilemma", turn_off_after=1000)
    cells["pd/opponent_model"] = SMALL.cell("prisoners_dilemma", opponent_model=True)
    return dict(zip(cells, get(list(cells.values())), strict=True))


def test_planner_makes_learners_cooperate(outs):
    for game in SMALL.games:
        with_planner = outs[f"{game}/planner"].finals["p_coop"]
        assert with_planner.min() > 0.95, game
        assert outs[f"{game}/rn"].finals["p_coop"].min() > 0.9, game
    for game in ("prisoners_dilemma", "stag_hunt"):
        assert outs[f"{game}/none"].finals["p_coop"].max() < 0.1, game


def test_revenue_neutral_transfers_sum_to_zero(outs):
    np.testing.assert_allclose(outs["chicken/rn"].metrics["planner/extra_sum"], 0.0, atol=1e-5)
    assert outs["chicken/planner"].metrics["planner/extra_sum"].max() > 0.1
    assert outs["chicken/none"].metrics["planner/extra_abs"].max() == 0.0


def test_welfare_is_the_exact_value_of_the_final_policies(outs):
    out = outs["stag_hunt/planner"]
    p = out.metrics["policy/p_coop"][:, -1, :]
    R, S, T, P = 3, 0, 2, 1
    v = sum(
        a * b * (x + y)
        for a, b, x, y in [
            (p[:, 0], p[:, 1], R, R),
            (p[:, 0], 1 - p[:, 1], S, T),
            (1 - p[:, 0], p[:, 1], T, S),
            (1 - p[:, 0], 1 - p[:, 1], P, P),
        ]
    )
    np.testing.assert_allclose(out.metrics["social/welfare"][:, -1], v, rtol=1e-5)


def test_same_seed_gives_identical_numbers():
    cfg = AMDConfig(seeds=2, episodes=200, log_every=20)
    a = run_cells([cfg])[1]
    b = run_cells([cfg])[1]
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    c = run_cells([dataclasses.replace(cfg, seed=5)])[1]
    assert not np.array_equal(a["policy/p_coop"], c["policy/p_coop"])


def test_train_is_one_pure_run():
    cfg = AMDConfig(episodes=100, log_every=10, seeds=1)
    state, metrics = train(cfg, jax.random.PRNGKey(0))
    assert metrics["policy/p_coop"].shape == (10, 2)
    assert int(state.episode) == 100


def test_train_without_a_key_runs_every_seed_as_the_runner_does():
    cfg = AMDConfig(episodes=100, log_every=10, seeds=3, seed=5)
    _, metrics = train(cfg)
    assert metrics["policy/p_coop"].shape == (3, 10, 2)
    _, batched = run_cells([cfg])
    # the same keys and runs; the two compiled programs round differently (float32)
    np.testing.assert_allclose(metrics["policy/p_coop"], batched["policy/p_coop"][0], atol=1e-5)
    other = train(dataclasses.replace(cfg, seed=6))[1]["policy/p_coop"]
    np.testing.assert_allclose(other[:2], metrics["policy/p_coop"][1:], atol=1e-5)
    with pytest.raises(ConfigError, match=r"^seeds: 3 runs asked for with one key"):
        train(cfg, jax.random.PRNGKey(0))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"learner_lr": -0.01}, "learner_lr"),
        ({"planner_lr": 0.0}, "planner_lr"),
        ({"max_reward": 0.0}, "max_reward"),
        ({"max_reward": -1.0}, "max_reward"),
        ({"cost": -1.0}, "cost"),
        ({"game": "prisoner"}, "game"),
        ({"learner": "sgd"}, "learner"),
        ({"planner": "oracle"}, "planner"),
        ({"episodes": 1000, "log_every": 30}, "log_every"),
        ({"turn_off_after": 5000}, "turn_off_after"),
        ({"n_players": 1}, "n_players"),
        ({"p_init": 1.0}, "p_init"),
        ({"samples": 0}, "samples"),
        ({"greed": float("nan")}, "greed"),
        ({"fear": float("inf")}, "fear"),
    ],
)
def test_invalid_configs_name_the_field(changes, field):
    with pytest.raises(ConfigError, match=f"^{field}:"):
        AMDConfig(**changes)


def test_no_dilemma_is_rejected():
    with pytest.raises(InvalidGameError, match="condition 3"):
        AMDConfig(game="chicken", greed=1.0)


def test_a_diverging_batch_stops_after_the_chunk_where_it_did(tmp_path):
    from prosocial.experiments.runner import Options, _run_group

    bad = AMDConfig(learner="exact_gradient", episodes=2000, log_every=10, seeds=2)
    object.__setattr__(bad, "learner_lr", float("inf"))  # past validation, to force NaN
    res = _run_group(PROGRAM, [bad], tmp_path, Options(draw=False), "inf", ["pd/inf"])
    assert res.metrics["episode"].shape[2] < 200  # stopped after the first chunk
    assert res.diverged["seed"] == 0 and res.diverged["cell"] == 0
    assert res.diverged["metric"] in res.metrics


def test_infinite_step_sizes_are_rejected():
    with pytest.raises(ConfigError, match=r"^learner_lr:"):
        AMDConfig(learner_lr=float("inf"))
    with pytest.raises(ConfigError, match=r"^cost:"):
        AMDConfig(cost=float("inf"))


def test_turned_off_planner_pays_nothing_and_stops_learning(outs):
    m = outs["pd/turned_off"].metrics
    after = m["episode"][0] > 1000
    assert m["planner/extra_abs"][:, after].max() == 0.0
    assert m["planner/extra_abs"][:, ~after].mean() > 0.1
    assert (
        np.abs(m["planner/pay_player0"][:, after]).max() == 0.0
    )  # what it would pay, once off: nothing
    before = outs["prisoners_dilemma/planner"].metrics["policy/p_coop"][:, :20]
    np.testing.assert_array_equal(m["policy/p_coop"][:, :20], before)  # identical until turned off


def test_opponent_model_changes_the_planner_but_not_the_outcome(outs):
    om, exact = outs["pd/opponent_model"].metrics, outs["prisoners_dilemma/planner"].metrics
    assert not np.array_equal(om["planner/extra_abs"], exact["planner/extra_abs"])
    assert outs["pd/opponent_model"].finals["p_coop"].min() > 0.95


def test_aar_counts_every_transfer_not_their_sum(outs):
    m = outs["chicken/rn"].metrics
    assert np.abs(m["planner/extra_sum"]).max() < 1e-5 and m["planner/extra_abs"].mean() > 0.1
    np.testing.assert_allclose(
        outs["chicken/rn"].finals["aar"], m["planner/extra_abs"].mean(axis=1)
    )


def test_symmetric_planner_with_three_players():
    base = dict(n_players=3, planner_inputs="own", episodes=1500, log_every=50, seeds=2)
    cells = [AMDConfig(**base), AMDConfig(**base, planner="none")]
    _, metrics = run_cells(cells)
    final = metrics["policy/p_coop"][:, :, -1, :].mean(axis=(1, 2))
    assert final[0] > 0.9 and final[1] < 0.1


def test_state_types_are_stable_so_chunks_compile_once():
    """A weak-typed leaf out of init would recompile the chunk function on its second call."""

    from prosocial.experiments.amd import program as amd
    from prosocial.experiments.amd.cell import LEARNER_ORDER

    cells = [AMDConfig(episodes=20, log_every=10, seeds=1, learner=lrn) for lrn in LEARNER_ORDER]
    static = amd._static(cells)
    dyn = amd.dynamic(cells[0], static)
    state = amd.init(static, dyn, jax.random.PRNGKey(0))
    after, _ = amd.advance(static, dyn, state, 1)

    def avals(tree):
        return [(x.shape, x.dtype, x.weak_type) for x in jax.tree.leaves(tree)]

    assert avals(after) == avals(state)
