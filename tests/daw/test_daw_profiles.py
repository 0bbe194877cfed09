"""The bitwig-stito profile (config/daw/bitwig-stito.toml) and the controller script it talks to, with a
python-osc server standing in for Bitwig; the Ardour profile against the verified host facts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bridge.pushback.profiles import SHIPPED_DIR, load_profile, load_profiles
from bridge.pushback.osc import build_osc
from bridge.pushback.push import PushBack
from stito_core import load_chain
from tests.bridge.fakes import Host

CONTROLLER = Path(__file__).resolve().parents[2] / "daw_scripts" / "bitwig" / "stito.control.js"


def zam_chain():
    try:
        return load_chain("zam")
    except Exception as exc:
        pytest.skip(f"zam chain unavailable: {exc}")


def test_bitwig_stito_profile_passes_its_self_check():
    profile = load_profiles()["bitwig-stito"]
    assert profile.enabled, profile.problem
    assert profile.maps("zam") and profile.maps("builtin") and profile.maps("ardour-zam")


def test_bitwig_stito_matches_the_controller_script():
    """Same UDP port and an address the script registers, with an int index and a float value."""
    script = CONTROLLER.read_text(encoding="utf-8")
    osc = load_profile(SHIPPED_DIR / "bitwig-stito.toml").data["osc"]
    assert f"var LISTEN_PORT = {osc['port']};" in script
    assert re.search(r'registerMethod\("' + re.escape(osc["address"]) + '"', script)
    assert (osc["args"], osc["types"]) == (["param", "value"], "if")


def test_bitwig_stito_sends_the_compressor_as_page_positions():
    chain = zam_chain()
    profile = load_profile(SHIPPED_DIR / "bitwig-stito.toml")
    rows = chain.describe([0.3] * len(chain.parameters))
    messages = [(m.address, tuple(m.params)) for m in build_osc(profile, profile.targets(chain, rows))]
    # ZamCompX2's own order: attack 1, release 2, knee 3, ratio 4, threshold 5; -42 dB in -80..0 is 0.475
    assert [m[1][0] for m in messages] == [5, 4, 1, 2, 3]
    assert messages[0] == ("/stito/param", (5, pytest.approx(0.475, abs=1e-6)))
    assert all(0.0 <= m[1][1] <= 1.0 for m in messages)


def test_bitwig_stito_push_reaches_a_stand_in_host(tmp_path):
    """The daemon's push-back path, unchanged, into a python-osc server on the profile's address space."""
    host = Host()
    text = (SHIPPED_DIR / "bitwig-stito.toml").read_text(encoding="utf-8").replace("port = 9800", f"port = {host.port}")
    path = tmp_path / "bitwig-stito.toml"
    path.write_text(text, encoding="utf-8")
    chain = load_chain("builtin")
    pushback = PushBack({"bitwig-stito": load_profile(path)})
    try:
        sent = pushback.push("bitwig-stito", chain, chain.describe([0.5] * len(chain.parameters)))
        received = host.wait_for("/stito/param", count=sent)
    finally:
        pushback.close()
        host.close()
    compressor = [p for p in chain.parameters if p.effect == "compressor"]
    assert sent == len(compressor) and len(received) == sent
    assert all(isinstance(m.args[0], int) and isinstance(m.args[1], float) for m in received)
    assert sorted(m.args[0] for m in received) == list(range(1, len(compressor) + 1))


def test_ardour_profile_matches_the_verified_host_facts():
    """DAWS.md: UDP 3819, /strip/plugin/parameter iiif (strip, plugin, param, value), 1-based, real units."""
    data = load_profile(SHIPPED_DIR / "ardour.toml").data
    assert (data["osc"]["port"], data["osc"]["address"], data["osc"]["types"]) == (3819, "/strip/plugin/parameter", "iiif")
    assert data["osc"]["args"] == ["track", "fx", "param", "value"]
    assert data["target"]["value"] == "real" and data["target"]["first_fx"] == data["target"]["first_param"] == 1
