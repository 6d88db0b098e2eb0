"""The grid engine's rules, each against a hand-worked case or a plain Python reference."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.envs import grid

UP, RIGHT, DOWN, LEFT = grid.UP, grid.RIGHT, grid.DOWN, grid.LEFT
ACTIONS = ("step_left", "step_right", "forward", "backward", "stay", "turn_cw", "turn_ccw")
STEP_LEFT, STEP_RIGHT, FORWARD, BACKWARD, STAY, TURN_CW, TURN_CCW = range(7)
OPEN = np.zeros((6, 6), bool)


def bits_for(order):
    """Priority words that put the agents in ``order`` (first listed moves first)."""
    words = np.zeros(len(order), np.uint32)
    for rank, agent in enumerate(order):
        words[agent] = rank
    return jnp.asarray(words)


resolve = jax.jit(lambda pos, target, bits: grid.resolve_moves(None, pos, target, bits=bits))


def moved(pos, target, order=None):
    order = range(len(pos)) if order is None else order
    out = resolve(jnp.asarray(pos, jnp.int32), jnp.asarray(target, jnp.int32), bits_for(order))
    return np.asarray(out).tolist()


# ---------------------------------------------------------------- moves and conflicts


def test_a_contested_cell_goes_to_the_first_mover_in_the_random_order():
    pos, target = [[2, 1], [2, 3]], [[2, 2], [2, 2]]
    assert moved(pos, target, order=[0, 1]) == [[2, 2], [2, 3]]
    assert moved(pos, target, order=[1, 0]) == [[2, 1], [2, 2]]
    # with random words each of them wins about half of the time
    keys = jax.random.split(jax.random.PRNGKey(0), 2000)
    out = jax.vmap(lambda k: grid.resolve_moves(k, jnp.asarray(pos), jnp.asarray(target)))(keys)
    first_wins = np.mean(np.all(np.asarray(out)[:, 0] == [2, 2], axis=-1))
    assert 0.45 < first_wins < 0.55
    assert np.all(np.sum(np.all(np.asarray(out) == [2, 2], axis=-1), axis=1) == 1)


def test_swapping_agents_both_stay():
    assert moved([[1, 1], [1, 2]], [[1, 2], [1, 1]]) == [[1, 1], [1, 2]]


def test_a_chain_follows_its_leader_into_a_freed_cell():
    # 0 -> cell of 1, 1 -> cell of 2, 2 -> free cell: all move, whatever the order
    pos, target = [[1, 1], [1, 2], [1, 3]], [[1, 2], [1, 3], [1, 4]]
    for order in itertools.permutations(range(3)):
        assert moved(pos, target, order) == target


def test_a_chain_behind_a_staying_agent_fails_all_along():
    pos, target = [[1, 1], [1, 2], [1, 3]], [[1, 2], [1, 3], [1, 3]]  # 2 stays
    assert moved(pos, target) == pos


def test_a_closed_cycle_of_movers_all_move():
    square = [[1, 1], [1, 2], [2, 2], [2, 1]]
    rotate = square[1:] + square[:1]
    for order in itertools.permutations(range(4)):
        assert moved(square, rotate, order) == rotate


def test_the_winner_of_a_contested_cell_enters_only_if_its_occupant_leaves():
    # 0 and 1 both want the cell of 2; 2 moves on into a free cell
    pos, target = [[1, 1], [1, 3], [1, 2]], [[1, 2], [1, 2], [2, 2]]
    assert moved(pos, target, order=[1, 0, 2]) == [[1, 1], [1, 2], [2, 2]]
    # 2 cannot leave (its cell ahead is held by a staying agent): nobody enters
    pos = [[1, 1], [1, 3], [1, 2], [2, 2]]
    target = [[1, 2], [1, 2], [2, 2], [2, 2]]
    assert moved(pos, target, order=[0, 1, 2, 3]) == pos


def test_relative_moves_and_turns_for_every_orientation():
    walls = np.zeros((7, 7), bool)
    centre = jnp.asarray([[3, 3]] * 4, jnp.int32)
    orient = jnp.asarray([UP, RIGHT, DOWN, LEFT], jnp.int32)
    expected = {  # cell reached from (3, 3) per orientation UP, RIGHT, DOWN, LEFT
        FORWARD: [[2, 3], [3, 4], [4, 3], [3, 2]],
        BACKWARD: [[4, 3], [3, 2], [2, 3], [3, 4]],
        STEP_LEFT: [[3, 2], [2, 3], [3, 4], [4, 3]],
        STEP_RIGHT: [[3, 4], [4, 3], [3, 2], [2, 3]],
        STAY: [[3, 3]] * 4,
        TURN_CW: [[3, 3]] * 4,
    }
    for action, cells in expected.items():
        actions = jnp.full((4,), action, jnp.int32)
        target = grid.move_targets(centre, orient, actions, ACTIONS, walls)
        assert np.asarray(target).tolist() == cells, ACTIONS[action]
    cw = grid.turn(orient, jnp.full((4,), TURN_CW), ACTIONS)
    ccw = grid.turn(orient, jnp.full((4,), TURN_CCW), ACTIONS)
    assert np.asarray(cw).tolist() == [RIGHT, DOWN, LEFT, UP]
    assert np.asarray(ccw).tolist() == [LEFT, UP, RIGHT, DOWN]


def test_walls_and_the_edge_block_moves():
    walls = np.zeros((3, 3), bool)
    walls[0, 1] = True
    pos = jnp.asarray([[1, 1], [0, 0]], jnp.int32)
    target = grid.move_targets(
        pos, jnp.asarray([UP, LEFT]), jnp.asarray([FORWARD, FORWARD]), ACTIONS, walls
    )
    assert np.asarray(target).tolist() == [[1, 1], [0, 0]]


# ---------------------------------------------------------------- random order


def test_precedence_gives_uniform_permutations():
    keys = jax.random.split(jax.random.PRNGKey(1), 6000)
    orders = jax.vmap(lambda k: grid.order_of(grid.precedence(jax.random.bits(k, (3,)))))(keys)
    orders = np.asarray(orders)
    assert np.all(np.sort(orders, axis=1) == np.arange(3))
    _, counts = np.unique(orders, axis=0, return_counts=True)
    assert len(counts) == 6 and np.all(np.abs(counts / 6000 - 1 / 6) < 0.02)


def test_ties_go_to_the_lower_index():
    order = grid.order_of(grid.precedence(jnp.asarray([5, 5, 1], jnp.uint32)))
    assert np.asarray(order).tolist() == [2, 0, 1]


def test_spawn_draws_distinct_cells_uniformly():
    cells = np.array([[0, 0], [0, 1], [1, 0], [1, 1], [2, 2]], np.int32)
    keys = jax.random.split(jax.random.PRNGKey(2), 5000)
    picks = np.asarray(jax.vmap(lambda k: grid.spawn(k, cells, 3))(keys))
    flat = picks[..., 0] * 3 + picks[..., 1]
    assert all(len(set(row)) == 3 for row in flat.tolist())
    for agent in range(3):  # each agent lands on each cell with probability 1/5
        _, counts = np.unique(flat[:, agent], return_counts=True)
        assert len(counts) == 5 and np.all(np.abs(counts / 5000 - 0.2) < 0.025)


# ---------------------------------------------------------------- bit sets


def test_packed_bits_round_trip_and_select_the_nth_set_bit():
    rng = np.random.default_rng(3)
    nth = jax.jit(jax.vmap(grid.nth_set_bit, in_axes=(None, 0)))
    for k in (1, 31, 32, 33, 119):
        flags = rng.random(k) < 0.4
        words = grid.pack_bits(jnp.asarray(flags))
        assert np.array_equal(np.asarray(grid.unpack_bits(words, k)), flags)
        slots = jnp.asarray(np.arange(-1, k), jnp.int32)
        assert np.array_equal(np.asarray(grid.has_bits(words, slots)), np.r_[False, flags])
        set_bits = np.flatnonzero(flags)
        picked = nth(words, jnp.arange(set_bits.size, dtype=jnp.int32))
        np.testing.assert_array_equal(np.asarray(picked), set_bits)
        ends = sorted({0, k - 1})  # distinct slots
        cleared = grid.clear_bits(words, jnp.asarray(ends), jnp.ones(len(ends), bool))
        expect = flags.copy()
        expect[ends] = False
        assert np.array_equal(np.asarray(grid.unpack_bits(cleared, k)), expect)


# ---------------------------------------------------------------- beams


def reference_beams(pos, orient, length, walls, stop=None):
    """Walk every line cell by cell (SSD ``map_env.py update_map_fire``)."""
    n, (h, w) = len(pos), walls.shape
    covered = np.zeros((n, 3, length), bool)
    hits = np.zeros((n, n), int)
    for f in range(n):
        front = grid.DIRECTIONS[orient[f]]
        right = grid.DIRECTIONS[(orient[f] + 1) % 4]
        starts = [pos[f] + front, pos[f] - right, pos[f] + right]
        for line, start in enumerate(starts):
            for k in range(length):
                r, c = start + k * front
                if not (0 <= r < h and 0 <= c < w) or walls[r, c]:
                    break
                covered[f, line, k] = True
                there = [j for j in range(n) if tuple(pos[j]) == (r, c)]
                if there:
                    hits[f, there[0]] += 1
                    break
                if stop is not None and stop[r, c]:
                    break
    return covered, hits


def test_the_ssd_beam_conflict_shape():
    # SSD tests/test_envs.py test_beam_conflict: MINI_HARVEST_MAP, agent 1 at (4, 4)
    # facing left fires at agent 0 at (4, 2)
    walls = grid.parse_map(("@@@@@@", "@ P  @", "@  AA@", "@  AA@", "@  AP@", "@@@@@@")) == "@"
    pos = jnp.asarray([[4, 2], [4, 4]], jnp.int32)
    cells, covered, hits = grid.trace_beams(pos, jnp.asarray([UP, LEFT]), 5, walls)
    lit = {tuple(c) for c in np.asarray(cells)[1][np.asarray(covered)[1]].tolist()}
    assert lit == {(3, 1), (3, 2), (3, 3), (3, 4), (4, 2), (4, 3)}
    assert np.asarray(hits).tolist() == [[0, 0], [1, 0]]


def test_beams_match_a_cell_by_cell_walk():
    rng = np.random.default_rng(4)
    walls = rng.random((9, 11)) < 0.15
    free = np.argwhere(~walls)
    plain = jax.jit(lambda pos, orient: grid.trace_beams(pos, orient, 5, walls))
    stopped = jax.jit(lambda pos, orient, stop: grid.trace_beams(pos, orient, 5, walls, stop))
    for trial in range(30):
        n = 6
        pos = free[rng.choice(len(free), n, replace=False)]
        orient = rng.integers(0, 4, n)
        stop = rng.random(walls.shape) < 0.2 if trial % 2 else None
        args = (jnp.asarray(pos, jnp.int32), jnp.asarray(orient, jnp.int32))
        if stop is None:
            _, covered, hits = plain(*args)
        else:
            _, covered, hits = stopped(*args, jnp.asarray(stop))
        ref_covered, ref_hits = reference_beams(pos, orient, 5, walls, stop)
        np.testing.assert_array_equal(np.asarray(covered), ref_covered)
        np.testing.assert_array_equal(np.asarray(hits), ref_hits)


def reference_clean(marked, pos, orient, length, walls, active, order):
    """Sequential cleaning beams on a boolean grid (the SSD's ``update_custom_moves``)."""
    marked = marked.copy()
    counts = np.zeros(len(pos), int)
    for f in order:
        if not active[f]:
            continue
        front = grid.DIRECTIONS[orient[f]]
        right = grid.DIRECTIONS[(orient[f] + 1) % 4]
        for start in (pos[f] + front, pos[f] - right, pos[f] + right):
            for k in range(length):
                r, c = start + k * front
                if not (0 <= r < walls.shape[0] and 0 <= c < walls.shape[1]) or walls[r, c]:
                    break
                if marked[r, c]:
                    marked[r, c] = False
                    counts[f] += 1
                    break
                if any(tuple(p) == (r, c) for p in pos):
                    break
    return marked, counts


def test_cleaning_beams_fire_in_order_and_stop_at_the_first_waste():
    rng = np.random.default_rng(5)
    walls = rng.random((8, 10)) < 0.1
    river = np.flatnonzero(~walls.reshape(-1) & (rng.random(80) < 0.7))
    clear = jax.jit(
        lambda marked, pos, orient, active, order: grid.clear_along_beams(
            marked, river, pos, orient, 5, walls, active, order
        )
    )
    free = np.argwhere(~walls)
    for _ in range(30):
        n = 5
        pos = free[rng.choice(len(free), n, replace=False)]
        orient = rng.integers(0, 4, n)
        active = rng.random(n) < 0.7
        order = rng.permutation(n)
        flags = rng.random(river.size) < 0.5
        marked = np.zeros(walls.size, bool)
        marked[river[flags]] = True
        words, counts, cells = clear(
            grid.pack_bits(jnp.asarray(flags)),
            jnp.asarray(pos, jnp.int32),
            jnp.asarray(orient, jnp.int32),
            jnp.asarray(active),
            jnp.asarray(order, jnp.int32),
        )
        ref_marked, ref_counts = reference_clean(
            marked.reshape(walls.shape), pos, orient, 5, walls, active, order
        )
        got = np.zeros(walls.size, bool)
        got[river[np.asarray(grid.unpack_bits(words, river.size))]] = True
        np.testing.assert_array_equal(got.reshape(walls.shape), ref_marked)
        np.testing.assert_array_equal(np.asarray(counts), ref_counts)
        after = np.asarray(grid.unpack_bits(words, river.size))
        gone = np.sort(np.asarray(cells)[np.asarray(cells) >= 0])
        np.testing.assert_array_equal(gone, np.flatnonzero(flags & ~after))


def test_a_later_cleaner_reaches_past_the_cell_an_earlier_one_cleaned():
    walls = np.zeros((3, 8), bool)
    river = np.arange(8)  # the top row, waste in its columns 2 and 3
    flags = np.zeros(8, bool)
    flags[[2, 3]] = True
    # both face left from row 1; their right-hand lines run along row 0: agent 0's over
    # columns 5..1, agent 1's over columns 7..3
    pos = jnp.asarray([[1, 5], [1, 7]], jnp.int32)
    orient = jnp.asarray([LEFT, LEFT], jnp.int32)
    outcomes = set()
    for order in ([0, 1], [1, 0]):
        words, counts, _ = grid.clear_along_beams(
            grid.pack_bits(jnp.asarray(flags)),
            river,
            pos,
            orient,
            5,
            walls,
            jnp.asarray([True, True]),
            jnp.asarray(order, jnp.int32),
        )
        left = int(np.sum(np.asarray(grid.unpack_bits(words, 8))))
        outcomes.add((tuple(np.asarray(counts).tolist()), left))
    # agent 0 first: it cleans column 3 and agent 1 then finds nothing; agent 1 first: it
    # cleans column 3 and agent 0 goes on to column 2
    assert outcomes == {((1, 0), 1), ((1, 1), 0)}


# ---------------------------------------------------------------- egocentric views


@pytest.mark.parametrize("view", [(9, 1, 5), (7, 7, 7), (2, 3, 1), (0, 0, 0)])
def test_egocentric_windows_match_the_offsets(view):
    rng = np.random.default_rng(6)
    h, w = 6, 9
    codes = jnp.asarray(rng.integers(0, 5, (h, w)), jnp.uint8)
    pos = np.stack([rng.integers(0, h, 12), rng.integers(0, w, 12)], axis=-1)
    orient = rng.integers(0, 4, 12)
    got = grid.egocentric_windows(
        codes, jnp.asarray(pos, jnp.int32), jnp.asarray(orient, jnp.int32), view, outside=9
    )
    cells = pos[:, None, None] + grid.view_offsets(*view)[orient]
    inside = np.all((cells >= 0) & (cells < [h, w]), axis=-1)
    clipped = np.clip(cells, 0, [h - 1, w - 1])
    expect = np.where(inside, np.asarray(codes)[clipped[..., 0], clipped[..., 1]], 9)
    np.testing.assert_array_equal(np.asarray(got), expect)


def test_an_object_in_front_appears_in_the_top_rows_for_every_orientation():
    view = (3, 1, 2)
    codes = np.zeros((9, 9), np.uint8)
    for o, (dr, dc) in enumerate(grid.DIRECTIONS):
        codes[:] = 0
        codes[4 + 2 * dr, 4 + 2 * dc] = 1  # two cells ahead
        right = grid.DIRECTIONS[(o + 1) % 4]
        codes[4 + right[0], 4 + right[1]] = 2  # one cell to the right
        win = np.asarray(
            grid.egocentric_windows(
                jnp.asarray(codes), jnp.asarray([[4, 4]]), jnp.asarray([o]), view, outside=7
            )
        )[0]
        assert win[view[0] - 2, view[2]] == 1 and np.sum(win == 1) == 1
        assert win[view[0], view[2] + 1] == 2 and np.sum(win == 2) == 1


def test_packed_channels_match_the_separate_layers():
    rng = np.random.default_rng(7)
    view, n, num_codes = (3, 2, 2), 4, 4
    codes = jnp.asarray(rng.integers(0, num_codes, (7, 8)), jnp.uint8)
    pos = jnp.asarray([[1, 1], [3, 4], [5, 6], [2, 6]], jnp.int32)
    orient = jnp.asarray(rng.integers(0, 4, n), jnp.int32)
    packed = grid.mark_agents(codes, pos)
    windows = grid.egocentric_windows(packed, pos, orient, view, outside=0x3F)
    got = grid.packed_one_hot(windows, num_codes, view)
    terrain = grid.egocentric_windows(codes, pos, orient, view, outside=num_codes)
    layer = grid.agent_layer(pos, codes.shape)
    agents = grid.egocentric_windows(layer, pos, orient, view, outside=0)
    expect = grid.one_hot_view(terrain, agents, num_codes)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expect))


@pytest.mark.parametrize("length", [5, 31])
def test_first_true_keeps_only_the_first_flag_of_each_line(length):
    flags = np.random.default_rng(8).random((40, length)) < 0.3
    got = np.asarray(grid._first_true(jnp.asarray(flags)))
    expect = np.zeros_like(flags)
    for row, line in enumerate(flags):
        if line.any():
            expect[row, np.argmax(line)] = True
    np.testing.assert_array_equal(got, expect)


def test_random_bits_are_jaxs_threefry_words():
    with jax.threefry_partitionable(False):
        for count in (1, 2, 7, 125):
            for key in (jax.random.PRNGKey(3), jax.random.key(5)):
                expect = jax.random.bits(key, (count,), jnp.uint32)
                np.testing.assert_array_equal(grid.random_bits(key, count), expect)
        jitted = jax.jit(lambda k: grid.random_bits(k, 9))(jax.random.PRNGKey(4))
        np.testing.assert_array_equal(jitted, jax.random.bits(jax.random.PRNGKey(4), (9,)))
    other = jax.random.key(6, impl="rbg")  # another generator: drawn by JAX itself
    np.testing.assert_array_equal(grid.random_bits(other, 5), jax.random.bits(other, (5,)))
