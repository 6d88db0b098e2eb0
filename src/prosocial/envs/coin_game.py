"""The Coin Game (Lerer & Peysakhovich 2017; the thesis' §4.3.1; LOLA, Foerster et al. 2018).

Rules, as the thesis states them (§4.3.1.1) and generalised to ``n`` players:

* ``n`` agents, agent ``i`` of colour ``i``, move on a ``size × size`` torus with the
  actions ``up, down, left, right`` (and ``stay`` when ``stay_action``); moves are
  simultaneous and agents may share a cell.
* ``coins = "single"`` (thesis, LOLA): one coin is on the board at a time; after it is
  picked up a new coin appears at once, of a uniformly random colour, on a uniformly
  random cell that no agent occupies. ``coins = "per_agent"`` (the Pax / JaxMARL
  variant): one coin of every colour is always on the board, each respawning the same
  way when taken.
* An agent that stands on a coin after the move picks it up and receives
  ``+pickup_reward`` (1); if the coin is another agent's colour, the owner receives
  ``owner_penalty`` (−2). When several agents reach the same coin in one step each of
  them is credited and the owner is charged for each other picker (as in LOLA-DiCE and
  Pax; the original LOLA code gave the coin to red).
* Episodes last ``max_steps`` steps (100 in the thesis; LOLA used 150), then truncate.

The reward structure makes it a social dilemma: greedy agents that take every coin get
0 in expectation (two players), those who take only their own get 1/2 per coin each.

Observation of agent ``i``: ``(size, size, 4)`` binary channels ``[self, other agents,
coins of my colour, coins of other colours]``, the Pax convention in which every agent
sees the board from its own point of view. With ``egocentric`` the board is shifted on
the torus so that the agent sits at the centre cell.

Counters in ``info``: ``coin/picked`` and ``coin/own`` (coins picked up by each agent,
all and of its own colour), ``coin/lost`` (own-colour coins taken by others).

Registered as ``coin_game`` (the thesis': 2 players, 3×3, one coin, 100 steps) and
``coin_game_5x5`` (the common 5×5 board of LASE's code).

JaxMARL's rules (``coins="per_agent"``, ``stay_action=True``, ``max_steps=10``; JaxMARL,
Rutherford et al., NeurIPS 2024 Datasets and Benchmarks, ``FLAIROx/JaxMARL``,
``jaxmarl/environments/coin_game/coin_game.py``) reproduce its pay-offs, two coins and
five actions, but still differ from it in three ways:

* Spawning. prosocial puts a new coin, at reset and after a pick-up, on a uniformly
  random cell that no agent occupies (two coins may still share a cell). JaxMARL draws
  each new coin's cell uniformly from all cells, so a coin can appear under an agent.
* Resets. prosocial's reset places the agents on distinct cells and the coins on cells
  without agents. JaxMARL's reset draws all four positions independently, so two agents,
  or an agent and a coin, can start on the same cell.
* Action indices. prosocial's actions are ``0 up, 1 down, 2 left, 3 right, 4 stay`` with
  "up" meaning row − 1; JaxMARL's are ``0 right, 1 left, 2 up, 3 down, 4 stay`` with its
  "up" meaning row + 1, i.e. our "down" (and its "down" our "up"). Map indices
  (JaxMARL → prosocial: 0→3, 1→2, 2→1, 3→0, 4→4) before comparing policies.

JaxMARL also wraps 10-step inner episodes in an outer (meta) episode and flattens the
observation to 36 numbers by default; prosocial's episode is one run of ``max_steps``.
"""

from __future__ import annotations

import dataclasses

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
from prosocial.envs.grid import DIRECTIONS

_ACTION_DIRECTIONS = {"up": 0, "right": 1, "down": 2, "left": 3}


@struct.dataclass
class CoinGameParams:
    num_agents: int = struct.field(pytree_node=False, default=2)
    size: int = struct.field(pytree_node=False, default=3)
    coins: str = struct.field(pytree_node=False, default="single")
    stay_action: bool = struct.field(pytree_node=False, default=False)
    egocentric: bool = struct.field(pytree_node=False, default=False)
    max_steps: int = 100
    pickup_reward: float = 1.0
    owner_penalty: float = -2.0

    def validate(self, env: str) -> None:
        """Check every field (bounds: :data:`prosocial.envs.core.MAX_AGENTS` agents, a
        board side of at most :data:`~prosocial.envs.core.MAX_SIDE` cells,
        ``num_agents² · size²`` at most :data:`~prosocial.envs.core.MAX_ELEMENTS`, episodes
        within int32, rewards finite in float32)."""
        small = isinstance(self.num_agents, int) and self.num_agents < 2
        require(not small, env, "num_agents", f"needs at least 2, got {self.num_agents!r}")
        require_int(self.num_agents, env, "num_agents", 2, MAX_AGENTS)
        require_int(self.size, env, "size", 2, MAX_SIDE)
        require(
            isinstance(self.coins, str) and self.coins in ("single", "per_agent"),
            env,
            "coins",
            f"accepted: single, per_agent; got {self.coins!r}",
        )
        require_bool(self.stay_action, env, "stay_action")
        require_bool(self.egocentric, env, "egocentric")
        free = self.size**2 - self.num_agents
        require(
            free >= 1,
            env,
            "size",
            f"a {self.size}x{self.size} board leaves no free cell for {self.num_agents} agents",
        )
        # the observation compares every agent's view of every agent with every cell
        require_elements(
            self.num_agents**2 * self.size**2,
            env,
            "size",
            f"{self.num_agents} agents on a {self.size}x{self.size} board",
        )
        require_int(self.max_steps, env, "max_steps", 1, MAX_STEPS, data=True)
        require_real(self.pickup_reward, env, "pickup_reward")
        require_real(self.owner_penalty, env, "owner_penalty")

    @property
    def num_coins(self) -> int:
        return 1 if self.coins == "single" else self.num_agents


@struct.dataclass
class CoinGameState:
    pos: jax.Array  # (n, 2) int32
    coin_pos: jax.Array  # (m, 2) int32
    coin_colour: jax.Array  # (m,) int32
    t: jax.Array  # () int32


def _actions(params: CoinGameParams) -> tuple[str, ...]:
    base = ("up", "down", "left", "right")
    return (*base, "stay") if params.stay_action else base


def _free_cells(bits: jax.Array, taken: jax.Array) -> jax.Array:
    """Distinct uniformly random free cells, one per entry of ``bits``.

    ``bits``: ``(k,)`` uint32 random words; ``taken``: ``(size²,)`` boolean, cells that
    may not be chosen. Draw ``j`` takes the ``(bits[j] mod #free)``-th free cell, then
    marks it taken. Returns ``(k,)`` int32 flat indices.
    """
    cells = jnp.arange(taken.shape[0])
    chosen = []
    for word in bits:
        free = ~taken
        index = word % jnp.maximum(jnp.sum(free), 1).astype(jnp.uint32)
        flat = jnp.argmax(jnp.cumsum(free) > index.astype(jnp.int32))
        chosen.append(flat)
        taken = taken | (cells == flat)
    return jnp.stack(chosen).astype(jnp.int32)


def _occupied(flat: jax.Array, size: int) -> jax.Array:
    return jnp.any(jnp.arange(size * size)[:, None] == flat[None], axis=1)


def _unflat(flat: jax.Array, size: int) -> jax.Array:
    return jnp.stack([flat // size, flat % size], axis=-1).astype(jnp.int32)


def _flat(pos: jax.Array, size: int) -> jax.Array:
    return pos[..., 0] * size + pos[..., 1]


def _observe(state: CoinGameState, params: CoinGameParams) -> jax.Array:
    n, g = params.num_agents, params.size
    if params.egocentric:
        centre = g // 2
        rel_agents = (state.pos[None] - state.pos[:, None] + centre) % g  # (n, n, 2)
        rel_coins = (state.coin_pos[None] - state.pos[:, None] + centre) % g  # (n, m, 2)
        agent_cells = _flat(rel_agents, g)
        coin_cells = _flat(rel_coins, g)
    else:
        agent_cells = jnp.broadcast_to(_flat(state.pos, g)[None], (n, n))
        coin_cells = jnp.broadcast_to(_flat(state.coin_pos, g)[None], (n, params.num_coins))
    cells = jnp.arange(g * g)
    here = agent_cells[..., None] == cells[None, None]  # (n, n, g*g)
    me = jnp.eye(n, dtype=bool)[..., None]
    self_ch = jnp.any(here & me, axis=1)
    other_ch = jnp.any(here & ~me, axis=1)
    coin_here = coin_cells[..., None] == cells[None, None]  # (n, m, g*g)
    mine = (state.coin_colour[None] == jnp.arange(n)[:, None])[..., None]  # (n, m, 1)
    own_ch = jnp.any(coin_here & mine, axis=1)
    theirs_ch = jnp.any(coin_here & ~mine, axis=1)
    obs = jnp.stack([self_ch, other_ch, own_ch, theirs_ch], axis=-1)
    return obs.reshape(n, g, g, 4).astype(jnp.uint8)


def _init(key, params: CoinGameParams) -> CoinGameState:
    n, g, m = params.num_agents, params.size, params.num_coins
    bits = jax.random.bits(key, (n + m + 1,), jnp.uint32)
    agent_flat = _free_cells(bits[:n], jnp.zeros(g * g, bool))
    pos = _unflat(agent_flat, g)
    occupied = _occupied(agent_flat, g)
    # each coin independently on a cell no agent occupies
    coin_pos = _unflat(
        jnp.concatenate([_free_cells(bits[n + k : n + k + 1], occupied) for k in range(m)]), g
    )
    if params.coins == "single":
        colour = (bits[n + m :] % n).astype(jnp.int32)
    else:
        colour = jnp.arange(n, dtype=jnp.int32)
    return CoinGameState(pos, coin_pos, colour, jnp.zeros((), jnp.int32))


def _step(key, state: CoinGameState, actions, params: CoinGameParams):
    n, g, m = params.num_agents, params.size, params.num_coins
    names = _actions(params)
    table = np.array([_ACTION_DIRECTIONS.get(a, -1) for a in names], dtype=np.int32)
    direction = jnp.asarray(table)[actions]
    step = jnp.where((direction >= 0)[:, None], jnp.asarray(DIRECTIONS)[direction % 4], 0)
    pos = (state.pos + step) % g

    on_coin = jnp.all(pos[:, None] == state.coin_pos[None], axis=-1)  # (n, m)
    owner = state.coin_colour[None] == jnp.arange(n)[:, None]  # (n, m): agent owns coin
    pickers = jnp.sum(on_coin, axis=0)  # (m,)
    others_on = pickers[None] - on_coin  # pickers of coin k other than agent i
    picked = jnp.sum(on_coin, axis=1)
    own = jnp.sum(on_coin & owner, axis=1)
    lost = jnp.sum(jnp.where(owner, others_on, 0), axis=1)
    rewards = params.pickup_reward * picked + params.owner_penalty * lost

    taken = pickers > 0
    bits = jax.random.bits(key, (m + 1,), jnp.uint32)
    occupied = _occupied(_flat(pos, g), g)
    new_pos = _unflat(
        jnp.concatenate([_free_cells(bits[k : k + 1], occupied) for k in range(m)]), g
    )
    coin_pos = jnp.where(taken[:, None], new_pos, state.coin_pos)
    if params.coins == "single":
        fresh = (bits[m:] % n).astype(jnp.int32)
        coin_colour = jnp.where(taken, fresh, state.coin_colour)
    else:
        coin_colour = state.coin_colour
    t = state.t + 1
    next_state = CoinGameState(pos, coin_pos, coin_colour, t)
    truncated = jnp.broadcast_to(t >= params.max_steps, (n,))
    terminated = jnp.zeros((n,), bool)
    info = {"coin/picked": picked, "coin/own": own, "coin/lost": lost}
    return next_state, rewards.astype(jnp.float32), terminated, truncated, info


def _render(state: CoinGameState, params: CoinGameParams, scale: int = 24) -> jax.Array:
    g, n = params.size, params.num_agents
    colours = grid.agent_colours(n)
    yy, xx = jnp.meshgrid(jnp.arange(g * scale), jnp.arange(g * scale), indexing="ij")
    cell_r, cell_c = yy // scale, xx // scale
    fy, fx = (yy % scale) / scale - 0.5, (xx % scale) / scale - 0.5
    image = jnp.full((g * scale, g * scale, 3), 245, jnp.uint8)
    grid_line = ((yy % scale) == 0) | ((xx % scale) == 0)
    image = jnp.where(grid_line[..., None], jnp.uint8(200), image)

    def draw(img, mask, colour):
        return jnp.where(mask[..., None], colour, img)

    # agents as squares, coins as discs on top (an agent on a coin shows both)
    for i in range(n):
        at = (cell_r == state.pos[i, 0]) & (cell_c == state.pos[i, 1])
        square = at & (jnp.abs(fy) < 0.4) & (jnp.abs(fx) < 0.4)
        image = draw(image, square, colours[i])
    for k in range(params.num_coins):
        at = (cell_r == state.coin_pos[k, 0]) & (cell_c == state.coin_pos[k, 1])
        disc = at & (fy**2 + fx**2 < 0.2**2)
        ring = at & (fy**2 + fx**2 < 0.26**2) & ~disc
        image = draw(image, ring, jnp.uint8(30))
        image = draw(image, disc, colours[state.coin_colour[k]])
    return image


def _build(params: CoinGameParams, name: str) -> Environment:
    return Environment(
        name=name,
        params=params,
        init_fn=_init,
        transition_fn=_step,
        observe_fn=_observe,
        observation_space=lambda p: Box(0, 1, (p.size, p.size, 4), jnp.uint8),
        action_space=lambda p: Discrete(len(_actions(p))),
        action_names=_actions,
        render_fn=_render,
    )


register("coin_game", CoinGameParams)(lambda p: _build(p, "coin_game"))
register("coin_game_5x5", lambda: dataclasses.replace(CoinGameParams(), size=5))(
    lambda p: _build(p, "coin_game_5x5")
)
