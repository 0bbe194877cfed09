"""Checking an audio path the way a job needs it, with a stable :class:`~bridge.codes.Code` per problem."""

from __future__ import annotations

import os
from pathlib import Path

import soundfile as sf

from stito_core.audio import Audio
from stito_core.audio_io import is_audio_name, read_audio
from stito_core.errors import AudioError

from ..codes import Code, DaemonError


def check_audio_file(path: str | Path, max_duration_s: float | None = None) -> Audio:
    """The checked audio at ``path``; raises :class:`DaemonError` when it is missing, a folder, unreadable,
    not audio, longer than ``max_duration_s`` seconds, truncated, silent or otherwise unusable."""
    name, path = str(path), Path(path)
    if not path.exists():
        raise DaemonError(Code.FILE_NOT_FOUND, f"{name}: file not found; check the path")
    if path.is_dir():
        raise DaemonError(Code.IS_DIRECTORY, f"{name}: is a folder; give an audio file")
    if not os.access(path, os.R_OK):
        raise DaemonError(Code.UNREADABLE, f"{name}: not readable; check the file's permissions")
    _check_duration(path, name, max_duration_s)
    try:
        return read_audio(path)
    except AudioError as exc:
        raise DaemonError(_code_of(str(exc)), str(exc)) from None


def _check_duration(path: Path, name: str, max_duration_s: float | None) -> None:
    """Refuse non-audio and overlong files from the header alone, before decoding anything."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        text = " ".join(str(getattr(exc, "error_string", exc)).split())
        raise DaemonError(Code.NOT_AUDIO, f"{name}: not an audio file stito can read ({text}); "
                          "convert it to WAV or FLAC") from None
    if max_duration_s is not None and info.duration > max_duration_s:
        raise DaemonError(Code.TOO_LONG, f"{name}: {info.duration:.1f} s long; the daemon takes at most "
                          f"{max_duration_s:g} s (jobs.max_duration_s)")


def _code_of(message: str) -> Code:
    """The code for one of ``read_audio``'s messages."""
    if "truncated" in message:
        return Code.TRUNCATED
    if "not an audio file" in message:
        return Code.NOT_AUDIO
    if "cannot open" in message:
        return Code.UNREADABLE
    return Code.BAD_AUDIO


def check_references(path: str | Path, max_duration_s: float | None = None) -> list[Audio]:
    """The reference at ``path``: one checked audio file, or every audio file in a folder (their common
    style is matched); a folder with none is :class:`DaemonError` ``FILE_NOT_FOUND``."""
    folder = Path(path)
    if not folder.is_dir():
        return [check_audio_file(path, max_duration_s)]
    files = sorted(p for p in folder.iterdir() if p.is_file() and is_audio_name(p))
    if not files:
        raise DaemonError(Code.FILE_NOT_FOUND, f"{path}: a folder of references with no audio file in it")
    return [check_audio_file(p, max_duration_s) for p in files]
