"""Integrated loudness (ITU-R BS.1770-4, in LUFS) through pyloudnorm, and the gains that play several
recordings at one loudness (a loudness-matched A/B: a louder version cannot win by level)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pyloudnorm

from .audio import Audio

#: BS.1770's gating block (seconds): shorter audio is measured repeated to this length.
BLOCK_S = 0.4


def integrated_lufs(samples: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS of (channels, frames) audio at ``sample_rate`` Hz (K-weighting, 400 ms
    blocks, absolute and relative gates); audio shorter than a block is measured repeated to one block;
    silence gives -inf."""
    samples = np.asarray(samples, dtype=np.float64)
    block = int(np.ceil(BLOCK_S * sample_rate)) + 1
    if samples.shape[1] < block:
        samples = np.resize(samples, (samples.shape[0], block))
    with np.errstate(divide="ignore"):
        return float(_meter(sample_rate).integrated_loudness(samples.T))


@functools.lru_cache(maxsize=8)
def _meter(sample_rate: int) -> pyloudnorm.Meter:
    return pyloudnorm.Meter(sample_rate)


def matched_gains_db(recordings: Sequence[Audio]) -> list[float]:
    """Gain in dB for each recording that brings all to the loudness of the quietest (so none is raised
    and none clips); silent recordings get 0 dB."""
    levels = [integrated_lufs(a.samples, a.sample_rate) for a in recordings]
    finite = [lv for lv in levels if np.isfinite(lv)]
    quietest = min(finite) if finite else 0.0
    return [float(quietest - lv) if np.isfinite(lv) else 0.0 for lv in levels]
