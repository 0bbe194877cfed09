"""The MIR-feature baseline: unit-norm halves, level-free features, and features that follow the audio."""

from __future__ import annotations

import numpy as np
import pytest

from stito_core.bench.content import stereo_mix
from stito_core.effects.builtin import BuiltinEffect
from stito_core.encoders import encoder_names, load_encoder
from stito_core.encoders.mir import FEATURES, STANDARD, WIDTH_DB, MirEncoder

SECONDS = 3.0


@pytest.fixture(scope="module")
def mix():
    """Three seconds of the shipped example music and speech, panned apart (stereo, 48 kHz)."""
    return stereo_mix(SECONDS)


def _feature(encoder: MirEncoder, audio, name: str) -> np.ndarray:
    """Raw feature ``name`` of ``audio``, mid and side."""
    return encoder.features([audio])[0, :, FEATURES.index(name)]


def test_load_encoder_gives_the_mir_baseline():
    assert "mir" in encoder_names()
    encoder = load_encoder("mir")
    assert isinstance(encoder, MirEncoder) and encoder.name == "mir"


def test_every_feature_has_a_positive_spread():
    assert set(FEATURES) == set(STANDARD)
    assert all(spread > 0 for _, spread in STANDARD.values())


def test_halves_are_unit_norm_and_finite(mix):
    mono = mix.with_samples(mix.samples[:1])
    emb = MirEncoder().embed_audio([mix, mono, mix.with_samples(mix.samples[:, : 48000])])
    assert emb.shape == (3, 2 * len(FEATURES))
    halves = emb.reshape(3, 2, -1)
    assert np.all(np.isfinite(halves))
    np.testing.assert_allclose(np.linalg.norm(halves, axis=-1), 1.0, atol=1e-5)


def test_a_gain_change_leaves_features_almost_unchanged(mix):
    encoder = MirEncoder()
    quiet = mix.with_samples(mix.samples * 10 ** (-20 / 20))
    np.testing.assert_allclose(encoder.features([quiet]), encoder.features([mix]), atol=1e-3)
    a, b = encoder.embed_audio([mix, quiet])
    assert float(a @ b) / 2 > 0.9999


def test_a_lowpass_lowers_the_centroid_and_rolloff_and_moves_the_embedding(mix):
    encoder = MirEncoder()
    dull = BuiltinEffect("lowpass").process(mix, {"cutoff_hz": 700.0})
    for name in ("centroid_oct", "rolloff_oct"):
        assert np.all(_feature(encoder, dull, name) < _feature(encoder, mix, name) - 0.5), name
    for band in ("band_4000hz_db", "band_8000hz_db"):
        assert np.all(_feature(encoder, dull, band) < _feature(encoder, mix, band) - 6.0), band
    a, b = encoder.embed_audio([mix, dull])
    assert float(a @ b) / 2 < 0.9


def test_a_compressor_narrows_the_dynamics_of_the_mid(mix):
    encoder = MirEncoder()
    squashed = BuiltinEffect("compressor").process(
        mix, {"threshold_db": -40.0, "ratio": 20.0, "attack_ms": 0.5, "release_ms": 50.0})
    for name in ("crest_db", "dynamics_db"):
        assert _feature(encoder, squashed, name)[0] < _feature(encoder, mix, name)[0] - 1.0, name


def test_width_is_measured_on_the_stereo_input(mix):
    encoder = MirEncoder()
    mono = mix.with_samples(mix.samples[:1])
    wide = _feature(encoder, mix, "width_db")
    assert np.all(_feature(encoder, mono, "width_db") == WIDTH_DB[0])
    assert wide[0] == wide[1] and WIDTH_DB[0] < wide[0] < WIDTH_DB[1]
