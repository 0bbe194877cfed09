"""The Ableton Live Remote Script (daw_scripts/ableton/stito) against a stand-in of the Live API and a
stand-in daemon on a real UDP socket: the trigger note, the /stito/match it sends, the replies it reads,
and the values it sets on the clip's track (found by name, clamped to Live's range, dials bisected).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import socket
import sys
import types
from pathlib import Path

import pytest
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

SCRIPT = Path(__file__).resolve().parents[2] / "daw_scripts" / "ableton" / "stito"


class MidiMap:
    """The part of ``Live.MidiMap`` the script uses; records what was forwarded."""

    forwarded: list[tuple[int, int, int, int]] = []

    class MapMode:
        absolute = "absolute"

    @classmethod
    def forward_midi_note(cls, handle, midi_map_handle, channel, note):
        cls.forwarded.append((handle, midi_map_handle, channel, note))
        return True


@pytest.fixture(scope="module")
def live():
    """The script's package, imported with a stand-in ``Live`` module (as Live's Python would)."""
    stand_in = types.ModuleType("Live")
    stand_in.MidiMap = MidiMap
    saved = sys.modules.get("Live")
    sys.modules["Live"] = stand_in
    spec = importlib.util.spec_from_file_location("stito_live", SCRIPT / "__init__.py",
                                                  submodule_search_locations=[str(SCRIPT)])
    package = importlib.util.module_from_spec(spec)
    sys.modules["stito_live"] = package
    spec.loader.exec_module(package)
    yield package
    for name in [n for n in sys.modules if n == "stito_live" or n.startswith("stito_live.")]:
        del sys.modules[name]
    if saved is None:
        del sys.modules["Live"]
    else:
        sys.modules["Live"] = saved


# --- a stand-in Live set ------------------------------------------------------------------------------

class Parameter:
    """A DeviceParameter: ``min``/``max``/``value``; ``show(raw)`` is what ``str_for_value`` displays."""

    def __init__(self, name, low, high, value, show=None, quantized=False):
        self.name, self.min, self.max, self._value = name, low, high, value
        self.is_quantized, self._show, self.moves = quantized, show or (lambda v: f"{v:.2f}"), 0

    def str_for_value(self, raw):
        return self._show(raw)

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, raw):
        if not self.min <= raw <= self.max:
            raise RuntimeError(f"{self.name}: {raw} is out of range")  # what Live does
        self._value, self.moves = raw, self.moves + 1


class Obj:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def db_dial(raw):  # a VST3 parameter, -60..0 dB spread over 0..1
    return f"{-60 + 60 * raw:.1f} dB"


def hz_dial(raw):  # log 20 Hz..20 kHz over 0..1, shown as Live does
    hz = 20 * 1000 ** raw
    return f"{hz / 1000:.2f} kHz" if hz >= 1000 else f"{hz:.1f} Hz"


def make_set():
    """Track "Vox" (session clip vox.wav; a compressor and an EQ) and track "Ref" (an arrangement clip
    named "Stito:Ref")."""
    compressor = Obj(name="ZamCompX2", parameters=[
        Parameter("Device On", 0, 1, 1, quantized=True),
        Parameter("Threshold", 0.0, 1.0, 1.0, db_dial),
        Parameter("Ratio", 1.0, 20.0, 1.0),
        Parameter("Makeup", -15.0, 15.0, 0.0)])
    eq = Obj(name="EQ", parameters=[Parameter("Device On", 0, 1, 1, quantized=True),
                                    Parameter("Freq 1", 0.0, 1.0, 0.5, hz_dial),
                                    Parameter("Band On", 0, 1, 0, quantized=True)])
    vox = Obj(name="Vox", devices=[compressor, eq], clip_slots=[], arrangement_clips=[])
    clip = Obj(name="vox take", file_path="/songs/vox.wav", is_audio_clip=True, canonical_parent=None)
    slot = Obj(has_clip=True, clip=clip, canonical_parent=vox)
    clip.canonical_parent = slot
    vox.clip_slots = [Obj(has_clip=False, clip=None), slot]
    ref_clip = Obj(name="Stito:Ref", file_path="/songs/ref.wav", is_audio_clip=True, canonical_parent=None)
    ref = Obj(name="Ref", devices=[], clip_slots=[], arrangement_clips=[ref_clip])
    song = Obj(tracks=[vox, ref], view=Obj(detail_clip=clip, selected_track=ref), undo=[])
    song.begin_undo_step = lambda: song.undo.append("begin")
    song.end_undo_step = lambda: song.undo.append("end")
    return song


class CInstance:
    """Live's c_instance: the song, a handle, the status bar and Log.txt."""

    def __init__(self, song):
        self._song, self.shown, self.logged = song, [], []

    def song(self):
        return self._song

    def handle(self):
        return 7

    def show_message(self, text):
        self.shown.append(text)

    def log_message(self, text):
        self.logged.append(text)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def daemon():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock
    sock.close()


def settings(port, **changes):
    values = dict(CHANNEL=16, MATCH_NOTE=60, APPLY_NOTE=62, HOST="127.0.0.1", PORT=port, TOKEN_FILE="",
                  CHAIN="zam", MATCH="", REFERENCE="", FIRST_DEVICE=1, TIMEOUT_S=1800)
    values.update(changes)
    return types.SimpleNamespace(**values)


def surface(live, port, song=None, **changes):
    c = CInstance(song or make_set())
    clock = Clock()
    return live.surface.StitoSurface(c, settings(port, **changes), clock), c, clock


def reply(sock, to, address, *args):
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    sock.sendto(builder.build().dgram, to)


def received(sock):
    data, sender = sock.recvfrom(65536)
    message = OscMessage(data)
    return message.address, list(message.params), sender


def write_params(tmp_path, rows):
    path = tmp_path / "vox.matched.json"
    path.write_text(json.dumps({"chain": "zam", "parameters": rows}), encoding="utf-8")
    return str(path)


ROWS = [
    {"effect": "compressor", "name": "threshold_db", "value": -20.0, "normalized": 0.5, "unit": "dB"},
    {"effect": "compressor", "name": "ratio", "value": 4.0, "normalized": 0.3, "unit": ""},
    {"effect": "compressor", "name": "makeup_db", "value": 30.0, "normalized": 1.0, "unit": "dB"},
    {"effect": "eq", "name": "freq_1_hz", "value": 2500.0, "normalized": 0.7, "unit": "Hz"},
    {"effect": "eq", "name": "band_on", "value": 0.8, "normalized": 0.8, "unit": ""},
]


# --- tests --------------------------------------------------------------------------------------------

def test_the_script_is_python_3_7(live):
    """Live 11 embeds Python 3.7: the script must not use newer syntax."""
    for path in SCRIPT.glob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"), str(path), feature_version=(3, 7))


def test_trigger_notes_are_forwarded_on_the_set_channel(live, daemon):
    MidiMap.forwarded.clear()
    live_surface, _, _ = surface(live, daemon.getsockname()[1])
    live_surface.build_midi_map(42)
    assert MidiMap.forwarded == [(7, 42, 15, 60), (7, 42, 15, 62)]
    assert live.create_instance(CInstance(make_set())).can_lock_to_devices() is False


def test_a_note_matches_the_selected_clip_and_sets_the_found_values(live, daemon, tmp_path):
    live_surface, c, _ = surface(live, daemon.getsockname()[1])
    live_surface.receive_midi((0x9F, 60, 100))
    address, args, sender = received(daemon)
    assert address == "/stito/match"
    job = args[3]
    assert args == ["/songs/vox.wav", "/songs/ref.wav", "zam", job, "none", "1", ""] and job.startswith("live-")

    params = write_params(tmp_path, ROWS)
    reply(daemon, sender, "/stito/accepted", job)
    reply(daemon, sender, "/stito/progress", "another-job", 9, 0.5)
    reply(daemon, sender, "/stito/progress", job, 3, 0.91)
    reply(daemon, sender, "/stito/done", job, "/songs/vox.matched.wav", params, 0.95)
    for _ in range(50):
        live_surface.update_display()
        if live_surface._job is None:
            break
    song = c.song()
    compressor, eq = (d.parameters for d in song.tracks[0].devices)
    assert compressor[1].value == pytest.approx(40 / 60, abs=1e-6)  # -20 dB on a -60..0 dB dial
    assert compressor[2].value == 4.0                                  # Live's range is the unit: as is
    assert compressor[3].value == 15.0                                 # clamped: Live raises outside
    assert 20 * 1000 ** eq[1].value == pytest.approx(2500, rel=1e-3)  # a log Hz dial shown in kHz
    assert eq[2].value == 1                                            # quantized: rounded
    assert compressor[0].moves == 0 and song.undo == ["begin", "end"]
    assert any("iteration 3, similarity 0.910" in s for s in c.shown)
    assert not any("another-job" in s for s in c.shown)
    assert "stito: set 5 of 5 parameters on Vox (similarity 0.950); 1 problems in Log.txt" == c.shown[-1]
    assert any("makeup_db: 30 is outside Live's -15..15, set to 15" in line for line in c.logged)

    song.tracks[0].devices[0].parameters[2].value = 1.0
    song.view.selected_track = song.tracks[0]
    live_surface.receive_midi((0x9F, 62, 1))  # the apply note: the last match again, on the selected track
    assert compressor[2].value == 4.0


def test_rows_that_cannot_be_set_are_reported_not_guessed(live):
    track = make_set().tracks[0]
    rows = [{"effect": "compressor", "name": "threshold_db", "value": -90.0, "unit": "dB"},
            {"effect": "compressor", "name": "knee_db", "value": 3.0, "unit": "dB"},
            {"effect": "eq", "name": "freq_1_hz", "value": 1000.0, "unit": "Hz"},
            {"effect": "limiter", "name": "ceiling_db", "value": -1.0, "unit": "dB"}]
    done, problems = live.apply.apply_rows(track, rows, 1)
    assert done == 1
    assert problems == ["compressor.threshold_db: cannot find -90 dB on the device's dial",
                        "compressor.knee_db: device 1 (ZamCompX2) has no parameter of that name",
                        "limiter.ceiling_db: the track has no device 3"]
    assert track.devices[0].parameters[1].value == 1.0


def test_rounding_a_quantized_value_is_not_reported_as_out_of_range(live):
    mode = Parameter("Mode", 0, 3, 0, quantized=True)
    track = Obj(name="Vox", devices=[Obj(name="Comp", parameters=[Parameter("Device On", 0, 1, 1), mode])])
    done, problems = live.apply.apply_rows(track, [{"effect": "comp", "name": "mode", "value": 1.4, "unit": ""}], 1)
    assert (done, problems, mode.value) == (1, [], 1.0)


@pytest.mark.parametrize(("text", "unit", "number"), [
    ("-20.0 dB", "dB", -20.0), ("2.50 kHz", "Hz", 2500.0), ("1.20 s", "ms", 1200.0), ("250 ms", "s", 0.25),
    ("-inf dB", "dB", None), ("35 %", "%", 35.0), ("1e3 Hz", "Hz", 1000.0)])
def test_displayed_values_are_read_in_the_rows_unit(live, text, unit, number):
    assert live.apply.parse_shown(text, unit) == number


def test_names_match_with_or_without_the_unit(live):
    same = live.apply.same_parameter
    assert same("Boost/Cut 1", {"name": "boost_cut_1", "unit": ""})
    assert same("Threshold", {"name": "threshold_db", "unit": "dB"})
    assert same("OutputGain", {"name": "output_gain", "unit": ""})
    assert not same("Threshold", {"name": "threshold_hz", "unit": "dB"})


def test_no_daemon_says_so_after_five_seconds(live):
    quiet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    quiet.bind(("127.0.0.1", 0))
    port = quiet.getsockname()[1]
    quiet.close()  # nothing listens there now
    live_surface, c, clock = surface(live, port)
    live_surface.receive_midi((0x9F, 60, 100))
    live_surface.update_display()
    assert live_surface._job is not None
    clock.now += 6
    live_surface.update_display()
    assert live_surface._job is None
    assert c.shown[-1] == f"stito: no answer from stito serve at 127.0.0.1:{port}; is it running?"


def test_an_error_reply_is_shown_and_ends_the_job(live, daemon):
    live_surface, c, _ = surface(live, daemon.getsockname()[1])
    live_surface.receive_midi((0x9F, 60, 100))
    _, args, sender = received(daemon)
    reply(daemon, sender, "/stito/error", "", "bad token", 105)
    for _ in range(50):
        live_surface.update_display()
        if live_surface._job is None:
            break
    assert c.shown[-1] == "stito: job  failed: bad token"
    live_surface.receive_midi((0x9F, 60, 100))  # a new match may start
    assert received(daemon)[0] == "/stito/match"


def test_wrong_selection_and_notes_send_nothing(live, daemon):
    daemon.settimeout(0.2)
    song = make_set()
    live_surface, c, _ = surface(live, daemon.getsockname()[1], song)
    live_surface.receive_midi((0x9F, 61, 100))  # another note
    live_surface.receive_midi((0x90, 60, 100))  # another channel
    live_surface.receive_midi((0x9F, 60, 0))    # a note-off as note-on 0
    song.view.detail_clip = Obj(name="beat", is_audio_clip=False, file_path="")
    live_surface.receive_midi((0x9F, 60, 100))
    assert c.shown[-1] == "stito: select an audio clip first (the clip shown in the Detail View is matched)"
    song.view.detail_clip = song.tracks[0].clip_slots[1].clip
    song.tracks[1].arrangement_clips = []
    live_surface.receive_midi((0x9F, 60, 100))
    assert c.shown[-1].startswith("stito: no reference: name a clip \"stito:ref\"")
    live_surface.receive_midi((0x9F, 62, 100))
    assert c.shown[-1] == "stito: no match yet to apply"
    with pytest.raises(socket.timeout):
        daemon.recvfrom(65536)


def test_the_token_goes_first_and_a_reference_setting_is_used(live, daemon, tmp_path):
    token_file, reference = tmp_path / "token", tmp_path / "ref.flac"
    token_file.write_text("s3cret-s3cret-s3cret\n", encoding="utf-8")
    reference.write_bytes(b"")
    song = make_set()
    song.tracks[1].arrangement_clips = []
    live_surface, _, _ = surface(live, daemon.getsockname()[1], song, TOKEN_FILE=str(token_file),
                                 REFERENCE=str(reference), MATCH="space")
    live_surface.receive_midi((0x9F, 60, 100))
    _, args, _ = received(daemon)
    assert args[0] == "s3cret-s3cret-s3cret" and args[2] == str(reference) and args[-1] == "space"


def test_a_fault_inside_becomes_one_line(live, daemon):
    song = make_set()
    live_surface, c, _ = surface(live, daemon.getsockname()[1], song)
    song.view = None  # the Live API failing under the script
    live_surface.receive_midi((0x9F, 60, 100))
    assert c.shown[-1].startswith("stito: internal error: AttributeError")


def test_osc_codec_round_trips_with_python_osc(live):
    data = live.osc.encode("/stito/match", "vox é.wav", 3, 0.5)
    message = OscMessage(data)
    assert message.address == "/stito/match" and message.params[:2] == ["vox é.wav", 3]
    assert math.isclose(message.params[2], 0.5)
    builder = OscMessageBuilder("/stito/done")
    for arg in ("job", 2, 0.25, True):
        builder.add_arg(arg)
    assert live.osc.decode(builder.build().dgram) == ("/stito/done", ["job", 2, 0.25, True])
    for bad in (b"", b"nope\0\0\0\0", data[:-3]):
        with pytest.raises(ValueError):
            live.osc.decode(bad)
