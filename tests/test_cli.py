"""The command line: clear one-line errors with status 2, and complete run directories."""

import json
import math
from pathlib import Path

import pytest

from prosocial.cli import main


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["run", "amd-table-4.2", "--games", "prisoner"],
            "game: 'prisoner' is not accepted; accepted: prisoners_dilemma",
        ),
        (
            ["run", "amd-table-4.2", "--games", "chicken", "--greed", "1"],
            "not a social dilemma: condition 3",
        ),
        (["run", "amd-table-4.2", "--learner_lr", "-0.1"], "learner_lr: -0.1 is not accepted"),
        (["run", "amd-table-4.2", "--max_reward", "0"], "max_reward: 0.0 is not accepted"),
        (["run", "amd-table-4.2", "--colour", "red"], "colour: unknown field; accepted:"),
        (
            ["run", "amd-table-4.2", "--seeds", "many"],
            "seeds: 'many' is not accepted; accepted: an integer",
        ),
        (["run", "amd-tabel"], "unknown preset 'amd-tabel'; accepted:"),
        (["reproduce", "amd", "--cost", "-1"], "cost: -1.0 is not accepted"),
        (["launch"], "unknown command 'launch'"),
    ],
)
def test_bad_input_is_one_line_and_status_2(args, needle, tmp_path, capsys):
    assert main([*args, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_run_writes_a_complete_run_directory(tmp_path, capsys):
    args = ["run", "amd-figure-4.1", "--seeds", "2", "--episodes", "500", "--log_every", "50"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    (run,) = (tmp_path / "amd-figure-4.1").iterdir()
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["seeds"] == 2 and config["preset"] == "amd-figure-4.1"
    lines = (run / "metrics.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert {"cell", "seed", "episode", "policy/p_coop/0", "planner/pay_player0/DD"} <= set(header)
    assert len(lines) == 1 + 2 * 500 // 50
    assert all(math.isfinite(float(x)) for x in lines[-1].split(",")[1:])
    summary = json.loads((run / "summary.json").read_text())
    assert len(summary["prisoners_dilemma/planner"]["p_coop"]) == 2
    assert "0.987" in (run / "summary.md").read_text()  # the paper's number beside ours
    assert (run / "figures" / "figure_4_1.png").stat().st_size > 10_000
    assert (run / "checkpoint" / "final.npz").exists()
    assert "Figure 4.1" in capsys.readouterr().out


def test_list_names_every_family(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    names = ("stag_hunt", "pg_critic", "exact_gradient", "linearised", "amd-table-4.3")
    for name in (*names, "coin_game"):
        assert name in out


def test_readme_test_command_is_what_ci_runs():
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    ci = (root / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in readme
