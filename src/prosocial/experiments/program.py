"""Training programs: ``train(config, key) -> (state, metrics)`` in pieces a runner can batch.

A :class:`Program` is a bundle of pure functions, in the style of an optax
``GradientTransformation``: ``init`` builds the state of one run from its numbers and one
per-seed input (a PRNG key by default), and ``advance`` plays ``rows`` logged rows (each
``log_every`` units: episodes, steps or rounds) and returns one metrics row per logged
row. What shapes the compiled program is the *static* part of a group of cells; every
other number of a cell is *dynamic* data, so the cells of a table that share a static
part run as one ``vmap`` over cells × seeds, compiled once (:func:`batched`).

Splitting ``train`` into ``init`` and ``advance`` lets the runner stop between chunks of
rows (progress, checkpoints, Ctrl-C) without changing a number: a scan of ``k`` rows
followed by a scan of ``m`` rows is the scan of ``k + m`` rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import lru_cache, partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.errors import ConfigError
from prosocial.registry import Registry


class Program(NamedTuple):
    """A training program that the generic runner batches.

    Attributes:
        name: the registry name.
        x: the unit a row is logged in (``episode``, ``step``, ``round``); it names the
            x column of ``metrics.csv``.
        group: ``cell config -> key``: cells with equal keys share one compiled program.
        static: ``cell configs of a group -> hashable static part``.
        dynamic: ``(cell config, static) -> pytree of arrays`` (the cell's numbers).
        inputs: ``cell config -> pytree with a leading seeds axis`` (default: keys).
        init: ``(static, dynamic, input) -> state`` of one run.
        advance: ``(static, dynamic, state, rows) -> (state, metrics)``; every metric has
            a leading ``rows`` axis, and ``metrics[x]`` holds the unit count at each row.
        rows: ``cell config -> the number of logged rows``.
        chunk: ``(cell config, units or None) -> rows per chunk``: the rows in about that
            many units (None: the program's default); the runner checkpoints and may stop
            between chunks.
        finish: optional ``(static, dynamic, state) -> dict of per-run figures`` read from
            the final state.
        labels: ``(metric, names)`` pairs: the names of the entries of a metric's last
            axis (default: their indices), for the columns of ``metrics.csv``.
        may_be_nan: ``metric name -> bool``: metrics that are NaN where they are undefined
            (a rate over no events, such as the own-coin fraction of an episode without a
            coin), so that NaN there is not a divergence (inf still is).

    Metric names are the namespaced columns of ``metrics.csv`` (``social/welfare``,
    ``policy/p_coop``, ...). Cells of one batch may differ in length: ``advance`` past a
    cell's own rows must leave its state unchanged (the runner runs whole chunks and
    keeps each cell's own rows).
    """

    name: str
    x: str
    group: Callable[[Any], Hashable]
    static: Callable[[Sequence[Any]], Hashable]
    dynamic: Callable[[Any, Any], Any]
    inputs: Callable[[Any], Any]
    init: Callable[[Any, Any, Any], Any]
    advance: Callable[[Any, Any, Any, int], tuple[Any, dict]]
    rows: Callable[[Any], int]
    chunk: Callable[[Any, int | None], int]
    finish: Callable[[Any, Any, Any], dict] | None = None
    labels: tuple[tuple[str, tuple[str, ...]], ...] = ()
    may_be_nan: Callable[[str], bool] = lambda name: False


PROGRAMS: Registry[Program] = Registry("program")


def seed_keys(seed: int, seeds: int) -> jax.Array:
    """``(seeds, 2)`` PRNG keys of the seeds ``seed, seed + 1, ...`` (unsigned 32-bit)."""
    values = np.arange(seed, seed + seeds, dtype=np.uint64)
    if values.size and int(values[-1]) > 2**32 - 1:
        raise ValueError(f"seeds {seed}..{seed + seeds - 1} leave the uint32 range")
    return jax.vmap(jax.random.PRNGKey)(jnp.asarray(values.astype(np.uint32)))


def train(program: Program, config: Any, key: jax.Array | None = None) -> tuple[Any, dict]:
    """``(final_state, metrics)`` of ``config``, one metrics row per logged row.

    Without ``key``, every seed of the config (``seed, seed + 1, ...``: the runs that
    ``prosocial run`` makes), vmapped and compiled once, with a leading seeds axis. With
    ``key``, one run from that key; the config must then ask for one seed, so that no
    seed is silently dropped.
    """
    static = program.static([config])
    dyn = program.dynamic(config, static)
    rows = program.rows(config)

    advance = jax.jit(lambda state: program.advance(static, dyn, state, rows))
    init = partial(program.init, static, dyn)  # op by op: see _init_batch

    if key is None:
        return jax.jit(jax.vmap(advance))(jax.vmap(init)(program.inputs(config)))
    seeds = getattr(config, "seeds", 1)
    if seeds != 1:
        raise ConfigError(
            "seeds",
            f"{seeds} runs asked for with one key; accepted: seeds=1 with a key, or "
            "no key for every seed of the config",
        )
    return advance(init(key))


def _init_batch(program: Program, static: Hashable, dyn: Any, inputs: Any) -> Any:
    """Every run's initial state, op by op (not one compiled program).

    With jax 0.10.2 on a 2-core CPU, the compiled initial state of a Cleanup learner
    (networks, Adam's moments and counters, vmapped over seeds) hung with every thread
    idle, while the same computation op by op did not; an initial state is computed once
    per run, so nothing is lost. ``dyn``: one entry per cell; ``inputs``: (cells, seeds, ...).
    """
    one = partial(program.init, static)
    return jax.vmap(lambda d, xs: jax.vmap(lambda x: one(d, x))(xs))(dyn, inputs)


@lru_cache(maxsize=4)
def _compiled(program: Program, static: Hashable) -> tuple[Callable, Callable]:
    """A group's jitted ``advance(dyn, state, rows)`` and ``finish(dyn, state)``.

    Jitted per group, the last few kept: a module-level jit keeps every group's compiled
    programs for the life of the process, and ``prosocial reproduce lase`` (34 groups)
    ran a 24 GiB machine out of memory that way. A group's programs are freed once its
    batch is gone and four other groups have compiled since; batches of the same
    program and static part (tests, repeated runs) share them, and the compilation cache
    on disk still serves a second run."""

    def _advance_batch(dyn: Any, state: Any, rows: int):
        step = partial(program.advance, static)
        return jax.vmap(lambda d, ss: jax.vmap(lambda s: step(d, s, rows))(ss))(dyn, state)

    def _finish_batch(dyn: Any, state: Any) -> dict:
        one = partial(program.finish, static)
        return jax.vmap(lambda d, ss: jax.vmap(lambda s: one(d, s))(ss))(dyn, state)

    return jax.jit(_advance_batch, static_argnums=(2,)), jax.jit(_finish_batch)


class Batch:
    """The cells of one group, stacked: ``init``, ``advance`` and ``finish`` over cells × seeds.

    Args:
        program: the program.
        configs: cell configs that share ``program.group`` (and so the seed count).
        every: units per chunk (None: the program's default). The chunk is the largest
            number of rows at most that which divides the total, so that one compiled
            program runs every chunk and none runs past the last row.
    """

    def __init__(self, program: Program, configs: Sequence[Any], every: int | None = None):
        self.program = program
        self.configs = list(configs)
        self.static = program.static(self.configs)
        stack = partial(jax.tree.map, lambda *xs: jnp.stack(xs))
        self.dyn = stack(*[program.dynamic(c, self.static) for c in self.configs])
        self.inputs = stack(*[program.inputs(c) for c in self.configs])
        self.total_rows = max(program.rows(c) for c in self.configs)
        chunk = max(1, min(program.chunk(c, every) for c in self.configs))
        while self.total_rows % chunk:  # every chunk whole: no rows past the end
            chunk -= 1
        self.chunk_rows = chunk
        self._advance, self._finish = _compiled(program, self.static)

    def init(self) -> Any:
        return _init_batch(self.program, self.static, self.dyn, self.inputs)

    def advance(self, state: Any, rows: int) -> tuple[Any, dict]:
        return self._advance(self.dyn, state, rows)

    def finish(self, state: Any) -> dict:
        if self.program.finish is None:
            return {}
        return self._finish(self.dyn, state)
