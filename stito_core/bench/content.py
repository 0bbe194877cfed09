"""Benchmark content built from the example audio shipped with the package (no reserved data)."""

from __future__ import annotations

import numpy as np

from ..audio import Audio
from ..audio_io import read_audio, resample
from ..shipped import EXAMPLES_DIR


def example(name: str, sample_rate: int = 48000) -> Audio:
    """A shipped example (``input``, ``reference``, ``music_input``, ``music_reference``) at ``sample_rate`` Hz."""
    return resample(read_audio(EXAMPLES_DIR / f"{name}.flac"), sample_rate)


def stereo_mix(seconds: float, sample_rate: int = 48000) -> Audio:
    """``seconds`` of stereo programme: the example music and speech tiled, panned apart, at ``sample_rate`` Hz."""
    frames = int(seconds * sample_rate)
    music = np.resize(example("music_input", sample_rate).samples[0], frames)
    speech = np.resize(example("input", sample_rate).samples[0], frames)
    left, right = 0.7 * music + 0.3 * speech, 0.3 * music + 0.7 * speech
    pair = np.stack([left, right])
    return Audio((0.9 * pair / np.max(np.abs(pair))).astype(np.float32), sample_rate)
