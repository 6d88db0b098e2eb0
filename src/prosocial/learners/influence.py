"""Social influence as an intrinsic reward, with a model of the other agents (MOA).

Each agent ``k`` has, besides an A2C policy π_k(a | o) and value V_k(o)
(:mod:`prosocial.learners.a2c`), a model of the other agents: from its own observation
o_t^k and the joint action a_t of all ``n`` agents, it predicts every co-player's next
action, p_k(a_{t+1}^j | a_t^k, a_t^{-k}, o_t^k). Replacing its own action by every
counterfactual action a' and weighting by its own policy gives the prediction had k's
action been unknown; k's influence reward is how far its actual action moved the
predictions (Jaques et al. 2019, eqs. 4-6),

    c_t^k = Σ_{j≠k} KL[ p_k(a_{t+1}^j | a_t^k, a_t^{-k}, o_t^k)
                        ‖ Σ_{a'} π_k(a' | o_t^k) p_k(a_{t+1}^j | a', a_t^{-k}, o_t^k) ],

set to 0 where the episode ends with step ``t`` (there is no next action to influence).
The agent learns from r_t^k = e_t^k + β c_t^k (``e`` the rollout's rewards, β
``influence_weight``, optionally ramped linearly from 0 over ``influence_ramp``
completed episodes per environment), with c a constant (stop-gradient), by A2C's loss
(full-rollout discounted returns bootstrapped from ``last_value``). The MOA is trained by
cross-entropy on the co-players' observed next actions, weighted by ``moa_coef``,

    L_MOA = −mean_{t, j≠k} log p_k(a_{t+1}^j | a_t, o_t^k),

the mean over the steps whose next action belongs to the same episode and lies in the
rollout (not where ``dones[t]``, not at the last step). ``state.params`` is
``{"policy": ..., "moa": ...}`` (stacked per agent unless shared), each part with its own
gradient clipping and Adam moments, so the policy's update is exactly A2C's on the
augmented rewards; acting and evaluation use only the policy.

The MOA (:class:`MOA`) is memoryless: a torso like the policy's (CNN or MLP of the same
:class:`~prosocial.learners.networks.NetworkConfig`) on o_t^k, its features concatenated
with the one-hot joint action (agents in index order), the hidden ReLU layers, and
``n × A`` logits (agent k's own row is ignored).

Source: Jaques et al. (2019), "Social influence as intrinsic motivation for multi-agent
deep reinforcement learning", ICML (arXiv 1810.08647), Section 4.2, the MOA variant; the
MOA's inputs, its cross-entropy loss and the influence reward's counterfactual marginal as
in the open-source reimplementation co-written by its first author (github
``eugenevinitsky/sequential_social_dilemma_games``, ``models/moa_model.py``,
``algorithms/common_funcs_moa.py``). Simplifications: A2C rather than A3C; a memoryless
MOA with its own torso (the paper's MOA has an LSTM and shares the convolutional layer
with the policy); the influence reward is computed for every co-player at every step (the
paper and reimplementation give it, and train the MOA, only while the co-player is in
view) and is not clipped (the reimplementation clips it at 10); β's curriculum is an
optional linear ramp (the reimplementation's schedule: 0 for 10⁷ environment steps, up
to 1 at 10⁸, down to 0.5 at 3·10⁸).
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from prosocial.learners import deep
from prosocial.learners.deep import DEEP_LEARNERS, DeepLearner, LearnerState, Rollout
from prosocial.learners.networks import Network, NetworkConfig, SliceConv


def influence_reward(moa_logits, own_action, own_probs, agent) -> jax.Array:
    """Agent ``agent``'s influence reward c (module docstring), batched over leading axes.

    Args:
        moa_logits: ``(..., A', n, A)`` the MOA's logits of every agent's next action for
            each of the agent's own counterfactual actions a' (the other agents' actions
            held at their actual values).
        own_action: ``(...)`` int, the agent's actual action.
        own_probs: ``(..., A')`` the agent's policy π_k(· | o_t^k).
        agent: the agent's index ``k``; its own row of the ``n`` predictions is excluded.

    Returns:
        ``(...)``: Σ_{j≠k} KL[p(· | a^k) ‖ Σ_{a'} π_k(a') p(· | a')] (clipped at 0 against
        rounding).
    """
    logp = jax.nn.log_softmax(moa_logits, axis=-1)  # (..., A', n, A)
    index = jnp.asarray(own_action)[..., None, None, None]
    actual = jnp.take_along_axis(logp, index, axis=-3)[..., 0, :, :]  # (..., n, A)
    log_own = jnp.log(own_probs)[..., :, None, None]
    marginal = jax.nn.logsumexp(log_own + logp, axis=-3)  # (..., n, A)
    kl = jnp.sum(jnp.exp(actual) * (actual - marginal), axis=-1)  # (..., n)
    others = jnp.broadcast_to(jnp.arange(kl.shape[-1]) != agent, kl.shape)
    return jnp.sum(jnp.where(others, jnp.maximum(kl, 0.0), 0.0), axis=-1)


def moa_cross_entropy(logits, actions, dones, agent) -> jax.Array:
    """The MOA's cross-entropy of agent ``agent`` over one rollout (module docstring).

    Args:
        logits: ``(T, E, n, A)`` the predictions at each step of the next step's actions.
        actions: ``(T, E, n)`` int, every agent's actions.
        dones: ``(T, E)`` whether the episode ended with step ``t``.
        agent: ``k``, whose own row is not a target.

    Returns:
        The mean over the steps ``t < T − 1`` with ``not dones[t]`` and co-players
        ``j ≠ k`` of −log p(a_{t+1}^j); 0 where there is none.
    """
    logp = jax.nn.log_softmax(logits[:-1], axis=-1)
    nll = -jnp.take_along_axis(logp, actions[1:, ..., None], axis=-1)[..., 0]  # (T-1, E, n)
    others = jnp.arange(logits.shape[-2]) != agent
    valid = jnp.logical_and(~jnp.asarray(dones, bool)[:-1, :, None], others[None, None, :])
    return jnp.sum(jnp.where(valid, nll, 0.0)) / jnp.maximum(jnp.sum(valid), 1)


class MOA(nn.Module):
    """A memoryless model of other agents: ``(obs (..., *obs), joint actions (..., n)) ->
    logits (..., n, A)`` of every agent's next action.

    ``features`` runs the torso and ``predict`` the rest, so that counterfactual joint
    actions reuse one torso pass.
    """

    config: NetworkConfig
    n_agents: int
    n_actions: int
    obs_ndim: int

    def setup(self):
        cfg = self.config
        gain = nn.initializers.orthogonal(math.sqrt(2))
        convs = zip(cfg.channels, cfg.kernels, strict=True) if cfg.torso == "cnn" else ()
        self.convs = [SliceConv(features, k) for features, k in convs]
        self.hidden = [nn.Dense(width, kernel_init=gain) for width in cfg.hidden]
        self.out = nn.Dense(
            self.n_agents * self.n_actions, kernel_init=nn.initializers.orthogonal(0.01)
        )

    def features(self, obs):
        x = obs.astype(jnp.float32)
        if self.config.torso == "cnn":
            for conv in self.convs:
                x = nn.relu(conv(x))
            return x.reshape((*x.shape[:-3], -1))
        return x.reshape((*x.shape[: x.ndim - self.obs_ndim], -1))

    def predict(self, features, joint_actions):
        onehot = jax.nn.one_hot(joint_actions, self.n_actions)
        x = jnp.concatenate([features, onehot.reshape((*onehot.shape[:-2], -1))], axis=-1)
        for dense in self.hidden:
            x = nn.relu(dense(x))
        return self.out(x).reshape((*x.shape[:-1], self.n_agents, self.n_actions))

    def __call__(self, obs, joint_actions):
        return self.predict(self.features(obs), joint_actions)


@DEEP_LEARNERS.register("influence")
def influence(
    network: Network,
    n_agents: int,
    *,
    shared: bool = False,
    lr=1e-4,
    gamma=0.99,
    vf_coef=0.5,
    ent_coef=0.1,
    max_grad_norm=1.0,
    eps_start=0.5,
    eps_end=0.05,
    eps_div=1000.0,
    influence_weight=1.0,
    influence_ramp=0.0,
    moa_coef=1.0,
) -> DeepLearner:
    """An A2C learner with the social-influence reward of an MOA (module docstring).

    ``influence_weight`` is β; ``influence_ramp`` the completed episodes (per environment)
    over which β ramps linearly from 0 (0: no ramp); ``moa_coef`` weights the MOA's loss.
    The other numbers are A2C's (:func:`prosocial.learners.a2c.a2c`); all may be traced.
    """
    obs_shape, n_actions = network.obs_shape, network.n_actions
    moa = MOA(network.config, n_agents, n_actions, len(obs_shape))
    tx = deep.optimiser(max_grad_norm)
    alternatives = jnp.arange(n_actions)[:, None]  # (A', 1): every counterfactual own action

    def init_moa(key):
        obs = jnp.zeros((1, *obs_shape), jnp.float32)
        return moa.init(key, obs, jnp.zeros((1, n_agents), jnp.int32))

    def init(key):
        k_pol, k_moa = jax.random.split(key)
        policy = deep.init_params(network, k_pol, n_agents, shared)
        if shared:
            models = init_moa(k_moa)
        else:
            models = jax.vmap(init_moa)(jax.random.split(k_moa, n_agents))
        params = {"policy": policy, "moa": models}
        opt = {part: deep.init_opt(tx, shared, p) for part, p in params.items()}
        zero = jnp.zeros((), jnp.float32)
        return LearnerState(params, opt, zero, zero)

    def eps(state):
        return deep.epsilon(state.episodes, eps_start, eps_end, eps_div)

    def weight(state):
        ramp = jnp.clip(state.episodes / jnp.maximum(influence_ramp, 1e-12), 0.0, 1.0)
        return influence_weight * jnp.where(influence_ramp > 0, ramp, 1.0)

    def agent_loss(params, data, carry, k, joint, dones, beta):
        """Agent ``k``'s A2C loss on its augmented rewards plus its MOA loss."""
        _, logits, values = network.apply(params["policy"], carry, data["obs"], data["resets"])
        features = moa.apply(params["moa"], data["obs"], method=MOA.features)  # (T, E, F)
        predicted = moa.apply(params["moa"], features, joint, method=MOA.predict)
        # counterfactual joint actions (T, E, A', n): k's action replaced by each a'
        own = (jnp.arange(n_agents) == k)[None, None, None, :]
        counter = jnp.where(own, alternatives[None, None], joint[:, :, None, :])
        shape = (*features.shape[:-1], n_actions, features.shape[-1])
        cf_logits = moa.apply(
            jax.lax.stop_gradient(params["moa"]),
            jnp.broadcast_to(jax.lax.stop_gradient(features)[..., None, :], shape),
            counter,
            method=MOA.predict,
        )  # (T, E, A', n, A)
        probs = jax.nn.softmax(jax.lax.stop_gradient(logits), axis=-1)
        c = influence_reward(cf_logits, data["actions"], probs, k) * (1.0 - data["dones"])
        rewards = data["rewards"] + beta * jax.lax.stop_gradient(c)
        returns = deep.discounted_returns(rewards, data["dones"], data["last_value"], gamma)
        adv = returns - values
        pg = -jnp.mean(deep.log_prob(logits, data["actions"]) * jax.lax.stop_gradient(adv))
        vf = 0.5 * jnp.mean(adv**2)
        ent = jnp.mean(deep.entropy(logits))
        ce = moa_cross_entropy(predicted, joint, dones, k)
        loss = pg + vf_coef * vf - ent_coef * ent + moa_coef * ce
        return loss, (pg, vf, ent, ce, jnp.mean(c))

    loss_n = deep.per_agent(agent_loss, shared, (0, 0, 0, 0, None, None, None))

    def total(params, data, carry, joint, dones, beta):
        agents = jnp.arange(n_agents)
        losses, aux = loss_n(params, data, carry, agents, joint, dones, beta)
        return (jnp.mean(losses) if shared else jnp.sum(losses)), aux

    def update(state: LearnerState, rollout: Rollout, key):
        del key  # the update is deterministic
        data = deep.by_agent(rollout, n_agents)
        keep = ("obs", "resets", "actions", "rewards", "dones", "last_value")
        data = {k: data[k] for k in keep}
        beta = weight(state)
        grads, (pg, vf, ent, ce, c) = jax.grad(total, has_aux=True)(
            state.params, data, rollout.carry, rollout.actions, rollout.dones, beta
        )
        params, opt = {}, {}
        for part in state.params:  # the policy and the MOA: two parts, not agents
            params[part], opt[part] = deep.apply_gradients(
                tx, shared, state.params[part], state.opt[part], grads[part], lr
            )
        episodes = state.episodes + deep.completed_episodes(rollout)
        metrics = {
            "loss/policy": pg,
            "loss/value": vf,
            "loss/entropy": ent,
            "loss/moa": ce,
            "learner/influence": c,
            "learner/influence_weight": beta,
            "learner/epsilon": eps(state),
        }
        return LearnerState(params, opt, state.updates + 1, episodes), metrics

    def policy_state(state: LearnerState) -> LearnerState:
        return state._replace(params=state.params["policy"])

    act_policy = deep.make_act(network, shared, eps)
    evaluate_policy = deep.make_evaluate(network, shared)

    def act(state, carry, obs, reset, key):
        return act_policy(policy_state(state), carry, obs, reset, key)

    def evaluate(params, carry, obs, reset):
        return evaluate_policy(params["policy"], carry, obs, reset)

    return DeepLearner(
        "influence",
        network,
        n_agents,
        shared,
        init,
        lambda envs: deep.initial_carry(network, n_agents, envs),
        act,
        evaluate,
        update,
    )
