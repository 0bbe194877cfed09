"""LADSPA plugins hosted in-process through ctypes.

A LADSPA library is a C shared object exporting ``ladspa_descriptor(index)``, which returns one
plugin descriptor per index until NULL. Each input control port of a plugin becomes one
:class:`~stito_core.params.ParameterSpec` in the port's own unit (dB, Hz, ms, ...).

Ports whose range hint says SAMPLE_RATE have bounds given as fractions of the sample rate. Their
specs use :data:`REFERENCE_RATE` (48000 Hz) to turn those into absolute values (e.g. an upper bound
of 0.5 becomes 24000 Hz); at process time values are clipped to the bounds at the audio's real rate.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import Audio
from ..errors import ChainError
from ..params import ParameterSpec, Scale
from .base import Effect
from .lv2_units import port_units
from .naming import parameter_id, snake_case, unique

#: Sample rate (Hz) used to express SAMPLE_RATE-hinted port ranges in parameter specs.
REFERENCE_RATE = 48000
#: Most frames handed to one ``run`` call.
BLOCK_FRAMES = 4096
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
#: Audio port layouts (inputs, outputs) this host can drive, sidechain inputs not counted.
_LAYOUTS = ((1, 1), (2, 2), (1, 2))
#: Audio input port names that are a sidechain (key) input rather than the signal.
_SIDECHAIN = re.compile(r"side\W?chain", re.IGNORECASE)

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
    """Directories searched for LADSPA libraries: LADSPA_PATH (colon separated), then the defaults."""
    env = [p for p in os.environ.get("LADSPA_PATH", "").split(":") if p]
    return list(dict.fromkeys(Path(p).expanduser() for p in (*env, *DEFAULT_DIRS)))


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


@dataclass(frozen=True)
class _Control:
    """One input control port and the plugin's own hints for it."""

    port: int
    flags: int
    #: Hinted bounds as the plugin gives them (fractions of the rate for SAMPLE_RATE ports), or None.
    lower: float | None
    upper: float | None

    def bounds(self, rate: float) -> tuple[float | None, float | None]:
        """The hinted bounds in absolute units at ``rate`` Hz (None where unbounded)."""
        scale = rate if self.flags & _SAMPLE_RATE else 1.0
        return (None if self.lower is None else self.lower * scale, None if self.upper is None else self.upper * scale)

    @property
    def discrete(self) -> bool:
        """True for toggled and integer ports, whose values are rounded before use."""
        return bool(self.flags & (_TOGGLED | _INTEGER))

    def port_value(self, value: float, rate: int) -> float:
        """The number written to the port for ``value``: clipped to the hinted bounds at ``rate`` Hz,
        then 0/1 for toggled ports and rounded for integer ports."""
        lower, upper = self.bounds(rate)
        value = value if lower is None else max(value, lower)
        value = value if upper is None else min(value, upper)
        if self.flags & _TOGGLED:
            return 1.0 if value >= 0.5 else 0.0
        return float(round(value)) if self.flags & _INTEGER else float(value)

    def spec_range(self) -> tuple[float, float]:
        """Spec minimum and maximum at REFERENCE_RATE: the bounds, else 0..1 style fallbacks."""
        if self.flags & _TOGGLED:
            return 0.0, 1.0
        lower, upper = self.bounds(REFERENCE_RATE)
        lo = lower if lower is not None else min(0.0, (1.0 if upper is None else upper) - 1.0)
        hi = upper if upper is not None else max(1.0, lo + 1.0)
        return (lo, hi) if hi > lo else (lo, lo + 1.0)

    def spec_default(self, lo: float, hi: float) -> float:
        """The LADSPA default within [lo, hi] (lower weights are geometric on log ports), clipped."""
        hint = self.flags & _DEFAULT_MASK
        value = _DEFAULT_VALUES.get(hint, 0.0)
        if hint in _DEFAULT_WEIGHTS:
            w = _DEFAULT_WEIGHTS[hint]
            log = self.flags & _LOG and lo > 0
            value = math.exp(math.log(lo) * (1 - w) + math.log(hi) * w) if log else lo * (1 - w) + hi * w
        return min(max(value, lo), hi)

    def spec(self, effect: str, name: str, unit: str) -> ParameterSpec:
        """This port as a ParameterSpec named ``name`` (range and default at REFERENCE_RATE)."""
        lo, hi = self.spec_range()
        scale = Scale.LOG if self.flags & _LOG and lo > 0 else Scale.LINEAR
        return ParameterSpec(effect, name, lo, hi, self.spec_default(lo, hi), unit, scale)


def _decimal(value: float) -> float:
    """A float32 bound as the shortest decimal that rounds to it (0.1, not 0.10000000149)."""
    return float(str(np.float32(value)))


def _ports_with(descriptor: _Descriptor, bits: int) -> list[int]:
    """Indices of the ports whose descriptor has every bit of ``bits``, in port order."""
    return [i for i in range(descriptor.PortCount) if descriptor.PortDescriptors[i] & bits == bits]


def _with_unit(port_name: str, label: str) -> str:
    """The port name with its unit in brackets when only the plugin's LV2 build states it."""
    unit = port_units(label).get(port_name)
    return f"{port_name} ({unit})" if unit and parameter_id(port_name)[1] == "" else port_name


def _control(descriptor: _Descriptor, port: int) -> _Control:
    """The hints of input control port ``port``."""
    hint = descriptor.PortRangeHints[port]
    flags = hint.HintDescriptor
    lower = _decimal(hint.LowerBound) if flags & _BELOW else None
    upper = _decimal(hint.UpperBound) if flags & _ABOVE else None
    return _Control(port, flags, lower, upper)


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


class LadspaEffect(Effect):
    """One LADSPA plugin as an Effect; parameters are its input control ports, in real units.

    Each ``process`` call makes its own plugin instance(s), so calls may run from several threads at
    once; ctypes releases the GIL while the plugin runs. Audio layouts: 2 in/2 out plugins get one
    instance on the stereo signal (mono is duplicated, the result is stereo); 1 in/1 out plugins get
    one instance per channel; 1 in/2 out plugins get the mid (mean of channels) and return stereo.
    Sidechain audio inputs are fed the mean of the instance's own input, so the plugin keys on it.
    """

    def __init__(self, library: str, label: str | None = None, name: str | None = None) -> None:
        self.library = find_ladspa_library(library)
        self._lib = _load(self.library)
        self._descriptor = _pick(self._lib, label)
        d = self._descriptor.contents
        self.label, self.plugin_name, self.unique_id = _text(d.Label), _text(d.Name), int(d.UniqueID)
        self.name = name or snake_case(self.label)
        inputs = _ports_with(d, _AUDIO | _INPUT)
        self._sidechains = [i for i in inputs if _SIDECHAIN.search(_text(d.PortNames[i]))]
        self._audio_ports = ([i for i in inputs if i not in self._sidechains], _ports_with(d, _AUDIO | _OUTPUT))
        if (self.audio_inputs, self.audio_outputs) not in _LAYOUTS:
            msg = (f"{self.label} in {self.library.name}: {self.audio_inputs} audio inputs / {self.audio_outputs} "
                   "outputs are not supported (1/1, 2/2 and 1/2 are)")
            raise ChainError(msg)
        self._control_out = _ports_with(d, _CONTROL | _OUTPUT)
        ports = _ports_with(d, _CONTROL | _INPUT)
        ids = [parameter_id(_with_unit(_text(d.PortNames[port]), self.label)) for port in ports]
        names = unique([pid for pid, _unit in ids])
        self._controls = {name: _control(d, port) for name, port in zip(names, ports)}
        units = [unit for _pid, unit in ids]
        self.parameters = tuple(self._controls[name].spec(self.name, name, unit) for name, unit in zip(names, units))
        #: Names of toggled and integer parameters; process() rounds their values.
        self.integer_parameters = tuple(n for n, c in self._controls.items() if c.discrete)

    @property
    def audio_inputs(self) -> int:
        """Number of audio input ports of the plugin, sidechain inputs not counted."""
        return len(self._audio_ports[0])

    @property
    def audio_outputs(self) -> int:
        """Number of audio output ports of the plugin."""
        return len(self._audio_ports[1])

    def process(self, audio: Audio, values: Mapping[str, float]) -> Audio:
        """Apply the plugin with ``values`` (parameter name -> value in its unit, defaults for the rest).

        The result has the input's rate and frames; NaN/inf samples (in or out) become 0.
        """
        (out,) = self.stream([audio], values)
        return out

    def stream(self, blocks: Iterable[Audio], values: Mapping[str, float]) -> Iterator[Audio]:
        """The blocks through instances kept from the first block to the last (one per channel for a mono
        plugin): joined, exactly :meth:`process` of the whole when blocks are multiples of ``BLOCK_FRAMES``."""
        with ExitStack() as stack:
            runners: list[Callable[[np.ndarray], np.ndarray]] = []
            for block in blocks:
                if not runners:
                    controls = self._controls_at(values, block.sample_rate)
                    count = 1 if 2 in (self.audio_inputs, self.audio_outputs) else block.channels
                    runners = [stack.enter_context(self._runner(controls, block.sample_rate)) for _ in range(count)]
                yield block.with_samples(np.nan_to_num(self._run(runners, block), nan=0.0, posinf=0.0, neginf=0.0))

    def _controls_at(self, values: Mapping[str, float], rate: int) -> np.ndarray:
        """One float per port: the control inputs set from ``values`` at ``rate`` Hz, 0 elsewhere."""
        controls = np.zeros(self._descriptor.contents.PortCount, dtype=np.float32)
        for name, value in self.resolve(values).items():
            control = self._controls[name]
            controls[control.port] = control.port_value(value, rate)
        return controls

    def _run(self, runners: list[Callable[[np.ndarray], np.ndarray]], audio: Audio) -> np.ndarray:
        """``audio`` through the runners: a stereo plugin takes both channels (mono doubled), a mono-in
        stereo-out plugin the mid, a mono plugin one channel per runner."""
        x = np.nan_to_num(audio.samples, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
        if self.audio_inputs == 2:
            return runners[0](x if audio.channels == 2 else np.repeat(x, 2, axis=0))
        if self.audio_outputs == 2:
            return runners[0](x.mean(axis=0, keepdims=True))
        return np.concatenate([run(x[c:c + 1]) for c, run in enumerate(runners)])

    @contextmanager
    def _runner(self, controls: np.ndarray, rate: int) -> Iterator[Callable[[np.ndarray], np.ndarray]]:
        """One instance at ``rate`` Hz as a function (audio inputs, frames) -> (audio outputs, frames), its
        state carried from call to call. ``controls`` holds one value per port (only control slots are read)."""
        controls = controls.copy()  # the instance writes its output control ports here
        in_buf = np.zeros((self.audio_inputs + len(self._sidechains), BLOCK_FRAMES), dtype=np.float32)
        out_buf = np.zeros((self.audio_outputs, BLOCK_FRAMES), dtype=np.float32)
        links = [(c.port, controls.ctypes.data + 4 * c.port) for c in self._controls.values()]
        links += [(port, controls.ctypes.data + 4 * port) for port in self._control_out]
        links += [(port, in_buf[k].ctypes.data) for k, port in enumerate(self._audio_ports[0] + self._sidechains)]
        links += [(port, out_buf[k].ctypes.data) for k, port in enumerate(self._audio_ports[1])]
        run = self._descriptor.contents.run

        def render(inputs: np.ndarray) -> np.ndarray:
            out = np.zeros((self.audio_outputs, inputs.shape[1]), dtype=np.float32)
            for start in range(0, inputs.shape[1], BLOCK_FRAMES):
                n = min(BLOCK_FRAMES, inputs.shape[1] - start)
                in_buf[:self.audio_inputs, :n] = inputs[:, start:start + n]
                in_buf[self.audio_inputs:, :n] = inputs[:, start:start + n].mean(axis=0)
                run(handle, n)
                out[:, start:start + n] = out_buf[:, :n]
            return out

        with self._instance(rate, links) as handle:
            yield render

    @contextmanager
    def _instance(self, rate: int, links: list[tuple[int, int]]) -> Iterator[int]:
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
                yield handle
            finally:
                if d.deactivate:
                    d.deactivate(handle)
        finally:
            with self._lib.lock:
                d.cleanup(handle)

    def __repr__(self) -> str:
        return f"<LadspaEffect {self.name!r} {self.label} from {self.library.name}, {len(self.parameters)} parameters>"
