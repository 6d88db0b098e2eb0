"""Tracking sinks: where a run's namespaced metrics go besides metrics.csv.

The runner always writes ``metrics.csv`` itself; the sinks here are extra copies of the same
scalars for live dashboards. Each sink receives ``{"<cell>/<metric>": value, ...}`` once per
logged row, with ``step`` the row's x value (episode, step or round), and is closed at the end
of the run. Metric names keep their "/" namespaces as they are, so TensorBoard and W&B group
them by cell and metric family.

TensorBoard (through ``tensorboardX``) and Weights & Biases are optional dependencies: they are
imported only when their sink is made, and a missing one raises a one-line
:class:`~prosocial.errors.ProsocialError` that names the ``[track]`` extra.

Non-finite values (NaN, inf) are skipped: that key logs nothing at that step, the others do.
A diverging run therefore keeps streaming its finite metrics instead of crashing the sink;
``metrics.csv`` and ``summary.json`` still record the divergence.
"""

from __future__ import annotations

import math
import netrc
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from prosocial.errors import ConfigError, ProsocialError

ACCEPTED = ("csv", "tensorboard", "wandb")
"""Sink names that ``make_sinks`` accepts, in the order an error lists them."""

WANDB_PROJECT = "prosocial"


def _missing_extra(what: str) -> ProsocialError:
    return ProsocialError(f'track: {what} needs the [track] extra; pip install "prosocial[track]"')


@runtime_checkable
class Sink(Protocol):
    """Somewhere a run's scalars are sent, row by row."""

    def log(self, scalars: dict[str, float], step: int) -> None:
        """Record ``scalars`` (namespaced names to values) at x value ``step``."""
        ...

    def close(self) -> None:
        """Flush and release the sink; later calls do nothing."""
        ...


def finite_scalars(scalars: Mapping[str, Any]) -> dict[str, float]:
    """The entries of ``scalars`` as Python floats, leaving out NaN and infinities."""
    out: dict[str, float] = {}
    for key, value in scalars.items():
        number = float(value)
        if math.isfinite(number):
            out[str(key)] = number
    return out


class TensorBoardSink:
    """Writes TensorBoard event files under ``logdir`` (the runner uses ``<run_dir>/tensorboard``).

    Each key becomes a scalar tag as it is (``"/"`` groups tags in TensorBoard's UI), with
    ``step`` as the global step. Events are flushed after every ``log`` so a dashboard that
    reads the directory sees each chunk as soon as it is logged.
    """

    def __init__(self, logdir: Path):
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise _missing_extra("tensorboard") from None
        self.logdir = Path(logdir)
        self.logdir.mkdir(parents=True, exist_ok=True)
        self._writer = SummaryWriter(logdir=str(self.logdir))
        self._closed = False

    def log(self, scalars: dict[str, float], step: int) -> None:
        values = finite_scalars(scalars)
        if self._closed or not values:
            return
        for tag, value in values.items():
            self._writer.add_scalar(tag, value, global_step=int(step))
        self._writer.flush()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._writer.close()


def _wandb_has_credentials() -> bool:
    """Whether W&B could log in without a prompt: an API key in the environment or in netrc."""
    if os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_IDENTITY_TOKEN_FILE"):
        return True
    hosts = set()
    base_url = os.environ.get("WANDB_BASE_URL")
    if base_url:
        hosts.add(urlsplit(base_url).hostname)
    else:
        hosts.add("api.wandb.ai")
        try:  # the default host of the installed wandb, when it names one
            from wandb.sdk.lib import urls

            hosts.add(urlsplit(urls.DEFAULT_BASE_URL).hostname)
        except (ImportError, AttributeError):
            pass
    netrc_env = os.environ.get("NETRC")
    candidates = (
        [Path(netrc_env)] if netrc_env else [Path.home() / ".netrc", Path.home() / "_netrc"]
    )
    for path in candidates:
        if not path.is_file():
            continue
        try:
            parsed = netrc.netrc(str(path))
        except (netrc.NetrcParseError, OSError):
            continue
        if any(host and parsed.authenticators(host) for host in hosts):
            return True
    return False


def wandb_mode() -> str:
    """W&B's mode: ``$WANDB_MODE`` when set, else "online" with credentials, else "offline"."""
    mode = os.environ.get("WANDB_MODE", "").strip()
    if mode:
        return mode
    return "online" if _wandb_has_credentials() else "offline"


class WandbSink:
    """Logs to a Weights & Biases run in project "prosocial", its files under ``run_dir/wandb``.

    The mode comes from ``$WANDB_MODE``; without it the run is online when an API key is
    available and offline otherwise (``wandb sync`` uploads an offline run later). Each sink
    makes its own W&B run (``reinit="create_new"``), so sinks of successive runs in one process
    do not finish each other's runs.
    """

    def __init__(self, run_dir: Path, run_name: str, config: dict):
        try:
            import wandb
        except ImportError:
            raise _missing_extra("wandb") from None
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.mode = wandb_mode()
        self._run = wandb.init(
            project=WANDB_PROJECT,
            name=run_name,
            config=dict(config),
            dir=str(self.run_dir),
            mode=self.mode,
            reinit="create_new",
        )
        self._closed = False

    def log(self, scalars: dict[str, float], step: int) -> None:
        values = finite_scalars(scalars)
        if self._closed or not values:
            return
        self._run.log(values, step=int(step))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._run.finish()


def check_names(names: Sequence[str]) -> list[str]:
    if isinstance(names, str):
        names = [part.strip() for part in names.split(",") if part.strip()]
    seen: list[str] = []
    accepted = ", ".join(ACCEPTED)
    for name in names:
        if name not in ACCEPTED:
            raise ConfigError("track", f"{name!r} is not accepted; accepted: {accepted}")
        if name in seen:
            raise ConfigError("track", f"{name!r} is given twice; give each of {accepted} once")
        seen.append(name)
    return seen


def make_sinks(names: Sequence[str], run_dir: Path, run_name: str, config: dict) -> list[Sink]:
    """The sinks ``names`` asks for, for a run written to ``run_dir``.

    Args:
        names: sink names from "csv", "tensorboard", "wandb" (a comma-separated string is
            split); "csv" makes no sink, since the runner writes metrics.csv itself.
        run_dir: the run directory; TensorBoard writes under ``run_dir/tensorboard``, W&B under
            ``run_dir/wandb``.
        run_name: the run's name as W&B shows it.
        config: the run's resolved config, stored with the W&B run.

    Raises:
        ConfigError: (field "track") for an unknown or repeated name; all names are checked
            before any sink is made.
        ProsocialError: when a sink's optional dependency is not installed.
    """
    checked = check_names(names)
    run_dir = Path(run_dir)
    sinks: list[Sink] = []
    try:
        for name in checked:
            if name == "tensorboard":
                sinks.append(TensorBoardSink(run_dir / "tensorboard"))
            elif name == "wandb":
                sinks.append(WandbSink(run_dir, run_name, config))
    except BaseException:
        for sink in sinks:
            sink.close()
        raise
    return sinks
