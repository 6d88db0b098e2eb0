"""Finding run directories: ``collect(paths)`` for ``prosocial report`` and sweeps.

A run directory holds ``config.json`` and, once complete, ``summary.json``; a folder of
``prosocial reproduce`` holds one run directory per preset. A directory with
``config.json`` but no ``summary.json`` is an incomplete run, one whose JSON cannot be read
a malformed one: both are listed, neither is counted, and nothing here raises on them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prosocial.errors import ProsocialError


@dataclass(frozen=True)
class RunInfo:
    """One run directory found by :func:`collect`.

    Attributes:
        path: the run directory.
        status: ``"complete"`` (config.json and summary.json read), ``"incomplete"`` (no
            summary.json yet) or ``"malformed"`` (a JSON file that cannot be read or does
            not follow the format; ``problem`` says which).
        preset: the preset's name, or None when config.json could not be read.
        config: the resolved config fields (empty when unreadable).
        summary: the parsed summary.json of a complete run, else None.
        problem: why a run is not complete, in one line; None for a complete run.
    """

    path: Path
    status: str
    preset: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] | None = None
    problem: str | None = None

    @property
    def complete(self) -> bool:
        return self.status == "complete"


def _read_json(path: Path) -> tuple[Any, str | None]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, f"{path.name} cannot be read: {reason}"


def as_float(value: Any) -> float:
    """A final's value: a number or one of the strings "nan", "inf", "-inf"."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip().lower() in ("nan", "inf", "+inf", "-inf"):
        return float(value)
    raise ValueError(f"{value!r} is not a number")


def _check_summary(summary: Any) -> str | None:
    """None when ``summary`` has the cells/finals this report reads, else the problem."""
    if not isinstance(summary, dict) or not isinstance(summary.get("cells"), dict):
        return "summary.json has no 'cells' object"
    for label, cell in summary["cells"].items():
        finals = cell.get("finals") if isinstance(cell, dict) else None
        if not isinstance(finals, dict):
            return f"summary.json cell {label!r} has no 'finals' object"
        for name, values in finals.items():
            if not isinstance(values, list):
                return f"summary.json cell {label!r} final {name!r} is not a list"
            try:
                for v in values:
                    as_float(v)
            except ValueError as exc:
                return f"summary.json cell {label!r} final {name!r}: {exc}"
    return None


def read_run(path: Path) -> RunInfo:
    """The :class:`RunInfo` of one directory holding ``config.json``; never raises."""
    config, problem = _read_json(path / "config.json")
    if problem is None and not (isinstance(config, dict) and isinstance(config.get("preset"), str)):
        problem = "config.json has no 'preset' name"
    if problem is None and not isinstance(config.get("config", {}), dict):
        problem = "config.json 'config' is not an object"
    if problem is not None:
        return RunInfo(path, "malformed", problem=problem)
    preset, fields = config["preset"], dict(config.get("config", {}))
    if not (path / "summary.json").is_file():
        return RunInfo(path, "incomplete", preset, fields, problem="no summary.json yet")
    summary, problem = _read_json(path / "summary.json")
    if problem is None:
        problem = _check_summary(summary)
    if problem is not None:
        return RunInfo(path, "malformed", preset, fields, problem=problem)
    return RunInfo(path, "complete", preset, fields, summary=summary)


def _is_group(path: Path) -> bool:
    """A ``prosocial reproduce`` folder: its config.json lists presets, one folder each."""
    doc, problem = _read_json(path / "config.json")
    return problem is None and isinstance(doc, dict) and "presets" in doc


def _walk(root: Path) -> Iterable[Path]:
    """Directories holding config.json under ``root``; a run's own subtree is not searched
    (a ``reproduce`` folder's presets are)."""
    if (root / "config.json").is_file() and not _is_group(root):
        yield root
        return
    for parent, dirs, files in os.walk(root, onerror=lambda _: None):
        if "config.json" in files and not _is_group(Path(parent)):
            dirs[:] = []
            yield Path(parent)
        else:
            dirs.sort()


def collect(paths: Sequence[Path | str]) -> list[RunInfo]:
    """Every run directory under ``paths``, searched recursively, in path order.

    A directory with config.json but no summary.json is listed as incomplete; one whose
    JSON cannot be read is listed as malformed. Raises ProsocialError (one line, naming the
    path) for a path that does not exist or holds no run directory at all.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        raise ProsocialError("report: no paths given; accepted: run or sweep directories")
    runs: list[RunInfo] = []
    seen: set[Path] = set()
    for given in paths:
        root = Path(given)
        if not root.is_dir():
            raise ProsocialError(f"report: {root} is not a directory; accepted: run directories")
        found = 0
        for run_dir in _walk(root):
            found += 1
            key = run_dir.resolve()
            if key not in seen:
                seen.add(key)
                runs.append(read_run(run_dir))
        if not found:
            raise ProsocialError(f"report: {root} holds no run directory (no config.json under it)")
    return runs
