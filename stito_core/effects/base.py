"""The one interface every effect backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping

import numpy as np

from ..attributes import GROUPS
from ..audio import Audio
from ..params import ParameterSpec


class Effect(ABC):
    """An audio effect with a fixed list of parameter specs in real units.

    ``process`` only applies values that someone else chose (pretraining samples them, search
    proposes them). It must be safe to call from several threads at once, so backends keep
    per-call or per-thread plugin instances.
    """

    #: Stable id of this effect inside a chain, e.g. ``"compressor"`` or ``"zam_eq2"``.
    name: str
    #: Every parameter that can be set, in plugin order, with ranges in real units.
    parameters: tuple[ParameterSpec, ...]
    #: The attribute groups (``attributes.GROUPS``) this effect is for: a match auditions it on these
    #: alone, so an EQ is not switched on to fake width or a compressor to fake tone. Unknown plugins: all.
    attributes: tuple[str, ...] = GROUPS

    def parameter_numbers(self) -> dict[str, int]:
        """Each parameter's position (from 0) in ``parameters``."""
        return {p.name: i for i, p in enumerate(self.parameters)}

    def control_numbers(self) -> dict[str, int]:
        """Each parameter's position (from 0) among all the plugin's control ports, output meters
        included, as hosts that number every control port count it (Ardour's OSC surface); for an
        effect without output controls, :meth:`parameter_numbers`."""
        return self.parameter_numbers()

    @abstractmethod
    def process(self, audio: Audio, values: Mapping[str, float]) -> Audio:
        """Apply the effect with ``values`` (parameter name -> value in its unit; missing names take
        their default) and return new audio with the same rate and channel count."""

    def stream(self, blocks: Iterable[Audio], values: Mapping[str, float]) -> Iterator[Audio]:
        """``blocks`` (consecutive pieces of one signal) through the effect with ``values``: one output
        block per input block, the same samples as :meth:`process` of the whole.

        This version gathers every block and processes once (right for any backend, but nothing comes out
        before the last block went in); backends whose plugins carry state from block to block override it.
        """
        pieces = list(blocks)
        if not pieces:
            return
        whole = self.process(pieces[0].with_samples(np.concatenate([b.samples for b in pieces], axis=1)), values)
        bounds = np.cumsum([0, *(b.frames for b in pieces)])
        for start, stop in zip(bounds[:-1], bounds[1:]):
            yield whole.with_samples(whole.samples[:, start:stop])

    def defaults(self) -> dict[str, float]:
        """Parameter name -> default value, in each parameter's unit."""
        return {p.name: p.default for p in self.parameters}

    def resolve(self, values: Mapping[str, float]) -> dict[str, float]:
        """Defaults overridden by ``values``; unknown names are refused with the valid ones listed."""
        known = self.defaults()
        unknown = sorted(set(values) - set(known))
        if unknown:
            from ..errors import ChainError

            msg = f"{self.name}: unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(known)}"
            raise ChainError(msg)
        return {**known, **values}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} with {len(self.parameters)} parameters>"
