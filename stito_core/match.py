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
from .encoders import Encoder
from .errors import CancelledError, SearchError
from .excerpt import excerpt_bounds, loudest_excerpt, outside, sections
from .objective import Objective, Price, load_objective
from .render import default_workers, render_generation
from .search import Search

#: Length (seconds) of the loudest excerpt of input and reference that the search works on.
EXCERPT_S = 3.0
#: Shortest excerpt (seconds) the search accepts: the shortest audio stito reads.
MIN_EXCERPT_S = MIN_DURATION_S
#: Most sections (each ``excerpt_s`` long) of the reference, and of the input, that stand for the whole.
SECTIONS = 8
#: An effect's gate (normalised 0-1) switches it on above ``GATE_ON``; the search starts every gate at
#: ``GATE_START`` (off, within one step size of on).
GATE_ON, GATE_START = 0.5, 0.3
#: Fractions of the way from neutral to the found setting that the do-no-harm check tries, in order.
AMOUNTS = (0.75, 0.5, 0.25)


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
    """A finished match: parameter-file rows, full-length processed audio and the record.

    ``normalized`` holds the applied parameters (0-1; switched-off effects at neutral), ``enabled`` one
    flag per effect; ``economy`` is :meth:`Chain.economy` of the result; ``verification`` says how the
    found setting did on an excerpt of the input the search did not hear (see :func:`verify`).
    """

    parameters: list[dict[str, Any]]
    audio: Audio
    normalized: np.ndarray
    similarity_before: float
    similarity_after: float
    history: list[dict[str, Any]]
    stop: dict[str, Any]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    enabled: list[bool] = field(default_factory=list)
    economy: dict[str, float] = field(default_factory=dict)
    verification: dict[str, Any] = field(default_factory=dict)


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


@dataclass(frozen=True)
class Setting:
    """One point of the search: normalised parameters (0-1) and one on/off flag per effect."""

    normalized: np.ndarray
    enabled: np.ndarray

    @classmethod
    def untouched(cls, chain: Chain) -> Setting:
        """Every effect off, every parameter neutral: the input as it is."""
        return cls(chain.neutral(), np.zeros(len(chain.slots), bool))

    def scaled(self, chain: Chain, amount: float) -> Setting:
        """The parameters moved from neutral toward this setting by ``amount`` (0-1, normalised units)."""
        neutral = chain.neutral()
        return Setting(neutral + amount * (self.normalized - neutral), self.enabled)


@dataclass
class _Problem:
    """What one match scores against: the chain, the objective and its target, the price, and the
    excerpt of the input that the search renders, with the aim for it."""

    chain: Chain
    objective: Objective
    price: Price
    excerpt: Audio
    aim: np.ndarray
    pool: ThreadPoolExecutor
    clock: _Clock

    def scores(self, settings: list[Setting]) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, similarities minus the price) of each setting."""
        params = np.stack([s.normalized for s in settings])
        flags = np.stack([s.enabled for s in settings])
        rendered = self.clock.timed("render_s", render_generation, self.chain, [self.excerpt], params, flags,
                                    self.pool)
        sims = self.clock.timed("embed_s", self.objective.similarity, rendered, self.aim)
        economy = [self.chain.economy(p, f) for p, f in zip(params, flags)]
        price = self.price.cost(np.array([e["effect_distance"] for e in economy]),
                                np.array([e["effects_on"] for e in economy]))
        return sims, sims - price


def _settings(chain: Chain, candidates: np.ndarray, bypass: bool) -> list[Setting]:
    """Search vectors -> settings: the parameters, then one gate per effect (on above ``GATE_ON``)."""
    count = len(chain.parameters)
    gates = candidates[:, count:] > GATE_ON if bypass else np.ones((len(candidates), len(chain.slots)), bool)
    return [Setting(x[:count], g) for x, g in zip(candidates, gates)]


def _start(chain: Chain, bypass: bool) -> np.ndarray:
    """Where the search starts: every parameter neutral and, with ``bypass``, every effect off."""
    gates = [GATE_START] * len(chain.slots) if bypass else []
    return np.concatenate([chain.neutral(), gates])


def _windows(source: Audio, excerpt_s: float) -> tuple[Audio, Audio | None]:
    """(the loudest ``excerpt_s`` seconds, which the search renders; an excerpt of the rest of the input,
    which it does not hear, or None when the rest is shorter than ``MIN_EXCERPT_S``)."""
    bounds = excerpt_bounds(source, excerpt_s)
    unheard = outside(source, bounds)
    if unheard.duration_s >= 2 * excerpt_s:
        unheard = loudest_excerpt(unheard, excerpt_s)
    heard = source.with_samples(source.samples[:, bounds[0]:bounds[1]])
    return heard, unheard if unheard.duration_s >= MIN_EXCERPT_S else None


def _search(problem: _Problem, search: Search, bypass: bool, started: float, neutral: tuple[Setting, float] | None,
            progress: Callable[[Progress], None] | None, cancelled: Callable[[], bool] | None) -> tuple[Setting, float]:
    """Run the ask/tell loop; returns the best setting by score and its similarity. With ``neutral`` (the
    untouched input and its similarity) that is the result unless a candidate beats it; without (the
    paper's search, no bypass) the best candidate searched."""
    best, best_similarity = neutral or (None, -np.inf)
    best_score = best_similarity
    while not search.stop():
        if cancelled is not None and cancelled():
            raise CancelledError(f"match cancelled after {len(search.history)} generations")
        candidates = problem.clock.timed("optimizer_s", search.ask)
        settings = _settings(problem.chain, candidates, bypass)
        sims, scores = problem.scores(settings)
        top = int(np.argmax(scores))
        if scores[top] > best_score:
            best, best_similarity, best_score = settings[top], float(sims[top]), float(scores[top])
        problem.clock.timed("optimizer_s", search.tell, candidates, scores)
        if progress is not None:
            progress(Progress(len(search.history), search.options["max_iter"], best_similarity,
                              search.result.evaluations, time.perf_counter() - started))
    return best, best_similarity


def verify(problem: _Problem, found: Setting, unheard: _Problem | None) -> tuple[Setting, dict[str, Any]]:
    """Do no harm: score the found setting against neutral on ``unheard`` (the problem of an excerpt of the
    input the search did not use; the searched excerpt's when there is none). When it does not beat
    neutral there, try it at ``AMOUNTS`` of the way from neutral, and fall back to neutral when none does.
    Returns the setting to keep and the record for the parameter file."""
    neutral = Setting.untouched(problem.chain)
    tried = [found, *(found.scaled(problem.chain, a) for a in AMOUNTS), neutral]
    judge = problem if unheard is None else unheard
    sims, scores = judge.scores(tried)
    better = [i for i in range(len(tried) - 1) if scores[i] > scores[-1]]
    choice = better[0] if better else len(tried) - 1
    amounts = (1.0, *AMOUNTS, 0.0)
    action = "kept" if choice == 0 else "scaled" if better else "neutral"
    return tried[choice], {"unseen": unheard is not None, "excerpt_s": round(judge.excerpt.duration_s, 3),
                           "similarity_found": round(float(sims[0]), 6),
                           "similarity_neutral": round(float(sims[-1]), 6), "amount": amounts[choice],
                           "action": action}


def match_audio(source: Audio, reference: Audio, chain: Chain, objective: Objective | Encoder | str | None = None, *,
                excerpt_s: float = EXCERPT_S, workers: int | None = None, price: Price = Price(),
                bypass: bool = True, check: bool = True,
                progress: Callable[[Progress], None] | None = None,
                cancelled: Callable[[], bool] | None = None, **options: Any) -> MatchResult:
    """Search ``chain``'s parameters so that ``source`` sounds like ``reference`` under ``objective``
    (default ``DEFAULT_METRIC``), paying ``price`` for processing.

    The search starts from neutral with every effect off (``bypass``: one on/off gate per effect is
    searched too) and renders the loudest ``excerpt_s`` seconds of the source at the source's own rate.
    It aims at the reference as a whole (up to ``SECTIONS`` sections of it; an embedding objective at its
    loudest excerpt, as the paper does), judging a candidate by the
    change it makes to the excerpt relative to the whole input (:meth:`Objective.aim`). With ``check`` the found setting must
    also beat neutral on a part of the input the search did not hear (:func:`verify`). ``progress`` is
    called after each generation; ``cancelled`` is polled before each one and stops the search with
    :class:`CancelledError`.
    """
    start, clock = time.perf_counter(), _Clock()
    objective = load_objective(objective)
    excerpt_s = check_excerpt(excerpt_s)
    search = Search(len(chain.parameters) + (len(chain.slots) if bypass else 0), _start(chain, bypass), **options)
    source = source.stereo()
    heard, unheard = _windows(source, excerpt_s)
    target = objective.target(sections(reference, excerpt_s, SECTIONS) if objective.whole_reference else
                              [loudest_excerpt(reference, excerpt_s)])
    whole = objective.target(sections(source, excerpt_s, SECTIONS))
    with ThreadPoolExecutor(workers or default_workers()) as pool:
        def problem_for(excerpt: Audio) -> _Problem:
            return _Problem(chain, objective, price, excerpt, objective.aim(target, excerpt, whole), pool, clock)
        problem = problem_for(heard)
        before = float(objective.similarity([heard], problem.aim)[0])
        untouched = (Setting.untouched(chain), before) if bypass else None
        found, after = _search(problem, search, bypass, start, untouched, progress, cancelled)
        verification = {}
        if check:
            kept, verification = verify(problem, found, problem_for(unheard) if unheard is not None else None)
            if kept is not found:
                found, after = kept, float(problem.scores([kept])[0][0])
    audio = clock.timed("render_s", chain.render, source, found.normalized, found.enabled)
    enabled = [bool(e) for e in found.enabled]
    return MatchResult(chain.describe(found.normalized, enabled), audio, chain.applied(found.normalized, enabled),
                       before, after, search.result.history, search.result.stop, time.perf_counter() - start,
                       clock.stages, enabled, chain.economy(found.normalized, enabled), verification)


def match(input_audio: np.ndarray | Audio, reference_audio: np.ndarray | Audio, sample_rate: int | None,
          chain: Chain | str, encoder: Encoder | str | None = None, **options: Any) -> MatchResult:
    """Contract edge: arrays shaped (channels, frames) or (frames,) at ``sample_rate`` Hz (or ``Audio``
    values), a chain or chain name, an objective, encoder or their name; options as :func:`match_audio`."""
    from .chains import load_chain

    source = input_audio if isinstance(input_audio, Audio) else as_audio(input_audio, sample_rate, "input")
    reference = reference_audio if isinstance(reference_audio, Audio) else as_audio(reference_audio, sample_rate,
                                                                                    "reference")
    chain = load_chain(chain) if isinstance(chain, str) else chain
    return match_audio(source, reference, chain, encoder, **options)
