"""Signal metrics independent of any embedding: how far a processed recording is from a target
recording of the same content (in the style-transfer benchmark, the oracle's output).

Every metric takes two :class:`Audio` values of the same content; both are compared as stereo (mono
is duplicated) at the target's rate, over the frames they share. Zero means identical.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from scipy import signal

from ..audio import Audio
from ..audio_io import resample
from ..loudness import integrated_lufs
from ..spectra import THIRD_OCTAVES_HZ, band_levels, stft_magnitudes

__all__ = ["THIRD_OCTAVES_HZ", "band_levels", "compare"]

#: FFT sizes (frames) of the multi-resolution STFT distance; hop is a quarter of each, Hann window.
STFT_SIZES = (512, 1024, 2048)
#: Floor of STFT magnitudes before the logarithm (linear amplitude, full scale 1.0).
MAG_FLOOR = 1e-7
#: FFT size (frames) of the spectral-centroid analysis.
CENTROID_FFT = 2048
#: Modulation spectrum: frame and hop (s) of the RMS envelope, centres (Hz) of the octave bands it is
#: taken in (each +-1/2 octave), the modulation frequencies kept (Hz),
#: the envelope's floor (dB below its band's peak) and the floor of the modulation magnitude (dB units).
ENVELOPE_FRAME_S, ENVELOPE_HOP_S = 0.02, 0.01
OCTAVES_HZ = (250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
MODULATION_HZ = (0.5, 16.0)
ENVELOPE_RANGE_DB, MODULATION_FLOOR = 60.0, 1e-3


def _pair(estimate: Audio, target: Audio) -> tuple[np.ndarray, np.ndarray, int]:
    """Both signals as stereo float64 (2, frames) at the target's rate, cut to their common length."""
    a = resample(estimate.stereo(), target.sample_rate).samples.astype(np.float64)
    b = target.stereo().samples.astype(np.float64)
    frames = min(a.shape[1], b.shape[1])
    return a[:, :frames], b[:, :frames], target.sample_rate


def multi_resolution_stft(estimate: Audio, target: Audio) -> float:
    """Multi-resolution STFT distance (unitless): per FFT size in ``STFT_SIZES``, spectral convergence
    (Frobenius norm of the magnitude difference over the target's) plus the mean absolute difference of
    natural-log magnitudes; averaged over the sizes."""
    a, b, _ = _pair(estimate, target)
    total = 0.0
    for n_fft in STFT_SIZES:
        mag_a, mag_b = stft_magnitudes(a, n_fft), stft_magnitudes(b, n_fft)
        convergence = np.linalg.norm(mag_b - mag_a) / (np.linalg.norm(mag_b) + 1e-12)
        log_l1 = np.mean(np.abs(np.log(np.maximum(mag_b, MAG_FLOOR)) - np.log(np.maximum(mag_a, MAG_FLOOR))))
        total += convergence + log_l1
    return float(total / len(STFT_SIZES))


def loudness_difference(estimate: Audio, target: Audio) -> float:
    """Integrated loudness of the estimate minus the target's, in LU (positive: the estimate is louder)."""
    a, b, rate = _pair(estimate, target)
    return integrated_lufs(a, rate) - integrated_lufs(b, rate)


def spectral_centroid(samples: np.ndarray, sample_rate: int) -> float:
    """Spectral centroid in Hz of the mid (mean of channels) of (channels, frames) audio: the
    magnitude-weighted mean frequency of its STFT (``CENTROID_FFT``-point Hann frames) over all frames."""
    mag = stft_magnitudes(samples.mean(axis=0, keepdims=True), CENTROID_FFT).sum(axis=(0, 1))
    freqs = np.fft.rfftfreq(CENTROID_FFT, 1 / sample_rate)
    return float(np.sum(freqs * mag) / (np.sum(mag) + 1e-12))


def centroid_difference(estimate: Audio, target: Audio) -> float:
    """Spectral centroid of the estimate minus the target's, in Hz (positive: the estimate is brighter)."""
    a, b, rate = _pair(estimate, target)
    return spectral_centroid(a, rate) - spectral_centroid(b, rate)


@functools.lru_cache(maxsize=1)
def _mfcc_front() -> tuple[torch.nn.Module, torch.Tensor]:
    """The MFCC baseline encoder's log-mel front end (48 kHz) and its DCT matrix (coefficients 1-20)."""
    from ..encoders.mfcc import MfccEncoder

    encoder = MfccEncoder()
    return encoder.front, encoder.dct


@torch.no_grad()
def mean_mfcc(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean over time of MFCCs 1-20 (dB units of the DCT'd log-mel) of the mid of (channels, frames) audio,
    computed by the MFCC baseline encoder's front end at its rate (48 kHz)."""
    front, dct = _mfcc_front()
    mid = resample(Audio(samples.mean(axis=0, keepdims=True).astype(np.float32), sample_rate),
                   front.config.sample_rate).samples
    return (front.decibels(torch.from_numpy(mid)) @ dct).mean(dim=1)[0].numpy().astype(np.float64)


def mfcc_distance(estimate: Audio, target: Audio) -> float:
    """Euclidean distance between the mean MFCC vectors (``mean_mfcc``) of estimate and target."""
    a, b, rate = _pair(estimate, target)
    return float(np.linalg.norm(mean_mfcc(a, rate) - mean_mfcc(b, rate)))


def spectral_balance_distance(estimate: Audio, target: Audio) -> float:
    """Mean absolute difference in dB of the level-aligned 1/3-octave spectra (``band_levels``) of
    estimate and target: how far their tonal balance differs, whatever their levels."""
    a, b, rate = _pair(estimate, target)
    return float(np.mean(np.abs(band_levels(a, rate) - band_levels(b, rate))))


def crest_factor(samples: np.ndarray) -> float:
    """Crest factor in dB of the mid of (channels, frames) audio: its sample peak over its RMS."""
    mid = samples.mean(axis=0)
    return float(20 * np.log10((np.max(np.abs(mid)) + 1e-12) / (np.sqrt(np.mean(mid**2)) + 1e-12)))


def crest_difference(estimate: Audio, target: Audio) -> float:
    """Crest factor of the estimate minus the target's, in dB (negative: the estimate is more compressed)."""
    a, b, _ = _pair(estimate, target)
    return crest_factor(a) - crest_factor(b)


def band_envelope(mid: np.ndarray, sample_rate: int, centre_hz: float) -> np.ndarray:
    """RMS envelope in dB of mono ``mid`` at ``sample_rate`` Hz in the octave band around ``centre_hz``
    (Butterworth band-pass, scipy order 4): one value per ``ENVELOPE_FRAME_S`` frame every
    ``ENVELOPE_HOP_S`` seconds, floored ``ENVELOPE_RANGE_DB`` below its peak."""
    edges = (centre_hz / np.sqrt(2), centre_hz * np.sqrt(2))
    sos = signal.butter(4, edges, "bandpass", fs=sample_rate, output="sos")
    frame, hop = round(ENVELOPE_FRAME_S * sample_rate), round(ENVELOPE_HOP_S * sample_rate)
    power = np.mean(sliding_window_view(signal.sosfilt(sos, mid), frame)[::hop] ** 2, axis=-1)
    envelope = 10 * np.log10(power + 1e-20)
    return np.maximum(envelope, envelope.max() - ENVELOPE_RANGE_DB)


def _modulation_db(envelope: np.ndarray) -> np.ndarray:
    """Magnitude spectrum in dB of the mean-removed dB ``envelope`` (Hann window, divided by the
    window's sum) at the modulation frequencies within ``MODULATION_HZ``."""
    window = signal.get_window("hann", envelope.size)
    magnitude = np.abs(np.fft.rfft((envelope - envelope.mean()) * window)) / window.sum()
    freqs = np.fft.rfftfreq(envelope.size, ENVELOPE_HOP_S)
    keep = (freqs >= MODULATION_HZ[0]) & (freqs <= MODULATION_HZ[1])
    return 20 * np.log10(magnitude[keep] + MODULATION_FLOOR)


def modulation_spectra(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Modulation spectra in dB, shaped (bands, modulation bins), of the mid of (channels, frames)
    audio: ``_modulation_db`` of the ``band_envelope`` of each ``OCTAVES_HZ`` band whose upper edge
    is below 0.45 times the rate."""
    mid = samples.mean(axis=0)
    centres = [fc for fc in OCTAVES_HZ if fc * np.sqrt(2) < 0.45 * sample_rate]
    return np.stack([_modulation_db(band_envelope(mid, sample_rate, fc)) for fc in centres])


def modulation_distance(estimate: Audio, target: Audio) -> float:
    """Mean absolute difference in dB of the modulation spectra (``modulation_spectra``) of estimate
    and target over bands and modulation frequencies; reverb and echoes fill the envelope's dips and
    lower its modulation, so this measures a change of space and decay."""
    a, b, rate = _pair(estimate, target)
    return float(np.mean(np.abs(modulation_spectra(a, rate) - modulation_spectra(b, rate))))


#: Metric key -> (function(estimate, target), unit, one line for people). Signed metrics are reported
#: as absolute values by the benchmark.
METRICS: dict[str, tuple[Callable[[Audio, Audio], float], str, str]] = {
    "mrstft": (multi_resolution_stft, "", "multi-resolution STFT distance (SC + log-mag L1, FFT 512/1024/2048)"),
    "loudness_lu": (loudness_difference, "LU", "BS.1770 integrated loudness difference"),
    "centroid_hz": (centroid_difference, "Hz", "spectral centroid difference"),
    "mfcc": (mfcc_distance, "", "Euclidean distance of mean MFCCs 1-20"),
    "spectral_db": (spectral_balance_distance, "dB", "mean |difference| of level-aligned 1/3-octave spectra "
                    "50 Hz-16 kHz"),
    "crest_db": (crest_difference, "dB", "crest factor (peak over RMS of the mid) difference"),
    "decay_db": (modulation_distance, "dB", "mean |difference| of octave-band modulation spectra 0.5-16 Hz "
                 "(space and decay)"),
}


def compare(estimate: Audio, target: Audio) -> dict[str, float]:
    """Every metric of ``METRICS``, as absolute values (0 = identical)."""
    return {key: abs(function(estimate, target)) for key, (function, _unit, _doc) in METRICS.items()}
