"""The ``prosocial`` command, built with click.

    prosocial list
    prosocial run <preset> [--field value ...] [--out DIR] [--resume RUN_DIR]
    prosocial reproduce <group> [--field value ...] [--out DIR] [--resume RUN_DIR]
    prosocial sweep <preset> --grid field=v1,v2 ... --seeds N [--address ADDR]
    prosocial report DIR ... [--out DIR]
    prosocial render <env> [--policy random] [--steps N] [--field value ...] [--out FILE]

``prosocial run <preset> --help`` lists every field of the preset with its type, default,
accepted values and one line of documentation. Bad input (an unknown preset, field or
value, a value out of range, a folder that cannot be written) prints one line naming the
field and what is accepted, and exits with status 2 before any work and before anything
is written. Ctrl-C stops a run at once with one line; the run directory keeps its last
checkpoint and ``--resume`` continues it to the same numbers.

Why click: it builds one command per preset from the config's fields at run time (lazy
subcommands), formats ``--help`` well, and lets prosocial catch every usage error and
print it as one line; tyro and typer generate commands from static signatures and print
multi-line error panels.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from prosocial.errors import ConfigError, ProsocialError
from prosocial.experiments.compilation import NO_CACHE_ENV, cpu_workarounds, enable_cache


class Diverged(RuntimeError):
    """A run produced NaN or inf; its run directory holds what it had."""


class Range(click.ParamType):
    """A number within ``[low, high]``; a value outside is prosocial's one line."""

    def __init__(self, kind: type, low: float, high: float):
        self.kind, self.low, self.high = kind, low, high
        self.name = kind.__name__

    def convert(self, value, param, ctx):
        import math

        if isinstance(value, self.kind) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = float(value)
                if self.kind is int:
                    if not math.isfinite(number) or number != int(number):
                        raise ValueError
                    number = int(number)
            except (TypeError, ValueError):
                number = None
        if number is None or not math.isfinite(number) or not self.low <= number <= self.high:
            what = "an integer" if self.kind is int else "a finite number"
            span = (
                f"{self.low}..{self.high}" if self.kind is int else f"[{self.low:g}, {self.high:g}]"
            )
            name = param.name if param is not None else "value"
            shown = value if isinstance(value, str) else repr(value)
            raise ConfigError(name, f"{shown} is not accepted; accepted: {what} in {span}")
        return number


# ---------------------------------------------------------------- field options


def _field_options(cls: type) -> list[click.Option]:
    """One ``--name VALUE`` option per config field (``--name-with-dashes`` too)."""
    from prosocial.experiments.fields import describe

    options = []
    for name, kind, default, doc, accepted in describe(cls):
        decls = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
        options.append(
            click.Option(
                [*decls, name],
                multiple=True,
                metavar=kind.upper(),
                show_default=False,
                help=f"{doc}. Accepted: {accepted}. [default: {default}]",
            )
        )
    return options


def _pairs(values: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Field values given once each; a field given twice is an error."""
    pairs = {}
    for name, given in values.items():
        if len(given) > 1:
            raise ConfigError(
                name, f"given {len(given)} times ({', '.join(given)}); accepted: once"
            )
        if given:
            pairs[name] = given[0]
    return pairs


COMMON = {
    "out": click.Option(
        ["--out"],
        type=click.Path(path_type=Path),
        default=Path("runs"),
        show_default=True,
        help="the folder that run directories go under",
    ),
    "resume": click.Option(
        ["--resume"],
        type=click.Path(path_type=Path),
        default=None,
        help="continue the interrupted run in this run directory",
    ),
    "track": click.Option(
        ["--track"],
        default="csv",
        show_default=True,
        help="tracking sinks, comma-separated: csv, tensorboard, wandb",
    ),
    "checkpoint_every": click.Option(
        ["--checkpoint-every", "checkpoint_every"],
        type=Range(int, 1, 10**9),
        default=None,
        help="units (episodes, steps, rounds) between checkpoints [default: the program's]",
    ),
    "no_cache": click.Option(
        ["--no-cache"], is_flag=True, help="do not keep compiled programs in the user's cache"
    ),
}


class _Lazy(click.Group):
    """A group whose subcommands are built on demand from a registry."""

    def __init__(
        self,
        *args,
        names: Callable[[], list[str]],
        build: Callable[[str], Any],
        what: str,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self._names, self._build, self._what = names, build, what

    def list_commands(self, ctx):
        return self._names()

    def parse_args(self, ctx, args):
        if not args:
            accepted = ", ".join(self._names())
            raise ProsocialError(
                f"{self.name}: missing the {self._what} name; accepted: {accepted}"
            )
        return super().parse_args(ctx, args)

    def get_command(self, ctx, name):
        if name not in self._names():
            accepted = ", ".join(self._names())
            raise ConfigError(self._what, f"unknown {self._what} {name!r}; accepted: {accepted}")
        return self._build(name)


# ---------------------------------------------------------------- run and reproduce


def _supervise(work: Callable[[], Any], on_interrupt: Callable[[], str]) -> Any:
    """Run ``work`` in a thread; Ctrl-C (or SIGTERM) stops the process at once with one
    line, keeping the last checkpoint on disk."""
    result: dict[str, Any] = {}

    def target():
        try:
            result["value"] = work()
        except BaseException as err:  # re-raised in the main thread
            result["error"] = err

    thread = threading.Thread(target=target, daemon=True, name="prosocial-run")
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        thread.start()
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        message = on_interrupt()
        print(f"prosocial: interrupted; {message}", file=sys.stderr, flush=True)
        os._exit(130)
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _execute(
    target: str,
    group: bool,
    values: dict,
    out: Path,
    resume: Path | None,
    track: str,
    no_cache: bool,
    checkpoint_every: int | None,
) -> None:
    from rich.console import Console
    from rich.markdown import Markdown
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from prosocial import experiments
    from prosocial.experiments.progress import LineProgress
    from prosocial.experiments.runner import Options, run
    from prosocial.experiments.tracking import check_names, make_sinks

    pairs = _pairs(values)
    names = check_names([t.strip() for t in track.split(",") if t.strip()])
    if resume is not None and not (resume / "config.json").is_file():
        raise ConfigError(
            "resume",
            f"{str(resume)!r} holds no run; accepted: a run directory "
            "written by prosocial run or reproduce",
        )
    if resume is not None and checkpoint_every is not None:
        raise ConfigError(
            "checkpoint_every",
            "a resumed run keeps the chunks it started with; "
            "accepted: no --checkpoint-every with --resume",
        )
    selected, configs, path, run_options = experiments.prepare(
        target, pairs, out=out, run_dir=resume, group=group, checkpoint_every=checkpoint_every
    )
    enable_cache(not no_cache)
    sinks = make_sinks(names, path, path.name, {p.name: configs[p.name] for p in selected})
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    # bars on a terminal; in a log file, where bars show nothing until the end, lines
    progress = (
        Progress(*columns, console=console, transient=False)
        if console.is_terminal
        else LineProgress(console.file)
    )
    command = "reproduce" if group else "run"

    def interrupted() -> str:
        if isinstance(progress, Progress):
            progress.live.transient = True  # the bars go, the one line stays
        progress.stop()
        return (
            f"the last checkpoint is in {path}; continue with: prosocial {command} "
            f"{target} --resume {path}"
        )

    with progress:
        options = Options(
            progress=progress, sinks=sinks, checkpoint_every=run_options.get("checkpoint_every")
        )
        results = _supervise(
            lambda: run([(p, configs[p.name]) for p in selected], path, options), interrupted
        )
    out_console = Console()
    for run_path, _ in results:
        out_console.print(Markdown((run_path / "summary.md").read_text()))
        out_console.print(f"[dim]written to {run_path}[/dim]\n")
    diverged = [f"{p}: {d['text']}" for p, d in results if d]
    if diverged:
        raise Diverged("; ".join(diverged))


def _preset_command(target: str, group: bool) -> click.Command:
    from prosocial import experiments

    selected = experiments.select(target, group)
    classes = list(dict.fromkeys(type(p.config) for p in selected))
    params, seen = [], set()
    for cls in classes:
        for option in _field_options(cls):
            if option.name not in seen:
                seen.add(option.name)
                params.append(option)
    field_names = [o.name for o in params]
    if group:
        what = f"every preset of {target}: " + ", ".join(p.name for p in selected)
    else:
        what = selected[0].description

    def callback(out, resume, track, no_cache, checkpoint_every, **values):
        _execute(
            target,
            group,
            {k: values[k] for k in field_names},
            out,
            resume,
            track,
            no_cache,
            checkpoint_every,
        )

    return click.Command(
        target,
        callback=callback,
        help=what,
        params=[*params, *COMMON.values()],
        no_args_is_help=False,
    )


# ---------------------------------------------------------------- sweep and report


def _sweep_command(target: str) -> click.Command:
    from prosocial.experiments import select

    (preset,) = select(target, False)

    def callback(
        grid, seeds, address, max_failures, out, resume, cpus_per_trial, gpus_per_trial, no_cache
    ):
        from prosocial.experiments.sweep import parse_grid, sweep

        parsed = parse_grid(grid)
        if resume is None and not parsed:
            raise ConfigError("grid", "empty; accepted: one or more --grid field=v1,v2")
        if no_cache:
            os.environ[NO_CACHE_ENV] = "1"  # the trials' processes read it
        path = sweep(
            target,
            parsed,
            seeds,
            out,
            address=address,
            max_failures=max_failures,
            resume=resume,
            cpus_per_trial=cpus_per_trial,
            gpus_per_trial=gpus_per_trial,
        )
        _report([path], path / "report", None)
        print(f"sweep: {Path(path).resolve()}")

    from prosocial.experiments.fields import SEEDS_MAX

    params = [
        click.Option(
            ["--grid"],
            multiple=True,
            help="field=v1,v2: the values of one field "
            "(repeat for a grid); fields: "
            + ", ".join(f.name for f in dataclasses.fields(preset.config)),
        ),
        click.Option(
            ["--seeds"],
            type=Range(int, 1, SEEDS_MAX),
            default=4,
            show_default=True,
            help="seeds per trial, vmapped inside the trial",
        ),
        click.Option(
            ["--address"], default=None, help="join this Ray cluster (default: start a local one)"
        ),
        click.Option(
            ["--max-failures"],
            type=Range(int, 0, 100),
            default=2,
            show_default=True,
            help="retries of a failed trial",
        ),
        click.Option(
            ["--cpus-per-trial"],
            type=Range(float, 0.01, 1024),
            default=1.0,
            show_default=True,
            help="CPUs reserved for each trial",
        ),
        click.Option(
            ["--gpus-per-trial"],
            type=Range(float, 0.0, 64),
            default=0.0,
            show_default=True,
            help="GPUs reserved for each trial (0.25: four trials share one GPU)",
        ),
        COMMON["out"],
        COMMON["resume"],
        COMMON["no_cache"],
    ]
    return click.Command(
        target, callback=callback, params=params, help=f"a Ray Tune sweep of {target}"
    )


def _report(paths: list[Path], out: Path | None, final: str | None) -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    from prosocial.experiments.report import report

    if out is None:
        out = paths[0] / "report" if len(paths) == 1 else Path("report")
    result = report(paths, out, final)
    Console().print(Markdown(result.markdown))
    for written in getattr(result, "paths", []):
        print(f"written {written}")


# ---------------------------------------------------------------- crossplay


def _crossplay(dirs, bots, focal, envs, episodes, seed, out) -> None:
    from rich.console import Console
    from rich.markdown import Markdown

    from prosocial.envs.bots import bot_names
    from prosocial.experiments import crossplay, rundir
    from prosocial.plots import draw

    names = tuple(b.strip() for b in bots.split(",")) if bots.strip() else ()
    for b in names:
        if b not in bot_names():
            raise ConfigError("bots", f"unknown bot {b!r}; accepted: {', '.join(bot_names())}")
    if out is None:
        out = Path(dirs[0]) / "crossplay" if len(dirs) == 1 else Path("crossplay")
    rundir.check_out(out)
    enable_cache(True)
    pops = crossplay.populations([Path(d) for d in dirs])

    def work():
        result = crossplay.crossplay(
            pops, names, focal=focal, envs=envs, episodes=episodes, seed=seed
        )
        return crossplay.write(result, out)

    written = _supervise(work, lambda: "nothing was written")
    Console().print(Markdown((Path(out) / "crossplay.md").read_text()))
    for path in [*written, *draw(out)]:
        print(f"written {path}")


# ---------------------------------------------------------------- render


RENDER_OPTIONS = {
    "policy": click.Option(
        ["--policy"], default="random", show_default=True, help="the policy that acts: random"
    ),
    "steps": click.Option(
        ["--steps"],
        type=Range(int, 1, 10_000),
        default=None,
        help="steps to play (default: one episode, at most 10000)",
    ),
    "fps": click.Option(
        ["--fps"],
        type=Range(float, 0.1, 50),
        default=10.0,
        show_default=True,
        help="frames per second",
    ),
    "seed": click.Option(
        ["--seed"],
        type=Range(int, 0, 2**32 - 1),
        default=0,
        show_default=True,
        help="PRNG seed",
    ),
    "scale": click.Option(
        ["--scale"],
        type=Range(int, 1, 64),
        default=None,
        help="pixels per cell, a whole zoom (default: automatic)",
    ),
    "out": click.Option(
        ["--out"],
        type=click.Path(path_type=Path),
        default=None,
        help="the GIF to write (default: <env>.gif)",
    ),
}
MAX_GIF_PIXELS = 4096 * 4096
"""A frame of at most this many pixels (16.8 million) after scaling."""


def _render_command(name: str) -> click.Command:
    from prosocial import envs

    params_cls = type(envs.make(name).params)
    field_options = _env_options(params_cls)

    def callback(policy, steps, fps, seed, scale, out, **values):
        _render(name, policy, steps, fps, seed, scale, out, _pairs(values))

    return click.Command(
        name,
        callback=callback,
        params=[*field_options, *RENDER_OPTIONS.values()],
        help=f"play and draw one episode of {name}",
    )


def _env_options(cls: type) -> list[click.Option]:
    options = []
    for f in dataclasses.fields(cls):
        decls = [f"--{f.name}"] + ([f"--{f.name.replace('_', '-')}"] if "_" in f.name else [])
        options.append(
            click.Option(
                [*decls, f.name],
                multiple=True,
                help=f"environment parameter (default: {f.default!r})",
            )
        )
    return options


def _render(name, policy, steps, fps, seed, scale, out, fields) -> None:
    import time

    import jax

    from prosocial.envs.render import POLICIES, auto_scale, rollout_frames, write_gif

    env = _make_env(name, fields)
    POLICIES.get(policy)  # an unknown policy fails here, before anything runs
    out = Path(f"{name}.gif") if out is None else out
    if out.suffix.lower() != ".gif":
        raise ConfigError("out", f"{str(out)!r} is not accepted; accepted: a path ending in .gif")
    if out.exists() and out.is_dir():
        raise ConfigError("out", f"{str(out)!r} is a folder; accepted: a .gif file path")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise ConfigError(
            "out", f"{str(out)!r} cannot be written; accepted: a path in a writable folder"
        )
    start = time.perf_counter()
    frames = rollout_frames(env, jax.random.PRNGKey(seed), steps, policy)
    scale = auto_scale(frames.shape[1:]) if scale is None else scale
    height, width = frames.shape[1] * scale, frames.shape[2] * scale
    if height * width > MAX_GIF_PIXELS:
        raise ConfigError(
            "scale",
            f"{scale} makes {width}x{height} px frames; accepted: at "
            f"most {MAX_GIF_PIXELS:,} pixels per frame",
        )
    write_gif(frames, out, fps, scale)
    playing = len(frames) * (round(1000 / fps) // 10) / 100  # GIF delays: whole 10 ms
    print(
        f"{out}: {len(frames)} frames of {name} ({len(frames) - 1} steps, policy {policy}), "
        f"{width}x{height} px, {playing:.1f} s at {fps:g} fps; "
        f"made in {time.perf_counter() - start:.1f} s"
    )


def _make_env(name: str, fields: dict[str, str]):
    """``envs.make(name, ...)`` with ``--field value`` strings parsed into the fields' types."""
    from prosocial import envs
    from prosocial.experiments.fields import hints

    defaults = envs.make(name).params
    types = hints(type(defaults))
    parsed = {}
    for raw_key, raw in fields.items():
        key = raw_key.replace("-", "_")
        if key not in types:
            accepted = ", ".join(types)
            raise ConfigError(f"{name}.{raw_key}", f"unknown field; accepted: {accepted}")
        parsed[key] = _parse_field(f"{name}.{key}", raw, types[key])
    return envs.make(name, **parsed)


def _parse_field(field: str, raw: str, hint: Any) -> Any:
    """``raw`` in the field's type; a field typed ``Any`` (an array of payoffs) takes a
    Python literal (``[[1, 0], [2, 3]]``) or else the string, which the env validates."""
    import ast
    import typing

    if hint is typing.Any:
        try:
            return ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw
    return _parse_env_value(field, raw, hint)


def _parse_env_value(field: str, raw: str, hint: Any) -> Any:
    import math
    import types as pytypes
    import typing

    args = typing.get_args(hint)
    if isinstance(hint, pytypes.UnionType) or typing.get_origin(hint) is typing.Union:
        if raw.lower() == "none" and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
    text = raw.strip()
    try:
        if hint is bool:
            if text.lower() in ("true", "1", "yes", "false", "0", "no"):
                return text.lower() in ("true", "1", "yes")
            raise ValueError
        if hint is int:
            value = float(text) if any(c in text for c in ".eE") else int(text)
            if isinstance(value, float):
                if not math.isfinite(value) or value != int(value):
                    raise ValueError
                value = int(value)
            return value
        if hint is float:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
        if typing.get_origin(hint) is tuple:
            inner = typing.get_args(hint)[0]
            return tuple(inner(x) for x in text.split(",") if x)
        return hint(text)
    except (ValueError, TypeError):
        kind = {int: "an integer", float: "a finite number", bool: "true or false"}
        raise ConfigError(
            field,
            f"{raw!r} is not accepted; accepted: "
            f"{kind.get(hint, getattr(hint, '__name__', str(hint)))}",
        ) from None


# ---------------------------------------------------------------- list


def _list() -> None:
    from rich.console import Console
    from rich.table import Table

    from prosocial import envs, experiments
    from prosocial.adjust import ADJUSTMENTS
    from prosocial.envs.bots import bot_names
    from prosocial.envs.wrappers import names as wrapper_names
    from prosocial.games import MATRIX_GAMES
    from prosocial.learners import DEEP_LEARNERS, LEARNERS
    from prosocial.planner import PLANNERS
    from prosocial.strategies import STRATEGIES

    console = Console()
    table = Table("family", "names", show_lines=True)
    table.add_row("games", ", ".join(MATRIX_GAMES.names()))
    table.add_row("learners", ", ".join(LEARNERS.names()))
    table.add_row("deep learners", ", ".join(DEEP_LEARNERS.names()))
    table.add_row("planners", ", ".join(PLANNERS.names()))
    table.add_row("adjustments", ", ".join(ADJUSTMENTS.names()))
    table.add_row("strategies", ", ".join(STRATEGIES.names()))
    table.add_row("environments", ", ".join(envs.names()))
    table.add_row("wrappers", ", ".join(wrapper_names()))
    table.add_row("bots", ", ".join(bot_names()))
    console.print(table)
    registry = experiments.presets()
    ptable = Table("preset", "group", "what")
    for name in registry.names():
        p = registry.make(name)
        ptable.add_row(name, p.group, p.description)
    console.print(ptable)


# ---------------------------------------------------------------- the command


def _preset_names() -> list[str]:
    from prosocial import experiments

    return list(experiments.presets().names())


def _group_names() -> list[str]:
    from prosocial import experiments

    return sorted(experiments.groups())


def _env_names() -> list[str]:
    from prosocial import envs

    return list(envs.names())


class _Root(click.Group):
    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is None:
            accepted = ", ".join(self.list_commands(ctx))
            raise ConfigError("command", f"unknown command {name!r}; accepted: {accepted}")
        return command


def build() -> click.Group:
    """The ``prosocial`` command group."""
    root = _Root("prosocial", help="Learning cooperation in mixed-motive games.")
    root.add_command(
        click.Command(
            "list",
            callback=_list,
            help="every registered game, learner, strategy, environment and preset",
            short_help="every registered family and preset",
        )
    )
    root.add_command(
        _Lazy(
            "run",
            names=_preset_names,
            what="preset",
            build=lambda n: _preset_command(n, False),
            help="run one preset: prosocial run <preset> --help lists its fields",
        )
    )
    root.add_command(
        _Lazy(
            "reproduce",
            names=_group_names,
            what="group",
            build=lambda n: _preset_command(n, True),
            help="run every preset of a paper (see the list below)",
        )
    )
    root.add_command(
        _Lazy(
            "sweep",
            names=_preset_names,
            what="preset",
            build=_sweep_command,
            help="a grid of configurations as Ray Tune trials",
        )
    )
    root.add_command(
        click.Command(
            "report",
            callback=lambda dirs, out, final: _report(list(dirs), out, final),
            params=[
                click.Argument(["dirs"], nargs=-1, required=True, type=click.Path(path_type=Path)),
                click.Option(
                    ["--out"],
                    type=click.Path(path_type=Path),
                    default=None,
                    help="the folder for report.md, report.json and report.png "
                    "[default: DIR/report for one DIR, else ./report]",
                ),
                click.Option(
                    ["--final"],
                    default=None,
                    help="the final the figure shows [default: the first]",
                ),
            ],
            help="aggregate run directories into one table with 95% intervals and one figure",
            short_help="one table and figure from run directories",
        )
    )
    root.add_command(
        click.Command(
            "crossplay",
            callback=_crossplay,
            params=[
                click.Argument(["dirs"], nargs=-1, required=True, type=click.Path(path_type=Path)),
                click.Option(
                    ["--bots"],
                    default="cooperate,defect,random",
                    show_default=True,
                    help="scripted backgrounds, comma-separated ('' for none)",
                ),
                click.Option(
                    ["--focal"],
                    type=Range(int, 1, 255),
                    default=None,
                    help="player slots of the focal population [default: half, at least 1]",
                ),
                click.Option(
                    ["--envs"],
                    type=Range(int, 1, 65536),
                    default=32,
                    show_default=True,
                    help="environments per pairing",
                ),
                click.Option(
                    ["--episodes"],
                    type=Range(int, 1, 10_000),
                    default=1,
                    show_default=True,
                    help="episodes per environment",
                ),
                click.Option(
                    ["--seed"],
                    type=Range(int, 0, 2**32 - 1),
                    default=0,
                    show_default=True,
                    help="the evaluation's PRNG seed",
                ),
                click.Option(
                    ["--out"],
                    type=click.Path(path_type=Path),
                    default=None,
                    help="the folder for crossplay.md/.csv/.json and the figure "
                    "[default: DIR/crossplay for one DIR, else ./crossplay]",
                ),
            ],
            help="trained populations of ssd runs against each other and scripted bots "
            "(focal-by-background per-capita returns, as Melting Pot evaluates)",
            short_help="cross-play of trained populations and bots",
        )
    )
    root.add_command(
        _Lazy(
            "render",
            names=_env_names,
            what="environment",
            build=_render_command,
            help="play one episode of an environment and write a GIF",
        )
    )
    return root


def _one_line(err: click.ClickException) -> str:
    """A click usage error as prosocial's one line: the field first, then what is wrong."""
    if isinstance(err, click.NoSuchOption):
        name = err.option_name.lstrip("-").replace("-", "_")
        fields = []
        if err.ctx is not None:
            fields = [p.name for p in err.ctx.command.params if isinstance(p, click.Option)]
        return f"{name}: unknown field; accepted: {', '.join(fields)}"
    if isinstance(err, click.BadOptionUsage) and "requires an argument" in err.message:
        return f"{err.option_name.lstrip('-')}: missing value"
    if isinstance(err, click.BadParameter) and err.param is not None:
        return f"{err.param.name}: {' '.join(err.format_message().split())}"
    return " ".join(err.format_message().split())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    cpu_workarounds()  # before JAX starts (see prosocial.experiments.compilation)
    try:
        build().main(args=argv, prog_name="prosocial", standalone_mode=False)
    except ProsocialError as err:
        print(f"prosocial: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except click.exceptions.NoArgsIsHelpError as err:
        print(err.ctx.get_help() if err.ctx else "", file=sys.stderr)
        return 2
    except click.ClickException as err:
        print(f"prosocial: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except click.exceptions.Exit as err:
        return err.exit_code
    except click.Abort:
        print("prosocial: interrupted", file=sys.stderr)
        return 130
    except Diverged as err:
        print(f"prosocial: a run diverged (NaN or inf); kept what it had: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
