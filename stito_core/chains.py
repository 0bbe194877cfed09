"""Chain definitions: TOML files in ``config/chains/`` (or any path), validated into a :class:`Chain`."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import replace
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .attributes import GROUPS
from .chain import Chain, Slot
from .effects.base import Effect
from .errors import ChainError
from .params import ParameterSpec, Scale
from .places import Places
from .shipped import CONFIG_DIR

#: Where the shipped chain definitions live (``config/chains``; see :mod:`stito_core.shipped`).
CHAINS_DIR = CONFIG_DIR / "chains"

_EFFECT_KEYS = {"type", "kind", "name", "path", "library", "label", "uri", "search", "fixed", "neutral", "attributes"}


def _builtin(spec: Mapping[str, Any]) -> Effect:
    from .effects.builtin import BuiltinEffect
    return BuiltinEffect(_required(spec, "kind"), spec.get("name"))


def _vst3(spec: Mapping[str, Any]) -> Effect:
    from .effects.vst3 import Vst3Effect
    return Vst3Effect(str(_plugin_file("vst3", spec)), spec.get("name"))


def _ladspa(spec: Mapping[str, Any]) -> Effect:
    from .effects.ladspa import LadspaEffect
    return LadspaEffect(_required(spec, "library"), spec.get("label"), spec.get("name"))


def _lv2(spec: Mapping[str, Any]) -> Effect:
    from .effects.lv2 import Lv2Effect
    return Lv2Effect(_required(spec, "uri"), spec.get("name"))


#: Effect ``type`` in a chain file -> its loader. VST3 also covers AU on macOS (pedalboard loads both).
BACKENDS: dict[str, Callable[[Mapping[str, Any]], Effect]] = {
    "builtin": _builtin, "vst3": _vst3, "au": _vst3, "ladspa": _ladspa, "lv2": _lv2}


def _required(spec: Mapping[str, Any], key: str) -> str:
    """A string value that must be present in an effect table."""
    value = spec.get(key)
    if not isinstance(value, str) or not value:
        msg = f"missing or empty key '{key}' (a string)"
        raise ChainError(msg)
    return value


def _suggest(word: str, valid: list[str] | set[str]) -> str:
    """' Did you mean 'x'?' for the closest valid word, or ''."""
    close = difflib.get_close_matches(word, sorted(valid), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""


def chain_names() -> list[str]:
    """Names of the shipped chains."""
    return sorted(p.stem for p in CHAINS_DIR.glob("*.toml"))


def chain_path(name_or_path: str | Path) -> Path:
    """The TOML file for a shipped chain name or a path; unknown names list the valid ones."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text:
        path = Path(text).expanduser()
        if not path.is_file():
            msg = f"{text}: chain file not found"
            raise ChainError(msg)
        return path
    if text not in chain_names():
        msg = f"unknown chain '{text}'.{_suggest(text, chain_names())} Shipped chains: {', '.join(chain_names())}"
        raise ChainError(msg)
    return CHAINS_DIR / f"{text}.toml"


def load_chain(name_or_path: str | Path = "builtin", places: Places | None = None) -> Chain:
    """Load and validate a chain by shipped name (``builtin``, ``zam``, ...) or TOML path. With ``places``
    (the daemon) the file and every plugin it names must lie where those allow, checked before either is
    read (:class:`NotAllowedError`)."""
    path = chain_path(name_or_path)
    if places is not None:
        places.check_chain(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{path}: not valid TOML: {exc}"
        raise ChainError(msg) from None
    return _chain(path, data, places)


def _chain(path: Path, data: Mapping[str, Any], places: Places | None = None) -> Chain:
    """Build the chain, prefixing every error with the file and the effect table that caused it."""
    unknown = set(data) - {"name", "description", "effect"}
    if unknown:
        key = sorted(unknown)[0]
        msg = f"{path}: unknown key '{key}'.{_suggest(key, ['name', 'description', 'effect'])}"
        raise ChainError(msg)
    tables = data.get("effect")
    if not isinstance(tables, list) or not tables:
        msg = f"{path}: a chain needs at least one [[effect]] table"
        raise ChainError(msg)
    slots = []
    for index, table in enumerate(tables, 1):
        try:
            slots.append(_slot(table, places))
        except ChainError as exc:
            msg = f"{path}: effect[{index}]: {exc}"
            raise type(exc)(msg) from None
    _check_unique(path, slots)
    return Chain(str(data.get("name", path.stem)), slots, str(data.get("description", "")), path.resolve())


def _check_unique(path: Path, slots: list[Slot]) -> None:
    """Effect names identify parameters in the parameter file, so they must be unique."""
    names = [s.effect.name for s in slots]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        msg = f"{path}: effect name '{repeated[0]}' is used twice; give each a distinct 'name'"
        raise ChainError(msg)


def _slot(table: Any, places: Places | None = None) -> Slot:
    """One ``[[effect]]`` table -> its effect, the searched specs and the fixed values."""
    if not isinstance(table, Mapping):
        raise ChainError("must be a table")
    for key in table:
        if key not in _EFFECT_KEYS:
            raise ChainError(f"unknown key '{key}'.{_suggest(key, _EFFECT_KEYS)}")
    if "name" in table:
        _required(table, "name")
    kind = _required(table, "type")
    if kind not in BACKENDS:
        raise ChainError(f"unknown type '{kind}'.{_suggest(kind, set(BACKENDS))} Valid: {', '.join(BACKENDS)}")
    if places is not None and kind != "builtin":
        places.check_plugin(_plugin_file(kind, table))
    effect = BACKENDS[kind](table)
    specs = {p.name: p for p in effect.parameters}
    fixed = _fixed(table.get("fixed", {}), specs)
    specs = _neutral(table.get("neutral", {}), specs, fixed)
    searched = _searched(table.get("search"), specs, fixed)
    return Slot(effect, searched, fixed, _attributes(table.get("attributes")))


def _plugin_file(kind: str, table: Mapping[str, Any]) -> Path:
    """Where the plugin of a non-builtin effect table lives, found without loading it."""
    if kind == "ladspa":
        from .effects.ladspa import find_ladspa_library
        return find_ladspa_library(_required(table, "library"))
    if kind == "lv2":
        from .effects.lv2 import find_lv2_plugin
        return find_lv2_plugin(_required(table, "uri")).binary
    return Path(_required(table, "path")).expanduser()


def _attributes(value: Any) -> tuple[str, ...] | None:
    """The ``attributes`` key: a non-empty list of attribute groups, or absent (None)."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or any(g not in GROUPS for g in value):
        raise ChainError(f"attributes {value!r}: give a list of one or more of {', '.join(GROUPS)}")
    return tuple(dict.fromkeys(value))


def _neutral(table: Any, specs: Mapping[str, ParameterSpec], fixed: Mapping[str, float]) -> dict[str, ParameterSpec]:
    """``neutral = {name = value}``: where a plugin's default is not neutral, the value (in the parameter's
    unit, inside its range) at which the parameter leaves the sound alone; the search starts there."""
    if not isinstance(table, Mapping):
        raise ChainError("'neutral' must be a table of name = value")
    out = dict(specs)
    for name, value in table.items():
        spec = _known(name, specs)
        if name in fixed:
            raise ChainError(f"neutral.{name}: the parameter is fixed, so it has no neutral value to search from")
        if not _is_number(value) or not spec.minimum <= value <= spec.maximum:
            raise ChainError(f"neutral.{name} = {value!r} is outside {spec.minimum:g}..{spec.maximum:g} {spec.unit}")
        out[name] = replace(spec, neutral=float(value))
    return out


def _fixed(table: Any, specs: Mapping[str, ParameterSpec]) -> dict[str, float]:
    """``fixed = {name = value}``: values held constant, in the parameter's unit and inside its range."""
    if not isinstance(table, Mapping):
        raise ChainError("'fixed' must be a table of name = value")
    out = {}
    for name, value in table.items():
        spec = _known(name, specs)
        if not _is_number(value) or not spec.minimum <= value <= spec.maximum:
            raise ChainError(f"fixed.{name} = {value!r} is outside {spec.minimum:g}..{spec.maximum:g} {spec.unit}")
        out[name] = float(value)
    return out


def _searched(table: Any, specs: Mapping[str, ParameterSpec], fixed: Mapping[str, float]) -> tuple[ParameterSpec, ...]:
    """``search``: absent = every parameter not fixed; a list of names; or a table of name = true |
    [min, max] | {min, max, scale}. Ranges are in the parameter's unit and must lie inside the plugin's."""
    if table is None:
        return tuple(p for n, p in specs.items() if n not in fixed)
    if isinstance(table, list):
        table = {name: True for name in table}
    if not isinstance(table, Mapping):
        raise ChainError("'search' must be a list of parameter names or a table")
    out = []
    for name, rng in table.items():
        spec = _known(name, specs)
        if name in fixed:
            raise ChainError(f"'{name}' is both searched and fixed")
        out.append(_ranged(spec, rng))
    return tuple(out)


def _ranged(spec: ParameterSpec, rng: Any) -> ParameterSpec:
    """The spec narrowed by ``rng`` (true, [min, max] or {min, max, scale})."""
    if rng is True:
        return spec
    if isinstance(rng, list) and len(rng) == 2:
        rng = {"min": rng[0], "max": rng[1]}
    if not isinstance(rng, Mapping) or set(rng) - {"min", "max", "scale"}:
        raise ChainError(f"search.{spec.name}: give true, [min, max] or {{min, max, scale}}")
    scale = Scale(rng.get("scale", spec.scale.value)) if rng.get("scale") in (None, "linear", "log") else None
    if scale is None:
        raise ChainError(f"search.{spec.name}.scale must be 'linear' or 'log'")
    lo, hi = rng.get("min", spec.minimum), rng.get("max", spec.maximum)
    if not (_is_number(lo) and _is_number(hi)):
        raise ChainError(f"search.{spec.name}: min and max must be numbers in {spec.unit or 'the parameter unit'}")
    if lo < spec.minimum or hi > spec.maximum:
        raise ChainError(f"search.{spec.name} = [{lo:g}, {hi:g}] leaves the plugin's range "
                         f"{spec.minimum:g}..{spec.maximum:g} {spec.unit}")
    narrowed = spec.with_range(float(lo), float(hi), scale)
    problem = narrowed.check()
    if problem:
        raise ChainError(problem)
    return narrowed


def _is_number(value: Any) -> bool:
    """True for TOML integers and floats (booleans are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _known(name: str, specs: Mapping[str, ParameterSpec]) -> ParameterSpec:
    """The spec called ``name``, or an error listing the close ones."""
    if name not in specs:
        raise ChainError(f"unknown parameter '{name}'.{_suggest(name, set(specs))} Valid: {', '.join(specs)}")
    return specs[name]
