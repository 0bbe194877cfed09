"""``stito bench style-transfer``: real-world style transfer (PAPER.md benchmark 4), judged by
closeness to the oracle.

Seven production styles are chains of real plugins (LADSPA: SWH, CAPS, TAP, zam-plugins) with fixed
settings written below as data. For each style and content kind there are two pairings: the reference
is another recording of the kind through the style (``other-recording``), or another section of the
input's own recording through it (``same-recording``). The oracle is the input through the reference's
true chain. Systems: the input unprocessed, the ``builtin`` chain at random settings, the rule-based
baseline, Matchering 2, ST-ITO with the ``builtin`` and with the ``zam`` chain, and the oracle. Every
output is peak-normalised (as the authors' code does) and scored by signal metrics against the oracle's
output, each also as a ratio to the input's own distance (below 1: closer than doing nothing); its
similarity to the reference under the metric ST-ITO searches with is reported too, but that is partly
ST-ITO's own objective, not a quality measure. A targets table checks the default ``stito match``.
"""

from __future__ import annotations

import math
import operator
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import Audio
from ..chain import Chain, Slot
from ..chains import BACKENDS, load_chain
from ..encoders import Encoder, load_encoder
from ..objective import DEFAULT_METRIC, EmbeddingObjective, Objective, load_objective
from ..errors import StitoError
from ..excerpt import loudest_excerpt
from ..match import EXCERPT_S, MatchResult, match_audio
from ..rule_based import match_rule_based
from . import Report, markdown_table
from .data import CONTENT_KINDS, PEAK_DB, clips, sections
from .matchering_peer import match_matchering
from .signal_metrics import METRICS, compare

@dataclass(frozen=True)
class Stage:
    """One plugin of a style: a ``chains.BACKENDS`` table and its settings in the plugin's own units."""

    plugin: Mapping[str, str]
    values: Mapping[str, float]


def _ladspa(library: str, label: str | None = None) -> dict[str, str]:
    return {"type": "ladspa", "library": library, **({"label": label} if label else {})}


_LOWPASS, _HIGHPASS = _ladspa("butterworth_1902.so", "buttlow_iir"), _ladspa("butterworth_1902.so", "butthigh_iir")
_GVERB = _ladspa("gverb_1216.so")

#: Style name -> its plugins in series, as a DAW user would set them.
STYLES: dict[str, tuple[Stage, ...]] = {
    "lowpass": (Stage(_LOWPASS, {"cutoff_frequency_hz": 2000.0, "resonance": 0.707}),),
    "highpass": (Stage(_HIGHPASS, {"cutoff_frequency_hz": 600.0, "resonance": 0.707}),),
    "small room": (Stage(_GVERB, {"roomsize_m": 8.0, "reverb_time_s": 0.6, "damping": 0.6, "input_bandwidth": 0.8,
                                  "dry_signal_level_db": 0.0, "early_reflection_level_db": -12.0,
                                  "tail_level_db": -20.0}),),
    "large hall": (Stage(_GVERB, {"roomsize_m": 120.0, "reverb_time_s": 3.5, "damping": 0.4, "input_bandwidth": 0.7,
                                  "dry_signal_level_db": 0.0, "early_reflection_level_db": -18.0,
                                  "tail_level_db": -12.0}),),
    "delay": (Stage(_ladspa("tap_echo.so"), {"l_delay_ms": 300.0, "l_feedback_pct": 35.0, "r_haas_delay_ms": 450.0,
                                             "r_haas_feedback_pct": 35.0, "l_echo_level_db": -6.0,
                                             "r_echo_level_db": -6.0, "dry_level_db": 0.0}),),
    "distortion": (Stage(_ladspa("valve_1209.so"), {"distortion_level": 0.8, "distortion_character": 0.6}),
                   Stage(_LOWPASS, {"cutoff_frequency_hz": 5000.0, "resonance": 0.707})),
    "channel strip": (
        Stage(_ladspa("ZamEQ2-ladspa.so"), {"boost_cut_l_db": 4.0, "frequency_l_hz": 120.0, "boost_cut_1_db": -4.0,
                                            "frequency_1_hz": 350.0, "bandwidth_1": 1.5, "boost_cut_2_db": 3.0,
                                            "frequency_2_hz": 3000.0, "bandwidth_2": 1.0, "boost_cut_h_db": 5.0,
                                            "frequency_h_hz": 9000.0}),
        Stage(_ladspa("tap_tubewarmth.so", "tap_tubewarmth"), {"drive": 3.0, "tape_tube_blend": 5.0}),
        Stage(_ladspa("ZamCompX2-ladspa.so"), {"threshold_db": -26.0, "ratio": 4.0, "attack_ms": 8.0,
                                               "release_ms": 120.0, "knee_db": 4.0, "makeup_db": 8.0}),
        Stage(_ladspa("ZamDelay-ladspa.so"), {"time_ms": 220.0, "feedback": 0.25, "dry_wet": 0.15, "lpf_hz": 5000.0}),
        Stage(_ladspa("caps.so", "PlateX2"), {"bandwidth": 0.7, "tail": 0.45, "damping": 0.4, "blend": 0.18})),
}


#: Systems in table order.
SYSTEMS = ("input", "random", "rule-based", "matchering", "st-ito builtin", "st-ito zam", "oracle")
#: The ST-ITO systems: name -> the chain it searches.
ST_ITO = {"st-ito builtin": "builtin", "st-ito zam": "zam"}
#: The system the targets judge (the default ``stito match``) and the peers it must beat.
JUDGED, PEERS = "st-ito builtin", ("rule-based", "matchering")
#: Pairing -> (how the input and the recording the reference is made from are cut, called as
#: ``cut(kind, 2, seconds, seed=seed)``; one line for people).
PAIRINGS: dict[str, tuple[Callable[..., list[Audio]], str]] = {
    "other-recording": (clips, "the reference is another recording of the same kind"),
    "same-recording": (sections, "input and reference are two disjoint sections of one recording"),
}
#: A distance ratio to the input's up to this counts as no farther than the input (no harm).
NO_HARM = 1.05
#: Processing economy of an ST-ITO result (``MatchResult.economy``): effects switched on (count), mean
#: absolute distance of the searched parameters from neutral (normalised 0-1).
ECONOMY = ("effects_on", "neutral_distance")
#: Ratios of the per-style table and the plot.
STYLE_RATIOS = ("mrstft", "spectral_db")

#: One transfer's record (see ``_transfer``); summaries: pairing -> system -> ``_summary``; per-style
#: means: pairing -> style -> system -> key -> value.
Transfer = dict[str, Any]
Summaries = dict[str, dict[str, dict[str, Any]]]
ByStyle = dict[str, dict[str, dict[str, dict[str, float]]]]


@dataclass(frozen=True)
class Settings:
    """Size of a run: styles, content kinds, pairings, trials per (style, kind, pairing), clip length
    (s) and the ST-ITO search options (empty: the defaults of ``stito match``) with its excerpt (s)."""

    styles: tuple[str, ...]
    kinds: tuple[str, ...]
    pairings: tuple[str, ...]
    trials: int
    clip_s: float
    excerpt_s: float
    search: Mapping[str, int]


#: Default: every style on speech, singing and music in both pairings, one trial each (42 transfers),
#: ST-ITO as ``stito match`` runs it (its default search and excerpt).
DEFAULT = Settings(tuple(STYLES), ("speech", "singing", "music"), tuple(PAIRINGS), 1, 5.0, EXCERPT_S, {})
#: For tests: two styles on speech in both pairings, a tiny search.
QUICK = Settings(("lowpass", "distortion"), ("speech",), tuple(PAIRINGS), 1, 2.0, 1.0, {"popsize": 4, "max_iter": 2})


def check_settings(settings: Settings) -> Settings:
    """``settings`` when it names at least one style, kind and pairing, all known, and one trial or
    more; else ``StitoError`` naming the first bad field and its valid values."""
    for field, valid in (("styles", STYLES), ("kinds", CONTENT_KINDS), ("pairings", PAIRINGS)):
        names = getattr(settings, field)
        if not names or any(name not in valid for name in names):
            msg = f"style-transfer settings: {field} {list(names)}; choose one or more of {', '.join(valid)}"
            raise StitoError(msg)
    if settings.trials < 1:
        raise StitoError(f"style-transfer settings: trials {settings.trials}; expected 1 or more")
    return settings


def style_chain(style: str) -> Chain:
    """Style ``style`` as a chain with nothing searched (render it with an empty vector)."""
    slots = [Slot(BACKENDS[stage.plugin["type"]](stage.plugin), (), dict(stage.values)) for stage in STYLES[style]]
    return Chain(style, slots, f"style '{style}'")


def peak_normalised(audio: Audio) -> Audio:
    """``audio`` scaled to a peak of ``PEAK_DB`` dBFS (the level of every benchmark clip)."""
    return audio.with_samples(audio.samples * (10 ** (PEAK_DB / 20) / (np.max(np.abs(audio.samples)) + 1e-12)))


# ------------------------------------------------------------------------------------------ systems
def load_metric() -> Objective:
    """What ST-ITO searches with and the similarity column measures: ``stito match``'s default metric."""
    return load_objective(DEFAULT_METRIC)


def _st_ito(chain_name: str, source: Audio, reference: Audio, metric: Objective, settings: Settings,
            seed: int) -> MatchResult:
    """ST-ITO as ``stito match`` runs it: chain ``chain_name`` searched with ``metric`` on the loudest
    ``settings.excerpt_s`` seconds, with the ``settings.search`` options, seeded by ``seed``."""
    return match_audio(source, reference, load_chain(chain_name), metric, excerpt_s=settings.excerpt_s, seed=seed,
                       **settings.search)


def _random(source: Audio, seed: int) -> Audio:
    """``source`` (as stereo) through the builtin chain at a uniform random vector seeded by ``seed``."""
    builtin = load_chain("builtin")
    return builtin.render(source.stereo(), np.random.default_rng(seed).uniform(size=len(builtin.parameters)))


def _systems(source: Audio, reference: Audio, oracle: Audio, metric: Objective, settings: Settings,
             seed: int) -> dict[str, Callable[[], Audio | MatchResult]]:
    """Each system of ``SYSTEMS`` as a call that transfers ``source`` towards ``reference``; ``oracle``
    is the input through the style's chain."""
    st_ito = {name: partial(_st_ito, chain, source, reference, metric, settings, seed)
              for name, chain in ST_ITO.items()}
    return {"input": lambda: source, "random": partial(_random, source, seed),
            "rule-based": lambda: match_rule_based(source, reference).audio,
            "matchering": partial(match_matchering, source, reference), **st_ito, "oracle": lambda: oracle}


def _run(systems: dict[str, Callable[[], Audio | MatchResult]]) -> tuple[dict[str, Any], dict[str, float]]:
    """Every system's result (``Audio`` or ``MatchResult``), and the seconds it took."""
    results, seconds = {}, {}
    for name, run in systems.items():
        start = time.perf_counter()
        results[name] = run()
        seconds[name] = time.perf_counter() - start
    return results, seconds


# ---------------------------------------------------------------------------------------- transfers
def _jobs(settings: Settings) -> list[tuple[str, str, str, int, int]]:
    """(style, kind, pairing, trial, seed) of every transfer; the pairings of one (style, kind, trial)
    share its seed."""
    cases = [(style, kind, trial) for style in settings.styles for kind in settings.kinds
             for trial in range(settings.trials)]
    return [(style, kind, pairing, trial, seed) for seed, (style, kind, trial) in enumerate(cases)
            for pairing in settings.pairings]


def _transfer(style: str, kind: str, pairing: str, trial: int, seed: int, metric: Objective, judge: Encoder,
              settings: Settings) -> Transfer:
    """One transfer: input and recording cut from ``kind`` content as ``pairing`` says (seeded by
    ``seed``), the recording through the style as the reference. Returns each system's distances to the
    oracle, similarities (``judge``: the shipped AFx-Rep) and seconds, its distance ratios to the input's,
    the ST-ITO systems' economy and the builtin chain's found parameter rows."""
    source, recording = PAIRINGS[pairing][0](kind, 2, settings.clip_s, seed=seed)
    chain = style_chain(style)
    reference = peak_normalised(chain.render(recording, []))
    results, seconds = _run(_systems(source, reference, chain.render(source, []), metric, settings, seed))
    outputs = {name: peak_normalised(r.audio if isinstance(r, MatchResult) else r) for name, r in results.items()}
    distances = {name: compare(audio, outputs["oracle"]) for name, audio in outputs.items()}
    similarity = _similarities(reference, outputs, (metric, judge), settings.excerpt_s)
    return {"style": style, "kind": kind, "pairing": pairing, "trial": trial, "seed": seed,
            "systems": {name: {**distances[name], **similarity[name], "seconds": seconds[name]} for name in outputs},
            "ratios": {name: _ratios(distances[name], distances["input"]) for name in outputs},
            "economy": {name: _economy(results[name]) for name in ST_ITO},
            "builtin_parameters": [dict(row) for row in results[JUDGED].parameters]}


def _similarities(reference: Audio, outputs: dict[str, Audio], metrics: tuple[Objective, Encoder],
                  excerpt_s: float) -> dict[str, dict[str, float]]:
    """System -> similarity of its loudest ``excerpt_s`` seconds to the reference's under the first
    metric (``similarity``) and the cosine under the second encoder (``afx_rep_similarity``)."""
    excerpts = [loudest_excerpt(audio, excerpt_s) for audio in (reference, *outputs.values())]
    objectives = (metrics[0], EmbeddingObjective(metrics[1]))
    sims = {key: objective.similarity(excerpts[1:], objective.target(excerpts[:1]))
            for key, objective in zip(("similarity", "afx_rep_similarity"), objectives)}
    return {name: {key: float(values[i]) for key, values in sims.items()} for i, name in enumerate(outputs)}


def distance_ratio(distance: float, input_distance: float) -> float:
    """``distance`` over the input's; when the input is at zero distance, 1 if the system is too and
    NaN otherwise (no ratio; left out of means and counts)."""
    if input_distance > 0:
        return distance / input_distance
    return 1.0 if distance == 0 else math.nan


def _ratios(distances: dict[str, float], input_distances: dict[str, float]) -> dict[str, float]:
    """Metric -> ``distance_ratio`` of one system's distances to the oracle over the input's."""
    return {key: distance_ratio(value, input_distances[key]) for key, value in distances.items()}


def _economy(result: MatchResult) -> dict[str, float]:
    """The ``ECONOMY`` figures of an ST-ITO result (NaN where the engine reports none)."""
    economy = getattr(result, "economy", {})
    return {key: float(economy.get(key, math.nan)) for key in ECONOMY}


# ------------------------------------------------------------------------------------------ the run
def run_transfer(quick: bool = False, plot_dir: Path | None = None, settings: Settings | None = None) -> Report:
    """Transfer every style on every content kind in every pairing with every system: ``settings``
    when given, else ``QUICK`` or ``DEFAULT``. Summaries per pairing and per style, the targets, and
    ``transfer.png`` in ``plot_dir`` when given."""
    start, cpu = time.perf_counter(), time.process_time()
    settings = check_settings(settings or (QUICK if quick else DEFAULT))
    metric, judge = load_metric(), load_encoder("afx-rep")
    transfers = [_transfer(*job, metric, judge, settings) for job in _jobs(settings)]
    summary = {pairing: _summaries([t for t in transfers if t["pairing"] == pairing]) for pairing in settings.pairings}
    by_style = _by_style(transfers, settings)
    targets = [{"target": text, **dict(zip(("value", "met"), check(transfers, by_style)))} for text, check in TARGETS]
    plots = (_plot(summary, by_style, plot_dir),) if plot_dir is not None else ()
    data = {"settings": {**asdict(settings), "search": dict(settings.search)}, "encoder": metric.name,
            "styles": {s: [asdict(stage) for stage in STYLES[s]] for s in settings.styles}, "transfers": transfers,
            "summary": summary, "by_style": by_style, "targets": targets, "seconds": time.perf_counter() - start,
            "cpu_seconds": time.process_time() - cpu}
    table = _caption(settings, metric.name) + "\n\n" + _tables(summary, by_style, targets)
    return Report("style-transfer", table, data, plots)


def _column(transfers: list[Transfer], table: str, name: str, key: str) -> np.ndarray:
    """``transfer[table][name][key]`` of every transfer, as float64."""
    return np.array([t[table][name][key] for t in transfers], dtype=np.float64)


def _summaries(transfers: list[Transfer]) -> dict[str, dict[str, Any]]:
    """System -> ``_summary`` over ``transfers``."""
    return {name: _summary(transfers, name) for name in SYSTEMS}


def _summary(transfers: list[Transfer], name: str) -> dict[str, Any]:
    """System ``name`` over ``transfers``: mean distance, median and mean ratio per metric; the cases
    closer than the input on MR-STFT (ratio < 1) and no farther (ratio <= ``NO_HARM``) of all ``cases``;
    mean economy (None for systems that have none); mean similarities and seconds."""
    ratios = {key: _column(transfers, "ratios", name, key) for key in METRICS}
    economy = {key: float(np.mean(_column(transfers, "economy", name, key))) if name in ST_ITO else None
               for key in ECONOMY}
    return {"distance": {key: float(np.mean(_column(transfers, "systems", name, key))) for key in METRICS},
            "median_ratio": {key: float(np.nanmedian(values)) for key, values in ratios.items()},
            "mean_ratio": {key: float(np.nanmean(values)) for key, values in ratios.items()},
            "closer": int(np.sum(ratios["mrstft"] < 1)), "no_farther": int(np.sum(ratios["mrstft"] <= NO_HARM)),
            "cases": len(transfers), **economy,
            **{key: float(np.mean(_column(transfers, "systems", name, key)))
               for key in ("similarity", "afx_rep_similarity", "seconds")}}


def _by_style(transfers: list[Transfer], settings: Settings) -> ByStyle:
    """Pairing -> style -> ``_style_means`` of its transfers."""
    return {pairing: {style: _style_means([t for t in transfers if (t["pairing"], t["style"]) == (pairing, style)])
                      for style in settings.styles} for pairing in settings.pairings}


def _style_means(transfers: list[Transfer]) -> dict[str, dict[str, float]]:
    """System -> mean MR-STFT distance (``mrstft``) and mean ratio of each ``STYLE_RATIOS`` metric
    (``<metric>_ratio``) over ``transfers``."""
    return {name: {"mrstft": float(np.mean(_column(transfers, "systems", name, "mrstft"))),
                   **{f"{key}_ratio": float(np.nanmean(_column(transfers, "ratios", name, key)))
                      for key in STYLE_RATIOS}} for name in SYSTEMS}


# ------------------------------------------------------------------------------------------ targets
#: A target's check: (transfers, per-style means) -> (value as shown, met; None when no case applies).
Check = Callable[[list[Transfer], ByStyle], tuple[str, bool | None]]


def _share(transfers: list[Transfer], _by_style: ByStyle, within: Callable[[float], bool],
           least: float) -> tuple[str, bool]:
    """(the share of cases whose MR-STFT ratio ``within`` accepts, as shown; met when at least ``least``)."""
    share = float(np.mean([within(t["ratios"][JUDGED]["mrstft"]) for t in transfers]))
    return f"{100 * share:.0f} % of {len(transfers)}", share >= least


def _styles_worse(_transfers: list[Transfer], by_style: ByStyle,
                  worse: Callable[[float, float], bool], what: str) -> tuple[str, bool]:
    """(how many (pairing, style) mean MR-STFT distances of ``JUDGED`` are ``worse`` than the input's,
    which ``what`` words; met when none is)."""
    cells = [systems for styles in by_style.values() for systems in styles.values()]
    bad = sum(worse(systems[JUDGED]["mrstft"], systems["input"]["mrstft"]) for systems in cells)
    return f"{bad} of {len(cells)} (style, pairing) means {what} the input's", bad == 0


def _overall(transfers: list[Transfer], name: str, key: str) -> float:
    """Mean distance ``key`` of system ``name`` over all ``transfers``."""
    return float(np.mean(_column(transfers, "systems", name, key)))


def _versus_input(transfers: list[Transfer], _by_style: ByStyle, most: float) -> tuple[str, bool]:
    """(``JUDGED``'s overall mean MR-STFT over the input's; met when at most ``most``)."""
    ratio = _overall(transfers, JUDGED, "mrstft") / _overall(transfers, "input", "mrstft")
    return f"{ratio:.2f} x the input's", ratio <= most


def _versus_peers(transfers: list[Transfer], _by_style: ByStyle, key: str) -> tuple[str, bool]:
    """(``JUDGED``'s overall mean distance ``key`` beside each of ``PEERS``'; met when below all)."""
    judged, peers = _overall(transfers, JUDGED, key), {peer: _overall(transfers, peer, key) for peer in PEERS}
    shown = f"{judged:.3f} vs " + ", ".join(f"{peer} {value:.3f}" for peer, value in peers.items())
    return shown, all(judged < value for value in peers.values())


def applied_value(row: Mapping[str, Any]) -> float:
    """A parameter row's value in its unit as applied: its ``neutral`` value when its effect is
    switched off (``enabled`` False; rows without the flag count as on)."""
    return float(row["value"] if row.get("enabled", True) else row["neutral"])


def _parameters_within(transfers: list[Transfer], _by_style: ByStyle, styles: tuple[str, ...],
                       chosen: Callable[[Mapping[str, Any]], bool], limit: float) -> tuple[str, bool | None]:
    """(the largest |``applied_value``| of the builtin parameter rows that ``chosen`` picks in the
    transfers of ``styles``; met when at most ``limit``, None when no such row was found)."""
    values = [abs(applied_value(row)) for t in transfers if t["style"] in styles
              for row in t["builtin_parameters"] if chosen(row)]
    return ("-", None) if not values else (f"largest {max(values):.3f}", max(values) <= limit)


def _is_wet(row: Mapping[str, Any]) -> bool:
    """Whether a builtin row is the delay's mix or the reverb's wet level (0 = dry)."""
    return (row["effect"], row["name"]) in {("delay", "mix"), ("reverb", "wet_level")}


def _is_eq_gain(row: Mapping[str, Any]) -> bool:
    """Whether a builtin row is a gain (dB) of the parametric EQ."""
    return row["effect"] == "parametric_eq" and row["name"].endswith("_gain_db")


#: Targets for ``JUDGED``, in order: (what, check(transfers, by_style) -> (value as shown, met; None
#: when no case of the run applies)).
TARGETS: tuple[tuple[str, Check], ...] = (
    (f"no harm: MR-STFT ratio <= {NO_HARM:g} in >= 90 % of cases",
     partial(_share, within=lambda ratio: ratio <= NO_HARM, least=0.9)),
    ("no harm: no style's mean MR-STFT above the input's (per pairing)",
     partial(_styles_worse, worse=operator.gt, what="above")),
    ("mean MR-STFT below the input's on every style, both pairings",
     partial(_styles_worse, worse=operator.ge, what="not below")),
    ("overall mean MR-STFT <= 0.8 x the input's", partial(_versus_input, most=0.8)),
    ("overall mean MR-STFT below rule-based's and matchering's", partial(_versus_peers, key="mrstft")),
    ("overall mean spectral_db below rule-based's and matchering's", partial(_versus_peers, key="spectral_db")),
    ("closer than the input (MR-STFT ratio < 1) in >= 75 % of cases",
     partial(_share, within=lambda ratio: ratio < 1, least=0.75)),
    ("lowpass, highpass: delay mix and reverb wet <= 0.05",
     partial(_parameters_within, styles=("lowpass", "highpass"), chosen=_is_wet, limit=0.05)),
    ("small room, large hall, delay: every EQ gain within +-3 dB",
     partial(_parameters_within, styles=("small room", "large hall", "delay"), chosen=_is_eq_gain, limit=3.0)),
)


# ----------------------------------------------------------------------------------- tables, plot
#: Metric key -> column heading (every distance: lower is closer to the oracle).
HEADINGS = {"mrstft": "MR-STFT", "spectral_db": "spectral dB", "crest_db": "crest dB", "decay_db": "decay dB",
            "loudness_lu": "loudness LU", "centroid_hz": "centroid Hz", "mfcc": "MFCC"}
#: The similarity columns (after the distances): summary key -> heading.
SIMILARITIES = {"similarity": "similarity to reference (own-objective, not a quality measure)",
                "afx_rep_similarity": "AFx-Rep similarity (own-objective, not a quality measure)"}


def _cell(value: Any, digits: int = 3) -> str:
    """A table cell: ``-`` for None or NaN, floats to ``digits`` decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _overall_row(name: str, summary: dict[str, Any]) -> list[str]:
    """One system's row of a pairing's table."""
    metrics = [f"{_cell(summary['distance'][key])} ({_cell(summary['median_ratio'][key], 2)} / "
               f"{_cell(summary['mean_ratio'][key], 2)})" for key in HEADINGS]
    counts = [f"{summary[key]}/{summary['cases']}" for key in ("closer", "no_farther")]
    return [name, *metrics, *counts, _cell(summary["effects_on"], 1), _cell(summary["neutral_distance"]),
            _cell(summary["seconds"], 1), *(_cell(summary[key]) for key in SIMILARITIES)]


def _tables(summary: Summaries, by_style: ByStyle, targets: list[dict[str, Any]]) -> str:
    """One table per pairing, one per-style table per pairing, then the targets."""
    return "\n\n".join([*(_pairing_table(pairing, systems) for pairing, systems in summary.items()),
                        *(_style_table(pairing, styles) for pairing, styles in by_style.items()),
                        _targets_table(targets)])


def _pairing_table(pairing: str, systems: dict[str, dict[str, Any]]) -> str:
    """Every system's summary over one pairing's transfers."""
    header = ["system", *(f"{heading} (down)" for heading in HEADINGS.values()), "closer (ratio < 1)",
              f"no farther (ratio <= {NO_HARM:g})", "effects on", "neutral distance", "seconds", *SIMILARITIES.values()]
    rows = [_overall_row(name, systems[name]) for name in SYSTEMS]
    return f"Pairing {pairing} ({PAIRINGS[pairing][1]}):\n\n" + markdown_table(header, rows)


def _style_table(pairing: str, styles: dict[str, dict[str, dict[str, float]]]) -> str:
    """Each system's mean MR-STFT and spectral_db ratios per style of one pairing."""
    rows = [[name, *(f"{_cell(styles[s][name]['mrstft_ratio'], 2)} / {_cell(styles[s][name]['spectral_db_ratio'], 2)}"
                     for s in styles)] for name in SYSTEMS]
    return (f"Mean MR-STFT ratio / mean spectral_db ratio per style, {pairing} (mean over kinds):\n\n"
            + markdown_table(["system", *styles], rows))


def _targets_table(targets: list[dict[str, Any]]) -> str:
    """The targets with their values and whether each is met (n/a: no case of the run applies)."""
    rows = [[t["target"], t["value"], {True: "yes", False: "no", None: "n/a"}[t["met"]]] for t in targets]
    return f"Targets ({JUDGED}, the default stito match):\n\n" + markdown_table(["target", "value", "met"], rows)


def _caption(settings: Settings, metric: str) -> str:
    """What the tables show and how they were made."""
    search = ", ".join(f"{k} {v}" for k, v in settings.search.items()) or "the defaults of stito match"
    pairings = "; ".join(f"{pairing}: {PAIRINGS[pairing][1]}" for pairing in settings.pairings)
    metrics = "; ".join(f"{key}: {doc}" + (f" ({unit})" if unit else "") for key, (_f, unit, doc) in METRICS.items())
    return (f"Style transfer (PAPER.md benchmark 4): {len(settings.styles)} styles x {len(settings.kinds)} kinds "
            f"({', '.join(settings.kinds)}) x {len(settings.pairings)} pairings x {settings.trials} trial(s); "
            f"{settings.clip_s:g} s clips. Pairings: {pairings}. Every output is peak-normalised to {PEAK_DB:g} dBFS "
            "and compared with the oracle (the input through the reference's true chain) by signal metrics that "
            f"no embedding enters ({metrics}; signed differences as absolute values). Each metric cell: mean "
            "distance (median / mean of the per-case ratio to the unprocessed input's distance; below 1 is closer "
            f"than doing nothing). Closer / no farther: cases with MR-STFT ratio < 1 / <= {NO_HARM:g}. Effects on "
            "and neutral distance (mean |normalised parameter - neutral|): how much processing ST-ITO used. ST-ITO "
            f"searches with {metric} ({search}) on the loudest {settings.excerpt_s:g} s; the similarity columns "
            f"(cosine to the reference under {metric}, and under the shipped AFx-Rep, on the same excerpt) are "
            "partly its own objective, not a quality measure. Random: the builtin chain at a uniform random vector. "
            "Matchering: Matchering 2.0 (RMS, mid/side FIR matching EQ, limiter).")


#: Systems drawn in the plot: the input is its line at 1, the oracle is 0 on every ratio.
DRAWN = tuple(name for name in SYSTEMS if name not in ("input", "oracle"))


def _bars(ax: Any, labels: list[str], series: dict[str, list[float]], title: str) -> None:
    """Grouped, labelled bars of ratios on a log axis (ticks at powers of 2), one group per label, one
    bar per series, each drawn from the input's 1: down is closer to the oracle than the unprocessed
    input, up is farther."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    width = 0.8 / len(series)
    for i, (name, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        bars = ax.bar(np.arange(len(labels)) + offset, np.asarray(values) - 1, width, bottom=1, label=name,
                      color=f"C{i}")
        ax.bar_label(bars, labels=[f"{value:.2f}" for value in values], fontsize=5)
    ax.axhline(1.0, color="black", linestyle="--", linewidth=1, label="input (unprocessed)")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=2))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("distance to the oracle / the input's", fontsize=7)
    ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right", fontsize=7)
    ax.set_title(title, fontsize=8)
    ax.legend(fontsize=6)


def _plot(summary: Summaries, by_style: ByStyle, plot_dir: Path) -> str:
    """Per pairing, each system's mean MR-STFT and spectral_db ratio; then each style's mean MR-STFT
    ratio per system over both pairings. Returns the file name written into ``plot_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(summary) + 1, figsize=(5.0 * (len(summary) + 1), 4.2))
    for ax, (pairing, systems) in zip(axes, summary.items()):
        series = {f"{HEADINGS[key]} ratio": [systems[name]["mean_ratio"][key] for name in DRAWN]
                  for key in STYLE_RATIOS}
        _bars(ax, list(DRAWN), series, f"{pairing}: mean ratio per system (down is better)")
    styles = list(next(iter(by_style.values())))
    series = {name: [float(np.mean([by_style[p][s][name]["mrstft_ratio"] for p in by_style])) for s in styles]
              for name in DRAWN}
    _bars(axes[-1], styles, series, "per style: mean MR-STFT ratio over pairings (down is better)")
    fig.tight_layout()
    plot_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(plot_dir / "transfer.png", dpi=110)
    plt.close(fig)
    return "transfer.png"
