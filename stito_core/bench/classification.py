"""``stito bench style-classification``: zero-shot classification of the five DeepAFx-ST styles (PAPER.md,
benchmark 1).

Per trial, a query is one recording through a random instance of style s; the prototypes are five other
recordings (all different from the query and from each other), each through its own random instance of one
style; the prediction is the style of the prototype with the highest cosine to the query. Trials are drawn
per content kind (speech, music) and the same rendered audio is embedded by every encoder of
``bench_encoders()``. Accuracy is reported per class and on average, per content kind and overall, beside
the published figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import Audio
from ..encoders import Encoder
from . import Report, bench_encoders, markdown_table
from .data import clips
from .styles import apply_style

#: Styles in the paper's column order, with its abbreviations.
STYLE_ORDER = ("telephone", "bright", "warm", "broadcast", "neutral")
SHORT = {"telephone": "TL", "bright": "BR", "warm": "WM", "broadcast": "BC", "neutral": "NT"}
CONTENT = ("speech", "music")
#: Published accuracy (PAPER.md) by our encoder name: averages, and AFx-Rep per class.
PAPER: dict[str, dict[str, float]] = {
    "mfcc": {"average": 0.74},
    "mir": {"average": 0.58},
    "afx-rep": {"telephone": 1.00, "bright": 1.00, "warm": 0.88, "broadcast": 0.85, "neutral": 0.59,
                "average": 0.86},
}
SEED = 0
SAMPLE_RATE = 48000
#: Items rendered and embedded together (bounds memory to about 100 clips).
BATCH = 96
#: File name of the bar plot inside ``plot_dir``.
PLOT = "style_classification.png"


@dataclass(frozen=True)
class Size:
    """Trials per style per content kind, clip length in seconds, and clips drawn per content kind."""

    per_style: int
    seconds: float
    pool: int


#: quick -> size: the default is the paper's 200 trials (20 per style per kind) of about 5 s.
SIZES = {False: Size(20, 5.0, 60), True: Size(2, 1.5, 12)}


@dataclass(frozen=True)
class Trial:
    """One query: its style index, and the clip indices of the query then of the five prototypes (in
    ``STYLE_ORDER``), all distinct."""

    label: int
    clips: tuple[int, ...]


def run_classification(quick: bool = False, plot_dir: Path | None = None) -> Report:
    """Zero-shot style classification of every bench encoder on the same trials; a bar plot of per-class
    accuracy goes to ``plot_dir`` when given."""
    size, encoders = SIZES[quick], bench_encoders()
    results = {e.name: {} for e in encoders}
    for kind_index, kind in enumerate(CONTENT):
        pool = clips(kind, size.pool, size.seconds, SAMPLE_RATE, seed=SEED)
        trials = make_trials(size, kind_index)
        embeddings = embed_trials(encoders, pool, trials, kind_index)
        for name, emb in embeddings.items():
            results[name][kind] = predict(emb, trials)
    data = _data(size, results)
    plots = (_plot(data, plot_dir / PLOT),) if plot_dir is not None else ()
    return Report("style-classification", _table(data), data, tuple(p.name for p in plots))


def make_trials(size: Size, kind_index: int) -> list[Trial]:
    """``size.per_style`` trials per style, each with six distinct clips drawn from the kind's pool."""
    rng = np.random.default_rng([SEED, kind_index])
    return [Trial(label, tuple(int(c) for c in rng.choice(size.pool, 1 + len(STYLE_ORDER), replace=False)))
            for label in range(len(STYLE_ORDER)) for _ in range(size.per_style)]


def render_item(pool: list[Audio], trial: Trial, trial_index: int, slot: int, kind_index: int) -> Audio:
    """Slot 0: the query (its clip through the trial's style); slot 1 + s: the prototype of style s.
    Each item has its own seeded random style instance, so rendering order does not matter."""
    style = STYLE_ORDER[trial.label if slot == 0 else slot - 1]
    rng = np.random.default_rng([SEED, kind_index, trial_index, slot])
    return apply_style(pool[trial.clips[slot]], style, rng)


def embed_trials(encoders: list[Encoder], pool: list[Audio], trials: list[Trial],
                 kind_index: int) -> dict[str, np.ndarray]:
    """Encoder name -> (trials * 6, dim) embeddings, rows ordered trial by trial, slot by slot; each item
    is rendered once and embedded by every encoder."""
    slots = 1 + len(STYLE_ORDER)
    keys = [(t, s) for t in range(len(trials)) for s in range(slots)]
    parts: dict[str, list[np.ndarray]] = {e.name: [] for e in encoders}
    for start in range(0, len(keys), BATCH):
        audio = [render_item(pool, trials[t], t, s, kind_index) for t, s in keys[start:start + BATCH]]
        for encoder in encoders:
            parts[encoder.name].append(encoder.embed_audio(audio))
    return {name: np.concatenate(rows) for name, rows in parts.items()}


def predict(embeddings: np.ndarray, trials: list[Trial]) -> dict[str, list[int]]:
    """Labels and predictions (style indices) of ``trials`` from their (trials * 6, dim) embeddings: the
    prototype with the highest cosine to the query wins."""
    emb = embeddings.reshape(len(trials), 1 + len(STYLE_ORDER), -1).astype(np.float64)
    emb = emb / np.linalg.norm(emb, axis=-1, keepdims=True)
    similarity = np.einsum("td,tpd->tp", emb[:, 0], emb[:, 1:])
    return {"labels": [t.label for t in trials], "predictions": np.argmax(similarity, axis=1).tolist()}


def scores(labels: list[int], predictions: list[int]) -> dict[str, Any]:
    """Per-style and average accuracy, the trial count and the confusion counts (rows: true style)."""
    truth, guess = np.asarray(labels), np.asarray(predictions)
    accuracy = {style: float(np.mean(guess[truth == i] == i)) for i, style in enumerate(STYLE_ORDER)}
    confusion = np.zeros((len(STYLE_ORDER), len(STYLE_ORDER)), dtype=int)
    np.add.at(confusion, (truth, guess), 1)
    return {"accuracy": {**accuracy, "average": float(np.mean(list(accuracy.values())))},
            "trials": int(truth.size), "confusion": confusion.tolist()}


def _data(size: Size, results: dict[str, dict[str, dict[str, list[int]]]]) -> dict[str, Any]:
    """JSON-ready numbers: the protocol, and per encoder the scores per content kind and overall."""
    encoders = {}
    for name, by_kind in results.items():
        every = {key: sum((by_kind[kind][key] for kind in CONTENT), []) for key in ("labels", "predictions")}
        encoders[name] = {**{kind: scores(**by_kind[kind]) for kind in CONTENT}, "all": scores(**every)}
    return {"styles": list(STYLE_ORDER), "content": list(CONTENT), "seed": SEED, "sample_rate_hz": SAMPLE_RATE,
            "seconds": size.seconds, "clips_per_kind": size.pool, "trials_per_style_per_kind": size.per_style,
            "trials": size.per_style * len(STYLE_ORDER) * len(CONTENT), "chance": 1 / len(STYLE_ORDER),
            "warm_variant": "authors' code: high shelf +14..20 dB", "encoders": encoders, "paper": PAPER}


def _table(data: dict[str, Any]) -> str:
    """Accuracy per encoder and content kind, per style and on average, with the paper's figures."""
    header = ["encoder", "content", *(SHORT[s] for s in STYLE_ORDER), "average", "paper average"]
    rows = []
    for name, by_kind in data["encoders"].items():
        paper = PAPER.get(name, {}).get("average", "—")
        for kind in (*CONTENT, "all"):
            acc = by_kind[kind]["accuracy"]
            rows.append([name, kind, *(acc[s] for s in (*STYLE_ORDER, "average")), paper if kind == "all" else ""])
    reported = PAPER["afx-rep"]
    rows.append(["afx-rep (paper)", "speech+music", *(reported[s] for s in (*STYLE_ORDER, "average")), ""])
    note = (f"{data['trials']} trials ({data['trials_per_style_per_kind']} per style per content kind), "
            f"{data['seconds']:g} s clips at {data['sample_rate_hz']} Hz; chance {data['chance']:.2f}.")
    return markdown_table(header, rows) + "\n\n" + note


def _plot(data: dict[str, Any], path: Path) -> Path:
    """Grouped bars: overall accuracy per style and on average, one bar per encoder, then the paper's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [*STYLE_ORDER, "average"]
    series = {name: [by_kind["all"]["accuracy"][g] for g in groups] for name, by_kind in data["encoders"].items()}
    series.update({f"{name} (paper)": [figures.get(g, np.nan) for g in groups] for name, figures in PAPER.items()})
    width, x = 0.8 / len(series), np.arange(len(groups))
    names = list(dict.fromkeys(label.removesuffix(" (paper)") for label in series))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, ax = plt.subplots(figsize=(11, 4.5))
    for i, (label, values) in enumerate(series.items()):
        colour = colours[names.index(label.removesuffix(" (paper)")) % len(colours)]
        ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=label, color=colour,
               hatch="//" if label.endswith("(paper)") else None, edgecolor="white")
    ax.axhline(data["chance"], color="grey", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks(x, [SHORT.get(g, g) for g in groups])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy")
    ax.set_title(f"Zero-shot style classification ({data['trials']} trials, speech + music)")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
