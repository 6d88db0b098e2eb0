"""The differentiable look-ahead: its gradient against finite differences in float64, its
sign on a case solved by hand, and each giver's own gradient."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.learners import lookahead
from prosocial.learners.networks import NetworkConfig, make_network

T, E, N, A, OBS = 5, 3, 2, 3, 4


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def _setup():
    """Two recipients with a tiny MLP policy each; a giver whose parameters η (a linear
    map of the observation, one row per action) set the extra reward of the action taken;
    a fixed trajectory τ for the inner step and τ̂ for the giver's objective."""
    net = make_network(NetworkConfig(torso="mlp", hidden=(3,)), (OBS,), A)
    rng = np.random.default_rng(0)
    to64 = lambda t: jax.tree.map(lambda x: jnp.asarray(x, jnp.float64), t)  # noqa: E731
    theta = to64(jax.vmap(net.init)(jax.random.split(jax.random.PRNGKey(1), N)))
    theta = jax.tree.map(lambda p: p + 0.3 * rng.normal(size=p.shape), theta)  # not orthogonal
    obs = rng.normal(size=(N, T, E, OBS))
    actions = rng.integers(0, A, (N, T, E))
    rewards = rng.normal(size=(N, T, E))
    new_obs = rng.normal(size=(N, T, E, OBS))
    new_actions = rng.integers(0, A, (N, T, E))
    weights = rng.normal(size=(N, T, E))
    eta = 0.5 * rng.normal(size=(A, OBS))
    resets = jnp.zeros((N, T, E), bool)

    def logp(params, o, a):
        _, logits, _ = net.apply(params, jnp.zeros((E, 0)), o, resets[0])
        return jnp.take_along_axis(jax.nn.log_softmax(logits), a[..., None], -1)[..., 0]

    def inner(params, o, a, r, eta):
        bonus = jnp.einsum("ak,tek->tea", eta, o)  # the giver's reward for every action
        paid = jnp.take_along_axis(bonus, a[..., None], -1)[..., 0]
        return lookahead.policy_gradient_loss(logp(params, o, a), r + paid)

    def objective(eta):
        updated = jax.vmap(lambda th, o, a, r: lookahead.step(inner, th, 0.7, o, a, r, eta))(
            theta, obs, actions, rewards
        )
        new_logp = jax.vmap(logp)(updated, new_obs, new_actions)
        return jnp.sum(new_logp * weights)

    return objective, eta


def test_the_look_ahead_gradient_matches_finite_differences_in_float64(x64):
    objective, eta = _setup()
    eta = jnp.asarray(eta, jnp.float64)
    grad = np.asarray(jax.grad(objective)(eta))
    h = 1e-6
    fd = np.zeros_like(grad)
    for idx in np.ndindex(*eta.shape):
        bump = np.zeros(eta.shape)
        bump[idx] = h
        fd[idx] = (objective(eta + bump) - objective(eta - bump)) / (2 * h)
    assert np.max(np.abs(fd)) > 1e-3  # the giver's parameters matter
    rel = np.linalg.norm(grad - fd) / np.linalg.norm(fd)
    assert rel < 1e-4, rel


def test_paying_for_an_action_makes_the_updated_policy_take_it_more():
    """One logit per action, one step: paying for action 0 raises θ̂_0 (and the gradient of
    log π_θ̂(0) in the payment is positive); a sign error in the step or the loss flips it."""
    theta = jnp.zeros(2)
    actions = jnp.array([0, 1, 0, 1])

    def inner(params, pay):
        logp = jax.nn.log_softmax(params)[actions]
        return lookahead.policy_gradient_loss(logp, jnp.where(actions == 0, pay, 0.0))

    updated = lookahead.step(inner, theta, 0.5, 1.0)
    assert updated[0] > 0 > updated[1]
    np.testing.assert_allclose(updated[0], 0.5 * 2 * 0.5, rtol=1e-6)  # β Σ_t 1{a=0}(1 − π_0)
    d = jax.grad(lambda pay: jax.nn.log_softmax(lookahead.step(inner, theta, 0.5, pay))[0])(1.0)
    assert d > 0


def test_policy_gradient_loss_masks_steps():
    logp = jnp.array([-1.0, -2.0, -3.0])
    adv = jnp.array([1.0, 10.0, 100.0])
    assert lookahead.policy_gradient_loss(logp, adv) == pytest.approx(321.0)
    mask = jnp.array([True, False, True])
    assert lookahead.policy_gradient_loss(logp, adv, mask) == pytest.approx(301.0)


def test_each_giver_differentiates_its_own_loss_in_its_own_parameters():
    """J_j(η) = Σ_k c_jk η_k² depends on every giver; giver j's gradient is 2 c_jj η_j,
    not the total derivative of Σ_j J_j."""
    c = jnp.array([[1.0, 3.0, 5.0], [7.0, 2.0, 11.0], [13.0, 17.0, 4.0]])
    eta = {"w": jnp.array([[1.0, -1.0], [2.0, 0.5], [-3.0, 1.5]])}

    def objective(params, j):
        return jnp.sum(c[j] * jnp.sum(params["w"] ** 2, axis=1))

    values, got = lookahead.own_gradients(objective, eta)
    got = got["w"]
    np.testing.assert_allclose(values, [objective(eta, j) for j in range(3)], rtol=1e-6)
    np.testing.assert_allclose(got, 2 * jnp.diag(c)[:, None] * eta["w"], rtol=1e-6)
    total = jax.grad(lambda p: sum(objective(p, j) for j in range(3)))(eta)["w"]
    assert not np.allclose(got, total)
