"""What every encoder offers: embeddings of audio, unit-norm per mid/side half."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from ..audio import Audio
from ..audio_io import as_audio, resample

#: Side channels this far below mid (dB) count as absent (mono or dual-mono input).
MONO_SIDE_DB = -60.0
#: Items embedded per forward pass: small chunks stay in cache and run faster on CPU than one big batch.
CHUNK_ITEMS = 4


def mid_side(batch: np.ndarray) -> np.ndarray:
    """(items, 2, frames) stereo -> (items, 2, frames) of mid (L+R)/2 and side (L-R)/2, each peak-normalised.

    Where the side is absent (more than 60 dB below mid, as for mono input) it is replaced by the mid,
    so digital silence at the spectrogram's floor never enters the cosine; this matches the authors'
    side = mid for mono input.
    """
    mid = 0.5 * (batch[:, 0] + batch[:, 1])
    side = 0.5 * (batch[:, 0] - batch[:, 1])
    rms_mid = np.sqrt(np.mean(mid**2, axis=-1, keepdims=True)) + 1e-12
    rms_side = np.sqrt(np.mean(side**2, axis=-1, keepdims=True))
    side = np.where(rms_side < rms_mid * 10 ** (MONO_SIDE_DB / 20), mid, side)
    pair = np.stack([mid, side], axis=1)
    return pair / (np.max(np.abs(pair), axis=-1, keepdims=True) + 1e-9)


class Encoder(ABC):
    """Maps audio to an embedding whose mid and side halves are each L2-normalised."""

    #: Short id used in tables and parameter files, e.g. ``"afx-rep"`` or ``"mfcc"``.
    name: str
    #: The rate (Hz) the encoder analyses at; other rates are resampled first.
    sample_rate: int

    @abstractmethod
    def _embed_pairs(self, pairs: np.ndarray) -> np.ndarray:
        """(items, 2, frames) peak-normalised mid/side waveforms -> (items, 2, dim) unnormalised halves."""

    def embed_audio(self, items: Sequence[Audio]) -> np.ndarray:
        """(items, 2 * dim) float32 embeddings; items of one length are embedded in one batch."""
        ready = [resample(a.stereo(), self.sample_rate) for a in items]
        out: list[np.ndarray | None] = [None] * len(ready)
        for frames in sorted({a.frames for a in ready}):
            same = [i for i, a in enumerate(ready) if a.frames == frames]
            for index in (same[k:k + CHUNK_ITEMS] for k in range(0, len(same), CHUNK_ITEMS)):
                self._embed_chunk(ready, index, out)
        return np.stack(out).astype(np.float32)

    def _embed_chunk(self, ready: list[Audio], index: list[int], out: list[np.ndarray | None]) -> None:
        """Embed ``ready[i]`` for i in ``index`` (all the same length) into ``out``."""
        halves = self._embed_pairs(mid_side(np.stack([ready[i].samples for i in index])))
        halves = halves / (np.linalg.norm(halves, axis=-1, keepdims=True) + 1e-12)
        for i, row in zip(index, halves.reshape(len(index), -1)):
            out[i] = row

    def embed(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Contract edge: a (channels, frames) or (frames,) array at ``sample_rate`` Hz -> 1-D embedding."""
        return self.embed_audio([as_audio(audio, sample_rate)])[0]

    def embed_batch(self, audios: Sequence[np.ndarray], sample_rate: int) -> np.ndarray:
        """Contract edge: arrays at ``sample_rate`` Hz -> (items, dim) embeddings."""
        return self.embed_audio([as_audio(a, sample_rate) for a in audios])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} at {self.sample_rate} Hz>"
