"""LASE's small Cleanup (Kong et al., NeurIPS 2024): waste on top, apples at the bottom.

Rules. LASE's paper evaluates on a Cleanup game but gives only its outline; the rules and
parameters below are those of the first author's development code (``env.py``,
``ModifiedCleanupEnv``, github ``kfq20/Empathy``, branch ``master`` at c3f1608), and every
point where we depart from that code, or settle what it leaves open, is marked *ours*.
It is not the sequential-social-dilemma Cleanup of :mod:`prosocial.envs.cleanup`: there
are no beams, no orientation and no walls.

* ``num_agents`` players (4) on a bounded ``height × width`` grid (8 × 8). The top
  ``waste_rows`` rows (2) are the river, where waste lies; the bottom ``apple_rows`` rows
  (2) are the orchard, where apples grow; the rows between are plain ground. Episodes
  last ``max_steps`` steps (100), then truncate; nothing ends them earlier.
* Start: the players on distinct uniformly random cells of the ground rows (rows 2 .. 5
  by default); ``initial_waste`` (8) waste cells on distinct uniformly random river cells;
  no apple at all.
* Actions: ``up, down, left, right, stay, clean, eat`` (north is row 0; the development
  code's indices). A move off the grid keeps the player in place. Players may share a
  cell (the development code's collision check is switched off), so moves never conflict.
* ``clean`` and ``eat`` act on the player's *own* cell only. ``clean`` on a waste cell
  removes the waste and costs ``clean_cost`` (0); ``eat`` on an apple removes the apple
  and pays ``apple_reward`` (1). Either action on a cell without its resource does
  nothing (the development code masks it into the no-op).
* After the actions, with ``w`` the waste cells left: with probability
  ``waste_spawn_prob`` (0.1), and if ``w < max_waste`` (8), one new waste cell appears on
  a uniformly random river cell without waste; independently, with probability
  ``1 − w / max_waste``, and if an orchard cell has no apple, *one* apple appears on a
  uniformly random orchard cell without an apple. At most one apple grows per step (not
  one draw per cell), and the apple probability reads ``w`` after this step's cleaning,
  before this step's new waste. New waste and apples may appear under a player.

So the river starts full (``w = 8``), no apple grows until somebody cleans, and with the
river clean an apple appears every step: cleaning earns nothing and costs a step, eating
earns 1, which is the public-goods dilemma.

Choices where the development code is ambiguous or that we make differently (*ours*):

* Two players on one cell who both ``clean`` its waste (or both ``eat`` its apple): one
  of them, chosen uniformly at random each step, gets it and the others' actions do
  nothing. The development code acts in index order, so the lower index always wins; a
  random winner favours no index (as :mod:`prosocial.envs.snowdrift` does for moves).
* ``max_waste`` is the development code's ``waste_num_origin``, used there both as the
  initial waste and as the cap; here ``initial_waste`` and ``max_waste`` are separate
  parameters, 8 both. The apple probability is clipped to ``[0, 1]`` should the initial
  waste exceed the cap.
* The development code tracks an orientation that nothing reads (its beams are commented
  out); we keep none.

Observation of player ``i``: the ``(2r + 1) × (2r + 1)`` window (``r = view_radius``, 2)
of the board centred on it, north up (the window of
:func:`prosocial.envs.grid.north_up_windows`), as uint8 channels
``[player 0, …, player n − 1, waste, apple, outside the grid]``, exactly the development
code's layout, channels last: one channel per player by *absolute* index (so a player
finds itself at the window's centre of channel ``i``), then waste, apple, and 1 on the
cells beyond the grid edge (all other channels are 0 there). Unlike
:mod:`prosocial.envs.stag_hunt` and :mod:`prosocial.envs.snowdrift`, which replace these
identities by ``self`` and ``others`` channels, we keep them: LASE's agents infer a
relationship to each co-player by name.

Counters in ``info`` (per player, this step): ``cleanup/waste_cleaned``, the waste cells
it cleaned, and ``cleanup/apples``, the apples it ate. They share the namespace of
:mod:`prosocial.envs.cleanup` so that the tables and metrics that read Cleanup's counters
(``agent/waste_cleaned``, ...) read this game too.

Registered as ``cleanup_lase``.
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

ACTIONS = ("up", "down", "left", "right", "stay", "clean", "eat")
STAY, CLEAN, EAT = ACTIONS.index("stay"), ACTIONS.index("clean"), ACTIONS.index("eat")
_MOVES = np.array([[-1, 0], [1, 0], [0, -1], [0, 1], [0, 0], [0, 0], [0, 0]], np.int32)
# window codes: terrain in the low bits, players above (see _observe)
_EMPTY, _WASTE, _APPLE, _OUTSIDE = 0, 1, 2, 3


@struct.dataclass
class CleanupLaseParams:
    num_agents: int = struct.field(pytree_node=False, default=4)
    height: int = struct.field(pytree_node=False, default=8)
    width: int = struct.field(pytree_node=False, default=8)
    waste_rows: int = struct.field(pytree_node=False, default=2)
    apple_rows: int = struct.field(pytree_node=False, default=2)
    initial_waste: int = struct.field(pytree_node=False, default=8)
    view_radius: int = struct.field(pytree_node=False, default=2)
    max_steps: int = 100
    max_waste: int = 8
    waste_spawn_prob: float = 0.1
    apple_reward: float = 1.0
    clean_cost: float = 0.0

    def validate(self, env: str) -> None:
        static = (
            "num_agents",
            "height",
            "width",
            "waste_rows",
            "apple_rows",
            "initial_waste",
            "view_radius",
        )
        for name in static:
            value = getattr(self, name)
            require(
                isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_),
                env,
                name,
                f"must be an integer, got {value!r}",
            )
        require(self.num_agents >= 2, env, "num_agents", f"needs at least 2, got {self.num_agents}")
        require_int(self.num_agents, env, "num_agents", 2, MAX_AGENTS)
        require_int(self.width, env, "width", 1, MAX_SIDE)
        require_int(self.waste_rows, env, "waste_rows", 1, MAX_SIDE)
        require_int(self.apple_rows, env, "apple_rows", 1, MAX_SIDE)
        require_int(self.height, env, "height", self.waste_rows + self.apple_rows + 1, MAX_SIDE)
        ground = (self.height - self.waste_rows - self.apple_rows) * self.width
        require(
            self.num_agents <= ground,
            env,
            "num_agents",
            f"{self.num_agents} players do not fit on distinct cells of the {ground} ground "
            f"cells between the river and the orchard",
        )
        river = self.waste_rows * self.width
        require_int(self.initial_waste, env, "initial_waste", 0, river)
        require_int(self.max_waste, env, "max_waste", 1, river, data=True)
        require_int(self.view_radius, env, "view_radius", 0, MAX_SIDE)
        require_elements(
            self.num_agents * (self.num_agents + 3) * (2 * self.view_radius + 1) ** 2,
            env,
            "view_radius",
            f"the views of {self.num_agents} agents",
        )
        require_int(self.max_steps, env, "max_steps", 1, MAX_STEPS, data=True)
        require_real(self.waste_spawn_prob, env, "waste_spawn_prob", 0.0, 1.0)
        for name in ("apple_reward", "clean_cost"):
            require_real(getattr(self, name), env, name)


@struct.dataclass
class CleanupLaseState:
    pos: jax.Array  # (n, 2) int32
    waste: jax.Array  # (H, W) bool, only in the river rows
    apples: jax.Array  # (H, W) bool, only in the orchard rows
    t: jax.Array  # () int32


def _region(params: CleanupLaseParams, first: int, rows: int) -> np.ndarray:
    """``(H, W)`` boolean constant: rows ``first .. first + rows - 1``."""
    mask = np.zeros((params.height, params.width), bool)
    mask[first : first + rows] = True
    return mask


def river(params: CleanupLaseParams) -> np.ndarray:
    """``(H, W)``: the cells where waste may lie."""
    return _region(params, 0, params.waste_rows)


def orchard(params: CleanupLaseParams) -> np.ndarray:
    """``(H, W)``: the cells where apples may grow."""
    return _region(params, params.height - params.apple_rows, params.apple_rows)


def _init(key, params: CleanupLaseParams) -> CleanupLaseState:
    n, h, w = params.num_agents, params.height, params.width
    k = params.initial_waste
    ground_rows = h - params.waste_rows - params.apple_rows
    bits = jax.random.bits(key, (n + k,), jnp.uint32)
    agents = grid.sample_cells(bits[:n], ground_rows * w) + params.waste_rows * w
    pos = jnp.stack([agents // w, agents % w], axis=-1)
    chosen = grid.sample_cells(bits[n:], params.waste_rows * w)
    cells = jnp.arange(h * w, dtype=jnp.int32)
    waste = jnp.any(chosen[:, None] == cells[None], axis=0).reshape(h, w)
    return CleanupLaseState(pos, waste, jnp.zeros((h, w), bool), jnp.zeros((), jnp.int32))


def _first_claims(claims: jax.Array, flat: jax.Array, bits: jax.Array) -> jax.Array:
    """``(n,)``: whether each claimant is the first, in the random order of ``bits``, of
    the claimants on its cell (one winner per claimed cell)."""
    same = (flat[:, None] == flat[None, :]) & claims[None, :]  # j claims i's cell
    beaten = jnp.any(same & grid.precedence(bits), axis=1)
    return claims & ~beaten


def _spawn_one(free: jax.Array, happens: jax.Array, word: jax.Array) -> jax.Array:
    """``(K,)`` boolean: one uniformly random ``free`` entry if ``happens`` (and any is
    free), else none. ``word``: a uniform uint32 (modulo bias below ``K · 2⁻³²``)."""
    count = jnp.sum(free, dtype=jnp.int32)
    pick = (word % jnp.maximum(count, 1).astype(jnp.uint32)).astype(jnp.int32)
    nth = jnp.cumsum(free, dtype=jnp.int32) - 1
    return free & (nth == pick) & happens & (count > 0)


def _bernoulli(word: jax.Array, p: jax.Array) -> jax.Array:
    """``True`` with probability ``p`` (24-bit resolution) from one uniform uint32."""
    bound = jnp.ceil(jnp.clip(jnp.asarray(p, jnp.float32), 0.0, 1.0) * 2.0**24)
    return (word >> 8) < bound.astype(jnp.uint32)


def _step(key, state: CleanupLaseState, actions, params: CleanupLaseParams):
    n, h, w = params.num_agents, params.height, params.width
    words = grid.random_bits(key, n + 4)
    target = state.pos + jnp.asarray(_MOVES)[actions]
    inside = (target >= 0) & (target < jnp.asarray([[h, w]], jnp.int32))
    pos = jnp.where(jnp.all(inside, axis=-1, keepdims=True), target, state.pos)

    flat = pos[:, 0] * w + pos[:, 1]
    waste, apples = state.waste.reshape(-1), state.apples.reshape(-1)
    cleaned = _first_claims((actions == CLEAN) & waste[flat], flat, words[:n])
    eaten = _first_claims((actions == EAT) & apples[flat], flat, words[:n])
    here = flat[:, None] == jnp.arange(h * w, dtype=jnp.int32)[None]  # (n, H*W)
    waste = waste & ~jnp.any(here & cleaned[:, None], axis=0)
    apples = apples & ~jnp.any(here & eaten[:, None], axis=0)
    rewards = params.apple_reward * eaten - params.clean_cost * cleaned

    # regrowth: at most one waste cell and one apple, from the waste left after cleaning
    left = jnp.sum(waste, dtype=jnp.int32)
    max_waste = jnp.asarray(params.max_waste, jnp.int32)
    apple_prob = 1.0 - left.astype(jnp.float32) / max_waste.astype(jnp.float32)
    new_waste = _spawn_one(
        jnp.asarray(river(params).reshape(-1)) & ~waste,
        _bernoulli(words[n], params.waste_spawn_prob) & (left < max_waste),
        words[n + 1],
    )
    new_apple = _spawn_one(
        jnp.asarray(orchard(params).reshape(-1)) & ~apples,
        _bernoulli(words[n + 2], apple_prob),
        words[n + 3],
    )

    t = state.t + 1
    next_state = CleanupLaseState(
        pos, (waste | new_waste).reshape(h, w), (apples | new_apple).reshape(h, w), t
    )
    terminated = jnp.zeros(n, bool)
    truncated = jnp.broadcast_to(t >= params.max_steps, (n,))
    info = {
        "cleanup/waste_cleaned": cleaned.astype(jnp.int32),
        "cleanup/apples": eaten.astype(jnp.int32),
    }
    return next_state, rewards.astype(jnp.float32), terminated, truncated, info


def _observe(state: CleanupLaseState, params: CleanupLaseParams) -> jax.Array:
    n, h, w, r = params.num_agents, params.height, params.width, params.view_radius
    flat = state.pos[:, 0] * w + state.pos[:, 1]
    here = flat[:, None] == jnp.arange(h * w, dtype=jnp.int32)[None]  # (n, H*W)
    # one gather for terrain and players: terrain code + 4 * (bit i: player i on the cell);
    # players share cells, so each player is one bit (int32 for n <= 29, else per player)
    terrain = jnp.where(state.waste, _WASTE, jnp.where(state.apples, _APPLE, _EMPTY))
    terrain = terrain.astype(jnp.int32)
    if n <= 29:
        shifts = np.arange(n, dtype=np.int32) + 2
        weights = jnp.asarray(np.left_shift(np.int32(1), shifts))
        players = jnp.sum(here * weights[:, None], axis=0, dtype=jnp.int32).reshape(h, w)
        window = grid.north_up_windows(terrain + players, state.pos, r, _OUTSIDE)
        layers = (window[..., None] >> jnp.asarray(shifts)[None, None, None]) & 1  # (n, V, V, n)
        code = window & 3
    else:
        code = grid.north_up_windows(terrain, state.pos, r, _OUTSIDE)
        layers = jnp.stack(
            [grid.north_up_windows(here[j].reshape(h, w), state.pos, r, 0) for j in range(n)],
            axis=-1,
        ).astype(jnp.int32)
    resources = jnp.stack([code == _WASTE, code == _APPLE, code == _OUTSIDE], axis=-1)
    obs = jnp.concatenate([layers, resources.astype(jnp.int32)], axis=-1)
    return obs.astype(jnp.uint8)


def _observation_space(params: CleanupLaseParams) -> Box:
    side = 2 * params.view_radius + 1
    return Box(0, 1, (side, side, params.num_agents + 3), jnp.uint8)


_GROUND, _RIVER, _ORCHARD = (235, 225, 200), (150, 200, 235), (200, 230, 170)
_WASTE_RGB, _APPLE_RGB, _LINE = (120, 95, 40), (200, 30, 40), (170, 170, 170)


def _render(state: CleanupLaseState, params: CleanupLaseParams, scale: int = 24) -> jax.Array:
    """River rows light blue, orchard rows light green, waste as brown discs, apples as
    red discs; players as squares, player ``i`` in quadrant ``i mod 4`` of its cell so
    that players sharing a cell are all seen."""
    n, h, w = params.num_agents, params.height, params.width
    yy, xx = np.meshgrid(np.arange(h * scale), np.arange(w * scale), indexing="ij")
    row, col = yy // scale, xx // scale
    fy, fx = (yy % scale) / scale - 0.5, (xx % scale) / scale - 0.5
    disc = jnp.asarray(fy**2 + fx**2 < 0.3**2)
    line = ((yy % scale) == 0) | ((xx % scale) == 0)
    colours = np.where(
        river(params)[row, col][..., None],
        np.asarray(_RIVER, np.uint8),
        np.where(orchard(params)[row, col][..., None], _ORCHARD, _GROUND),
    )
    colours = np.where(line[..., None], np.asarray(_LINE, np.uint8), colours).astype(np.uint8)
    image = jnp.asarray(colours)
    image = jnp.where((disc & state.waste[row, col])[..., None], grid.rgb(_WASTE_RGB), image)
    image = jnp.where((disc & state.apples[row, col])[..., None], grid.rgb(_APPLE_RGB), image)
    quad_r, quad_c = (np.arange(n) // 2) % 2, np.arange(n) % 2
    in_quad = (np.abs(fy[None] - (quad_r[:, None, None] - 0.5) / 2) < 0.17) & (
        np.abs(fx[None] - (quad_c[:, None, None] - 0.5) / 2) < 0.17
    )  # (n, H*s, W*s)
    at = (row[None] == state.pos[:, 0, None, None]) & (col[None] == state.pos[:, 1, None, None])
    shown = jnp.asarray(in_quad) & at
    who = jnp.max(jnp.where(shown, jnp.arange(1, n + 1)[:, None, None], 0), axis=0)
    agents = grid.agent_colours(n)
    return jnp.where((who > 0)[..., None], agents[jnp.maximum(who - 1, 0)], image)


def _build(params: CleanupLaseParams) -> Environment:
    return Environment(
        name="cleanup_lase",
        params=params,
        init_fn=_init,
        transition_fn=_step,
        observe_fn=_observe,
        observation_space=_observation_space,
        action_space=lambda p: Discrete(len(ACTIONS)),
        action_names=lambda p: ACTIONS,
        render_fn=_render,
    )


register("cleanup_lase", CleanupLaseParams)(_build)
