"""The planner of adaptive mechanism design on sequential games: the exact expectation
of its transfers over the joint action, and what the config refuses."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.errors import ConfigError
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.learners import amd, recipients
from prosocial.learners.networks import NetworkConfig, make_network


def test_joint_actions_are_in_row_major_order():
    rows = amd.joint_actions(3, 2)
    assert rows.shape == (8, 3)
    for j, row in enumerate(rows):
        assert tuple(row) == np.unravel_index(j, (2, 2, 2))


def test_expected_transfers_match_an_enumeration_of_the_others_actions():
    n, a, lead = 3, 3, (2, 4)
    rng = np.random.default_rng(0)
    table = rng.normal(size=(a,) * n + lead + (n,))
    probs = rng.dirichlet(np.ones(a), size=(n, *lead))  # (n, 2, 4, a)
    got = np.asarray(amd.expected_transfers(jnp.asarray(table), jnp.asarray(probs)))
    want = np.zeros((n, *lead, a))
    for i in range(n):
        for joint in itertools.product(range(a), repeat=n):
            weight = np.ones(lead)
            for k in range(n):
                if k != i:
                    weight = weight * probs[k, ..., joint[k]]
            want[i, ..., joint[i]] += weight * table[joint][..., i]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _one_step(actions, eps=0.2):
    """A two-agent matrix game's one-step episode and recipients of it."""
    env = envs.make("ipd")
    space = env.observation_space(env.params)
    network = make_network(NetworkConfig(torso="mlp", hidden=(8,)), space.shape, 2)
    agents = recipients.make_recipients(
        network, 2, env, lr=0.1, lr_v=0.1, gamma=0.9, ent_coef=0.0, tau=0.1, eps=lambda s: eps
    )
    params, _ = agents.init(jax.random.PRNGKey(3))
    obs = jax.random.normal(jax.random.PRNGKey(4), (2, 1, 1, *space.shape))
    data = {
        "obs": obs,
        "resets": jnp.ones((2, 1, 1), bool),
        "actions": jnp.asarray(actions, jnp.int32).reshape(2, 1, 1),
        "rewards": jnp.zeros((2, 1, 1)),
        "dones": jnp.ones((2, 1, 1)),
        "values": jnp.zeros((2, 1, 1)),
        "last_value": jnp.zeros((2, 1)),
    }
    carry = agents.initial_carry(1)[0]
    return agents, params["policy"], data, carry, eps


def test_pricing_every_action_is_the_expected_score_function_gradient():
    """∇ Σ_a π̃(a) q(a) = Σ_a π̃(a) ∇ log π̃(a) q(a): the exact bonus equals the sampled
    bonus averaged over the acting policy's actions (a sign or a softmax-for-mixture
    error breaks it)."""
    q = jnp.asarray([[1.5, -0.5], [-2.0, 0.25]])  # (agent, action)
    agents, theta, data, carry, eps = _one_step([0, 0])
    probs = np.asarray(agents.acting_probs(theta, data, carry, eps))[:, 0, 0]  # (2, A)
    zero = jnp.zeros((2, 1, 1))

    def grads(data, bonus, priced):
        def loss(th):
            return jnp.sum(agents.policy_loss(th, data, carry, bonus, eps, priced))

        return jax.grad(loss)(theta)

    exact = grads(data, zero, q[:, None, None, :])
    base = grads(data, zero, None)
    sampled = jax.tree.map(jnp.zeros_like, theta)
    for a in range(2):
        one = {**data, "actions": jnp.full((2, 1, 1), a, jnp.int32)}
        g = grads(one, q[:, a].reshape(2, 1, 1), None)
        weight = jnp.asarray(probs[:, a])
        sampled = jax.tree.map(
            lambda s, x, w=weight: s + w.reshape(-1, *[1] * (x.ndim - 1)) * x, sampled, g
        )
    leaves = (jax.tree.leaves(t) for t in (exact, base, sampled))
    for e, b, s in zip(*leaves, strict=True):
        np.testing.assert_allclose(np.asarray(e - b), np.asarray(s), rtol=1e-4, atol=1e-6)
    assert max(float(jnp.abs(s).max()) for s in jax.tree.leaves(sampled)) > 1e-3


def test_the_planner_options_are_amd_only_and_exact_needs_few_joint_actions():
    with pytest.raises(ConfigError, match="planner_estimate"):
        SSDConfig(algo="a2c", planner_estimate="exact")
    with pytest.raises(ConfigError, match="planner_gamma"):
        SSDConfig(algo="lio", planner_gamma=0.0)
    with pytest.raises(ConfigError, match=r"planner_estimate.*joint actions"):
        SSDConfig(env="cleanup", algo="amd", planner_estimate="exact")
    with pytest.raises(ConfigError, match="planner_estimate"):
        SSDConfig(algo="amd", planner_estimate="exactly")
    SSDConfig(algo="amd", planner_estimate="exact", planner_gamma=0.0)  # the Coin Game: 4²


def test_the_exact_estimate_trains_the_planner_in_the_coin_game():
    from prosocial.experiments.ssd.program import train

    cfg = SSDConfig(
        env="coin_game",
        env_options=("max_steps=4",),
        algo="amd",
        channels=(4,),
        kernels=(3,),
        hidden=(8,),
        num_envs=2,
        updates=2,
        log_every=1,
        eval_envs=2,
        lr=0.1,
        lr_reward=0.01,
        planner_estimate="exact",
        planner_gamma=0.0,
        seeds=1,
    )
    _, metrics = train(cfg)
    spent = np.asarray(metrics["planner/spending"])
    assert np.all(np.isfinite(spent)) and np.all(spent > 0)
    assert np.all(np.isfinite(np.asarray(metrics["planner/loss"])))
