"""Cost of an AgA update on CNN policies relative to a Simul-Ind update, side by side.

    python benchmarks/aga_deep_cost.py [--rounds 7] [--quick]

One update of :func:`prosocial.learners.adjusted.adjusted_ppo` (every epoch and
minibatch of a PPO update, the adjustment applied to the policies' surrogate game of
each minibatch) on a fixed rollout of Harvest-shaped observations: 4 agents, FCGrad's
network (convolutions of 32 channels with kernels 5, 3, 3, dense 64; one parameter set
per agent), a 9×9 view of 6 channels (prosocial's Harvest view at radius 4), 8
environments × 100 steps, 2 epochs of 4 minibatches. The methods timed:

* ``ppo``: prosocial's plain IPPO (one reverse pass of the summed loss), for scale;
* ``simul_ind``: the adjusted learner with Simul-Ind (the surrogate game's Jacobian
  diagonal: one reverse pass per agent, vmapped);
* ``simul_co``: every policy on the collective surrogate (one reverse pass);
* ``aga``: ξ, ξ_c and one forward-over-reverse product H_c ξ_c per minibatch;
* ``aga_dice``: the same with Loaded DiCE's cross terms across time in H_c
  (``hessian_lambda=1``; minibatches of whole environments).

Every program is compiled ahead of time and called once untimed; then ``--rounds``
rounds each call every method once (interleaved, so background load spreads over all of
them), and a method's ratio is the median over rounds of its time divided by
Simul-Ind's in the same round. Memory is XLA's own account of each compiled update
(``memory_analysis()``: temporary buffers; arguments and outputs are the same for every
method). Prints a table and writes ``benchmarks/results/aga_deep_cost.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

from prosocial.experiments.compilation import cpu_workarounds

cpu_workarounds()  # before JAX starts

import jax  # noqa: E402
import numpy as np  # noqa: E402

from prosocial.learners import DEEP_LEARNERS, NetworkConfig, Rollout, make_network  # noqa: E402

METHODS = ("ppo", "simul_ind", "simul_co", "aga", "aga_dice")
N_AGENTS, VIEW, CHANNELS, ACTIONS = 4, (9, 9, 6), 6, 8


def learner(method: str, steps: int, envs: int):
    net = make_network(
        NetworkConfig(torso="cnn", channels=(32, 32, 32), kernels=(5, 3, 3), hidden=(64,)),
        VIEW,
        ACTIONS,
    )
    numbers = {"epochs": 2, "minibatches": 4, "total_updates": 100}
    if method == "ppo":
        return DEEP_LEARNERS.make("ppo", network=net, n_agents=N_AGENTS, **numbers)
    if method == "aga_dice":
        method, numbers = "aga", {**numbers, "hessian_lambda": 1.0}
    return DEEP_LEARNERS.make(
        "adjusted_ppo", network=net, n_agents=N_AGENTS, adjustment=method, coef=1.0, **numbers
    )


def rollout(lrn, steps: int, envs: int, seed: int = 0) -> Rollout:
    rng = np.random.default_rng(seed)
    shape = (steps, envs, N_AGENTS)
    return Rollout(
        obs=rng.integers(0, 2, (*shape, *VIEW)).astype(np.float32),
        resets=np.zeros((steps, envs), bool),
        actions=rng.integers(0, ACTIONS, shape).astype(np.int32),
        rewards=(rng.random(shape) < 0.1).astype(np.float32),
        dones=np.zeros((steps, envs), bool),
        logp=np.full(shape, -np.log(ACTIONS), np.float32),
        values=np.zeros(shape, np.float32),
        carry=jax.tree.map(np.asarray, lrn.initial_carry(envs)),
        last_value=np.zeros((envs, N_AGENTS), np.float32),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="20 steps, 2 rounds")
    args = parser.parse_args()
    steps, envs, rounds = (20, 8, 2) if args.quick else (100, 8, args.rounds)

    compiled, inputs, memory = {}, {}, {}
    for method in METHODS:
        lrn = learner(method, steps, envs)
        state = lrn.init(jax.random.key(0))
        args_ = (state, rollout(lrn, steps, envs), jax.random.key(1))
        start = time.perf_counter()
        compiled[method] = jax.jit(lrn.update).lower(*args_).compile()
        analysis = compiled[method].memory_analysis()
        memory[method] = getattr(analysis, "temp_size_in_bytes", float("nan"))
        inputs[method] = args_
        jax.block_until_ready(compiled[method](*args_))  # untimed first call
        print(f"compiled {method} in {time.perf_counter() - start:.1f} s", flush=True)

    times = {m: [] for m in METHODS}
    for r in range(rounds):
        for method in METHODS:
            start = time.perf_counter()
            jax.block_until_ready(compiled[method](*inputs[method]))
            times[method].append(time.perf_counter() - start)
        print(f"round {r + 1}/{rounds}", flush=True)

    rows = {}
    for method in METHODS:
        ratios = [t / s for t, s in zip(times[method], times["simul_ind"], strict=True)]
        rows[method] = {
            "median_s": statistics.median(times[method]),
            "ratio_to_simul_ind": statistics.median(ratios),
            "temp_mib": memory[method] / 2**20,
            "memory_ratio": memory[method] / memory["simul_ind"],
        }
    print(f"\none update: {steps} steps × {envs} envs, 2 epochs × 4 minibatches, 4 agents")
    print(f"{'method':<10} {'time (s)':>9} {'÷ simul_ind':>12} {'temp MiB':>9} {'÷ mem':>6}")
    for method, row in rows.items():
        print(
            f"{method:<10} {row['median_s']:>9.3f} {row['ratio_to_simul_ind']:>12.2f}"
            f" {row['temp_mib']:>9.1f} {row['memory_ratio']:>6.2f}"
        )
    out = Path(__file__).parent / "results" / "aga_deep_cost.json"
    out.parent.mkdir(exist_ok=True)
    meta = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "device": jax.devices()[0].device_kind,
        "jax": jax.__version__,
        "steps": steps,
        "envs": envs,
        "rounds": rounds,
    }
    out.write_text(json.dumps({"meta": meta, "methods": rows}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
