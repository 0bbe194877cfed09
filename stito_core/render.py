"""Render one generation of candidates through a chain, concurrently."""

from __future__ import annotations

import os
from collections.abc import Sequence
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
    jobs = [(x, on, audio) for x, on in zip(candidates, enabled) for audio in excerpts]
    return list(pool.map(lambda job: chain.render(job[2], job[0], job[1]), jobs))
