"""The profile model: a loaded DAW profile and the targets it gives each found parameter.

A :class:`Profile` holds one parsed profile file (format in :mod:`bridge.pushback.profiles` and
docs/DAEMON.md); :meth:`Profile.targets` merges the four target levels for one chain and converts each
value. The transports (:mod:`.osc`, :mod:`.midi`) build messages from these targets.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from stito_core.chain import Chain
from stito_core.errors import StitoError
from stito_core.params import ParameterSpec

from ..codes import Code, DaemonError

#: Fields a target may set at any level, with a one-line meaning.
FIELDS = {
    "value": "conversion: normalized (0-1 of the searched range), real (the parameter's unit x factor + "
             "offset), plugin (0-1 of the plugin's own range), lookup (piecewise-linear table)",
    "range": "[min, max] of the plugin's own range, in the parameter's unit (value = plugin)",
    "scale": "linear or log: how the host spreads 0-1 over range (value = plugin)",
    "factor": "multiplier for value = real (e.g. 1000 for s -> ms)",
    "offset": "added after factor for value = real",
    "lookup": "[[value in unit, value sent], ...] with rising first numbers (value = lookup)",
    "resolution": "send a whole number 0..resolution instead of 0-1 (e.g. 127 or 16383)",
    "track": "track or strip number", "fx": "plugin slot on the track", "param": "parameter number",
    "first_fx": "fx number of the chain's first effect", "first_param": "param number of a plugin's first parameter",
    "numbering": "what automatic param numbers count: parameters (the plugin's parameter list) or controls "
                 "(every control port, output meters included, as Ardour's OSC surface counts)",
    "kind": "MIDI message: cc (7-bit), cc14 (14-bit MSB/LSB pair), nrpn (14-bit NRPN)",
    "control": "MIDI controller (cc 0-127, cc14 0-31) or NRPN number (0-16383)",
    "channel": "MIDI channel 1-16", "skip": "true: send nothing for this parameter",
}
_BUILTIN_DEFAULTS = {"value": "normalized", "track": 1, "first_fx": 1, "first_param": 1, "kind": "cc",
                     "scale": "linear", "factor": 1.0, "offset": 0.0, "numbering": "parameters"}
#: The choices of the ``numbering`` field.
NUMBERINGS = ("parameters", "controls")


#: Target fields a job may give after its DAW profile's name ("reaper@track=3,first_fx=2"): where the
#: matched item is, when only the script that sent the job knows it.
JOB_FIELDS = ("track", "first_fx")


class ProfileError(StitoError):
    """A DAW profile is malformed or cannot address a chain."""


def split_daw(daw: str) -> tuple[str, dict[str, int]]:
    """A job's DAW argument as the profile name and the target fields given after "@" (``JOB_FIELDS``,
    whole numbers from 1, comma-separated); a malformed one is a ``ProfileError`` saying what is wrong."""
    name, _, given = daw.partition("@")
    fields: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in given.split(","))):
        key, _, value = item.partition("=")
        if key.strip() not in JOB_FIELDS:
            raise ProfileError(f"'{daw}': unknown target field '{key.strip()}'; give {' or '.join(JOB_FIELDS)}")
        if not value.strip().isdigit() or int(value) < 1:
            raise ProfileError(f"'{daw}': {key.strip()} must be a whole number from 1, got '{value.strip()}'")
        fields[key.strip()] = int(value)
    return name, fields


@dataclass(frozen=True)
class ParamTarget:
    """Where and how one found parameter is sent: merged ``fields`` and the converted ``value``."""

    effect: str
    name: str
    fields: Mapping[str, Any]
    value: float | int


@dataclass
class Profile:
    """One DAW profile file; ``problem`` is why it is disabled (None when it passed its self-check)."""

    name: str
    path: Path
    data: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        return self.problem is None

    @property
    def transport(self) -> str:
        return self.data.get("transport", "")

    @property
    def description(self) -> str:
        return self.data.get("description", "")

    @property
    def pace_s(self) -> float:
        """Gap between two messages, seconds, so that no host drops any."""
        return float(self.data.get("pace_ms", 5)) / 1000.0

    @property
    def status(self) -> str:
        return "ok" if self.enabled else f"disabled: {self.problem}"

    def maps(self, chain_name: str) -> bool:
        """True when this profile addresses ``chain_name`` (by name or through "*")."""
        chains = self.data.get("chains", {})
        return chain_name in chains or "*" in chains

    def targets(self, chain: Chain, rows: Sequence[Mapping[str, Any]],
                where: Mapping[str, int] | None = None) -> list[ParamTarget]:
        """One target per parameter-file row of ``chain`` (skipped parameters left out), values converted.
        ``where`` (a job's ``JOB_FIELDS``) beats the profile's defaults and its chain table; an effect's or
        a parameter's own numbers still win."""
        if not self.enabled:
            raise DaemonError(Code.PROFILE_DISABLED, f"DAW profile '{self.name}' is disabled: {self.problem}")
        chains = self.data.get("chains", {})
        table = chains.get(chain.name, chains.get("*"))
        if table is None:
            raise DaemonError(Code.NO_MAPPING, f"DAW profile '{self.name}' maps no parameter of chain "
                              f"'{chain.name}'; add [chains.{chain.name}] to {self.path}")
        return _Resolver(self, chain, table, where or {}).targets(rows)


class _Resolver:
    """Merges the four target levels for one chain and fills in automatic numbers."""

    def __init__(self, profile: Profile, chain: Chain, table: Mapping[str, Any], where: Mapping[str, int]) -> None:
        self.profile, self.chain, self.table, self.where = profile, chain, table, where
        midi = profile.data.get("midi", {})
        self.base = {**_BUILTIN_DEFAULTS, "channel": midi.get("channel", 1), **profile.data.get("target", {})}
        self.controls = list(midi.get("controls", []))

    def targets(self, rows: Sequence[Mapping[str, Any]]) -> list[ParamTarget]:
        out, auto_index = [], 0
        plugin_specs = self._plugin_specs()
        effects = self.table.get("effects", {})
        unknown = set(effects) - {s.effect.name for s in self.chain.slots}
        if unknown:
            raise ProfileError(unknown_message("effect", sorted(unknown)[0], [s.effect.name for s in self.chain.slots]))
        for row in rows:
            fields = self._fields(row, effects.get(row["effect"], {}))
            index, auto_index = auto_index, auto_index + 1
            if fields.get("skip"):
                continue
            spec = plugin_specs[(row["effect"], row["name"])]
            self._auto(fields, row, index)
            out.append(ParamTarget(row["effect"], row["name"], fields, convert(fields, row, spec)))
        return out

    def _fields(self, row: Mapping[str, Any], effect: Mapping[str, Any]) -> dict[str, Any]:
        params = effect.get("params", {})
        names = [p.name for p in self.chain.parameters if p.effect == row["effect"]]
        unknown = set(params) - set(names)
        if unknown:
            raise ProfileError(f"effect '{row['effect']}': " + unknown_message("parameter", sorted(unknown)[0], names))
        own = params.get(row["name"], {})
        if isinstance(own, int):
            own = {"control" if self.profile.transport == "midi" else "param": own}
        levels = (self.base, _fields_of(self.table), self.where, _fields_of(effect), own)
        return {k: v for level in levels for k, v in level.items()}

    def _auto(self, fields: dict[str, Any], row: Mapping[str, Any], index: int) -> None:
        """Fill ``fx``, ``param`` and MIDI ``control`` from positions when the profile leaves them out."""
        slot_index = next(i for i, s in enumerate(self.chain.slots) if s.effect.name == row["effect"])
        fields.setdefault("fx", fields["first_fx"] + slot_index)
        effect = self.chain.slots[slot_index].effect
        numbers = effect.control_numbers() if fields["numbering"] == "controls" else effect.parameter_numbers()
        fields.setdefault("param", fields["first_param"] + numbers[row["name"]])
        if self.profile.transport == "midi" and "control" not in fields:
            if index >= len(self.controls):
                raise ProfileError(f"{row['effect']}.{row['name']}: no MIDI control given and [midi] controls has "
                                   f"only {len(self.controls)} numbers for {len(self.chain.parameters)} parameters")
            fields["control"] = self.controls[index]

    def _plugin_specs(self) -> dict[tuple[str, str], ParameterSpec]:
        """The plugin's full-range spec of each parameter (the chain's may be narrowed for the search)."""
        return {(s.effect.name, p.name): p for s in self.chain.slots for p in s.effect.parameters}


def _fields_of(table: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in table.items() if k in FIELDS}


def convert(fields: Mapping[str, Any], row: Mapping[str, Any], plugin: ParameterSpec) -> float | int:
    """The number sent for one parameter-file ``row`` under ``fields`` (see ``FIELDS['value']``)."""
    mode, value = fields["value"], float(row["value"])
    if mode == "normalized":
        out = float(row["normalized"])
    elif mode == "real":
        out = value * float(fields["factor"]) + float(fields["offset"])
    elif mode == "plugin":
        lo, hi = fields.get("range") or (plugin.minimum, plugin.maximum)
        out = _position(value, float(lo), float(hi), fields["scale"])
    else:
        xs, ys = zip(*fields["lookup"])
        out = float(np.interp(value, xs, ys))
    resolution = fields.get("resolution")
    return int(round(min(max(out, 0.0), 1.0) * resolution)) if resolution else out


def _position(value: float, lo: float, hi: float, scale: str) -> float:
    """Where ``value`` lies in [lo, hi] as 0-1 (clipped), evenly in the unit or in its logarithm."""
    v = min(max(value, lo), hi)
    if scale == "log":
        return (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return (v - lo) / (hi - lo)


def unknown_message(what: str, name: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else f" Valid: {', '.join(valid)}"
    return f"unknown {what} '{name}'.{hint}"
