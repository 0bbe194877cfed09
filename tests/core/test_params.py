"""ParameterSpec: the [0, 1] mapping, clipping, narrowing and validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stito_core.chains import chain_names, load_chain
from stito_core.effects.builtin import KINDS, BuiltinEffect
from stito_core.errors import ChainError
from stito_core.params import ParameterSpec, Scale


def _all_specs() -> list:
    """One pytest param per parameter of every built-in kind and of every shipped chain's search.

    A shipped chain whose plugin is not installed here becomes one skipped param."""
    params = [pytest.param(p, id=f"kind:{kind}.{p.name}")
              for kind in KINDS for p in BuiltinEffect(kind).parameters]
    for name in chain_names():
        try:
            chain = load_chain(name)
        except ChainError as exc:
            if "not found" not in str(exc):  # only a missing plugin is excused, never a broken chain file
                raise
            params.append(pytest.param(None, id=f"chain:{name}:unloadable", marks=pytest.mark.skip(reason=str(exc))))
            continue
        params += [pytest.param(p, id=f"chain:{name}:{p.key}") for p in chain.parameters]
    return params


SPECS = _all_specs()
GRID = np.linspace(0.0, 1.0, 11)


def _spec(scale: Scale = Scale.LINEAR, lo: float = 20.0, hi: float = 20000.0, default: float = 1000.0) -> ParameterSpec:
    return ParameterSpec("fx", "freq_hz", lo, hi, default, "Hz", scale)


# --- every shipped parameter -------------------------------------------------------------------

@pytest.mark.parametrize("spec", SPECS)
def test_spec_is_valid(spec: ParameterSpec) -> None:
    assert spec.check() is None
    assert spec.minimum <= spec.default <= spec.maximum
    assert spec.unit in {"", "dB", "Hz", "kHz", "ms", "s", "%", "bits"}


@pytest.mark.parametrize("spec", SPECS)
def test_normalized_round_trip(spec: ParameterSpec) -> None:
    values = [spec.from_normalized(x) for x in GRID]
    assert values[0] == pytest.approx(spec.minimum) and values[-1] == pytest.approx(spec.maximum)
    assert all(a < b for a, b in zip(values, values[1:])), "from_normalized must be strictly increasing"
    back = [spec.to_normalized(v) for v in values]
    np.testing.assert_allclose(back, GRID, atol=1e-9)
    assert spec.from_normalized(spec.to_normalized(spec.default)) == pytest.approx(spec.default, abs=1e-9)


@pytest.mark.parametrize("spec", SPECS)
def test_out_of_range_values_are_clipped(spec: ParameterSpec) -> None:
    span = spec.maximum - spec.minimum
    assert spec.to_normalized(spec.minimum - span) == 0.0
    assert spec.to_normalized(spec.maximum + span) == 1.0
    assert spec.from_normalized(-0.5) == pytest.approx(spec.minimum)
    assert spec.from_normalized(1.5) == pytest.approx(spec.maximum)


# --- scales ------------------------------------------------------------------------------------

def test_linear_scale_is_evenly_spaced_in_the_unit() -> None:
    gain = ParameterSpec("eq", "gain_db", -18, 18, 0, "dB")
    assert gain.scale is Scale.LINEAR
    assert gain.from_normalized(0.5) == 0.0
    assert gain.from_normalized(0.25) == -9.0
    assert gain.to_normalized(9.0) == 0.75


def test_log_scale_is_evenly_spaced_in_log_value() -> None:
    freq = _spec(Scale.LOG)
    assert freq.from_normalized(0.5) == pytest.approx(math.sqrt(20 * 20000))  # geometric mean
    assert freq.from_normalized(1 / 3) == pytest.approx(200.0)  # 20 -> 20000 is three decades
    assert freq.to_normalized(2000.0) == pytest.approx(2 / 3)
    assert _spec(Scale.LINEAR).from_normalized(0.5) == pytest.approx(10010.0)


def test_log_and_linear_round_trips_differ_but_both_invert() -> None:
    for scale in Scale:
        spec = _spec(scale)
        for value in (20.0, 55.5, 1000.0, 12345.0, 20000.0):
            assert spec.from_normalized(spec.to_normalized(value)) == pytest.approx(value, rel=1e-12)
    assert _spec(Scale.LOG).to_normalized(1000.0) != pytest.approx(_spec(Scale.LINEAR).to_normalized(1000.0))


def test_numpy_inputs_and_a_degenerate_range() -> None:
    spec = _spec(Scale.LOG)
    assert spec.from_normalized(np.float32(1.0)) == pytest.approx(20000.0)
    assert isinstance(spec.from_normalized(np.float64(0.5)), float)
    flat = ParameterSpec("fx", "x", 1.0, 1.0, 1.0)
    assert flat.to_normalized(1.0) == 0.0


def test_key_joins_effect_and_name() -> None:
    assert _spec().key == "fx.freq_hz"


# --- with_range --------------------------------------------------------------------------------

def test_with_range_narrows_and_keeps_the_original() -> None:
    spec = _spec(Scale.LINEAR)
    narrow = spec.with_range(100.0, 10000.0, Scale.LOG)
    assert (narrow.minimum, narrow.maximum, narrow.scale, narrow.default) == (100.0, 10000.0, Scale.LOG, 1000.0)
    assert (narrow.effect, narrow.name, narrow.unit) == (spec.effect, spec.name, spec.unit)
    assert narrow.from_normalized(0.5) == pytest.approx(1000.0)
    assert (spec.minimum, spec.maximum, spec.scale) == (20.0, 20000.0, Scale.LINEAR)  # frozen, unchanged


def test_with_range_keeps_the_scale_when_none_is_given() -> None:
    assert _spec(Scale.LOG).with_range(50.0, 500.0).scale is Scale.LOG
    assert _spec(Scale.LINEAR).with_range(50.0, 500.0).scale is Scale.LINEAR


def test_with_range_clips_the_default_into_the_new_range() -> None:
    spec = _spec(default=1000.0)
    assert spec.with_range(2000.0, 8000.0).default == 2000.0
    assert spec.with_range(50.0, 500.0).default == 500.0


# --- check -------------------------------------------------------------------------------------

def test_check_accepts_a_good_spec() -> None:
    assert _spec(Scale.LOG).check() is None
    assert ParameterSpec("comp", "threshold_db", -60, 0, 0, "dB").check() is None


@pytest.mark.parametrize(("lo", "hi"), [(10.0, 10.0), (500.0, 50.0)])
def test_check_refuses_an_empty_or_reversed_range(lo: float, hi: float) -> None:
    problem = _spec().with_range(lo, hi).check()
    assert problem is not None
    assert problem.startswith("fx.freq_hz:") and "must be below maximum" in problem


@pytest.mark.parametrize("lo", [0.0, -60.0])
def test_check_refuses_a_log_range_that_reaches_zero(lo: float) -> None:
    problem = _spec().with_range(lo, 100.0, Scale.LOG).check()
    assert problem is not None
    assert "log-scaled range must be above 0" in problem and "Hz" in problem
