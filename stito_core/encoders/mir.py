"""The MIR-feature baseline: hand-made level, dynamics, spectral-shape, stereo-width and octave-band features.

Per mid and side half (each peak-normalised by the shared front end, so a gain change leaves every
feature unchanged) the encoder measures the rows of ``STANDARD`` and standardises each with fixed
constants: z = (value - typical) / spread. The constants are data written here once (see ``STANDARD``),
never fitted per call,
so one embedding means the same thing in every comparison; the base class then L2-normalises each half.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from ..audio import Audio
from ..audio_io import resample
from .base import Encoder, mid_side

#: Analysis frame and hop in samples (about 43 ms and 21 ms at 48 kHz).
FRAME, HOP = 2048, 1024
#: Frames more than this many dB below the loudest frame (pauses, zero padding) are left out of the
#: level, dynamics and spectral statistics.
ACTIVE_DB = 50.0
#: Fraction of a frame's power below the roll-off frequency.
ROLLOFF = 0.85
#: Centre frequencies (Hz) of the octave bands; each band spans centre / sqrt(2) to centre * sqrt(2).
OCTAVES_HZ = (31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)
#: Side-to-mid energy ratio (dB) is clipped to this range; mono and dual-mono sit at the floor.
WIDTH_DB = (-40.0, 10.0)
#: Floor (dB) for band energies relative to the total, and for every logarithm's argument.
FLOOR_DB, EPS = -100.0, 1e-12

#: Feature -> (typical value, typical spread) in the feature's unit; "oct" values are log2 of Hz. Rounded
#: medians and standard deviations over the four shipped examples, dry and through the five styles and
#: pairs of random built-in effects (the examples are mono: the width row is set for typical stereo).
STANDARD: dict[str, tuple[float, float]] = {
    "level_db": (-16.0, 4.0),          # mean frame RMS of active frames (dB re the half's peak): loudness proxy
    "dynamics_db": (4.0, 3.0),         # standard deviation of frame RMS over active frames (dB)
    "crest_db": (14.0, 4.0),           # peak over whole-half RMS (dB)
    "centroid_oct": (9.5, 0.8),        # spectral centroid, mean over active frames
    "centroid_sd_oct": (0.7, 0.5),     # its standard deviation over active frames
    "bandwidth_oct": (9.2, 0.9),       # spectral spread around the centroid, mean
    "bandwidth_sd_oct": (0.7, 0.5),    # its standard deviation
    "flatness_db": (-52.0, 12.0),      # spectral flatness (geometric over arithmetic mean power), mean (dB)
    "flatness_sd_db": (5.0, 3.5),      # its standard deviation (dB)
    "rolloff_oct": (10.0, 1.0),        # 85 % roll-off frequency, mean
    "rolloff_sd_oct": (0.9, 0.5),      # its standard deviation
    "zcr_oct": (11.5, 0.8),            # zero crossings per second of the whole half (log2)
    "width_db": (-25.0, 12.0),         # side-to-mid energy of the stereo input (dB), the same in both halves
    "band_31.5hz_db": (-42.0, 13.0),   # octave-band energy of active frames re their total (dB) ...
    "band_63hz_db": (-33.0, 15.0),
    "band_125hz_db": (-9.0, 10.0),
    "band_250hz_db": (-6.0, 4.0),
    "band_500hz_db": (-7.0, 4.0),
    "band_1000hz_db": (-13.0, 5.0),
    "band_2000hz_db": (-11.0, 8.0),
    "band_4000hz_db": (-15.0, 8.0),
    "band_8000hz_db": (-25.0, 9.0),
    "band_16000hz_db": (-64.0, 17.0),  # ... one row per ``OCTAVES_HZ`` centre
}
#: Feature names in embedding order.
FEATURES = tuple(STANDARD)
_TYPICAL = np.array([STANDARD[name][0] for name in FEATURES])
_SPREAD = np.array([STANDARD[name][1] for name in FEATURES])


class MirEncoder(Encoder):
    """Standardised MIR features of mid and side (``FEATURES``, one value each), per half unit-norm."""

    name = "mir"

    def __init__(self, sample_rate: int = 48000) -> None:
        self.sample_rate = sample_rate
        self.window = np.hanning(FRAME).astype(np.float32)
        self.freqs = np.fft.rfftfreq(FRAME, 1.0 / sample_rate)
        self.bands = np.stack([(self.freqs >= hz / np.sqrt(2)) & (self.freqs < hz * np.sqrt(2))
                               for hz in OCTAVES_HZ]).astype(np.float64)

    def features(self, items: Sequence[Audio]) -> np.ndarray:
        """Raw (unstandardised) features of items of one length, shaped (items, 2 halves, len(FEATURES)),
        each in its unit."""
        stereo = np.stack([resample(a.stereo(), self.sample_rate).samples for a in items])
        return self._raw(stereo)

    def _embed_pairs(self, pairs: np.ndarray) -> np.ndarray:
        """(items, 2, frames) peak-normalised mid/side -> (items, 2, features) standardised, with the width
        at its floor: pairs no longer hold it (``_embed_chunk`` measures it on the stereo input)."""
        width = np.full((*pairs.shape[:2], 1), WIDTH_DB[0])
        return _standardise(_with_width(self._pair_features(pairs), width))

    def _embed_chunk(self, ready: list[Audio], index: list[int], out: list[np.ndarray | None]) -> None:
        """As the base class, with the stereo width of the input in both halves."""
        halves = _standardise(self._raw(np.stack([ready[i].samples for i in index])))
        halves = halves / (np.linalg.norm(halves, axis=-1, keepdims=True) + EPS)
        for i, row in zip(index, halves.reshape(len(index), -1)):
            out[i] = row

    def _raw(self, stereo: np.ndarray) -> np.ndarray:
        """(items, 2 channels, frames) L/R at ``sample_rate`` -> raw features (items, 2 halves, features)."""
        width = np.repeat(_width_db(stereo)[:, None, None], 2, axis=1)
        return _with_width(self._pair_features(mid_side(stereo)), width)

    def _pair_features(self, pairs: np.ndarray) -> np.ndarray:
        """(items, 2, frames) mid/side -> (items, 2, features without width)."""
        items, halves, frames = pairs.shape
        return self._half_features(pairs.reshape(items * halves, frames)).reshape(items, halves, -1)

    def _half_features(self, x: np.ndarray) -> np.ndarray:
        """(n, frames) waveforms -> (n, features without width) in ``FEATURES`` order."""
        x = np.pad(x, ((0, 0), (0, max(0, FRAME - x.shape[1]))))
        framed = sliding_window_view(x, FRAME, axis=-1)[:, ::HOP]
        frame_db = 10 * np.log10(np.einsum("ntf,ntf->nt", framed, framed) / FRAME + EPS)
        active = (frame_db > frame_db.max(axis=1, keepdims=True) - ACTIVE_DB).astype(np.float64)
        spectrum = scipy.fft.rfft(framed * self.window, axis=-1, workers=1)
        power = spectrum.real**2 + spectrum.imag**2 + np.float32(EPS)
        level = _stats(frame_db, active)
        peak = np.max(np.abs(x), axis=1)
        crest = 20 * np.log10(peak + EPS) - 10 * np.log10(np.mean(x.astype(np.float64) ** 2, axis=1) + EPS)
        spectral = [_stats(track, active) for track in self._spectral_tracks(power)]
        zcr = np.mean(np.abs(np.diff(np.signbit(x), axis=1)), axis=1) * self.sample_rate
        return np.column_stack([*level, crest, *(v for pair in spectral for v in pair),
                                np.log2(zcr + 1.0), self._band_db(power, active)])

    def _spectral_tracks(self, power: np.ndarray) -> list[np.ndarray]:
        """Per-frame centroid (log2 Hz), bandwidth (log2 Hz), flatness (dB) and roll-off (log2 Hz) of
        ``power`` (n, time, bins)."""
        total = power.sum(axis=-1, dtype=np.float64)
        centroid = (power @ self.freqs) / total
        spread = np.sqrt(np.maximum((power @ self.freqs**2) / total - centroid**2, 0.0))
        flatness = 10 * (np.mean(np.log10(power[..., 1:]), axis=-1) - np.log10(np.mean(power[..., 1:], axis=-1)))
        below = np.argmax(np.cumsum(power, axis=-1) >= ROLLOFF * total[..., None], axis=-1)
        rolloff = self.freqs[below]
        return [np.log2(centroid + 1.0), np.log2(spread + 1.0), flatness, np.log2(rolloff + 1.0)]

    def _band_db(self, power: np.ndarray, active: np.ndarray) -> np.ndarray:
        """Octave-band energy of the active frames relative to their total (dB), shaped (n, bands)."""
        spectrum = np.einsum("ntb,nt->nb", power, active.astype(np.float32)).astype(np.float64)
        bands = spectrum @ self.bands.T
        return np.maximum(10 * np.log10(bands / spectrum.sum(axis=-1, keepdims=True) + EPS), FLOOR_DB)


def _stats(track: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and standard deviation over time of ``track`` (n, time) with 0/1 ``weight``."""
    count = weight.sum(axis=1)
    mean = (track * weight).sum(axis=1) / count
    sd = np.sqrt(((track - mean[:, None]) ** 2 * weight).sum(axis=1) / count)
    return mean, sd


def _width_db(stereo: np.ndarray) -> np.ndarray:
    """Side-to-mid energy ratio (dB, clipped to ``WIDTH_DB``) of (items, 2, frames) L/R audio."""
    mid = np.mean((stereo[:, 0] + stereo[:, 1]).astype(np.float64) ** 2, axis=-1)
    side = np.mean((stereo[:, 0] - stereo[:, 1]).astype(np.float64) ** 2, axis=-1)
    return np.clip(10 * np.log10((side + EPS) / (mid + EPS)), *WIDTH_DB)


def _with_width(raw: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Insert the width column (items, halves, 1) at its place in ``FEATURES``."""
    at = FEATURES.index("width_db")
    return np.concatenate([raw[..., :at], width, raw[..., at:]], axis=-1)


def _standardise(raw: np.ndarray) -> np.ndarray:
    """(..., features) raw values -> fixed-constant z-scores."""
    return ((raw - _TYPICAL) / _SPREAD).astype(np.float32)
