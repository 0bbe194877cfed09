"""SoX effects as :class:`~stito_core.effects.base.Effect`s, run through the ``sox`` command (Debian ``sox``).

Each kind is data: a one-line meaning, its parameter rows and how values become ``sox`` arguments.
Audio goes through a pipe as raw 32-bit float; the result is trimmed or zero-padded to the input's
length (reverbs and echoes would otherwise add a tail). ``-G`` guards against clipping.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..audio import Audio
from ..effects.base import Effect
from ..errors import ChainError
from ..excerpt import fit_length
from ..params import ParameterSpec, Scale

LOG, LIN = Scale.LOG, Scale.LINEAR
#: (name, minimum, maximum, default, unit, scale); ``effect`` is filled in per instance.
Row = tuple[str, float, float, float, str, Scale]


@dataclass(frozen=True)
class SoxKind:
    """One SoX effect: a one-line meaning, parameter rows and the argument builder."""

    summary: str
    rows: tuple[Row, ...]
    args: Callable[[Mapping[str, float]], list[str]]


def _compand(v: Mapping[str, float]) -> list[str]:
    """compand with a 6 dB soft knee: unity below ``threshold_db``, ``ratio``:1 above it."""
    thr = v["threshold_db"]
    return ["compand", f"{v['attack_ms'] / 1000:.4f},{v['release_ms'] / 1000:.4f}",
            f"6:-90,-90,{thr:.2f},{thr:.2f},0,{thr * (1 - 1 / v['ratio']):.2f}"]


def _g(value: float) -> str:
    """A number as a short sox argument."""
    return f"{value:.4g}"


KINDS: dict[str, SoxKind] = {
    "equalizer": SoxKind(
        "one peaking biquad band",
        (("freq_hz", 40, 16000, 1000, "Hz", LOG), ("q", 0.3, 5, 1, "", LOG), ("gain_db", -18, 18, 0, "dB", LIN)),
        lambda v: ["equalizer", _g(v["freq_hz"]), f"{_g(v['q'])}q", _g(v["gain_db"])]),
    "tone": SoxKind(
        "bass and treble shelving biquads",
        (("bass_db", -18, 18, 0, "dB", LIN), ("bass_freq_hz", 60, 400, 100, "Hz", LOG),
         ("treble_db", -18, 18, 0, "dB", LIN), ("treble_freq_hz", 2000, 12000, 3000, "Hz", LOG)),
        lambda v: ["bass", _g(v["bass_db"]), _g(v["bass_freq_hz"]), "treble", _g(v["treble_db"]),
                   _g(v["treble_freq_hz"])]),
    "highpass": SoxKind(
        "two-pole resonant high-pass",
        (("cutoff_hz", 20, 2000, 100, "Hz", LOG), ("q", 0.5, 2, 0.707, "", LOG)),
        lambda v: ["highpass", "-2", _g(v["cutoff_hz"]), f"{_g(v['q'])}q"]),
    "lowpass": SoxKind(
        "two-pole resonant low-pass",
        (("cutoff_hz", 500, 20000, 8000, "Hz", LOG), ("q", 0.5, 2, 0.707, "", LOG)),
        lambda v: ["lowpass", "-2", _g(v["cutoff_hz"]), f"{_g(v['q'])}q"]),
    "compand": SoxKind(
        "compressor: threshold and ratio with a 6 dB soft knee",
        (("attack_ms", 1, 100, 10, "ms", LOG), ("release_ms", 20, 1000, 200, "ms", LOG),
         ("threshold_db", -50, -5, -20, "dB", LIN), ("ratio", 1.5, 10, 3, "", LOG)),
        _compand),
    "overdrive": SoxKind(
        "non-linear overdrive with a tone colour",
        (("gain_db", 0, 40, 20, "dB", LIN), ("colour", 0, 100, 20, "", LIN)),
        lambda v: ["overdrive", _g(v["gain_db"]), _g(v["colour"])]),
    "chorus": SoxKind(
        "one-voice chorus, sine modulation",
        (("delay_ms", 20, 60, 40, "ms", LIN), ("decay", 0.2, 0.6, 0.4, "", LIN),
         ("speed_hz", 0.1, 2, 0.5, "Hz", LOG), ("depth_ms", 0.5, 4, 2, "ms", LIN)),
        lambda v: ["chorus", "0.7", "0.9", _g(v["delay_ms"]), _g(v["decay"]), _g(v["speed_hz"]),
                   _g(v["depth_ms"]), "-s"]),
    "flanger": SoxKind(
        "flanger with regeneration",
        (("delay_ms", 0, 30, 0, "ms", LIN), ("depth_ms", 0, 10, 2, "ms", LIN), ("regen_pct", -95, 95, 0, "%", LIN),
         ("width_pct", 0, 100, 71, "%", LIN), ("speed_hz", 0.1, 10, 0.5, "Hz", LOG)),
        lambda v: ["flanger", _g(v["delay_ms"]), _g(v["depth_ms"]), _g(v["regen_pct"]), _g(v["width_pct"]),
                   _g(v["speed_hz"])]),
    "phaser": SoxKind(
        "phaser, triangle modulation",
        (("delay_ms", 0.5, 5, 3, "ms", LIN), ("decay", 0.1, 0.5, 0.4, "", LIN), ("speed_hz", 0.1, 2, 0.5, "Hz", LOG)),
        lambda v: ["phaser", "0.8", "0.74", _g(v["delay_ms"]), _g(v["decay"]), _g(v["speed_hz"]), "-t"]),
    "echo": SoxKind(
        "single echo",
        (("delay_ms", 30, 800, 200, "ms", LOG), ("decay", 0.1, 0.7, 0.4, "", LIN)),
        lambda v: ["echo", "0.8", "0.9", _g(v["delay_ms"]), _g(v["decay"])]),
    "reverb": SoxKind(
        "Freeverb-based reverb",
        (("reverberance_pct", 10, 100, 50, "%", LIN), ("hf_damping_pct", 0, 100, 50, "%", LIN),
         ("room_scale_pct", 10, 100, 100, "%", LIN), ("stereo_depth_pct", 0, 100, 100, "%", LIN),
         ("pre_delay_ms", 0, 100, 0, "ms", LIN), ("wet_gain_db", -10, 3, 0, "dB", LIN)),
        lambda v: ["reverb", *(_g(v[name]) for name in ("reverberance_pct", "hf_damping_pct", "room_scale_pct",
                                                         "stereo_depth_pct", "pre_delay_ms", "wet_gain_db"))]),
    "tremolo": SoxKind(
        "amplitude modulation by a sine",
        (("speed_hz", 1, 15, 5, "Hz", LOG), ("depth_pct", 10, 100, 40, "%", LIN)),
        lambda v: ["tremolo", _g(v["speed_hz"]), _g(v["depth_pct"])]),
    "contrast": SoxKind(
        "loudness-enhancing waveshaper (like a compressor/exciter)",
        (("amount", 0, 100, 75, "", LIN),),
        lambda v: ["contrast", _g(v["amount"])]),
}


class SoxEffect(Effect):
    """One :data:`KINDS` entry run by the ``sox`` program; safe from several threads (one process per call)."""

    def __init__(self, kind: str, name: str | None = None) -> None:
        if kind not in KINDS:
            raise ChainError(f"unknown sox effect '{kind}'; valid: {', '.join(KINDS)}")
        if shutil.which("sox") is None:
            raise ChainError("sox effects need the sox program; install it with: sudo apt-get install sox")
        self.kind = kind
        self.name = name or f"sox_{kind}"
        self.parameters = tuple(ParameterSpec(self.name, *row) for row in KINDS[kind].rows)

    def process(self, audio: Audio, values: Mapping[str, float]) -> Audio:
        """Apply the effect with ``values`` (parameter name -> value in its unit); same rate, channels and frames."""
        args = KINDS[self.kind].args(self.resolve(values))
        raw = ["-t", "f32", "-r", str(audio.sample_rate), "-c", str(audio.channels)]
        command = ["sox", "-V1", "-G", *raw, "-", *raw, "-", *args]
        done = subprocess.run(command, input=np.ascontiguousarray(audio.samples.T, dtype="<f4").tobytes(),
                              capture_output=True, check=False)
        if done.returncode:
            msg = f"{self.name}: sox failed ({' '.join(done.stderr.decode(errors='replace').split())[:200]})"
            raise ChainError(msg)
        out = np.frombuffer(done.stdout, dtype="<f4").reshape(-1, audio.channels).T
        return fit_length(audio.with_samples(np.nan_to_num(out)), audio.frames)
