"""The attribute objective: features that measure production, content tolerances, the price, and loading."""

from __future__ import annotations

import numpy as np
import pedalboard as pb
import pytest

from stito_core import attributes
from stito_core.audio import Audio
from stito_core.errors import SearchError
from stito_core.objective import (CONTENT_SPREAD, DEFAULT_METRIC, AttributeObjective, EmbeddingObjective, Price,
                                  load_objective, metric_names)
from tests.helpers import music

RATE = 22050


@pytest.fixture(scope="module")
def dry() -> Audio:
    return Audio(music(3.0, rate=RATE, seed=2).astype(np.float32), RATE)


def _through(audio: Audio, *plugins: pb.Plugin) -> Audio:
    return audio.with_samples(pb.Pedalboard(list(plugins))(audio.samples, RATE))


def _feature(audio: Audio, name: str) -> float:
    return float(attributes.measure([audio])[0][attributes.NAMES.index(name)])


def test_a_gain_change_moves_no_attribute(dry):
    quieter = dry.with_samples(dry.samples * 0.25)
    assert np.allclose(attributes.measure([quieter]), attributes.measure([dry]), atol=1e-6)


def test_each_attribute_moves_with_its_effect(dry):
    assert _feature(_through(dry, pb.LowpassFilter(1500)), "high_edge_oct") < _feature(dry, "high_edge_oct") - 0.5
    assert _feature(_through(dry, pb.Distortion(25)), "crest_db") < _feature(dry, "crest_db") - 3.0
    squeezed = _through(dry, pb.Compressor(-30, 8, 10, 200))
    assert _feature(squeezed, "level_spread_db") < _feature(dry, "level_spread_db") - 2.0
    hall = _through(dry, pb.Reverb(room_size=0.9, wet_level=0.5))
    assert _feature(hall, "floor_db") > _feature(dry, "floor_db") + 3.0


def test_space_envelopes_ignore_an_eq(dry):
    """Space is measured per band, so a static band gain leaves it where it was."""
    shelf = _through(dry, pb.HighShelfFilter(4000, 9.0))
    space = attributes.MASKS["space"]
    assert np.allclose(attributes.measure([shelf])[0][space], attributes.measure([dry])[0][space], atol=1.5)


def test_differences_within_tolerance_cost_nothing(dry):
    objective = AttributeObjective()
    target = objective.target([dry])
    assert objective.similarity([dry], target)[0] == pytest.approx(1.0)
    nudged = target + 0.9 * attributes.TOLERANCE
    assert objective.similarity([dry], nudged)[0] == pytest.approx(1.0)
    assert objective.similarity([dry], target + 2 * attributes.TOLERANCE)[0] < 1.0


def test_aim_judges_the_change_not_the_excerpt(dry):
    """An excerpt that differs from the whole input, left unprocessed, scores exactly as the whole does."""
    objective = AttributeObjective()
    reference = objective.target([_through(dry, pb.LowpassFilter(1000))])
    whole = objective.target([dry])
    excerpt = dry.with_samples(dry.samples[:, : RATE])
    aim = objective.aim(reference, [excerpt], whole)
    expected = 1 / (1 + objective.distance(whole[None], reference))
    assert objective.similarity([excerpt], aim)[0] == pytest.approx(expected[0])


def test_weights_choose_the_groups(dry):
    dark = _through(dry, pb.LowpassFilter(800))
    target = AttributeObjective().target([dark])
    assert AttributeObjective({"space": 1.0}).similarity([dry], target)[0] > AttributeObjective(
        {"tone": 1.0}).similarity([dry], target)[0]
    with pytest.raises(SearchError, match="unknown attribute group 'colour'"):
        AttributeObjective({"colour": 1.0})
    with pytest.raises(SearchError, match="at least one above 0"):
        AttributeObjective({"tone": 0.0})


def test_price_counts_effects_and_distance():
    price = Price(per_effect=0.01, per_distance=0.5)
    assert price.cost(np.array([0.0, 0.2]), np.array([0, 2])).tolist() == pytest.approx([0.0, 0.12])


def test_load_objective_by_name():
    assert DEFAULT_METRIC == "attributes" and DEFAULT_METRIC in metric_names()
    assert isinstance(load_objective(None), AttributeObjective)
    embedding = load_objective("mfcc")
    assert isinstance(embedding, EmbeddingObjective) and embedding.name == "mfcc"
    assert load_objective(embedding) is embedding


def test_a_restricted_objective_judges_its_groups_and_guards_the_rest(dry):
    """Auditioning an EQ on tone: a width difference the input already has costs nothing, a tone
    difference does, and so does making the width worse than the input's."""
    objective = AttributeObjective({"tone": 1.0, "width": 2.0})
    target = objective.target([dry])
    narrow = target.copy()
    narrow[attributes.NAMES.index("width_db")] -= 10.0
    tone = objective.restricted(["tone", "space"], [dry], narrow)
    assert tone.weights == objective.weights and set(tone.guarded) == {"width"} and tone.guarded["width"] > 0
    assert tone.similarity([dry], narrow)[0] == pytest.approx(1.0)
    assert objective.similarity([dry], narrow)[0] < 0.9
    assert tone.similarity([_through(dry, pb.LowpassFilter(1000))], narrow)[0] < 0.9
    wider = dry.with_samples(np.stack([dry.samples[0], -dry.samples[1]]))
    assert tone.similarity([wider], narrow)[0] < 0.9
    assert objective.restricted(["dynamics"], [dry], target) is None
    embedding = load_objective("mfcc")
    assert embedding.restricted(["tone"], [dry], target) is embedding


def test_a_measure_that_varies_within_a_recording_counts_as_content(dry):
    """A recording whose sections differ in level spread (one plain, one gated every 0.25 s): spreads of that
    size are tolerated, a difference beyond them still costs, a steady recording changes nothing, and the
    widened tolerance carries into a restricted objective; embeddings have no measures to widen."""
    gate = np.where((np.arange(dry.frames) // (RATE // 4)) % 2 == 0, 1.0, 0.03).astype(np.float32)
    varied, steady = [dry, dry.with_samples(dry.samples * gate)], [dry, dry]
    objective = AttributeObjective()
    spread = attributes.NAMES.index("level_spread_db")
    within, (target_of_varied,), target_of_steady = objective.prepare([varied], steady)
    assert np.array_equal(target_of_varied, objective.target(varied))
    assert np.array_equal(target_of_steady, objective.target(steady))
    measured = attributes.measure(varied)[:, spread]
    expected = max(attributes.TOLERANCE[spread], CONTENT_SPREAD * np.std(measured))
    assert within.tolerance[spread] == pytest.approx(expected) and expected > attributes.TOLERANCE[spread]
    assert np.array_equal(objective.prepare([steady], steady)[0].tolerance, attributes.TOLERANCE)
    assert objective.prepare([[dry]], [dry])[0] is objective
    target = objective.target([dry])
    apart = target.copy()
    apart[spread] += 0.9 * expected
    assert within.similarity([dry], apart)[0] == pytest.approx(1.0)
    assert objective.similarity([dry], apart)[0] < 1.0
    apart[spread] += 2.0 * expected
    assert within.similarity([dry], apart)[0] < 1.0
    assert np.array_equal(within.restricted(["dynamics"], [dry], target).tolerance, within.tolerance)
    embedding = load_objective("mfcc")
    assert embedding.prepare([varied], varied)[0] is embedding


def test_width_is_measured_per_band(dry):
    """A band gain moves mid and side of that band alike, so it leaves the width where it was."""
    boosted = _through(dry, pb.LowShelfFilter(300, 12.0))
    assert _feature(boosted, "width_db") == pytest.approx(_feature(dry, "width_db"), abs=0.5)
    narrow = dry.with_samples(np.stack([dry.samples.mean(0) + 0.2 * (dry.samples[0] - dry.samples[1]) / 2,
                                        dry.samples.mean(0) - 0.2 * (dry.samples[0] - dry.samples[1]) / 2]))
    assert _feature(narrow, "width_db") < _feature(dry, "width_db") - 10.0


@pytest.mark.parametrize("size", [1, 2, 7, 300])
def test_the_fast_percentiles_are_numpys(size):
    """The attribute features' percentiles (one partial sort) equal ``np.percentile``'s linear ones."""
    values = np.random.default_rng(size).normal(size=size) * 20
    percents = (3.0, 10, 30, 90, 95)
    np.testing.assert_allclose(attributes._percentiles(values, percents), np.percentile(values, percents),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("frames", [1, attributes.CHUNK_FRAMES, attributes.CHUNK_FRAMES + 3])
def test_the_chunked_spectrogram_is_a_plain_stft(frames):
    """The attribute STFT, computed ``CHUNK_FRAMES`` frames at a time, equals one Hann-windowed power STFT
    of every frame at once, whatever the number of frames (one, a whole chunk, a chunk and a remainder)."""
    frame, hop = 256, 64
    padded = np.random.default_rng(frames).normal(size=frame + hop * (frames - 1)).astype(np.float32)
    expected = np.abs(np.fft.rfft(
        np.lib.stride_tricks.sliding_window_view(padded, frame)[::hop] * np.hanning(frame), axis=-1)) ** 2
    power = attributes._spectrogram(padded, frame, hop)
    assert power.shape == (frames, frame // 2 + 1)
    np.testing.assert_allclose(power, expected, rtol=1e-4, atol=1e-4)
