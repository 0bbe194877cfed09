"""DAW profiles: the shipped ones pass their self-check and address hosts exactly as DAWS.md says; value
conversions; MIDI bytes for CC, 14-bit CC and NRPN; a broken profile disables itself, not the daemon."""

from __future__ import annotations

import math
import re
from pathlib import Path

import mido
import pytest

from bridge.codes import Code, DaemonError
from bridge.daemon.config import ConfigError
from bridge.pushback.profiles import SHIPPED_DIR, load_profile, load_profiles
from bridge.pushback.midi import MidiPusher, build_midi, open_output
from bridge.pushback.osc import build_osc
from bridge.daemon.service import Service
from stito_core import load_chain
from stito_core.encoders import load_encoder
from tests.bridge.fakes import Client, audio_files, make_config, tiny_chain

SHIPPED = sorted(p.stem for p in SHIPPED_DIR.glob("*.toml"))


def zam_chain():
    try:
        return load_chain("zam")
    except Exception as exc:  # the LADSPA plugins are installed by scripts/setup.sh
        pytest.skip(f"zam chain unavailable: {exc}")


def rows_at(chain, normalized=0.3):
    """Parameter-file rows with every parameter at the same normalised value."""
    return chain.describe([normalized] * len(chain.parameters))


def profile_from(tmp_path: Path, text: str, name: str = "test"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


def osc_of(profile, chain, rows):
    return [(m.address, tuple(m.params)) for m in build_osc(profile, profile.targets(chain, rows))]


def by_name(messages, chain, effect, name):
    index = [(p.effect, p.name) for p in chain.parameters].index((effect, name))
    return messages[index]


# --- shipped profiles ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_profiles_pass_their_self_check(name):
    profile = load_profiles()[name]
    assert profile.enabled, profile.problem
    assert profile.description and profile.transport in ("osc", "midi")


def test_shipped_profiles_cover_every_daw():
    assert {"reaper", "ardour", "ableton", "bitwig", "midi"} <= set(SHIPPED)


def test_reaper_sends_normalised_values_over_the_plugins_own_range():
    chain, profiles = zam_chain(), load_profiles()
    rows = rows_at(chain)
    messages = osc_of(profiles["reaper"], chain, rows)
    assert len(messages) == len(chain.parameters)
    # ZamCompX2 is effect 2; threshold is its 5th parameter; -42 dB in the plugin's -80..0 dB is 0.475
    assert by_name(messages, chain, "compressor", "threshold_db") == ("/track/1/fx/2/fxparam/5/value",
                                                                      pytest.approx((0.475,), abs=1e-6))
    ratio = next(r for r in rows if r["name"] == "ratio")
    assert by_name(messages, chain, "compressor", "ratio")[1][0] == pytest.approx((ratio["value"] - 1) / 19, abs=1e-6)


def test_a_job_names_the_track_and_first_fx_of_its_item():
    """"reaper@track=3,first_fx=2": the matched item's track and the FX slot of the chain's first effect
    replace the profile's track 1 and first FX; a bad one is refused naming what is wrong."""
    from bridge.pushback.profile import ProfileError, split_daw

    chain, profiles = zam_chain(), load_profiles()
    name, where = split_daw("reaper@track=3,first_fx=2")
    messages = [(m.address, tuple(m.params)) for m in build_osc(profiles[name],
                                                                profiles[name].targets(chain, rows_at(chain), where))]
    assert by_name(messages, chain, "compressor", "threshold_db")[0] == "/track/3/fx/3/fxparam/5/value"
    assert split_daw("ardour") == ("ardour", {})
    for bad, problem in [("reaper@track=0", "track must be a whole number from 1, got '0'"),
                         ("reaper@fx=2", "unknown target field 'fx'; give track or first_fx")]:
        with pytest.raises(ProfileError, match=re.escape(problem)):
            split_daw(bad)


def test_ardour_sends_real_units_with_one_based_numbers():
    chain, profiles = zam_chain(), load_profiles()
    messages = osc_of(profiles["ardour"], chain, rows_at(chain))
    address, args = by_name(messages, chain, "compressor", "threshold_db")
    assert address == "/strip/plugin/parameter" and args == (1, 2, 5, pytest.approx(-42.0))
    assert by_name(messages, chain, "eq", "frequency_1_hz")[1][:3] == (1, 3, 3)
    assert by_name(messages, chain, "reverb", "blend")[1] == (1, 5, 4, pytest.approx(0.3))


def test_ardour_numbers_every_control_port_output_meters_included():
    """Ardour's surface counts all control ports (``Plugin::nth_parameter``): x42-eq's ports run enable,
    gain, peak (an output meter), peakreset, HighPass, ..., so its high-pass switch is parameter 5."""
    try:
        chain = load_chain("x42")
    except Exception as exc:  # x42-plugins and lilv are installed by scripts/setup.sh
        pytest.skip(f"x42 chain unavailable: {exc}")
    messages = osc_of(load_profiles()["ardour"], chain, rows_at(chain))
    assert by_name(messages, chain, "eq", "highpass")[1][:3] == (1, 1, 5)
    assert by_name(messages, chain, "eq", "highshelf_gain_db")[1][:3] == (1, 1, 34)


def test_ableton_counts_from_zero_and_skips_device_on():
    chain, profiles = zam_chain(), load_profiles()
    messages = osc_of(profiles["ableton"], chain, rows_at(chain))
    assert by_name(messages, chain, "compressor", "threshold_db") == (
        "/live/device/set/parameter/value", (0, 1, 5, pytest.approx(0.475)))


def test_bitwig_pushes_the_compressor_page_as_whole_numbers():
    chain, profiles = zam_chain(), load_profiles()
    messages = osc_of(profiles["bitwig"], chain, rows_at(chain))
    assert [m[0] for m in messages] == [f"/device/param/{n}/value" for n in (5, 4, 1, 2, 3)]
    assert messages[0][1] == (round(0.475 * 127),)


def test_generic_midi_assigns_controls_in_chain_order():
    chain, profiles = load_chain("builtin"), load_profiles()
    messages = build_midi(profiles["midi"], profiles["midi"].targets(chain, rows_at(chain, 0.5)))
    assert len(messages) == 34
    assert [m.control for m in messages[:13]] == [*range(20, 32), 52]
    assert {m.channel for m in messages} == {0} and messages[0].value == 64


# --- conversions and MIDI bytes ------------------------------------------------------------------

OSC_HEAD = """
description = "test"
transport = "osc"
[osc]
host = "127.0.0.1"
port = 9999
address = "/p/{param}"
args = ["value"]
types = "f"
"""


def test_value_conversions(tmp_path):
    chain = load_chain(tiny_chain(tmp_path))
    rows = [{"effect": "compressor", "name": "threshold_db", "value": -30.0, "normalized": 0.5, "unit": "dB"},
            {"effect": "compressor", "name": "ratio", "value": 4.0, "normalized": 0.4627, "unit": ""}]
    cases = {
        'value = "normalized"': (0.5, 0.4627),
        'value = "real"\nfactor = 2.0\noffset = 1.0': (-59.0, 9.0),
        'value = "plugin"': (0.5, 3 / 19),
        'value = "plugin"\nrange = [1, 100]\nscale = "log"': (0.0, math.log(4) / math.log(100)),
        'value = "lookup"\nlookup = [[-60, 0.0], [-20, 0.5], [0, 1.0]]': (0.375, 1.0),
        'value = "normalized"\nresolution = 1000': (500, 463),
    }
    for target, expected in cases.items():
        profile = profile_from(tmp_path, OSC_HEAD + f"[target]\n{target}\n[chains.tiny]\n")
        assert profile.enabled, profile.problem
        values = [t.value for t in profile.targets(chain, rows)]
        assert values == pytest.approx(list(expected), abs=1e-6), target


MIDI_PROFILE = """
description = "midi test"
transport = "midi"
[midi]
channel = 2
nrpn_reset = true
[target]
value = "normalized"
[chains.tiny.effects.compressor.params]
threshold_db = {{ kind = "{kind}", control = {control} }}
ratio = {{ skip = true }}
"""


@pytest.mark.parametrize(("kind", "control", "expected"), [
    ("cc", 20, ["b1 14 40"]),
    ("cc14", 1, ["b1 01 40", "b1 21 00"]),
    ("nrpn", 300, ["b1 63 02", "b1 62 2c", "b1 06 40", "b1 26 00", "b1 65 7f", "b1 64 7f"]),
])
def test_midi_messages_and_bytes(tmp_path, kind, control, expected):
    chain = load_chain(tiny_chain(tmp_path))
    profile = profile_from(tmp_path, MIDI_PROFILE.format(kind=kind, control=control))
    assert profile.enabled, profile.problem
    rows = [{"effect": "compressor", "name": "threshold_db", "value": -30.0, "normalized": 0.5, "unit": "dB"},
            {"effect": "compressor", "name": "ratio", "value": 4.0, "normalized": 0.5, "unit": ""}]
    messages = build_midi(profile, profile.targets(chain, rows))
    assert [m.hex().lower() for m in messages] == expected
    assert all(m.type == "control_change" and m.channel == 1 for m in messages)


def test_midi_without_a_backend_or_system_is_reported_cleanly(tmp_path, monkeypatch):
    profile = load_profiles()["midi"]
    pusher = MidiPusher(profile)
    message = mido.Message("control_change", control=20, value=1)
    monkeypatch.setattr("bridge.pushback.midi.mido.backend", mido.Backend("stito_no_such_midi_backend", load=False))
    with pytest.raises(DaemonError) as info:
        pusher.send([message])
    assert info.value.code is Code.NO_MIDI_BACKEND and "no MIDI backend" in str(info.value)


def test_midi_reaches_a_virtual_port_where_the_platform_has_one():
    try:
        port = open_output("stito-test", virtual=True)
    except DaemonError as exc:
        pytest.skip(f"no virtual MIDI ports here: {exc}")
    with port, mido.open_input("stito-test") as inport:
        port.send(mido.Message("control_change", channel=1, control=20, value=64))
        received = inport.receive(block=True)
    assert received.bytes() == [0xB1, 20, 64]


# --- broken profiles -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "reason"), [
    ("description = 'x'\ntransport = 'carrier pigeon'\n[chains.tiny]\n", "transport"),
    (OSC_HEAD + "[chains.tiny]\nvalu = 'real'\n", "Did you mean 'value'?"),
    (OSC_HEAD + "[target]\nvalue = 'loud'\n[chains.tiny]\n", "target.value"),
    (OSC_HEAD.replace('types = "f"', 'types = "ff"') + "[chains.tiny]\n", "osc.types"),
    (OSC_HEAD + "[chains.builtin.effects.compresor]\n", "Did you mean 'compressor'?"),
    (OSC_HEAD + "[chains.builtin.effects.compressor.params]\nratioo = 3\n", "Did you mean 'ratio'?"),
    (OSC_HEAD + "[target]\nvalue = 'lookup'\nlookup = [[1, 0], [0, 1]]\n[chains.tiny]\n", "must rise"),
    ("this is = not toml [", "Expected"),
])
def test_a_broken_profile_disables_itself_with_its_reason(tmp_path, text, reason):
    profile = profile_from(tmp_path, text)
    assert not profile.enabled and reason in profile.problem
    assert profile.status.startswith("disabled: ")


def test_user_profiles_replace_shipped_ones_and_a_broken_one_does_not_stop_the_daemon(tmp_path):
    folder = tmp_path / "daw"
    folder.mkdir()
    (folder / "reaper.toml").write_text(OSC_HEAD + "[chains.tiny]\n")
    (folder / "broken.toml").write_text("transport = 'osc'\n")
    profiles = load_profiles(folder)
    assert profiles["reaper"].path == folder / "reaper.toml" and not profiles["broken"].enabled
    with pytest.raises(ConfigError, match="watch\\[1\\]/daw: DAW profile 'broken' is disabled"):
        make_config(tmp_path, push={"profiles_dir": str(folder)},
                    watch=[{"path": str(tmp_path), "chain": "builtin", "daw": "broken"}])
    config = make_config(tmp_path, push={"profiles_dir": str(folder)})
    with Service(config, encoder=load_encoder("mfcc")) as service:
        client = Client(service.address)
        count = client.ask("/stito/profiles", reply="/stito/profiles").args[0]
        statuses = {m.args[0]: m.args[1] for m in client.of("/stito/profile")}
        assert count == len(statuses) and statuses["midi"] == "ok"
        assert statuses["broken"].startswith("disabled: ")
        client.close()


def test_a_failed_midi_push_is_an_error_after_done_not_a_failed_job(tmp_path):
    inp, ref = audio_files(tmp_path)
    chain = tiny_chain(tmp_path)
    config = make_config(tmp_path, server={"daw": "midi"})
    with Service(config, encoder=load_encoder("mfcc")) as service:
        client = Client(service.address)
        client.send("/stito/match", str(inp), str(ref), str(chain), "midi-job")
        client.wait_for("/stito/done")
        try:
            pushed = client.wait_for(lambda m: m.address in ("/stito/pushed", "/stito/error"))[0]
        finally:
            client.close()
    if pushed.address == "/stito/pushed":
        assert pushed.args == ("midi-job", "midi", 2)
    else:
        assert pushed.args[0] == "midi-job" and pushed.args[2] == Code.NO_MIDI_BACKEND
