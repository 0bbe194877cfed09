"""AFx-Rep: a PANNs-style CNN over log-mel spectrograms with separate mid and side output layers."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .base import Encoder
from .configs import AfxRepConfig
from .logmel import LogMel


class ConvBlock(nn.Module):
    """``depth`` 3x3 convolutions with batch norm and ReLU, then 2x2 average pooling (PANNs uses depth 2)."""

    def __init__(self, c_in: int, c_out: int, depth: int = 2) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                       nn.ReLU()]
        self.body = nn.Sequential(*layers, nn.AvgPool2d(2, ceil_mode=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class AfxRepNet(nn.Module):
    """(batch, 2, frames) mid/side waveforms -> (batch, 2, embed_dim) unnormalised embeddings.

    One shared trunk; mid and side get separate output layers. :meth:`from_logmel` is the same network from
    the front end's output on, for training on stored spectrograms.
    """

    def __init__(self, config: AfxRepConfig) -> None:
        super().__init__()
        self.config = config
        self.front = LogMel(config.front)
        self.bn0 = nn.BatchNorm2d(config.front.n_mels)
        widths = (1, *config.widths)
        self.blocks = nn.Sequential(*(ConvBlock(a, b, config.block_depth) for a, b in zip(widths, widths[1:])))
        pooled, hidden = self._widths()
        self.fc = nn.Sequential(nn.Linear(pooled, hidden), nn.ReLU())
        self.heads = nn.ModuleList([nn.Linear(hidden, config.embed_dim) for _ in range(2)])

    def _widths(self) -> tuple[int, int]:
        """Features after pooling and after the shared fully connected layer: the last block's channels for
        "panns"; channels x remaining bands x (mean, std), then twice the embedding size, for "stats"."""
        if self.config.pooling == "panns":
            return self.config.widths[-1], self.config.widths[-1]
        bands = self.config.front.n_mels
        for _ in self.config.widths:
            bands = -(-bands // 2)
        return 2 * self.config.widths[-1] * bands, 2 * self.config.embed_dim

    def trunk(self, logmel: torch.Tensor) -> torch.Tensor:
        """(n, time, mels) scaled log-mels -> (n, width) pooled features."""
        x = logmel.unsqueeze(1)  # (n, 1, time, mels)
        if self.config.time_pool > 1:
            x = nn.functional.avg_pool2d(x, (self.config.time_pool, 1), ceil_mode=True)
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        x = self.blocks(x)  # (n, C, time, bands)
        if self.config.pooling == "panns":
            x = x.mean(dim=3)
            return self.fc(x.max(dim=2).values + x.mean(dim=2))
        std, mean = torch.std_mean(x, dim=2, correction=0)
        return self.fc(torch.cat([mean, std], dim=1).flatten(1))

    def from_logmel(self, logmel: torch.Tensor) -> torch.Tensor:
        """(batch, 2 [mid, side], time, mels) scaled log-mels -> (batch, 2, embed_dim)."""
        batch = logmel.shape[0]
        feats = self.trunk(logmel.flatten(0, 1)).reshape(batch, 2, -1)
        return torch.stack([self.heads[0](feats[:, 0]), self.heads[1](feats[:, 1])], dim=1)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        batch = pairs.shape[0]
        logmel = self.front(pairs.reshape(batch * 2, -1))
        return self.from_logmel(logmel.reshape(batch, 2, *logmel.shape[1:]))


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
