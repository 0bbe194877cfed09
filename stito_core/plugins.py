"""Discovery of effect plugins on this machine, and whether each loads in stito."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import ChainError

@dataclass(frozen=True)
class PluginInfo:
    """One plugin found: format, display name, where it is, whether it loads, and why not."""

    format: str
    name: str
    location: str
    loads: bool
    detail: str = ""


def discover(fmt: str | None = None) -> list[PluginInfo]:
    """Plugins of format ``fmt`` (``vst3``, ``ladspa``, ``lv2``) or of every format."""
    return [row for name, scan in _SCANNERS.items() if fmt in (None, name) for row in scan()]


def missing(fmt: str, rows: list[PluginInfo]) -> str:
    """One line saying why format ``fmt`` offers no plugin that loads, given its ``rows`` from
    :func:`discover`: where it looked and how to show it more; '' when one loads."""
    from .effects.folders import SWITCH, system_folders_on

    if any(r.loads for r in rows if r.format == fmt):
        return ""
    try:
        folders, hint = _WHERE[fmt]()
    except ChainError as exc:  # lilv is not installed
        return f"{fmt}: unavailable: {exc}"
    found = sum(r.format == fmt for r in rows)
    what = (f"none of the {found} {fmt.upper()} entries found (plugins and unreadable files) loads" if found
            else f"no {fmt.upper()} plugins found")
    where = f"in {', '.join(str(f) for f in folders)}" if folders else "(no folder to search)"
    off = "" if system_folders_on() else f"; {SWITCH}=0 leaves the standard folders out"
    return f"{fmt}: {what} {where}; {hint}{off}"


def _try(make: object) -> tuple[bool, str]:
    """(True, '') when ``make()`` builds the effect, else (False, the one-line reason)."""
    try:
        make()
    except ChainError as exc:
        return False, str(exc)
    return True, ""


def _vst3() -> list[PluginInfo]:
    from .effects.vst3 import Vst3Effect, scan_vst3

    return [PluginInfo("vst3", p.stem, str(p), *_try(lambda p=p: Vst3Effect(str(p)))) for p in scan_vst3()]


def _ladspa() -> list[PluginInfo]:
    from .effects.ladspa import LadspaEffect, scan_ladspa

    errors: list[str] = []
    rows = [PluginInfo("ladspa", label, f"{path} ({name})", *_try(lambda p=path, l=label: LadspaEffect(str(p), l)))
            for path, label, name in scan_ladspa(errors)]
    return rows + [PluginInfo("ladspa", "?", err, False, "library does not load") for err in errors]


def _lv2() -> list[PluginInfo]:
    from .effects.lv2 import Lv2Effect, lv2_folder_problems, scan_lv2

    try:
        found = scan_lv2()
    except ChainError:  # lilv is not installed: `missing` says so
        return []
    rows = [PluginInfo("lv2", p.uri, f"{p.bundle} ({p.name})", *_try(lambda u=p.uri: Lv2Effect(u))) for p in found]
    return rows + [PluginInfo("lv2", "?", str(where), False, why) for where, why in lv2_folder_problems()]


def _vst3_where() -> tuple[list[Path], str]:
    from .effects.vst3 import vst3_search_dirs

    return vst3_search_dirs(), "VST3_PATH adds folders"


def _ladspa_where() -> tuple[list[Path], str]:
    from .effects.ladspa import ladspa_search_dirs

    return ladspa_search_dirs(), "LADSPA_PATH adds folders"


def _lv2_where() -> tuple[list[Path], str]:
    from .effects import lilv
    from .effects.lv2 import lv2_folders

    lilv.library()  # a ChainError naming the package when lilv is not installed
    return lv2_folders(), "LV2_PATH replaces the standard folders"


_SCANNERS = {"vst3": _vst3, "ladspa": _ladspa, "lv2": _lv2}
#: The plugin formats stito hosts, in the order ``stito plugins`` lists them.
FORMATS = tuple(_SCANNERS)
_WHERE = {"vst3": _vst3_where, "ladspa": _ladspa_where, "lv2": _lv2_where}
