"""The planner's learning rules as one registry: ``PLANNERS.get(name).gradient``.

Each rule turns one round of play into the gradient of the planner's loss with respect
to its parameters; the equations, their sources and the simplifications are in
:mod:`prosocial.planner.amd`:

* ``exact``: eq. 4.3 and 4.7 of the thesis with exact expectations over joint actions;
* ``linearised``: the authors' coded version of the exact rule, ``∇_i V_i^p``
  linearised at the sampled joint action;
* ``estimated``: eq. 4.5, policy-gradient estimates from ``K`` sampled plays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax

from prosocial.planner import amd
from prosocial.registry import Registry


class Round(NamedTuple):
    """What a planner rule may read of one round.

    Attributes:
        logits: ``(n,)`` the learners' logits as the planner sees them.
        actions: ``(n,)`` the sampled joint action.
        plays: ``(K, n)`` the sampled plays behind policy-gradient estimates (the first is
            ``actions``).
        game_rewards: ``(K, n)`` the game's rewards for them.
        weights: ``(K,)`` the plays' weights, summing to one.
        baseline: the welfare baseline of the estimated rule.
        payoffs: the game's payoff tensor.
        learner_lr: the learners' step size (the look-ahead's η).
        max_reward: the bound ``c``.
        cost: the cost parameter α.
        revenue_neutral: transfers centred to sum to zero.
    """

    logits: jax.Array
    actions: jax.Array
    plays: jax.Array
    game_rewards: jax.Array
    weights: jax.Array
    baseline: jax.Array
    payoffs: jax.Array
    learner_lr: jax.Array
    max_reward: jax.Array
    cost: jax.Array
    revenue_neutral: jax.Array


class PlannerRule(NamedTuple):
    """A planner learning rule.

    Attributes:
        name: its registry name.
        gradient: ``(params, round, inputs) -> gradient of the loss``; ``inputs`` is
            ``joint`` or ``own`` (what the planner observes).
        sampled: whether it reads ``plays`` beyond the one sampled joint action.
    """

    name: str
    gradient: Callable[[dict, Round, str], dict]
    sampled: bool


PLANNERS: Registry[PlannerRule] = Registry("planner")


def _exact(params: dict, r: Round, inputs: str) -> dict:
    return jax.grad(amd.exact_loss)(
        params,
        r.logits,
        r.payoffs,
        r.learner_lr,
        r.max_reward,
        r.cost,
        r.revenue_neutral,
        inputs,
    )


def _linearised(params: dict, r: Round, inputs: str) -> dict:
    return jax.grad(amd.linearised_loss)(
        params,
        r.logits,
        r.actions,
        r.payoffs,
        r.learner_lr,
        r.max_reward,
        r.cost,
        r.revenue_neutral,
        inputs,
    )


def _estimated(params: dict, r: Round, inputs: str) -> dict:
    return jax.grad(amd.estimated_loss)(
        params,
        r.logits,
        r.plays,
        r.game_rewards,
        r.baseline,
        r.learner_lr,
        r.max_reward,
        r.cost,
        r.revenue_neutral,
        inputs,
        r.weights,
    )


PLANNERS.register("exact", lambda: PlannerRule("exact", _exact, False))
PLANNERS.register("linearised", lambda: PlannerRule("linearised", _linearised, False))
PLANNERS.register("estimated", lambda: PlannerRule("estimated", _estimated, True))
