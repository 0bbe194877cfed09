"""The daemon over real UDP on 127.0.0.1: a python-osc client talks to it, a python-osc server stands in
for the DAW. Matches are real but tiny (a two-parameter chain, 2 generations of 4)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bridge.codes import Code, DaemonError
from bridge.daemon.config import ConfigError
from bridge.daemon.handlers import _amount_argument
from bridge.daemon.service import Service
from stito_core.encoders import load_encoder
from tests.bridge.fakes import RATE, Client, FakePlayer, Host, audio_files, long_files, make_config, tiny_chain
from tests.helpers import music, write


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("mfcc")


@pytest.fixture
def files(tmp_path):
    inp, ref = audio_files(tmp_path)
    return inp, ref, tiny_chain(tmp_path)


@pytest.fixture
def daemon(tmp_path, encoder):
    """A running daemon with quick searches, a fake audio player and a client."""
    player = FakePlayer()
    service = Service(make_config(tmp_path), encoder=encoder, player=player).start()
    client = Client(service.address)
    service.player = player
    yield service, client
    client.close()
    service.stop()


def slow_service(tmp_path, encoder, **jobs):
    """A daemon whose searches run for many generations (each ~0.1 s), for cancel and limit tests."""
    config = make_config(tmp_path, search={"popsize": 8, "max_iter": 300, "min_gain": 0.0, "excerpt_s": 3.0},
                         jobs=jobs)
    return Service(config, encoder=encoder)


def error_of(client: Client, job_id: str = "", count: int = 1):
    return client.wait_for(lambda m: m.address == "/stito/error" and m.args[0] == job_id, count=count)[-1]


# --- the contract --------------------------------------------------------------------------------

def test_ping_answers_pong_with_the_version(daemon):
    _, client = daemon
    assert client.ask("/stito/ping", reply="/stito/pong").args == ("0.1.0",)


def test_match_end_to_end_reports_accepted_progress_done(daemon, files):
    service, client = daemon
    inp, ref, chain = files
    client.send("/stito/match", str(inp), str(ref), str(chain), "take1")
    done = client.wait_for("/stito/done")[0]
    accepted = client.of("/stito/accepted")
    progress = client.of("/stito/progress")
    assert [m.args for m in accepted] == [("take1",)]
    assert [m.args[:2] for m in progress] == [("take1", 1), ("take1", 2)]  # one per CMA-ES generation
    assert accepted[0].at <= progress[0].at <= done.at
    job_id, output, params, similarity = done.args
    assert job_id == "take1" and output == str(inp.with_name("input.matched.wav"))
    record = json.loads(Path(params).read_text())
    assert record["chain"] == "tiny" and [p["name"] for p in record["parameters"]] == ["threshold_db", "ratio"]
    assert similarity == pytest.approx(record["similarity_after"], abs=1e-5)
    assert sf.info(output).frames > 0
    assert not list(inp.parent.glob(".*.tmp"))


def test_second_match_of_the_same_input_gets_its_own_output(daemon, files):
    _, client = daemon
    inp, ref, chain = files
    for job_id in ("a1", "a2"):
        client.send("/stito/match", str(inp), str(ref), str(chain), job_id)
    names = {m.args[0]: Path(m.args[1]).name for m in client.wait_for("/stito/done", count=2)}
    first = next(job for job, name in names.items() if name == "input.matched.wav")  # whichever came first
    second = ({"a1", "a2"} - {first}).pop()
    assert names[second] == f"input.matched-{second}.wav"


def test_generated_job_id_and_status_lists_every_job(daemon, files):
    _, client = daemon
    inp, ref, chain = files
    job_id = client.ask("/stito/match", str(inp), str(ref), str(chain), reply="/stito/accepted").args[0]
    client.wait_for("/stito/done")
    count = client.ask("/stito/status", reply="/stito/status").args[0]
    assert count == 1 and [m.args for m in client.of("/stito/job")] == [(job_id, "done")]
    info = client.ask("/stito/info", job_id, reply="/stito/info").args
    assert info[:3] == (job_id, "done", 2) and info[4].endswith(".matched.wav")


def test_cancel_stops_a_running_search_within_one_generation(tmp_path, encoder):
    inp, ref = long_files(tmp_path, RATE)
    with slow_service(tmp_path, encoder) as service:
        client = Client(service.address)
        client.send("/stito/match", str(inp), str(ref), str(tiny_chain(tmp_path)), "long")
        client.wait_for("/stito/progress", count=2)
        sent = time.monotonic()
        client.send("/stito/cancel", "long")
        cancelled = client.wait_for("/stito/cancelled")[0]
        generation = np.diff([m.at for m in client.of("/stito/progress")]).max()
        assert cancelled.args == ("long",)
        assert cancelled.at - sent < 2 * generation + 0.5
        # at most the generation already on its way plus the one running when the cancel arrived
        assert len([m for m in client.of("/stito/progress") if m.at > sent]) <= 2
        assert client.ask("/stito/status", reply="/stito/status").args == (1,)
        assert client.of("/stito/job")[-1].args == ("long", "cancelled")
        assert not inp.with_name("long_in.matched.wav").exists()
        client.close()


def test_queue_full_cancel_waiting_job_and_time_limit(tmp_path, encoder):
    inp, ref = long_files(tmp_path, RATE)
    chain = str(tiny_chain(tmp_path))
    with slow_service(tmp_path, encoder, queue_length=1, time_limit_s=2) as service:
        client = Client(service.address)
        client.send("/stito/match", str(inp), str(ref), chain, "first")
        client.wait_for("/stito/progress")
        client.send("/stito/match", str(inp), str(ref), chain, "second")
        client.wait_for(lambda m: m.args == ("second",))
        client.send("/stito/match", str(inp), str(ref), chain, "third")
        assert error_of(client, "third").args[2] == Code.QUEUE_FULL
        assert client.ask("/stito/cancel", "second", reply="/stito/cancelled").args == ("second",)
        client.send("/stito/audition", "second", "result")
        assert error_of(client, "second").args[2] == Code.NOTHING_TO_PLAY
        failed = error_of(client, "first")  # the running job hits jobs.time_limit_s
        assert failed.args[2] == Code.TIME_LIMIT and "time_limit_s" in failed.args[1]
        client.send("/stito/cancel", "first")
        assert error_of(client, "first", count=2).args[2] == Code.JOB_FINISHED
        client.close()


def test_push_back_sends_the_profiles_exact_messages_to_the_host(tmp_path, encoder, files):
    inp, ref, chain = files
    host = Host()
    profiles = tmp_path / "daw"
    profiles.mkdir()
    (profiles / "fakehost.toml").write_text(f"""
description = "a host like Ardour: strip, plugin, parameter, real value"
transport = "osc"
pace_ms = 20
[osc]
host = "127.0.0.1"
port = {host.port}
address = "/strip/plugin/parameter"
args = ["track", "fx", "param", "value"]
types = "iiif"
[target]
value = "real"
track = 3
[chains.tiny.effects.compressor.params]
ratio = {{ param = 9, value = "plugin", range = [1, 20], scale = "log" }}
""")
    config = make_config(tmp_path, push={"profiles_dir": str(profiles)}, server={"daw": "fakehost"})
    with Service(config, encoder=encoder) as service:
        client = Client(service.address)
        client.send("/stito/match", str(inp), str(ref), str(chain), "pushme")
        pushed = client.wait_for("/stito/pushed")[0]
        assert pushed.args == ("pushme", "fakehost", 2)
        params = json.loads(Path(client.of("/stito/done")[0].args[2]).read_text())["parameters"]
        messages = host.wait_for("/strip/plugin/parameter", count=2)
        threshold, ratio = params
        # threshold_db: plugin order position 1 (ZamCompX2-like numbering from first_param = 1), real dB
        assert messages[0].args[:3] == (3, 1, 1)
        assert messages[0].args[3] == pytest.approx(threshold["value"], abs=1e-4)
        expected = np.log(ratio["value"]) / np.log(20)
        assert messages[1].args[:3] == (3, 1, 9) and messages[1].args[3] == pytest.approx(expected, abs=1e-5)
        assert messages[1].at - messages[0].at >= 0.01  # paced 20 ms apart
        # /stito/push sends them again
        assert client.ask("/stito/push", "pushme", reply="/stito/pushed").args == ("pushme", "fakehost", 2)
        host.wait_for("/strip/plugin/parameter", count=4)
        # the job names its item's track after the profile (a DAW script knows it, the profile cannot)
        client.send("/stito/match", str(inp), str(ref), str(chain), "pushhere", "fakehost@track=5")
        pushed = client.wait_for(lambda m: m.address == "/stito/pushed" and m.args[0] == "pushhere")[0]
        assert pushed.args == ("pushhere", "fakehost@track=5", 2)
        assert [m.args[0] for m in host.wait_for("/strip/plugin/parameter", count=6)[4:]] == [5, 5]
        client.send("/stito/match", str(inp), str(ref), str(chain), "badone", "fakehost@fx=1")
        error = client.wait_for(lambda m: m.address == "/stito/error" and m.args[0] == "badone")[0]
        assert error.args[2] == Code.BAD_ARGUMENT and "unknown target field 'fx'" in error.args[1]
        client.close()
    host.close()


def test_reply_target_gets_replies_instead_of_the_sender(tmp_path, encoder):
    listener = Host()
    config = make_config(tmp_path, server={"reply_host": "127.0.0.1", "reply_port": listener.port})
    with Service(config, encoder=encoder) as service:
        client = Client(service.address)
        client.send("/stito/ping")
        assert listener.wait_for("/stito/pong")[0].args == ("0.1.0",)
        time.sleep(0.2)
        assert client.of("/stito/pong") == []
        client.close()
    listener.close()


def test_audition_plays_input_result_and_reference(daemon, files):
    service, client = daemon
    inp, ref, chain = files
    client.send("/stito/match", str(inp), str(ref), str(chain), "hear")
    client.wait_for("/stito/done")
    for which in ("input", "result", "reference"):
        reply = client.ask("/stito/audition", "hear", which, reply="/stito/playing")
        assert reply.args[:2] == ("hear", which) and reply.args[2] == pytest.approx(1.5, abs=0.01)
    assert client.ask("/stito/audition/stop", reply="/stito/stopped").args == ()
    assert len(service.player.played) >= 3


def test_apply_renders_a_saved_match_and_match_takes_an_amount(daemon, files, tmp_path):
    """/stito/match at amount 0 returns the input with every effect off; /stito/apply renders a done job's
    parameter file onto the input at half the amount, without a search; bad apply requests are refused."""
    service, client = daemon
    inp, ref, chain = files
    client.send("/stito/match", str(inp), str(ref), str(chain), "full")
    done = client.wait_for("/stito/done")[0].args
    client.send("/stito/match", str(inp), str(ref), str(chain), "off", "none", 0.0)
    off = client.wait_for(lambda m: m.address == "/stito/done" and m.args[0] == "off")[0].args
    assert not any(r["enabled"] for r in json.loads(Path(off[2]).read_text(encoding="utf-8"))["parameters"])
    client.send("/stito/apply", done[2], str(inp), "0.5", "half")
    applied = client.wait_for(lambda m: m.address == "/stito/done" and m.args[0] == "half")[0].args
    record = json.loads(Path(applied[2]).read_text(encoding="utf-8"))
    assert applied[1].endswith("input.applied.wav") and Path(applied[1]).is_file()
    assert record["amount"] == 0.5 and record["applied_from"] == done[2] and applied[3] == -1.0
    (tmp_path / "junk.json").write_text("{", encoding="utf-8")
    client.send("/stito/apply", str(tmp_path / "junk.json"), str(inp), 1.0, "junk")
    assert error_of(client, "junk").args[2] == Code.BAD_ARGUMENT
    client.send("/stito/apply", done[2], str(inp), 3.0, "loud")
    assert error_of(client, "loud").args[2] == Code.BAD_ARGUMENT
    client.send("/stito/match", str(inp), str(ref), str(chain), "much", "none", "2")
    assert error_of(client, "much").args[2] == Code.BAD_ARGUMENT


def test_match_only_some_attributes(tmp_path, daemon, files):
    """The 7th argument of /stito/match chooses attribute groups: with the attributes metric the effects
    for other groups stay off; with an encoder as the metric, or an unknown group, it is refused."""
    service, client = daemon
    inp, ref, chain = files
    client.send("/stito/match", str(inp), str(ref), str(chain), "enc", "none", 1.0, "space")
    assert error_of(client, "enc").args[2] == Code.BAD_ARGUMENT  # this daemon's metric is MFCC
    config = make_config(tmp_path, jobs={"state_dir": str(tmp_path / "state-attributes")})
    with Service(config, encoder="attributes") as attributes_daemon:
        other = Client(attributes_daemon.address)
        other.send("/stito/match", str(inp), str(ref), str(chain), "only", "none", "", "space")
        done = other.wait_for("/stito/done")[0].args
        rows = json.loads(Path(done[2]).read_text(encoding="utf-8"))["parameters"]
        assert rows and not any(r["enabled"] for r in rows), rows  # the tiny chain's compressor is for dynamics
        assert not any(m.args[0] == "only" for m in other.of("/stito/progress"))  # nothing was auditioned
        other.send("/stito/match", str(inp), str(ref), str(chain), "bad", "none", "", "loudness")
        assert error_of(other, "bad").args[2] == Code.BAD_ARGUMENT
        other.close()


def test_a_folder_of_references_is_matched_as_one_style(daemon, files, tmp_path):
    from tests.helpers import music, write

    service, client = daemon
    inp, ref, chain = files
    refs = tmp_path / "refs"
    refs.mkdir()
    write(refs / "a.wav", music(1.5, 22050, seed=5), 22050)
    write(refs / "b.wav", music(1.5, 22050, seed=6), 22050)
    client.send("/stito/match", str(inp), str(refs), str(chain), "two")
    done = client.wait_for("/stito/done")[0].args
    record = json.loads(Path(done[2]).read_text(encoding="utf-8"))
    assert record["report"]["references"]["count"] == 2
    (tmp_path / "none").mkdir()
    client.send("/stito/match", str(inp), str(tmp_path / "none"), str(chain), "zero")
    assert error_of(client, "zero").args[2] == Code.FILE_NOT_FOUND


def test_the_report_picture_is_drawn_when_configured(tmp_path, encoder, files):
    inp, ref, chain = files
    with Service(make_config(tmp_path, jobs={"report": True}), encoder=encoder) as service:
        client = Client(service.address)
        client.send("/stito/match", str(inp), str(ref), str(chain), "pic")
        done = client.wait_for("/stito/done")[0].args
        client.close()
    assert len(done) == 5 and done[4] == str(Path(done[1]).with_suffix(".png"))
    assert Path(done[4]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "report" in json.loads(Path(done[2]).read_text(encoding="utf-8"))


def test_audition_is_loudness_matched_unless_asked_not_to(daemon, files):
    """Matched (the default) the input, result and reference play within 0.5 LU of each other, none raised;
    "off" plays the file as it is; a flag that is no flag gets an error."""
    from stito_core.loudness import integrated_lufs

    service, client = daemon
    inp, ref, chain = files
    client.send("/stito/match", str(inp), str(ref), str(chain), "ab")
    client.wait_for("/stito/done")
    levels, gains = [], []
    for which in ("input", "result", "reference"):
        reply = client.ask("/stito/audition", "ab", which, reply="/stito/playing")
        gains.append(reply.args[3])
        played = service.player.played[-1]
        levels.append(integrated_lufs(played.samples, played.sample_rate))
    assert max(levels) - min(levels) < 0.5 and all(g <= 1e-9 for g in gains)
    assert min(gains) < -1.0, gains  # the files differ in loudness: matching moved one
    raw = client.ask("/stito/audition", "ab", "reference", "off", reply="/stito/playing")
    assert raw.args[3] == 0.0
    played = service.player.played[-1]
    assert integrated_lufs(played.samples, played.sample_rate) == pytest.approx(levels[2] - gains[2], abs=0.01)
    assert client.ask("/stito/audition", "ab", "input", 0, reply="/stito/playing").args[3] == 0.0
    client.send("/stito/audition", "ab", "input", "loud")
    assert error_of(client, "ab").args[2] == Code.BAD_ARGUMENT


def test_audition_without_audio_device_answers_an_error(tmp_path, encoder, files, monkeypatch):
    inp, ref, chain = files
    sd = pytest.importorskip("sounddevice")

    def no_device(*args, **kwargs):
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "query_devices", no_device)  # as on a machine without audio hardware
    with Service(make_config(tmp_path), encoder=encoder) as service:
        client = Client(service.address)
        client.send("/stito/match", str(inp), str(ref), str(chain), "quiet")
        client.wait_for("/stito/done")
        client.send("/stito/audition", "quiet", "input")
        assert error_of(client, "quiet").args[2] == Code.NO_AUDIO_DEVICE
        assert client.ask("/stito/ping", reply="/stito/pong")  # still serving
        client.close()


# --- faults and bad input ------------------------------------------------------------------------

MALFORMED = {
    "not OSC": b"hello daemon",
    "empty": b"",
    "unterminated address": b"/stito/ping",
    "bad type tag": b"/stito/ping\x00,q\x00\x00",
    "truncated argument": b"/stito/match\x00\x00\x00\x00,s\x00\x00/abc",
    "truncated bundle": b"#bundle\x00" + struct.pack(">Q", 1) + struct.pack(">i", 64) + b"/x",
    "address not UTF-8": b"/\xc3(\x00\x00,\x00\x00\x00",  # found by the soak benchmark: no reply at all
    "type tags not UTF-8": b"/stito/ping\x00,\xff\x00\x00",
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_packets_get_an_error_and_the_daemon_keeps_serving(daemon, name):
    _, client = daemon
    client.send_raw(MALFORMED[name])
    error = error_of(client)
    assert error.args[2] == Code.MALFORMED_PACKET and "malformed" in error.args[1]
    assert client.ask("/stito/ping", reply="/stito/pong")


@pytest.mark.parametrize(("given", "amount"), [((), 1.0), (("",), 1.0), (("  ",), 1.0), (("0.5",), 0.5),
                                              ((" 1.5 ",), 1.5), ((0.25,), 0.25), ((0,), 0.0)])
def test_an_absent_or_blank_amount_is_one(given, amount):
    assert _amount_argument("/stito/apply", ["m.json", "in.wav", *given], 2) == (["m.json", "in.wav"], amount)


@pytest.mark.parametrize("given", ["f", "2", -0.5, "nan"])
def test_a_bad_amount_is_refused_with_its_value(given):
    with pytest.raises(DaemonError, match=r"/stito/apply: amount must be a number from 0 to 1.5, got"):
        _amount_argument("/stito/apply", ["m.json", "in.wav", given], 2)


@pytest.mark.parametrize(("address", "args", "code"), [
    ("/stito/nothing", (), Code.UNKNOWN_ADDRESS),
    ("/stito/*", (), Code.UNKNOWN_ADDRESS),
    ("/stito/match", ("", " "), Code.BAD_ARGUMENT),
    ("/stito/ping", (1,), Code.WRONG_ARGUMENT_COUNT),
    ("/stito/match", (), Code.WRONG_ARGUMENT_COUNT),
    ("/stito/match", ("a.wav",), Code.WRONG_ARGUMENT_COUNT),
    ("/stito/match", ("a", "b", "c", "d", "e", "f", "g", "h"), Code.WRONG_ARGUMENT_COUNT),
    ("/stito/match", ("a", "b", "c", "d", "e", "f"), Code.BAD_ARGUMENT),  # the amount 'f' is no number
    ("/stito/apply", ("m.json",), Code.WRONG_ARGUMENT_COUNT),
    ("/stito/apply", ("m.json", "in.wav", "1", "job", "daw", "x"), Code.WRONG_ARGUMENT_COUNT),
    ("/stito/match", (1, 2), Code.WRONG_ARGUMENT_TYPE),
    ("/stito/match", ("in.wav", 2.5), Code.WRONG_ARGUMENT_TYPE),
    ("/stito/cancel", (), Code.WRONG_ARGUMENT_COUNT),
    ("/stito/cancel", (7,), Code.WRONG_ARGUMENT_TYPE),
    ("/stito/cancel", ("nobody",), Code.UNKNOWN_JOB),
    ("/stito/status", ("x",), Code.WRONG_ARGUMENT_COUNT),
    ("/stito/audition", ("nobody", "loud"), Code.BAD_ARGUMENT),
])
def test_wrong_addresses_counts_and_types_are_refused(daemon, address, args, code):
    _, client = daemon
    client.send(address, *args)
    assert client.wait_for("/stito/error")[0].args[2] == code


def _bad_file(folder: Path, kind: str) -> Path:
    path = folder / f"{kind}.wav"
    if kind == "missing":
        return path
    if kind == "directory":
        path.mkdir()
    elif kind == "unreadable":
        write(path, music(1.0, RATE), RATE)
        path.chmod(0)
    elif kind == "not_audio":
        path.write_text("this is a text file, not audio\n" * 20)
    elif kind == "truncated":
        write(path, music(1.5, RATE), RATE)
        path.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
    elif kind == "silent":
        write(path, np.zeros(RATE, dtype=np.float32), RATE)
    elif kind == "overlong":
        write(path, music(4.0, RATE), RATE)
    elif kind == "too_short":
        write(path, music(2.0, RATE)[:, : RATE // 5], RATE)
    return path


@pytest.mark.parametrize(("kind", "code"), [
    ("missing", Code.FILE_NOT_FOUND), ("directory", Code.IS_DIRECTORY), ("unreadable", Code.UNREADABLE),
    ("not_audio", Code.NOT_AUDIO), ("truncated", Code.TRUNCATED), ("silent", Code.BAD_AUDIO),
    ("overlong", Code.TOO_LONG), ("too_short", Code.BAD_AUDIO),
])
def test_bad_files_are_refused_before_a_job_is_accepted(tmp_path, encoder, files, kind, code, monkeypatch):
    inp, ref, chain = files
    bad = _bad_file(tmp_path, kind)
    if kind == "unreadable" and os.access(bad, os.R_OK):  # root reads every file: deny it as the OS would
        real = os.access
        monkeypatch.setattr("bridge.daemon.inputs.os.access", lambda p, mode: real(p, mode) and Path(p) != bad)
    with Service(make_config(tmp_path, jobs={"max_duration_s": 3}), encoder=encoder) as service:
        client = Client(service.address)
        client.send("/stito/match", str(bad), str(ref), str(chain), "bad1")
        client.send("/stito/match", str(inp), str(bad), str(chain), "bad2")
        for job_id in ("bad1", "bad2"):
            error = error_of(client, job_id)
            # a folder as the reference is a folder of references: this empty one has none
            expected = Code.FILE_NOT_FOUND if (kind, job_id) == ("directory", "bad2") else code
            assert error.args[2] == expected and str(bad) in error.args[1]
        assert client.of("/stito/accepted") == []
        assert client.ask("/stito/status", reply="/stito/status").args == (0,)
        client.close()


EVIL_C = """#include <stdio.h>
__attribute__((constructor)) static void planted(void) {
    FILE *marker = fopen("%s", "w");
    if (marker) { fputs("loaded", marker); fclose(marker); }
}
"""


def evil_library(path: Path, marker: Path) -> Path:
    """A shared library whose constructor writes ``marker`` the moment anything loads it."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed (scripts/setup.sh installs g++)")
    path.parent.mkdir(parents=True, exist_ok=True)
    source = path.with_suffix(".c")
    source.write_text(EVIL_C % marker, encoding="utf-8")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(path), str(source)], check=True)
    return path


def test_evil_libraries_and_chains_outside_the_allowed_places_are_refused(daemon, files, tmp_path, caplog):
    """Over real UDP: a chain path elsewhere, and allowed chains naming a LADSPA library or a VST3 bundle
    elsewhere (each a real library whose constructor writes a marker), get 210 with the path, in the log
    too; nothing is loaded (no marker), nothing written, no job accepted."""
    caplog.set_level(logging.INFO, logger="stito")
    _, client = daemon
    inp, ref, _ = files
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    marker = elsewhere / "marker"
    ladspa = evil_library(elsewhere / "evil.so", marker)
    bundle = elsewhere / "evil.vst3"
    evil_library(bundle / "Contents" / "x86_64-linux" / "evil.so", marker)
    subprocess.run([sys.executable, "-c", f"import ctypes; ctypes.CDLL({str(ladspa)!r})"], check=True)
    assert marker.read_text() == "loaded", "the planted library must show when it is loaded"
    marker.unlink()
    outside = elsewhere / "chain.toml"
    outside.write_text('[[effect]]\ntype = "builtin"\nkind = "compressor"\n', encoding="utf-8")
    (tmp_path / "evil-ladspa.toml").write_text(f'[[effect]]\ntype = "ladspa"\nlibrary = "{ladspa}"\n',
                                                encoding="utf-8")
    (tmp_path / "evil-vst3.toml").write_text(f'[[effect]]\ntype = "vst3"\npath = "{bundle}"\n', encoding="utf-8")
    for job_id, chain, named in (("far", outside, outside), ("lib", tmp_path / "evil-ladspa.toml", ladspa),
                                 ("vst3", tmp_path / "evil-vst3.toml", bundle)):
        client.send("/stito/match", str(inp), str(ref), str(chain), job_id)
        message = error_of(client, job_id)
        assert message.args[2] == Code.NOT_ALLOWED and str(named) in message.args[1]
        assert str(named) in caplog.text
    assert not marker.exists(), "a refused library was loaded"
    assert not list(tmp_path.glob("*.matched*")) and client.of("/stito/accepted") == []
    assert client.ask("/stito/status", reply="/stito/status").args == (0,)


def test_allowed_roots_confine_the_files_a_request_names(tmp_path, encoder):
    """Input or reference outside the roots, also through "..", a linked file or a linked folder inside
    them, are refused with 210 and nothing is written; a file inside is matched."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    inside, reference = audio_files(inbox)
    outside, _ = audio_files(tmp_path)
    config = make_config(tmp_path, server={"allowed_roots": [str(inbox)]})
    with Service(config, encoder=encoder) as service:
        client = Client(service.address)
        chain = str(tiny_chain(tmp_path))
        (inbox / "linked.wav").symlink_to(outside)
        (inbox / "folder").symlink_to(tmp_path)
        sneaky = [inbox / ".." / outside.name, inbox / "linked.wav", inbox / "folder" / outside.name]
        for job_id, inp, ref in (("in", outside, reference), ("ref", inside, outside), ("dots", sneaky[0], reference),
                                 ("link", sneaky[1], reference), ("dir", inside, sneaky[2])):
            client.send("/stito/match", str(inp), str(ref), chain, job_id)
            message = error_of(client, job_id)
            assert message.args[2] == Code.NOT_ALLOWED and "server.allowed_roots" in message.args[1]
        assert not list(tmp_path.rglob("*.matched*")) and client.of("/stito/accepted") == []
        assert client.ask("/stito/match", str(inside), str(reference), chain, "ok", reply="/stito/accepted").args[0] == "ok"
        client.wait_for("/stito/done")
        assert (inbox / f"{inside.stem}.matched.wav").exists()
        client.close()


def test_a_token_must_open_every_message(tmp_path, encoder, caplog):
    """With server.token, a message without it, with another string or a number first is refused with 105
    and does nothing; with it, the rest of the message is an ordinary request."""
    caplog.set_level(logging.INFO, logger="stito")
    token = "0123456789abcdef-token"
    inp, ref = audio_files(tmp_path)
    with Service(make_config(tmp_path, server={"token": token}), encoder=encoder) as service:
        client = Client(service.address)
        chain = str(tiny_chain(tmp_path))
        for first in ([], ["0123456789abcdef-tokeN"], [token[:-1]], [7]):
            client.send("/stito/match", *first, str(inp), str(ref), chain, "job")
            refused = client.wait_for("/stito/error")[-1]
            assert refused.args[2] == Code.BAD_TOKEN and "server.token" in refused.args[1]
            client.clear()
        assert client.of("/stito/accepted") == [] and token not in caplog.text
        assert client.ask("/stito/ping", token, reply="/stito/pong").args
        assert client.ask("/stito/match", token, str(inp), str(ref), chain, "ok", reply="/stito/accepted").args[0] == "ok"
        client.wait_for("/stito/done")
        client.close()


def test_a_short_token_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match="server/token"):
        make_config(tmp_path, server={"token": "short"})


def test_unknown_chain_profile_and_duplicate_id_are_refused(daemon, files):
    _, client = daemon
    inp, ref, chain = files
    client.send("/stito/match", str(inp), str(ref), "bultin", "c1")
    assert "Did you mean 'builtin'" in error_of(client, "c1").args[1]
    client.send("/stito/match", str(inp), str(ref), str(chain), "c2", "reapr")
    assert error_of(client, "c2").args[2] == Code.UNKNOWN_PROFILE
    client.send("/stito/match", str(inp), str(ref), str(chain), "bad id!")
    assert error_of(client, "bad id!").args[2] == Code.BAD_ARGUMENT
    client.send("/stito/match", str(inp), str(ref), str(chain), "same")
    client.send("/stito/match", str(inp), str(ref), str(chain), "same")
    assert error_of(client, "same").args[2] == Code.DUPLICATE_JOB_ID
    client.wait_for("/stito/done")
