"""LOLA against naive learners in the iterated Prisoner's Dilemma with exact values.

``PROGRAMS["ipd_lola"]``: two memory-one players (5 logits each, ``θ ~ N(0, init_std²)``)
take plain gradient steps on their exact total discounted values (Foerster et al. 2018).
A LOLA player's direction is ``ξ − η χ`` (:func:`prosocial.adjust.shaping_term`, the
registered ``lola`` entry); a naive player drops ``χ``. Which player uses LOLA is dynamic
data (``lola``, one flag per player), so every pairing runs in one compiled program.
Row 0 is the start; row ``r`` is the state after ``r · log_every`` steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp

from prosocial.adjust import shaping_term
from prosocial.errors import ConfigError
from prosocial.experiments.aga.program import log_rows
from prosocial.experiments.fields import Config, check_log_every, option, seed_option, seeds_option
from prosocial.experiments.program import PROGRAMS, Program, seed_keys
from prosocial.games import STATE_NAMES, average_reward, memory_one_game, memory_one_values


@dataclass(frozen=True)
class IPDConfig(Config):
    """One pairing of LOLA and naive learners."""

    lola: tuple[bool, ...] = option((True, True), "per player: LOLA (true) or naive", unique=False)
    steps: int = option(200, "learning steps", low=1, high=10**6)
    lr: float = option(1.0, "the players' step size", low=0.0, strict=True, high=1e3)
    eta: float = option(1.0, "LOLA's assumed opponent step size η", low=0.0, high=1e3)
    init_std: float = option(1.0, "standard deviation of the initial logits", low=0.0, high=1e3)
    gamma: float = option(0.96, "the discount", low=0.0, high=0.999)
    log_every: int = option(10, "steps between logged rows", low=1, high=10**6)
    seeds: int = seeds_option(10)
    seed: int = seed_option()

    def check(self) -> None:
        if len(self.lola) != 2:
            raise ConfigError("lola", f"{self.lola!r}; accepted: one flag per player (2)")
        check_log_every(self, "steps")


class Static(NamedTuple):
    gamma: float
    log_every: int


class Dynamic(NamedTuple):
    flags: jax.Array
    lr: jax.Array
    eta: jax.Array
    init_std: jax.Array
    steps: jax.Array


class State(NamedTuple):
    w: jax.Array
    t: jax.Array
    row: jax.Array


def init(static: Static, dyn: Dynamic, key: jax.Array) -> State:
    zero = jnp.zeros((), jnp.int32)
    return State(dyn.init_std * jax.random.normal(key, (2, 5)), zero, zero)


def _step(static: Static, dyn: Dynamic, state: State, target) -> State:
    xi, chi = shaping_term(memory_one_game(gamma=static.gamma), state.w)
    w = state.w - dyn.lr * (xi - dyn.eta * dyn.flags[:, None] * chi)
    go = (state.t < target) & (state.t < dyn.steps)
    return State(jnp.where(go, w, state.w), jnp.where(go, state.t + 1, state.t), state.row)


def _measure(static: Static, state: State) -> dict:
    values = memory_one_values(state.w, gamma=static.gamma)
    return {
        "step": state.t,
        "payoff/average_reward": average_reward(values, static.gamma),
        "policy/p_coop": jax.nn.sigmoid(state.w),
    }


def advance(static: Static, dyn: Dynamic, state: State, rows: int):
    return log_rows(
        static.log_every,
        lambda s, target: _step(static, dyn, s, target),
        lambda s: _measure(static, s),
        state,
        rows,
    )


def _dynamic(c: IPDConfig, static: Static) -> Dynamic:
    f = lambda x: jnp.asarray(x, jnp.float32)  # noqa: E731
    return Dynamic(
        f([float(x) for x in c.lola]),
        f(c.lr),
        f(c.eta),
        f(c.init_std),
        jnp.asarray(c.steps, jnp.int32),
    )


POLICY_LABELS = tuple(f"{i}/{s}" for i in range(2) for s in STATE_NAMES)

PROGRAMS.register(
    "ipd_lola",
    lambda: Program(
        name="ipd_lola",
        x="step",
        group=lambda c: (c.gamma, c.log_every, c.seeds),
        static=lambda cs: Static(cs[0].gamma, cs[0].log_every),
        dynamic=_dynamic,
        inputs=lambda c: seed_keys(c.seed, c.seeds),
        init=init,
        advance=advance,
        rows=lambda c: c.steps // c.log_every + 1,
        chunk=lambda c, every: (
            c.steps // c.log_every + 1 if every is None else max(1, every // c.log_every)
        ),
        labels=(("policy/p_coop", POLICY_LABELS),),
    ),
)
