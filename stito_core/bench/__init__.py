"""Benchmarks behind ``stito bench TASK``: each returns a printable table and JSON-ready data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import StitoError


@dataclass(frozen=True)
class Report:
    """A finished benchmark: its name, a Markdown table for people and the numbers for JSON."""

    task: str
    table: str
    data: dict[str, Any]


def _speed(quick: bool) -> Report:
    from .speed import run_speed
    return run_speed(quick)


#: Task name -> runner(quick) -> Report.
TASKS: dict[str, Callable[[bool], Report]] = {"speed": _speed}


def run_task(task: str, quick: bool = False) -> Report:
    """Run one benchmark by name; ``quick`` is a small size for tests."""
    if task not in TASKS:
        msg = f"unknown benchmark '{task}'; valid: {', '.join(TASKS)}"
        raise StitoError(msg)
    return TASKS[task](quick)


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; floats are shown with 3 significant decimals."""
    def cell(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows])
