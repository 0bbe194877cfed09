"""A host's parameter ranges, read just before a push, so that no value sent lies outside them.

AbletonOSC sets ``DeviceParameter.value`` as given, and Live raises on a value outside the parameter's
min..max. A profile's ``[osc.ranges]`` names the two queries that answer with one device's minima and
maxima (AbletonOSC: ``/live/device/get/parameters/min t d`` is answered on UDP port 11001 of the asking
host with ``t d min0 min1 ...``); every target is clamped into its parameter's range before sending.
A host that does not answer in time gets the values unclamped, with a warning in the log.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from .profile import ParamTarget, Profile

log = logging.getLogger("stito.daemon.push")

#: Keys of ``[osc.ranges]``: the two query addresses, the target fields that are their arguments, the
#: port the host answers on, and how long to wait (ms).
RANGES_KEYS = ("min", "max", "args", "reply_port", "timeout_ms")
#: Milliseconds to wait for the answers when ``timeout_ms`` is left out.
DEFAULT_TIMEOUT_MS = 1000

Key = tuple[int, ...]


class RangeReader:
    """Asks one profile's host for the ranges of the devices a push reaches; one query at a time."""

    def __init__(self, profile: Profile) -> None:
        osc = profile.data["osc"]
        self.profile, self.config, self.host = profile, osc["ranges"], (osc["host"], int(osc["port"]))
        self._lock = threading.Lock()

    def clamp(self, targets: Sequence[ParamTarget]) -> list[ParamTarget]:
        """``targets`` with every value moved into its parameter's range (as the host reports it)."""
        keys = sorted({self._key(t) for t in targets})
        with self._lock:
            ranges = self._read(keys)
        out = []
        for target in targets:
            key, param = self._key(target), int(target.fields["param"])
            low, high = (ranges[key][0][param], ranges[key][1][param]) if key in ranges and \
                param < min(len(ranges[key][0]), len(ranges[key][1])) else (None, None)
            if low is None or low <= target.value <= high:
                out.append(target)
                continue
            value = min(max(float(target.value), low), high)
            log.info("%s.%s: %g is outside the host's %g..%g; sent %g", target.effect, target.name,
                     target.value, low, high, value)
            out.append(dataclasses.replace(target, value=value))
        return out

    def _key(self, target: ParamTarget) -> Key:
        """The device a target's parameter belongs to: its values of the query's ``args`` fields."""
        return tuple(int(target.fields[a]) for a in self.config["args"])

    def _read(self, keys: Sequence[Key]) -> dict[Key, tuple[list[float], list[float]]]:
        """(minima, maxima) per device key; what did not come back in time is left out, with a warning."""
        wanted = {(self.config[which], key) for which in ("min", "max") for key in keys}
        found: dict[tuple[str, Key], list[float]] = {}
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                local = self.host[0] in ("127.0.0.1", "localhost")
                sock.bind(("127.0.0.1" if local else "0.0.0.0", int(self.config["reply_port"])))
                for address, key in sorted(wanted):
                    sock.sendto(_query(address, key), self.host)
                self._collect(sock, wanted, found, len(self.config["args"]))
        except OSError as exc:
            log.warning("DAW profile %s: cannot ask %s:%d for parameter ranges (%s); values sent unclamped",
                        self.profile.name, *self.host, exc)
        missing = sorted(wanted - set(found))
        if missing:
            log.warning("DAW profile %s: no answer to %s %s within %d ms; those values sent unclamped",
                        self.profile.name, missing[0][0], " ".join(map(str, missing[0][1])), self._timeout_ms)
        return {key: (found[(self.config["min"], key)], found[(self.config["max"], key)]) for key in keys
                if (self.config["min"], key) in found and (self.config["max"], key) in found}

    @property
    def _timeout_ms(self) -> int:
        return int(self.config.get("timeout_ms", DEFAULT_TIMEOUT_MS))

    def _collect(self, sock: socket.socket, wanted: set[tuple[str, Key]],
                 found: dict[tuple[str, Key], list[float]], n_args: int) -> None:
        deadline = time.monotonic() + self._timeout_ms / 1000.0
        while set(found) < wanted and (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                message = OscMessage(sock.recv(65536))
            except (TimeoutError, socket.timeout):
                return
            except Exception:  # noqa: BLE001 - a malformed datagram from anyone is skipped
                continue
            values = _numbers(message.params)
            if values is None or len(values) < n_args:
                continue
            key = tuple(int(v) for v in values[:n_args])
            if (message.address, key) in wanted:
                found[(message.address, key)] = values[n_args:]


def _query(address: str, key: Key) -> bytes:
    builder = OscMessageBuilder(address)
    for number in key:
        builder.add_arg(number, "i")
    return builder.build().dgram


def _numbers(params: Sequence[Any]) -> list[float] | None:
    if any(isinstance(p, bool) or not isinstance(p, (int, float)) for p in params):
        return None
    return [float(p) for p in params]


def check_ranges(table: Any, fields: Mapping[str, Any]) -> str | None:
    """Why an ``[osc.ranges]`` table is malformed (naming the key), or None."""
    if not isinstance(table, Mapping):
        return "osc.ranges: must be a table with min, max, args, reply_port"
    for key in table:
        if key not in RANGES_KEYS:
            return f"osc.ranges.{key}: unknown key; valid: {', '.join(RANGES_KEYS)}"
    for key in ("min", "max"):
        if not isinstance(table.get(key), str) or not table[key].startswith("/"):
            return f"osc.ranges.{key}: give the OSC address of the query (starting with '/')"
    args = table.get("args")
    if not isinstance(args, list) or not args or any(a not in fields for a in args):
        return f"osc.ranges.args: give a list of target fields (e.g. [\"track\", \"fx\"]), got {args!r}"
    port, wait = table.get("reply_port"), table.get("timeout_ms", DEFAULT_TIMEOUT_MS)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        return f"osc.ranges.reply_port: {port!r}; give the port the host answers on, 1..65535"
    if isinstance(wait, bool) or not isinstance(wait, int) or not 1 <= wait <= 10000:
        return f"osc.ranges.timeout_ms: {wait!r}; give a whole number of milliseconds, 1..10000"
    return None
