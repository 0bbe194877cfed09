"""Style transfer by inference-time optimisation: the loop that owns ask -> render -> embed -> tell."""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .audio import Audio
from .audio_io import MIN_DURATION_S, as_audio
from .chain import Chain
from .encoders import DEFAULT_METRIC, Encoder, load_encoder
from .errors import CancelledError, SearchError
from .excerpt import loudest_excerpt
from .metric import cosine
from .render import default_workers, render_generation
from .search import Search

#: Length (seconds) of the loudest excerpt of input and reference that the search works on.
EXCERPT_S = 3.0
#: Shortest excerpt (seconds) the search accepts: the shortest audio stito reads.
MIN_EXCERPT_S = MIN_DURATION_S


def check_excerpt(seconds: float) -> float:
    """``seconds`` as a float when it is a finite excerpt length of at least ``MIN_EXCERPT_S``."""
    value = float(seconds) if isinstance(seconds, numbers.Real) and not isinstance(seconds, bool) else math.nan
    if not MIN_EXCERPT_S <= value < math.inf:
        raise SearchError(f"excerpt length {seconds!r}: expected a number of seconds of at least {MIN_EXCERPT_S:g}")
    return value


@dataclass(frozen=True)
class Progress:
    """Reported after every generation: iteration (1-based) of at most ``max_iter``, best similarity so far."""

    iteration: int
    max_iter: int
    best_similarity: float
    evaluations: int
    elapsed_s: float


@dataclass
class MatchResult:
    """A finished match: found parameters (parameter-file rows), full-length processed audio and the record."""

    parameters: list[dict[str, Any]]
    audio: Audio
    normalized: np.ndarray
    similarity_before: float
    similarity_after: float
    history: list[dict[str, Any]]
    stop: dict[str, Any]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _Clock:
    """Seconds spent per stage of the loop."""

    stages: dict[str, float] = field(default_factory=lambda: {"render_s": 0.0, "embed_s": 0.0, "optimizer_s": 0.0})

    def timed(self, stage: str, fn: Callable[..., Any], *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.stages[stage] += time.perf_counter() - start


def match_audio(source: Audio, reference: Audio, chain: Chain, encoder: Encoder, *,
                excerpt_s: float = EXCERPT_S, workers: int | None = None,
                progress: Callable[[Progress], None] | None = None,
                cancelled: Callable[[], bool] | None = None, **options: Any) -> MatchResult:
    """Search ``chain``'s parameters so that ``source`` sounds like ``reference`` to ``encoder``.

    The search renders the loudest ``excerpt_s`` seconds of the source at the source's own rate (the
    encoder resamples what it embeds), so it judges exactly what the final render of the whole source
    produces: nonlinear effects such as distortion sound different at other rates. ``progress`` is called
    after each generation; ``cancelled`` is polled before each one and stops the search with
    :class:`CancelledError`.
    """
    start, clock = time.perf_counter(), _Clock()
    search = Search(len(chain.parameters), **options)
    excerpt_s = check_excerpt(excerpt_s)
    excerpt = loudest_excerpt(source.stereo(), excerpt_s)
    target = encoder.embed_audio([loudest_excerpt(reference, excerpt_s)])[0]
    before = float(cosine(encoder.embed_audio([excerpt]), target)[0])
    with ThreadPoolExecutor(workers or default_workers()) as pool:
        while not search.stop():
            if cancelled is not None and cancelled():
                raise CancelledError(f"match cancelled after {len(search.history)} generations")
            candidates = clock.timed("optimizer_s", search.ask)
            rendered = clock.timed("render_s", render_generation, chain, excerpt, candidates, pool)
            sims = cosine(clock.timed("embed_s", encoder.embed_audio, rendered), target)
            clock.timed("optimizer_s", search.tell, candidates, sims)
            if progress is not None:
                progress(Progress(len(search.history), search.options["max_iter"], search.best_similarity,
                                  search.result.evaluations, time.perf_counter() - start))
    found = search.result
    audio = clock.timed("render_s", chain.render, source.stereo(), found.best_x)
    return MatchResult(chain.describe(found.best_x), audio, found.best_x, before, found.best_similarity,
                       found.history, found.stop, time.perf_counter() - start, clock.stages)


def match(input_audio: np.ndarray | Audio, reference_audio: np.ndarray | Audio, sample_rate: int | None,
          chain: Chain | str, encoder: Encoder | str | None = None, **options: Any) -> MatchResult:
    """Contract edge: arrays shaped (channels, frames) or (frames,) at ``sample_rate`` Hz (or ``Audio``
    values), a chain or chain name, an encoder or encoder name; options as :func:`match_audio`."""
    from .chains import load_chain

    source = input_audio if isinstance(input_audio, Audio) else as_audio(input_audio, sample_rate, "input")
    reference = reference_audio if isinstance(reference_audio, Audio) else as_audio(reference_audio, sample_rate,
                                                                                    "reference")
    chain = load_chain(chain) if isinstance(chain, str) else chain
    encoder = encoder if isinstance(encoder, Encoder) else load_encoder(encoder or DEFAULT_METRIC)
    return match_audio(source, reference, chain, encoder, **options)
