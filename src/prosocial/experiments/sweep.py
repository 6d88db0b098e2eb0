"""Sweeps of a preset over a grid of config values, one Ray Tune trial per grid point.

``sweep("amd-figure-4.1", {"learner_lr": ["0.01", "0.02"], "cost": ["0", "0.0002"]},
seeds=4, out=Path("runs"))`` runs four trials. A trial's work is one call of
``run_preset`` with the point's overrides and ``seeds``: its seeds are a vmapped batch
inside that call. Each trial writes an ordinary run directory at a name derived from its
point (``runs/learner_lr=0.01,cost=0``), so ``prosocial.experiments.report`` tabulates a
sweep like any set of runs, and a trial that Ray retries after its worker died resumes
from that directory's checkpoint.

The sweep directory::

    <out>/<preset>/sweep-<time>-<short hash>/
      sweep.json   preset, grid, seeds, the trials' names (and, at the end, their states)
      tune/        Ray Tune's storage (the experiment, restorable by ``resume=``)
      runs/<name>/ one run directory per grid point

Ray is imported only when a sweep starts (``pip install "prosocial[ray]"``). Without an
``address``, ``ray.init`` starts a local cluster; with one, it joins that cluster, whose
workers must be able to import ``prosocial`` and read/write the sweep directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from prosocial.errors import ConfigError, ProsocialError
from prosocial.experiments.rundir import write_atomic

EXPERIMENT = "trials"
"""The Tune experiment's name: its state lives in ``<sweep>/tune/trials``."""
WORKER_ENV = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
"""Environment of every trial's worker: JAX allocates GPU memory as it needs it, so that
several trials can share one GPU."""

_SAFE = re.compile(r"[^A-Za-z0-9._=,+-]")


# ---------------------------------------------------------------- the grid


def grid_points(grid: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    """The product of the grid's value lists, in grid order (the last field varies fastest).

    Raises ProsocialError (naming ``grid``) for an empty grid, an empty value list, a value
    list given as one string, or a ``seeds`` field (the sweep's ``seeds`` sets it).
    """
    if not isinstance(grid, Mapping) or not grid:
        raise ProsocialError("grid: empty; accepted: one or more fields, each with values")
    fields: list[str] = []
    values: list[list[str]] = []
    for name, vals in grid.items():
        if not isinstance(name, str) or not name:
            raise ProsocialError(f"grid: {name!r} is not a field name")
        if name == "seeds":
            raise ProsocialError("grid: 'seeds' is set by the sweep's seeds, not by the grid")
        if isinstance(vals, str | bytes) or not isinstance(vals, Sequence):
            raise ProsocialError(
                f"grid: {name} = {vals!r} is not accepted; accepted: a list of values"
            )
        if not vals:
            raise ProsocialError(f"grid: {name} has no values; accepted: one or more values")
        strs = [str(v) for v in vals]
        if len(set(strs)) != len(strs):
            raise ProsocialError(f"grid: {name} repeats a value in {strs}")
        fields.append(name)
        values.append(strs)
    return [dict(zip(fields, combo, strict=True)) for combo in itertools.product(*values)]


def point_name(point: Mapping[str, str]) -> str:
    """The run directory's name of a grid point, e.g. ``games=chicken,cost=0``.

    Characters that are unsafe in a file name become ``_``; a name that this changes, or
    that is long, ends with a short hash of the exact point, so names stay distinct.
    """
    text = ",".join(f"{k}={v}" for k, v in point.items())
    safe = _SAFE.sub("_", text)
    if safe != text or len(safe) > 120 or safe.startswith("."):
        digest = hashlib.sha256(json.dumps(dict(point)).encode()).hexdigest()[:8]
        safe = f"{safe[:100]}-{digest}"
    return safe


def validate(preset: str, points: Sequence[Mapping[str, str]], seeds: int) -> None:
    """Resolve every point's overrides through the preset machinery before Ray starts.

    Raises the preset's one-line ProsocialError (naming the field) for an unknown preset,
    a field that is not in its config, or a value that does not parse.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ProsocialError(f"seeds: {seeds!r} is not accepted; accepted: an integer ≥ 1")
    from prosocial.experiments import resolve_overrides

    for point in points:
        resolve_overrides(preset, {**point, "seeds": str(seeds)})


# ---------------------------------------------------------------- the trial


def trial(config: dict[str, Any]) -> None:
    """One Ray Tune trial: ``run_preset`` of one grid point into its run directory.

    ``config`` holds ``preset``, ``seeds``, ``runs`` (the runs/ directory) and ``point``
    (``{"name": ..., "overrides": {...}}``). A run directory that already holds
    summary.json is done; one that holds a checkpoint resumes from it (run_preset does).
    """
    from ray import tune

    from prosocial.experiments import run_preset
    from prosocial.experiments.compilation import enable_cache

    enable_cache()  # trials of one sweep share compiled programs (PROSOCIAL_NO_CACHE: off)
    point = config["point"]
    run_dir = Path(config["runs"]) / point["name"]
    if (run_dir / "config.json").is_file():
        # A retry (or a resumed sweep): the run directory holds its config and checkpoint.
        if not (run_dir / "summary.json").is_file():
            run_dir = Path(run_preset(config["preset"], {}, run_dir=run_dir))
    else:
        overrides = {**point["overrides"], "seeds": str(config["seeds"])}
        run_dir = Path(run_preset(config["preset"], overrides, run_dir=run_dir))
    metrics: dict[str, Any] = {"run_dir": str(run_dir), "complete": 1}
    try:
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
        for label, cell in summary.get("cells", {}).items():
            for name, s in cell.get("stats", {}).items():
                mean = s.get("mean") if isinstance(s, dict) else None
                if isinstance(mean, int | float):
                    metrics[f"{label}/{name}"] = float(mean)
    except (OSError, ValueError, AttributeError):
        pass
    tune.report(metrics)


def trial_dirname(t: Any) -> str:
    """Tune's directory of a trial: its grid point's name (also the worker's cwd)."""
    return str(t.config["point"]["name"])


# ---------------------------------------------------------------- the sweep


def _passed_env() -> dict[str, str]:
    """The driver's cache settings, for the trials' processes."""
    from prosocial.experiments.compilation import CACHE_ENV, NO_CACHE_ENV

    return {
        k: os.environ[k]
        for k in (CACHE_ENV, NO_CACHE_ENV, "JAX_COMPILATION_CACHE_DIR")
        if k in os.environ
    }


def _import_ray():
    try:
        import ray
        from ray import tune
    except ImportError:
        raise ProsocialError('sweep: Ray is not installed; pip install "prosocial[ray]"') from None
    return ray, tune


def _new_sweep_dir(out: Path, preset: str, spec: dict) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    blob = json.dumps(spec, sort_keys=True) + f"{os.getpid()}-{dt.datetime.now().timestamp()}"
    digest = hashlib.sha256(blob.encode()).hexdigest()[:6]
    path = Path(out) / preset / f"sweep-{stamp}-{digest}"
    path.mkdir(parents=True, exist_ok=False)
    return path


def _write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=2) + "\n")


def _read_spec(sweep_dir: Path) -> dict:
    path = Path(sweep_dir) / "sweep.json"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(spec, dict):
            raise ValueError("not an object")
        missing = [k for k in ("preset", "grid", "seeds") if k not in spec]
        if missing:
            raise ValueError(f"no {', '.join(missing)}")
    except (OSError, ValueError, KeyError) as exc:
        raise ProsocialError(f"resume: {path} is not a sweep's sweep.json ({exc})") from None
    return spec


def sweep(
    preset: str,
    grid: Mapping[str, Sequence[str]],
    seeds: int,
    out: Path,
    address: str | None = None,
    max_failures: int = 2,
    resume: Path | None = None,
    cpus_per_trial: float = 1.0,
    gpus_per_trial: float = 0.0,
) -> Path:
    """Run ``preset`` at every point of ``grid`` with ``seeds`` seeds, one Ray trial each.

    Args:
        preset: a registered preset's name.
        grid: field -> values (strings, as on the command line); the trials are the
            product of the value lists.
        seeds: seeds per trial (a vmapped batch inside each trial's run).
        out: parent of ``<preset>/sweep-<time>-<hash>/``.
        address: a Ray cluster to join (``ray.init(address=...)``); None starts a local one.
        max_failures: times a failed trial (e.g. its worker killed) is retried; a retry
            resumes from the trial's run directory checkpoint.
        resume: a sweep directory to continue (its sweep.json decides preset, grid and
            seeds, which must agree with the arguments when these are given): finished
            trials stay, unfinished and errored ones run again.
        cpus_per_trial: CPUs Ray reserves for each trial.
        gpus_per_trial: GPUs Ray reserves for each trial; a fraction (e.g. 0.25) lets
            several trials share one GPU. Ray hides the GPUs from a trial that reserves
            none (``CUDA_VISIBLE_DEVICES=""``), so 0 runs every trial on the CPU.

    Returns:
        The sweep directory.

    Raises:
        ProsocialError: a bad grid, field, value or resume directory (one line), Ray not
            installed, or trials that still failed after their retries.
    """
    if resume is not None:
        sweep_dir = Path(resume)
        spec = _read_spec(sweep_dir)
        if preset and preset != spec["preset"]:
            raise ProsocialError(
                f"resume: {sweep_dir} is a sweep of {spec['preset']!r}, not {preset!r}"
            )
        if grid and {k: [str(v) for v in vs] for k, vs in grid.items()} != spec["grid"]:
            raise ProsocialError(f"resume: grid differs from the grid of {sweep_dir}")
        if seeds and seeds != spec["seeds"]:
            raise ProsocialError(
                f"resume: seeds={seeds} differs from {spec['seeds']} of {sweep_dir}"
            )
        preset, grid, seeds = spec["preset"], spec["grid"], spec["seeds"]
    if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 0:
        raise ProsocialError(
            f"max_failures: {max_failures!r} is not accepted; accepted: an integer ≥ 0"
        )
    if not cpus_per_trial > 0:
        raise ProsocialError(f"cpus_per_trial: {cpus_per_trial!r} is not accepted; accepted: > 0")
    if not gpus_per_trial >= 0:
        raise ProsocialError(f"gpus_per_trial: {gpus_per_trial!r} is not accepted; accepted: ≥ 0")
    points = grid_points(grid)
    validate(preset, points, seeds)
    names = [point_name(p) for p in points]
    ray, tune = _import_ray()

    grid_strs = {k: [str(v) for v in vs] for k, vs in grid.items()}
    spec = {"preset": preset, "grid": grid_strs, "seeds": seeds}
    if resume is None:
        sweep_dir = _new_sweep_dir(Path(out), preset, spec)
        (sweep_dir / "runs").mkdir()
        (sweep_dir / "tune").mkdir()
    sweep_dir = sweep_dir.resolve()
    runs_dir = sweep_dir / "runs"
    record = {
        **spec,
        "tune": f"tune/{EXPERIMENT}",
        "trials": {
            n: {"point": p, "run_dir": f"runs/{n}"} for n, p in zip(names, points, strict=True)
        },
    }
    _write_json(sweep_dir / "sweep.json", record)

    started = False
    if not ray.is_initialized():
        init: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "runtime_env": {"env_vars": {**WORKER_ENV, **_passed_env()}},
        }
        if address is not None:
            init["address"] = address
        ray.init(**init)
        started = True
    try:
        resources = {"cpu": cpus_per_trial}
        if gpus_per_trial > 0:
            resources["gpu"] = gpus_per_trial
        trainable = tune.with_resources(trial, resources)
        experiment = sweep_dir / "tune" / EXPERIMENT
        if resume is not None and tune.Tuner.can_restore(str(experiment)):
            tuner = tune.Tuner.restore(
                str(experiment), trainable, resume_unfinished=True, resume_errored=True
            )
        else:
            param_space = {
                "preset": preset,
                "seeds": seeds,
                "runs": str(runs_dir),
                "point": tune.grid_search(
                    [{"name": n, "overrides": p} for n, p in zip(names, points, strict=True)]
                ),
            }
            tuner = tune.Tuner(
                trainable,
                param_space=param_space,
                tune_config=tune.TuneConfig(trial_dirname_creator=trial_dirname),
                run_config=tune.RunConfig(
                    name=EXPERIMENT,
                    storage_path=str(sweep_dir / "tune"),
                    failure_config=tune.FailureConfig(max_failures=max_failures),
                    verbose=0,
                ),
            )
        results = tuner.fit()
    finally:
        if started:
            ray.shutdown()

    states: dict[str, dict[str, Any]] = {}
    for result in results:
        name = result.config["point"]["name"] if result.config else None
        if name is None:
            continue
        error = result.error
        states[name] = {
            "status": "error" if error is not None else "done",
            "error": None if error is None else str(error).strip().splitlines()[-1][:300],
        }
    for n in names:
        done = (runs_dir / n / "summary.json").is_file()
        states.setdefault(n, {"status": "missing", "error": None})
        states[n]["complete"] = done
        record["trials"][n].update(states[n])
    _write_json(sweep_dir / "sweep.json", record)
    failed = [n for n in names if record["trials"][n]["status"] != "done"]
    if failed:
        raise ProsocialError(
            f"sweep: {len(failed)} of {len(names)} trials failed ({', '.join(failed[:3])}"
            f"{', ...' if len(failed) > 3 else ''}); resume with resume={sweep_dir}"
        )
    return sweep_dir


# ---------------------------------------------------------------- command line


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``["field=v1,v2", ...]`` as ``{"field": ["v1", "v2"]}``; a field given twice or an
    item without ``=`` is one line naming ``grid``."""
    grid: dict[str, list[str]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        if not sep or not name:
            raise ConfigError("grid", f"{item!r} is not accepted; accepted: field=v1,v2,...")
        if name in grid:
            raise ConfigError("grid", f"{name} given twice; accepted: each field once")
        grid[name] = values.split(",") if values else []
    return grid
