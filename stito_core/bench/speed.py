"""``stito bench speed``: where the time of one style transfer goes, beside the paper-faithful setup."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..chains import load_chain
from ..encoders import Encoder, load_encoder
from ..objective import DEFAULT_METRIC, load_objective
from ..match import EXCERPT_S, match_audio
from ..render import default_workers, render_generation
from ..search import OPTIONS, Search
from . import Report, markdown_table
from .content import stereo_mix

#: Paper's full search: population 64, at most 25 generations.
POPSIZE, MAX_ITER = 64, OPTIONS["max_iter"].default


def run_speed(quick: bool = False, plot_dir: Path | None = None) -> Report:
    """Time default ``match`` on 30 s of 48 kHz stereo, one paper-faithful generation, and embedding cost."""
    seconds = 6.0 if quick else 30.0
    source, reference = stereo_mix(seconds), stereo_mix(seconds).with_samples(stereo_mix(seconds).samples[::-1])
    rows = [_default_match(source, reference, quick), _paper_generation(source, quick)]
    embed = [_embed_cost(load_encoder(name), quick) for name in ("afx-rep", "mfcc", "mir")]
    data = {"input_s": seconds, "sample_rate_hz": 48000, "machine": _machine(), "match": rows, "embed": embed}
    return Report("speed", _table(rows, embed), data)


def _default_match(source, reference, quick: bool) -> dict:
    """The default ``stito match`` (builtin chain, default encoder, default options), fully run."""
    options = {"popsize": 8, "max_iter": 2} if quick else {}
    encoder = load_objective(DEFAULT_METRIC)
    start = time.perf_counter()
    result = match_audio(source, reference, load_chain("builtin"), encoder, **options)
    total = time.perf_counter() - start
    t = result.timings
    return {"setup": f"default: {EXCERPT_S:g} s excerpt, {encoder.name}", "generations": len(result.history),
            "measured": "full run", "total_s": total, **t,
            "other_s": total - sum(t.values())}


def _paper_generation(source, quick: bool) -> dict:
    """Paper-faithful: the whole input per candidate and a CNN14-sized encoder. One generation is rendered
    in full; embedding is timed on a few candidates and scaled; the total is extrapolated to 25 generations."""
    chain, encoder = load_chain("builtin"), load_encoder("afx-rep-untrained:cnn14")
    popsize, embedded = (8, 1) if quick else (POPSIZE, 2)
    search = Search(len(chain.parameters), popsize=popsize)
    candidates = search.ask()
    with ThreadPoolExecutor(default_workers()) as pool:
        start = time.perf_counter()
        rendered = render_generation(chain, [source], candidates, np.ones((popsize, len(chain.slots)), bool), pool)
        render_s = time.perf_counter() - start
    start = time.perf_counter()
    encoder.embed_audio(rendered[:embedded])
    embed_s = (time.perf_counter() - start) * popsize / embedded
    per_gen = render_s + embed_s
    return {"setup": "paper: whole input, CNN14 (untrained)", "generations": MAX_ITER,
            "measured": f"1 generation; embedding of {embedded} of {popsize} scaled",
            "total_s": per_gen * MAX_ITER, "render_s": render_s * MAX_ITER, "embed_s": embed_s * MAX_ITER,
            "optimizer_s": 0.0, "other_s": 0.0}


def _embed_cost(encoder: Encoder, quick: bool) -> dict:
    """Seconds to embed a batch of 64 five-second 48 kHz stereo excerpts (after one warm-up call)."""
    count = 8 if quick else 64
    rng = np.random.default_rng(0)
    items = [stereo_mix(5.0).with_samples(stereo_mix(5.0).samples * rng.uniform(0.5, 1.0)) for _ in range(count)]
    encoder.embed_audio(items[:2])
    start = time.perf_counter()
    encoder.embed_audio(items)
    return {"encoder": encoder.name, "items": count, "seconds": time.perf_counter() - start}


def _machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {default_workers()} render threads"


def _table(rows: list[dict], embed: list[dict]) -> str:
    header = ["setup", "generations", "measured", "total s", "render s", "embed s", "optimizer s", "other s"]
    body = [[r["setup"], r["generations"], r["measured"], r["total_s"], r["render_s"], r["embed_s"],
             r["optimizer_s"], r["other_s"]] for r in rows]
    embed_rows = [[e["encoder"], e["items"], e["seconds"]] for e in embed]
    return (markdown_table(header, body) + "\n\nEmbedding a batch of 5 s, 48 kHz stereo excerpts:\n\n"
            + markdown_table(["encoder", "items", "seconds"], embed_rows))
