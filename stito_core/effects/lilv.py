"""The few lilv calls stito needs, through ctypes, and the one lilv world of the process.

lilv (``liblilv-0.so.0``, Debian's ``liblilv-0-0``) is the LV2 reference library: it finds bundles on
``LV2_PATH`` and the standard folders, parses their Turtle data and loads plugin binaries. Debian has
no Python bindings for it, and a Turtle parser alone would still leave discovery and loading to us.
Every call into the world goes through :data:`LOCK`, since lilv is not thread-safe.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import threading
from collections.abc import Iterator

from ..errors import ChainError
from .folders import system_folders_on

#: Serialises every call into lilv (its world and nodes are not thread-safe).
LOCK = threading.RLock()
_LIBRARY_NAMES = ("liblilv-0.so.0", "liblilv-0.so", "liblilv-0.dylib", "lilv-0.dll")

LV2 = "http://lv2plug.in/ns/lv2core#"
UNITS = "http://lv2plug.in/ns/extensions/units#"
#: lilv's world option that replaces LV2_PATH (``LILV_OPTION_LV2_PATH``).
LV2_PATH_OPTION = b"http://drobilla.net/ns/lilv#lv2-path"
_P = ctypes.c_void_p
#: lilv function name -> (result type, argument types); all are loaded by :func:`library`.
_SIGNATURES: dict[str, tuple[object, list[object]]] = {
    "lilv_world_new": (_P, []),
    "lilv_world_load_all": (None, [_P]),
    "lilv_world_set_option": (None, [_P, ctypes.c_char_p, _P]),
    "lilv_new_string": (_P, [_P, ctypes.c_char_p]),
    "lilv_world_get_all_plugins": (_P, [_P]),
    "lilv_new_uri": (_P, [_P, ctypes.c_char_p]),
    "lilv_node_free": (None, [_P]),
    "lilv_node_as_uri": (ctypes.c_char_p, [_P]),
    "lilv_node_as_string": (ctypes.c_char_p, [_P]),
    "lilv_node_is_float": (ctypes.c_bool, [_P]),
    "lilv_node_is_int": (ctypes.c_bool, [_P]),
    "lilv_node_as_float": (ctypes.c_float, [_P]),
    "lilv_node_get_path": (_P, [_P, _P]),
    "lilv_free": (None, [_P]),
    "lilv_plugins_begin": (_P, [_P]),
    "lilv_plugins_next": (_P, [_P, _P]),
    "lilv_plugins_is_end": (ctypes.c_bool, [_P, _P]),
    "lilv_plugins_get": (_P, [_P, _P]),
    "lilv_plugins_get_by_uri": (_P, [_P, _P]),
    "lilv_nodes_begin": (_P, [_P]),
    "lilv_nodes_next": (_P, [_P, _P]),
    "lilv_nodes_is_end": (ctypes.c_bool, [_P, _P]),
    "lilv_nodes_get": (_P, [_P, _P]),
    "lilv_nodes_free": (None, [_P]),
    "lilv_plugin_get_uri": (_P, [_P]),
    "lilv_plugin_get_name": (_P, [_P]),
    "lilv_plugin_get_bundle_uri": (_P, [_P]),
    "lilv_plugin_get_library_uri": (_P, [_P]),
    "lilv_plugin_verify": (ctypes.c_bool, [_P]),
    "lilv_plugin_get_required_features": (_P, [_P]),
    "lilv_plugin_get_num_ports": (ctypes.c_uint32, [_P]),
    "lilv_plugin_get_port_by_index": (_P, [_P, ctypes.c_uint32]),
    "lilv_plugin_has_latency": (ctypes.c_bool, [_P]),
    "lilv_plugin_get_latency_port_index": (ctypes.c_uint32, [_P]),
    "lilv_plugin_instantiate": (_P, [_P, ctypes.c_double, _P]),
    "lilv_instance_free": (None, [_P]),
    "lilv_port_is_a": (ctypes.c_bool, [_P, _P, _P]),
    "lilv_port_has_property": (ctypes.c_bool, [_P, _P, _P]),
    "lilv_port_get_symbol": (_P, [_P, _P]),
    "lilv_port_get_name": (_P, [_P, _P]),
    "lilv_port_get": (_P, [_P, _P, _P]),
    "lilv_port_get_range": (None, [_P, _P, ctypes.POINTER(_P), ctypes.POINTER(_P), ctypes.POINTER(_P)]),
}


@functools.cache
def library() -> ctypes.CDLL:
    """liblilv, loaded once; a ChainError naming the package when it is not installed."""
    names = [n for n in (*_LIBRARY_NAMES, ctypes.util.find_library("lilv-0")) if n]
    for name in names:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        for function, (result, arguments) in _SIGNATURES.items():
            getattr(lib, function).restype = result
            getattr(lib, function).argtypes = arguments
        return lib
    raise ChainError("LV2 needs the lilv library (liblilv-0.so.0), which is not installed "
                     "(Debian/Ubuntu: apt install liblilv-0-0)")


@functools.cache
def world() -> int:
    """The process's lilv world with every bundle on LV2_PATH and the standard folders loaded (once:
    plugins installed later are seen after a restart). With ``STITO_SYSTEM_PLUGINS=0`` lilv is told the
    LV2_PATH folders only, so that it does not fall back to the standard ones."""
    with LOCK:
        lib = library()
        handle = lib.lilv_world_new()
        if not system_folders_on():
            node = lib.lilv_new_string(handle, os.environ.get("LV2_PATH", "").encode())
            lib.lilv_world_set_option(handle, LV2_PATH_OPTION, node)
            lib.lilv_node_free(node)
        lib.lilv_world_load_all(handle)
        return handle


@functools.cache
def uri(text: str) -> int:
    """A lilv URI node for ``text``, kept for the life of the process."""
    with LOCK:
        return library().lilv_new_uri(world(), text.encode())


def text(node: int | None, free: bool = False) -> str:
    """A node's string ('' for NULL), freeing the node when ``free`` (for nodes the caller owns)."""
    if not node:
        return ""
    raw = library().lilv_node_as_string(node)
    if free:
        library().lilv_node_free(node)
    return raw.decode("utf-8", "replace") if raw else ""


def number(node: int | None) -> float | None:
    """A numeric node as a float and freed; None for NULL or a non-number (also freed)."""
    if not node:
        return None
    lib = library()
    value = float(lib.lilv_node_as_float(node)) if lib.lilv_node_is_float(node) or lib.lilv_node_is_int(node) else None
    lib.lilv_node_free(node)
    return value


def path_of(node: int) -> str:
    """The local file path of a ``file://`` URI node (not freed)."""
    raw = library().lilv_node_get_path(node, None)
    try:
        return ctypes.cast(raw, ctypes.c_char_p).value.decode("utf-8", "replace") if raw else ""
    finally:
        library().lilv_free(raw)


def all_plugins() -> Iterator[int]:
    """Every plugin in the world, as lilv plugin pointers (call under LOCK)."""
    lib, plugins = library(), library().lilv_world_get_all_plugins(world())
    it = lib.lilv_plugins_begin(plugins)
    while not lib.lilv_plugins_is_end(plugins, it):
        yield lib.lilv_plugins_get(plugins, it)
        it = lib.lilv_plugins_next(plugins, it)


def plugin_by_uri(plugin_uri: str) -> int | None:
    """The plugin whose URI is ``plugin_uri``, or None (call under LOCK)."""
    plugins = library().lilv_world_get_all_plugins(world())
    return library().lilv_plugins_get_by_uri(plugins, uri(plugin_uri)) or None


def node_texts(nodes: int | None) -> list[str]:
    """The strings of a node collection the caller owns, which is freed."""
    if not nodes:
        return []
    lib, out = library(), []
    it = lib.lilv_nodes_begin(nodes)
    while not lib.lilv_nodes_is_end(nodes, it):
        out.append(text(lib.lilv_nodes_get(nodes, it)))
        it = lib.lilv_nodes_next(nodes, it)
    lib.lilv_nodes_free(nodes)
    return out
