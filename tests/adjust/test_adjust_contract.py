"""Contract of every registered adjustment: shape, jit once, vmap, determinism, validation."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.adjust import ADJUSTMENTS, Access, Adjustment
from prosocial.errors import ConfigError

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

NAMES = ADJUSTMENTS.names()


def coupled_game(w):
    """A smooth 3-player game with 2 parameters each."""
    return jnp.sin(w @ w.T).sum(axis=1) + jnp.cos(w[:, 0] * jnp.roll(w[:, 1], 1)) + w[:, 0] ** 3


W = jnp.array([[0.3, -0.5], [0.8, 0.1], [-0.4, 0.6]])
BATCH = W[None] + 0.3 * jax.random.normal(jax.random.key(0), (4, 3, 2))

# Invalid coefficients of each method: (keyword, value). Every registered name needs a row.
INVALID = {
    "simul_ind": [],
    "simul_co": [],
    "sl": [("alpha", -1.0), ("alpha", float("nan"))],
    "svo": [("weight", -0.5), ("angle", 4.0)],
    "cga": [("lam", -1.0), ("lam", "big")],
    "sga": [("lam", float("nan")), ("eps", -1.0)],
    "lola": [("lr", -0.1), ("lr", jnp.ones(2))],
    "sos": [("lr", -1.0), ("a", 1.0), ("b", 0.0)],
    "aga": [("lam", -1.0)],
    "aga_fixed_sign": [("lam", float("inf"))],
}


def float_coefficients(name):
    params = inspect.signature(ADJUSTMENTS.get(name)).parameters.values()
    return {p.name: p.default for p in params if isinstance(p.default, float)}


def direction_fn(adjustment):
    return lambda w: adjustment.update(coupled_game, w, adjustment.init(w))[0]


def test_every_registered_name_has_invalid_cases():
    assert set(INVALID) == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_bundle_jits_once_vmaps_and_is_deterministic(name):
    adjustment = ADJUSTMENTS.make(name)
    assert isinstance(adjustment, Adjustment)
    assert isinstance(adjustment.access, Access)
    traces = []

    def direction(w):
        traces.append(None)
        return direction_fn(adjustment)(w)

    jitted = jax.jit(direction)
    first, second = jitted(BATCH[0]), jitted(BATCH[1])
    assert len(traces) == 1  # compiled once for both inputs
    assert first.shape == W.shape and jnp.all(jnp.isfinite(first))
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(first, jitted(BATCH[0]))  # same inputs, same outputs
    np.testing.assert_allclose(direction(BATCH[0]), first, rtol=1e-5, atol=1e-6)  # eager
    batched = jax.jit(jax.vmap(direction_fn(adjustment)))(BATCH)
    looped = jnp.stack([jitted(w) for w in BATCH])
    np.testing.assert_allclose(batched, looped, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", [n for n in NAMES if float_coefficients(n)])
def test_coefficients_sweep_as_data(name):
    sweep = {k: default * jnp.array([1.0, 0.5]) for k, default in float_coefficients(name).items()}

    def direction(coefficients):
        return direction_fn(ADJUSTMENTS.make(name, **coefficients))(W)

    swept = jax.jit(jax.vmap(direction))(sweep)
    one_by_one = jax.jit(direction)
    for index in range(2):
        expected = one_by_one({k: v[index] for k, v in sweep.items()})
        np.testing.assert_allclose(swept[index], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_invalid_input_names_the_field(name):
    for keyword, value in INVALID[name]:
        with pytest.raises(ConfigError, match="accepted") as err:
            ADJUSTMENTS.make(name, **{keyword: value})
        assert err.value.field.endswith("." + keyword)
    adjustment = ADJUSTMENTS.make(name)
    with pytest.raises(ConfigError) as err:
        adjustment.update(coupled_game, W[:, 0], adjustment.init(W))
    assert err.value.field == "w"
