"""CMA-ES over normalised [0, 1] chain parameters, as ask/tell: the caller owns the loop.

    search = Search(len(chain.parameters), popsize=64)
    while not search.stop():
        candidates = search.ask()                 # (popsize, n) in [0, 1]
        similarities = render_and_embed(candidates)
        search.tell(candidates, similarities)     # higher similarity is better
    best = search.result.best_x
"""

from __future__ import annotations

import difflib
import numbers
import warnings
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .errors import SearchError


@dataclass(frozen=True)
class Option:
    """One search option: default, type, inclusive bounds and a line of description."""

    default: Any
    kind: type
    low: float
    high: float
    doc: str


#: The paper's early stop (ST-ITO section 3.3): the best similarity up by less than 0.1 over 10 generations.
PAPER_EARLY_STOP = {"patience": 10, "min_gain": 0.1}
#: Every search option, with the paper's defaults (ST-ITO section 3.3) except where its doc says otherwise.
OPTIONS: dict[str, Option] = {
    "popsize": Option(None, int, 4, 4096, "candidates rendered and scored per generation (default: CMA-ES's own "
                      "4 + 3 ln n for n searched parameters; the paper used 64)"),
    "max_iter": Option(25, int, 1, 10000, "most generations"),
    "sigma0": Option(0.3, float, 1e-3, 1.0, "initial step size, in normalised 0-1 units"),
    "x0": Option(None, float, 0.0, 1.0, "start value of every normalised parameter (default: the caller's start, "
                 "in a match each parameter's neutral value with every effect off)"),
    "patience": Option(7, int, 1, 10000, "generations over which the best similarity must rise by min_gain "
                       "(the paper used 10)"),
    "min_gain": Option(0.1, float, 0.0, 2.0, "least rise of the best similarity over `patience` generations"),
    "seed": Option(0, int, 0, 2**31 - 2, "random seed; the same seed gives the same search"),
}


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """Defaults overridden by ``options``; unknown keys and out-of-range values are refused."""
    out = {k: o.default for k, o in OPTIONS.items()}
    for key, value in options.items():
        if key not in OPTIONS:
            close = difflib.get_close_matches(key, OPTIONS, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            msg = f"unknown search option '{key}'.{hint} Valid: {', '.join(OPTIONS)}"
            raise SearchError(msg)
        out[key] = value if value is None and OPTIONS[key].default is None else _checked(key, value)
    return out


def default_popsize(dimension: int) -> int:
    """CMA-ES's own population size for ``dimension`` parameters: 4 + floor(3 ln n)."""
    return 4 + int(3 * np.log(max(dimension, 1)))


def _checked(key: str, value: Any) -> Any:
    """``value`` cast to the option's type, or an error with the allowed range."""
    opt = OPTIONS[key]
    try:  # numbers only: a string such as "0.3" is a caller's mistake, not a value to parse
        cast = opt.kind(value) if isinstance(value, numbers.Real) else None
    except (TypeError, ValueError, OverflowError):
        cast = None
    if cast is None or isinstance(value, bool) or (opt.kind is int and cast != value) or not opt.low <= cast <= opt.high:
        msg = f"search option {key} = {value!r}: expected {opt.kind.__name__} in {opt.low:.10g}..{opt.high:.10g} ({opt.doc})"
        raise SearchError(msg)
    return cast


def _cma() -> Any:
    """The ``cma`` module, imported on the first search: it pulls in scipy.stats and matplotlib (about a
    second), which commands that search nothing (``stito chains``, a daemon waiting for work) never pay."""
    with warnings.catch_warnings():  # cma warns when matplotlib is absent; plots are not used here
        warnings.simplefilter("ignore")
        import cma
    return cma


class SearchResult(NamedTuple):
    """Outcome of a search: the best normalised vector, its similarity and how the search went."""

    best_x: np.ndarray
    best_similarity: float
    iterations: int
    evaluations: int
    history: list[dict[str, Any]]
    stop: dict[str, Any]


class Search:
    """CMA-ES maximising similarity over ``dimension`` parameters bounded to [0, 1], starting at ``start``
    (normalised, one value per parameter; 0.5 each when omitted) unless the ``x0`` option is given."""

    def __init__(self, dimension: int, start: np.ndarray | None = None, **options: Any) -> None:
        self.options = check_options(options)
        self.dimension = dimension
        # pycma cannot run one bounded dimension; a second, ignored coordinate keeps it general. Flat
        # generations are normal here (a start at neutral with every effect off scores the same), so
        # pycma's flat-fitness stops are off: `patience`/`min_gain` and `max_iter` end the search.
        width = max(dimension, 2)
        if self.options["popsize"] is None:
            self.options["popsize"] = default_popsize(dimension)
        x0 = self.options["x0"]
        begin = np.full(width, 0.5 if x0 is None else x0)
        if start is not None and x0 is None:
            begin[:dimension] = np.clip(start, 0.0, 1.0)
        # A private generator: pycma's default draws from numpy's global one, which any other search or
        # np.random call (another job in the daemon) would advance, so the same seed would not repeat.
        rng = np.random.default_rng(self.options["seed"])
        self._es = _cma().CMAEvolutionStrategy(list(begin), self.options["sigma0"], {
            "popsize": self.options["popsize"], "bounds": [0.0, 1.0], "verbose": -9, "verb_log": 0,
            "randn": lambda *shape: rng.standard_normal(shape), "seed": np.nan,
            "maxiter": self.options["max_iter"], "tolflatfitness": 10**9, "tolfun": 0.0, "tolfunhist": 0.0})
        self.best_x = begin[:dimension].copy()
        self.best_similarity = -np.inf
        self.history: list[dict[str, Any]] = []
        self._stop: dict[str, Any] = {}

    def ask(self) -> np.ndarray:
        """The next generation: (popsize, dimension) candidates in [0, 1]."""
        self._asked = np.clip(np.asarray(self._es.ask()), 0.0, 1.0)
        return self._asked[:, : self.dimension]

    def tell(self, candidates: np.ndarray, similarities: np.ndarray) -> None:
        """Report the similarity of each candidate from the last ``ask`` (higher is better)."""
        sims = np.asarray(similarities, dtype=np.float64)
        # 1. CMA-ES minimises: hand it the negated similarities of the full (padded) candidates.
        self._es.tell(list(self._asked), list(-sims))
        # 2. Keep the best candidate ever seen, not CMA-ES's mean.
        best = int(np.argmax(sims))
        if sims[best] > self.best_similarity:
            self.best_similarity, self.best_x = float(sims[best]), np.array(candidates[best], dtype=np.float64)
        # 3. Record the generation for progress and the result's history.
        self.history.append({"iteration": len(self.history) + 1, "best_similarity": self.best_similarity,
                             "generation_best": float(sims[best]), "generation_mean": float(sims.mean()),
                             "sigma": float(self._es.sigma)})
        # 4. Decide whether to stop: no gain over `patience` generations, or pycma's own criteria.
        self._stop = self._stalled() or dict(self._es.stop())

    def _stalled(self) -> dict[str, Any]:
        """{'min_gain': gain} when the best similarity rose less than min_gain over `patience` generations."""
        patience, done = self.options["patience"], len(self.history)
        if done <= patience:
            return {}
        gain = self.best_similarity - self.history[done - 1 - patience]["best_similarity"]
        return {"min_gain": round(gain, 6)} if gain < self.options["min_gain"] else {}

    def stop(self) -> dict[str, Any]:
        """Why the search should stop (empty while it should go on), e.g. {'maxiter': 25}."""
        return self._stop

    @property
    def result(self) -> SearchResult:
        """The best vector so far and the search's history."""
        return SearchResult(self.best_x.copy(), self.best_similarity, len(self.history),
                            len(self.history) * self.options["popsize"], list(self.history), dict(self._stop))
