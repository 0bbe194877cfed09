"""Zero-shot style classification: report structure, determinism, and a baseline above chance."""

from __future__ import annotations

import pytest

from stito_core.bench import bench_encoders, classification, run_task
from stito_core.bench.classification import PAPER, PLOT, SIZES, STYLE_ORDER, Size, make_trials, scores
from stito_core.encoders import load_encoder

QUICK = SIZES[True]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick run with every bench encoder, plots written."""
    plot_dir = tmp_path_factory.mktemp("plots")
    return run_task("style-classification", quick=True, plot_dir=plot_dir), plot_dir


def test_report_has_per_encoder_per_class_accuracies(quick_run):
    report, _ = quick_run
    data = report.data
    assert report.task == "style-classification"
    assert data["trials"] == QUICK.per_style * len(STYLE_ORDER) * 2
    assert list(data["encoders"]) == [e.name for e in bench_encoders()]
    half = data["trials"] // 2
    for name, by_kind in data["encoders"].items():
        for kind, expected in (("speech", half), ("music", half), ("all", data["trials"])):
            result = by_kind[kind]
            assert result["trials"] == expected, (name, kind)
            assert set(result["accuracy"]) == {*STYLE_ORDER, "average"}
            assert all(0.0 <= v <= 1.0 for v in result["accuracy"].values())
            assert sum(map(sum, result["confusion"])) == expected
    assert data["paper"] == PAPER
    assert "| encoder |" in report.table and "0.740" in report.table and "afx-rep (paper)" in report.table


def test_plot_is_a_png_in_the_plot_folder(quick_run):
    report, plot_dir = quick_run
    assert report.plots == (PLOT,)
    assert (plot_dir / PLOT).read_bytes()[:8] == PNG


def test_mfcc_beats_chance_on_the_easy_styles(quick_run):
    accuracy = quick_run[0].data["encoders"]["mfcc"]["all"]["accuracy"]
    assert (accuracy["telephone"] + accuracy["bright"]) / 2 >= 0.5  # chance 0.2
    assert accuracy["average"] > 0.4


def test_a_second_run_gives_identical_numbers(quick_run, monkeypatch):
    """The same trials and audio: the cheap encoders reproduce their numbers exactly."""
    monkeypatch.setattr(classification, "bench_encoders", lambda: [load_encoder("mfcc"), load_encoder("mir")])
    again = classification.run_classification(quick=True)
    assert again.plots == ()
    first = quick_run[0].data
    assert again.data["encoders"] == {k: first["encoders"][k] for k in ("mfcc", "mir")}
    assert {k: v for k, v in again.data.items() if k != "encoders"} == {
        k: v for k, v in first.items() if k != "encoders"}


def test_trials_use_six_distinct_clips_and_balanced_labels():
    trials = make_trials(Size(per_style=3, seconds=1.0, pool=8), kind_index=0)
    assert [t.label for t in trials] == [label for label in range(5) for _ in range(3)]
    assert all(len(set(t.clips)) == 6 and max(t.clips) < 8 for t in trials)


def test_scores_count_per_class_hits_and_confusions():
    result = scores([0, 0, 1, 2, 3, 4], [0, 1, 1, 2, 3, 3])
    assert result["accuracy"]["telephone"] == 0.5 and result["accuracy"]["neutral"] == 0.0
    assert result["accuracy"]["average"] == pytest.approx((0.5 + 1 + 1 + 1 + 0) / 5)
    assert result["confusion"][0] == [1, 1, 0, 0, 0] and result["confusion"][4] == [0, 0, 0, 1, 0]
