"""LV2 plugins hosted in-process: lilv (:mod:`.lilv`) finds and loads them, ctypes runs them.

A chain names a plugin by URI (``type = "lv2"``, ``uri = "urn:ardour:a-eq"``). Each input control port
becomes one :class:`~stito_core.params.ParameterSpec` in the unit its Turtle data states (dB, Hz, ms),
with its range, default and logarithmic/integer/toggled/enumeration properties. The host provides
``urid:map``, ``urid:unmap``, ``options`` (block lengths, atom sequence size, sample rate) and
``bufSize:boundedBlockLength``; a plugin that requires anything else is refused with the feature named.
Atom and CV ports get buffers of their own (empty event sequences in, scratch out). A latency the plugin
reports on its latency port is compensated (:class:`~stito_core.effects.hosted.HostedEffect`).
"""

from __future__ import annotations

import ctypes
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ChainError
from . import lilv
from .folders import named_folders, system_folders_on
from .hosted import BLOCK_FRAMES, REFERENCE_RATE, SIDECHAIN, ControlPort, HostedEffect, Instance, Links, float32_decimal
from .lv2_units import LV2_DIRS, LV2_UNITS
from .naming import parameter_id, snake_case, unique, with_unit

_URID = "http://lv2plug.in/ns/ext/urid#"
_OPTIONS = "http://lv2plug.in/ns/ext/options#options"
_BUF = "http://lv2plug.in/ns/ext/buf-size#"
_ATOM = "http://lv2plug.in/ns/ext/atom#"
_PROPS = "http://lv2plug.in/ns/ext/port-props#"
_LV2 = lilv.LV2
#: Features the host passes to every instance (``boundedBlockLength`` is a promise, no data).
PROVIDED = (f"{_URID}map", f"{_URID}unmap", _OPTIONS, f"{_BUF}boundedBlockLength")
#: Required "features" that only describe the plugin and need nothing from the host.
_PROPERTIES = (f"{_LV2}hardRTCapable", f"{_LV2}isLive", f"{_LV2}inPlaceBroken")
#: Bytes of each atom port buffer (at least what a port asks for with rsz:minimumSize).
ATOM_BYTES = 8192
#: Seconds of silence run through a new instance before the audio: plugins such as ACE Delay and ACE
#: Reverb glide their controls from the defaults (x42-eq for ~0.4 s), which a DAW's long-running
#: instance has done long before a region plays.
PREROLL_S = 0.5


class _Feature(ctypes.Structure):
    _fields_ = [("URI", ctypes.c_char_p), ("data", ctypes.c_void_p)]


_MapFunction = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.c_char_p)
_UnmapFunction = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32)


class _Map(ctypes.Structure):
    _fields_ = [("handle", ctypes.c_void_p), ("map", _MapFunction)]


class _Unmap(ctypes.Structure):
    _fields_ = [("handle", ctypes.c_void_p), ("unmap", _UnmapFunction)]


class _Option(ctypes.Structure):
    _fields_ = [("context", ctypes.c_int), ("subject", ctypes.c_uint32), ("key", ctypes.c_uint32),
                ("size", ctypes.c_uint32), ("type", ctypes.c_uint32), ("value", ctypes.c_void_p)]


_Handle = ctypes.c_void_p


class _Descriptor(ctypes.Structure):
    _fields_ = [
        ("URI", ctypes.c_char_p),
        ("instantiate", ctypes.c_void_p),
        ("connect_port", ctypes.CFUNCTYPE(None, _Handle, ctypes.c_uint32, ctypes.c_void_p)),
        ("activate", ctypes.CFUNCTYPE(None, _Handle)),
        ("run", ctypes.CFUNCTYPE(None, _Handle, ctypes.c_uint32)),
        ("deactivate", ctypes.CFUNCTYPE(None, _Handle)),
        ("cleanup", ctypes.c_void_p),
        ("extension_data", ctypes.c_void_p),
    ]


class _LilvInstance(ctypes.Structure):
    _fields_ = [("descriptor", ctypes.POINTER(_Descriptor)), ("handle", _Handle), ("pimpl", ctypes.c_void_p)]


class _Urids:
    """The process's URI <-> URID table behind the ``urid:map`` and ``urid:unmap`` features."""

    def __init__(self) -> None:
        self._ids: dict[bytes, int] = {}
        self._uris: dict[int, ctypes.Array] = {}
        self._lock = threading.Lock()
        self._map_function, self._unmap_function = _MapFunction(self._map), _UnmapFunction(self._unmap)
        self.map_feature = _Map(None, self._map_function)
        self.unmap_feature = _Unmap(None, self._unmap_function)

    def id(self, uri: str) -> int:
        """The URID of ``uri`` (1, 2, ... in order of first use)."""
        return self._map(None, uri.encode())

    def _map(self, _handle: int | None, uri: bytes | None) -> int:
        if not uri:
            return 0
        with self._lock:
            if uri not in self._ids:
                self._ids[uri] = len(self._ids) + 1
                self._uris[self._ids[uri]] = ctypes.create_string_buffer(uri)
            return self._ids[uri]

    def _unmap(self, _handle: int | None, urid: int) -> int | None:
        with self._lock:
            buffer = self._uris.get(urid)
            return ctypes.addressof(buffer) if buffer is not None else None


URIDS = _Urids()


@dataclass(frozen=True)
class Lv2Plugin:
    """One plugin lilv found: its URI, name, bundle folder and the binary that ``instantiate`` loads."""

    uri: str
    name: str
    bundle: Path
    binary: Path


def scan_lv2() -> list[Lv2Plugin]:
    """Every LV2 plugin on LV2_PATH (or the standard folders when it is unset), sorted by URI."""
    with lilv.LOCK:
        return sorted((_describe(p) for p in lilv.all_plugins()), key=lambda p: p.uri)


def find_lv2_plugin(uri: str) -> Lv2Plugin:
    """The installed plugin with URI ``uri``; a ChainError naming the folders searched when there is none."""
    with lilv.LOCK:
        return _describe(_plugin(uri))


def _plugin(uri: str) -> int:
    """The lilv plugin with URI ``uri`` (call under LOCK); a ChainError naming the folders searched."""
    plugin = lilv.plugin_by_uri(uri)
    if plugin is None:
        raise ChainError(f"LV2 plugin {uri} not found in {searched_folders()} "
                         "(LV2_PATH replaces these folders; `stito plugins --format lv2` lists what is installed)")
    return plugin


def _describe(plugin: int) -> Lv2Plugin:
    lib = lilv.library()
    bundle, binary = (lilv.path_of(node) for node in (lib.lilv_plugin_get_bundle_uri(plugin),
                                                      lib.lilv_plugin_get_library_uri(plugin)))
    return Lv2Plugin(lilv.text(lib.lilv_plugin_get_uri(plugin)), lilv.text(lib.lilv_plugin_get_name(plugin), free=True),
                     Path(bundle), Path(binary))


def lv2_folders() -> list[Path]:
    """The folders lilv searches, as lilv chooses them: LV2_PATH when it is set, else the standard ones
    (none when ``STITO_SYSTEM_PLUGINS=0``, see :func:`lilv.world`)."""
    if "LV2_PATH" in os.environ or not system_folders_on():
        return [Path(f).expanduser() for f in named_folders("LV2_PATH")]
    return [Path(f).expanduser() for f in LV2_DIRS]


def searched_folders() -> str:
    """The searched folders as one phrase for an error line."""
    return ", ".join(str(f) for f in lv2_folders()) or "no folders (LV2_PATH is empty)"


def lv2_folder_problems() -> list[tuple[Path, str]]:
    """(where, why) for each searched place lilv skips: an LV2_PATH entry that is no folder, and a
    ``*.lv2`` folder without the ``manifest.ttl`` that makes it an LV2 bundle."""
    problems = [(f, "LV2_PATH names it, but it is not a folder") for f in lv2_folders()
                if "LV2_PATH" in os.environ and not f.is_dir()]
    bundles = sorted(b for f in lv2_folders() if f.is_dir() for b in f.glob("*.lv2") if b.is_dir())
    return problems + [(b, "not an LV2 bundle: it has no manifest.ttl") for b in bundles
                       if not (b / "manifest.ttl").is_file()]


@dataclass(frozen=True)
class _Ports:
    """A plugin's ports by kind (indices), as lilv describes them."""

    audio_in: list[int]
    audio_out: list[int]
    sidechains: list[int]
    control_in: list[int]
    control_out: list[int]
    #: (index, is input, buffer bytes) of atom ports; (index) of CV ports.
    atoms: list[tuple[int, bool, int]]
    cv: list[int]
    count: int


class Lv2Effect(HostedEffect):
    """One LV2 plugin as an Effect; parameters are its input control ports, in real units
    (threading, audio layouts, sidechains and latency as :class:`~stito_core.effects.hosted.HostedEffect`)."""

    def __init__(self, uri: str, name: str | None = None) -> None:
        with lilv.LOCK:
            self._plugin = _plugin(uri)
            found = _describe(self._plugin)
            self.uri, self.plugin_name, self.bundle = found.uri, found.name, found.bundle
            self.name = name or snake_case(self.plugin_name)
            self._check_plugin()
            ports = _ports(self._plugin, self.uri)
            self._latency_port = _latency_port(self._plugin)
            ids = [_parameter_id(self._plugin, _port(self._plugin, i)) for i in ports.control_in]
            controls = [_control(self._plugin, i) for i in ports.control_in]
        self._port_count, self._ports = ports.count, ports
        self._sidechains = ports.sidechains
        self._audio_ports = ([i for i in ports.audio_in if i not in ports.sidechains], ports.audio_out)
        self._check_layout(f"LV2 plugin {self.uri}")
        self._control_out = ports.control_out
        names = unique([pid for pid, _unit in ids])
        self._controls = dict(zip(names, controls))
        self._specs(unit for _pid, unit in ids)

    def _check_plugin(self) -> None:
        """Refuse a plugin whose data lilv rejects or that requires a host feature stito lacks."""
        lib = lilv.library()
        if not lib.lilv_plugin_verify(self._plugin):
            raise ChainError(f"LV2 plugin {self.uri} in {self.bundle}: its Turtle data is incomplete or invalid")
        required = lilv.node_texts(lib.lilv_plugin_get_required_features(self._plugin))
        missing = [f for f in required if f not in PROVIDED + _PROPERTIES]
        if missing:
            raise ChainError(f"LV2 plugin {self.uri} requires the host feature {missing[0]}, which stito does not "
                             "provide")

    @contextmanager
    def _instance(self, rate: int, links: Links) -> Iterator[Instance]:
        """An activated instance at ``rate`` Hz with each (port, address) connected, and buffers of its own
        for atom and CV ports; deactivated and freed on exit. The addresses must stay valid until then."""
        options, keep = _options(rate)
        features = [_Feature(f"{_URID}map".encode(), ctypes.cast(ctypes.pointer(URIDS.map_feature), ctypes.c_void_p)),
                    _Feature(f"{_URID}unmap".encode(),
                             ctypes.cast(ctypes.pointer(URIDS.unmap_feature), ctypes.c_void_p)),
                    _Feature(_OPTIONS.encode(), ctypes.cast(options, ctypes.c_void_p)),
                    _Feature(f"{_BUF}boundedBlockLength".encode(), None)]
        array = (ctypes.POINTER(_Feature) * (len(features) + 1))(*[ctypes.pointer(f) for f in features], None)
        with lilv.LOCK:
            raw = lilv.library().lilv_plugin_instantiate(self._plugin, float(rate), ctypes.cast(array, ctypes.c_void_p))
        if not raw:
            raise ChainError(f"{self.name}: LV2 plugin {self.uri} failed to instantiate at {rate} Hz")
        instance = ctypes.cast(raw, ctypes.POINTER(_LilvInstance)).contents
        d, handle = instance.descriptor.contents, instance.handle
        try:
            atoms, reset = self._atom_buffers()
            cv = np.zeros((len(self._ports.cv), BLOCK_FRAMES), dtype=np.float32)
            for port, address in [*links, *atoms, *((p, cv[k].ctypes.data) for k, p in enumerate(self._ports.cv))]:
                d.connect_port(handle, port, address)
            latency = dict(links).get(self._latency_port) if self._latency_port is not None else None
            if d.activate:
                d.activate(handle)
            try:
                def run(frames: int) -> None:
                    reset()
                    d.run(handle, frames)

                for _ in range(-(-int(PREROLL_S * rate) // BLOCK_FRAMES)):
                    run(BLOCK_FRAMES)  # the input buffers are still silent
                yield Instance(run, lambda: 0 if latency is None else int(round(ctypes.c_float.from_address(latency).value)))
            finally:
                if d.deactivate:
                    d.deactivate(handle)
        finally:
            with lilv.LOCK:
                lilv.library().lilv_instance_free(raw)
            del keep

    def _atom_buffers(self) -> tuple[Links, object]:
        """(links of every atom port to a buffer of its own, a function that readies them for a run):
        inputs hold an empty event sequence, outputs are a chunk of the buffer's free space."""
        sequence, chunk = URIDS.id(f"{_ATOM}Sequence"), URIDS.id(f"{_ATOM}Chunk")
        buffers = [(port, is_input, np.zeros(size // 4, dtype=np.uint32)) for port, is_input, size in self._ports.atoms]

        def reset() -> None:
            for _port, is_input, buffer in buffers:
                buffer[:4] = (8, sequence, 0, 0) if is_input else (buffer.nbytes - 8, chunk, 0, 0)

        return [(port, buffer.ctypes.data) for port, _in, buffer in buffers], reset

    def __repr__(self) -> str:
        return f"<Lv2Effect {self.name!r} {self.uri}, {len(self.parameters)} parameters>"


def _options(rate: int) -> tuple[ctypes.Array, list[object]]:
    """The ``options`` feature's array for ``rate`` Hz (zero-terminated) and the values it points at."""
    as_int, as_float = URIDS.id(f"{_ATOM}Int"), URIDS.id(f"{_ATOM}Float")
    values = [(f"{_BUF}minBlockLength", ctypes.c_int32(1), as_int),
              (f"{_BUF}maxBlockLength", ctypes.c_int32(BLOCK_FRAMES), as_int),
              (f"{_BUF}nominalBlockLength", ctypes.c_int32(BLOCK_FRAMES), as_int),
              (f"{_BUF}sequenceSize", ctypes.c_int32(ATOM_BYTES), as_int),
              ("http://lv2plug.in/ns/ext/parameters#sampleRate", ctypes.c_float(rate), as_float)]
    options = (_Option * (len(values) + 1))(
        *[_Option(0, 0, URIDS.id(key), ctypes.sizeof(v), kind, ctypes.addressof(v)) for key, v, kind in values])
    return options, [v for _k, v, _t in values]


def _port(plugin: int, index: int) -> int:
    return lilv.library().lilv_plugin_get_port_by_index(plugin, index)


def _is(plugin: int, port: int, cls: str) -> bool:
    return lilv.library().lilv_port_is_a(plugin, port, lilv.uri(cls))


def _has(plugin: int, port: int, prop: str) -> bool:
    return lilv.library().lilv_port_has_property(plugin, port, lilv.uri(prop))


def _ports(plugin: int, uri: str) -> _Ports:
    """Every port of ``plugin`` sorted by kind; a port of a kind stito cannot connect is refused."""
    lib = lilv.library()
    count = int(lib.lilv_plugin_get_num_ports(plugin))
    ports = _Ports([], [], [], [], [], [], [], count)
    for index in range(count):
        port = _port(plugin, index)
        is_input = _is(plugin, port, f"{_LV2}InputPort")
        if _is(plugin, port, f"{_LV2}AudioPort"):
            (ports.audio_in if is_input else ports.audio_out).append(index)
            if is_input and (_has(plugin, port, f"{_LV2}isSideChain") or SIDECHAIN.search(_port_name(plugin, port))):
                ports.sidechains.append(index)
        elif _is(plugin, port, f"{_LV2}ControlPort"):
            (ports.control_in if is_input else ports.control_out).append(index)
        elif _is(plugin, port, f"{_ATOM}AtomPort"):
            wanted = lilv.number(lib.lilv_port_get(plugin, port, lilv.uri("http://lv2plug.in/ns/ext/resize-port#minimumSize")))
            ports.atoms.append((index, is_input, max(ATOM_BYTES, int(wanted or 0) + 64)))
        elif _is(plugin, port, f"{_LV2}CVPort"):
            ports.cv.append(index)
        else:
            symbol = lilv.text(lib.lilv_port_get_symbol(plugin, port))
            raise ChainError(f"LV2 plugin {uri}: port {index} ({symbol}) is of a kind stito cannot connect "
                             "(it connects audio, control, CV and atom ports)")
    return ports


def _latency_port(plugin: int) -> int | None:
    """The index of the output control port on which the plugin reports its latency, if it has one."""
    lib = lilv.library()
    return int(lib.lilv_plugin_get_latency_port_index(plugin)) if lib.lilv_plugin_has_latency(plugin) else None


def _port_name(plugin: int, port: int) -> str:
    return lilv.text(lilv.library().lilv_port_get_name(plugin, port), free=True)


def _parameter_id(plugin: int, port: int) -> tuple[str, str]:
    """(parameter name, unit) of a control port: its name with the unit of its Turtle data at the end
    (``units#db``; Ardour's ACE data also writes db1, db-display and hz0, read as db and hz)."""
    unit_uri = lilv.text(lilv.library().lilv_port_get(plugin, port, lilv.uri(f"{lilv.UNITS}unit")), free=True)
    found = re.match(r"[a-z]+", unit_uri.removeprefix(lilv.UNITS)) if unit_uri.startswith(lilv.UNITS) else None
    return parameter_id(with_unit(_port_name(plugin, port), LV2_UNITS.get(found.group(0)) if found else None))


def _control(plugin: int, index: int) -> ControlPort:
    """Input control port ``index`` with its range, default and properties from the Turtle data."""
    port = _port(plugin, index)
    nodes = [ctypes.c_void_p() for _ in range(3)]
    lilv.library().lilv_port_get_range(plugin, port, *(ctypes.byref(n) for n in nodes))
    default, lower, upper = (lilv.number(n.value) for n in nodes)
    per_rate = _has(plugin, port, f"{_LV2}sampleRate")
    default = None if default is None else float32_decimal(default) * (REFERENCE_RATE if per_rate else 1)
    return ControlPort(index, None if lower is None else float32_decimal(lower),
                       None if upper is None else float32_decimal(upper), per_rate=per_rate, toggled=_has(plugin, port, f"{_LV2}toggled"),
                       integer=_has(plugin, port, f"{_LV2}integer") or _has(plugin, port, f"{_LV2}enumeration"),
                       log=_has(plugin, port, f"{_PROPS}logarithmic"), default=default)
