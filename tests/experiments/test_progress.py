"""Progress as lines where the output is not a terminal."""

import io
import re

from prosocial.experiments.progress import LineProgress


def _lines(buffer: io.StringIO) -> list[str]:
    return buffer.getvalue().splitlines()


def test_a_line_at_the_start_and_at_each_tenth_passed():
    out = io.StringIO()
    with LineProgress(out) as progress:
        task = progress.add_task("cells", total=60)
        for done in range(6, 61, 3):  # chunks of 3 rows: 19 updates, 10 tenths passed
            progress.update(task, completed=done)
    lines = _lines(out)
    assert lines[0] == "cells  started, 0 of 60 rows"
    percents = [int(re.search(r"  (\d+)%  ", line).group(1)) for line in lines[1:]]
    assert percents == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert re.fullmatch(r"cells  100%  60 of 60 rows  \d+:\d\d:\d\d", lines[-1])


def test_a_chunk_that_jumps_several_tenths_writes_one_line_and_a_repeat_writes_none():
    out = io.StringIO()
    progress = LineProgress(out)
    task = progress.add_task("big", total=7, completed=2)
    progress.update(task, completed=2)  # no new tenth
    progress.update(task, completed=6)  # from 2/7 (2 tenths) to 6/7 (8 tenths)
    progress.update(task, completed=7)
    lines = _lines(out)
    assert lines[0] == "big  resumed at 2 of 7 rows"
    assert [line.split("  ")[1] for line in lines[1:]] == ["85%", "100%"]


def test_tasks_keep_their_own_counts():
    out = io.StringIO()
    progress = LineProgress(out)
    a = progress.add_task("a", total=2)
    b = progress.add_task("b", total=4)
    progress.update(b, completed=1)
    progress.update(a, completed=1)
    assert [line.split("  ")[:2] for line in _lines(out)[2:]] == [["b", "25%"], ["a", "50%"]]
