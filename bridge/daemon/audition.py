"""Audition: play a job's input, result or reference on the machine's audio output (sounddevice).

Without PortAudio or without an output device, :meth:`Audition.play` raises ``Code.NO_AUDIO_DEVICE``
with the reason; nothing else in the daemon depends on audio hardware.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from stito_core.audio import Audio
from stito_core.loudness import matched_gains_db

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

    def play(self, path: str, matched_to: Sequence[str] = ()) -> tuple[float, float]:
        """Start playing the audio file at ``path``; with ``matched_to`` (the other files of an A/B, ``path``
        among them) at the integrated loudness of the quietest of them (BS.1770), so that no version wins
        by level. Returns (its length in seconds, the gain applied in dB)."""
        if not self.enabled:
            raise DaemonError(Code.NO_AUDIO_DEVICE, "audition is off (audition.enabled = false)")
        gain_db = 0.0
        if matched_to:  # each file read once, the played one among them
            together = [check_audio_file(other) for other in matched_to]
            which = list(matched_to).index(path)
            gain_db = matched_gains_db(together)[which]
            audio = together[which].with_samples(together[which].samples * 10 ** (gain_db / 20))
        else:
            audio = check_audio_file(path)
        with self._lock:
            self.player.stop()
            self.player.play(audio)
        log.info("auditioning %s (%.1f s, %+.1f dB for equal loudness)", path, audio.duration_s, gain_db)
        return audio.duration_s, gain_db

    def stop(self) -> None:
        with self._lock:
            self.player.stop()

    def close(self) -> None:
        try:
            self.stop()
        except Exception as exc:  # closing must not fail the daemon's shutdown
            log.debug("audition stop at shutdown: %s", exc)
