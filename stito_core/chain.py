"""A series chain of effects, each with the parameters that are searched and those held fixed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .audio import Audio
from .effects.base import Effect
from .errors import ChainError
from .params import ParameterSpec

#: Frames per block of :meth:`Chain.stream` (a multiple of the LADSPA host's block): about 0.7 s at 48 kHz.
STREAM_BLOCK_FRAMES = 32768


def _cleaned(audio: Audio, channels: int) -> Audio:
    """NaN/inf samples as 0, and a mono-in, stereo-out plugin's output on mono audio back to mono."""
    samples = np.nan_to_num(audio.samples, nan=0.0, posinf=0.0, neginf=0.0)
    if samples.shape[0] > channels:
        samples = samples.mean(axis=0, keepdims=True)
    return audio.with_samples(samples)


@dataclass(frozen=True)
class Slot:
    """One effect in a chain: ``searched`` specs (possibly narrowed ranges), ``fixed`` values (real units)
    and the attribute groups it is for (the chain file's ``attributes``; the effect's own when None)."""

    effect: Effect
    searched: tuple[ParameterSpec, ...]
    fixed: Mapping[str, float] = field(default_factory=dict)
    attributes: tuple[str, ...] | None = None

    @property
    def groups(self) -> tuple[str, ...]:
        """The attribute groups this effect is auditioned on."""
        return self.attributes if self.attributes is not None else self.effect.attributes

    def values(self, normalized: Sequence[float]) -> dict[str, float]:
        """Fixed values plus the searched ones mapped from [0, 1] to real units."""
        found = {p.name: p.from_normalized(x) for p, x in zip(self.searched, normalized, strict=True)}
        return {**self.fixed, **found}


class Chain:
    """Effects in series with one ``process``; ``parameters`` are the searched specs in chain order.

    Every effect can be switched off (bypassed): ``enabled`` holds one flag per slot, all on when omitted.
    ``path`` is the chain file it was loaded from (None when built in code).
    """

    def __init__(self, name: str, slots: Sequence[Slot], description: str = "", path: Path | None = None) -> None:
        self.name = name
        self.slots = tuple(slots)
        self.description = description
        self.path = path
        self.parameters: list[ParameterSpec] = [p for s in self.slots for p in s.searched]
        stops = [int(v) for v in np.cumsum([len(s.searched) for s in self.slots])]
        #: (start, stop) of each slot's parameters in the normalised vector.
        self.spans: tuple[tuple[int, int], ...] = tuple(zip([0, *stops[:-1]], stops))
        self._neutral = np.array([p.to_normalized(p.neutral_value) for p in self.parameters], dtype=np.float64)

    def render(self, audio: Audio, normalized: Sequence[float], enabled: Sequence[bool] | None = None) -> Audio:
        """Run ``audio`` through every enabled effect with ``normalized`` values in [0, 1] (one per
        parameter); a switched-off effect is skipped and costs nothing."""
        vector = self._vector(normalized)
        channels = audio.channels
        for slot, values in self._active(vector, enabled):
            audio = slot.effect.process(audio, values)
        return _cleaned(audio, channels)

    def stream(self, audio: Audio, normalized: Sequence[float], enabled: Sequence[bool] | None = None,
               block_frames: int = STREAM_BLOCK_FRAMES) -> Iterator[Audio]:
        """:meth:`render` as consecutive output blocks of ``block_frames`` frames (the last shorter), each
        effect's state carried across blocks: the blocks joined are the render (to float rounding). Lets a
        long render stop between blocks (close the iterator)."""
        vector = self._vector(normalized)
        blocks: Iterator[Audio] = (audio.with_samples(audio.samples[:, i:i + block_frames])
                                   for i in range(0, max(audio.frames, 1), block_frames))
        for slot, values in self._active(vector, enabled):
            blocks = slot.effect.stream(blocks, values)
        try:
            for block in blocks:
                yield _cleaned(block, audio.channels)
        finally:
            blocks.close()  # stopped early: plugin instances are released now, not when collected

    def _vector(self, normalized: Sequence[float]) -> np.ndarray:
        vector = np.asarray(normalized, dtype=np.float64)
        if vector.shape != (len(self.parameters),):
            msg = f"chain {self.name!r} takes {len(self.parameters)} normalised values, got {vector.size}"
            raise ChainError(msg)
        return vector

    def _active(self, vector: np.ndarray, enabled: Sequence[bool] | None) -> list[tuple[Slot, dict[str, float]]]:
        """(slot, its values in real units) for every switched-on effect, in chain order."""
        return [(slot, slot.values(vector[start:stop]))
                for slot, (start, stop), on in zip(self.slots, self.spans, self._enabled(enabled), strict=True) if on]

    def process(self, audio: np.ndarray, sample_rate: int, normalized: Sequence[float]) -> np.ndarray:
        """Contract edge: a (channels, frames) or (frames,) float array in, the same layout out."""
        from .audio_io import as_audio

        out = self.render(as_audio(audio, sample_rate), normalized).samples
        return out if np.ndim(audio) == 2 else out[0]

    def _enabled(self, enabled: Sequence[bool] | None) -> list[bool]:
        """One on/off flag per slot (all on when ``enabled`` is None)."""
        flags = [True] * len(self.slots) if enabled is None else [bool(e) for e in enabled]
        if len(flags) != len(self.slots):
            raise ChainError(f"chain {self.name!r} has {len(self.slots)} effects, got {len(flags)} on/off flags")
        return flags

    def defaults(self) -> list[float]:
        """Each searched parameter's default, normalised to [0, 1]."""
        return [p.to_normalized(p.default) for p in self.parameters]

    def neutral(self) -> np.ndarray:
        """Each searched parameter's neutral value, normalised to [0, 1]: where the search starts."""
        return self._neutral.copy()

    def at_amount(self, normalized: Sequence[float], enabled: Sequence[bool] | None,
                  amount: float) -> tuple[np.ndarray, list[bool]]:
        """A setting moved from neutral toward ``normalized`` by ``amount`` (0: neutral, 1: as given, above 1
        beyond it, clipped to each range), each parameter in its own scale (the normalised 0-1 axis is
        linear in the unit, or in its log for log parameters); at ``amount`` 0 every effect is off."""
        vector, neutral = self._vector(normalized), self.neutral()
        moved = vector.copy() if amount == 1.0 else np.clip(neutral + amount * (vector - neutral), 0.0, 1.0)
        return moved, [on and amount > 0 for on in self._enabled(enabled)]

    def applied(self, normalized: Sequence[float], enabled: Sequence[bool] | None = None) -> np.ndarray:
        """``normalized`` with the parameters of switched-off effects at their neutral values."""
        vector, neutral = np.array(normalized, dtype=np.float64), self.neutral()
        for (start, stop), on in zip(self.spans, self._enabled(enabled)):
            if not on:
                vector[start:stop] = neutral[start:stop]
        return vector

    def describe(self, normalized: Sequence[float], enabled: Sequence[bool] | None = None) -> list[dict[str, Any]]:
        """Parameter-file rows (effect, name, value in unit, normalized, unit, neutral value in unit, whether
        the effect is on) in chain order; a switched-off effect's parameters read their neutral values."""
        flags = [on for (start, stop), on in zip(self.spans, self._enabled(enabled)) for _ in range(start, stop)]
        return [{"effect": p.effect, "name": p.name, "value": round(p.from_normalized(x), 6),
                 "normalized": round(float(x), 6), "unit": p.unit, "neutral": round(float(p.neutral_value), 6),
                 "enabled": on} for p, x, on in zip(self.parameters, self.applied(normalized, enabled), flags)]

    def economy(self, normalized: Sequence[float], enabled: Sequence[bool] | None = None) -> dict[str, float]:
        """How much processing a setting uses: effects switched on, the mean absolute distance of the applied
        parameters from neutral, and the sum over effects of each one's mean distance (normalised 0-1 units;
        0 = untouched)."""
        distance = np.abs(self.applied(normalized, enabled) - self.neutral())
        per_effect = [float(distance[a:b].mean()) for a, b in self.spans if b > a]
        return {"effects_on": sum(self._enabled(enabled)),
                "neutral_distance": float(distance.mean()) if distance.size else 0.0,
                "effect_distance": float(sum(per_effect))}

    def __repr__(self) -> str:
        effects = " -> ".join(s.effect.name for s in self.slots)
        return f"<Chain {self.name!r}: {effects}; {len(self.parameters)} parameters>"
