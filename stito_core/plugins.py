"""Discovery of effect plugins on this machine, and whether each loads in stito."""

from __future__ import annotations

from dataclasses import dataclass

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
    scanners = {"vst3": _vst3, "ladspa": _ladspa, "lv2": _lv2}
    return [row for name, scan in scanners.items() if fmt in (None, name) for row in scan()]


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
    except ChainError as exc:  # lilv is not installed
        return [PluginInfo("lv2", "?", "LV2", False, str(exc))]
    rows = [PluginInfo("lv2", p.uri, f"{p.bundle} ({p.name})", *_try(lambda u=p.uri: Lv2Effect(u))) for p in found]
    return rows + [PluginInfo("lv2", "?", str(where), False, why) for where, why in lv2_folder_problems()]
