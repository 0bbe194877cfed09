"""Style transfer by inference-time optimisation: the loop that owns ask -> render -> embed -> tell."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import numbers
import time
from collections.abc import Callable, Iterator, Sequence
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
from .render import default_workers, measure_generation, render_generation
from .report import attribute_moves, effect_lines
from .search import Search, check_options

#: Length (seconds) of the loudest excerpt of input and reference that the search works on.
EXCERPT_S = 3.0
#: Shortest excerpt (seconds) the search accepts: the shortest audio stito reads.
MIN_EXCERPT_S = MIN_DURATION_S
#: Most sections (each ``excerpt_s`` long) of the reference, and of the input, that stand for the whole.
SECTIONS = 8
#: Most generations of each effect's audition (the effect alone, searched from neutral).
AUDITION_ITER = 12
#: Values (normalised 0-1) each parameter of an effect is tried at, alone, before its audition.
PROBES = (0.0, 0.25, 0.75, 1.0)
#: Least score (similarity minus price) an audition must gain over the untouched input for its effect
#: to take part in the joint search.
MIN_GAIN = 1e-3
#: Fractions of the way from neutral to the found setting that the do-no-harm check tries, in order.
AMOUNTS = (0.75, 0.5, 0.25)
#: Largest amount a match or a saved match is applied at (above 1 exaggerates the found setting).
MAX_AMOUNT = 1.5


def check_amount(amount: float) -> float:
    """``amount`` as a float when it is a number from 0 to ``MAX_AMOUNT``."""
    value = float(amount) if isinstance(amount, numbers.Real) and not isinstance(amount, bool) else math.nan
    if not 0.0 <= value <= MAX_AMOUNT:
        raise SearchError(f"amount {amount!r}: expected a number from 0 (untouched) to {MAX_AMOUNT:g} "
                          "(1 is the found setting)")
    return value


def check_excerpt(seconds: float) -> float:
    """``seconds`` as a float when it is a finite excerpt length of at least ``MIN_EXCERPT_S``."""
    value = float(seconds) if isinstance(seconds, numbers.Real) and not isinstance(seconds, bool) else math.nan
    if not MIN_EXCERPT_S <= value < math.inf:
        raise SearchError(f"excerpt length {seconds!r}: expected a number of seconds of at least {MIN_EXCERPT_S:g}")
    return value


@dataclass(frozen=True)
class Progress:
    """Reported after every generation: iteration (1-based) of at most ``max_iter``, best similarity so far;
    then, in ``stage`` "render", after each block of the full-length render, with ``rendered`` its done
    fraction (0-1)."""

    iteration: int
    max_iter: int
    best_similarity: float
    evaluations: int
    elapsed_s: float
    stage: str = "search"
    rendered: float = 0.0


@dataclass
class MatchResult:
    """A finished match: parameter-file rows, full-length processed audio and the record.

    ``normalized`` holds the applied parameters (0-1; switched-off effects at neutral), ``enabled`` one
    flag per effect; ``economy`` is :meth:`Chain.economy` of the result; ``verification`` says how the
    found setting did on sections of the input the search did not hear (see :func:`verify`); ``stop``
    says why each stage of the search stopped; ``evaluations`` counts the settings scored (candidates,
    probes and checks). ``parameters``, ``normalized``, ``enabled`` and ``audio`` are the found setting at
    ``amount`` (:meth:`Chain.at_amount`); ``found`` holds the parameter rows of the found setting itself.
    ``report`` says what the match did in words (:func:`_report`).
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
    evaluations: int = 0
    amount: float = 1.0
    found: list[dict[str, Any]] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Clock:
    """What a match has cost so far: seconds per stage of the loop and settings scored (every problem of
    one match shares its clock)."""

    stages: dict[str, float] = field(default_factory=lambda: {"render_s": 0.0, "embed_s": 0.0, "optimizer_s": 0.0})
    evaluations: int = 0

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
        """This setting at ``amount`` (:meth:`Chain.at_amount`: 0 neutral and off, 1 itself)."""
        moved, enabled = chain.at_amount(self.normalized, self.enabled, amount)
        return Setting(moved, np.array(enabled, bool))


@dataclass
class _Problem:
    """What one match scores against: the chain, the objective and its target, the price, and the
    excerpts of the input that are rendered (judged together), with the aim for them."""

    chain: Chain
    objective: Objective
    price: Price
    excerpts: Sequence[Audio]
    aim: np.ndarray
    pool: ThreadPoolExecutor
    clock: _Clock

    def scores(self, settings: list[Setting]) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, similarities minus the price) of each setting."""
        params = np.stack([s.normalized for s in settings])
        flags = np.stack([s.enabled for s in settings])
        self.clock.evaluations += len(settings)
        rows = self._features(params, flags)
        count = len(self.excerpts)
        if count > 1:
            rows = np.stack([self.objective.pooled(rows[i:i + count], self.excerpts)
                             for i in range(0, len(rows), count)])
        sims = self.objective.compare(rows, self.aim)
        economy = [self.chain.economy(p, f) for p, f in zip(params, flags)]
        price = self.price.cost(np.array([e["effect_distance"] for e in economy]),
                                np.array([e["effects_on"] for e in economy]))
        return sims, sims - price

    def _features(self, params: np.ndarray, flags: np.ndarray) -> np.ndarray:
        """The objective's feature rows of every excerpt rendered with each candidate (candidate-major).
        A per-item objective measures in the render threads; the clock splits their wall time between
        rendering and measuring in proportion to the thread time each took."""
        if not self.objective.per_item:
            rendered = self.clock.timed("render_s", render_generation, self.chain, self.excerpts, params, flags,
                                        self.pool)
            return self.clock.timed("embed_s", self.objective.features, rendered)
        start = time.perf_counter()
        rows, render_s, measure_s = measure_generation(self.chain, self.excerpts, params, flags, self.pool,
                                                       lambda audio: self.objective.features([audio])[0])
        wall = time.perf_counter() - start
        self.clock.stages["render_s"] += wall * render_s / max(render_s + measure_s, 1e-12)
        self.clock.stages["embed_s"] += wall * measure_s / max(render_s + measure_s, 1e-12)
        return rows


def _windows(source: Audio, excerpt_s: float) -> tuple[Audio, list[Audio], bool]:
    """(the loudest ``excerpt_s`` seconds, which the search renders; the sections of the input that the
    do-no-harm check judges on; whether the search did not hear them). Those are up to ``SECTIONS``
    sections of the longer part of the input outside the excerpt when it lasts ``excerpt_s`` or more,
    else sections of the whole input (too short to leave a full excerpt unheard)."""
    bounds = excerpt_bounds(source, excerpt_s)
    heard = source.with_samples(source.samples[:, bounds[0]:bounds[1]])
    unheard = outside(source, bounds)
    unseen = unheard.duration_s >= excerpt_s
    return heard, sections(unheard if unseen else source, excerpt_s, SECTIONS), unseen


def _progress_total(chain: Chain, max_iter: int, bypass: bool) -> int:
    """Most generations a match runs: one audition of up to ``AUDITION_ITER`` per effect, then the
    joint search (``bypass``), or the joint search alone."""
    return max_iter + (len(chain.slots) * min(max_iter, AUDITION_ITER) if bypass else 0)


@dataclass
class _Run:
    """Where a match's search stands: the best setting by score, its similarity, generations so far."""

    problem: _Problem
    best: Setting | None
    best_similarity: float
    best_score: float
    total: int
    started: float
    progress: Callable[[Progress], None] | None
    cancelled: Callable[[], bool] | None
    generations: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    #: Stage label -> why its search stopped (as :meth:`Search.stop`).
    stops: dict[str, dict[str, Any]] = field(default_factory=dict)

    def stage(self, search: Search, settings: Callable[[np.ndarray], list[Setting]],
              label: str) -> tuple[Setting | None, float]:
        """Run ``search`` to its stop (ask -> settings -> score -> tell); returns this stage's best
        setting by score and that score, and keeps the overall best."""
        best, best_score = None, -np.inf
        while not search.stop():
            if self.cancelled is not None and self.cancelled():
                raise CancelledError(f"match cancelled after {self.generations} generations")
            candidates = self.problem.clock.timed("optimizer_s", search.ask)
            tried = settings(candidates)
            scores = self.offer(tried)
            top = int(np.argmax(scores))
            if scores[top] > best_score:
                best, best_score = tried[top], float(scores[top])
            self.problem.clock.timed("optimizer_s", search.tell, candidates, scores)
            self.generations += 1
            self.history.append({**search.history[-1], "iteration": self.generations, "stage": label,
                                 "best_similarity": self.best_similarity})
            if self.progress is not None:
                self.progress(Progress(self.generations, self.total, self.best_similarity, self.problem.clock.evaluations,
                                       time.perf_counter() - self.started))
        self.stops[label] = dict(search.stop())
        return best, best_score

    def offer(self, settings: list[Setting]) -> np.ndarray:
        """Score ``settings`` (similarity minus price), keep the best so far; returns the scores."""
        sims, scores = self.problem.scores(settings)
        top = int(np.argmax(scores))
        if scores[top] > self.best_score:
            self.best, self.best_similarity, self.best_score = settings[top], float(sims[top]), float(scores[top])
        return scores


def _placed(base: np.ndarray, index: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``base`` with ``values`` at positions ``index``."""
    out = base.copy()
    out[index] = values
    return out


def _searched(chain: Chain, effects: Sequence[int]) -> np.ndarray:
    """Positions in the normalised vector of the parameters of ``effects`` (slot indices)."""
    return np.array([i for e in effects for i in range(*chain.spans[e])], dtype=int)


def _stage_search(run: _Run, effects: Sequence[int], start: Setting, options: dict[str, Any],
                  label: str, **overrides: Any) -> tuple[Setting | None, float]:
    """Search the parameters of ``effects`` (all on, the rest as in ``start``) from ``start``."""
    chain = run.problem.chain
    index = _searched(chain, effects)
    enabled = start.enabled.copy()
    enabled[list(effects)] = True
    if index.size == 0:  # an effect with nothing searched: on or off is the whole question
        only = Setting(start.normalized, enabled)
        return only, float(run.offer([only])[0])
    search = Search(index.size, start.normalized[index], **{**options, **overrides})
    return run.stage(search, lambda cands: [Setting(_placed(start.normalized, index, c), enabled) for c in cands],
                     label)


def _staged(run: _Run, options: dict[str, Any]) -> None:
    """The bypass search. Audition each effect alone from neutral (``AUDITION_ITER`` generations), judged
    only on the attribute groups it is for (``Slot.groups``), and keep those that beat the untouched input
    there; search the kept ones jointly from their audition settings on the groups they are for together;
    then switch off any kept effect whose absence scores no lower. An effect for none of the groups the
    objective weighs is not auditioned and stays off. ``run.best`` ends as the result.

    An audition's verdict is the best candidate of its search stage, not of the probes that chose where
    the stage starts: a probe (one parameter alone, often at an extreme) that wins only by itself is not
    trusted: counting the probes too let content-fitting EQs in (on the 42 style-transfer benchmark
    cases, 5 more landed farther from the oracle than the untouched input)."""
    chain, full = run.problem.chain, run.problem
    auditions: dict[int, tuple[Setting, float]] = {}
    for e, slot in enumerate(chain.slots):
        if not full.objective.weighs(slot.groups):
            continue  # the effect serves no attribute the objective weighs (``--match``): it stays off
        with _judged_on(run, slot.groups) as floor:
            found, score = _stage_search(run, [e], _probe(run, e), options, f"audition {slot.effect.name}",
                                         max_iter=min(options["max_iter"], AUDITION_ITER),
                                         seed=(options["seed"] + e + 1) % 2**31)
            if found is not None and score > floor + MIN_GAIN:
                auditions[e] = (found, score - floor)
    kept = sorted(auditions, key=lambda e: -auditions[e][1])
    if not kept:
        return
    joint = Setting.untouched(chain).normalized
    for e in kept:
        a, b = chain.spans[e]
        joint[a:b] = auditions[e][0].normalized[a:b]
    start = Setting(joint, np.isin(np.arange(len(chain.slots)), kept))
    with _judged_on(run, [g for e in kept for g in chain.slots[e].groups], keep=True):
        run.offer([start])
        _stage_search(run, kept, start, options, "joint", sigma0=options["sigma0"] / 2)
        _prune(run)
    sims, scores = full.scores([run.best])
    run.best_similarity, run.best_score = float(sims[0]), float(scores[0])


@contextlib.contextmanager
def _judged_on(run: _Run, groups: Sequence[str], keep: bool = False) -> Iterator[float]:
    """Within the block ``run`` scores with its objective restricted to ``groups`` and its best starts as
    the untouched input, whose score there the block receives; afterwards the problem is restored and,
    unless ``keep``, so is the best."""
    full, saved = run.problem, (run.best, run.best_similarity, run.best_score)
    objective = full.objective.restricted(groups, full.excerpts, full.aim) or full.objective
    run.problem = dataclasses.replace(full, objective=objective)
    untouched = Setting.untouched(full.chain)
    sims, scores = run.problem.scores([untouched])
    run.best, run.best_similarity, run.best_score = untouched, float(sims[0]), float(scores[0])
    try:
        yield float(scores[0])
    finally:
        run.problem = full
        if not keep:
            run.best, run.best_similarity, run.best_score = saved


def _probe(run: _Run, effect: int) -> Setting:
    """Effect ``effect`` alone and on, each of its parameters moved by itself to each of ``PROBES``
    (normalised 0-1) with the rest neutral: the best of these (or the effect on at neutral) is where
    its audition starts, so that one decisive parameter (a shelf's gain) is found at once."""
    chain, neutral = run.problem.chain, run.problem.chain.neutral()
    enabled = np.arange(len(chain.slots)) == effect
    tried = [Setting(neutral, enabled)]
    for i in range(*chain.spans[effect]):
        tried += [Setting(_placed(neutral, np.array([i]), np.array([v])), enabled) for v in PROBES
                  if abs(v - neutral[i]) > 1e-6]
    return tried[int(np.argmax(run.offer(tried)))]


def _prune(run: _Run) -> None:
    """Switch off, one at a time, each effect of the best setting whose absence scores no lower."""
    for e in np.flatnonzero(run.best.enabled):
        without = Setting(run.best.normalized, run.best.enabled.copy())
        without.enabled[e] = False
        sims, scores = run.problem.scores([without])
        if scores[0] >= run.best_score:
            run.best, run.best_similarity, run.best_score = without, float(sims[0]), float(scores[0])


def verify(found: Setting, judge: _Problem, unseen: bool) -> tuple[Setting, dict[str, Any]]:
    """Do no harm: score the found setting against neutral on ``judge`` (sections of the input, ``unseen``
    when the search did not hear them). When it does not beat neutral there, try it at ``AMOUNTS`` of the
    way from neutral, and fall back to neutral when none does. Returns the setting to keep and the record
    for the parameter file."""
    neutral = Setting.untouched(judge.chain)
    tried = [found, *(found.scaled(judge.chain, a) for a in AMOUNTS), neutral]
    sims, scores = judge.scores(tried)
    better = [i for i in range(len(tried) - 1) if scores[i] > scores[-1]]
    choice = better[0] if better else len(tried) - 1
    amounts = (1.0, *AMOUNTS, 0.0)
    action = "kept" if choice == 0 else "scaled" if better else "neutral"
    seconds = sum(e.duration_s for e in judge.excerpts)
    return tried[choice], {"unseen": unseen, "excerpt_s": round(seconds, 3),
                           "similarity_found": round(float(sims[0]), 6),
                           "similarity_neutral": round(float(sims[-1]), 6), "amount": amounts[choice],
                           "action": action}


def match_audio(source: Audio, reference: Audio | Sequence[Audio], chain: Chain,
                objective: Objective | Encoder | str | None = None, *,
                excerpt_s: float = EXCERPT_S, workers: int | None = None, price: Price = Price(),
                bypass: bool = True, check: bool = True, amount: float = 1.0,
                progress: Callable[[Progress], None] | None = None,
                cancelled: Callable[[], bool] | None = None, **options: Any) -> MatchResult:
    """Search ``chain``'s parameters so that ``source`` sounds like ``reference`` under ``objective``
    (default ``DEFAULT_METRIC``), paying ``price`` for processing. Several references: their common style,
    the average of their targets (each weighs the same), and the report says how far apart they were.

    With ``bypass`` (the default) every effect starts off and at neutral, is auditioned alone and kept
    only when it pays (:func:`_staged`); without, every parameter is searched at once with every effect
    on (the paper's search). The search renders the loudest ``excerpt_s`` seconds of the source at the
    source's own rate.
    It aims at the reference as a whole (up to ``SECTIONS`` sections of it; an embedding objective at its
    loudest excerpt, as the paper does), takes differences as large as a measure varies between sections of
    the input or of the reference as content (:meth:`Objective.prepare`), and judges a candidate by the
    change it makes to the excerpt relative to the whole input (:meth:`Objective.aim`). With ``check`` the found setting must
    also beat neutral on a part of the input the search did not hear (:func:`verify`). The result is the
    found setting at ``amount`` (0 to ``MAX_AMOUNT``; :meth:`Chain.at_amount`). ``progress`` is
    called after each generation and each block of the final render; ``cancelled`` is polled before each
    generation and between render blocks, and stops the match with :class:`CancelledError`.
    """
    start, clock = time.perf_counter(), _Clock()
    objective = load_objective(objective)
    excerpt_s, amount = check_excerpt(excerpt_s), check_amount(amount)
    options = check_options(options)
    source = source.stereo()
    heard, judged, unseen = _windows(source, excerpt_s)
    references = [reference] if isinstance(reference, Audio) else list(reference)
    if not references:
        raise SearchError("a match needs at least one reference")
    aimed = [sections(r, excerpt_s, SECTIONS) if objective.whole_reference else [loudest_excerpt(r, excerpt_s)]
             for r in references]
    objective, targets, whole = objective.prepare(aimed, sections(source, excerpt_s, SECTIONS))
    target = targets.mean(axis=0)
    with ThreadPoolExecutor(workers or default_workers()) as pool:
        def problem_for(excerpts: list[Audio]) -> _Problem:
            return _Problem(chain, objective, price, excerpts, objective.aim(target, excerpts, whole), pool, clock)
        problem = problem_for([heard])
        before = float(objective.similarity([heard], problem.aim)[0])
        total = _progress_total(chain, options["max_iter"], bypass)
        if bypass:
            run = _Run(problem, Setting.untouched(chain), before, before, total, start, progress, cancelled)
            _staged(run, options)
        else:
            run = _Run(problem, None, -np.inf, -np.inf, total, start, progress, cancelled)
            everything = Setting(chain.neutral(), np.ones(len(chain.slots), bool))
            _stage_search(run, range(len(chain.slots)), everything, options, "search")
        found, after = run.best, run.best_similarity
        verification = {}
        if check:
            kept, verification = verify(found, problem_for(judged), unseen)
            if kept is not found:
                found, after = kept, float(problem.scores([kept])[0][0])
        applied = found if amount == 1.0 else found.scaled(chain, amount)
        if applied is not found:
            after = float(problem.scores([applied])[0][0])
    audio = clock.timed("render_s", _final_render, run, source, applied)
    enabled = [bool(e) for e in applied.enabled]
    report = _report(chain, applied, objective, target, whole, sections(audio, excerpt_s, SECTIONS))
    if len(targets) > 1:
        report["references"] = _apart(objective, target, targets)
    return MatchResult(chain.describe(applied.normalized, enabled), audio, chain.applied(applied.normalized, enabled),
                       before, after, run.history, run.stops, time.perf_counter() - start,
                       clock.stages, enabled, chain.economy(applied.normalized, enabled), verification,
                       clock.evaluations, amount, _found_rows(chain, found), report)


def _report(chain: Chain, applied: Setting, objective: Objective, target: np.ndarray, whole: np.ndarray,
            result: list[Audio]) -> dict[str, Any]:
    """``effects``: a line per effect switched on, in its units; ``attributes``: per attribute group the
    input's and the result's (``result``: its sections) distance to the reference and the share of the
    way moved (none for an embedding objective)."""
    before = {g: float(d[0]) for g, d in objective.group_distances(whole[None], target).items()}
    moves = {}
    if before:
        after = objective.group_distances(objective.target(result)[None], target)
        moves = attribute_moves(before, {g: float(d[0]) for g, d in after.items()})
    return {"effects": effect_lines(chain, applied.normalized, applied.enabled), "attributes": moves}


def _apart(objective: Objective, target: np.ndarray, targets: np.ndarray) -> dict[str, Any]:
    """How far apart several references were: their count, and per attribute group the mean distance of
    each one's own target (a row of ``targets``) from their common ``target`` (objective units; 0 = within
    content tolerance; an embedding objective: the mean similarity to the common target)."""
    groups = objective.group_distances(targets, target)
    if groups:
        return {"count": len(targets), "apart": {g: round(float(d.mean()), 6) for g, d in groups.items()}}
    return {"count": len(targets), "similarity_to_common": round(float(objective.compare(targets, target).mean()), 6)}


def _found_rows(chain: Chain, found: Setting) -> list[dict[str, Any]]:
    """Parameter-file rows of the found setting, its normalised values unrounded: a saved match applied
    at amount 1 renders exactly what the match rendered."""
    rows = chain.describe(found.normalized, found.enabled)
    return [{**row, "normalized": float(x)} for row, x in zip(rows, chain.applied(found.normalized, found.enabled))]


def _final_render(run: _Run, source: Audio, found: Setting) -> Audio:
    """``source`` through the chain with ``found``, block by block: ``run.cancelled`` is polled before each
    block (a long file stops within one block) and progress reported after each."""
    blocks, done = [], 0
    stream = run.problem.chain.stream(source, found.normalized, found.enabled)
    try:
        for block in stream:
            blocks.append(block.samples)
            done += block.frames
            if run.progress is not None:
                run.progress(Progress(run.generations, run.generations, run.best_similarity, run.problem.clock.evaluations,
                                      time.perf_counter() - run.started, "render", done / max(source.frames, 1)))
            if run.cancelled is not None and run.cancelled() and done < source.frames:
                raise CancelledError(f"match cancelled during the final render ({done / source.frames:.0%} done)")
    finally:
        stream.close()
    return source.with_samples(np.concatenate(blocks, axis=1))


def match(input_audio: np.ndarray | Audio, reference_audio: np.ndarray | Audio | Sequence[np.ndarray | Audio],
          sample_rate: int | None, chain: Chain | str, encoder: Encoder | str | None = None,
          **options: Any) -> MatchResult:
    """Contract edge: arrays shaped (channels, frames) or (frames,) at ``sample_rate`` Hz (or ``Audio``
    values), a list of them for several references, a chain or chain name, an objective, encoder or their
    name; options as :func:`match_audio`."""
    from .chains import load_chain

    def audio(value: np.ndarray | Audio, what: str) -> Audio:
        return value if isinstance(value, Audio) else as_audio(value, sample_rate, what)

    several = isinstance(reference_audio, (list, tuple))
    reference = [audio(r, f"reference {i + 1}") for i, r in enumerate(reference_audio)] if several else \
        audio(reference_audio, "reference")
    chain = load_chain(chain) if isinstance(chain, str) else chain
    return match_audio(audio(input_audio, "input"), reference, chain, encoder, **options)
