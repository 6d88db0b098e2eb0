"""Helpers shared by the environment rule tests."""

import jax
import jax.numpy as jnp
import pytest


def _batched_transition(env):
    """``play(states, actions, params=None, keys=None)``: one jitted transition of a batch
    of states (no automatic reset); ``actions`` broadcast to every state of the batch."""
    batch = jax.jit(jax.vmap(env.transition_fn, in_axes=(0, 0, 0, None)))

    def play(states, actions, params=None, keys=None):
        params = env.params if params is None else params
        size = states.t.shape[0]
        keys = jax.random.split(jax.random.PRNGKey(0), size) if keys is None else keys
        actions = jnp.broadcast_to(jnp.asarray(actions, jnp.int32), (size, env.num_agents()))
        return batch(keys, states, actions, params)

    return play


@pytest.fixture(scope="session")
def batched_transition():
    """The :func:`_batched_transition` builder, for module-scoped game fixtures."""
    return _batched_transition
