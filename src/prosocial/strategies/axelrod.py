"""Any prosocial strategy as an ``axelrod.Player`` (the optional ``axelrod`` extra).

    import axelrod as axl
    from prosocial.strategies.axelrod import player

    me = player("gradual_tft", estimator="bayes", eps=0.1)
    game = axl.Game(r=3, s=0, t=4, p=1)        # equal gains from switching (see below)
    axl.Match([me, axl.TitForTat()], turns=100, game=game, seed=1).play()

The player builds its strategy for the match's game when it first moves: a
:class:`prosocial.games.degrees.DegreeIPD` with the match's R, P, T, S, so the game must
be a Prisoner's Dilemma with T − R = P − S (Axelrod's default R=3, P=1, T=5, S=0 is not;
the error says so). Each move it feeds the strategy the last round (its own and the
co-player's action as played, noise included, and its own score), asks for a level and
cooperates with that probability, drawn from the player's Axelrod random generator; the
strategy's own JAX key comes from the same generator, so a seeded match is reproducible.
The jitted step of a (strategy, options, game) is built once per process and shared by
the player's clones (one compilation per tournament, not per match).

Run tournaments with ``processes=None``: any integer starts worker processes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from prosocial.errors import InvalidGameError, ProsocialError
from prosocial.games.degrees import degree_ipd
from prosocial.strategies.base import Observation

INSTALL = 'the Axelrod adapter needs the optional extra: pip install "prosocial[axelrod]"'


def _axelrod() -> Any:
    try:
        import axelrod
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ProsocialError(INSTALL) from err
    return axelrod


@functools.cache
def _compiled(name: str, options: tuple, rpst: tuple, temperature: float) -> tuple:
    """``(init, step)`` jitted for one strategy, its options and one game."""
    from prosocial.strategies import STRATEGIES

    R, P, S, T = rpst
    game = degree_ipd(R=R, P=P, T=T, S=S, temperature=temperature)
    strategy = STRATEGIES.make(name, game=game, **dict(options))

    def init(key: jax.Array) -> tuple:
        key, init_key, act_key = jax.random.split(key, 3)
        state = strategy.init(init_key)
        return state, key, strategy.act(state, act_key)

    def step(state: Any, key: jax.Array, own: jax.Array, other: jax.Array, reward: jax.Array):
        key, act_key = jax.random.split(key)
        state = strategy.update(state, Observation(own, other, reward))
        return state, key, strategy.act(state, act_key)

    return jax.jit(init), jax.jit(step)


def _options_key(options: dict) -> tuple:
    """Options as sorted ``(name, value)`` pairs: hashable, and what a clone receives."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))


@functools.cache
def _player_class() -> type:
    axl = _axelrod()

    class ProsocialPlayer(axl.Player):
        """A prosocial strategy (``STRATEGIES`` name and options) playing Axelrod's IPD."""

        name = "prosocial"
        classifier = {  # noqa: RUF012 - Axelrod's own class attribute
            "memory_depth": float("inf"),
            "stochastic": True,
            "long_run_time": False,
            "inspects_source": False,
            "manipulates_source": False,
            "manipulates_state": False,
        }

        def __init__(
            self,
            strategy: str = "gradual_tft",
            label: str | None = None,
            temperature: float = 0.2,
            options: tuple = (),
        ) -> None:
            super().__init__()
            self.strategy_name = strategy
            self.options = tuple(options)
            self.temperature = temperature
            self.name = label or f"prosocial {strategy}"
            self._state = None
            self._key = None

        def _functions(self) -> tuple[Callable, Callable]:
            game = self.match_attributes["game"]
            rpst = tuple(float(x) for x in game.RPST())
            try:
                return _compiled(self.strategy_name, self.options, rpst, float(self.temperature))
            except InvalidGameError as err:
                raise InvalidGameError(
                    f"{err}; play prosocial strategies with a game such as"
                    " axelrod.Game(r=3, s=0, t=4, p=1)"
                ) from None

        def strategy(self, opponent: Any) -> Any:
            init, step = self._functions()
            if self._state is None:
                seed = self._random.random_seed_int()
                self._state, self._key, level = init(jax.random.PRNGKey(seed))
            else:
                game = self.match_attributes["game"]
                own, other = self.history[-1], opponent.history[-1]
                self._state, self._key, level = step(
                    self._state,
                    self._key,
                    np.float32(own == axl.Action.C),
                    np.float32(other == axl.Action.C),
                    np.float32(game.score((own, other))[0]),
                )
            return axl.Action.C if self._random.random() < float(level) else axl.Action.D

        def __repr__(self) -> str:
            return self.name

        @property
        def probe(self) -> np.ndarray:
            """The strategy's ``[α, β̂]`` now (NaN where it has none)."""
            from prosocial.strategies import STRATEGIES

            if self._state is None:
                return np.full(2, np.nan)
            game = self.match_attributes["game"]
            R, P, S, T = (float(x) for x in game.RPST())
            built = STRATEGIES.make(
                self.strategy_name,
                game=degree_ipd(R=R, P=P, T=T, S=S, temperature=self.temperature),
                **dict(self.options),
            )
            return np.asarray(built.probe(self._state))

    return ProsocialPlayer


def player(
    strategy: str = "gradual_tft",
    *,
    label: str | None = None,
    temperature: float = 0.2,
    **options: Any,
) -> Any:
    """An ``axelrod.Player`` that plays the registered prosocial strategy ``strategy``.

    Args:
        strategy: a name of :data:`prosocial.strategies.STRATEGIES`.
        label: the player's name in tournament tables (``"prosocial <strategy>"``).
        temperature: κ of the game's α-policies.
        options: the strategy's options (``estimator="reward"``, ``eps=0.05``, ...).
    """
    from prosocial.strategies import STRATEGIES

    STRATEGIES.get(strategy)  # an unknown name is an error now, not at the first move
    return _player_class()(strategy, label, temperature, _options_key(options))
