"""The sequential snowdrift game (SSG) of LASE (Kong et al., NeurIPS 2024).

Rules. LASE's paper names the game but its parameters were not available to us; they are
taken from the first author's development code (``env.py``, ``SnowDriftEnv``, github
``kfq20/Empathy``, branch ``master`` at c3f1608), and every point where we
depart from that code is marked *ours*:

* ``num_agents`` players (4) on a bounded ``height × width`` grid (8 × 8) with
  ``num_drifts`` snowdrifts (6). Episodes last ``max_steps`` steps (50), then truncate.
* Start: the players on distinct uniformly random cells, the drifts on distinct uniformly
  random cells drawn independently of the players (a player may start on a drift).
* Actions: ``up, down, left, right, stay, remove`` (north is row 0). At most one player
  stands on a cell: a move off the grid keeps the player in place, and simultaneous moves
  are resolved by :func:`prosocial.envs.grid.resolve_moves` (a cell wanted by several
  players goes to one of them at random; a move into a cell whose occupant stays fails).
* ``remove`` on a drift clears it. Every player, the remover included, receives the
  drift's benefit ``drift_benefit`` (b = 6), and the remover alone pays ``removal_cost``
  (c = 4), so for each cleared drift the remover gets b − c = +2 and each other player
  +6. With ``k_t`` the drifts cleared in step t and ``removed_i`` whether player i
  cleared one,

      r_i = b · k_t − c · removed_i.

  This is the snowdrift dilemma: clearing pays the remover (b − c > 0) even if nobody
  else clears, but each player does better still when another clears (b > b − c), so
  everyone is tempted to wait for the others.
* With ``end_when_cleared`` (true by default, *ours*), the episode terminates for every
  player on the step that clears the last drift.

Choices where the development code differs or is silent (*ours*):

* The development code never ends the episode early (only at 50 steps; its comment "time
  limit, and exist snowdrift" suggests the early end was meant). We end it when no drift
  is left, since nothing can be earned afterwards; ``end_when_cleared=False`` plays all
  ``max_steps`` steps as that code does.
* Move conflicts: the development code moves players one at a time in index order, each
  blocked by a cell another player holds at that moment; we resolve simultaneous moves
  with the sequential-social-dilemma rules of the grid engine (random priority), so no
  player is favoured by its index. The development code draws its starting players
  independently, so two may share a cell; ours start on distinct cells.
* ``remove`` off a drift is a wasted step (the development code masks it into the no-op).

Observation of player ``i``: the ``(2r + 1) × (2r + 1)`` window (``r = view_radius``, 2)
of the board centred on it, north up (the window of
:func:`prosocial.envs.grid.north_up_windows`), as uint8 channels
``[drift, outside the grid, self, other players]``. The development code instead has
one channel per player (absolute identities), then drift and outside channels.

Counter in ``info`` (per player, this step): ``snowdrift/drifts``, the drifts it cleared.

Registered as ``snowdrift``.
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
    require_bool,
    require_elements,
    require_int,
    require_real,
)

ACTIONS = ("up", "down", "left", "right", "stay", "remove")
REMOVE = ACTIONS.index("remove")
FLOOR, DRIFT, OUTSIDE = range(3)
_MOVES = np.array([[-1, 0], [1, 0], [0, -1], [0, 1], [0, 0], [0, 0]], np.int32)  # per action


@struct.dataclass
class SnowdriftParams:
    num_agents: int = struct.field(pytree_node=False, default=4)
    height: int = struct.field(pytree_node=False, default=8)
    width: int = struct.field(pytree_node=False, default=8)
    num_drifts: int = struct.field(pytree_node=False, default=6)
    view_radius: int = struct.field(pytree_node=False, default=2)
    max_steps: int = 50
    drift_benefit: float = 6.0
    removal_cost: float = 4.0
    end_when_cleared: bool = True

    def validate(self, env: str) -> None:
        for name in ("num_agents", "height", "width", "num_drifts", "view_radius"):
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
        cells = self.height * self.width
        require(
            self.num_agents <= cells,
            env,
            "num_agents",
            f"{self.num_agents} players do not fit on distinct cells of a "
            f"{self.height}x{self.width} grid ({cells} cells)",
        )
        require(
            1 <= self.num_drifts <= cells,
            env,
            "num_drifts",
            f"accepted 1 .. {cells} (the cells of a {self.height}x{self.width} grid), "
            f"got {self.num_drifts}",
        )
        require_int(self.view_radius, env, "view_radius", 0, MAX_SIDE)
        require_elements(
            self.num_agents * (2 * self.view_radius + 1) ** 2,
            env,
            "view_radius",
            f"the views of {self.num_agents} agents",
        )
        require_int(self.max_steps, env, "max_steps", 1, MAX_STEPS, data=True)
        for name in ("drift_benefit", "removal_cost"):
            value = getattr(self, name)
            require_real(value, env, name)
        require_bool(self.end_when_cleared, env, "end_when_cleared")


@struct.dataclass
class SnowdriftState:
    pos: jax.Array  # (n, 2) int32
    drifts: jax.Array  # (H, W) bool
    t: jax.Array  # () int32


def _init(key, params: SnowdriftParams) -> SnowdriftState:
    n, h, w = params.num_agents, params.height, params.width
    bits = jax.random.bits(key, (n + params.num_drifts,), jnp.uint32)
    agents = grid.sample_cells(bits[:n], h * w)
    chosen = grid.sample_cells(bits[n:], h * w)
    drifts = jnp.any(chosen[:, None] == jnp.arange(h * w, dtype=jnp.int32)[None], axis=0)
    pos = jnp.stack([agents // w, agents % w], axis=-1)
    return SnowdriftState(pos, drifts.reshape(h, w), jnp.zeros((), jnp.int32))


def _step(key, state: SnowdriftState, actions, params: SnowdriftParams):
    n, h, w = params.num_agents, params.height, params.width
    target = state.pos + jnp.asarray(_MOVES)[actions]
    inside = (target >= 0) & (target < jnp.asarray([[h, w]], jnp.int32))
    target = jnp.where(jnp.all(inside, axis=-1, keepdims=True), target, state.pos)
    pos = grid.resolve_moves(key, state.pos, target)

    # a remover does not move, and no other player can enter its cell
    flat = pos[:, 0] * w + pos[:, 1]
    drifts = state.drifts.reshape(-1)
    removed = (actions == REMOVE) & drifts[flat]
    here = flat[:, None] == jnp.arange(h * w, dtype=jnp.int32)[None]  # (n, H*W)
    drifts = drifts & ~jnp.any(here & removed[:, None], axis=0)
    cleared = jnp.sum(removed, dtype=jnp.int32)
    rewards = params.drift_benefit * cleared - params.removal_cost * removed

    t = state.t + 1
    next_state = SnowdriftState(pos, drifts.reshape(h, w), t)
    ended = jnp.logical_and(params.end_when_cleared, ~jnp.any(drifts))
    terminated = jnp.broadcast_to(ended, (n,))
    truncated = jnp.broadcast_to(t >= params.max_steps, (n,))
    info = {"snowdrift/drifts": removed.astype(jnp.int32)}
    return next_state, rewards.astype(jnp.float32), terminated, truncated, info


def _observe(state: SnowdriftState, params: SnowdriftParams) -> jax.Array:
    n, h, w, r = params.num_agents, params.height, params.width, params.view_radius
    who = (
        jnp.zeros(h * w, jnp.int32)
        .at[state.pos[:, 0] * w + state.pos[:, 1]]
        .set(jnp.arange(1, n + 1, dtype=jnp.int32))
        .reshape(h, w)
    )
    codes = state.drifts.astype(jnp.int32)  # FLOOR or DRIFT
    # one gather for terrain and players: code + 3 * (1 + index of the player on the cell)
    window = grid.north_up_windows(codes + 3 * who, state.pos, r, OUTSIDE)
    terrain, player = window % 3, window // 3
    me = jnp.arange(1, n + 1, dtype=jnp.int32)[:, None, None]
    obs = jnp.stack(
        [terrain == DRIFT, terrain == OUTSIDE, player == me, (player > 0) & (player != me)],
        axis=-1,
    )
    return obs.astype(jnp.uint8)


def _observation_space(params: SnowdriftParams) -> Box:
    side = 2 * params.view_radius + 1
    return Box(0, 1, (side, side, 4), jnp.uint8)


_FLOOR, _DRIFT, _LINE = (120, 120, 120), (250, 250, 255), (90, 90, 90)


def _render(state: SnowdriftState, params: SnowdriftParams, scale: int = 16) -> jax.Array:
    """Grey road, white drifts, players as squares inside their cells (a drift under a
    player shows around it)."""
    n, h, w = params.num_agents, params.height, params.width
    yy, xx = np.meshgrid(np.arange(h * scale), np.arange(w * scale), indexing="ij")
    row, col = yy // scale, xx // scale
    inner = (np.abs((yy % scale) / scale - 0.5) < 0.3) & (np.abs((xx % scale) / scale - 0.5) < 0.3)
    line = jnp.asarray(((yy % scale) == 0) | ((xx % scale) == 0))
    image = jnp.where(line[..., None], grid.rgb(_LINE), grid.rgb(_FLOOR))
    image = jnp.where((state.drifts[row, col] & ~line)[..., None], grid.rgb(_DRIFT), image)
    who = (
        jnp.zeros((h, w), jnp.int32).at[state.pos[:, 0], state.pos[:, 1]].set(jnp.arange(1, n + 1))
    )
    shown = who[row, col]
    colours = grid.agent_colours(n)
    mark = jnp.asarray(inner) & (shown > 0)
    return jnp.where(mark[..., None], colours[jnp.maximum(shown - 1, 0)], image)


def _build(params: SnowdriftParams) -> Environment:
    return Environment(
        name="snowdrift",
        params=params,
        init_fn=_init,
        transition_fn=_step,
        observe_fn=_observe,
        observation_space=_observation_space,
        action_space=lambda p: Discrete(len(ACTIONS)),
        action_names=lambda p: ACTIONS,
        render_fn=_render,
    )


register("snowdrift", SnowdriftParams)(_build)
