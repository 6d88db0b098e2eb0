"""The social-influence learner: the influence reward against enumeration, the MOA loss's
masks, the policy part being A2C's, and a small learning run that catches sign errors.

Tiny MLP networks on ``(6,)`` observations; every compiled program runs at XLA's lowest
backend optimisation level (compilation is most of these tests' time).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import entropy

from prosocial.learners import NetworkConfig, Rollout, make_network
from prosocial.learners.a2c import a2c
from prosocial.learners.influence import (
    influence,
    influence_reward,
    moa_cross_entropy,
)

fast_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})
OBS = (6,)
NET = make_network(NetworkConfig(torso="mlp", hidden=(8,), memory="none"), OBS, 2)


def enumerated_influence(moa_probs, own_action, own_probs, k):
    """Σ_{j≠k} KL[p(· | a_k) ‖ Σ_{a'} π(a') p(· | a')] by loops over co-players and actions.

    ``moa_probs (A', n, A)``: each co-player's next-action distribution for each own a'.
    """
    n_own, n_agents, n_actions = moa_probs.shape
    total = 0.0
    for j in range(n_agents):
        if j == k:
            continue
        marginal = np.zeros(n_actions)
        for a in range(n_own):
            marginal += own_probs[a] * moa_probs[a, j]
        total += entropy(moa_probs[own_action, j], marginal)  # scipy's KL(p ‖ q)
    return total


# --- the influence reward ---------------------------------------------------------------------

# 3 agents, 2 actions; agent k = 0's counterfactual a' picks the rows. Agent 1 copies a' most
# of the time, agent 2 ignores it; agent 0's own row (nonsense) must not count.
MOA_PROBS = np.array(
    [
        [[0.5, 0.5], [0.9, 0.1], [0.3, 0.7]],  # a' = 0
        [[0.99, 0.01], [0.2, 0.8], [0.3, 0.7]],  # a' = 1
    ]
)
POLICY = np.array([0.25, 0.75])


@pytest.mark.parametrize("own_action", [0, 1])
def test_influence_reward_is_the_enumerated_kl_to_the_counterfactual_marginal(own_action):
    got = influence_reward(jnp.log(MOA_PROBS), own_action, POLICY, 0)
    want = enumerated_influence(MOA_PROBS, own_action, POLICY, 0)
    # by hand: marginal of agent 1 = 0.25 (0.9, 0.1) + 0.75 (0.2, 0.8) = (0.375, 0.625)
    p = MOA_PROBS[own_action, 1]
    by_hand = p[0] * np.log(p[0] / 0.375) + p[1] * np.log(p[1] / 0.625)
    np.testing.assert_allclose(want, by_hand, rtol=1e-12)  # agent 2 contributes 0
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert want > 0.05


def test_influence_reward_batched_random_cases_match_enumeration_and_are_nonnegative():
    rng = np.random.default_rng(0)
    n_own, n, a = 3, 4, 3
    logits = 2.0 * rng.normal(size=(5, 7, n_own, n, a))
    actions = rng.integers(0, n_own, (5, 7))
    policy = rng.dirichlet(np.ones(n_own), (5, 7))
    for k in range(n):
        got = np.asarray(influence_reward(logits, actions, policy, k))
        assert got.shape == (5, 7) and np.all(got >= 0.0)
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        want = [
            [enumerated_influence(probs[b, t], actions[b, t], policy[b, t], k) for t in range(7)]
            for b in range(5)
        ]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_influence_reward_is_zero_when_no_prediction_depends_on_the_own_action():
    rng = np.random.default_rng(1)
    one = rng.normal(size=(1, 3, 4))  # (n = 3, A = 4) the same for every a'
    logits = np.repeat(one, 4, axis=0)
    for own in range(4):
        got = influence_reward(logits, own, rng.dirichlet(np.ones(4)), 1)
        np.testing.assert_allclose(got, 0.0, atol=1e-6)


def test_influence_reward_excludes_the_agents_own_row():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(3, 3, 3))
    policy = rng.dirichlet(np.ones(3))
    base = influence_reward(logits, 2, policy, 1)
    changed = logits.copy()
    changed[:, 1] = 10.0 * rng.normal(size=(3, 3))  # agent 1's own row: strongly dependent
    np.testing.assert_allclose(influence_reward(changed, 2, policy, 1), base, rtol=1e-6)
    assert not np.allclose(
        influence_reward(changed, 2, policy, 0), influence_reward(logits, 2, policy, 0)
    )
    # only the own row depends on a': no influence
    flat = np.repeat(rng.normal(size=(1, 3, 3)), 3, axis=0)
    flat[:, 1] = 10.0 * rng.normal(size=(3, 3))
    np.testing.assert_allclose(influence_reward(flat, 0, policy, 1), 0.0, atol=1e-6)


# --- the MOA's loss -----------------------------------------------------------------------------


def test_moa_cross_entropy_is_the_masked_mean_over_next_actions_of_co_players():
    rng = np.random.default_rng(3)
    t_, e_, n, a, k = 5, 3, 3, 4, 1
    logits = rng.normal(size=(t_, e_, n, a)).astype(np.float32)
    actions = rng.integers(0, a, (t_, e_, n)).astype(np.int32)
    dones = np.zeros((t_, e_), bool)
    dones[1, 0] = dones[2, 2] = dones[4, 1] = True

    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    terms = [
        -logp[t, e, j, actions[t + 1, e, j]]
        for t in range(t_ - 1)
        for e in range(e_)
        for j in range(n)
        if j != k and not dones[t, e]
    ]
    loss = moa_cross_entropy(logits, actions, dones, k)
    np.testing.assert_allclose(loss, np.mean(terms), rtol=1e-5)

    # the next action after an episode's end, the own row's targets, and the predictions at
    # done steps and at the rollout's last step (whose next action is not in the rollout)
    # do not enter the loss or its gradient
    other_actions = actions.copy()
    other_actions[2, 0] = (actions[2, 0] + 1) % a  # after dones[1, 0]
    other_actions[3, 2] = (actions[3, 2] + 2) % a  # after dones[2, 2]
    other_actions[:, :, k] = rng.integers(0, a, (t_, e_))
    np.testing.assert_allclose(moa_cross_entropy(logits, other_actions, dones, k), loss)
    grad = jax.grad(moa_cross_entropy)(jnp.asarray(logits), actions, dones, k)
    assert np.all(grad[-1] == 0.0) and np.all(grad[1, 0] == 0.0) and np.all(grad[2, 2] == 0.0)
    assert np.all(grad[:, :, k] == 0.0)
    assert np.all(np.abs(grad[0, :, 0]).sum(-1) > 0) and np.all(np.abs(grad[3, 0, 2]) > 0)


def make_rollout(actions, rewards=None, dones=None, seed=0, obs=None):
    """A rollout of ``actions (T, E, n)`` on feed-forward networks (no memory)."""
    t_, e_, n = actions.shape
    rng = np.random.default_rng(seed)
    dones = np.zeros((t_, e_), bool) if dones is None else dones
    if obs is None:
        obs = rng.normal(size=(t_, e_, n, *OBS)).astype(np.float32)
    rewards = rng.normal(size=(t_, e_, n)) if rewards is None else rewards
    return Rollout(
        obs=obs,
        resets=np.concatenate([np.ones((1, e_), bool), dones[:-1]]),
        actions=actions.astype(np.int32),
        rewards=rewards.astype(np.float32),
        dones=dones,
        logp=np.full((t_, e_, n), np.log(0.5), np.float32),
        values=np.zeros((t_, e_, n), np.float32),
        carry=np.zeros((n, e_, 0), np.float32),
        last_value=rng.normal(size=(e_, n)).astype(np.float32),
    )


@fast_jit
def one_update(state, rollout, hp):
    learner = influence(NET, rollout.actions.shape[-1], **hp)
    return learner.update(state, rollout, jax.random.PRNGKey(0))


HP = {"lr": 1e-3, "influence_weight": 0.5, "influence_ramp": 0.0, "moa_coef": 1.0}


def test_actions_after_the_last_episode_end_do_not_change_the_moa_loss():
    rng = np.random.default_rng(4)
    actions = rng.integers(0, 2, (4, 2, 3))
    dones = np.zeros((4, 2), bool)
    dones[2, 1] = True  # environment 1's last step starts a new episode
    state = influence(NET, 3).init(jax.random.PRNGKey(1))
    _, metrics = one_update(state, make_rollout(actions, dones=dones), HP)
    changed = actions.copy()
    changed[3, 1] = (actions[3, 1] + 1) % 2  # every agent's action
    _, other = one_update(state, make_rollout(changed, dones=dones), HP)
    np.testing.assert_allclose(other["loss/moa"], metrics["loss/moa"], rtol=1e-6)
    assert metrics["loss/moa"].shape == metrics["learner/influence"].shape == (3,)
    # in environment 0 the same change is a target of the MOA
    changed[3, 0] = (actions[3, 0] + 1) % 2
    _, other = one_update(state, make_rollout(changed, dones=dones), HP)
    assert not np.allclose(other["loss/moa"], metrics["loss/moa"], rtol=1e-4)


def test_without_influence_the_policy_update_is_a2cs_and_acting_uses_the_policy():
    rng = np.random.default_rng(5)
    rollout = make_rollout(rng.integers(0, 2, (4, 2, 2)), dones=np.array([[0, 1]] * 4, bool))
    hp = {**HP, "influence_weight": 0.0}

    @fast_jit
    def run(key, rollout):
        learner, base = influence(NET, 2, **hp), a2c(NET, 2, lr=hp["lr"])
        state = learner.init(key)
        base_state = base.init(key)._replace(params=state.params["policy"])
        new, metrics = learner.update(state, rollout, key)
        base_new, base_metrics = base.update(base_state, rollout, key)
        obs = rollout.obs[0]
        carry = learner.initial_carry(2)
        evaluated = (
            learner.evaluate(state.params, carry, obs, rollout.resets[0]),
            base.evaluate(state.params["policy"], carry, obs, rollout.resets[0]),
        )
        acted = (
            learner.act(state, carry, obs, rollout.resets[0], key),
            base.act(base_state, carry, obs, rollout.resets[0], key),
        )
        return (new, metrics), (base_new, base_metrics), evaluated, acted

    (new, metrics), (base_new, base_metrics), evaluated, acted = run(jax.random.PRNGKey(3), rollout)
    jax.tree.map(np.testing.assert_array_equal, *evaluated)
    jax.tree.map(np.testing.assert_array_equal, *acted)
    jax.tree.map(
        functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-7),
        new.params["policy"],
        base_new.params,
    )
    for name in ("loss/policy", "loss/value", "loss/entropy", "learner/epsilon"):
        np.testing.assert_allclose(metrics[name], base_metrics[name], rtol=1e-5, err_msg=name)
    assert np.all(np.asarray(metrics["learner/influence"]) >= 0.0)


def test_influence_weight_ramps_linearly_over_episodes():
    state = influence(NET, 2).init(jax.random.PRNGKey(0))
    rollout = make_rollout(np.zeros((2, 1, 2), int), dones=np.array([[False], [True]]))
    weights = []
    for episodes in (0.0, 5.0, 20.0):
        hp = {**HP, "influence_weight": 2.0, "influence_ramp": 10.0}
        _, metrics = one_update(state._replace(episodes=jnp.float32(episodes)), rollout, hp)
        weights.append(float(metrics["learner/influence_weight"]))
    np.testing.assert_allclose(weights, [0.0, 1.0, 2.0])


# --- learning -----------------------------------------------------------------------------------


def test_influence_is_rewarded_the_moa_learns_and_the_influential_action_gains():
    """Agent 1's next action is 0 whenever agent 0 plays 0, random otherwise; no extrinsic
    reward, γ = 0. The MOA learns the dependence (cross-entropy falls); agent 0's influence
    reward is positive, so its value becomes positive only when β > 0 (a flipped sign would
    make it negative); and action 0, the more influential one, gains probability with β > 0
    and not with β = 0."""
    t_, e_ = 64, 4
    rng = np.random.default_rng(6)
    actions = rng.integers(0, 2, (t_, e_, 2))
    actions[1:, :, 1] = np.where(actions[:-1, :, 0] == 0, 0, actions[1:, :, 1])
    obs = np.ones((t_, e_, 2, *OBS), np.float32)  # nothing to condition on but actions
    rollout = make_rollout(actions, rewards=np.zeros((t_, e_, 2)), obs=obs)
    hp = {"lr": 1e-2, "gamma": 0.0, "ent_coef": 0.0, "moa_coef": 1.0, "influence_ramp": 0.0}

    @fast_jit
    def train(beta):
        learner = influence(NET, 2, influence_weight=beta, **hp)

        def step(state, _):
            state, metrics = learner.update(state, rollout, jax.random.PRNGKey(0))
            return state, (metrics["loss/moa"], metrics["learner/influence"])

        state, (ce, c) = jax.lax.scan(step, learner.init(jax.random.PRNGKey(1)), length=150)
        carry = learner.initial_carry(1)
        _, logits, value = learner.evaluate(state.params, carry, obs[0, :1], np.ones(1, bool))
        return ce, c, jax.nn.softmax(logits[0, 0]), value[0]

    ce, c, policy, value = train(1.0)
    _, _, base_policy, base_value = train(0.0)
    assert ce[-1, 0] < ce[0, 0] - 0.1  # agent 0's MOA: agent 1 copies its 0s
    assert c[-1, 0] > 0.03 and c[-1, 0] > 3 * c[-1, 1]  # agent 1 influences no one
    assert value[0] > 0.02 and abs(base_value[0]) < 0.01
    assert policy[0] > 0.53 and policy[0] > base_policy[0] + 0.03
