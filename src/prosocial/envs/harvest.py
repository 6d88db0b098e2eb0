"""Harvest, the common-pool-resource sequential social dilemma (Perolat et al. 2017; SSD).

Source: Vinitsky et al., *sequential_social_dilemma_games* (github
``eugenevinitsky/sequential_social_dilemma_games`` at 0207821,
``social_dilemmas/envs/harvest.py``, ``social_dilemmas/maps.py HARVEST_MAP``); Melting
Pot's ``commons_harvest__open`` (Agapiou et al. 2022; github ``google-deepmind/meltingpot``,
``meltingpot/configs/substrates/commons_harvest__open.py`` and
``meltingpot/lua/levels/commons_harvest/components.lua``) for the alternative regrowth.
The engine rules shared with Cleanup (moves, the penalty beam, views, reset) are in
:mod:`prosocial.envs.ssd`.

Apples regrow only near other apples, so a patch eaten bare never comes back: eating
fast pays each agent now and ruins the commons for all.

Map legend: ``@`` wall, ``P`` spawn cell (floor), ``A`` apple cell (holding an apple at
the start), space floor. Terrain codes: floor, wall, apple; observation channels
``[wall, apple, self, other agent]``.

Each step, after the moves, eating and the penalty beam (:mod:`prosocial.envs.ssd`),
every ``A`` cell with neither an apple nor an agent becomes an apple, independently,
with probability ``regrowth_probabilities[min(c, len - 1)]``, where ``c`` counts the
apples (after this step's eating) at offsets ``(dr, dc) != (0, 0)`` with
``dr² + dc² <= regrowth_radius_sq``, cells beyond the map counting none.

* SSD (the default): ``regrowth_radius_sq = 2`` and probabilities
  ``(0, 0.005, 0.02, 0.05)``. The SSD code compares ``dr² + dc²`` with
  ``APPLE_RADIUS = 2`` without squaring it, which gives the 3×3 square; the pull request
  that wrote it (SSD issue #145) describes the radius-2 disc. We reproduce the code, as
  every published SSD result ran it.
* Melting Pot: ``regrowth_radius_sq = 4`` (the Euclidean radius-2 disc, 12 neighbours)
  and ``(0, 0.0025, 0.005, 0.025)``. Melting Pot also regrows apples under standing
  players; we keep the SSD's rule that an occupied cell does not regrow.

Since every ``A`` cell holds an apple at the start, the SSD's update round at reset can
grow nothing, and is left out.

Counters in ``info``: per agent ``harvest/apples`` (eaten), ``harvest/fired`` (penalty
beams fired), ``harvest/hit`` (penalty lines that hit it), and the scalar
``harvest/apples_left`` on the map after the step.

Registered as ``harvest``: the SSD map (16×38), 5 agents (SSD's scripts), 8 actions in SSD
order ``step_left, step_right, forward, backward, stay, turn_cw, turn_ccw, fire``, 15×15
view, 1000 steps. Melting Pot's player count and view are ``num_agents=7,
view=(9, 1, 5)`` (Melting Pot's own 18×24 map is not included).

Registered as ``harvest_small``: prosocial's own 10×14 orchard (``SMALL_ORCHARD``, 26
apples in three patches, four spawn corners; not a published map), 4 agents, 9×9 view,
100 steps, the SSD's regrowth: scarce apples that four agents meet over within a few
steps, at a scale 2 cores can train.

Choices and quirks (where the SSD code, its issues or Melting Pot leave a choice): the
view rotation is consistent for all orientations (SSD issue #192 not reproduced); firing
costs −1 even when nothing is hit and every hit line costs −50, with no removal (SSD,
not Melting Pot's zapping); move conflicts keep at most one agent per cell
(:mod:`prosocial.envs.grid`).
"""

from __future__ import annotations

import math
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from prosocial.envs import ssd
from prosocial.envs.core import MAX_SIDE, register, require, require_elements

NUM_CODES = 3
LEGEND = "@P A"
PALETTE = np.array([[0, 0, 0], [180, 180, 180], [0, 255, 0]], dtype=np.uint8)
ACTIONS = ssd.BASE_ACTIONS
SSD_REGROWTH = (0.0, 0.005, 0.02, 0.05)
MELTINGPOT_REGROWTH = (0.0, 0.0025, 0.005, 0.025)

# SSD ``maps.py HARVEST_MAP``, verbatim
HARVEST_MAP = (
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
    "@ P   P      A    P AAAAA    P  A P  @",
    "@  P     A P AA    P    AAA    A  A  @",
    "@     A AAA  AAA    A    A AA AAAA   @",
    "@ A  AAA A    A  A AAA  A  A   A A   @",
    "@AAA  A A    A  AAA A  AAA        A P@",
    "@ A A  AAA  AAA  A A    A AA   AA AA @",
    "@  A A  AAA    A A  AAA    AAA  A    @",
    "@   AAA  A      AAA  A    AAAA       @",
    "@ P  A       A  A AAA    A  A      P @",
    "@A  AAA  A  A  AAA A    AAAA     P   @",
    "@    A A   AAA  A A      A AA   A  P @",
    "@     AAA   A A  AAA      AA   AAA P @",
    "@ A    A     AAA  A  P          A    @",
    "@       P     A         P  P P     P @",
    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
)

# prosocial's own small orchard: 26 apples in three patches for four agents who meet
# within a few steps, so that the agents compete for scarce apples (and may strip a patch)
# at a scale 2 cores can train; the SSD map's 155 apples outlast short episodes
SMALL_ORCHARD = (
    "@@@@@@@@@@@@@@",
    "@P    AA    P@",
    "@    AAAA    @",
    "@   AAAAAA   @",
    "@    AAAA    @",
    "@  A      A  @",
    "@ AAA    AAA @",
    "@  A      A  @",
    "@P          P@",
    "@@@@@@@@@@@@@@",
)


@struct.dataclass
class HarvestParams(ssd.SSDParams):
    map: tuple[str, ...] = struct.field(pytree_node=False, default=HARVEST_MAP)
    actions: tuple[str, ...] = struct.field(pytree_node=False, default=ACTIONS)
    regrowth_radius_sq: int = struct.field(pytree_node=False, default=2)
    regrowth_probabilities: tuple[float, ...] = SSD_REGROWTH

    def validate(self, env: str) -> None:
        ssd.check_map(self.map, env, LEGEND)
        ssd.validate_common(self, env, ssd.BASE_ACTIONS)
        require(
            isinstance(self.regrowth_radius_sq, int | np.integer)
            and not isinstance(self.regrowth_radius_sq, bool)
            and 1 <= self.regrowth_radius_sq <= MAX_SIDE**2,
            env,
            "regrowth_radius_sq",
            f"must be an integer >= 1 (2: SSD's 3x3 square, 4: Melting Pot's radius-2 disc; "
            f"at most {MAX_SIDE**2}), got {self.regrowth_radius_sq!r}",
        )
        reach = 2 * math.isqrt(int(self.regrowth_radius_sq)) + 1
        cells = len(self.map) * len(self.map[0])
        require_elements(
            cells * reach**2, env, "regrowth_radius_sq", "the neighbour table of the map"
        )
        probs = self.regrowth_probabilities
        require(
            isinstance(probs, tuple)
            and 1 <= len(probs) <= MAX_SIDE**2
            and all(
                isinstance(p, int | float | np.integer | np.floating)
                and not isinstance(p, bool)
                and bool(np.isfinite(p))
                and 0.0 <= float(p) <= 1.0
                for p in probs
            ),
            env,
            "regrowth_probabilities",
            f"must be a tuple of probabilities in [0, 1] for 0, 1, ... neighbouring apples; "
            f"got {probs!r}",
        )


def layout(params: HarvestParams) -> ssd.Layout:
    return ssd.parse_layout(params.map, (("@", ssd.WALL), ("A", ssd.APPLE)), (("apple", "A"),))


@cache
def neighbour_offsets(radius_sq: int) -> np.ndarray:
    """``(K, 2)`` offsets ``(dr, dc) != (0, 0)`` with ``dr² + dc² <= radius_sq``."""
    reach = int(np.floor(np.sqrt(radius_sq)))
    span = np.arange(-reach, reach + 1)
    dr, dc = np.meshgrid(span, span, indexing="ij")
    keep = (dr**2 + dc**2 <= radius_sq) & ((dr != 0) | (dc != 0))
    return np.stack([dr[keep], dc[keep]], axis=-1).astype(np.int32)


@cache
def _neighbour_index(rows: tuple[str, ...], radius_sq: int) -> tuple[int, np.ndarray]:
    """Padding and ``(K, M)`` flat indices, into the padded grid, of each apple cell's
    neighbours."""
    lay = ssd.parse_layout(rows, (("@", ssd.WALL), ("A", ssd.APPLE)), (("apple", "A"),))
    w = lay.walls.shape[1]
    offsets = neighbour_offsets(radius_sq)
    pad = int(np.abs(offsets).max())
    cells = lay.cells["apple"]
    r, c = cells // w + pad, cells % w + pad
    width = w + 2 * pad
    index = (r[:, None] + offsets[None, :, 0]) * width + c[:, None] + offsets[None, :, 1]
    return pad, index.astype(np.int32)


def neighbour_counts(codes: jax.Array, params: HarvestParams) -> jax.Array:
    """``(K,)`` int32: apples around each apple cell of the map (module docstring)."""
    pad, index = _neighbour_index(params.map, params.regrowth_radius_sq)
    apples = jnp.pad((codes == ssd.APPLE).astype(jnp.uint8), pad).reshape(-1)
    return jnp.sum(apples[jnp.asarray(index)], axis=1, dtype=jnp.int32)


def regrowth_bound(counts: jax.Array, params: HarvestParams) -> jax.Array:
    """The :func:`ssd.bernoulli` bound of each cell's regrowth probability, by a chain of
    selects over the (few) entries rather than a gather."""
    bounds = [ssd.threshold(p) for p in params.regrowth_probabilities]
    bound = jnp.broadcast_to(bounds[-1], counts.shape)
    for count in range(len(bounds) - 2, -1, -1):
        bound = jnp.where(counts == count, bounds[count], bound)
    return bound


def _init(key, params: HarvestParams) -> ssd.SSDState:
    lay = layout(params)
    pos, orient = ssd.init_agents(key, params, lay)
    return ssd.SSDState(pos, orient, jnp.asarray(lay.start), jnp.zeros((), jnp.int32))


def _step(key, state: ssd.SSDState, actions, params: HarvestParams):
    lay = layout(params)
    cells = lay.cells["apple"]
    n = params.num_agents
    words = ssd.draw(key, {"move": n}, {"apples": cells.size})
    pos, orient = ssd.move(state, actions, params, lay, words["move"])
    codes, eaten = ssd.eat(state.grid, pos)
    fired, hit = ssd.fire(pos, orient, actions, params, lay)

    bounds = regrowth_bound(neighbour_counts(codes, params), params)
    codes = ssd.grow_apples(codes, pos, cells, ssd.bernoulli(words["apples"], bounds))

    rewards = params.apple_reward * eaten + params.fire_reward * fired + params.hit_reward * hit
    info = {
        "harvest/apples": eaten,
        "harvest/fired": fired,
        "harvest/hit": hit,
        "harvest/apples_left": jnp.sum(codes == ssd.APPLE, dtype=jnp.int32),
    }
    return ssd.finish(state, pos, orient, codes, rewards, params, info)


def _build(name: str):
    def build(params: HarvestParams):
        return ssd.build(
            name, params, init_fn=_init, transition_fn=_step, num_codes=NUM_CODES, palette=PALETTE
        )

    return build


def _small() -> HarvestParams:
    return HarvestParams(map=SMALL_ORCHARD, num_agents=4, view=(4, 4, 4), max_steps=100)


register("harvest", HarvestParams)(_build("harvest"))
register("harvest_small", _small)(_build("harvest_small"))
