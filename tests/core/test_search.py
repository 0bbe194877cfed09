"""CMA-ES search: ask/tell on toy objectives, bounds, seeds, stop reasons and option checking."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from stito_core.errors import SearchError
from stito_core.search import OPTIONS, Search, SearchResult, check_options

Objective = Callable[[np.ndarray], np.ndarray]


def _sphere(target: np.ndarray) -> Objective:
    """Similarity that peaks at 0 on ``target``: minus the squared distance of each row."""
    return lambda x: -np.sum((x - target) ** 2, axis=1)


def _run(search: Search, objective: Objective, generations: int | None = None) -> list[np.ndarray]:
    """Drive ``search`` until it stops (or for ``generations``); returns every generation asked."""
    asked = []
    while not search.stop() and (generations is None or len(asked) < generations):
        candidates = search.ask()
        asked.append(candidates.copy())
        search.tell(candidates, objective(candidates))
    return asked


# --- finding optima ----------------------------------------------------------------------------


def test_finds_the_optimum_of_a_toy_objective() -> None:
    target = np.array([0.2, 0.8, 0.65])
    search = Search(3, popsize=12, max_iter=60, seed=3, min_gain=0.0)
    _run(search, _sphere(target))
    result = search.result
    np.testing.assert_allclose(result.best_x, target, atol=1e-3)
    assert result.best_similarity == pytest.approx(0.0, abs=1e-6)
    assert result.stop == {"maxiter": 60}


def test_finds_an_optimum_on_the_bounds() -> None:
    search = Search(2, popsize=8, max_iter=40, seed=1, min_gain=0.0)
    _run(search, lambda x: x[:, 0] - x[:, 1])  # best at (1, 0), outside the box's interior
    np.testing.assert_allclose(search.result.best_x, [1.0, 0.0], atol=1e-3)


def test_one_dimensional_search() -> None:
    search = Search(1, popsize=8, max_iter=40, seed=1, min_gain=0.0)
    asked = _run(search, _sphere(np.array([0.9])))
    assert all(c.shape == (8, 1) for c in asked)
    assert search.result.best_x.shape == (1,)
    assert search.result.best_x[0] == pytest.approx(0.9, abs=1e-3)


def test_candidates_stay_in_the_unit_box() -> None:
    # Far-away optima and a big step size pull the search hard against both bounds.
    for seed, target in ((2, 3.0), (3, -2.0)):
        search = Search(4, popsize=16, max_iter=15, sigma0=1.0, x0=0.95, seed=seed, min_gain=0.0)
        asked = np.concatenate(_run(search, _sphere(np.full(4, target))))
        assert asked.shape == (15 * 16, 4)
        assert asked.min() >= 0.0 and asked.max() <= 1.0
        assert np.all(np.abs(search.result.best_x - np.clip(target, 0, 1)) < 0.05)


def test_best_is_the_best_ever_told_not_the_last_generation() -> None:
    search = Search(2, popsize=6, max_iter=3, seed=0)
    first = search.ask()
    search.tell(first, np.array([0.1, 0.9, 0.2, 0.3, 0.4, 0.5]))
    second = search.ask()
    search.tell(second, np.full(6, 0.5))
    np.testing.assert_array_equal(search.result.best_x, first[1])
    assert search.result.best_similarity == 0.9
    assert [h["generation_best"] for h in search.history] == [0.9, 0.5]
    assert [h["best_similarity"] for h in search.history] == [0.9, 0.9]


# --- seeds -------------------------------------------------------------------------------------


def test_same_seed_gives_identical_candidates() -> None:
    objective = _sphere(np.array([0.3, 0.6]))
    a = _run(Search(2, popsize=6, seed=5), objective, generations=4)
    b = _run(Search(2, popsize=6, seed=5), objective, generations=4)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_different_seed_gives_different_candidates() -> None:
    a = Search(2, popsize=6, seed=5).ask()
    b = Search(2, popsize=6, seed=6).ask()
    assert not np.allclose(a, b)


def test_seed_zero_is_reproducible_too() -> None:
    np.testing.assert_array_equal(Search(3, popsize=5, seed=0).ask(), Search(3, popsize=5, seed=0).ask())


def test_seeded_search_ignores_other_random_draws() -> None:
    """Two searches interleaved (as two jobs in the daemon) and numpy's global generator being used
    in between must not change a seeded search."""
    objective = _sphere(np.array([0.3, 0.6]))
    alone = _run(Search(2, popsize=6, seed=5), objective, generations=3)

    first, second = Search(2, popsize=6, seed=5), Search(2, popsize=6, seed=9)
    interleaved = []
    np.random.seed(1)
    for _ in range(3):
        candidates = first.ask()
        interleaved.append(candidates.copy())
        np.random.rand(7)
        first.tell(candidates, objective(candidates))
        other = second.ask()
        second.tell(other, objective(other))
    for x, y in zip(alone, interleaved, strict=True):
        np.testing.assert_array_equal(x, y)


def test_start_point_and_step_size_shape_the_first_generation() -> None:
    narrow = Search(3, popsize=64, sigma0=0.01, x0=0.2, seed=4).ask()
    assert np.all(np.abs(narrow - 0.2) < 0.06)
    assert narrow.mean() == pytest.approx(0.2, abs=0.005)
    wide = Search(3, popsize=64, sigma0=0.3, x0=0.2, seed=4).ask()
    assert wide.std() > 5 * narrow.std()


# --- stopping ----------------------------------------------------------------------------------


def test_stops_at_max_iter() -> None:
    search = Search(2, popsize=6, max_iter=5, seed=0, min_gain=0.0)
    assert search.stop() == {}  # nothing told yet: go on
    asked = _run(search, _sphere(np.array([0.1, 0.9])))
    assert len(asked) == 5
    assert search.stop() == {"maxiter": 5}


def test_stops_when_the_gain_stalls_for_patience_generations() -> None:
    # The optimum (0) sits at the start point, so generation 1 is already within 0.01 of it and the
    # best can never rise by min_gain: the search gives up once `patience` generations have passed.
    search = Search(2, popsize=6, max_iter=100, patience=3, min_gain=0.01, seed=0)
    asked = _run(search, _sphere(np.array([0.5, 0.5])))
    assert search.history[0]["best_similarity"] > -0.01
    assert len(asked) == 4  # the gain is measured over 3 generations, from generation 1 to 4
    assert set(search.stop()) == {"min_gain"}
    gain = search.history[3]["best_similarity"] - search.history[0]["best_similarity"]
    assert search.stop()["min_gain"] == pytest.approx(gain, abs=1e-6)


def test_min_gain_stop_reports_the_gain_and_needs_a_real_shortfall() -> None:
    slow = Search(2, popsize=6, max_iter=100, patience=2, min_gain=0.5, seed=0)
    _run(slow, _sphere(np.array([0.3, 0.3])))
    reason = slow.stop()
    assert set(reason) == {"min_gain"} and 0.0 <= reason["min_gain"] < 0.5
    assert len(slow.history) == 3
    # With no required gain, the same search runs to max_iter.
    patient = Search(2, popsize=6, max_iter=12, patience=2, min_gain=0.0, seed=0)
    _run(patient, _sphere(np.array([0.3, 0.3])))
    assert patient.stop() == {"maxiter": 12}


def test_a_rising_objective_is_not_stopped_for_lack_of_gain() -> None:
    search = Search(2, popsize=6, max_iter=8, patience=2, min_gain=0.05, seed=0)
    generation = iter(range(100))
    _run(search, lambda x: 0.1 * next(generation) - 0.01 * x.sum(axis=1))  # +0.1 per generation
    assert search.stop() == {"maxiter": 8}


# --- result ------------------------------------------------------------------------------------


def test_result_fields_and_history() -> None:
    search = Search(3, popsize=10, max_iter=7, seed=1, min_gain=0.0)
    _run(search, _sphere(np.array([0.4, 0.5, 0.6])))
    result = search.result
    assert isinstance(result, SearchResult)
    assert result.iterations == 7 and result.evaluations == 70
    assert result.best_x.shape == (3,) and result.best_x.dtype == np.float64
    assert len(result.history) == 7
    assert [h["iteration"] for h in result.history] == list(range(1, 8))
    for row in result.history:
        assert set(row) == {"iteration", "best_similarity", "generation_best", "generation_mean", "sigma"}
        assert row["generation_mean"] <= row["generation_best"] <= row["best_similarity"]
        assert row["sigma"] > 0
    bests = [h["best_similarity"] for h in result.history]
    assert bests == sorted(bests) and bests[-1] == result.best_similarity
    assert result.stop == {"maxiter": 7}


def test_result_is_a_copy() -> None:
    search = Search(2, popsize=6, max_iter=3, seed=0)
    _run(search, _sphere(np.array([0.5, 0.5])))
    result = search.result
    result.best_x[:] = -1.0
    result.history.clear()
    assert np.all(search.result.best_x >= 0.0) and len(search.result.history) == 3


# --- options -----------------------------------------------------------------------------------


def test_defaults_size_the_population_to_the_dimension() -> None:
    """No popsize: CMA-ES's own 4 + floor(3 ln n), 6 for 2 parameters and 14 for the builtin chain's 31."""
    options = check_options({})
    assert options == {name: option.default for name, option in OPTIONS.items()}
    assert (options["popsize"], options["max_iter"]) == (None, 25)
    assert Search(2).options == {**options, "popsize": 6}
    assert Search(31).options["popsize"] == 14 and Search(31, popsize=64).options["popsize"] == 64


def test_valid_options_are_cast() -> None:
    options = check_options({"popsize": np.int64(8), "sigma0": 1, "x0": np.float32(0.25), "seed": 2**31 - 2})
    assert options["popsize"] == 8 and type(options["popsize"]) is int
    assert options["sigma0"] == 1.0 and type(options["sigma0"]) is float
    assert options["x0"] == 0.25 and options["seed"] == 2**31 - 2


def test_unknown_option_suggests_the_closest() -> None:
    with pytest.raises(SearchError, match=r"unknown search option 'pop_size'\. Did you mean 'popsize'\?") as caught:
        Search(2, pop_size=8)
    assert "Valid: popsize, max_iter" in str(caught.value)
    with pytest.raises(SearchError, match=r"unknown search option 'colour'\. Valid:"):
        check_options({"colour": 1})


@pytest.mark.parametrize(("key", "value"), [
    ("popsize", "8"), ("popsize", 8.5), ("popsize", True), ("max_iter", None), ("popsize", [8]),
    ("max_iter", 2.5), ("sigma0", "0.3"), ("x0", False), ("seed", "1"),
])
def test_wrong_types_are_refused(key: str, value: object) -> None:
    with pytest.raises(SearchError) as caught:
        check_options({key: value})
    message = str(caught.value)
    assert message.startswith(f"search option {key} = {value!r}: expected ") and "\n" not in message


@pytest.mark.parametrize(("key", "value", "allowed"), [
    ("popsize", 0, "4..4096"), ("popsize", 3, "4..4096"), ("popsize", 5000, "4..4096"),
    ("max_iter", 0, "1..10000"), ("sigma0", 0.0, "0.001..1"), ("sigma0", 1.5, "0.001..1"),
    ("x0", -0.1, "0..1"), ("x0", 1.01, "0..1"), ("patience", 0, "1..10000"), ("min_gain", -0.01, "0..2"),
    ("seed", -1, "0..2147483646"), ("seed", 2**31, "0..2147483646"),
    ("sigma0", float("nan"), "0.001..1"), ("popsize", float("inf"), "4..4096"),
])
def test_out_of_range_values_are_refused(key: str, value: float, allowed: str) -> None:
    with pytest.raises(SearchError, match=rf"^search option {key} = .*: expected \w+ in {allowed} \("):
        Search(2, **{key: value})


def test_boundary_values_are_accepted() -> None:
    search = Search(2, popsize=4, max_iter=1, sigma0=1.0, x0=0.0, patience=1, min_gain=0.0, seed=0)
    _run(search, _sphere(np.array([0.5, 0.5])))
    assert search.stop() == {"maxiter": 1} and len(search.ask()) == 4
