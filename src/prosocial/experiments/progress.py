"""Progress as plain lines, for runs whose output is not a terminal.

A bar redraws one line in place, which a log file (``prosocial run ... > log``, ``nohup``,
a cluster's job output) cannot show: rich draws nothing there until the run ends.
:class:`LineProgress` has the part of ``rich.progress.Progress``'s interface the runner
uses (``add_task``, ``update``, ``stop``, a context manager) and writes one line per task
when it starts and whenever it passes another tenth of its rows, with the time elapsed::

    amd-coin-game: 5 cells × 5 seeds  started, 0 of 500 rows
    amd-coin-game: 5 cells × 5 seeds  10%  50 of 500 rows  0:01:12
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

STEPS = 10
"""Lines per task: one each time it passes another ``1/STEPS`` of its rows."""


@dataclass
class _Task:
    label: str
    total: int
    completed: int
    start: float = field(default_factory=time.monotonic)

    def step(self) -> int:
        return STEPS * self.completed // self.total if self.total > 0 else STEPS


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class LineProgress:
    """One line per tenth of each task's rows on ``file`` (standard error by default)."""

    def __init__(self, file: TextIO | None = None):
        self._file = file
        self._tasks: list[_Task] = []

    def _write(self, text: str) -> None:
        print(text, file=self._file if self._file is not None else sys.stderr, flush=True)

    def add_task(self, description: str, total: int, completed: int = 0) -> int:
        task = _Task(description, int(total), int(completed))
        self._tasks.append(task)
        verb = "resumed at" if completed else "started,"
        self._write(f"{description}  {verb} {task.completed} of {task.total} rows")
        return len(self._tasks) - 1

    def update(self, task_id: int, completed: int) -> None:
        task = self._tasks[task_id]
        before = task.step()
        task.completed = int(completed)
        if task.step() > before:
            elapsed = _clock(time.monotonic() - task.start)
            percent = 100 * task.completed // max(task.total, 1)
            self._write(
                f"{task.label}  {percent}%  {task.completed} of {task.total} rows  {elapsed}"
            )

    def stop(self) -> None:
        """Nothing to take down: every line is already written."""

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
