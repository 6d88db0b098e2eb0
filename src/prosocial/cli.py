"""The ``prosocial`` command.

    prosocial list
    prosocial run <preset> [--field value ...] [--out DIR]
    prosocial reproduce <group-or-preset> [--field value ...] [--out DIR]
    prosocial render <env> [--policy random] [--steps N] [--fps F] [--seed S] [--scale K]
                     [--field value ...] [--out FILE.gif]

Bad input (an unknown preset, environment, policy, game or field, a value out of range,
a payoff matrix that is no social dilemma) prints one line naming the field and what is
accepted, and exits with status 2 before anything is written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from prosocial.errors import ProsocialError


class Diverged(RuntimeError):
    """A run produced NaN or inf; its run directory holds what it had."""


USAGE = """usage: prosocial list
       prosocial run <preset> [--field value ...] [--out DIR]
       prosocial reproduce <group-or-preset> [--field value ...] [--out DIR]
       prosocial render <env> [--policy random] [--steps N] [--fps F] [--seed S] [--scale K]
                        [--field value ...] [--out FILE.gif]"""


def _pairs(args: list[str], out: Path | None = Path("runs")) -> tuple[dict[str, str], Path | None]:
    """``--field value`` / ``--field=value`` pairs, and ``--out`` (``out`` when absent)."""
    pairs, i = {}, 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or len(arg) < 3:
            raise ProsocialError(f"{arg!r}: expected --field value")
        name, eq, value = arg[2:].partition("=")
        if not eq:
            if i + 1 >= len(args):
                raise ProsocialError(f"--{name}: missing value")
            value, i = args[i + 1], i + 1
        if name == "out":
            out = Path(value)
        else:
            pairs[name] = value
        i += 1
    return pairs, out


def _list() -> None:
    from rich.console import Console
    from rich.table import Table

    from prosocial import envs
    from prosocial.experiments.amd import PLANNERS
    from prosocial.experiments.catalog import presets
    from prosocial.games import MATRIX_GAMES
    from prosocial.learners import LEARNERS

    console = Console()
    table = Table("family", "names", show_lines=True)
    table.add_row("games", ", ".join(MATRIX_GAMES.names()))
    table.add_row("learners", ", ".join(LEARNERS.names()))
    table.add_row("planners", ", ".join(PLANNERS))
    table.add_row("environments", ", ".join(envs.names()))
    try:
        from prosocial.adjust import ADJUSTMENTS

        table.add_row("adjustments", ", ".join(ADJUSTMENTS.names()))
    except ImportError:
        pass
    console.print(table)
    registry = presets()
    ptable = Table("preset", "group", "what")
    for name in registry.names():
        p = registry.make(name)
        ptable.add_row(name, p.group, p.description)
    console.print(ptable)


def _run(target: str, args: list[str], group: bool) -> None:
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from prosocial.experiments.catalog import presets
    from prosocial.experiments.presets import presets_of
    from prosocial.experiments.runner import resolve, run_presets

    registry = presets()
    selected = presets_of(target) if group else [registry.make(target)]
    pairs, out = _pairs(args)
    configs = resolve(selected, pairs)
    console = Console()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        paths = run_presets(selected, configs, out, progress)
    for path in paths:
        console.print(Markdown((path / "summary.md").read_text()))
        console.print(f"[dim]written to {path}[/dim]\n")
    diverged = [p for p in paths if "diverged" in json.loads((p / "summary.json").read_text())]
    if diverged:
        raise Diverged(", ".join(str(p) for p in diverged))


RENDER_OPTIONS = {"policy": str, "steps": int, "fps": float, "seed": int, "scale": int}


def _make_env(name: str, fields: dict[str, str]):
    """``envs.make(name, ...)`` with ``--field value`` strings parsed into the fields' types."""
    import dataclasses
    import typing

    from prosocial import envs
    from prosocial.errors import ConfigError

    defaults = envs.make(name).params
    try:
        types = typing.get_type_hints(type(defaults))
    except (NameError, TypeError):  # an annotation that does not resolve: read it as written
        types = {f.name: f.type for f in dataclasses.fields(defaults)}
    types = {f.name: types.get(f.name, f.type) for f in dataclasses.fields(defaults)}
    parsed = {}
    for raw_name, raw in fields.items():
        key = raw_name.replace("-", "_")
        if key not in types:
            accepted = ", ".join([*RENDER_OPTIONS, *types])
            raise ConfigError(f"{name}.{raw_name}", f"unknown field; accepted: {accepted}")
        parsed[key] = _parse_field(f"{name}.{key}", raw, types[key])
    return envs.make(name, **parsed)


def _parse_field(field: str, raw: str, hint):
    """``raw`` in the field's type; a field typed ``Any`` (an array of payoffs) takes a
    Python literal (``[[1, 0], [2, 3]]``) or else the string, which the env validates."""
    import ast
    from typing import Any

    from prosocial.errors import ConfigError
    from prosocial.experiments.presets import parse_value

    if hint is Any:
        try:
            return ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw
    try:
        return parse_value(field, raw, hint)
    except (TypeError, NameError):  # a type that cannot be built from a string
        raise ConfigError(field, f"type {hint} cannot be set from the command line") from None


def _render(name: str, args: list[str]) -> None:
    import time

    import jax

    from prosocial.envs.render import POLICIES, auto_scale, check_options, rollout_frames, write_gif
    from prosocial.errors import ConfigError
    from prosocial.experiments.presets import parse_value

    pairs, out = _pairs(args, out=None)
    options = {k: parse_value(k, pairs.pop(k), t) for k, t in RENDER_OPTIONS.items() if k in pairs}
    env = _make_env(name, pairs)
    policy = options.get("policy", "random")
    POLICIES.get(policy)  # an unknown policy fails here, before anything runs
    out = Path(f"{name}.gif") if out is None else out
    if out.suffix.lower() != ".gif":
        raise ConfigError("out", f"{str(out)!r} is not accepted; accepted: a path ending in .gif")
    steps, fps, scale = options.get("steps"), options.get("fps", 10.0), options.get("scale")
    check_options(steps, fps, scale)
    start = time.perf_counter()
    frames = rollout_frames(env, jax.random.PRNGKey(options.get("seed", 0)), steps, policy)
    scale = auto_scale(frames.shape[1:]) if scale is None else scale
    write_gif(frames, out, fps, scale)
    height, width = frames.shape[1] * scale, frames.shape[2] * scale
    playing = len(frames) * (round(1000 / fps) // 10) / 100  # GIF delays: whole 10 ms
    print(
        f"{out}: {len(frames)} frames of {name} ({len(frames) - 1} steps, policy {policy}), "
        f"{width}x{height} px, {playing:.1f} s at {fps:g} fps; "
        f"made in {time.perf_counter() - start:.1f} s"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if not argv or argv[0] in ("-h", "--help"):
            print(USAGE)
            return 0 if argv else 2
        command, rest = argv[0], argv[1:]
        if command == "list":
            _list()
        elif command in ("run", "reproduce"):
            if not rest or rest[0].startswith("--"):
                raise ProsocialError(f"{command}: missing the preset name")
            _run(rest[0], rest[1:], group=command == "reproduce")
        elif command == "render":
            if not rest or rest[0].startswith("--"):
                raise ProsocialError("render: missing the environment name")
            _render(rest[0], rest[1:])
        else:
            raise ProsocialError(
                f"unknown command {command!r}; accepted: list, run, reproduce, render"
            )
    except ProsocialError as err:
        print(f"prosocial: error: {err}", file=sys.stderr)
        return 2
    except Diverged as err:
        print(f"prosocial: a run diverged (NaN or inf); kept what it had in {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
