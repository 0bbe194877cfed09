"""Stable parameter and effect ids from plugin names: snake_case with the unit moved to the end.

"Boost(dB) L" -> ``boost_l_db`` (unit "dB"); "ZamEQ2" -> ``zam_eq2``. Shared by the LADSPA and VST3 hosts.
"""

from __future__ import annotations

import re

#: Unit spellings in port names -> (suffix for the parameter name, ParameterSpec unit).
_UNITS = {
    "db": ("db", "dB"), "dbfs": ("db", "dB"),
    "hz": ("hz", "Hz"), "khz": ("khz", "kHz"),
    "ms": ("ms", "ms"), "msec": ("ms", "ms"),
    "s": ("s", "s"), "sec": ("s", "s"), "seconds": ("s", "s"),
    "%": ("pct", "%"), "percent": ("pct", "%"),
}
#: Units recognised as a bare last word of a port name (outside brackets); "s" is too ambiguous.
_BARE_UNITS = {"db", "dbfs", "hz", "khz", "ms", "%"}


def _words(token: str) -> list[str]:
    """Lower-case words of one alphanumeric token, split at camelCase: "ZamEQ2" -> ["zam", "eq2"]."""
    if token.lower() in _UNITS:
        return [_UNITS[token.lower()][0]]
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+[a-z]*", token)
    return [p.lower() for p in parts]


def snake_case(text: str) -> str:
    """``text`` as an id of [a-z0-9_]: "ZamEQ2" -> "zam_eq2", "tap_reverb" -> "tap_reverb"."""
    return "_".join(w for t in re.findall(r"[A-Za-z0-9]+|%", text) for w in _words(t))


def _ends_in_unit(tokens: list[str]) -> bool:
    """True when the last word is a bare unit ("Gain dB"), not part of a label such as "31 Hz"."""
    return bool(tokens) and tokens[-1].lower() in _BARE_UNITS and not (len(tokens) > 1 and tokens[-2].isdigit())


def parameter_id(port_name: str) -> tuple[str, str]:
    """(snake_case id, unit) of a port name, the unit moved to the end.

    "Boost(dB) L" -> ("boost_l_db", "dB"); "Freq L (Hz)" -> ("freq_l_hz", "Hz"); "Mix" -> ("mix", "").
    Bracketed value legends such as "(0=none, 1=AM)" are left out of the id.
    """
    found: list[tuple[str, str]] = []

    def strip_unit(match: re.Match) -> str:
        key = match.group(1).strip().lower()
        if key in _UNITS and not found:
            found.append(_UNITS[key])
            return " "
        return " " if "=" in key or "," in key else f" {match.group(1)} "

    tokens = re.findall(r"[A-Za-z0-9]+|%", re.sub(r"[(\[]([^)\]]*)[)\]]", strip_unit, port_name))
    if not found and _ends_in_unit(tokens):
        found.append(_UNITS[tokens.pop().lower()])
    suffix, unit = found[0] if found else ("", "")
    words = [w for t in tokens for w in _words(t)] + ([suffix] if suffix else [])
    return "_".join(words) or "param", unit


def with_unit(port_name: str, unit: str | None) -> str:
    """``port_name`` with ``unit`` in brackets when the name itself states none: ("Threshold", "dB") ->
    "Threshold (dB)", so that :func:`parameter_id` gives ``threshold_db``; unchanged for no unit."""
    return f"{port_name} ({unit})" if unit and parameter_id(port_name)[1] == "" else port_name


def unique(names: list[str]) -> list[str]:
    """``names`` with repeats suffixed _2, _3, ... so that every name is distinct."""
    used: set[str] = set()
    out = []
    for name in names:
        candidate, k = name, 2
        while candidate in used:
            candidate, k = f"{name}_{k}", k + 1
        used.add(candidate)
        out.append(candidate)
    return out
