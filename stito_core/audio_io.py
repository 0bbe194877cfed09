"""Reading, checking, resampling and writing audio: the only place that builds ``Audio``.

Every check raises :class:`AudioError` with one line that names the file (or array) and says what
is wrong and how to fix it.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import soundfile as sf
import soxr

from .audio import Audio
from .errors import AudioError

#: Shortest audio stito accepts, in seconds.
MIN_DURATION_S = 0.5
#: Most channels stito accepts (mono or stereo).
MAX_CHANNELS = 2
#: Peak level in dBFS below which audio counts as digital silence.
SILENCE_DB = -90.0
#: Peak level in dBFS that ``write_audio`` scales hot audio down to.
HEADROOM_DB = -0.1

# libsndfile logs "data : 176400 (should be 88160)" when a header declares more bytes than the file
# holds, then quietly reads only what is there.
_SHORTFALL = re.compile(r"^\s*(?P<chunk>[^:\n]+?)\s*:\s*(?P<declared>\d+) \(should be (?P<held>\d+)\)", re.M)
# Sizes from here up are "length unknown" placeholders written by streaming encoders, not truncation.
_PLACEHOLDER_BYTES = 0x7FFFF000
_FORMAT_ALIASES = {"AIF": "AIFF"}
#: Extensions taken as audio files in a folder (lower case, without the dot).
AUDIO_EXTENSIONS = frozenset({"wav", "wave", "flac", "aif", "aiff", "aifc", "ogg", "oga", "mp3", "w64", "rf64",
                              "caf"})


def is_audio_name(path: Path) -> bool:
    """Whether ``path`` is named as an audio file (by extension; hidden files are not)."""
    return not path.name.startswith(".") and path.suffix.lower().lstrip(".") in AUDIO_EXTENSIONS


def read_audio(path: str | Path, sample_rate: int | None = None) -> Audio:
    """Read and check an audio file in any format libsndfile reads (WAV, FLAC, Ogg, AIFF, MP3...).

    Returns float32 samples shaped (channels, frames), resampled to ``sample_rate`` Hz when that is
    given and differs from the file's rate.
    """
    name = str(path)
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{name}: file not found; check the path")
    if path.is_dir():
        raise AudioError(f"{name}: is a directory; give an audio file")
    samples, rate = _decode(path, name)
    audio = check_audio(Audio(np.ascontiguousarray(samples.T), rate), name)
    return audio if sample_rate is None else resample(audio, sample_rate)


def as_audio(samples: np.ndarray, sample_rate: int, what: str = "audio") -> Audio:
    """Check an array shaped (frames,) or (channels, frames) with 1 or 2 channels at ``sample_rate``
    Hz and return it as float32 ``Audio``; ``what`` names the array in error messages."""
    array = np.asarray(samples)
    if array.ndim not in (1, 2) or (array.ndim == 2 and not 1 <= array.shape[0] <= MAX_CHANNELS):
        raise AudioError(
            f"{what}: samples shaped {array.shape}; expected (frames,) or (channels, frames) with 1 or 2 "
            "channels (transpose a (frames, channels) array)"
        )
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise AudioError(f"{what}: sample rate {sample_rate!r}; expected a positive whole number of Hz")
    audio = Audio(np.ascontiguousarray(np.atleast_2d(array), dtype=np.float32), int(sample_rate))
    return check_audio(audio, what)


def check_audio(audio: Audio, what: str) -> Audio:
    """Return ``audio`` when it is 1-2 channels, not empty, finite, not silent (peak at or above
    ``SILENCE_DB`` dBFS) and at least ``MIN_DURATION_S`` seconds long; raise ``AudioError`` otherwise."""
    if not 1 <= audio.channels <= MAX_CHANNELS:
        msg = f"{what}: {audio.channels} channels; stito reads mono or stereo audio, mix it down first"
        raise AudioError(msg)
    if audio.frames == 0:
        raise AudioError(f"{what}: empty (0 frames); stito needs at least {MIN_DURATION_S} s of audio")
    _check_finite(audio, what)
    if audio.peak_db() < SILENCE_DB:
        raise AudioError(f"{what}: silent (peak below {SILENCE_DB:.0f} dBFS); give audio with signal in it")
    if audio.duration_s < MIN_DURATION_S:
        raise AudioError(f"{what}: only {audio.duration_s:.3f} s long; stito needs at least {MIN_DURATION_S} s")
    return audio


def resample(audio: Audio, sample_rate: int) -> Audio:
    """``audio`` at ``sample_rate`` Hz (soxr, HQ); returned unchanged when the rate already matches."""
    if audio.sample_rate == sample_rate:
        return audio
    converted = soxr.resample(audio.samples.T, audio.sample_rate, sample_rate, quality="HQ")
    return Audio(np.ascontiguousarray(converted.T, dtype=np.float32), sample_rate)


def check_output_path(path: str | Path, overwrite: bool = False) -> Path:
    """Check, before any work, that ``path`` can be written: not a directory, not an existing file
    (unless ``overwrite``), its folder exists, and its extension names a format soundfile writes."""
    path = check_target(path, overwrite)
    _output_format(path)
    return path


def write_audio(path: str | Path, audio: Audio, overwrite: bool = False, subtype: str = "PCM_24") -> float:
    """Write ``audio`` to ``path`` in the format its extension names, atomically (temporary file in
    the same folder, then rename).

    ``subtype`` applies where the format supports it (WAV, FLAC, AIFF); other formats use their
    default encoding. Audio peaking above 0 dBFS is scaled so its peak is at ``HEADROOM_DB`` dBFS
    instead of clipping; returns that gain in dB (negative), or 0.0 when nothing was scaled.
    """
    path = check_output_path(path, overwrite)
    _check_finite(audio, str(path))
    fmt = _output_format(path)
    encoding = subtype if sf.check_format(fmt, subtype) else sf.default_subtype(fmt)
    audio, gain_db = _limit_peak(audio)

    def write(tmp: Path) -> None:
        sf.write(tmp, audio.samples.T, audio.sample_rate, format=fmt, subtype=encoding)

    _replace_atomically(path, write)
    return gain_db


def write_text_atomic(path: str | Path, text: str, overwrite: bool = False) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, refusing an existing file unless ``overwrite``."""
    write_file_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite)


def write_file_atomic(path: str | Path, write: Callable[[Path], object], overwrite: bool = False) -> Path:
    """``write(temporary path)`` then rename it to ``path`` (refused when it exists, unless ``overwrite``);
    returns ``path``."""
    path = check_target(path, overwrite)
    _replace_atomically(path, write)
    return path


def _decode(path: Path, name: str) -> tuple[np.ndarray, int]:
    """Float32 samples shaped (frames, channels) and the rate in Hz of the audio file at ``path``."""
    try:
        with open(path, "rb") as handle, _open_sound(handle, name) as sound:
            try:
                samples = sound.read(dtype="float32", always_2d=True)
            except sf.SoundFileError as err:
                raise AudioError(f"{name}: truncated or corrupt ({_summary(err)}); re-export the file") from err
            _check_complete(sound, samples.shape[0], name)
            return samples, sound.samplerate
    except OSError as err:
        raise AudioError(f"{name}: cannot open ({_summary(err)}); check the file's permissions") from err


def _open_sound(handle: BinaryIO, name: str) -> sf.SoundFile:
    """``handle`` opened by soundfile for reading."""
    try:
        return sf.SoundFile(handle)
    except sf.SoundFileError as err:
        msg = f"{name}: not an audio file stito can read ({_summary(err)}); convert it to WAV or FLAC"
        raise AudioError(msg) from err


def _check_complete(sound: sf.SoundFile, frames_read: int, name: str) -> None:
    """Raise when the header of ``sound`` declares more audio than the file holds (frames or bytes)."""
    if frames_read < sound.frames:
        raise AudioError(
            f"{name}: truncated (header declares {sound.frames} frames, only {frames_read} readable); "
            "re-export or copy the file again"
        )
    for match in _SHORTFALL.finditer(sound.extra_info):
        declared, held = int(match["declared"]), int(match["held"])
        # One missing byte is an omitted pad byte after an odd-sized chunk, which is harmless.
        if held + 1 < declared < _PLACEHOLDER_BYTES:
            raise AudioError(
                f"{name}: truncated ('{match['chunk']}' chunk declares {declared} bytes, the file holds {held}); "
                "re-export or copy the file again"
            )


def _check_finite(audio: Audio, what: str) -> None:
    """Raise when ``audio`` holds NaN or infinite samples."""
    bad = audio.samples.size - int(np.count_nonzero(np.isfinite(audio.samples)))
    if bad:
        raise AudioError(f"{what}: {bad} NaN or infinite samples; re-export or repair the audio")


def _summary(err: Exception) -> str:
    """One line describing a soundfile or OS error, without the 'Error opening ...' prefix or path."""
    text = getattr(err, "error_string", None) or getattr(err, "strerror", None) or str(err)
    return " ".join(text.split()).rstrip(".")


def check_target(path: str | Path, overwrite: bool) -> Path:
    """``path`` as a ``Path`` when it is not a directory, not an existing file (unless ``overwrite``)
    and its folder exists."""
    name = str(path)
    path = Path(path)
    if path.is_dir():
        raise AudioError(f"{name}: is a directory; give a file name such as out.wav")
    if path.exists() and not overwrite:
        raise AudioError(f"{name}: exists; pass --force to overwrite")
    if not path.parent.is_dir():
        raise AudioError(f"{name}: folder {path.parent} does not exist; create it first")
    return path


def _output_format(path: Path) -> str:
    """The soundfile format (e.g. ``"WAV"``) that ``path``'s extension names."""
    ext = path.suffix.lstrip(".").upper()
    fmt = _FORMAT_ALIASES.get(ext, ext)
    if fmt not in sf.available_formats() or sf.default_subtype(fmt) is None:
        raise AudioError(f"{path}: unknown audio extension '{path.suffix}'; use .wav, .flac, .aiff or .ogg")
    return fmt


def _limit_peak(audio: Audio) -> tuple[Audio, float]:
    """``audio`` scaled so its peak is at ``HEADROOM_DB`` dBFS when it peaks above 0 dBFS, with the
    gain applied in dB (0.0 when unchanged)."""
    peak_db = audio.peak_db()
    if peak_db <= 0.0:
        return audio, 0.0
    gain_db = HEADROOM_DB - peak_db
    return audio.with_samples(audio.samples * 10 ** (gain_db / 20)), gain_db


def _replace_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a hidden temporary file next to ``path``, then rename it to ``path``; the
    temporary file never outlives the call."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except (OSError, sf.SoundFileError) as err:
        msg = f"{path}: cannot write ({_summary(err)}); check the folder's space and permissions"
        raise AudioError(msg) from err
    finally:
        tmp.unlink(missing_ok=True)
