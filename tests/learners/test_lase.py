"""LASE: the social relationship and the gifts by hand, zero-sum gifting, the learner's
relationships against its own networks, and a short IPD run that a wrong sign would break."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.errors import ConfigError
from prosocial.learners import DEEP_LEARNERS, NetworkConfig, make_network
from prosocial.learners.lase import gift_matrix, gifted_rewards, social_relationship

# these tests are compile-bound: XLA's backend optimisations cost more than they save here
fast_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})


def test_social_relationship_of_a_two_action_co_player_by_hand():
    """With Q(o, a_i, C) > Q(o, a_i, D), w = 1 − π̂(C) after C and −π̂(C) after D."""
    q_alt = jnp.array([2.0, -1.0])  # j cooperates, j defects
    for p in (0.0, 0.3, 0.8, 1.0):
        pi = jnp.array([p, 1.0 - p])
        after_c = social_relationship(q_alt[0], q_alt, pi)
        after_d = social_relationship(q_alt[1], q_alt, pi)
        assert float(after_c) == pytest.approx(1.0 - p, abs=1e-6)
        assert float(after_d) == pytest.approx(-p, abs=1e-6)
    # j's action changes nothing: no relationship
    assert float(social_relationship(1.0, jnp.array([1.0, 1.0]), jnp.array([0.5, 0.5]))) == 0.0
    # three actions: (Q − Σ π̂ Q) / (max − min) = (3 − (0.2·3 + 0.5·1 + 0.3·(−1))) / 4
    w = social_relationship(3.0, jnp.array([3.0, 1.0, -1.0]), jnp.array([0.2, 0.5, 0.3]))
    assert float(w) == pytest.approx(0.55, abs=1e-6)


def test_gift_matrix_by_hand_and_rows_sum_to_one():
    w = jnp.array([[0.0, 0.5, -0.2], [0.3, 0.0, 0.9], [1.0, 1.0, 0.0]])
    expected = np.array([[0.75, 0.25, 0.0], [0.15, 0.4, 0.45], [0.5, 0.5, 0.0]])
    np.testing.assert_allclose(gift_matrix(w), expected, atol=1e-6)
    rewards = jnp.array([2.0, -1.0, 4.0])
    # r̃_i = Σ_k g_ki r_k
    np.testing.assert_allclose(
        gifted_rewards(gift_matrix(w), rewards),
        [0.75 * 2 + 0.15 * -1 + 0.5 * 4, 0.25 * 2 + 0.4 * -1 + 0.5 * 4, 0.45 * -1],
        atol=1e-6,
    )


def test_gifting_conserves_collective_reward_exactly():
    rng = np.random.default_rng(0)
    for n in (2, 3, 4, 7):
        w = rng.uniform(-1, 1, size=(50, 16, n, n)).astype(np.float32)
        r = rng.normal(size=(50, 16, n)).astype(np.float32) * 10
        g = gift_matrix(jnp.asarray(w))
        assert np.all(np.asarray(g) >= 0)
        np.testing.assert_allclose(np.sum(g, axis=-1), 1.0, atol=1e-6)
        shaped = gifted_rewards(g, jnp.asarray(r))
        np.testing.assert_allclose(np.sum(shaped, -1), np.sum(r, -1), atol=2e-5)


def _learner(perspective=True, game="coin_game", **kwargs):
    env = envs.make(game, max_steps=6)
    shape = tuple(env.observation_space(env.params).shape)
    torso = "cnn" if len(shape) == 3 else "mlp"
    cfg = NetworkConfig(torso=torso, channels=(4,), kernels=(3,), hidden=(8,))
    network = make_network(cfg, shape, env.action_space(env.params).n)
    learner = DEEP_LEARNERS.make(
        "lase",
        network=network,
        n_agents=env.num_agents(),
        env=env,
        perspective=perspective,
        **kwargs,
    )
    return env, learner


def _rollout(env, learner, key):
    from prosocial.learners import play

    actors = play.start(env, learner.initial_carry(3), key, 3)
    state = fast_jit(learner.init)(key)
    collect = fast_jit(lambda state, actors, key: play.collect(learner, env, state, actors, key, 6))
    _, rollout, _ = collect(state, actors, key)
    return state, rollout


@pytest.mark.parametrize("perspective", [True, False], ids=["lase", "lase_wo"])
def test_update_gifts_within_bounds_and_conserves_reward(perspective):
    env, learner = _learner(perspective)
    state, rollout = _rollout(env, learner, jax.random.PRNGKey(0))
    rollout = rollout._replace(rewards=rollout.rewards + 1.0)  # some reward to give
    new, metrics = fast_jit(learner.update)(state, rollout, jax.random.PRNGKey(1))
    assert float(metrics["lase/conservation_error"]) <= 1e-5
    rel = np.asarray(metrics["lase/relationship"])
    assert rel.shape == (2,) and np.all(np.abs(rel) <= 1.0)
    given, received = metrics["lase/gift_given"], metrics["lase/gift_received"]
    assert np.all((0 <= np.asarray(given)) & (np.asarray(given) <= 0.5 + 1e-6))  # ≤ 1/(n−1)·½
    np.testing.assert_allclose(given[::-1], received, atol=1e-6)  # two agents: i's is j's
    moved = jax.tree.leaves(
        jax.tree.map(lambda a, b: bool(jnp.any(a != b)), state.params["pt"], new.params["pt"])
    )
    assert any(moved) == perspective  # LASE w/o imagines nothing: φ does not learn


@pytest.mark.parametrize("game", ["cleanup_small", "stag_hunt", "snowdrift"])
def test_gifts_conserve_the_collective_reward_at_every_step_of_every_game(game):
    """Every step of a rollout of each sequential game (four players in the stag hunt and
    snowdrift): relationships in [−1, 1], gift rows summing to 1, and Σ_i r̃_i = Σ_i r_i
    to float32 rounding, with rewards large enough that a lost share would show."""
    env, learner = _learner(True, game)
    n = env.num_agents()
    state, rollout = _rollout(env, learner, jax.random.PRNGKey(2))
    noise = jax.random.normal(jax.random.PRNGKey(7), rollout.rewards.shape)
    rollout = rollout._replace(rewards=rollout.rewards + 10.0 * noise)
    _, metrics = fast_jit(learner.update)(state, rollout, jax.random.PRNGKey(1))
    scale = float(jnp.max(jnp.abs(jnp.sum(rollout.rewards, -1))))
    assert float(metrics["lase/conservation_error"]) <= 1e-6 * max(scale, 1.0) * n
    rel, spread = np.asarray(metrics["lase/relationship"]), metrics["lase/relationship_std"]
    assert rel.shape == (n,) and np.all(np.abs(rel) <= 1.0) and np.all(np.asarray(spread) > 0)
    given, received = np.asarray(metrics["lase/gift_given"]), metrics["lase/gift_received"]
    assert np.all((given >= 0) & (given <= 1))  # every row of g sums to 1
    assert float(np.sum(given)) == pytest.approx(float(np.sum(received)), abs=1e-5)
    assert float(np.sum(metrics["lase/gifted_reward"])) == pytest.approx(
        float(jnp.mean(jnp.sum(rollout.rewards, -1))), abs=1e-4
    )


def test_learner_relationship_matches_its_networks_by_hand():
    """w_ij, its spread and the rewards after gifts from the learner equal the formulas
    evaluated with each agent's own SR network, for a rollout of the IPD (LASE w/o:
    ô_j = o_i)."""
    from prosocial.learners.lase import SRNet

    env, learner = _learner(False, "iterated_matrix_game")
    state, rollout = _rollout(env, learner, jax.random.PRNGKey(3))
    rollout = rollout._replace(rewards=rollout.rewards + 1.0)  # some reward to give
    _, metrics = fast_jit(learner.update)(state, rollout, jax.random.PRNGKey(4))
    net = SRNet(learner.network.config, 2, 1)
    acts = np.asarray(rollout.actions).reshape(-1, 2)  # (T·E, 2)

    def relationships(i):
        sr = jax.tree.map(lambda p: p[i], state.params["sr"])  # agent i's SR network
        obs = rollout.obs[:, :, i].reshape(len(acts), -1)  # (T·E, 5)
        apply = jax.jit(jax.vmap(lambda o, joint: net.apply(sr, o, joint)))
        q = []  # Q(o, a_i, b) for the co-player's actions b = 0, 1
        for b in (0, 1):
            pair = acts.copy()
            pair[:, 1 - i] = b
            q.append(np.asarray(apply(obs, jax.nn.one_hot(pair, 2).reshape(-1, 4))[0]))
        q = np.stack(q, -1)  # (T·E, 2)
        pi = np.asarray(jax.nn.softmax(apply(obs, jnp.zeros((len(acts), 4)))[1]))
        base = np.sum(pi * q, -1)
        real = q[np.arange(len(acts)), acts[:, 1 - i]]
        return (real - base) / (q.max(-1) - q.min(-1))

    w01, w10 = relationships(0), relationships(1)
    np.testing.assert_allclose(metrics["lase/relationship"], [w01.mean(), w10.mean()], atol=1e-5)
    np.testing.assert_allclose(metrics["lase/relationship_std"], [w01.std(), w10.std()], atol=1e-5)
    g01, g10 = np.maximum(w01, 0.0), np.maximum(w10, 0.0)  # n − 1 = 1
    r = np.asarray(rollout.rewards).reshape(-1, 2)
    by_hand = [
        np.mean((1 - g01) * r[:, 0] + g10 * r[:, 1]),
        np.mean((1 - g10) * r[:, 1] + g01 * r[:, 0]),
    ]
    np.testing.assert_allclose(metrics["lase/gifted_reward"], by_hand, atol=1e-5)


@pytest.mark.parametrize("model", ["imitate", "own"])
def test_the_imitating_co_player_model_learns_the_co_players_actions(model):
    """With ``coplayer_model="imitate"``, π_η learns what the co-player does: agent 0
    (who always defects) comes to predict cooperation from agent 1 (who always
    cooperates), and agent 1 defection from agent 0. Trained as the agent's own policy
    (``"own"``), π_η cannot learn both: each agent's head only ever sees its own action."""
    from prosocial.learners.lase import SRNet

    env, learner = _learner(False, "iterated_matrix_game", lr_sr=0.05, coplayer_model=model)
    state, rollout = _rollout(env, learner, jax.random.PRNGKey(5))
    actions = jnp.broadcast_to(jnp.array([1, 0]), rollout.actions.shape)  # 0 defects, 1 cooperates
    rollout = rollout._replace(
        actions=actions, rewards=jnp.broadcast_to(jnp.array([5.0, 0.0]), rollout.rewards.shape)
    )
    update = fast_jit(learner.update)
    for k in range(60):
        state, _ = update(state, rollout, jax.random.PRNGKey(k))
    net = SRNet(learner.network.config, 2, 1)
    obs = rollout.obs[-1, 0, 0]
    per_agent = [jax.tree.map(lambda x, i=i: x[i], state.params["sr"]) for i in (0, 1)]
    p_coop = [float(jax.nn.softmax(net.apply(sr, obs, jnp.zeros(4))[1])[0]) for sr in per_agent]
    if model == "imitate":
        assert p_coop[0] > 0.9 and p_coop[1] < 0.1
    else:
        assert not (p_coop[0] > 0.9 and p_coop[1] < 0.1)


def test_lase_needs_the_environment_and_its_own_networks():
    env, learner = _learner()
    with pytest.raises(ConfigError, match=r"^algo: "):
        DEEP_LEARNERS.make("lase", network=learner.network, n_agents=2)
    with pytest.raises(ConfigError, match=r"^shared: "):
        DEEP_LEARNERS.make("lase", network=learner.network, n_agents=2, env=env, shared=True)
    with pytest.raises(ConfigError, match=r"^n_agents: "):
        DEEP_LEARNERS.make("lase", network=learner.network, n_agents=1, env=env)
    with pytest.raises(ConfigError, match=r"^coplayer_model: 'mirror'; accepted: own, imitate"):
        DEEP_LEARNERS.make(
            "lase", network=learner.network, n_agents=2, env=env, coplayer_model="mirror"
        )


@pytest.mark.parametrize("bot", ["cooperate", "defect"])
def test_scripted_co_players_are_played_recorded_and_give_nothing(bot):
    """With agent 1 a scripted bot, the rollout records the bot's actions (what LASE's
    relationships read), and with ``givers`` the bot's gift row is the identity."""
    from prosocial.envs.bots import make_bot
    from prosocial.learners import play

    env, learner = _learner(True, "iterated_matrix_game", givers=(True, False))
    override = play.scripted(make_bot(bot, env), jnp.array([False, True]))
    key = jax.random.PRNGKey(8)
    actors = play.start(env, learner.initial_carry(4), key, 4)
    state = fast_jit(learner.init)(key)
    collect = fast_jit(
        lambda state, actors, key: play.collect(learner, env, state, actors, key, 6, override)
    )
    _, rollout, _ = collect(state, actors, key)
    assert np.all(np.asarray(rollout.actions[..., 1]) == (0 if bot == "cooperate" else 1))
    assert len(np.unique(np.asarray(rollout.actions[..., 0]))) == 2  # the learner explores
    rollout = rollout._replace(rewards=rollout.rewards + 1.0)
    _, metrics = fast_jit(learner.update)(state, rollout, key)
    assert float(metrics["lase/gift_given"][1]) == 0.0
    assert float(metrics["lase/gift_received"][0]) == 0.0
    with pytest.raises(ConfigError) as err:
        _learner(True, "iterated_matrix_game", givers=(True,))
    assert err.value.field == "givers"
