"""The match report's picture: what a producer would rather look at than read. Two panels, written as one
PNG: the average 1/3-octave spectra of input, result and reference (tone), and their level over time
(dynamics and space), with the report's lines as the caption. Drawn with matplotlib (imported here only)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .audio import Audio
from .audio_io import write_file_atomic
from .spectra import THIRD_OCTAVES_HZ, band_levels, level_curve

#: Figure size in inches and resolution: 1200 x 800 pixels.
SIZE_IN, DPI = (12.0, 8.0), 100
#: Caption characters per line (monospace, 9 pt across the figure).
CAPTION_CHARS = 150
#: Line colours of the three recordings (colour-blind safe: blue, orange, grey).
COLOURS = {"input": "#0072B2", "result": "#E69F00", "reference": "#555555"}


def draw_report(path: Path, recordings: dict[str, Audio], lines: Sequence[str], overwrite: bool = False) -> Path:
    """Write the picture of ``recordings`` ("input", "result", "reference": each an Audio) with the
    report ``lines`` under it to ``path`` (PNG; a temporary name, then renamed). Returns ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    caption = [part for line in lines for part in textwrap.wrap(line, CAPTION_CHARS, subsequent_indent="    ")]
    figure, (tone, level) = plt.subplots(2, 1, figsize=SIZE_IN, dpi=DPI)
    try:
        for name, audio in recordings.items():
            samples = audio.stereo().samples.astype(np.float64)
            levels = band_levels(samples, audio.sample_rate)
            tone.semilogx(THIRD_OCTAVES_HZ[:levels.size], levels, label=name, color=COLOURS.get(name), lw=2)
            times, curve = level_curve(samples, audio.sample_rate)
            level.plot(times, curve, label=name, color=COLOURS.get(name), lw=1.5)
        tone.set(title="Tone: average spectrum (1/3 octave, dB re its mean)", xlabel="frequency (Hz)", ylabel="dB")
        level.set(title="Dynamics and space: level over time (RMS, 400 ms)", xlabel="time (s)", ylabel="dBFS")
        for ax in (tone, level):
            ax.grid(True, alpha=0.3)
            ax.legend(loc="lower left")
        level.set_ylim(bottom=max(level.get_ylim()[0], -80.0))
        figure.text(0.01, 0.01, "\n".join(caption), fontsize=9, family="monospace", va="bottom")
        figure.tight_layout(rect=(0, 0.03 + 0.022 * len(caption), 1, 1))
        return write_file_atomic(path, lambda target: figure.savefig(target, format="png"), overwrite)
    finally:
        plt.close(figure)
