"""Pretraining effect pool and presets: every effect loads and changes audio; k-means gives K distinct presets."""

from __future__ import annotations

import numpy as np
import pytest

from stito_core.audio import Audio
from stito_core.errors import ChainError
from stito_core.pretrain.pool import CATEGORIES, POOL, PoolEntry, fingerprint, load_effect
from stito_core.pretrain.presets import choose_presets, effect_presets
from stito_core.pretrain.sox import KINDS, SoxEffect
from tests.helpers import music, noise

RATE = 48000


def _test_audio(seconds: float = 0.5) -> Audio:
    """Stereo music plus different noise per channel (so stereo, dynamics and de-essing all have work)."""
    hiss = np.stack([noise(seconds, RATE, seed=2), noise(seconds, RATE, seed=3)])
    return Audio((music(seconds, rate=RATE, seed=1) + 0.2 * hiss).astype(np.float32), RATE)


def _change(a: np.ndarray, b: np.ndarray) -> float:
    """RMS difference of two (channels, frames) signals after peak normalisation."""
    def unit(x: np.ndarray) -> np.ndarray:
        return x / (np.max(np.abs(x)) + 1e-9)
    return float(np.sqrt(np.mean((unit(a) - unit(b)) ** 2)))


@pytest.mark.parametrize("entry", POOL, ids=[e.id for e in POOL])
def test_every_pool_effect_loads_and_changes_audio(entry: PoolEntry) -> None:
    effect = load_effect(entry)
    audio, rng = _test_audio(), np.random.default_rng(0)
    changes = []
    for _ in range(3):
        out = effect.process(audio, effect.sample(rng))
        assert out.sample_rate == RATE and out.frames == audio.frames and np.all(np.isfinite(out.samples))
        changes.append(_change(out.stereo().samples, audio.samples))
    assert max(changes) > 1e-3, f"{entry.id} left the audio unchanged: {changes}"


def test_pool_is_large_diverse_and_free_of_builtins() -> None:
    assert len({e.id for e in POOL}) == len(POOL) >= 30
    assert {e.category for e in POOL} == set(CATEGORIES)
    assert {e.backend for e in POOL} == {"ladspa", "sox"}
    assert {e.package for e in POOL} >= {"tap-plugins", "caps", "swh-plugins", "cmt", "zam-plugins",
                                         "invada-studio-plugins-ladspa", "lsp-plugins-ladspa", "sox"}


def test_samples_stay_in_the_narrowed_ranges() -> None:
    effect = load_effect(next(e for e in POOL if e.id == "zam_comp"))
    rng = np.random.default_rng(1)
    for _ in range(20):
        values = effect.sample(rng)
        assert -50 <= values["threshold_db"] <= 0 and 1 <= values["ratio"] <= 20
    names = {"threshold_db", "ratio", "attack_ms", "release_ms", "knee_db", "makeup_db"}
    assert {s.name for s in effect.specs} == names


def test_a_misspelt_parameter_is_refused_with_the_valid_names() -> None:
    entry = PoolEntry("bad", "eq", "sox", "equalizer", "sox", search={"gain_dB": (-6, 6)})
    with pytest.raises(ChainError, match="gain_dB.*freq_hz"):
        load_effect(entry)


def test_fingerprint_changes_with_a_range() -> None:
    changed = (PoolEntry(**{**POOL[0].__dict__, "search": {"*": (0, 1)}}), *POOL[1:])
    assert fingerprint(changed) != fingerprint()


def test_sox_keeps_length_and_channels() -> None:
    audio = Audio(np.ascontiguousarray(_test_audio().samples[:1]), RATE)
    out = SoxEffect("reverb").process(audio, {"wet_gain_db": 0.0})
    assert out.samples.shape == audio.samples.shape and len(KINDS) >= 10


def test_kmeans_gives_k_distinct_settings() -> None:
    features = np.random.default_rng(0).normal(size=(40, 8))
    chosen = choose_presets(features, 10, seed=0)
    assert len(chosen) == len(set(chosen)) == 10


def test_presets_of_a_real_effect_are_k_distinct_settings() -> None:
    effect = load_effect(next(e for e in POOL if e.id == "sox_equalizer"))
    presets = effect_presets(effect, _test_audio(1.0), settings=24, k=6, seed=0)
    assert len(presets) == 6
    assert len({tuple(sorted(p.items())) for p in presets}) == 6
