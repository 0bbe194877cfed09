"""The style-transfer loop: recovering known settings with the MFCC metric, progress, cancelling, results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stito_core import MatchResult, Progress, load_chain, load_encoder, match
from stito_core.audio import Audio
from stito_core.chain import Chain
from stito_core.encoders.base import Encoder
from stito_core.errors import AudioError, CancelledError, SearchError
from stito_core.metric import cosine
from stito_core.objective import FREE
from stito_core.search import PAPER_EARLY_STOP
from tests.helpers import music

RATE = 22050
SECONDS = 2.5
#: The paper's unconstrained search (no price, no bypass gates, no do-no-harm check, start at 0.5, its
#: early stop over 10 generations): what these tests of the loop itself recover known settings with.
PAPER = {"price": FREE, "bypass": False, "check": False, "x0": 0.5, **PAPER_EARLY_STOP}

EQ_TOML = """name = "eq-only"
[[effect]]
type = "builtin"
kind = "parametric_eq"
search = {band2_gain_db = [-18, 18]}
"""

DRIVE_EQ_TOML = """name = "drive-eq"
[[effect]]
type = "builtin"
kind = "distortion"
search = ["drive_db"]

[[effect]]
type = "builtin"
kind = "parametric_eq"
search = ["band2_gain_db"]
"""


def _chain(tmp_path: Path, text: str) -> Chain:
    path = tmp_path / "chain.toml"
    path.write_text(text, encoding="utf-8")
    return load_chain(path)


@pytest.fixture(scope="module")
def mfcc() -> Encoder:
    return load_encoder("mfcc")


@pytest.fixture(scope="module")
def source() -> np.ndarray:
    """The dry recording (stereo, 2.5 s at 22050 Hz)."""
    return music(SECONDS, rate=RATE, seed=1)


def _reference(chain: Chain, values: list[float], seed: int = 7) -> np.ndarray:
    """A DIFFERENT recording processed by ``chain`` at ``values`` (in each parameter's unit)."""
    normalized = [p.to_normalized(v) for p, v in zip(chain.parameters, values, strict=True)]
    return chain.process(music(SECONDS, rate=RATE, seed=seed), RATE, normalized)


@pytest.fixture(scope="module")
def drive_eq(tmp_path_factory: pytest.TempPathFactory, source: np.ndarray, mfcc: Encoder):
    """One two-parameter match towards drive 30 dB and band-2 gain +12 dB, with its progress reports."""
    chain = _chain(tmp_path_factory.mktemp("drive_eq"), DRIVE_EQ_TOML)
    reference = _reference(chain, [30.0, 12.0])
    reports: list[Progress] = []
    result = match(source, reference, RATE, chain, mfcc, popsize=12, max_iter=10, excerpt_s=SECONDS, seed=0,
                   progress=reports.append, **PAPER)
    return chain, reference, result, reports


# --- recovering known settings -----------------------------------------------------------------


def test_recovers_an_eq_gain(tmp_path: Path, source: np.ndarray, mfcc: Encoder) -> None:
    chain = _chain(tmp_path, EQ_TOML)
    result = match(source, _reference(chain, [-12.0]), RATE, chain, mfcc, popsize=8, max_iter=8, excerpt_s=2.0,
                   **PAPER)
    (row,) = result.parameters
    assert row["value"] == pytest.approx(-12.0, abs=3.0)  # the search starts at 0 dB
    assert result.similarity_after > result.similarity_before


def test_recovers_drive_and_eq(drive_eq) -> None:
    _, _, result, _ = drive_eq
    drive, gain = (row["value"] for row in result.parameters)
    assert drive == pytest.approx(30.0, abs=6.0)  # the search starts at 20 dB
    assert gain == pytest.approx(12.0, abs=3.0)  # and at 0 dB
    assert result.similarity_after > 0.99 > result.similarity_before


def test_similarity_after_is_what_the_written_audio_scores(drive_eq, mfcc: Encoder) -> None:
    """The search must judge the same sound it finally renders: with the whole file as the excerpt,
    the output's similarity to the reference is the reported one (also at a rate the encoder does
    not use: distortion sounds different at 48 kHz than at 22050 Hz)."""
    _, reference, result, _ = drive_eq
    scored = float(cosine(mfcc.embed(result.audio.samples, RATE), mfcc.embed(reference, RATE)))
    assert scored == pytest.approx(result.similarity_after, abs=1e-4)


def test_similarity_before_compares_the_dry_input(drive_eq, source: np.ndarray, mfcc: Encoder) -> None:
    _, reference, result, _ = drive_eq
    expected = float(cosine(mfcc.embed(source, RATE), mfcc.embed(reference, RATE)))
    assert result.similarity_before == pytest.approx(expected, abs=1e-5)
    assert result.similarity_after >= result.similarity_before


# --- the result --------------------------------------------------------------------------------


def test_result_rows_follow_the_chain_order(drive_eq) -> None:
    chain, _, result, _ = drive_eq
    assert isinstance(result, MatchResult)
    assert [(r["effect"], r["name"], r["unit"]) for r in result.parameters] == [
        ("distortion", "drive_db", "dB"), ("parametric_eq", "band2_gain_db", "dB")]
    for row, spec, x in zip(result.parameters, chain.parameters, result.normalized, strict=True):
        assert set(row) == {"effect", "name", "value", "normalized", "unit", "neutral", "enabled"}
        assert row["enabled"] is True and row["neutral"] == spec.neutral_value
        assert 0.0 <= row["normalized"] <= 1.0 and row["normalized"] == pytest.approx(x, abs=1e-6)
        assert row["value"] == pytest.approx(spec.from_normalized(x), abs=1e-5)
        assert isinstance(row["value"], float)


def test_result_audio_is_the_whole_input_processed(drive_eq, source: np.ndarray) -> None:
    chain, _, result, _ = drive_eq
    assert isinstance(result.audio, Audio)
    assert result.audio.sample_rate == RATE and result.audio.frames == source.shape[1]
    np.testing.assert_array_equal(result.audio.samples, chain.process(source, RATE, result.normalized))


def test_result_record(drive_eq) -> None:
    _, _, result, _ = drive_eq
    assert len(result.history) == 10 and result.stop == {"search": {"maxiter": 10}}
    assert result.history[-1]["best_similarity"] == result.similarity_after
    assert result.seconds > 0
    assert set(result.timings) == {"render_s", "embed_s", "optimizer_s"}
    assert all(t >= 0 for t in result.timings.values()) and sum(result.timings.values()) <= result.seconds


def test_progress_is_reported_once_per_generation(drive_eq) -> None:
    _, _, result, everything = drive_eq
    reports = [p for p in everything if p.stage == "search"]
    assert {p.stage for p in everything[len(reports):]} == {"render"} and everything[-1].rendered == 1.0
    assert [p.iteration for p in reports] == list(range(1, 11))
    assert all(p.max_iter == 10 for p in reports)
    assert [p.evaluations for p in reports] == [12 * i for i in range(1, 11)]
    bests = [p.best_similarity for p in reports]
    assert bests == sorted(bests) and bests[-1] == result.similarity_after
    elapsed = [p.elapsed_s for p in reports]
    assert elapsed == sorted(elapsed) and elapsed[-1] <= result.seconds


# --- options, cancelling, inputs -----------------------------------------------------------------


def test_same_seed_same_result(tmp_path: Path, source: np.ndarray, mfcc: Encoder) -> None:
    chain = _chain(tmp_path, DRIVE_EQ_TOML)
    reference = _reference(chain, [10.0, -6.0])
    runs = [match(source, reference, RATE, chain, mfcc, popsize=8, max_iter=2, excerpt_s=1.0, seed=s) for s in (4, 4, 5)]
    np.testing.assert_array_equal(runs[0].normalized, runs[1].normalized)
    np.testing.assert_array_equal(runs[0].audio.samples, runs[1].audio.samples)
    assert not np.array_equal(runs[0].normalized, runs[2].normalized)


def test_cancelled_stops_the_search(tmp_path: Path, source: np.ndarray, mfcc: Encoder) -> None:
    chain = _chain(tmp_path, EQ_TOML)
    reports: list[Progress] = []
    with pytest.raises(CancelledError, match="match cancelled after 2 generations"):
        match(source, source, RATE, chain, mfcc, popsize=8, max_iter=10, excerpt_s=1.0,
              progress=reports.append, cancelled=lambda: len(reports) >= 2)
    assert [p.iteration for p in reports] == [1, 2]
    with pytest.raises(CancelledError, match="after 0 generations"):
        match(source, source, RATE, chain, mfcc, popsize=8, max_iter=10, excerpt_s=1.0, cancelled=lambda: True)
    assert not CancelledError.bad_input  # the CLI reports a cancel as a failure, not bad input


def test_cancelled_during_the_final_render_stops_within_one_block(tmp_path: Path, mfcc: Encoder) -> None:
    """The full-length render goes block by block with progress: a cancel that comes once it started
    stops it after that block, long before the end."""
    long = music(40.0, rate=RATE, seed=3)  # 27 blocks of 32768 frames
    chain = _chain(tmp_path, EQ_TOML)
    reports: list[Progress] = []
    rendering = lambda: any(p.stage == "render" for p in reports)  # noqa: E731
    with pytest.raises(CancelledError, match="during the final render"):
        match(long, long, RATE, chain, mfcc, popsize=4, max_iter=1, excerpt_s=1.0, progress=reports.append,
              cancelled=rendering)
    rendered = [p.rendered for p in reports if p.stage == "render"]
    assert len(rendered) == 1 and 0 < rendered[0] < 0.05
    finished: list[Progress] = []
    match(long[:, :RATE * 3], long[:, :RATE * 3], RATE, chain, mfcc, popsize=4, max_iter=1, excerpt_s=1.0,
          progress=finished.append)
    assert [p.stage for p in finished][-1] == "render" and finished[-1].rendered == 1.0


def test_accepts_names_mono_audio_and_mixed_rates(tmp_path: Path, mfcc: Encoder) -> None:
    """The contract edge: a chain path and encoder name as strings; Audio values at their own rates."""
    path = tmp_path / "eq.toml"
    path.write_text(EQ_TOML, encoding="utf-8")
    mono = Audio(music(1.5, rate=44100, seed=1, channels=1), 44100)
    reference = Audio(music(1.5, rate=48000, seed=2), 48000)
    result = match(mono, reference, None, str(path), "mfcc", popsize=8, max_iter=2, excerpt_s=1.0)
    assert result.audio.sample_rate == 44100 and result.audio.frames == mono.frames
    assert [r["name"] for r in result.parameters] == ["band2_gain_db"]


@pytest.mark.parametrize(("options", "problem"), [
    ({"popsize": 0}, "search option popsize = 0"), ({"max_iters": 3}, "Did you mean 'max_iter'"),
    ({"excerpt_s": 0.0}, "excerpt length 0.0"), ({"excerpt_s": float("nan")}, "excerpt length nan"),
    ({"excerpt_s": 0.1}, "at least 0.5"),
])
def test_bad_options_are_refused_before_any_work(tmp_path: Path, source: np.ndarray, mfcc: Encoder,
                                                 options: dict, problem: str) -> None:
    chain = _chain(tmp_path, EQ_TOML)
    reports: list[Progress] = []
    with pytest.raises(SearchError, match=problem):
        match(source, source, RATE, chain, mfcc, progress=reports.append, **options)
    assert reports == []


def test_bad_arrays_name_the_input_or_reference(tmp_path: Path, source: np.ndarray, mfcc: Encoder) -> None:
    chain = _chain(tmp_path, EQ_TOML)
    with pytest.raises(AudioError, match="^reference: silent"):
        match(source, np.zeros_like(source), RATE, chain, mfcc)
    with pytest.raises(AudioError, match="^input: samples shaped"):
        match(source.T, source, RATE, chain, mfcc)


# --- the default match: neutral start, price, bypass, do no harm ---------------------------------

QUICK_DEFAULT = {"popsize": 12, "max_iter": 5, "seed": 0, "excerpt_s": 1.5}


def test_a_neutral_reference_returns_neutral_settings(source: np.ndarray) -> None:
    """The input itself as the reference: nothing to change, so every effect stays off."""
    chain = load_chain("builtin")
    result = match(source, source, RATE, chain, **QUICK_DEFAULT)
    assert result.economy["effects_on"] == 0 and result.economy["neutral_distance"] == 0.0
    assert not any(result.enabled) and all(not row["enabled"] for row in result.parameters)
    np.testing.assert_allclose(result.normalized, chain.neutral())
    np.testing.assert_array_equal(result.audio.samples, source)


def test_another_section_as_reference_stays_near_neutral() -> None:
    recording = music(2 * SECONDS, rate=RATE, seed=3)
    half = recording.shape[1] // 2
    result = match(recording[:, :half], recording[:, half:], RATE, "builtin", **QUICK_DEFAULT)
    assert result.economy["neutral_distance"] < 0.05


def test_a_reverb_only_reference_moves_no_eq_band(source: np.ndarray) -> None:
    import pedalboard as pb

    wet = pb.Reverb(room_size=0.8, wet_level=0.5, dry_level=1.0)(music(SECONDS, rate=RATE, seed=7), RATE)
    result = match(source, wet, RATE, "builtin", **{**QUICK_DEFAULT, "max_iter": 8})
    gains = [row["value"] for row in result.parameters if row["effect"] == "parametric_eq" and
             row["name"].endswith("_gain_db")]
    assert max(abs(g) for g in gains) <= 6.0, gains


class _Scored:
    """A stand-in for the match's scoring: fixed (similarity, score) per setting, in the order tried."""

    def __init__(self, chain: Chain, scores: list[float]) -> None:
        self.chain, self._scores = chain, np.array(scores)
        self.excerpts = [Audio(np.zeros((2, RATE), np.float32), RATE)]

    def scores(self, settings):
        assert len(settings) == len(self._scores)
        return self._scores, self._scores


def _found(chain: Chain):
    from stito_core.match import Setting

    return Setting(np.ones(len(chain.parameters)), np.ones(len(chain.slots), bool))


@pytest.mark.parametrize(("scores", "action", "amount"), [
    ([0.9, 0.8, 0.7, 0.6, 0.5], "kept", 1.0),
    ([0.4, 0.45, 0.6, 0.55, 0.5], "scaled", 0.5),
    ([0.4, 0.41, 0.42, 0.43, 0.5], "neutral", 0.0)])
def test_do_no_harm_backs_off_when_the_found_setting_loses_on_unheard_audio(tmp_path: Path, scores, action,
                                                                             amount) -> None:
    """Tried in order: found, 0.75, 0.5, 0.25 of the way, neutral; the first that beats neutral is kept."""
    from stito_core.match import verify

    chain = _chain(tmp_path, DRIVE_EQ_TOML)
    kept, record = verify(_found(chain), _Scored(chain, scores), True)
    assert (record["action"], record["amount"], record["unseen"]) == (action, amount, True)
    assert record["excerpt_s"] == 1.0
    expected = chain.neutral() + amount * (1 - chain.neutral())
    np.testing.assert_allclose(kept.normalized, expected)
    assert kept.enabled.any() == (action != "neutral")


def test_an_input_too_short_to_leave_an_excerpt_unheard_is_judged_whole() -> None:
    """Up to ``SECTIONS`` sections of the part the search did not hear, when it lasts an excerpt or more;
    else sections of the whole input (and the record says the check was not on unseen audio)."""
    from stito_core.match import _windows

    long, short = (Audio(music(seconds, rate=RATE, seed=2), RATE) for seconds in (8.0, 3.0))
    heard, judged, unseen = _windows(long, 2.0)
    assert unseen and heard.duration_s == pytest.approx(2.0) and len(judged) >= 2
    assert sum(a.frames for a in judged) <= long.frames - heard.frames
    heard, judged, unseen = _windows(short, 2.0)
    assert not unseen and sum(a.frames for a in judged) == short.frames


def test_no_effect_fakes_an_attribute_it_is_not_for() -> None:
    """A narrower reference (its side 20 dB down): the width stage narrows the input, and nothing else
    comes on. An EQ could lower the side-to-mid ratio by boosting the mono lows, and a reverb's narrow wet
    could too, but they are auditioned on tone and on space alone."""
    recording = music(2 * SECONDS, rate=RATE, seed=3)
    half = recording.shape[1] // 2
    mid, side = recording[:, half:].mean(axis=0), (recording[0, half:] - recording[1, half:]) / 2
    narrow = np.stack([mid + 0.1 * side, mid - 0.1 * side])
    result = match(recording[:, :half], narrow, RATE, "builtin", **QUICK_DEFAULT)
    enabled = dict(zip([s.effect.name for s in load_chain("builtin").slots], result.enabled))
    assert [name for name, on in enabled.items() if on] == ["stereo_width"], enabled
    side_gain = next(r["value"] for r in result.parameters if r["name"] == "side_gain_db")
    assert side_gain < -10.0, side_gain


def test_a_dark_reference_turns_the_eq_on_and_cuts_the_highs(source: np.ndarray) -> None:
    """Each effect is auditioned alone: one decisive parameter (a shelf's gain) is found at once, and the
    effects for other attributes stay off."""
    import pedalboard as pb

    dark = pb.LowpassFilter(1500)(music(SECONDS, rate=RATE, seed=7), RATE)
    result = match(source, dark, RATE, "builtin", **QUICK_DEFAULT)
    enabled = dict(zip([s.effect.name for s in load_chain("builtin").slots], result.enabled))
    assert enabled == {"distortion": False, "compressor": False, "parametric_eq": True, "delay": False,
                       "reverb": False, "stereo_width": False}
    gains = {row["name"]: row["value"] for row in result.parameters if row["name"].endswith("gain_db")}
    assert min(gains["band4_gain_db"], gains["high_shelf_gain_db"]) < -6.0, gains
    assert {"audition parametric_eq", "joint"} <= set(result.stop)


@pytest.mark.parametrize("objective", ["attributes", "mfcc"])
def test_candidates_are_scored_on_their_excerpts_together(objective: str) -> None:
    """Two excerpts rendered per candidate are pooled into one score: the untouched input scores 1 against
    its own target, a low-passed candidate less. The attribute objective measures in the render threads
    (``per_item``), an encoder in one batch; both give the serial result and charge render and measure time."""
    from concurrent.futures import ThreadPoolExecutor

    from stito_core.match import Setting, _Clock, _Problem
    from stito_core.objective import load_objective

    audio = Audio(music(2.0, rate=RATE, seed=4), RATE)
    halves = [audio.with_samples(audio.samples[:, :RATE]), audio.with_samples(audio.samples[:, RATE:])]
    chain, metric = load_chain("builtin"), load_objective(objective)
    target = metric.target(halves)
    dark = np.array(chain.neutral())
    eq = [i for i, p in enumerate(chain.parameters) if p.effect == "parametric_eq" and p.name == "high_shelf_gain_db"]
    dark[eq] = 0.0
    settings = [Setting.untouched(chain), Setting(dark, np.arange(len(chain.slots)) == 2)]
    with ThreadPoolExecutor(2) as pool:
        problem = _Problem(chain, metric, FREE, halves, target, pool, _Clock())
        sims, _ = problem.scores(settings)
    serial = [metric.compare(metric.target([chain.render(h, s.normalized, s.enabled) for h in halves])[None],
                             target)[0] for s in settings]
    assert sims[0] == pytest.approx(1.0, abs=1e-5)
    assert sims[1] < sims[0] - 1e-3
    assert sims == pytest.approx(serial, abs=1e-6)
    assert problem.clock.stages["render_s"] > 0 and problem.clock.stages["embed_s"] > 0


def test_amount_moves_each_parameter_from_neutral_in_its_own_scale() -> None:
    """Half the amount is half the dB of a gain and the geometric mean of a frequency with its neutral; 0 is
    every effect off at neutral; above 1 exaggerates up to the range."""
    chain = load_chain("builtin")
    keys = [p.key for p in chain.parameters]
    gain, freq = keys.index("parametric_eq.band2_gain_db"), keys.index("parametric_eq.band2_freq_hz")
    found = chain.neutral()
    found[gain] = chain.parameters[gain].to_normalized(12.0)
    found[freq] = chain.parameters[freq].to_normalized(1400.0)
    enabled = [False, False, True, False, False, False]
    half, on = chain.at_amount(found, enabled, 0.5)
    assert chain.parameters[gain].from_normalized(half[gain]) == pytest.approx(6.0)
    assert chain.parameters[freq].from_normalized(half[freq]) == pytest.approx(np.sqrt(700.0 * 1400.0))
    assert on == enabled
    zero, off = chain.at_amount(found, enabled, 0.0)
    np.testing.assert_allclose(zero, chain.neutral())
    assert not any(off)
    more, _ = chain.at_amount(found, enabled, 1.5)
    assert chain.parameters[gain].from_normalized(more[gain]) == pytest.approx(18.0)
    assert np.array_equal(chain.at_amount(found, enabled, 1.0)[0], found)


def test_amount_zero_returns_the_input_untouched(source: np.ndarray) -> None:
    import pedalboard as pb

    dark = pb.LowpassFilter(1500.0)(music(SECONDS, rate=RATE, seed=7), RATE)
    result = match(source, dark, RATE, "builtin", amount=0.0, **QUICK_DEFAULT)
    assert result.amount == 0.0 and not any(result.enabled)
    np.testing.assert_array_equal(result.audio.samples, source)
    assert len(result.found) == len(result.parameters)


def test_matching_space_only_leaves_eq_and_compressor_neutral(source: np.ndarray) -> None:
    """``--match space`` on a reverb-only reference: the effects for tone and dynamics are never tried."""
    import pedalboard as pb

    from stito_core.objective import AttributeObjective

    wet = pb.Reverb(room_size=0.8, wet_level=0.5, dry_level=1.0)(music(SECONDS, rate=RATE, seed=7), RATE)
    result = match(source, wet, RATE, "builtin", AttributeObjective({"space": 1.0}), **QUICK_DEFAULT)
    for row in result.parameters:
        if row["effect"] in ("parametric_eq", "compressor", "distortion"):
            assert not row["enabled"] and row["value"] == pytest.approx(row["neutral"]), row
    assert not any(h["stage"] in ("audition parametric_eq", "audition compressor") for h in result.history)
    assert any(h["stage"] == "audition reverb" for h in result.history)


def test_bad_amounts_are_refused(source: np.ndarray) -> None:
    for amount in (-0.1, 1.6, float("nan"), "1", True):
        with pytest.raises(SearchError, match="amount"):
            match(source, source, RATE, "builtin", amount=amount, **QUICK_DEFAULT)


def test_two_identical_references_match_as_one(source: np.ndarray) -> None:
    import pedalboard as pb

    dark = pb.LowpassFilter(1500.0)(music(SECONDS, rate=RATE, seed=7), RATE)
    one = match(source, dark, RATE, "builtin", **QUICK_DEFAULT)
    two = match(source, [dark, dark], RATE, "builtin", **QUICK_DEFAULT)
    np.testing.assert_array_equal(one.audio.samples, two.audio.samples)
    assert one.parameters == two.parameters
    assert two.report["references"]["count"] == 2
    assert all(d == 0.0 for d in two.report["references"]["apart"].values())
    bright = pb.HighpassFilter(1500.0)(music(SECONDS, rate=RATE, seed=8), RATE)
    apart = match(source, [dark, bright], RATE, "builtin", **QUICK_DEFAULT).report["references"]["apart"]
    assert apart["tone"] > 0.1
