"""Scripted co-players for cross-play evaluation: ``cooperate``, ``defect`` and ``random``.

Melting Pot evaluates a trained population against *background bots*, fixed scripted
policies whose behaviour is known (Agapiou et al. 2022). This module gives every
registered environment three of them:

>>> import jax
>>> from prosocial import envs
>>> from prosocial.envs.bots import make_bot
>>> env = envs.make("stag_hunt")
>>> bot = make_bot("cooperate", env)
>>> _, state = env.reset(jax.random.PRNGKey(0))
>>> act = jax.jit(jax.vmap(bot, in_axes=(None, None, None, 0)))
>>> act(jax.random.PRNGKey(1), state, env.params, jax.numpy.arange(4)).shape
(4,)

A bot is a pure function ``policy(key, state, params, agent) -> action``: it reads the
environment's full *state* (not an observation) and returns one int32 action for player
``agent`` (an int32 scalar, which may be traced). It has no Python branch on traced
values, so it can be jitted and vmapped over agents and over batches of environments.
``params`` may be ``None`` (the environment's own). The key may be shared by all agents:
it draws ``16 n`` random words (:func:`grid.random_bits`, whose unrolled hash compiles far
faster on a CPU than ``jax.random``) and agent ``i`` reads the ``i``-th sixteen, so agents
given one key still draw independently. A wrapped environment (:mod:`prosocial.envs.
wrappers`) works too: the bot reads the game's state and parameters inside the wrappers.
:func:`act_all` applies one bot to every agent, :func:`joint_policy` one bot per agent
(cross-play).

Movement. Every grid bot walks towards its target by a shortest path: a distance field
(Bellman–Ford relaxation in a ``while_loop`` over the whole grid, on the torus for the
Coin Game) with walls impassable and cells the bot wants to *avoid* (another's coin, an
apple it must not eat, a cell another snowdrift player holds) costing ``H·W`` extra, so
that it crosses one only when no other path exists. Each step it takes one move to a
neighbour that lies on a shortest path, ties (between moves, hence between equally near
targets) broken uniformly at random with its key. Moves are the game's own: absolute
``up, down, left, right`` on the Coin Game, stag hunt, snowdrift and LASE's Cleanup
grids; on Cleanup and
Harvest they are relative to the agent's orientation (``forward, step_right, backward,
step_left``, which strafe without turning), so a bot facing ``o`` that wants to go in the
absolute direction ``d`` takes the move whose offset is ``(d - o) mod 4``. The bots ignore
where the others will move this step: a move that loses a conflict is retried next step
(the random tie-break keeps two bots from blocking each other forever).

What each bot does, and why:

* ``random`` (every game, and any other environment): one action drawn uniformly from
  the action space, every step. It is the baseline of no intent.

* Coin Game (``coin_game``, ``coin_game_5x5``; ``coins="single"`` or ``"per_agent"``):
  ``cooperate`` walks to the nearest coin of its *own* colour and avoids every cell that
  holds another's coin (so it takes one only when that is the sole way to its own coin, or
  when its own coin shares a cell with another's: waiting there would deadlock two
  cooperators); with no coin of its colour on the board it stays (``stay_action``) or,
  without a stay action, makes a random move that avoids others' coins. Taking only one's
  own coins is the cooperative outcome of the game (1/2 per coin each for two players).
  With ``coins="per_agent"`` a new coin can land on the other coin's cell (one respawn in
  seven on the 3×3 board, one in 23 on 5×5), and whoever takes that pair takes another's
  coin too: two cooperators' own-colour share is about 0.88 on 3×3 (0.96 on 5×5); with
  one coin at a time it is 1.
  ``defect`` walks to the nearest coin of any colour (greedy, colour-blind), the
  dilemma's temptation: +1 for every coin and −2 to its owner.

* Cleanup (``cleanup``, ``cleanup_small``, ``cleanup_10x10``): ``cooperate`` supplies the
  public good. While there is waste, it heads for the nearest *firing spot*: a cell from
  which a cleaning beam in an orientation it can take covers a waste cell (every
  orientation on the SSD map, which has turns; only its current one, up, on LIO's maps,
  which have none). When a beam in its facing direction would clean a waste cell (traced
  exactly with :func:`grid.beam_lines`: walls, the edge and agents in the way), it fires
  ``clean``; when another orientation would, it turns towards it (clockwise for one to
  the right or behind, counter-clockwise for one to the left). Standing on a firing spot
  whose beam an agent blocks, it moves at random. With no waste left it eats like a
  defector (eating costs nobody anything once the river is clean). ``defect`` never
  cleans: it walks to the nearest apple and eats it (stepping on it), and moves at random
  while there is none (on LIO's maps and the SSD map apples grow only while the river is
  clean enough, so defectors alone never see one). Neither bot fires the
  penalty beam: it is not what the dilemma is about, and a bot that fines its
  co-players would measure something else.

* LASE's Cleanup (``cleanup_lase``): no beams, and ``clean`` and ``eat`` act on the
  bot's own cell. ``cooperate`` walks to the nearest waste cell and cleans it while any
  waste is left on the river, and otherwise walks to the nearest apple and eats it;
  ``defect`` never cleans: it walks to the nearest apple and eats it. Both stay when they
  have no target (defectors alone never see an apple: the river starts full of waste,
  and no apple grows until someone cleans).

* Harvest: ``cooperate`` eats only apples with at least :data:`HARVEST_MIN_NEIGHBOURS`
  (2) other apples in the game's own regrowth neighbourhood (the 3×3 square of the SSD
  rules, the radius-2 disc with ``regrowth_radius_sq=4``), counted before its move, and
  walks around the others. Why two: a cell regrows with a probability that grows with the
  apples around it and is zero with none, so an apple eaten with two or more neighbours
  left regrows at the two-neighbour rate at least (SSD: 0.02 a step, four times the
  one-neighbour rate), and no patch is ever eaten bare, since the last two apples of a
  patch (one neighbour each) are never taken. With no such apple it stays. ``defect``
  eats the nearest apple greedily, whatever it leaves behind.

* Stag hunt: ``cooperate`` goes for a stag and hunts on it, every step, until a partner
  joins. Its stag is the one nearest to it *and* its nearest fellow hunter still in play
  (least sum of the two Manhattan distances; ties to the first stag in row-major order,
  not to the key), so that two cooperators pick the same stag instead of waiting on two
  different ones forever; with one hunter left it is simply the nearest stag. ``defect``
  goes to the nearest hare and hunts it alone (the safe, lower payoff). Both stay when
  their prey is gone, or once they are out of play.

* Snowdrift: ``cooperate`` walks to the nearest drift that no other player stands on
  (routing around the players) and removes it (+2 to itself, +6 to each other player).
  ``defect`` never removes: it wanders, drawing uniformly from the moves and ``stay``,
  waiting for others to clear the road.

* Iterated matrix games (``iterated_matrix_game``, ``ipd``): ``cooperate`` always plays
  action 0 (``"cooperate"``), ``defect`` always action 1 (``"defect"``), the indices read
  from ``env.action_names``: AllC and AllD.

Approximations: a bot plans against the state before this step's moves, so two bots may
race to one coin or apple, and a Harvest cooperator's neighbour count can be spoiled by
another agent eating in the same step; the distance field does not treat agents as
obstacles (except in the snowdrift game, where players never share a cell); a Cleanup
firing spot ignores agents in the way (the decision to fire does not), and the walls in
the way, which on every registered map are only its border; on a map with inner walls the
distance field still walks around them. The bots are meant as fixed, legible co-players,
not as strong ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from prosocial.envs import grid
from prosocial.envs.core import Environment
from prosocial.errors import ConfigError
from prosocial.registry import Registry

Policy = Callable[..., jax.Array]
"""``policy(key, state, params, agent) -> action``, an int32 scalar."""

BOTS: Registry[Policy] = Registry("bot")
"""Bot factories: ``BOTS.make(name, env=env)`` gives the bot ``name`` for ``env``."""

HARVEST_MIN_NEIGHBOURS = 2
"""A Harvest cooperator eats an apple only with at least this many apples around it."""

_WORDS = 16  # random uint32 words a bot draws per step (jax.random compiles slowly on CPU)
_INF = 1 << 28  # an unreachable distance; sums of two stay within int32
_DIRECTIONS = np.asarray(grid.DIRECTIONS)  # UP, RIGHT, DOWN, LEFT as (row, col) steps


def bot_names() -> tuple[str, ...]:
    """The registered bots: ``("cooperate", "defect", "random")``."""
    return BOTS.names()


def make_bot(name: str, env: Environment) -> Policy:
    """The bot ``name`` for ``env``; an unknown name raises a :class:`ConfigError` naming
    the accepted ones."""
    if not isinstance(name, str) or name not in BOTS:
        raise ConfigError("bot", f"unknown bot {name!r}; accepted: {', '.join(bot_names())}")
    return BOTS.make(name, env=env)


def act_all(policy: Policy, key: jax.Array, state, params=None) -> jax.Array:
    """``(n,)`` int32: the actions of ``policy`` for every agent, all given ``key``."""
    n = _agents(state)
    return jax.vmap(policy, in_axes=(None, None, None, 0))(
        key, state, params, jnp.arange(n, dtype=jnp.int32)
    )


def joint_policy(policies: Sequence[Policy]) -> Callable[..., jax.Array]:
    """``act(key, state, params=None) -> (n,)``: agent ``i`` plays ``policies[i]``."""
    policies = tuple(policies)

    def act(key: jax.Array, state, params=None) -> jax.Array:
        return jnp.stack(
            [p(key, state, params, jnp.int32(i)) for i, p in enumerate(policies)]
        ).astype(jnp.int32)

    return act


# --------------------------------------------------------------------------------------
# plumbing: unwrapping, dispatch, the policy signature


def _unwrap(x):
    """The game's own pytree inside any wrappers (each keeps it in a field ``inner``)."""
    while dataclasses.is_dataclass(x) and any(f.name == "inner" for f in dataclasses.fields(x)):
        x = x.inner
    return x


def _agents(state) -> int:
    state = _unwrap(state)
    if hasattr(state, "pos"):
        return int(state.pos.shape[0])
    return 2  # the iterated matrix games


def _family(env: Environment) -> str:
    """Which game ``env`` plays, from the type of its (unwrapped) parameters."""
    from prosocial.envs import (
        cleanup,
        cleanup_lase,
        coin_game,
        harvest,
        matrix_game,
        snowdrift,
        stag_hunt,
    )

    families = {
        coin_game.CoinGameParams: "coin_game",
        cleanup.CleanupParams: "cleanup",
        cleanup_lase.CleanupLaseParams: "cleanup_lase",
        harvest.HarvestParams: "harvest",
        stag_hunt.StagHuntParams: "stag_hunt",
        snowdrift.SnowdriftParams: "snowdrift",
        matrix_game.MatrixGameParams: "matrix_game",
    }
    params = _unwrap(env.params)
    for kind, family in families.items():
        if isinstance(params, kind):
            return family
    raise ConfigError(
        "bot",
        f"no scripted bots for environment {env.name!r}; accepted: the games of "
        f"{', '.join(families.values())}",
    )


def _policy(env: Environment, act: Callable) -> Policy:
    """The public signature around a game's ``act(bits, state, params, agent, names)``,
    ``bits`` being the agent's :data:`_WORDS` random words."""

    def policy(key: jax.Array, state, params=None, agent=0) -> jax.Array:
        params = env.params if params is None else params
        names = tuple(env.action_names(params))
        agent = jnp.asarray(agent, jnp.int32)
        state = _unwrap(state)
        n = _agents(state)
        # one hash for every agent's words, this agent's slice: agents that share a key
        # draw independently, and under vmap over agents the hash is computed once
        words = grid.random_bits(key, n * _WORDS)
        bits = jax.lax.dynamic_slice(words, (agent * _WORDS,), (_WORDS,))
        action = act(bits, state, _unwrap(params), agent, names)
        return jnp.asarray(action, jnp.int32)

    return policy


def _first(default, *cases):
    """The action of the first ``(condition, action)`` case that holds, else ``default``."""
    out = jnp.asarray(default, jnp.int32)
    for condition, action in reversed(cases):
        out = jnp.where(condition, jnp.asarray(action, jnp.int32), out)
    return out


# --------------------------------------------------------------------------------------
# navigation on a grid


def _shift(x: jax.Array, step, torus: bool, fill) -> jax.Array:
    """``y[p] = x[p + step]``; beyond a bounded grid's edge, ``fill``."""
    dr, dc = int(step[0]), int(step[1])
    if torus:
        return jnp.roll(x, (-dr, -dc), axis=(0, 1))
    h, w = x.shape
    m = max(abs(dr), abs(dc), 1)
    padded = jnp.pad(x, m, constant_values=fill)
    return padded[m + dr : m + dr + h, m + dc : m + dc + w]


def _distance_field(targets: jax.Array, enter: jax.Array, torus: bool) -> jax.Array:
    """``d[p]``: the least cost of a walk from ``p`` to a target, entering a cell ``q``
    costing ``enter[q]`` (``_INF``: never); ``_INF`` where no target can be reached."""
    start = jnp.where(targets, 0, _INF).astype(jnp.int32)

    def relax(carry):
        d, _ = carry
        through = jnp.minimum(d + enter, _INF)
        new = jnp.minimum(start, d)
        for step in _DIRECTIONS:
            new = jnp.minimum(new, _shift(through, step, torus, _INF))
        return new, jnp.any(new != d)

    d, _ = jax.lax.while_loop(lambda c: c[1], relax, (start, jnp.bool_(True)))
    return d


def _at(pos: jax.Array, shape: tuple[int, int]) -> jax.Array:
    """``(H, W)`` boolean, true at ``pos`` only: reading a cell by a masked sum, not a gather
    (cheaper to compile under two levels of vmap)."""
    rows = jnp.arange(shape[0], dtype=jnp.int32)[:, None] == pos[0]
    return rows & (jnp.arange(shape[1], dtype=jnp.int32)[None, :] == pos[1])


def _choose(bits: jax.Array, scores: jax.Array, ok: jax.Array) -> jax.Array:
    """A uniformly random index among the ``ok`` entries of least score (``bits``: one
    random uint32 word per entry); -1 if none."""
    best = jnp.min(jnp.where(ok, scores, _INF))
    candidates = ok & (scores == best)
    priority = (bits >> 1).astype(jnp.int32)  # ties between words: probability 2^-31
    pick = jnp.argmax(jnp.where(candidates, priority, -1))
    return jnp.where(jnp.any(candidates), pick, -1).astype(jnp.int32)


def _move_table(names: tuple[str, ...]) -> np.ndarray:
    """``(4,)``: the action that moves forward, right, backward, left (-1: none)."""
    moves, _ = grid.action_tables(names)
    return np.array(
        [int(np.flatnonzero(moves == k)[0]) if np.any(moves == k) else -1 for k in range(4)],
        np.int32,
    )


def _index(names: tuple[str, ...], name: str) -> int:
    return names.index(name) if name in names else -1


def _plan(bits, targets, enter, pos, orient, names, torus: bool = False):
    """Where to go: ``(toward, at_target, wander)``.

    ``toward``: the action of a move along a shortest path to the nearest target (-1 if
    none can be reached); ``at_target``: whether ``pos`` is a target; ``wander``: a
    uniformly random move to a neighbour of least entry cost (so one that avoids what
    ``enter`` marks), -1 if none. ``bits``: 8 random uint32 words.
    """
    dist = _distance_field(targets, enter, torus)
    through = jnp.minimum(dist + enter, _INF)
    shape = jnp.asarray(targets.shape, jnp.int32)
    cells = pos[None, :] + jnp.asarray(_DIRECTIONS)  # the four neighbours
    cells = cells % shape[None] if torus else cells
    inside = jnp.all((cells >= 0) & (cells < shape[None]), axis=-1)
    near = jax.vmap(_at, in_axes=(0, None))(cells, targets.shape)  # (4, H, W)

    def read(x):  # x at the four neighbours, _INF beyond the edge
        return jnp.where(inside, jnp.sum(jnp.where(near, x[None], 0), axis=(1, 2)), _INF)

    ahead, cost = read(through), read(enter)
    at = jnp.any(_at(pos, targets.shape) & targets)
    directions = jnp.arange(4, dtype=jnp.int32)
    action = jnp.asarray(_move_table(names))[(directions - orient) % 4]
    available = action >= 0
    best = _choose(bits[:4], ahead, available & (ahead < _INF))
    free = _choose(bits[4:8], cost, available & (cost < _INF))
    toward = jnp.where(best >= 0, action[jnp.maximum(best, 0)], -1)
    wander = jnp.where(free >= 0, action[jnp.maximum(free, 0)], -1)
    return toward, at, wander


def _on_grid(flat: jax.Array, mask: jax.Array, shape: tuple[int, int]) -> jax.Array:
    """``(H, W)`` boolean: the cells of ``flat`` (``(k,)`` indices) where ``mask``."""
    cells = jnp.arange(shape[0] * shape[1], dtype=jnp.int32)
    return jnp.any((flat[:, None] == cells[None]) & mask[:, None], axis=0).reshape(shape)


# --------------------------------------------------------------------------------------
# the bots


@BOTS.register("random")
def random_bot(env: Environment) -> Policy:
    """Uniformly random over the action space (any environment)."""

    def act(bits, state, params, agent, names):
        return (bits[0] % jnp.uint32(len(names))).astype(jnp.int32)

    return _policy(env, act)


@BOTS.register("cooperate")
def cooperate_bot(env: Environment) -> Policy:
    """The cooperative scripted policy of ``env``'s game (module docstring)."""
    return _policy(env, _ACTS[_family(env)](cooperate=True))


@BOTS.register("defect")
def defect_bot(env: Environment) -> Policy:
    """The defecting scripted policy of ``env``'s game (module docstring)."""
    return _policy(env, _ACTS[_family(env)](cooperate=False))


def _coin_game(cooperate: bool):
    def act(bits, state, params, agent, names):
        g = params.size
        flat = state.coin_pos[:, 0] * g + state.coin_pos[:, 1]
        mine = state.coin_colour == agent
        if cooperate:
            targets = _on_grid(flat, mine, (g, g))
            avoid = _on_grid(flat, ~mine, (g, g))
        else:
            targets = _on_grid(flat, jnp.ones_like(mine), (g, g))
            avoid = jnp.zeros((g, g), bool)
        enter = jnp.where(avoid, 1 + g * g, 1).astype(jnp.int32)
        toward, at, wander = _plan(bits, targets, enter, state.pos[agent], 0, names, torus=True)
        stay = _index(names, "stay")
        idle = stay if stay >= 0 else wander
        return _first(idle, (~at & (toward >= 0), toward))

    return act


def _cleanup(cooperate: bool):
    from prosocial.envs import cleanup, ssd

    def act(bits, state, params, agent, names):
        lay = cleanup.layout(params)
        walls = lay.walls
        codes = state.grid
        pos, orient = state.pos[agent], state.orient[agent]
        enter = jnp.where(jnp.asarray(walls), _INF, 1).astype(jnp.int32)
        apples = codes == ssd.APPLE
        stay = max(_index(names, "stay"), 0)
        clean = _index(names, "clean")

        def plan(bits, targets):
            return _plan(bits, targets, enter, pos, orient, names)

        def greedy(eat, wander):
            return _first(stay, (eat >= 0, eat), (wander >= 0, wander))

        if not cooperate or clean < 0:
            eat, _, wander = plan(bits[:8], apples)
            return greedy(eat, wander)

        waste = codes == cleanup.WASTE
        length = params.clean_length
        offsets = jnp.asarray(grid.beam_offsets(length))  # (4, 3, L, 2): centre, left, right
        h, w = walls.shape
        # firing spots: cells from which a beam facing o covers waste (agents ignored; the
        # walls of the maps are borders, which no line between two inner cells crosses).
        # A line covers k = 0 .. L-1 cells ahead: the centre line starts a cell ahead, the
        # side lines a cell to each side.
        spots = []
        for o in range(4):
            front, right = _DIRECTIONS[o], _DIRECTIONS[(o + 1) % 4]
            line = jnp.zeros((h, w), bool)
            for k in range(length):
                line = line | _shift(waste, k * front, False, False)
            spot = _shift(line, front, False, False)
            spot = spot | _shift(line, right, False, False) | _shift(line, -right, False, False)
            spots.append(spot)
        # whether this agent's beam, facing each way now, would clean a waste cell: traced
        # as the engine does (walls, the edge, agents), from four copies of the agent
        firers = jnp.concatenate([jnp.broadcast_to(pos[None], (4, 2)), state.pos])
        facings = jnp.concatenate([jnp.arange(4, dtype=jnp.int32), state.orient])
        limit, _ = grid.beam_lines(firers, facings, length, walls)
        covered = jnp.arange(length)[None, None, :] < limit[:4, :, None]  # (4, 3, L)
        cells = jnp.clip(pos[None, None, None] + offsets, 0, jnp.asarray([[[[h - 1, w - 1]]]]))
        can_fire = jnp.any(covered & waste[cells[..., 0], cells[..., 1]], axis=(1, 2))
        cw, ccw = _index(names, "turn_cw"), _index(names, "turn_ccw")
        turns = cw >= 0 or ccw >= 0
        facing = jnp.arange(4) == orient
        allowed = jnp.ones(4, bool) if turns else facing
        spots = jnp.any(jnp.stack(spots) & allowed[:, None, None], axis=0) & ~jnp.asarray(walls)
        # both plans (apples, firing spots) in one batched search
        toward, at, wander = jax.vmap(plan)(bits.reshape(2, 8), jnp.stack([apples, spots]))
        at_spot, wander_clean = at[1], wander[1]

        right, behind, left = (can_fire[(orient + k) % 4] for k in (1, 2, 3))
        turn = _first(
            -1,
            (right & (cw >= 0), cw),
            (left & (ccw >= 0), ccw),
            (behind | right | left, cw if cw >= 0 else ccw),
        )
        fallback = _first(stay, (wander_clean >= 0, wander_clean))
        return _first(
            greedy(toward[0], wander[0]),
            (can_fire[orient], clean),
            (turn >= 0, turn),
            (jnp.any(spots) & ~at_spot & (toward[1] >= 0), toward[1]),
            (jnp.any(spots), fallback),
        )

    return act


def _cleanup_lase(cooperate: bool):
    from prosocial.envs.cleanup_lase import CLEAN, EAT, STAY

    def act(bits, state, params, agent, names):
        pos = state.pos[agent]
        enter = jnp.ones(state.waste.shape, jnp.int32)
        if cooperate:
            waste = jnp.any(state.waste)
            targets = jnp.where(waste, state.waste, state.apples)
            work = jnp.where(waste, CLEAN, EAT)
        else:
            targets, work = state.apples, EAT
        toward, at, _ = _plan(bits, targets, enter, pos, 0, names)
        return _first(STAY, (at, work), (toward >= 0, toward))

    return act


def _harvest(cooperate: bool):
    from prosocial.envs import harvest, ssd

    def act(bits, state, params, agent, names):
        lay = harvest.layout(params)
        codes = state.grid
        apples = codes == ssd.APPLE
        enter = jnp.where(jnp.asarray(lay.walls), _INF, 1).astype(jnp.int32)
        if cooperate:
            cells = jnp.asarray(lay.cells["apple"])
            counts = harvest.neighbour_counts(codes, params)
            ok = apples.reshape(-1)[cells] & (counts >= HARVEST_MIN_NEIGHBOURS)
            targets = jnp.zeros(codes.size, bool).at[cells].set(ok).reshape(codes.shape)
            enter = jnp.where(apples & ~targets, enter + codes.size, enter)
        else:
            targets = apples
        pos, orient = state.pos[agent], state.orient[agent]
        toward, at, wander = _plan(bits, targets, enter, pos, orient, names)
        stay = _index(names, "stay")
        idle = stay if stay >= 0 else wander
        return _first(idle, (~at & (toward >= 0), toward))

    return act


def _stag_hunt(cooperate: bool):
    from prosocial.envs.stag_hunt import HUNT, STAY

    def act(bits, state, params, agent, names):
        h, w = state.stags.shape
        n = state.pos.shape[0]
        pos = state.pos[agent]
        if cooperate:
            rows = jnp.arange(h, dtype=jnp.int32)[:, None]
            cols = jnp.arange(w, dtype=jnp.int32)[None, :]
            dist = jnp.abs(rows[None] - state.pos[:, 0, None, None]) + jnp.abs(
                cols[None] - state.pos[:, 1, None, None]
            )  # (n, H, W) Manhattan distances of every hunter
            partners = ~state.done & (jnp.arange(n) != agent)
            nearest = jnp.min(jnp.where(partners[:, None, None], dist, _INF), axis=0)
            cost = dist[agent] + jnp.where(jnp.any(partners), nearest, 0)
            flat = jnp.argmin(jnp.where(state.stags, cost, _INF).reshape(-1))
            targets = (jnp.arange(h * w) == flat).reshape(h, w) & jnp.any(state.stags)
        else:
            targets = state.hares
        enter = jnp.ones((h, w), jnp.int32)
        toward, at, _ = _plan(bits, targets, enter, pos, 0, names)
        return _first(STAY, (state.done[agent], STAY), (at, HUNT), (toward >= 0, toward))

    return act


def _snowdrift(cooperate: bool):
    from prosocial.envs.snowdrift import REMOVE

    def act(bits, state, params, agent, names):
        stay = names.index("stay")
        if not cooperate:
            others = [i for i, a in enumerate(names) if a != "remove"]
            return jnp.asarray(others, jnp.int32)[bits[0] % jnp.uint32(len(others))]
        h, w = state.drifts.shape
        n = state.pos.shape[0]
        flat = state.pos[:, 0] * w + state.pos[:, 1]
        taken = _on_grid(flat, jnp.arange(n) != agent, (h, w))  # cells other players hold
        targets = state.drifts & ~taken
        enter = jnp.where(taken, 1 + h * w, 1).astype(jnp.int32)
        toward, at, _ = _plan(bits, targets, enter, state.pos[agent], 0, names)
        return _first(stay, (at, REMOVE), (toward >= 0, toward))

    return act


def _matrix_game(cooperate: bool):
    def act(bits, state, params, agent, names):
        return names.index("cooperate" if cooperate else "defect")

    return act


_ACTS: dict[str, Callable[[bool], Callable]] = {
    "coin_game": _coin_game,
    "cleanup": _cleanup,
    "cleanup_lase": _cleanup_lase,
    "harvest": _harvest,
    "stag_hunt": _stag_hunt,
    "snowdrift": _snowdrift,
    "matrix_game": _matrix_game,
}


__all__ = [
    "BOTS",
    "HARVEST_MIN_NEIGHBOURS",
    "Policy",
    "act_all",
    "bot_names",
    "joint_policy",
    "make_bot",
]
