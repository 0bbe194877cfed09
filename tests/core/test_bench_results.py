"""The "Default metric" section of RESULTS.md: ranking by classification accuracy plus parameter correlation."""

from __future__ import annotations

import math

from stito_core.bench import Report
from stito_core.bench import results


def _reports(accuracy: dict[str, float], rho: dict[str, list[float]]) -> list[Report]:
    classification = {"encoders": {name: {"all": {"accuracy": {"average": acc}}} for name, acc in accuracy.items()}}
    rows = [{"encoders": {name: {"rho": values[i]} for name, values in rho.items()}} for i in range(2)]
    estimation = {"encoders": list(rho), "rows": rows}
    return [Report("style-classification", "", classification), Report("param-estimation", "", estimation)]


def test_the_section_ranks_encoders_and_names_the_winner(monkeypatch) -> None:
    monkeypatch.setattr(results, "BEST_EMBEDDING", "mfcc")
    reports = _reports({"afx-rep": 0.5, "afx-rep-untrained:small": 0.99, "mfcc": 0.7, "mir": 0.9},
                       {"afx-rep": [0.1, 0.3], "afx-rep-untrained:small": [0.9, 0.9], "mfcc": [0.2, math.nan],
                        "mir": [0.5, 0.4]})
    text = "\n".join(results.metric_choice(reports))
    assert "untrained" not in text  # the control is never a candidate
    assert text.index("| mir |") < text.index("| mfcc |") < text.index("| afx-rep |")
    assert "rank `mir` first" in text and "set `BEST_EMBEDDING`" in text and "to `mir`" in text
    monkeypatch.setattr(results, "BEST_EMBEDDING", "mir")
    assert "so this agrees" in "\n".join(results.metric_choice(reports))


def test_no_section_without_both_tasks() -> None:
    assert results.metric_choice(_reports({"mfcc": 0.7}, {"mfcc": [0.1, 0.2]})[:1]) == []
