"""The bitwig-stito profile (config/daw/bitwig-stito.toml) and the controller script it talks to, with a
python-osc server standing in for Bitwig; the Ardour profile against the verified host facts."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from bridge.pushback.profiles import SHIPPED_DIR, load_profile, load_profiles
from bridge.pushback.osc import build_osc
from bridge.pushback.push import PushBack
from stito_core import load_chain
from tests.bridge.fakes import Host, free_port

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


class AbletonOscStandIn:
    """AbletonOSC as far as the ``ableton`` profile uses it: parameter ranges answered on ``reply_port`` of
    the asking host (as its osc_server.py does), and set values recorded; out of range counts as raised."""

    def __init__(self, reply_port: int, answer: bool = True, params: int = 40) -> None:
        self.reply_port, self.answer, self.params = reply_port, answer, params
        self.sets: list[tuple[int, int, int, float]] = []
        self.raised: list[tuple[int, int, int, float]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port, self._stop = self.sock.getsockname()[1], threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def low_high(self, track: int, device: int) -> tuple[list[float], list[float]]:
        """Device d's parameters run 0..1, except parameter 1 (its first), which runs -d..d."""
        lows, highs = [0.0] * self.params, [1.0] * self.params
        lows[1], highs[1] = -float(device), float(device)
        return lows, highs

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, sender = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            message = OscMessage(data)
            args = list(message.params)
            if message.address.startswith("/live/device/get/parameters/") and self.answer:
                lows, highs = self.low_high(*args[:2])
                builder = OscMessageBuilder(message.address)
                for value in (*args[:2], *(lows if message.address.endswith("/min") else highs)):
                    builder.add_arg(value)
                self.sock.sendto(builder.build().dgram, (sender[0], self.reply_port))
            elif message.address == "/live/device/set/parameter/value":
                lows, highs = self.low_high(*args[:2])
                record = tuple(args)
                self.sets.append(record)
                if not lows[args[2]] <= args[3] <= highs[args[2]]:
                    self.raised.append(record)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


def ableton_push(tmp_path, answer: bool):
    """Push builtin's mid values, sent in real units (most far outside Live's 0..1), through the shipped
    ``ableton`` profile aimed at a stand-in; returns the stand-in and the seconds the push took."""
    reply_port = free_port()
    live = AbletonOscStandIn(reply_port, answer=answer)
    text = (SHIPPED_DIR / "ableton.toml").read_text(encoding="utf-8")
    text = text.replace("port = 11000", f"port = {live.port}").replace("reply_port = 11001", f"reply_port = {reply_port}")
    text = text.replace('[chains.builtin]', '[chains.builtin]\nvalue = "real"')
    path = tmp_path / "ableton.toml"
    path.write_text(text, encoding="utf-8")
    profile = load_profile(path)
    assert profile.enabled, profile.problem
    chain = load_chain("builtin")
    pushback = PushBack({"ableton": profile})
    started = time.monotonic()
    try:
        sent = pushback.push("ableton", chain, chain.describe([0.5] * len(chain.parameters)))
        deadline = time.monotonic() + 5
        while len(live.sets) < sent and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        pushback.close()
        live.close()
    return live, sent, time.monotonic() - started


def test_ableton_push_clamps_every_value_into_the_devices_ranges(tmp_path):
    live, sent, _ = ableton_push(tmp_path, answer=True)
    assert sent == len(live.sets) == len(load_chain("builtin").parameters)
    assert live.raised == []
    firsts = [s for s in live.sets if s[2] == 1 and s[1] > 0]  # each device's first parameter: -d..d
    assert firsts and any(abs(s[3]) == s[1] for s in firsts)      # clamped to the device's own bound


def test_ableton_push_without_answers_sends_unclamped_and_says_so(tmp_path, caplog):
    caplog.set_level("WARNING", logger="stito.daemon.push")
    live, sent, seconds = ableton_push(tmp_path, answer=False)
    assert sent == len(live.sets) and live.raised  # what AbletonOSC would raise on, now logged
    assert "no answer to /live/device/get/parameters/m" in caplog.text and "sent unclamped" in caplog.text
    assert seconds < 5


@pytest.mark.parametrize(("change", "message"), [
    ('reply_port = 11001', "osc.ranges.reply_port: 0"),
    ('args = ["track", "fx"]', "osc.ranges.args: give a list of target fields"),
    ('timeout_ms = 1000', "osc.ranges.colour: unknown key"),
])
def test_a_malformed_ranges_table_disables_the_profile_naming_the_key(tmp_path, change, message):
    bad = {'reply_port = 11001': 'reply_port = 0', 'args = ["track", "fx"]': 'args = ["track", "knob"]',
           'timeout_ms = 1000': 'timeout_ms = 1000\ncolour = "red"'}[change]
    path = tmp_path / "ableton.toml"
    path.write_text((SHIPPED_DIR / "ableton.toml").read_text(encoding="utf-8").replace(change, bad), encoding="utf-8")
    profile = load_profile(path)
    assert not profile.enabled and profile.problem.startswith(message)
