"""A selfish heterogeneous team in JaxMARL's SMAX: the AgA paper's Selfish-MMM2, as near as
SMAX can field it.

The AgA paper (Li et al., NeurIPS 2024) makes StarCraft's MMM2 mixed-motive: a team of
ten heterogeneous units (1 medivac, 2 marauders, 7 marines) against 1 medivac, 3 marauders
and 8 marines, where each unit is rewarded for itself instead of SMAC's shared team reward.
Its exact per-unit reward is not in the text we could read, and its StarCraft II setup needs
the game engine. This environment rebuilds the setting on SMAX (Rutherford et al.,
"JaxMARL", 2024; the optional extra ``prosocial[smax]``, ``jaxmarl==0.2.0``), SMAX's
engine-free re-implementation of SMAC in JAX, against SMAX's scripted heuristic enemy.

**The team.** SMAX has marines (``m``), marauders (``M``), stalkers (``s``), zealots
(``Z``), zerglings (``z``) and hydralisks (``h``), and no medivac: no SMAX unit heals.
The stand-in for each medivac is a stalker (``s``): of SMAX's ranged units it is the
closest to the medivac in health (160 against 150; the zealot has 150 but fights in melee),
and of all SMAX units it deals the least damage per second (13 every 1.87 s, 7 per second
against a marine's 15), so it changes the team's firepower least where the original unit
deals none. The default teams are ``7m2M1s`` against ``8m3M1s``; any team of SMAX's units
is a parameter (``allies``, ``enemies``, a count before each unit's letter).

**The selfish reward** (prosocial's; the paper's is unknown). With ``e_ij^t`` the damage
unit ``i`` deals enemy ``j`` during step ``t``, ``H_j`` that enemy's full health, ``m``
enemies and ``n`` allies:

    r_i^t = Σ_j e_ij^t / (m H_j)
            + (b_s / n) · 1[the battle ends at t] · 1[i is alive then]
            + (b_v / n) · 1[the allies win at t]

The first term is unit ``i``'s own share of SMAX's team damage reward (summed over the
allies it *is* that reward, ``Σ_j ΔH_j / (m H_j)``, apart from enemies that die by touching
a wall, which no unit caused); the second pays survival (``survival_bonus`` b_s, 1); the
third splits SMAX's victory bonus among the team (``victory_bonus`` b_v, 1), whether or not
the unit lives. The dilemma: the team wins by focusing fire and by some units taking the
enemy's fire, while each unit gains most by dealing damage from safety and surviving. The
collective return is the sum; the team's **win rate** (``smax/won``) is the collective
measure the AgA paper reports.

**Attributing damage.** SMAX advances ``world_steps_per_env_step`` (8) sub-steps per
step and sums every attacker's damage on its target before clipping health at zero; it
keeps no record of who dealt what. We take the sub-step states (SMAX's
``get_state_sequence``) and read each attack from them: unit ``i`` fired in sub-step ``s``
exactly when its weapon cooldown rose (a shot resets the cooldown to at least 0.43 s; else
it falls by 1/16 s), at the target of its attack action, for its unit type's damage ``A_i``.
Where the shots at ``j`` exceed ``j``'s remaining health ``h_j`` (overkill), each shooter's
damage is scaled by ``h_j / Σ_i A_i``, so the attributed damage sums to ``j``'s health loss.

**Observation** of ally ``i``: SMAX's ``unit_list`` features (every other unit within
sight: health, relative position, last action, cooldown, type; its own health, position,
cooldown, type), then its available-action mask (1 where an action does something: a
move while alive, an attack on an enemy in range), so that policies without masking can
learn which attacks are real; clipped to ``[-1, 1]``. **Actions**: 0 north, 1 east, 2
south, 3 west, 4 stop, ``5 + j`` attack enemy ``j`` (an attack out of range does nothing).
The episode ends for every unit when a team is destroyed (``terminated``) or after
``max_steps`` steps (``truncated``; SMAX's default 100); a dead unit keeps acting to no
effect and observes zeros but its mask.

Counters in ``info`` (per ally, this step): ``smax/damage`` (its first reward term),
``smax/health_lost`` (its health lost, in full healths), ``smax/survived`` (1 if alive
when the battle ends), ``smax/won`` (1 for every ally on the step the team wins).

Registered as ``smax_selfish``. JaxMARL is imported when the environment is first built
(it takes a few seconds).
"""

from __future__ import annotations

import functools
import io
import re
import sys

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from prosocial.envs.core import (
    MAX_AGENTS,
    MAX_REAL,
    Box,
    Discrete,
    Environment,
    register,
    require,
    require_int,
    require_real,
)
from prosocial.errors import ConfigError

UNITS = "mMsZzh"
"""SMAX's unit types by their letter: marine, marauder, stalker, zealot, zergling,
hydralisk (index = SMAX's unit type)."""
UNIT_NAMES = ("marine", "marauder", "stalker", "zealot", "zergling", "hydralisk")
MOVES = ("north", "east", "south", "west", "stop")
_TEAM = re.compile(r"(\d+)([mMsZzh])")


def parse_team(spec: str) -> tuple[int, ...]:
    """SMAX unit types of a team written as counts and letters: ``"7m2M1s"`` is seven
    marines, two marauders and a stalker (letters: :data:`UNITS`)."""
    if not isinstance(spec, str) or not spec or _TEAM.sub("", spec):
        raise ValueError(
            f"{spec!r}: accepted a count before each unit letter, e.g. '7m2M1s' "
            f"(m marine, M marauder, s stalker, Z zealot, z zergling, h hydralisk)"
        )
    types: list[int] = []
    for count, letter in _TEAM.findall(spec):
        types += [UNITS.index(letter)] * int(count)
    return tuple(types)


@struct.dataclass
class SMAXParams:
    allies: str = struct.field(pytree_node=False, default="7m2M1s")
    enemies: str = struct.field(pytree_node=False, default="8m3M1s")
    max_steps: int = struct.field(pytree_node=False, default=100)
    survival_bonus: float = 1.0
    victory_bonus: float = 1.0

    @property
    def num_agents(self) -> int:
        return len(parse_team(self.allies))

    def validate(self, env: str) -> None:
        """Teams of 1..64 SMAX units each (counts and letters), ``max_steps`` in 1..10^6,
        finite bonuses; and JaxMARL installed."""
        for field in ("allies", "enemies"):
            try:
                size = len(parse_team(getattr(self, field)))
            except ValueError as err:
                raise ConfigError(f"{env}.{field}", str(err)) from None
            require(1 <= size <= min(64, MAX_AGENTS), env, field, f"{size} units; accepted 1..64")
        require_int(self.max_steps, env, "max_steps", 1, 10**6)
        for field in ("survival_bonus", "victory_bonus"):
            require_real(getattr(self, field), env, field, -MAX_REAL, MAX_REAL)
        _jaxmarl_smax()  # a clear error now, not at the first step


@functools.cache
def _jaxmarl_smax():
    """JaxMARL's SMAX modules. Importing JaxMARL prints two lines, and on the way (its
    MABrax module) sets ``sys.stdout`` and ``sys.stderr`` back to ``sys.__stdout__`` and
    ``sys.__stderr__``, which would undo any redirection the caller has made: the four
    are held during the import and restored after it, and what it prints is dropped."""
    held = sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__
    try:
        sys.stdout = sys.__stdout__ = io.StringIO()
        sys.__stderr__ = sys.stderr
        from jaxmarl.environments.smax import smax_env
        from jaxmarl.environments.smax.heuristic_enemy_smax_env import HeuristicEnemySMAX
    except ImportError:
        raise ConfigError(
            "env", "smax_selfish needs JaxMARL: pip install 'prosocial[smax]'"
        ) from None
    finally:
        sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__ = held
    return smax_env, HeuristicEnemySMAX


@functools.cache
def _game(allies: str, enemies: str, max_steps: int):
    """JaxMARL's SMAX with the heuristic enemy for these teams (one object per shape)."""
    smax_env, heuristic = _jaxmarl_smax()
    a, e = parse_team(allies), parse_team(enemies)
    # built with concrete arrays even when first asked for inside a traced function
    with jax.ensure_compile_time_eval():
        types = jnp.asarray(a + e, jnp.uint8)
        scenario = smax_env.Scenario(types, len(a), len(e), False, False)
        return heuristic(scenario=scenario, max_steps=int(max_steps))


def _smax(params: SMAXParams):
    return _game(params.allies, params.enemies, int(params.max_steps))


def _lenient(fn):
    """Trace ``fn`` with implicit rank promotion allowed: SMAX's code relies on it, and a
    caller (prosocial's test suite, for one) may have set ``jax_numpy_rank_promotion`` to
    ``"raise"``."""

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        with jax.numpy_rank_promotion("allow"):
            return fn(*args, **kwargs)

    return wrapped


@_lenient
def _init(key, params: SMAXParams):
    _, state = _smax(params).reset(key)
    return state


def attributed_damage(game, before, states, attacks: jax.Array) -> jax.Array:
    """``(N, N)`` damage unit ``i`` dealt unit ``j`` over one step's sub-steps.

    ``before``: the SMAX state at the step's start; ``states``: its sub-step states
    stacked on a leading axis; ``attacks``: every unit's decoded attack action (0: none).
    A unit fired in a sub-step when its cooldown rose; shots at one target beyond its
    remaining health are scaled down to that health (module docstring).
    """
    n_allies, n = game.num_allies, game.num_agents
    moves = game.num_movement_actions
    idx = jnp.arange(n)
    target = jnp.where(idx < n_allies, attacks + n_allies - moves, n_allies - 1 - (attacks - moves))
    aims = (attacks >= moves)[:, None] & (target[:, None] == idx[None, :])  # (i, j)
    prev = jax.tree.map(lambda b, s: jnp.concatenate([b[None], s[:-1]]), before, states)
    fired = states.unit_weapon_cooldowns > prev.unit_weapon_cooldowns  # (S, N)
    hit = game.unit_type_attacks[before.unit_types][None, :] * fired  # (S, N)
    shots = hit[:, :, None] * aims[None]  # (S, i, j)
    raw = jnp.sum(shots, axis=1)  # (S, j)
    scale = jnp.where(raw > 0, jnp.minimum(raw, prev.unit_health) / jnp.maximum(raw, 1e-9), 0.0)
    return jnp.sum(shots * scale[:, None, :], axis=0)


@_lenient
def _step(key, state, actions, params: SMAXParams):
    game = _smax(params)
    inner = game._env
    n, m = game.num_allies, game.num_enemies
    k_enemy, k_world = jax.random.split(key)
    enemy_obs = inner.get_obs_unit_list(state.state)
    enemy_obs = jnp.stack([enemy_obs[a] for a in game.enemy_agents])
    enemy, policy_state = game.get_enemy_actions(k_enemy, state.enemy_policy_state, enemy_obs)
    enemy = jnp.stack([enemy[a] for a in game.enemy_agents])
    move, attack = inner._decode_discrete_actions(jnp.concatenate([actions, enemy]))
    states = inner.step_env_no_decode(k_world, state.state, (move, attack), True)
    last = jax.tree.map(lambda s: s[-1], states)
    last = last.replace(done=inner.is_terminal(last), step=state.state.step + 1)

    full = inner.unit_type_health[last.unit_types]
    dealt = attributed_damage(inner, state.state, states, attack)[:n, n:]  # allies on enemies
    damage = jnp.sum(dealt / (m * full[None, n:]), axis=1)
    alive = last.unit_alive[:n]
    won = jnp.all(~last.unit_alive[n:]) & jnp.any(alive)
    lost = jnp.all(~alive)
    over = last.done
    survived = (over & alive).astype(jnp.float32)
    rewards = (
        damage
        + params.survival_bonus / n * survived
        + params.victory_bonus / n * won.astype(jnp.float32)
    )
    battle_over = lost | jnp.all(~last.unit_alive[n:])  # a draw ends it too
    terminated = jnp.broadcast_to(battle_over, (n,))
    truncated = jnp.broadcast_to(over & ~battle_over, (n,))
    info = {
        "smax/damage": damage,
        "smax/health_lost": (state.state.unit_health[:n] - last.unit_health[:n]) / full[:n],
        "smax/survived": survived,
        "smax/won": jnp.broadcast_to(won.astype(jnp.float32), (n,)),
    }
    next_state = state.replace(state=last, enemy_policy_state=policy_state)
    return next_state, rewards.astype(jnp.float32), terminated, truncated, info


@_lenient
def _observe(state, params: SMAXParams) -> jax.Array:
    game = _smax(params)
    obs = game.get_obs(state)
    masks = game.get_avail_actions(state)
    rows = [jnp.concatenate([obs[a], masks[a].astype(jnp.float32)]) for a in game.agents]
    return jnp.clip(jnp.stack(rows), -1.0, 1.0).astype(jnp.float32)


def _obs_size(params: SMAXParams) -> int:
    game = _smax(params)
    return int(game.observation_spaces[game.agents[0]].shape[0]) + game.num_ally_actions


def _action_names(params: SMAXParams) -> tuple[str, ...]:
    return MOVES + tuple(f"attack_{j}" for j in range(len(parse_team(params.enemies))))


_ALLY, _ENEMY, _GROUND = np.array([40, 110, 220]), np.array([210, 50, 40]), (240, 240, 235)


@_lenient
def _render(state, params: SMAXParams, scale: int = 8) -> jax.Array:
    """The map seen from above: allies blue, enemies red, each unit a disc of its radius
    whose colour fades toward the ground as it loses health; the dead are not drawn."""
    inner = _smax(params)._env
    s = state.state
    h, w = int(inner.map_height) * scale, int(inner.map_width) * scale
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    y = (h - 1 - yy + 0.5) / scale  # the map's y axis points up
    x = (xx + 0.5) / scale
    image = jnp.broadcast_to(jnp.asarray(_GROUND, jnp.float32), (h, w, 3))
    radius = jnp.maximum(inner.unit_type_radiuses[s.unit_types], 0.4)
    health = s.unit_health / inner.unit_type_health[s.unit_types]
    n_allies = inner.num_allies
    for i in range(inner.num_agents):
        colour = jnp.asarray(_ALLY if i < n_allies else _ENEMY, jnp.float32)
        colour = health[i] * colour + (1 - health[i]) * jnp.asarray(_GROUND) * 0.8
        d2 = (x - s.unit_positions[i, 0]) ** 2 + (y - s.unit_positions[i, 1]) ** 2
        disc = (d2 < radius[i] ** 2) & s.unit_alive[i]
        image = jnp.where(disc[..., None], colour, image)
    return image.astype(jnp.uint8)


def _build(params: SMAXParams, name: str) -> Environment:
    return Environment(
        name=name,
        params=params,
        init_fn=_init,
        transition_fn=_step,
        observe_fn=_observe,
        observation_space=lambda p: Box(-1.0, 1.0, (_obs_size(p),), jnp.float32),
        action_space=lambda p: Discrete(len(MOVES) + len(parse_team(p.enemies))),
        action_names=_action_names,
        render_fn=_render,
    )


register("smax_selfish", SMAXParams)(lambda p: _build(p, "smax_selfish"))
