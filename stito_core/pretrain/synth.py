"""Rendering recordings with Debian programs: MIDI through SoundFonts (fluidsynth), text through speech
engines (espeak-ng, flite, festival), and joining short package files into sessions."""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import mido
import numpy as np
import soundfile as sf
import soxr

from ..audio import Audio
from ..audio_io import as_audio
from ..errors import StitoError

#: Rate in Hz that renders and joined sessions are made at.
RATE = 48000
#: Trailing audio quieter than this (dBFS peak per 10 ms) is cut from renders.
TAIL_DB = -70.0
#: Speech engines: name -> (program, its arguments from the voice, the text file and the output file).
ENGINES = {
    "espeak-ng": ("espeak-ng", lambda voice, text, out: ["-v", voice, "-f", text, "-w", out]),
    "flite": ("flite", lambda voice, text, out: ["-voice", voice, "-f", text, "-o", out]),
    "festival": ("text2wave", lambda voice, text, out: ["-eval", f"(voice_{voice})", "-o", out, text]),
}
#: Plain-English prose shipped by every Debian system (package base-files): the texts read aloud.
TEXTS = tuple(Path("/usr/share/common-licenses") / name for name in (
    "GPL-3", "GPL-2", "Apache-2.0", "MPL-2.0", "MPL-1.1", "LGPL-3", "LGPL-2.1", "GFDL-1.3", "Artistic", "CC0-1.0"))


def _run(command: list[str], what: str) -> None:
    """Run ``command``; StitoError with its stderr when it fails or its program is missing."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    except FileNotFoundError:
        raise StitoError(f"{what}: program {command[0]} not found; install its Debian package") from None
    if done.returncode:
        raise StitoError(f"{what}: {command[0]} failed ({' '.join(done.stderr.split())[:200]})")


def _read(path: Path, what: str) -> Audio:
    """A rendered file as Audio with its trailing silence cut."""
    samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return as_audio(trim_tail(samples.T, rate), rate, what)


def trim_tail(samples: np.ndarray, rate: int) -> np.ndarray:
    """(channels, frames) ``samples`` without the trailing 10 ms blocks quieter than ``TAIL_DB``."""
    hop = rate // 100
    peaks = np.abs(samples[:, : samples.shape[1] // hop * hop]).reshape(samples.shape[0], -1, hop).max(axis=(0, 2))
    loud = np.flatnonzero(peaks > 10 ** (TAIL_DB / 20))
    return samples[:, : (int(loud[-1]) + 1) * hop] if loud.size else samples


def render_midi(midi: mido.MidiFile | Path, soundfont: Path, gain: float = 0.5) -> Audio:
    """``midi`` played by ``soundfont`` with fluidsynth (its reverb and chorus off): stereo at ``RATE`` Hz."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(midi) if isinstance(midi, Path) else Path(tmp) / "in.mid"
        if not isinstance(midi, Path):
            midi.save(str(path))
        out = Path(tmp) / "out.wav"
        _run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", str(gain), "-r", str(RATE), "-F", str(out),
              str(soundfont), str(path)], f"render {path.name} with {soundfont.name}")
        return _read(out, f"{path.name} on {soundfont.name}")


def speak(engine: str, voice: str, text: str) -> Audio:
    """``text`` read by ``voice`` of a speech ``engine`` (an :data:`ENGINES` key), mono at the engine's rate."""
    with tempfile.TemporaryDirectory() as tmp:
        text_path, out = Path(tmp) / "text.txt", Path(tmp) / "out.wav"
        text_path.write_text(text, encoding="utf-8")
        program, arguments = ENGINES[engine]
        _run([program, *arguments(voice, str(text_path), str(out))], f"{engine} voice {voice}")
        return _read(out, f"{engine} voice {voice}")


def sentences(min_words: int = 6, max_words: int = 28) -> list[str]:
    """Sentences of plain words from :data:`TEXTS`, in file order, without legal numbering or symbols."""
    text = " ".join(" ".join(path.read_text(encoding="utf-8", errors="replace").split()) for path in TEXTS)
    found = (s.strip() for s in re.split(r"(?<=[.;:!?])\s+", text))
    plain = re.compile(r"[A-Za-z0-9 ,;:.'\"()/-]+")
    return [s for s in found if min_words <= len(s.split()) <= max_words and plain.fullmatch(s)]


def join(paths: Sequence[Path], pauses_s: Sequence[float], what: str) -> Audio:
    """The audio files ``paths``, each followed by its pause (s), as one recording at ``RATE`` Hz; stereo when
    any file is stereo."""
    parts = [_at_rate(path) for path in paths]
    channels = max(p.shape[0] for p in parts)
    out = []
    for part, pause in zip(parts, pauses_s):
        out += [np.repeat(part, channels // part.shape[0], axis=0), np.zeros((channels, int(pause * RATE)), np.float32)]
    return as_audio(np.concatenate(out, axis=1), RATE, what)


def _at_rate(path: Path) -> np.ndarray:
    """A short package file as float32 (channels, frames) at ``RATE`` Hz (soundfile, not audio_io: some are
    shorter than the shortest audio stito accepts)."""
    samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return np.ascontiguousarray(soxr.resample(samples[:, :2], rate, RATE).T if rate != RATE else samples[:, :2].T)
