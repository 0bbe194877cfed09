"""VST3 (and Audio Unit on macOS) plugins hosted through ``pedalboard.load_plugin``."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pedalboard as pb

from ..audio import Audio
from ..errors import ChainError
from ..params import ParameterSpec
from .base import Effect
from .folders import search_folders
from .naming import snake_case

#: Host-side parameters that are not part of the sound.
_META = {"buffer_size_frames", "sample_rate_frames", "current_program", "bypass"}

#: Plugin parameter units as pedalboard reports them -> stito's unit names.
_UNITS = {"db": "dB", "hz": "Hz", "khz": "kHz", "ms": "ms", "s": "s", "sec": "s", "%": "%"}


def _load(path: str) -> pb.Plugin:
    """Load one plugin instance; every failure becomes a one-line ChainError naming the path."""
    if not Path(path).exists():
        msg = f"{path}: plugin not found; give the full path to a .vst3 bundle (see `stito plugins`)"
        raise ChainError(msg)
    try:
        return pb.load_plugin(path)
    except Exception as exc:  # pedalboard raises ImportError/RuntimeError/ValueError by format
        reason = " ".join(str(exc).split())
        msg = f"{path}: plugin does not load as VST3 or AU: {reason[:300]}"
        raise ChainError(msg) from None


def _spec(effect: str, name: str, param: object, current: object) -> ParameterSpec | None:
    """A spec for one discovered plugin parameter (default = its value on a fresh instance), or None
    when it has no numeric range."""
    lo, hi, _step = param.range
    if lo is None or hi is None or not lo < hi:
        return None
    unit = _UNITS.get(str(param.label or "").strip().lower(), "")
    try:
        default = float(current)
    except (TypeError, ValueError):
        default = float(lo)
    return ParameterSpec(effect, name, float(lo), float(hi), min(max(default, lo), hi), unit)


class Vst3Effect(Effect):
    """A VST3/AU plugin; parameters are discovered from the plugin, in its real units.

    Each thread keeps its own plugin instance, so a generation can render concurrently.
    """

    def __init__(self, path: str, name: str | None = None) -> None:
        self.path = str(path)
        self.name = name or snake_case(Path(self.path).stem)
        self._local = threading.local()
        plugin = _load(self.path)
        self._local.plugin = plugin
        specs = (_spec(self.name, key, p, getattr(plugin, key, None)) for key, p in plugin.parameters.items()
                 if key not in _META and getattr(p, "is_automatable", True))  # skips meters and host settings
        self.parameters = tuple(s for s in specs if s is not None)

    def _plugin(self) -> pb.Plugin:
        """This thread's plugin instance."""
        if getattr(self._local, "plugin", None) is None:
            self._local.plugin = _load(self.path)
        return self._local.plugin

    def process(self, audio: Audio, values: Mapping[str, float]) -> Audio:
        """Set every parameter (real units) on this thread's instance, then process from a reset state."""
        plugin = self._plugin()
        for key, value in self.resolve(values).items():
            setattr(plugin, key, value)
        return audio.with_samples(_run(plugin, audio))

    def __repr__(self) -> str:
        return f"<Vst3Effect {self.name!r} from {self.path}, {len(self.parameters)} parameters>"


def _run(plugin: pb.Plugin, audio: Audio) -> np.ndarray:
    """Process all channels at once, or one channel at a time for a mono-only plugin."""
    try:
        return plugin.process(audio.samples, audio.sample_rate, reset=True)
    except ValueError as exc:
        if "channel" not in str(exc):
            raise ChainError(f"{plugin.name}: {exc}") from None
    if audio.channels == 1:  # a stereo-only plugin: run dual-mono, return the mid
        return plugin.process(audio.stereo().samples, audio.sample_rate, reset=True).mean(axis=0, keepdims=True)
    return np.concatenate([plugin.process(ch[None], audio.sample_rate, reset=True) for ch in audio.samples])



#: Where VST3 bundles (and, on macOS, Audio Units) are looked for, after the VST3_PATH entries.
VST3_DIRS = ("~/.vst3", "/usr/lib/vst3", "/usr/local/lib/vst3",
             "~/Library/Audio/Plug-Ins/VST3", "/Library/Audio/Plug-Ins/VST3", "/Library/Audio/Plug-Ins/Components")


def vst3_search_dirs() -> list[Path]:
    """Folders searched for VST3 bundles and Audio Units: the VST3_PATH entries, then ``VST3_DIRS``."""
    return search_folders("VST3_PATH", VST3_DIRS)


def scan_vst3() -> list[Path]:
    """Every ``.vst3`` bundle and ``.component`` in ``vst3_search_dirs``."""
    found: list[Path] = []
    for folder in vst3_search_dirs():
        if folder.is_dir():
            found += sorted(p for p in folder.iterdir() if p.suffix in (".vst3", ".component"))
    return found
