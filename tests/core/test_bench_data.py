"""Benchmark content: every kind gives the clips asked for, deterministically, and says what is missing."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from stito_core.bench import data
from stito_core.errors import StitoError

SECONDS = 1.5


@pytest.fixture(scope="module")
def first_clips() -> dict[str, list]:
    """Three clips of every kind with the default seed (rendered into the cache on first use)."""
    return {kind: data.clips(kind, 3, SECONDS) for kind in data.CONTENT_KINDS}


@pytest.mark.parametrize("kind", data.CONTENT_KINDS)
def test_clips_have_the_count_length_and_signal_asked_for(kind, first_clips):
    clips = first_clips[kind]
    assert len(clips) == 3
    for clip in clips:
        assert clip.sample_rate == 48000 and clip.frames == round(SECONDS * 48000)
        assert clip.channels in (1, 2)
        assert np.all(np.isfinite(clip.samples))
        assert clip.peak_db() == pytest.approx(data.PEAK_DB, abs=0.01)
        assert np.sqrt(np.mean(clip.samples**2)) > 0.01  # not silent, not a lone click


@pytest.mark.parametrize("kind", data.CONTENT_KINDS)
def test_clips_of_one_call_are_distinct(kind, first_clips):
    clips = first_clips[kind]
    for i in range(len(clips)):
        for j in range(i):
            assert not np.array_equal(clips[i].samples, clips[j].samples)


@pytest.mark.parametrize("kind", data.CONTENT_KINDS)
def test_same_seed_same_audio_other_seed_other_clips(kind, first_clips):
    again = data.clips(kind, 3, SECONDS)
    other = data.clips(kind, 3, SECONDS, seed=1)
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(first_clips[kind], again))
    assert not any(np.array_equal(a.samples, b.samples) for a, b in zip(first_clips[kind], other))


def test_other_rate_gives_exact_frames():
    clip = data.clips("speech", 1, 0.7, sample_rate=22050)[0]
    assert clip.sample_rate == 22050 and clip.frames == round(0.7 * 22050)


def test_more_clips_than_recordings_come_from_disjoint_parts():
    clips = data.clips("drums", len(data.TAKES) + 4, SECONDS, seed=2)
    assert len({clip.samples.tobytes() for clip in clips}) == len(clips)


def test_unknown_kind_is_refused():
    with pytest.raises(StitoError, match="unknown content kind 'podcast'; valid: speech, music"):
        data.clips("podcast", 1, 1.0)


def test_impossible_requests_are_refused():
    with pytest.raises(StitoError, match="must be positive"):
        data.clips("music", 0, 1.0)
    with pytest.raises(StitoError, match="at most .* distinct clips of 300 s"):
        data.clips("drums", 50, 300.0)


def test_missing_debian_package_names_the_install_command(monkeypatch):
    gone = dataclasses.replace(data.SOURCES[0], root="/nonexistent/stito-test")
    monkeypatch.setattr(data, "SOURCES", (gone, *data.SOURCES[1:]))
    with pytest.raises(StitoError, match=f"apt-get install {gone.debian}"):
        data.clips(gone.kind, 1, 1.0)


def test_missing_python_package_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setenv("STITO_CACHE", str(tmp_path))
    drums = next(source for source in data.SOURCES if source.kind == "drums")
    broken = dataclasses.replace(drums, pypi="stito-missing", module="stito_missing_module")
    monkeypatch.setattr(data, "SOURCES", (broken,))
    with pytest.raises(StitoError, match="pip install stito-missing"):
        data.clips("drums", 1, 1.0)


def test_required_packages_come_from_the_sources():
    packages = data.required_packages()
    assert packages == sorted(packages) and packages
    assert set(packages) == {source.debian for source in data.SOURCES if source.debian}
    assert "pysinsy" in data.required_pip_packages()


@pytest.mark.parametrize("index", range(data.SONG_COUNT))
def test_songs_fill_their_bars_and_end_on_the_tonic(index):
    song = data._compose(index)
    assert all(sum(eighths for _, eighths, _ in bar) == 8 for bar in song.bars)
    last = [pitch for bar in song.bars for pitch, _, _ in bar if pitch is not None][-1]
    assert (last - song.tonic) % 12 == 0
    assert ET.fromstring(data._musicxml(song).split("\n", 1)[1]).tag == "score-partwise"


def test_drum_fills_keep_the_grid():
    for groove in data.GROOVES.values():
        rows = {voice: row for voice, row in groove.items() if voice in data.PAN}
        grid = len(next(iter(rows.values())))
        assert {len(row) for row in rows.values()} == {grid}
        assert {len(row) for row in data._fill(rows, grid).values()} == {grid}


def _spy(calls: list, function):
    """``function``, recording the positional arguments of every call in ``calls`` first."""
    def spy(*args):
        calls.append(args)
        return function(*args)
    return spy


def test_sections_are_disjoint_parts_of_one_recording(monkeypatch):
    """Every section is cut from one recording's files, each from its own part, and they differ."""
    opened, cuts, files = [], [], data._files
    monkeypatch.setattr(data, "_files", _spy(opened, files))
    monkeypatch.setattr(data, "_window", _spy(cuts, data._window))
    parts = data.sections("speech", 3, SECONDS, seed=4)
    assert len(opened) == 1 and {paths for paths, *_ in cuts} == {files(*opened[0])}
    assert [(part, parts) for _, part, parts, *_ in cuts] == [(0, 3), (1, 3), (2, 3)]
    assert len({clip.samples.tobytes() for clip in parts}) == 3
    assert all(clip.frames == round(SECONDS * 48000) for clip in parts)


def test_sections_are_deterministic_for_a_seed():
    first, again = data.sections("music", 2, SECONDS, seed=3), data.sections("music", 2, SECONDS, seed=3)
    assert all(np.array_equal(a.samples, b.samples) for a, b in zip(first, again))
    others = [data.sections("music", 2, SECONDS, seed=seed)[0].samples.tobytes() for seed in range(4, 8)]
    assert first[0].samples.tobytes() not in others


def test_sections_longer_than_every_recording_are_refused():
    with pytest.raises(StitoError, match="no drums recording holds 2 disjoint sections of 300 s"):
        data.sections("drums", 2, 300.0)
