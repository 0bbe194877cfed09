"""Reading, checking, resampling and writing audio files."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from stito_core import audio_io
from stito_core.audio import Audio
from stito_core.audio_io import (
    as_audio,
    check_audio,
    check_output_path,
    read_audio,
    resample,
    write_audio,
    write_text_atomic,
)
from stito_core.errors import AudioError
from tests.helpers import band_energy, music, noise, sine, write


def _cut(path: Path, keep: float) -> Path:
    """Truncate the file at ``path`` to ``keep`` of its bytes; returns ``path``."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def _fft_peak_hz(samples: np.ndarray, rate: int) -> float:
    """Frequency in Hz of the strongest FFT bin of mono ``samples``."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[np.argmax(spectrum)])


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [22050, 44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize(
    ("ext", "subtype", "tolerance"),
    [("wav", "FLOAT", 0.0), ("wav", "PCM_16", 1 / 2**15), ("flac", "PCM_24", 1 / 2**23), ("ogg", "VORBIS", None)],
)
def test_read_formats(tmp_path: Path, rate: int, channels: int, ext: str, subtype: str, tolerance: float | None):
    expected = music(seconds=1.0, rate=rate, channels=channels)
    path = tmp_path / f"in.{ext}"
    sf.write(path, expected.T, rate, subtype=subtype)

    audio = read_audio(path)

    assert isinstance(audio, Audio)
    assert audio.samples.dtype == np.float32 and audio.samples.flags.c_contiguous
    assert audio.samples.shape == expected.shape
    assert audio.sample_rate == rate
    if tolerance is not None:
        np.testing.assert_allclose(audio.samples, expected, atol=tolerance, rtol=0)
    else:  # lossy: same waveform per channel, not the same samples
        for got, want in zip(audio.samples, expected):
            assert np.corrcoef(got, want)[0, 1] > 0.99


def test_read_keeps_channel_order(tmp_path: Path):
    left, right = sine(440.0), sine(440.0, level_db=-30.0)
    audio = read_audio(write(tmp_path / "lr.wav", np.stack([left, right])))
    np.testing.assert_array_equal(audio.samples, np.stack([left, right]))


def test_read_resamples_keeping_frequency_and_length(tmp_path: Path):
    path = write(tmp_path / "sine.wav", sine(1000.0, seconds=2.0, rate=44100), rate=44100)

    audio = read_audio(path, sample_rate=48000)

    assert audio.sample_rate == 48000
    assert audio.samples.dtype == np.float32 and audio.channels == 1
    assert abs(audio.frames - 2 * 48000) <= 1
    assert _fft_peak_hz(audio.samples[0], 48000) == pytest.approx(1000.0, abs=1.0)


def test_downsampling_removes_energy_above_new_nyquist():
    rate = 48000
    treble = sum(sine(f, seconds=1.0, rate=rate, level_db=-12.0) for f in (15000.0, 17000.0, 19000.0))
    reference = sine(1000.0, seconds=1.0, rate=rate, level_db=-12.0)

    low = resample(as_audio(treble + reference, rate), 22050)

    steady = low.samples[0, 2205:-2205]  # skip the filter's start and end transients
    steady = steady * np.hanning(steady.size)
    tone = band_energy(steady, 22050, 900.0, 1100.0)
    elsewhere = band_energy(steady, 22050, 0.0, 900.0) + band_energy(steady, 22050, 1100.0, 11026.0)
    assert elsewhere < tone * 1e-10  # aliases of 15-19 kHz would land at 3-7 kHz, far above -100 dB


def test_resample_same_rate_returns_input():
    audio = as_audio(sine(), 44100)
    assert resample(audio, 44100) is audio


def test_read_accepts_streaming_wav_with_unknown_length(tmp_path: Path):
    """Encoders writing to a pipe put 0xFFFFFFFF in the size fields; that is not truncation."""
    path = tmp_path / "stream.wav"
    sf.write(path, sine(seconds=1.0), 44100, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    data[4:8] = struct.pack("<I", 0xFFFFFFFF)
    at = data.find(b"data")
    data[at + 4 : at + 8] = struct.pack("<I", 0xFFFFFFFF)
    path.write_bytes(bytes(data))

    assert read_audio(path).frames == 44100


def test_read_accepts_wav_missing_its_pad_byte(tmp_path: Path):
    """An odd-sized data chunk should be followed by a pad byte; many writers omit it."""
    path = tmp_path / "odd.wav"
    sf.write(path, sine(seconds=1.0, rate=22051)[:, None], 22051, subtype="PCM_U8")
    data = path.read_bytes()
    assert len(data) % 2 == 0  # libsndfile wrote the pad byte after the 22051-byte data chunk
    path.write_bytes(data[:-1])

    assert read_audio(path).frames == 22051


# --- bad input files -----------------------------------------------------------------------------


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "missing.wav"


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "folder.wav"
    path.mkdir()
    return path


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.wav"
    path.write_text("these are my mixing notes, not audio\n" * 20)
    return path


def _truncated_wav(tmp_path: Path) -> Path:
    path = tmp_path / "cut.wav"
    sf.write(path, music(seconds=2.0).T, 44100, subtype="PCM_16")
    return _cut(path, 0.5)


def _truncated_flac(tmp_path: Path) -> Path:
    path = tmp_path / "cut.flac"
    sf.write(path, music(seconds=2.0).T, 44100)
    return _cut(path, 0.5)


def _truncated_mp3(tmp_path: Path) -> Path:
    path = tmp_path / "cut.mp3"
    sf.write(path, music(seconds=2.0).T, 44100)
    return _cut(path, 0.5)


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros((0, 2), dtype=np.float32), 44100)
    return path


def _zeros(tmp_path: Path) -> Path:
    return write(tmp_path / "zeros.wav", np.zeros(44100, dtype=np.float32))


def _hiss(tmp_path: Path) -> Path:
    return write(tmp_path / "hiss.wav", noise(level_db=-100.0))


def _short(tmp_path: Path) -> Path:
    return write(tmp_path / "blip.wav", sine(seconds=0.3))


def _six_channels(tmp_path: Path) -> Path:
    return write(tmp_path / "surround.wav", np.stack([sine()] * 6))


def _nan(tmp_path: Path) -> Path:
    samples = sine()
    samples[1000:1003] = np.nan
    return write(tmp_path / "nan.wav", samples)


@pytest.mark.parametrize(
    ("make", "keyword"),
    [
        (_missing, "not found"),
        (_directory, "directory"),
        (_text, "not an audio file"),
        (_truncated_wav, "truncated"),
        (_truncated_flac, "truncated or corrupt"),
        (_truncated_mp3, "truncated"),
        (_empty, "empty (0 frames)"),
        (_zeros, "silent"),
        (_hiss, "silent"),
        (_short, "0.300 s long; stito needs at least 0.5 s"),
        (_six_channels, "6 channels"),
        (_nan, "3 NaN or infinite samples"),
    ],
)
def test_bad_files_raise_one_line_naming_the_file(tmp_path: Path, make, keyword: str):
    path = make(tmp_path)

    with pytest.raises(AudioError) as caught:
        read_audio(path)

    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert keyword in message
    assert "\n" not in message and "Traceback" not in message


def test_message_names_path_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AudioError, match=r"^\./nope\.wav: file not found"):
        read_audio("./nope.wav")


def test_unreadable_file_is_summarised(tmp_path: Path):
    with pytest.raises(AudioError) as caught:
        read_audio(_text(tmp_path))
    assert "(Format not recognised)" in str(caught.value)
    assert "Error opening" not in str(caught.value)


# --- arrays --------------------------------------------------------------------------------------


def test_as_audio_accepts_mono_vector_and_channel_first():
    mono = as_audio(sine().astype(np.float64), 44100)
    stereo = as_audio(music(seconds=1.0), 44100)

    assert mono.samples.shape == (1, 44100) and mono.samples.dtype == np.float32
    assert stereo.samples.shape == (2, 44100) and stereo.samples.flags.c_contiguous


def test_as_audio_copies_into_contiguous_float32():
    frames_first = np.asfortranarray(music(seconds=1.0))
    audio = as_audio(frames_first, 44100)
    assert audio.samples.flags.c_contiguous
    np.testing.assert_array_equal(audio.samples, frames_first)


@pytest.mark.parametrize("shape", [(44100, 2), (3, 44100), (0, 44100), (1, 2, 44100), ()])
def test_as_audio_rejects_other_shapes(shape: tuple[int, ...]):
    with pytest.raises(AudioError, match=r"^reference: samples shaped .*expected \(frames,\) or \(channels, frames\)"):
        as_audio(np.full(shape, 0.1, dtype=np.float32), 44100, what="reference")


@pytest.mark.parametrize("rate", [0, -44100, 44100.0, True])
def test_as_audio_rejects_bad_rates(rate):
    with pytest.raises(AudioError, match="sample rate"):
        as_audio(sine(), rate)


def test_as_audio_rejects_infinite_samples_naming_the_array():
    samples = sine()
    samples[5] = np.inf
    with pytest.raises(AudioError, match=r"^target: 1 NaN or infinite samples"):
        as_audio(samples, 44100, what="target")


def test_check_audio_rejects_too_many_channels():
    with pytest.raises(AudioError, match=r"^mix: 3 channels"):
        check_audio(Audio(np.stack([sine()] * 3), 44100), "mix")


def test_check_audio_returns_valid_audio_unchanged():
    audio = Audio(music(seconds=0.5), 44100)
    assert check_audio(audio, "mix") is audio


# --- writing -------------------------------------------------------------------------------------


def test_write_round_trip(tmp_path: Path):
    audio = as_audio(music(seconds=1.0), 48000)
    out = tmp_path / "out.wav"

    assert write_audio(out, audio) == 0.0

    info = sf.info(out)
    assert (info.format, info.subtype, info.samplerate) == ("WAV", "PCM_24", 48000)
    np.testing.assert_allclose(read_audio(out).samples, audio.samples, atol=1 / 2**23, rtol=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]


@pytest.mark.parametrize(("name", "fmt", "subtype"), [("out.flac", "FLAC", "PCM_24"), ("out.ogg", "OGG", "VORBIS"),
                                                      ("out.aif", "AIFF", "PCM_24")])
def test_write_picks_format_from_extension(tmp_path: Path, name: str, fmt: str, subtype: str):
    write_audio(tmp_path / name, as_audio(music(seconds=1.0), 44100))
    info = sf.info(tmp_path / name)
    assert (info.format, info.subtype) == (fmt, subtype)


def test_write_float_subtype(tmp_path: Path):
    write_audio(tmp_path / "out.wav", as_audio(music(seconds=1.0), 44100), subtype="FLOAT")
    assert sf.info(tmp_path / "out.wav").subtype == "FLOAT"


def test_write_refuses_existing_file(tmp_path: Path):
    out = tmp_path / "mix.wav"
    out.write_bytes(b"keep me")

    with pytest.raises(AudioError, match=r"mix\.wav: exists; pass --force to overwrite"):
        write_audio(out, as_audio(sine(), 44100))
    assert out.read_bytes() == b"keep me"


def test_write_overwrites_when_asked(tmp_path: Path):
    out = tmp_path / "mix.wav"
    out.write_bytes(b"old")

    write_audio(out, as_audio(sine(), 44100), overwrite=True)

    assert read_audio(out).frames == 44100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mix.wav"]


def test_write_scales_hot_audio_to_headroom(tmp_path: Path):
    hot = as_audio(sine(level_db=6.0), 44100)
    out = tmp_path / "hot.wav"

    gain_db = write_audio(out, hot, subtype="FLOAT")

    assert gain_db == pytest.approx(-6.1, abs=1e-3)
    assert read_audio(out).peak_db() == pytest.approx(-0.1, abs=1e-3)


def test_write_leaves_audio_up_to_0_dbfs_alone(tmp_path: Path):
    full = as_audio(sine(level_db=0.0), 44100)
    assert write_audio(tmp_path / "full.wav", full, subtype="FLOAT") == 0.0
    np.testing.assert_array_equal(read_audio(tmp_path / "full.wav").samples, full.samples)


def test_write_refuses_nan(tmp_path: Path):
    samples = sine()
    samples[10] = np.nan
    with pytest.raises(AudioError, match="NaN"):
        write_audio(tmp_path / "nan.wav", Audio(samples[None, :], 44100))
    assert list(tmp_path.iterdir()) == []


def test_failed_encode_leaves_no_files(tmp_path: Path):
    too_fast = Audio(sine(seconds=1.0)[None, :], 1_000_000)  # FLAC stops at 655350 Hz

    with pytest.raises(AudioError, match=r"out\.flac: cannot write \(.*sample rate"):
        write_audio(tmp_path / "out.flac", too_fast)
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_write_leaves_no_files_and_keeps_old_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    out = tmp_path / "out.wav"
    out.write_bytes(b"previous take")

    def half_written(file, *args, **kwargs):
        Path(file).write_bytes(b"RIFF partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audio_io.sf, "write", half_written)
    with pytest.raises(AudioError, match=r"out\.wav: cannot write \(No space left on device\)"):
        write_audio(out, as_audio(sine(), 44100), overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav"]
    assert out.read_bytes() == b"previous take"


def test_interrupted_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def interrupted(file, *args, **kwargs):
        Path(file).write_bytes(b"RIFF")
        raise KeyboardInterrupt

    monkeypatch.setattr(audio_io.sf, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_audio(tmp_path / "out.wav", as_audio(sine(), 44100))
    assert list(tmp_path.iterdir()) == []


def test_temp_file_is_hidden_next_to_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    seen: list[tuple[Path, str | None]] = []
    real_write = sf.write

    def spy(file, data, rate, format=None, **kwargs):
        seen.append((Path(file), format))
        real_write(file, data, rate, format=format, **kwargs)

    monkeypatch.setattr(audio_io.sf, "write", spy)
    write_audio(tmp_path / "out.flac", as_audio(sine(), 44100))

    (tmp, fmt), = seen
    assert tmp.parent == tmp_path and tmp.name.startswith(".out.flac.") and tmp.name.endswith(".tmp")
    assert fmt == "FLAC"


def test_check_output_path_accepts_new_file(tmp_path: Path):
    assert check_output_path(str(tmp_path / "new.wav")) == tmp_path / "new.wav"


@pytest.mark.parametrize(
    ("name", "keyword"),
    [("no_such_folder/out.wav", "does not exist"), ("out.xyz", "unknown audio extension '.xyz'"),
     ("out", "unknown audio extension ''"), ("out.raw", "unknown audio extension '.raw'")],
)
def test_check_output_path_rejects(tmp_path: Path, name: str, keyword: str):
    with pytest.raises(AudioError) as caught:
        check_output_path(tmp_path / name)
    assert str(caught.value).startswith(f"{tmp_path / name}: ")
    assert keyword in str(caught.value)


def test_check_output_path_rejects_directory(tmp_path: Path):
    with pytest.raises(AudioError, match="is a directory"):
        check_output_path(tmp_path, overwrite=True)


def test_unknown_extension_is_refused_before_writing(tmp_path: Path):
    with pytest.raises(AudioError, match="unknown audio extension"):
        write_audio(tmp_path / "out.xyz", as_audio(sine(), 44100))
    assert list(tmp_path.iterdir()) == []


def test_write_text_atomic(tmp_path: Path):
    out = tmp_path / "params.json"

    write_text_atomic(out, '{"gain_db": -3.0}\n')
    with pytest.raises(AudioError, match=r"params\.json: exists; pass --force"):
        write_text_atomic(out, "{}")
    write_text_atomic(out, '{"gain_db": 1.5}\n', overwrite=True)

    assert out.read_text(encoding="utf-8") == '{"gain_db": 1.5}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.json"]
