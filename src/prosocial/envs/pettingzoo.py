"""A PettingZoo ``ParallelEnv`` for any prosocial environment.

>>> from prosocial.envs.pettingzoo import to_parallel_env
>>> env = to_parallel_env("coin_game", seed=0, max_steps=50)
>>> observations, infos = env.reset(seed=1)
>>> env.agents
['agent_0', 'agent_1']
>>> actions = {agent: env.action_space(agent).sample() for agent in env.agents}
>>> observations, rewards, terminations, truncations, infos = env.step(actions)

Needs the ``pettingzoo`` extra (``pip install 'prosocial[pettingzoo]'``: pettingzoo and
gymnasium). What the adapter does on each point of the API:

* ``possible_agents``: ``agent_0 .. agent_{n-1}``, agent ``i`` being index ``i`` of the
  environment's per-agent arrays; ``agents``: those still in the episode.
* ``observation_space(agent)``, ``action_space(agent)``: gymnasium ``Box`` and
  ``Discrete`` converted from ours, one object per agent, the same object every call.
* ``reset(seed, options)``: ``seed`` starts a new key stream, ``PRNGKey(seed)``; without
  it the stream goes on (from ``PRNGKey(seed)`` of the constructor on the first reset).
  Each reset and each step takes the next key of the stream,
  ``key, subkey = jax.random.split(key)``, so that ``reset(seed=s)`` observes what
  ``env.reset(jax.random.split(jax.random.PRNGKey(s))[1])`` does. ``options`` is unused.
* ``step(actions)``: a dict with an action for every agent in ``agents`` (agents that
  have left take the environment's ``stay`` or ``noop`` action, or action 0, in the
  underlying game). Returns dicts of observations, rewards (``float``), terminations and
  truncations (``bool``) and infos (the game's ``info`` counters, each agent's own entry)
  for the agents that acted. An agent whose termination or truncation is true is removed
  from ``agents`` and does not come back; once ``agents`` is empty the episode is over
  and ``reset`` must be called. The last observation is that of the final state: the
  adapter calls the game's ``transition_fn`` and ``observe_fn`` and does not reset
  automatically, unlike ``Environment.step``.
* ``render()``: with ``render_mode="rgb_array"``, ``env.render`` of the current state,
  ``uint8 (H, W, 3)``.

The reset, the step and the render are each compiled once per adapter; arrays become
numpy arrays once per call, at the boundary.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

try:
    import gymnasium
    from pettingzoo import ParallelEnv
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "the PettingZoo adapter needs pettingzoo and gymnasium: pip install 'prosocial[pettingzoo]'"
    ) from err

from prosocial.envs.core import Box, Discrete, Environment, make

RENDER_FPS = 10
_IDLE_ACTIONS = ("stay", "noop", "no_op")


def to_gymnasium_space(space: Box | Discrete) -> gymnasium.spaces.Space:
    """The gymnasium space holding the same values as one of ours."""
    if isinstance(space, Discrete):
        return gymnasium.spaces.Discrete(space.n)
    if isinstance(space, Box):
        dtype = np.dtype(space.dtype)
        return gymnasium.spaces.Box(space.low, space.high, tuple(space.shape), dtype)
    raise TypeError(f"no gymnasium space for {space!r}; accepted: Box, Discrete")


def to_parallel_env(
    env_or_name: Environment | str,
    seed: int = 0,
    render_mode: str | None = None,
    **params: Any,
) -> ProsocialParallelEnv:
    """A PettingZoo ``ParallelEnv`` of a registered name or an :class:`Environment`.

    Args:
        env_or_name: the environment, or its registry name.
        seed: the seed of the first ``reset()`` called without one.
        render_mode: ``None`` or ``"rgb_array"``.
        **params: parameters replaced in the environment's defaults (validated).
    """
    if isinstance(env_or_name, str):
        env = make(env_or_name, **params)
    else:
        env = env_or_name.replace(**params) if params else env_or_name
    return ProsocialParallelEnv(env, seed=seed, render_mode=render_mode)


class ProsocialParallelEnv(ParallelEnv):
    """See the module docstring; build one with :func:`to_parallel_env`."""

    def __init__(self, env: Environment, seed: int = 0, render_mode: str | None = None):
        if render_mode not in (None, "rgb_array"):
            raise ValueError(f"render_mode {render_mode!r} is not accepted; accepted: rgb_array")
        self.env = env
        self.params = params = env.params
        self.render_mode = render_mode
        self.metadata = {
            "name": env.name,
            "render_modes": ["rgb_array"],
            "render_fps": RENDER_FPS,
            "is_parallelizable": True,
        }
        n = env.num_agents(params)
        self.possible_agents = [f"agent_{i}" for i in range(n)]
        self.agents: list[str] = []
        self._index = {agent: i for i, agent in enumerate(self.possible_agents)}
        self._our_action_space = env.action_space(params)
        self._observation_spaces = {
            a: to_gymnasium_space(env.observation_space(params)) for a in self.possible_agents
        }
        self._action_spaces = {
            a: to_gymnasium_space(self._our_action_space) for a in self.possible_agents
        }
        names = tuple(env.action_names(params))
        self._idle_action = next((names.index(a) for a in _IDLE_ACTIONS if a in names), 0)
        self._seed = seed
        self._key = None
        self._state = None

        def reset_fn(key):
            key, subkey = jax.random.split(key)
            obs, state = env.reset(subkey, params)
            return key, obs, state

        def step_fn(key, state, actions):
            key, subkey = jax.random.split(key)
            state, rewards, terminated, truncated, info = env.transition_fn(
                subkey, state, actions, params
            )
            return key, state, (env.observe_fn(state, params), rewards, terminated, truncated, info)

        self._reset_fn = jax.jit(reset_fn)
        self._step_fn = jax.jit(step_fn)
        self._render_fn = jax.jit(lambda state: env.render(state, params))

    def observation_space(self, agent: str) -> gymnasium.spaces.Space:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Space:
        return self._action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None):
        if seed is not None:
            self._key = jax.random.PRNGKey(seed)
        elif self._key is None:
            self._key = jax.random.PRNGKey(self._seed)
        self._key, obs, self._state = self._reset_fn(self._key)
        self.agents = list(self.possible_agents)
        obs = np.array(obs)
        return (
            {a: obs[i] for i, a in enumerate(self.agents)},
            {a: {} for a in self.agents},
        )

    def step(self, actions: dict[str, Any]):
        if self._state is None:
            raise RuntimeError("step() before reset(): call reset() first")
        if not self.agents:
            raise RuntimeError("the episode has ended: call reset() first")
        acting = list(self.agents)
        joint = np.full(len(self.possible_agents), self._idle_action, np.int32)
        for agent, action in actions.items():
            if agent not in self._index:
                raise ValueError(
                    f"action for unknown agent {agent!r}; accepted: "
                    f"{', '.join(self.possible_agents)}"
                )
            if agent not in acting:
                continue  # an agent that has left: its action is ignored
            if np.ndim(action) or not self._our_action_space.contains(np.asarray(action)):
                raise ValueError(
                    f"{agent}: action {action!r} is not accepted; accepted: an integer in "
                    f"0..{self._our_action_space.n - 1}"
                )
            joint[self._index[agent]] = int(action)
        missing = [a for a in acting if a not in actions]
        if missing:
            raise ValueError(f"no action for {', '.join(missing)}; every agent in agents acts")
        self._key, self._state, out = self._step_fn(self._key, self._state, joint)
        obs, rewards, terminated, truncated, info = jax.device_get(out)
        obs = np.array(obs)
        n = len(self.possible_agents)
        index = [self._index[a] for a in acting]
        infos = {a: {} for a in acting}
        for name, value in info.items():
            value = np.asarray(value)
            per_agent = value.ndim >= 1 and value.shape[0] == n
            for a, i in zip(acting, index, strict=True):
                own = value[i] if per_agent else value
                infos[a][name] = own.item() if own.ndim == 0 else own
        result = (
            {a: obs[i] for a, i in zip(acting, index, strict=True)},
            {a: float(rewards[i]) for a, i in zip(acting, index, strict=True)},
            {a: bool(terminated[i]) for a, i in zip(acting, index, strict=True)},
            {a: bool(truncated[i]) for a, i in zip(acting, index, strict=True)},
            infos,
        )
        self.agents = [a for a in acting if not (result[2][a] or result[3][a])]
        return result

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            gymnasium.logger.warn(
                "render() without a render_mode: build the env with render_mode='rgb_array'"
            )
            return None
        if self._state is None:
            raise RuntimeError("render() before reset(): call reset() first")
        return np.asarray(self._render_fn(self._state))

    def close(self) -> None:
        self._state = None
        self.agents = []
