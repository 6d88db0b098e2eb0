"""The command line: one-line errors with status 2, help, run directories, interruption."""

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from prosocial.cli import main


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["run", "amd-table-4.2", "--games", "prisoner"],
            "games: 'prisoner' is not accepted; accepted: one or more",
        ),
        (["run", "amd-table-4.2", "--games", ""], "games: '' is not accepted"),
        (
            ["run", "amd-table-4.2", "--games", "chicken", "--greed", "1"],
            "not a social dilemma: condition 3",
        ),
        (["run", "amd-table-4.2", "--learner_lr", "-0.1"], "learner_lr: -0.1 is not accepted"),
        (["run", "amd-table-4.2", "--max_reward", "0"], "max_reward: 0.0 is not accepted"),
        (["run", "amd-table-4.2", "--colour", "red"], "colour: unknown field; accepted:"),
        (
            ["run", "amd-table-4.2", "--seeds", "many"],
            "seeds: 'many' is not accepted; accepted: an integer in 1..10000",
        ),
        (["run", "amd-table-4.2", "--seeds", "1e8"], "seeds: 100000000 is not accepted"),
        (["run", "amd-table-4.2", "--seeds", "2", "--seeds", "3"], "seeds: given 2 times"),
        (["run", "amd-table-4.2", "--episodes", "1000000000000"], "episodes: 1000000000000 is"),
        (["run", "amd-table-4.2", "--seed", "4294967296"], "seed: 4294967296 is not accepted"),
        (["run", "amd-table-4.2", "--fear", "1e38"], "fear: 1e+38 is not accepted"),
        (["run", "amd-table-4.2", "--fear", "nan"], "fear: nan is not accepted"),
        (
            ["run", "amd-table-4.2", "--episodes", "100", "--log_every", "7"],
            "log_every: 7 does not divide episodes=100",
        ),
        (["run", "amd-table-4.2", "--episodes"], "episodes: missing value"),
        (["run", "amd-tabel"], "unknown preset 'amd-tabel'; accepted:"),
        (["reproduce", "amd", "--cost", "-1"], "cost: -1.0 is not accepted"),
        (["reproduce", "amdx"], "unknown group 'amdx'; accepted:"),
        (["run", "amd-table-4.2", "--resume", "/nonexistent/run"], "resume: '/nonexistent/run'"),
        (["launch"], "unknown command 'launch'"),
        (["run", "amd-figure-4.1", "--track", "nope"], "track: 'nope' is not accepted"),
        (["run", "amd-figure-4.1", "--checkpoint-every", "0"], "checkpoint_every: 0 is not"),
        (["render", "coin_game", "--scale", "1000"], "scale:"),
        (["render", "coin_game", "--steps", "1000000000"], "steps:"),
        (["render", "coin_game", "--num_agents", "2.5"], "coin_game.num_agents: '2.5'"),
        (["render", "nowhere"], "unknown environment 'nowhere'"),
    ],
)
def test_bad_input_is_one_line_and_status_2(args, needle, tmp_path, capsys):
    out = tmp_path / "out"
    extra = ["--out", str(out / "x.gif")] if args[0] == "render" else ["--out", str(out)]
    assert main([*args[:2], *extra, *args[2:]]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1 and err.startswith("prosocial: error: ")
    assert not out.exists()  # nothing written


def test_out_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", "amd-figure-4.1", "--out", str(blocker)]) == 2
    assert "out: " in capsys.readouterr().err and blocker.read_text() == "x"
    assert main(["run", "amd-figure-4.1", "--out", str(blocker / "below")]) == 2


def test_help_lists_every_field_with_type_default_and_accepted_values(capsys):
    assert main(["run", "amd-table-4.2", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for needle in (
        "--games STR,...",
        "--seeds INT",
        "[default: 10]",
        "an integer in 1..10000",
        "--learner_lr, --learner-lr FLOAT",
        "one of pg_critic, exact_gradient",
        "--resume",
        "--checkpoint-every",
    ):
        assert needle in text, needle


def test_run_writes_a_complete_run_directory(tmp_path, capsys):
    args = ["run", "amd-figure-4.1", "--seeds", "2", "--episodes", "500", "--log_every", "50"]
    assert main([*args, "--out", str(tmp_path), "--no-cache"]) == 0
    (run,) = (tmp_path / "amd-figure-4.1").iterdir()
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["seeds"] == 2 and config["preset"] == "amd-figure-4.1"
    lines = (run / "metrics.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert {"cell", "seed", "episode", "policy/p_coop/0", "planner/pay_player0/DD"} <= set(header)
    assert len(lines) == 1 + 2 * 500 // 50
    assert all(math.isfinite(float(x)) for x in lines[-1].split(",")[1:])
    summary = json.loads((run / "summary.json").read_text())
    assert len(summary["cells"]["prisoners_dilemma/planner"]["finals"]["p_coop"]) == 2
    assert "0.987" in (run / "summary.md").read_text()  # the paper's number beside ours
    assert (run / "figures" / "figure_4_1.png").stat().st_size > 10_000
    assert list((run / "checkpoint").glob("*.npz"))
    assert "Figure 4.1" in capsys.readouterr().out


def test_an_overridden_game_is_named_as_what_it_is_and_has_no_paper_column(tmp_path):
    args = [
        "run",
        "amd-table-4.2",
        "--games",
        "prisoners_dilemma",
        "--greed",
        "0.5",
        "--fear",
        "0.5",
        "--seeds",
        "1",
        "--episodes",
        "100",
        "--log_every",
        "50",
    ]
    assert main([*args, "--out", str(tmp_path), "--no-cache"]) == 0
    (run,) = (tmp_path / "amd-table-4.2").iterdir()
    md = (run / "summary.md").read_text()
    assert "Prisoner's Dilemma (greed 0.5, fear 0.5)" in md
    assert "0.9870" not in md and "payoff_source=override" in md


def test_list_names_every_family(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in (
        "stag_hunt",
        "pg_critic",
        "exact_gradient",
        "linearised",
        "amd-table-4.3",
        "coin_game",
        "gradual_tft",
        "aga",
        "ppo",
        "a2c",
        "inequity_aversion",
        "cooperate",
        "ssd-baselines",
    ):
        assert name in out


def test_readme_test_command_is_what_ci_runs():
    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    ci = (root / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci in readme


# ---------------------------------------------------------------- interruption

RUN = "run amd-figure-4.1 --seeds 2 --episodes 200000 --log_every 500 --checkpoint-every 2000"
RUN = RUN.split()


# ``python -m prosocial`` with Ctrl-C at its default, as from a terminal: a suite started
# with SIGINT ignored (``pytest &`` from a script) would hand that on to the runs below.
LAUNCH = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('prosocial', run_name='__main__', alter_sys=True)"
)


def _cli(args, env, **kw):
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def _wait_for_checkpoint(root: Path, proc, timeout: float = 120.0) -> Path:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        found = list(root.glob("amd-figure-4.1/*/checkpoint/*.npz"))
        if found:
            return found[0].parents[1]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("no checkpoint appeared")


XLA_LOG = re.compile(r"[IWEF]\d{4} \d\d:\d\d:\d\d")
"""A line of XLA's own logging (a slow-compile alarm on a loaded machine, say)."""
PROGRESS_LINE = re.compile(
    r".+  (started, \d+|resumed at \d+|\d+%  \d+) of \d+ rows(  \d+:\d\d:\d\d)?"
)
"""A line of the progress the command writes where its standard error is not a terminal."""


def _run_programs(cache: Path) -> list[str]:
    """The cached training programs. Single operations run eagerly (initial states) are
    cached too when their compile happens to pass the cache's time threshold, which
    depends on the machine's load, so they are left out."""
    return sorted(p.name for p in cache.iterdir() if p.name.startswith("jit__advance_batch"))


def test_an_interrupted_run_resumes_to_byte_identical_files(tmp_path):
    """SIGINT (one line, status 130) and SIGKILL, each at a random moment after the first
    checkpoint: ``--resume`` ends with the files of an uninterrupted run of the same seed.
    The runs share a compilation cache, so only the first compiles."""
    import random

    env = {**os.environ, "PROSOCIAL_CACHE_DIR": str(tmp_path / "cache")}
    whole = _cli([*RUN, "--out", str(tmp_path / "whole")], env)
    assert whole.wait(300) == 0, whole.communicate()
    (done,) = (tmp_path / "whole" / "amd-figure-4.1").iterdir()
    cached = _run_programs(tmp_path / "cache")
    assert cached  # the compiled program was kept for the runs below
    for sig in (signal.SIGINT, signal.SIGKILL):
        root = tmp_path / sig.name
        cut = _cli([*RUN, "--out", str(root)], env)
        run_dir = _wait_for_checkpoint(root, cut)
        time.sleep(random.uniform(0.0, 1.0))  # an idle machine finishes ~3 s after it
        sent = time.monotonic()
        cut.send_signal(sig)
        _, err = cut.communicate(timeout=30)
        took = time.monotonic() - sent
        assert took < 2.0, (sig, took, err)  # stops within 2 seconds
        assert not (run_dir / "summary.json").exists(), (sig, "finished before the signal")
        if sig == signal.SIGINT:
            assert cut.returncode == 130, err
            lines = [line for line in err.strip().splitlines() if not XLA_LOG.match(line)]
            # a pipe is not a terminal: progress comes as lines, then the one line of the stop
            assert any(" started, 0 of " in line for line in lines), err
            ours = [line for line in lines if not PROGRESS_LINE.fullmatch(line)]
            assert len(ours) == 1 and "--resume" in ours[0], err
        again = _cli(["run", "amd-figure-4.1", "--resume", str(run_dir)], env)
        assert again.wait(300) == 0, again.communicate()
        for name in ("metrics.csv", "summary.json"):
            assert (run_dir / name).read_bytes() == (done / name).read_bytes(), (sig, name)
    # the run's program compiled once
    assert _run_programs(tmp_path / "cache") == cached, (cached, _run_programs(tmp_path / "cache"))


# ---------------------------------------------------------------- deep learners, end to end
# (here, beside the other CLI runs, so that the suite's workers run them one at a time)

SSD_RUN = (
    "run ssd-baselines --games cleanup_small --methods ppo,go --updates 4 --log_every 1 "
    "--num_envs 2 --eval_envs 2 --seeds 2 --channels 4 --hidden 8 --checkpoint-every 2"
).split()
TIMEOUT = 420  # a hung XLA program (see prosocial.experiments.compilation) fails here


def _finish(proc) -> tuple[str, str]:
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError(f"no result within {TIMEOUT} s: a hung training program") from None
    assert proc.returncode == 0, err
    return out, err


def test_a_killed_run_resumes_to_identical_files_and_its_populations_cross_play(tmp_path):
    """Cleanup under PPO on 2 cores has hung XLA's CPU scheduler: the CLI turns it off,
    and every wait here has a timeout. SIGKILL after the first checkpoint, then --resume,
    gives the files of the uninterrupted run; the trained agents then cross-play."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "XLA_FLAGS"},
        "PROSOCIAL_CACHE_DIR": str(tmp_path / "cache"),
        # compile-bound: level 0; the CLI adds its CPU workarounds to these flags itself
        "XLA_FLAGS": "--xla_backend_optimization_level=0",
    }
    _finish(_cli([*SSD_RUN, "--out", str(tmp_path / "whole")], env))
    (done,) = (tmp_path / "whole" / "ssd-baselines").iterdir()
    metrics = (done / "metrics.csv").read_text()
    header = metrics.splitlines()[0].split(",")
    for column in (
        "step",
        "social/collective_return",
        "cleanup/waste_cleaned",
        "agent/return/0",
        "loss/policy/1",
        "train/return/0",
    ):
        assert column in header, column
    assert len(metrics.strip().splitlines()) == 1 + 2 * 2 * 4  # cells × seeds × rows
    assert (done / "figures" / "collective_return.png").exists()

    root = tmp_path / "cut"
    cut = _cli([*SSD_RUN, "--out", str(root)], env)
    start = time.monotonic()
    while not list(root.glob("ssd-baselines/*/checkpoint/*.npz")):
        assert time.monotonic() - start < TIMEOUT, "no checkpoint appeared"
        assert cut.poll() is None, cut.communicate()
        time.sleep(0.05)
    cut.send_signal(signal.SIGKILL)
    cut.communicate(timeout=30)
    (run_dir,) = (root / "ssd-baselines").iterdir()
    assert not (run_dir / "summary.json").exists()
    _finish(_cli(["run", "ssd-baselines", "--resume", str(run_dir)], env))
    for name in ("metrics.csv", "summary.json"):
        assert (run_dir / name).read_bytes() == (done / name).read_bytes(), name

    out = tmp_path / "crossplay"
    _finish(
        _cli(
            ["crossplay", str(done), "--bots", "defect,random", "--envs", "2", "--out", str(out)],
            env,
        )
    )
    result = json.loads((out / "crossplay.json").read_text())
    assert result["focal"] == ["cleanup_small/ppo", "cleanup_small/go"]
    assert result["background"] == [*result["focal"], "defect", "random"]
    mean = np.asarray(result["mean"])
    assert mean.shape == (2, 4) and np.isfinite(mean).all()
    assert result["slots"] == 1 and result["players"] == 2
    assert (out / "figures" / "crossplay.png").exists() and (out / "crossplay.csv").exists()


def test_crossplay_refuses_what_it_cannot_evaluate(tmp_path, capsys):
    from prosocial.cli import main

    assert main(["crossplay", str(tmp_path)]) == 2
    assert "crossplay: " in (err := capsys.readouterr().err) and "config.json" in err
    assert main(["crossplay", str(tmp_path), "--bots", "nice"]) == 2
    assert "bots: unknown bot 'nice'" in capsys.readouterr().err
