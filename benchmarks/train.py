"""Training throughput of prosocial's deep learners, beside SocialJax's and JaxMARL's IPPO.

    python benchmarks/train.py [--repeats 3] [--only ours|peers|conv|sharing ...]

One "environment step" is one transition of one environment in which every player acts;
training throughput counts acting and learning together: a rollout of ``T`` steps in
``E`` environments and the PPO update on it is ``E · T`` steps. Compilation is excluded:
each figure is the median of ``--repeats`` timed calls of a compiled function that runs
``--updates`` updates (rollout + update, as ``lax.scan``), after one untimed call.

Four measurements, every one in this process or a peer's subprocess on the same machine:

* ``ours``: PPO on Cleanup with SocialJax's network and batch (7 agents, an 11×11 view,
  CNN 32 (5×5) → 32 (3×3) → 32 (3×3) → dense 64, one shared parameter set; SocialJax's
  PPO settings), and PPO on the Coin Game with JaxMARL's IPPO network and batch (its
  rules: two coins, a stay action, flat observations to an MLP of 64-64, shared
  parameters); the sizes are those of :mod:`peers_train` (``benchmarks/peers_train.py``).
* ``peers``: SocialJax's IPPO-CNN on its Cleanup and JaxMARL's IPPO on its Coin Game at
  the same sizes, each in its own virtual environment (see :mod:`peers_train` for
  versions, installs and patches; ``SOCIALJAX_PYTHON``, ``SOCIALJAX_SRC``,
  ``JAXMARL_PYTHON`` and ``JAXMARL_SRC`` name the interpreters and checkouts).
  Differences that remain: SocialJax's Cleanup is its own 19×28 map with 19 observation
  channels (ours: the SSD map, 6 channels, so its first convolution does about 3× the
  work of ours), and each of its heads has an extra 64-unit layer; JaxMARL's actor and
  critic are separate 64-64 tanh MLPs (twice the multiply-adds of our one shared 64-64
  ReLU body); JaxMARL feeds 36 flat numbers, ours the 3×3×4 grid flattened.
* ``conv``: the per-agent CNN's forward and backward pass, agents' parameters stacked and
  vmapped, written as ``flax.linen.Conv`` (a grouped convolution under ``vmap``) and as
  prosocial's :class:`~prosocial.learners.networks.SliceConv` (a batched matrix product).
* ``sharing``: prosocial's PPO at 4 agents (Cleanup, the same network) with independent
  parameters per agent against one shared parameter set.

XLA's concurrency-optimised CPU scheduler is turned off for ours and the peers alike
(``prosocial.experiments.compilation``): set before JAX starts, in this process and in
the peers' subprocesses. Results print as a table and go to
``benchmarks/results/train.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

from prosocial.experiments.compilation import cpu_workarounds

cpu_workarounds()  # before JAX starts

import flax.linen as nn  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from prosocial.experiments.ssd.config import SSDConfig  # noqa: E402
from prosocial.experiments.ssd.program import build, learning_rewards  # noqa: E402
from prosocial.learners import play  # noqa: E402
from prosocial.learners.networks import SliceConv  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

RESULTS = Path(__file__).resolve().parent / "results" / "train.json"

SOCIALJAX_CNN = {"channels": (32, 32, 32), "kernels": (5, 3, 3), "hidden": (64,)}
SOCIALJAX_PPO = {
    "lr": 5e-4,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "clip": 0.2,
    "vf_coef": 0.5,
    "ent_coef": 0.01,
    "max_grad_norm": 0.5,
    "epochs": 2,
}


def _ppo(envs: int, steps: int, minibatches: int, **fields) -> SSDConfig:
    """A one-seed PPO config of the given batch (``training_sps`` sets the updates)."""
    return SSDConfig(
        algo="ppo",
        num_envs=envs,
        steps=steps,
        minibatches=minibatches,
        updates=1,
        log_every=1,
        seeds=1,
        **fields,
    )


def cleanup_config(agents: int, envs: int, steps: int, minibatches: int, shared: bool):
    """SocialJax's network and PPO on Cleanup with an 11×11 view."""
    options = (f"num_agents={agents}", "view=5/5/5")
    return _ppo(
        envs,
        steps,
        minibatches,
        env="cleanup",
        env_options=options,
        shared=shared,
        **SOCIALJAX_CNN,
        **SOCIALJAX_PPO,
    )


def coin_config(envs: int, steps: int, minibatches: int):
    """JaxMARL's Coin Game rules, MLP width and PPO numbers (ippo_ff_mpe.yaml)."""
    options = ("coins=per_agent", "stay_action=true", "max_steps=10")
    return _ppo(
        envs,
        steps,
        minibatches,
        env="coin_game",
        env_options=options,
        shared=True,
        torso="mlp",
        hidden=(64, 64),
        lr=2.5e-4,
        epochs=4,
    )


def training_sps(config: SSDConfig, updates: int, repeats: int) -> dict:
    """Steps per second of ``updates`` updates (rollout and learning) of one run."""
    dyn = {k: jnp.asarray(v, jnp.float32) for k, v in config.learner_numbers().items()}
    static = config.shape()
    env, learner = build(static, dyn)
    steps = config.rollout_steps()

    def run(key):
        k_init, k_env, key = jax.random.split(key, 3)
        actors = play.start(env, learner.initial_carry(config.num_envs), k_env, config.num_envs)
        state = learner.init(k_init)

        def one(carry, k):
            state, actors = carry
            k_roll, k_upd = jax.random.split(k)
            actors, rollout, info = play.collect(learner, env, state, actors, k_roll, steps)
            rollout = rollout._replace(rewards=learning_rewards(dyn, rollout.rewards, info))
            state, metrics = learner.update(state, rollout, k_upd)
            return (state, actors), metrics["loss/value"]

        (state, _), losses = jax.lax.scan(one, (state, actors), jax.random.split(key, updates))
        return jax.tree.leaves(state.params)[0].sum() + losses.sum()

    compiled = jax.jit(run)
    t0 = time.perf_counter()
    jax.block_until_ready(compiled(jax.random.PRNGKey(0)))
    compile_s = time.perf_counter() - t0
    rates = []
    for r in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(jax.random.PRNGKey(r + 1)))
        rates.append(updates * config.num_envs * steps / (time.perf_counter() - t0))
    return {
        "sps": rates,
        "median": statistics.median(rates),
        "first_call_s": compile_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def conv_timing(agents: int, batch: int, repeats: int) -> dict:
    """Forward + backward of the per-agent CNN, vmapped over agents: Conv vs SliceConv."""
    obs = jax.random.uniform(jax.random.PRNGKey(0), (agents, batch, 11, 11, 6))

    class Torso(nn.Module):
        conv: type

        @nn.compact
        def __call__(self, x):
            for features, k in ((32, 5), (32, 3), (32, 3)):
                layer = (
                    nn.Conv(features, (k, k)) if self.conv is nn.Conv else SliceConv(features, k)
                )
                x = nn.relu(layer(x))
            return nn.Dense(1)(x.reshape((*x.shape[:-3], -1))).sum()

    out = {}
    for name, conv in (("flax_conv", nn.Conv), ("slice_conv", SliceConv)):
        model = Torso(conv)
        params = jax.vmap(model.init, in_axes=(0, None))(
            jax.random.split(jax.random.PRNGKey(1), agents), obs[0]
        )
        grad = jax.jit(jax.vmap(jax.grad(model.apply)))
        jax.block_until_ready(grad(params, obs))
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            jax.block_until_ready(grad(params, obs))
            times.append(time.perf_counter() - t0)
        out[name] = {"seconds": times, "median": statistics.median(times)}
    out["ratio_flax_over_slice"] = out["flax_conv"]["median"] / out["slice_conv"]["median"]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--updates", type=int, default=2)
    parser.add_argument(
        "--only",
        nargs="+",
        default=["ours", "peers", "conv", "sharing"],
        choices=["ours", "peers", "conv", "sharing"],
    )
    parser.add_argument("--cleanup-envs", type=int, default=4)
    parser.add_argument("--cleanup-steps", type=int, default=32)
    parser.add_argument("--cleanup-minibatches", type=int, default=4)
    parser.add_argument("--coin-envs", type=int, default=64)
    parser.add_argument("--coin-steps", type=int, default=128)
    parser.add_argument("--coin-minibatches", type=int, default=4)
    args = parser.parse_args(argv)
    results: dict = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "jax": jax.__version__,
            "backend": jax.default_backend(),
        },
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "args": vars(args),
    }
    if "ours" in args.only:
        results["ours_cleanup"] = training_sps(
            cleanup_config(
                7, args.cleanup_envs, args.cleanup_steps, args.cleanup_minibatches, True
            ),
            args.updates,
            args.repeats,
        )
        results["ours_coin"] = training_sps(
            coin_config(args.coin_envs, args.coin_steps, args.coin_minibatches),
            args.updates,
            args.repeats,
        )
    if "sharing" in args.only:
        for shared in (True, False):
            cfg = cleanup_config(
                4, args.cleanup_envs, args.cleanup_steps, args.cleanup_minibatches, shared
            )
            results[f"sharing_{'shared' if shared else 'independent'}"] = training_sps(
                cfg, args.updates, args.repeats
            )
        results["independent_over_shared_time"] = (
            results["sharing_shared"]["median"] / results["sharing_independent"]["median"]
        )
    if "conv" in args.only:
        results["conv"] = conv_timing(7, args.cleanup_envs * args.cleanup_steps, args.repeats)
    if "peers" in args.only:
        import peers_train

        results["socialjax_cleanup"] = peers_train.measure_socialjax(
            num_envs=args.cleanup_envs,
            num_steps=args.cleanup_steps,
            updates=args.updates,
            epochs=SOCIALJAX_PPO["epochs"],
            minibatches=args.cleanup_minibatches,
            repeats=args.repeats,
        )
        results["jaxmarl_coin"] = peers_train.measure_jaxmarl_coin(
            num_envs=args.coin_envs,
            num_steps=args.coin_steps,
            updates=args.updates,
            epochs=4,
            minibatches=args.coin_minibatches,
            repeats=args.repeats,
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1))
    for key, value in results.items():
        if isinstance(value, dict) and "median" in value:
            print(
                f"{key:32s} {value['median']:12.1f} steps/s  "
                f"peak {value.get('peak_rss_mb', 0):.0f} MB"
            )
    if "conv" in results:
        c = results["conv"]
        print(
            f"conv: flax Conv {c['flax_conv']['median']:.4f} s, SliceConv "
            f"{c['slice_conv']['median']:.4f} s, ratio {c['ratio_flax_over_slice']:.1f}x"
        )
    if "independent_over_shared_time" in results:
        print(f"independent / shared time per step: {results['independent_over_shared_time']:.2f}")
    for ours, peer in (("ours_cleanup", "socialjax_cleanup"), ("ours_coin", "jaxmarl_coin")):
        if ours in results and peer in results and results[peer].get("median"):
            print(f"{ours} / {peer}: {results[ours]['median'] / results[peer]['median']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
