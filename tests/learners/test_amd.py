"""The planner of adaptive mechanism design on sequential games: the exact expectations
of its transfers and of the welfare over the joint action, and what the config refuses."""

import dataclasses
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial import envs
from prosocial.envs import wrappers
from prosocial.errors import ConfigError
from prosocial.experiments.ssd.config import SSDConfig
from prosocial.learners import amd, recipients
from prosocial.learners.networks import NetworkConfig, make_network

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest


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


def test_expected_welfare_matches_an_enumeration_of_the_joint_actions():
    n, a, lead = 3, 2, (5,)
    rng = np.random.default_rng(1)
    table = rng.normal(size=(*lead, a**n))
    probs = rng.dirichlet(np.ones(a), size=(n, *lead))  # (n, 5, a)
    got = np.asarray(amd.expected_welfare(jnp.asarray(table), jnp.log(jnp.asarray(probs))))
    want = np.zeros(lead)
    for j, joint in enumerate(amd.joint_actions(n, a)):
        want += np.prod([probs[k, :, joint[k]] for k in range(n)], axis=0) * table[:, j]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_the_exact_welfare_gradient_is_the_score_function_gradient_in_expectation():
    """∇_θ Σ_a π_θ(a) W(a) = E_{a∼π_θ}[∇_θ log π_θ(a) W(a)] for two softmax players: the
    exact estimate against 200 000 sampled joint actions (a sign error, a transposed
    table or a wrong joint order breaks it)."""
    logits = jnp.asarray([[0.3, -0.4, 0.1], [-0.2, 0.5, 0.0]])  # (agent, action)
    table = jnp.asarray([1.0, -2.0, 0.5, 3.0, 0.0, -1.0, 2.0, 1.5, -0.5])  # (3 · 3,)
    exact = jax.grad(lambda z: amd.expected_welfare(table, jax.nn.log_softmax(z)))(logits)
    samples = jax.random.categorical(jax.random.PRNGKey(0), logits, shape=(200_000, 2))
    joint = samples[:, 0] * 3 + samples[:, 1]  # agent 0 changes slowest

    def score(z):
        logp = jax.nn.log_softmax(z)
        return jnp.mean((logp[0, samples[:, 0]] + logp[1, samples[:, 1]]) * table[joint])

    sampled = jax.grad(score)(logits)
    np.testing.assert_allclose(np.asarray(exact), np.asarray(sampled), atol=0.02)
    assert float(jnp.abs(exact).max()) > 0.3


def test_the_welfare_table_holds_every_joint_actions_rewards_in_the_coin_game():
    env = envs.make("coin_game")
    joint = amd.joint_actions(2, int(env.action_space(env.params).n))
    scored = jax.jit(amd.with_welfare_table(env, joint).step)
    every = jax.jit(jax.vmap(env.step, in_axes=(None, None, 0)))
    key = jax.random.PRNGKey(5)
    _, state = env.reset(key)
    spreads = []
    for _ in range(40):
        key, k_act, k_step = jax.random.split(key, 3)
        actions = jax.random.randint(k_act, (2,), 0, int(joint.max()) + 1)
        _, new, rewards, _, _, info = scored(k_step, state, actions)
        table = np.asarray(info[amd.WELFARE_TABLE])
        row = int(np.flatnonzero((joint == np.asarray(actions)).all(axis=1))[0])
        np.testing.assert_allclose(table[row], float(jnp.sum(rewards)), atol=1e-6)
        plain = np.asarray(every(k_step, state, jnp.asarray(joint))[2]).sum(axis=1)
        np.testing.assert_allclose(table, plain, atol=1e-6)
        spreads.append(np.ptp(table))
        state = new
    assert max(spreads) > 0.5  # some states let a joint action pick a coin


def test_move_gaps_by_hand():
    pay = np.zeros((2, 3, 2))
    pay[0, :, 0] = [1.0, -1.0, 0.5]
    counters = np.zeros((2, 3, 2), int)
    picked, own = counters.copy(), counters.copy()
    picked[0, 1, 0] = 1  # joint action 1: agent 0 takes another's coin
    picked[0, 2, 0] = own[0, 2, 0] = 1  # joint action 2: its own
    gaps = amd.move_gaps(pay, picked, own)
    assert gaps["wrong"][0, 0] == pytest.approx((1.0 + 0.5) / 2 - (-1.0))
    assert gaps["own"][0, 0] == pytest.approx(0.5 - (1.0 - 1.0) / 2)
    assert np.isnan(gaps["wrong"][0, 1]) and np.isnan(gaps["own"][1]).all()


@pytest.mark.parametrize(("base", "wrong", "own"), [(0.0, 1.5, 1.5), (1.0, 3.0, 0.0)])
def test_move_gaps_of_the_pickup_mechanism_are_c_and_c_or_2c_and_0(base, wrong, own):
    """The fixed mechanism's transfers under every joint action of Coin Game states: every
    state's gaps are exactly what move_gaps' docstring says (c = 1.5)."""
    env = envs.make("coin_game")
    fixed = wrappers.pickup_transfers(env, c=1.5, base=base)
    every = jnp.asarray(amd.joint_actions(2, int(env.action_space(env.params).n)))

    def under_every(key, state):
        def one(a):
            plain = env.transition_fn(key, state, a, env.params)
            return fixed.transition_fn(key, state, a, fixed.params)[1] - plain[1], plain[4]

        pay, info = jax.vmap(one)(every)
        return pay, info["coin/picked"], info["coin/own"]

    keys = jax.random.split(jax.random.PRNGKey(2), 300)
    states = jax.vmap(lambda k: env.reset(k)[1])(keys)
    gaps = amd.move_gaps(*jax.jit(jax.vmap(under_every))(keys, states))
    for name, want in (("wrong", wrong), ("own", own)):
        seen = gaps[name][~np.isnan(gaps[name])]
        assert seen.size > 50
        np.testing.assert_allclose(seen, want, atol=1e-6)


def test_transfers_by_move_reads_the_planner_at_every_joint_action():
    env = envs.make("coin_game", max_steps=5)
    config = NetworkConfig(torso="cnn", channels=(4,), kernels=(3,), hidden=(8,))
    shape = env.observation_space(env.params).shape
    learner = amd.amd(make_network(config, shape, 4), 2, env=env, r_max=2.0)
    p = jax.jit(learner.init)(jax.random.PRNGKey(0)).params["planner"]
    pay, picked, own = amd.transfers_by_move(
        config, p, env, jax.random.PRNGKey(1), r_max=2.0, states=30
    )
    assert pay.shape == picked.shape == own.shape == (30, 16, 2)
    assert np.all(np.abs(pay) < 2.0) and np.ptp(pay) > 0 and np.all(picked >= own)
    assert picked.sum() > 0
    # entry j is the planner at joint action j (agent 0's action changes slowest)
    from prosocial.learners.lio import IncentiveNet

    obs, _ = env.reset(jax.random.split(jax.random.PRNGKey(1))[0])
    view = amd.joint_view(obs[:, None], True)
    for j, a in ((0, (0, 0)), (6, (1, 2)), (15, (3, 3))):
        hot = jax.nn.one_hot(jnp.asarray(a), 4).reshape(1, -1)
        out = IncentiveNet(config, 2, 3).apply(p, view, hot)[0]
        np.testing.assert_allclose(pay[0, j], 2.0 * 2.0 * (np.asarray(out) - 0.5), atol=1e-5)
    with pytest.raises(ConfigError, match=r"transfers_by_move\(harvest\)\.env: .*coin/picked"):
        amd.transfers_by_move(config, p, envs.make("harvest"), jax.random.PRNGKey(1))


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


@pytest.mark.parametrize("estimate", ["sampled", "exact"])
def test_the_logit_penalty_pulls_a_saturated_planner_back(estimate):
    """With its output biases at ±30 the planner's sigmoid is flat: its transfers are ±c
    to float precision and their gain and cost pass it no gradient (κ = 0: no move even
    under Adam's normalised step). κ · mean f² pulls both back toward zero by Adam's full
    first step; a sign error pushes them out, a penalty on the squashed transfers does
    not move them."""
    from prosocial.learners import play

    env = envs.make("coin_game", max_steps=5)
    config = NetworkConfig(torso="cnn", channels=(4,), kernels=(3,), hidden=(8,))
    network = make_network(config, env.observation_space(env.params).shape, 4)
    key = jax.random.PRNGKey(0)
    moved = {}
    for kappa in (0.0, 1.0):
        learner = amd.amd(
            network, 2, env=env, estimate=estimate, logit_reg=kappa, lr=0.1, lr_reward=0.01
        )
        state = learner.init(key)
        planner = state.params["planner"]
        out = planner["params"]["Dense_1"]
        out = {**out, "bias": jnp.asarray([30.0, -30.0])}
        planner = {"params": {**planner["params"], "Dense_1": out}}
        state = state._replace(params={**state.params, "planner": planner})
        actors = play.start(env, learner.initial_carry(3), key, 3)
        _, rollout, _ = play.collect(learner, env, state, actors, key, 5)
        new, metrics = jax.jit(learner.update)(state, rollout, jax.random.PRNGKey(1))
        assert float(metrics["planner/spending"]) == pytest.approx(2 * 5.0, rel=1e-5)
        moved[kappa] = np.asarray(new.params["planner"]["params"]["Dense_1"]["bias"]) - [30, -30]
    np.testing.assert_allclose(moved[0.0], 0.0, atol=1e-6)
    np.testing.assert_allclose(moved[1.0], [-0.01, 0.01], rtol=1e-3)


def test_a_planner_that_reads_rewards_pays_by_them():
    """With ``reads="rewards"`` the transfers follow the rewards of the step: the same
    episode with other rewards is paid otherwise (and with ``reads="actions"`` exactly the
    same), and :func:`transfers_by_move` feeds the planner each joint action's rewards."""
    from prosocial.learners import play
    from prosocial.learners.lio import IncentiveNet

    env = envs.make("coin_game", max_steps=5)
    config = NetworkConfig(torso="cnn", channels=(4,), kernels=(3,), hidden=(8,))
    network = make_network(config, env.observation_space(env.params).shape, 4)
    key = jax.random.PRNGKey(0)
    spent = {}
    for reads in amd.READS:
        learner = amd.amd(network, 2, env=env, reads=reads, lr=0.1, lr_reward=0.01)
        state = learner.init(key)
        actors = play.start(env, learner.initial_carry(3), key, 3)
        _, rollout, _ = play.collect(learner, env, state, actors, key, 5)
        other = rollout._replace(rewards=rollout.rewards + jnp.asarray([[[3.0, -3.0]]]))
        spent[reads] = [
            float(jax.jit(learner.update)(state, r, jax.random.PRNGKey(1))[1]["planner/spending"])
            for r in (rollout, other)
        ]
    assert spent["actions"][0] == spent["actions"][1]
    assert abs(spent["rewards"][0] - spent["rewards"][1]) > 1e-3

    p = state.params["planner"]  # reads="rewards"
    pay, picked, own = amd.transfers_by_move(
        config, p, env, jax.random.PRNGKey(1), reads="rewards", states=30
    )
    assert np.all(picked >= own)
    s, j = (int(x[0]) for x in np.nonzero(picked.sum(-1) > own.sum(-1)))  # a wrong pickup
    k_reset, k_walk = jax.random.split(jax.random.PRNGKey(1))
    obs, state = env.reset(k_reset)
    for t, k in enumerate(jax.random.split(k_walk, 30)):  # the random play, to state s
        k_act, k_step = jax.random.split(k)
        if t == s:
            break
        obs, state = env.step(k_step, state, jax.random.randint(k_act, (2,), 0, 4))[:2]
    view = amd.joint_view(obs[:, None], True)
    for jj, a in ((j, amd.joint_actions(2, 4)[j]), (0, (0, 0)), (15, (3, 3))):
        rewards = env.transition_fn(k_step, state, jnp.asarray(a), env.params)[1]
        seen = jnp.concatenate([jax.nn.one_hot(jnp.asarray(a), 4).reshape(-1), rewards])
        out = IncentiveNet(config, 2, 3, squash=False).apply(p, view, seen[None])[0]
        np.testing.assert_allclose(pay[s, jj], np.asarray(amd.bounded(out, 1.0)), atol=1e-5)
        if jj == j:
            assert float(jnp.min(rewards)) == -2.0  # the other's coin taken: its owner loses 2


def test_the_planner_options_are_amd_only_and_exact_needs_few_joint_actions():
    with pytest.raises(ConfigError, match="planner_estimate"):
        SSDConfig(algo="a2c", planner_estimate="exact")
    with pytest.raises(ConfigError, match="planner_gamma"):
        SSDConfig(algo="lio", planner_gamma=0.0)
    with pytest.raises(ConfigError, match="planner_logit_reg"):
        SSDConfig(algo="amd_authors", planner_logit_reg=0.1)
    with pytest.raises(ConfigError, match="planner_logit_reg"):
        SSDConfig(algo="amd", planner_logit_reg=-0.1)
    with pytest.raises(ConfigError, match=r"planner_estimate.*joint actions"):
        SSDConfig(env="cleanup", algo="amd", planner_estimate="exact")
    with pytest.raises(ConfigError, match="planner_estimate"):
        SSDConfig(algo="amd", planner_estimate="exactly")
    with pytest.raises(ConfigError, match="planner_welfare"):
        SSDConfig(algo="ppo", planner_welfare="exact")
    with pytest.raises(ConfigError, match=r"planner_welfare.*joint actions"):
        SSDConfig(env="cleanup", algo="amd", planner_welfare="exact")
    SSDConfig(algo="amd", planner_estimate="exact", planner_gamma=0.0)  # the Coin Game: 4²
    with pytest.raises(ConfigError, match="planner_reads"):
        SSDConfig(algo="lio", planner_reads="rewards")
    with pytest.raises(ConfigError, match="planner_reads"):
        SSDConfig(algo="amd", planner_reads="reward")
    env = envs.make("coin_game")
    network = make_network(NetworkConfig(torso="mlp", hidden=(8,)), (36,), 4)
    with pytest.raises(ConfigError, match=r"planner_reads.*sampled estimate"):
        amd.amd(network, 2, env=env, reads="rewards", estimate="exact")
    with pytest.raises(ConfigError, match="planner_reads"):
        amd.amd(network, 2, env=env, reads="state")


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
        planner_welfare="exact",
        planner_gamma=0.0,
        seeds=1,
    )
    _, metrics = train(cfg)
    spent = np.asarray(metrics["planner/spending"])
    assert np.all(np.isfinite(spent)) and np.all(spent > 0)
    assert np.all(np.isfinite(np.asarray(metrics["planner/loss"])))


def test_the_coin_game_preset_sets_the_fixed_mechanism_beside_the_planner():
    from prosocial.experiments import presets
    from prosocial.experiments.spec import CellData
    from prosocial.experiments.ssd.amd_coin import planner_spending

    preset = presets().make("amd-coin-game")
    cfg = dataclasses.replace(preset.config, max_transfer=2.0, welfare="exact")
    cells = {c.meta["mode_key"]: c for c in preset.cells(cfg)}
    fixed = cells["fixed"].config
    assert fixed.wrappers == ("pickup_transfers:c=2.0",) and fixed.planner_until == 0
    based = cells["fixed_base"].config
    assert based.wrappers == ("pickup_transfers:c=2.0:base=1",) and based.planner_until == 0
    assert cells["with"].config.planner_welfare == "exact"
    assert cells["without"].config.planner_welfare == "sampled"  # no planner, nothing scored
    assert cells["with"].config.r_max == 2.0 and not cells["with"].config.wrappers
    assert cells["with"].config.planner_logit_reg == preset.config.logit_reg == 0.1
    reads = {m: c.config.planner_reads for m, c in cells.items()}
    assert reads == {**dict.fromkeys(cells, "actions"), "rewards": "rewards"}
    assert cells["rewards"].config.planner_estimate == "sampled"  # the only one it takes
    # the reading planner runs longer, with its own κ and no cost; the others keep theirs
    rewards, with_ = cells["rewards"].config, cells["with"].config
    assert (rewards.updates, rewards.planner_logit_reg, rewards.reg_coeff) == (3000, 0.01, 0.0)
    assert (with_.updates, with_.reg_coeff) == (cfg.updates, 1e-4) == (500, 1e-4)
    bar, without = preset.tables(cfg)[0].bars
    assert (bar.cell, bar.op, bar.value) == ("coin_game/rewards", ">=", 0.9)
    assert (without.cell, without.op, without.value) == ("coin_game/without", "<=", 0.6)
    with pytest.raises(ConfigError, match="log_every"):
        dataclasses.replace(cfg, rewards_updates=3010).check()
    picked = np.array([[3.0, 7.0], [1.0, 4.5]])  # (seed, row): both agents' coins per episode
    data = CellData(cells["fixed"], {"coin/picked": picked}, np.arange(2))
    np.testing.assert_allclose(planner_spending(data), [2.0 * 7.0, 2.0 * 4.5])
    # with the base, c on each of the 2 agents' 20 steps: a pickup's or an idle step's
    data = CellData(cells["fixed_base"], {"coin/picked": picked}, np.arange(2))
    np.testing.assert_allclose(planner_spending(data), [2.0 * 40.0, 2.0 * 40.0])


def test_the_coin_game_preset_runs_the_authors_configuration_by_name():
    from prosocial.experiments import presets
    from prosocial.learners.amd_authors import LEARNER_STEP, PLANNER_STEP

    preset = presets().make("amd-coin-game")
    cfg = dataclasses.replace(preset.config, configuration="authors")
    cells = {c.meta["mode_key"]: c.config for c in preset.cells(cfg)}
    assert set(cells) == {"with", "without", "off", "fixed", "fixed_base"}  # one estimate
    run = cells["with"]
    assert run.algo == "amd_authors" and run.torso == "mlp" and run.gamma == 0.5
    assert (run.lr, run.lr_reward, run.reg_coeff) == (LEARNER_STEP, PLANNER_STEP, 1.5e-8)
    assert LEARNER_STEP == pytest.approx(0.01 / 120) and PLANNER_STEP == pytest.approx(1.0416667)
    assert cells["without"].planner_until == 0 and cells["off"].updates == 2 * cfg.updates
    # a number given overrides the configuration's; prosocial's keeps its own
    mine = {c.config for c in preset.cells(dataclasses.replace(cfg, lr=1e-3))}
    assert {c.lr for c in mine} == {1e-3}
    assert all(c.lr_reward == pytest.approx(12.5) for c in mine)  # the planner's: 12,500 η
    assert run.planner_logit_reg == 0.0  # the authors' planner has no logit penalty
    with pytest.raises(ConfigError, match="logit_reg"):
        dataclasses.replace(cfg, logit_reg=0.5).check()
    with pytest.raises(ConfigError, match="rewards_updates"):
        dataclasses.replace(cfg, rewards_updates=1000).check()
    assert preset.tables(cfg)[0].bars[0].cell == "coin_game/with"  # their only planner
    ours = {c.meta["mode_key"]: c.config for c in preset.cells(preset.config)}
    assert ours["with"].algo == "amd" and (ours["with"].lr, ours["with"].reg_coeff) == (0.1, 1e-4)
    with pytest.raises(ConfigError, match="estimate: a setting of prosocial's planner"):
        dataclasses.replace(cfg, estimate="sampled")
