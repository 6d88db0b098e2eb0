"""Every registered game, learner and preset keeps the family contract (DESIGN.md rule 6)."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.experiments import presets
from prosocial.games import DEGREE_GAMES, MATRIX_GAMES, validate_payoffs, values_from_logits
from prosocial.learners import LEARNERS, Transition
from prosocial.strategies import STRATEGIES, play_match

pytestmark = pytest.mark.usefixtures("fast_compile")  # compile-bound: see conftest

GAME_ARGS = {"social_dilemma": {"greed": 1.0, "fear": 1.0}, "n_player_dilemma": {"n_players": 3}}


@pytest.mark.parametrize("name", MATRIX_GAMES.names())
def test_games_are_valid_tensors_with_finite_value_gradients(name):
    payoffs = MATRIX_GAMES.make(name, **GAME_ARGS.get(name, {}))
    validate_payoffs(payoffs)
    n = payoffs.shape[0]
    logits = jnp.linspace(-1.0, 1.0, n)
    jac = jax.jacfwd(lambda th: values_from_logits(payoffs, th))(logits)
    assert jac.shape == (n, n) and bool(jnp.all(jnp.isfinite(jac)))
    # values of probabilities lie between the smallest and largest payoff
    v = values_from_logits(payoffs, logits)
    assert bool(jnp.all((v >= payoffs.min() - 1e-5) & (v <= payoffs.max() + 1e-5)))


@pytest.mark.parametrize("name", LEARNERS.names())
def test_learners_compile_once_vmap_and_repeat(name):
    learner = LEARNERS.make(name)
    update = jax.jit(learner.update)

    def transition(seed):
        k = jax.random.PRNGKey(seed)
        return Transition(
            jax.random.bernoulli(k, 0.5, (3,)).astype(jnp.int32),
            jax.random.normal(k, (3,)),
            jax.random.normal(jax.random.fold_in(k, 1), (3,)),
        )

    state = learner.init(jax.random.PRNGKey(0), 3)
    a, _ = update(state, transition(1))
    b, _ = update(state, transition(2))
    assert update._cache_size() == 1  # new values, same shapes: no recompilation
    again, _ = update(state, transition(1))
    jax.tree.map(np.testing.assert_array_equal, a, again)  # same inputs, same outputs
    assert not np.array_equal(a.logits, b.logits)
    states = jax.vmap(lambda k: learner.init(k, 3))(jax.random.split(jax.random.PRNGKey(3), 4))
    batch = jax.vmap(learner.update, in_axes=(0, None))(states, transition(1))[0]
    assert batch.logits.shape == (4, 3) and bool(jnp.all(jnp.isfinite(batch.logits)))


@pytest.mark.parametrize("name", presets().names())
def test_presets_hold_frozen_configs_and_valid_cells(name):
    preset = presets().make(name)
    assert dataclasses.is_dataclass(preset.config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        preset.config.seeds = 1
    assert preset.name == preset.group or preset.name.startswith(preset.group + "-")
    assert preset.description
    cells = preset.cells(preset.config)
    labels = [c.label for c in cells]
    assert len(set(labels)) == len(labels)  # every cell is its own row of metrics.csv


@pytest.mark.parametrize("game_name", ["ipd", "continuous"])
@pytest.mark.parametrize("name", STRATEGIES.names())
def test_strategies_compile_once_vmap_repeat_and_stay_in_their_space(name, game_name):
    game = DEGREE_GAMES.make(game_name, **({"noise": 0.1} if game_name == "continuous" else {}))
    me, you = STRATEGIES.make(name, game=game), STRATEGIES.make("random", game=game)
    run = jax.jit(jax.vmap(lambda k: play_match(game, me, you, k, 30)))
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    first = run(keys)
    second = run(jax.random.split(jax.random.PRNGKey(1), 3))
    assert run._cache_size() == 1  # new keys, same shapes: no recompilation
    jax.tree.map(np.testing.assert_array_equal, first, run(keys))  # same key, same match
    assert first.levels.shape == (3, 30, 2) and first.probes.shape == (3, 30, 2, 2)
    levels = np.asarray(first.levels[..., 0])
    assert ((levels >= 0) & (levels <= 1)).all()
    assert np.isfinite(first.rewards).all() and np.isfinite(second.rewards).all()
    probes = np.asarray(first.probes[..., 0, :])
    assert (np.isnan(probes) | ((probes >= 0) & (probes <= 1))).all()
