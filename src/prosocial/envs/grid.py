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

Random order. Where a rule needs "a fresh uniformly random order of the agents", the
engine takes one random 32-bit word per agent and orders the agents by their words,
ties (probability below ``n² / 2³³``) going to the lower index
(:func:`precedence`). This needs no sort and no permutation, and one
:func:`random_bits` call can supply the words with the rest of a step's randomness.

Simultaneous moves are resolved as the sequential-social-dilemma engine does (Vinitsky
et al., ``social_dilemmas/envs/map_env.py update_moves``, and its test
``tests/test_envs.py test_agent_conflict``): at most one agent per cell; a cell wanted
by several movers goes to the first of them in a fresh uniformly random order; a move
into a cell whose occupant stays, or whose own move fails, fails; two agents swapping
cells both stay; closed cycles of movers all move. Here this is the greatest fixed point
of "a move succeeds iff it won its cell and the cell's occupant (if any) moves away",
reached by ``n`` vectorised relaxation passes instead of the reference's Python loop.
The reference lets the winner of a contested cell step in before knowing whether the
cell's occupant gets away, which can leave two agents on one cell; we implement the
stated rule (at most one agent per cell) instead.

Beams (SSD ``map_env.py update_map_fire``): a beam of length ``L`` and width 3 is three
lines traced forward from the agent: the centre line covers cells 1..L ahead, the side
lines start level with the agent, one cell to each side, and cover 0..L-1 ahead. Each
line stops at a wall or the edge (not covered), at an agent (covered, the agent is hit),
or at the first cell a game-specific predicate marks (covered: the first waste cell a
cleaning beam meets). :func:`beam_lines` finds how far each line reaches and whom it
hits without visiting cells: the distance to the first wall comes from a per-map table
(:func:`beam_reach`) and the agents from their positions relative to the firer.
:func:`trace_beams` lists the covered cells too (for beams that change nothing on the
map); :func:`clear_along_beams` fires the beams one agent after another in a given
order, each line removing the first marked cell it meets, so that a later beam sees what
an earlier one removed (the reference's random-order cleaning); the marked cells are a
bit set packed in 32-bit words (:func:`pack_bits`).

Egocentric views: an agent sees ``forward`` cells ahead, ``backward`` behind and
``side`` to each side, rotated so that it faces the top row: rows run from
``forward`` cells ahead (row 0) to ``backward`` behind, columns from its left to its
right. This is one consistent convention for all four orientations; the SSD reference
flips the view by 180° for agents facing left or right (its issue #192), which we do
not reproduce. :func:`egocentric_windows` cuts each window with one dynamic slice from
the padded grid or its padded transpose and flips it as the orientation requires (no
per-cell gather), and :func:`packed_one_hot` turns windows of a grid whose codes carry an
"agent here" bit (:func:`mark_agents`) into uint8 channels in one pass.

Everything static (walls, cell lists, beam tables) is a numpy constant built once per
map, so that a compiled step gathers from constants and never rebuilds them.
"""

from __future__ import annotations

from functools import cache

import jax
import jax.numpy as jnp
import numpy as np

UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
DIRECTIONS = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]], dtype=np.int32)

# name -> move offset from the facing direction (clockwise quarter turns)
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
MOVE_NAMES = tuple(_MOVES)
TURN_NAMES = tuple(_TURNS)

# bits that mark an agent's cell, and the observer's own, in a packed code grid (terrain
# codes stay below SELF_BIT)
AGENT_BIT, SELF_BIT = 0x80, 0x40


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
    shape = jnp.asarray(walls.shape, dtype=jnp.int32)[None]
    if torus:
        target = target % shape
    inside = jnp.all((target >= 0) & (target < shape), axis=-1)
    clipped = jnp.clip(target, 0, shape - 1)
    blocked = ~inside | jnp.asarray(walls)[clipped[:, 0], clipped[:, 1]]
    return jnp.where(blocked[:, None], pos, target)


_THREEFRY_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


def _threefry2x32(k0, k1, x0, x1):
    """The Threefry-2x32 hash (20 rounds), as JAX defines it, with the rounds unrolled."""
    keys = (k0, k1, k0 ^ k1 ^ jnp.uint32(0x1BD11BDA))
    x0, x1 = x0 + keys[0], x1 + keys[1]
    for group in range(5):
        for r in _THREEFRY_ROTATIONS[group % 2]:
            x0 = x0 + x1
            x1 = ((x1 << jnp.uint32(r)) | (x1 >> jnp.uint32(32 - r))) ^ x0
        x0 = x0 + keys[(group + 1) % 3]
        x1 = x1 + keys[(group + 2) % 3] + jnp.uint32(group + 1)
    return x0, x1


def random_bits(key: jax.Array, count: int) -> jax.Array:
    """``count`` uniformly random uint32 words from ``key``.

    For a Threefry key these are exactly ``jax.random.bits(key, (count,))`` as JAX draws
    them with ``jax_threefry_partitionable=False`` (one hash per two words, counters
    ``0 .. count - 1`` split in halves), computed with the rounds unrolled: on a CPU,
    JAX's own lowering runs the rounds in a loop and, in its default partitionable
    layout, hashes once per word, which makes it about twice as slow. Other key types
    go through ``jax.random.bits``.
    """
    typed = jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
    if typed:
        threefry = str(jax.random.key_impl(key)) == "threefry2x32"
        data = jax.random.key_data(key) if threefry else None
    else:
        threefry = jax.config.jax_default_prng_impl == "threefry2x32" and key.shape == (2,)
        data = key
    if not threefry:
        return jax.random.bits(key, (count,), jnp.uint32)
    half = (count + 1) // 2
    counters = np.arange(2 * half, dtype=np.uint32)
    counters[-1] = counters[-1] if count % 2 == 0 else 0  # JAX pads an odd count with 0
    x0, x1 = _threefry2x32(
        data[0], data[1], jnp.asarray(counters[:half]), jnp.asarray(counters[half:])
    )
    # materialised once: XLA would otherwise recompute the hash inside every consumer
    return jax.lax.optimization_barrier(jnp.concatenate([x0, x1])[:count])


def precedence(bits: jax.Array) -> jax.Array:
    """``before[i, j]``: agent ``j`` comes before agent ``i`` in the order of ``bits``.

    ``bits``: ``(n,)`` uint32 random words; smaller words come first, ties go to the lower
    index, so the order is a uniformly random permutation up to ties (module docstring).
    """
    n = bits.shape[0]
    index = np.arange(n)
    lower = jnp.asarray(index[None, :] < index[:, None])
    return (bits[None, :] < bits[:, None]) | ((bits[None, :] == bits[:, None]) & lower)


def order_of(before: jax.Array) -> jax.Array:
    """The agents' indices in the order given by :func:`precedence` (``(n,)`` int32)."""
    n = before.shape[0]
    rank = jnp.sum(before, axis=1, dtype=jnp.int32)
    is_kth = rank[None, :] == jnp.arange(n, dtype=jnp.int32)[:, None]  # (k, agent)
    return jnp.sum(jnp.where(is_kth, jnp.arange(n, dtype=jnp.int32)[None, :], 0), axis=1)


def resolve_moves(
    key: jax.Array | None, pos: jax.Array, target: jax.Array, *, bits: jax.Array | None = None
) -> jax.Array:
    """Positions after simultaneous moves with the SSD conflict rules (module docstring).

    The random priority comes from ``bits`` (``(n,)`` uint32) when given, else from ``key``.
    """
    n = pos.shape[0]
    if bits is None:
        bits = jax.random.bits(key, (n,), jnp.uint32)
    before = precedence(bits)
    moving = jnp.any(target != pos, axis=-1)
    others = ~jnp.eye(n, dtype=bool)
    same = jnp.all(target[:, None] == target[None], axis=-1) & others
    beaten = jnp.any(same & moving[None] & before, axis=1)
    occupant = jnp.all(target[:, None] == pos[None], axis=-1) & others
    swap = jnp.any(occupant & occupant.T, axis=1)
    first = moving & ~beaten & ~swap

    def relax(_, ok):
        return first & jnp.all(~occupant | ok[None], axis=1)

    # a move can fail only through a chain of at most n occupied cells
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


def egocentric_windows(
    grid: jax.Array, pos: jax.Array, orient: jax.Array, view: tuple[int, int, int], *, outside
) -> jax.Array:
    """Each agent's window of ``grid`` (bounded), ``outside`` beyond the edge: ``(n, H, W)``.

    The same windows as :func:`view_offsets` describes, cut by one dynamic slice per
    agent from the padded grid (agents facing up or down) or its padded transpose (left
    or right), then flipped where the agent faces down the frame's rows or has its
    right towards lower columns. Neither a per-cell gather nor rotated copies of the
    whole grid are needed.
    """
    forward, backward, side = view
    h, w = grid.shape
    reach = max(forward, backward)
    rows, cols = max(h, w) + 2 * reach, max(h, w) + 2 * side
    fill = jnp.asarray(outside, grid.dtype)
    frames = jnp.stack(
        [
            jnp.pad(
                grid, ((reach, rows - h - reach), (side, cols - w - side)), constant_values=fill
            ),
            jnp.pad(
                grid.T, ((reach, rows - w - reach), (side, cols - h - side)), constant_values=fill
            ),
        ]
    )
    vertical = orient % 2 == 0  # UP, DOWN: the grid; RIGHT, LEFT: its transpose
    along = jnp.where(vertical, pos[:, 0], pos[:, 1]) + reach
    across = jnp.where(vertical, pos[:, 1], pos[:, 0]) + side
    ahead_low = (orient == UP) | (orient == LEFT)  # facing towards lower frame rows
    top = jnp.where(ahead_low, along - forward, along - backward)
    size = (1, forward + backward + 1, 2 * side + 1)

    def cut(frame, r0, c0):
        return jax.lax.dynamic_slice(frames, (frame, r0, c0), size)[0]

    windows = jax.vmap(cut)(1 - vertical.astype(jnp.int32), top, across - side)
    windows = jnp.where(ahead_low[:, None, None], windows, windows[:, ::-1])
    right_low = (orient == DOWN) | (orient == LEFT)  # the agent's right towards lower columns
    return jnp.where(right_low[:, None, None], windows[:, :, ::-1], windows)


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
    terrain = codes[..., None] == jnp.asarray(kept, codes.dtype).reshape(1, 1, 1, -1)
    me = jnp.arange(1, n + 1, dtype=agents.dtype)[:, None, None]
    self_here = agents == me
    other_here = (agents > 0) & ~self_here
    return jnp.concatenate([terrain, self_here[..., None], other_here[..., None]], axis=-1).astype(
        jnp.uint8
    )


def mark_agents(codes: jax.Array, pos: jax.Array) -> jax.Array:
    """A uint8 code grid with :data:`AGENT_BIT` set on every agent's cell."""
    here = codes[pos[:, 0], pos[:, 1]]
    return codes.at[pos[:, 0], pos[:, 1]].set(here | jnp.uint8(AGENT_BIT))


def packed_one_hot(
    windows: jax.Array, num_codes: int, view: tuple[int, int, int], *, skip_code: int = 0
) -> jax.Array:
    """The channels of :func:`one_hot_view` from windows of a packed grid.

    ``windows``: ``(n, H, W)`` uint8 windows (:func:`egocentric_windows`) of a grid of
    terrain codes below :data:`SELF_BIT` with :data:`AGENT_BIT` set on agents' cells
    (:func:`mark_agents`). An agent always sits at row ``forward``, column ``side`` of
    its own window, so "self here" is that one cell and "another agent here" every other
    marked cell. Codes at or beyond ``num_codes`` (outside the map) have no channel.
    Returns uint8 ``(n, H, W, C)``.
    """
    forward, _, side = view
    # the windows are materialised once, not recomputed for every channel
    windows = jax.lax.optimization_barrier(windows)
    me = np.zeros((1, *windows.shape[1:]), np.uint8)
    me[0, forward, side] = SELF_BIT
    windows = windows | jnp.asarray(me)
    kept = [c for c in range(num_codes) if c != skip_code]
    masks = np.array([SELF_BIT - 1] * len(kept) + [SELF_BIT, SELF_BIT | AGENT_BIT], np.uint8)
    values = np.array([*kept, SELF_BIT, AGENT_BIT], np.uint8)
    masks, values = (jnp.asarray(a).reshape(1, 1, 1, -1) for a in (masks, values))
    return ((windows[..., None] & masks) == values).astype(jnp.uint8)


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


_LINE_SIDE = np.array([0, -1, 1], np.int32)  # centre, left, right: cells to the right
_LINE_START = np.array([1, 0, 0], np.int32)  # cells ahead of the agent where a line starts


def _walls_key(walls: np.ndarray) -> tuple:
    return walls.shape, np.asarray(walls, bool).tobytes()


def _walls(key: tuple) -> np.ndarray:
    shape, data = key
    return np.frombuffer(data, bool).reshape(shape)


def beam_reach(walls: np.ndarray, length: int) -> np.ndarray:
    """``(H * W * 4, 3)`` int32: from each cell and orientation (row ``4 * cell + o``),
    how many cells of each beam line lie before the first wall or the edge."""
    return _beam_reach(_walls_key(walls), length)


@cache
def _beam_reach(key: tuple, length: int) -> np.ndarray:
    walls = _walls(key)
    h, w = walls.shape
    offsets = beam_offsets(length)  # (4, 3, L, 2)
    cells = np.argwhere(np.ones((h, w), bool))  # row-major
    at = cells[:, None, None, None, :] + offsets[None]  # (HW, 4, 3, L, 2)
    inside = np.all((at >= 0) & (at < [h, w]), axis=-1)
    clipped = np.clip(at, 0, [h - 1, w - 1])
    open_ = inside & ~walls[clipped[..., 0], clipped[..., 1]]
    reach = np.cumprod(open_, axis=-1).sum(axis=-1)  # open cells before the first block
    return reach.reshape(h * w * 4, 3).astype(np.int32)


def beam_lines(pos: jax.Array, orient: jax.Array, length: int, walls: np.ndarray):
    """Every agent's width-3 beam, line by line, without visiting cells.

    Returns ``limit`` ``(n, 3)`` int32, the cells each line covers (it covers the cells
    ``k < limit`` of :func:`beam_offsets`: up to a wall or the edge, or up to and
    including the first agent), and ``hits`` ``(n, 3, n)`` boolean, which agent each
    line hits. An agent is on a line when its position relative to the firer, in the
    firer's frame, is the line's; walls come from a per-map table (:func:`beam_reach`).
    """
    n, w = pos.shape[0], walls.shape[1]
    reach = jnp.asarray(beam_reach(walls, length))[4 * (pos[:, 0] * w + pos[:, 1]) + orient]
    front = jnp.asarray(DIRECTIONS)[orient]  # (n, 2)
    right = jnp.asarray(DIRECTIONS)[(orient + 1) % 4]
    rel = pos[None, :, :] - pos[:, None, :]  # (firer, target, 2)
    ahead = jnp.sum(rel * front[:, None, :], axis=-1)
    side = jnp.sum(rel * right[:, None, :], axis=-1)
    k = ahead[:, None, :] - jnp.asarray(_LINE_START)[None, :, None]  # (firer, line, target)
    on = (
        (side[:, None, :] == jnp.asarray(_LINE_SIDE)[None, :, None])
        & (k >= 0)
        & (k < reach[:, :, None])
        & ~jnp.eye(n, dtype=bool)[:, None, :]
    )
    k = jnp.where(on, k, length)
    first = jnp.min(k, axis=-1)  # the nearest agent on each line, or length
    hits = on & (k == first[..., None])
    return jnp.minimum(reach, first + 1), hits


def _first_true(flags: jax.Array) -> jax.Array:
    """Along the (short, static) last axis: the first ``True`` of ``flags`` only."""
    length = flags.shape[-1]
    if length > 30:
        before = jnp.cumsum(flags, axis=-1) - flags
        return flags & (before == 0)
    # the flags as the bits of one integer, whose lowest set bit is the first True
    k = jnp.arange(length, dtype=jnp.int32).reshape((1,) * (flags.ndim - 1) + (-1,))
    packed = jnp.sum(flags.astype(jnp.int32) << k, axis=-1, dtype=jnp.int32)
    lowest = packed & -packed
    return ((lowest[..., None] >> k) & 1) == 1


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
    limit, hits = beam_lines(pos, orient, length, walls)
    shape = jnp.asarray(walls.shape, dtype=jnp.int32)[None, None, None]
    cells = jnp.clip(
        pos[:, None, None, :] + jnp.asarray(beam_offsets(length))[orient], 0, shape - 1
    )
    covered = jnp.arange(length, dtype=jnp.int32)[None, None, :] < limit[..., None]
    if stop is not None:
        ends = covered & stop[cells[..., 0], cells[..., 1]]
        before = jnp.cumsum(ends, axis=-1) - ends
        covered = covered & (before == 0)
        last = jnp.sum(covered, axis=-1)  # a stop before the agent shields it
        hits = hits & (limit == last)[..., None]
    return cells, covered, jnp.sum(hits, axis=1, dtype=jnp.int32)


def pack_bits(flags: jax.Array) -> jax.Array:
    """``(K,)`` booleans as ``(ceil(K / 32),)`` uint32 words, flag ``i`` at bit ``i % 32``."""
    k = flags.shape[0]
    words = -(-k // 32)
    padded = jnp.pad(flags, (0, 32 * words - k)).reshape(words, 32).astype(jnp.uint32)
    return jnp.sum(padded << jnp.arange(32, dtype=jnp.uint32)[None], axis=1, dtype=jnp.uint32)


def unpack_bits(words: jax.Array, k: int) -> jax.Array:
    """The ``(K,)`` booleans of :func:`pack_bits`."""
    bits = (words[:, None] >> jnp.arange(32, dtype=jnp.uint32)[None]) & 1
    return bits.reshape(-1)[:k].astype(bool)


def _which_word(words: jax.Array, slots: jax.Array) -> jax.Array:
    """``(*slots.shape, len(words))`` boolean: the word holding each slot's bit."""
    index = jnp.arange(words.shape[0], dtype=slots.dtype).reshape((1,) * slots.ndim + (-1,))
    return (slots >> 5)[..., None] == index


def _word_of(words: jax.Array, slots: jax.Array) -> jax.Array:
    """The word holding each slot's bit (slots ``>= 0``), by a dense comparison."""
    spread = words.reshape((1,) * slots.ndim + (-1,))
    return jnp.sum(
        jnp.where(_which_word(words, slots), spread, jnp.uint32(0)), axis=-1, dtype=jnp.uint32
    )


def has_bits(words: jax.Array, slots: jax.Array) -> jax.Array:
    """Whether each slot's bit is set; slots ``< 0`` are never set."""
    bit = (_word_of(words, slots) >> (slots & 31).astype(jnp.uint32)) & 1
    return (bit == 1) & (slots >= 0)


def clear_bits(words: jax.Array, slots: jax.Array, clear: jax.Array) -> jax.Array:
    """``words`` without the bits of the (distinct) ``slots`` where ``clear``."""
    one = jnp.where(clear, jnp.uint32(1) << (slots & 31).astype(jnp.uint32), jnp.uint32(0))
    gone = jnp.where(_which_word(words, slots), one[..., None], jnp.uint32(0))
    gone = gone.reshape(-1, words.shape[0])
    return words & ~jnp.sum(gone, axis=0, dtype=jnp.uint32)


def nth_set_bit(words: jax.Array, j: jax.Array) -> jax.Array:
    """The index of the ``j``-th (from 0) set bit of the packed ``words`` (``j`` below
    their count), by prefix counts over the words and a binary search in one word."""
    counts = jax.lax.population_count(words).astype(jnp.int32)
    through = jnp.cumsum(counts)
    index = jnp.sum(through <= j, dtype=jnp.int32)
    here = jnp.arange(words.shape[0]) == index
    rest = j - jnp.sum(jnp.where(here, through - counts, 0))
    word = jnp.sum(jnp.where(here, words, jnp.uint32(0)), dtype=jnp.uint32)
    bit = jnp.zeros((), jnp.int32)
    for width in (16, 8, 4, 2, 1):
        window = (word >> bit.astype(jnp.uint32)) & jnp.uint32((1 << width) - 1)
        low = jax.lax.population_count(window).astype(jnp.int32)
        up = rest >= low
        rest = jnp.where(up, rest - low, rest)
        bit = jnp.where(up, bit + width, bit)
    return 32 * index + bit


def beam_slots(walls: np.ndarray, length: int, cells: np.ndarray) -> np.ndarray:
    """``(H * W * 4, 3, L)`` int32: from each cell and orientation (row ``4 * cell + o``),
    the position in ``cells`` of each beam cell, -1 where it is not one of them."""
    return _beam_slots(_walls_key(walls), length, tuple(int(c) for c in cells))


@cache
def _beam_slots(key: tuple, length: int, cells: tuple[int, ...]) -> np.ndarray:
    walls = _walls(key)
    h, w = walls.shape
    slot = np.full(h * w, -1, np.int32)
    slot[list(cells)] = np.arange(len(cells), dtype=np.int32)
    at = np.argwhere(np.ones((h, w), bool))[:, None, None, None, :] + beam_offsets(length)
    inside = np.all((at >= 0) & (at < [h, w]), axis=-1)
    clipped = np.clip(at, 0, [h - 1, w - 1])
    table = np.where(inside, slot[clipped[..., 0] * w + clipped[..., 1]], -1)
    return table.reshape(h * w * 4, 3, length).astype(np.int32)


def clear_along_beams(
    marked: jax.Array,
    cells: np.ndarray,
    pos: jax.Array,
    orient: jax.Array,
    length: int,
    walls: np.ndarray,
    active: jax.Array,
    order: jax.Array,
) -> tuple[jax.Array, jax.Array]:
    """Fire the ``active`` agents' width-3 beams one after another in ``order``.

    ``marked`` is the set of marked cells among the static flat ``cells`` (only they can
    be marked: a cleaning beam's waste lives on river cells), packed by
    :func:`pack_bits`. Each line stops at a wall or the edge (not covered), at an agent
    (covered), or at the first marked cell (covered); a covered marked cell, an agent's
    cell included, is unmarked, so later beams pass where earlier ones cleared.
    ``active``: ``(n,)`` boolean; ``order``: ``(n,)`` agent indices (:func:`order_of`).
    Returns the new packed set, ``(n,)`` int32 counts of the cells each agent cleared,
    and ``(n, 3)`` int32 positions in ``cells`` of the cells cleared by each line (in the
    firing order, -1 for none).
    """
    w = walls.shape[1]
    limit, _ = beam_lines(pos, orient, length, walls)
    table = jnp.asarray(beam_slots(walls, length, cells))
    slots = table[4 * (pos[:, 0] * w + pos[:, 1]) + orient]  # (n, 3, L)
    reached = jnp.arange(length)[None, None, :] < limit[..., None]
    slots = jnp.where(reached & active[:, None, None], slots, -1)

    def fire(words, slot):
        cleared = jnp.max(jnp.where(_first_true(has_bits(words, slot)), slot, -1), axis=-1)
        return clear_bits(words, cleared, cleared >= 0), cleared

    marked, cleared = jax.lax.scan(fire, marked, slots[order])  # (n, 3), firing order
    counts = jnp.sum(cleared >= 0, axis=1, dtype=jnp.int32)
    mine = order[None, :] == jnp.arange(pos.shape[0], dtype=order.dtype)[:, None]
    return marked, jnp.sum(jnp.where(mine, counts[None, :], 0), axis=1, dtype=jnp.int32), cleared


def sample_cells(bits: jax.Array, num_cells: int) -> jax.Array:
    """``k = len(bits)`` distinct cells of ``0 .. num_cells - 1``, uniformly, in random order.

    A partial Fisher–Yates shuffle driven by ``k`` uint32 words: swap ``j`` exchanges
    entry ``j`` with entry ``j + bits[j] mod (num_cells - j)`` (modulo bias below
    ``num_cells / 2³²``). ``k`` swaps, no sort: measured faster here than an argsort or an
    all-pairs rank of one word per cell.
    """
    k = bits.shape[0]

    def swap(j, perm):
        other = j + (bits[j] % (num_cells - j).astype(jnp.uint32)).astype(jnp.int32)
        mine, theirs = perm[j], perm[other]
        return perm.at[other].set(mine).at[j].set(theirs)

    perm = jnp.arange(num_cells, dtype=jnp.int32)
    return jax.lax.fori_loop(0, k, swap, perm, unroll=k <= 32)[:k]


def north_up_windows(values: jax.Array, pos: jax.Array, radius: int, outside: int) -> jax.Array:
    """Each agent's north-up ``(2r + 1)²`` window of ``values``, ``outside`` off the grid.

    One gather from the grid padded by ``r`` cells of ``outside``: in the padded grid the
    window of an agent at ``(row, col)`` has its top-left corner at ``(row, col)``.
    """
    w = values.shape[1]
    side = np.arange(2 * radius + 1, dtype=np.int32)
    offsets = side[:, None] * (w + 2 * radius) + side[None, :]  # (V, V)
    padded = jnp.pad(values, radius, constant_values=outside).reshape(-1)
    corner = pos[:, 0] * (w + 2 * radius) + pos[:, 1]
    return padded[corner[:, None, None] + jnp.asarray(offsets)[None]]


# Colours of agents 0, 1, ...: red, blue, then distinct hues (games without a colour table).
AGENT_COLOURS = np.array(
    [[220, 50, 47], [38, 139, 210], [133, 153, 0], [211, 54, 130], [181, 137, 0], [42, 161, 152]],
    dtype=np.uint8,
)


def agent_colours(n: int) -> jax.Array:
    """``(n, 3)`` uint8 colours of agents ``0 .. n - 1``, cycling through the table."""
    return jnp.asarray(AGENT_COLOURS[np.arange(n) % len(AGENT_COLOURS)], jnp.uint8)


def rgb(colour) -> jax.Array:
    """A colour as a ``(1, 1, 3)`` uint8 array, to broadcast over an image."""
    return jnp.asarray(colour, jnp.uint8)[None, None]


def spawn_from_bits(bits: jax.Array, cells: np.ndarray, n: int) -> jax.Array:
    """``n`` distinct cells of the ``(K, 2)`` candidates, uniformly, from ``(n,)`` uint32 bits.

    Agent ``a`` takes the candidate :func:`sample_cells` puts at position ``a``: a
    uniformly random injection with no sort.
    """
    return jnp.asarray(cells, dtype=jnp.int32)[sample_cells(bits[:n], cells.shape[0])]


def spawn(key: jax.Array, cells: np.ndarray, n: int) -> jax.Array:
    """``n`` distinct cells drawn uniformly from the ``(K, 2)`` candidates."""
    return spawn_from_bits(jax.random.bits(key, (n,), jnp.uint32), cells, n)


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
