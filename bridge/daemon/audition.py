"""Audition: play a job's input, result or reference on the machine's audio output (sounddevice).

Without PortAudio or without an output device, :meth:`Audition.play` raises ``Code.NO_AUDIO_DEVICE``
with the reason; nothing else in the daemon depends on audio hardware.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from stito_core.audio import Audio

from ..codes import Code, DaemonError
from .inputs import check_audio_file

log = logging.getLogger("stito.daemon.audition")


class Player(Protocol):
    """Something that plays audio without blocking and can stop it."""

    def play(self, audio: Audio) -> None: ...

    def stop(self) -> None: ...


class SoundDevicePlayer:
    """Plays through sounddevice on ``device`` (a name or None for the default output)."""

    def __init__(self, device: str | None = None) -> None:
        self.device = device
        self._sd: Any = None

    def play(self, audio: Audio) -> None:
        sd = self._module()
        try:
            sd.query_devices(self.device, kind="output")
            sd.play(audio.samples.T, audio.sample_rate, device=self.device)
        except (sd.PortAudioError, ValueError) as exc:
            raise DaemonError(Code.NO_AUDIO_DEVICE, f"no audio output device ({_line(exc)})",
                              bad_input=False) from None

    def stop(self) -> None:
        if self._sd is not None:
            self._sd.stop()

    def _module(self) -> Any:
        if self._sd is None:
            try:
                import sounddevice
            except OSError as exc:  # PortAudio itself is missing
                raise DaemonError(Code.NO_AUDIO_DEVICE, f"no audio output: {_line(exc)}", bad_input=False) from None
            self._sd = sounddevice
        return self._sd


def _line(exc: Exception) -> str:
    return " ".join(str(exc).split())


class Audition:
    """Plays one file at a time; a new request stops the one before."""

    def __init__(self, enabled: bool = True, player: Player | None = None, device: str | None = None) -> None:
        self.enabled = enabled
        self.player = player or SoundDevicePlayer(device)
        self._lock = threading.Lock()

    def play(self, path: str) -> float:
        """Start playing the audio file at ``path``; returns its length in seconds."""
        if not self.enabled:
            raise DaemonError(Code.NO_AUDIO_DEVICE, "audition is off (audition.enabled = false)")
        audio = check_audio_file(path)
        with self._lock:
            self.player.stop()
            self.player.play(audio)
        log.info("auditioning %s (%.1f s)", path, audio.duration_s)
        return audio.duration_s

    def stop(self) -> None:
        with self._lock:
            self.player.stop()

    def close(self) -> None:
        try:
            self.stop()
        except Exception as exc:  # closing must not fail the daemon's shutdown
            log.debug("audition stop at shutdown: %s", exc)
