"""Style-transfer benchmark: the independent signal metrics, the styles, and a quick real run."""

from __future__ import annotations

import numpy as np
import pedalboard as pb
import pytest

from stito_core.audio import Audio
from stito_core.bench import signal_metrics as sm
from stito_core.bench import transfer as tr
from stito_core.bench.data import clips
from stito_core.encoders import DEFAULT_METRIC, load_encoder

RATE = 48000


@pytest.fixture(scope="module")
def music() -> Audio:
    return clips("music", 1, 2.0)[0]


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


def test_bs1770_reference_levels():
    """The standard's filter coefficients at 48 kHz, and a -23 dBFS 1 kHz stereo sine reads -23 LUFS."""
    (b1, a1), (b2, a2) = sm.k_weighting(RATE)
    assert np.allclose(b1, [1.53512485958697, -2.69169618940638, 1.19839281085285])
    assert np.allclose(a1, [1.0, -1.69065929318241, 0.73248077421585])
    assert np.allclose(b2, [1.0, -2.0, 1.0]) and np.allclose(a2, [1.0, -1.99004745483398, 0.99007225036621])
    t = np.arange(5 * RATE) / RATE
    sine = np.stack([10 ** (-23 / 20) * np.sin(2 * np.pi * 1000 * t)] * 2)
    assert sm.integrated_loudness(sine, RATE) == pytest.approx(-23.0, abs=0.05)


def test_gating_ignores_silence_and_quiet_passages(music):
    """Blocks of silence fail the absolute gate, blocks 40 dB down the relative one: adding more of
    either after the same music changes nothing."""
    for gain in (0.0, 0.01):
        tails = [np.pad(music.samples, ((0, 0), (0, seconds * RATE))) for seconds in (3, 6)]
        for tail in tails:
            tail[:, music.frames:] = gain * np.resize(music.samples, (2, tail.shape[1] - music.frames))
        assert sm.integrated_loudness(tails[0], RATE) == pytest.approx(sm.integrated_loudness(tails[1], RATE), abs=0.01)
    assert sm.integrated_loudness(np.zeros((2, RATE)), RATE) == float("-inf")


def test_lowpass_moves_the_centroid_down_and_is_a_distance(music):
    dark = music.with_samples(pb.LowpassFilter(1000.0)(music.samples, RATE))
    assert sm.centroid_difference(dark, music) < -300.0
    scores = sm.compare(dark, music)
    assert scores["mrstft"] > 0.1 and scores["mfcc"] > 1.0
    milder = sm.compare(music.with_samples(pb.LowpassFilter(8000.0)(music.samples, RATE)), music)
    assert milder["mrstft"] < scores["mrstft"] and milder["centroid_hz"] < scores["centroid_hz"]


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


# ---------------------------------------------------------------------------------------- quick run
def test_quick_report_structure(quick):
    report, plot_dir = quick
    assert report.task == "style-transfer" and report.plots == ("transfer.png",)
    assert (plot_dir / "transfer.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = report.data
    assert len(data["transfers"]) == len(tr.QUICK.styles) * len(tr.QUICK.kinds)
    for system in tr.SYSTEMS:
        assert f"| {system} |" in report.table
        assert set(data["means"][system]) == {"similarity", "afx_rep_similarity", *sm.METRICS, "seconds"}
    assert set(data["by_style"]) == set(tr.QUICK.styles)


def test_oracle_beats_input_and_is_zero_from_itself(quick):
    report, _ = quick
    for transfer in report.data["transfers"]:
        oracle = transfer["systems"]["oracle"]
        assert all(oracle[key] == 0.0 for key in sm.METRICS)
        assert transfer["systems"]["input"]["mrstft"] > 0.1
    means = report.data["means"]
    assert means["oracle"]["similarity"] >= means["input"]["similarity"]
    assert means["oracle"]["afx_rep_similarity"] > means["input"]["afx_rep_similarity"] + 0.3


def test_quick_run_is_deterministic(quick):
    report, _ = quick
    first = report.data["transfers"][0]
    again = tr._transfer(first["style"], first["kind"], first["trial"], first["seed"],
                         load_encoder(DEFAULT_METRIC), tr.QUICK, load_encoder())
    for system in tr.SYSTEMS:
        expected = {k: v for k, v in first["systems"][system].items() if k != "seconds"}
        assert {k: v for k, v in again["systems"][system].items() if k != "seconds"} == expected
