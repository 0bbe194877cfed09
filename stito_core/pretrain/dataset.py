"""Reading pair shards for training: one item is one group (an effect and preset on several recordings).

Items are stored log-mel spectrograms (dB). Training items get a random crop (the same offset for a pair's
input and output) and a random gain per clip in ``gain_db`` (an offset in dB: the clips were peak-normalised
before the front end); validation items take the centre crop at 0 dB. Both are then clipped and scaled as
the front end does. Randomness comes from (seed, epoch, item), so it does not depend on the number of loader
workers or ranks.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..encoders.logmel import scale_db
from ..errors import StitoError
from .pairs import shard_paths


class GroupShards(Dataset):
    """The complete shards of ``split`` in ``folder``; items are dicts of tensors: "clips" float32
    (group_size, 2 [input, output], 2 [mid, side], crop_frames, mels) scaled log-mels, "effect" and "preset"
    int64 (group_size,). ``crop_frames`` counts spectrogram frames."""

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
        clips = np.asarray(self._array(shard)[row], dtype=np.float32)  # (group, 2, 2, time, mels)
        rng = np.random.default_rng([self.seed, self.epoch, index]) if self.gain_db else None
        labels = self.labels[shard]
        group = clips.shape[0]
        return {"clips": scale_db(torch.from_numpy(np.stack([self._crop(c, rng) for c in clips]))),
                "effect": torch.full((group,), labels["effect"][row], dtype=torch.int64),
                "preset": torch.full((group,), labels["preset"][row], dtype=torch.int64)}

    def _array(self, shard: int) -> np.ndarray:
        """Shard ``shard`` memory-mapped (opened once per process)."""
        if shard not in self._arrays:
            self._arrays[shard] = np.load(self.paths[shard], mmap_mode="r")
            if self._arrays[shard].shape[-2] < self.crop_frames:
                msg = f"{self.paths[shard]}: clips of {self._arrays[shard].shape[-2]} frames, shorter than the crop"
                raise StitoError(msg)
        return self._arrays[shard]

    def _crop(self, pair: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        """(2, 2, crop_frames, mels) dB of one (2, 2, time, mels) pair: a random (or the centre) crop, then
        (training) a random gain per clip."""
        spare = pair.shape[-2] - self.crop_frames
        start = spare // 2 if rng is None else int(rng.integers(spare + 1))
        crop = pair[..., start:start + self.crop_frames, :]
        if rng is not None:
            crop = crop + rng.uniform(*self.gain_db, size=(2, 1, 1, 1))
        return crop.astype(np.float32)
