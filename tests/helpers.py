"""Test audio made in code: sines, noise, tone mixes, and writing them to files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from stito_core.audio import Audio

RATE = 44100


def sine(freq_hz: float = 440.0, seconds: float = 1.0, rate: int = RATE, level_db: float = -12.0) -> np.ndarray:
    """A mono sine, shape (frames,), peak at ``level_db`` dBFS."""
    t = np.arange(int(seconds * rate)) / rate
    return (db_to_gain(level_db) * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def noise(seconds: float = 1.0, rate: int = RATE, level_db: float = -12.0, seed: int = 0) -> np.ndarray:
    """Mono white noise, shape (frames,), peak near ``level_db`` dBFS."""
    x = np.random.default_rng(seed).uniform(-1, 1, int(seconds * rate))
    return (db_to_gain(level_db) * x).astype(np.float32)


def music(seconds: float = 2.0, rate: int = RATE, seed: int = 0, channels: int = 2) -> np.ndarray:
    """A small synthetic 'recording': decaying harmonic notes plus a noise hi-hat, shape (channels, frames)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    out = np.zeros((channels, n), dtype=np.float64)
    t = np.arange(int(0.25 * rate)) / rate
    for start in range(0, n - t.size, t.size):
        f0 = 110.0 * 2 ** (rng.integers(0, 24) / 12)
        note = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 8)) * np.exp(-6 * t)
        hat = rng.uniform(-1, 1, t.size) * np.exp(-60 * t) * 0.3
        for c in range(channels):
            out[c, start:start + t.size] += note * (0.8 + 0.2 * c) + hat
    return (0.5 * out / np.max(np.abs(out))).astype(np.float32)


def db_to_gain(db: float) -> float:
    """Linear gain of ``db`` decibels."""
    return float(10 ** (db / 20))


def band_energy(samples: np.ndarray, rate: int, lo_hz: float, hi_hz: float) -> float:
    """Energy of ``samples`` (any shape, time last) between lo_hz and hi_hz."""
    spec = np.abs(np.fft.rfft(np.asarray(samples, dtype=np.float64), axis=-1)) ** 2
    freqs = np.fft.rfftfreq(np.asarray(samples).shape[-1], 1 / rate)
    return float(spec[..., (freqs >= lo_hz) & (freqs < hi_hz)].sum())


def as_audio(samples: np.ndarray, rate: int = RATE) -> Audio:
    """Wrap a (frames,) or (channels, frames) array as ``Audio``."""
    x = np.atleast_2d(np.asarray(samples, dtype=np.float32))
    return Audio(x, rate)


def write(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    """Write (frames,) or (channels, frames) samples as a 32-bit float WAV; returns ``path``."""
    sf.write(str(path), np.atleast_2d(samples).T, rate, subtype="FLOAT")
    return path
