"""Adjustments over parameter trees: the same algebra as on the flattened ``(n, d)`` array.

A game over a tree ``{"a": (n, 2), "b": (n, 1, 3)}`` is the same game as one over the
``(n, 5)`` array that concatenates each player's leaves; every adjustment must give the
same direction on both, leaf by leaf. A bug that sums a product over the wrong axis, drops
a leaf from an inner product, or takes a diagonal across the wrong axes breaks it.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.adjust import ADJUSTMENTS, SeparableGame, individual_gradient, jacobian, trees
from prosocial.errors import ConfigError

N = 3


def flat_game(w):
    """A smooth 3-player game over (n, 5) whose players' parameters all interact."""
    mix = jnp.sin(w @ w.T).sum(axis=1)
    return mix + jnp.cos(w[:, 0] * jnp.roll(w[:, 3], 1)) + w[:, 4] ** 3 - 0.5 * w[:, 1] * w[:, 2]


def to_flat(tree):
    return jnp.concatenate([tree["a"], tree["b"].reshape(N, 3)], axis=1)


def to_tree(flat):
    return {"a": flat[:, :2], "b": flat[:, 2:].reshape(N, 1, 3)}


def tree_game(tree):
    return flat_game(to_flat(tree))


FLAT = jax.random.normal(jax.random.key(3), (N, 5)) * 0.7


@pytest.mark.parametrize("name", ADJUSTMENTS.names())
def test_every_adjustment_gives_the_same_direction_on_a_tree(name):
    adjustment = ADJUSTMENTS.make(name)
    tree = to_tree(FLAT)
    flat_direction = adjustment.update(flat_game, FLAT, adjustment.init(FLAT))[0]
    tree_direction = jax.jit(lambda w: adjustment.update(tree_game, w, adjustment.init(w))[0])(tree)
    assert jax.tree.structure(tree_direction) == jax.tree.structure(tree)
    np.testing.assert_allclose(to_flat(tree_direction), flat_direction, rtol=2e-5, atol=2e-5)
    # not a trivial direction: it moves every leaf
    assert all(float(jnp.abs(x).max()) > 1e-3 for x in jax.tree.leaves(tree_direction))


def test_a_one_leaf_tree_is_a_tree_not_a_bare_array():
    assert trees.n_players({"w": jnp.ones((N, 2, 3))}) == N  # (n, ...) leaves are accepted
    adjustment = ADJUSTMENTS.make("aga")
    tree = {"w": FLAT}
    got = adjustment.update(lambda t: flat_game(t["w"]), tree, adjustment.init(tree))[0]
    expected = adjustment.update(flat_game, FLAT, adjustment.init(FLAT))[0]
    np.testing.assert_allclose(got["w"], expected, rtol=1e-6, atol=1e-6)


def test_tree_helpers_match_the_flat_algebra():
    a, b = to_tree(FLAT), to_tree(FLAT[::-1] ** 2)
    np.testing.assert_allclose(trees.vdot(a, b), jnp.vdot(FLAT, FLAT[::-1] ** 2), rtol=1e-6)
    np.testing.assert_allclose(trees.norm(a), jnp.linalg.norm(FLAT), rtol=1e-6)
    assert trees.size(a) == FLAT.size
    assert trees.n_players(a) == N
    blocks = {"a": jnp.arange(N * N * 2.0).reshape(N, N, 2)}
    np.testing.assert_array_equal(
        trees.block_diagonal(blocks)["a"], jnp.stack([blocks["a"][i, i] for i in range(N)])
    )
    masked = trees.off_diagonal(blocks, N)["a"]
    assert float(jnp.abs(masked[jnp.arange(N), jnp.arange(N)]).max()) == 0.0
    assert float(masked[0, 1, 1]) == float(blocks["a"][0, 1, 1])


@pytest.mark.parametrize(
    "w",
    [
        {"a": jnp.ones((3, 2)), "b": jnp.ones((2, 2))},  # two player counts
        {"a": jnp.ones((3, 2)), "b": jnp.ones(())},  # a leaf with no player axis
        {},  # nothing to learn
        jnp.ones(3),  # a bare array must be (n, d)
    ],
)
def test_trees_without_one_player_axis_are_refused(w):
    with pytest.raises(ConfigError) as err:
        ADJUSTMENTS.make("aga").update(lambda v: jnp.zeros(3), w, None)
    assert err.value.field == "w"


def features(tree):
    """Per-player features: player j's row depends on its own parameters only."""
    return jnp.concatenate([jnp.sin(tree["a"]), jnp.tanh(tree["b"].reshape(N, 3)) ** 2], axis=1)


@pytest.mark.parametrize("name", ADJUSTMENTS.names())
def test_a_separable_game_gives_the_same_direction_with_one_reverse_pass(name):
    adjustment = ADJUSTMENTS.make(name)
    tree = to_tree(FLAT)
    separable = SeparableGame(features, flat_game)
    plain = lambda w: flat_game(features(w))  # noqa: E731
    got = jax.jit(lambda w: adjustment.update(separable, w, adjustment.init(w))[0])(tree)
    expected = adjustment.update(plain, tree, adjustment.init(tree))[0]
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5), got, expected)


def test_the_separable_gradient_is_the_jacobians_diagonal_and_not_its_row_sum():
    tree = to_tree(FLAT)
    separable = SeparableGame(features, flat_game)
    xi = individual_gradient(separable, tree)
    jac = jacobian(lambda w: flat_game(features(w)), tree)
    diagonal = trees.block_diagonal(jac)
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), xi, diagonal)
    collective = jax.tree.map(lambda x: x.sum(0), jac)  # what a wrong cotangent would give
    assert not np.allclose(to_flat(xi), to_flat(collective), atol=1e-3)
