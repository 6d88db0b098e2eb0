"""The selfish SMAX team: damage attributed to the units that dealt it, the reward's three
terms on hand-built battles, and the parameters' validation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs.smax import parse_team
from prosocial.errors import ConfigError

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

pytest.importorskip("jaxmarl")


def _battle(env, positions, health, cooldowns=None):
    """A fresh state of ``env`` with every unit's position and health replaced."""
    _, state = env.reset(jax.random.PRNGKey(0))
    inner = state.state
    n = inner.unit_health.shape[0]
    cooldowns = np.zeros(n) if cooldowns is None else cooldowns
    inner = inner.replace(
        unit_positions=jnp.asarray(positions, jnp.float32),
        unit_health=jnp.asarray(health, jnp.float32),
        unit_alive=jnp.asarray(health) > 0,
        unit_weapon_cooldowns=jnp.asarray(cooldowns, jnp.float32),
    )
    return state.replace(state=inner)


def test_overkill_is_split_in_proportion_to_each_shot():
    """A marine (9) and a marauder (10) both shoot an enemy marine left with 9.5 health: it
    dies, and the 9.5 splits 4.5 / 5.0, each over the enemies' count times a marine's 45."""
    env = envs.make("smax_selfish", allies="1m1M", enemies="2m")
    far = [28.0, 28.0]
    state = _battle(env, [[14, 16], [14, 17], [16, 16], far], [45, 125, 9.5, 45])
    next_state, rewards, terminated, _, info = jax.jit(env.transition_fn)(
        jax.random.PRNGKey(1), state, jnp.array([5, 5]), env.params
    )
    assert float(next_state.state.unit_health[2]) == 0.0
    np.testing.assert_allclose(np.asarray(info["smax/damage"]), [4.5 / 90, 5.0 / 90], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(rewards), [4.5 / 90, 5.0 / 90], rtol=1e-6)
    assert not bool(terminated.any())  # the far enemy lives on


def test_a_victory_pays_damage_survival_and_the_shared_bonus():
    """The last enemy (1 health) falls to both allies: each gets its share of the kill,
    plus b_s / n for being alive at the end and b_v / n for the win."""
    env = envs.make(
        "smax_selfish", allies="1m1M", enemies="1m", survival_bonus=0.6, victory_bonus=2.0
    )
    state = _battle(env, [[14, 16], [14, 17], [16, 16]], [45, 125, 1.0])
    _, rewards, terminated, truncated, info = jax.jit(env.transition_fn)(
        jax.random.PRNGKey(1), state, jnp.array([5, 5]), env.params
    )
    kill = np.array([9.0, 10.0]) / 19.0 / 45.0
    np.testing.assert_allclose(np.asarray(rewards), kill + 0.6 / 2 + 2.0 / 2, rtol=1e-6)
    assert bool(terminated.all()) and not bool(truncated.any())
    np.testing.assert_array_equal(np.asarray(info["smax/won"]), [1.0, 1.0])
    np.testing.assert_array_equal(np.asarray(info["smax/survived"]), [1.0, 1.0])


def test_a_unit_that_does_not_shoot_earns_no_damage():
    """Only the marauder shoots (the marine moves north): all the damage is the marauder's."""
    env = envs.make("smax_selfish", allies="1m1M", enemies="2m")
    state = _battle(env, [[14, 16], [14, 17], [16, 16], [28.0, 28.0]], [45, 125, 45, 45])
    _, _, _, _, info = jax.jit(env.transition_fn)(
        jax.random.PRNGKey(1), state, jnp.array([0, 5]), env.params
    )
    damage = np.asarray(info["smax/damage"])
    assert damage[0] == 0.0 and damage[1] > 0.0


def test_attributed_damage_sums_to_the_team_reward_smax_would_pay():
    """Over random battles of the default teams, the allies' damage terms add up to SMAX's
    own team damage reward, Σ_j ΔH_j / (m H_j), on every step where no enemy died by
    touching a wall (which no unit caused)."""
    env = envs.make("smax_selfish")
    n, m = 10, 12
    full = np.asarray([45.0, 125.0, 160.0])[np.asarray(parse_team("8m3M1s"))]

    def body(carry, key):
        state, over = carry
        k_act, k_step = jax.random.split(key)
        actions = jax.random.randint(k_act, (n,), 0, 5 + m)
        nxt, _, terminated, truncated, info = env.transition_fn(k_step, state, actions, env.params)
        lost = state.state.unit_health[n:] - nxt.state.unit_health[n:]
        pos = nxt.state.unit_positions[n:]
        walled = jnp.any((pos <= 0.0) | (pos >= 32.0))
        keep = ~over & ~walled
        nxt = jax.tree.map(lambda a, b: jnp.where(over, a, b), state, nxt)
        return (nxt, over | terminated[0] | truncated[0]), (
            jnp.sum(info["smax/damage"]),
            jnp.sum(lost / (m * full)),
            keep,
        )

    def battle(key):
        k0, k1 = jax.random.split(key)
        _, state = env.reset(k0)
        _, out = jax.lax.scan(body, (state, jnp.bool_(False)), jax.random.split(k1, 60))
        return out

    ours, smax, keep = jax.jit(jax.vmap(battle))(jax.random.split(jax.random.PRNGKey(3), 4))
    ours, smax, keep = np.asarray(ours), np.asarray(smax), np.asarray(keep)
    assert keep.sum() > 50 and smax[keep].sum() > 0.5  # there was fighting to attribute
    np.testing.assert_allclose(ours[keep], smax[keep], atol=1e-6)


def test_observations_end_with_the_action_mask():
    env = envs.make("smax_selfish", allies="1m1M", enemies="2m")
    state = _battle(env, [[14, 16], [14, 17], [16, 16], [28.0, 28.0]], [45, 125, 45, 45])
    obs = np.asarray(env.observe_fn(state, env.params))
    # moves and stop, then enemy 0 (in range) and enemy 1 (far away)
    np.testing.assert_array_equal(obs[:, -7:], [[1, 1, 1, 1, 1, 1, 0]] * 2)


def test_parse_team_reads_counts_and_letters():
    assert parse_team("2m1M1s") == (0, 0, 1, 2)
    assert envs.make("smax_selfish").num_agents() == 10  # 7 marines, 2 marauders, 1 stalker


@pytest.mark.parametrize(
    "options, field",
    [
        ({"allies": "7x"}, "allies"),
        ({"allies": "m7"}, "allies"),
        ({"enemies": ""}, "enemies"),
        ({"allies": "0m"}, "allies"),
        ({"enemies": "65m"}, "enemies"),
        ({"max_steps": 0}, "max_steps"),
        ({"survival_bonus": float("nan")}, "survival_bonus"),
        ({"victory_bonus": float("inf")}, "victory_bonus"),
    ],
)
def test_bad_parameters_are_named(options, field):
    with pytest.raises(ConfigError, match=rf"smax_selfish\.{field}"):
        envs.make("smax_selfish", **options)
