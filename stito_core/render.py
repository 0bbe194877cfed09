"""Render one generation of candidates through a chain, concurrently, and measure what was rendered."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .audio import Audio
from .chain import Chain


def default_workers() -> int:
    """Render threads: one per core (pedalboard and LADSPA calls release the GIL)."""
    return max(1, os.cpu_count() or 1)


def render_generation(chain: Chain, excerpts: Sequence[Audio], candidates: np.ndarray, enabled: np.ndarray,
                      pool: ThreadPoolExecutor) -> list[Audio]:
    """Every excerpt through ``chain`` once per row of ``candidates`` (normalised 0-1) with that row's
    on/off flags of ``enabled`` (candidates, effects): candidate-major, excerpt-minor order."""
    return list(pool.map(lambda job: chain.render(job[2], job[0], job[1]), _jobs(excerpts, candidates, enabled)))


def _jobs(excerpts: Sequence[Audio], candidates: np.ndarray,
          enabled: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, Audio]]:
    """(candidate, its on/off flags, excerpt) for every render of a generation, candidate-major."""
    return [(x, on, audio) for x, on in zip(candidates, enabled) for audio in excerpts]


def measure_generation(chain: Chain, excerpts: Sequence[Audio], candidates: np.ndarray, enabled: np.ndarray,
                       pool: ThreadPoolExecutor,
                       measure: Callable[[Audio], np.ndarray]) -> tuple[np.ndarray, float, float]:
    """:func:`render_generation`, each render measured by ``measure`` in the thread that made it (the
    features of two candidates are computed on two cores). Returns (rows in the same order, as one array;
    seconds spent rendering and measuring, summed over threads)."""
    def job(task: tuple[np.ndarray, np.ndarray, Audio]) -> tuple[np.ndarray, float, float]:
        start = time.perf_counter()
        rendered = chain.render(task[2], task[0], task[1])
        middle = time.perf_counter()
        return measure(rendered), middle - start, time.perf_counter() - middle

    done = list(pool.map(job, _jobs(excerpts, candidates, enabled)))
    return np.stack([row for row, _, _ in done]), sum(d[1] for d in done), sum(d[2] for d in done)
