"""Experiments: presets as data, one generic runner, run directories that resume.

``run_preset(name, overrides)`` runs one registered preset (``prosocial run``);
``run_group(group, overrides)`` runs every preset of a paper (``prosocial reproduce``).
Both write a run directory and return its path; pass ``run_dir`` to resume an interrupted
one. Presets are registered on first use (nothing is done at import).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from prosocial.errors import ConfigError, ProsocialError
from prosocial.registry import Registry

CATALOG = ("amd", "aga", "gradual_tft", "ssd")
"""The preset folders, one per paper or method group."""


@cache
def presets() -> Registry:
    """The preset registry, filled once."""
    import importlib

    from prosocial.experiments.spec import PRESETS

    for folder in CATALOG:
        importlib.import_module(f"prosocial.experiments.{folder}.presets").register_all()
    return PRESETS


def groups() -> dict[str, list[str]]:
    """``group -> preset names``."""
    out: dict[str, list[str]] = {}
    registry = presets()
    for name in registry.names():
        out.setdefault(registry.make(name).group, []).append(name)
    return out


def select(target: str, group: bool) -> list[Any]:
    """The presets of a group (``group=True``), or the one preset of that name."""
    registry = presets()
    if group:
        names = groups().get(target)
        if names is None:
            if target in registry:
                return [registry.make(target)]
            accepted = ", ".join(sorted(groups()))
            raise ConfigError("group", f"unknown group {target!r}; accepted: {accepted}")
        return [registry.make(n) for n in names]
    return [registry.make(target)]


def resolve(selected: Sequence[Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """Each preset's config with the overrides that apply to it, validated.

    A field that no selected preset has is an error naming the accepted fields. Building
    each preset's cells validates every run before anything starts.
    """
    from prosocial.experiments.fields import names, override

    known = set().union(*(names(type(p.config)) for p in selected))
    for name in overrides:
        if name.replace("-", "_") not in known:
            raise ConfigError(name, f"unknown field; accepted: {', '.join(sorted(known))}")
    configs = {}
    for p in selected:
        own = {k: v for k, v in overrides.items() if k.replace("-", "_") in names(type(p.config))}
        configs[p.name] = override(p.config, own)
        p.cells(configs[p.name])
    return configs


def resolve_overrides(preset: str, overrides: Mapping[str, str]) -> Any:
    """The config of one preset with ``overrides`` (strings, as on the command line)."""
    (p,) = select(preset, group=False)
    return resolve([p], overrides)[p.name]


def _config_doc(
    selected: Sequence[Any], configs: Mapping[str, Any], name: str, run: Mapping[str, Any]
) -> str:
    from prosocial import __version__
    from prosocial.experiments import rundir

    if len(selected) == 1:
        doc = {"preset": selected[0].name, "config": configs[selected[0].name]}
    else:
        doc = {"group": name, "presets": {p.name: configs[p.name] for p in selected}}
    doc["run"] = dict(run)
    doc["version"] = __version__
    return rundir.dumps(doc)


def start(
    selected: Sequence[Any],
    configs: Mapping[str, Any],
    out: Path,
    name: str,
    run: Mapping[str, Any],
) -> Path:
    """Make the run directory of ``selected`` under ``out/name`` and write ``config.json``."""
    from prosocial.experiments import rundir

    rundir.check_out(out)
    text = _config_doc(selected, configs, name, run)
    path = rundir.new_run_dir(out, name, text)
    rundir.write_atomic(path / "config.json", text)
    return path


def reopen(run_dir: Path) -> tuple[list[Any], dict[str, Any], dict]:
    """The presets, configs and document of an existing run directory (``--resume``)."""
    from prosocial.experiments.fields import override
    from prosocial.experiments.rundir import jsonable

    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise ConfigError(
            "resume",
            f"{str(run_dir)!r} holds no config.json; accepted: a run "
            "directory written by prosocial run or reproduce",
        )
    try:
        doc = json.loads(path.read_text())
        saved = doc["presets"] if "presets" in doc else {doc["preset"]: doc["config"]}
    except (ValueError, KeyError, TypeError):
        raise ConfigError("resume", f"{str(path)!r} is not a prosocial config.json") from None
    selected, configs = [], {}
    registry = presets()
    for name, fields in saved.items():
        p = registry.make(name)
        pairs = {k: _as_text(v) for k, v in fields.items()}
        configs[name] = override(p.config, pairs)
        if jsonable(configs[name]) != fields:
            raise ProsocialError(f"resume: {path} does not round-trip through {name}'s config")
        selected.append(p)
    return selected, configs, doc


def _as_text(value: Any) -> str:
    from prosocial.experiments.fields import format_value

    if isinstance(value, list):
        value = tuple(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple):
        return ",".join(_as_text(v) for v in value)
    return format_value(value)


def prepare(
    name: str,
    overrides: Mapping[str, str] | None = None,
    *,
    out: Path = Path("runs"),
    run_dir: Path | None = None,
    group: bool = False,
    checkpoint_every: int | None = None,
) -> tuple[list[Any], dict[str, Any], Path, dict]:
    """Validate everything, then make (or reopen) the run directory: ``(presets, configs,
    run directory, run options)``. Nothing is written before every field has been checked.

    With ``run_dir`` naming a directory that holds ``config.json``, the run is reopened
    for resuming (``overrides`` must then be empty); a ``run_dir`` without one is created
    and used as given; otherwise a new ``out/<name>/<time>-<hash>/`` is made.
    """
    from prosocial.experiments import rundir

    overrides = dict(overrides or {})
    if run_dir is not None and (Path(run_dir) / "config.json").exists():
        if overrides:
            raise ConfigError(
                "resume",
                "a resumed run takes its config from the run "
                "directory; accepted: no --field overrides",
            )
        selected, configs, doc = reopen(run_dir)
        return selected, configs, Path(run_dir), doc.get("run", {})
    if checkpoint_every is not None and not 1 <= checkpoint_every <= 10**9:
        raise ConfigError(
            "checkpoint_every",
            f"{checkpoint_every} is not accepted; accepted: an integer in 1..1000000000",
        )
    selected = select(name, group)
    configs = resolve(selected, overrides)
    run = {"checkpoint_every": checkpoint_every}
    if run_dir is None:
        return selected, configs, start(selected, configs, out, name, run), run
    path = Path(run_dir)
    rundir.check_out(path)
    path.mkdir(parents=True, exist_ok=True)
    rundir.write_atomic(path / "config.json", _config_doc(selected, configs, name, run))
    return selected, configs, path, run


def run_preset(
    name: str,
    overrides: Mapping[str, str] | None = None,
    *,
    out: Path = Path("runs"),
    run_dir: Path | None = None,
    group: bool = False,
    progress: Any = None,
    sinks: Sequence[Any] = (),
    draw: bool = True,
    checkpoint_every: int | None = None,
) -> Path:
    """Run a preset (or, with ``group=True``, every preset of a group) and return its run
    directory; see :func:`prepare` for ``run_dir`` (resume)."""
    from prosocial.experiments.runner import Options, run

    selected, configs, path, run_options = prepare(
        name, overrides, out=out, run_dir=run_dir, group=group, checkpoint_every=checkpoint_every
    )
    options = Options(
        progress=progress,
        sinks=sinks,
        draw=draw,
        checkpoint_every=run_options.get("checkpoint_every"),
    )
    run([(p, configs[p.name]) for p in selected], path, options)
    return path


__all__ = ["prepare", "presets", "reopen", "resolve", "resolve_overrides", "run_preset", "select"]
