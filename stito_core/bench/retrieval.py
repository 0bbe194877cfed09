"""``stito bench style-retrieval``: find the recording that went through the query's effect chain (PAPER.md,
benchmark 2; the authors' "PSM" protocol).

For N random effects per chain and one content kind, a pool of chains is drawn from ``EFFECTS`` (N distinct
pedalboard built-ins in random order, every normalised parameter uniform in [0, 1]); each chain processes
two distinct recordings, A and B. A trial's query is A (or B) through chain C; the correct item is the
other recording through exactly C; the distractors are the recordings of other chains (other content,
other random chains of N effects). A retrieval set holds the correct item and M - 1 distractors (chance
1 / M); a trial succeeds when the correct item has the highest cosine to the query. Every item is
rendered once and embedded once per encoder; the sets of every size M are sampled from the same pool.

Differences from the authors' code, which are deliberate: distractors are other recordings here (there, all
candidates are one second recording) and every chain has exactly N effects (there, 1..N); items are
peak-normalised rather than loudness-normalised to -23 LUFS (every encoder peak-normalises mid and side).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import Audio
from ..chain import Chain, Slot
from ..effects.builtin import BuiltinEffect
from ..encoders import Encoder
from . import Report, bench_encoders, markdown_table
from .data import CONTENT_KINDS, clips

#: The authors' PSM effect pool (pedalboard built-ins).
EFFECTS = ("compressor", "delay", "distortion", "chorus", "phaser", "reverb", "limiter", "bitcrush",
           "highpass", "lowpass")
SEED = 0
SAMPLE_RATE = 48000
#: File names of the figures inside ``plot_dir``: averaged over content, and one panel per content and N.
PLOT, PLOT_BY_CONTENT = "style_retrieval.png", "style_retrieval_by_content.png"


@dataclass(frozen=True)
class Size:
    """Chains per (N, content) pool, clip length in seconds, the N and M values, and the content kinds."""

    chains: int
    seconds: float
    effect_counts: tuple[int, ...]
    set_sizes: tuple[int, ...]
    content: tuple[str, ...]


#: quick -> size. Each pool holds 2 * chains items; M = 100 needs 99 distractors from 2 * (chains - 1). Music
#: is left out of the default (it adds a fifth of the time, about 3 minutes on 2 shared cores).
SIZES = {
    False: Size(51, 3.0, (1, 2, 3, 4, 5), (5, 10, 25, 50, 100), ("speech", "instrument", "singing", "drums")),
    True: Size(6, 1.5, (1, 3), (5, 10), ("speech", "drums")),
}


def run_retrieval(quick: bool = False, plot_dir: Path | None = None) -> Report:
    """Style retrieval of every bench encoder on the same pools; figures go to ``plot_dir`` when given."""
    size, encoders = SIZES[quick], bench_encoders()
    accuracy: dict[str, dict[str, dict[str, dict[str, float]]]] = {e.name: {} for e in encoders}
    for kind in size.content:
        recordings = clips(kind, 2 * size.chains, size.seconds, SAMPLE_RATE, seed=SEED)
        for n in size.effect_counts:
            embeddings = embed_pool(encoders, recordings, n, kind)
            for name, emb in embeddings.items():
                accuracy[name].setdefault(kind, {})[str(n)] = {
                    str(m): retrieve(emb, retrieval_sets(size.chains, m, n, kind)) for m in size.set_sizes}
    data = _data(size, accuracy)
    plots = ((_plot(data, plot_dir / PLOT), _plot_by_content(data, plot_dir / PLOT_BY_CONTENT))
             if plot_dir is not None else ())
    return Report("style-retrieval", _table(data), data, tuple(p.name for p in plots))


def random_chain(n: int, kind: str, index: int) -> tuple[Chain, np.ndarray]:
    """Chain ``index`` of the (N, content) pool: N distinct effects from ``EFFECTS`` in random order, and
    its normalised parameters, uniform in [0, 1]; seeded by (N, content, index)."""
    rng = np.random.default_rng([SEED, CONTENT_KINDS.index(kind), n, index])
    effects = [BuiltinEffect(str(k)) for k in rng.choice(EFFECTS, n, replace=False)]
    chain = Chain(f"psm-{kind}-{n}-{index}", [Slot(e, e.parameters) for e in effects])
    return chain, rng.uniform(size=len(chain.parameters))


def render_pool(recordings: list[Audio], n: int, kind: str) -> list[Audio]:
    """Items 2k and 2k + 1: recordings 2k and 2k + 1 through chain k, each peak-normalised."""
    items = []
    for k in range(len(recordings) // 2):
        chain, values = random_chain(n, kind, k)
        for audio in recordings[2 * k: 2 * k + 2]:
            out = chain.render(audio, values)
            items.append(out.with_samples(out.samples / (np.max(np.abs(out.samples)) + 1e-9)))
    return items


def embed_pool(encoders: list[Encoder], recordings: list[Audio], n: int, kind: str) -> dict[str, np.ndarray]:
    """Encoder name -> (items, dim) embeddings of the (N, content) pool, rendered once."""
    items = render_pool(recordings, n, kind)
    return {encoder.name: encoder.embed_audio(items) for encoder in encoders}


def retrieval_sets(chains: int, m: int, n: int, kind: str) -> np.ndarray:
    """(2 * chains, m) item indices: per trial (query item q = 0 .. 2 * chains - 1), the correct item
    (q's partner through the same chain) first, then m - 1 distinct distractors from other chains; the
    same for every encoder, seeded by (content, N, M)."""
    rng = np.random.default_rng([SEED, CONTENT_KINDS.index(kind), n, m])
    everything = np.arange(2 * chains)
    rows = []
    for query in everything:
        others = everything[everything // 2 != query // 2]
        rows.append(np.concatenate([[query ^ 1], rng.choice(others, m - 1, replace=False)]))
    return np.stack(rows)


def retrieve(embeddings: np.ndarray, sets: np.ndarray) -> float:
    """Fraction of trials whose correct item (first in its set) has a higher cosine to the query (the
    trial's row index) than every distractor."""
    emb = embeddings.astype(np.float64)
    emb = emb / np.linalg.norm(emb, axis=-1, keepdims=True)
    similarity = np.einsum("qd,qmd->qm", emb, emb[sets])
    return float(np.mean(similarity[:, 0] > similarity[:, 1:].max(axis=1)))


def _data(size: Size, accuracy: dict[str, dict[str, dict[str, dict[str, float]]]]) -> dict[str, Any]:
    """JSON-ready numbers: the protocol, accuracy[encoder][content][N][M], and its average over content."""
    encoders = {}
    for name, by_kind in accuracy.items():
        average = {str(n): {str(m): float(np.mean([by_kind[k][str(n)][str(m)] for k in size.content]))
                            for m in size.set_sizes} for n in size.effect_counts}
        encoders[name] = {**by_kind, "average": average}
    return {"effects": list(EFFECTS), "content": list(size.content), "effect_counts": list(size.effect_counts),
            "set_sizes": list(size.set_sizes), "seed": SEED, "sample_rate_hz": SAMPLE_RATE,
            "seconds": size.seconds, "chains_per_pool": size.chains, "trials_per_cell": 2 * size.chains,
            "chance": {str(m): 1 / m for m in size.set_sizes}, "encoders": encoders}


def _table(data: dict[str, Any]) -> str:
    """Accuracy averaged over content per (encoder, N) and M; then per content averaged over N and M."""
    sizes, counts = data["set_sizes"], data["effect_counts"]
    rows = [["chance", "", *(1 / m for m in sizes)]]
    rows += [[name, n, *(enc["average"][str(n)][str(m)] for m in sizes)]
             for name, enc in data["encoders"].items() for n in counts]
    by_n = markdown_table(["encoder", "N", *(f"M={m}" for m in sizes)], rows)
    def mean(cells: dict[str, dict[str, float]]) -> float:
        return float(np.mean([cells[str(n)][str(m)] for n in counts for m in sizes]))
    rows = [[name, *(mean(enc[k]) for k in (*data["content"], "average"))] for name, enc in data["encoders"].items()]
    by_kind = markdown_table(["encoder", *data["content"], "average"], rows)
    note = (f"{data['trials_per_cell']} trials per (content, N, M) cell, {data['seconds']:g} s clips at "
            f"{data['sample_rate_hz']} Hz; first table averaged over {', '.join(data['content'])}; "
            "second table averaged over every N and M.")
    return f"{by_n}\n\n{by_kind}\n\n{note}"


def _axes(rows: int, cols: int, width: float, height: float):
    """A Matplotlib (Agg) figure with a rows x cols grid of axes sharing the y axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=(width, height), sharey=True, squeeze=False)
    return fig, axes


def _panel(ax, data: dict[str, Any], cells: dict[str, dict[str, dict[str, float]]], n: int) -> None:
    """Accuracy vs M (log axis) for N effects: one line per encoder, and chance."""
    sizes = data["set_sizes"]
    for name, acc in cells.items():
        ax.plot(sizes, [acc[str(n)][str(m)] for m in sizes], marker="o", label=name)
    ax.plot(sizes, [1 / m for m in sizes], color="grey", linestyle="--", label="chance")
    ax.set_xscale("log")
    ax.minorticks_off()
    ax.set_xticks(sizes, [str(m) for m in sizes])
    ax.set_ylim(0, 1.02)


def _save(fig, path: Path) -> Path:
    """Write ``fig`` as PNG to ``path`` and close it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot(data: dict[str, Any], path: Path) -> Path:
    """One panel per N: accuracy (averaged over content) vs retrieval-set size M."""
    counts = data["effect_counts"]
    fig, axes = _axes(1, len(counts), 3.2 * len(counts), 3.4)
    cells = {name: enc["average"] for name, enc in data["encoders"].items()}
    for ax, n in zip(axes[0], counts):
        _panel(ax, data, cells, n)
        ax.set_title(f"N = {n} effect{'s' if n > 1 else ''}")
        ax.set_xlabel("retrieval-set size M")
    axes[0][0].set_ylabel(f"accuracy (mean of {len(data['content'])} content kinds)")
    axes[0][-1].legend(fontsize=7)
    return _save(fig, path)


def _plot_by_content(data: dict[str, Any], path: Path) -> Path:
    """One row per content kind, one column per N: accuracy vs M."""
    counts, kinds = data["effect_counts"], data["content"]
    fig, axes = _axes(len(kinds), len(counts), 2.6 * len(counts), 2.2 * len(kinds))
    for row, kind in zip(axes, kinds):
        for ax, n in zip(row, counts):
            _panel(ax, data, {name: enc[kind] for name, enc in data["encoders"].items()}, n)
            ax.set_title(f"{kind}, N = {n}", fontsize=9)
        row[0].set_ylabel("accuracy")
    for ax in axes[-1]:
        ax.set_xlabel("M")
    axes[0][-1].legend(fontsize=6)
    return _save(fig, path)
