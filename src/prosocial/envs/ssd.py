"""What Cleanup and Harvest share: the sequential-social-dilemma (SSD) engine rules.

Source: Vinitsky et al., *sequential_social_dilemma_games* (github
``eugenevinitsky/sequential_social_dilemma_games`` at 0207821,
``social_dilemmas/envs/map_env.py`` and ``agent.py``), the engine of Hughes et al.
(2018) and Jaques et al. (2019). The geometry (moves, beams, views) lives in
:mod:`prosocial.envs.grid`; this module holds the parts of a step that both games play
the same way, their parameters and their checks, the observation, the rendering and the
reset.

One step (the order of ``map_env.py step``):

1. turns (``turn_cw``: up, right, down, left, up, as ``map_env.update_rotation`` does;
   the comments in the SSD's ``agent.py`` say the opposite), then intended moves,
   relative to the facing direction (``forward``, ``backward``, ``step_left``,
   ``step_right``); a wall or the edge keeps the agent put;
2. simultaneous moves resolved with a random priority (:func:`grid.resolve_moves`);
3. an agent on an apple eats it: ``apple_reward`` (+1), the cell becomes floor;
4. beams, with post-move positions: ``fire`` (length ``fire_length`` 5, width 3) costs
   the firer ``fire_reward`` (−1) whether or not it hits, and each line that hits an
   agent gives that agent ``hit_reward`` (−50), with no freeze or removal (SSD, not
   Melting Pot); Cleanup's ``clean`` beam follows (see :mod:`prosocial.envs.cleanup`);
5. the game's own update (apple regrowth, waste);
6. ``t`` advances; the episode truncates at ``max_steps`` (SSD: 1000, set by its
   trainers' horizon; the environment itself never ends).

Reset (§1.8): each agent on a distinct uniformly random ``P`` cell of the map facing a
uniformly random direction (``spawn="random"``, ``random_orientation=True``), or, as in
LIO's fork, agent ``i`` on the ``i``-th spawn cell counted from the end of the map in
row-major order (``spawn="fixed"``) facing up (``random_orientation=False``).

Observation of agent ``i`` (§1.7): its egocentric window of ``forward`` cells ahead,
``backward`` behind and ``side`` to each side (SSD: ``(7, 7, 7)``, 15×15; Melting Pot:
``(9, 1, 5)``, 11×11), rotated so that it faces the top row (one convention for all four
orientations: we do not reproduce the SSD's 180° flip for left and right, its issue
#192), as uint8 channels: one per terrain code but floor (the game lists them), then
"self" and "another agent". Cells beyond the map have no channel set. The SSD's RGB
observation shows an agent in place of the cell beneath it; our terrain channels still
show that cell (waste under an agent is visible), since the agent channels are separate.
Beams are not shown (as at SSD's HEAD; its older versions and LIO's fork drew them).

Rendering: the map in the SSD's colours (§1.7), ``RENDER_SCALE`` pixels a cell, agent
``i`` in the SSD colour of agent ``i + 1`` (repeating after nine) with a dark bar on the
side it faces; beams are not drawn (the state does not keep them).

Random draws: one call of :func:`grid.random_bits` per step supplies every random number
(the move priority, Cleanup's cleaning order and waste draw, the apple cells' draws;
:func:`draw`), and one per reset (spawn cells and orientations); for a Threefry key
these are the words ``jax.random.bits`` draws with ``jax_threefry_partitionable=False``.
A Bernoulli(p) draw compares a uniform 24-bit integer ``u`` with ``p``, as
``u / 2²⁴ < p`` (:func:`bernoulli`); the apple cells' integers are cut four from every
three words.

Not provided, as elsewhere in prosocial: the SSD's extra observation entries
(``other_agent_actions``, ``visible_agents``) and its reward options (collective reward,
inequity aversion), which are wrappers (:mod:`prosocial.envs.wrappers`), not game rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import cache

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
    require,
    require_elements,
    require_int,
    require_real,
)

# terrain codes both games use; a game's own codes follow
FLOOR, WALL, APPLE = 0, 1, 2
OUTSIDE = 0x3F  # beyond the map: below grid.SELF_BIT, above every terrain code

# SSD colours (``map_env.py DEFAULT_COLOURS``): agents '1'..'9'
SSD_AGENT_COLOURS = np.array(
    [
        [0, 0, 255],
        [2, 81, 154],
        [204, 0, 204],
        [216, 30, 54],
        [254, 151, 0],
        [100, 255, 255],
        [99, 99, 255],
        [250, 204, 255],
        [238, 223, 16],
    ],
    dtype=np.uint8,
)
RENDER_SCALE = 8  # pixels per cell of a rendered frame

SPAWN_MODES = ("random", "fixed")
# the actions both games accept (in any order and subset)
BASE_ACTIONS = (
    "step_left",
    "step_right",
    "forward",
    "backward",
    "stay",
    "turn_cw",
    "turn_ccw",
    "fire",
)


@struct.dataclass
class SSDParams:
    """Parameters both games share (the rules they enter are in the module docstring).

    Static (they fix shapes or code paths):

    * ``num_agents``: players, at most the map's spawn cells ``P``;
    * ``map``: the map as a tuple of equal-length strings (legend in each game);
    * ``view``: ``(forward, backward, side)`` cells of the egocentric window;
    * ``actions``: the action names, in index order (a subset of the game's);
    * ``random_orientation``: a uniformly random facing at reset, else up;
    * ``spawn``: ``"random"`` (distinct uniform spawn cells) or ``"fixed"`` (LIO's);
    * ``fire_length``: cells per line of the penalty beam.

    Data (may be traced and vmapped): ``max_steps``, ``apple_reward``, ``fire_reward``
    (to the firer, per beam), ``hit_reward`` (to the target, per hit line).
    """

    num_agents: int = struct.field(pytree_node=False, default=5)
    map: tuple[str, ...] = struct.field(pytree_node=False, default=())
    view: tuple[int, int, int] = struct.field(pytree_node=False, default=(7, 7, 7))
    actions: tuple[str, ...] = struct.field(pytree_node=False, default=())
    random_orientation: bool = struct.field(pytree_node=False, default=True)
    spawn: str = struct.field(pytree_node=False, default="random")
    fire_length: int = struct.field(pytree_node=False, default=5)
    max_steps: int = 1000
    apple_reward: float = 1.0
    fire_reward: float = -1.0
    hit_reward: float = -50.0


@struct.dataclass
class SSDState:
    pos: jax.Array  # (n, 2) int32
    orient: jax.Array  # (n,) int32, grid.UP ...
    grid: jax.Array  # (H, W) uint8 terrain codes
    t: jax.Array  # () int32


@dataclasses.dataclass(frozen=True)
class Layout:
    """The static arrays of one map (numpy constants, built once per map)."""

    start: np.ndarray  # (H, W) uint8 terrain codes of a fresh episode
    walls: np.ndarray  # (H, W) bool
    spawn: np.ndarray  # (K, 2) int32 spawn cells, row-major
    cells: dict[str, np.ndarray]  # game-specific (K, ) flat indices, row-major


def check_map(rows, env: str, legend: str) -> None:
    """A map is a non-empty tuple of equal-length strings over ``legend``."""
    require(
        isinstance(rows, tuple) and len(rows) > 0 and all(isinstance(r, str) for r in rows),
        env,
        "map",
        "must be a non-empty tuple of strings, one per row",
    )
    widths = sorted({len(r) for r in rows})
    require(len(widths) == 1 and widths[0] > 0, env, "map", f"rows differ in length: {widths}")
    require(
        len(rows) <= MAX_SIDE and widths[0] <= MAX_SIDE,
        env,
        "map",
        f"{len(rows)} rows of {widths[0]} cells; accepted: at most {MAX_SIDE} of each",
    )
    unknown = sorted(set("".join(rows)) - set(legend))
    require(
        not unknown,
        env,
        "map",
        f"unknown characters {unknown}; accepted: {' '.join(repr(c) for c in legend)}",
    )


def validate_common(params: SSDParams, env: str, accepted_actions: tuple[str, ...]) -> None:
    """The checks every SSD game makes (the game checks its map first)."""
    spawn_cells = sum(row.count("P") for row in params.map)
    require(
        isinstance(params.num_agents, int | np.integer)
        and not isinstance(params.num_agents, bool)
        and 1 <= params.num_agents <= MAX_AGENTS,
        env,
        "num_agents",
        f"must be a positive integer (at most {MAX_AGENTS}), got {params.num_agents!r}",
    )
    require(
        params.num_agents <= spawn_cells,
        env,
        "num_agents",
        f"{params.num_agents} agents need as many spawn cells 'P'; the map has {spawn_cells}",
    )
    view = params.view
    require(
        isinstance(view, tuple)
        and len(view) == 3
        and all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) and 0 <= v <= MAX_SIDE
            for v in view
        ),
        env,
        "view",
        f"must be (forward, backward, side), three integers >= 0 (at most {MAX_SIDE}); "
        f"got {view!r}",
    )
    forward, backward, side = view
    require_elements(
        params.num_agents * (forward + backward + 1) * (2 * side + 1) * 8,
        env,
        "view",
        f"the observations of {params.num_agents} agents",
    )
    actions = params.actions
    require(
        isinstance(actions, tuple) and len(actions) > 0,
        env,
        "actions",
        f"must be a non-empty tuple of action names; got {actions!r}",
    )
    unknown = [a for a in actions if a not in accepted_actions]
    require(
        not unknown, env, "actions", f"unknown {unknown}; accepted: {', '.join(accepted_actions)}"
    )
    require(len(set(actions)) == len(actions), env, "actions", f"names repeat in {actions}")
    require(
        params.spawn in SPAWN_MODES,
        env,
        "spawn",
        f"accepted: {', '.join(SPAWN_MODES)}; got {params.spawn!r}",
    )
    require(
        isinstance(params.random_orientation, bool | np.bool_),
        env,
        "random_orientation",
        f"must be True or False, got {params.random_orientation!r}",
    )
    check_beam_length(params, env, "fire_length")
    require_int(params.max_steps, env, "max_steps", 1, MAX_STEPS, data=True)
    for name in ("apple_reward", "fire_reward", "hit_reward"):
        require_real(getattr(params, name), env, name)


def check_beam_length(params: SSDParams, env: str, name: str) -> None:
    """A beam length is an integer in 1 .. MAX_SIDE whose per-map tables (``H·W·4·3·L``
    entries) stay within :data:`prosocial.envs.core.MAX_ELEMENTS`."""
    length = getattr(params, name)
    require(
        isinstance(length, int | np.integer)
        and not isinstance(length, bool)
        and 1 <= length <= MAX_SIDE,
        env,
        name,
        f"must be an integer >= 1 (at most {MAX_SIDE}), got {length!r}",
    )
    cells = len(params.map) * len(params.map[0])
    require_elements(cells * 12 * int(length), env, name, "the beam tables of the map")


def check_probability(params, env: str, name: str) -> None:
    require_real(getattr(params, name), env, name, 0.0, 1.0, accepted="a probability in [0, 1]")


@cache
def parse_layout(rows: tuple[str, ...], codes: tuple[tuple[str, int], ...], groups) -> Layout:
    """The :class:`Layout` of a map: ``codes`` maps characters to start codes (others:
    floor), ``groups`` names the cell lists a game needs, as ``(name, characters)``."""
    chars = grid.parse_map(rows)
    start = np.zeros(chars.shape, np.uint8)
    for char, code in codes:
        start[chars == char] = code
    width = chars.shape[1]
    cells = {}
    for name, which in groups:
        rc = grid.cells_of(chars, which)
        cells[name] = (rc[:, 0] * width + rc[:, 1]).astype(np.int32)
    return Layout(start, chars == "@", grid.cells_of(chars, "P"), cells)


def threshold(p: jax.Array) -> jax.Array:
    """The bound that turns a 24-bit uniform integer into a Bernoulli(``p``) draw."""
    return jnp.ceil(jnp.asarray(p, jnp.float32) * 2.0**24).astype(jnp.uint32)


def bernoulli(u24: jax.Array, bound: jax.Array) -> jax.Array:
    """``True`` with probability ``p`` for each uniform 24-bit integer ``u24``, where
    ``bound = threshold(p)``: ``u24 / 2**24 < p``, exactly, in integers."""
    return u24 < bound


def draw(key: jax.Array, words: dict[str, int], uniforms: dict[str, int]) -> dict[str, jax.Array]:
    """All of a step's randomness from one :func:`grid.random_bits` call, split by name.

    ``words``: how many uint32 words each name takes; ``uniforms``: how many uniform
    24-bit integers (for :func:`bernoulli`), cut four from every three words.
    """
    sizes = dict(words)
    for name, count in uniforms.items():
        sizes[name] = 3 * (-(-count // 4))
    total = sum(sizes.values())
    bits = grid.random_bits(key, max(total, 1))
    out, start = {}, 0
    for name, size in sizes.items():
        out[name] = bits[start : start + size]
        start += size
    for name, count in uniforms.items():
        w = out[name].reshape(-1, 3)
        low = jnp.uint32(0xFFFFFF)
        parts = (
            w[:, 0] >> 8,
            ((w[:, 0] << 16) | (w[:, 1] >> 16)) & low,
            ((w[:, 1] << 8) | (w[:, 2] >> 24)) & low,
            w[:, 2] & low,
        )
        out[name] = jnp.stack(parts, axis=-1).reshape(-1)[:count]
    return out


def init_agents(key: jax.Array, params: SSDParams, layout: Layout):
    """``(pos, orient)`` of a fresh episode (module docstring)."""
    n = params.num_agents
    turns_words = -(-n // 16) if params.random_orientation else 0
    spawn_words = n if params.spawn == "random" else 0
    if turns_words + spawn_words:
        words = grid.random_bits(key, turns_words + spawn_words)
    if params.spawn == "random":
        pos = grid.spawn_from_bits(words[:n], layout.spawn, n)
    else:
        pos = jnp.asarray(layout.spawn[::-1][:n], jnp.int32)
    if params.random_orientation:
        agent = np.arange(n)
        shift = jnp.asarray(2 * (agent % 16), jnp.uint32)
        orient = ((words[spawn_words + agent // 16] >> shift) & 3).astype(jnp.int32)
    else:
        orient = jnp.full((n,), grid.UP, jnp.int32)
    return pos, orient


def move(state: SSDState, actions: jax.Array, params: SSDParams, layout: Layout, bits):
    """Steps 1-2: orientations and positions after this step's turns and moves."""
    orient = grid.turn(state.orient, actions, params.actions)
    target = grid.move_targets(state.pos, orient, actions, params.actions, layout.walls)
    pos = grid.resolve_moves(None, state.pos, target, bits=bits)
    # materialised once: XLA would otherwise recompute the moves inside every consumer
    # (a beam's agent-by-cell comparison reads each position hundreds of times)
    return jax.lax.optimization_barrier((pos, orient))


def eat(codes: jax.Array, pos: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Step 3: every agent on an apple eats it. Returns the grid and ``(n,)`` int32 eaten."""
    eaten = codes[pos[:, 0], pos[:, 1]] == APPLE
    under = codes[pos[:, 0], pos[:, 1]]
    codes = codes.at[pos[:, 0], pos[:, 1]].set(jnp.where(eaten, jnp.uint8(FLOOR), under))
    return codes, eaten.astype(jnp.int32)


def fire(pos, orient, actions, params: SSDParams, layout: Layout):
    """Step 4 (penalty beam): ``(fired, hit)``, ``(n,)`` int32 each (lines that hit ``i``)."""
    fired = jnp.asarray(grid.action_mask(params.actions, "fire"))[actions]
    if "fire" not in params.actions:
        return fired.astype(jnp.int32), jnp.zeros(pos.shape[0], jnp.int32)
    _, hits = grid.beam_lines(pos, orient, params.fire_length, layout.walls)  # (n, 3, n)
    hit = jnp.sum(hits & fired[:, None, None], axis=(0, 1), dtype=jnp.int32)
    return fired.astype(jnp.int32), hit


def grow_apples(codes: jax.Array, pos: jax.Array, cells: np.ndarray, draws: jax.Array) -> jax.Array:
    """``codes`` with an apple on each of the static flat ``cells`` that holds neither an
    apple nor an agent and whose Bernoulli draw (``draws``, ``(K,)`` boolean) succeeded.

    The agents are marked on a copy of the grid (:func:`grid.mark_agents`), so that one
    gather reads both what a cell holds and whether an agent stands on it.
    """
    index = jnp.asarray(cells)
    here = grid.mark_agents(codes, pos).reshape(-1)[index]
    grow = (here == FLOOR) & draws
    flat = (
        codes.reshape(-1)
        .at[index]
        .set(
            jnp.where(grow, jnp.uint8(APPLE), here & jnp.uint8(grid.AGENT_BIT - 1)),
            indices_are_sorted=True,
            unique_indices=True,
        )
    )
    return flat.reshape(codes.shape)


def finish(state: SSDState, pos, orient, codes, rewards, params: SSDParams, info):
    """Step 6: the next state, float32 rewards and the truncation flags."""
    n = params.num_agents
    t = state.t + 1
    truncated = jnp.broadcast_to(t >= params.max_steps, (n,))
    terminated = jnp.zeros((n,), bool)
    next_state = SSDState(pos, orient, codes, t)
    return next_state, rewards.astype(jnp.float32), terminated, truncated, info


def observe(state: SSDState, params: SSDParams, num_codes: int) -> jax.Array:
    """Every agent's uint8 ``(H, W, C)`` egocentric channels (module docstring)."""
    packed = grid.mark_agents(state.grid, state.pos)
    windows = grid.egocentric_windows(packed, state.pos, state.orient, params.view, outside=OUTSIDE)
    return grid.packed_one_hot(windows, num_codes, params.view, skip_code=FLOOR)


def observation_space(params: SSDParams, num_codes: int) -> Box:
    forward, backward, side = params.view
    return Box(0, 1, (forward + backward + 1, 2 * side + 1, num_codes + 1), jnp.uint8)


def render(state: SSDState, params: SSDParams, palette: np.ndarray) -> jax.Array:
    """The map in SSD colours, ``RENDER_SCALE`` pixels a cell, agents with a facing bar."""
    return grid.paint(state.grid, palette, state.pos, state.orient, SSD_AGENT_COLOURS, RENDER_SCALE)


def build(
    name: str,
    params: SSDParams,
    *,
    init_fn: Callable,
    transition_fn: Callable,
    num_codes: int,
    palette: np.ndarray,
) -> Environment:
    """An :class:`Environment` of an SSD game."""
    return Environment(
        name=name,
        params=params,
        init_fn=init_fn,
        transition_fn=transition_fn,
        observe_fn=lambda state, p: observe(state, p, num_codes),
        observation_space=lambda p: observation_space(p, num_codes),
        action_space=lambda p: Discrete(len(p.actions)),
        action_names=lambda p: tuple(p.actions),
        render_fn=lambda state, p: render(state, p, palette),
    )
