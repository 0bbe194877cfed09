"""LADSPA plugins hosted in-process through ctypes.

A LADSPA library is a C shared object exporting ``ladspa_descriptor(index)``, which returns one
plugin descriptor per index until NULL. Each input control port of a plugin becomes one
:class:`~stito_core.params.ParameterSpec` in the port's own unit (dB, Hz, ms, ...).

Ports whose range hint says SAMPLE_RATE have bounds given as fractions of the sample rate. Their
specs use :data:`~stito_core.effects.hosted.REFERENCE_RATE` (48000 Hz) to turn those into absolute values (e.g. an upper bound
of 0.5 becomes 24000 Hz); at process time values are clipped to the bounds at the audio's real rate.
"""

from __future__ import annotations

import ctypes
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ChainError
from .folders import search_folders
from .hosted import SIDECHAIN, ControlPort, HostedEffect, Instance, Links, float32_decimal
from .lv2_units import port_units
from .naming import parameter_id, snake_case, unique, with_unit

#: Directories searched after those in the LADSPA_PATH environment variable.
DEFAULT_DIRS = ("/usr/lib/ladspa", "/usr/local/lib/ladspa", "/usr/lib/x86_64-linux-gnu/ladspa", "~/.ladspa")

# Port descriptor bits (ladspa.h).
_INPUT, _OUTPUT, _CONTROL, _AUDIO = 0x1, 0x2, 0x4, 0x8
# Range hint bits (ladspa.h).
_BELOW, _ABOVE, _TOGGLED, _SAMPLE_RATE, _LOG, _INTEGER = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
_DEFAULT_MASK = 0x3C0
#: Defaults placed between the bounds: hint -> weight of the upper bound.
_DEFAULT_WEIGHTS = {0x40: 0.0, 0x80: 0.25, 0xC0: 0.5, 0x100: 0.75, 0x140: 1.0}
#: Defaults with a fixed value: hint -> value.
_DEFAULT_VALUES = {0x200: 0.0, 0x240: 1.0, 0x280: 100.0, 0x2C0: 440.0}

class _RangeHint(ctypes.Structure):
    _fields_ = [("HintDescriptor", ctypes.c_int), ("LowerBound", ctypes.c_float), ("UpperBound", ctypes.c_float)]


class _Descriptor(ctypes.Structure):
    pass


_Handle = ctypes.c_void_p
_Descriptor._fields_ = [
    ("UniqueID", ctypes.c_ulong),
    ("Label", ctypes.c_char_p),
    ("Properties", ctypes.c_int),
    ("Name", ctypes.c_char_p),
    ("Maker", ctypes.c_char_p),
    ("Copyright", ctypes.c_char_p),
    ("PortCount", ctypes.c_ulong),
    ("PortDescriptors", ctypes.POINTER(ctypes.c_int)),
    ("PortNames", ctypes.POINTER(ctypes.c_char_p)),
    ("PortRangeHints", ctypes.POINTER(_RangeHint)),
    ("ImplementationData", ctypes.c_void_p),
    ("instantiate", ctypes.CFUNCTYPE(_Handle, ctypes.POINTER(_Descriptor), ctypes.c_ulong)),
    ("connect_port", ctypes.CFUNCTYPE(None, _Handle, ctypes.c_ulong, ctypes.c_void_p)),
    ("activate", ctypes.CFUNCTYPE(None, _Handle)),
    ("run", ctypes.CFUNCTYPE(None, _Handle, ctypes.c_ulong)),
    ("run_adding", ctypes.CFUNCTYPE(None, _Handle, ctypes.c_ulong)),
    ("set_run_adding_gain", ctypes.CFUNCTYPE(None, _Handle, ctypes.c_float)),
    ("deactivate", ctypes.CFUNCTYPE(None, _Handle)),
    ("cleanup", ctypes.CFUNCTYPE(None, _Handle)),
]


@dataclass(frozen=True)
class _Library:
    """A loaded LADSPA library; it stays loaded for the life of the process."""

    path: Path
    cdll: ctypes.CDLL
    #: One descriptor pointer per plugin, in index order (memory owned by the library).
    descriptors: tuple[ctypes._Pointer, ...]
    #: Serialises instantiate/cleanup: some plugins fill shared static tables there without locking.
    lock: threading.Lock


_LIBRARIES: dict[Path, _Library] = {}
_LIBRARIES_LOCK = threading.Lock()


def ladspa_search_dirs() -> list[Path]:
    """Directories searched for LADSPA libraries: LADSPA_PATH's, then the defaults (see :mod:`.folders`)."""
    return search_folders("LADSPA_PATH", DEFAULT_DIRS)


def find_ladspa_library(library: str | Path) -> Path:
    """The path of ``library``: an existing path, or a file name (".so" optional) in the search dirs."""
    path = Path(library).expanduser()
    if path.is_absolute() or len(path.parts) > 1:
        if path.is_file():
            return path
        raise ChainError(f"LADSPA library {library} not found")
    names = [path.name] if path.name.endswith(".so") else [path.name, f"{path.name}.so"]
    dirs = ladspa_search_dirs()
    for candidate in (d / n for d in dirs for n in names):
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in dirs)
    raise ChainError(f"LADSPA library {library!r} not found in {searched} (LADSPA_PATH adds directories)")


def _load(path: Path) -> _Library:
    """The loaded library at ``path``, opened once per process and cached."""
    key = path.resolve()
    with _LIBRARIES_LOCK:
        if key not in _LIBRARIES:
            _LIBRARIES[key] = _open(key)
        return _LIBRARIES[key]


def _open(path: Path) -> _Library:
    """dlopen ``path`` and read every plugin descriptor; failures become a one-line ChainError."""
    try:
        cdll = ctypes.CDLL(str(path))
    except OSError as exc:
        raise ChainError(f"cannot load LADSPA library {path}: {' '.join(str(exc).split())}") from None
    try:
        entry = cdll.ladspa_descriptor
    except AttributeError:
        raise ChainError(f"{path} is not a LADSPA library (no ladspa_descriptor symbol)") from None
    entry.restype = ctypes.POINTER(_Descriptor)
    entry.argtypes = [ctypes.c_ulong]
    descriptors = []
    while descriptor := entry(len(descriptors)):
        descriptors.append(descriptor)
    return _Library(path, cdll, tuple(descriptors), threading.Lock())


def _text(raw: bytes | None) -> str:
    """A C string from a descriptor as text ("" for NULL)."""
    return raw.decode("utf-8", "replace") if raw else ""


def list_ladspa_plugins(library: str | Path) -> list[tuple[int, str, str]]:
    """(unique id, label, name) of every plugin in ``library``; ChainError when it cannot be loaded."""
    lib = _load(find_ladspa_library(library))
    return [(int(d.contents.UniqueID), _text(d.contents.Label), _text(d.contents.Name)) for d in lib.descriptors]


def scan_ladspa(errors: list[str] | None = None) -> list[tuple[Path, str, str]]:
    """(library path, label, name) of every plugin in the search dirs.

    A library that fails to load is skipped; its one-line reason is appended to ``errors`` when given.
    """
    found: list[tuple[Path, str, str]] = []
    seen: set[Path] = set()
    for directory in (d for d in ladspa_search_dirs() if d.is_dir()):
        for path in sorted(directory.glob("*.so")):
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            try:
                found += [(path, label, name) for _uid, label, name in list_ladspa_plugins(path)]
            except ChainError as exc:
                if errors is not None:
                    errors.append(str(exc))
    return found


def _ports_with(descriptor: _Descriptor, bits: int) -> list[int]:
    """Indices of the ports whose descriptor has every bit of ``bits``, in port order."""
    return [i for i in range(descriptor.PortCount) if descriptor.PortDescriptors[i] & bits == bits]


def _geometric(lo: float, hi: float, weight: float, log: bool) -> float:
    """The point ``weight`` (0-1) of the way from ``lo`` to ``hi``: geometric on log ports with lo > 0."""
    if log and lo > 0:
        return math.exp(math.log(lo) * (1 - weight) + math.log(hi) * weight)
    return lo * (1 - weight) + hi * weight


def _control(descriptor: _Descriptor, port: int) -> ControlPort:
    """The hints of input control port ``port``, with the LADSPA default placed within the spec range
    (weights between the bounds are geometric on log ports)."""
    hint = descriptor.PortRangeHints[port]
    flags = hint.HintDescriptor
    lower = float32_decimal(hint.LowerBound) if flags & _BELOW else None
    upper = float32_decimal(hint.UpperBound) if flags & _ABOVE else None
    control = ControlPort(port, lower, upper, per_rate=bool(flags & _SAMPLE_RATE), toggled=bool(flags & _TOGGLED),
                          integer=bool(flags & _INTEGER), log=bool(flags & _LOG))
    hint_default = flags & _DEFAULT_MASK
    default = _DEFAULT_VALUES.get(hint_default, 0.0)
    if hint_default in _DEFAULT_WEIGHTS:
        default = _geometric(*control.spec_range(), _DEFAULT_WEIGHTS[hint_default], control.log)
    return replace(control, default=default)


def _pick(lib: _Library, label: str | None) -> ctypes._Pointer:
    """The descriptor labelled ``label`` in ``lib`` (the first one for None)."""
    labels = [_text(d.contents.Label) for d in lib.descriptors]
    if not labels:
        raise ChainError(f"{lib.path} holds no LADSPA plugins")
    if label is None:
        return lib.descriptors[0]
    if label not in labels:
        raise ChainError(f"{lib.path.name} has no LADSPA plugin labelled {label!r}; labels: {', '.join(labels)}")
    return lib.descriptors[labels.index(label)]


class LadspaEffect(HostedEffect):
    """One LADSPA plugin as an Effect; parameters are its input control ports, in real units
    (threading, audio layouts and sidechains as :class:`~stito_core.effects.hosted.HostedEffect`)."""

    def __init__(self, library: str, label: str | None = None, name: str | None = None) -> None:
        self.library = find_ladspa_library(library)
        self._lib = _load(self.library)
        self._descriptor = _pick(self._lib, label)
        d = self._descriptor.contents
        self.label, self.plugin_name, self.unique_id = _text(d.Label), _text(d.Name), int(d.UniqueID)
        self.name = name or snake_case(self.label)
        self._port_count = int(d.PortCount)
        inputs = _ports_with(d, _AUDIO | _INPUT)
        self._sidechains = [i for i in inputs if SIDECHAIN.search(_text(d.PortNames[i]))]
        self._audio_ports = ([i for i in inputs if i not in self._sidechains], _ports_with(d, _AUDIO | _OUTPUT))
        self._check_layout(f"{self.label} in {self.library.name}")
        self._control_out = _ports_with(d, _CONTROL | _OUTPUT)
        ports = _ports_with(d, _CONTROL | _INPUT)
        units = port_units(self.label)  # stated only by the plugin's LV2 build, where one is installed
        ids = [parameter_id(with_unit(name, units.get(name))) for name in (_text(d.PortNames[p]) for p in ports)]
        names = unique([pid for pid, _unit in ids])
        self._controls = {name: _control(d, port) for name, port in zip(names, ports)}
        self._specs(unit for _pid, unit in ids)

    @contextmanager
    def _instance(self, rate: int, links: Links) -> Iterator[Instance]:
        """An activated instance at ``rate`` Hz with each (port, address) connected; deactivated and
        cleaned up on exit. The addresses must stay valid until then."""
        d = self._descriptor.contents
        with self._lib.lock:
            handle = d.instantiate(self._descriptor, rate)
        if not handle:
            raise ChainError(f"{self.name}: LADSPA plugin {self.label} failed to instantiate at {rate} Hz")
        try:
            for port, address in links:
                d.connect_port(handle, port, address)
            if d.activate:
                d.activate(handle)
            try:
                yield Instance(lambda frames: d.run(handle, frames), lambda: 0)
            finally:
                if d.deactivate:
                    d.deactivate(handle)
        finally:
            with self._lib.lock:
                d.cleanup(handle)

    def __repr__(self) -> str:
        return f"<LadspaEffect {self.name!r} {self.label} from {self.library.name}, {len(self.parameters)} parameters>"
