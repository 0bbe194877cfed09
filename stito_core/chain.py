"""A series chain of effects, each with the parameters that are searched and those held fixed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .audio import Audio
from .effects.base import Effect
from .errors import ChainError
from .params import ParameterSpec


@dataclass(frozen=True)
class Slot:
    """One effect in a chain: ``searched`` specs (possibly narrowed ranges) and ``fixed`` values (real units)."""

    effect: Effect
    searched: tuple[ParameterSpec, ...]
    fixed: Mapping[str, float] = field(default_factory=dict)

    def values(self, normalized: Sequence[float]) -> dict[str, float]:
        """Fixed values plus the searched ones mapped from [0, 1] to real units."""
        found = {p.name: p.from_normalized(x) for p, x in zip(self.searched, normalized, strict=True)}
        return {**self.fixed, **found}


class Chain:
    """Effects in series with one ``process``; ``parameters`` are the searched specs in chain order."""

    def __init__(self, name: str, slots: Sequence[Slot], description: str = "") -> None:
        self.name = name
        self.slots = tuple(slots)
        self.description = description
        self.parameters: list[ParameterSpec] = [p for s in self.slots for p in s.searched]

    def render(self, audio: Audio, normalized: Sequence[float]) -> Audio:
        """Run ``audio`` through every effect with ``normalized`` values in [0, 1] (one per parameter)."""
        vector = np.asarray(normalized, dtype=np.float64)
        if vector.shape != (len(self.parameters),):
            msg = f"chain {self.name!r} takes {len(self.parameters)} normalised values, got {vector.size}"
            raise ChainError(msg)
        start, channels = 0, audio.channels
        for slot in self.slots:
            stop = start + len(slot.searched)
            audio = slot.effect.process(audio, slot.values(vector[start:stop]))
            start = stop
        samples = np.nan_to_num(audio.samples, nan=0.0, posinf=0.0, neginf=0.0)
        if samples.shape[0] > channels:  # a mono-in, stereo-out plugin on mono audio: back to mono
            samples = samples.mean(axis=0, keepdims=True)
        return audio.with_samples(samples)

    def process(self, audio: np.ndarray, sample_rate: int, normalized: Sequence[float]) -> np.ndarray:
        """Contract edge: a (channels, frames) or (frames,) float array in, the same layout out."""
        from .audio_io import as_audio

        out = self.render(as_audio(audio, sample_rate), normalized).samples
        return out if np.ndim(audio) == 2 else out[0]

    def defaults(self) -> list[float]:
        """Each searched parameter's default, normalised to [0, 1]."""
        return [p.to_normalized(p.default) for p in self.parameters]

    def describe(self, normalized: Sequence[float]) -> list[dict[str, float | str]]:
        """Parameter-file rows (effect, name, value in unit, normalized, unit) in chain order."""
        return [{"effect": p.effect, "name": p.name, "value": round(p.from_normalized(x), 6),
                 "normalized": round(float(x), 6), "unit": p.unit} for p, x in zip(self.parameters, normalized)]

    def __repr__(self) -> str:
        effects = " -> ".join(s.effect.name for s in self.slots)
        return f"<Chain {self.name!r}: {effects}; {len(self.parameters)} parameters>"
