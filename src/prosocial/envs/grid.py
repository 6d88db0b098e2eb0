"""The grid engine every grid game of prosocial shares.

Coordinates are ``(row, col)``, row 0 at the top. Orientations are numbered clockwise,
``UP = 0, RIGHT = 1, DOWN = 2, LEFT = 3``, so turning clockwise adds one (mod 4).

Actions are named; a game lists the names it offers (a static ``Params.actions``), and
the engine turns them into lookup tables once, when the step is traced:

==============  ==========================================================================
``forward``     one cell in the facing direction (``up`` for a game without orientation)
``backward``    one cell behind (``down``)
``step_left``   one cell to the left of the facing direction, keeping it (``left``)
``step_right``  one cell to the right (``right``)
``stay``        nothing
``turn_cw``     rotate 90° clockwise; ``turn_ccw`` counter-clockwise
``fire``        the penalty beam (game-specific effect); ``clean`` the cleaning beam;
                other names are game-specific actions that do not move the agent
==============  ==========================================================================

Simultaneous moves are resolved as the sequential-social-dilemma engine does
(Vinitsky et al., ``map_env.update_moves``; ``ssd-env-specs.md`` §1.5): at most one agent
per cell; a cell wanted by several movers goes to the first of them in a fresh uniformly
random order; a move into a cell whose occupant stays, or whose own move fails, fails;
two agents swapping cells both stay; closed cycles of movers all move. Here this is the
greatest fixed point of "a move succeeds iff it won its cell and the cell's occupant (if
any) moves away", reached by ``n`` vectorised relaxation passes instead of the
reference's Python loop.

Beams (``ssd-env-specs.md`` §1.6): a beam of length ``L`` and width 3 is three lines
traced forward from the agent: the centre line covers cells 1..L ahead, the side lines
start level with the agent, one cell to each side, and cover 0..L-1 ahead. Each line
stops at a wall or the edge (not covered), at an agent (covered, the agent is hit), or
at the first cell a game-specific predicate marks (covered: the first waste cell a
cleaning beam meets).

Egocentric views: an agent sees ``forward`` cells ahead, ``backward`` behind and
``side`` to each side, rotated so that it faces the top row: rows run from
``forward`` cells ahead (row 0) to ``backward`` behind, columns from its left to its
right. This is one consistent convention for all four orientations; the SSD reference
flips the view by 180° for agents facing left or right (its issue #192), which we do
not reproduce.
"""

from __future__ import annotations

from functools import cache

import jax
import jax.numpy as jnp
import numpy as np

UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
DIRECTIONS = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]], dtype=np.int32)

# name -> (move offset from the facing direction or -1, turn, is a beam)
_MOVES = {
    "forward": 0,
    "up": 0,
    "step_right": 1,
    "right": 1,
    "backward": 2,
    "down": 2,
    "step_left": 3,
    "left": 3,
}
_TURNS = {"turn_cw": 1, "turn_ccw": 3}


@cache
def action_tables(actions: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(move_offset, turn)`` lookup tables of an action list (-1: no move)."""
    move = np.array([_MOVES.get(a, -1) for a in actions], dtype=np.int32)
    turn = np.array([_TURNS.get(a, 0) for a in actions], dtype=np.int32)
    return move, turn


def action_mask(actions: tuple[str, ...], name: str) -> np.ndarray:
    """Boolean table: which action indices are ``name``."""
    return np.array([a == name for a in actions], dtype=bool)


def turn(orient: jax.Array, actions: jax.Array, action_names: tuple[str, ...]) -> jax.Array:
    """Orientations after this step's turn actions."""
    _, turns = action_tables(action_names)
    return (orient + jnp.asarray(turns)[actions]) % 4


def move_targets(
    pos: jax.Array,
    orient: jax.Array,
    actions: jax.Array,
    action_names: tuple[str, ...],
    walls: np.ndarray,
    *,
    torus: bool = False,
) -> jax.Array:
    """Each agent's intended cell: a wall or the edge (on a bounded grid) keeps it put."""
    moves, _ = action_tables(action_names)
    offset = jnp.asarray(moves)[actions]
    direction = jnp.asarray(DIRECTIONS)[(orient + jnp.maximum(offset, 0)) % 4]
    target = pos + jnp.where((offset >= 0)[:, None], direction, 0)
    shape = jnp.asarray(walls.shape, dtype=jnp.int32)
    if torus:
        target = target % shape
    inside = jnp.all((target >= 0) & (target < shape), axis=-1)
    clipped = jnp.clip(target, 0, shape - 1)
    blocked = ~inside | jnp.asarray(walls)[clipped[:, 0], clipped[:, 1]]
    return jnp.where(blocked[:, None], pos, target)


def resolve_moves(key: jax.Array, pos: jax.Array, target: jax.Array) -> jax.Array:
    """Positions after simultaneous moves with the SSD conflict rules (module docstring)."""
    n = pos.shape[0]
    moving = jnp.any(target != pos, axis=-1)
    order = jax.random.permutation(key, n)
    rank = jnp.zeros(n, jnp.int32).at[order].set(jnp.arange(n, dtype=jnp.int32))
    same = jnp.all(target[:, None] == target[None], axis=-1) & ~jnp.eye(n, dtype=bool)
    beaten = jnp.any(same & moving[None] & (rank[None] < rank[:, None]), axis=1)
    occupant = jnp.all(target[:, None] == pos[None], axis=-1) & ~jnp.eye(n, dtype=bool)
    swap = jnp.any(occupant & occupant.T, axis=1)
    first = moving & ~beaten & ~swap

    def relax(_, ok):
        return first & jnp.all(~occupant | ok[None], axis=1)

    ok = jax.lax.fori_loop(0, n, relax, first)
    return jnp.where(ok[:, None], target, pos)


@cache
def view_offsets(forward: int, backward: int, side: int) -> np.ndarray:
    """``(4, H, W, 2)`` cell offsets of the egocentric window for each orientation."""
    ahead = forward - np.arange(forward + backward + 1)
    lateral = np.arange(-side, side + 1)
    out = np.empty((4, ahead.size, lateral.size, 2), dtype=np.int32)
    for o in range(4):
        front, right = DIRECTIONS[o], DIRECTIONS[(o + 1) % 4]
        out[o] = ahead[:, None, None] * front + lateral[None, :, None] * right
    return out


def egocentric_cells(
    grid: jax.Array,
    pos: jax.Array,
    orient: jax.Array,
    view: tuple[int, int, int],
    *,
    outside: int,
    torus: bool = False,
) -> jax.Array:
    """Each agent's window of ``grid`` (codes), ``outside`` beyond the edge: ``(n, H, W)``."""
    offsets = jnp.asarray(view_offsets(*view))[orient]  # (n, H, W, 2)
    cells = pos[:, None, None, :] + offsets
    shape = jnp.asarray(grid.shape, dtype=jnp.int32)
    if torus:
        cells = cells % shape
        return grid[cells[..., 0], cells[..., 1]]
    inside = jnp.all((cells >= 0) & (cells < shape), axis=-1)
    clipped = jnp.clip(cells, 0, shape - 1)
    return jnp.where(
        inside, grid[clipped[..., 0], clipped[..., 1]], jnp.asarray(outside, grid.dtype)
    )


def agent_layer(pos: jax.Array, shape: tuple[int, int]) -> jax.Array:
    """``(H, W)`` int32 grid holding ``1 + agent index`` where an agent stands, else 0."""
    n = pos.shape[0]
    return (
        jnp.zeros(shape, jnp.int32)
        .at[pos[:, 0], pos[:, 1]]
        .set(jnp.arange(1, n + 1, dtype=jnp.int32))
    )


def one_hot_view(
    codes: jax.Array, agents: jax.Array, num_codes: int, *, skip_code: int = 0
) -> jax.Array:
    """Observation channels from windows of terrain codes and of the agent layer.

    Channels: one per terrain code except ``skip_code`` (empty floor) and codes at or
    beyond ``num_codes`` (outside the map, all zero), then "self here" and "another
    agent here". ``codes``, ``agents``: ``(n, H, W)``; returns uint8 ``(n, H, W, C)``.
    """
    n = codes.shape[0]
    kept = np.array([c for c in range(num_codes) if c != skip_code], dtype=np.int32)
    terrain = codes[..., None] == jnp.asarray(kept, codes.dtype)
    me = jnp.arange(1, n + 1, dtype=agents.dtype)[:, None, None]
    self_here = agents == me
    other_here = (agents > 0) & ~self_here
    return jnp.concatenate([terrain, self_here[..., None], other_here[..., None]], axis=-1).astype(
        jnp.uint8
    )


@cache
def beam_offsets(length: int) -> np.ndarray:
    """``(4, 3, L, 2)`` offsets of a width-3 beam's lines: centre, left, right."""
    k = np.arange(length)
    out = np.empty((4, 3, length, 2), dtype=np.int32)
    for o in range(4):
        front, right = DIRECTIONS[o], DIRECTIONS[(o + 1) % 4]
        out[o, 0] = (k[:, None] + 1) * front
        out[o, 1] = k[:, None] * front - right
        out[o, 2] = k[:, None] * front + right
    return out


def trace_beams(
    pos: jax.Array,
    orient: jax.Array,
    length: int,
    walls: np.ndarray,
    stop: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Trace every agent's width-3 beam (module docstring).

    Args:
        pos, orient: ``(n, 2)`` and ``(n,)``.
        length: cells per line.
        walls: ``(H, W)`` boolean, static.
        stop: optional ``(H, W)`` boolean grid of cells that are covered and end a line.

    Returns:
        ``cells`` ``(n, 3, L, 2)`` (clipped to the grid), ``covered`` ``(n, 3, L)``
        boolean, and ``hits`` ``(n, n)`` int32: lines of firer ``f`` that hit agent ``j``.
    """
    n = pos.shape[0]
    cells = pos[:, None, None, :] + jnp.asarray(beam_offsets(length))[orient]
    shape = jnp.asarray(walls.shape, dtype=jnp.int32)
    inside = jnp.all((cells >= 0) & (cells < shape), axis=-1)
    cells = jnp.clip(cells, 0, shape - 1)
    blocked = ~inside | jnp.asarray(walls)[cells[..., 0], cells[..., 1]]
    at_agent = jnp.all(cells[:, :, :, None, :] == pos[None, None, None], axis=-1)  # (n,3,L,n)
    ends = blocked | jnp.any(at_agent, axis=-1)
    if stop is not None:
        ends = ends | stop[cells[..., 0], cells[..., 1]]
    before = jnp.cumsum(ends, axis=-1) - ends
    covered = ~blocked & (before == 0)
    hits = jnp.sum(covered[..., None] & at_agent, axis=(1, 2)).astype(jnp.int32)
    hits = hits * (1 - jnp.eye(n, dtype=jnp.int32))
    return cells, covered, hits


def spawn(key: jax.Array, cells: np.ndarray, n: int) -> jax.Array:
    """``n`` distinct cells drawn uniformly from the ``(K, 2)`` candidates."""
    index = jax.random.choice(key, cells.shape[0], (n,), replace=False)
    return jnp.asarray(cells, dtype=jnp.int32)[index]


def parse_map(rows: tuple[str, ...]) -> np.ndarray:
    """A map given as equal-length strings, as a ``(H, W)`` array of characters."""
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(f"map rows must have equal lengths, got {sorted(widths)}")
    return np.array([list(r) for r in rows])


def cells_of(chars: np.ndarray, which: str) -> np.ndarray:
    """``(K, 2)`` int32 coordinates of the cells whose character is in ``which``."""
    return np.argwhere(np.isin(chars, list(which))).astype(np.int32)


def paint(
    codes: jax.Array,
    palette: np.ndarray,
    pos: jax.Array,
    orient: jax.Array | None,
    agent_colours: np.ndarray,
    scale: int,
) -> jax.Array:
    """An RGB frame: each cell ``scale`` pixels square, agents in their colours.

    A facing agent shows a dark bar on the side it faces.
    """
    n = pos.shape[0]
    frame = jnp.asarray(palette, jnp.uint8)[codes]
    colours = jnp.asarray(agent_colours[np.arange(n) % len(agent_colours)], jnp.uint8)
    frame = frame.at[pos[:, 0], pos[:, 1]].set(colours)
    image = jnp.repeat(jnp.repeat(frame, scale, axis=0), scale, axis=1)
    if orient is None or scale < 3:
        return image
    bar = max(1, scale // 4)
    inner = jnp.arange(scale)
    up = jnp.broadcast_to(inner[:, None] < bar, (scale, scale))
    right = jnp.broadcast_to(inner[None, :] >= scale - bar, (scale, scale))
    all_masks = jnp.stack([up, right, up[::-1], right[:, ::-1]])  # UP, RIGHT, DOWN, LEFT

    def mark(img, i):
        r, c = pos[i, 0] * scale, pos[i, 1] * scale
        tile = jax.lax.dynamic_slice(img, (r, c, 0), (scale, scale, 3))
        dark = (tile // 3).astype(jnp.uint8)
        tile = jnp.where(all_masks[orient[i]][..., None], dark, tile)
        return jax.lax.dynamic_update_slice(img, tile, (r, c, 0)), None

    image, _ = jax.lax.scan(mark, image, jnp.arange(n))
    return image
