"""Parameter push-back as MIDI through mido: 7-bit CC, 14-bit CC pairs or NRPN.

The messages are built without any MIDI backend, so they can be checked anywhere; sending needs one
(python-rtmidi). Without it, or without a MIDI system (no ALSA sequencer), sending fails with
``Code.NO_MIDI_BACKEND`` and a clear reason instead of an exception from the backend.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import mido

from ..codes import Code, DaemonError

if TYPE_CHECKING:
    from .profile import ParamTarget, Profile

#: Controllers of the MIDI NRPN protocol.
NRPN_MSB, NRPN_LSB, DATA_MSB, DATA_LSB, RPN_MSB, RPN_LSB = 99, 98, 6, 38, 101, 100
#: Largest value of a 7-bit and a 14-bit message.
MAX7, MAX14 = 127, 16383
#: Highest controller number that has a 14-bit LSB partner (controller + 32).
MAX_CC14 = 31


def build_midi(profile: Profile, targets: Sequence[ParamTarget]) -> list[mido.Message]:
    """The messages for ``targets`` in order (2 per cc14, 4 per NRPN, 6 with ``nrpn_reset``)."""
    reset = bool(profile.data.get("midi", {}).get("nrpn_reset", False))
    return [m for t in targets for m in _messages(t, reset)]


def _messages(target: ParamTarget, reset: bool) -> list[mido.Message]:
    fields, where = target.fields, f"{target.effect}.{target.name}"
    if "resolution" in fields or isinstance(target.value, int):
        raise DaemonError(Code.PUSH_FAILED, f"{where}: MIDI takes 0-1 values scaled by `kind`; remove `resolution`")
    if fields["value"] == "real":
        raise DaemonError(Code.PUSH_FAILED, f"{where}: value = 'real' cannot be sent as MIDI; use plugin, "
                          "normalized or a lookup to 0-1")
    x = min(max(float(target.value), 0.0), 1.0)
    kind, number, channel = fields["kind"], int(fields["control"]), int(fields["channel"]) - 1
    cc = _cc_maker(channel)
    if kind == "cc":
        _check_number(where, "cc control", number, MAX7)
        return [cc(number, round(x * MAX7))]
    value = round(x * MAX14)
    if kind == "cc14":
        _check_number(where, "cc14 control", number, MAX_CC14)
        return [cc(number, value >> 7), cc(number + 32, value & 0x7F)]
    _check_number(where, "NRPN number", number, MAX14)
    out = [cc(NRPN_MSB, number >> 7), cc(NRPN_LSB, number & 0x7F), cc(DATA_MSB, value >> 7), cc(DATA_LSB, value & 0x7F)]
    return out + ([cc(RPN_MSB, 127), cc(RPN_LSB, 127)] if reset else [])


def _cc_maker(channel: int) -> Any:
    return lambda control, value: mido.Message("control_change", channel=channel, control=control, value=value)


def _check_number(where: str, what: str, number: int, high: int) -> None:
    if not 0 <= number <= high:
        raise DaemonError(Code.PUSH_FAILED, f"{where}: {what} {number} is outside 0..{high}")


class MidiPusher:
    """Sends a profile's messages on its MIDI output (opened once, kept open), ``profile.pace_s`` apart.

    ``[midi] port`` names an output; ``virtual = true`` (the default for the name "stito") opens a
    virtual port of that name that the DAW connects to.
    """

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        midi = profile.data.get("midi", {})
        self.port_name = midi.get("port", "stito")
        self.virtual = bool(midi.get("virtual", self.port_name == "stito"))
        self._port: Any = None
        self._lock = threading.Lock()

    def send(self, messages: Sequence[mido.Message]) -> int:
        with self._lock:
            port = self._open()
            for i, message in enumerate(messages):
                if i:
                    time.sleep(self.profile.pace_s)
                port.send(message)
        return len(messages)

    def _open(self) -> Any:
        if self._port is None:
            self._port = open_output(self.port_name, self.virtual)
        return self._port

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None


def open_output(name: str, virtual: bool) -> Any:
    """A mido output port; failures become :class:`DaemonError` with ``NO_MIDI_BACKEND`` or ``PUSH_FAILED``."""
    try:
        mido.backend.module  # noqa: B018 - loads the backend (python-rtmidi), raising ImportError without it
    except ImportError as exc:
        raise DaemonError(Code.NO_MIDI_BACKEND, f"no MIDI backend ({exc}); pip install python-rtmidi",
                          bad_input=False) from None
    try:
        return mido.open_output(name, virtual=virtual) if virtual else mido.open_output(name)
    except Exception as exc:
        text = " ".join(str(exc).split())
        if "rtmidi" in type(exc).__module__:  # the backend's own errors: no MIDI system (e.g. no ALSA sequencer)
            raise DaemonError(Code.NO_MIDI_BACKEND, f"no MIDI system for port '{name}' ({text})",
                              bad_input=False) from None
        raise DaemonError(Code.PUSH_FAILED, f"MIDI output '{name}': {text}", bad_input=False) from None
