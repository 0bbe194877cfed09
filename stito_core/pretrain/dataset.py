"""Reading pair shards for training: one item is one group (an effect and preset on several recordings).

Training items get a random crop (the same offset for a pair's input and output) and a random gain per clip
in ``gain_db`` after peak normalisation; validation items take the centre crop at 0 dB. Randomness comes
from (seed, epoch, item), so it does not depend on the number of loader workers or ranks.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from .pairs import shard_paths


class GroupShards(Dataset):
    """The complete shards of ``split`` in ``folder``; items are dicts of tensors: "clips" float32
    (group_size, 2 [input, output], 2 [mid, side], crop_frames), "effect" and "preset" int64 (group_size,)."""

    def __init__(self, folder: Path, split: str, crop_frames: int, gain_db: tuple[float, float] | None,
                 seed: int = 0) -> None:
        self.paths = shard_paths(folder, split)
        self.labels = [json.loads(p.with_suffix(".json").read_text(encoding="utf-8")) for p in self.paths]
        self.starts = np.cumsum([0] + [len(lab["effect"]) for lab in self.labels])
        self.crop_frames, self.gain_db, self.seed, self.epoch = crop_frames, gain_db, seed, 0
        self._arrays: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return int(self.starts[-1])

    def set_epoch(self, epoch: int) -> None:
        """Draw other crops and gains from now on (call once per pass, like DistributedSampler.set_epoch)."""
        self.epoch = epoch

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        shard = int(np.searchsorted(self.starts, index, side="right") - 1)
        row = index - int(self.starts[shard])
        clips = np.asarray(self._array(shard)[row], dtype=np.float32)  # (group, 2, 2, frames)
        rng = np.random.default_rng([self.seed, self.epoch, index]) if self.gain_db else None
        labels = self.labels[shard]
        group = clips.shape[0]
        return {"clips": torch.from_numpy(np.stack([self._crop(c, rng) for c in clips])),
                "effect": torch.full((group,), labels["effect"][row], dtype=torch.int64),
                "preset": torch.full((group,), labels["preset"][row], dtype=torch.int64)}

    def _array(self, shard: int) -> np.ndarray:
        """Shard ``shard`` memory-mapped (opened once per process)."""
        if shard not in self._arrays:
            self._arrays[shard] = np.load(self.paths[shard], mmap_mode="r")
        return self._arrays[shard]

    def _crop(self, pair: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        """(2, 2, crop_frames) of one (2, 2, frames) pair: a random (or the centre) crop, each half
        peak-normalised, then (training) a random gain per clip."""
        spare = pair.shape[-1] - self.crop_frames
        start = spare // 2 if rng is None else int(rng.integers(spare + 1))
        crop = pair[..., start:start + self.crop_frames]
        crop = crop / (np.max(np.abs(crop), axis=-1, keepdims=True) + 1e-9)
        if rng is not None:
            crop = crop * 10 ** (rng.uniform(*self.gain_db, size=(2, 1, 1)) / 20)
        return crop.astype(np.float32)
