"""The DAW scripts themselves: every Lua file compiles (luac -p), every JavaScript file parses (node --check),
and their logic runs under plain Lua / node against stand-ins for REAPER's and Bitwig's APIs.

Needs `luac5.4`/`lua5.4` (Debian package lua5.4) and `node`; each check is skipped without its tool.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import pytest

from stito_core import load_chain

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "daw_scripts"
HERE = Path(__file__).resolve().parent
LUA_FILES = sorted([*SCRIPTS.rglob("*.lua"), *HERE.rglob("*.lua")])
JS_FILES = sorted(SCRIPTS.rglob("*.js"))
LUAC = shutil.which("luac5.4") or shutil.which("luac")
LUA = shutil.which("lua5.4") or shutil.which("lua")
NODE = shutil.which("node")

needs_luac = pytest.mark.skipif(LUAC is None, reason="luac not installed (apt-get install lua5.4)")
needs_lua = pytest.mark.skipif(LUA is None, reason="lua not installed (apt-get install lua5.4)")
needs_node = pytest.mark.skipif(NODE is None, reason="node not installed")


def run(command: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def test_the_scripts_are_there():
    names = {p.name for p in [*LUA_FILES, *JS_FILES]}
    assert {"stito_match_selected_item.lua", "stito_match_only.lua", "stito_apply_last_match.lua",
            "stito_apply_last_match_at_amount.lua",
            "stito_json.lua", "stito_common.lua",
            "stito_match_region.lua", "stito_apply_match.lua", "stito.control.js"} <= names
    assert (SCRIPTS / "README.md").is_file() and (SCRIPTS / "stito_send.py").is_file()


@needs_luac
@pytest.mark.parametrize("path", LUA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_lua_compiles(path):
    done = run([LUAC, "-p", str(path)])
    assert done.returncode == 0, done.stderr


@needs_node
@pytest.mark.parametrize("path", JS_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_javascript_parses(path):
    done = run([NODE, "--check", str(path)])
    assert done.returncode == 0, done.stderr


# --- the Lua JSON decoders (REAPER's module and the copy inside the Ardour apply script) -----------

def lua_quote(text: str) -> str:
    """``text`` as Lua's string.format("%q") writes it (newline written as \\n by the dump script)."""
    out = []
    for i, char in enumerate(text):
        following_digit = i + 1 < len(text) and text[i + 1].isdigit()
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\{ord(char):03d}" if following_digit else f"\\{ord(char)}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def flatten(value, path: str = "", null: str = "null") -> list[str]:
    """Python's view of a JSON value as the sorted ``path=value`` lines of tests/daw/lua/json_dump.lua."""
    if isinstance(value, dict) and value:
        return [line for key, item in value.items() for line in flatten(item, f"{path}.{key}", null)]
    if isinstance(value, list) and value:
        return [line for i, item in enumerate(value) for line in flatten(item, f"{path}[{i}]", null)]
    if value in ({}, []):
        return [f"{path}={{}}"]
    if value is None:
        return [f"{path}={null}"]
    if isinstance(value, bool):
        return [f"{path}={str(value).lower()}"]
    if isinstance(value, str):
        return [f"{path}={lua_quote(value)}"]
    if math.isnan(value):
        return [f"{path}=nan"]
    if math.isinf(value):
        return [f"{path}={'inf' if value > 0 else '-inf'}"]
    return [f"{path}={value:.17g}"]


def parameter_file() -> dict:
    """A parameter file as stito writes it, for the zam chain when installed (else builtin)."""
    try:
        chain = load_chain("zam")
    except Exception:
        chain = load_chain("builtin")
    rows = chain.describe([0.37] * len(chain.parameters))
    return {"chain": chain.name, "input": "/music/vocal take \"1\".wav", "reference": "C:\\refs\\réf.flac",
            "similarity_before": 0.61, "similarity_after": 0.9312, "seconds": 12.5, "parameters": rows,
            "stop": {"maxiter": 25}, "output_gain_db": 0, "notes": "tab\there\nnew line ✓ 😀",
            "flags": [True, False, None], "empty": {}, "nothing": [], "big": 1.5e300, "small": -2.5e-7,
            "nan": float("nan"), "inf": float("-inf")}


@needs_lua
@pytest.mark.parametrize("which", ["reaper", "ardour"])
def test_lua_json_decoders_read_what_python_writes(tmp_path, which):
    data = parameter_file()
    path = tmp_path / "params.json"
    path.write_text(json.dumps(data, indent=1, ensure_ascii=which == "ardour"), encoding="utf-8")
    done = run([LUA, str(HERE / "lua" / "json_dump.lua"), which, str(SCRIPTS), str(path)])
    assert done.returncode == 0, done.stdout + done.stderr
    expected = sorted(flatten(data, null="null" if which == "reaper" else "{}"))
    assert done.stdout.splitlines() == expected


@needs_lua
@pytest.mark.parametrize("text", ['{"a": [1, 2}', '{"a": 1} x', '{"a": "unterminated}', '[1, 2', '{1: 2}', ''])
def test_lua_json_decoder_rejects_malformed_text(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    done = run([LUA, str(HERE / "lua" / "json_dump.lua"), "reaper", str(SCRIPTS), str(path)])
    assert done.returncode == 3 and done.stdout.startswith("ERROR JSON: "), done.stdout + done.stderr


# --- logic against stand-ins for the hosts' APIs ----------------------------------------------------

@needs_lua
def test_reaper_scripts_logic(tmp_path):
    done = run([LUA, str(HERE / "lua" / "reaper_check.lua"), str(SCRIPTS), str(tmp_path)])
    assert done.returncode == 0 and done.stdout.startswith("OK "), done.stdout + done.stderr


@needs_node
def test_bitwig_controller_sets_remote_controls():
    done = run([NODE, str(HERE / "js" / "bitwig_check.js"), str(SCRIPTS / "bitwig" / "stito.control.js")])
    assert done.returncode == 0 and done.stdout.startswith("OK "), done.stdout + done.stderr
