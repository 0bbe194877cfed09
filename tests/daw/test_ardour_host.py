"""A real Ardour 7 (Debian package, headless, Dummy backend) round trip.

1. Build a session: one stereo track playing a test signal through the plugins of a mirrored chain, OSC
   surface switched on in the session's ControlProtocols. Two sessions: LADSPA ZamCompX2 then ZamEQ2
   (``ardour-zam``), and Ardour's own LV2 ACE EQ, Compressor, Delay and Reverb (``ardour-ace``).
2. Keep it running in ardour7-lua; start the stito daemon with the shipped ``ardour`` profile (only its
   port changed to the test's) and ask it for a tiny match of the track's audio with that chain.
3. The daemon pushes every found parameter over Ardour's OSC surface (/strip/plugin/parameter, real
   units); read them back with /strip/plugin/descriptor, then from the saved session file.
4. Render the track with ardour7-export and compare with stito's own render of the mirrored chain.

Needs the Debian packages ``ardour`` (ardour7-lua, ardour7-export, the ACE plugins), ``zam-plugins`` and
``liblilv-0-0``; skipped without.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bridge.pushback.profiles import SHIPPED_DIR, load_profile
from bridge.daemon.service import Service
from stito_core import load_chain
from stito_core.encoders import load_encoder
from tests.bridge.fakes import Client, free_port, make_config
from tests.daw.ardour_host import (RunningArdour, build_session, descriptor_values, export, missing_tools,
                                   osc_client, saved_values)
from tests.helpers import music, write

pytestmark = pytest.mark.skipif(bool(missing_tools()), reason=f"Ardour 7 not installed ({', '.join(missing_tools())} "
                                "missing): apt-get install --no-install-recommends ardour")

RATE = 48000
SECONDS = 2.0
#: Mirrored chain -> (Ardour plugin type, the plugins in strip order as Ardour names them).
SESSIONS = {"ardour-zam": ("LADSPA", ["ZamCompX2", "ZamEQ2"]),
            "ardour-ace": ("LV2", ["urn:ardour:a-eq", "urn:ardour:a-comp#stereo", "urn:ardour:a-delay",
                                   "urn:ardour:a-reverb"])}
#: Largest sample difference accepted between Ardour's render and stito's (-100 dBFS). Both run the
#: same plugin binaries on the same float32 samples and control values, so they agree to the last bit
#: in practice; the margin only covers a different block size in plugins that smooth their controls.
RENDER_TOLERANCE = 1e-5


@pytest.fixture(scope="module", params=list(SESSIONS))
def chain(request):
    try:
        return load_chain(request.param)
    except Exception as exc:  # zam-plugins or lilv missing
        pytest.skip(f"chain {request.param} unavailable: {exc}")


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory, chain):
    """Run steps 1-3 once; returns what the test checks."""
    root = tmp_path_factory.mktemp("ardour")
    dry = music(SECONDS, RATE, seed=1)
    input_path = write(root / "input.wav", dry, RATE)
    reference = write(root / "reference.wav", music(SECONDS, RATE, seed=2) * 0.4, RATE)
    plugin_type, plugins = SESSIONS[chain.name]
    session = build_session(root, dry, RATE, plugins, free_port(), plugin_type)
    ardour = RunningArdour(session)
    try:
        surface = osc_client(session.osc_port)
        ardour.wait_ready(surface)
        done, pushed, rows = _match_and_push(root, session.osc_port, input_path, reference, chain.name)
        live = {piid: descriptor_values(surface, 1, piid) for piid in range(1, len(plugins) + 1)}
        surface.close()
    finally:
        ardour.stop()
    return {"session": session, "dry": dry, "done": done, "pushed": pushed, "rows": rows, "live": live,
            "saved": saved_values(session.file), "root": root}


def _match_and_push(root: Path, port: int, input_path: Path, reference: Path, chain_name: str):
    """The daemon, with the shipped ardour profile aimed at ``port``: match, wait for the push."""
    profiles = root / "profiles"
    profiles.mkdir()
    text = (SHIPPED_DIR / "ardour.toml").read_text(encoding="utf-8").replace("port = 3819", f"port = {port}")
    (profiles / "ardour.toml").write_text(text, encoding="utf-8")
    config = make_config(root, push={"profiles_dir": str(profiles)})
    with Service(config, encoder=load_encoder("mfcc")) as service:
        client = Client(service.address)
        try:
            client.send("/stito/match", str(input_path), str(reference), chain_name, "ardour-job", "ardour")
            done = client.wait_for(lambda m: m.address in ("/stito/done", "/stito/error"), timeout=300)[0]
            assert done.address == "/stito/done", done.args
            pushed = client.wait_for(lambda m: m.address in ("/stito/pushed", "/stito/error"), timeout=30)[0]
        finally:
            client.close()
    rows = json.loads(Path(done.args[2]).read_text())["parameters"]
    return done, pushed, rows


def _expected(chain, rows) -> dict[tuple[int, int], float]:
    """(plugin, parameter) -> value, as the ardour profile addresses each row (float32, like Ardour)."""
    profile = load_profile(SHIPPED_DIR / "ardour.toml")
    return {(t.fields["fx"], t.fields["param"]): float(np.float32(t.value)) for t in profile.targets(chain, rows)}


def test_the_daemon_pushed_every_parameter(round_trip, chain):
    assert round_trip["pushed"].address == "/stito/pushed", round_trip["pushed"].args
    assert round_trip["pushed"].args == ("ardour-job", "ardour", len(chain.parameters))


def test_ardour_reports_the_pushed_values_over_osc(round_trip, chain):
    live = round_trip["live"]
    for (fx, param), value in _expected(chain, round_trip["rows"]).items():
        assert live[fx][param] == pytest.approx(value, rel=1e-6, abs=1e-6), (fx, param)


def test_the_saved_session_holds_the_pushed_values(round_trip, chain):
    saved = round_trip["saved"]
    for (fx, param), value in _expected(chain, round_trip["rows"]).items():
        assert saved[fx][param] == pytest.approx(value, rel=1e-6, abs=1e-6), (fx, param)


def test_fixed_parameters_match_the_mirrored_chain(round_trip, chain):
    """What the push does not touch must already be what stito renders with (Ardour's defaults)."""
    saved = round_trip["saved"]
    for fx, slot in enumerate(chain.slots, start=1):
        names = [p.name for p in slot.effect.parameters]
        for name, value in slot.fixed.items():
            assert saved[fx][names.index(name) + 1] == pytest.approx(value), (slot.effect.name, name)


def test_ardour_renders_what_stito_renders(round_trip, chain):
    rendered = export(round_trip["session"], round_trip["root"] / "ardour-render.wav")
    values = {(r["effect"], r["name"]): r["value"] for r in round_trip["rows"]}
    normalized = [p.to_normalized(values[(p.effect, p.name)]) for p in chain.parameters]
    ours = chain.process(round_trip["dry"], RATE, normalized)
    assert rendered.shape == ours.shape
    difference = float(np.max(np.abs(rendered - ours)))
    assert float(np.max(np.abs(ours))) > 0.01, "the mirrored chain rendered silence"
    assert difference <= RENDER_TOLERANCE, f"largest sample difference {difference:.3g}"
