"""The sequential stag hunt (SSH) of LASE (Kong et al., NeurIPS 2024).

Rules. LASE's paper names the game but its parameters were not available to us; they are
taken from the first author's development code (``env.py``, ``StagHuntEnv``, github
``kfq20/Empathy``, branch ``master`` at c3f1608), and every point where we
depart from that code is marked *ours*:

* ``num_agents`` hunters (4) on a bounded ``height × width`` grid (5 × 5), with
  ``num_stags`` stags (2) and ``num_hares`` hares (4). Prey never move and never come
  back once caught. Episodes last ``max_steps`` steps (30), then truncate.
* Start: the hunters on distinct uniformly random cells; the prey, independently of the
  hunters, on distinct uniformly random cells (a hunter may start on a prey), as in the
  development code.
* Actions: ``up, down, left, right, stay, hunt`` (north is row 0). A move off the grid
  keeps the hunter in place. Hunters may share a cell (they must, to catch a stag), so
  moves never conflict.
* A prey is caught when at least ``stag_hunters`` (2) hunters standing on a stag's cell,
  or at least one standing on a hare's cell, choose ``hunt`` in the same step. The prey's
  reward, ``stag_reward`` (10) or ``hare_reward`` (1), is split equally among the hunters
  of its cell, and the prey disappears.
* A hunter that took part in a catch is *terminal* for the rest of the episode
  (``terminated[i]`` stays true): it leaves the board (no other hunter sees it), its later
  actions are ignored and it receives 0. A hunt that catches nothing (a lone hunter on a
  stag, or a hunt on an empty cell) costs nothing but the step, and the hunter stays in
  play. The episode ends when every hunter is terminal or at ``max_steps``.

Choices where the development code differs or is silent (*ours*):

* One ``hunt`` action catches whatever prey is on the hunter's cell. The development code
  hunts a hare with action 5 but a stag with the *no-op* (a hunter that stays, or whose
  move or hare-hunt is masked into a no-op, while on a stag). An explicit hunt for both
  keeps "stand by" and "hunt" apart: a hunter may wait on a stag for a partner.
* Invalid actions are not masked: a move off the grid is a stay, a hunt with no prey is a
  wasted step (the development code masks both into the no-op, which the previous point
  makes equivalent except on a stag).
* Terminal hunters keep their position but are removed from every observation, as the
  development code clears their channel.

Observation of hunter ``i``: the ``(2r + 1) × (2r + 1)`` window (``r = view_radius``, 2)
of the board centred on it, north up (the game has no orientation: the window of
:func:`prosocial.envs.grid.north_up_windows`), as uint8 channels
``[stag, hare, outside the grid, self, other hunters]``; the last channel
*counts* the other hunters in play on each cell (0 .. n − 1), since how many stand on a
stag is what decides a catch. A terminal hunter's self channel is empty. The
development code instead has one channel per hunter (absolute identities), then stag,
hare and outside channels.

Counters in ``info`` (per hunter, this step): ``stag_hunt/stags`` and
``stag_hunt/hares``, the stags and hares the hunter took part in catching.

Registered as ``stag_hunt``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from prosocial.envs import grid
from prosocial.envs.core import (
    MAX_AGENTS,
    MAX_SIDE,
    MAX_STEPS,
    Box,
    Discrete,
    Environment,
    register,
    require,
    require_elements,
    require_int,
    require_real,
)

ACTIONS = ("up", "down", "left", "right", "stay", "hunt")
STAY, HUNT = ACTIONS.index("stay"), ACTIONS.index("hunt")
FLOOR, STAG, HARE, OUTSIDE = range(4)
_MOVES = np.array([[-1, 0], [1, 0], [0, -1], [0, 1], [0, 0], [0, 0]], np.int32)  # per action


@struct.dataclass
class StagHuntParams:
    num_agents: int = struct.field(pytree_node=False, default=4)
    height: int = struct.field(pytree_node=False, default=5)
    width: int = struct.field(pytree_node=False, default=5)
    num_stags: int = struct.field(pytree_node=False, default=2)
    num_hares: int = struct.field(pytree_node=False, default=4)
    view_radius: int = struct.field(pytree_node=False, default=2)
    max_steps: int = 30
    stag_reward: float = 10.0
    hare_reward: float = 1.0
    stag_hunters: int = 2

    def validate(self, env: str) -> None:
        for name in ("num_agents", "height", "width", "num_stags", "num_hares", "view_radius"):
            value = getattr(self, name)
            require(
                isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_),
                env,
                name,
                f"must be an integer, got {value!r}",
            )
        require(self.num_agents >= 2, env, "num_agents", f"needs at least 2, got {self.num_agents}")
        require_int(self.num_agents, env, "num_agents", 2, MAX_AGENTS)
        require_int(self.height, env, "height", 1, MAX_SIDE)
        require_int(self.width, env, "width", 1, MAX_SIDE)
        require(self.num_stags >= 0, env, "num_stags", f"must be >= 0, got {self.num_stags}")
        require(self.num_hares >= 0, env, "num_hares", f"must be >= 0, got {self.num_hares}")
        require_int(self.num_stags, env, "num_stags", 0, MAX_SIDE**2)
        require_int(self.num_hares, env, "num_hares", 0, MAX_SIDE**2)
        cells = self.height * self.width
        require(
            self.num_agents <= cells,
            env,
            "num_agents",
            f"{self.num_agents} hunters do not fit on distinct cells of a "
            f"{self.height}x{self.width} grid ({cells} cells)",
        )
        require(
            self.num_stags + self.num_hares <= cells,
            env,
            "num_stags",
            f"{self.num_stags} stags and {self.num_hares} hares do not fit on distinct cells "
            f"of a {self.height}x{self.width} grid ({cells} cells)",
        )
        require_int(self.view_radius, env, "view_radius", 0, MAX_SIDE)
        require_elements(
            self.num_agents * (2 * self.view_radius + 1) ** 2,
            env,
            "view_radius",
            f"the views of {self.num_agents} agents",
        )
        require_int(self.max_steps, env, "max_steps", 1, MAX_STEPS, data=True)
        require_int(self.stag_hunters, env, "stag_hunters", 1, self.num_agents, data=True)
        for name in ("stag_reward", "hare_reward"):
            value = getattr(self, name)
            require_real(value, env, name)


@struct.dataclass
class StagHuntState:
    pos: jax.Array  # (n, 2) int32
    stags: jax.Array  # (H, W) bool
    hares: jax.Array  # (H, W) bool
    done: jax.Array  # (n,) bool: terminal hunters
    t: jax.Array  # () int32


def _move(pos: jax.Array, actions: jax.Array, h: int, w: int) -> jax.Array:
    """Positions after every agent's move; a move off the grid keeps the agent in place."""
    target = pos + jnp.asarray(_MOVES)[actions]
    inside = (target >= 0) & (target < jnp.asarray([[h, w]], jnp.int32))
    return jnp.where(jnp.all(inside, axis=-1, keepdims=True), target, pos)


def _init(key, params: StagHuntParams) -> StagHuntState:
    n, h, w = params.num_agents, params.height, params.width
    s, m = params.num_stags, params.num_stags + params.num_hares
    bits = jax.random.bits(key, (n + m,), jnp.uint32)
    agents = grid.sample_cells(bits[:n], h * w)
    prey = grid.sample_cells(bits[n:], h * w)
    cells = jnp.arange(h * w, dtype=jnp.int32)[None]
    stags = jnp.any(prey[:s, None] == cells, axis=0).reshape(h, w)
    hares = jnp.any(prey[s:, None] == cells, axis=0).reshape(h, w)
    pos = jnp.stack([agents // w, agents % w], axis=-1)
    return StagHuntState(pos, stags, hares, jnp.zeros(n, bool), jnp.zeros((), jnp.int32))


def _step(key, state: StagHuntState, actions, params: StagHuntParams):
    del key  # the stag hunt is deterministic given the actions
    n, h, w = params.num_agents, params.height, params.width
    active = ~state.done
    actions = jnp.where(active, actions, STAY)
    pos = _move(state.pos, actions, h, w)
    hunting = active & (actions == HUNT)

    flat = pos[:, 0] * w + pos[:, 1]
    here = flat[:, None] == jnp.arange(h * w, dtype=jnp.int32)[None]  # (n, H*W)
    hunters = jnp.sum(here & hunting[:, None], axis=0)  # hunters per cell
    stags, hares = state.stags.reshape(-1), state.hares.reshape(-1)
    stag_caught = stags & (hunters >= params.stag_hunters)
    hare_caught = hares & (hunters >= 1)
    got_stag = hunting & stag_caught[flat]
    got_hare = hunting & hare_caught[flat]
    share = 1.0 / jnp.maximum(hunters[flat], 1).astype(jnp.float32)
    rewards = (got_stag * params.stag_reward + got_hare * params.hare_reward) * share

    t = state.t + 1
    done = state.done | got_stag | got_hare
    next_state = StagHuntState(
        pos,
        (stags & ~stag_caught).reshape(h, w),
        (hares & ~hare_caught).reshape(h, w),
        done,
        t,
    )
    truncated = jnp.broadcast_to(t >= params.max_steps, (n,))
    info = {
        "stag_hunt/stags": got_stag.astype(jnp.int32),
        "stag_hunt/hares": got_hare.astype(jnp.int32),
    }
    return next_state, rewards.astype(jnp.float32), done, truncated, info


def _observe(state: StagHuntState, params: StagHuntParams) -> jax.Array:
    h, w, r = params.height, params.width, params.view_radius
    active = ~state.done
    flat = state.pos[:, 0] * w + state.pos[:, 1]
    here = flat[:, None] == jnp.arange(h * w, dtype=jnp.int32)[None]
    in_play = jnp.sum(here & active[:, None], axis=0, dtype=jnp.int32).reshape(h, w)
    codes = jnp.where(state.stags, STAG, jnp.where(state.hares, HARE, FLOOR)).astype(jnp.int32)
    # one gather for terrain and hunters: code + 4 * (hunters in play on the cell)
    window = grid.north_up_windows(codes + 4 * in_play, state.pos, r, OUTSIDE)
    terrain = window % 4
    me = np.zeros((2 * r + 1, 2 * r + 1), np.int32)
    me[r, r] = 1
    self_here = jnp.asarray(me)[None] * active[:, None, None].astype(jnp.int32)
    others = window // 4 - self_here
    obs = jnp.stack(
        [terrain == STAG, terrain == HARE, terrain == OUTSIDE, self_here, others], axis=-1
    )
    return obs.astype(jnp.uint8)


def _observation_space(params: StagHuntParams) -> Box:
    side = 2 * params.view_radius + 1
    return Box(0, params.num_agents - 1, (side, side, 5), jnp.uint8)


_FLOOR, _STAG, _HARE, _LINE = (245, 245, 240), (120, 72, 30), (205, 170, 110), (200, 200, 200)


def _render(state: StagHuntState, params: StagHuntParams, scale: int = 24) -> jax.Array:
    """Prey as discs (stag dark brown, hare tan); hunters in play as squares, hunter ``i``
    in quadrant ``i mod 4`` of its cell so that hunters sharing a cell are all seen."""
    n, h, w = params.num_agents, params.height, params.width
    yy, xx = np.meshgrid(np.arange(h * scale), np.arange(w * scale), indexing="ij")
    row, col = yy // scale, xx // scale
    fy, fx = (yy % scale) / scale - 0.5, (xx % scale) / scale - 0.5
    disc = jnp.asarray(fy**2 + fx**2 < 0.3**2)
    line = jnp.asarray(((yy % scale) == 0) | ((xx % scale) == 0))
    image = jnp.where(line[..., None], grid.rgb(_LINE), grid.rgb(_FLOOR))
    image = jnp.where((disc & state.stags[row, col])[..., None], grid.rgb(_STAG), image)
    image = jnp.where((disc & state.hares[row, col])[..., None], grid.rgb(_HARE), image)
    # quadrant squares: agent i in the cell's quadrant (i // 2 % 2, i % 2)
    quad_r, quad_c = (np.arange(n) // 2) % 2, np.arange(n) % 2
    in_quad = (np.abs(fy[None] - (quad_r[:, None, None] - 0.5) / 2) < 0.17) & (
        np.abs(fx[None] - (quad_c[:, None, None] - 0.5) / 2) < 0.17
    )  # (n, H*s, W*s)
    at = (row[None] == state.pos[:, 0, None, None]) & (col[None] == state.pos[:, 1, None, None])
    shown = jnp.asarray(in_quad) & at & ~state.done[:, None, None]
    who = jnp.max(jnp.where(shown, jnp.arange(1, n + 1)[:, None, None], 0), axis=0)
    colours = grid.agent_colours(n)
    return jnp.where((who > 0)[..., None], colours[jnp.maximum(who - 1, 0)], image)


def _build(params: StagHuntParams) -> Environment:
    return Environment(
        name="stag_hunt",
        params=params,
        init_fn=_init,
        transition_fn=_step,
        observe_fn=_observe,
        observation_space=_observation_space,
        action_space=lambda p: Discrete(len(ACTIONS)),
        action_names=lambda p: ACTIONS,
        render_fn=_render,
    )


register("stag_hunt", StagHuntParams)(_build)
