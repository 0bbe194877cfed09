"""The in-process LV2 host (lilv through ctypes), run against the plugins in /usr/lib/lv2: Ardour's ACE
plugins (Debian's ardour) and x42-plugins, which scripts/setup.sh installs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from bridge.cli.main import main as cli
from stito_core import load_chain
from stito_core.effects.lv2 import Lv2Effect, find_lv2_plugin, lv2_folder_problems, scan_lv2
from stito_core.encoders import load_encoder
from stito_core.errors import ChainError
from stito_core.match import match
from tests.core.test_match import PAPER
from stito_core.params import Scale
from tests.helpers import as_audio, band_energy, music, noise

RATE = 48000
ACE = ("urn:ardour:a-eq", "urn:ardour:a-comp#stereo", "urn:ardour:a-delay", "urn:ardour:a-reverb")
DPL = "http://gareus.org/oss/lv2/dpl#stereo"


def _impulse(frames: int = RATE, at: int = 1000, level: float = 0.5) -> np.ndarray:
    x = np.zeros((2, frames), dtype=np.float32)
    x[:, at] = level
    return x


def _drums(seconds: float = 2.0) -> np.ndarray:
    """A drum-like loop: an 80 Hz kick every 0.25 s (5 ms rise, 40 ms decay, -3 dB) over a -24 dB bed."""
    t = np.arange(int(seconds * RATE)) / RATE
    phase = t % 0.25
    kick = 0.7 * np.minimum(phase / 0.005, 1.0) * np.exp(-phase / 0.04) * np.sin(2 * np.pi * 80 * t)
    mono = kick + 0.06 * np.sin(2 * np.pi * 220 * t)
    return np.stack([mono, mono]).astype(np.float32)


def _crest_db(x: np.ndarray) -> float:
    return 20 * math.log10(float(np.abs(x).max() / np.sqrt(np.mean(np.square(x, dtype=np.float64)))))


def _energy_after(x: np.ndarray, start: int) -> float:
    return float(np.sum(np.square(x[:, start:], dtype=np.float64)))


@pytest.mark.parametrize("uri", ACE)
def test_each_ace_plugin_loads_with_units_and_ranges(uri: str) -> None:
    effect = Lv2Effect(uri)
    specs = {p.name: p for p in effect.parameters}
    assert specs and effect.audio_outputs >= 1
    expected = {"urn:ardour:a-eq": ("gain_1_db", "dB", -20.0, 20.0), "urn:ardour:a-comp#stereo": ("attack_ms", "ms", 0.1, 100.0),
                "urn:ardour:a-delay": ("time_ms", "ms", 1.0, 8000.0), "urn:ardour:a-reverb": ("room_size", "", 0.5, 1.0)}[uri]
    name, unit, lo, hi = expected
    assert (specs[name].unit, specs[name].minimum, specs[name].maximum) == (unit, lo, hi)


def test_ace_eq_frequencies_are_logarithmic_hz_and_toggles_are_rounded() -> None:
    eq = Lv2Effect("urn:ardour:a-eq")
    specs = {p.name: p for p in eq.parameters}
    assert specs["frequency_2_hz"].scale is Scale.LOG and specs["frequency_2_hz"].default == 1000.0
    assert "filter_2" in eq.integer_parameters and "enable" in eq.integer_parameters


def test_ace_eq_band_boost_raises_its_band() -> None:
    eq = Lv2Effect("urn:ardour:a-eq")
    x = np.stack([noise(1.0, rate=RATE, seed=1), noise(1.0, rate=RATE, seed=2)]).astype(np.float32)
    y = eq.process(as_audio(x, RATE), {"gain_2_db": 12.0, "frequency_2_hz": 1000.0}).samples
    band = 10 * math.log10(band_energy(y, RATE, 900, 1100) / band_energy(x, RATE, 900, 1100))
    low = 10 * math.log10(band_energy(y, RATE, 60, 120) / band_energy(x, RATE, 60, 120))
    assert band > 9.0 and abs(low) < 1.0


def test_ace_compressor_lowers_the_crest_factor_of_a_drum_loop() -> None:
    comp = Lv2Effect("urn:ardour:a-comp#stereo")
    x = _drums()
    y = comp.process(as_audio(x, RATE), {"threshold_db": -24.0, "ratio": 10.0, "attack_ms": 0.1}).samples
    untouched = comp.process(as_audio(x, RATE), {"ratio": 1.0}).samples
    assert _crest_db(y) < _crest_db(x) - 3.0
    assert _crest_db(untouched) == pytest.approx(_crest_db(x), abs=0.1)


def test_ace_delay_echoes_at_the_set_time() -> None:
    delay = Lv2Effect("urn:ardour:a-delay")
    y = delay.process(as_audio(_impulse(), RATE), {"time_ms": 250.0, "dry_wet_pct": 50.0, "feedback_pct": 0.0,
                                                   "lpf_hz": 20000.0}).samples
    echo = int(np.argmax(np.abs(y[0, 1000 + RATE // 10:]))) + 1000 + RATE // 10
    assert abs(echo - (1000 + RATE // 4)) <= 2  # 250 ms after the impulse
    assert np.abs(y[0, 1000]) > 0.1  # the dry impulse is still there


def test_ace_reverb_lengthens_the_decay() -> None:
    reverb = Lv2Effect("urn:ardour:a-reverb")
    x = _impulse()
    dry = reverb.process(as_audio(x, RATE), {"blend": 0.0}).samples
    wet = reverb.process(as_audio(x, RATE), {"blend": 0.6, "room_size": 0.9}).samples
    late = 1000 + RATE // 5  # 200 ms after the impulse
    assert _energy_after(wet, late) > 100 * (_energy_after(dry, late) + 1e-12)


def test_reported_latency_is_compensated_in_process_and_stream() -> None:
    limiter = Lv2Effect(DPL)
    x = _impulse(20000, at=1000, level=0.1)
    whole = limiter.process(as_audio(x, RATE), {"threshold_db": 0.0}).samples
    assert int(np.argmax(np.abs(whole[0]))) == 1000 and whole[0, 1000] == pytest.approx(0.1, abs=1e-3)
    blocks = [as_audio(x[:, i:i + 3000], RATE) for i in range(0, 20000, 3000)]
    pieces = list(limiter.stream(blocks, {"threshold_db": 0.0}))
    assert [p.frames for p in pieces] == [b.frames for b in blocks]
    np.testing.assert_allclose(np.concatenate([p.samples for p in pieces], axis=1), whole, atol=1e-6)


def test_mono_plugin_runs_once_per_channel_and_keeps_mono_input_mono() -> None:
    eq = Lv2Effect("urn:ardour:a-eq")
    assert (eq.audio_inputs, eq.audio_outputs) == (1, 1)
    x = np.stack([noise(0.5, rate=RATE, seed=1), np.zeros(RATE // 2)]).astype(np.float32)
    y = eq.process(as_audio(x, RATE), {"gain_2_db": 12.0}).samples
    assert y.shape == x.shape and np.abs(y[1]).max() == 0.0
    assert eq.process(as_audio(x[:1], RATE), {}).samples.shape == (1, RATE // 2)


def test_a_required_feature_the_host_lacks_is_named() -> None:
    with pytest.raises(ChainError, match=r"urn:ardour:a-fluidsynth requires the host feature "
                                         r"http://lv2plug.in/ns/ext/worker#schedule") as error:
        Lv2Effect("urn:ardour:a-fluidsynth")
    assert "\n" not in str(error.value)


def test_an_unknown_uri_names_the_folders_searched() -> None:
    with pytest.raises(ChainError, match=r"LV2 plugin urn:nobody:nothing not found in .*/usr/lib/lv2"):
        find_lv2_plugin("urn:nobody:nothing")


def test_a_folder_that_is_not_an_lv2_bundle_gets_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken.lv2").mkdir()
    (tmp_path / "fine.lv2").mkdir()
    (tmp_path / "fine.lv2" / "manifest.ttl").write_text("", encoding="utf-8")
    monkeypatch.setenv("LV2_PATH", f"{tmp_path}:{tmp_path / 'missing'}")
    problems = {str(where): why for where, why in lv2_folder_problems()}
    assert problems == {str(tmp_path / "missing"): "LV2_PATH names it, but it is not a folder",
                        str(tmp_path / "broken.lv2"): "not an LV2 bundle: it has no manifest.ttl"}


def test_scan_finds_the_ace_plugins_with_their_binaries() -> None:
    found = {p.uri: p for p in scan_lv2()}
    for uri in ACE:
        assert found[uri].binary.is_file() and found[uri].binary.is_relative_to(found[uri].bundle)


@pytest.mark.parametrize("name", ["ardour-ace", "x42"])
def test_shipped_lv2_chains_are_transparent_at_neutral(name: str) -> None:
    chain = load_chain(name)
    x = music(1.0, rate=RATE, seed=3).astype(np.float32)
    y = chain.render(as_audio(x, RATE), chain.neutral()).samples
    assert np.abs(y - x).max() < 1e-3


def test_a_match_over_the_ace_eq_recovers_a_known_gain(tmp_path: Path) -> None:
    path = tmp_path / "ace-eq.toml"
    path.write_text('[[effect]]\ntype = "lv2"\nuri = "urn:ardour:a-eq"\nname = "eq"\n'
                    'search = {gain_2_db = [-18, 18]}\n', encoding="utf-8")
    chain = load_chain(path)
    (spec,) = chain.parameters
    reference = chain.process(music(2.0, rate=RATE, seed=1), RATE, [spec.to_normalized(-12.0)])
    result = match(music(2.0, rate=RATE, seed=1), reference, RATE, chain, load_encoder("mfcc"),
                   popsize=8, max_iter=8, excerpt_s=2.0, seed=0, **PAPER)
    (row,) = result.parameters
    assert row["value"] == pytest.approx(-12.0, abs=3.0)  # the search starts at 0 dB


def test_cli_shows_an_lv2_plugin_by_uri_and_lists_lv2_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["chains", "urn:ardour:a-delay"]) == 0
    assert "time_ms" in capsys.readouterr().out
    assert cli(["plugins", "--format", "lv2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("lv2     ok  urn:ardour:a-eq ") for line in lines)
    assert any("urn:ardour:a-fluidsynth" in line and "worker#schedule" in line for line in lines)


def test_the_daemon_may_load_lv2_chains_from_the_standard_folders() -> None:
    from stito_core.places import Places

    chain = load_chain("ardour-ace", Places())
    assert [s.effect.name for s in chain.slots] == ["eq", "compressor", "delay", "reverb"]
