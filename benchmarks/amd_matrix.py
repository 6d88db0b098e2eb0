"""Time the whole chapter-4 grid: compile time and steady-state learner updates per second.

    python benchmarks/amd_matrix.py [--repeats 3] [--episodes 4000] [--seeds 10]

Runs every cell that ``prosocial reproduce amd`` runs (all games × planner variants ×
learners × modes × seeds, 2 and 10 players), grouped into its compiled programs as the runner
groups them, and
reports for each program, as medians over ``--repeats`` fresh processes' worth of work:

- compile time (lowering + XLA compilation of the chunk function, and of ``init``);
- steady-state learner updates per second (episodes × cells × seeds × players / seconds)
  of the already compiled program.

Beside it, the same 2-player episode run the way the authors' code runs it: one seed at a
time, one Python call per episode (here a jitted call of prosocial's own episode, so the
comparison isolates the loop structure, not the arithmetic). The authors' TensorFlow 1 code
itself cannot be installed on Python 3.11, so it is not run. Results go to stdout and to
``benchmarks/results/amd_matrix.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from pathlib import Path

import jax

from prosocial.experiments import presets
from prosocial.experiments.amd import program as amd
from prosocial.experiments.program import Batch, _advance_batch, _init_batch


def chapter_cells(episodes: int, seeds: int) -> list[amd.AMDConfig]:
    reg = presets()
    cells = []
    for name in reg.names():
        p = reg.make(name)
        if p.group == "amd":
            changes = {"seeds": seeds} | (
                {} if name == "amd-figure-4.2" else {"episodes": episodes}
            )
            cells += [c.config for c in p.cells(dataclasses.replace(p.config, **changes))]
    return list(dict.fromkeys(cells))


def time_group(group: list[amd.AMDConfig], chunk_rows: int) -> dict:
    batch = Batch(amd.PROGRAM, group)
    static, dyn, inputs = batch.static, batch.dyn, batch.inputs
    seeds = group[0].seeds
    episodes = max(c.episodes for c in group)
    chunk_rows = min(chunk_rows, episodes // static.log_every)
    t0 = time.perf_counter()
    init = _init_batch.lower(amd.PROGRAM, static, dyn, inputs).compile()
    state = init(dyn, inputs)
    advance = _advance_batch.lower(amd.PROGRAM, static, dyn, state, chunk_rows).compile()
    compile_s = time.perf_counter() - t0
    chunks = episodes // (chunk_rows * static.log_every)
    t0 = time.perf_counter()
    for _ in range(chunks):
        state, metrics = advance(dyn, state)
    jax.block_until_ready(metrics)
    run_s = time.perf_counter() - t0
    updates = chunks * chunk_rows * static.log_every * len(group) * seeds * static.n_players
    return {
        "cells": len(group),
        "seeds": seeds,
        "players": static.n_players,
        "episodes": episodes,
        "compile_s": compile_s,
        "run_s": run_s,
        "updates_per_s": updates / run_s,
    }


def time_loop(config: amd.AMDConfig, episodes: int) -> float:
    """Learner updates per second of one seed, one jitted call per episode."""
    static = amd._static([config])
    dyn = amd.dynamic(config, static)
    step = jax.jit(lambda s: amd._episode(static, dyn, s)[0])
    state = amd.init(static, dyn, jax.random.PRNGKey(0))
    state = jax.block_until_ready(step(state))  # compile
    t0 = time.perf_counter()
    for _ in range(episodes):
        state = step(state)
    jax.block_until_ready(state)
    return episodes * static.n_players / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--episodes", type=int, default=4000)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    cells = chapter_cells(args.episodes, args.seeds)
    groups: dict[tuple, list] = {}
    for c in cells:
        groups.setdefault(amd.PROGRAM.group(c), []).append(c)
    records: dict[str, list[dict]] = {}
    loop = []
    for r in range(args.repeats):
        jax.clear_caches()
        for group in groups.values():
            key = f"{group[0].n_players}_players_{group[0].episodes}_episodes"
            records.setdefault(key, []).append(time_group(group, 100))
        two = next(g for g in groups.values() if g[0].n_players == 2)
        loop.append(time_loop(two[1], 1000))
        print(f"repeat {r + 1}/{args.repeats} done", flush=True)
    out = {"device": str(jax.devices()[0]), "repeats": args.repeats}
    print(f"\ndevice: {out['device']}, medians of {args.repeats} repeats")
    print(f"{'program':<12}{'cells×seeds':>12}{'compile s':>11}{'run s':>8}{'updates/s':>13}")
    for name, recs in records.items():
        med = {
            k: statistics.median(r[k] for r in recs)
            for k in ("compile_s", "run_s", "updates_per_s")
        }
        out[name] = {**recs[0], **med, "all": recs}
        cs = f"{recs[0]['cells']}×{recs[0]['seeds']}"
        print(
            f"{name:<12}{cs:>12}{med['compile_s']:>11.1f}{med['run_s']:>8.1f}{med['updates_per_s']:>13,.0f}"
        )
    loop_med = statistics.median(loop)
    out["per_episode_loop_updates_per_s"] = loop_med
    two = max((k for k in records if k.startswith("2_players")), key=lambda k: out[k]["cells"])
    out["ratio_2_players_vs_loop"] = out[two]["updates_per_s"] / loop_med
    print(f"{'loop, 1 seed':<12}{'1×1':>12}{'':>11}{'':>8}{loop_med:>13,.0f}")
    print(f"batched / per-episode loop: {out['ratio_2_players_vs_loop']:.0f}×")
    path = Path(__file__).parent / "results" / "amd_matrix.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
