"""Units for LADSPA ports, read from the LV2 build of the same plugin where one is installed.

LADSPA has no unit field, and plugins such as zam-plugins name their ports without one ("Threshold");
their LV2 bundles (``/usr/lib/lv2/ZamCompX2.lv2``) state it (``unit:unit unit:db``). Matching ports by
name lets the LADSPA host name the parameter ``threshold_db`` with unit "dB".
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from .folders import search_folders

#: LV2 unit URIs (the ``unit:`` prefix) -> the unit as written in a port name.
LV2_UNITS = {"db": "dB", "hz": "Hz", "khz": "kHz", "ms": "ms", "s": "s", "pc": "%", "mhz": "MHz"}
#: LV2 bundle folders, after the LV2_PATH entries.
LV2_DIRS = ("~/.lv2", "/usr/lib/lv2", "/usr/local/lib/lv2", "/usr/lib/x86_64-linux-gnu/lv2")
_PORT = re.compile(r"\[([^\[\]]*?lv2:name\s+\"([^\"]+)\"[^\[\]]*?)\]", re.S)
_UNIT = re.compile(r"unit:unit\s+unit:(\w+)")


def lv2_dirs(system: bool | None = None) -> list[Path]:
    """LV2 search folders that exist: LV2_PATH entries first, then the standard ones (unless
    ``STITO_SYSTEM_PLUGINS=0``; ``system=True`` keeps them regardless)."""
    return [d for d in search_folders("LV2_PATH", LV2_DIRS, system) if d.is_dir()]


@functools.cache
def port_units(label: str) -> dict[str, str]:
    """Port name -> unit ("dB", "Hz", ...) from the LV2 bundle ``<label>.lv2``; empty when there is none.
    Only Turtle text is read, never a binary, so the standard folders are read even when
    ``STITO_SYSTEM_PLUGINS=0``: a LADSPA plugin's parameter names do not depend on the switch."""
    for folder in lv2_dirs(system=True):
        bundle = folder / f"{label}.lv2"
        if bundle.is_dir():
            return _units_in(bundle)
    return {}


def _units_in(bundle: Path) -> dict[str, str]:
    """Port name -> unit for every port description in the bundle's plugin TTL files."""
    units: dict[str, str] = {}
    for ttl in sorted(bundle.glob("*.ttl")):
        for body, name in _PORT.findall(ttl.read_text(encoding="utf-8", errors="replace")):
            found = _UNIT.search(body)
            if found and found.group(1) in LV2_UNITS:
                units[name] = LV2_UNITS[found.group(1)]
    return units
