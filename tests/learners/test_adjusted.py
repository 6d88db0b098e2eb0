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
from prosocial.learners.adjusted import ACCEPTED, normalise_advantages, surrogate_game

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


def one_update(adjustment, seed=0, **kwargs):
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
        resets=np.ones((T, B), bool),
        actions=rng.integers(0, A, (T, B, N)).astype(np.int32),
        rewards=rng.normal(size=(T, B, N)).astype(np.float32),
        dones=np.ones((T, B), bool),
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
