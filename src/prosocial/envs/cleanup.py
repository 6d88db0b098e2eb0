"""Cleanup, the public-goods sequential social dilemma (Hughes et al. 2018; SSD).

Source: Vinitsky et al., *sequential_social_dilemma_games* (github
``eugenevinitsky/sequential_social_dilemma_games`` at 0207821,
``social_dilemmas/envs/cleanup.py``, ``social_dilemmas/maps.py CLEANUP_MAP``), and LIO's
small maps (Yang et al., NeurIPS 2020; github ``011235813/lio`` at 979e297,
``lio/env/maps.py``, ``lio/alg/config_ssd_*.py``). The engine rules shared with Harvest
(moves, the penalty beam, views, reset) are in :mod:`prosocial.envs.ssd`.

Apples grow in an orchard (``B``) only while the river (``H`` and ``R`` cells) is clean
enough; agents clean it with a beam that earns nothing, so cleaning is a public good.

Map legend: ``@`` wall, ``P`` spawn cell (floor), ``H`` river holding waste at the
start, ``R`` clean river, ``S`` stream (clean water that never holds waste), ``B``
orchard cell (no apple at the start), space floor. Terrain codes: floor, wall, apple,
waste, water (clean ``R`` and ``S``, one colour in the SSD); observation channels
``[wall, apple, waste, water, self, other agent]``.

Each step, after the moves, eating and the penalty beam (:mod:`prosocial.envs.ssd`):

* ``clean`` (length ``clean_length`` 5, width 3, earning ``clean_reward``, 0): each
  line stops at a wall (not covered), at an agent (covered) or at the first waste cell
  (covered); a covered waste cell, one under an agent included, becomes clean river.
  Cleaners fire one after another in a fresh uniformly random order, so a later beam
  goes past a cell an earlier one cleaned (SSD ``update_custom_moves``).
* Waste density ``d`` = waste cells / river cells (``H`` + ``R``), after the cleaning.
  If ``d >= threshold_depletion`` (0.4) no apple and no waste spawns; otherwise the
  waste probability is ``waste_spawn_probability`` (0.5) and the apple probability is
  ``apple_respawn_probability`` (0.05) at ``d <= threshold_restoration`` (0) and
  ``(1 - (d - restoration) / (depletion - restoration)) * apple_respawn_probability``
  between (the formula after SSD issue #139).
* Every orchard cell with neither an apple nor an agent becomes an apple with the
  apple probability, independently.
* At most one waste cell appears (SSD issue #68). The reference shuffles the river
  cells, skips those holding waste, draws Bernoulli(p) for each clean one in turn and
  puts waste on the first success. With ``k`` clean river cells, a success happens with
  probability ``1 - (1 - p)^k``, and the first success lies at a uniformly random clean
  cell whatever the draws (the order is a uniform permutation independent of them), so
  we draw the two parts directly: one uniform for "a waste appears", one uniform index
  among the clean cells. The distribution is the reference's exactly, up to the 2⁻²⁴
  step of the uniform and a modulo bias of the index below ``k`` · 2⁻³². A cell cleaned
  in this step may take the new waste, and waste may appear under an agent (as in the
  reference).

The episode starts with waste on every ``H`` cell, no apple, and then one round of the
update above (SSD ``reset``); on the SSD map that round does nothing (``d = 56/119 >=
0.4``), and it is skipped at no cost whenever its probabilities are zero.

Counters in ``info``: per agent ``cleanup/apples`` (eaten), ``cleanup/waste_cleaned``
(cells its beam cleaned), ``cleanup/fired`` (penalty beams fired), ``cleanup/hit``
(penalty lines that hit it), and the scalar ``cleanup/waste_density`` after the step.

Registered:

* ``cleanup``: the SSD map (25×18), 5 agents (SSD's scripts), 9 actions in SSD order
  ``step_left, step_right, forward, backward, stay, turn_cw, turn_ccw, fire, clean``,
  15×15 view, 1000 steps;
* ``cleanup_small``: LIO's ``CLEANUP_SMALL_SYM`` (7×7), 2 agents, 6 actions
  ``step_left, step_right, forward, backward, stay, clean`` (no penalty beam), everyone
  facing up with no turn actions, fixed spawn, 9×9 view (``view_size`` 4), 50 steps,
  apple probability 0.5, depletion 0.6, restoration 0, waste probability 0.5;
* ``cleanup_10x10``: LIO's ``CLEANUP_10x10_SYM``, as ``cleanup_small`` but 3 agents (one
  per spawn cell; LIO's config file keeps 2, set ``num_agents=2`` for it), 15×15 view
  (``view_size`` 7), apple probability 0.3, depletion 0.4.

Melting Pot's player count and view size in cells are ``num_agents=7, view=(9, 1, 5)``
on any of them (the SSD map has 10 spawn cells).

Choices and quirks (where the SSD code, its issues or Melting Pot leave a choice): the
view rotation is consistent for all orientations (SSD issue #192 not reproduced);
terrain under an agent stays visible and beams are not drawn in observations; the clean
beam stops at agents as in the SSD (in Melting Pot it passes through them); waste stops
spawning at the depletion threshold (SSD; Melting Pot's dirt never stops); firing costs
−1 even when nothing is hit and every hit line costs −50, with no removal (SSD, not
Melting Pot's zapping); move conflicts keep at most one agent per cell
(:mod:`prosocial.envs.grid`). LIO's fork cleans in agent-index order and colours waste
and river the other way round; we keep the SSD's random order and colours on every map.
"""

from __future__ import annotations

from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from prosocial.envs import grid, ssd
from prosocial.envs.core import register, require, require_real

WASTE, WATER = 3, 4
NUM_CODES = 5
LEGEND = "@P HRSB"

# colours by code (SSD ``CLEANUP_COLORS`` after its 2019 swap of river and waste)
PALETTE = np.array(
    [[0, 0, 0], [180, 180, 180], [0, 255, 0], [99, 156, 194], [113, 75, 24]], dtype=np.uint8
)

ACTIONS = (*ssd.BASE_ACTIONS, "clean")  # SSD order: the eight base actions, then clean
LIO_ACTIONS = ("step_left", "step_right", "forward", "backward", "stay", "clean")

# SSD ``maps.py CLEANUP_MAP``, verbatim
CLEANUP_MAP = (
    "@@@@@@@@@@@@@@@@@@",
    "@RRRRRR     BBBBB@",
    "@HHHHHH      BBBB@",
    "@RRRRRR     BBBBB@",
    "@RRRRR  P    BBBB@",
    "@RRRRR    P BBBBB@",
    "@HHHHH       BBBB@",
    "@RRRRR      BBBBB@",
    "@HHHHHHSSSSSSBBBB@",
    "@HHHHHHSSSSSSBBBB@",
    "@RRRRR   P P BBBB@",
    "@HHHHH   P  BBBBB@",
    "@RRRRRR    P BBBB@",
    "@HHHHHH P   BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHH    P  BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHHH  P P BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHH       BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHHH      BBBBB@",
    "@RRRRR       BBBB@",
    "@HHHH       BBBBB@",
    "@@@@@@@@@@@@@@@@@@",
)

# LIO ``lio/env/maps.py``, verbatim
CLEANUP_SMALL_SYM = (
    "@@@@@@@",
    "@H  PB@",
    "@H   B@",
    "@    B@",
    "@    B@",
    "@ P  B@",
    "@@@@@@@",
)
CLEANUP_10X10_SYM = (
    "@@@@@@@@@@",
    "@HH   P B@",
    "@RR    BB@",
    "@HH     B@",
    "@RR    BB@",
    "@HH P   B@",
    "@RR    BB@",
    "@HH     B@",
    "@RRP   BB@",
    "@@@@@@@@@@",
)


@struct.dataclass
class CleanupParams(ssd.SSDParams):
    map: tuple[str, ...] = struct.field(pytree_node=False, default=CLEANUP_MAP)
    actions: tuple[str, ...] = struct.field(pytree_node=False, default=ACTIONS)
    clean_length: int = struct.field(pytree_node=False, default=5)
    apple_respawn_probability: float = 0.05
    waste_spawn_probability: float = 0.5
    threshold_depletion: float = 0.4
    threshold_restoration: float = 0.0
    clean_reward: float = 0.0

    def validate(self, env: str) -> None:
        ssd.check_map(self.map, env, LEGEND)
        require(
            any(c in row for row in self.map for c in "HR"),
            env,
            "map",
            "needs river cells ('H' or 'R') for the waste density",
        )
        ssd.validate_common(self, env, ACTIONS)
        ssd.check_beam_length(self, env, "clean_length")
        for name in ("apple_respawn_probability", "waste_spawn_probability"):
            ssd.check_probability(self, env, name)
        for name in ("threshold_depletion", "threshold_restoration"):
            ssd.check_probability(self, env, name)
        require(
            float(self.threshold_restoration) < float(self.threshold_depletion),
            env,
            "threshold_restoration",
            f"must be below threshold_depletion ({self.threshold_depletion}), "
            f"got {self.threshold_restoration}",
        )
        require_real(self.clean_reward, env, "clean_reward")


def layout(params: CleanupParams) -> ssd.Layout:
    return ssd.parse_layout(
        params.map,
        (("@", ssd.WALL), ("H", WASTE), ("R", WATER), ("S", WATER)),
        (("orchard", "B"), ("river", "HR")),
    )


def probabilities(density: jax.Array, params: CleanupParams):
    """``(apple, waste)`` spawn probabilities at waste density ``density`` (docstring)."""
    depletion, restoration = params.threshold_depletion, params.threshold_restoration
    ramp = 1.0 - (density - restoration) / (depletion - restoration)
    apple = jnp.where(density <= restoration, 1.0, ramp) * params.apple_respawn_probability
    depleted = density >= depletion
    apple = jnp.where(depleted, 0.0, apple)
    waste = jnp.where(depleted, 0.0, params.waste_spawn_probability)
    return apple.astype(jnp.float32), jnp.asarray(waste, jnp.float32)


def _uniforms(params: CleanupParams) -> dict[str, int]:
    return {"apples": layout(params).cells["orchard"].size}


def _river_waste(codes: jax.Array, lay: ssd.Layout) -> jax.Array:
    """The waste flags of the river cells, packed (:func:`grid.pack_bits`)."""
    return grid.pack_bits(codes.reshape(-1)[jnp.asarray(lay.cells["river"])] == WASTE)


def _spawn(codes, waste, pos, words, params: CleanupParams, lay: ssd.Layout):
    """Apples and at most one waste cell (module docstring).

    ``waste``: the packed waste flags of the river cells after this step's cleaning.
    Returns the grid with the apples, the position among the river cells of the new
    waste cell (-1 for none), and the waste density after the step.
    """
    orchard, k = lay.cells["orchard"], lay.cells["river"].size
    dirty = jnp.sum(jax.lax.population_count(waste), dtype=jnp.int32)
    apple_p, waste_p = probabilities(dirty / k, params)

    draws = ssd.bernoulli(words["apples"], ssd.threshold(apple_p))
    codes = ssd.grow_apples(codes, pos, orchard, draws)

    clean = k - dirty
    chance = 1.0 - jnp.power(1.0 - waste_p, clean)
    appears = ssd.bernoulli(words["waste"][0] >> 8, ssd.threshold(chance))
    index = (words["waste"][1] % jnp.maximum(clean, 1).astype(jnp.uint32)).astype(jnp.int32)
    chosen = grid.nth_set_bit(~waste & jnp.asarray(_valid_bits(k)), index)
    return codes, jnp.where(appears, chosen, -1), (dirty + appears) / k


def _set_river(codes, slots, code: int, lay: ssd.Layout):
    """``codes`` with ``code`` on the river cells at ``slots`` (-1: none)."""
    h, w = codes.shape
    river = jnp.asarray(np.append(lay.cells["river"], h * w).astype(np.int32))
    flat = jnp.concatenate([codes.reshape(-1), jnp.zeros(1, codes.dtype)])
    flat = flat.at[river[slots]].set(jnp.uint8(code))
    return flat[: h * w].reshape(h, w)


@cache
def _valid_bits(k: int) -> np.ndarray:
    """The packed flags of ``k`` cells all set (:func:`grid.pack_bits`)."""
    bits = np.zeros(32 * -(-k // 32), np.uint64)
    bits[:k] = 1
    weights = np.uint64(1) << np.arange(32, dtype=np.uint64)
    return (bits.reshape(-1, 32) * weights).sum(axis=1).astype(np.uint32)


def _init(key, params: CleanupParams) -> ssd.SSDState:
    lay = layout(params)
    pos, orient = ssd.init_agents(key, params, lay)
    codes = jnp.asarray(lay.start)
    # the SSD's update round before the first observation, left out when it cannot act
    start_waste = np.mean(lay.start.reshape(-1)[lay.cells["river"]] == WASTE)
    apple_p, waste_p = probabilities(jnp.float32(start_waste), params)
    acts = (apple_p > 0) | (waste_p > 0)

    def round_(c):
        words = ssd.draw(jax.random.fold_in(key, 1), {"waste": 2}, _uniforms(params))
        c, new, _ = _spawn(c, _river_waste(c, lay), pos, words, params, lay)
        return _set_river(c, new[None], WASTE, lay)

    if isinstance(acts, jax.core.Tracer):  # traced parameters: decided at run time
        codes = jax.lax.cond(acts, round_, lambda c: c, codes)
    elif bool(acts):
        codes = round_(codes)
    return ssd.SSDState(pos, orient, codes, jnp.zeros((), jnp.int32))


def _step(key, state: ssd.SSDState, actions, params: CleanupParams):
    lay = layout(params)
    n = params.num_agents
    words = ssd.draw(key, {"move": n, "order": n, "waste": 2}, _uniforms(params))
    pos, orient = ssd.move(state, actions, params, lay, words["move"])
    codes, eaten = ssd.eat(state.grid, pos)
    fired, hit = ssd.fire(pos, orient, actions, params, lay)

    waste = _river_waste(codes, lay)
    cleaning = jnp.asarray(grid.action_mask(params.actions, "clean"))[actions]
    if "clean" in params.actions:
        order = grid.order_of(grid.precedence(words["order"]))
        waste, cleaned, cells = grid.clear_along_beams(
            waste, lay.cells["river"], pos, orient, params.clean_length, lay.walls, cleaning, order
        )
        codes = _set_river(codes, cells.reshape(-1), WATER, lay)
    else:
        cleaned = jnp.zeros((n,), jnp.int32)

    codes, new, density = _spawn(codes, waste, pos, words, params, lay)
    codes = _set_river(codes, new[None], WASTE, lay)
    rewards = (
        params.apple_reward * eaten
        + params.fire_reward * fired
        + params.hit_reward * hit
        + params.clean_reward * cleaning
    )
    info = {
        "cleanup/apples": eaten,
        "cleanup/waste_cleaned": cleaned,
        "cleanup/fired": fired,
        "cleanup/hit": hit,
        "cleanup/waste_density": density.astype(jnp.float32),
    }
    return ssd.finish(state, pos, orient, codes, rewards, params, info)


def _build(name: str):
    def build(params: CleanupParams):
        return ssd.build(
            name,
            params,
            init_fn=_init,
            transition_fn=_step,
            num_codes=NUM_CODES,
            palette=PALETTE,
        )

    return build


def _lio(map_rows, num_agents, view_size, apple_probability, depletion) -> CleanupParams:
    return CleanupParams(
        num_agents=num_agents,
        map=map_rows,
        view=(view_size, view_size, view_size),
        actions=LIO_ACTIONS,
        random_orientation=False,
        spawn="fixed",
        max_steps=50,
        apple_respawn_probability=apple_probability,
        waste_spawn_probability=0.5,
        threshold_depletion=depletion,
        threshold_restoration=0.0,
    )


register("cleanup", CleanupParams)(_build("cleanup"))
register("cleanup_small", lambda: _lio(CLEANUP_SMALL_SYM, 2, 4, 0.5, 0.6))(_build("cleanup_small"))
register("cleanup_10x10", lambda: _lio(CLEANUP_10X10_SYM, 3, 7, 0.3, 0.4))(_build("cleanup_10x10"))
