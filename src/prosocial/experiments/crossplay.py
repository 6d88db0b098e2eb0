"""Cross-play: trained populations against co-players they did not train with.

As Melting Pot evaluates a population (Leibo et al. 2021, "Scalable evaluation of
multi-agent reinforcement learning with Melting Pot", ICML; Agapiou et al. 2022), a
*focal* population fills some of a game's player slots and a *background* population the
others, and the focal players' **per-capita return** is the score:

    score(F, B) = 1/|S_F| Σ_{i ∈ S_F} E[R_i],    slots S_F = {0, …, k − 1} played by F,
                                                   slots k … n − 1 played by B,

averaged over evaluation episodes and over the focal population's seeds (seed ``s`` of a
trained background meets seed ``s`` of the focal population, modulo the background's
seed count). A trained population plays slot ``i`` with its own agent ``i`` (its role in
training: the colour in the Coin Game), and samples from its policies without
exploration; a background may also be a scripted bot (:mod:`prosocial.envs.bots`:
``cooperate``, ``defect``, ``random``) in every background slot. The diagonal of the
trained-by-trained block is self-play. Returns are the game's own (extrinsic) rewards,
whatever reward a population trained on.

Populations are the cells of ``ssd`` run directories (``prosocial run ssd-baselines``);
they must play the same game (environment, parameters). ``prosocial crossplay RUN_DIR
...`` writes ``crossplay.json`` (every score with its standard deviation over seeds),
``crossplay.csv``, ``crossplay.md`` and a heatmap figure (:mod:`prosocial.plots`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.envs import bots as bot_lib
from prosocial.envs import wrappers
from prosocial.errors import ConfigError
from prosocial.experiments import reopen, rundir
from prosocial.experiments.runner import final_states
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.experiments.ssd.program import build
from prosocial.learners import play


class Population(NamedTuple):
    """Trained agents of one cell: its name, config and parameters ``(seeds, ...)``."""

    name: str
    config: SSDConfig
    params: Any


def populations(run_dirs: Sequence[Path]) -> list[Population]:
    """Every trained ``ssd`` cell of the run directories, named ``<run>/<cell>`` (the run
    directory's name is left out when there is one)."""
    out = []
    for run_dir in run_dirs:
        run_dir = Path(run_dir)
        if not (run_dir / "config.json").is_file():
            raise ConfigError(
                "crossplay",
                f"{str(run_dir)!r} holds no config.json; accepted: run directories of "
                "prosocial run ssd-baselines (or another ssd preset)",
            )
        selected, configs, doc = reopen(run_dir)
        every = doc.get("run", {}).get("checkpoint_every")
        pairs = [(p, configs[p.name]) for p in selected if p.program == "ssd"]
        if not pairs:
            raise ConfigError("crossplay", f"{str(run_dir)!r} holds no ssd preset")
        states = final_states(pairs, run_dir, every)
        if not states:
            raise ConfigError("crossplay", f"{str(run_dir)!r} holds no checkpoint")
        for (preset, label), (_, cfg, state) in states.items():
            prefix = f"{run_dir.name}/" if len(run_dirs) > 1 else ""
            if len(pairs) > 1:
                prefix += f"{preset}/"
            out.append(Population(prefix + label, cfg, state.learner.params))
    return out


def _game_key(config: SSDConfig) -> tuple:
    return (config.env, config.env_options, config.wrappers)


def _sample(learner, params, memory, obs, resets, key):
    memory, logits, _ = learner.evaluate(params, memory, obs, resets)
    return memory, jax.random.categorical(key, logits).astype(jnp.int32)


def _score_fn(focal: Population, background: Population | str, k: int, envs: int, steps: int):
    """``(focal params, background params, key) -> per-capita focal return`` for one seed."""
    env = wrappers.episode_statistics(focal.config.make_game())
    dyn = focal.config.learner_numbers()
    dyn = {key: jnp.asarray(v, jnp.float32) for key, v in dyn.items()}
    _, f_learner = build(focal.config, dyn)
    n = env.num_agents()
    if isinstance(background, str):
        bot = bot_lib.make_bot(background, env)
        b_learner = None
    else:
        bdyn = {
            key: jnp.asarray(v, jnp.float32)
            for key, v in background.config.learner_numbers().items()
        }
        _, b_learner = build(background.config, bdyn)
    slots = jnp.arange(n) < k

    def score(f_params, b_params, key):
        def policy(key, env_state, obs, resets, memory):
            k_f, k_b = jax.random.split(key)
            f_mem, b_mem = memory
            f_mem, a_f = _sample(f_learner, f_params, f_mem, obs, resets, k_f)
            if b_learner is None:
                keys = jax.random.split(k_b, obs.shape[0])
                a_b = jax.vmap(lambda kk, st: bot_lib.act_all(bot, kk, st, env.params))(
                    keys, env_state
                )
            else:
                b_mem, a_b = _sample(b_learner, b_params, b_mem, obs, resets, k_b)
            return (f_mem, b_mem), jnp.where(slots, a_f, a_b).astype(jnp.int32)

        b_mem = b_learner.initial_carry(envs) if b_learner is not None else jnp.zeros(())
        info = play.play(env, policy, (f_learner.initial_carry(envs), b_mem), key, envs, steps)
        done = info["episode/done"]
        returns = jnp.where(done[..., None], info["episode/extrinsic_return"], 0.0)
        per_agent = jnp.sum(returns, axis=(0, 1)) / jnp.maximum(jnp.sum(done), 1)
        return jnp.sum(jnp.where(slots, per_agent, 0.0)) / k

    return score


def crossplay(
    pops: Sequence[Population],
    bots: Sequence[str] = ("cooperate", "defect", "random"),
    *,
    focal: int | None = None,
    envs: int = 32,
    episodes: int = 1,
    seed: int = 0,
) -> dict:
    """Scores of every population (focal) against every population and bot (background).

    Args:
        pops: trained populations of one game.
        bots: scripted backgrounds.
        focal: focal slots ``k`` (default: half the players, at least one).
        envs: environments per evaluation; ``episodes`` episodes each.
        seed: the evaluation's PRNG seed.

    Returns:
        ``{"focal": [names], "background": [names], "mean": F × B, "std": F × B,
        "slots": k, "players": n, "game": ...}``.
    """
    if not pops:
        raise ConfigError("crossplay", "no trained population given")
    games = {_game_key(p.config) for p in pops}
    if len(games) > 1:
        found = ", ".join(sorted({p.config.env for p in pops}))
        raise ConfigError(
            "crossplay",
            f"populations of different games ({found}, or different parameters); accepted: "
            "populations of one game",
        )
    for b in bots:
        if b not in bot_lib.bot_names():
            raise ConfigError(
                "bots", f"unknown bot {b!r}; accepted: {', '.join(bot_lib.bot_names())}"
            )
    first = pops[0].config
    n = first.make_game().num_agents()
    k = max(1, n // 2) if focal is None else focal
    if not 1 <= k <= n - 1:
        raise ConfigError("focal", f"{k} focal slots of {n}; accepted: 1..{n - 1}")
    if not 1 <= envs <= 65536 or not 1 <= episodes <= 10_000:
        raise ConfigError(
            "envs", f"{envs} environments × {episodes} episodes; accepted: 1..65536 × 1..10000"
        )
    steps = episodes * first.episode_length()
    backgrounds: list[Population | str] = [*pops, *bots]
    mean = np.full((len(pops), len(backgrounds)), np.nan)
    std = np.full_like(mean, np.nan)
    key = jax.random.PRNGKey(seed)
    compiled: dict = {}  # populations of one shape share a compiled evaluation
    for i, f in enumerate(pops):
        seeds = jax.tree.leaves(f.params)[0].shape[0]
        for j, b in enumerate(backgrounds):
            shape = (f.config.shape(), b if isinstance(b, str) else b.config.shape())
            if shape not in compiled:
                compiled[shape] = jax.jit(jax.vmap(_score_fn(f, b, k, envs, steps)))
            score = compiled[shape]
            if isinstance(b, str):
                b_params = jnp.zeros((seeds,))
            else:
                pick = np.arange(seeds) % jax.tree.leaves(b.params)[0].shape[0]
                b_params = jax.tree.map(lambda x, pick=pick: x[pick], b.params)
            keys = jax.random.split(jax.random.fold_in(key, i * len(backgrounds) + j), seeds)
            values = np.asarray(score(f.params, b_params, keys))
            mean[i, j], std[i, j] = values.mean(), values.std()
    return {
        "game": first.env,
        "players": n,
        "slots": k,
        "focal": [p.name for p in pops],
        "background": [b if isinstance(b, str) else b.name for b in backgrounds],
        "mean": mean.tolist(),
        "std": std.tolist(),
    }


def write(result: dict, out: Path) -> list[Path]:
    """``crossplay.json``, ``crossplay.csv``, ``crossplay.md``, and the files the heatmap
    drawer reads (``summary.json``, ``figures.json``) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    focal, background = result["focal"], result["background"]
    mean, std = np.asarray(result["mean"]), np.asarray(result["std"])
    rundir.write_atomic(out / "crossplay.json", json.dumps(result, indent=1))
    lines = ["focal,background,mean,std"]
    lines += [
        f"{f},{b},{mean[i, j]:.6g},{std[i, j]:.6g}"
        for i, f in enumerate(focal)
        for j, b in enumerate(background)
    ]
    rundir.write_atomic(out / "crossplay.csv", "\n".join(lines) + "\n")
    head = "| focal \\ background | " + " | ".join(background) + " |"
    rule = "|---|" + "---:|" * len(background)
    rows = [
        f"| {f} | "
        + " | ".join(f"{mean[i, j]:.2f} ± {std[i, j]:.2f}" for j in range(len(background)))
        + " |"
        for i, f in enumerate(focal)
    ]
    text = (
        f"# Cross-play: {result['game']}\n\n"
        f"Per-capita return of the focal population in {result['slots']} of "
        f"{result['players']} slots (rows) with the background in the others (columns), "
        "mean ± std over the focal population's seeds; the game's own rewards.\n\n"
        + "\n".join([head, rule, *rows])
        + "\n"
    )
    rundir.write_atomic(out / "crossplay.md", text)
    cells = {
        f"{i}/{j}": {"stats": {"score": {"mean": float(mean[i, j])}}}
        for i in range(len(focal))
        for j in range(len(background))
    }
    rundir.write_atomic(out / "summary.json", json.dumps({"cells": cells}))
    figure = {
        "name": "crossplay",
        "kind": "heatmap",
        "title": f"Cross-play in {result['game']}: focal per-capita return",
        "spec": {
            "cells": [[f"{i}/{j}" for j in range(len(background))] for i in range(len(focal))],
            "row_labels": focal,
            "column_labels": background,
            "panels": [{"final": "score", "title": "focal (rows) with background (columns)"}],
        },
    }
    rundir.write_atomic(out / "figures.json", json.dumps([figure]))
    return [out / "crossplay.json", out / "crossplay.csv", out / "crossplay.md"]
