"""LIO's parts (the others' actions, the acting policy's probabilities, TD errors) and its
learning: in the iterated prisoner's dilemma, each agent learns to pay the other for
cooperating rather than for defecting."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs import wrappers
from prosocial.errors import ConfigError
from prosocial.learners import lio, play, recipients
from prosocial.learners.networks import NetworkConfig, make_network

fast_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})


def test_others_one_hot_lists_the_other_agents_actions_in_order():
    actions = jnp.array([[2, 0, 1]])  # one step, three agents, three actions
    got = np.asarray(lio.others_one_hot(actions, 3))
    assert got.shape == (3, 1, 6)
    np.testing.assert_array_equal(got[0, 0], [1, 0, 0, 0, 1, 0])  # agents 1, 2
    np.testing.assert_array_equal(got[1, 0], [0, 0, 1, 0, 1, 0])  # agents 0, 2
    np.testing.assert_array_equal(got[2, 0], [0, 0, 1, 1, 0, 0])  # agents 0, 1


def test_watched_actions_keep_only_those_columns_and_shape_the_incentive_input():
    actions = jnp.array([[2, 0, 1]])
    got = np.asarray(lio.others_one_hot(actions, 3, (2,)))  # did each other agent play 2?
    np.testing.assert_array_equal(got[:, 0], [[0, 0], [1, 0], [1, 0]])
    env = envs.make("cleanup_small")
    assert lio.watched_indices(env, ("clean",)) == (5,)
    assert lio.watched_indices(env, None) is None
    for bad in (("zap",), (), ("clean", "clean")):
        with pytest.raises(ConfigError, match="watched"):
            lio.watched_indices(env, bad)
    net = make_network(NetworkConfig(channels=(2,), kernels=(3,), hidden=(4,)), (9, 9, 6), 6)
    learner = lio.lio(net, 2, env=env, watched=("clean",))
    state = jax.eval_shape(learner.init, jax.random.key(0))
    # the first dense layer takes the CNN's features plus one flag per other agent
    full = lio.lio(net, 2, env=env)
    kernel = state.params["incentive"]["params"]["Dense_0"]["kernel"].shape
    full_kernel = jax.eval_shape(full.init, jax.random.key(0)).params["incentive"]
    assert kernel[-2] + 5 == full_kernel["params"]["Dense_0"]["kernel"].shape[-2]


def test_the_mixture_is_the_epsilon_greedy_policy():
    logits = jnp.array([2.0, 0.0, -1.0])
    probs = np.exp(recipients.mixture_log_probs(logits, 0.3))
    np.testing.assert_allclose(probs, 0.7 * jax.nn.softmax(logits) + 0.1, rtol=1e-6)
    np.testing.assert_allclose(probs.sum(), 1.0, rtol=1e-6)


def test_td_errors_bootstrap_and_stop_at_episode_ends():
    rewards = jnp.array([1.0, 2.0, 3.0])
    values = jnp.array([0.5, 1.0, 4.0])
    dones = jnp.array([0.0, 1.0, 0.0])
    got = recipients.td_errors(rewards, values, dones, jnp.asarray(10.0), 0.9)
    np.testing.assert_allclose(got, [1 + 0.9 * 1.0 - 0.5, 2 - 1.0, 3 + 0.9 * 10 - 4], rtol=1e-6)


def _ipd_learner(**kw):
    game = envs.make("iterated_matrix_game", game="lola_prisoners_dilemma", max_steps=5)
    env = wrappers.episode_statistics(game)
    net = make_network(NetworkConfig(torso="mlp", hidden=(8,)), (5,), 2)
    return env, lio.lio(net, 2, env=env, **kw)


def test_lio_refuses_what_it_cannot_do():
    env, _ = _ipd_learner()
    net = make_network(NetworkConfig(torso="mlp", hidden=(8,)), (5,), 2)
    with pytest.raises(ConfigError, match="env="):
        lio.lio(net, 2)
    with pytest.raises(ConfigError, match="shared"):
        lio.lio(net, 2, env=env, shared=True)


def test_lio_learns_to_pay_for_cooperation_in_the_prisoners_dilemma():
    """Acting half at random (ε = 0.5), each giver's incentive for the other's cooperation rises
    above its incentive for defection: paying for C makes the other's updated policy
    cooperate more, which raises the giver's own return. A sign error in the look-ahead,
    the giver's TD error or the step of η reverses the order."""
    env, learner = _ipd_learner(lr=1e-2, lr_reward=3e-2, r_max=3.0, eps_start=0.5, eps_end=0.5)
    E, UPDATES = 16, 60

    @fast_jit
    def train(key):
        state = learner.init(key)
        actors = play.start(env, learner.initial_carry(E), key, E)

        def one(carry, k):
            state, actors = carry
            k_roll, k_upd = jax.random.split(k)
            actors, rollout, _ = play.collect(learner, env, state, actors, k_roll, 5)
            state, metrics = learner.update(state, rollout, k_upd)
            return (state, actors), metrics["incentive/given"]

        (state, _), given = jax.lax.scan(one, (state, actors), jax.random.split(key, UPDATES))
        return state, given

    state, given = train(jax.random.PRNGKey(0))
    assert np.all(np.isfinite(given))
    incentive = lio.IncentiveNet(learner.network.config, 2, 1)
    obs = jnp.zeros((1, 5)).at[0, 1].set(1.0)  # last round: mutual cooperation
    for j in range(2):
        eta = jax.tree.map(lambda p, j=j: p[j], state.params["incentive"])
        pay_c = incentive.apply(eta, obs, jnp.array([[1.0, 0.0]]))[0, 1 - j]
        pay_d = incentive.apply(eta, obs, jnp.array([[0.0, 1.0]]))[0, 1 - j]
        assert pay_c > pay_d + 0.1, (j, float(pay_c), float(pay_d))
