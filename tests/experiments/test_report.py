"""report(): one table of mean ± 95% CI over hand-made run directories."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from prosocial.errors import ProsocialError
from prosocial.experiments.report import collect, report, stat

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_run(
    root: Path,
    name: str,
    config: dict,
    cells: dict[str, dict[str, list]] | None,
    preset: str = "amd-figure-4.1",
) -> Path:
    """A run directory in the format prosocial writes (docs/experiments.md); ``cells=None``:
    incomplete."""
    run = root / name
    (run / "checkpoint").mkdir(parents=True)
    (run / "config.json").write_text(
        json.dumps(
            {
                "preset": preset,
                "config": config,
                "run": {"checkpoint_every": 100},
                "version": "0.1.0",
            }
        )
    )
    (run / "metrics.csv").write_text("cell,seed,episode,amd/p_coop\n")
    if cells is not None:
        summary = {
            "preset": preset,
            "x": "episode",
            "cells": {
                label: {"meta": {"game": label}, "finals": finals, "stats": {}}
                for label, finals in cells.items()
            },
            "tables": [],
            "bars": {},
            "diverged": None,
        }
        (run / "summary.json").write_text(json.dumps(summary))
    return run


def half_width(values: list[float]) -> float:
    n = len(values)
    mean = sum(values) / n
    s = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return 1.96 * s / math.sqrt(n)


BASE = {"episodes": 200, "learner_lr": 0.01, "seeds": 3, "seed": 0, "games": ["pd", "chicken"]}


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    root = tmp_path / "sweep"
    # cost = 0: two runs (different PRNG seeds) that must be pooled: 3 + 2 seeds.
    make_run(
        root / "runs",
        "cost=0-a",
        {**BASE, "cost": 0.0},
        {
            "pd": {"p_coop": [0.1, 0.2, 0.6], "reward": [1.0, 2.0, 3.0]},
            "chicken": {"p_coop": [0.5, 0.5, 0.5], "reward": [0.0, 0.0, 1.0]},
        },
    )
    make_run(
        root / "runs",
        "cost=0-b",
        {**BASE, "cost": 0.0, "seed": 7, "seeds": 2},
        {
            "pd": {"p_coop": [0.3, 0.9], "reward": [4.0, 5.0]},
            "chicken": {"p_coop": [0.7, 0.9], "reward": [1.0, 1.0]},
        },
    )
    # cost = 0.0002: one run of one seed (no CI).
    make_run(
        root / "runs",
        "cost=0.0002",
        {**BASE, "cost": 0.0002, "seeds": 1},
        {"pd": {"p_coop": [0.8], "reward": [2.5]}, "chicken": {"p_coop": [0.25], "reward": [3.0]}},
    )
    # An incomplete run and a run with a malformed summary.json.
    make_run(root / "runs", "cost=1", {**BASE, "cost": 1.0}, None)
    broken = make_run(root / "runs", "cost=2", {**BASE, "cost": 2.0}, None)
    (broken / "summary.json").write_text("{not json")
    return root


def test_stat_matches_hand_computation():
    s = stat([0.1, 0.2, 0.6])
    assert s.n == 3
    assert s.mean == pytest.approx(0.3)
    assert s.std == pytest.approx(math.sqrt(((0.2) ** 2 + 0.1**2 + 0.3**2) / 2))
    assert s.ci95 == pytest.approx(1.96 * s.std / math.sqrt(3))
    one = stat([0.8])
    assert (one.mean, one.ci95, one.n) == (0.8, None, 1)


def test_collect_lists_incomplete_and_malformed(runs: Path):
    found = {r.path.name: r for r in collect([runs])}
    assert set(found) == {"cost=0-a", "cost=0-b", "cost=0.0002", "cost=1", "cost=2"}
    assert found["cost=1"].status == "incomplete"
    assert found["cost=2"].status == "malformed"
    assert "summary.json" in found["cost=2"].problem
    assert sum(r.complete for r in found.values()) == 3
    # A run directory given directly is found too, and its checkpoint/ is not searched.
    (runs / "runs" / "cost=0-a" / "checkpoint" / "config.json").write_text("{}")
    direct = collect([runs / "runs" / "cost=0-a"])
    assert [r.path.name for r in direct] == ["cost=0-a"]


def test_report_pools_seeds_and_computes_ci(runs: Path, tmp_path: Path):
    out = tmp_path / "out"
    rep = report([runs], out)
    assert rep.fields == ["cost"]  # seed/seeds differ too, but they are pooled
    assert rep.varying == {"amd-figure-4.1": ["cost"]}
    assert rep.finals == ["p_coop", "reward"]
    keyed = {(r.fields["cost"], r.cell): r for r in rep.rows}
    assert list(keyed) == [("0", "pd"), ("0", "chicken"), ("0.0002", "pd"), ("0.0002", "chicken")]

    pd0 = keyed[("0", "pd")]
    pooled = [0.1, 0.2, 0.6, 0.3, 0.9]
    assert pd0.stats["p_coop"].n == 5
    assert pd0.stats["p_coop"].mean == pytest.approx(sum(pooled) / 5)
    assert pd0.stats["p_coop"].ci95 == pytest.approx(half_width(pooled))
    assert pd0.stats["reward"].mean == pytest.approx(3.0)
    assert pd0.stats["reward"].ci95 == pytest.approx(half_width([1, 2, 3, 4, 5]))
    assert {p.name for p in pd0.runs} == {"cost=0-a", "cost=0-b"}
    ch0 = keyed[("0", "chicken")]
    assert ch0.stats["p_coop"].mean == pytest.approx(0.62)
    assert ch0.stats["p_coop"].ci95 == pytest.approx(half_width([0.5, 0.5, 0.5, 0.7, 0.9]))

    single = keyed[("0.0002", "pd")].stats["p_coop"]
    assert (single.mean, single.ci95, single.n) == (0.8, None, 1)

    # report.json holds the same numbers.
    data = json.loads((out / "report.json").read_text())
    row = next(r for r in data["rows"] if r["fields"]["cost"] == "0" and r["cell"] == "pd")
    assert row["finals"]["p_coop"]["mean"] == pytest.approx(0.42)
    assert row["finals"]["p_coop"]["ci95"] == pytest.approx(half_width(pooled))
    assert row["finals"]["p_coop"]["n"] == 5
    one = next(r for r in data["rows"] if r["fields"]["cost"] == "0.0002" and r["cell"] == "pd")
    assert one["finals"]["p_coop"]["ci95"] is None
    assert {r["status"] for r in data["runs"]} == {"complete", "incomplete", "malformed"}

    # report.md: the table with "mean ± h", "–" for the CI of a single seed, the skipped runs.
    md = (out / "report.md").read_text()
    assert md == rep.markdown
    assert "## amd-figure-4.1\n\n| cost | cell | n | p_coop | reward |" in md
    assert f"| 0 | pd | 5 | 0.42 ± {half_width(pooled):.4g} |" in md
    assert "| 0.0002 | pd | 1 | 0.8 ± – | 2.5 ± – |" in md
    assert "fields that vary: `cost`" in md
    assert "cost=1`: incomplete" in md and "cost=2`: malformed" in md

    png = out / "report.png"
    assert rep.paths == [out / "report.md", out / "report.json", png]
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 2000
    assert rep.figure_final == "p_coop"


def test_report_detects_several_varying_fields(tmp_path: Path):
    root = tmp_path / "runs"
    for lr in (0.01, 0.02):
        for cost in (0, 0.0002):
            make_run(
                root,
                f"lr={lr},cost={cost}",
                {**BASE, "learner_lr": lr, "cost": cost},
                {"pd": {"p_coop": [lr, cost, 1.0]}},
            )
    rep = report([root], None, final="p_coop")
    assert rep.fields == ["learner_lr", "cost"]
    assert rep.paths == []
    assert [(r.fields["learner_lr"], r.fields["cost"]) for r in rep.rows] == [
        ("0.01", "0"),
        ("0.01", "0.0002"),
        ("0.02", "0"),
        ("0.02", "0.0002"),
    ]
    assert all(r.stats["p_coop"].n == 3 for r in rep.rows)
    assert rep.rows[3].stats["p_coop"].mean == pytest.approx((0.02 + 0.0002 + 1) / 3)
    assert "| learner_lr | cost | cell | n | p_coop |" in rep.markdown


def test_identical_configs_without_variation_pool_into_one_row(tmp_path: Path):
    make_run(tmp_path, "a", BASE, {"pd": {"x": [1.0, 2.0]}})
    make_run(tmp_path, "b", {**BASE, "seed": 1}, {"pd": {"x": [3.0]}})
    rep = report([tmp_path / "a", tmp_path / "b"], tmp_path / "out")
    assert rep.fields == []
    assert len(rep.rows) == 1
    assert rep.rows[0].stats["x"].mean == pytest.approx(2.0)
    assert rep.rows[0].stats["x"].ci95 == pytest.approx(half_width([1.0, 2.0, 3.0]))
    assert "none (every run has one config)" in rep.markdown


def test_path_without_run_is_one_line_error(tmp_path: Path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "notes.json").write_text("{}")
    with pytest.raises(ProsocialError) as err:
        report([tmp_path / "empty"], tmp_path / "out")
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / "empty") in message
    with pytest.raises(ProsocialError, match="is not a directory"):
        collect([tmp_path / "missing"])
    assert not (tmp_path / "out").exists()


def test_only_incomplete_runs_is_an_error_not_a_crash(tmp_path: Path):
    make_run(tmp_path, "a", BASE, None)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "config.json").write_text("[1, 2")
    runs = collect([tmp_path])
    assert [r.status for r in runs] == ["incomplete", "malformed"]
    with pytest.raises(ProsocialError, match="none of the 2 run directories"):
        report([tmp_path])


def test_unknown_final_names_the_field(runs: Path):
    with pytest.raises(ProsocialError, match=r"^final: 'welfare' is not a final"):
        report([runs], None, final="welfare")


def test_nan_finals_are_read_and_reported(tmp_path: Path):
    make_run(tmp_path, "a", BASE, {"pd": {"x": [1.0, "nan"], "y": ["inf", 1.0]}})
    rep = report([tmp_path], tmp_path / "out")
    assert math.isnan(rep.rows[0].stats["x"].mean)
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["rows"][0]["finals"]["x"]["mean"] == "nan"
    assert data["rows"][0]["finals"]["y"]["mean"] == "inf"
    assert (tmp_path / "out" / "report.png").read_bytes()[:8] == PNG_MAGIC
