"""Pretext examples rendered offline into shards: (input, output, effect id, preset id) pairs.

Pairs come in groups: one effect and one of its presets applied to ``group_size`` different recordings, so
that training can also use a contrastive term (same processing on other content = positive). Per group, as
in the paper: a source (dataset) at random, a recording of it (weighted by length), the loudest window of a
random stretch, peak-normalised and given a random input gain (dB) so that level-dependent effects see
varied levels. A short pre-roll is processed and dropped, so envelopes and delay lines are settled.

A shard is ``<split>/shard-NNNNN.npy``, float16 shaped (groups, group_size, 2 [input, output],
2 [mid, side], time, mels): the unclipped log-mel spectrograms (dB) that the encoder's front end (``front``)
computes from the clips at ``rate`` Hz, each half peak-normalised first as that front end does. Stored
spectrograms are 8x smaller than the audio and spare training the front end; a gain is an offset in dB.
A ``.json`` sidecar with the labels is written last: a shard with its sidecar is complete. Shards are seeded by
their index, so a run resumed with other worker counts makes the same data, and a second run makes nothing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from tqdm import tqdm

from ..audio import Audio
from ..audio_io import as_audio, resample, write_text_atomic
from ..encoders.base import mid_side
from ..encoders.configs import CONFIGS, LogMelConfig
from ..encoders.logmel import LogMel
from ..errors import StitoError
from ..excerpt import fit_length, loudest_excerpt
from .corpus import Recording
from .pool import PoolEffect, fingerprint, load_pool

#: Records the generation settings beside the shards.
META = "pairs.json"
SPLITS = ("train", "val")
#: Stretches whose peak stays below this (dBFS) are drawn again.
SILENT_DB = -50.0


@dataclass(frozen=True)
class PairConfig:
    """How pairs are made: rate (Hz), clip and pre-roll lengths (s), pairs per group, groups per split and per
    shard, the input gain range (dB), the seed and the front end whose spectrograms are stored."""

    rate: int = 48000
    clip_s: float = 2.0
    pre_s: float = 0.25
    group_size: int = 2
    groups: int = 3000
    val_groups: int = 160
    shard_groups: int = 32
    input_gain_db: tuple[float, float] = (-18.0, 0.0)
    seed: int = 0
    front: LogMelConfig = field(default_factory=lambda: CONFIGS["small"].front)

    @property
    def frames(self) -> int:
        """Audio frames per clip."""
        return round(self.clip_s * self.rate)

    def count(self, split: str) -> int:
        """Groups in ``split``."""
        return self.groups if split == "train" else self.val_groups


#: Named sizes: "quick" for tests, "cpu" for a 2-core machine (12000 groups of 2 pairs, 2.3 GB), "gpu" for a
#: 16-core device (60000 groups of 2.5 s clips, 14 GB).
PAIR_CONFIGS = {
    "quick": PairConfig(clip_s=1.0, groups=8, val_groups=4, shard_groups=4),
    "cpu": PairConfig(groups=12000, val_groups=320),
    "gpu": PairConfig(clip_s=2.5, groups=60000, val_groups=640),
}


def generate_pairs(folder: Path, rows: list[Recording], presets: dict, config: PairConfig, jobs: int | None = None,
                   progress: bool = True) -> dict:
    """Render the missing shards of ``config`` into ``folder`` with ``jobs`` processes; returns the counts made
    and skipped. Refuses a folder holding pairs made with other settings or another pool."""
    meta = _meta(config, presets)
    _check_meta(folder / META, meta)
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / META, json.dumps(meta, indent=1), overwrite=True)
    todo = [(split, i) for split in SPLITS for i in range(_shards(config, split)) if not _done(folder, split, i)]
    total = sum(_shard_size(config, split, i) for split, i in todo)
    args = (folder, rows, presets, config)
    with multiprocessing.Pool(jobs or os.cpu_count(), initializer=_init_worker, initargs=args) as pool, tqdm(
            total=total, desc="pairs", unit="group", disable=not progress) as bar:
        for groups in pool.imap_unordered(_make_shard, todo):
            bar.update(groups)
    return {"groups_made": total, "shards_made": len(todo),
            "shards_skipped": sum(_shards(config, s) for s in SPLITS) - len(todo)}


def shard_paths(folder: Path, split: str) -> list[Path]:
    """The complete shards of ``split`` in ``folder`` (those with a label sidecar), in index order."""
    return sorted(p.with_suffix(".npy") for p in (folder / split).glob("shard-*.json"))


def read_meta(folder: Path) -> dict:
    """The generation settings of the pairs in ``folder``."""
    path = folder / META
    if not path.is_file():
        raise StitoError(f"{path}: no pairs; make them first with: stito pretrain pairs")
    return json.loads(path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------- bookkeeping
def _meta(config: PairConfig, presets: dict) -> dict:
    """What the shards depend on: the settings, the pool and its presets."""
    return {"config": asdict(config), "pool": fingerprint(), "effects": [e["id"] for e in presets["effects"]],
            "presets_per_effect": presets["k"], "presets_seed": presets["seed"]}


def _check_meta(path: Path, meta: dict) -> None:
    """Refuse to add to pairs made with other settings (the counts may change: that only adds shards)."""
    def fixed(data: dict) -> dict:
        data = json.loads(json.dumps(data))
        return {**data, "config": {k: v for k, v in data["config"].items() if k not in ("groups", "val_groups")}}

    if path.is_file() and fixed(json.loads(path.read_text(encoding="utf-8"))) != fixed(meta):
        msg = f"{path.parent}: holds pairs made with other settings or effects; use another --workdir or delete it"
        raise StitoError(msg)


def _shards(config: PairConfig, split: str) -> int:
    """Shards in ``split``."""
    return -(-config.count(split) // config.shard_groups)


def _shard_size(config: PairConfig, split: str, index: int) -> int:
    """Groups in shard ``index`` of ``split`` (the last one may be short)."""
    return min(config.shard_groups, config.count(split) - index * config.shard_groups)


def _done(folder: Path, split: str, index: int) -> bool:
    """True when shard ``index`` of ``split`` is complete."""
    return (folder / split / f"shard-{index:05d}.json").is_file()


# ------------------------------------------------------------------------------------------------ worker
_STATE: dict = {}


def _init_worker(folder: Path, rows: list[Recording], presets: dict, config: PairConfig) -> None:
    """Load the effect pool once per worker process."""
    import torch

    torch.set_num_threads(1)
    _STATE.update(folder=folder, rows=rows, config=config, presets=[e["presets"] for e in presets["effects"]],
                  effects=load_pool([e["id"] for e in presets["effects"]]))


def _make_shard(task: tuple[str, int]) -> int:
    """Render shard ``task`` = (split, index) and write it; returns its group count."""
    split, index = task
    folder, config = _STATE["folder"], _STATE["config"]
    rng = np.random.default_rng([config.seed, SPLITS.index(split), index])
    rows = [r for r in _STATE["rows"] if r.split == split]
    groups = [make_group(rows, _STATE["effects"], _STATE["presets"], config, rng)
              for _ in range(_shard_size(config, split, index))]
    path = folder / split / f"shard-{index:05d}.npy"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as handle:
        np.save(handle, np.stack([audio for audio, _labels in groups]))
    tmp.replace(path)
    labels = {key: [g[1][key] for g in groups] for key in groups[0][1]}
    write_text_atomic(path.with_suffix(".json"), json.dumps(labels), overwrite=True)
    return len(groups)


# ------------------------------------------------------------------------------------------------- group
def make_group(rows: list[Recording], effects: list[PoolEffect], presets: list[list[dict]], config: PairConfig,
               rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """One group: an effect and one of its presets on ``config.group_size`` different recordings. Returns
    float16 (group_size, 2, 2, time, mels) mid/side log-mels (dB) and the labels."""
    effect = int(rng.integers(len(effects)))
    preset = int(rng.integers(len(presets[effect])))
    chosen = pick_recordings(rows, config.group_size, rng)
    gains = rng.uniform(*config.input_gain_db, config.group_size)
    clips = [render_pair(rows[r], effects[effect], presets[effect][preset], float(g), config, rng)
             for r, g in zip(chosen, gains)]
    labels = {"effect": effect, "preset": preset, "recordings": [f"{rows[r].source}/{rows[r].name}" for r in chosen],
              "input_gain_db": [round(float(g), 2) for g in gains]}
    return np.stack(clips).astype(np.float16), labels


def pick_recordings(rows: list[Recording], count: int, rng: np.random.Generator) -> list[int]:
    """``count`` distinct recording indices: each a source at random, then one of its recordings weighted by
    duration (fewer distinct recordings only when the split holds fewer)."""
    sources = sorted({r.source for r in rows})
    chosen: list[int] = []
    while len(chosen) < min(count, len(rows)):
        source = sources[int(rng.integers(len(sources)))]
        index = [i for i, r in enumerate(rows) if r.source == source and i not in chosen]
        if index:
            weights = np.array([rows[i].duration_s for i in index])
            chosen.append(index[int(rng.choice(len(index), p=weights / weights.sum()))])
    return chosen + chosen[: count - len(chosen)]


def render_pair(row: Recording, effect: PoolEffect, values: dict, gain_db: float, config: PairConfig,
                rng: np.random.Generator) -> np.ndarray:
    """(2 [input, output], 2 [mid, side], time, mels) float32 log-mels (dB) of ``row`` through ``effect`` at
    ``values``."""
    dry = segment(row, config.pre_s + config.clip_s, config.rate, rng)
    dry = dry.with_samples(dry.samples * 10 ** (gain_db / 20))
    wet = effect.process(dry, values).stereo()
    pre = dry.frames - config.frames
    both = torch.from_numpy(mid_side(np.stack([dry.stereo().samples[:, pre:], wet.samples[:, pre:]])))
    with torch.no_grad():
        db = _front(config.front).decibels(both.flatten(0, 1))
    return db.reshape(2, 2, *db.shape[1:]).numpy()


@lru_cache(maxsize=2)
def _front(config: LogMelConfig) -> LogMel:
    """The front end for ``config``, built once per process."""
    return LogMel(config)


def segment(row: Recording, seconds: float, rate: int, rng: np.random.Generator) -> Audio:
    """The loudest ``seconds`` of a random stretch (3x as long, not silent) of ``row``, at ``rate`` Hz, peak at
    0 dBFS (zero-padded when the recording is shorter)."""
    info = sf.info(row.path)
    window = min(info.frames, int(3 * seconds * info.samplerate))
    for _attempt in range(8):
        start = int(rng.integers(info.frames - window + 1))
        samples, _ = sf.read(row.path, start=start, frames=window, dtype="float32", always_2d=True)
        if np.max(np.abs(samples)) > 10 ** (SILENT_DB / 20):
            break
    audio = resample(as_audio(samples.T[:2], info.samplerate, row.path), rate)
    audio = fit_length(loudest_excerpt(audio, seconds), round(seconds * rate))
    return audio.with_samples(audio.samples / (np.max(np.abs(audio.samples)) + 1e-9))


def with_counts(config: PairConfig, groups: int | None, val_groups: int | None) -> PairConfig:
    """``config`` with the group counts replaced where given."""
    return replace(config, groups=groups or config.groups, val_groups=val_groups or config.val_groups)
