"""Cutting audio to a length: the loudest excerpt of a long file, or an exact frame count."""

from __future__ import annotations

import numpy as np

from .audio import Audio

#: Step in seconds between candidate excerpt starts; starts are aligned to it.
HOP_S = 0.01


def excerpt_bounds(audio: Audio, seconds: float) -> tuple[int, int]:
    """(start, stop) frames of the ``seconds``-long window with the most energy over all channels.

    The start is a multiple of a hop of ~``HOP_S`` seconds (at most the excerpt's length); window
    energy comes from a cumulative sum of per-hop energies, so it covers the window to within one
    hop. Audio no longer than ``seconds`` gives (0, frames).
    """
    if seconds <= 0:
        raise ValueError(f"excerpt length must be positive, got {seconds} s")
    length = max(1, int(round(seconds * audio.sample_rate)))
    if length >= audio.frames:
        return 0, audio.frames
    hop = max(1, min(int(round(HOP_S * audio.sample_rate)), length))
    hops = audio.frames // hop
    blocks = audio.samples[:, : hops * hop].reshape(audio.channels, hops, hop)
    cumulative = np.concatenate(([0.0], np.cumsum(np.einsum("chf,chf->h", blocks, blocks), dtype=np.float64)))
    span = length // hop
    last = (audio.frames - length) // hop
    energy = cumulative[span : last + 1 + span] - cumulative[: last + 1]
    start = int(np.argmax(energy)) * hop
    return start, start + length


def loudest_excerpt(audio: Audio, seconds: float) -> Audio:
    """The ``seconds``-long window of ``audio`` with the most energy (see ``excerpt_bounds``);
    ``audio`` itself when it is no longer than ``seconds``."""
    start, stop = excerpt_bounds(audio, seconds)
    if (start, stop) == (0, audio.frames):
        return audio
    return audio.with_samples(audio.samples[:, start:stop])


def fit_length(audio: Audio, frames: int) -> Audio:
    """``audio`` trimmed, or zero-padded at the end, to exactly ``frames`` frames."""
    if frames < 0:
        raise ValueError(f"frame count must not be negative, got {frames}")
    if frames == audio.frames:
        return audio
    if frames < audio.frames:
        return audio.with_samples(audio.samples[:, :frames])
    return audio.with_samples(np.pad(audio.samples, ((0, 0), (0, frames - audio.frames))))
