"""LASE's stage-game analysis: the gifted advantage against its hand-derived closed form,
and the theory preset through the batched runner: from random starts, the roots q* = 0.8
(LASE's IPD) and 0.75 (the same game rescaled)."""

import jax.numpy as jnp
import numpy as np
import pytest

from prosocial.learners.lase import stage_advantage


def closed_form(R, S, T, P, q):
    """Hand-derived for a prisoner's dilemma: i gives j the share 1 − q of its reward
    whenever j cooperates, nothing otherwise."""
    return q * R + (1 - q) * S + (1 - q) ** 2 * T - q**2 * T - (1 - q) * P


@pytest.mark.parametrize("payoffs", [(4, 0, 5, 1), (1, -1 / 3, 4 / 3, 0), (3, -2, 7, 0)])
def test_gifted_advantage_matches_the_closed_form_in_prisoners_dilemmas(payoffs):
    R, S, T, P = payoffs
    row = jnp.array([[R, S], [T, P]], jnp.float32)
    for q in (0.0, 0.1, 0.5, 0.8, 0.95, 1.0):
        assert float(stage_advantage(row, q)) == pytest.approx(closed_form(R, S, T, P, q), abs=1e-5)


def test_the_theory_preset_runs_its_grid_as_one_batch():
    from prosocial.experiments.program import Batch
    from prosocial.experiments.spec import CellData
    from prosocial.experiments.ssd.lase_theory import (
        IPD_LABEL,
        PROGRAM,
        RESCALED,
        THEORY_FINALS,
        TheoryConfig,
        _theory_cells,
        region_means,
    )

    cfg = TheoryConfig(grid=3, steps=3000, log_every=1000, seeds=3)
    cells = _theory_cells(cfg)
    assert len(cells) == 3 * 3 + 2
    batch = Batch(PROGRAM, [c.config for c in cells])
    state = batch.init()
    state, metrics = batch.advance(state, 4)  # rows 0 (the start) to 3000 steps
    assert np.asarray(metrics["step"])[0, 0].tolist() == [0, 1000, 2000, 3000]
    results = {
        c.label: CellData(c, {k: np.asarray(v)[i] for k, v in metrics.items()}, np.arange(4))
        for i, c in enumerate(cells)
    }
    ipd = results[IPD_LABEL]
    np.testing.assert_allclose(THEORY_FINALS["lase"](ipd), 0.8, atol=2e-3)
    np.testing.assert_allclose(THEORY_FINALS["selfish"](ipd), 0.0, atol=1e-3)  # defection
    # the same game with R = 1, P = 0: gifts are shares, so a different root
    rescaled = results["T={:.2f},S={:.2f}".format(*RESCALED)]
    np.testing.assert_allclose(THEORY_FINALS["lase"](rescaled), 0.75, atol=2e-3)
    # past its steps a cell stands still
    _, more = batch.advance(state, 1)
    np.testing.assert_array_equal(
        np.asarray(more["stage/lase"])[:, :, 0], metrics["stage/lase"][:, :, -1]
    )
    # the grid's corners: T = 2, S = −1 is a prisoner's dilemma; T = 0, S = 1 harmony
    entry, md = region_means(results, cfg)
    assert entry["prisoner's dilemma"]["selfish"] == pytest.approx(0.0, abs=1e-3)
    assert entry["prisoner's dilemma"]["lase"] > 0.3
    assert entry["harmony"]["selfish"] == pytest.approx(1.0, abs=1e-3)
    assert "| prisoner's dilemma | 1 |" in md
