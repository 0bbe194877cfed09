"""Benchmarks behind ``stito bench TASK``: each returns a printable table and JSON-ready data."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..encoders import Encoder, load_encoder
from ..errors import StitoError


@dataclass(frozen=True)
class Report:
    """A finished benchmark: its name, a Markdown table for people, the numbers for JSON, and the PNG
    plots it wrote (file names inside the plot folder it was given)."""

    task: str
    table: str
    data: dict[str, Any]
    plots: tuple[str, ...] = ()


def _lazy(module: str, function: str) -> Callable[[bool, Path | None], Report]:
    """A runner that imports its task module only when the task runs."""
    def run(quick: bool, plot_dir: Path | None) -> Report:
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)(quick, plot_dir)
    return run


#: Task name -> runner(quick, plot_dir) -> Report, in the order ``stito bench all`` runs them.
TASKS: dict[str, Callable[[bool, Path | None], Report]] = {
    "style-classification": _lazy("classification", "run_classification"),
    "style-retrieval": _lazy("retrieval", "run_retrieval"),
    "param-estimation": _lazy("param_estimation", "run_param_estimation"),
    "style-transfer": _lazy("transfer", "run_transfer"),
    "speed": _lazy("speed", "run_speed"),
}


def bench_encoders() -> list[Encoder]:
    """The encoders every quality benchmark compares: the shipped AFx-Rep, an untrained AFx-Rep of the same
    shape (a control), the MFCC baseline and the MIR-feature baseline."""
    return [load_encoder(n) for n in ("afx-rep", "afx-rep-untrained:small", "mfcc", "mir")]


def run_task(task: str, quick: bool = False, plot_dir: Path | None = None) -> Report:
    """Run one benchmark by name; ``quick`` is a small size for tests; plots go to ``plot_dir`` when given."""
    if task not in TASKS:
        msg = f"unknown benchmark '{task}'; valid: {', '.join(TASKS)}"
        raise StitoError(msg)
    return TASKS[task](quick, plot_dir)


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; floats are shown with 3 significant decimals."""
    def cell(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows])
