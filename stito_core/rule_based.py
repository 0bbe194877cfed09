"""The rule-based baseline: a FIR matching EQ from smoothed average spectra, then a compressor whose
threshold and ratio are fitted by hill climbing to the reference's crest factor, then a loudness match.

Fast (no search over a chain, no encoder): about a second for 30 s of stereo audio.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pedalboard as pb
from scipy import signal

from .audio import Audio
from .audio_io import resample
from .excerpt import loudest_excerpt
from .match import EXCERPT_S, MatchResult
from .objective import Objective

#: Spectrum analysis: FFT size (frames) and FIR length (taps, odd for a linear-phase type I filter).
N_FFT, TAPS = 16384, 2047
#: Largest boost or cut of the matching EQ, in dB.
MAX_EQ_DB = 18.0
#: Compressor ballistics (ms) and the fitted ranges: threshold in dB, ratio x:1.
ATTACK_MS, RELEASE_MS = 1.0, 100.0
THRESHOLD_DB, RATIO = (-60.0, 0.0), (1.0, 20.0)
#: Seconds of the loudest excerpt used to fit the compressor.
FIT_S = 5.0


@dataclass(frozen=True)
class RuleBasedResult:
    """Processed audio, the fitted compressor (threshold dB, ratio), the EQ curve and the output gain (dB)."""

    audio: Audio
    threshold_db: float
    ratio: float
    gain_db: float
    eq_hz: np.ndarray
    eq_db: np.ndarray
    seconds: float


def _mono(audio: Audio) -> np.ndarray:
    return audio.samples.mean(axis=0)


def average_spectrum_db(audio: Audio) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies in Hz, Savitzky-Golay-smoothed average magnitude in dB) of the mid signal."""
    freqs, psd = signal.welch(_mono(audio), audio.sample_rate, nperseg=min(N_FFT, audio.frames))
    db = 10 * np.log10(psd + 1e-20)
    return freqs, signal.savgol_filter(db, min(127, len(db) // 2 * 2 - 1), 2)


def matching_eq(source: Audio, reference: Audio) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A linear-phase FIR (taps) turning the source's average spectrum into the reference's, and its
    design curve (Hz, dB), level-neutral (mean gain removed) and limited to +-MAX_EQ_DB."""
    freqs, src_db = average_spectrum_db(source)
    _, ref_db = average_spectrum_db(resample(reference, source.sample_rate))
    gain_db = ref_db - src_db
    gain_db = np.clip(gain_db - np.median(gain_db), -MAX_EQ_DB, MAX_EQ_DB)
    fir = signal.firwin2(TAPS, freqs / (source.sample_rate / 2), 10 ** (gain_db / 20))
    return fir, freqs, gain_db


def _apply_fir(audio: Audio, fir: np.ndarray) -> Audio:
    """Filter every channel with the linear-phase FIR, its delay removed (same length out)."""
    delay = (len(fir) - 1) // 2
    padded = np.pad(audio.samples, ((0, 0), (0, delay)))
    return audio.with_samples(signal.oaconvolve(padded, fir[None], axes=1)[:, delay:delay + audio.frames])


def crest_db(x: np.ndarray) -> float:
    """Peak over RMS in dB."""
    rms = np.sqrt(np.mean(x**2)) + 1e-12
    return float(20 * np.log10(np.max(np.abs(x)) / rms + 1e-12))


def _compress(audio: Audio, threshold_db: float, ratio: float) -> Audio:
    """Peak-normalised to -12 dBFS, then compressed (hard knee, no make-up)."""
    x = audio.samples / (np.max(np.abs(audio.samples)) + 1e-12) * 10 ** (-12 / 20)
    return audio.with_samples(pb.Compressor(threshold_db, ratio, ATTACK_MS, RELEASE_MS)(x, audio.sample_rate))


def fit_compressor(audio: Audio, target_crest_db: float) -> tuple[float, float]:
    """(threshold dB, ratio) whose compression brings the crest factor closest to the target: the best of
    a coarse grid, refined by hill climbing with halving steps."""
    def cost(point: tuple[float, float]) -> float:
        return abs(crest_db(_compress(audio, *point).samples) - target_crest_db)

    grid = [(t, r) for t in (-48.0, -36.0, -24.0, -18.0, -12.0) for r in (1.5, 3.0, 6.0, 12.0)] + [(0.0, 1.0)]
    best, point = min((cost(p), p) for p in grid)
    step_db, step_ratio = 4.0, 1.6
    while step_db > 0.25:
        moves = [(point[0] + dt, point[1] * dr) for dt, dr in
                 ((-step_db, 1), (step_db, 1), (0, step_ratio), (0, 1 / step_ratio))]
        scored = min((cost(m), m) for m in ((float(np.clip(t, *THRESHOLD_DB)), float(np.clip(r, *RATIO)))
                                            for t, r in moves))
        if scored[0] < best:
            best, point = scored
        else:
            step_db, step_ratio = step_db / 2, step_ratio ** 0.5
    return point


def _rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(x**2)) + 1e-12))


def match_rule_based(source: Audio, reference: Audio) -> RuleBasedResult:
    """Matching EQ, then a fitted compressor, then the reference's RMS level (dB); full-length output."""
    start = time.perf_counter()
    source = source.stereo()
    fir, freqs, eq_db = matching_eq(source, reference)
    equalised = _apply_fir(source, fir)
    target = crest_db(_mono(loudest_excerpt(reference, FIT_S)))
    threshold_db, ratio = fit_compressor(loudest_excerpt(equalised, FIT_S), target)
    out = _compress(equalised, threshold_db, ratio)
    gain_db = _rms_db(reference.samples) - _rms_db(out.samples)
    out = out.with_samples(out.samples * 10 ** (gain_db / 20))
    return RuleBasedResult(out, threshold_db, ratio, gain_db, freqs, eq_db, time.perf_counter() - start)


#: Octave-band centres (Hz) at which the matching EQ is reported in the parameter file.
REPORT_HZ = (31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000)


def parameter_rows(result: RuleBasedResult) -> list[dict[str, float | str]]:
    """Parameter-file rows: the EQ curve at octave centres (dB), the fitted compressor and the output gain."""
    def row(effect: str, name: str, value: float, lo: float, hi: float, unit: str) -> dict[str, float | str]:
        return {"effect": effect, "name": name, "value": round(float(value), 6),
                "normalized": round(float(np.clip((value - lo) / (hi - lo), 0, 1)), 6), "unit": unit}

    eq = [row("matching_eq", f"gain_at_{f:g}_hz_db".replace(".", "_"), np.interp(f, result.eq_hz, result.eq_db),
              -MAX_EQ_DB, MAX_EQ_DB, "dB") for f in REPORT_HZ]
    return eq + [row("compressor", "threshold_db", result.threshold_db, *THRESHOLD_DB, "dB"),
                 row("compressor", "ratio", result.ratio, *RATIO, ""),
                 row("compressor", "attack_ms", ATTACK_MS, ATTACK_MS, ATTACK_MS + 1, "ms"),
                 row("compressor", "release_ms", RELEASE_MS, RELEASE_MS, RELEASE_MS + 1, "ms"),
                 row("output", "gain_db", result.gain_db, -48, 48, "dB")]


def rule_based_match(source: Audio, reference: Audio, objective: Objective,
                     excerpt_s: float = EXCERPT_S) -> MatchResult:
    """The baseline as a :class:`MatchResult`, with similarities measured by ``objective`` on the loudest
    ``excerpt_s`` seconds."""
    result = match_rule_based(source, reference)
    target = objective.target([loudest_excerpt(reference, excerpt_s)])
    before, after = objective.similarity([loudest_excerpt(a, excerpt_s) for a in (source.stereo(), result.audio)],
                                         target)
    rows = parameter_rows(result)
    return MatchResult(rows, result.audio, np.array([r["normalized"] for r in rows]), float(before), float(after),
                       [], {"rule_based": "fitted"}, result.seconds)
