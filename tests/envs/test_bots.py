"""Scripted co-players: every bot of every game compiles, batches and stays in the action
space, and each game's ``cooperate`` and ``defect`` bots do what they are named for."""

import dataclasses
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs import bots, cleanup, grid, harvest, ssd, wrappers
from prosocial.envs.bots import BOTS, act_all, bot_names, joint_policy, make_bot
from prosocial.envs.stag_hunt import StagHuntState
from prosocial.errors import ConfigError, UnknownNameError

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

BATCH = 8


def keys(seed: int, count: int) -> jax.Array:
    """``count`` keys of JAX's ``unsafe_rbg`` generator, whose random draws compile several
    times faster on a CPU than Threefry's: compilation is most of this file's time."""
    return jax.random.split(jax.random.key(seed, impl="unsafe_rbg"), count)


def compile_play(env, teams, steps: int, batch: int = BATCH):
    """``run(seed)``: roll out every team of ``teams`` (a bot name for every agent, or a
    tuple of names, one per agent) in ``batch`` environments for ``steps`` steps (one
    episode: no automatic reset, ``steps`` may pass ``max_steps``), in one
    compiled call: each agent evaluates the three bots and plays its own, so one
    compilation serves every team. ``run`` returns, per team, each per-agent ``info``
    counter summed over steps and environments, the actions ``(steps, batch, n)`` and the
    last states."""
    n = env.num_agents()
    names = bot_names()
    ids = np.array(
        [[names.index(t)] * n if isinstance(t, str) else [names.index(b) for b in t] for t in teams]
    )
    ids = jnp.asarray(np.repeat(ids, batch, axis=0), jnp.int32)  # (teams * batch, n)
    size = ids.shape[0]
    policies = [make_bot(b, env) for b in names]

    def act(key, state, ids):
        def one(agent, bot):
            return jnp.stack([p(key, state, None, agent) for p in policies])[bot]

        return jax.vmap(one)(jnp.arange(n, dtype=jnp.int32), ids)  # over agents

    # one episode, by the transition function: the automatic reset of ``env.step`` would
    # compile the reset a second time, inside the loop
    transition = jax.vmap(env.transition_fn, in_axes=(0, 0, 0, None))

    @jax.jit
    def rollout(key):
        key_reset, key_steps = jax.random.split(key)
        state = jax.vmap(env.init_fn, in_axes=(0, None))(
            jax.random.split(key_reset, size), env.params
        )

        def step(state, key):
            key_act, key_step = jax.random.split(key)
            actions = jax.vmap(act)(jax.random.split(key_act, size), state, ids)  # over envs
            state, _, _, _, info = transition(
                jax.random.split(key_step, size), state, actions, env.params
            )
            info = {k: v for k, v in info.items() if v.shape == (size, n)}
            return state, (actions, info)

        state, (actions, info) = jax.lax.scan(step, state, jax.random.split(key_steps, steps))
        return {k: jnp.sum(v, axis=0) for k, v in info.items()}, actions, state

    def run(seed: int = 0):
        totals, actions, state = rollout(jax.random.key(seed, impl="unsafe_rbg"))
        assert actions.shape == (steps, size, n) and actions.dtype == jnp.int32
        assert env.action_space(env.params).contains(actions), "an action out of the space"
        out = []
        for t in range(len(teams)):
            part = slice(t * batch, (t + 1) * batch)
            counters = {k: np.asarray(v[part]).sum(axis=0) for k, v in totals.items()}
            last = jax.tree.map(lambda x, part=part: x[part], state)
            out.append((counters, np.asarray(actions[:, part]), last))
        return out

    return run


def play(env, teams, steps: int, batch: int = BATCH):
    return compile_play(env, teams, steps, batch)()


# the registered games rolled out with their default parameters, and for how many steps;
# the others are checked on a batch of first states (compilation is this file's cost)
STEPS = {
    "coin_game": 200,
    "cleanup_small": 50,
    "cleanup_lase": 100,
    "stag_hunt": 30,
    "snowdrift": 50,
    "ipd": 40,
}


def mixed(n: int, first: str) -> tuple[str, ...]:
    other = "defect" if first == "cooperate" else "cooperate"
    return tuple(first if i % 2 == 0 else other for i in range(n))


@cache
def standard(name: str):
    """The registered ``name`` with its default parameters: the compiled rollout of the
    teams all-cooperate, all-defect, all-random, then the two alternating mixtures
    (agent 0 cooperating, agent 0 defecting), and its results for seed 0."""
    env = envs.make(name)
    n = env.num_agents()
    teams = (*bot_names(), mixed(n, "cooperate"), mixed(n, "defect"))
    run = compile_play(env, teams, STEPS[name])
    return env, run, run(0)


@cache
def decide(name: str):
    """The registered ``name`` and ``actions(keys, states) -> (bot, batch, agent)``: the
    three bots, jitted, vmapped over the agents (one key each environment) and over a
    batch of states."""
    env = envs.make(name)
    n = env.num_agents()
    policies = [make_bot(b, env) for b in bot_names()]

    @jax.jit
    def actions(keys, states):
        agents = jnp.arange(n, dtype=jnp.int32)
        out = []
        for bot in policies:
            per_agent = jax.vmap(bot, in_axes=(None, None, None, 0))
            out.append(jax.vmap(per_agent, in_axes=(0, 0, None, None))(keys, states, None, agents))
        return jnp.stack(out)

    return env, actions


def first_states(env, seed: int, batch: int = BATCH):
    return jax.jit(jax.vmap(env.init_fn, in_axes=(0, None)))(keys(seed, batch), env.params)


# ------------------------------------------------------------------ every game, every bot


NO_BOTS = {"smax_selfish"}
"""Games without scripted bots: cooperating or defecting is not one action there."""


@pytest.mark.parametrize("name", sorted(NO_BOTS))
def test_games_without_bots_refuse_them_by_name(name):
    with pytest.raises(ConfigError, match=rf"no scripted bots for environment '{name}'"):
        make_bot("cooperate", envs.make(name))


@pytest.mark.parametrize("name", [n for n in envs.names() if n not in NO_BOTS])
def test_every_bot_jits_vmaps_and_stays_in_the_action_space(name):
    if name in STEPS:
        # the rollout jits the bots vmapped over the agents and over 5 teams x 8
        # environments and checks every action against the action space
        env, run, results = standard(name)
        again, other = run(0), run(1)
        first = [r[1] for r in results]
        same, random = [r[1] for r in again], np.concatenate([first[2], other[2][1]])
    else:
        env, actions = decide(name)
        states = first_states(env, 1)
        first, same = actions(keys(2, BATCH), states), actions(keys(2, BATCH), states)
        assert first.shape == (3, BATCH, env.num_agents()) and first.dtype == jnp.int32
        assert env.action_space(env.params).contains(first)
        first, same = np.asarray(first), np.asarray(same)
        random = np.concatenate([first[2], actions(keys(3, BATCH), states)[2]])
    for actions, again in zip(first, same, strict=True):
        np.testing.assert_array_equal(actions, again)  # same key, same actions
    assert len(np.unique(random)) == env.action_space(env.params).n, "not every action drawn"
    assert np.any(random != random[..., :1]), "agents sharing a key drew the same actions"
    if env.action_names(env.params) == ("cooperate", "defect"):  # AllC and AllD
        np.testing.assert_array_equal(first[0], 0)
        np.testing.assert_array_equal(first[1], 1)


def test_names_and_errors():
    assert bot_names() == ("cooperate", "defect", "random") == BOTS.names()
    env = envs.make("coin_game")
    with pytest.raises(ConfigError, match="accepted: cooperate, defect, random"):
        make_bot("tit_for_tat", env)
    with pytest.raises(UnknownNameError, match="accepted: cooperate, defect, random"):
        BOTS.make("tit_for_tat", env=env)
    assert callable(BOTS.make("cooperate", env=env))
    other = dataclasses.replace(env, name="elsewhere", params=object())
    with pytest.raises(ConfigError, match="no scripted bots for environment 'elsewhere'"):
        make_bot("cooperate", other)


def test_a_bot_reads_the_game_inside_wrappers():
    env = envs.make("coin_game", coins="per_agent")
    wrapped = wrappers.inequity_aversion(env)
    plain, deep = make_bot("cooperate", env), make_bot("cooperate", wrapped)

    @jax.jit
    def both(key):
        inner = env.init_fn(key, env.params)
        outer = wrapped.init_fn(key, wrapped.params)
        assert hasattr(outer, "inner") and hasattr(wrapped.params, "inner")
        return act_all(plain, key, inner), act_all(deep, key, outer, wrapped.params)

    for key in keys(5, 3):
        first, second = both(key)
        np.testing.assert_array_equal(first, second)


# ------------------------------------------------------------------ the Coin Game


def coin_counts(results):
    picked = [r[0]["coin/picked"] for r in results[:3]]
    own = [r[0]["coin/own"].sum() / max(p.sum(), 1) for r, p in zip(results, picked, strict=False)]
    return picked, own


@pytest.mark.parametrize("name", ["coin_game", "per_agent"])
def test_coin_game_cooperators_take_their_own_coins_and_defectors_any(name):
    if name == "per_agent":  # JaxMARL's rules: a coin of each colour, a stay action
        # on 3x3 a new coin lands on the other coin's cell one time in seven, and whoever
        # takes that pair takes another's coin: 5x5 keeps that to one in 23
        env = envs.make("coin_game_5x5", coins="per_agent", stay_action=True)
        results = play(env, bot_names(), steps=100)
    else:
        _, _, results = standard(name)  # 3x3, one coin of a random colour at a time
    (coop, defect, random), (own_coop, own_defect, _) = coin_counts(results)
    assert coop.sum() > 0 and own_coop > 0.9, own_coop
    assert 0.35 < own_defect < 0.65, own_defect
    assert np.all(defect > 2 * random), (defect, random)


# ------------------------------------------------------------------ Cleanup

CLEANED, APPLES = "cleanup/waste_cleaned", "cleanup/apples"


def test_cleanup_small_cooperators_clean_and_defectors_eat():
    _, _, results = standard("cleanup_small")
    coop, defect, _, mixed, swapped = (r[0] for r in results)
    assert np.all(coop[CLEANED] > 0), coop
    assert np.all(defect[CLEANED] == 0), defect
    assert np.all(mixed[CLEANED][0::2] > 0) and np.all(mixed[CLEANED][1::2] == 0), mixed
    assert np.all(swapped[CLEANED][1::2] > 0) and np.all(swapped[CLEANED][0::2] == 0)
    for totals in (coop, defect, mixed, swapped):
        assert np.all(totals["cleanup/fired"] == 0)  # nobody fires the penalty beam
    # apples grow only once someone cleans the river, and then the defector eats them
    assert np.all(defect[APPLES] == 0)
    assert mixed[APPLES][1] > 0 and swapped[APPLES][0] > 0, (mixed, swapped)


def test_lase_cleanup_cooperators_clean_and_defectors_only_eat():
    from prosocial.envs.cleanup_lase import CLEAN

    _, _, results = standard("cleanup_lase")
    (coop, _, _), (defect, defect_actions, _), _, mixed, swapped = results
    assert np.all(coop[CLEANED] > 0), coop
    assert np.all(coop[APPLES] > 0), "cooperators eat once the river is clean"
    assert np.all(defect_actions != CLEAN), "a defector never cleans"
    assert np.all(defect[CLEANED] == 0) and np.all(defect[APPLES] == 0), defect
    for (totals, actions, _), helpers in ((mixed, slice(0, None, 2)), (swapped, slice(1, None, 2))):
        others = slice(1 - helpers.start, None, 2)
        assert np.all(totals[CLEANED][helpers] > 0), totals
        assert np.all(totals[CLEANED][others] == 0) and np.all(actions[..., others] != CLEAN)
        assert np.all(totals[APPLES][others] > 0), "defectors eat what cooperators grow"


def ssd_scene(pos, orient):
    """A state of the SSD Cleanup map: waste on every H cell, agents at ``pos``."""
    chars = np.array([list(r) for r in cleanup.CLEANUP_MAP])
    codes = np.zeros(chars.shape, np.uint8)
    codes[chars == "@"] = ssd.WALL
    codes[chars == "H"] = cleanup.WASTE
    codes[np.isin(chars, ["R", "S"])] = cleanup.WATER
    pos, orient = jnp.asarray(pos, jnp.int32), jnp.asarray(orient, jnp.int32)
    return ssd.SSDState(pos, orient, jnp.asarray(codes), jnp.zeros((), jnp.int32))


def test_an_ssd_cleanup_cooperator_turns_to_waste_fires_and_moves_relative_to_its_facing():
    env, actions = decide("cleanup")
    names = env.action_names(env.params)
    # agent 0 at (2, 8): only a beam facing left (west) reaches waste, at (2, 6); agent 1
    # at (2, 12): no beam reaches waste, the one firing spot a step away is (2, 11), west
    facings = [grid.UP, grid.RIGHT, grid.DOWN, grid.LEFT]
    parked = [[23, 14], [23, 15], [23, 16]]
    scenes = [ssd_scene([[2, 8], [2, 12], *parked], [f, f, 0, 0, 0]) for f in facings]
    # then: agent 1 faces west from (2, 9), agent 0 at (2, 8) in the way of its beam
    scenes.append(ssd_scene([[2, 8], [2, 9], *parked], [grid.LEFT] * 2 + [0] * 3))
    states = jax.tree.map(lambda *x: jnp.stack(x), *(scenes + scenes[:1] * (BATCH - 5)))
    coop, defect, _ = np.asarray(actions(keys(8, BATCH), states))
    chosen = [names[a] for a in coop[:5, 0]]
    assert chosen == ["turn_ccw", "turn_cw", "turn_cw", "clean", "clean"], chosen
    offset = {"forward": 0, "step_right": 1, "backward": 2, "step_left": 3}
    for facing, action in zip(facings, coop[:4, 1], strict=True):
        assert names[action] in offset, names[action]
        assert (facing + offset[names[action]]) % 4 == grid.LEFT, (facing, names[action])
    assert names[coop[4, 1]] != "clean"  # its beam would stop at agent 0
    assert not {names[a] for a in defect.reshape(-1)} & {"clean", "fire"}


# ------------------------------------------------------------------ Harvest

# one lone apple on the way, then a patch of three (two neighbours each)
HARVEST_MAP = (
    "@@@@@@@@@@",
    "@P A   A @",
    "@     AA @",
    "@@@@@@@@@@",
)


def test_harvest_cooperators_spare_lone_apples_and_defectors_do_not():
    env = envs.make("harvest", map=HARVEST_MAP, num_agents=1)
    assert harvest.layout(env.params).start[1, 3] == ssd.APPLE
    assert bots.HARVEST_MIN_NEIGHBOURS == 2
    (coop, _, last_coop), (defect, _, last_defect) = play(env, ["cooperate", "defect"], 20)
    assert np.all(np.asarray(last_coop.grid[:, 1, 3]) == ssd.APPLE), "a cooperator ate it"
    assert coop["harvest/apples"].sum() >= BATCH  # an apple of the patch in every game
    assert np.all(np.asarray(last_defect.grid[:, 1, 3]) != ssd.APPLE)  # never regrows
    assert defect["harvest/apples"].sum() >= 4 * BATCH  # the lone apple and the patch


# ------------------------------------------------------------------ stag hunt, snowdrift


def test_stag_hunt_cooperators_catch_stags_and_defectors_hares():
    _, _, results = standard("stag_hunt")
    coop, defect = results[0][0], results[1][0]
    assert coop["stag_hunt/stags"].sum() >= BATCH and coop["stag_hunt/hares"].sum() == 0, coop
    assert defect["stag_hunt/hares"].sum() >= BATCH and defect["stag_hunt/stags"].sum() == 0
    # the random bot: uniform over the six actions (30 steps x 8 games x 4 hunters)
    counts = np.bincount(results[2][1].reshape(-1), minlength=6)
    assert counts.size == 6 and np.all(np.abs(counts - 160) < 60), counts


def test_two_stag_hunt_cooperators_agree_on_one_stag():
    env, actions = decide("stag_hunt")
    stags = np.zeros((5, 5), bool)
    stags[0, 1] = stags[4, 4] = True

    def board(pos):  # hunters 0 and 1 at ``pos``, hunters 2 and 3 out of play
        return StagHuntState(
            jnp.asarray([*pos, [2, 2], [2, 2]], jnp.int32),
            jnp.asarray(stags),
            jnp.zeros((5, 5), bool),
            jnp.asarray([False, False, True, True]),
            jnp.int32(0),
        )

    # hunter 1's nearest stag is (4, 4), but (0, 1) is the nearer for the two together
    # (1 + 6 steps against 8 + 1): both go there. Then: both on it hunt; one alone waits.
    scenes = [board([[0, 0], [4, 3]]), board([[0, 1], [0, 1]]), board([[0, 1], [4, 3]])]
    states = jax.tree.map(lambda *x: jnp.stack(x), *(scenes + scenes[:1] * (BATCH - 3)))
    coop = np.asarray(actions(keys(9, BATCH), states)[0])
    up, left, right, hunt = (env.action_names(env.params).index(a) for a in ACTION_NAMES)
    assert coop[0, 0] == right and coop[0, 1] in (up, left), coop[0]
    assert coop[1, :2].tolist() == [hunt, hunt] and coop[2, 0] == hunt, coop[1:3]


ACTION_NAMES = ("up", "left", "right", "hunt")


def test_snowdrift_cooperators_remove_drifts_and_defectors_none():
    _, _, results = standard("snowdrift")
    coop, defect, _, mixed, _ = (r[0] for r in results)
    assert np.all(coop["snowdrift/drifts"] > 0), coop
    assert defect["snowdrift/drifts"].sum() == 0
    assert (
        np.all(mixed["snowdrift/drifts"][0::2] > 0) and mixed["snowdrift/drifts"][1::2].sum() == 0
    )


# ------------------------------------------------------------------ iterated matrix games


def test_matrix_game_bots_play_allc_and_alld():
    env, _, results = standard("ipd")
    steps = STEPS["ipd"]
    assert env.action_names(env.params) == ("cooperate", "defect")
    assert results[0][0]["matrix_game/cooperate"].tolist() == [steps * BATCH] * 2
    assert results[1][0]["matrix_game/cooperate"].tolist() == [0, 0]
    assert results[3][0]["matrix_game/cooperate"].tolist() == [steps * BATCH, 0]


def test_joint_policy_gives_each_agent_its_bot():
    env = envs.make("ipd")
    act = joint_policy([make_bot("defect", env), make_bot("cooperate", env)])
    state = env.init_fn(None, env.params)  # every episode starts alike
    assert jax.jit(act)(keys(1, 1)[0], state).tolist() == [1, 0]
