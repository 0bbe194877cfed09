"""Loudest excerpt and exact-length fitting."""

from __future__ import annotations

import numpy as np
import pytest

from stito_core.audio import Audio
from stito_core.excerpt import excerpt_bounds, fit_length, loudest_excerpt
from tests.helpers import RATE, music, noise


def _quiet_loud_quiet(loud_at_s: float = 2.0, channels: int = 1) -> Audio:
    """5 s of -50 dBFS noise with 1 s of -6 dBFS noise starting at ``loud_at_s`` seconds."""
    samples = np.tile(noise(seconds=5.0, level_db=-50.0, seed=1), (channels, 1))
    start = int(loud_at_s * RATE)
    samples[-1, start : start + RATE] = noise(seconds=1.0, level_db=-6.0, seed=2)
    return Audio(samples, RATE)


@pytest.mark.parametrize("loud_at_s", [0.0, 1.234, 2.0, 4.0])
def test_loudest_excerpt_finds_the_loud_part(loud_at_s: float):
    audio = _quiet_loud_quiet(loud_at_s)
    hop = RATE // 100

    start, stop = excerpt_bounds(audio, 1.0)

    assert stop - start == RATE
    assert start % hop == 0
    assert abs(start - loud_at_s * RATE) < hop
    excerpt = loudest_excerpt(audio, 1.0)
    np.testing.assert_array_equal(excerpt.samples, audio.samples[:, start:stop])
    assert excerpt.sample_rate == RATE


def test_loudest_excerpt_counts_every_channel():
    audio = _quiet_loud_quiet(3.0, channels=2)  # loud only on the right
    start, _ = excerpt_bounds(audio, 1.0)
    assert abs(start - 3 * RATE) < RATE // 100


def test_window_longer_than_loud_part_contains_it():
    audio = _quiet_loud_quiet(2.0)
    start, stop = excerpt_bounds(audio, 2.5)
    assert start <= 2 * RATE and stop >= 3 * RATE and stop - start == int(2.5 * RATE)


def test_excerpt_shorter_than_a_hop():
    samples = np.zeros((1, RATE), dtype=np.float32)
    samples[0, 30000:30100] = 0.5
    start, stop = excerpt_bounds(Audio(samples, RATE), 100 / RATE)
    assert (start, stop) == (30000, 30100)


def test_excerpt_reaches_the_end_within_a_hop():
    samples = np.full((1, RATE + 7), 0.01, dtype=np.float32)
    samples[0, -RATE // 2 :] = 0.5
    start, stop = excerpt_bounds(Audio(samples, RATE), 0.5)
    assert stop <= samples.shape[1] and stop - start == RATE // 2
    assert samples.shape[1] - stop < RATE // 100


@pytest.mark.parametrize("seconds", [2.0, 3.0])
def test_short_audio_is_returned_unchanged(seconds: float):
    audio = Audio(music(seconds=2.0), RATE)
    assert excerpt_bounds(audio, seconds) == (0, audio.frames)
    assert loudest_excerpt(audio, seconds) is audio


@pytest.mark.parametrize("seconds", [0.0, -1.0])
def test_excerpt_length_must_be_positive(seconds: float):
    with pytest.raises(ValueError, match="positive"):
        excerpt_bounds(Audio(music(seconds=1.0), RATE), seconds)


def test_fit_length_pads_with_zeros_at_the_end():
    audio = Audio(music(seconds=1.0), RATE)

    longer = fit_length(audio, RATE + 500)

    assert longer.samples.shape == (2, RATE + 500) and longer.samples.dtype == np.float32
    np.testing.assert_array_equal(longer.samples[:, :RATE], audio.samples)
    assert not longer.samples[:, RATE:].any()
    assert audio.frames == RATE  # input untouched


def test_fit_length_trims_the_end():
    audio = Audio(music(seconds=1.0), RATE)
    shorter = fit_length(audio, 1000)
    np.testing.assert_array_equal(shorter.samples, audio.samples[:, :1000])


def test_fit_length_same_length_is_unchanged():
    audio = Audio(music(seconds=1.0), RATE)
    assert fit_length(audio, RATE) is audio


def test_fit_length_rejects_negative():
    with pytest.raises(ValueError, match="negative"):
        fit_length(Audio(music(seconds=1.0), RATE), -1)
