"""``stito bench style-transfer``: real-world style transfer (PAPER.md benchmark 4).

Seven production styles are chains of real plugins (LADSPA: SWH, CAPS, TAP, zam-plugins) with fixed
settings written below as data. For each style and content kind, the reference is one recording
through the style and the input another recording of the same kind; the oracle is the input through
the reference's true chain. Systems: the input unprocessed, the ``builtin`` chain at random settings,
the rule-based baseline, ST-ITO with the ``builtin`` and with the ``zam`` chain, and the oracle. Every
output is peak-normalised (as the authors' code does) and scored by its similarity to the reference
under the default metric encoder, and by signal metrics against the oracle's output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import Audio
from ..chain import Chain, Slot
from ..chains import BACKENDS, load_chain
from ..encoders import DEFAULT_METRIC, Encoder, load_encoder
from ..excerpt import loudest_excerpt
from ..match import EXCERPT_S, match_audio
from ..metric import cosine
from ..rule_based import match_rule_based
from . import Report, markdown_table
from .data import PEAK_DB, clips
from .signal_metrics import METRICS, compare

#: Systems in table order.
SYSTEMS = ("input", "random", "rule-based", "st-ito builtin", "st-ito zam", "oracle")


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


@dataclass(frozen=True)
class Settings:
    """Size of a run: styles, content kinds, trials per (style, kind), clip length (s) and the ST-ITO
    search options (empty: the defaults of ``stito match``) with its excerpt (s)."""

    styles: tuple[str, ...]
    kinds: tuple[str, ...]
    trials: int
    clip_s: float
    excerpt_s: float
    search: Mapping[str, int]


#: Default: every style on speech, singing and music, one trial each (21 transfers), ST-ITO as
#: ``stito match`` runs it (population 64, at most 25 generations, 3 s excerpt).
DEFAULT = Settings(tuple(STYLES), ("speech", "singing", "music"), 1, 5.0, EXCERPT_S, {})
#: For tests: two styles on speech, a tiny search.
QUICK = Settings(("lowpass", "distortion"), ("speech",), 1, 2.0, 1.0, {"popsize": 4, "max_iter": 2})


def style_chain(style: str) -> Chain:
    """Style ``style`` as a chain with nothing searched (render it with an empty vector)."""
    slots = [Slot(BACKENDS[stage.plugin["type"]](stage.plugin), (), dict(stage.values)) for stage in STYLES[style]]
    return Chain(style, slots, f"style '{style}'")


def peak_normalised(audio: Audio) -> Audio:
    """``audio`` scaled to a peak of ``PEAK_DB`` dBFS (the level of every benchmark clip)."""
    return audio.with_samples(audio.samples * (10 ** (PEAK_DB / 20) / (np.max(np.abs(audio.samples)) + 1e-12)))


def _outputs(source: Audio, reference: Audio, oracle: Audio, encoder: Encoder, settings: Settings,
             seed: int) -> tuple[dict[str, Audio], dict[str, float]]:
    """Every system's output for one transfer (before peak normalisation) and its seconds; ``oracle``
    is the input through the style's chain."""
    builtin = load_chain("builtin")
    systems = {
        "input": lambda: source,
        "random": lambda: builtin.render(source.stereo(), np.random.default_rng(seed).uniform(
            size=len(builtin.parameters))),
        "rule-based": lambda: match_rule_based(source, reference).audio,
        "st-ito builtin": lambda: match_audio(source, reference, builtin, encoder, excerpt_s=settings.excerpt_s,
                                              seed=seed, **settings.search).audio,
        "st-ito zam": lambda: match_audio(source, reference, load_chain("zam"), encoder,
                                          excerpt_s=settings.excerpt_s, seed=seed, **settings.search).audio,
        "oracle": lambda: oracle,
    }
    outputs, seconds = {}, {}
    for name, run in systems.items():
        start = time.perf_counter()
        outputs[name] = run()
        seconds[name] = time.perf_counter() - start
    return outputs, seconds


def _transfer(style: str, kind: str, trial: int, seed: int, encoder: Encoder, settings: Settings,
              judge: Encoder) -> dict[str, Any]:
    """One transfer: two recordings of ``kind`` (clips seeded by ``seed``), the second through the
    style as the reference; every system scored, also by its similarity under ``judge`` (the shipped
    AFx-Rep). Returns the per-system scores."""
    source, recording = clips(kind, 2, settings.clip_s, seed=seed)
    chain = style_chain(style)
    reference = peak_normalised(chain.render(recording, []))
    outputs, seconds = _outputs(source, reference, chain.render(source, []), encoder, settings, seed)
    outputs = {name: peak_normalised(audio) for name, audio in outputs.items()}
    oracle = outputs["oracle"]
    excerpts = [loudest_excerpt(a, settings.excerpt_s) for a in (reference, *outputs.values())]
    similarity = {key: cosine(embedded[1:], embedded[0]) for key, embedded in
                  (("similarity", encoder.embed_audio(excerpts)), ("afx_rep_similarity", judge.embed_audio(excerpts)))}
    scores = {name: {**{key: float(sims[i]) for key, sims in similarity.items()}, **compare(outputs[name], oracle),
                     "seconds": seconds[name]} for i, name in enumerate(outputs)}
    return {"style": style, "kind": kind, "trial": trial, "seed": seed, "systems": scores}


def run_transfer(quick: bool = False, plot_dir: Path | None = None) -> Report:
    """Transfer every style on every content kind with every system; mean scores per system."""
    start, cpu = time.perf_counter(), time.process_time()
    settings = QUICK if quick else DEFAULT
    encoder, judge = load_encoder(DEFAULT_METRIC), load_encoder("afx-rep")
    jobs = [(style, kind, trial) for style in settings.styles for kind in settings.kinds
            for trial in range(settings.trials)]
    transfers = [_transfer(style, kind, trial, seed, encoder, settings, judge)
                 for seed, (style, kind, trial) in enumerate(jobs)]
    means = _means(transfers, lambda t: True)
    by_style = {style: _means(transfers, lambda t, s=style: t["style"] == s) for style in settings.styles}
    plots = (_plot(means, plot_dir),) if plot_dir is not None else ()
    data = {"settings": {**asdict(settings), "search": dict(settings.search)}, "encoder": encoder.name,
            "styles": {s: [asdict(stage) for stage in STYLES[s]] for s in settings.styles},
            "transfers": transfers, "means": means, "by_style": by_style, "seconds": time.perf_counter() - start,
            "cpu_seconds": time.process_time() - cpu}
    return Report("style-transfer", _caption(settings, encoder.name) + "\n\n" + _tables(means, by_style), data, plots)


def _means(transfers: list[dict[str, Any]], keep: Callable[[dict[str, Any]], bool]) -> dict[str, dict[str, float]]:
    """System -> score -> mean over the transfers that ``keep`` accepts."""
    chosen = [t for t in transfers if keep(t)]
    return {name: {score: float(np.mean([t["systems"][name][score] for t in chosen]))
                   for score in chosen[0]["systems"][name]} for name in SYSTEMS}


#: Table columns: score key -> heading (arrows: which way is better).
COLUMNS = {"similarity": "similarity to reference (up)", "afx_rep_similarity": "AFx-Rep similarity (up)",
           "mrstft": "MR-STFT to oracle (down)",
           "loudness_lu": "loudness diff LU (down)", "centroid_hz": "centroid diff Hz (down)",
           "mfcc": "MFCC dist (down)", "seconds": "seconds"}


def _caption(settings: Settings, encoder: str) -> str:
    """What the tables show and how they were made."""
    search = ", ".join(f"{k} {v}" for k, v in settings.search.items()) or "the defaults of stito match"
    return (f"Style transfer (PAPER.md benchmark 4): {len(settings.styles)} styles x {len(settings.kinds)} kinds "
            f"({', '.join(settings.kinds)}) x {settings.trials} trial(s); {settings.clip_s:g} s clips; input and "
            "reference are different recordings. Every output is peak-normalised to "
            f"{PEAK_DB:g} dBFS. Similarity: cosine to the reference under the default metric encoder ({encoder}), "
            f"on the loudest {settings.excerpt_s:g} s (AFx-Rep similarity: the same under the shipped AFx-Rep); ST-ITO searches with that same encoder ({search}), so its "
            "similarity is partly its own objective: the signal metrics against the oracle (input through the "
            "reference's true chain) are independent of any embedding. Signed differences are taken as absolute "
            "values. Random: the builtin chain at a uniform random vector.")


def _tables(means: dict[str, dict[str, float]], by_style: dict[str, dict[str, dict[str, float]]]) -> str:
    """The mean of every score per system, then similarity and MR-STFT distance per style."""
    overall = markdown_table(["system", *COLUMNS.values()],
                             [[name, *(means[name][key] for key in COLUMNS)] for name in SYSTEMS])
    styles = list(by_style)
    parts = [overall]
    for key in ("similarity", "mrstft"):
        rows = [[name, *(by_style[s][name][key] for s in styles)] for name in SYSTEMS]
        parts.append(f"{COLUMNS[key]}, per style (mean over kinds):\n\n" + markdown_table(["system", *styles], rows))
    return "\n\n".join(parts)


def _plot(means: dict[str, dict[str, float]], plot_dir: Path) -> str:
    """Bar chart of each score's mean per system; returns the file name written into ``plot_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["similarity", *METRICS]
    fig, axes = plt.subplots(1, len(keys), figsize=(3.3 * len(keys), 3.6))
    for ax, key in zip(axes, keys):
        colours = [f"C{i}" for i in range(len(SYSTEMS))]
        ax.bar(range(len(SYSTEMS)), [means[name][key] for name in SYSTEMS], color=colours)
        ax.set_xticks(range(len(SYSTEMS)), SYSTEMS, rotation=60, ha="right", fontsize=7)
        ax.set_title(COLUMNS[key], fontsize=8)
    fig.tight_layout()
    plot_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(plot_dir / "transfer.png", dpi=110)
    plt.close(fig)
    return "transfer.png"
