"""The functional environment API shared by every sequential game of prosocial.

An environment is a frozen bundle of pure functions over pytrees, in the style of
gymnax, with every per-agent quantity indexed by agent on the leading axis:

    obs, state = env.reset(key, params)
    obs, state, rewards, terminated, truncated, info = env.step(key, state, actions, params)

* ``actions``: integer array of shape ``(n,)``;
* ``obs``: array of shape ``(n, *observation_space.shape)``;
* ``rewards``: float32 ``(n,)``; ``terminated``, ``truncated``: bool ``(n,)``;
* ``info``: a flat dict of arrays with namespaced keys (``"coin/own"``, ...), the game's
  own per-step counters, which the episode-statistics wrapper and
  :mod:`prosocial.metrics` read.

``step`` resets automatically: on the step where every agent is terminated or
truncated, it returns the rewards and flags of that last step, but the observation and
state of a fresh episode drawn with the same key. ``params`` is optional in both calls
(``env.params``, the values given to :func:`prosocial.envs.make`, by default); its
fields that fix array shapes (map, number of agents, view) are static, the others are
data that may be traced and vmapped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.errors import ConfigError
from prosocial.registry import Registry


@dataclasses.dataclass(frozen=True)
class Discrete:
    """Integers ``0 .. n - 1``."""

    n: int
    dtype: Any = jnp.int32

    @property
    def shape(self) -> tuple[int, ...]:
        return ()

    def sample(self, key: jax.Array, shape: tuple[int, ...] = ()) -> jax.Array:
        return jax.random.randint(key, shape, 0, self.n, dtype=self.dtype)

    def contains(self, x) -> bool:
        x = np.asarray(x)
        return bool(np.issubdtype(x.dtype, np.integer) and np.all((x >= 0) & (x < self.n)))


@dataclasses.dataclass(frozen=True)
class Box:
    """Arrays of ``shape`` and ``dtype`` with every entry in ``[low, high]``."""

    low: float
    high: float
    shape: tuple[int, ...]
    dtype: Any = jnp.float32

    def sample(self, key: jax.Array, shape: tuple[int, ...] = ()) -> jax.Array:
        full = (*shape, *self.shape)
        if jnp.issubdtype(self.dtype, jnp.integer):
            return jax.random.randint(key, full, int(self.low), int(self.high) + 1).astype(
                self.dtype
            )
        return jax.random.uniform(key, full, self.dtype, self.low, self.high)

    def contains(self, x) -> bool:
        """Whether ``x`` (one observation, or a batch of them) lies in the box."""
        x = np.asarray(x)
        return bool(
            x.shape[x.ndim - len(self.shape) :] == tuple(self.shape)
            and x.dtype == np.dtype(self.dtype)
            and np.all(np.isfinite(x))
            and np.all((x >= self.low) & (x <= self.high))
        )


@dataclasses.dataclass(frozen=True)
class Environment:
    """A sequential game as pure functions (see the module docstring).

    A game supplies three functions and the core composes ``reset`` and ``step`` from
    them, so that the automatic reset draws a fresh state but computes only one
    observation:

    * ``init_fn(key, params) -> state``: the first state of an episode;
    * ``transition_fn(key, state, actions, params) -> (state, rewards, terminated,
      truncated, info)``: one step of every agent;
    * ``observe_fn(state, params) -> obs``: every agent's observation.

    Attributes:
        name: the registry name.
        params: the default parameters (a frozen dataclass pytree).
        observation_space: ``params -> Box`` of one agent's observation.
        action_space: ``params -> Discrete`` of one agent's action.
        action_names: ``params -> tuple`` naming each action index.
        render_fn: ``(state, params) -> uint8 (H, W, 3)`` image.
    """

    name: str
    params: Any
    init_fn: Callable
    transition_fn: Callable
    observe_fn: Callable
    observation_space: Callable[[Any], Box]
    action_space: Callable[[Any], Discrete]
    action_names: Callable[[Any], tuple[str, ...]]
    render_fn: Callable

    def num_agents(self, params=None) -> int:
        return int((self.params if params is None else params).num_agents)

    def reset(self, key: jax.Array, params=None):
        """``(obs, state)`` of a fresh episode."""
        params = self.params if params is None else params
        state = self.init_fn(key, params)
        return self.observe_fn(state, params), state

    def step(self, key: jax.Array, state, actions: jax.Array, params=None):
        """One step of every agent, then a fresh episode where this one ended."""
        params = self.params if params is None else params
        key_step, key_reset = jax.random.split(key)
        next_state, rewards, terminated, truncated, info = self.transition_fn(
            key_step, state, actions, params
        )
        done = jnp.all(terminated | truncated)
        fresh = self.init_fn(key_reset, params)
        next_state = jax.tree.map(lambda r, s: jnp.where(done, r, s), fresh, next_state)
        return self.observe_fn(next_state, params), next_state, rewards, terminated, truncated, info

    def render(self, state, params=None) -> jax.Array:
        return self.render_fn(state, self.params if params is None else params)

    def replace(self, **params) -> Environment:
        """The same environment with some default parameters replaced (validated)."""
        return dataclasses.replace(self, params=replace_params(self.name, self.params, params))


ENVS: Registry[Environment] = Registry("environment")


def register(name: str, default_params: Callable[[], Any]):
    """Register an environment factory; ``make(name, **overrides)`` validates overrides."""

    def add(build: Callable[[Any], Environment]):
        def factory(**overrides) -> Environment:
            params = replace_params(name, default_params(), overrides)
            return build(params)

        ENVS.register(name, factory)
        return build

    return add


def make(name: str, /, **params) -> Environment:
    """The environment registered under ``name`` with some parameters replaced."""
    from prosocial.envs import _load_all

    _load_all()
    return ENVS.make(name, **params)


def names() -> tuple[str, ...]:
    from prosocial.envs import _load_all

    _load_all()
    return ENVS.names()


def replace_params(env_name: str, params, overrides: dict):
    """``params`` with ``overrides`` applied; unknown fields and bad values raise."""
    fields = {f.name for f in dataclasses.fields(params)}
    for key in overrides:
        if key not in fields:
            raise ConfigError(
                f"{env_name}.{key}", f"no such parameter; accepted: {', '.join(sorted(fields))}"
            )
    params = dataclasses.replace(params, **overrides)
    check = getattr(params, "validate", None)
    if check is not None:
        check(env_name)
    return params


def require(condition: bool, env_name: str, field: str, message: str) -> None:
    """Raise a :class:`ConfigError` naming ``env_name.field`` unless ``condition``."""
    if not condition:
        raise ConfigError(f"{env_name}.{field}", message)


# Bounds that keep every environment's arrays comfortably in memory and its counters
# within int32 (checked by the games' ``validate``):
MAX_AGENTS = 256
"""At most this many agents."""
MAX_SIDE = 2048
"""At most this many cells along a grid side (map rows, map width, views, beams)."""
MAX_STEPS = 2**31 - 1
"""Episode lengths stay within int32."""
MAX_ELEMENTS = 2**26
"""At most this many entries (about 67 million) in one per-step array of a game: all
agents' observations, or a per-map lookup table."""
MAX_REAL = float(np.finfo(np.float32).max)
"""Rewards and other real parameters must be finite in float32."""


def _concrete(value) -> bool:
    return not isinstance(value, jax.core.Tracer)


def require_int(value, env_name: str, field: str, low: int, high: int, *, data: bool = False):
    """Require an integer in ``[low, high]`` (not a bool).

    ``data``: the field is data that may be traced (skipped) or given as a 0-d integer
    array; a static field must be a Python or NumPy integer.
    """
    if data and not _concrete(value):
        return
    if data and isinstance(value, np.ndarray | jax.Array) and np.ndim(value) == 0:
        arr = np.asarray(value)
        ok = np.issubdtype(arr.dtype, np.integer)
        value = int(arr) if ok else value
    else:
        ok = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    require(
        ok and low <= int(value) <= high,
        env_name,
        field,
        f"{value!r} is not accepted; accepted: an integer in {low}..{high}",
    )


def require_real(
    value,
    env_name: str,
    field: str,
    low: float = -MAX_REAL,
    high: float = MAX_REAL,
    *,
    accepted: str | None = None,
):
    """Require a real number in ``[low, high]``, finite in float32 (traced: skipped)."""
    if not _concrete(value):
        return
    ok = not isinstance(value, bool | np.bool_ | str | bytes) and np.ndim(value) == 0
    if ok:
        arr = np.asarray(value)
        ok = np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
        ok = ok and bool(np.isfinite(arr)) and low <= float(arr) <= high
        ok = ok and abs(float(arr)) <= MAX_REAL
    if accepted is None and (low, high) == (-MAX_REAL, MAX_REAL):
        accepted = "a finite number of magnitude at most 3.4e38 (float32)"
    elif accepted is None:
        accepted = f"a finite number in [{low:g}, {high:g}]"
    require(ok, env_name, field, f"accepted: {accepted}; got {value!r}")


def require_bool(value, env_name: str, field: str):
    """Require ``True`` or ``False``."""
    if not _concrete(value):
        return
    require(
        isinstance(value, bool | np.bool_)
        or (
            isinstance(value, np.ndarray | jax.Array) and value.shape == () and value.dtype == bool
        ),
        env_name,
        field,
        f"accepted: True or False; got {value!r}",
    )


def require_elements(count: int, env_name: str, field: str, what: str):
    """Require that an array of ``count`` entries (described by ``what``) stays bounded."""
    require(
        count <= MAX_ELEMENTS,
        env_name,
        field,
        f"{what} would need {count:,} entries; accepted: at most {MAX_ELEMENTS:,}",
    )
