"""Chains: the shipped chain files, the built-in effects, the VST3 backend and chain-file errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from stito_core.chain import Chain
from stito_core.chains import chain_names, chain_path, load_chain
from stito_core.effects.builtin import KINDS, BuiltinEffect
from stito_core.errors import ChainError
from stito_core.params import Scale
from tests.helpers import RATE, as_audio, band_energy, music, noise, sine

ZAM_EQ2_VST3 = Path("/usr/lib/vst3/ZamEQ2.vst3")
needs_vst3 = pytest.mark.skipif(not ZAM_EQ2_VST3.exists(), reason="zam-plugins VST3 not installed")
needs_ladspa = pytest.mark.skipif(not Path("/usr/lib/ladspa/ZamCompX2-ladspa.so").exists(),
                                  reason="zam-plugins LADSPA not installed")

_CHAINS: dict[str, Chain] = {}


def _chain(name: str) -> Chain:
    """A shipped chain, loaded once per test session (plugin loading is the slow part).

    A chain whose plugin is not installed on this machine is skipped; any other error fails."""
    if name not in _CHAINS:
        try:
            _CHAINS[name] = load_chain(name)
        except ChainError as exc:
            if "not found" in str(exc):
                pytest.skip(f"plugin not installed: {exc}")
            raise
    return _CHAINS[name]


def _rms_db(samples: np.ndarray) -> float:
    return 10 * math.log10(float(np.mean(np.square(samples, dtype=np.float64))))


def _tilt_db(samples: np.ndarray, band: tuple[float, float], reference: tuple[float, float]) -> float:
    """Energy in ``band`` relative to ``reference`` (Hz ranges), in dB."""
    return 10 * math.log10(band_energy(samples, RATE, *band) / band_energy(samples, RATE, *reference))


def _stereo_noise(seconds: float = 1.0) -> np.ndarray:
    return np.stack([noise(seconds, seed=1), noise(seconds, seed=2)])


# --- every shipped chain -----------------------------------------------------------------------

def test_the_shipped_chains_are_there() -> None:
    assert {"builtin", "zam", "vst3-template"} <= set(chain_names())
    assert chain_path("zam").name == "zam.toml"


@pytest.mark.parametrize("name", chain_names())
def test_chain_loads_with_valid_parameters(name: str) -> None:
    chain = _chain(name)
    assert chain.name == name and chain.slots
    assert chain.parameters, "a shipped chain must search something"
    keys = [p.key for p in chain.parameters]
    assert len(set(keys)) == len(keys)
    assert all(p.check() is None for p in chain.parameters)
    defaults = chain.defaults()
    assert len(defaults) == len(chain.parameters) and all(0.0 <= x <= 1.0 for x in defaults)
    assert repr(chain).startswith(f"<Chain {name!r}:")


@pytest.mark.parametrize("name", chain_names())
def test_chain_renders_finite_audio_of_the_same_shape(name: str) -> None:
    chain, dry = _chain(name), music(1.0)
    rng = np.random.default_rng(7)
    vectors = [np.full(len(chain.parameters), 0.5), *(rng.uniform(size=len(chain.parameters)) for _ in range(3))]
    outputs = [chain.process(dry, RATE, v) for v in vectors]
    for out in outputs:
        assert out.shape == dry.shape and out.dtype == np.float32
        assert np.all(np.isfinite(out))
    for i, a in enumerate(outputs):  # different settings sound different
        for b in outputs[i + 1:]:
            assert np.max(np.abs(a - b)) > 1e-3


@pytest.mark.parametrize("name", chain_names())
def test_chain_rendering_is_deterministic(name: str) -> None:
    chain, dry = _chain(name), music(1.0)
    vector = np.random.default_rng(3).uniform(size=len(chain.parameters))
    np.testing.assert_array_equal(chain.process(dry, RATE, vector), chain.process(dry, RATE, vector))


@pytest.mark.parametrize("name", ["builtin", "zam"])
def test_streamed_blocks_join_to_exactly_the_render(name: str) -> None:
    """Every effect carries its state (tails, envelopes, filters) from block to block: the joined blocks
    equal the whole render (to float rounding), with some effects off, for mono and stereo."""
    chain = _chain(name)
    rng = np.random.default_rng(7)
    values = rng.uniform(size=len(chain.parameters))
    enabled = [i % 3 != 1 for i in range(len(chain.slots))]
    for channels in (1, 2):
        audio = as_audio(music(2.0, seed=8, channels=channels))
        whole = chain.render(audio, values, enabled).samples
        blocks = [b.samples for b in chain.stream(audio, values, enabled, block_frames=4096 * 3)]
        assert len(blocks) == math.ceil(audio.frames / (4096 * 3)) and all(b.shape[0] == channels for b in blocks)
        np.testing.assert_allclose(np.concatenate(blocks, axis=1), whole, rtol=1e-4, atol=1e-6)


def test_a_stream_stopped_early_renders_no_further_block() -> None:
    """Closing the stream after two blocks: each effect has processed at most the blocks asked for."""
    seen: list[int] = []

    class Counting(BuiltinEffect):
        def stream(self, blocks, values):
            for block in super().stream(blocks, values):
                seen.append(block.frames)
                yield block

    from stito_core.chain import Slot

    effect = Counting("gain")
    chain = Chain("counting", [Slot(effect, effect.parameters)])
    stream = chain.stream(as_audio(music(2.0, seed=9)), [0.5], block_frames=4096)
    assert [next(stream).frames, next(stream).frames] == [4096, 4096]
    stream.close()
    assert seen == [4096, 4096]


@pytest.mark.parametrize("name", chain_names())
def test_chain_refuses_a_vector_of_the_wrong_length(name: str) -> None:
    chain = _chain(name)
    with pytest.raises(ChainError, match=f"takes {len(chain.parameters)} normalised values, got 3"):
        chain.process(music(1.0), RATE, [0.5, 0.5, 0.5])


@pytest.mark.parametrize("name", chain_names())
def test_describe_rows(name: str) -> None:
    chain = _chain(name)
    vector = np.random.default_rng(5).uniform(size=len(chain.parameters))
    rows = chain.describe(vector)
    assert len(rows) == len(chain.parameters)
    for row, spec, x in zip(rows, chain.parameters, vector):
        assert set(row) == {"effect", "name", "value", "normalized", "unit", "neutral", "enabled"}
        assert (row["effect"], row["name"], row["unit"]) == (spec.effect, spec.name, spec.unit)
        assert row["enabled"] is True and row["neutral"] == pytest.approx(spec.neutral_value, abs=1e-6)
        assert row["normalized"] == pytest.approx(x, abs=1e-6)
        assert row["value"] == pytest.approx(spec.from_normalized(x), abs=1e-5)


# Chain.process keeps the caller's layout for every shipped chain.


def _layout_cases() -> list:
    cases = []
    for name in chain_names():
        for layout in ("frames", "one_row", "stereo"):
            cases.append(pytest.param(name, layout, id=f"{name}-{layout}"))
    return cases


@pytest.mark.parametrize(("name", "layout"), _layout_cases())
def test_process_keeps_the_array_layout(name: str, layout: str) -> None:
    chain, stereo = _chain(name), music(1.0)
    dry = {"frames": stereo[0], "one_row": stereo[:1], "stereo": stereo}[layout]
    out = chain.process(dry, RATE, np.full(len(chain.parameters), 0.5))
    assert out.shape == dry.shape
    assert np.all(np.isfinite(out)) and not np.allclose(out, dry, atol=1e-3)


def test_mono_frames_and_one_row_give_the_same_samples() -> None:
    chain, dry = _chain("builtin"), music(1.0)[0]
    vector = np.full(len(chain.parameters), 0.5)
    np.testing.assert_array_equal(chain.process(dry, RATE, vector), chain.process(dry[None], RATE, vector)[0])


# --- the shipped zam chain ---------------------------------------------------------------------

@needs_ladspa
def test_zam_chain_searches_the_musical_parameters() -> None:
    chain = _chain("zam")
    assert [s.effect.name for s in chain.slots] == ["tubewarmth", "compressor", "eq", "delay", "reverb"]
    assert 25 <= len(chain.parameters) <= 35
    specs = {p.key: p for p in chain.parameters}
    assert (specs["compressor.threshold_db"].minimum, specs["compressor.threshold_db"].maximum) == (-60, 0)
    assert specs["compressor.ratio"].scale is Scale.LOG
    assert (specs["delay.time_ms"].minimum, specs["delay.time_ms"].maximum, specs["delay.time_ms"].scale) == (20, 1000, Scale.LOG)
    assert all(specs[f"eq.frequency_{b}_hz"].scale is Scale.LOG for b in ("l", "1", "2", "h"))
    fixed = {s.effect.name: dict(s.fixed) for s in chain.slots}
    assert fixed["delay"]["sync_bpm"] == 0 and fixed["compressor"]["makeup_db"] == 0 and fixed["compressor"]["sidechain"] == 0


# --- built-in kinds ----------------------------------------------------------------------------

def _moved(effect: BuiltinEffect) -> dict[str, float]:
    """Every parameter moved well away from its default: to 20 % or 80 % of its normalised range."""
    return {p.name: p.from_normalized(0.2 if p.to_normalized(p.default) > 0.5 else 0.8) for p in effect.parameters}


@pytest.mark.parametrize("kind", list(KINDS))
def test_builtin_kind_changes_the_audio_when_moved_from_defaults(kind: str) -> None:
    effect = BuiltinEffect(kind)
    assert effect.parameters and all(p.effect == kind for p in effect.parameters)
    audio = as_audio(music(1.0))
    at_defaults = effect.process(audio, {}).samples
    moved = effect.process(audio, _moved(effect)).samples
    assert moved.shape == audio.samples.shape and np.all(np.isfinite(moved))
    assert np.max(np.abs(moved - at_defaults)) > 1e-2


def test_builtin_effect_name_and_unknown_values() -> None:
    effect = BuiltinEffect("compressor", "bus_comp")
    assert effect.name == "bus_comp" and {p.effect for p in effect.parameters} == {"bus_comp"}
    with pytest.raises(ChainError, match="unknown parameter.*threshold"):
        effect.process(as_audio(music(1.0)), {"treshold_db": -20.0})
    with pytest.raises(ChainError, match="unknown built-in effect 'compresor'"):
        BuiltinEffect("compresor")


def test_compressor_lowers_the_level_of_a_loud_signal() -> None:
    loud = as_audio(np.stack([sine(220, level_db=-3), sine(330, level_db=-3)]))
    comp = BuiltinEffect("compressor")
    settled = slice(RATE // 2, None)
    untouched = comp.process(loud, {}).samples
    squashed = comp.process(loud, {"threshold_db": -40.0, "ratio": 10.0, "attack_ms": 1.0}).samples
    assert abs(_rms_db(untouched[:, settled]) - _rms_db(loud.samples[:, settled])) < 0.5
    assert _rms_db(squashed[:, settled]) < _rms_db(loud.samples[:, settled]) - 15


def test_parametric_eq_low_shelf_raises_the_lows() -> None:
    audio = as_audio(_stereo_noise())
    eq = BuiltinEffect("parametric_eq")
    flat = eq.process(audio, {}).samples
    shelved = eq.process(audio, {"low_shelf_gain_db": 12.0, "low_shelf_freq_hz": 100.0}).samples
    np.testing.assert_allclose(flat, audio.samples, atol=1e-4)  # all gains 0 dB: transparent
    lows, highs = (20, 100), (4000, 8000)
    assert _tilt_db(shelved, lows, highs) - _tilt_db(flat, lows, highs) > 8


def test_parametric_eq_peak_raises_its_band_only() -> None:
    audio = as_audio(_stereo_noise())
    eq = BuiltinEffect("parametric_eq")
    boosted = eq.process(audio, {"band2_gain_db": 12.0, "band2_freq_hz": 1000.0, "band2_q": 2.0}).samples
    gain_db = 10 * math.log10(band_energy(boosted, RATE, 950, 1050) / band_energy(audio.samples, RATE, 950, 1050))
    far_db = 10 * math.log10(band_energy(boosted, RATE, 8000, 12000) / band_energy(audio.samples, RATE, 8000, 12000))
    assert gain_db > 9 and abs(far_db) < 1


def test_parametric_eq_pass_filters_cut_twelve_db_per_octave_and_are_left_out_at_neutral() -> None:
    audio = as_audio(_stereo_noise())
    eq = BuiltinEffect("parametric_eq")
    np.testing.assert_array_equal(eq.process(audio, {"highpass_hz": 20.0, "lowpass_hz": 20000.0}).samples,
                                  eq.process(audio, {}).samples)  # the open ends are the filters left out
    lowpassed = eq.process(audio, {"lowpass_hz": 1000.0}).samples
    octave_up = 10 * math.log10(band_energy(lowpassed, RATE, 3800, 4200) / band_energy(lowpassed, RATE, 7600, 8400))
    assert 9 < octave_up < 15  # 12 dB per octave well above the cutoff (first order would be 6)
    highpassed = eq.process(audio, {"highpass_hz": 1000.0}).samples
    assert _tilt_db(highpassed, (50, 250), (4000, 8000)) < -25


@pytest.mark.parametrize("kind, values", [("parametric_eq", {"lowpass_hz": 19000.0}),
                                          ("lowpass", {"cutoff_hz": 19000.0}), ("highpass", {"cutoff_hz": 2000.0})])
def test_filter_cutoffs_stay_below_nyquist_at_a_low_rate(kind: str, values: dict[str, float]) -> None:
    audio = as_audio(_stereo_noise()[:, ::4], RATE // 4)  # 12 kHz: a 19 kHz cutoff lies beyond Nyquist
    out = BuiltinEffect(kind).process(audio, values).samples
    assert np.all(np.isfinite(out)) and np.max(np.abs(out)) < 2 * np.max(np.abs(audio.samples))
    streamed = np.concatenate([b.samples for b in BuiltinEffect(kind).stream(iter([audio]), values)], axis=1)
    np.testing.assert_allclose(streamed, out, atol=1e-5)


def test_highpass_cuts_the_lows() -> None:
    audio = as_audio(_stereo_noise())
    cut = BuiltinEffect("highpass").process(audio, {"cutoff_hz": 1000.0}).samples
    lows, highs = (20, 200), (5000, 15000)
    assert _tilt_db(cut, lows, highs) - _tilt_db(audio.samples, lows, highs) < -12


def test_lowpass_cuts_the_highs() -> None:
    audio = as_audio(_stereo_noise())
    cut = BuiltinEffect("lowpass").process(audio, {"cutoff_hz": 1000.0}).samples
    highs, lows = (8000, 16000), (50, 300)
    assert _tilt_db(cut, highs, lows) - _tilt_db(audio.samples, highs, lows) < -12


def test_delay_fully_wet_is_a_delayed_copy() -> None:
    dry = noise(1.0)
    out = BuiltinEffect("delay").process(as_audio(dry), {"delay_s": 0.1, "mix": 1.0, "feedback": 0.0}).samples[0]
    lag = int(0.1 * RATE)
    assert np.max(np.abs(out[:lag])) < 1e-4  # nothing before the delay time
    np.testing.assert_allclose(out[lag:], dry[:-lag], atol=1e-4)
    dry_only = BuiltinEffect("delay").process(as_audio(dry), {"delay_s": 0.1}).samples[0]
    np.testing.assert_allclose(dry_only, dry, atol=1e-5)  # mix 0 (the default) is dry


def test_reverb_wet_adds_a_tail() -> None:
    burst = np.concatenate([noise(0.2), np.zeros(int(0.8 * RATE), dtype=np.float32)])
    reverb = BuiltinEffect("reverb")
    tail = slice(int(0.3 * RATE), None)
    dry = reverb.process(as_audio(burst), {}).samples[0]
    wet = reverb.process(as_audio(burst), {"wet_level": 1.0, "room_size": 0.8}).samples[0]
    assert np.sum(np.square(dry[tail])) < 1e-8
    assert np.sum(np.square(wet[tail])) > 0.01 * np.sum(np.square(burst))


def test_gain_scales_the_level() -> None:
    dry = as_audio(sine(440, level_db=-20))
    out = BuiltinEffect("gain").process(dry, {"gain_db": 6.0}).samples
    assert _rms_db(out) - _rms_db(dry.samples) == pytest.approx(6.0, abs=0.05)


def test_distortion_adds_odd_harmonics() -> None:
    dry = as_audio(sine(1000, level_db=-6))
    dist = BuiltinEffect("distortion")
    clean = dist.process(dry, {"drive_db": 0.0}).samples
    driven = dist.process(dry, {"drive_db": 30.0}).samples
    third = (2900, 3100)
    assert band_energy(driven, RATE, *third) > 100 * band_energy(clean, RATE, *third)


def test_limiter_squashes_the_crest_factor() -> None:
    # pedalboard's Limiter (JUCE) follows the limiting with make-up gain to 0 dBFS, so a lower
    # threshold means a louder, flatter signal whose peaks never pass 0 dBFS.
    dry = as_audio(music(1.0))
    limiter = BuiltinEffect("limiter")
    untouched = limiter.process(dry, {}).samples
    limited = limiter.process(dry, {"threshold_db": -20.0}).samples

    def crest_db(x: np.ndarray) -> float:
        return 20 * math.log10(float(np.max(np.abs(x)))) - _rms_db(x)

    assert crest_db(limited) < crest_db(untouched) - 6
    assert np.max(np.abs(limited)) <= 1.0 + 1e-6


def test_bitcrush_quantises() -> None:
    dry = as_audio(sine(440, level_db=-1))
    crushed = BuiltinEffect("bitcrush").process(dry, {"bit_depth": 3.0}).samples
    steps = crushed * 2 ** 3  # 3 bits: every sample a multiple of 1/8
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-4)
    assert len(np.unique(np.round(crushed, 5))) <= 2 * 2 ** 3 + 1
    assert np.max(np.abs(crushed - dry.samples)) > 0.03


# --- VST3 backend ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vst3_eq():
    from stito_core.effects.vst3 import Vst3Effect
    return Vst3Effect(str(ZAM_EQ2_VST3))


@needs_vst3
def test_vst3_parameters_are_discovered_with_units(vst3_eq) -> None:
    specs = {p.name: p for p in vst3_eq.parameters}
    assert vst3_eq.name == "zam_eq2"
    assert specs["boost_cut_1_db"].unit == "dB" and specs["frequency_1_hz"].unit == "Hz"
    assert (specs["boost_cut_1_db"].minimum, specs["boost_cut_1_db"].maximum) == (-50, 20)
    assert (specs["frequency_1_hz"].minimum, specs["frequency_1_hz"].maximum) == (20, 14000)
    assert not {"bypass", "buffer_size_frames", "sample_rate_frames"} & set(specs)
    assert all(p.check() is None and p.minimum <= p.default <= p.maximum for p in vst3_eq.parameters)


@needs_vst3
def test_vst3_boost_raises_its_band(vst3_eq) -> None:
    audio = as_audio(_stereo_noise())
    flat = vst3_eq.process(audio, {"boost_cut_1_db": 0.0, "frequency_1_hz": 1000.0}).samples
    boosted = vst3_eq.process(audio, {"boost_cut_1_db": 12.0, "frequency_1_hz": 1000.0}).samples
    assert boosted.shape == audio.samples.shape
    band, far = (900, 1100), (5000, 10000)
    assert _tilt_db(boosted, band, far) - _tilt_db(flat, band, far) > 6
    np.testing.assert_array_equal(  # each call starts from a reset plugin
        vst3_eq.process(audio, {"boost_cut_1_db": 12.0, "frequency_1_hz": 1000.0}).samples, boosted)


# --- chain-file errors -------------------------------------------------------------------------

def _error(tmp_path: Path, text: str) -> str:
    """The ChainError message of loading ``text`` as a chain file (fails if it loads)."""
    path = tmp_path / "chain.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ChainError) as info:
        load_chain(path)
    message = str(info.value)
    assert "\n" not in message, "errors are one line"
    return message


COMPRESSOR = '[[effect]]\ntype = "builtin"\nkind = "compressor"\n'


def test_a_valid_file_in_tmp_path_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(COMPRESSOR + 'search = {threshold_db = [-40, 0], ratio = true, attack_ms = {min = 1, max = 50, '
                    'scale = "linear"}}\nfixed = {release_ms = 200}\n', encoding="utf-8")
    chain = load_chain(path)
    assert chain.name == "mine"
    assert [p.name for p in chain.parameters] == ["threshold_db", "ratio", "attack_ms"]
    assert (chain.parameters[0].minimum, chain.parameters[2].scale) == (-40, Scale.LINEAR)
    assert chain.slots[0].fixed == {"release_ms": 200.0}
    assert chain.slots[0].values([0.0, 1.0, 0.5]) == pytest.approx(
        {"release_ms": 200.0, "threshold_db": -40.0, "ratio": 20.0, "attack_ms": 25.5})


def test_unknown_chain_name_suggests_the_closest(tmp_path: Path) -> None:
    with pytest.raises(ChainError, match=r"unknown chain 'builtn'\. Did you mean 'builtin'\?.*Shipped chains: .*zam"):
        load_chain("builtn")
    with pytest.raises(ChainError, match="chain file not found"):
        load_chain(tmp_path / "absent.toml")


def test_unknown_effect_key(tmp_path: Path) -> None:
    message = _error(tmp_path, '[[effect]]\ntype = "builtin"\nknd = "compressor"\n')
    assert "chain.toml: effect[1]: unknown key 'knd'. Did you mean 'kind'?" in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    assert "unknown key 'effects'. Did you mean 'effect'?" in _error(tmp_path, '[[effects]]\ntype = "builtin"\n')


def test_unknown_type(tmp_path: Path) -> None:
    message = _error(tmp_path, '[[effect]]\ntype = "vst"\npath = "/x.vst3"\n')
    assert "unknown type 'vst'. Did you mean 'vst3'?" in message and "Valid: builtin, vst3, au, ladspa" in message


def test_missing_kind_and_unknown_kind(tmp_path: Path) -> None:
    assert "missing or empty key 'kind'" in _error(tmp_path, '[[effect]]\ntype = "builtin"\n')
    assert "unknown built-in effect 'reverbb'" in _error(tmp_path, '[[effect]]\ntype = "builtin"\nkind = "reverbb"\n')


def test_no_effects(tmp_path: Path) -> None:
    assert "needs at least one [[effect]] table" in _error(tmp_path, 'name = "empty"\n')


def test_unknown_parameter_in_search(tmp_path: Path) -> None:
    message = _error(tmp_path, COMPRESSOR + 'search = ["treshold_db"]\n')
    assert "unknown parameter 'treshold_db'. Did you mean 'threshold_db'?" in message
    assert "Valid: threshold_db, ratio, attack_ms, release_ms" in message


def test_unknown_parameter_in_fixed(tmp_path: Path) -> None:
    assert "unknown parameter 'ration'. Did you mean 'ratio'?" in _error(tmp_path, COMPRESSOR + "fixed = {ration = 4}\n")


def test_search_range_outside_the_plugin_range(tmp_path: Path) -> None:
    message = _error(tmp_path, COMPRESSOR + "search = {threshold_db = [-100, 0]}\n")
    assert "search.threshold_db = [-100, 0] leaves the plugin's range -60..0 dB" in message


def test_fixed_value_outside_the_plugin_range(tmp_path: Path) -> None:
    assert "fixed.ratio = 50 is outside 1..20" in _error(tmp_path, COMPRESSOR + "fixed = {ratio = 50}\n")


@pytest.mark.parametrize(("search", "problem"), [
    ("{threshold_db = [0, -60]}", "minimum 0 must be below maximum -60"),
    ('{threshold_db = {min = -60, max = -1, scale = "log"}}', "log-scaled range must be above 0"),
    ('{ratio = {min = 1, max = 4, scale = "cubic"}}', "search.ratio.scale must be 'linear' or 'log'"),
    ("{ratio = [1, 2, 3]}", "search.ratio: give true, [min, max] or {min, max, scale}"),
    ("{ratio = {lo = 1}}", "search.ratio: give true, [min, max] or {min, max, scale}"),
    ('"ratio"', "'search' must be a list of parameter names or a table"),
])
def test_bad_search_entries(tmp_path: Path, search: str, problem: str) -> None:
    assert problem in _error(tmp_path, COMPRESSOR + f"search = {search}\n")


def test_parameter_both_fixed_and_searched(tmp_path: Path) -> None:
    message = _error(tmp_path, COMPRESSOR + 'search = ["ratio"]\nfixed = {ratio = 4}\n')
    assert "'ratio' is both searched and fixed" in message


def test_duplicate_effect_names(tmp_path: Path) -> None:
    message = _error(tmp_path, COMPRESSOR + COMPRESSOR)
    assert "effect name 'compressor' is used twice; give each a distinct 'name'" in message
    load_chain_text = COMPRESSOR + COMPRESSOR.replace('kind = "compressor"\n', 'kind = "compressor"\nname = "comp2"\n')
    (tmp_path / "ok.toml").write_text(load_chain_text, encoding="utf-8")
    assert [s.effect.name for s in load_chain(tmp_path / "ok.toml").slots] == ["compressor", "comp2"]


def test_missing_plugin_paths(tmp_path: Path) -> None:
    missing = tmp_path / "Missing.vst3"
    message = _error(tmp_path, f'[[effect]]\ntype = "vst3"\npath = "{missing}"\n')
    assert f"{missing}: plugin not found" in message
    message = _error(tmp_path, '[[effect]]\ntype = "ladspa"\nlibrary = "no-such-plugin.so"\n')
    assert "LADSPA library 'no-such-plugin.so' not found" in message
    assert "missing or empty key 'path'" in _error(tmp_path, '[[effect]]\ntype = "vst3"\n')


def test_junk_vst3_file(tmp_path: Path) -> None:
    junk = tmp_path / "Junk.vst3"
    junk.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    message = _error(tmp_path, f'[[effect]]\ntype = "vst3"\npath = "{junk}"\n')
    assert f"effect[1]: {junk}: plugin does not load as VST3 or AU" in message


@needs_ladspa
def test_unknown_ladspa_label(tmp_path: Path) -> None:
    message = _error(tmp_path, '[[effect]]\ntype = "ladspa"\nlibrary = "caps.so"\nlabel = "PlateX3"\n')
    assert "caps.so has no LADSPA plugin labelled 'PlateX3'" in message and "PlateX2" in message


def test_invalid_toml(tmp_path: Path) -> None:
    message = _error(tmp_path, '[[effect]]\ntype = "builtin\n')
    assert "chain.toml: not valid TOML" in message


def test_error_names_the_file_and_the_effect_index(tmp_path: Path) -> None:
    message = _error(tmp_path, COMPRESSOR + '[[effect]]\ntype = "builtin"\nkind = "delay"\nsearch = ["mixx"]\n')
    assert message.startswith(f"{tmp_path / 'chain.toml'}: effect[2]: unknown parameter 'mixx'")


# Validation of values inside effect tables.

@pytest.mark.parametrize("search", ['{ratio = ["a", 4]}', '{ratio = {min = "2"}}'])
def test_non_numeric_search_bounds_are_refused(tmp_path: Path, search: str) -> None:
    assert "search.ratio" in _error(tmp_path, COMPRESSOR + f"search = {search}\n")


def test_boolean_fixed_values_are_refused(tmp_path: Path) -> None:
    assert "fixed.ratio" in _error(tmp_path, COMPRESSOR + "fixed = {ratio = true}\n")


def test_effect_name_must_be_a_string(tmp_path: Path) -> None:
    assert "'name'" in _error(tmp_path, COMPRESSOR + "name = 5\n")


@needs_vst3
def test_vst3_meters_are_not_parameters() -> None:
    from stito_core.effects.vst3 import Vst3Effect
    names = {p.name for p in Vst3Effect("/usr/lib/vst3/ZamCompX2.vst3").parameters}
    assert "threshold_db" in names
    assert not {"gain_reduction_db", "output_level_db"} & names


# --- neutral values and bypass -----------------------------------------------------------------

def test_neutral_values_from_the_chain_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(COMPRESSOR + 'neutral = {threshold_db = -10}\n', encoding="utf-8")
    chain = load_chain(path)
    spec = chain.parameters[0]
    assert spec.neutral_value == -10.0 and chain.parameters[1].neutral_value == chain.parameters[1].default
    assert chain.neutral()[0] == pytest.approx(spec.to_normalized(-10.0))
    row = chain.describe(chain.neutral())[0]
    assert (row["value"], row["neutral"], row["enabled"]) == (pytest.approx(-10.0), -10.0, True)


@pytest.mark.parametrize(("table", "expected"), [
    ("neutral = {threshold_db = 5}", "neutral.threshold_db = 5 is outside -60..0 dB"),
    ("neutral = {treshold_db = -3}", "unknown parameter 'treshold_db'. Did you mean 'threshold_db'?"),
    ("fixed = {ratio = 2}\nneutral = {ratio = 1}", "neutral.ratio: the parameter is fixed"),
    ("neutral = 3", "'neutral' must be a table")])
def test_bad_neutral_values_are_refused(tmp_path: Path, table: str, expected: str) -> None:
    assert expected in _error(tmp_path, COMPRESSOR + table + "\n")


def test_a_switched_off_effect_is_skipped_and_reads_neutral() -> None:
    chain = _chain("builtin")
    audio = as_audio(music(1.0, seed=4))
    vector = np.full(len(chain.parameters), 0.9)
    off = [False] * len(chain.slots)
    np.testing.assert_array_equal(chain.render(audio, vector, off).samples, audio.samples)
    rows = chain.describe(vector, off)
    assert all(not r["enabled"] and r["value"] == pytest.approx(r["neutral"], abs=1e-4) for r in rows)
    assert chain.economy(vector, off) == {"effects_on": 0, "neutral_distance": 0.0, "effect_distance": 0.0}
    only_eq = [s.effect.name == "parametric_eq" for s in chain.slots]
    assert chain.economy(vector, only_eq)["effects_on"] == 1
    with pytest.raises(ChainError, match="has 6 effects, got 2 on/off flags"):
        chain.render(audio, vector, [True, False])


def test_the_builtin_reverb_at_its_neutral_width_adds_no_side_to_a_dual_mono_stem() -> None:
    chain = _chain("builtin")
    audio = as_audio(music(1.0, seed=5, channels=1).repeat(2, axis=0))
    names = [(p.effect, p.name) for p in chain.parameters]
    only_reverb = [s.effect.name == "reverb" for s in chain.slots]

    def side_to_mid_db(width: float) -> float:
        vector = chain.neutral()
        vector[names.index(("reverb", "wet_level"))] = 0.4
        vector[names.index(("reverb", "room_size"))] = 0.8
        vector[names.index(("reverb", "width"))] = width
        left, right = chain.render(audio, vector, only_reverb).samples.astype(np.float64)
        return 10 * math.log10((np.mean(((left - right) / 2) ** 2) + 1e-20) / np.mean(((left + right) / 2) ** 2))

    assert chain.neutral()[names.index(("reverb", "width"))] == 0.0
    assert side_to_mid_db(0.0) < -60 and side_to_mid_db(1.0) > -30  # widening has to be searched for


# --- attribute groups ---------------------------------------------------------------------------

def test_each_builtin_effect_is_for_its_attribute_groups() -> None:
    """What a match auditions each effect on: an EQ on tone, a compressor on dynamics, a reverb on space
    (not width: it must not be switched on to fake a wider image), the width stage on width; an effect the
    chain file says nothing about keeps its own."""
    groups = {slot.effect.name: slot.groups for slot in load_chain("builtin").slots}
    assert groups == {"distortion": ("tone", "dynamics"), "compressor": ("dynamics",), "parametric_eq": ("tone",),
                      "delay": ("space",), "reverb": ("space",), "stereo_width": ("width",)}


def test_the_chain_file_names_an_effects_attribute_groups(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(COMPRESSOR + 'attributes = ["dynamics", "tone", "dynamics"]\n', encoding="utf-8")
    assert load_chain(path).slots[0].groups == ("dynamics", "tone")


@pytest.mark.parametrize("value", ['["colour"]', "[]", '"tone"'])
def test_bad_attribute_groups_are_refused(tmp_path: Path, value: str) -> None:
    message = _error(tmp_path, COMPRESSOR + f"attributes = {value}\n")
    assert "effect[1]: attributes" in message and "one or more of tone, dynamics, space, width" in message


# --- stereo width -------------------------------------------------------------------------------

def test_stereo_width_scales_the_side_and_keeps_the_mid() -> None:
    """0 dB is the input exactly; -6 dB halves the side (L - R) and leaves the mid (L + R); a mono input
    stays as it is; streamed in blocks it is the same as whole (it has no state)."""
    width = BuiltinEffect("stereo_width")
    audio = as_audio(music(1.0, seed=5))
    np.testing.assert_array_equal(width.process(audio, {"side_gain_db": 0.0}).samples, audio.samples)
    narrow = width.process(audio, {"side_gain_db": -6.0}).samples
    x = audio.samples.astype(np.float64)
    np.testing.assert_allclose(narrow[0] + narrow[1], x[0] + x[1], atol=1e-6)
    np.testing.assert_allclose(narrow[0] - narrow[1], (x[0] - x[1]) * 10 ** (-6 / 20), atol=1e-6)
    mono = audio.with_samples(audio.samples[:1])
    np.testing.assert_array_equal(width.process(mono, {"side_gain_db": -6.0}).samples, mono.samples)
    blocks = [audio.with_samples(audio.samples[:, i:i + 1000]) for i in range(0, audio.frames, 1000)]
    streamed = np.concatenate([b.samples for b in width.stream(blocks, {"side_gain_db": -6.0})], axis=1)
    np.testing.assert_array_equal(streamed, narrow)
