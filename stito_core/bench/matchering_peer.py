"""Matchering 2 (sergree/matchering, PyPI ``matchering``) as a peer system of the style-transfer benchmark.

Matchering matches a target's RMS level, its mid and side average spectra (a FIR EQ each) and its peak
level (its own brickwall limiter) to a reference's. It reads and writes files at its internal rate
(``Config().internal_sample_rate``, 44.1 kHz); this adapter hands it stereo float WAV files already at
that rate (resampled here with soxr: less than half the time of Matchering's own resampling) and gives
the result back at the source's rate and length. Its limits (``matchering.Config`` defaults, checked
in ``matchering/checker.py``): each file at least ``fft_size`` (4096) frames at 44.1 kHz (about
0.093 s) and at most 15 min long, mono or stereo (mono is duplicated; more channels are refused), and
the two must not be identical."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from types import ModuleType

from ..audio import Audio
from ..audio_io import read_audio, resample, write_audio
from ..errors import StitoError
from ..excerpt import fit_length


def match_matchering(source: Audio, reference: Audio) -> Audio:
    """``source`` mastered by Matchering to sound like ``reference``: stereo at ``source``'s rate (Hz)
    and length (frames), peaking just below 0 dBFS (Matchering's limiter). Matchering logs nothing
    while it runs; clips it refuses raise ``StitoError`` with its message."""
    matchering = _matchering()
    rate = matchering.Config().internal_sample_rate
    with tempfile.TemporaryDirectory(prefix="stito-matchering-") as scratch:
        target, ref, out = (Path(scratch) / name for name in ("target.wav", "reference.wav", "result.wav"))
        write_audio(target, resample(source.stereo(), rate), subtype="FLOAT")
        write_audio(ref, resample(reference.stereo(), rate), subtype="FLOAT")
        _process(matchering, target, ref, out, f"{source.duration_s:.3f} s and {reference.duration_s:.3f} s")
        return fit_length(read_audio(out, source.sample_rate), source.frames)


def match_matchering_files(target: Path, reference: Path, out: Path) -> None:
    """Matchering as a user runs it: ``target`` mastered to sound like ``reference`` (audio files at any
    rate Matchering reads; it resamples them itself) into ``out``, a 24-bit WAV at its internal rate."""
    _process(_matchering(), target, reference, out, f"{target.name} and {reference.name}")


def _matchering() -> ModuleType:
    """The ``matchering`` package with every log handler at its no-op default (no console output)."""
    with warnings.catch_warnings():  # its limiter imports a deprecated scipy namespace
        warnings.simplefilter("ignore", DeprecationWarning)
        import matchering
    matchering.log()
    return matchering


def _process(matchering: ModuleType, target: Path, reference: Path, out: Path, lengths: str) -> None:
    """Matchering ``target`` to ``reference`` into ``out`` (24-bit WAV); a refusal raises ``StitoError``
    with Matchering's coded message and the clips' ``lengths``."""
    from matchering.log.exceptions import ModuleError

    try:
        matchering.process(target=str(target), reference=str(reference), results=[matchering.pcm24(str(out))])
    except ModuleError as err:
        msg = f"Matchering refused the clips ({lengths}): {err}"
        raise StitoError(msg) from err
