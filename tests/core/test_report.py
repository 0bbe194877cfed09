"""The match report: effects in their plugins' units, attribute moves, and the picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stito_core import load_chain
from stito_core.audio import Audio
from stito_core.picture import draw_report
from stito_core.report import attribute_lines, attribute_moves, effect_lines
from tests.helpers import music


def _setting(chain, values: dict[str, float]) -> tuple[np.ndarray, list[bool]]:
    normalized = chain.neutral()
    keys = [p.key for p in chain.parameters]
    for key, value in values.items():
        i = keys.index(key)
        normalized[i] = chain.parameters[i].to_normalized(value)
    effects = {key.split(".")[0] for key in values}
    return normalized, [slot.effect.name in effects for slot in chain.slots]


def test_effects_are_described_in_their_units() -> None:
    chain = load_chain("builtin")
    normalized, enabled = _setting(chain, {"parametric_eq.high_shelf_gain_db": -9.0,
                                           "parametric_eq.high_shelf_freq_hz": 3200.0,
                                           "parametric_eq.band1_gain_db": 0.2,
                                           "compressor.threshold_db": -22.0, "compressor.ratio": 4.0,
                                           "reverb.wet_level": 0.3})
    lines = effect_lines(chain, normalized, enabled)
    assert lines == ["compressor: threshold -22.0 dB, ratio 4.0:1",
                     "parametric eq: high shelf -9.0 dB at 3.2 kHz",
                     "reverb: wet level 0.30"]
    assert effect_lines(chain, chain.neutral(), [False] * len(chain.slots)) == []


def test_attribute_moves_say_how_far_each_group_went() -> None:
    moves = attribute_moves({"tone": 0.4, "space": 0.0, "width": 0.1}, {"tone": 0.1, "space": 0.0, "width": 0.2})
    assert moves["tone"]["moved"] == pytest.approx(0.75) and moves["space"]["moved"] is None
    assert attribute_lines(moves) == ["tone: 75% of the way to the reference",
                                      "space: already as the reference (nothing to move)",
                                      "width: 100% farther from the reference"]


def test_the_picture_is_a_real_image(tmp_path: Path) -> None:
    import matplotlib.image

    rate = 22050
    dry = Audio(music(2.0, rate=rate, seed=1), rate)
    recordings = {"input": dry, "result": dry.with_samples(dry.samples * 0.5),
                  "reference": Audio(music(2.0, rate=rate, seed=2), rate)}
    path = draw_report(tmp_path / "report.png", recordings, ["reverb: wet level 0.30", "x" * 400])
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (800, 1200)
    assert np.std(pixels[..., :3]) > 0.05 and (pixels[..., :3] < 0.5).mean() > 0.001  # lines and text drawn
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.png"]  # no temporary left
    with pytest.raises(Exception, match="exists"):
        draw_report(path, recordings, [])
