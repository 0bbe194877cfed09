"""Cutting audio to a length: the loudest excerpt of a long file, what lies outside it, sections that
stand for the whole, or an exact frame count."""

from __future__ import annotations

import numpy as np

from .audio import Audio

#: Step in seconds between candidate excerpt starts; starts are aligned to it.
HOP_S = 0.01


def _window_energies(audio: Audio, length: int) -> tuple[np.ndarray, int]:
    """(energy of the ``length``-frame window starting at each hop, hop in frames); window energy comes
    from a cumulative sum of per-hop energies over all channels, so it covers the window to within one hop."""
    hop = max(1, min(int(round(HOP_S * audio.sample_rate)), length))
    hops = audio.frames // hop
    blocks = audio.samples[:, : hops * hop].reshape(audio.channels, hops, hop)
    cumulative = np.concatenate(([0.0], np.cumsum(np.einsum("chf,chf->h", blocks, blocks), dtype=np.float64)))
    span, last = length // hop, (audio.frames - length) // hop
    return cumulative[span : last + 1 + span] - cumulative[: last + 1], hop


def _length(audio: Audio, seconds: float) -> int:
    """``seconds`` in frames (at least one); refuses a non-positive length."""
    if seconds <= 0:
        raise ValueError(f"excerpt length must be positive, got {seconds} s")
    return max(1, int(round(seconds * audio.sample_rate)))


def excerpt_bounds(audio: Audio, seconds: float) -> tuple[int, int]:
    """(start, stop) frames of the ``seconds``-long window with the most energy over all channels.

    The start is a multiple of a hop of ~``HOP_S`` seconds (at most the excerpt's length). Audio no
    longer than ``seconds`` gives (0, frames).
    """
    length = _length(audio, seconds)
    if length >= audio.frames:
        return 0, audio.frames
    energy, hop = _window_energies(audio, length)
    start = int(np.argmax(energy)) * hop
    return start, start + length


def loudest_excerpt(audio: Audio, seconds: float) -> Audio:
    """The ``seconds``-long window of ``audio`` with the most energy (see ``excerpt_bounds``);
    ``audio`` itself when it is no longer than ``seconds``."""
    start, stop = excerpt_bounds(audio, seconds)
    if (start, stop) == (0, audio.frames):
        return audio
    return audio.with_samples(audio.samples[:, start:stop])


def sections(audio: Audio, seconds: float, most: int, quiet_db: float = 30.0) -> list[Audio]:
    """``audio`` cut into consecutive ``seconds``-long sections (the last one shorter), leaving out those
    whose RMS is more than ``quiet_db`` dB below the loudest section's; at most ``most`` of them, evenly
    spread over the audio. Together they stand for the whole recording."""
    length = _length(audio, seconds)
    parts = [audio.samples[:, i:i + length] for i in range(0, audio.frames, length)]
    parts = [p for p in parts if p.shape[1] * 4 >= length] or parts[:1]
    power = np.array([np.mean(p.astype(np.float64) ** 2) for p in parts])
    parts = [p for p, w in zip(parts, power) if w >= power.max() * 10 ** (-quiet_db / 10)]
    keep = np.unique(np.linspace(0, len(parts) - 1, min(most, len(parts))).round().astype(int))
    return [audio.with_samples(parts[i]) for i in keep]


def outside(audio: Audio, bounds: tuple[int, int]) -> Audio:
    """The longer of the two parts of ``audio`` before and after the frames ``bounds`` (start, stop)."""
    start, stop = bounds
    before, after = audio.samples[:, :start], audio.samples[:, stop:]
    return audio.with_samples(before if before.shape[1] >= after.shape[1] else after)


def fit_length(audio: Audio, frames: int) -> Audio:
    """``audio`` trimmed, or zero-padded at the end, to exactly ``frames`` frames."""
    if frames < 0:
        raise ValueError(f"frame count must not be negative, got {frames}")
    if frames == audio.frames:
        return audio
    if frames < audio.frames:
        return audio.with_samples(audio.samples[:, :frames])
    return audio.with_samples(np.pad(audio.samples, ((0, 0), (0, frames - audio.frames))))
