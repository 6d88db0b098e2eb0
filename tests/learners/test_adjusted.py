"""PPO with a joint-gradient adjustment: the surrogate game and its derivatives.

The surrogate game of :mod:`prosocial.learners.adjusted` must give, at the acting policy,
the score-function policy gradient of every agent's return with respect to every agent's
policy (off-diagonal blocks included), make Simul-Co PPO on the summed advantage, and
let AgA differentiate it twice; each is checked against an independent computation.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.adjust import ADJUSTMENTS, collective_gradient, individual_gradient, jacobian
from prosocial.errors import ConfigError
from prosocial.learners import DEEP_LEARNERS, NetworkConfig, deep, make_network
from prosocial.learners.adjusted import (
    ACCEPTED,
    cross_terms,
    magic_box,
    normalise_advantages,
    surrogate_game,
)

N, B, OBS, A = 3, 16, (5,), 4
NET = make_network(NetworkConfig(torso="mlp", hidden=(8,)), OBS, A)
CLIP = 0.2


def fresh(seed=0):
    """Per-agent parameters and a minibatch played by them (ratio 1 at these parameters)."""
    k_init, k_obs, k_act, k_adv = jax.random.split(jax.random.key(seed), 4)
    params = deep.init_params(NET, k_init, N, False)
    # larger weights than the orthogonal init's 0.01 policy head: policies far from uniform
    params = jax.tree.map(lambda p: p * 8.0, params)
    carry = deep.initial_carry(NET, N, B)
    obs = jax.random.normal(k_obs, (N, 1, B, *OBS))
    resets = jnp.ones((N, 1, B), bool)
    _, logits, _ = jax.vmap(NET.apply)(params, carry, obs, resets)
    actions = jax.random.categorical(k_act, logits).astype(jnp.int32)
    mb = {
        "obs": obs,
        "resets": resets,
        "actions": actions,
        "logp": deep.log_prob(logits, actions),
        "advantages": jax.random.normal(k_adv, (N, 1, B)) + jnp.arange(float(N))[:, None, None],
    }
    return params, mb, carry


def score_gradient(params, mb, carry, j, weights):
    """``−E[∇_{θ_j} log π_j(a_j) · w]`` by hand, for agent ``j``'s parameters."""

    def objective(theta_j):
        _, logits, _ = NET.apply(
            theta_j, jax.tree.map(lambda c: c[j], carry), mb["obs"][j], mb["resets"][j]
        )
        return -jnp.mean(deep.log_prob(logits, mb["actions"][j]) * weights)

    return jax.grad(objective)(jax.tree.map(lambda p: p[j], params))


def test_the_jacobian_is_every_agents_policy_gradient_of_every_return():
    params, mb, carry = fresh()
    game = surrogate_game(NET, CLIP, mb, carry)
    np.testing.assert_allclose(
        game(params),
        -jnp.mean(normalise_advantages(mb["advantages"]), axis=(1, 2)),
        rtol=1e-5,
        atol=1e-6,
    )
    jac = jacobian(game, params)
    adv = normalise_advantages(mb["advantages"])
    for i in range(N):
        for j in range(N):
            expected = score_gradient(params, mb, carry, j, adv[i])
            got = jax.tree.map(lambda x, i=i, j=j: x[i, j], jac)
            jax.tree.map(
                functools.partial(np.testing.assert_allclose, rtol=1e-4, atol=1e-6), got, expected
            )
    # the off-diagonal blocks are not zero: the agents' objectives are coupled
    off = jax.tree.leaves(jax.tree.map(lambda x: x[0, 1], jac))
    assert max(float(jnp.abs(x).max()) for x in off) > 1e-3


def test_simul_co_is_ppo_on_the_summed_advantage():
    params, mb, carry = fresh(1)
    game = surrogate_game(NET, CLIP, mb, carry)
    co = collective_gradient(game, params)
    adv_sum = normalise_advantages(mb["advantages"]).sum(0)
    for j in range(N):
        expected = score_gradient(params, mb, carry, j, adv_sum)
        jax.tree.map(
            functools.partial(np.testing.assert_allclose, rtol=1e-4, atol=1e-6),
            jax.tree.map(lambda x, j=j: x[j], co),
            expected,
        )


def test_agas_collective_hessian_product_matches_finite_differences():
    params, mb, carry = fresh(2)
    game = surrogate_game(NET, CLIP, mb, carry)
    xi = individual_gradient(game, params)
    xi_c, hvp = jax.linearize(functools.partial(collective_gradient, game), params)
    # a small step along ξ_c / ‖ξ_c‖ stays inside the clipping range, where ℓ is smooth
    norm = jnp.sqrt(sum(jnp.vdot(x, x) for x in jax.tree.leaves(xi_c)))
    h = 1e-3 / norm
    plus = collective_gradient(game, jax.tree.map(lambda p, v: p + h * v, params, xi_c))
    minus = collective_gradient(game, jax.tree.map(lambda p, v: p - h * v, params, xi_c))
    fd = jax.tree.map(lambda a, b: (a - b) / (2 * h), plus, minus)
    got = hvp(xi_c)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(fd), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-2, atol=2e-2 * float(jnp.abs(b).max()))
    lam = 0.7
    rule = ADJUSTMENTS.make("aga_fixed_sign", lam=lam)
    direction = rule.update(game, params, rule.init(params))[0]
    expected = jax.tree.map(lambda c, x, g: c + lam * (x + g), xi_c, xi, got)
    jax.tree.map(
        functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-7), direction, expected
    )
    assert max(float(jnp.abs(x).max()) for x in jax.tree.leaves(got)) > 1e-4


def one_update(adjustment, seed=0, episodes=False, **kwargs):
    learner = DEEP_LEARNERS.make(
        "adjusted_ppo",
        network=NET,
        n_agents=N,
        adjustment=adjustment,
        minibatches=1,
        epochs=1,
        **kwargs,
    )
    state = learner.init(jax.random.key(seed))
    rng = np.random.default_rng(seed)
    T = 4
    ro = deep.Rollout(
        obs=rng.normal(size=(T, B, N, *OBS)).astype(np.float32),
        resets=np.arange(T)[:, None] == 0 if episodes else np.ones((T, B), bool),
        actions=rng.integers(0, A, (T, B, N)).astype(np.int32),
        rewards=rng.normal(size=(T, B, N)).astype(np.float32),
        dones=np.arange(T)[:, None] == T - 1 if episodes else np.ones((T, B), bool),
        logp=np.full((T, B, N), np.log(1.0 / A), np.float32),
        values=np.zeros((T, B, N), np.float32),
        carry=learner.initial_carry(B),
        last_value=np.zeros((B, N), np.float32),
    )
    return state, jax.jit(learner.update)(state, ro, jax.random.key(1))


def test_a_coefficient_changes_the_step_and_zero_aga_is_simul_co():
    _, (co, _) = one_update("simul_co")
    _, (aga0, _) = one_update("aga_fixed_sign", coef=0.0)
    _, (aga1, _) = one_update("aga_fixed_sign", coef=1.0)
    jax.tree.map(
        functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-7), aga0.params, co.params
    )
    assert any(
        not np.allclose(a, b)
        for a, b in zip(jax.tree.leaves(aga1.params), jax.tree.leaves(co.params), strict=True)
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"adjustment": "svo"}, "adjustment"),
        ({"adjustment": "AgA"}, "adjustment"),
        ({"shared": True}, "shared"),
        ({"adjustment": "aga", "coef": -1.0}, "aga.lam"),
        ({"hessian_lambda": 1.5}, "hessian_lambda"),
        ({"hessian_lambda": -0.1}, "hessian_lambda"),
    ],
)
def test_bad_adjustments_are_refused(kwargs, field):
    with pytest.raises(ConfigError) as err:
        DEEP_LEARNERS.make("adjusted_ppo", network=NET, n_agents=N, **kwargs)
    assert err.value.field == field


def test_every_accepted_adjustment_is_registered():
    assert set(ADJUSTMENTS.names()) - set(ACCEPTED) == {"svo"}


def test_the_separable_surrogate_game_has_the_jacobians_individual_gradient():
    params, mb, carry = fresh(3)
    game = surrogate_game(NET, CLIP, mb, carry)
    xi = individual_gradient(game, params)  # one reverse pass through the networks
    full = jacobian(lambda p: game(p), params)  # a plain function: n reverse passes
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(
            a, jnp.einsum("ii...->i...", b), rtol=1e-5, atol=1e-7
        ),
        xi,
        full,
    )


# ---------------------------------------------------------------- cross terms across time

S0, H2 = 5, 2  # a start state and one state per joint action of the first step; 2 steps


def two_step_game(seed=0):
    """Two agents with tabular softmax policies ``θ_j[s]`` over two steps: the second
    step's state is the first joint action; random rewards ``r_i(t, s, a)``."""
    k_theta, k_r = jax.random.split(jax.random.key(seed))
    theta = jax.random.normal(k_theta, (2, S0, 2), jnp.float64)
    rewards = jax.random.normal(k_r, (2, H2, S0, 2, 2), jnp.float64)  # (i, t, s, a_0, a_1)
    trajectories = [(a, b) for a in np.ndindex(2, 2) for b in np.ndindex(2, 2)]
    return theta, rewards, trajectories


def trajectory_logp(theta, traj):
    """``(H2,)`` the joint log-probability of each step of ``traj`` and its states."""
    (a0, a1), (b0, b1) = traj
    s2 = 1 + 2 * a0 + a1
    logp = jax.nn.log_softmax(theta, axis=-1)
    return jnp.stack([logp[0, 0, a0] + logp[1, 0, a1], logp[0, s2, b0] + logp[1, s2, b1]]), s2


def exact_return(theta, rewards, trajectories):
    """``Σ_i J_i(θ)``: the expected collective return, by enumeration."""
    total = 0.0
    for traj in trajectories:
        lp, s2 = trajectory_logp(theta, traj)
        (a0, a1), (b0, b1) = traj
        r = rewards[:, 0, 0, a0, a1].sum() + rewards[:, 1, s2, b0, b1].sum()
        total = total + jnp.exp(lp.sum()) * r
    return total


def estimated_hessian(theta, rewards, trajectories, lam):
    """``Σ_τ p(τ) ∇²[Σ_t G_t (□(log π_t) + X_t)]`` with ``p(τ)`` held: the per-step surrogate
    plus the cross terms at λ_d, with Â the collective reward to go."""

    def estimate(th, traj, weight):
        lp, s2 = trajectory_logp(th, traj)
        (a0, a1), (b0, b1) = traj
        r = jnp.stack([rewards[:, 0, 0, a0, a1].sum(), rewards[:, 1, s2, b0, b1].sum()])
        to_go = jnp.cumsum(r[::-1])[::-1]
        x = cross_terms(lp[:, None], jnp.array([[True], [False]]), lam)[:, 0]
        return weight * jnp.sum(to_go * (magic_box(lp) + x))

    total = 0.0
    for traj in trajectories:
        weight = jnp.exp(trajectory_logp(theta, traj)[0].sum())
        total = total + jax.hessian(estimate)(theta, traj, weight)
    return total


def test_cross_terms_at_lambda_one_give_dices_unbiased_hessian_of_the_return():
    with jax.enable_x64():
        theta, rewards, trajectories = two_step_game()
        exact = jax.hessian(exact_return)(theta, rewards, trajectories)
        full = estimated_hessian(theta, rewards, trajectories, 1.0)
        np.testing.assert_allclose(full, exact, rtol=1e-9, atol=1e-9)
        # the per-step surrogate alone (λ_d = 0) misses the cross terms, and they are large
        step = estimated_hessian(theta, rewards, trajectories, 0.0)
        assert float(jnp.abs(step - exact).max()) > 0.1 * float(jnp.abs(exact).max())
        # the first derivative is the same with or without them
        grad = jax.grad(exact_return)(theta, rewards, trajectories)
        assert float(jnp.abs(grad).max()) > 1e-2


def test_cross_terms_are_zero_in_value_and_gradient_and_stop_at_an_episode_start():
    rng = np.random.default_rng(0)
    logits = jnp.asarray(rng.normal(size=(4, 3)), jnp.float32)
    actions = jnp.array([0, 2, 1, 1])
    resets = jnp.array([[True], [False], [True], [False]])

    def x(z, lam):
        lp = jax.nn.log_softmax(z)[jnp.arange(4), actions]
        return cross_terms(lp[:, None], resets, lam)[:, 0]

    assert np.all(np.asarray(x(logits, 0.7)) == 0.0)
    np.testing.assert_allclose(jax.jacobian(x)(logits, 0.7), 0.0, atol=1e-6)
    hess = jax.hessian(x)(logits, 0.7)  # (T, 4, 3, 4, 3)
    lp_grad = jax.jacobian(lambda z: jax.nn.log_softmax(z)[jnp.arange(4), actions])(logits)
    # X_1 = 0.7 (∇lp_1 ∇lp_0ᵀ + ∇lp_0 ∇lp_1ᵀ); X_0 and X_2 (episode starts) have no terms
    expected = 0.7 * (
        jnp.einsum("ab,cd->abcd", lp_grad[1], lp_grad[0])
        + jnp.einsum("ab,cd->abcd", lp_grad[0], lp_grad[1])
    )
    np.testing.assert_allclose(hess[1], expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(hess[0], 0.0, atol=1e-7)
    np.testing.assert_allclose(hess[2], 0.0, atol=1e-7)
    assert float(jnp.abs(hess[3]).max()) > 1e-3  # linked to step 2, not across the start


def test_cross_terms_leave_first_order_methods_and_change_agas_step():
    for method in ("simul_ind", "simul_co"):
        _, (plain, _) = one_update(method, episodes=True, hessian_lambda=0.0)
        _, (crossed, _) = one_update(method, episodes=True, hessian_lambda=1.0)
        jax.tree.map(
            functools.partial(np.testing.assert_allclose, rtol=1e-5, atol=1e-6),
            crossed.params,
            plain.params,
        )
    _, (plain, _) = one_update("aga_fixed_sign", episodes=True, coef=1.0, hessian_lambda=0.0)
    _, (crossed, _) = one_update("aga_fixed_sign", episodes=True, coef=1.0, hessian_lambda=1.0)
    assert any(
        not np.allclose(a, b, rtol=1e-4, atol=1e-6)
        for a, b in zip(jax.tree.leaves(crossed.params), jax.tree.leaves(plain.params), strict=True)
    )
