"""The deep learners: networks, returns and advantages, A2C and PPO updates, rollouts.

The learner tests share one tiny feed-forward MLP on ``(6,)`` observations, parameters
drawn in numpy and rollouts of ``T = 4`` steps in ``E = 2`` environments; each update is
compiled once per (algorithm, agents, sharing) with its hyperparameters traced, and
reused across tests (compilation is most of these tests' time).
"""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from prosocial import envs
from prosocial.envs import wrappers
from prosocial.errors import ConfigError
from prosocial.learners import DEEP_LEARNERS, NetworkConfig, Rollout, deep, make_network
from prosocial.learners import play as play_mod
from prosocial.learners.a2c import a2c
from prosocial.learners.networks import SliceConv
from prosocial.learners.ppo import ppo

# XLA's CPU backend optimisations cost ten times the compilation time of these tiny programs
fast_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})
OBS, A, T, E = (6,), 3, 4, 2
NET = make_network(NetworkConfig(torso="mlp", hidden=(8,), memory="none"), OBS, A)
DONES = np.array([[False, True], [True, False], [False, False], [True, False]])  # (T, E)
TOL = {"rtol": 1e-5, "atol": 1e-6}


def assert_trees_close(a, b, **tol):
    jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, **(tol or TOL)), a, b)


def trees_equal(a, b):
    return all(jax.tree.leaves(jax.tree.map(lambda x, y: bool(np.array_equal(x, y)), a, b)))


def agents_first(x):
    """``(T, E, n, ...)`` -> ``(n, T, E, ...)``."""
    return np.moveaxis(np.asarray(x), 2, 0)


# --- networks -------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 4, 5])
def test_slice_conv_is_flax_conv_with_same_padding(k):
    mine, ref = SliceConv(4, k), nn.Conv(4, (k, k), padding="SAME")

    @fast_jit
    def run(x, xs):
        params = mine.init(jax.random.PRNGKey(0), x)
        params = jax.tree.map(lambda p: p + 0.1, params)  # a nonzero bias too
        keys = jax.random.split(jax.random.PRNGKey(1), 3)
        stacked = jax.vmap(mine.init, in_axes=(0, None))(keys, x)
        each = [ref.apply(jax.tree.map(lambda p, i=i: p[i], stacked), xs[i]) for i in range(3)]
        return (
            params["params"]["kernel"].shape,
            (mine.apply(params, x), ref.apply(params, x)),
            (jax.vmap(mine.apply)(stacked, xs), jnp.stack(each)),
        )

    rng = np.random.default_rng(k)
    x = rng.normal(size=(2, 5, 5, 3)).astype(np.float32)
    xs = rng.normal(size=(3, 2, 5, 5, 3)).astype(np.float32)  # one batch per agent
    shape, (got, want), (got_n, want_n) = run(x, xs)
    assert shape == (k, k, 3, 4)  # flax.linen.Conv's kernel layout
    assert got.shape == (2, 5, 5, 4)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_n, want_n, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("memory", ["gru", "lstm"])
def test_recurrent_apply_is_stepping_and_a_reset_is_a_fresh_start(memory):
    cfg = NetworkConfig(torso="mlp", hidden=(8,), memory=memory, memory_size=4)
    net = make_network(cfg, OBS, A)
    steps, batch = 6, 3

    @fast_jit
    def run(carry0, obs, resets):
        params = net.init(jax.random.PRNGKey(0))
        c, stepped = carry0, []
        for t in range(steps):
            c, logits, value = net.step(params, c, obs[t], resets[t])
            stepped.append((logits, value))
        return {
            "full": net.apply(params, carry0, obs, resets),
            "stepped": (c, *map(jnp.stack, zip(*stepped, strict=True))),
            # batch 0 from its reset at t = 3, alone and from zero memory
            "fresh": net.apply(params, net.initial_carry(1), obs[3:, :1], resets[3:, :1]),
            "kept": net.apply(params, carry0, obs, jnp.zeros_like(resets)),
            "zero": net.apply(params, net.initial_carry(batch), obs, resets),
        }

    rng = np.random.default_rng(0)
    shapes = jax.eval_shape(lambda: net.initial_carry(batch))
    carry0 = jax.tree.map(lambda s: rng.normal(size=s.shape).astype(np.float32), shapes)
    obs = rng.normal(size=(steps, batch, *OBS)).astype(np.float32)
    resets = np.zeros((steps, batch), bool)
    resets[0, 1] = resets[3, 0] = True  # batch 2 is never reset
    out = run(carry0, obs, resets)

    carry, logits, values = out["full"]
    assert logits.shape == (steps, batch, A) and values.shape == (steps, batch)
    assert_trees_close(out["stepped"], (carry, logits, values))  # a scan of steps
    _, fresh_logits, fresh_values = out["fresh"]
    np.testing.assert_allclose(logits[3:, 0], fresh_logits[:, 0], **TOL)
    np.testing.assert_allclose(values[3:, 0], fresh_values[:, 0], **TOL)
    _, kept_logits, _ = out["kept"]
    np.testing.assert_allclose(logits[:, 2], kept_logits[:, 2], **TOL)
    assert not np.allclose(logits[3:, 0], kept_logits[3:, 0], atol=1e-4)  # the reset mattered
    _, zero_logits, _ = out["zero"]  # a reset at t = 0 discards the incoming memory
    np.testing.assert_allclose(logits[:, 1], zero_logits[:, 1], **TOL)
    assert not np.allclose(logits[:3, 0], zero_logits[:3, 0], atol=1e-4)


def test_feed_forward_apply_ignores_the_carry_and_resets():
    @fast_jit
    def run(other, obs):
        params = NET.init(jax.random.PRNGKey(0))
        steps, batch = obs.shape[:2]
        a = NET.apply(params, NET.initial_carry(batch), obs, jnp.zeros((steps, batch), bool))
        b = NET.apply(params, other, obs, jnp.ones((steps, batch), bool))
        c = NET.step(params, other, obs[2], jnp.ones((batch,), bool))
        return a, b, c

    other = np.full((3, 7), 2.0, np.float32)
    obs = np.random.default_rng(0).normal(size=(5, 3, *OBS)).astype(np.float32)
    (carry, logits, values), (carry_b, logits_b, values_b), (_, lg, v) = run(other, obs)
    assert carry.shape == (3, 0)
    np.testing.assert_array_equal(carry_b, other)  # handed back as it came
    np.testing.assert_array_equal(logits, logits_b)
    np.testing.assert_array_equal(values, values_b)
    np.testing.assert_allclose(lg, logits[2], **TOL)
    np.testing.assert_allclose(v, values[2], **TOL)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"torso": "rnn"}, "torso"),
        ({"memory": "transformer"}, "memory"),
        ({"channels": (4, 4), "kernels": (3,)}, "kernels"),
        ({"hidden": (0,)}, "hidden"),
        ({"channels": (0,), "kernels": (3,)}, "channels"),
        ({"memory": "gru", "memory_size": 0}, "memory_size"),
    ],
)
def test_network_config_rejects(kwargs, field):
    with pytest.raises(ConfigError, match=field):
        NetworkConfig(**kwargs)


def test_cnn_needs_grid_observations():
    with pytest.raises(ConfigError, match="torso"):
        make_network(NetworkConfig(torso="cnn", channels=(4,), kernels=(3,)), (6,), 3)


# --- returns, advantages, exploration -------------------------------------------------------


def reference_returns(r, d, last, gamma):
    g, out = np.asarray(last, np.float64), np.zeros(np.shape(r))
    for t in reversed(range(len(r))):
        g = r[t] + gamma * (1.0 - d[t]) * g
        out[t] = g
    return out


def reference_gae(r, v, d, last, gamma, lam):
    a, out = np.zeros(np.shape(last)), np.zeros(np.shape(r))
    for t in reversed(range(len(r))):
        nxt = last if t == len(r) - 1 else v[t + 1]
        delta = r[t] + gamma * (1.0 - d[t]) * nxt - v[t]
        a = delta + gamma * lam * (1.0 - d[t]) * a
        out[t] = a
    return out


def test_returns_and_gae_match_a_reference_loop():
    rng = np.random.default_rng(0)
    r, v = rng.normal(size=(2, 8, 3)).astype(np.float32)
    last = rng.normal(size=(3,)).astype(np.float32)
    d = np.zeros((8, 3), np.float32)
    d[2, 0] = d[4, 0] = d[5, 1] = d[7, 2] = 1.0  # ends mid-rollout and at its end
    got = deep.discounted_returns(r, d, last, 0.9)
    np.testing.assert_allclose(got, reference_returns(r, d, last, 0.9), **TOL)
    got = deep.gae(r, v, d, last, 0.9, 0.8)
    np.testing.assert_allclose(got, reference_gae(r, v, d, last, 0.9, 0.8), **TOL)
    # λ = 1: advantage + value is the discounted return
    got = deep.gae(r, v, d, last, 0.9, 1.0) + v
    np.testing.assert_allclose(got, reference_returns(r, d, last, 0.9), rtol=1e-5, atol=1e-5)


def test_epsilon_anneals_linearly_per_episode():
    eps = deep.epsilon(jnp.array([0.0, 50.0, 100.0, 200.0]), 0.5, 0.05, 100.0)
    np.testing.assert_allclose(eps, [0.5, 0.275, 0.05, 0.05], rtol=1e-6)


# --- A2C and PPO updates --------------------------------------------------------------------


def _traced(hp):
    return {k: jnp.asarray(v, bool if isinstance(v, bool) else jnp.float32) for k, v in hp.items()}


HP = {
    "a2c": {"lr": 1e-2, "gamma": 0.9, "vf_coef": 0.5, "ent_coef": 0.0, "max_grad_norm": 1e6},
    "ppo": {
        "lr": 1e-2,
        "gamma": 0.9,
        "gae_lambda": 0.8,
        "clip": 0.2,
        "vf_coef": 0.5,
        "ent_coef": 0.0,
        "max_grad_norm": 1e6,
        "anneal_lr": False,
    },
}
STATIC = {"a2c": {}, "ppo": {"epochs": 2, "minibatches": 2}}


@functools.cache
def _update(algo, n, shared):
    """``(hp, state, rollout, key) -> (state, metrics)``, compiled once, numbers traced."""

    def run(hp, state, rollout, key):
        learner = DEEP_LEARNERS.make(
            algo, network=NET, n_agents=n, shared=shared, **STATIC[algo], **hp
        )
        return learner.update(state, rollout, key)

    return fast_jit(run)


def update(algo, n, state, rollout, shared=False, **hp):
    hp = _traced({**HP[algo], **hp})
    return _update(algo, n, shared)(hp, state, rollout, jax.random.PRNGKey(7))


def fresh_state(seed, n=2, shared=False):
    """A learner state with numpy-drawn parameters (kernels ~ N(0, 1/fan-in)), fresh Adam."""
    shapes = jax.eval_shape(a2c(NET, n, shared=shared).init, jax.random.PRNGKey(0))
    rng = np.random.default_rng(seed)

    def param(path, s):
        scale = 1 / np.sqrt(s.shape[-2]) if path[-1].key == "kernel" else 0.1
        return (scale * rng.normal(size=s.shape)).astype(np.float32)

    zeros = jax.tree.map(lambda s: np.zeros(s.shape, s.dtype), shapes)
    return zeros._replace(params=jax.tree_util.tree_map_with_path(param, shapes.params))


def rollout(seed, n=2, **fields):
    """A random rollout; by default episodes end mid-rollout (``DONES``)."""
    rng = np.random.default_rng(seed)
    dones = np.asarray(fields.pop("dones", DONES))
    data = {
        "obs": rng.normal(size=(T, E, n, *OBS)),
        "actions": rng.integers(0, A, (T, E, n)).astype(np.int32),
        "rewards": rng.normal(size=(T, E, n)),
        "logp": np.full((T, E, n), -np.log(A)),
        "values": rng.normal(size=(T, E, n)),
        "last_value": rng.normal(size=(E, n)),
        "carry": np.zeros((n, E, 0)),
        **fields,
    }
    data = {k: v if v.dtype == np.int32 else v.astype(np.float32) for k, v in data.items()}
    resets = np.concatenate([np.ones((1, E), bool), dones[:-1]])
    return Rollout(resets=resets, dones=dones, **data)


def per_agent_part(state, cut):
    """``cut`` applied to the parameters and optimiser state (the counters are global)."""
    return state._replace(params=jax.tree.map(cut, state.params), opt=jax.tree.map(cut, state.opt))


def agent_slice(x, i):
    """Agent ``i``'s part, kept on a 1-agent axis, of stacked parameters or of a rollout."""
    if not isinstance(x, Rollout):
        return jax.tree.map(lambda v: v[i : i + 1], x)
    per_step = ("obs", "actions", "rewards", "logp", "values")
    return x._replace(
        **{f: getattr(x, f)[:, :, i : i + 1] for f in per_step},
        carry=x.carry[i : i + 1],
        last_value=x.last_value[:, i : i + 1],
    )


@fast_jit
def heads(params, obs):
    """Stacked params, ``obs (T, E, n, ...)`` -> log π ``(n, T, E, A)``, values ``(n, T, E)``."""

    def one(p, o):
        _, logits, value = NET.apply(p, jnp.zeros((o.shape[1], 0)), o, jnp.ones(o.shape[:2], bool))
        return jax.nn.log_softmax(logits), value

    return jax.vmap(one)(params, jnp.moveaxis(obs, 2, 0))


def taken_logp(params, ro):
    """``(T, E, n)`` log-probabilities of the rollout's actions under ``params``."""
    logp = np.asarray(heads(params, ro.obs)[0])
    return np.moveaxis(
        np.take_along_axis(logp, agents_first(ro.actions)[..., None], -1)[..., 0], 0, 2
    )


def adam_mu(opt):
    return next(s for s in opt if isinstance(s, optax.ScaleByAdamState)).mu


@pytest.mark.parametrize("algo", ["a2c", "ppo"])
def test_update_raises_the_log_probability_of_the_rewarded_action(algo):
    n = 2
    state = fresh_state(0)
    value_head = state.params["params"]["Dense_2"]
    assert value_head["kernel"].shape[-1] == 1
    value_head["kernel"][...] = value_head["bias"][...] = 0.0  # V ≡ 0: advantage = return
    actions = np.random.default_rng(1).integers(0, A, (T, E, n)).astype(np.int32)
    actions[0] = 0
    ro = rollout(
        1,
        n,
        actions=actions,
        rewards=(actions == 0).astype(np.float32),  # +1 for action 0, 0 for the others
        dones=np.ones((T, E), bool),
        values=np.zeros((T, E, n), np.float32),
        last_value=np.zeros((E, n), np.float32),
    )
    ro = ro._replace(logp=taken_logp(state.params, ro))
    paid = agents_first(actions == 0)

    def logp0(params):  # per agent, the mean log π(0 | o) where action 0 was paid
        lp = np.asarray(heads(params, ro.obs)[0])[..., 0]
        return np.array([lp[i][paid[i]].mean() for i in range(n)])

    new = state
    for _ in range(1 if algo == "a2c" else 3):
        new, metrics = update(algo, n, new, ro, vf_coef=0.0)
    before, after = logp0(state.params), logp0(new.params)
    assert np.all(after > before + 1e-3), (before, after)
    assert metrics["loss/policy"].shape == (n,)
    assert float(new.updates) == (1 if algo == "a2c" else 3)
    assert float(new.episodes) == float(new.updates) * T  # every step ended an episode


@pytest.mark.parametrize("algo", ["a2c", "ppo"])
def test_agents_learn_independently_with_per_agent_clipping(algo):
    state, ro = fresh_state(2), rollout(2)
    ro.rewards[:, :, 1] *= 30.0  # very unequal gradient norms, both clipped at 0.01
    both = state
    alone = [per_agent_part(state, lambda v, i=i: v[i : i + 1]) for i in range(2)]
    for _ in range(2):  # two steps: Adam's moments carry the clipping scale over
        both, _ = update(algo, 2, both, ro, max_grad_norm=0.01)
        alone = [
            update(algo, 1, alone[i], agent_slice(ro, i), max_grad_norm=0.01)[0] for i in range(2)
        ]
    for i in range(2):
        assert_trees_close(agent_slice(both.params, i), alone[i].params, rtol=1e-6, atol=1e-6)
        assert_trees_close(agent_slice(both.opt, i), alone[i].opt, rtol=1e-5, atol=1e-9)
    assert not trees_equal(both.params, state.params)


def a2c_reference_loss(params, obs, actions, returns, vf_coef, ent_coef):
    """The A2C loss of the module docstring, written out for one agent's ``(T, E)`` data."""
    _, logits, v = NET.apply(
        params, jnp.zeros((obs.shape[1], 0)), obs, jnp.ones(obs.shape[:2], bool)
    )
    logp = jax.nn.log_softmax(logits)
    taken = jnp.take_along_axis(logp, actions[..., None], -1)[..., 0]
    adv = returns - v
    pg = -jnp.mean(taken * jax.lax.stop_gradient(adv))
    ent = -jnp.mean(jnp.sum(jnp.exp(logp) * logp, axis=-1))
    return pg + vf_coef * 0.5 * jnp.mean(adv**2) - ent_coef * ent


@pytest.mark.parametrize("shared", [False, True])
def test_a2c_step_is_adam_on_the_reference_loss(shared):
    n, lr, gamma, vf_coef, ent_coef = 2, 0.05, 0.9, 0.7, 0.3
    stacked, ro = fresh_state(3), rollout(3)
    state = per_agent_part(stacked, lambda v: v[0]) if shared else stacked
    d = DONES.astype(np.float32)
    returns = np.stack(
        [reference_returns(ro.rewards[:, :, i], d, ro.last_value[:, i], gamma) for i in range(n)]
    ).astype(np.float32)
    grad_n = fast_jit(
        jax.vmap(jax.grad(a2c_reference_loss), in_axes=(None if shared else 0, 0, 0, 0, None, None))
    )
    g = grad_n(
        state.params, agents_first(ro.obs), agents_first(ro.actions), returns, vf_coef, ent_coef
    )
    if shared:  # one parameter set: the mean of the agents' gradients
        g = jax.tree.map(lambda x: x.mean(axis=0), g)
    hp = {"lr": lr, "gamma": gamma, "vf_coef": vf_coef, "ent_coef": ent_coef}
    new, _ = update("a2c", n, state, ro, shared=shared, **hp)
    # Adam's first moment after one step is (1 − β1) g: the gradient itself, per agent
    assert_trees_close(adam_mu(new.opt), jax.tree.map(lambda x: 0.1 * x, g), rtol=2e-4, atol=1e-8)
    # and its first step is θ − lr · g / (|g| + ε)
    want = jax.tree.map(lambda p, x: p - lr * x / (np.abs(x) + 1e-5), state.params, g)
    assert_trees_close(new.params, want, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("algo", ["a2c", "ppo"])
def test_shared_params_on_identical_agents_equal_one_agent(algo):
    single, ro1 = fresh_state(4, n=1), rollout(4, n=1)
    shared = per_agent_part(single, lambda v: v[0])
    per_step = ("obs", "actions", "rewards", "logp", "values")
    twice = ro1._replace(  # both agents see, do and earn exactly what the single agent did
        **{f: np.concatenate([getattr(ro1, f)] * 2, axis=2) for f in per_step},
        carry=np.concatenate([ro1.carry] * 2),
        last_value=np.concatenate([ro1.last_value] * 2, axis=1),
    )
    got, _ = update(algo, 2, shared, twice, shared=True, max_grad_norm=1e6)
    want, _ = update(algo, 1, single, ro1, max_grad_norm=1e6)
    first = functools.partial(jax.tree.map, lambda v: v[0])
    assert_trees_close(got.params, first(want.params))
    # the mean, not the sum, of the agents' losses: Adam's moments keep the gradient's scale
    assert_trees_close(adam_mu(got.opt), first(adam_mu(want.opt)), rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("algo", ["a2c", "ppo"])
def test_value_loss_fits_the_targets(algo):
    n, gamma, lam = 2, HP[algo]["gamma"], HP["ppo"]["gae_lambda"]
    state, ro = fresh_state(5), rollout(5)
    ro = ro._replace(values=np.moveaxis(np.asarray(heads(state.params, ro.obs)[1]), 0, 2))
    r, v, last = agents_first(ro.rewards), agents_first(ro.values), ro.last_value.T
    d = DONES.astype(np.float32)
    if algo == "a2c":  # returns bootstrapped from the last value
        targets = np.stack([reference_returns(r[i], d, last[i], gamma) for i in range(n)])
    else:  # GAE + V_old
        targets = np.stack([reference_gae(r[i], v[i], d, last[i], gamma, lam) for i in range(n)])
        targets += v

    def error(params):
        return ((np.asarray(heads(params, ro.obs)[1]) - targets) ** 2).mean(axis=(1, 2))

    new = state
    for _ in range(6):
        new, metrics = update(algo, n, new, ro, vf_coef=1.0)
    assert np.all(error(new.params) < 0.9 * error(state.params)), (
        error(state.params),
        error(new.params),
    )
    assert np.all(np.isfinite(metrics["loss/value"]))


def test_ppo_clipped_objective_has_no_gradient_beyond_the_clip():
    n, policy_only = 2, {"vf_coef": 0.0, "ent_coef": 0.0}
    state = fresh_state(6)
    paid = np.broadcast_to((np.arange(T * E) % 2 == 0).reshape(T, E, 1), (T, E, n))
    ro = rollout(
        6,
        n,
        rewards=paid.astype(np.float32),
        dones=np.ones((T, E), bool),
        values=np.zeros((T, E, n), np.float32),
        last_value=np.zeros((E, n), np.float32),
    )  # normalised Â > 0 where paid and < 0 elsewhere (in a minibatch with both)
    now = taken_logp(state.params, ro)

    # ρ = e where Â > 0 and ρ = 1/e where Â < 0: outside [1 − ε, 1 + ε] in the direction of
    # the advantage, where the clipped objective is flat
    beyond = ro._replace(logp=np.where(paid, now - 1.0, now + 1.0))
    new, _ = update("ppo", n, state, beyond, **policy_only)
    assert trees_equal(new.params, state.params)
    # outside the range against the advantage, min() keeps the unclipped term: a step
    against = ro._replace(logp=np.where(paid, now + 1.0, now - 1.0))
    new, _ = update("ppo", n, state, against, **policy_only)
    assert not trees_equal(new.params, state.params)
    # ρ = 1: an ordinary step
    new, _ = update("ppo", n, state, ro._replace(logp=now), **policy_only)
    assert not trees_equal(new.params, state.params)


def test_ppo_rejects_bad_minibatches_and_epochs():
    with pytest.raises(ConfigError, match="epochs"):
        ppo(NET, 2, epochs=0)
    with pytest.raises(ConfigError, match="minibatches"):
        ppo(NET, 2, minibatches=0)
    key = jax.random.PRNGKey(0)
    learner = ppo(NET, 2, minibatches=3)  # T × E = 8 steps: 3 does not divide them
    with pytest.raises(ConfigError, match="minibatches"):
        jax.eval_shape(learner.update, jax.eval_shape(learner.init, key), rollout(0), key)
    cfg = NetworkConfig(torso="mlp", hidden=(8,), memory="gru", memory_size=4)
    learner = ppo(make_network(cfg, OBS, A), 2, minibatches=4)  # memory: splits the E = 2
    state = jax.eval_shape(learner.init, key)
    with pytest.raises(ConfigError, match="minibatches"):
        jax.eval_shape(learner.update, state, rollout(0, carry=np.zeros((2, E, 4))), key)


# --- rollouts -------------------------------------------------------------------------------


def test_collect_records_what_the_learner_and_the_environment_did():
    env = wrappers.episode_statistics(envs.make("coin_game", max_steps=5))
    obs_shape, n_actions = env.observation_space(env.params).shape, env.action_space(env.params).n
    cfg = NetworkConfig(torso="mlp", hidden=(8,), memory="gru", memory_size=4)
    learner, n, steps, n_envs = a2c(make_network(cfg, obs_shape, n_actions), 2), 2, 6, 2

    @fast_jit
    def run(key):
        k_init, k_start, k_collect = jax.random.split(key, 3)
        state = learner.init(k_init)
        actors = play_mod.start(env, learner.initial_carry(n_envs), k_start, n_envs)
        after, ro, info = play_mod.collect(learner, env, state, actors, k_collect, steps)

        def replay(carry, xs):  # the acting network, step by step over the recorded rollout
            obs, resets, actions = xs
            carry, logits, value = learner.evaluate(state.params, carry, obs, resets)
            return carry, (deep.log_prob(logits, actions), value)

        carry, (logp, values) = jax.lax.scan(replay, ro.carry, (ro.obs, ro.resets, ro.actions))
        _, _, last_value = learner.evaluate(state.params, carry, after.obs, after.resets)
        return actors.obs, after, ro, info, (carry, logp, values, last_value)

    first_obs, after, ro, info, (carry, logp, values, last_value) = run(jax.random.PRNGKey(0))
    assert ro.obs.shape == (steps, n_envs, n, *obs_shape)
    for field in ("actions", "rewards", "logp", "values"):
        assert getattr(ro, field).shape == (steps, n_envs, n), field
    assert ro.resets.shape == ro.dones.shape == (steps, n_envs)
    assert ro.carry.shape == (n, n_envs, 4) and ro.last_value.shape == (n_envs, n)
    assert ro.actions.dtype == jnp.int32 and ro.rewards.dtype == jnp.float32
    assert np.all((np.asarray(ro.actions) >= 0) & (np.asarray(ro.actions) < n_actions))
    ends = np.zeros((steps, n_envs), bool)
    ends[4] = True  # 5-step episodes end with step index 4
    np.testing.assert_array_equal(ro.dones, ends)
    np.testing.assert_array_equal(
        ro.resets, ends[[-1, 0, 1, 2, 3, 4]] | (np.arange(steps) == 0)[:, None]
    )
    np.testing.assert_array_equal(info["episode/done"], ends)
    np.testing.assert_array_equal(after.resets, ends[-1])
    np.testing.assert_array_equal(ro.obs[0], first_obs)
    np.testing.assert_array_equal(ro.carry, 0.0)  # fresh memory from start()
    # the rewards of the first episode add up to the return the environment reports
    np.testing.assert_allclose(ro.rewards[:5].sum(0), info["episode/return"][4], atol=1e-6)
    # logp, values, the memory and the bootstrap value are the acting network's
    np.testing.assert_allclose(ro.logp, logp, **TOL)
    np.testing.assert_allclose(ro.values, values, **TOL)
    np.testing.assert_allclose(after.carry, carry, **TOL)
    np.testing.assert_allclose(ro.last_value, last_value, **TOL)
