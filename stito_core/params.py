"""Parameter specifications: plain data with the normalised [0, 1] mapping."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum


class Scale(str, Enum):
    """How a normalised value in [0, 1] maps onto a parameter's range."""

    LINEAR = "linear"  #: evenly spaced in the parameter's own unit
    LOG = "log"  #: evenly spaced in log(value); minimum and maximum must be > 0


@dataclass(frozen=True)
class ParameterSpec:
    """One controllable parameter of one effect.

    ``minimum``, ``maximum``, ``default`` and ``neutral`` are in the parameter's own ``unit`` (dB, Hz,
    ms, s, ratio, or "" for unitless 0-1 amounts); ``name`` ends with that unit where it has one.
    ``neutral`` is the value at which the parameter leaves the sound alone (0 dB gain, ratio 1, mix 0);
    ``None`` means the default is neutral. The search starts there and pays for moving away from it.
    """

    effect: str
    name: str
    minimum: float
    maximum: float
    default: float
    unit: str = ""
    scale: Scale = Scale.LINEAR
    neutral: float | None = None

    @property
    def neutral_value(self) -> float:
        """The neutral value in ``unit`` (the default when none is declared)."""
        return self.default if self.neutral is None else self.neutral

    @property
    def key(self) -> str:
        """``effect.name``, unique within a chain."""
        return f"{self.effect}.{self.name}"

    def to_normalized(self, value: float) -> float:
        """Map a value in ``unit`` onto [0, 1] (clipped to the range)."""
        lo, hi, v = self.minimum, self.maximum, min(max(value, self.minimum), self.maximum)
        if hi == lo:
            return 0.0
        if self.scale is Scale.LOG:
            return (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo))
        return (v - lo) / (hi - lo)

    def from_normalized(self, normalized: float) -> float:
        """Map a normalised value in [0, 1] (clipped) onto the range, in ``unit``."""
        x = min(max(float(normalized), 0.0), 1.0)
        if self.scale is Scale.LOG:
            return math.exp(math.log(self.minimum) + x * (math.log(self.maximum) - math.log(self.minimum)))
        return self.minimum + x * (self.maximum - self.minimum)

    def with_range(self, minimum: float, maximum: float, scale: Scale | None = None) -> ParameterSpec:
        """A copy searched over [minimum, maximum]; the default and the neutral value are clipped into it."""
        default = min(max(self.default, minimum), maximum)
        neutral = None if self.neutral is None else min(max(self.neutral, minimum), maximum)
        return replace(self, minimum=minimum, maximum=maximum, default=default, scale=scale or self.scale,
                       neutral=neutral)

    def check(self) -> str | None:
        """Why this spec is unusable, or None when it is fine."""
        if not self.minimum < self.maximum:
            return f"{self.key}: minimum {self.minimum:g} must be below maximum {self.maximum:g}"
        if self.scale is Scale.LOG and self.minimum <= 0:
            return f"{self.key}: a log-scaled range must be above 0, got minimum {self.minimum:g} {self.unit}"
        return None
