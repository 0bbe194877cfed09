"""The five DeepAFx-ST production styles (EQ then compression) used by zero-shot style classification.

Numbers from PAPER.md (DeepAFx-ST's style generator). Per example, every range is sampled uniformly;
a low shelf, one peak band and a high shelf (Q 0.707) then a hard-knee compressor without make-up gain
run per channel. The input is peak-normalised with 3-9 dB of random headroom; the output is peak-normalised.
"warm" uses the variant of the authors' code (high shelf +14..20 dB), which produced the published
figures; the code's comment describes a cut instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pedalboard as pb

from ..audio import Audio

#: (low, high) uniform range; a single number is fixed.
Range = tuple[float, float]


@dataclass(frozen=True)
class Style:
    """One style's parameter ranges: compressor (dB, ratio, seconds) and EQ (dB @ Hz)."""

    threshold_db: Range | None
    ratio: Range
    attack_s: Range
    release_s: Range
    low_shelf_db: Range
    low_shelf_hz: Range
    peak_db: Range
    peak_hz: Range
    high_shelf_db: Range
    high_shelf_hz: Range


STYLES: dict[str, Style] = {
    "neutral": Style((-30, -20), (1.5, 2.0), (0.050, 0.070), (0.100, 0.300),
                     (1, 3), (80, 200), (0, 0), (1000, 1000), (1, 3), (6000, 8000)),
    "broadcast": Style((-50, -40), (3.0, 5.0), (0.005, 0.030), (0.050, 0.150),
                       (2, 6), (80, 200), (0, 0), (1000, 1000), (2, 6), (6000, 8000)),
    "telephone": Style((-40, -20), (1.5, 3.0), (0.001, 0.006), (0.010, 0.060),
                       (-26, -20), (200, 400), (12, 16), (1000, 2000), (-26, -20), (4000, 6000)),
    "bright": Style(None, (1, 1), (0, 0), (0, 0),
                    (-26, -20), (200, 400), (0, 0), (1000, 1000), (20, 26), (8000, 10000)),
    "warm": Style(None, (1, 1), (0, 0), (0, 0),
                  (20, 26), (200, 400), (0, 0), (1000, 1000), (14, 20), (8000, 10000)),
}


def _draw(rng: np.random.Generator, span: Range) -> float:
    return float(rng.uniform(*span))


def style_board(style: Style, rng: np.random.Generator) -> pb.Pedalboard:
    """One random instance of ``style`` as a pedalboard (EQ, then the compressor when the style has one)."""
    board = pb.Pedalboard([
        pb.LowShelfFilter(_draw(rng, style.low_shelf_hz), _draw(rng, style.low_shelf_db), 0.707),
        pb.PeakFilter(_draw(rng, style.peak_hz), _draw(rng, style.peak_db), 0.707),
        pb.HighShelfFilter(_draw(rng, style.high_shelf_hz), _draw(rng, style.high_shelf_db), 0.707)])
    if style.threshold_db is not None:
        board.append(pb.Compressor(_draw(rng, style.threshold_db), _draw(rng, style.ratio),
                                   1000 * _draw(rng, style.attack_s), 1000 * _draw(rng, style.release_s)))
    return board


def apply_style(audio: Audio, name: str, rng: np.random.Generator) -> Audio:
    """``audio`` through a random instance of style ``name``, with the generator's level handling."""
    headroom = 10 ** (-rng.uniform(3, 9) / 20)
    x = audio.samples / (np.max(np.abs(audio.samples)) + 1e-9) * headroom
    y = style_board(STYLES[name], rng)(x, audio.sample_rate)
    return audio.with_samples(y / (np.max(np.abs(y)) + 1e-9))
