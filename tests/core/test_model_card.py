"""The model card's benchmark section: the pretraining issue's targets checked against benchmark results."""

from __future__ import annotations

import json
import math
from pathlib import Path

from stito_core.pretrain.model_card import benchmark_section

RESULTS = """# stito benchmark results

## style-classification

| encoder | average |
|---|---|
| afx-rep | 0.900 |

![plot](style_classification.png)

## style-retrieval

retrieval table

## param-estimation

param table

## Embedding ranking

ranking
"""


def _results(folder: Path, afx_accuracy: float, afx_rho: list[float], embed_s: float) -> Path:
    folder.mkdir()
    accuracy = {"afx-rep": afx_accuracy, "mfcc": 0.7, "mir": 0.8}
    (folder / "style-classification.json").write_text(json.dumps(
        {"encoders": {n: {"all": {"accuracy": {"average": a}}} for n, a in accuracy.items()}}))
    rows = [{"paper": [0, 0, 0, 0], "encoders": {"afx-rep": {"rho": r}, "mfcc": {"rho": 0.5}}} for r in afx_rho]
    rows.append({"paper": None, "encoders": {"afx-rep": {"rho": -1.0}, "mfcc": {"rho": 0.9}}})  # not counted
    (folder / "param-estimation.json").write_text(json.dumps({"rows": rows}))
    (folder / "speed.json").write_text(json.dumps({"embed": [{"encoder": "afx-rep", "seconds": embed_s},
                                                             {"encoder": "mfcc", "seconds": 0.3}]}))
    (folder / "RESULTS.md").write_text(RESULTS)
    return folder


def test_targets_met_are_yes_and_the_tables_are_quoted(tmp_path: Path) -> None:
    text = benchmark_section(_results(tmp_path / "r", 0.9, [0.9] * 5 + [0.1], 0.5))
    assert "**no**" not in text and text.count("| yes |") == 4
    assert "| 5 of 6 | yes |" in text and "+0.200" in text
    assert "### style-classification" in text and "### param-estimation" in text and "### Embedding ranking" in text
    assert "retrieval table" in text and "![plot]" not in text


def test_targets_missed_are_marked_and_nan_counts_as_a_loss(tmp_path: Path) -> None:
    text = benchmark_section(_results(tmp_path / "r", 0.8, [0.9] * 4 + [math.nan, 0.1], 0.9))
    assert "| 0.800 (MFCC 0.700, MIR 0.800) | **no** |" in text and "| +0.100 | **no** |" in text
    assert "| 4 of 6 | **no** |" in text and "| 0.90 s (MFCC 0.30 s) | **no** |" in text


def test_without_results_the_section_says_how_to_make_them(tmp_path: Path) -> None:
    assert "run `stito bench all`" in benchmark_section(tmp_path)
