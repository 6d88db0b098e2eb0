"""Peer environments for the environment benchmark: JaxMARL's Coin Game and Melting Pot.

Both peers are measured the way ``benchmarks/envs.py`` measures prosocial's own environments:
environment steps per second with uniformly random actions, resets included, one figure per
repeat (take the median), compile and construction excluded.

What one "environment step" is here: one transition of one environment in which *every* player
acts once. For a batch of ``B`` environments run for ``T`` steps that is ``B * T`` steps.

JaxMARL Coin Game (``pip install jaxmarl==0.2.0``; imports fine next to jax 0.10.2)
    ``jaxmarl.make("coin_game")`` with its defaults (2 players, 3x3 torus, inner episodes of 10
    steps, meta-episodes of 10 inner episodes, flat 36-entry observations). ``jax.jit`` of a
    ``jax.lax.scan`` over steps of ``jax.vmap(env.step)`` over a batch of environments; the
    environment resets itself as JaxMARL does (inner reset inside ``step_env``, outer auto-reset
    in ``MultiAgentEnv.step``). Each step draws fresh random actions and per-environment keys.
    Observations are carried through the scan and returned, and rewards are summed, so XLA
    cannot drop any of the work (``observations=False`` lets it drop the observations, which
    is how a scan that returns only rewards behaves). The first call (compilation) is not
    timed; every timed call starts with a batched ``reset`` and is waited for with
    ``block_until_ready``.

Melting Pot (``clean_up``, ``commons_harvest__open``)
    Melting Pot steps one environment at a time (no batching) through dmlab2d's Lua engine.
    Its default player count for both substrates is 7 (``default_player_roles``); every player
    gets an RGB observation of 88x88x3 (an 11x11-cell window at 8 px per cell) plus scalars,
    and the substrate also renders a global ``WORLD.RGB`` view every step. Episodes end
    stochastically after at least 1000 steps (max 5000), and every reset rebuilds the
    dmlab2d environment (Melting Pot's ``ResetWrapper``), which costs about as much as several
    hundred steps; each timed repeat starts with such a reset and resets again whenever an
    episode ends, so resets are counted at their natural rate. Building the substrate once
    beforehand is not timed.

    Melting Pot has no installable wheel (the wheel build downloads bot assets and fails
    offline), so its source distribution is used as is: ``pip install dmlab2d dm-env dm-tree
    ml-collections immutabledict reactivex chex`` and ``pip download dm-meltingpot==2.4.1
    --no-deps --no-binary :all:``, then point ``MELTINGPOT_SRC`` (or the ``src`` argument /
    ``--meltingpot-src``) at the downloaded ``.tar.gz`` or at its unpacked folder, or put the
    unpacked folder on ``PYTHONPATH``. The package's ``__init__`` imports its bots, which need
    TensorFlow; only ``meltingpot.substrate`` is needed here, so the package is loaded without
    running that ``__init__``. Another interpreter that has dmlab2d can run the measurement
    (``python=``): this file then runs itself there as a script and prints JSON, e.g.::

        python benchmarks/peers_envs.py meltingpot clean_up --steps 10000 --repeats 3
        python benchmarks/peers_envs.py jaxmarl --batch 1 64 1024 --repeats 3

This module imports neither peer at import time.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import types
from pathlib import Path
from typing import Any

MELTINGPOT_SUBSTRATES = ("clean_up", "commons_harvest__open")
MELTINGPOT_SPRITE_PX = 8
JAXMARL_VERSION = "0.2.0"
MELTINGPOT_VERSION = "2.4.1"

JAXMARL_INSTALL = f"pip install jaxmarl=={JAXMARL_VERSION}"
MELTINGPOT_INSTALL = (
    "pip install dmlab2d dm-env dm-tree ml-collections immutabledict reactivex chex && "
    f"pip download dm-meltingpot=={MELTINGPOT_VERSION} --no-deps --no-binary :all: -d DIR, "
    "then set MELTINGPOT_SRC=DIR/dm_meltingpot-"
    f"{MELTINGPOT_VERSION}.tar.gz (or its unpacked folder, or put that folder on PYTHONPATH)"
)

_EXIT_UNAVAILABLE = 3


class PeerUnavailable(RuntimeError):
    """A peer library (or the interpreter meant to run it) is not installed."""


def default_coin_game_steps(batch: int) -> int:
    """Default scan length: about 2**20 environment steps per repeat, 1000 to 100,000 steps."""
    return min(100_000, max(1000, 1_048_576 // batch))


# --------------------------------------------------------------------------------------------
# JaxMARL Coin Game
# --------------------------------------------------------------------------------------------


def _import_jaxmarl() -> types.ModuleType:
    # jaxmarl prints two lines about optional submodules on import, after one of its modules
    # has reset sys.stdout to sys.__stdout__; silence both for the import, then restore them.
    saved = sys.stdout, sys.__stdout__
    sys.stdout = sys.__stdout__ = io.StringIO()
    try:
        import jaxmarl
    except ImportError as err:
        raise PeerUnavailable(
            f"JaxMARL is not importable ({err}); install it with `{JAXMARL_INSTALL}`"
        ) from err
    finally:
        sys.stdout, sys.__stdout__ = saved
    return jaxmarl


def _coin_game_program(batch: int, steps: int, observations: bool = True):
    """The jitted ``key -> (final obs, reward sum)`` program: reset, then ``steps`` steps.

    With ``observations=False`` each step's observations are discarded (the carried ones stay
    those of the reset), so XLA may skip computing them.
    """
    import jax
    import jax.numpy as jnp

    jaxmarl = _import_jaxmarl()
    env = jaxmarl.make("coin_game")
    agents = list(env.agents)
    num_actions = env.action_space(agents[0]).n

    def program(key):
        key, reset_key = jax.random.split(key)
        obs, state = jax.vmap(env.reset)(jax.random.split(reset_key, batch))

        def body(carry, _):
            state, obs, key, total = carry
            key, action_key, step_key = jax.random.split(key, 3)
            drawn = jax.random.randint(action_key, (len(agents), batch), 0, num_actions)
            actions = {agent: drawn[i] for i, agent in enumerate(agents)}
            new_obs, state, rewards, _, _ = jax.vmap(env.step)(
                jax.random.split(step_key, batch), state, actions
            )
            obs = new_obs if observations else obs
            total = total + sum(jnp.sum(rewards[a]) for a in agents)
            return (state, obs, key, total), None

        carry = (state, obs, key, jnp.zeros((), jnp.float32))
        (state, obs, _, total), _ = jax.lax.scan(body, carry, None, length=steps)
        return obs, total

    return jax.jit(program)


def jaxmarl_coin_game_steps_per_second(
    batch: int, steps: int | None = None, repeats: int = 3, observations: bool = True
) -> list[float]:
    """Environment steps per second of JaxMARL's Coin Game, one figure per repeat.

    ``batch`` environments are stepped ``steps`` times inside one jitted scan (``steps``
    defaults to :func:`default_coin_game_steps`). Compilation is excluded; each repeat uses a
    fresh key and is timed to ``block_until_ready``. ``observations=False`` lets XLA drop the
    per-step observations (nothing reads them): on this CPU that is ~1.8x faster at batch 1024,
    so compare like with like. Raises :class:`PeerUnavailable` when jaxmarl is not installed.
    """
    import jax

    if batch < 1 or repeats < 1:
        raise ValueError("batch and repeats must be positive")
    steps = default_coin_game_steps(batch) if steps is None else steps
    program = _coin_game_program(batch, steps, observations)
    keys = jax.random.split(jax.random.key(0), repeats + 1)
    jax.block_until_ready(program(keys[0]))  # compile + warm up
    figures = []
    for key in keys[1:]:
        start = time.perf_counter()
        jax.block_until_ready(program(key))
        figures.append(batch * steps / (time.perf_counter() - start))
    return figures


# --------------------------------------------------------------------------------------------
# Melting Pot
# --------------------------------------------------------------------------------------------


def _meltingpot_package_dir(src: str | os.PathLike | None) -> Path | None:
    """The ``meltingpot`` package folder from ``src``, ``MELTINGPOT_SRC`` or ``sys.path``."""
    src = src if src is not None else os.environ.get("MELTINGPOT_SRC")
    if src:
        path = Path(src).expanduser().resolve()
        if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
            root = Path(tempfile.gettempdir()) / f"peers-envs-{path.name.split('.tar')[0]}"
            if not (root / ".complete").exists():
                with tarfile.open(path) as archive:
                    archive.extractall(root, filter="data")
                (root / ".complete").touch()
            path = root
        for candidate in (path, *path.glob("*/"), *path.glob("*/*/")):
            if candidate.name == "meltingpot" and (candidate / "substrate.py").is_file():
                return candidate
            if (candidate / "meltingpot" / "substrate.py").is_file():
                return candidate / "meltingpot"
        raise PeerUnavailable(f"no Melting Pot source (meltingpot/substrate.py) under {src}")
    spec = importlib.util.find_spec("meltingpot")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _import_meltingpot_substrate(src: str | os.PathLike | None = None) -> types.ModuleType:
    """``meltingpot.substrate``, loaded without the package ``__init__`` (its bots need TF)."""
    try:
        import dmlab2d  # noqa: F401
    except ImportError as err:
        raise PeerUnavailable(
            f"dmlab2d is not importable ({err}); Melting Pot needs: {MELTINGPOT_INSTALL}"
        ) from err
    if "meltingpot" not in sys.modules:
        package_dir = _meltingpot_package_dir(src)
        if package_dir is None:
            raise PeerUnavailable(f"Melting Pot source not found; {MELTINGPOT_INSTALL}")
        package = types.ModuleType("meltingpot")
        package.__path__ = [str(package_dir)]
        package.__file__ = str(package_dir / "__init__.py")
        sys.modules["meltingpot"] = package
    try:
        from meltingpot import substrate
    except ImportError as err:
        sys.modules.pop("meltingpot", None)
        raise PeerUnavailable(
            f"Melting Pot's substrate module cannot be imported ({err}); {MELTINGPOT_INSTALL}"
        ) from err
    return substrate


def _meltingpot_version(substrate_module: types.ModuleType) -> str | None:
    pkg_info = Path(substrate_module.__file__).parent.parent / "PKG-INFO"
    if pkg_info.is_file():
        for line in pkg_info.read_text().splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
    return None


def meltingpot_measure_inprocess(
    substrate: str, steps: int, repeats: int = 3, src: str | os.PathLike | None = None
) -> dict[str, Any]:
    """Measure one Melting Pot substrate in this interpreter; see :func:`meltingpot_measure`."""
    import importlib.metadata

    if steps < 1 or repeats < 1:
        raise ValueError("steps and repeats must be positive")
    mp_substrate = _import_meltingpot_substrate(src)  # checks dmlab2d (and so numpy) first

    import numpy as np

    roles = tuple(mp_substrate.get_config(substrate).default_player_roles)
    env = mp_substrate.build(substrate, roles=roles)
    try:
        num_actions = np.array([spec.num_values for spec in env.action_spec()])
        rgb_shape = tuple(int(n) for n in env.observation_spec()[0]["RGB"].shape)
        observations = sorted(env.observation_spec()[0])
        rng = np.random.default_rng(0)

        def draw() -> np.ndarray:
            return (rng.random(len(num_actions)) * num_actions).astype(np.int64)

        env.reset()  # the first reset after building is cheap (no rebuild): warm-up only
        for _ in range(10):
            env.step(draw())
        figures, stepping, resets, reset_seconds = [], [], [], []
        for _ in range(repeats):
            start = time.perf_counter()
            env.reset()  # rebuilds the dmlab2d environment, as at every episode start
            in_resets = time.perf_counter() - start
            episodes = 1
            for t in range(steps):
                if env.step(draw()).last() and t + 1 < steps:
                    began = time.perf_counter()
                    env.reset()
                    in_resets += time.perf_counter() - began
                    episodes += 1
            elapsed = time.perf_counter() - start
            figures.append(steps / elapsed)
            stepping.append(steps / (elapsed - in_resets))
            resets.append(episodes)
            reset_seconds.append(in_resets)
    finally:
        env.close()
    return {
        "substrate": substrate,
        "steps": steps,
        "steps_per_second": figures,
        "median": statistics.median(figures),
        "resets": resets,
        "reset_seconds": reset_seconds,
        "steps_per_second_without_resets": stepping,
        "players": len(roles),
        "rgb_shape": list(rgb_shape),
        "cells": [rgb_shape[0] // MELTINGPOT_SPRITE_PX, rgb_shape[1] // MELTINGPOT_SPRITE_PX],
        "num_actions": num_actions.tolist(),
        "observations": observations,
        "meltingpot_version": _meltingpot_version(mp_substrate),
        "dmlab2d_version": importlib.metadata.version("dmlab2d"),
        "python": sys.executable,
    }


def meltingpot_measure(
    substrate: str,
    steps: int,
    repeats: int = 3,
    python: str | os.PathLike | None = None,
    src: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Steps per second of a Melting Pot substrate with details (players, RGB shape, resets).

    With ``python`` the measurement runs in that interpreter (this file as a script), so
    Melting Pot may live in another environment; ``src`` (or ``MELTINGPOT_SRC``) locates its
    source. Raises :class:`PeerUnavailable` when dmlab2d or the source is missing.
    """
    if python is None:
        return meltingpot_measure_inprocess(substrate, steps, repeats, src)
    if not Path(python).exists():
        raise PeerUnavailable(f"Melting Pot interpreter {python} does not exist")
    command = [str(python), str(Path(__file__).resolve()), "meltingpot", substrate]
    command += ["--steps", str(steps), "--repeats", str(repeats)]
    if src is not None:
        command += ["--meltingpot-src", str(src)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode == _EXIT_UNAVAILABLE:
        raise PeerUnavailable(done.stderr.strip().splitlines()[-1])
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def meltingpot_steps_per_second(
    substrate: str,
    steps: int,
    repeats: int = 3,
    python: str | os.PathLike | None = None,
    src: str | os.PathLike | None = None,
) -> list[float]:
    """Environment steps per second (all 7 players act) of a Melting Pot substrate, per repeat."""
    return meltingpot_measure(substrate, steps, repeats, python, src)["steps_per_second"]


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="peer", required=True)
    mp = sub.add_parser("meltingpot", help="one Melting Pot substrate; prints one JSON line")
    mp.add_argument("substrate", choices=MELTINGPOT_SUBSTRATES)
    mp.add_argument("--steps", type=int, default=10_000)
    mp.add_argument("--repeats", type=int, default=3)
    mp.add_argument("--meltingpot-src", default=None)
    mp.add_argument("--meltingpot-python", default=None)
    jm = sub.add_parser("jaxmarl", help="JaxMARL Coin Game; prints one JSON line per batch")
    jm.add_argument("--batch", type=int, nargs="+", default=[1, 64, 1024])
    jm.add_argument("--steps", type=int, default=None)
    jm.add_argument("--repeats", type=int, default=3)
    jm.add_argument("--drop-observations", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.peer == "meltingpot":
            result = meltingpot_measure(
                args.substrate,
                args.steps,
                args.repeats,
                args.meltingpot_python,
                args.meltingpot_src,
            )
            print(json.dumps(result))
        else:
            for batch in args.batch:
                steps = default_coin_game_steps(batch) if args.steps is None else args.steps
                figures = jaxmarl_coin_game_steps_per_second(
                    batch, steps, args.repeats, observations=not args.drop_observations
                )
                record = {"peer": "jaxmarl coin_game", "batch": batch, "steps": steps}
                record["observations"] = not args.drop_observations
                record |= {"steps_per_second": figures, "median": statistics.median(figures)}
                print(json.dumps(record), flush=True)
    except PeerUnavailable as err:
        print(f"peer unavailable: {err}", file=sys.stderr)
        return _EXIT_UNAVAILABLE
    return 0


if __name__ == "__main__":
    sys.exit(main())
