"""Parameter estimation benchmark: the statistics, the one-parameter chains, and a quick real run."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from stito_core.bench import param_estimation as pe
from stito_core.bench.data import clips
from stito_core.encoders import load_encoder


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    plot_dir = tmp_path_factory.mktemp("plots")
    return pe.run_param_estimation(quick=True, plot_dir=plot_dir), plot_dir


def test_stats_on_a_small_known_example():
    mse, rho = pe.estimation_stats([0.0, 0.5, 1.0], [0.1, 0.5, 0.7])
    assert mse == pytest.approx((0.01 + 0.0 + 0.09) / 3)
    # covariance 0.3 / sqrt(0.5 * 0.18667): worked by hand
    assert rho == pytest.approx(0.3 / math.sqrt(0.5 * (0.1 / 0.9 + 0.04 / 9 + 0.64 / 9)), rel=1e-9)


def test_stats_edge_cases():
    assert pe.estimation_stats([0.2, 0.4, 0.8], [0.2, 0.4, 0.8]) == (0.0, pytest.approx(1.0))
    assert pe.estimation_stats([0.2, 0.4, 0.8], [0.9, 0.7, 0.3])[1] == pytest.approx(-1.0)
    mse, rho = pe.estimation_stats([0.2, 0.8], [0.5, 0.5])
    assert mse == pytest.approx(0.09) and math.isnan(rho)


def test_fourteen_cases_six_with_paper_figures_and_each_parameter_audible():
    assert len(pe.CASES) == 14 and len({c.label for c in pe.CASES}) == 14
    assert sum(c.paper is not None for c in pe.CASES) == 6
    assert all(c.plugin["type"] == "builtin" for c in pe.CASES if c.paper)
    assert sum(c.plugin["type"] == "ladspa" for c in pe.CASES) == 6
    assert [c.backend for c in pe.CASES if c.plugin["type"] == "lv2"] == ["urn:ardour:a-eq", "urn:ardour:a-comp#stereo"]
    clip = clips("music", 1, 1.0)[0]
    for case in pe.CASES:
        chain = case.chain()
        assert [p.name for p in chain.parameters] == [case.parameter]
        low, high = (chain.render(clip, [x]).samples for x in (0.1, 0.9))
        assert np.all(np.isfinite(low)) and np.all(np.isfinite(high))
        assert np.sqrt(np.mean((high - low) ** 2)) > 1e-3, case.label


def test_quick_report_structure(quick):
    report, plot_dir = quick
    assert report.task == "param-estimation"
    assert report.plots == ("param_estimation.png",)
    assert (plot_dir / "param_estimation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = report.data
    assert [r["label"] for r in data["rows"]] == list(pe.QUICK_CASES)
    assert "mfcc" in data["encoders"]
    for row in data["rows"]:
        assert row["label"] in report.table
        for name in data["encoders"]:
            found = row["encoders"][name]
            assert found["targets"] == list(pe.QUICK.targets)
            assert all(0.0 <= e <= 1.0 for e in found["estimates"])
            mse, _ = pe.estimation_stats(found["targets"], found["estimates"])
            assert found["mse"] == pytest.approx(mse)
    assert "paper AFx-Rep MSE" in report.table and "0.944" in report.table  # the paper's distortion rho


def test_quick_run_is_deterministic(quick):
    report, _ = quick
    case = next(c for c in pe.CASES if c.label == pe.QUICK_CASES[0])
    again = pe._estimate(case, load_encoder("mfcc"), pe._pairs(pe.QUICK), pe.QUICK)
    assert again["estimates"] == report.data["rows"][0]["encoders"]["mfcc"]["estimates"]


def test_search_moves_towards_a_strong_target():
    """Distortion drive at 0.85 of its range: a modest search from 0.5 ends closer to it."""
    case = next(c for c in pe.CASES if c.label == "Distortion drive_db")
    settings = replace(pe.QUICK, targets=(0.85,), popsize=8, max_iter=6)
    found = pe._estimate(case, load_encoder("mfcc"), pe._pairs(settings), settings)
    assert abs(found["estimates"][0] - 0.85) < 0.2
