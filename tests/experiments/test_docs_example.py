"""The worked example of docs/experiments.md runs as written: a new table as data."""

import json
import re
from pathlib import Path

from prosocial import experiments

DOC = Path(__file__).resolve().parents[2] / "docs" / "experiments.md"


def test_the_new_table_of_the_docs_registers_and_runs(tmp_path):
    text = DOC.read_text()
    section = text[text.index("## A new table as data") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    registry = experiments.presets()
    if "amd-cost" not in registry:
        exec(compile(code, str(DOC), "exec"), {})
    assert "amd-cost" in experiments.groups()["amd"]
    overrides = {
        "costs": "0,0.02",
        "games": "prisoners_dilemma",
        "seeds": "2",
        "episodes": "200",
        "log_every": "20",
    }
    run = experiments.run_preset("amd-cost", overrides, out=tmp_path)
    summary = json.loads((run / "summary.json").read_text())
    (table,) = summary["tables"]
    assert [r[:2] for r in table["rows"]] == [
        ["Prisoner's Dilemma", "0"],
        ["Prisoner's Dilemma", "0.02"],
    ]
    assert (run / "figures" / "cost.png").stat().st_size > 5_000
