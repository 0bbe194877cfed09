"""Production attributes that survive a change of content: tone, dynamics, space and stereo width.

Each attribute group is a few broad measurements of one excerpt, all from one STFT of its mid signal
(frames of about 43 ms, hop a quarter of that) plus the side/mid energy: octave-band balance rather than
fine bands, crest factor and short-term level spread, how far the level can fall within 50/200/500 ms
and how deep the quiet moments are (what reverb and delay fill in), and the side-to-mid ratio. Every
row of ``FEATURES`` says its unit, which group it belongs to, and two numbers the objective uses: the
``tolerance`` below which a difference is taken as content rather than processing, and the ``scale``
that makes a difference beyond it one unit of distance.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from .audio import Audio

#: Attribute groups, in the order producers name them (and ``--match`` will).
GROUPS = ("tone", "dynamics", "space", "width")
#: Analysis frame length in seconds (rounded to a power of two in frames) and hops per frame.
FRAME_S, HOPS_PER_FRAME = 0.043, 4
#: STFT frames transformed at a time (512 kB at 2048-sample frames: fewer FFT calls, so less time under
#: the GIL when the render threads measure; 16 was 13 % slower on 64 x 5 s, and 256 slower too).
CHUNK_FRAMES = 64
#: Frames more than this many dB below the loudest frame are left out of level and spectral statistics.
ACTIVE_DB = 45.0
#: Octave-band centres (Hz) of the tone balance; each band spans centre / sqrt(2) to centre * sqrt(2).
OCTAVES_HZ = (63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)
#: Fractions of the long-term power below the low and high spectral edges.
EDGES = (0.02, 0.98)
#: Horizons (seconds) over which the steepest level falls are measured, and which percentile counts.
FALL_S, FALL_PERCENTILE = (0.05, 0.2, 0.5), 3.0
#: Bands (Hz) whose level envelopes the space and level-spread measures average: measured per band, they
#: do not move when an EQ changes a band's gain.
ENVELOPE_BANDS_HZ = ((125.0, 500.0), (500.0, 2000.0), (2000.0, 8000.0))
#: Soft floor of the octave-band levels (dB re total): a band far below the rest is inaudible beside it,
#: and its exact level (often content: a voice has no 63 Hz) must not steer the EQ.
BAND_FLOOR_DB = -45.0
#: Floor and ceiling (dB) of every level difference and of the side-to-mid ratio.
FLOOR_DB, WIDTH_DB = -60.0, (-40.0, 10.0)
EPS = 1e-12


@dataclass(frozen=True)
class Feature:
    """One measurement: its group, unit, content tolerance and the scale of one unit of distance."""

    group: str
    unit: str
    tolerance: float
    scale: float


#: Feature name -> its row, in vector order.
FEATURES: dict[str, Feature] = {
    **{f"band_{hz:g}hz_db": Feature("tone", "dB re total", 4.0, 6.0) for hz in OCTAVES_HZ},
    "tilt_db_per_oct": Feature("tone", "dB/octave", 0.5, 1.0),
    "low_edge_oct": Feature("tone", "log2 Hz", 0.3, 0.5),
    "high_edge_oct": Feature("tone", "log2 Hz", 0.5, 0.5),
    "crest_db": Feature("dynamics", "dB", 2.0, 3.0),
    "level_spread_db": Feature("dynamics", "dB", 4.0, 3.0),
    **{f"fall_{1000 * s:g}ms_db": Feature("space", "dB", 3.0, 5.0) for s in FALL_S},
    "floor_db": Feature("space", "dB", 4.0, 6.0),
    "width_db": Feature("width", "dB", 2.0, 4.0),
}
NAMES = tuple(FEATURES)
TOLERANCE = np.array([f.tolerance for f in FEATURES.values()])
SCALE = np.array([f.scale for f in FEATURES.values()])
#: Group name -> boolean mask over ``NAMES``.
MASKS = {g: np.array([f.group == g for f in FEATURES.values()]) for g in GROUPS}


def measure(items: Sequence[Audio]) -> np.ndarray:
    """Attribute vectors (items, len(FEATURES)) of stereo-or-mono excerpts at one rate, each in its unit."""
    return np.stack([_measure(a) for a in items])


def pooled(features: np.ndarray, items: Sequence[Audio]) -> np.ndarray:
    """``features`` (one row per item, from :func:`measure`) averaged by the items' lengths."""
    weights = np.array([a.frames for a in items], dtype=np.float64)
    return weights @ features / weights.sum()


def _measure(audio: Audio) -> np.ndarray:
    """The ``FEATURES`` vector of one excerpt."""
    frame = 2 ** int(round(np.log2(FRAME_S * audio.sample_rate)))
    mid, side = _mid_side_padded(audio, frame // 2)
    power = _spectrogram(mid, frame, frame // HOPS_PER_FRAME)
    bands = _band_slices(frame, audio.sample_rate)
    level = _decibels(power.sum(axis=1))
    active = level > level.max() - ACTIVE_DB
    spectrum = np.sum(power, axis=0, dtype=np.float64, where=active[:, None])
    hop_s = frame / HOPS_PER_FRAME / audio.sample_rate
    envelopes = _decibels(_band_sums(power, bands)).T
    spread = np.mean([_spread(e) for e in envelopes])
    space = np.mean([_space(e, hop_s) for e in envelopes], axis=0)
    width = _width_db(*_stereo_bands(power[::HOPS_PER_FRAME], side, frame, active[::HOPS_PER_FRAME], bands))
    tone = _tone(spectrum, np.fft.rfftfreq(frame, 1.0 / audio.sample_rate))
    return np.concatenate([tone, [_crest_db(mid[frame // 2:frame // 2 + audio.frames]), spread], space, [width]])


def _mid_side_padded(audio: Audio, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Mid (mean of the channels) and side (half their difference) as float32, each with ``pad`` zeros
    before and after (the STFT's centring), written in place: no intermediate copies."""
    stereo = audio.stereo().samples.astype(np.float32, copy=False)
    mid, side = np.zeros((2, audio.frames + 2 * pad), np.float32)
    inner = slice(pad, pad + audio.frames)
    np.multiply(np.add(stereo[0], stereo[1], out=mid[inner]), 0.5, out=mid[inner])
    np.multiply(np.subtract(stereo[0], stereo[1], out=side[inner]), 0.5, out=side[inner])
    return mid, side


def _stereo_bands(mid_power: np.ndarray, side: np.ndarray, frame: int, active: np.ndarray,
                  bands: tuple[slice, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Mid and side energy per envelope band over the ``active`` frames of hop-``frame`` spectrograms
    (``mid_power``: every ``HOPS_PER_FRAME``-th frame of the mid's): a ratio of long-term energies needs
    no overlap, so the side's STFT costs a quarter of the mid's."""
    side_power = _spectrogram(side, frame, frame)
    count = min(len(side_power), len(mid_power), len(active))
    mid_total, side_total = (np.sum(p[:count], axis=0, dtype=np.float64, where=active[:count, None])
                             for p in (mid_power, side_power))
    return _band_sums(mid_total, bands), _band_sums(side_total, bands)


def _spectrogram(padded: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """Power spectrogram (time, bins), float32, of Hann frames every ``hop`` samples of a signal that
    ``padded`` holds with ``frame // 2`` zeros on each side (so the first frame is centred on its first
    sample); computed ``CHUNK_FRAMES`` frames at a time through one windowed buffer that stays in cache."""
    framed = sliding_window_view(padded, frame)[::hop]
    power = np.empty((len(framed), frame // 2 + 1), np.float32)
    buffer = np.empty((CHUNK_FRAMES, frame), np.float32)
    for start in range(0, len(framed), CHUNK_FRAMES):
        chunk = framed[start:start + CHUNK_FRAMES]
        windowed = np.multiply(chunk, _window(frame), out=buffer[:len(chunk)])
        pairs = scipy.fft.rfft(windowed, axis=-1, workers=1).view(np.float32)
        np.multiply(pairs, pairs, out=pairs)
        np.add(pairs[:, 0::2], pairs[:, 1::2], out=power[start:start + CHUNK_FRAMES])
    return power


@functools.lru_cache(maxsize=8)
def _window(frame: int) -> np.ndarray:
    """A float32 Hann window of ``frame`` samples."""
    return np.hanning(frame).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _band_slices(frame: int, sample_rate: int) -> tuple[slice, ...]:
    """The FFT bins of each ``ENVELOPE_BANDS_HZ`` band (a contiguous run) for ``frame`` at ``sample_rate``."""
    freqs = np.fft.rfftfreq(frame, 1.0 / sample_rate)
    return tuple(slice(int(np.searchsorted(freqs, lo)), int(np.searchsorted(freqs, hi))) for lo, hi in ENVELOPE_BANDS_HZ)


def _band_sums(power: np.ndarray, bands: tuple[slice, ...]) -> np.ndarray:
    """(..., len(bands)): ``power`` (..., bins) summed over each band's bins."""
    return np.stack([power[..., band].sum(axis=-1) for band in bands], axis=-1)


def _decibels(power: np.ndarray) -> np.ndarray:
    """``power`` in dB, floored ``FLOOR_DB`` below its maximum over the first axis."""
    level = 10 * np.log10(power.astype(np.float64) + EPS)
    return np.maximum(level, level.max(axis=0) + FLOOR_DB)


def _tone(spectrum: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Octave-band levels re their total (dB), their tilt (dB per octave) and the spectral edges (log2 Hz)."""
    bands = np.array([spectrum[(freqs >= hz / np.sqrt(2)) & (freqs < hz * np.sqrt(2))].sum() for hz in OCTAVES_HZ])
    band_db = 10 * np.log10(bands / (bands.sum() + EPS) + 10 ** (BAND_FLOOR_DB / 10))
    tilt = np.polyfit(np.log2(OCTAVES_HZ), band_db, 1)[0]
    cumulative = np.cumsum(spectrum) / (spectrum.sum() + EPS)
    edges = [np.log2(freqs[min(int(np.searchsorted(cumulative, q)), len(freqs) - 1)] + 1.0) for q in EDGES]
    return np.array([*band_db, tilt, *edges])


def _crest_db(mid: np.ndarray) -> float:
    """Crest factor: peak over RMS, in dB."""
    peak = max(mid.max(), -mid.min())  # np.max(np.abs(mid)) without the copy, a float32 as before
    return float(20 * np.log10(peak + EPS) - 10 * np.log10(np.mean(np.square(mid, dtype=np.float64)) + EPS))


def _percentiles(values: np.ndarray, percents: Sequence[float]) -> np.ndarray:
    """``np.percentile(values, percents)`` (linear interpolation) from one partial sort: a few times faster
    on the short envelopes measured here, where ``np.percentile``'s own overhead dominates."""
    position = np.asarray(percents, dtype=np.float64) / 100.0 * (values.size - 1)
    low = np.floor(position).astype(np.intp)
    high = np.minimum(low + 1, values.size - 1)
    part = np.partition(values, np.unique(np.concatenate([low, high])))
    return part[low] + (part[high] - part[low]) * (position - low)


def _spread(level: np.ndarray) -> float:
    """Spread of a level envelope's active frames (within ``ACTIVE_DB`` of its loudest): 90th minus 30th
    percentile, in dB."""
    return float(np.subtract(*_percentiles(level[level > level.max() - ACTIVE_DB], (90, 30))))


def _space(level: np.ndarray, hop_s: float) -> np.ndarray:
    """The steepest falls of a level envelope over each ``FALL_S`` horizon (dB, negative) from frames within
    ``ACTIVE_DB`` of the loudest, and the floor: the 10th percentile level re the 95th (dB)."""
    loud = level > level.max() - ACTIVE_DB
    falls = []
    for seconds in FALL_S:
        lag = max(1, int(round(seconds / hop_s)))
        drop = level[lag:] - level[:-lag] if level.size > lag else np.zeros(1)
        falls.append(_percentiles(drop[loud[:-lag]] if loud[:-lag].any() else drop, (FALL_PERCENTILE,))[0])
    floor = np.subtract(*_percentiles(level, (10, 95)))
    return np.maximum(np.array([*falls, floor]), FLOOR_DB)


def _width_db(mid_bands: np.ndarray, side_bands: np.ndarray) -> float:
    """Side-to-mid energy ratio in dB, each band's clipped to ``WIDTH_DB`` (dual mono sits at the floor),
    averaged over the envelope bands: an EQ gain moves mid and side of a band alike and leaves it be."""
    ratio = 10 * np.log10((side_bands + EPS) / (mid_bands + EPS))
    return float(np.mean(np.clip(ratio, *WIDTH_DB)))
