"""Render one generation of candidates through a chain, concurrently."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .audio import Audio
from .chain import Chain


def default_workers() -> int:
    """Render threads: one per core (pedalboard and LADSPA calls release the GIL)."""
    return max(1, os.cpu_count() or 1)


def render_generation(chain: Chain, audio: Audio, candidates: np.ndarray, pool: ThreadPoolExecutor) -> list[Audio]:
    """``audio`` through ``chain`` once per row of ``candidates`` (normalised 0-1), in row order."""
    return list(pool.map(lambda x: chain.render(audio, x), candidates))
