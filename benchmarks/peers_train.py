"""Peer training programs for the training benchmark: SocialJax's and JaxMARL's IPPO.

    python benchmarks/peers_train.py socialjax --python PY --src DIR [--num-envs 4]
        [--num-steps 32] [--updates 2] [--epochs 2] [--minibatches 4] [--repeats 3]
    python benchmarks/peers_train.py jaxmarl-coin --python PY --src DIR [--num-envs 16]
        [--num-steps 128] [--updates 4] [--epochs 4] [--minibatches 4] [--repeats 3]

Each prints one JSON line (see :func:`measure_socialjax` / :func:`measure_jaxmarl_coin`).

What is timed
    Training throughput: environment steps per second of the peer's own jitted ``train``
    function, acting *and* learning. One environment step is one transition of one
    environment in which every player acts; one call of ``train`` is ``updates`` PPO updates,
    each a rollout of ``num_steps`` steps of ``num_envs`` environments followed by GAE and
    ``epochs`` epochs of ``minibatches`` minibatches, so a call is
    ``num_envs * num_steps * updates`` environment steps. The peer's ``make_train(config)``
    is built from its own YAML configuration (only the sizes below overridden, with
    ``TOTAL_TIMESTEPS = num_envs * num_steps * updates`` so that its ``NUM_UPDATES`` is
    ``updates``), then ``jax.jit(train).lower(key).compile()`` (reported as ``compile_s``,
    tracing included), then ``warmup`` untimed calls (default 1), then ``repeats`` timed calls
    with fresh keys, each waited for with ``block_until_ready`` on the whole output. A call
    includes what the peer's ``train`` does once per run (network init, optimiser state, one
    batched reset); every call is a complete training run of ``updates`` updates. The figure
    is ``num_envs * num_steps * updates / seconds``, one per repeat (take the median).
    Peak memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child process
    (compilation included). The peers' own entry points ``jax.vmap`` the jitted ``train``
    over ``NUM_SEEDS`` keys; here ``train`` is jitted for one seed, without ``vmap``.

Processes and XLA_FLAGS
    Each peer runs in a subprocess of its own interpreter (``python``; this file runs itself
    there as a script with ``--in-process`` and prints JSON). ``XLA_FLAGS`` gets
    ``--xla_cpu_enable_concurrency_optimized_scheduler=false`` (appended to any flags already
    set) in the environment of that subprocess, so before jax starts, for *every* peer (it was
    reported to take SocialJax's training at 4 envs x 32 steps on the 2-core development CPU
    from about 4 to about 12 env-steps/s; not re-measured here). The flag only changes XLA's
    CPU scheduling; prosocial's side should set the same flag for a like-for-like comparison.
    Weights & Biases: ``wandb.init(mode="disabled")`` is called first, so the per-update
    ``wandb.log`` host callback inside each peer's ``train`` still runs but logs nothing.

SocialJax IPPO-CNN on Cleanup (``algorithms/IPPO/ippo_cnn_cleanup.py``)
    Commit ``9df972d07657c7e2d4cd4fec1ed1f437099cb128`` of github.com/cooperativex/SocialJax
    ("fix agents numbers"). Install (Python 3.11)::

        git clone https://github.com/cooperativex/SocialJax DIR && git -C DIR checkout 9df972d
        python3.11 -m venv VENV
        sed 's/^jax\\[cuda12\\]==0.6.2$/jax==0.6.2/' DIR/requirements.txt > req-cpu.txt
        VENV/bin/pip install -r req-cpu.txt

    i.e. its ``requirements.txt`` as it is (jax/jaxlib 0.6.2, flax 0.10.7, optax 0.1.7,
    distrax 0.1.5, chex 0.1.84, jaxmarl 0.0.7, gymnax 0.0.8, numpy 1.26.4, hydra-core 1.3.2,
    wandb 0.27.2, ...) except ``jax[cuda12]==0.6.2`` replaced by the CPU ``jax==0.6.2``; it
    installs as it is on Python 3.11. Then ``--python VENV/bin/python --src DIR``.
    Configuration: Hydra's ``compose`` of its ``ippo_cnn_cleanup`` (defaults ``ippo_base``
    and ``reward: common``; ``reward="individual"`` selects the other reward file), then
    ``NUM_ENVS``, ``NUM_STEPS``, ``UPDATE_EPOCHS``, ``NUM_MINIBATCHES`` and
    ``TOTAL_TIMESTEPS`` overridden. No patch to its code: ``make_train`` is imported from
    ``algorithms.IPPO.ippo_cnn_cleanup`` and called as its runner (``_runner.single_run``)
    calls it; the runner itself is not used (it also saves a checkpoint and renders an
    evaluation GIF after training, which is not training). Differences from its entry point:
    CPU jax, ``wandb`` disabled (its config says ``online``), one seed without ``vmap``,
    the sizes above.

    What it trains, so that prosocial's side can match it:

    * Cleanup, 7 agents, episodes of 1000 steps (``num_inner_steps``), 19x28 map;
      per-agent egocentric observation 11x11x19 float32 (``cnn=True``; channels: 9 one-hot
      cell items with "empty" dropped, then self, other agent, relative orientation and
      agent-state features), ``(num_envs, 7, 11, 11, 19)`` per step; 9 actions (turn
      left/right, 4 moves, stay, zap, clean); common reward by default
      (``shared_rewards=True``: every agent gets the sum), individual with ``--reward``.
    * Network (``algorithms/utils/networks.py`` ``ActorCritic``), shared by all 7 agents
      (``PARAMETER_SHARING: True``: a batch of ``7 * num_envs`` actors): torso
      Conv(32, 5x5) → ReLU → Conv(32, 3x3) → ReLU → Conv(32, 3x3) → ReLU (flax defaults:
      stride 1, ``SAME`` padding, so 11x11x32 = 3872 features) → Dense(64) → ReLU; the torso is
      shared by the two heads; actor head Dense(64) → ReLU → Dense(9) (categorical logits);
      critic head Dense(64) → ReLU → Dense(1). Orthogonal init (sqrt 2; actor output 0.01,
      critic output 1.0), zero biases. 290,570 parameters.
    * PPO (``ippo_base.yaml``): Adam lr 5e-4 (eps 1e-5) annealed linearly to 0 over the run,
      global-norm clip 0.5, gamma 0.99, GAE lambda 0.95, clip 0.2 (policy and value), entropy
      0.01, value 0.5, advantages normalised per minibatch. Its own sizes: 256 envs x 1000
      steps, 2 epochs, 500 minibatches (minibatch 3584 samples = 256 * 7 * 1000 / 500),
      1e8 steps. The minibatch count must divide ``7 * num_envs * num_steps``.
    * Where its CPU time goes: almost all of it is the PPO update, not the rollout. XLA's CPU
      backend runs this network's gradient about 20x slower inside a ``lax.scan`` (its
      minibatch loop) than outside one: 8 gradients of 224-sample minibatches took ~35 s in a
      rolled scan and ~2 s fully unrolled (``unroll=8``), with jax 0.6.2 and 0.10.2 alike, on
      the loaded 2-core machine; one such gradient outside a scan ~0.2 s.

JaxMARL IPPO-FF on its Coin Game (``baselines/IPPO/ippo_ff_mpe.py``)
    ``jaxmarl==0.2.0`` from PyPI. Its ``baselines/`` folder is not in the wheel, so it comes
    from github.com/FLAIROx/JaxMARL at ``a0100a125a19d8fdd19ace8102b5d826b766c059`` (the merge of
    the ``jaxmarl-2.0`` branch, 2026-07-20): the wheel's ``jaxmarl/`` package is identical to
    that commit's except Hanabi, Overcooked and robotarium files, the Coin Game included;
    ``ippo_ff_mpe.py`` is unchanged from there to the newest commit stored. Install::

        python3.11 -m venv VENV
        VENV/bin/pip install "jaxmarl[algs]==0.2.0" jax==0.10.2 jaxlib==0.10.2
        git clone https://github.com/FLAIROx/JaxMARL DIR && git -C DIR checkout a0100a1
        (or: git archive a0100a1 baselines | tar -x -C DIR; echo a0100a1... > DIR/COMMIT)

    (jax pinned to prosocial's 0.10.2; pip then chose flax 0.12.8, optax 0.2.8, distrax
    0.1.9, chex 0.1.92, gymnax 1.0.1, hydra-core 1.3.8, wandb 0.31.0, numpy 2.4.6). Then
    ``--python VENV/bin/python --src DIR``. ``jaxmarl==0.2.0`` itself also imports beside
    jax 0.10.2 in prosocial's venv, but the IPPO script also needs ``distrax``, ``hydra-core``
    and ``wandb`` (the ``algs`` extra), hence its own venv.
    JaxMARL 0.2.0 has no Coin Game training script; ``ippo_ff_mpe.py`` is its generic
    feed-forward IPPO (``ippo_ff_switch_riddle.py`` is the same loop). Configuration: its
    ``config/ippo_ff_mpe.yaml`` with ``ENV_NAME="coin_game"``, ``ENV_KWARGS={}`` (the Coin
    Game's defaults) and the sizes overridden. It crashes on the Coin Game as it is, so two
    module attributes of the imported ``ippo_ff_mpe`` are replaced in the child process (its
    file is not edited):

    * ``unbatchify``: wrapped so that each agent's actions lose their trailing axis of 1
      (``(num_envs, 1)`` → ``(num_envs,)``; the Coin Game indexes ``MOVES[action]`` and
      fails to broadcast ``(1, 2)`` positions otherwise). JaxMARL's own
      ``ippo_ff_overcooked.py`` does the same with ``{k: v.flatten() ...}``.
    * ``LogWrapper`` (there ``MPELogWrapper``): ``functools.partial(MPELogWrapper,
      replace_info=True)``, so its info dict holds only its per-agent episode statistics; the
      Coin Game's own ``inner_episode_done`` info has one entry per environment, not per
      agent, and ``train``'s ``reshape((NUM_ACTORS,))`` of every info entry fails on it.
      (``MPELogWrapper`` scales the *logged* returns by the number of agents; training
      rewards are untouched.)

    What it trains, so that prosocial's side can match it:

    * Coin Game: 2 agents, 3x3 torus, one coin per agent colour, 5 actions (4 moves and
      stay), inner episodes of 10 steps, outer (meta) episode of 10 inner ones = 100 steps
      (``done`` only at the outer end); flat 36-entry observation (3x3x4 one-hot, int8);
      individual rewards (payoff ``[[1, 1, -2], [1, 1, -2]]``).
    * Network (``ippo_ff_mpe.ActorCritic``), shared by both agents (a batch of
      ``2 * num_envs`` actors, agent identity not in the input): *separate* actor and
      critic MLPs, nothing shared: actor Dense(64) → tanh → Dense(64) → tanh → Dense(5)
      (categorical logits); critic Dense(64) → tanh → Dense(64) → tanh → Dense(1).
      ``ACTIVATION: tanh`` in its YAML. Orthogonal init (sqrt 2; actor output 0.01, critic
      output 1.0), zero biases. 13,446 parameters.
    * PPO (``ippo_ff_mpe.yaml``): Adam lr 2.5e-4 (eps 1e-5) annealed linearly to 0, global-norm
      clip 0.5, gamma 0.99, GAE lambda 0.95, clip 0.2 (policy and value), entropy 0.01, value
      0.5, advantages normalised per minibatch; its own sizes 16 envs x 128 steps, 4 epochs,
      4 minibatches. The minibatch count must divide ``2 * num_envs * num_steps``.

This module imports neither peer (nor jax) at import time.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers_envs import PeerUnavailable

PEER_XLA_FLAGS = "--xla_cpu_enable_concurrency_optimized_scheduler=false"
SOCIALJAX_COMMIT = "9df972d07657c7e2d4cd4fec1ed1f437099cb128"
JAXMARL_VERSION = "0.2.0"
JAXMARL_COMMIT = "a0100a125a19d8fdd19ace8102b5d826b766c059"
SOCIALJAX_INSTALL = (
    "python3.11 -m venv VENV && sed 's/^jax\\[cuda12\\]==0.6.2$/jax==0.6.2/' "
    "SRC/requirements.txt > req-cpu.txt && VENV/bin/pip install -r req-cpu.txt, with SRC a "
    f"checkout of github.com/cooperativex/SocialJax at {SOCIALJAX_COMMIT[:7]}"
)
JAXMARL_INSTALL = (
    f'python3.11 -m venv VENV && VENV/bin/pip install "jaxmarl[algs]=={JAXMARL_VERSION}" '
    "jax==0.10.2 jaxlib==0.10.2, with SRC a checkout of github.com/FLAIROx/JaxMARL at "
    f"{JAXMARL_COMMIT[:7]} (for baselines/IPPO)"
)
SOCIALJAX_AGENTS = 7
COIN_GAME_AGENTS = 2

_EXIT_UNAVAILABLE = 3
_UNAVAILABLE = "peer unavailable: "


def _check_sizes(agents: int, num_envs: int, num_steps: int, minibatches: int, **more: int) -> None:
    sizes = {"num_envs": num_envs, "num_steps": num_steps, "minibatches": minibatches, **more}
    for name, value in sizes.items():
        least = 0 if name == "warmup" else 1
        if value < least:
            raise ValueError(f"{name} must be at least {least}, not {value}")
    samples = agents * num_envs * num_steps
    if samples % minibatches:
        raise ValueError(
            f"{minibatches} minibatches do not divide {samples} samples "
            f"({agents} agents x {num_envs} envs x {num_steps} steps)"
        )


# --------------------------------------------------------------------------------------------
# Parent side: run the child and parse its JSON
# --------------------------------------------------------------------------------------------


def _peer_environment() -> dict[str, str]:
    env = dict(os.environ)
    flags = env.get("XLA_FLAGS", "")
    if PEER_XLA_FLAGS not in flags.split():
        env["XLA_FLAGS"] = f"{flags} {PEER_XLA_FLAGS}".strip()
    return env


def _run_child(peer: str, python: str | os.PathLike, arguments: list[str]) -> dict[str, Any]:
    if not Path(python).exists():
        raise PeerUnavailable(f"{peer} interpreter {python} does not exist")
    command = [str(python), str(Path(__file__).resolve()), peer, *arguments, "--in-process"]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env=_peer_environment()
    )
    if done.returncode == _EXIT_UNAVAILABLE:
        raise PeerUnavailable(done.stderr.strip().splitlines()[-1].removeprefix(_UNAVAILABLE))
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _source(src: str | os.PathLike | None, variable: str, install: str) -> Path:
    src = src if src is not None else os.environ.get(variable)
    if not src:
        raise PeerUnavailable(f"no peer checkout given (src= or ${variable}); {install}")
    path = Path(src).expanduser().resolve()
    if not path.is_dir():
        raise PeerUnavailable(f"{path} is not a folder; {install}")
    return path


def _sizes_arguments(**sizes: Any) -> list[str]:
    arguments = []
    for name, value in sizes.items():
        arguments += [f"--{name.replace('_', '-')}", str(value)]
    return arguments


def measure_socialjax(
    num_envs: int = 4,
    num_steps: int = 32,
    updates: int = 2,
    epochs: int = 2,
    minibatches: int = 4,
    repeats: int = 3,
    python: str | os.PathLike | None = None,
    src: str | os.PathLike | None = None,
    reward: str = "common",
    warmup: int = 1,
) -> dict[str, Any]:
    """Training steps per second of SocialJax's IPPO-CNN on Cleanup (7 agents), per repeat.

    Runs in a subprocess of ``python`` (default ``$SOCIALJAX_PYTHON``, else this interpreter)
    with the peer's checkout ``src`` (default ``$SOCIALJAX_SRC``) on ``sys.path`` and
    ``XLA_FLAGS`` set as the module docstring says. Returns ``{"sps": [per repeat],
    "median", "peak_rss_mb", "compile_s", "config": {...}, ...}``. Raises
    :class:`PeerUnavailable` when the interpreter, the checkout or its packages are missing.
    """
    _check_sizes(
        SOCIALJAX_AGENTS,
        num_envs,
        num_steps,
        minibatches,
        updates=updates,
        epochs=epochs,
        repeats=repeats,
        warmup=warmup,
    )
    if reward not in ("common", "individual"):
        raise ValueError(f"reward is 'common' or 'individual', not {reward!r}")
    source = _source(src, "SOCIALJAX_SRC", SOCIALJAX_INSTALL)
    python = python or os.environ.get("SOCIALJAX_PYTHON") or sys.executable
    arguments = _sizes_arguments(
        num_envs=num_envs,
        num_steps=num_steps,
        updates=updates,
        epochs=epochs,
        minibatches=minibatches,
        repeats=repeats,
        warmup=warmup,
        reward=reward,
        src=source,
    )
    return _run_child("socialjax", python, arguments)


def measure_jaxmarl_coin(
    num_envs: int = 16,
    num_steps: int = 128,
    updates: int = 4,
    epochs: int = 4,
    minibatches: int = 4,
    repeats: int = 3,
    python: str | os.PathLike | None = None,
    src: str | os.PathLike | None = None,
    warmup: int = 1,
) -> dict[str, Any]:
    """Training steps per second of JaxMARL's IPPO-FF on its Coin Game (2 agents), per repeat.

    Runs in a subprocess of ``python`` (default ``$JAXMARL_PYTHON``, else this interpreter)
    with the JaxMARL checkout ``src`` (default ``$JAXMARL_SRC``; only ``baselines/`` is used,
    the ``jaxmarl`` package is the installed one) on ``sys.path``, with the two patches and
    the ``XLA_FLAGS`` of the module docstring. Returns the same record as
    :func:`measure_socialjax`.
    """
    _check_sizes(
        COIN_GAME_AGENTS,
        num_envs,
        num_steps,
        minibatches,
        updates=updates,
        epochs=epochs,
        repeats=repeats,
        warmup=warmup,
    )
    source = _source(src, "JAXMARL_SRC", JAXMARL_INSTALL)
    python = python or os.environ.get("JAXMARL_PYTHON") or sys.executable
    arguments = _sizes_arguments(
        num_envs=num_envs,
        num_steps=num_steps,
        updates=updates,
        epochs=epochs,
        minibatches=minibatches,
        repeats=repeats,
        warmup=warmup,
        src=source,
    )
    return _run_child("jaxmarl-coin", python, arguments)


# --------------------------------------------------------------------------------------------
# Child side: runs in the peer's interpreter
# --------------------------------------------------------------------------------------------


def _commit(src: Path) -> str | None:
    """The checkout's commit: ``git rev-parse HEAD``, else the first word of ``src/COMMIT``."""
    try:
        done = subprocess.run(
            ["git", "-C", str(src), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        done = None
    if done is not None and done.returncode == 0:
        return done.stdout.strip()
    marker = src / "COMMIT"
    return marker.read_text().split()[-1] if marker.is_file() else None


def _versions(*packages: str) -> dict[str, str | None]:
    import importlib.metadata

    found = {}
    for package in packages:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def _time_train(make_train, config: dict, steps_per_call: int, repeats: int, warmup: int):
    """Compile ``jax.jit(make_train(config))``, warm up, then time ``repeats`` calls."""
    import jax

    keys = [jax.random.PRNGKey(seed) for seed in range(warmup + repeats + 1)]
    start = time.perf_counter()
    train = jax.jit(make_train(config)).lower(keys[0]).compile()
    compile_s = time.perf_counter() - start
    out = None
    for key in keys[1 : warmup + 1]:
        out = jax.block_until_ready(train(key))
    figures, seconds = [], []
    for key in keys[warmup + 1 :]:
        start = time.perf_counter()
        out = jax.block_until_ready(train(key))
        elapsed = time.perf_counter() - start
        seconds.append(elapsed)
        figures.append(steps_per_call / elapsed)
    params = out["runner_state"][0].params
    return figures, seconds, compile_s, sum(x.size for x in jax.tree.leaves(params))


def _record(peer: str, figures, seconds, compile_s, **more: Any) -> dict[str, Any]:
    import resource

    import jax

    return {
        "peer": peer,
        "sps": figures,
        "median": statistics.median(figures),
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "compile_s": compile_s,
        **more,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "devices": [str(d) for d in jax.devices()],
        "python": sys.executable,
    }


def socialjax_inprocess(
    num_envs: int,
    num_steps: int,
    updates: int,
    epochs: int,
    minibatches: int,
    repeats: int,
    src: Path,
    reward: str = "common",
    warmup: int = 1,
) -> dict[str, Any]:
    """Measure SocialJax's Cleanup IPPO in this interpreter (see :func:`measure_socialjax`)."""
    sys.path.insert(0, str(src))
    try:
        import wandb
        from algorithms.IPPO import ippo_cnn_cleanup
        from hydra import compose, initialize_config_dir
        from omegaconf import OmegaConf
    except ImportError as err:
        raise PeerUnavailable(f"SocialJax is not importable ({err}); {SOCIALJAX_INSTALL}") from err
    wandb.init(mode="disabled")
    config_dir = src / "algorithms" / "IPPO" / "config"
    with initialize_config_dir(version_base=None, config_dir=str(config_dir)):
        config = compose(config_name="ippo_cnn_cleanup", overrides=[f"reward={reward}"])
    config = OmegaConf.to_container(config)
    config.update(
        NUM_ENVS=num_envs,
        NUM_STEPS=num_steps,
        UPDATE_EPOCHS=epochs,
        NUM_MINIBATCHES=minibatches,
        TOTAL_TIMESTEPS=num_envs * num_steps * updates,
    )
    env = ippo_cnn_cleanup.socialjax.make(config["ENV_NAME"], **config["ENV_KWARGS"])
    steps_per_call = num_envs * num_steps * updates
    figures, seconds, compile_s, parameters = _time_train(
        ippo_cnn_cleanup.make_train, config, steps_per_call, repeats, warmup
    )
    if config["NUM_UPDATES"] != updates:  # make_train sets it from TOTAL_TIMESTEPS
        raise RuntimeError(f"SocialJax ran {config['NUM_UPDATES']} updates, not {updates}")
    return _record(
        "socialjax ippo_cnn_cleanup",
        figures,
        seconds,
        compile_s,
        config={
            "num_envs": num_envs,
            "num_steps": num_steps,
            "updates": updates,
            "epochs": epochs,
            "minibatches": minibatches,
            "warmup": warmup,
            "steps_per_call": steps_per_call,
            "agents": env.num_agents,
            "num_actors": config["NUM_ACTORS"],
            "minibatch_size": config["MINIBATCH_SIZE"],
            "reward": reward,
            "peer_config": config,
        },
        env={
            "name": config["ENV_NAME"],
            "agents": env.num_agents,
            "obs_shape": list(env.observation_space()[0].shape),
            "actions": int(env.action_space().n),
            "parameters": int(parameters),
        },
        versions={
            "socialjax_commit": _commit(src),
            **_versions("jax", "jaxlib", "flax", "optax", "distrax", "numpy"),
        },
    )


def jaxmarl_coin_inprocess(
    num_envs: int,
    num_steps: int,
    updates: int,
    epochs: int,
    minibatches: int,
    repeats: int,
    src: Path,
    warmup: int = 1,
) -> dict[str, Any]:
    """Measure JaxMARL's IPPO-FF on the Coin Game here (see :func:`measure_jaxmarl_coin`)."""
    import io

    sys.path.insert(0, str(src))
    saved = sys.stdout, sys.__stdout__  # jaxmarl prints on import (see peers_envs)
    sys.stdout = sys.__stdout__ = io.StringIO()
    try:
        import wandb
        from baselines.IPPO import ippo_ff_mpe
        from omegaconf import OmegaConf
    except ImportError as err:
        raise PeerUnavailable(f"JaxMARL IPPO is not importable ({err}); {JAXMARL_INSTALL}") from err
    finally:
        sys.stdout, sys.__stdout__ = saved

    # The two patches of the module docstring, to this module object only.
    unbatchify = ippo_ff_mpe.unbatchify
    ippo_ff_mpe.unbatchify = lambda *args: {
        agent: actions.squeeze(-1) for agent, actions in unbatchify(*args).items()
    }
    ippo_ff_mpe.LogWrapper = functools.partial(ippo_ff_mpe.LogWrapper, replace_info=True)

    wandb.init(mode="disabled")
    config = OmegaConf.to_container(
        OmegaConf.load(src / "baselines" / "IPPO" / "config" / "ippo_ff_mpe.yaml")
    )
    config.update(
        ENV_NAME="coin_game",
        ENV_KWARGS={},
        NUM_ENVS=num_envs,
        NUM_STEPS=num_steps,
        UPDATE_EPOCHS=epochs,
        NUM_MINIBATCHES=minibatches,
        TOTAL_TIMESTEPS=num_envs * num_steps * updates,
    )
    env = ippo_ff_mpe.jaxmarl.make(config["ENV_NAME"], **config["ENV_KWARGS"])
    agent = env.agents[0]
    steps_per_call = num_envs * num_steps * updates
    figures, seconds, compile_s, parameters = _time_train(
        ippo_ff_mpe.make_train, config, steps_per_call, repeats, warmup
    )
    if config["NUM_UPDATES"] != updates:
        raise RuntimeError(f"JaxMARL ran {config['NUM_UPDATES']} updates, not {updates}")
    return _record(
        "jaxmarl ippo_ff coin_game",
        figures,
        seconds,
        compile_s,
        config={
            "num_envs": num_envs,
            "num_steps": num_steps,
            "updates": updates,
            "epochs": epochs,
            "minibatches": minibatches,
            "warmup": warmup,
            "steps_per_call": steps_per_call,
            "agents": env.num_agents,
            "num_actors": config["NUM_ACTORS"],
            "minibatch_size": config["MINIBATCH_SIZE"],
            "peer_config": config,
        },
        env={
            "name": config["ENV_NAME"],
            "agents": env.num_agents,
            "obs_shape": list(env.observation_space(agent).shape),
            "actions": int(env.action_space(agent).n),
            "inner_steps": env.num_inner_steps,
            "outer_steps": env.num_outer_steps,
            "parameters": int(parameters),
        },
        versions={
            "jaxmarl_baselines_commit": _commit(src),
            **_versions("jaxmarl", "jax", "jaxlib", "flax", "optax", "distrax", "numpy"),
        },
    )


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="peer", required=True)
    defaults = {
        "socialjax": {"num_envs": 4, "num_steps": 32, "updates": 2, "epochs": 2},
        "jaxmarl-coin": {"num_envs": 16, "num_steps": 128, "updates": 4, "epochs": 4},
    }
    for peer, sizes in defaults.items():
        p = sub.add_parser(peer, help="prints one JSON line")
        p.add_argument("--num-envs", type=int, default=sizes["num_envs"])
        p.add_argument("--num-steps", type=int, default=sizes["num_steps"])
        p.add_argument("--updates", type=int, default=sizes["updates"])
        p.add_argument("--epochs", type=int, default=sizes["epochs"])
        p.add_argument("--minibatches", type=int, default=4)
        p.add_argument("--repeats", type=int, default=3)
        p.add_argument("--warmup", type=int, default=1, help="untimed calls after compiling")
        p.add_argument("--python", default=None, help="the peer's interpreter")
        p.add_argument("--src", default=None, help="the peer's checkout")
        p.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
        if peer == "socialjax":
            p.add_argument("--reward", choices=("common", "individual"), default="common")
    args = parser.parse_args(argv)
    sizes = {
        "num_envs": args.num_envs,
        "num_steps": args.num_steps,
        "updates": args.updates,
        "epochs": args.epochs,
        "minibatches": args.minibatches,
        "repeats": args.repeats,
    }
    try:
        if args.in_process:
            flags = os.environ.get("XLA_FLAGS", "")
            if PEER_XLA_FLAGS not in flags.split():  # jax is not imported yet
                os.environ["XLA_FLAGS"] = f"{flags} {PEER_XLA_FLAGS}".strip()
            src = Path(args.src).resolve()
            if args.peer == "socialjax":
                result = socialjax_inprocess(
                    **sizes, src=src, reward=args.reward, warmup=args.warmup
                )
            else:
                result = jaxmarl_coin_inprocess(**sizes, src=src, warmup=args.warmup)
        elif args.peer == "socialjax":
            result = measure_socialjax(
                **sizes, python=args.python, src=args.src, reward=args.reward, warmup=args.warmup
            )
        else:
            result = measure_jaxmarl_coin(
                **sizes, python=args.python, src=args.src, warmup=args.warmup
            )
    except PeerUnavailable as err:
        print(f"{_UNAVAILABLE}{err}", file=sys.stderr)
        return _EXIT_UNAVAILABLE
    except ValueError as err:
        if args.in_process:  # the peer's own error: keep its traceback
            raise
        parser.error(str(err))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
