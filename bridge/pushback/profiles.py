"""DAW profiles: how each found chain parameter reaches a host, as TOML files in ``config/daw/``.

A profile names a transport (``osc`` or ``midi``), where to send, and a *target* for every chain
parameter: the fields that fill the message (track, fx, param, MIDI control...) and how the value is
converted. Targets are merged from four levels, each overriding the one before::

    [target]                          every parameter of every chain
    [chains.NAME]                     one chain (its TOML ``name``; "*" = any chain not listed)
    [chains.NAME.effects.EFFECT]      one effect of that chain
    [chains.NAME.effects.EFFECT.params]   one entry per parameter: a number or a table of fields

Left out, ``fx`` is the effect's position in the chain (counted from ``first_fx``), ``param`` the
parameter's position in the plugin's own parameter list (counted from ``first_param``) and a MIDI
``control`` the next number of ``[midi] controls`` in chain order. docs/DAEMON.md has the whole format.

Shipped profiles and the user's (``push.profiles_dir``) load through one path, :func:`load_profiles`.
Each gets a self-check; a broken profile is disabled with its reason and never stops the daemon.
"""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stito_core.chain import Chain
from stito_core.chains import load_chain
from stito_core.errors import StitoError
from stito_core.shipped import CONFIG_DIR

from .profile import FIELDS, NUMBERINGS, Profile, ProfileError, unknown_message
from .push import build_messages
from .ranges import check_ranges

log = logging.getLogger("stito.daemon.profiles")

#: The shipped profiles.
SHIPPED_DIR = CONFIG_DIR / "daw"

_TOP = {"description", "transport", "pace_ms", "osc", "midi", "target", "chains"}
_OSC = {"host", "port", "address", "args", "types"}
_OSC_OPTIONAL = {"ranges"}
_MIDI = {"port", "virtual", "channel", "controls", "nrpn_reset"}
_CONVERSIONS = ("normalized", "real", "plugin", "lookup")
_KINDS = ("cc", "cc14", "nrpn")
#: Fields whose value is one of a few words.
_CHOICES = {"value": _CONVERSIONS, "scale": ("linear", "log"), "kind": _KINDS, "numbering": NUMBERINGS}
_OSC_TYPES = set("ifdsTF")


def load_profiles(user_dir: Path | None = None) -> dict[str, Profile]:
    """Shipped profiles, then the user's (same name replaces); each self-checked, broken ones disabled."""
    paths = {p.stem: p for p in sorted(SHIPPED_DIR.glob("*.toml"))}
    if user_dir is not None and user_dir.is_dir():
        paths.update({p.stem: p for p in sorted(user_dir.glob("*.toml"))})
    chains: dict[str, Chain | str] = {}
    return {name: load_profile(path, chains) for name, path in sorted(paths.items())}


def load_profile(path: Path, chain_cache: dict[str, Chain | str] | None = None) -> Profile:
    """One profile file, self-checked: ``problem`` says why it is disabled, ``notes`` what went unchecked."""
    profile = Profile(path.stem, path)
    try:
        profile.data = tomllib.loads(path.read_text(encoding="utf-8"))
        _check_schema(profile.data)
        _check_chains(profile, {} if chain_cache is None else chain_cache)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, StitoError) as exc:
        profile.problem = " ".join(str(exc).split())
        log.warning("DAW profile %s (%s) disabled: %s", profile.name, path, profile.problem)
    for note in profile.notes:
        log.info("DAW profile %s: %s", profile.name, note)
    return profile


def _check_schema(data: Mapping[str, Any]) -> None:
    """Raise :class:`ProfileError` on the first structural problem, naming the key."""
    _keys("", data, _TOP)
    transport = data.get("transport")
    if transport not in ("osc", "midi"):
        raise ProfileError(f"transport: {transport!r}; give 'osc' or 'midi'")
    if not isinstance(data.get("description", ""), str):
        raise ProfileError("description: give a string")
    _number("pace_ms", data.get("pace_ms", 5), 0, 1000)
    (_check_osc if transport == "osc" else _check_midi)(data.get(transport))
    _check_fields("target", data.get("target", {}))
    chains = data.get("chains", {})
    if not isinstance(chains, Mapping) or not chains:
        raise ProfileError("chains: give at least one [chains.NAME] table (NAME = a chain name or \"*\")")
    for name, table in chains.items():
        _check_level(f"chains.{name}", table, "effects")
        for effect, etable in table.get("effects", {}).items():
            _check_level(f"chains.{name}.effects.{effect}", etable, "params")
            for param, ptable in etable.get("params", {}).items():
                where = f"chains.{name}.effects.{effect}.params.{param}"
                if not (isinstance(ptable, int) and not isinstance(ptable, bool)):
                    _check_fields(where, ptable)


def _check_osc(osc: Any) -> None:
    if not isinstance(osc, Mapping):
        raise ProfileError("osc: transport 'osc' needs an [osc] table with host, port, address, args, types")
    _keys("osc", osc, _OSC | _OSC_OPTIONAL)
    if "ranges" in osc and (problem := check_ranges(osc["ranges"], FIELDS)):
        raise ProfileError(problem)
    for key in _OSC:
        if key not in osc:
            raise ProfileError(f"osc.{key}: missing")
    if not isinstance(osc["host"], str) or not osc["address"].startswith("/"):
        raise ProfileError("osc: host must be a string and address must start with '/'")
    _number("osc.port", osc["port"], 1, 65535, integer=True)
    args, types = osc["args"], osc["types"]
    if not isinstance(args, list) or not isinstance(types, str) or len(args) != len(types):
        raise ProfileError(f"osc.types: {types!r} must give one OSC type letter per entry of osc.args {args!r}")
    if set(types) - _OSC_TYPES:
        raise ProfileError(f"osc.types: {types!r}; use i (int), f (float), d (double), s (string), T, F")
    placeholders = {f for _, f, _, _ in string.Formatter().parse(osc["address"]) if f}
    for name in [*args, *placeholders]:
        if name not in FIELDS and name not in ("value", "effect", "name"):
            raise ProfileError(f"osc: unknown field '{name}' in address or args. Valid: value, effect, name, "
                               + ", ".join(FIELDS))


def _check_midi(midi: Any) -> None:
    if not isinstance(midi, Mapping):
        raise ProfileError("midi: transport 'midi' needs a [midi] table (port, channel, controls)")
    _keys("midi", midi, _MIDI)
    if not isinstance(midi.get("port", "stito"), str):
        raise ProfileError("midi.port: give the name of a MIDI output port")
    _number("midi.channel", midi.get("channel", 1), 1, 16, integer=True)
    for number in midi.get("controls", []):
        _number("midi.controls", number, 0, 16383, integer=True)
    for key in ("virtual", "nrpn_reset"):
        if not isinstance(midi.get(key, False), bool):
            raise ProfileError(f"midi.{key}: give true or false")


def _check_level(where: str, table: Any, child: str) -> None:
    if not isinstance(table, Mapping):
        raise ProfileError(f"{where}: must be a table")
    _keys(where, table, set(FIELDS) | {child})
    _check_fields(where, {k: v for k, v in table.items() if k != child})
    if not isinstance(table.get(child, {}), Mapping):
        raise ProfileError(f"{where}.{child}: must be a table")


def _check_fields(where: str, table: Any) -> None:
    """Each field present in ``table`` has the right type and range."""
    if not isinstance(table, Mapping):
        raise ProfileError(f"{where}: must be a table of fields or a number")
    _keys(where, table, set(FIELDS))
    for key, value in table.items():
        name = f"{where}.{key}"
        if key in _CHOICES:
            choices = _CHOICES[key]
            if value not in choices:
                raise ProfileError(f"{name}: {value!r}; give one of {', '.join(choices)}")
        elif key == "range":
            if not (isinstance(value, list) and len(value) == 2 and all(_is_num(v) for v in value)
                    and value[0] < value[1]):
                raise ProfileError(f"{name}: give [min, max] with min < max")
        elif key == "lookup":
            _check_lookup(name, value)
        elif key == "skip":
            if not isinstance(value, bool):
                raise ProfileError(f"{name}: give true or false")
        elif key in ("factor", "offset"):
            _number(name, value, -1e12, 1e12)
        else:
            _number(name, value, *{"resolution": (1, 2**31 - 1), "channel": (1, 16),
                                   "control": (0, 16383)}.get(key, (0, 2**31 - 1)), integer=True)


def _check_lookup(name: str, value: Any) -> None:
    pairs = value if isinstance(value, list) else []
    if len(pairs) < 2 or not all(isinstance(p, list) and len(p) == 2 and all(_is_num(x) for x in p) for p in pairs):
        raise ProfileError(f"{name}: give at least two [value in unit, value sent] pairs")
    xs = [p[0] for p in pairs]
    if any(b <= a for a, b in zip(xs, xs[1:])):
        raise ProfileError(f"{name}: the first numbers must rise, got {xs}")


def _keys(where: str, table: Mapping[str, Any], valid: set[str]) -> None:
    for key in table:
        if key not in valid:
            raise ProfileError(f"{where + '.' if where else ''}{key}: " + unknown_message("key", key, sorted(valid)))


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(name: str, value: Any, low: float, high: float, integer: bool = False) -> None:
    ok = isinstance(value, int) if integer else _is_num(value)
    if not ok or isinstance(value, bool) or not low <= value <= high:
        kind = "a whole number" if integer else "a number"
        raise ProfileError(f"{name}: {value!r}; give {kind} in {low:g}..{high:g}")


def _check_chains(profile: Profile, cache: dict[str, Chain | str]) -> None:
    """Build every mapped chain's messages once with mid values: names, numbers and conversions must work."""
    for name in profile.data["chains"]:
        chain = _cached_chain(name, cache) if name != "*" else _cached_chain("builtin", cache)
        if isinstance(chain, str):
            profile.notes.append(f"mapping of chain '{name}' not checked here: {chain}")
            continue
        try:
            build_messages(profile, profile.targets(chain, chain.describe([0.5] * len(chain.parameters))))
        except StitoError as exc:
            raise ProfileError(f"chains.{name}: {exc}") from None


def _cached_chain(name: str, cache: dict[str, Chain | str]) -> Chain | str:
    """The chain called ``name``, or why it cannot be loaded on this machine."""
    if name not in cache:
        try:
            cache[name] = load_chain(name)
        except StitoError as exc:
            cache[name] = " ".join(str(exc).split())
    return cache[name]
