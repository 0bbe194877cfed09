"""Pedalboard's built-in effects, each described as data: a builder and its parameter specs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pedalboard as pb

from ..audio import Audio
from ..errors import ChainError
from ..params import ParameterSpec, Scale
from ..attributes import GROUPS
from .base import Effect

TONE, DYNAMICS, SPACE = ("tone",), ("dynamics",), ("space",)
#: Open ends (Hz) of the EQ's high-pass and low-pass cutoff ranges, their neutral: a filter left there is
#: left out, so the EQ at neutral is exactly flat.
HIGHPASS_OPEN_HZ, LOWPASS_OPEN_HZ = 20.0, 20000.0
#: First-order sections in series in each of the EQ's pass filters (2: 12 dB per octave, as a producer's
#: channel EQ offers).
PASS_SECTIONS = 2
#: Highest share of the sample rate a filter's cutoff is placed at (pedalboard's first-order filters
#: blow up beyond Nyquist).
MAX_CUTOFF_SHARE = 0.45

LOG = Scale.LOG

#: (name, minimum, maximum, default, unit, scale) rows; ``effect`` is filled in per instance.
Row = tuple[str, float, float, float, str, Scale]


@dataclass(frozen=True)
class BuiltinKind:
    """One built-in effect type: a one-line meaning, its parameter rows, a builder (a pedalboard plugin,
    or stito's own with the same ``process``, from the values in their units and the sample rate in Hz) and
    the attribute groups it is for (see ``Effect.attributes``)."""

    summary: str
    rows: tuple[Row, ...]
    build: Callable[[Mapping[str, float], float], pb.Plugin | _StereoWidth]
    attributes: tuple[str, ...] = GROUPS


def _eq_rows() -> tuple[Row, ...]:
    """Low shelf, four peak bands and a high shelf (gain in dB, centre in Hz, Q), then the high-pass and
    low-pass cutoffs (Hz; neutral at their open ends)."""
    rows: list[Row] = [("low_shelf_gain_db", -18, 18, 0, "dB", Scale.LINEAR),
                       ("low_shelf_freq_hz", 30, 500, 100, "Hz", LOG),
                       ("low_shelf_q", 0.3, 2, 0.707, "", LOG)]
    for band, (lo, hi, centre) in enumerate(((60, 600, 200), (200, 2000, 700), (600, 6000, 2000), (2000, 16000, 6000)), 1):
        rows += [(f"band{band}_gain_db", -18, 18, 0, "dB", Scale.LINEAR),
                 (f"band{band}_freq_hz", lo, hi, centre, "Hz", LOG),
                 (f"band{band}_q", 0.3, 6, 0.707, "", LOG)]
    rows += [("high_shelf_gain_db", -18, 18, 0, "dB", Scale.LINEAR),
             ("high_shelf_freq_hz", 2000, 16000, 8000, "Hz", LOG),
             ("high_shelf_q", 0.3, 2, 0.707, "", LOG),
             ("highpass_hz", HIGHPASS_OPEN_HZ, 2000, HIGHPASS_OPEN_HZ, "Hz", LOG),
             ("lowpass_hz", 1000, LOWPASS_OPEN_HZ, LOWPASS_OPEN_HZ, "Hz", LOG)]
    return tuple(rows)


def _build_eq(v: Mapping[str, float], sample_rate: float) -> pb.Plugin:
    """A Pedalboard of the pass filters away from their open ends, then shelving and peaking biquads, from
    the ``_eq_rows`` values at ``sample_rate`` Hz."""
    def band(cls: type, prefix: str) -> pb.Plugin:
        return cls(cutoff_frequency_hz=v[f"{prefix}_freq_hz"], gain_db=v[f"{prefix}_gain_db"], q=v[f"{prefix}_q"])
    passes = [cls(cutoff_frequency_hz=_below_nyquist(v[name], sample_rate))
              for name, cls, open_hz in (("highpass_hz", pb.HighpassFilter, HIGHPASS_OPEN_HZ),
                                         ("lowpass_hz", pb.LowpassFilter, LOWPASS_OPEN_HZ))
              if not np.isclose(v[name], open_hz, rtol=1e-3) for _ in range(PASS_SECTIONS)]
    peaks = [band(pb.PeakFilter, f"band{i}") for i in range(1, 5)]
    low, high = band(pb.LowShelfFilter, "low_shelf"), band(pb.HighShelfFilter, "high_shelf")
    return pb.Pedalboard([*passes, low, *peaks, high])


def _below_nyquist(cutoff_hz: float, sample_rate: float) -> float:
    """``cutoff_hz`` held at most ``MAX_CUTOFF_SHARE`` of ``sample_rate`` (Hz)."""
    return min(cutoff_hz, MAX_CUTOFF_SHARE * sample_rate)


class _StereoWidth:
    """Mid/side width, stateless: the side signal (L - R) / 2 scaled by ``side_gain_db`` (0 dB leaves the
    audio unchanged, -inf would make it mono); the mid is untouched. Pedalboard has no such plugin; this
    offers its ``process`` signature."""

    def __init__(self, side_gain_db: float) -> None:
        self.side_gain = 10.0 ** (side_gain_db / 20.0)

    def process(self, samples: np.ndarray, sample_rate: float, reset: bool = True) -> np.ndarray:
        """``samples`` (channels, frames) with their side scaled; anything but stereo is returned as it is."""
        if samples.shape[0] != 2 or self.side_gain == 1.0:
            return samples
        mid, side = (samples[0] + samples[1]) / 2, (samples[0] - samples[1]) * (self.side_gain / 2)
        return np.stack([mid + side, mid - side]).astype(samples.dtype, copy=False)

    __call__ = process


KINDS: dict[str, BuiltinKind] = {
    "distortion": BuiltinKind(
        "tanh waveshaper with input drive",
        (("drive_db", 0, 40, 0, "dB", Scale.LINEAR),),
        lambda v, _rate: pb.Distortion(drive_db=v["drive_db"]), TONE + DYNAMICS),
    "compressor": BuiltinKind(
        "feed-forward compressor, hard knee, no make-up gain",
        (("threshold_db", -60, 0, 0, "dB", Scale.LINEAR), ("ratio", 1, 20, 1, "", LOG),
         ("attack_ms", 0.1, 100, 5, "ms", LOG), ("release_ms", 10, 1000, 100, "ms", LOG)),
        lambda v, _rate: pb.Compressor(**v), DYNAMICS),
    "parametric_eq": BuiltinKind("12 dB/octave high-pass and low-pass, low shelf, four peak bands, high shelf "
                                 "(RBJ biquads)", _eq_rows(), _build_eq, TONE),
    "delay": BuiltinKind(
        "feedback delay line mixed with the dry signal",
        (("delay_s", 0.01, 1.0, 0.25, "s", LOG), ("feedback", 0, 0.9, 0, "", Scale.LINEAR),
         ("mix", 0, 1, 0, "", Scale.LINEAR)),
        lambda v, _rate: pb.Delay(delay_seconds=v["delay_s"], feedback=v["feedback"], mix=v["mix"]), SPACE),
    "reverb": BuiltinKind(
        "Freeverb-style algorithmic reverb",
        (("room_size", 0, 1, 0.5, "", Scale.LINEAR), ("damping", 0, 1, 0.5, "", Scale.LINEAR),
         ("wet_level", 0, 1, 0, "", Scale.LINEAR), ("dry_level", 0, 1, 1, "", Scale.LINEAR),
         ("width", 0, 1, 1, "", Scale.LINEAR)),
        lambda v, _rate: pb.Reverb(**v), SPACE),
    "chorus": BuiltinKind(
        "modulated-delay chorus",
        (("rate_hz", 0.1, 10, 1, "Hz", LOG), ("depth", 0, 1, 0.25, "", Scale.LINEAR),
         ("centre_delay_ms", 1, 30, 7, "ms", LOG), ("feedback", 0, 0.9, 0, "", Scale.LINEAR),
         ("mix", 0, 1, 0, "", Scale.LINEAR)),
        lambda v, _rate: pb.Chorus(**v), SPACE),
    "phaser": BuiltinKind(
        "all-pass phaser",
        (("rate_hz", 0.1, 10, 1, "Hz", LOG), ("depth", 0, 1, 0.5, "", Scale.LINEAR),
         ("centre_frequency_hz", 200, 5000, 1300, "Hz", LOG), ("feedback", 0, 0.9, 0, "", Scale.LINEAR),
         ("mix", 0, 1, 0, "", Scale.LINEAR)),
        lambda v, _rate: pb.Phaser(**v), TONE),
    "gain": BuiltinKind("static gain", (("gain_db", -24, 24, 0, "dB", Scale.LINEAR),),
                        lambda v, _rate: pb.Gain(**v), DYNAMICS),
    "highpass": BuiltinKind(
        "first-order high-pass filter",
        (("cutoff_hz", 20, 2000, 20, "Hz", LOG),),
        lambda v, rate: pb.HighpassFilter(cutoff_frequency_hz=_below_nyquist(v["cutoff_hz"], rate)), TONE),
    "lowpass": BuiltinKind(
        "first-order low-pass filter",
        (("cutoff_hz", 500, 20000, 20000, "Hz", LOG),),
        lambda v, rate: pb.LowpassFilter(cutoff_frequency_hz=_below_nyquist(v["cutoff_hz"], rate)), TONE),
    "limiter": BuiltinKind(
        "brick-wall limiter",
        (("threshold_db", -30, 0, 0, "dB", Scale.LINEAR), ("release_ms", 10, 1000, 100, "ms", LOG)),
        lambda v, _rate: pb.Limiter(**v), DYNAMICS),
    "stereo_width": BuiltinKind(
        "mid/side width: the side signal's gain (0 dB unchanged, below narrower, above wider)",
        (("side_gain_db", -24, 12, 0, "dB", Scale.LINEAR),),
        lambda v, _rate: _StereoWidth(v["side_gain_db"]), ("width",)),
    "bitcrush": BuiltinKind(
        "bit-depth reduction",
        (("bit_depth", 2, 16, 16, "bits", Scale.LINEAR),),
        lambda v, _rate: pb.Bitcrush(**v)),
}


class BuiltinEffect(Effect):
    """A pedalboard built-in effect; a fresh plugin object per call keeps it thread-safe."""

    def __init__(self, kind: str, name: str | None = None) -> None:
        if kind not in KINDS:
            msg = f"unknown built-in effect {kind!r}; valid: {', '.join(KINDS)}"
            raise ChainError(msg)
        self.kind = kind
        self.name = name or kind
        self.parameters = tuple(ParameterSpec(self.name, *row) for row in KINDS[kind].rows)
        self.attributes = KINDS[kind].attributes

    def process(self, audio: Audio, values: Mapping[str, float]) -> Audio:
        """Apply the effect; ``values`` are in each parameter's unit."""
        plugin = KINDS[self.kind].build(self.resolve(values), audio.sample_rate)
        return audio.with_samples(plugin(audio.samples, audio.sample_rate))

    def stream(self, blocks: Iterable[Audio], values: Mapping[str, float]) -> Iterator[Audio]:
        """One plugin object over every block, its state (filters, envelopes, tails) carried along: the
        blocks joined are :meth:`process` of the whole (to float rounding)."""
        plugin = None
        for block in blocks:
            if plugin is None:  # built at the first block's rate
                plugin = KINDS[self.kind].build(self.resolve(values), block.sample_rate)
            yield block.with_samples(plugin.process(block.samples, block.sample_rate, reset=False))
