"""The in-process LADSPA host, run against the plugins installed in /usr/lib/ladspa."""

from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from stito_core.effects.ladspa import (
    LadspaEffect,
    find_ladspa_library,
    list_ladspa_plugins,
    scan_ladspa,
)
from stito_core.effects.naming import parameter_id
from stito_core.errors import ChainError
from stito_core.params import Scale
from tests.helpers import RATE, as_audio, band_energy, music, noise, sine

LADSPA_DIR = Path("/usr/lib/ladspa")
pytestmark = pytest.mark.skipif(not (LADSPA_DIR / "ZamEQ2-ladspa.so").exists(), reason="LADSPA plugins not installed")


def _stereo_noise(seconds: float = 1.0) -> np.ndarray:
    """Two different white-noise channels, shape (2, frames)."""
    return np.stack([noise(seconds, seed=1), noise(seconds, seed=2)])


def _rms_db(samples: np.ndarray) -> float:
    """RMS level of ``samples`` in dBFS."""
    return 20 * math.log10(float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))))


def _tilt_db(samples: np.ndarray, band: tuple[float, float], reference: tuple[float, float]) -> float:
    """Energy in ``band`` relative to energy in ``reference`` (both in Hz), in dB."""
    return 10 * math.log10(band_energy(samples, RATE, *band) / band_energy(samples, RATE, *reference))


@pytest.fixture(scope="module")
def eq2() -> LadspaEffect:
    return LadspaEffect("ZamEQ2-ladspa.so")


@pytest.fixture(scope="module")
def comp() -> LadspaEffect:
    return LadspaEffect("ZamCompX2-ladspa.so")


@pytest.mark.parametrize(("port", "expected"), [
    ("Boost(dB) L", ("boost_l_db", "dB")),
    ("Freq L (Hz)", ("freq_l_hz", "Hz")),
    ("Attack (ms)", ("attack_ms", "ms")),
    ("Threshold (dB)", ("threshold_db", "dB")),
    ("Decay [ms]", ("decay_ms", "ms")),
    ("Reverb time (s)", ("reverb_time_s", "s")),
    ("Wet (%)", ("wet_pct", "%")),
    ("Crossover (kHz)", ("crossover_khz", "kHz")),
    ("Output Gain dB", ("output_gain_db", "dB")),
    ("31 Hz", ("31_hz", "")),
    ("Filter type (0=LP, 1=BP, 2=HP)", ("filter_type", "")),
    ("Boost/Cut 1", ("boost_cut_1", "")),
])
def test_parameter_id_moves_unit_to_the_end(port: str, expected: tuple[str, str]) -> None:
    assert parameter_id(port) == expected


def test_zam_eq2_parameters_are_discovered(eq2: LadspaEffect) -> None:
    specs = {p.name: p for p in eq2.parameters}
    assert eq2.name == "zam_eq2" and eq2.label == "ZamEQ2"
    assert (eq2.audio_inputs, eq2.audio_outputs) == (1, 1)
    assert list(specs) == ["boost_cut_1_db", "bandwidth_1", "frequency_1_hz", "boost_cut_2_db", "bandwidth_2", "frequency_2_hz",
                           "boost_cut_l_db", "frequency_l_hz", "boost_cut_h_db", "frequency_h_hz", "master_gain_db", "peaks_on"]
    assert (specs["boost_cut_1_db"].minimum, specs["boost_cut_1_db"].maximum, specs["boost_cut_1_db"].default) == (-50, 20, 0)
    freq = specs["frequency_1_hz"]
    assert (freq.minimum, freq.maximum, freq.scale) == (20, 14000, Scale.LOG)
    assert freq.default == pytest.approx(math.exp(0.75 * math.log(20) + 0.25 * math.log(14000)))  # DEFAULT_LOW, log
    assert (specs["peaks_on"].minimum, specs["peaks_on"].maximum) == (0, 1)
    assert eq2.integer_parameters == ("peaks_on",)
    assert all(p.check() is None and p.effect == "zam_eq2" for p in eq2.parameters)
    assert repr(eq2) == "<LadspaEffect 'zam_eq2' ZamEQ2 from ZamEQ2-ladspa.so, 12 parameters>"


def test_units_come_from_port_names() -> None:
    specs = {p.name: p for p in LadspaEffect("tap_eq.so").parameters}
    assert specs["band_1_gain_db"].unit == "dB" and specs["band_1_freq_hz"].unit == "Hz"
    assert (specs["band_4_freq_hz"].minimum, specs["band_4_freq_hz"].maximum, specs["band_4_freq_hz"].default) \
        == (400, 2800, 1000)


def test_parameter_names_are_unique_snake_case_ids() -> None:
    for _uid, label, _name in list_ladspa_plugins("caps.so"):
        try:
            effect = LadspaEffect("caps.so", label)
        except ChainError:  # generators and other unsupported layouts
            continue
        names = [p.name for p in effect.parameters]
        assert len(set(names)) == len(names), label
        assert all(re.fullmatch(r"[a-z0-9_]+", n) for n in names), names


def test_sample_rate_bounds_use_the_reference_rate_in_specs() -> None:
    cutoff = LadspaEffect("lowpass_iir_1891.so").parameters[0]
    assert cutoff.name == "cutoff_frequency"
    assert (cutoff.minimum, cutoff.maximum, cutoff.scale) == (pytest.approx(4.8), pytest.approx(21600), Scale.LOG)


def test_defaults_follow_the_ladspa_hints(comp: LadspaEffect) -> None:
    specs = {p.name: p for p in comp.parameters}
    assert specs["ratio"].default == pytest.approx(20 ** 0.25)  # DEFAULT_LOW on a log port: geometric
    assert specs["attack_ms"].default == pytest.approx(0.75 * 0.1 + 0.25 * 100)  # DEFAULT_LOW, linear
    assert specs["slew"].default == 1  # DEFAULT_1
    reverb = {p.name: p for p in LadspaEffect("tap_reverb.so").parameters}
    assert reverb["comb_filters"].default == 1 and reverb["decay_ms"].unit == "ms"


def test_zam_eq2_peak_boost_raises_its_band(eq2: LadspaEffect) -> None:
    audio = as_audio(_stereo_noise())
    flat = eq2.process(audio, {"boost_cut_1_db": 0.0, "frequency_1_hz": 1000.0})
    boosted = eq2.process(audio, {"boost_cut_1_db": 12.0, "frequency_1_hz": 1000.0})
    band, far = (900, 1100), (5000, 10000)
    assert _tilt_db(boosted.samples, band, far) - _tilt_db(flat.samples, band, far) > 6


def test_zam_eq2_low_shelf_raises_the_lows(eq2: LadspaEffect) -> None:
    audio = as_audio(_stereo_noise())
    flat = eq2.process(audio, {})
    shelved = eq2.process(audio, {"boost_cut_l_db": 12.0, "frequency_l_hz": 100.0})
    assert _tilt_db(shelved.samples, (20, 60), (4000, 8000)) - _tilt_db(flat.samples, (20, 60), (4000, 8000)) > 6


def test_flat_eq_passes_audio_through_across_blocks(eq2: LadspaEffect) -> None:
    audio = as_audio(_stereo_noise(0.23))  # 10143 frames: two full 4096-frame blocks and a partial one
    out = eq2.process(audio, {})
    assert out.samples.shape == audio.samples.shape and out.sample_rate == RATE
    np.testing.assert_allclose(out.samples, audio.samples, atol=1e-4)


def test_zam_comp_x2_compresses_loud_stereo(comp: LadspaEffect) -> None:
    assert (comp.audio_inputs, comp.audio_outputs) == (2, 2)
    loud = as_audio(np.stack([sine(220, level_db=-3), sine(330, level_db=-3)]))
    settled = slice(RATE // 2, None)
    untouched = comp.process(loud, {"threshold_db": 0.0})
    squashed = comp.process(loud, {"threshold_db": -40.0, "ratio": 20.0, "attack_ms": 1.0})
    assert squashed.samples.shape == (2, RATE)
    assert abs(_rms_db(untouched.samples[:, settled]) - _rms_db(loud.samples[:, settled])) < 1
    assert _rms_db(squashed.samples[:, settled]) < _rms_db(loud.samples[:, settled]) - 20
    assert not np.allclose(squashed.samples[0], squashed.samples[1])


def test_sidechain_input_is_fed_the_signal(comp: LadspaEffect) -> None:
    loud = as_audio(np.stack([sine(220, level_db=-3), sine(330, level_db=-3)]))
    keyed = comp.process(loud, {"threshold_db": -40.0, "ratio": 20.0, "attack_ms": 1.0, "sidechain": 1.0})
    assert _rms_db(keyed.samples[:, RATE // 2:]) < _rms_db(loud.samples[:, RATE // 2:]) - 20


def test_values_are_clipped_to_the_plugin_bounds_at_the_real_rate() -> None:
    lowpass = LadspaEffect("lowpass_iir_1891.so")
    audio = as_audio(noise(0.2))
    nyquist_limit = lowpass.process(audio, {"cutoff_frequency": 0.45 * RATE}).samples  # the hinted upper bound
    np.testing.assert_array_equal(lowpass.process(audio, {"cutoff_frequency": 21600.0}).samples, nyquist_limit)


def test_mono_plugin_runs_once_per_channel() -> None:
    eq = LadspaEffect("tap_eq.so")
    assert (eq.audio_inputs, eq.audio_outputs) == (1, 1)
    values = {"band_4_gain_db": 12.0}
    stereo = _stereo_noise(0.5)
    out = eq.process(as_audio(stereo), values)
    assert out.samples.shape == stereo.shape
    assert not np.allclose(out.samples, stereo, atol=1e-3)  # the boost did something
    for channel in range(2):
        alone = eq.process(as_audio(stereo[channel]), values)
        np.testing.assert_array_equal(out.samples[channel], alone.samples[0])


def test_mono_input_keeps_its_shape_through_a_mono_plugin(eq2: LadspaEffect) -> None:
    audio = as_audio(noise(0.5))
    out = eq2.process(audio, {"boost_cut_h_db": 6.0})
    assert out.samples.shape == audio.samples.shape == (1, RATE // 2)
    assert not np.allclose(out.samples, audio.samples, atol=1e-3)


def test_mono_input_feeds_both_inputs_of_a_stereo_plugin(comp: LadspaEffect) -> None:
    audio = as_audio(sine(220, seconds=0.5, level_db=-3))
    out = comp.process(audio, {"threshold_db": -30.0, "ratio": 10.0})
    assert out.samples.shape == (2, audio.frames)
    np.testing.assert_array_equal(out.samples[0], out.samples[1])
    assert _rms_db(out.samples) < _rms_db(audio.samples) - 10


def test_mono_in_stereo_out_reverb_returns_two_channels() -> None:
    plate = LadspaEffect("caps.so", "Plate")
    assert (plate.audio_inputs, plate.audio_outputs) == (1, 2)
    dry = music(1.0)
    out = plate.process(as_audio(dry), {"blend": 0.5, "tail": 0.8})
    assert out.samples.shape == dry.shape
    assert not np.allclose(out.samples[0], out.samples[1], atol=1e-3)  # a stereo tail from a mono feed


def test_integer_values_are_rounded() -> None:
    saturate = LadspaEffect("caps.so", "Saturate")
    assert "mode" in saturate.integer_parameters
    audio = as_audio(sine(200, seconds=0.3, level_db=-6))
    base = {"gain_db": 12.0}
    four = saturate.process(audio, {**base, "mode": 4.0}).samples
    assert np.array_equal(saturate.process(audio, {**base, "mode": 3.6}).samples, four)  # the plugin would truncate
    assert not np.array_equal(saturate.process(audio, {**base, "mode": 3.0}).samples, four)


def test_toggled_values_are_rounded() -> None:
    reverb = LadspaEffect("tap_reverb.so")
    assert "comb_filters" in reverb.integer_parameters
    audio = as_audio(music(0.5))
    off = reverb.process(audio, {"comb_filters": 0.0}).samples
    assert np.array_equal(reverb.process(audio, {"comb_filters": 0.3}).samples, off)  # the plugin reads 0.3 as on
    assert not np.array_equal(reverb.process(audio, {"comb_filters": 1.0}).samples, off)


def test_non_finite_input_samples_are_silenced_before_the_plugin() -> None:
    eq = LadspaEffect("tap_eq.so")  # an IIR filter that a NaN would poison for good
    samples = noise(0.2)
    cleaned = samples.copy()
    samples[100:200] = np.nan
    samples[300] = np.inf
    cleaned[100:200] = cleaned[300] = 0.0
    out = eq.process(as_audio(samples), {"band_4_gain_db": 12.0})
    np.testing.assert_array_equal(out.samples, eq.process(as_audio(cleaned), {"band_4_gain_db": 12.0}).samples)


def test_overflowing_output_becomes_zero() -> None:
    huge = np.full(2000, 3e38, dtype=np.float32)
    huge[::2] *= -1  # finite input that a +20 dB boost pushes past float32's range
    out = LadspaEffect("tap_eq.so").process(as_audio(huge), {"band_1_gain_db": 20.0})
    assert np.isfinite(out.samples).all()


def test_concurrent_processing_matches_sequential(eq2: LadspaEffect, comp: LadspaEffect) -> None:
    audio = as_audio(music(1.0))
    jobs = [(eq2, {"boost_cut_1_db": g, "frequency_1_hz": 300.0 * (1 + k)}) for k, g in enumerate((-9.0, 3.0, 9.0, 12.0))]
    jobs += [(comp, {"threshold_db": t, "ratio": 8.0}) for t in (-10.0, -20.0, -30.0, -40.0)]
    expected = [effect.process(audio, values).samples for effect, values in jobs]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda job: job[0].process(audio, job[1]).samples, jobs * 3))
    for k, result in enumerate(results):
        np.testing.assert_array_equal(result, expected[k % len(jobs)])


def test_find_library_by_name_path_and_ladspa_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_ladspa_library("tap_eq") == LADSPA_DIR / "tap_eq.so"
    assert find_ladspa_library(str(LADSPA_DIR / "caps.so")) == LADSPA_DIR / "caps.so"
    (tmp_path / "my_eq.so").symlink_to(LADSPA_DIR / "ZamEQ2-ladspa.so")
    monkeypatch.setenv("LADSPA_PATH", f"/nonexistent:{tmp_path}")
    assert find_ladspa_library("my_eq.so") == tmp_path / "my_eq.so"
    assert LadspaEffect("my_eq.so").label == "ZamEQ2"


def test_list_and_scan_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (1779, "Plate", "C* Plate - Versatile plate reverb") in list_ladspa_plugins("caps.so")
    (tmp_path / "broken.so").write_bytes(b"not an ELF file")
    monkeypatch.setenv("LADSPA_PATH", str(tmp_path))
    errors: list[str] = []
    found = scan_ladspa(errors)
    assert (LADSPA_DIR / "ZamEQ2-ladspa.so", "ZamEQ2", "ZamEQ2") in found
    assert len(errors) == 1 and "broken.so" in errors[0]


def test_missing_library_names_the_search_dirs() -> None:
    with pytest.raises(ChainError, match=r"no_such_plugin\.so.*/usr/lib/ladspa"):
        LadspaEffect("no_such_plugin.so")
    with pytest.raises(ChainError, match="not found"):
        LadspaEffect("/nonexistent/dir/x.so")


def test_junk_file_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.so"
    junk.write_bytes(b"\x7fELF this is not a shared library")
    with pytest.raises(ChainError, match="junk.so") as err:
        LadspaEffect(str(junk))
    assert "\n" not in str(err.value)


def test_unknown_label_lists_the_labels() -> None:
    with pytest.raises(ChainError, match=r"NoSuchLabel.*Plate, PlateX2"):
        LadspaEffect("caps.so", "NoSuchLabel")


def test_unsupported_audio_layout_is_refused_at_load() -> None:
    with pytest.raises(ChainError, match="0 audio inputs / 1 outputs"):
        LadspaEffect("caps.so", "Sin")


def test_unknown_parameter_is_refused(eq2: LadspaEffect) -> None:
    with pytest.raises(ChainError, match="no_such_param"):
        eq2.process(as_audio(noise(0.1)), {"no_such_param": 1.0})


def test_units_come_from_the_lv2_build_when_ladspa_names_lack_them(comp: LadspaEffect) -> None:
    specs = {p.name: p for p in comp.parameters}
    assert (specs["threshold_db"].unit, specs["attack_ms"].unit, specs["knee_db"].unit) == ("dB", "ms", "dB")
    assert specs["ratio"].unit == ""  # the LV2 file gives the ratio no unit either
