"""Gradient play of a differentiable game under a gradient adjustment (the AgA paper).

One registered program, ``PROGRAMS["adjust"]``: every player holds parameters ``w_i``,
and each step moves ``w`` along the direction of one registered adjustment
(:data:`prosocial.adjust.ADJUSTMENTS`: Simul-Ind, CGA, SGA, SVO, Simul-Co, SL, AgA, ...)
through a shared optimiser. The methods a batch uses are the branches of one
``lax.switch``; a cell picks its own by an index and sets its own coefficient, both
dynamic data, so a whole coefficient sweep is one compiled program.

Per-seed inputs are PRNG keys of random initial parameters (the public goods game:
``w_i ~ Logistic(0, init_scale)``) or given start points (the toy game). The PRNG keys of
a public goods cell are ``split(fold_in(PRNGKey(seed), stream), seeds)``: stream 1 holds
the runs that choose a coefficient, stream 0 the runs a table reports.

Row 0 of the metrics is the start (step 0); row ``r`` is the state after ``r · log_every``
steps. With ``hold`` a step that would make ``w`` or the losses non-finite is not taken:
the trajectory stays at its last finite point and ``diverged_at`` records the step.
Without it, ``params/w`` turns NaN from the first non-finite step on, so that the runner
sees a run whose ``w`` ran off to ±∞ even where the contributions ``b·σ(w)`` saturate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from prosocial.adjust import ADJUSTMENTS, COEFFICIENT
from prosocial.errors import ConfigError
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.program import PROGRAMS, Program
from prosocial.games import (
    AGA_TOY_VARIANTS,
    aga_toy_game,
    check_public_goods,
    public_goods_contributions,
    public_goods_game,
    public_goods_payoffs,
)
from prosocial.metrics import equality

METHODS = tuple(COEFFICIENT)
GAMES = ("public_goods", "toy")


@dataclass(frozen=True)
class AdjustConfig(Config):
    """One cell: a method with its coefficient on a game, over ``seeds`` runs."""

    game: str = option("public_goods", "the game", choices=GAMES)
    variant: str = option("blog", "the toy game's reading of ℓ₂", choices=AGA_TOY_VARIANTS)
    n_players: int = option(2, "players of the public goods game", low=2, high=64)
    endowment: float = option(1.0, "the budget b", low=0.0, strict=True, high=1e3)
    multiplier: float = option(1.5, "the multiplier c", low=1.0, strict=True, high=64.0)
    methods: tuple[str, ...] = option(
        ("simul_ind",), "the methods compiled together", choices=METHODS
    )
    method: str = option("simul_ind", "this cell's method", choices=METHODS)
    coefficient: float = option(0.0, "the method's own coefficient (SVO: radians)")
    svo_weight: float = option(1.0, "SVO's shaping weight", low=0.0, high=1e3)
    optimizer: str = option("sgd", "the shared optimiser", choices=("sgd", "adam"))
    lr: float = option(0.25, "the shared learning rate", low=0.0, strict=True, high=1e3)
    steps: int = option(100, "learning steps", low=1, high=10**6)
    log_every: int = option(10, "steps between logged rows", low=1, high=10**6)
    init_scale: float = option(1.0, "w_i ~ Logistic(0, init_scale)", low=0.0, strict=True, high=1e3)
    hold: bool = option(False, "a step that would be non-finite is not taken")
    points: tuple[float, ...] | None = option(
        None, "given start points a1,a2,a1,a2,... (none: random)", low=-1e3, high=1e3, unique=False
    )
    start_box: tuple[float, ...] = option(
        (-1.0, 1.0), "random start points: uniform on this square, low,high", low=-1e3, high=1e3
    )
    stream: int = option(0, "PRNG stream of the runs (fold_in of the seed)", low=0, high=1)
    seeds: int = seeds_option(50)
    seed: int = seed_option()

    def check(self) -> None:
        if self.method not in self.methods:
            raise ConfigError("method", f"{self.method!r} is not among methods={self.methods}")
        check_log_every(self, "steps")
        if self.game == "public_goods":
            check_public_goods(self.n_players, self.endowment, self.multiplier)
        elif self.points is not None and len(self.points) != 2 * self.seeds:
            raise ConfigError(
                "points",
                f"{len(self.points)} numbers for {self.seeds} seeds; "
                "accepted: one a1,a2 pair per seed",
            )
        if len(self.start_box) != 2 or self.start_box[0] >= self.start_box[1]:
            raise ConfigError("start_box", f"{self.start_box!r}; accepted: low,high, low < high")


class Static(NamedTuple):
    game: str
    variant: str
    n_players: int
    endowment: float
    multiplier: float
    methods: tuple[str, ...]
    svo_weight: float
    optimizer: str
    log_every: int
    init_scale: float
    hold: bool


class Dynamic(NamedTuple):
    index: jax.Array
    coefficient: jax.Array
    lr: jax.Array
    steps: jax.Array


class State(NamedTuple):
    w: jax.Array
    opt: optax.OptState
    t: jax.Array
    row: jax.Array
    finite: jax.Array
    died: jax.Array


def adjustment(method: str, coefficient=None, svo_weight: float = 1.0):
    """The registered adjustment ``method`` with its own coefficient set."""
    kwargs = {}
    if COEFFICIENT[method] is not None and coefficient is not None:
        kwargs[COEFFICIENT[method]] = coefficient
    if method == "svo":
        kwargs["weight"] = svo_weight
    return ADJUSTMENTS.make(method, **kwargs)


def branches(losses_fn, methods, svo_weight: float = 1.0):
    """One ``(w, coefficient) -> direction`` per method (stateless methods only)."""

    def branch(method):
        def direction(w, coefficient):
            adj = adjustment(method, coefficient, svo_weight)
            state = adj.init(w)
            if not isinstance(state, optax.EmptyState):
                raise ConfigError("methods", f"{method!r} keeps state; accepted: stateless")
            return adj.update(losses_fn, w, state)[0]

        return direction

    return [branch(m) for m in methods]


def game_of(static: Static):
    if static.game == "toy":
        return aga_toy_game(static.variant)
    return public_goods_game(static.n_players, static.endowment, static.multiplier)


def _optimizer(static: Static, lr) -> optax.GradientTransformation:
    return optax.sgd(lr) if static.optimizer == "sgd" else optax.adam(lr)


def toy_points(config: AdjustConfig) -> np.ndarray:
    """``(seeds, 2)`` start points: the given ones, or uniform on the start box from a
    NumPy generator seeded by ``seed``."""
    if config.points is not None:
        return np.asarray(config.points, np.float32).reshape(-1, 2)
    rng = np.random.default_rng(config.seed)
    low, high = config.start_box
    return rng.uniform(low, high, size=(config.seeds, 2)).astype(np.float32)


def inputs(config: AdjustConfig) -> jax.Array:
    if config.game == "toy":
        return jnp.asarray(toy_points(config))
    root = jax.random.fold_in(jax.random.PRNGKey(config.seed), config.stream)
    return jax.random.split(root, config.seeds)


def init(static: Static, dyn: Dynamic, x: jax.Array) -> State:
    if static.game == "toy":
        w = x[:, None]
    else:
        w = static.init_scale * jax.random.logistic(x, (static.n_players, 1))
    zero = jnp.zeros((), jnp.int32)
    opt = _optimizer(static, dyn.lr).init(w)
    return State(w, opt, zero, zero, jnp.all(jnp.isfinite(w)), zero - 1)


def _measure(static: Static, state: State) -> dict:
    row = {"step": state.t}
    if static.game == "toy":
        rewards = -game_of(static)(state.w)
        return row | {
            "action/a": state.w[:, 0],
            "payoff/reward": rewards,
            "social/collective": rewards.sum(),
        }
    a = public_goods_contributions(state.w, static.endowment)
    p = public_goods_payoffs(a, static.endowment, static.multiplier)
    return row | {
        "action/contribution": a,
        "payoff/reward": p,
        "social/welfare": p.sum(),
        "social/equality": equality(p, convention="published"),
        "params/w": jnp.where(state.finite, state.w[:, 0], jnp.nan),
    }


def _step(static: Static, dyn: Dynamic, state: State, target: jax.Array) -> State:
    losses_fn = game_of(static)
    go = (state.t < target) & (state.t < dyn.steps)
    direction = jax.lax.switch(
        dyn.index, branches(losses_fn, static.methods, static.svo_weight), state.w, dyn.coefficient
    )
    updates, opt = _optimizer(static, dyn.lr).update(direction, state.opt, state.w)
    new = optax.apply_updates(state.w, updates)
    ok = jnp.all(jnp.isfinite(new))
    if static.hold:
        ok = ok & jnp.all(jnp.isfinite(losses_fn(new)))
        take = go & state.finite & ok
        died = jnp.where(go & state.finite & ~ok, state.t + 1, state.died)
        stepped = State(new, opt, state.t + 1, state.row, state.finite & ok, died)
        held = state._replace(t=state.t + 1, finite=state.finite & ok, died=died)
        moved = jax.tree.map(lambda a, b: jnp.where(take, a, b), stepped, held)
        return jax.tree.map(lambda a, b: jnp.where(go, a, b), moved, state)
    stepped = State(new, opt, state.t + 1, state.row, state.finite & ok, state.died)
    return jax.tree.map(lambda a, b: jnp.where(go, a, b), stepped, state)


def advance(static: Static, dyn: Dynamic, state: State, rows: int) -> tuple[State, dict]:
    """``rows`` logged rows: row 0 is the start, each later row ``log_every`` steps on."""
    return log_rows(
        static.log_every,
        lambda s, target: _step(static, dyn, s, target),
        lambda s: _measure(static, s),
        state,
        rows,
    )


def log_rows(log_every: int, step, measure, state, rows: int):
    """The shared row loop: row ``r`` runs the steps up to ``r · log_every`` (none for
    row 0), then measures. ``state`` has fields ``t`` (steps taken) and ``row``."""

    def one(state, _):
        target = state.row * log_every
        state = jax.lax.fori_loop(0, log_every, lambda _, s: step(s, target), state)
        state = state._replace(row=state.row + 1)
        return state, measure(state)

    return jax.lax.scan(one, state, None, length=rows)


def finish(static: Static, dyn: Dynamic, state: State) -> dict:
    return {"diverged_at": state.died, "w_finite": state.finite}


def _static(configs) -> Static:
    c = configs[0]
    return Static(
        c.game,
        c.variant,
        c.n_players,
        c.endowment,
        c.multiplier,
        c.methods,
        c.svo_weight,
        c.optimizer,
        c.log_every,
        c.init_scale,
        c.hold,
    )


def _dynamic(config: AdjustConfig, static: Static) -> Dynamic:
    return Dynamic(
        jnp.asarray(static.methods.index(config.method), jnp.int32),
        jnp.asarray(config.coefficient, jnp.float32),
        jnp.asarray(config.lr, jnp.float32),
        jnp.asarray(config.steps, jnp.int32),
    )


def _group(config: AdjustConfig):
    return (*_static([config]), config.seeds)


PROGRAMS.register(
    "adjust",
    lambda: Program(
        name="adjust",
        x="step",
        group=_group,
        static=_static,
        dynamic=_dynamic,
        inputs=inputs,
        init=init,
        advance=advance,
        rows=lambda c: c.steps // c.log_every + 1,
        chunk=lambda c, every: (
            c.steps // c.log_every + 1 if every is None else max(1, every // c.log_every)
        ),
        finish=finish,
    ),
)


def radians(method: str, value: float | None) -> float:
    """A coefficient as the adjustment takes it (SVO's angle: degrees to radians)."""
    if value is None:
        return 0.0
    return math.radians(value) if COEFFICIENT[method] == "angle" else float(value)
