"""Step time of every AgA-paper method relative to Simul-Ind (formerly the aga-cost preset).

Two games: the seed's public goods game with runs vmapped (``pgg_inner`` steps per timed
call, once per batch size in ``pgg_runs``), and a two-player game of two one-hidden-layer
tanh networks (~50k parameters each) whose per-sample cooperation probabilities play a
Prisoner's Dilemma on a fixed batch. Every program is compiled ahead of time; methods are
timed in interleaved rounds (each round calls every method once) so background load
spreads over all of them, and a ratio is the median of per-round ratios to Simul-Ind.

Speed is measured here, never in a run directory whose summary must be reproducible.

    python benchmarks/aga_cost.py [--quick]

Prints a table and writes ``benchmarks/results/aga_cost.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.experiments.aga.analyses import TITLES
from prosocial.experiments.aga.program import COEFFICIENT, adjustment
from prosocial.games import prisoners_dilemma, public_goods_game

COST_METHODS = (
    "simul_ind",
    "cga",
    "sga",
    "svo",
    "simul_co",
    "sl",
    "aga",
    "aga_fixed_sign",
    "lola",
    "sos",
)


@dataclass(frozen=True)
class CostConfig:
    """What is timed (see the module docstring)."""

    methods: tuple[str, ...] = COST_METHODS
    pgg_runs: tuple[int, ...] = (50, 1000)
    pgg_inner: int = 100
    pgg_repeats: int = 31
    net_inner: int = 2
    net_repeats: int = 7
    net_inputs: int = 64
    net_hidden: int = 768
    net_batch: int = 256
    lam: float = 1.0
    seed: int = 0

    @property
    def timed(self) -> tuple[str, ...]:
        return ("simul_ind", *(m for m in self.methods if m != "simul_ind"))


def network_game(cfg: CostConfig) -> tuple[Callable[[jax.Array], jax.Array], np.ndarray]:
    """The two-network Prisoner's Dilemma of :class:`CostConfig` and its initial ``w``.

    Each player's network is ``f(x) = v · tanh(W x + b) + c`` with parameters flattened
    into one row of ``w`` (``W``, ``b``, ``v``, ``c`` in that order), initialised with
    uniform weights of scale 1/√fan-in from a NumPy generator seeded by ``cfg.seed``.
    """
    rng = np.random.default_rng(cfg.seed)
    n_in, hidden = cfg.net_inputs, cfg.net_hidden
    x = rng.standard_normal((cfg.net_batch, n_in)).astype(np.float32)

    def init() -> np.ndarray:
        w_in = rng.uniform(-1, 1, (n_in, hidden)) / math.sqrt(n_in)
        w_out = rng.uniform(-1, 1, hidden) / math.sqrt(hidden)
        return np.concatenate([w_in.ravel(), np.zeros(hidden), w_out, np.zeros(1)])

    def apply(theta: jax.Array) -> jax.Array:
        k = n_in * hidden
        w_in, b_in = theta[:k].reshape(n_in, hidden), theta[k : k + hidden]
        w_out, b_out = theta[k + hidden : k + 2 * hidden], theta[-1]
        return jnp.tanh(x @ w_in + b_in[None, :]) @ w_out + b_out

    u = np.asarray(prisoners_dilemma(), dtype=float)  # u[i, a_1, a_2], action 0 = C

    def losses(w: jax.Array) -> jax.Array:
        p, q = jax.nn.sigmoid(apply(w[0])), jax.nn.sigmoid(apply(w[1]))  # P(C), (batch,)
        joint = (p * q, p * (1 - q), (1 - p) * q, (1 - p) * (1 - q))  # CC, CD, DC, DD

        def value(i: int) -> jax.Array:
            return sum(float(u[i].ravel()[k]) * joint[k] for k in range(4)).mean()

        return -jnp.stack([value(0), value(1)])

    return losses, np.stack([init(), init()]).astype(np.float32)


def _stepper(losses_fn, method: str, lam: float, inner: int, batched: bool):
    """``inner`` plain steps of ``method`` as one function (vmapped over runs if batched)."""
    coef = math.radians(45.0) if COEFFICIENT[method] == "angle" else lam
    adj = adjustment(method, coef if COEFFICIENT[method] else None)

    def run(w: jax.Array) -> jax.Array:
        def step(w, _):
            return w - 0.01 * adj.update(losses_fn, w, adj.init(w))[0], None

        return jax.lax.scan(step, w, None, length=inner)[0]

    return jax.vmap(run) if batched else run


def cost_games(cfg: CostConfig) -> dict[str, tuple]:
    """``name -> (losses_fn, w, steps per call, batched, repeats)`` of every timed game."""
    pgg = public_goods_game()
    rng = np.random.default_rng(cfg.seed)
    games = {
        f"public_goods_{runs}": (
            pgg,
            rng.logistic(size=(runs, 2, 1)).astype(np.float32),
            cfg.pgg_inner,
            True,
            cfg.pgg_repeats,
        )
        for runs in cfg.pgg_runs
    }
    net, w_net = network_game(cfg)
    games["network"] = (net, w_net, cfg.net_inner, False, cfg.net_repeats)
    return games


def time_steps(cfg: CostConfig) -> dict:
    """Median seconds per step of each method on each game, and the ratios to Simul-Ind.

    Every program is compiled ahead of time (in parallel threads: XLA releases the GIL),
    then timed in rounds; each round calls every method once, with ``block_until_ready``.
    """
    games = cost_games(cfg)
    jobs = [(g, m) for g in games for m in cfg.timed]

    def compile_one(job):
        game, method = job
        losses_fn, w, inner, batched, _ = games[game]
        return jax.jit(_stepper(losses_fn, method, cfg.lam, inner, batched)).lower(w).compile()

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        compiled = dict(zip(jobs, pool.map(compile_one, jobs), strict=True))
    times: dict[tuple[str, str], list[float]] = {job: [] for job in jobs}
    for game, (_, w, inner, _, repeats) in games.items():
        for m in cfg.timed:  # one warm call each
            compiled[(game, m)](w).block_until_ready()
        for _ in range(repeats):
            for m in cfg.timed:
                t0 = time.perf_counter()
                compiled[(game, m)](w).block_until_ready()
                times[(game, m)].append((time.perf_counter() - t0) / inner)
    result: dict[str, Any] = {"games": {}}
    for game in games:
        base = np.array(times[(game, "simul_ind")])
        result["games"][game] = {
            m: {
                "step_s": float(np.median(times[(game, m)])),
                "ratio": float(np.median(np.array(times[(game, m)]) / base)),
                "ratio_best": float(np.min(times[(game, m)]) / base.min()),
                "times_s": times[(game, m)],
            }
            for m in cfg.timed
        }
    result["parameters"] = {g: int(np.size(v[1])) for g, v in games.items()}
    return result


def _game_title(game: str) -> str:
    if game.startswith("public_goods_"):
        return f"public goods, {game.rsplit('_', 1)[1]} runs"
    return "network"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats, small network")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent / "results" / "aga_cost.json"
    )
    args = parser.parse_args(argv)
    cfg = CostConfig()
    if args.quick:
        cfg = CostConfig(pgg_runs=(50,), pgg_repeats=5, net_repeats=2, net_hidden=64)
    res = time_steps(cfg)
    machine = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, JAX {jax.__version__} on "
        f"{jax.default_backend()}"
    )
    header = ["method"] + [h for g in res["games"] for h in (_game_title(g), "ratio")]
    print(
        f"Step time relative to Simul-Ind ({machine}); ratio: median of per-round ratios "
        "(fastest calls' ratio in brackets)"
    )
    print(" | ".join(header))
    for m in cfg.timed:
        row = [TITLES[m]]
        for game, times in res["games"].items():
            t = times[m]
            unit, scale = ("ms", 1e3) if game == "network" else ("µs", 1e6)
            row += [
                f"{t['step_s'] * scale:.2f} {unit}",
                f"{t['ratio']:.2f}× ({t['ratio_best']:.2f}×)",
            ]
        print(" | ".join(row))
    if "aga" in cfg.timed:
        for game, times in res["games"].items():
            ok = times["aga"]["ratio"] <= 3.0
            print(
                f"bar: AgA step ≤ 3× a Simul-Ind step, {_game_title(game)}: "
                f"{'met' if ok else 'not met'} ({times['aga']['ratio']:.2f}×)"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"config": asdict(cfg), "machine": machine, **res}
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"wrote {args.out}")
    return doc


if __name__ == "__main__":
    main()
