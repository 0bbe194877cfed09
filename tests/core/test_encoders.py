"""Encoders: embedding shape and normalisation, invariances, style over content, checkpoints, loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stito_core import encoders as encoders_module
from stito_core import load_encoder
from stito_core.effects.builtin import BuiltinEffect
from stito_core.encoders import encoder_names
from stito_core.encoders.afx_rep import AfxRepEncoder, AfxRepNet
from stito_core.encoders.configs import CONFIGS, AfxRepConfig
from stito_core.encoders.base import Encoder
from stito_core.encoders.checkpoint import FORMAT, load_checkpoint, save_checkpoint
from stito_core.errors import AudioError, EncoderError
from stito_core.metric import cosine
from tests.helpers import as_audio, music, noise, sine

NAMES = ["mfcc", "afx-rep-untrained:small"]
_ENCODERS: dict[str, Encoder] = {}


def _encoder(name: str) -> Encoder:
    """One encoder per name for the whole session (building the network is the slow part)."""
    if name not in _ENCODERS:
        _ENCODERS[name] = load_encoder(name)
    return _ENCODERS[name]


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    """1 - cosine similarity of two embeddings (0 for identical directions)."""
    return 1.0 - float(cosine(a, b))


def _song(seed: int = 1, rate: int = 44100) -> np.ndarray:
    """1.75 s of the synthetic recording (stereo), cut before its silent tail."""
    return music(2.0, rate=rate, seed=seed)[:, : int(1.75 * rate)]


def _tones(rate: int, freqs: tuple[float, ...] = (440.0, 1250.0, 3000.0)) -> np.ndarray:
    """A 1.5 s mono mix of sines at ``freqs`` (Hz) at ``rate`` Hz."""
    return sum(sine(f, 1.5, rate, level_db=-12.0 - 4 * i) for i, f in enumerate(freqs))


# --- shape and normalisation ---------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("layout", ["mono", "stereo"])
def test_embed_gives_unit_norm_halves(name: str, layout: str) -> None:
    encoder = _encoder(name)
    audio = _song()[0] if layout == "mono" else _song()
    embedding = encoder.embed(audio, 44100)
    assert embedding.ndim == 1 and embedding.dtype == np.float32 and embedding.size % 2 == 0
    mid, side = np.split(embedding, 2)
    assert np.linalg.norm(mid) == pytest.approx(1.0, abs=1e-5)
    assert np.linalg.norm(side) == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.isfinite(embedding))


@pytest.mark.parametrize("name", NAMES)
def test_embed_batch_matches_embed(name: str) -> None:
    encoder = _encoder(name)
    items = [_song(1), _song(2)[0], music(1.0, seed=3)]  # stereo, mono and a different length
    batch = encoder.embed_batch(items, 44100)
    assert batch.shape == (3, encoder.embed(items[0], 44100).size) and batch.dtype == np.float32
    for row, item in zip(batch, items):
        np.testing.assert_allclose(row, encoder.embed(item, 44100), atol=1e-5)
        assert np.linalg.norm(row[: row.size // 2]) == pytest.approx(1.0, abs=1e-5)
    assert _distance(batch[0], batch[1]) > 0  # different audio, different embeddings


def test_embedding_sizes() -> None:
    assert _encoder("mfcc").embed(_song(), 44100).size == 2 * 2 * 20  # mid and side, mean and std of c1..c20
    assert _encoder("afx-rep-untrained:small").embed(_song(), 44100).size == 2 * CONFIGS["small"].embed_dim


@pytest.mark.parametrize("name", NAMES)
def test_embed_checks_its_input(name: str) -> None:
    encoder = _encoder(name)
    with pytest.raises(AudioError, match="silent"):
        encoder.embed(np.zeros(44100, dtype=np.float32), 44100)
    with pytest.raises(AudioError, match="channels"):
        encoder.embed(np.stack([sine()] * 3), 44100)


# --- invariances ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_embedding_ignores_overall_gain(name: str) -> None:
    encoder = _encoder(name)
    song = _song()
    loud, quiet = encoder.embed(song, 44100), encoder.embed(song * 10 ** (-50 / 20), 44100)
    other = encoder.embed(_song(seed=2), 44100)
    # A 50 dB quieter copy embeds like the original, far closer than another recording does.
    assert _distance(loud, quiet) < 1e-3 * _distance(loud, other)


@pytest.mark.parametrize("name", NAMES)
def test_mono_and_dual_mono_embed_the_same(name: str) -> None:
    encoder = _encoder(name)
    mono = _song()[0]
    np.testing.assert_allclose(encoder.embed(mono, 44100), encoder.embed(np.stack([mono, mono]), 44100), atol=1e-6)
    np.testing.assert_allclose(encoder.embed(mono, 44100), encoder.embed(mono[None], 44100), atol=1e-6)


def test_mono_side_is_the_mid_not_silence() -> None:
    """Mono has no side signal; the side half then describes the mid (the MFCC halves are the same
    function), so two mono files do not look alike merely for sharing a silent side."""
    mid, side = np.split(_encoder("mfcc").embed(_song()[0], 44100), 2)
    np.testing.assert_allclose(side, mid, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_stereo_width_changes_the_side_half_only(name: str) -> None:
    encoder = _encoder(name)
    mono = _song()[0]
    wide = np.stack([mono + 0.3 * noise(1.75, seed=4), mono - 0.3 * noise(1.75, seed=4)])
    narrow_mid, narrow_side = np.split(encoder.embed(mono, 44100), 2)
    wide_mid, wide_side = np.split(encoder.embed(wide, 44100), 2)
    # (L + R) / 2 is the same signal (up to float32 rounding); only the side half moves.
    assert _distance(wide_mid, narrow_mid) < 1e-3 * _distance(wide_side, narrow_side)


@pytest.mark.parametrize("name", NAMES)
def test_sample_rate_barely_matters(name: str) -> None:
    encoder = _encoder(name)
    at_44k, at_48k = encoder.embed(_tones(44100), 44100), encoder.embed(_tones(48000), 48000)
    other_mix = encoder.embed(_tones(44100, (300.0, 2000.0, 5000.0)), 44100)
    assert _distance(at_44k, at_48k) < 0.1 * _distance(at_44k, other_mix)


# --- style over content --------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "values"), [
    ("lowpass", {"cutoff_hz": 800.0}),
    ("parametric_eq", {"low_shelf_gain_db": -18.0, "band3_gain_db": 15.0, "band3_freq_hz": 3000.0}),
])
def test_mfcc_hears_the_effect_more_than_the_recording(kind: str, values: dict[str, float]) -> None:
    encoder, effect = _encoder("mfcc"), BuiltinEffect(kind)
    first, second = as_audio(_song(seed=1)), as_audio(_song(seed=2))
    dry = encoder.embed(first.samples, 44100)
    wet_first = encoder.embed(effect.process(first, values).samples, 44100)
    wet_second = encoder.embed(effect.process(second, values).samples, 44100)
    # Two different recordings through the same strong EQ are closer than one recording with and without it.
    assert cosine(wet_first, wet_second) > cosine(wet_first, dry)


# --- checkpoints ---------------------------------------------------------------------------------


def _tiny_net(seed: int = 3) -> AfxRepNet:
    """A small random network with a non-default shape, so the stored config must be used."""
    import torch

    torch.manual_seed(seed)
    config = AfxRepConfig(widths=(8, 16), embed_dim=32, block_depth=1, time_pool=2, pooling="stats")
    return AfxRepNet(config)


def test_checkpoint_round_trip_gives_identical_embeddings(tmp_path: Path) -> None:
    net = _tiny_net()
    path = tmp_path / "model.pt"
    save_checkpoint(path, net, {"steps": 12, "data": "synthetic"}, step=12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]  # no temporary file left

    loaded, payload = load_checkpoint(path)
    assert loaded.config == net.config and not loaded.training
    assert payload["format"] == FORMAT and payload["meta"] == {"steps": 12, "data": "synthetic"}
    assert payload["step"] == 12

    song = _song()
    before = AfxRepEncoder(net).embed(song, 44100)
    encoder = load_encoder(path)
    assert isinstance(encoder, AfxRepEncoder) and encoder.name == "model"
    assert encoder.meta == {"steps": 12, "data": "synthetic"}
    assert encoder.net.config.widths == (8, 16) and encoder.net.config.embed_dim == 32
    after = encoder.embed(song, 44100)
    assert after.size == 64
    np.testing.assert_array_equal(after, before)
    # A different network gives a different embedding, so the equality above means something.
    assert not np.allclose(AfxRepEncoder(_tiny_net(seed=4)).embed(song, 44100), before)


def test_untrained_encoders_are_deterministic() -> None:
    first = load_encoder("afx-rep-untrained:small").embed(_song(), 44100)
    second = load_encoder("afx-rep-untrained:small").embed(_song(), 44100)
    np.testing.assert_array_equal(first, second)


def _junk(tmp_path: Path) -> Path:
    path = tmp_path / "junk.pt"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return path


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.pt"
    path.write_text("not a checkpoint\n")
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.pt"
    path.write_bytes(b"")
    return path


def _foreign(tmp_path: Path) -> Path:
    import torch

    path = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    return path


def _mismatched(tmp_path: Path) -> Path:
    """A stito checkpoint whose weights do not fit its stored configuration."""
    import torch

    path = tmp_path / "mismatched.pt"
    save_checkpoint(path, _tiny_net())
    payload = torch.load(path, weights_only=True)
    payload["config"] = AfxRepConfig(widths=(8, 16, 32), embed_dim=32).to_dict()
    torch.save(payload, path)
    return path


def _no_config(tmp_path: Path) -> Path:
    import torch

    path = tmp_path / "no_config.pt"
    save_checkpoint(path, _tiny_net())
    payload = torch.load(path, weights_only=True)
    del payload["config"]
    torch.save(payload, path)
    return path


@pytest.mark.parametrize(("make", "problem"), [
    (_junk, "not a readable checkpoint"), (_text, "not a readable checkpoint"), (_empty, "not a readable checkpoint"),
    (_foreign, "not a stito AFx-Rep checkpoint"), (_mismatched, "damaged checkpoint"),
    (_no_config, "damaged checkpoint"),
])
def test_bad_checkpoints_raise_one_line(tmp_path: Path, make, problem: str) -> None:
    path = make(tmp_path)
    with pytest.raises(EncoderError) as caught:
        load_encoder(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {problem}")
    assert "\n" not in message and len(message) < 300


@pytest.mark.parametrize("name", ["mfc", "afx-rep-untrained:huge", "no/such/model.pt", ""])
def test_unknown_encoder_names_raise_one_line(name: str) -> None:
    with pytest.raises(EncoderError) as caught:
        load_encoder(name)
    message = str(caught.value)
    assert message.startswith(f"unknown encoder '{name}'") and "\n" not in message
    assert all(valid in message for valid in encoder_names())


def test_a_directory_is_not_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="unknown encoder"):
        load_encoder(tmp_path)


# --- the default encoder -------------------------------------------------------------------------


def test_default_encoder_is_the_shipped_afx_rep_with_unit_norm_halves(capsys: pytest.CaptureFixture[str]) -> None:
    encoder = load_encoder()
    assert isinstance(encoder, AfxRepEncoder) and encoder.name == "afx-rep" and capsys.readouterr().err == ""
    assert encoder.meta["total_steps"] > 0 and encoders_module.SHIPPED_WEIGHTS.stat().st_size < 20e6
    embedding = encoder.embed(_song(), 44100)
    halves = embedding.reshape(2, -1)
    np.testing.assert_allclose(np.linalg.norm(halves, axis=1), 1.0, rtol=1e-5)


def test_missing_shipped_weights_are_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoders_module, "SHIPPED_WEIGHTS", tmp_path / "absent.pt")
    with pytest.raises(EncoderError, match="absent.pt: the shipped AFx-Rep weights are missing"):
        load_encoder(None)


def test_the_best_embedding_is_one_load_encoder_knows() -> None:
    assert encoders_module.BEST_EMBEDDING in encoder_names()
    assert load_encoder(encoders_module.BEST_EMBEDDING).name == encoders_module.BEST_EMBEDDING


def test_shipped_weights_are_loaded_when_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    weights = tmp_path / "afx_rep.pt"
    save_checkpoint(weights, _tiny_net(), {"steps": 1})
    monkeypatch.setattr(encoders_module, "SHIPPED_WEIGHTS", weights)
    encoder = load_encoder()
    assert isinstance(encoder, AfxRepEncoder) and encoder.name == "afx-rep" and encoder.meta == {"steps": 1}
    assert capsys.readouterr().err == ""


def test_an_unknown_pooling_is_refused() -> None:
    with pytest.raises(ValueError, match="pooling 'avg' is not one of panns, stats"):
        AfxRepConfig(pooling="avg")
