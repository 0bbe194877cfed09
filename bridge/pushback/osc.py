"""Parameter push-back as OSC messages in a host's own address space (REAPER, Ardour, AbletonOSC, ...)."""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from ..codes import Code, DaemonError

if TYPE_CHECKING:
    from .profile import ParamTarget, Profile


def build_osc(profile: Profile, targets: Sequence[ParamTarget]) -> list[OscMessage]:
    """One message per target: ``[osc] address`` with its {fields} filled, ``args`` typed by ``types``."""
    osc = profile.data["osc"]
    return [_message(osc["address"], osc["args"], osc["types"], t) for t in targets]


def _message(address: str, args: Sequence[str], types: str, target: ParamTarget) -> OscMessage:
    values = {**target.fields, "value": target.value, "effect": target.effect, "name": target.name}
    try:
        builder = OscMessageBuilder(address.format_map(values))
    except KeyError as exc:
        msg = f"{target.effect}.{target.name}: the address needs field {exc} and the profile gives none"
        raise DaemonError(Code.PUSH_FAILED, msg) from None
    for name, kind in zip(args, types):
        if name not in values:
            raise DaemonError(Code.PUSH_FAILED, f"{target.effect}.{target.name}: argument '{name}' has no value")
        builder.add_arg(_typed(values[name], kind), kind)
    return builder.build()


def _typed(value: Any, kind: str) -> Any:
    """``value`` as the Python type python-osc writes for OSC type letter ``kind``."""
    if kind == "i":
        return int(round(float(value)))
    if kind in "fd":
        return float(value)
    if kind == "s":
        return str(value)
    return bool(value)


class OscPusher:
    """Sends a profile's messages over UDP to its host, ``profile.pace_s`` apart."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.address = (profile.data["osc"]["host"], int(profile.data["osc"]["port"]))
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, messages: Sequence[OscMessage]) -> int:
        """Send every message; returns how many were sent."""
        try:
            for i, message in enumerate(messages):
                if i:
                    time.sleep(self.profile.pace_s)
                self._sock.sendto(message.dgram, self.address)
        except OSError as exc:
            msg = f"DAW profile '{self.profile.name}': cannot send to {self.address[0]}:{self.address[1]} ({exc})"
            raise DaemonError(Code.PUSH_FAILED, msg, bad_input=False) from None
        return len(messages)

    def close(self) -> None:
        self._sock.close()
