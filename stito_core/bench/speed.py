"""``stito bench speed``: where the time of one style transfer goes, beside its peers and the paper's setup.

One run on one machine: 30 s of 48 kHz stereo programme matched to another section of it through an EQ, a
compressor and a reverb (``processed_reference``), by the default ``stito match``, the rule-based baseline and Matchering (as a user
runs it: from the 48 kHz files to its 24-bit result), each with wall and CPU seconds in a process that has
already imported them; the paper-faithful configuration extrapolated from one generation; the start-up a
fresh ``stito match`` pays before it reads a file; and the cost of the default metric's features next to
the encoders'. A targets table checks issue 13's figures.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard as pb

from ..audio import Audio
from ..audio_io import write_audio
from ..chains import load_chain
from ..encoders import load_encoder
from ..match import EXCERPT_S, match_audio
from ..objective import DEFAULT_METRIC, Objective, load_objective
from ..render import default_workers, render_generation
from ..rule_based import match_rule_based
from ..search import OPTIONS, Search
from . import Report, markdown_table
from .content import stereo_mix
from .matchering_peer import match_matchering_files

#: Paper's full search: population 64, at most 25 generations.
POPSIZE, MAX_ITER = 64, OPTIONS["max_iter"].default
#: Targets (issue 13): the default match's wall seconds, its most multiple of Matchering's, and the most
#: seconds for the default metric's features of 64 five-second stereo excerpts.
MATCH_S, MATCHERING_TIMES, FEATURES_S = 8.0, 2.0, 0.3
#: What a fresh ``stito match`` imports before it reads a file: the engine, its default objective and CMA-ES.
STARTUP = "from stito_core.match import match_audio; from stito_core.search import Search; Search(2)"


def run_speed(quick: bool = False, plot_dir: Path | None = None) -> Report:
    """Time the default ``match``, its peers and one paper-faithful generation on 30 s of 48 kHz stereo
    (6 s when ``quick``), the start-up, and the features' and embeddings' cost."""
    seconds = 6.0 if quick else 30.0
    source, reference = stereo_mix(seconds), processed_reference(seconds)
    Search(2)  # imports CMA-ES, as Matchering is imported below: start-up is measured apart
    with tempfile.TemporaryDirectory(prefix="stito-speed-") as scratch:
        files = [Path(scratch) / name for name in ("input.wav", "reference.wav", "warm-up.wav", "result.wav")]
        write_audio(files[0], source, subtype="FLOAT")
        write_audio(files[1], reference, subtype="FLOAT")
        match_matchering_files(files[0], files[1], files[2])
        rows = [_default_match(source, reference, quick),
                _peer("rule-based", lambda: match_rule_based(source, reference)),
                _peer("matchering (its own file pipeline)", lambda: match_matchering_files(*files[:2], files[3])),
                _paper_generation(source, quick)]
    embed = [_feature_cost(load_objective(name), quick) for name in (DEFAULT_METRIC, "afx-rep", "mfcc", "mir")]
    startup = _startup_s()
    data = {"input_s": seconds, "sample_rate_hz": 48000, "machine": _machine(), "match": rows, "embed": embed,
            "startup_s": startup, "targets": _targets(rows, embed)}
    return Report("speed", _table(data), data)


def processed_reference(seconds: float) -> Audio:
    """The programme's other half (rolled by half its length) through a -12 dB high shelf at 2 kHz, a 6:1
    compressor with 10 dB of make-up and a reverb: processing strong enough that the default match keeps
    an effect and runs its joint search (a milder reference ends after the auditions and times less)."""
    mix = stereo_mix(seconds)
    board = pb.Pedalboard([pb.HighShelfFilter(2000.0, -12.0), pb.Compressor(-30.0, 6.0, 10.0, 150.0), pb.Gain(10.0),
                           pb.Reverb(0.8, 0.5, 0.5, 0.8)])
    return mix.with_samples(board(np.roll(mix.samples, mix.frames // 2, axis=1), mix.sample_rate))


def _timed(run: Callable[[], Any]) -> tuple[Any, float, float]:
    """``run()``, its wall seconds and this process's CPU seconds (every thread) while it ran."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = run()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _default_match(source: Audio, reference: Audio, quick: bool) -> dict[str, Any]:
    """The default ``stito match`` (builtin chain, default objective, default options), fully run."""
    options = {"popsize": 8, "max_iter": 2} if quick else {}
    objective = load_objective(DEFAULT_METRIC)
    result, wall, cpu = _timed(lambda: match_audio(source, reference, load_chain("builtin"), objective, **options))
    t = result.timings
    return {"setup": f"default stito match: {EXCERPT_S:g} s excerpt, {objective.name}", "generations": len(result.history),
            "candidates": result.evaluations, "measured": "full run", "total_s": wall,
            "cpu_s": cpu, **t, "other_s": wall - sum(t.values())}


def _peer(name: str, run: Callable[[], Any]) -> dict[str, Any]:
    """A system that renders no search (its whole time is "other")."""
    _, wall, cpu = _timed(run)
    return {"setup": name, "generations": 0, "candidates": 0, "measured": "full run", "total_s": wall, "cpu_s": cpu,
            "render_s": 0.0, "embed_s": 0.0, "optimizer_s": 0.0, "other_s": wall}


def _paper_generation(source: Audio, quick: bool) -> dict[str, Any]:
    """Paper-faithful: the whole input per candidate and a CNN14-sized encoder. One generation is rendered
    in full; embedding is timed on a few candidates and scaled; the total is extrapolated to 25 generations."""
    chain, encoder = load_chain("builtin"), load_encoder("afx-rep-untrained:cnn14")
    popsize, embedded = (8, 1) if quick else (POPSIZE, 2)
    candidates = Search(len(chain.parameters), popsize=popsize).ask()
    with ThreadPoolExecutor(default_workers()) as pool:
        start = time.perf_counter()
        rendered = render_generation(chain, [source], candidates, np.ones((popsize, len(chain.slots)), bool), pool)
        render_s = time.perf_counter() - start
    start = time.perf_counter()
    encoder.embed_audio(rendered[:embedded])
    embed_s = (time.perf_counter() - start) * popsize / embedded
    per_gen = render_s + embed_s
    return {"setup": "paper: whole input, CNN14 (untrained)", "generations": MAX_ITER,
            "candidates": popsize * MAX_ITER, "measured": f"1 generation; embedding of {embedded} of {popsize} scaled",
            "total_s": per_gen * MAX_ITER, "cpu_s": float("nan"), "render_s": render_s * MAX_ITER,
            "embed_s": embed_s * MAX_ITER, "optimizer_s": 0.0, "other_s": 0.0}


def _feature_cost(objective: Objective, quick: bool) -> dict[str, Any]:
    """Seconds for ``objective``'s features of 64 five-second 48 kHz stereo excerpts (after one warm-up),
    as a match computes them: a per-item objective in the render threads, an encoder in one batch."""
    count = 8 if quick else 64
    rng = np.random.default_rng(0)
    clip = stereo_mix(5.0)
    items = [clip.with_samples((clip.samples * rng.uniform(0.5, 1.0)).astype(np.float32)) for _ in range(count)]
    with ThreadPoolExecutor(default_workers()) as pool:
        def measure(batch: list[Audio]) -> Any:
            if objective.per_item:
                return list(pool.map(lambda item: objective.features([item]), batch))
            return objective.features(batch)
        measure(items[:2])
        start = time.perf_counter()
        measure(items)
        return {"encoder": objective.name, "items": count, "seconds": time.perf_counter() - start}


def _startup_s() -> float:
    """Seconds a fresh interpreter takes to import what ``stito match`` runs (``STARTUP``)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", STARTUP], check=True, capture_output=True)
    return time.perf_counter() - start


def _targets(rows: list[dict[str, Any]], embed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 13's speed targets, each with its measured figure and whether it is met."""
    default, rule, matchering = (rows[0]["total_s"], rows[1]["total_s"], rows[2]["total_s"])
    features = embed[0]["seconds"]
    return [
        {"target": f"default match at most {MATCH_S:g} s", "value": f"{default:.2f} s", "met": default <= MATCH_S},
        {"target": f"default match at most {MATCHERING_TIMES:g} x Matchering",
         "value": f"{default / matchering:.2f} x ({matchering:.2f} s)", "met": default <= MATCHERING_TIMES * matchering},
        {"target": "rule-based no slower than Matchering", "value": f"{rule:.2f} s", "met": rule <= matchering},
        {"target": f"default metric's features of 64 x 5 s under {FEATURES_S:g} s", "value": f"{features:.3f} s",
         "met": features < FEATURES_S},
    ]


def _machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {default_workers()} render threads"


def _table(data: dict[str, Any]) -> str:
    header = ["setup", "generations", "candidates", "measured", "wall s", "CPU s", "render s", "embed s",
              "optimizer s", "other s"]
    body = [[r["setup"], r["generations"], r["candidates"], r["measured"], r["total_s"], r["cpu_s"], r["render_s"],
             r["embed_s"], r["optimizer_s"], r["other_s"]] for r in data["match"]]
    embed_rows = [[e["encoder"], e["items"], e["seconds"]] for e in data["embed"]]
    target_rows = [[t["target"], t["value"], "yes" if t["met"] else "**no**"] for t in data["targets"]]
    return (f"{data['input_s']:g} s of {data['sample_rate_hz']} Hz stereo; {data['machine']}. A fresh `stito match` "
            f"also spends {data['startup_s']:.2f} s starting (importing the engine and CMA-ES) before it reads a file.\n\n"
            + markdown_table(header, body)
            + "\n\nFeatures of the default metric and embeddings of the encoders, for a batch of 5 s, 48 kHz stereo "
              "excerpts (the attribute features are measured per item on the render threads, as a match does):\n\n"
            + markdown_table(["metric", "items", "seconds"], embed_rows)
            + "\n\nTargets:\n\n" + markdown_table(["target", "measured", "met"], target_rows))
