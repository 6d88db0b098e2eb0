"""Watch an environment: roll out a policy, collect ``env.render`` frames, write a GIF.

>>> import jax
>>> from prosocial import envs
>>> from prosocial.envs.render import rollout_frames, write_gif
>>> env = envs.make("coin_game", max_steps=5)
>>> frames = rollout_frames(env, jax.random.PRNGKey(0))
>>> frames.shape  # the first state, then one frame per step
(6, 72, 72, 3)

``rollout_frames`` compiles one function, a policy step and an environment step and a
render, and calls it once per step from Python: it is a viewer, not a hot path, and it
stops at the end of the episode, whose length is known only as it runs. Its last frame
shows the final state of the episode (``transition_fn``'s state, before the automatic
reset); a rollout of a fixed number of steps that crosses an episode end goes on from
the next episode's first state, and shows that episode from its first step.

The GIF is written with Pillow (installed with matplotlib), imported when writing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.envs.core import Environment
from prosocial.errors import ConfigError
from prosocial.registry import Registry

# A policy factory takes ``(env, params)`` and gives ``act(key, obs) -> actions (n,)``.
POLICIES: Registry[Callable] = Registry("policy")

MAX_EPISODE_STEPS = 10_000  # a rollout of "one episode" stops here if the episode does not
MIN_SIDE = 320  # the automatic scale makes a frame's longer side at least this many pixels
MAX_FPS = 50  # GIF delays are whole hundredths of a second: 20 ms is the shortest


def check_options(steps: int | None = None, fps: float | None = None, scale: int | None = None):
    """Raise a :class:`ConfigError` naming the first option out of range (``None``: unchecked)."""
    for field, value in (("steps", steps), ("scale", scale)):
        if value is not None and not value >= 1:
            raise ConfigError(field, f"{value} is not accepted; accepted: an integer >= 1")
    if fps is not None and not 0 < fps <= MAX_FPS:
        raise ConfigError("fps", f"{fps} is not accepted; accepted: a number in (0, {MAX_FPS}]")


@POLICIES.register("random")
def random_policy(env: Environment, params) -> Callable:
    """Every agent draws its action uniformly from its action space."""
    space = env.action_space(params)
    n = env.num_agents(params)

    def act(key: jax.Array, obs: jax.Array) -> jax.Array:
        return space.sample(key, (n,))

    return act


def rollout_frames(
    env: Environment,
    key: jax.Array,
    steps: int | None = None,
    policy: str | Callable = "random",
    params=None,
) -> np.ndarray:
    """Frames of a rollout, ``uint8 (T + 1, H, W, 3)``: the first state, then each step's.

    Args:
        env: the environment.
        key: the rollout's key (reset, actions and steps are all drawn from it).
        steps: the number of steps; ``None`` for one episode (at most
            ``MAX_EPISODE_STEPS``).
        policy: a name registered in ``POLICIES`` (``"random"``) or a factory
            ``(env, params) -> act(key, obs) -> actions``.
        params: the environment's parameters (``env.params`` by default).
    """
    params = env.params if params is None else params
    check_options(steps=steps)
    factory = POLICIES.get(policy) if isinstance(policy, str) else policy
    act = factory(env, params)

    @jax.jit
    def start(key):
        obs, state = env.reset(key, params)
        return obs, state, env.render(state, params)

    @jax.jit
    def advance(key, obs, state):
        key_act, key_step, key_reset = jax.random.split(key, 3)
        actions = act(key_act, obs)
        state, _, terminated, truncated, _ = env.transition_fn(key_step, state, actions, params)
        frame = env.render(state, params)
        done = jnp.all(terminated | truncated)
        fresh = env.init_fn(key_reset, params)
        state = jax.tree.map(lambda r, s: jnp.where(done, r, s), fresh, state)
        return env.observe_fn(state, params), state, frame, done

    key, key_reset = jax.random.split(key)
    obs, state, frame = start(key_reset)
    frames = [frame]
    limit = MAX_EPISODE_STEPS if steps is None else steps
    for _ in range(limit):
        key, key_step = jax.random.split(key)
        obs, state, frame, done = advance(key_step, obs, state)
        frames.append(frame)
        if steps is None and bool(done):
            break
    return np.asarray(jnp.stack(frames))


def auto_scale(frame_shape: tuple[int, ...]) -> int:
    """The smallest whole zoom that makes a frame's longer side at least ``MIN_SIDE`` px."""
    return max(1, math.ceil(MIN_SIDE / max(frame_shape[0], frame_shape[1])))


def write_gif(frames: np.ndarray, path: str | Path, fps: float = 10.0, scale: int | None = None):
    """Write ``frames`` (``uint8 (T, H, W, 3)``) as a looping GIF at ``fps`` frames a second.

    Each frame is enlarged ``scale`` times without smoothing (``None``: :func:`auto_scale`),
    so that cells stay sharp. The file is written under a temporary name and renamed, so
    a failure leaves no half-written GIF. Consecutive identical frames are stored once,
    with their delays added (Pillow does this), so the playing time is always
    ``T / fps`` seconds, to the GIF's 10 ms resolution.
    """
    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - Pillow comes with matplotlib
        raise ImportError("writing a GIF needs Pillow: pip install pillow") from err

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or not len(frames):
        raise ValueError(f"expected uint8 frames of shape (T, H, W, 3), got {frames.shape}")
    check_options(fps=fps, scale=scale)
    scale = auto_scale(frames.shape[1:]) if scale is None else int(scale)
    if scale > 1:
        frames = frames.repeat(scale, axis=1).repeat(scale, axis=2)
    images = [Image.fromarray(f) for f in frames]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".partial-{os.getpid()}-{path.name}")  # the umask's permissions
    try:
        images[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=round(1000 / fps),
            loop=0,
        )
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
