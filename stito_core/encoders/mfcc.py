"""The MFCC-statistics baseline in its strongest measured form (see NOTES-pretraining)."""

from __future__ import annotations

import numpy as np
import torch

from .base import Encoder
from .configs import LogMelConfig
from .logmel import LogMel


def dct_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """Orthonormal DCT-II basis shaped (n_in, n_out): column k is coefficient k."""
    n = torch.arange(n_in, dtype=torch.float64)[:, None]
    k = torch.arange(n_out, dtype=torch.float64)[None, :]
    basis = torch.cos(torch.pi / n_in * (n + 0.5) * k) * np.sqrt(2.0 / n_in)
    basis[:, 0] /= np.sqrt(2.0)
    return basis.float()


class MfccEncoder(Encoder):
    """Mid and side, 128-band log-mel (window 2048, hop 512), DCT coefficients 1-20 (c0, the level,
    dropped), mean and standard deviation over time; not standardised per dimension."""

    name = "mfcc"

    def __init__(self, sample_rate: int = 48000, n_mfcc: int = 20) -> None:
        self.sample_rate = sample_rate
        self.front = LogMel(LogMelConfig(sample_rate=sample_rate, power=False))
        self.dct = dct_matrix(self.front.config.n_mels, n_mfcc + 1)[:, 1:]

    @torch.no_grad()
    def _embed_pairs(self, pairs: np.ndarray) -> np.ndarray:
        items = pairs.shape[0]
        db = self.front.decibels(torch.from_numpy(pairs.reshape(items * 2, -1)))
        coeffs = db @ self.dct
        stats = torch.cat([coeffs.mean(dim=1), coeffs.std(dim=1)], dim=-1)
        return stats.reshape(items, 2, -1).numpy()
