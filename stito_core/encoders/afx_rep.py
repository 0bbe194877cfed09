"""AFx-Rep: a PANNs-style CNN over log-mel spectrograms with separate mid and side output layers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from .base import Encoder
from .logmel import LogMel, LogMelConfig


@dataclass(frozen=True)
class AfxRepConfig:
    """Network shape. ``widths`` are the channels of each conv block; the paper's CNN14 is
    (64, 128, 256, 512, 1024, 2048) with 2048-d embeddings at 48 kHz and 128 mel bands."""

    front: LogMelConfig = field(default_factory=LogMelConfig)
    widths: tuple[int, ...] = (16, 32, 64, 128)
    embed_dim: int = 128

    @classmethod
    def from_dict(cls, data: dict) -> AfxRepConfig:
        """Inverse of ``dataclasses.asdict`` (as stored in checkpoints)."""
        return cls(LogMelConfig(**data["front"]), tuple(data["widths"]), int(data["embed_dim"]))

    def to_dict(self) -> dict:
        """Plain data for a checkpoint."""
        return asdict(self)


#: Named configurations: the CPU-sized default and the paper-sized CNN14.
CONFIGS = {
    "small": AfxRepConfig(),
    "cnn14": AfxRepConfig(widths=(64, 128, 256, 512, 1024, 2048), embed_dim=2048),
}


class ConvBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and ReLU, then 2x2 average pooling (PANNs)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(),
            nn.AvgPool2d(2, ceil_mode=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class AfxRepNet(nn.Module):
    """(batch, 2, frames) mid/side waveforms -> (batch, 2, embed_dim) unnormalised embeddings.

    One shared trunk; mid and side get separate output layers.
    """

    def __init__(self, config: AfxRepConfig) -> None:
        super().__init__()
        self.config = config
        self.front = LogMel(config.front)
        self.bn0 = nn.BatchNorm2d(config.front.n_mels)
        widths = (1, *config.widths)
        self.blocks = nn.Sequential(*(ConvBlock(a, b) for a, b in zip(widths, widths[1:])))
        top = config.widths[-1]
        self.fc = nn.Sequential(nn.Linear(top, top), nn.ReLU())
        self.heads = nn.ModuleList([nn.Linear(top, config.embed_dim), nn.Linear(top, config.embed_dim)])

    def trunk(self, wave: torch.Tensor) -> torch.Tensor:
        """(n, frames) waveforms -> (n, width) pooled features."""
        x = self.front(wave).unsqueeze(1)  # (n, 1, time, mels)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        x = self.blocks(x).mean(dim=3)  # (n, C, time)
        return self.fc(x.max(dim=2).values + x.mean(dim=2))

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        batch = pairs.shape[0]
        feats = self.trunk(pairs.reshape(batch * 2, -1)).reshape(batch, 2, -1)
        return torch.stack([self.heads[0](feats[:, 0]), self.heads[1](feats[:, 1])], dim=1)


class AfxRepEncoder(Encoder):
    """The learned production-style embedding around an :class:`AfxRepNet` in eval mode."""

    def __init__(self, net: AfxRepNet, name: str = "afx-rep", meta: dict | None = None) -> None:
        self.net = net.eval()
        self.name = name
        self.meta = meta or {}
        self.sample_rate = net.config.front.sample_rate

    @torch.no_grad()
    def _embed_pairs(self, pairs: np.ndarray) -> np.ndarray:
        return self.net(torch.from_numpy(np.ascontiguousarray(pairs, dtype=np.float32))).numpy()
