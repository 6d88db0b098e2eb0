"""The planner and learners of the authors' Coin Game configuration (``amd_authors``): the
planner's gradient against an independent float64 implementation of its loss, the clip that
silences it, the authors' action derivative, and the learners' online step."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.errors import ConfigError
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.learners import DEEP_LEARNERS, NetworkConfig, Rollout, amd_authors, make_network

N, A, OBS, E = 2, 2, 5, 3  # the iterated matrix game: 2 agents, 2 actions, views of 5
NUMBERS = {
    "lr": 0.5,
    "r_max": 1.5,
    "reg_coeff": 0.01,
    "lr_reward": 0.1,
    "planner_decay": 0.01,
    "window": 10.0,
    "clip": 1e3,
    "planner_units": 3,
    "critic_units": 4,
    "weight_decay": 0.0,
    "ent_coef": 0.0,
    "gamma": 0.5,
}


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def make(**numbers):
    env = envs.make("iterated_matrix_game", max_steps=1)
    network = make_network(NetworkConfig(torso="mlp", hidden=(4,)), (OBS,), A)
    return DEEP_LEARNERS.make(
        "amd_authors", network=network, n_agents=N, env=env, **{**NUMBERS, **numbers}
    )


def one_step(seed: int) -> Rollout:
    """One step of ``E`` episodes that end with it (no bootstrap)."""
    rng = np.random.default_rng(seed)
    return Rollout(
        obs=rng.normal(size=(1, E, N, OBS)),
        resets=np.ones((1, E), bool),
        actions=rng.integers(0, A, (1, E, N)).astype(np.int32),
        rewards=rng.normal(size=(1, E, N)),
        dones=np.ones((1, E), bool),
        logp=np.zeros((1, E, N)),
        values=np.zeros((1, E, N)),
        carry=jnp.zeros((N, E, 0)),
        last_value=np.zeros((E, N)),
    )


def leaky(x):
    return np.where(x >= 0, x, 0.2 * x)


def planner_loss_np(p, obs, actions, rewards, probs, numbers) -> float:
    """The planner's loss written out from the module docstring in float64 numpy, the
    planner's input derivatives by hand (not by JAX)."""
    c, w_, eta = numbers["r_max"], numbers["window"], numbers["lr"]
    (w0, b0), (w1, b1) = ((np.asarray(q["w"]), np.asarray(q["b"])) for q in p)
    total = 0.0
    for e in range(E):
        state = obs[e].reshape(-1)  # every agent's view, agent 0's first
        hot = np.eye(A)[actions[e]].reshape(-1)
        x = np.concatenate([state, hot]) - 0.5
        pre = x @ w0 + b0
        z = leaky(pre) @ w1 + b1
        sig = 1.0 / (1.0 + np.exp(-z))
        out = 2 * c * (sig - 0.5)
        # d out_i / d x = 2c σ'(z_i) Σ_j w1[j, i] leaky'(pre_j) w0[:, j]
        dx = (2 * c * sig * (1 - sig))[:, None] * ((w0 * np.where(pre >= 0, 1.0, 0.2)) @ w1).T
        welfare = rewards[e].sum()
        look = []
        for i in range(N):
            a = actions[e, i]
            d_hot = dx[i, len(state) + i * A : len(state) + (i + 1) * A]
            grad_a = sum(np.sign(k - a) * d_hot[k] for k in range(A))
            grad_s = dx[i, : len(state)].sum() / N
            g = probs[i, e, a] * (1 - probs[i, e, a])
            term = -eta * g * (grad_a + grad_s) / 31.0 * g * welfare
            m_p = (1 - 1 / w_) * 0.1 * w_ + abs(out[i])
            look.append(term / (m_p * 10 / (w_ * c)))
        m_v = (1 - 1 / w_) * 0.2 * w_ + abs(welfare)
        value = sum(look) / (m_v / w_)
        clip = numbers["clip"]
        value = value * clip / max(abs(value), clip)
        total += value + numbers["reg_coeff"] * np.sqrt(np.sum(out**2))
    norm = np.sqrt(sum(np.sum(np.asarray(v) ** 2) for q in p for v in q.values()))
    return total / E + numbers["planner_decay"] * norm


def test_the_planner_step_matches_finite_differences_of_its_loss_in_float64(x64):
    learner = make()
    state = learner.init(jax.random.PRNGKey(3))
    rollout = one_step(0)
    new, metrics = jax.jit(learner.update)(state, rollout, jax.random.PRNGKey(0))
    p0 = state.params["planner"]
    # the first momentum step from a zero trace is the planner's step times its gradient
    got = jax.tree.map(lambda a, b: (a - b) / NUMBERS["lr_reward"], p0, new.params["planner"])

    _, logits, _ = learner.evaluate(state.params, rollout.carry, rollout.obs[0], rollout.resets[0])
    probs = np.moveaxis(np.asarray(jax.nn.softmax(logits)), 1, 0)  # (n, E, A)
    args = (np.asarray(rollout.obs[0]), rollout.actions[0], rollout.rewards[0], probs, NUMBERS)
    p_np = jax.tree.map(np.asarray, p0)
    leaves, tree = jax.tree.flatten(p_np)
    h = 1e-6
    for li, leaf in enumerate(leaves):
        want = np.zeros_like(leaf)
        for idx in np.ndindex(leaf.shape):

            def at(delta, li=li, idx=idx):
                moved = [x.copy() for x in leaves]
                moved[li][idx] += delta
                return planner_loss_np(tree.unflatten(moved), *args)

            want[idx] = (at(h) - at(-h)) / (2 * h)
        np.testing.assert_allclose(jax.tree.leaves(got)[li], want, rtol=1e-5, atol=1e-9)
    assert float(metrics["planner/clipped"]) == 0.0


def test_a_step_beyond_the_clip_gives_the_planner_no_look_ahead_gradient(x64):
    """With the cost and the weight decay off, the planner moves only by its look-ahead
    term: a clip below every step's |x| leaves it where it was (TensorFlow's clip_by_norm
    of a scalar is flat there); a clip above all of them does not."""
    rollout = one_step(1)
    key = jax.random.PRNGKey(0)
    for clip, moves in ((1e-12, False), (1e3, True)):
        learner = make(clip=clip, reg_coeff=0.0, planner_decay=0.0)
        state = learner.init(jax.random.PRNGKey(3))
        new, metrics = jax.jit(learner.update)(state, rollout, key)
        changed = jax.tree.map(
            lambda a, b: bool(np.any(a != b)), state.params["planner"], new.params["planner"]
        )
        assert any(jax.tree.leaves(changed)) is moves
        assert float(metrics["planner/clipped"]) == (0.0 if moves else 1.0)


def test_clip_scalar_is_identity_below_the_bound_and_flat_above():
    assert float(amd_authors.clip_scalar(jnp.float32(0.5), 1.0)) == 0.5
    assert float(amd_authors.clip_scalar(jnp.float32(-3.0), 1.0)) == -1.0
    assert float(jax.grad(amd_authors.clip_scalar)(jnp.float32(0.5), 1.0)) == 1.0
    assert float(jax.grad(amd_authors.clip_scalar)(jnp.float32(-3.0), 1.0)) == 0.0


def test_the_action_derivative_follows_the_authors_one_hot_of_the_index():
    """hot_k(a) = 1 − |k − a| clipped at 0, differentiated as TensorFlow does:
    Σ_{k≠a} sign(k − a) ∂r/∂hot_k. With two actions (a matrix game) it is the difference
    of the transfers between the other action and the one taken, signed by the index."""
    d_hot = jnp.asarray([[1.0, 2.0, 4.0, 8.0]] * 4)
    got = amd_authors.action_gradient(d_hot, jnp.asarray([0, 1, 2, 3]))
    np.testing.assert_array_equal(got, [14.0, 11.0, 5.0, -7.0])
    two = amd_authors.action_gradient(jnp.asarray([[3.0, 5.0], [3.0, 5.0]]), jnp.asarray([0, 1]))
    np.testing.assert_array_equal(two, [5.0, -3.0])


def test_momentum_step_is_tensorflows():
    x, m = {"a": jnp.asarray(1.0)}, {"a": jnp.asarray(0.0)}
    g = {"a": jnp.asarray(2.0)}
    x, m = amd_authors.momentum_step(x, m, g, 0.1, 0.9)  # m = 2, x = 1 − 0.2
    x, m = amd_authors.momentum_step(x, m, g, 0.1, 0.9)  # m = 3.8, x = 0.8 − 0.38
    assert float(m["a"]) == pytest.approx(3.8) and float(x["a"]) == pytest.approx(0.42)


def test_the_learners_step_moves_the_critic_to_its_target_and_the_policy_with_delta(x64):
    """Episodes of one step: the critic's values move towards r + r_p and the policy up
    its objective mean_e δ_e log π(a_e) (a sign error in δ or in either loss breaks it)."""
    learner = make(lr=0.05)
    state = learner.init(jax.random.PRNGKey(5))
    rollout = one_step(2)
    new, _ = jax.jit(learner.update)(state, rollout, jax.random.PRNGKey(0))
    obs, reset = rollout.obs[0], rollout.resets[0]
    _, logits, value = learner.evaluate(state.params, rollout.carry, obs, reset)
    _, logits_new, _ = learner.evaluate(new.params, rollout.carry, obs, reset)
    # the transfers paid at this step (planner before its own step)
    s = jnp.asarray(obs).reshape(E, -1)
    hot = jax.nn.one_hot(rollout.actions[0], A).reshape(E, -1)
    x = jnp.concatenate([s, hot], -1) - 0.5
    paid = (
        2 * NUMBERS["r_max"] * (jax.nn.sigmoid(amd_authors.mlp(state.params["planner"], x)) - 0.5)
    )
    target = np.asarray(rollout.rewards[0] + paid)  # (E, n)
    # the critic's input holds every agent's probabilities, which the step moved too: its
    # value at the old input is the one that must move
    probs = jax.nn.softmax(logits)  # (E, n, A)
    w_new = new.params["critic"]
    inp = jnp.concatenate([s, probs.reshape(E, -1)], -1)
    critics = [jax.tree.map(lambda w, i=i: w[i], w_new) for i in range(N)]
    moved = np.stack([np.asarray(amd_authors.mlp(w, inp)[:, 0]) for w in critics], 1)
    # one critic per agent over E episodes: its mean squared TD error falls
    before = np.mean((target - np.asarray(value)) ** 2, 0)
    assert np.all(np.mean((target - moved) ** 2, 0) < before)
    delta = target - np.asarray(value)
    taken = rollout.actions[0][..., None]
    before = np.take_along_axis(np.asarray(jax.nn.log_softmax(logits)), taken, -1)[..., 0]
    after = np.take_along_axis(np.asarray(jax.nn.log_softmax(logits_new)), taken, -1)[..., 0]
    # one policy per agent over E episodes: its objective mean_e δ log π(a) rises
    assert np.all(np.mean(delta * after, 0) > np.mean(delta * before, 0))


def test_the_planner_off_pays_nothing_and_stays(x64):
    learner = make(planner_until=0)
    state = learner.init(jax.random.PRNGKey(3))
    new, metrics = jax.jit(learner.update)(state, one_step(0), jax.random.PRNGKey(0))
    jax.tree.map(np.testing.assert_array_equal, state.params["planner"], new.params["planner"])
    assert float(metrics["planner/spending"]) == 0.0


def test_amd_authors_refuses_what_it_cannot_run():
    network = make_network(NetworkConfig(torso="mlp", hidden=(4,)), (OBS,), A)
    with pytest.raises(ConfigError, match="needs the game"):
        DEEP_LEARNERS.make("amd_authors", network=network, n_agents=N)
    env = envs.make("iterated_matrix_game", max_steps=1)
    with pytest.raises(ConfigError, match="its own policy"):
        DEEP_LEARNERS.make("amd_authors", network=network, n_agents=N, env=env, shared=True)
    with pytest.raises(ConfigError, match="only amd's planner takes planner_estimate"):
        SSDConfig(algo="amd_authors", planner_estimate="exact")
