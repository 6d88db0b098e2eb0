"""Run directories: atomic files, metrics.csv, JSON and checkpoints.

A run directory is created when a run starts (with ``config.json``) so that a run that is
interrupted can be resumed from it; every file in it is written to a temporary name and
renamed (``os.replace``), so a killed run leaves whole files or none. The run's numbers
are complete when ``summary.json`` exists; its figures are drawn from the files after it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jax
import numpy as np

from prosocial.errors import ConfigError, ProsocialError


def jsonable(x: Any) -> Any:
    """``x`` with dataclasses, tuples, NumPy values and non-finite floats made JSON-able
    (NaN and infinities as the strings ``nan``, ``inf``, ``-inf``)."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {f.name: jsonable(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.generic):
        return jsonable(x.item())
    if isinstance(x, float) and not np.isfinite(x):
        return str(x)
    return x


def dumps(x: Any) -> str:
    return json.dumps(jsonable(x), indent=2, ensure_ascii=False) + "\n"


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``path`` through a temporary file in its folder and a rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Hold ``folder/.lock`` for the duration: a second process that runs or resumes the
    same run directory meanwhile gets one line instead of interleaved checkpoints."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ProsocialError(
                f"resume: {folder} is in use by another prosocial process; accepted: a run "
                "directory that no running process holds"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def clean_temporaries(folder: Path) -> None:
    """Remove what a killed write left behind (``.<name>.*.tmp``)."""
    for tmp in Path(folder).rglob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def check_out(out: Path) -> None:
    """``out`` must be a folder that exists or can be made, and that can be written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError("out", f"{str(out)!r} is a file; accepted: a folder")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError("out", f"{str(out)!r} cannot be written; accepted: a writable folder")


def new_run_dir(root: Path, name: str, config_json: str) -> Path:
    """``root/name/<time>-<hash of the config>``, created empty (a suffix if taken)."""
    digest = hashlib.sha1(config_json.encode()).hexdigest()[:7]
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    parent = Path(root) / name
    parent.mkdir(parents=True, exist_ok=True)
    final, suffix = parent / f"{stamp}-{digest}", 1
    while True:
        try:
            final.mkdir()
            return final
        except FileExistsError:
            final = parent / f"{stamp}-{digest}-{suffix}"
            suffix += 1


# ---------------------------------------------------------------- metrics.csv


def csv_text(columns: Mapping[str, np.ndarray]) -> str:
    """Columns of equal length as CSV text: numbers with 6 significant digits."""
    names = list(columns)
    arrays = [np.asarray(columns[n]) for n in names]
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        raise ValueError(f"metric columns differ in length: {sorted(lengths)}")
    cells = [
        a.astype(str) if a.dtype.kind in "US" else [format(x, ".6g") for x in a.tolist()]
        for a in arrays
    ]
    lines = [",".join(names)]
    if arrays and len(arrays[0]):
        lines += [",".join(row) for row in zip(*cells, strict=True)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- checkpoints


def save_tree(path: Path, tree: Any, extra: Mapping[str, Any]) -> None:
    """A pytree's leaves (exact bytes) and a JSON-able ``extra`` in one ``.npz``, atomically."""
    leaves = jax.tree.leaves(tree)
    arrays = {f"leaf_{i:05d}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    arrays["extra"] = np.frombuffer(dumps(extra).encode(), dtype=np.uint8)
    fd, tmp = tempfile.mkstemp(prefix=f".{Path(path).name}.", suffix=".tmp", dir=Path(path).parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_tree(path: Path, like: Any) -> tuple[Any, dict]:
    """The pytree saved by :func:`save_tree`, shaped like ``like``, and its ``extra``."""
    with np.load(path) as data:
        extra = json.loads(bytes(data["extra"]).decode())
        leaves = [data[f"leaf_{i:05d}"] for i in range(len(jax.tree.leaves(like)))]
    return jax.tree.unflatten(jax.tree.structure(like), leaves), extra
