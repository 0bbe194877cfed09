"""Style-transfer benchmark: the independent signal metrics, the styles, the Matchering peer, the
targets, and a quick real run."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pedalboard as pb
import pytest

from stito_core.audio import Audio
from stito_core.bench import signal_metrics as sm
from stito_core.loudness import integrated_lufs
from stito_core.bench import transfer as tr
from stito_core.bench.data import clips
from stito_core.bench.matchering_peer import match_matchering
from stito_core.encoders import load_encoder
from stito_core.errors import StitoError

RATE = 48000


@pytest.fixture(scope="module")
def music() -> Audio:
    return clips("music", 1, 2.0)[0]


@pytest.fixture(scope="module")
def speech() -> Audio:
    return clips("speech", 1, 2.0)[0]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    plot_dir = tmp_path_factory.mktemp("plots")
    return tr.run_transfer(quick=True, plot_dir=plot_dir), plot_dir


# ------------------------------------------------------------------------------------ signal metrics
def test_identical_signals_score_zero(music):
    assert sm.compare(music, music) == {key: 0.0 for key in sm.METRICS}


def test_six_db_louder_is_six_lu(music):
    louder = music.with_samples(music.samples * 10 ** (6 / 20))
    assert sm.loudness_difference(louder, music) == pytest.approx(6.0, abs=0.01)
    assert sm.loudness_difference(music, louder) == pytest.approx(-6.0, abs=0.01)


def test_bs1770_reference_level_and_gating(music):
    """A -23 dBFS 1 kHz stereo sine reads -23 LUFS; silence and passages 40 dB down added after the same
    music fail the gates and change nothing; silence is -inf."""
    t = np.arange(5 * RATE) / RATE
    sine = np.stack([10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)] * 2)
    assert integrated_lufs(sine, RATE) == pytest.approx(-23.0, abs=0.05)
    for gain in (0.0, 0.01):
        tails = [np.pad(music.samples, ((0, 0), (0, seconds * RATE))) for seconds in (3, 6)]
        for tail in tails:
            tail[:, music.frames:] = gain * np.resize(music.samples, (2, tail.shape[1] - music.frames))
        assert integrated_lufs(tails[0], RATE) == pytest.approx(integrated_lufs(tails[1], RATE), abs=0.01)
    assert integrated_lufs(np.zeros((2, RATE)), RATE) == float("-inf")
    assert np.isfinite(integrated_lufs(music.samples[:, : RATE // 10], RATE))  # shorter than a block

def test_lowpass_moves_the_centroid_down_and_is_a_distance(music):
    dark = music.with_samples(pb.LowpassFilter(1000.0)(music.samples, RATE))
    assert sm.centroid_difference(dark, music) < -300.0
    scores = sm.compare(dark, music)
    assert scores["mrstft"] > 0.1 and scores["mfcc"] > 1.0
    milder = sm.compare(music.with_samples(pb.LowpassFilter(8000.0)(music.samples, RATE)), music)
    assert milder["mrstft"] < scores["mrstft"] and milder["centroid_hz"] < scores["centroid_hz"]


def _through(audio: Audio, *effects: pb.Plugin) -> Audio:
    """``audio`` through pedalboard ``effects`` in series."""
    return audio.with_samples(pb.Pedalboard(list(effects))(audio.samples, audio.sample_rate))


def test_a_level_change_moves_no_shape_metric(music):
    louder = music.with_samples(music.samples * 10 ** (6 / 20))
    scores = sm.compare(louder, music)
    assert scores["spectral_db"] < 1e-3 and scores["crest_db"] < 1e-3 and scores["decay_db"] < 1e-3
    assert scores["loudness_lu"] > 5.9


def test_an_eq_tilt_raises_spectral_db_more_than_a_mild_one(music):
    tilt = sm.compare(_through(music, pb.HighShelfFilter(3000.0, 9.0), pb.LowShelfFilter(200.0, -6.0)), music)
    mild = sm.compare(_through(music, pb.HighShelfFilter(3000.0, 2.0)), music)
    assert tilt["spectral_db"] > 3.0 and mild["spectral_db"] < tilt["spectral_db"] / 2
    assert sm.band_levels(music.stereo().samples.astype(np.float64), RATE).size == len(sm.THIRD_OCTAVES_HZ)


def test_a_fast_compressor_lowers_the_crest_factor_a_slow_one_raises_it(music):
    """Peak over RMS: a fast attack holds the peaks down; a slow one lets transients through over a
    lowered body."""
    fast, slow = (_through(music, pb.Compressor(threshold_db=-30.0, ratio=8.0, attack_ms=attack_ms))
                  for attack_ms in (0.05, 30.0))
    assert sm.crest_difference(fast, music) < -3.0 and sm.crest_difference(slow, music) > 3.0
    assert sm.compare(fast, music)["crest_db"] == pytest.approx(-sm.crest_difference(fast, music))


def test_reverb_raises_decay_db_and_more_reverb_raises_it_more(speech):
    small = sm.compare(_through(speech, pb.Reverb(room_size=0.3, wet_level=0.1, dry_level=1.0)), speech)
    large = sm.compare(_through(speech, pb.Reverb(room_size=0.9, wet_level=0.5, dry_level=1.0)), speech)
    assert large["decay_db"] > 4.0 and large["decay_db"] > 1.5 * small["decay_db"]
    assert large["spectral_db"] < large["decay_db"] / 4


def test_mono_and_its_dual_mono_copy_are_the_same(music):
    mono = music.with_samples(music.samples.mean(axis=0, keepdims=True))
    assert sm.compare(mono, mono.stereo()) == {key: 0.0 for key in sm.METRICS}


# ------------------------------------------------------------------------------------------- styles
def test_seven_styles_of_real_plugins_each_change_the_sound():
    assert len(tr.STYLES) >= 7
    assert len(tr.STYLES["channel strip"]) == 5
    clip = clips("speech", 1, 1.0)[0]
    for style in tr.STYLES:
        out = tr.style_chain(style).render(clip, [])
        assert out.frames == clip.frames and np.all(np.isfinite(out.samples))
        assert sm.multi_resolution_stft(tr.peak_normalised(out), clip) > 0.1, style


# --------------------------------------------------------------------------------------- matchering
def test_matchering_moves_the_tonal_balance_towards_the_reference(speech):
    dark = _through(speech, pb.LowpassFilter(1500.0))
    out = match_matchering(speech, dark)
    assert out.channels == 2 and out.sample_rate == speech.sample_rate and out.frames == speech.frames
    assert sm.spectral_balance_distance(out, dark) < 0.8 * sm.spectral_balance_distance(speech, dark)


def test_matchering_is_silent_and_its_refusals_are_stito_errors(speech, capsys):
    match_matchering(speech, _through(speech, pb.Gain(-6.0)))
    assert capsys.readouterr() == ("", "")
    with pytest.raises(StitoError, match="Matchering refused .* TARGET and REFERENCE files are the same"):
        match_matchering(speech, speech)


# ------------------------------------------------------------------------------------------ targets
def _case(style: str, **values: tuple[float, bool]) -> dict:
    """A transfer of ``style`` whose builtin rows are ``effect__name=(value, enabled)``, neutral at 0."""
    rows = [{"effect": key.split("__")[0], "name": key.split("__")[1], "value": value, "neutral": 0.0,
             "enabled": on} for key, (value, on) in values.items()]
    return {"style": style, "builtin_parameters": rows}


def test_a_switched_off_effect_counts_at_neutral():
    check = dict(tr.TARGETS)["lowpass, highpass: delay mix and reverb wet <= 0.05"]
    assert check([_case("lowpass", delay__mix=(0.6, False), reverb__wet_level=(0.02, True))], {}) == (
        "largest 0.020", True)
    assert check([_case("highpass", delay__mix=(0.6, True))], {})[1] is False
    assert check([_case("delay", delay__mix=(0.6, True))], {}) == ("-", None)
    assert tr.applied_value({"value": 4.0}) == 4.0


def test_eq_gains_are_checked_both_ways():
    check = dict(tr.TARGETS)["small room, large hall, delay: every EQ gain within +-3 dB"]
    cut = _case("large hall", parametric_eq__band2_gain_db=(-4.5, True), parametric_eq__band2_freq_hz=(700.0, True))
    assert check([cut], {}) == ("largest 4.500", False)
    assert check([_case("delay", parametric_eq__band2_gain_db=(2.5, True))], {}) == ("largest 2.500", True)


def test_ratio_guards_a_zero_input_distance():
    assert tr.distance_ratio(1.0, 2.0) == 0.5 and tr.distance_ratio(0.0, 0.0) == 1.0
    assert np.isnan(tr.distance_ratio(0.5, 0.0))


def test_unknown_settings_are_refused():
    with pytest.raises(StitoError, match="pairings \\['same-song'\\]; choose one or more of other-recording"):
        tr.check_settings(dataclasses.replace(tr.QUICK, pairings=("same-song",)))


# ---------------------------------------------------------------------------------------- quick run
def test_quick_report_structure(quick):
    report, plot_dir = quick
    assert report.task == "style-transfer" and report.plots == ("transfer.png",)
    assert (plot_dir / "transfer.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data, quick_cases = report.data, len(tr.QUICK.styles) * len(tr.QUICK.kinds)
    assert len(data["transfers"]) == quick_cases * len(tr.PAIRINGS) and set(tr.QUICK.pairings) == set(tr.PAIRINGS)
    assert set(data["summary"]) == set(data["by_style"]) == set(tr.PAIRINGS)
    for pairing, systems in data["summary"].items():
        assert f"Pairing {pairing}" in report.table
        for system in tr.SYSTEMS:
            assert f"| {system} |" in report.table and systems[system]["cases"] == quick_cases
            assert set(systems[system]["distance"]) == set(systems[system]["mean_ratio"]) == set(sm.METRICS)
        assert set(data["by_style"][pairing]) == set(tr.QUICK.styles)
    assert set(tr.HEADINGS) == set(sm.METRICS)


def test_ratios_are_one_for_the_input_and_zero_for_the_oracle(quick):
    report, _ = quick
    for transfer in report.data["transfers"]:
        assert all(value == 1.0 for value in transfer["ratios"]["input"].values())
        assert all(value == 0.0 for value in transfer["ratios"]["oracle"].values())
    input_row = report.data["summary"]["other-recording"]["input"]
    assert input_row["closer"] == 0 and input_row["no_farther"] == input_row["cases"]


def test_economy_and_parameters_are_recorded_for_st_ito(quick):
    report, _ = quick
    summary = report.data["summary"]["same-recording"]
    assert summary["matchering"]["effects_on"] is None and summary["rule-based"]["neutral_distance"] is None
    transfer = report.data["transfers"][0]
    assert set(transfer["economy"]) == set(tr.ST_ITO)
    assert {(row["effect"], row["name"]) for row in transfer["builtin_parameters"]} >= {("delay", "mix"),
                                                                                         ("reverb", "wet_level")}


def test_targets_table_lists_every_target(quick):
    report, _ = quick
    targets = report.data["targets"]
    assert [t["target"] for t in targets] == [text for text, _ in tr.TARGETS]
    assert all(t["met"] in (True, False) for t in targets[:-1]) and targets[-1]["met"] is None  # no reverb style
    assert "| target | value | met |" in report.table
    json.dumps(report.data)  # plain Python values only


def test_oracle_beats_input_and_is_zero_from_itself(quick):
    report, _ = quick
    for transfer in report.data["transfers"]:
        oracle = transfer["systems"]["oracle"]
        assert all(oracle[key] == 0.0 for key in sm.METRICS)
        assert transfer["systems"]["input"]["mrstft"] > 0.1
    for summary in report.data["summary"].values():
        assert summary["oracle"]["afx_rep_similarity"] > summary["input"]["afx_rep_similarity"] + 0.3


def test_quick_run_is_deterministic(quick):
    report, _ = quick
    last = report.data["transfers"][-1]
    again = tr._transfer(last["style"], last["kind"], last["pairing"], last["trial"], last["seed"],
                         tr.load_metric(), load_encoder(), tr.QUICK)
    for system in tr.SYSTEMS:
        expected = {k: v for k, v in last["systems"][system].items() if k != "seconds"}
        assert {k: v for k, v in again["systems"][system].items() if k != "seconds"} == expected
    assert again["builtin_parameters"] == last["builtin_parameters"]
