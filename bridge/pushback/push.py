"""Parameter push-back: a finished job's parameters, through a DAW profile, to the host (OSC or MIDI)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from stito_core.chain import Chain

from ..codes import Code, DaemonError
from .profile import ParamTarget, Profile, ProfileError, split_daw
from .midi import MidiPusher, build_midi
from .osc import OscPusher, build_osc
from .ranges import RangeReader

log = logging.getLogger("stito.daemon.push")


class PushBack:
    """One sender per profile, opened on first use and kept until :meth:`close`."""

    def __init__(self, profiles: Mapping[str, Profile]) -> None:
        self.profiles = profiles
        self._senders: dict[str, OscPusher | MidiPusher] = {}
        self._readers: dict[str, RangeReader] = {}
        self._lock = threading.Lock()

    def targets(self, daw: str, chain: Chain, rows: Sequence[Mapping[str, Any]]) -> tuple[Profile, list[ParamTarget]]:
        """The profile that ``daw`` names (with a job's target fields after "@", :func:`split_daw`) and
        its target for every mapped row."""
        try:
            profile_name, where = split_daw(daw)
            profile = self._profile(profile_name)
            return profile, profile.targets(chain, rows, where)
        except ProfileError as exc:
            raise DaemonError(Code.PUSH_FAILED, f"DAW profile '{daw}': {exc}") from None

    def messages(self, daw: str, chain: Chain, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """The messages (python-osc ``OscMessage`` or ``mido.Message``) that push ``rows`` to the host."""
        return build_messages(*self.targets(daw, chain, rows))

    def push(self, daw: str, chain: Chain, rows: Sequence[Mapping[str, Any]]) -> int:
        """Send every mapped parameter, paced, clamped first into the host's ranges where the profile
        asks for them (``[osc.ranges]``); returns how many messages went out."""
        profile, targets = self.targets(daw, chain, rows)
        if "ranges" in profile.data.get("osc", {}):
            targets = self._range_reader(profile).clamp(targets)
        sent = self._sender(profile).send(build_messages(profile, targets))
        log.info("pushed %d parameters of chain %s through DAW profile %s", sent, chain.name, profile.name)
        return sent

    def _range_reader(self, profile: Profile) -> RangeReader:
        with self._lock:
            return self._readers.setdefault(profile.name, RangeReader(profile))

    def _profile(self, name: str) -> Profile:
        profile = self.profiles.get(name)
        if profile is None:
            raise DaemonError(Code.UNKNOWN_PROFILE, f"unknown DAW profile '{name}'; /stito/profiles lists them")
        return profile

    def _sender(self, profile: Profile) -> OscPusher | MidiPusher:
        with self._lock:
            if profile.name not in self._senders:
                make = MidiPusher if profile.transport == "midi" else OscPusher
                self._senders[profile.name] = make(profile)
            return self._senders[profile.name]

    def close(self) -> None:
        with self._lock:
            for sender in self._senders.values():
                sender.close()
            self._senders.clear()


def build_messages(profile: Profile, targets: Sequence[ParamTarget]) -> list[Any]:
    """The profile's transport's messages for ``targets``."""
    return build_midi(profile, targets) if profile.transport == "midi" else build_osc(profile, targets)
