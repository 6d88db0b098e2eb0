"""Every registered deep learner keeps the family contract (DESIGN.md rule 6), for every torso
and with or without memory: ``init``, ``act`` and ``update`` compile once as one program,
repeat, vmap over seeds, stay in the action space, stay finite, and learn."""

import functools
import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.learners import DEEP_LEARNERS, NetworkConfig, Rollout, make_network

# XLA's CPU backend optimisations cost ten times the compilation time of these tiny programs
fast_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})
N, A, T, E, SEEDS = 2, 3, 4, 4, 3  # E = 4: PPO's default 4 minibatches divide it
OBS = {"cnn": (5, 5, 3), "mlp": (6,)}


# a learner that plays episodes itself (LIO's look-ahead) gets a game with these views
GAMES = {"cnn": ("coin_game", (3, 3, 4), 4), "mlp": ("iterated_matrix_game", (5,), 2)}


def needs_env(name: str) -> bool:
    return "env" in inspect.signature(DEEP_LEARNERS.get(name)).parameters


def make_learner(name: str, cfg: NetworkConfig):
    if not needs_env(name):
        return DEEP_LEARNERS.make(name, network=make_network(cfg, OBS[cfg.torso], A), n_agents=N)
    game, obs, actions = GAMES[cfg.torso]
    env = envs.make(game, max_steps=T)
    network = make_network(cfg, obs, actions)
    return DEEP_LEARNERS.make(name, network=network, n_agents=N, env=env)


def agent_params(state):
    """The parameters stacked per agent: the policies where a learner keeps more (a critic,
    incentive functions, a model of the others, a planner)."""
    params = state.params
    return params["policy"] if isinstance(params, dict) and "policy" in params else params


def spaces(learner) -> tuple[tuple[int, ...], int]:
    """The observation shape and the number of actions of ``learner``'s rollouts."""
    torso = learner.network.config.torso
    return GAMES[torso][1:] if needs_env(learner.name) else (OBS[torso], A)


def random_rollout(seed: int, learner) -> Rollout:
    """A rollout of random values (drawn in numpy: no sampler to compile) with episodes
    ending mid-rollout."""
    rng = np.random.default_rng(seed)
    obs_shape, n_actions = spaces(learner)
    ends = rng.random((T, E)) < 0.3
    normal = functools.partial(rng.normal, size=(T, E, N))
    return Rollout(
        obs=rng.normal(size=(T, E, N, *obs_shape)).astype(np.float32),
        resets=np.concatenate([np.ones((1, E), bool), ends[:-1]]),
        actions=rng.integers(0, n_actions, (T, E, N)).astype(np.int32),
        rewards=normal().astype(np.float32),
        dones=ends,
        logp=(np.log(1.0 / n_actions) + 0.1 * normal()).astype(np.float32),
        values=normal().astype(np.float32),
        carry=jax.tree.map(np.zeros_like, learner.initial_carry(E)),
        last_value=rng.normal(size=(E, N)).astype(np.float32),
    )


@pytest.mark.parametrize("memory", ["none", "gru"])
@pytest.mark.parametrize("torso", ["cnn", "mlp"])
@pytest.mark.parametrize("name", DEEP_LEARNERS.names())
def test_deep_learners_compile_once_vmap_repeat_act_and_learn(name, torso, memory):
    cfg = NetworkConfig(
        torso=torso, channels=(4,), kernels=(3,), hidden=(8,), memory=memory, memory_size=8
    )
    learner = make_learner(name, cfg)
    assert learner.name == name and learner.n_agents == N and not learner.shared

    def program(key, ro):
        k_init, k_act, k_update = jax.random.split(key, 3)
        state = learner.init(k_init)
        acted = learner.act(state, learner.initial_carry(E), ro.obs[0], ro.resets[0], k_act)
        new, metrics = learner.update(state, ro, k_update)
        return state, acted, new, metrics

    run = fast_jit(jax.vmap(program, in_axes=(0, None)))  # 3 seeds, one rollout
    keys = jax.random.split(jax.random.PRNGKey(0), SEEDS)
    first = run(keys, random_rollout(1, learner))
    second = run(jax.random.split(jax.random.PRNGKey(2), SEEDS), random_rollout(2, learner))
    assert run._cache_size() == 1  # new values, same shapes: no recompilation
    jax.tree.map(np.testing.assert_array_equal, first, run(keys, random_rollout(1, learner)))

    for state, (carry, actions, logp, value), new, metrics in (first, second):
        assert actions.shape == logp.shape == value.shape == (SEEDS, E, N)
        assert actions.dtype == jnp.int32
        assert np.all((np.asarray(actions) >= 0) & (np.asarray(actions) < spaces(learner)[1]))
        assert np.all(np.isfinite(logp)) and np.all(np.asarray(logp) <= 0.0)
        assert np.all(np.isfinite(value))
        for c, c0 in zip(
            jax.tree.leaves(carry), jax.tree.leaves(learner.initial_carry(E)), strict=True
        ):
            assert c.shape == (SEEDS, *c0.shape) and np.all(np.isfinite(c))
        for key, m in metrics.items():
            assert np.all(np.isfinite(m)), key
            if key.startswith("loss/"):
                assert m.shape == (SEEDS, N), key
        np.testing.assert_array_equal(new.updates, 1.0)
        assert all(np.all(np.isfinite(p)) for p in jax.tree.leaves(new.params))
        split = isinstance(state.params, dict)
        parts = state.params if split else {"params": state.params}
        updated = new.params if split else {"params": new.params}
        for part in parts:  # every part moved in every seed (policy, critic, planner, ...)
            old_new = zip(jax.tree.leaves(parts[part]), jax.tree.leaves(updated[part]), strict=True)
            moved = sum(np.any(p != q, axis=tuple(range(1, p.ndim))) for p, q in old_new)
            assert np.all(moved > 0), part
        # every seed's and every agent's policy moved
        before, after = jax.tree.leaves(agent_params(state)), jax.tree.leaves(agent_params(new))
        moved = sum(
            np.any(p != q, axis=tuple(range(2, p.ndim))) for p, q in zip(before, after, strict=True)
        )
        assert np.all(moved > 0), moved
        # the seeds are different learners, and so are the agents of one seed
        assert any(not np.array_equal(p[0], p[1]) for p in before)
        assert any(not np.array_equal(p[0, 0], p[0, 1]) for p in before)
