"""The gradual TFT presets at reduced scale: bars, metrics by hand, bad input, run directories."""

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import prosocial.experiments as E
from prosocial import plots
from prosocial.errors import ConfigError
from prosocial.experiments.gradual_tft import analyses, estimation, tournament
from prosocial.experiments.gradual_tft import presets as G
from prosocial.experiments.gradual_tft import program as P
from prosocial.experiments.program import Batch, seed_keys
from prosocial.strategies import play_match, select

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

SMALL = {
    "rows": "gtft_bayes,gtft_reward,naive",
    "columns": "allc,alld,gtft_bayes,gtft_reward",
    "seeds": "2",
    "rounds": "200",
}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    run = E.run_preset(
        "gradual-tft-continuous", SMALL, out=tmp_path_factory.mktemp("runs"), draw=False
    )
    return run, json.loads((run / "summary.json").read_text())


def _finals(summary, cell):
    return summary["cells"][cell]["finals"]


def test_small_table_meets_the_bars_and_says_who_wins(small):
    run, summary = small
    (table,) = summary["tables"]
    assert len(table["bars"]) == 6  # self, AllC, AllD for each gradual TFT
    assert all(b["met"] for b in table["bars"]), table["bars"]
    # the naive learner exploits AllC: its co-player earns −C/2 per round, it earns B
    assert np.mean(_finals(summary, "naive/allc")["own"]) > 0.9
    assert np.mean(_finals(summary, "gtft_bayes/allc")["exploitation"]) == pytest.approx(
        0.0, abs=0.01
    )
    lines = summary["analyses"]["verdicts"]
    assert any("against AllC: gTFT (Bayes) loses to naive learner" in v for v in lines)
    assert "## Gradual TFT against LOLA and naive learning" in (run / "summary.md").read_text()


def test_metrics_are_consistent(small):
    run, summary = small
    m = _finals(summary, "gtft_reward/alld")
    assert np.allclose(np.add(m["own"], m["other"]), m["welfare"])
    assert np.allclose(np.subtract(m["own"], m["other"]), m["exploitation"])
    header = (run / "metrics.csv").read_text().splitlines()
    assert len(header) == 1 + 3 * 4 * 2 * (200 // 10)
    assert {"gtft/alpha/0", "gtft/beta_hat/0", "play/level/1", "payoff/reward/0"} <= set(
        header[0].split(",")
    )


def test_program_rows_replay_play_match_in_any_chunking():
    cfg = P.MatchCell(
        game="ipd",
        rows=("tft", "gtft_reward"),
        columns=("alld", "random"),
        agent="gtft_reward",
        opponent="random",
        seeds=1,
        rounds=40,
        log_every=10,
        at=25,
    )
    batch = Batch(P.PROGRAM, [cfg])
    state = batch.init()
    state, first = batch.advance(state, 1)
    state, rest = batch.advance(state, 3)
    levels = np.concatenate([first["play/level"], rest["play/level"]], axis=2)[0, 0]
    beta_hat = float(batch.finish(state)["beta_hat_at"][0, 0])
    game = P.build_game("ipd", 0.2, 0.0)
    agents = P.roster(game, cfg)
    t = play_match(
        game,
        select([agents[n] for n in cfg.rows], 1),
        select([agents[n] for n in cfg.columns], 1),
        seed_keys(0, 1)[0],
        40,
    )
    np.testing.assert_allclose(levels, np.asarray(t.levels).reshape(4, 10, 2).mean(1), atol=1e-6)
    assert beta_hat == pytest.approx(float(t.probes[24, 0, 1]), abs=1e-6)  # after round 25


def _time_to_cooperation(levels, window):
    """The online rule of the program, run over a whole series of levels."""

    def step(carry, x):
        t, level = x
        return P.cooperation_step(*carry, t, level), None

    both = jnp.asarray(levels, jnp.float32).min(axis=-1)
    init = (jnp.zeros((window,), jnp.float32), jnp.array(-1), jnp.array(False))
    (_, bad, ok), _ = jax.lax.scan(step, init, (jnp.arange(both.shape[0]), both))
    return float(P.time_to_cooperation(bad, ok))


def test_time_to_cooperation_by_hand():
    rise = np.concatenate([np.zeros(30), np.ones(70)])
    levels = np.stack([rise, np.ones(100)], axis=-1)
    # rounds 28..37 average 0.8, rounds 29..38 average 0.9: cooperation from round 29
    assert _time_to_cooperation(levels, window=10) == 29
    assert np.isnan(_time_to_cooperation(np.zeros((100, 2)), window=10))
    dip = np.ones((100, 2))
    dip[95:, 0] = 0.0  # cooperation that does not last to the end does not count
    assert np.isnan(_time_to_cooperation(dip, window=5))


def test_estimation_recovers_beta_in_the_continuous_game_and_not_everywhere_in_the_ipd(tmp_path):
    run = E.run_preset(
        "gradual-tft-estimation",
        {"betas": "0,0.25,0.5,0.75,1", "noises": "0.1", "seeds": "8"},
        out=tmp_path,
        draw=False,
    )
    summary = json.loads((run / "summary.json").read_text())
    (table,) = summary["tables"]
    assert {b["text"].split(",")[0] for b in table["bars"]} == {"continuous σ=0.1"}
    assert len(table["bars"]) == 4 * 5  # both estimators, without and with the ledger
    assert all(b["met"] for b in table["bars"])
    ipd = summary["analyses"]["identifiability"]["settings"]["ipd"]["gtft_bayes"]
    assert ipd["mean_abs_error"][4] > 0.1  # β = 1: the saturated IPD policy hides it
    assert ipd["mean_abs_error"][1] < 0.03  # β = 0.25, near the threshold 1/3: identified
    fisher = analyses.ipd_fisher_information(np.linspace(0, 1, 301), 0.2)
    assert np.linspace(0, 1, 301)[np.argmax(fisher)] == pytest.approx(1 / 3, abs=0.004)
    paths = [p for p in plots.draw(run) if p is not None]
    assert {p.stem for p in paths} == {"beta_error", "identifiability_ipd"}


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
        (lambda: estimation.EstimationConfig(betas=(0.5, 1.2)), "betas"),
        (lambda: estimation.EstimationConfig(rounds=100, at=200), "at"),
        (lambda: estimation.EstimationConfig(noises=()), "noises"),
        (lambda: tournament.AxelrodConfig(opponents=()), "opponents"),
        (lambda: tournament.AxelrodConfig(turns=0), "turns"),
    ],
)
def test_bad_configs_name_the_field(build, field):
    with pytest.raises(ConfigError, match=f"^{field}: "):
        build()


def test_run_writes_figures(tmp_path):
    run = E.run_preset(
        "gradual-tft-ipd",
        {"rows": "gtft_reward", "columns": "alld,tft", "seeds": "2", "rounds": "100"},
        out=tmp_path,
    )
    summary = json.loads((run / "summary.json").read_text())
    assert summary["tables"][0]["bars"][0]["met"]  # gTFT (reward) against AllD
    plots.draw(run)  # the heat map reads summary.json
    for name in ("payoff_matrix", "alpha_beta"):
        assert (run / "figures" / f"{name}.png").stat().st_size > 10_000


def test_axelrod_preset_without_the_extra_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "axelrod", None)  # import axelrod now fails
    monkeypatch.setattr(tournament, "installed", lambda: False)
    run = E.run_preset("gradual-tft-axelrod", {}, out=tmp_path)
    text = (run / "summary.md").read_text()
    assert "Not run" in text and "prosocial[axelrod]" in text
    summary = json.loads((run / "summary.json").read_text())
    assert summary["analyses"]["tournament"] == {"skipped": "axelrod is not installed"}


def test_axelrod_preset_ranks_gradual_tft():
    pytest.importorskip("axelrod")
    cfg = tournament.AxelrodConfig(
        opponents=("TitForTat", "Defector", "Gradual", "ZDExtort2"),
        variants=("gtft_bayes", "lgtft_bayes"),
        turns=60,
        repetitions=1,
    )
    entry, md = tournament.run({}, cfg)
    names = [r["name"] for r in entry["ranking"]]
    assert set(names) == {
        "gTFT (Bayes)",
        "gTFT+ledger (Bayes)",
        "Tit For Tat",
        "Defector",
        "Gradual",
        "ZD-Extort-2: 0.1111111111111111, 0.5",
    }
    assert names[-1] == "Defector"
    # per pairing: own and the co-player's payoff per turn; the extortioner's surplus
    plain = entry["pairings"]["gTFT (Bayes)"]["ZD-Extort-2: 0.1111111111111111, 0.5"]
    guarded = entry["pairings"]["gTFT+ledger (Bayes)"]["ZD-Extort-2: 0.1111111111111111, 0.5"]
    assert plain[1] - plain[0] > 0.3 and abs(guarded[1] - guarded[0]) < plain[1] - plain[0]
    assert entry["pairings"]["gTFT (Bayes)"]["Tit For Tat"] == [3.0, 3.0]
    assert "## The ledger against extortioners" in md and "ZDExtort2" in md


def test_extortion_preset_meets_the_ledger_bars(tmp_path):
    run = E.run_preset(
        "gradual-tft-extortion",
        {
            "rows": "gtft_reward,lgtft_reward",
            "columns": "zd_extort2,zd_extortion,joss,lgtft_reward",
        },
        out=tmp_path,
        draw=False,
    )
    summary = json.loads((run / "summary.json").read_text())
    bars = summary["tables"][0]["bars"]
    ledger = [b for b in bars if "within 0.1" in b["text"]]
    assert len(ledger) == 3 and all(b["met"] for b in ledger), ledger
    assert all("gTFT+ledger (reward)" in b["text"] for b in ledger)  # plain gTFT has none
    plain = _finals(summary, "gtft_reward/zd_extortion")
    assert np.mean(plain["exploitation"]) < -0.5  # what the ledger is for
    assert np.mean(_finals(summary, "lgtft_reward/lgtft_reward")["welfare_share"]) > 0.95
