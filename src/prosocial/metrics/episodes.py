"""From trajectories and episode tables to namespaced metrics, all inside ``jit``.

An *episode table* is a dict of arrays in the format that the episode-statistics wrapper
(:func:`prosocial.envs.wrappers.episode_statistics`) writes to ``info`` at every step:
slot ``t`` holds the totals of the episode that ended at step ``t`` (``episode/done``
true there) and zeros elsewhere. Keys: ``episode/done``, ``episode/length``,
``episode/return``, ``episode/extrinsic_return``, ``episode/positive_steps``,
``episode/positive_time``, ``episode/<game key>`` (each ``info`` counter summed over the
episode) and ``episode/<ns>/hit_steps`` (steps with a positive ``<ns>/hit``).

* :func:`episode_summaries` builds that table from a raw trajectory (rewards
  ``(..., T, N)``, optional done flags and ``info``) with running sums that restart at
  each episode, so a rollout of the bare game gives the same numbers as one through the
  wrapper;
* :func:`episode_metrics` turns each completed episode into metrics;
* :func:`mean_over_episodes` averages them over the completed episodes;
* :func:`trajectory_metrics` and :func:`from_episode_statistics` do all of it.

Each is wrapped in ``jax.jit`` (compiled once per input structure; inside another
``jit`` it is simply inlined).

Metric keys (every one is defined in ``docs/metrics.md``):

* ``social/collective_return``  Σ_i R_i, the episode's collective extrinsic return;
* ``social/efficiency``, ``social/equality``, ``social/sustainability``, ``social/peace``:
  Perolat et al. (2017), see :mod:`prosocial.metrics.social`; equality in its
  ``"absolute"`` convention (divides by ``2 N Σ_i |R_i|``, 1 when every return is 0),
  since SSD returns can be negative; peace only for games with a ``*/hit`` counter (the
  others have no penalty to be under);
* ``episode/length``, and ``episode/count`` (completed episodes) after averaging;
* ``<ns>/<name>`` for every game counter ``<ns>/<name>`` in ``info``: its episode total
  summed over agents (``cleanup/waste_cleaned``, ``stag_hunt/stags``,
  ``snowdrift/drifts``, ``coin/picked``, ...), except the levels in :data:`MEAN_KEYS`
  (``cleanup/waste_density``, ``harvest/apples_left``), which are averaged over the
  episode's steps (and agents);
* ``coin/own_fraction`` = Σ_i coin/own / Σ_i coin/picked, the share of picked coins that
  were the picker's colour (NaN for an episode in which no coin was picked);
* ``matrix_game/cooperation_rate`` = Σ_i matrix_game/cooperate / (N T), the share of
  cooperative moves.

The social metrics read the game's own (extrinsic) rewards: ``info["reward/extrinsic"]``
where a reward wrapper recorded it, the rewards given otherwise. A metric that is
undefined for an episode (NaN) is left out of that average, and an average over no
episode is NaN.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from prosocial.errors import ConfigError
from prosocial.metrics import social

EXTRINSIC = "reward/extrinsic"
"""The ``info`` key of the game's own rewards (written by the reward wrappers)."""

MEAN_KEYS = frozenset({"cleanup/waste_density", "harvest/apples_left"})
"""``info`` entries that are levels, not counts: their metric is the episode mean."""

TABLE_KEYS = (
    "episode/done",
    "episode/length",
    "episode/return",
    "episode/extrinsic_return",
    "episode/positive_steps",
    "episode/positive_time",
)
"""The entries every episode table has, beside the game's counters."""

_HIT_STEPS = "/hit_steps"


def _expand(x: jax.Array, ndim: int) -> jax.Array:
    return x.reshape(x.shape + (1,) * (ndim - x.ndim))


def _segment_cumsum(values: dict, start: jax.Array, axis: int) -> dict:
    """Running sums of each array of ``values`` along ``axis``, restarting where ``start``.

    One ``lax.scan`` over the time axis for all of them: the same sequential sums as the
    episode-statistics wrapper, and a small program to compile.
    """
    xs = {k: jnp.moveaxis(v, axis, 0) for k, v in values.items()}

    def body(carry, inputs):
        fresh, x = inputs
        new = {k: jnp.where(_expand(fresh, v.ndim), v, carry[k] + v) for k, v in x.items()}
        return new, new

    init = {k: jnp.zeros_like(v[0]) for k, v in xs.items()}
    _, out = jax.lax.scan(body, init, (jnp.moveaxis(start, axis, 0), xs))
    return {k: jnp.moveaxis(v, 0, axis) for k, v in out.items()}


def _count(value: jax.Array) -> jax.Array:
    if value.dtype == jnp.bool_ or jnp.issubdtype(value.dtype, jnp.integer):
        return value.astype(jnp.int32)
    return value.astype(jnp.float32)


def _checked_rewards(rewards):
    """``rewards`` as an array of numbers with at least one step; concrete NaN or inf
    entries are rejected (traced ones, inside a caller's ``jit``, give NaN metrics)."""
    if isinstance(rewards, jax.core.Tracer):
        return rewards
    try:
        rewards = jnp.asarray(rewards)
    except (TypeError, ValueError):
        raise ConfigError(
            "rewards", f"{type(rewards).__name__}: accepted an array of numbers (..., T, N)"
        ) from None
    if rewards.dtype.kind not in "biuf":
        raise ConfigError("rewards", f"dtype {rewards.dtype}: accepted real numbers")
    if rewards.ndim >= 1 and rewards.size and not bool(jnp.all(jnp.isfinite(rewards))):
        raise ConfigError("rewards", "contain NaN or inf: accepted finite numbers")
    return rewards


def episode_summaries(rewards, done=None, info: dict | None = None) -> dict:
    """The episode table of a trajectory (see :func:`_episode_summaries`).

    Concrete rewards must be finite (NaN or inf raise :class:`ConfigError`); traced ones
    are not checked and give NaN metrics.
    """
    return _episode_summaries(_checked_rewards(rewards), done, info)


@jax.jit
def _episode_summaries(rewards, done=None, info: dict | None = None) -> dict:
    """The episode table of a trajectory (module docstring).

    Args:
        rewards: ``(..., T, N)`` rewards, as ``env.step`` returns them stacked over time.
        done: ``(..., T)`` episode ends, or ``(..., T, N)`` per-agent flags (an episode
            ends where all agents are done, e.g. ``terminated | truncated``). ``None``:
            the trajectory is one episode ending at its last step. Steps after the last
            end belong to an unfinished episode and appear in no slot.
        info: the stacked ``info`` dict, every entry ``(..., T, ...)``.
    """
    rewards = jnp.asarray(rewards)
    if rewards.ndim < 2 or rewards.shape[-2] < 1 or rewards.shape[-1] < 1:
        raise ConfigError("rewards", f"needs shape (..., T, N) with T, N >= 1, got {rewards.shape}")
    lead = rewards.shape[:-1]
    axis = rewards.ndim - 2
    if done is None:
        done = jnp.zeros(lead, bool).at[..., -1].set(True)
    else:
        done = jnp.asarray(done)
        if done.shape == rewards.shape:
            done = jnp.all(done, axis=-1)
        elif done.shape != lead:
            raise ConfigError(
                "done",
                f"needs shape {lead} or {rewards.shape} (rewards' (..., T)), got {done.shape}",
            )
        done = done.astype(bool)
    info = {} if info is None else dict(info)
    for key, value in info.items():
        if jnp.shape(value)[: len(lead)] != lead:
            raise ConfigError(
                f"info[{key!r}]", f"needs shape {lead} + (...) like rewards, got {jnp.shape(value)}"
            )
    first = jnp.ones((*lead[:-1], 1), bool)
    start = jnp.concatenate([first, done[..., :-1]], axis=-1)
    step = _segment_cumsum({"step": jnp.ones(lead, jnp.int32)}, start, axis)["step"]

    extrinsic = jnp.asarray(info.get(EXTRINSIC, rewards))
    positive = extrinsic > 0
    increments = {
        "episode/length": jnp.ones(lead, jnp.int32),
        "episode/return": rewards.astype(jnp.float32),
        "episode/extrinsic_return": extrinsic.astype(jnp.float32),
        "episode/positive_steps": positive.astype(jnp.int32),
        "episode/positive_time": jnp.where(positive, _expand(step, positive.ndim), 0).astype(
            jnp.float32
        ),
    }
    for key, value in info.items():
        if key.startswith("episode/") or key == EXTRINSIC:
            continue
        value = jnp.asarray(value)
        increments[f"episode/{key}"] = _count(value)
        if key.endswith("/hit"):
            increments[f"episode/{key}_steps"] = (value > 0).astype(jnp.int32)

    table = {"episode/done": done}
    for key, total in _segment_cumsum(increments, start, axis).items():
        table[key] = jnp.where(_expand(done, total.ndim), total, jnp.zeros_like(total))
    return table


def _check_table(table: dict, where: str) -> None:
    missing = [k for k in TABLE_KEYS if k not in table]
    if missing:
        raise ConfigError(
            where,
            f"has no {', '.join(missing)}; wrap the environment with "
            "envs.wrappers.episode_statistics or build the table with episode_summaries",
        )


@jax.jit
def episode_metrics(table: dict) -> dict:
    """Metrics of every slot of an episode table; NaN in slots where no episode ended."""
    _check_table(table, "table")
    done = jnp.asarray(table["episode/done"], bool)
    slot = done.shape
    length = jnp.asarray(table["episode/length"], jnp.float32)
    length = jnp.where(done, length, 1.0)
    returns = table["episode/extrinsic_return"]

    def total(x):
        x = jnp.asarray(x, jnp.float32)
        return jnp.sum(x.reshape((*slot, -1)), axis=-1)

    out = {
        "episode/length": length,
        "social/collective_return": social.collective_return(returns),
        "social/efficiency": social.efficiency(returns, length),
        "social/equality": social.equality(returns, convention="absolute"),
        "social/sustainability": social.sustainability(
            table["episode/positive_time"], table["episode/positive_steps"]
        ),
    }
    hits = [k for k in table if k.startswith("episode/") and k.endswith(_HIT_STEPS)]
    if hits:
        penalty = sum(jnp.asarray(table[k], jnp.float32) for k in hits)
        out["social/peace"] = social.peace(penalty, length)
    for key, value in table.items():
        name = key.removeprefix("episode/")
        if key in TABLE_KEYS or name == key or "/" not in name or key.endswith(_HIT_STEPS):
            continue
        if name in MEAN_KEYS:
            entries = math.prod(jnp.shape(value)[len(slot) :])
            out[name] = total(value) / (length * entries)
        else:
            out[name] = total(value)
    if "coin/own" in out and "coin/picked" in out:
        picked = out["coin/picked"]
        own = out["coin/own"] / jnp.where(picked > 0, picked, 1.0)
        out["coin/own_fraction"] = jnp.where(picked > 0, own, jnp.nan)
    if "matrix_game/cooperate" in out:
        agents = returns.shape[-1]
        out["matrix_game/cooperation_rate"] = out["matrix_game/cooperate"] / (length * agents)
    return {k: jnp.where(done, v, jnp.nan) for k, v in out.items()}


@functools.partial(jax.jit, static_argnames="axis")
def mean_over_episodes(metrics: dict, done, axis: int | tuple[int, ...] | None = -1) -> dict:
    """The mean of each metric over the completed episodes along ``axis`` (slots).

    ``axis=-1`` averages a rollout's time axis and keeps the batch axes before it;
    ``None`` averages every slot. NaN values (a metric undefined for that episode) are
    left out; a mean over no episode is NaN. Adds ``episode/count``.
    """
    done = jnp.asarray(done, bool)
    for key, value in metrics.items():
        if jnp.shape(value) != done.shape:
            raise ConfigError(
                "done", f"shape {done.shape}: accepted {jnp.shape(value)}, the shape of {key!r}"
            )
    out = {}
    for key, value in metrics.items():
        valid = done & jnp.isfinite(value)
        count = jnp.sum(valid, axis=axis)
        value_sum = jnp.sum(jnp.where(valid, value, 0.0), axis=axis)
        out[key] = jnp.where(count > 0, value_sum / jnp.maximum(count, 1), jnp.nan)
    out["episode/count"] = jnp.sum(done, axis=axis).astype(jnp.float32)
    return out


def trajectory_metrics(rewards, done=None, info: dict | None = None) -> dict:
    """Metrics of a trajectory, averaged over its completed episodes.

    Arguments as for :func:`episode_summaries`; every metric has the batch shape
    ``rewards.shape[:-2]``. Concrete NaN or inf rewards raise :class:`ConfigError`
    (a NaN episode would otherwise be left out of the averages silently).
    """
    return _trajectory_metrics(_checked_rewards(rewards), done, info)


@jax.jit
def _trajectory_metrics(rewards, done=None, info: dict | None = None) -> dict:
    table = _episode_summaries(rewards, done, info)
    return mean_over_episodes(episode_metrics(table), table["episode/done"])


@functools.partial(jax.jit, static_argnames="axis")
def from_episode_statistics(info: dict, axis: int | tuple[int, ...] | None = -1) -> dict:
    """Metrics of a rollout of an environment wrapped by ``episode_statistics``.

    ``info`` is the rollout's ``info`` stacked over time, its slot axis ``axis`` (the
    time axis; ``-1`` when the time axis comes after any batch axes, as for
    ``vmap(scan(...))``; ``None`` pools every slot). Returns each metric averaged over
    the completed episodes.
    """
    table = {k: v for k, v in info.items() if k.startswith("episode/")}
    _check_table(table, "info")
    return mean_over_episodes(episode_metrics(table), table["episode/done"], axis)
