"""``summary.md``: the tables of a summary as Markdown, ours beside the paper's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def markdown_cell(value: Any) -> str:
    """``value`` as the text of one table cell: ``|`` escaped as ``\\|`` (a column break
    otherwise), line breaks as spaces."""
    return " ".join(str(value).splitlines()).replace("|", "\\|")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; every cell goes through :func:`markdown_cell`."""

    def line(cells: Sequence[Any]) -> str:
        return "| " + " | ".join(markdown_cell(c) for c in cells) + " |"

    lines = [line(header), "|" + "---|" * len(header)]
    lines += [line(row) for row in rows]
    return "\n".join(lines) + "\n"


def _table(t: Mapping[str, Any]) -> str:
    parts = [f"# {t['title']}\n"]
    if t["intro"]:
        parts.append(t["intro"].strip() + "\n")
    paper = t.get("paper")
    if paper:
        spread = {"ci95": "mean ± 95% CI", "std": "mean ± std", "single": "one run"}
        parts.append(f"Paper: {paper['source']} ({spread[paper['spread']]}).")
        if paper["not_run_by_paper"]:
            parts.append(
                " No paper number for rows whose setting the paper did not run: "
                + "; ".join(paper["not_run_by_paper"])
                + "."
            )
        parts.append("\n")
    parts.append(markdown_table(t["header"], t["rows"]))
    if t["flags"]:
        parts.append(
            "\n† outside the paper's 95% interval:\n\n"
            + "\n".join(f"- {f}" for f in t["flags"])
            + "\n"
        )
    for note in t["notes"]:
        parts.append("\n" + note.strip() + "\n")
    if t["bars"]:
        parts.append(
            "\n## Bars\n\n"
            + "\n".join(
                f"- {b['text']}: {'**met**' if b['met'] else '**not met**'} ({b['value']})"
                for b in t["bars"]
            )
            + "\n"
        )
    return "\n".join(parts)


def markdown(summary: Mapping[str, Any], extra: Sequence[str] = ()) -> str:
    """The whole ``summary.md``: a divergence notice, every table, then the analyses."""
    parts = []
    diverged = summary.get("diverged")
    if diverged:
        parts.append(f"**Diverged:** {diverged['text']}; the tables hold what it had.\n")
    parts += [_table(t) for t in summary["tables"]]
    parts += [md for md in extra if md]
    return "\n".join(parts)
