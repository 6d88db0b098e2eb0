"""The generic runner on a toy program: tables as data, resume, divergence, atomic files."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.errors import ConfigError
from prosocial.experiments import finals as f
from prosocial.experiments.fields import Config, option, seed_option, seeds_option
from prosocial.experiments.program import PROGRAMS, Program, seed_keys
from prosocial.experiments.runner import Interrupted, Options, run
from prosocial.experiments.spec import Bar, Cell, Column, Paper, Preset, Table


@dataclass(frozen=True)
class WalkConfig(Config):
    """A walk x_t = x_0 + step·t, with x_0 ~ U(0, 1) per seed; it logs x and 1/(pole − x)."""

    step: float = option(1.0, "added each unit", low=-10.0, high=10.0)
    pole: float = option(1e5, "where 1/(pole − x) blows up", low=-1e6, high=1e6)
    steps: int = option(40, "units", low=1, high=10**6)
    log_every: int = option(2, "units per row", low=1, high=10**6)
    seeds: int = seeds_option(3)
    seed: int = seed_option()


class Dyn(NamedTuple):
    step: jnp.ndarray
    pole: jnp.ndarray
    steps: jnp.ndarray


def _init(static, dyn, key):
    import jax

    return (jax.random.uniform(key), jnp.zeros((), jnp.int32))


def _advance(static, dyn, state, rows):
    import jax

    log_every = static

    def row(state, _):
        x, t = state
        live = t < dyn.steps
        x = jnp.where(live, x + dyn.step * log_every, x)
        t = jnp.where(live, t + log_every, t)
        out = {
            "step": t,
            "value/x": x,
            "value/inv": 1.0 / (dyn.pole - jnp.floor(x)),
            "value/pair": jnp.stack([x, -x]),
        }
        return (x, t), out

    return jax.lax.scan(row, state, None, length=rows)


WALK = Program(
    name="test-walk",
    x="step",
    group=lambda c: (c.log_every, c.seeds, c.seed),
    static=lambda cs: cs[0].log_every,
    dynamic=lambda c, s: Dyn(jnp.float32(c.step), jnp.float32(c.pole), jnp.int32(c.steps)),
    inputs=lambda c: seed_keys(c.seed, c.seeds),
    init=_init,
    advance=_advance,
    rows=lambda c: c.steps // c.log_every,
    chunk=lambda c, every: max(1, (every or 10) // c.log_every),
    finish=lambda static, dyn, state: {"t": state[1]},
    labels=(("value/pair", ("up", "down")),),
)
if "test-walk" not in PROGRAMS:
    PROGRAMS.register("test-walk", lambda: WALK)


@dataclass(frozen=True)
class TableConfig(Config):
    steps: int = option(40, "units", low=1, high=10**6)
    pole: float = option(1e5, "pole", low=-1e6, high=1e6)
    seeds: int = seeds_option(3)


PAPER = Paper(
    "a made-up table",
    {("slow",): {"x": (20.5, 0.1)}, ("fast",): {"x": (0.0, 0.1)}},
    spread="ci95",
    setting={"steps": 40},
)


def _preset() -> Preset:
    def cells(cfg):
        return [
            Cell(
                f"{name}",
                WalkConfig(step=s, pole=cfg.pole, steps=cfg.steps, seeds=cfg.seeds),
                {"speed": name},
            )
            for name, s in (("slow", 0.5), ("fast", 1.0))
        ]

    def tables(cfg):
        return [
            Table(
                "Walks",
                rows=("speed",),
                columns=(
                    Column("x", "final x", 2, stat="mean_ci95", paper=True),
                    Column("t", "units", 0, stat="mean"),
                ),
                paper=PAPER,
                bars=(
                    Bar("slow ends above 20", "slow", "x", ">=", 20.0, "min"),
                    Bar("fast ends below 1", "fast", "x", "<=", 1.0),
                ),
            )
        ]

    return Preset(
        "test-walks",
        "test",
        "walks",
        TableConfig(),
        "test-walk",
        cells,
        {"x": f.last("value/x"), "t": f.finished("t"), "first_10": f.first_reach("value/x", 10.0)},
        tables,
    )


def _run(root: Path, cfg: TableConfig, **kw) -> list:
    root.mkdir(parents=True, exist_ok=True)
    return run([(_preset(), cfg)], root, Options(draw=False, **kw))


def test_tables_stats_paper_column_and_bars(tmp_path):
    ((path, diverged),) = _run(tmp_path / "a", TableConfig())
    assert diverged is None
    summary = json.loads((path / "summary.json").read_text())
    slow = summary["cells"]["slow"]
    x = np.asarray(slow["finals"]["x"])
    assert x.shape == (3,) and np.all((x >= 20) & (x <= 21))  # x_0 + 0.5·40
    np.testing.assert_allclose(
        slow["stats"]["x"]["ci95"], 1.96 * x.std(ddof=1) / np.sqrt(3), rtol=1e-6
    )
    assert slow["finals"]["t"] == [40, 40, 40]
    np.testing.assert_allclose(slow["finals"]["first_10"], [20.0] * 3)
    (table,) = summary["tables"]
    assert table["header"] == ["speed", "final x", "paper final x", "units"]
    fast_row = table["rows"][1]
    assert fast_row[1].endswith(" †") and fast_row[2] == "0.00 ± 0.10"  # 40.x is far from 0
    assert [b["met"] for b in table["bars"]] == [True, False]
    csv = (path / "metrics.csv").read_text().splitlines()
    assert csv[0] == "cell,seed,step,value/inv,value/pair/up,value/pair/down,value/x"
    assert len(csv) == 1 + 2 * 3 * 20


def test_a_setting_the_paper_did_not_run_has_no_paper_number(tmp_path):
    ((path, _),) = _run(tmp_path / "a", TableConfig(steps=20))
    (table,) = json.loads((path / "summary.json").read_text())["tables"]
    assert all(row[2] == "–" for row in table["rows"])
    assert table["paper"]["not_run_by_paper"] == [
        "slow: steps=20 (paper: 40)",
        "fast: steps=20 (paper: 40)",
    ]
    assert "steps=20 (paper: 40)" in (path / "summary.md").read_text()


def test_an_interrupted_run_resumes_to_identical_files(tmp_path):
    ((whole, _),) = _run(tmp_path / "whole", TableConfig())
    options = Options(draw=False)
    calls = []

    class StopAfterTwo:  # a sink that asks the run to stop after two chunks
        def log(self, scalars, step):
            calls.append(step)
            if len(calls) == 10:
                options.stop.set()

        def close(self):
            pass

    root = tmp_path / "cut"
    root.mkdir()
    options.sinks = [StopAfterTwo()]
    with pytest.raises(Interrupted):
        run([(_preset(), TableConfig())], root, options)
    assert not (root / "summary.json").exists()
    assert len(list((root / "checkpoint").glob("*.npz"))) == 1
    (root / "checkpoint" / ".half-written.npz.tmp").write_bytes(b"junk")  # a killed write
    ((again, _),) = _run(root, TableConfig())
    assert not list(root.rglob("*.tmp"))
    for name in ("metrics.csv", "summary.json", "summary.md"):
        assert (again / name).read_bytes() == (whole / name).read_bytes(), name
    assert calls[:5] == [2, 4, 6, 8, 10]  # one sink row per logged row


def test_divergence_on_any_metric_keeps_what_the_run_had(tmp_path):
    ((path, diverged),) = _run(tmp_path / "d", TableConfig(pole=12.0))
    assert diverged["metric"] == "value/inv" and diverged["cell"] == "fast"
    assert diverged["x"] == 12.0 and "fast" in diverged["text"]  # floor(x) = 12 at step 12
    summary = json.loads((path / "summary.json").read_text())
    assert summary["diverged"]["metric"] == "value/inv"
    assert "**Diverged:**" in (path / "summary.md").read_text()
    rows = (path / "metrics.csv").read_text().splitlines()[1:]
    assert len(rows) == 2 * 3 * 10  # the batch stopped after the chunk where it diverged


def test_bounds_and_cross_field_rules_name_the_field():
    with pytest.raises(ConfigError, match=r"^steps: 0 is not accepted; accepted: an integer"):
        WalkConfig(steps=0)
    with pytest.raises(ConfigError, match=r"^pole: inf is not accepted"):
        WalkConfig(pole=float("inf"))
    with pytest.raises(ConfigError, match=r"^seed: 4294967296 is not accepted"):
        WalkConfig(seed=2**32)
    with pytest.raises(ConfigError, match=r"^step: True is not accepted"):
        WalkConfig(step=True)


def test_a_pipe_inside_a_markdown_cell_does_not_split_the_column():
    import re

    from prosocial.experiments.render import markdown_table

    def columns(line):
        return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]

    lines = markdown_table(["pairing", "P(C | start)"], [["a | b", "one\ntwo"]]).splitlines()
    assert columns(lines[0])[1] == r"P(C \| start)"
    assert columns(lines[2]) == [r"a \| b", "one two"]


def test_a_run_directory_in_use_is_refused_before_anything_is_written(tmp_path):
    from prosocial.errors import ProsocialError
    from prosocial.experiments import rundir

    root = tmp_path / "busy"
    with rundir.exclusive(root):
        with pytest.raises(ProsocialError, match="in use by another prosocial process"):
            _run(root, TableConfig())
    assert sorted(p.name for p in root.iterdir()) == [".lock"]
    ((path, _),) = _run(root, TableConfig())  # free again
    assert (path / "summary.json").exists()


def test_groups_compute_their_initial_states_one_at_a_time(tmp_path, monkeypatch):
    """Initial states are computed op by op; two groups doing so from two threads at once
    hung XLA's CPU client on 2 cores, so the runner lets one group at a time in."""
    import threading
    import time

    import jax

    from prosocial.experiments.program import Batch

    inside, most, threads = [0], [0], set()
    lock = threading.Lock()
    original = Batch.init

    def init(self):
        state = original(self)
        if any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(state)):
            return state  # the runner's jax.eval_shape: traced, nothing executes
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            threads.add(threading.get_ident())
        time.sleep(0.3)  # long enough for a second thread to arrive
        with lock:
            inside[0] -= 1
        return state

    monkeypatch.setattr(Batch, "init", init)
    monkeypatch.setattr("os.cpu_count", lambda: 2)  # two workers even on one core

    def cells(cfg):  # two groups: the log interval is part of the walk's group
        return [
            Cell(f"every{k}", WalkConfig(log_every=k, steps=8, seeds=2), {"k": k}) for k in (2, 4)
        ]

    preset = Preset(
        "test-two-groups",
        "test",
        "two groups",
        TableConfig(),
        "test-walk",
        cells,
        {},
        lambda cfg: [],
    )
    run([(preset, TableConfig())], tmp_path, Options(draw=False))
    assert len(threads) == 2  # the groups ran in two threads
    assert most[0] == 1


def test_chunks_divide_the_rows_so_no_run_goes_past_its_last_row(tmp_path):
    # 20 rows; 14 units per chunk would be 7 rows, which leaves 6 over: the chunk is 5
    ((path, _),) = _run(tmp_path / "c", TableConfig(), checkpoint_every=14)
    rows = (path / "metrics.csv").read_text().splitlines()[1:]
    assert len(rows) == 2 * 3 * 20
    assert max(int(r.split(",")[2]) for r in rows) == 40
    from prosocial.experiments.program import Batch

    assert Batch(WALK, [WalkConfig(steps=40)], every=14).chunk_rows == 5
    assert Batch(WALK, [WalkConfig(steps=42)], every=14).chunk_rows == 7  # 21 rows
