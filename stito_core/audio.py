"""The one audio value that crosses the engine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Audio:
    """Float32 samples shaped (channels, frames) at ``sample_rate`` Hz; 1 or 2 channels.

    Built by :mod:`stito_core.audio_io`; effects return a new ``Audio`` and never change one in place.
    """

    samples: np.ndarray
    sample_rate: int

    @property
    def channels(self) -> int:
        """Number of channels (1 or 2)."""
        return int(self.samples.shape[0])

    @property
    def frames(self) -> int:
        """Length in frames (samples per channel)."""
        return int(self.samples.shape[1])

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate

    def with_samples(self, samples: np.ndarray) -> Audio:
        """A new ``Audio`` at the same rate holding ``samples`` (channels, frames), cast to float32."""
        return Audio(np.ascontiguousarray(samples, dtype=np.float32), self.sample_rate)

    def stereo(self) -> Audio:
        """This audio as two channels (mono is duplicated, dual-mono)."""
        if self.channels == 2:
            return self
        return self.with_samples(np.repeat(self.samples, 2, axis=0))

    def peak_db(self) -> float:
        """Sample peak in dBFS (-inf for digital silence)."""
        peak = float(np.max(np.abs(self.samples))) if self.samples.size else 0.0
        return 20.0 * np.log10(peak) if peak > 0 else float("-inf")
