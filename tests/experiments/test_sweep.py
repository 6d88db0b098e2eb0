"""sweep(): one Ray Tune trial per grid point, each an ordinary run directory.

The Ray test runs a real 2 × 2 sweep of a cheap preset on a local Ray cluster in a
subprocess, SIGKILLs the worker of one trial after that trial checkpointed, and checks
that Ray retried it, that it resumed to the same numbers as an uninterrupted run, that the
other trials ran once, and that ``report`` tabulates the sweep.
"""

from __future__ import annotations

import builtins
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prosocial.errors import ProsocialError
from prosocial.experiments import sweep as sweep_mod
from prosocial.experiments.sweep import grid_points, point_name, sweep

PRESET = "amd-figure-4.1"
# 50 chunks of 1000 episodes (about 0.1 s each after compiling): the kill lands mid-run.
FIXED = {"episodes": "50000", "log_every": "1000"}
GRID = {"learner_lr": ["0.01", "0.02"], "cost": ["0", "0.0002"]}
SEEDS = 4


# ---------------------------------------------------------------- without Ray


def test_grid_points_are_the_product_in_grid_order():
    points = grid_points({"a": ["1", "2"], "b": ["x", "y", "z"]})
    assert len(points) == 6
    assert points[0] == {"a": "1", "b": "x"} and points[1] == {"a": "1", "b": "y"}
    assert points[-1] == {"a": "2", "b": "z"}


def test_point_names_are_deterministic_and_safe():
    assert point_name({"games": "chicken", "cost": "0"}) == "games=chicken,cost=0"
    odd = point_name({"path": "a/b c"})
    assert "/" not in odd and " " not in odd and odd.startswith("path=a_b_c-")
    assert odd == point_name({"path": "a/b c"})
    assert odd != point_name({"path": "a_b c"})


@pytest.mark.parametrize(
    "grid, words",
    [
        ({}, "grid: empty"),
        ({"cost": []}, "grid: cost has no values"),
        ({"cost": "0,1"}, "grid: cost = '0,1' is not accepted"),
        ({"seeds": ["1", "2"]}, "grid: 'seeds' is set by the sweep"),
        ({"cost": ["0", "0"]}, "grid: cost repeats a value"),
    ],
)
def test_bad_grids_are_one_line_errors_naming_grid(grid, words, tmp_path: Path):
    with pytest.raises(ProsocialError) as err:
        sweep(PRESET, grid, SEEDS, tmp_path)
    assert str(err.value).startswith(words) and "\n" not in str(err.value)
    assert not any(tmp_path.iterdir())


def test_unknown_field_and_bad_value_fail_before_ray_starts(tmp_path: Path, monkeypatch):
    def no_ray():
        raise AssertionError("Ray must not start for a bad grid")

    monkeypatch.setattr(sweep_mod, "_import_ray", no_ray)
    with pytest.raises(ProsocialError, match="no_such_field") as err:
        sweep(PRESET, {"cost": ["0"], "no_such_field": ["1"]}, SEEDS, tmp_path)
    assert "\n" not in str(err.value)
    with pytest.raises(ProsocialError, match="cost") as err:
        sweep(PRESET, {"cost": ["0", "cheap"]}, SEEDS, tmp_path)
    assert "\n" not in str(err.value)
    with pytest.raises(ProsocialError, match=r"^seeds"):
        sweep(PRESET, {"cost": ["0"]}, 0, tmp_path)
    assert not any(tmp_path.iterdir())


def test_missing_ray_is_a_one_line_error(tmp_path: Path, monkeypatch):
    real_import = builtins.__import__

    def without_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_ray)
    with pytest.raises(ProsocialError) as err:
        sweep(PRESET, {"cost": ["0"], **{k: [v] for k, v in FIXED.items()}}, SEEDS, tmp_path)
    assert str(err.value) == 'sweep: Ray is not installed; pip install "prosocial[ray]"'


def test_resume_needs_a_sweep_directory(tmp_path: Path):
    with pytest.raises(ProsocialError, match=r"^resume: .*sweep\.json"):
        sweep(PRESET, {}, 0, tmp_path, resume=tmp_path)


# ---------------------------------------------------------------- on a local Ray cluster


def _ray_workers(name: str) -> list:
    """Ray worker processes whose working directory is the Tune trial directory ``name``."""
    import psutil

    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if not cmd.startswith("ray::"):
            continue
        try:
            if os.path.basename(proc.cwd()) == name:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def _summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


def _python(code: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)


def test_sweep_on_ray_retries_a_killed_trial_and_reports(tmp_path: Path):
    pytest.importorskip("ray", reason='sweeps need Ray: pip install "prosocial[ray]"')
    import psutil

    from prosocial.experiments.report import report

    # Every process (the driver, Ray's workers, the direct run) shares one JAX compilation
    # cache: the four trials differ only in traced values, so later ones skip compiling.
    # JAX runs in subprocesses only: Ray forks, which JAX in this process would warn about.
    env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": str(tmp_path / "jax-cache")}
    out = tmp_path / "out"
    grid = {**{k: [v] for k, v in FIXED.items()}, **GRID}
    args = [sys.executable, "-m", "prosocial", "sweep", PRESET, "--seeds", str(SEEDS)]
    args += [arg for k, vs in grid.items() for arg in ("--grid", f"{k}={','.join(vs)}")]
    args += ["--out", str(out), "--max-failures", "2", "--cpus-per-trial", "1"]
    victim_point = {**FIXED, "learner_lr": "0.02", "cost": "0.0002", "seeds": str(SEEDS)}
    direct_dir = tmp_path / "direct"
    log = (tmp_path / "driver.log").open("w")
    driver = subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    direct = None
    try:
        # The last grid point is the last trial to start: kill it once it has checkpointed.
        victim = point_name({**FIXED, "learner_lr": "0.02", "cost": "0.0002"})
        deadline = time.monotonic() + 240
        killed = None
        while killed is None:
            assert driver.poll() is None, (tmp_path / "driver.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no checkpoint of the last trial within 240 s"
            runs = list(out.glob(f"{PRESET}/sweep-*/runs/{victim}"))
            if runs and any((runs[0] / "checkpoint").glob("*.npz")):
                assert not (runs[0] / "summary.json").exists(), "trial finished before the kill"
                workers = _ray_workers(victim)
                if workers:
                    (killed,) = workers
                    killed.send_signal(signal.SIGKILL)
                    killed.wait(10)
                    assert not (runs[0] / "summary.json").exists(), "killed after it finished"
            time.sleep(0.05)

        # Meanwhile: the killed trial's configuration, run without interruption.
        direct = _python(
            "from pathlib import Path; from prosocial.experiments import run_preset; "
            f"run_preset({PRESET!r}, {victim_point!r}, run_dir=Path({str(direct_dir)!r}))",
            env,
        )
        rc = driver.wait(timeout=240)
        assert direct.wait(timeout=240) == 0
    finally:
        for proc in (driver, direct):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
    text = (tmp_path / "driver.log").read_text()
    assert rc == 0, text[-3000:]

    (sweep_dir,) = out.glob(f"{PRESET}/sweep-*")
    assert text.strip().splitlines()[-1] == f"sweep: {sweep_dir.resolve()}"
    record = json.loads((sweep_dir / "sweep.json").read_text())
    assert record["preset"] == PRESET and record["seeds"] == SEEDS and record["grid"] == grid
    names = [
        point_name({**FIXED, "learner_lr": lr, "cost": c})
        for lr in GRID["learner_lr"]
        for c in GRID["cost"]
    ]
    assert list(record["trials"]) == names
    # Ray reports every trial done, none errored; each run directory is complete.
    for name in names:
        assert record["trials"][name]["status"] == "done", record["trials"][name]
        assert record["trials"][name]["error"] is None
        assert (sweep_dir / "runs" / name / "summary.json").is_file()
    # Ray saw exactly one failure, of the killed worker, and retried that trial only.
    trial_dirs = {p.name: p for p in (sweep_dir / "tune" / "trials").iterdir() if p.is_dir()}
    assert set(trial_dirs) == set(names)
    failures = (trial_dirs[victim] / "error.txt").read_text()
    assert f"pid: {killed.pid}" in failures and "Failure # 2" not in failures
    assert [n for n in names if (trial_dirs[n] / "error.txt").exists()] == [victim]
    assert not psutil.pid_exists(killed.pid) or killed.status() == psutil.STATUS_ZOMBIE

    # The resumed trial gives the numbers of the uninterrupted run, bit for bit.
    resumed = sweep_dir / "runs" / victim
    assert _summary(resumed)["cells"] == _summary(direct_dir)["cells"]
    assert _summary(resumed) == _summary(direct_dir)
    assert (resumed / "metrics.csv").read_bytes() == (direct_dir / "metrics.csv").read_bytes()

    # report() tabulates the sweep: one row per (learner_lr, cost) and cell.
    rep = report([sweep_dir], sweep_dir / "report")
    assert rep.fields == ["learner_lr", "cost"]
    cells = list(_summary(resumed)["cells"])
    assert len(rep.rows) == 4 * len(cells)
    assert {(r.fields["learner_lr"], r.fields["cost"]) for r in rep.rows} == {
        ("0.01", "0"),
        ("0.01", "0.0002"),
        ("0.02", "0"),
        ("0.02", "0.0002"),
    }
    assert all(s.n == SEEDS for r in rep.rows for s in r.stats.values())
    assert (sweep_dir / "report" / "report.png").read_bytes()[:4] == b"\x89PNG"

    # Resuming the finished sweep restores Ray's experiment and runs nothing again.
    stamps = {n: (sweep_dir / "runs" / n / "summary.json").stat().st_mtime_ns for n in names}
    resume = [sys.executable, "-m", "prosocial", "sweep", PRESET, "--resume", str(sweep_dir)]
    again = subprocess.run(resume, env=env, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip().splitlines()[-1] == f"sweep: {sweep_dir.resolve()}"
    assert stamps == {
        n: (sweep_dir / "runs" / n / "summary.json").stat().st_mtime_ns for n in names
    }
    record = json.loads((sweep_dir / "sweep.json").read_text())
    assert all(record["trials"][n]["status"] == "done" for n in names)
