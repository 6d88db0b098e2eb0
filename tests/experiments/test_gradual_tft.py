"""The gradual TFT presets at reduced scale: bars, metrics by hand, bad input, run directories."""

import json
import sys

import numpy as np
import pytest

from prosocial.cli import main
from prosocial.errors import ConfigError
from prosocial.experiments import gradual_tft_presets as G
from prosocial.experiments.runner import Context

SMALL = G.MatchConfig(
    game="continuous",
    rows=("gtft_bayes", "gtft_reward", "naive"),
    columns=("allc", "alld", "gtft_bayes", "gtft_reward"),
    seeds=2,
    rounds=200,
)


@pytest.fixture(scope="module")
def small():
    return G._run_matches(SMALL, Context())


def test_small_table_meets_the_bars_and_says_who_wins(small):
    bars = small.summary["bars"]
    assert set(bars) == {f"{a}/{w}" for a in G.GRADUAL for w in ("self", "allc", "alld")}
    assert all(b["met"] for b in bars.values()), bars
    table = small.summary["table"]
    # the naive learner exploits AllC: its co-player earns −C/2 per round, it earns B
    assert np.mean(table["naive"]["allc"]["own"]) > 0.9
    assert np.mean(table["gtft_bayes"]["allc"]["exploitation"]) == pytest.approx(0.0, abs=0.01)
    lines = small.summary["verdicts"]
    assert any("against AllC: gTFT (Bayes) loses to naive learner" in v for v in lines)
    assert "## Gradual TFT against LOLA and naive learning" in small.markdown


def test_metrics_are_consistent(small):
    m = small.summary["table"]["gtft_reward"]["alld"]
    assert np.allclose(np.add(m["own"], m["other"]), m["welfare"])
    assert np.allclose(np.subtract(m["own"], m["other"]), m["exploitation"])
    cols = small.columns
    assert len(cols["cell"]) == 3 * 4 * 2 * (200 // 10)
    assert {"gtft/alpha/0", "gtft/beta_hat/0", "play/level/1", "payoff/reward/0"} <= set(cols)


def test_time_to_cooperation_by_hand():
    rise = np.concatenate([np.zeros(30), np.ones(70)])
    levels = np.stack([rise, np.ones(100)], axis=-1)
    # rounds 28..37 average 0.8, rounds 29..38 average 0.9: cooperation from round 29
    assert G.time_to_cooperation(levels, window=10) == 29
    assert np.isnan(G.time_to_cooperation(np.zeros((100, 2))))
    dip = np.ones((100, 2))
    dip[95:, 0] = 0.0  # cooperation that does not last to the end does not count
    assert np.isnan(G.time_to_cooperation(dip, window=5))


def test_estimation_recovers_beta_in_the_continuous_game_and_not_everywhere_in_the_ipd():
    cfg = G.EstimationConfig(betas=(0.0, 0.25, 0.5, 0.75, 1.0), noises=(0.1,), seeds=8)
    result = G._run_estimation(cfg, Context())
    bars = result.summary["bars"]
    assert set(bars) == {"continuous σ=0.1/gtft_bayes", "continuous σ=0.1/gtft_reward"}
    assert all(b["met"] for b in bars.values())
    ipd = result.summary["settings"]["ipd"]["gtft_bayes"]["mean_abs_error"]
    assert ipd[4] > 0.1  # β = 1: the saturated IPD policy hides it
    assert ipd[1] < 0.03  # β = 0.25, near the threshold 1/3: identified
    fisher = G.ipd_fisher_information(np.linspace(0, 1, 301), 0.2)
    assert np.linspace(0, 1, 301)[np.argmax(fisher)] == pytest.approx(1 / 3, abs=0.004)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: G.MatchConfig(game="chess"), "game"),
        (lambda: G.MatchConfig(rows=("gtft", "naive")), "rows"),
        (lambda: G.MatchConfig(columns=("allc", "allc")), "columns"),
        (lambda: G.MatchConfig(rounds=1000, log_every=7), "log_every"),
        (lambda: G.MatchConfig(eps=-0.1), "eps"),
        (lambda: G.MatchConfig(temperature=0.0), "temperature"),
        (lambda: G.MatchConfig(tau=0.0), "tau"),
        (lambda: G.EstimationConfig(betas=(0.5, 1.2)), "betas"),
        (lambda: G.EstimationConfig(rounds=100, at=200), "at"),
        (lambda: G.EstimationConfig(noises=()), "noises"),
        (lambda: G.AxelrodConfig(opponents=()), "opponents"),
        (lambda: G.AxelrodConfig(turns=0), "turns"),
    ],
)
def test_bad_configs_name_the_field(build, field):
    with pytest.raises(ConfigError, match=f"^{field}: "):
        build()


def test_cli_run_writes_figures(tmp_path):
    args = ["run", "gradual-tft-ipd", "--rows", "gtft_reward", "--columns", "alld,tft"]
    args += ["--seeds", "2", "--rounds", "100", "--out", str(tmp_path)]
    assert main(args) == 0
    (run,) = (tmp_path / "gradual-tft-ipd").iterdir()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["bars"]["gtft_reward/alld"]["met"]
    for name in ("payoff_matrix", "alpha_beta"):
        assert (run / "figures" / f"{name}.png").stat().st_size > 10_000


def test_axelrod_preset_without_the_extra_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "axelrod", None)  # import axelrod now fails
    result = G._run_axelrod(G.AxelrodConfig(), Context())
    assert "Not run" in result.markdown and "prosocial[axelrod]" in result.markdown
    assert result.summary == {"skipped": "axelrod is not installed"}


def test_axelrod_preset_ranks_gradual_tft():
    pytest.importorskip("axelrod")
    cfg = G.AxelrodConfig(opponents=("TitForTat", "Defector", "Gradual"), turns=30, repetitions=1)
    result = G._run_axelrod(cfg, Context())
    names = [r["name"] for r in result.summary["ranking"]]
    assert set(names) == {"gTFT (Bayes)", "gTFT (reward)", "Tit For Tat", "Defector", "Gradual"}
    assert names[-1] == "Defector"
