"""The iterated 2×2 matrix game with memory-one observations.

Rules:

* Two players play a one-shot 2×2 game again and again; action 0 = cooperate (C),
  1 = defect (D). The stage payoffs are a ``(2, 2, 2)`` tensor ``U`` in the layout of
  :mod:`prosocial.games.matrix`: player ``i`` receives ``U[i, a_1, a_2]``.
* The payoffs are either a named game (``game``, static): ``prisoners_dilemma``,
  ``chicken`` and ``stag_hunt`` of the thesis' Table 4.1 (R = 3, P = 1, T = R + greed,
  S = P − fear; :data:`prosocial.games.TABLE_4_1`), or ``lola_prisoners_dilemma``, the
  LOLA paper's IPD (−1, −3, 0, −2; :func:`prosocial.games.lola_payoffs`), or
  ``lase_prisoners_dilemma``, the IPD of LASE's development code (R = 4, S = 0, T = 5,
  P = 1; github ``kfq20/Empathy``, ``env.py``); or an explicit
  tensor ``payoffs`` (data, so it may be traced and vmapped over). Explicit ``payoffs``
  take precedence over ``game``. Any finite 2×2 payoffs are accepted: the game need not
  be a social dilemma.
* After every round the episode goes on with probability ``continuation`` (1 by
  default) and otherwise terminates for both players; it is truncated after
  ``max_steps`` rounds (100).

Observation of player ``i``: memory one, the uint8 one-hot vector over the five states
``(start, CC, CD, DC, DD)`` of :data:`prosocial.games.STATE_NAMES`, read from the
player's *own* perspective (its own last action first, so player 2 sees CD where player
1 sees DC); ``start`` is set on the first round of an episode only. A memory-one policy
with logits ``θ`` of :mod:`prosocial.games.iterated` therefore cooperates with
probability ``σ(θ · obs)``.

Exactness. The exact values of :func:`prosocial.games.memory_one_values` are the total
discounted returns ``V = Σ_{t≥0} γ^t r_t`` of the infinite game. This environment meets
them in expectation in two ways:

* ``continuation = γ``: the episode reaches round ``t`` with probability ``γ^t``,
  independently of the play, so the expected *undiscounted* episode return is
  ``Σ_t γ^t E[r_t] = V``, up to the truncated tail, at most ``γ^T max|U| / (1 − γ)`` for
  ``T = max_steps``;
* ``continuation = 1``: the expected *discounted* return ``Σ_{t<T} γ^t r_t`` of an
  episode is ``V`` up to the same tail.

Choices: the LASE development code's IPD (github ``kfq20/Empathy`` at c3f1608,
``env.py``) starts from the state "CC" and plays 100 steps; we mark the first round with
a ``start`` state instead, as the exact memory-one values do. The render is a 2×2 board
of the joint actions (rows: player 1's action, columns: player 2's) with the last joint
action lit.

Counter in ``info`` (per player, this step): ``matrix_game/cooperate`` (1 if it
cooperated).

Registered as ``iterated_matrix_game`` (the Table 4.1 Prisoner's Dilemma, 100 rounds, no
early stop) and ``ipd`` (the LOLA IPD with continuation 0.96, the discount of
:data:`prosocial.games.LOLA_GAMMA`, and 1000 rounds at most: its expected episode return
is :func:`prosocial.games.memory_one_values` with its defaults, up to 2e-16).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from prosocial.envs.core import (
    MAX_REAL,
    MAX_STEPS,
    Box,
    Discrete,
    Environment,
    register,
    require,
    require_int,
    require_real,
)
from prosocial.games import (
    LOLA_GAMMA,
    PERSPECTIVE_SWAP,
    START,
    chicken,
    lola_payoffs,
    matrix_game,
    prisoners_dilemma,
    stag_hunt,
)

ACTIONS = ("cooperate", "defect")
GAMES: MappingProxyType[str, Callable[[], jax.Array]] = MappingProxyType(
    {
        "prisoners_dilemma": prisoners_dilemma,
        "chicken": chicken,
        "stag_hunt": stag_hunt,
        "lola_prisoners_dilemma": lola_payoffs,
        "lase_prisoners_dilemma": lambda: matrix_game(4.0, 1.0, 5.0, 0.0),
    }
)
"""Named stage games: constructors of ``(2, 2, 2)`` payoff tensors."""


@struct.dataclass
class MatrixGameParams:
    num_agents: int = struct.field(pytree_node=False, default=2)
    game: str = struct.field(pytree_node=False, default="prisoners_dilemma")
    payoffs: Any = None
    max_steps: int = 100
    continuation: float = 1.0

    def validate(self, env: str) -> None:
        """Check every field: two players, a named ``game`` or finite ``(2, 2, 2)`` real
        ``payoffs`` (float32), ``max_steps`` within int32, ``0 < continuation <= 1``."""
        require(
            isinstance(self.num_agents, int | np.integer)
            and not isinstance(self.num_agents, bool)
            and self.num_agents == 2,
            env,
            "num_agents",
            f"accepted: 2, got {self.num_agents!r}",
        )
        if self.payoffs is None:
            require(
                isinstance(self.game, str) and self.game in GAMES,
                env,
                "game",
                f"unknown game {self.game!r}; accepted: {', '.join(sorted(GAMES))} "
                "(or explicit payoffs)",
            )
        elif not isinstance(self.payoffs, jax.core.Tracer):
            try:
                arr = np.asarray(self.payoffs)
            except ValueError:  # ragged nested lists
                arr = None
            shape = None if arr is None or arr.dtype == object else arr.shape
            require(
                shape == (2, 2, 2),
                env,
                "payoffs",
                f"shape {'ragged' if shape is None else shape}: accepted (2, 2, 2), "
                "payoffs[i, a_1, a_2] of player i",
            )
            require(
                np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating),
                env,
                "payoffs",
                f"dtype {arr.dtype}: accepted real numbers",
            )
            require(
                bool(np.all(np.isfinite(arr.astype(np.float64))))
                and bool(np.all(np.abs(arr.astype(np.float64)) <= MAX_REAL)),
                env,
                "payoffs",
                "contain NaN, inf or a number beyond float32: accepted finite numbers only",
            )
        require_int(self.max_steps, env, "max_steps", 1, MAX_STEPS, data=True)
        require_real(
            self.continuation,
            env,
            "continuation",
            0.0,
            1.0,
            accepted="a probability 0 < p <= 1",
        )
        if not isinstance(self.continuation, jax.core.Tracer):
            require(
                float(self.continuation) > 0.0,
                env,
                "continuation",
                f"accepted: a probability 0 < p <= 1; got {self.continuation!r}",
            )

    def payoff_tensor(self) -> jax.Array:
        """The ``(2, 2, 2)`` stage payoffs: ``payoffs`` if given, else the named ``game``."""
        if self.payoffs is None:
            return GAMES[self.game]()
        return jnp.asarray(self.payoffs, jnp.float32)


@struct.dataclass
class MatrixGameState:
    last: jax.Array  # () int32: START, or CC + 2 a_1 + a_2 (player 1's perspective)
    t: jax.Array  # () int32


def _init(key, params: MatrixGameParams) -> MatrixGameState:
    del key  # every episode starts in the same state
    return MatrixGameState(jnp.int32(START), jnp.zeros((), jnp.int32))


def _step(key, state: MatrixGameState, actions, params: MatrixGameParams):
    payoffs = params.payoff_tensor()
    rewards = payoffs[:, actions[0], actions[1]]
    t = state.t + 1
    stop = jax.random.uniform(key) >= params.continuation  # probability 1 - continuation
    next_state = MatrixGameState((1 + 2 * actions[0] + actions[1]).astype(jnp.int32), t)
    terminated = jnp.broadcast_to(stop, (2,))
    truncated = jnp.broadcast_to(t >= params.max_steps, (2,))
    info = {"matrix_game/cooperate": (actions == 0).astype(jnp.int32)}
    return next_state, rewards.astype(jnp.float32), terminated, truncated, info


def _observe(state: MatrixGameState, params: MatrixGameParams) -> jax.Array:
    own = jnp.stack([state.last, jnp.asarray(PERSPECTIVE_SWAP, jnp.int32)[state.last]])
    return (own[:, None] == jnp.arange(5, dtype=jnp.int32)[None]).astype(jnp.uint8)


_OFF, _ON, _LINE = (235, 235, 235), (220, 160, 40), (60, 60, 60)


def _rgb(colour) -> jax.Array:
    return jnp.asarray(colour, jnp.uint8)[None, None]


def _render(state: MatrixGameState, params: MatrixGameParams, scale: int = 32) -> jax.Array:
    """A 2×2 board: rows player 1's action, columns player 2's, the last joint action lit."""
    yy, xx = np.meshgrid(np.arange(2 * scale), np.arange(2 * scale), indexing="ij")
    cell = 1 + 2 * (yy // scale) + xx // scale  # the joint state each pixel shows
    line = ((yy % scale) < 2) | ((xx % scale) < 2) | (yy >= 2 * scale - 2) | (xx >= 2 * scale - 2)
    lit = jnp.asarray(cell)[..., None] == state.last
    colour = jnp.where(lit, _rgb(_ON), _rgb(_OFF))
    return jnp.where(jnp.asarray(line)[..., None], _rgb(_LINE), colour)


def _build(params: MatrixGameParams, name: str) -> Environment:
    return Environment(
        name=name,
        params=params,
        init_fn=_init,
        transition_fn=_step,
        observe_fn=_observe,
        observation_space=lambda p: Box(0, 1, (5,), jnp.uint8),
        action_space=lambda p: Discrete(2),
        action_names=lambda p: ACTIONS,
        render_fn=_render,
    )


register("iterated_matrix_game", MatrixGameParams)(lambda p: _build(p, "iterated_matrix_game"))
register(
    "ipd",
    lambda: dataclasses.replace(
        MatrixGameParams(),
        game="lola_prisoners_dilemma",
        max_steps=1000,
        continuation=LOLA_GAMMA,
    ),
)(lambda p: _build(p, "ipd"))
