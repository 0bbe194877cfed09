"""The Ardour action scripts in daw_scripts/ardour/, run inside a real Ardour 7 (ardour7-lua, Dummy backend)
with stand-ins for the editor selection and the dialogs (tests/daw/ardour/run_action.lua)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bridge.pushback.profiles import SHIPPED_DIR, load_profile
from stito_core import load_chain
from stito_core.audio_io import read_audio
from bridge.daemon.service import Service
from stito_core.encoders import load_encoder
from stito_core.saved import load_saved
from tests.bridge.fakes import Client, free_port, make_config
from tests.daw.ardour_host import HERE, build_session, missing_tools, run_lua, saved_values
from tests.helpers import music, write

pytestmark = pytest.mark.skipif(bool(missing_tools()), reason="Ardour 7 not installed: apt-get install "
                                "--no-install-recommends ardour")

SCRIPTS = Path(__file__).resolve().parents[2] / "daw_scripts" / "ardour"
RATE = 48000


@pytest.fixture(scope="module")
def chain():
    try:
        return load_chain("ardour-zam")
    except Exception as exc:
        pytest.skip(f"chain ardour-zam unavailable: {exc}")


@pytest.fixture(scope="module")
def session(tmp_path_factory, chain):
    root = tmp_path_factory.mktemp("ardour-scripts")
    dry = music(1.0, RATE, seed=3)
    built = build_session(root, dry, RATE, ["ZamCompX2", "ZamEQ2"], free_port())
    return built, dry, root


def run_action(built, script: str, answers: dict[str, object], **env: str) -> str:
    """Run one action script against the session; returns ardour7-lua's output."""
    pairs = ";".join(f"{k}={v}" for k, v in answers.items())
    full_env = {**built.env, **env, "STITO_DIR": str(built.folder), "STITO_NAME": built.name,
                "STITO_SCRIPT": str(SCRIPTS / script), "STITO_ANSWERS": pairs, "STITO_TRACK": "stito"}
    return run_lua(HERE / "run_action.lua", full_env, "ACTION DONE")


MATCH_ANSWERS = {"chain": "ardour-zam", "profile": "ardour", "first_plugin": 1}


@pytest.mark.parametrize("token", ["", "ardour-token-0123456789"])
def test_match_script_writes_the_region_and_sends_the_job(session, token):
    """The job goes out as /stito/match input reference chain job profile amount groups, after
    $STITO_TOKEN when it is set; "match only" and "amount" come from the dialog."""
    built, dry, root = session
    reference = write(root / "reference.wav", music(1.0, RATE, seed=4), RATE)
    daemon = Client()  # stands in for `stito serve`: only listens
    try:
        output = run_action(built, "stito_match_region.lua",
                            {**MATCH_ANSWERS, "reference": reference, "match": "space, width", "amount": 0.5},
                            STITO_DAEMON_URL=f"osc.udp://127.0.0.1:{daemon.port}", STITO_TOKEN=token)
        sent = daemon.wait_for("/stito/match", timeout=10)[0]
    finally:
        daemon.close()
    assert (sent.args[0] == token) == bool(token)
    input_path, ref, chain_name, job, profile, amount, groups = sent.args[1:] if token else sent.args
    assert (ref, chain_name, profile) == (str(reference), "ardour-zam", "ardour") and job.startswith("ardour-")
    assert (amount, groups) == ("0.5", "space,width")
    assert Path(input_path).parent == built.folder / "export"
    written, rate = sf.read(input_path, dtype="float32", always_2d=True)
    assert rate == RATE and np.array_equal(written.T, dry), "the region's audio was not written unchanged"
    assert read_audio(Path(input_path)).samples.shape == dry.shape  # stito itself accepts the file
    state = (built.folder / "export" / "stito-last-job.txt").read_text()
    assert f"job={job}" in state and "track=stito" in state and "strip=1" in state and "match=space,width" in state
    assert "MESSAGE Sent job" in output and "amount 0.5, only space,width" in output


def test_match_script_writes_the_region_gain_and_warns_of_an_envelope(tmp_path, chain):
    """The region's gain is in the written file; an active gain envelope is not (Ardour's Lua reads regions
    raw), and the script says so."""
    dry = music(1.0, RATE, seed=5)
    built = build_session(tmp_path, dry, RATE, ["ZamCompX2", "ZamEQ2"], free_port())
    reference = write(tmp_path / "reference.wav", music(1.0, RATE, seed=4), RATE)
    daemon = Client()
    try:
        output = run_action(built, "stito_match_region.lua", {**MATCH_ANSWERS, "reference": reference},
                            STITO_DAEMON_URL=f"osc.udp://127.0.0.1:{daemon.port}", STITO_REGION_GAIN="0.5",
                            STITO_REGION_ENVELOPE="1")
        sent = daemon.wait_for("/stito/match", timeout=10)[0]
    finally:
        daemon.close()
    written, _ = sf.read(sent.args[0], dtype="float32", always_2d=True)
    np.testing.assert_allclose(written.T, dry * np.float32(0.5), rtol=0, atol=1e-7)
    assert "The region's gain envelope is not in the file stito matches" in output


def test_the_strip_number_is_the_osc_surfaces(tmp_path, chain):
    """A foldback bus before the track is no OSC strip (the surface's default strip types leave foldback
    busses out), so the track is still strip 1 and the script warns of nothing."""
    built = build_session(tmp_path, music(1.0, RATE, seed=5), RATE, ["ZamCompX2", "ZamEQ2"], free_port())
    reference = write(tmp_path / "reference.wav", music(1.0, RATE, seed=4), RATE)
    daemon = Client()
    try:
        output = run_action(built, "stito_match_region.lua", {**MATCH_ANSWERS, "reference": reference},
                            STITO_DAEMON_URL=f"osc.udp://127.0.0.1:{daemon.port}", STITO_FOLDBACK_FIRST="1")
        daemon.wait_for("/stito/match", timeout=10)
    finally:
        daemon.close()
    assert "strip=1\n" in (built.folder / "export" / "stito-last-job.txt").read_text()
    assert "This track is OSC strip" not in output


def test_match_script_refuses_an_unknown_attribute(session):
    built, _, root = session
    reference = write(root / "reference.wav", music(1.0, RATE, seed=4), RATE)
    daemon = Client()
    try:
        output = run_action(built, "stito_match_region.lua", {**MATCH_ANSWERS, "reference": reference, "match": "colour"},
                            STITO_DAEMON_URL=f"osc.udp://127.0.0.1:{daemon.port}")
        time.sleep(0.5)
        assert not daemon.of("/stito/match"), "a job was sent for an unknown attribute"
    finally:
        daemon.close()
    assert "MESSAGE Unknown attribute 'colour': choose from tone, dynamics, space, width." in output


def test_apply_script_sets_every_parameter_by_name(session, chain):
    built, _, root = session
    rows = chain.describe(np.random.default_rng(11).uniform(size=len(chain.parameters)))
    params = root / "found.json"
    params.write_text(json.dumps({"chain": chain.name, "parameters": rows}), encoding="utf-8")
    output = run_action(built, "stito_apply_match.lua", {"params": params, "track": "stito", "first_plugin": 1})
    assert f"Set {len(rows)} of {len(rows)} parameters on stito." in output
    profile = load_profile(SHIPPED_DIR / "ardour.toml")  # the same numbers the OSC push uses
    saved = saved_values(built.file)
    for target in profile.targets(chain, rows):
        assert saved[target.fields["fx"]][target.fields["param"]] == pytest.approx(float(np.float32(target.value)),
                                                                                  rel=1e-6, abs=1e-6)


def test_apply_script_reports_what_it_cannot_set(session, chain):
    built, _, root = session
    rows = [{"effect": "compressor", "name": "threshold_db", "value": -12.0, "normalized": 0.8, "unit": "dB"},
            {"effect": "compressor", "name": "no_such_knob", "value": 1.0, "normalized": 0.5, "unit": ""},
            {"effect": "eq", "name": "boost_cut_1_db", "value": 99.0, "normalized": 1.0, "unit": "dB"},
            {"effect": "delay", "name": "time_ms", "value": 100.0, "normalized": 0.5, "unit": "ms"}]
    params = root / "partial.json"
    params.write_text(json.dumps({"parameters": rows}), encoding="utf-8")
    output = run_action(built, "stito_apply_match.lua", {"params": params, "track": "stito", "first_plugin": 1})
    assert "Set 1 of 4 parameters on stito." in output
    assert "compressor.no_such_knob: plugin 1 (ZamCompX2) has no such parameter" in output
    assert "eq.boost_cut_1_db: 99.0 is outside the plugin's range" in output
    assert "delay.time_ms: the track has no plugin 3" in output
    assert saved_values(built.file)[1][5] == -12.0


def test_apply_script_at_an_amount_applies_the_daemons_render(session, chain):
    """At amount 0.5 the script asks the daemon for /stito/apply, waits for its parameter file and sets
    the scaled values: those of the saved match at 0.5, not the found ones."""
    built, dry, root = session
    folder = root / "at-amount"
    folder.mkdir()
    source = write(folder / "take.wav", dry, RATE)
    normalized = np.random.default_rng(12).uniform(size=len(chain.parameters))
    params = folder / "take.matched.json"
    params.write_text(json.dumps({"chain": chain.name, "input": str(source),
                                  "parameters": chain.describe(normalized)}), encoding="utf-8")
    with Service(make_config(folder), encoder=load_encoder("mfcc")) as service:
        output = run_action(built, "stito_apply_match.lua",
                            {"params": params, "track": "stito", "first_plugin": 1, "amount": 0.5},
                            STITO_DAEMON_URL=f"osc.udp://127.0.0.1:{service.address[1]}")
    rows = load_saved(params).describe(0.5)
    assert rows != chain.describe(normalized)
    assert f"Set {len(rows)} of {len(rows)} parameters on stito (the match at amount 0.5, " in output
    profile = load_profile(SHIPPED_DIR / "ardour.toml")
    saved = saved_values(built.file)
    for target in profile.targets(chain, rows):
        assert saved[target.fields["fx"]][target.fields["param"]] == pytest.approx(float(np.float32(target.value)),
                                                                                  rel=1e-5, abs=1e-5)
    assert (folder / "take.applied.wav").is_file()
