"""Environment steps per second of every prosocial environment, beside its peers.

    python benchmarks/envs.py [--repeats 3] [--batch 1 64 1024] [--envs coin_game cleanup ...]
                              [--no-peers] [--meltingpot-python PY] [--meltingpot-src DIR]

One "environment step" is one transition of one environment in which every player acts
once; a batch of ``B`` environments stepped ``T`` times is ``B * T`` steps. Every program,
ours and JaxMARL's, is the same: a batched reset, then a ``jax.lax.scan`` of ``T`` steps,
each drawing uniformly random actions and per-environment keys and calling
``jax.vmap(env.step)`` (resets included, as each library does them); observations are
carried out of the scan and rewards summed, so no work can be dropped. Compilation is
excluded; every figure is the median over ``--repeats`` timed calls.

Peers, measured in the same run on the same machine (see ``benchmarks/peers_envs.py`` for
how to install them):

* JaxMARL's Coin Game (2 players, 3×3, two coins, five actions, 10-step inner episodes),
  against prosocial's ``coin_game`` both as the thesis defines it and with JaxMARL's rules
  (``coins=per_agent, stay_action=True, max_steps=10``);
* Melting Pot's ``clean_up`` and ``commons_harvest__open`` (one environment at a time; 7
  players; 88×88×3 RGB observations of an 11×11-cell window), against prosocial's
  ``cleanup`` and ``harvest`` with Melting Pot's player count and view size in cells
  (7 players, 9 cells ahead, 1 behind, 5 to each side; observations are one-hot cell
  channels, not pixels).

Results are printed as a table with the ratios and written to
``benchmarks/results/envs.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp

from prosocial import envs

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peers_envs

MELTINGPOT_VIEW = {"num_agents": 7, "view": (9, 1, 5)}

# (label, registered name, parameters): every registered environment at its defaults is
# added to these comparison configurations.
COMPARISONS = (
    (
        "coin_game [JaxMARL rules]",
        "coin_game",
        {"coins": "per_agent", "stay_action": True, "max_steps": 10},
    ),
    ("cleanup [Melting Pot players, view]", "cleanup", MELTINGPOT_VIEW),
    ("harvest [Melting Pot players, view]", "harvest", MELTINGPOT_VIEW),
)
PEER_OF = {
    "coin_game": "jaxmarl coin_game",
    "coin_game [JaxMARL rules]": "jaxmarl coin_game",
    "cleanup [Melting Pot players, view]": "meltingpot clean_up",
    "harvest [Melting Pot players, view]": "meltingpot commons_harvest__open",
}


def program(env: envs.Environment, batch: int, steps: int):
    """The jitted ``key -> (final obs, reward sum)`` program described in the docstring."""
    n = env.num_agents()
    num_actions = env.action_space(env.params).n

    def run(key):
        key, reset_key = jax.random.split(key)
        obs, state = jax.vmap(env.reset)(jax.random.split(reset_key, batch))

        def body(carry, _):
            state, obs, key, total = carry
            key, action_key, step_key = jax.random.split(key, 3)
            actions = jax.random.randint(action_key, (batch, n), 0, num_actions)
            obs, state, rewards, *_ = jax.vmap(env.step)(
                jax.random.split(step_key, batch), state, actions
            )
            return (state, obs, key, total + jnp.sum(rewards)), None

        carry = (state, obs, key, jnp.zeros((), jnp.float32))
        (_, obs, _, total), _ = jax.lax.scan(body, carry, None, length=steps)
        return obs, total

    return jax.jit(run)


def steps_per_second(env: envs.Environment, batch: int, steps: int, repeats: int) -> list[float]:
    run = program(env, batch, steps)
    keys = jax.random.split(jax.random.key(0), repeats + 1)
    jax.block_until_ready(run(keys[0]))
    figures = []
    for key in keys[1:]:
        start = time.perf_counter()
        jax.block_until_ready(run(key))
        figures.append(batch * steps / (time.perf_counter() - start))
    return figures


def _describe(env: envs.Environment) -> str:
    shape = env.observation_space(env.params).shape
    return f"{env.num_agents()} players, obs {'x'.join(map(str, shape))}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 64, 1024])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--envs", nargs="+", default=None, help="registered names (default all)")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--meltingpot-python", default=None)
    parser.add_argument("--meltingpot-src", default=None)
    parser.add_argument("--meltingpot-steps", type=int, default=5000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "envs.json"))
    args = parser.parse_args(argv)

    configs = [(name, name, {}) for name in (args.envs or envs.names())]
    configs += [c for c in COMPARISONS if args.envs is None or c[1] in args.envs]
    results: dict[str, dict] = {"ours": {}, "peers": {}}
    for label, name, params in configs:
        env = envs.make(name, **params)
        row = {
            "env": name,
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()},
            "describe": _describe(env),
        }
        for batch in args.batch:
            steps = peers_envs.default_coin_game_steps(batch)
            if batch == 1:
                steps = min(steps, 20_000)
            figures = steps_per_second(env, batch, steps, args.repeats)
            row[str(batch)] = {
                "steps": steps,
                "figures": figures,
                "median": statistics.median(figures),
            }
            print(
                f"{label:40s} batch {batch:5d}: {statistics.median(figures):14,.0f} steps/s",
                flush=True,
            )
        results["ours"][label] = row

    if not args.no_peers:
        try:
            for batch in args.batch:
                figures = peers_envs.jaxmarl_coin_game_steps_per_second(batch, repeats=args.repeats)
                results["peers"].setdefault("jaxmarl coin_game", {})[str(batch)] = {
                    "figures": figures,
                    "median": statistics.median(figures),
                }
                print(
                    f"{'jaxmarl coin_game':40s} batch {batch:5d}: "
                    f"{statistics.median(figures):14,.0f} steps/s",
                    flush=True,
                )
        except peers_envs.PeerUnavailable as err:
            print(f"JaxMARL not measured: {err}")
        for substrate in peers_envs.MELTINGPOT_SUBSTRATES:
            try:
                measured = peers_envs.meltingpot_measure(
                    substrate,
                    args.meltingpot_steps,
                    args.repeats,
                    python=args.meltingpot_python,
                    src=args.meltingpot_src,
                )
            except peers_envs.PeerUnavailable as err:
                print(f"Melting Pot {substrate} not measured: {err}")
                continue
            measured.pop("python", None)
            results["peers"][f"meltingpot {substrate}"] = {"1": measured}
            print(
                f"{'meltingpot ' + substrate:40s} batch     1: "
                f"{measured['median']:14,.0f} steps/s ({measured['players']} players, "
                f"RGB {'x'.join(map(str, measured['rgb_shape']))} = "
                f"{measured['cells'][0]}x{measured['cells'][1]} cells)",
                flush=True,
            )

    print(
        "\nratios (ours / peer; Melting Pot runs one environment, so every batch of ours "
        "is divided by its single-environment figure)"
    )
    for label, peer in PEER_OF.items():
        if label not in results["ours"] or peer not in results["peers"]:
            continue
        ours, theirs = results["ours"][label], results["peers"][peer]
        for batch in args.batch:
            key = str(batch) if str(batch) in theirs else "1"
            if str(batch) not in ours or key not in theirs:
                continue
            ratio = ours[str(batch)]["median"] / theirs[key]["median"]
            line = f"  {label:40s} batch {batch:5d} vs {peer} batch {key:>5s}: {ratio:8.2f}x"
            no_resets = theirs[key].get("steps_per_second_without_resets")
            if no_resets:
                bare = ours[str(batch)]["median"] / statistics.median(no_resets)
                line += f" ({bare:.2f}x its rate without its environment-rebuilding resets)"
            print(line)

    results["machine"] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "devices": [str(d) for d in jax.devices()],
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
