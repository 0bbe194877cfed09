"""Long-term spectra and short-term level curves of whole recordings: what the benchmark's spectral
balance compares and the match report draws."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

#: Spectral balance: FFT size (frames) of the long-term average spectrum, and the centres (Hz) of its
#: 1/3-octave bands, 50 Hz to 16 kHz (base-2 centres 1000 * 2^(n/3)), each band +-1/6 octave wide.
BALANCE_FFT = 16384
THIRD_OCTAVES_HZ = tuple(1000.0 * 2 ** (n / 3) for n in range(-13, 13))
#: Frame and hop (seconds) of :func:`level_curve`.
LEVEL_FRAME_S, LEVEL_HOP_S = 0.4, 0.1


def stft_magnitudes(x: np.ndarray, n_fft: int) -> np.ndarray:
    """STFT magnitudes (channels, frames, bins) with a Hann window and hop ``n_fft // 4``; the signal
    is zero-padded by half a window on both sides so that every sample is analysed."""
    padded = np.pad(x, ((0, 0), (n_fft // 2, n_fft // 2)))
    frames = sliding_window_view(padded, n_fft, axis=-1)[:, :: n_fft // 4]
    return np.abs(np.fft.rfft(frames * np.hanning(n_fft + 1)[:-1], axis=-1))


def band_levels(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Long-term average spectrum of the mid of (channels, frames) audio in the ``THIRD_OCTAVES_HZ``
    bands below Nyquist, in dB relative to the mean over those bands (a shape, not a level): the mean
    power of ``BALANCE_FFT``-point Hann frames summed over each band's bins."""
    power = np.mean(stft_magnitudes(samples.mean(axis=0, keepdims=True), BALANCE_FFT)[0] ** 2, axis=0)
    freqs = np.fft.rfftfreq(BALANCE_FFT, 1 / sample_rate)
    centres = [fc for fc in THIRD_OCTAVES_HZ if fc * 2 ** (1 / 6) < sample_rate / 2]
    bands = [power[(freqs >= fc * 2 ** (-1 / 6)) & (freqs < fc * 2 ** (1 / 6))].sum() for fc in centres]
    levels = 10 * np.log10(np.asarray(bands) + 1e-20)
    return levels - levels.mean()


def level_curve(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(times in seconds, RMS level in dBFS) of the mid of (channels, frames) audio over ``LEVEL_FRAME_S``
    frames every ``LEVEL_HOP_S``: how loud it is moment to moment (its dynamics), floored at -100 dBFS."""
    mid = samples.mean(axis=0)
    frame, hop = round(LEVEL_FRAME_S * sample_rate), round(LEVEL_HOP_S * sample_rate)
    if mid.size < frame:
        mid = np.pad(mid, (0, frame - mid.size))
    power = np.mean(sliding_window_view(mid, frame)[::hop] ** 2, axis=-1)
    times = (np.arange(power.size) * hop + frame / 2) / sample_rate
    return times, 10 * np.log10(power + 1e-10)
