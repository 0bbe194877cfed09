"""Presets per effect, as in the paper: random settings, the MFCCs of one recording processed by each, k-means
into K clusters, and per cluster the setting nearest its centroid.

The paper draws 1000 settings per effect; the default here is 200 (about 2 minutes for the whole pool on 2
cores), which still gives K=10 clusters 20 settings each on average. MFCCs are the strong form
(:class:`~stito_core.encoders.mfcc.MfccEncoder`: mid and side, coefficients 1-20, mean and standard
deviation), standardised per dimension for clustering only, so that every coefficient weighs the same.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import warnings
from pathlib import Path

import numpy as np
from scipy.cluster.vq import kmeans2
from tqdm import tqdm

from ..audio import Audio
from ..audio_io import read_audio, write_text_atomic
from ..errors import StitoError
from ..excerpt import fit_length, loudest_excerpt
from .corpus import Recording
from .pool import POOL, PoolEffect, PoolEntry, fingerprint, load_effect

#: Marks a presets file; bumped when its layout changes.
FORMAT = "stito-presets/1"
#: Rate in Hz and length in seconds of each half (music, then speech) of the reference recording, and the
#: peak level in dBFS it is scaled to (the middle of the input levels pairs are made at).
RATE, HALF_S, PEAK_DB = 48000, 2.0, -9.0
#: Settings embedded per MFCC batch (bounds memory: 32 x 4 s of stereo).
BATCH = 32


def reference_audio(rows: list[Recording]) -> tuple[Audio, list[str]]:
    """The one recording every setting processes: the loudest ``HALF_S`` seconds of the first training music
    recording, then of the first training speech recording (stereo, ``RATE`` Hz, peak at ``PEAK_DB``); and
    their names."""
    chosen = [next(r for r in rows if r.kind == kind and r.split == "train") for kind in ("music", "speech")]
    halves = [fit_length(loudest_excerpt(read_audio(r.path, RATE).stereo(), HALF_S), int(HALF_S * RATE))
              for r in chosen]
    samples = np.concatenate([h.samples for h in halves], axis=1)
    audio = halves[0].with_samples(samples * (10 ** (PEAK_DB / 20) / (np.max(np.abs(samples)) + 1e-12)))
    return audio, [f"{r.source}/{r.name}" for r in chosen]


def choose_presets(features: np.ndarray, k: int, seed: int) -> list[int]:
    """Indices of ``k`` distinct settings: k-means (k-means++ start) on standardised ``features`` (settings,
    dims), then per cluster the member nearest its centroid; clusters left empty are filled with the settings
    farthest from those already chosen."""
    z = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-9)
    with warnings.catch_warnings():  # kmeans2 warns when a cluster empties; handled below
        warnings.simplefilter("ignore")
        centroids, labels = kmeans2(z, k, minit="++", seed=np.random.default_rng(seed))
    chosen = []
    for cluster in range(k):
        members = np.flatnonzero(labels == cluster)
        if members.size:
            chosen.append(int(members[np.argmin(np.linalg.norm(z[members] - centroids[cluster], axis=1))]))
    while len(chosen) < min(k, len(z)):
        distance = np.min(np.linalg.norm(z[:, None] - z[chosen][None], axis=2), axis=1)
        chosen.append(int(np.argmax(distance)))
    return chosen


def effect_presets(effect: PoolEffect, reference: Audio, settings: int, k: int, seed: int) -> list[dict]:
    """``k`` presets of ``effect``: ``settings`` random settings clustered by the MFCCs of ``reference``
    processed by each."""
    from ..encoders.mfcc import MfccEncoder

    rng = np.random.default_rng([seed, POOL.index(effect.entry)])
    candidates = [effect.sample(rng) for _ in range(settings)]
    encoder = MfccEncoder(RATE)
    features = np.concatenate([encoder.embed_audio([effect.process(reference, v) for v in candidates[i:i + BATCH]])
                               for i in range(0, settings, BATCH)])
    return [candidates[i] for i in choose_presets(features, k, seed)]


def build_presets(path: Path, rows: list[Recording], settings: int = 200, k: int = 10, seed: int = 0,
                  effects: list[str] | None = None, jobs: int | None = None, progress: bool = True) -> dict:
    """Presets for every pool effect (or those named in ``effects``), written to ``path`` as JSON with each
    effect's identity; returns the written table."""
    reference, names = reference_audio(rows)
    entries = [e for e in POOL if effects is None or e.id in effects]
    tasks = [(entry, reference, settings, k, seed) for entry in entries]
    with multiprocessing.Pool(jobs or os.cpu_count(), initializer=_one_thread) as pool:
        found = list(tqdm(pool.imap(_presets_of, tasks), total=len(tasks), desc="presets", unit="effect",
                          disable=not progress))
    table = {"format": FORMAT, "pool": fingerprint(), "settings": settings, "k": k, "seed": seed,
             "reference": {"recordings": names, "seconds": 2 * HALF_S, "sample_rate": RATE},
             "effects": [{**identity, "presets": presets} for identity, presets in found]}
    write_text_atomic(path, json.dumps(table, indent=1), overwrite=True)
    return table


def load_presets(path: Path) -> dict:
    """The presets table at ``path``; StitoError when missing or made for another effect pool."""
    if not path.is_file():
        raise StitoError(f"{path}: no presets; make them first with: stito pretrain presets")
    table = json.loads(path.read_text(encoding="utf-8"))
    if table.get("format") != FORMAT or table.get("pool") != fingerprint():
        msg = f"{path}: made for another effect pool (pool {table.get('pool')}, now {fingerprint()}); remake it"
        raise StitoError(msg)
    return table


def _one_thread() -> None:
    """Worker set-up: one torch thread per process (the processes already use every core)."""
    import torch

    torch.set_num_threads(1)


def _presets_of(task: tuple[PoolEntry, Audio, int, int, int]) -> tuple[dict, list[dict]]:
    """(identity, presets) of one pool entry (run in a worker process)."""
    entry, reference, settings, k, seed = task
    effect = load_effect(entry)
    return effect.identity(), effect_presets(effect, reference, settings, k, seed)
