"""The AgA presets on the experiment layer, at reduced scale: numbers a wrong
implementation would break."""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import prosocial.experiments as ex
from prosocial.adjust import ADJUSTMENTS, shaping_term
from prosocial.errors import ConfigError
from prosocial.experiments import summary as gen
from prosocial.experiments.aga import analyses
from prosocial.experiments.aga.program import PROGRAMS, AdjustConfig
from prosocial.experiments.program import Batch
from prosocial.experiments.spec import Bar

SMALL = {"methods": "simul_ind,sga,simul_co,aga", "runs": "8", "lam_grid": "0.1,10"}


def _run(name, overrides, tmp_path, draw=False):
    path = ex.run_preset(name, overrides, run_dir=tmp_path / name, draw=draw)
    return path, json.loads((path / "summary.json").read_text())


@pytest.fixture(scope="module")
def pgg(tmp_path_factory):
    return _run("aga-public-goods", SMALL, tmp_path_factory.mktemp("pgg"), draw=True)


def _mean(summary, cell, final):
    return summary["cells"][cell]["stats"][final]["mean"]


def test_aga_beats_the_selfish_learners_and_sga_is_simul_ind(pgg):
    path, s = pgg
    chosen = s["analyses"]["public_goods"]["chosen"]
    sw = {m: _mean(s, c["cell"], "sw") for m, c in chosen.items()}
    assert sw["aga"] > sw["simul_ind"] + 0.4 and sw["simul_co"] > sw["simul_ind"] + 0.3
    assert sw["aga"] >= sw["simul_co"]
    # the public goods game Hessian is diagonal: SGA's antisymmetric part is zero
    np.testing.assert_allclose(
        s["cells"][chosen["sga"]["cell"]]["finals"]["sw"],
        s["cells"]["simul_ind/report"]["finals"]["sw"],
    )
    assert (path / "figures" / "public_goods_sweep.png").stat().st_size > 10_000


def test_table_holds_the_seed_numbers_and_flags_cells_outside(pgg):
    path, s = pgg
    table = s["analyses"]["public_goods"]["table"]
    assert table["header"][:4] == ["method", "coefficient", "r₁", "paper r₁"]
    row = next(r for r in table["rows"] if r[0] == "AgA")
    assert "2.903 ± 0.023" in row  # the seed's AgA SW beside ours
    for m, c in s["analyses"]["public_goods"]["chosen"].items():
        seed = analyses.SEED_PUBLIC_GOODS[(m,)]["sw"]
        outside = abs(_mean(s, c["cell"], "sw") - seed[0]) > seed[1]
        assert any(f.startswith(c["cell"] + ", SW") for f in table["flags"]) == outside
    md = (path / "summary.md").read_text()
    assert "## The sweep" in md and "Why outside the seed's interval" in md


def test_sweep_selects_by_selection_runs_and_reports_fresh_runs(pgg):
    _, s = pgg
    sweep = [p for p in s["analyses"]["public_goods"]["sweep"] if p["method"] == "aga"]
    assert [p["coefficient"] for p in sweep] == [0.1, 10.0]
    best = max(p["select_sw"] for p in sweep)
    chosen = [p for p in sweep if p["chosen"]]
    assert len(chosen) == 1 and chosen[0]["select_sw"] >= best - 0.001
    for p in sweep:  # two streams: different runs, different numbers
        assert abs(p["select_sw"] - p["report_sw"]) > 1e-3
        assert p["report_sw"] == pytest.approx(_mean(s, p["cell"] + "/report", "sw"))


def test_selection_rule_keeps_the_smallest_coefficient_within_tolerance():
    grid = {"simul_ind": [(None, 2.3)], "sl": [(0.1, 2.5), (1.0, 2.9995), (10.0, 3.0)]}
    assert analyses.select(grid, 0.001) == {"simul_ind": 0, "sl": 1}
    assert analyses.select(grid, 0.0)["sl"] == 2
    assert analyses.grid_edge((3.0, 0.1, 1.0), 0.1) == "smallest"
    assert analyses.grid_edge((3.0, 0.1, 1.0), 3.0) == "largest"
    assert analyses.grid_edge((3.0, 0.1, 1.0), 1.0) is None
    assert analyses.grid_edge((45.0,), 45.0) == "only"
    assert analyses.grid_edge((None,), None) is None


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({}, set()),
        ({"simul_co": (2.91, 0.94)}, {"ordering"}),
        ({"cga": (2.81, 0.93)}, {"ordering"}),
        ({"sl": (2.68, 0.97)}, {"aga_top_equality"}),
    ],
)
def test_ranking_bars_on_hand_made_tables(change, failed):
    good = {
        "simul_ind": (2.32, 0.92),
        "cga": (2.31, 0.93),
        "sga": (2.31, 0.92),
        "simul_co": (2.81, 0.94),
        "sl": (2.68, 0.94),
        "aga": (2.90, 0.96),
    }
    table = {m: {"sw": sw, "equality": eq} for m, (sw, eq) in (good | change).items()}
    bars = analyses.ranking_bars(table)
    assert {b["name"] for b in bars} == {"ordering", "aga_top_equality"}
    assert {b["name"] for b in bars if not b["met"]} == failed
    assert analyses.ranking_bars({"simul_co": {"sw": 2.8, "equality": 0.9}}) == []


def test_three_players_give_three_r_columns_and_no_paper_column(tmp_path):
    over = {
        "methods": "simul_ind,aga",
        "runs": "3",
        "steps": "10",
        "lam_grid": "1",
        "n_players": "3",
    }
    _, s = _run("aga-public-goods", over, tmp_path)
    table = s["analyses"]["public_goods"]["table"]
    assert table["header"] == ["method", "coefficient", "r₁", "r₂", "r₃", "SW", "Equality"]
    assert table["paper"] is None and "n_players=3" in table["notes"][0]


def test_another_endowment_drops_the_paper_column_with_a_note(tmp_path):
    over = {"methods": "simul_ind", "runs": "3", "steps": "10", "endowment": "2"}
    path, s = _run("aga-public-goods", over, tmp_path)
    table = s["analyses"]["public_goods"]["table"]
    assert not any(h.startswith("paper") for h in table["header"])
    assert "endowment=2 (seed: 1)" in (path / "summary.md").read_text()


def test_divergence_is_judged_on_w_not_only_on_the_saturating_contributions():
    # λ near the float32 maximum sends w to −∞ in one step, where b·σ(w) = 0 is finite.
    program = PROGRAMS.make("adjust")
    cfg = AdjustConfig(
        methods=("simul_ind", "aga"), method="aga", lr=100.0, steps=5, log_every=5, seeds=2
    )
    batch = Batch(program, [cfg])
    batch.dyn = batch.dyn._replace(coefficient=jnp.full((1,), 3e38, jnp.float32))
    state, metrics = batch.advance(batch.init(), 2)
    assert np.isfinite(np.asarray(metrics["action/contribution"])).all()
    assert not np.isfinite(np.asarray(metrics["params/w"])[:, :, -1]).any()
    assert not np.asarray(batch.finish(state)["w_finite"]).any()


def test_public_goods_runs_are_deterministic_and_use_the_seed_streams():
    program = PROGRAMS.make("adjust")
    cfg = AdjustConfig(method="simul_ind", seeds=3, steps=20)
    first = Batch(program, [cfg]).advance(Batch(program, [cfg]).init(), 3)[1]
    again = Batch(program, [cfg]).advance(Batch(program, [cfg]).init(), 3)[1]
    np.testing.assert_array_equal(first["payoff/reward"], again["payoff/reward"])
    keys = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(0), 0), 3)
    w0 = jax.vmap(lambda k: jax.random.logistic(k, (2, 1)))(keys)[:, :, 0]
    np.testing.assert_allclose(first["action/contribution"][0, :, 0], jax.nn.sigmoid(w0), rtol=1e-6)
    a = np.asarray(first["action/contribution"])
    np.testing.assert_allclose(
        first["payoff/reward"], 1 - a + 0.75 * a.sum(-1, keepdims=True), rtol=1e-6
    )


def test_toy_game_collective_methods_reach_more_and_aga_beats_aga_sign(tmp_path):
    over = {"methods": "simul_ind,simul_co,aga,aga_fixed_sign", "starts": "48"}
    path, s = _run("aga-toy-game", over, tmp_path, draw=True)
    reached = {m: _mean(s, m, "reached") for m in ("simul_ind", "simul_co", "aga")}
    assert reached["aga"] > reached["simul_ind"] + 30
    assert reached["simul_co"] > reached["simul_ind"] + 30
    sign = s["analyses"]["sign_alignment"]
    assert sign["both_reached"] > 0 and sign["aga_faster"] > sign["aga_slower"]
    spec = json.loads((path / "figures.json").read_text())[0]["spec"]
    z = np.asarray(spec["panels"][0]["z"])
    assert 1.95 < z.max() <= 2.0  # the bounded reading peaks at 2
    assert (path / "figures" / "toy_trajectories.png").exists()


def test_a_configured_start_is_drawn_but_not_counted(tmp_path):
    over = {"methods": "simul_ind,aga,aga_fixed_sign", "starts": "16"}
    _, plain = _run("aga-toy-game", over, tmp_path / "a")
    _, drawn = _run("aga-toy-game", over | {"start": "1.5,-1.5"}, tmp_path / "b")
    for m in ("simul_ind", "aga", "aga_fixed_sign"):
        assert plain["cells"][m]["finals"] == drawn["cells"][m]["finals"]
        assert len(drawn["cells"][m]["finals"]["steps"]) == 16
    start = drawn["analyses"]["sign_alignment"]["drawn_start"]
    assert (start["a1"], start["a2"], start["in_statistics"]) == (1.5, -1.5, False)
    # from (1.5, −1.5) AgA reaches the optimum and AgA-Sign does not
    assert drawn["cells"]["aga/figure"]["stats"]["steps"]["reached"] == 1
    assert drawn["cells"]["aga_fixed_sign/figure"]["stats"]["steps"]["reached"] == 0


def test_a_diverging_toy_trajectory_stays_finite_and_says_when():
    program = PROGRAMS.make("adjust")
    cfg = AdjustConfig(
        game="toy",
        methods=("aga",),
        method="aga",
        coefficient=10.0,
        lr=0.5,
        steps=20,
        log_every=1,
        hold=True,
        seeds=8,
    )
    batch = Batch(program, [cfg])
    state, metrics = batch.advance(batch.init(), 21)
    assert np.isfinite(np.asarray(metrics["action/a"])).all()
    assert (np.asarray(batch.finish(state)["diverged_at"]) >= 1).any()


def test_lola_pairs_cooperate_and_naive_pairs_defect(tmp_path):
    path, s = _run("aga-lola-ipd", {}, tmp_path, draw=True)  # the defaults: 10 seeds
    assert all(b["met"] for t in s["tables"] for b in t["bars"])
    lola = (
        np.add(s["cells"]["lola-lola"]["finals"]["v1"], s["cells"]["lola-lola"]["finals"]["v2"]) / 2
    )
    assert lola.shape == (10,) and np.all(np.abs(lola + 1.0) <= 0.1)
    assert _mean(s, "lola-lola", "p1_CC") > 0.9 and _mean(s, "lola-lola", "p1_DD") < 0.3
    assert (path / "figures" / "ipd_policies.png").exists()


def test_lola_bars_need_every_seed_within_0_1():
    cells = {"lola-lola": {"finals": {"gap_cooperation": [0.0, 0.07, 0.09]}}}
    bar = Bar("", "lola-lola", "gap_cooperation", "<=", 0.1, "max")
    assert gen.bar(bar, cells)["met"]
    cells["lola-lola"]["finals"]["gap_cooperation"] = [0.0] * 9 + [0.3]
    assert not gen.bar(bar, cells)["met"]
    cells["lola-lola"]["finals"]["gap_cooperation"] = [0.0, float("nan")]
    assert not gen.bar(bar, cells)["met"]


def test_inline_lola_direction_is_the_registered_adjustment():
    def game(w):
        return jnp.stack([jnp.sum(w[0] * w[1] ** 2), jnp.sum(jnp.sin(w[0]) * w[1])])

    w = np.linspace(-1.0, 1.0, 10, dtype=np.float32).reshape(2, 5)
    xi, chi = jax.jit(lambda w: shaping_term(game, w))(w)
    lola = ADJUSTMENTS.make("lola", lr=0.7)
    expected = jax.jit(lambda w: lola.update(game, w, lola.init(w))[0])(w)
    np.testing.assert_allclose(xi - 0.7 * chi, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("preset", "field", "value"),
    [
        ("aga-public-goods", "methods", "agaa"),
        ("aga-public-goods", "runs", "1"),
        ("aga-public-goods", "optimizer", "rmsprop"),
        ("aga-public-goods", "multiplier", "2.5"),
        ("aga-public-goods", "log_every", "7"),
        ("aga-public-goods", "angle_grid", "200"),
        ("aga-toy-game", "variant", "pdf"),
        ("aga-toy-game", "start", "1"),
        ("aga-toy-game", "view", "2,1"),
        ("aga-toy-game", "tol", "0"),
        ("aga-lola-ipd", "pairings", "lola-sos"),
        ("aga-lola-ipd", "gamma", "1"),
    ],
)
def test_invalid_configs_name_the_field(preset, field, value):
    with pytest.raises(ConfigError, match=rf"^{field}:"):
        ex.resolve_overrides(preset, {field: value})


def test_bad_input_writes_nothing(tmp_path):
    with pytest.raises(ConfigError, match=r"^optimizer:"):
        ex.run_preset("aga-public-goods", {"optimizer": "rmsprop"}, out=Path(tmp_path))
    assert not any(tmp_path.iterdir())
