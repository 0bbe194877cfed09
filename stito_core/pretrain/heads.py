"""The pretext model: the AFx-Rep encoder plus the paper's two heads, and the losses.

The effect head is an MLP on the concatenated input and output embeddings; the preset head an MLP on the
same plus the effect logits (the paper's design). Each is trained with cross-entropy. An optional
contrastive term (NT-Xent, supervised form) pulls together the output embeddings of pairs that carry the same
effect and preset on different recordings. Embeddings are L2-normalised per mid/side half, as the metric sees
them. The heads are dropped when the encoder ships.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ..encoders.afx_rep import AfxRepNet


def _mlp(d_in: int, hidden: int, d_out: int) -> nn.Sequential:
    """Linear - ReLU - Linear."""
    return nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out))


class PretextModel(nn.Module):
    """Encoder and heads in one module (one DistributedDataParallel wrapper covers both)."""

    def __init__(self, net: AfxRepNet, effects: int, presets: int, hidden: int = 512) -> None:
        super().__init__()
        self.net = net
        pair_dim = 4 * net.config.embed_dim  # input and output, mid and side
        self.effect_head = _mlp(pair_dim, hidden, effects)
        self.preset_head = _mlp(pair_dim + effects, hidden, presets)

    def embed(self, clips: torch.Tensor) -> torch.Tensor:
        """(n, 2 [mid, side], time, mels) scaled log-mels -> (n, 2 * embed_dim), each half L2-normalised."""
        return F.normalize(self.net.from_logmel(clips), dim=-1).flatten(1)

    def forward(self, inputs: torch.Tensor, outputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Embeddings of the outputs, effect logits and preset logits of (n, 2, time, mels) input/output
        log-mel pairs."""
        both = self.embed(torch.cat([inputs, outputs]))
        e_in, e_out = both.chunk(2)
        pair = torch.cat([e_in, e_out], dim=1)
        effect_logits = self.effect_head(pair)
        return e_out, effect_logits, self.preset_head(torch.cat([pair, effect_logits], dim=1))


def contrastive_loss(z: torch.Tensor, classes: torch.Tensor, temperature: float) -> torch.Tensor:
    """Supervised NT-Xent over unit-norm rows of ``z`` (n, d): rows with the same class (effect and preset) are
    positives, every other row a negative; the mean over rows that have a positive."""
    n = z.shape[0]
    logits = (z @ z.T) / (2 * temperature)  # z holds two unit halves, so z @ z.T lies in [-2, 2]
    self_mask = torch.eye(n, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_mask, float("-inf"))
    positive = (classes[:, None] == classes[None, :]) & ~self_mask
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    has = positive.any(dim=1)
    mean_pos = log_prob.masked_fill(~positive, 0.0).sum(dim=1) / positive.sum(dim=1).clamp_min(1)
    return -mean_pos[has].mean() if has.any() else z.sum() * 0.0


def losses(model: nn.Module, batch: dict[str, torch.Tensor], presets: int, contrastive_weight: float,
           temperature: float) -> dict[str, torch.Tensor]:
    """The loss terms and accuracies of one batch of groups (see :class:`~stito_core.pretrain.dataset.GroupShards`);
    "loss" is what is minimised."""
    clips = batch["clips"].flatten(0, 1)  # (pairs, 2, 2, time, mels)
    effect, preset = batch["effect"].flatten(), batch["preset"].flatten()
    z, effect_logits, preset_logits = model(clips[:, 0], clips[:, 1])
    out = {"effect_loss": F.cross_entropy(effect_logits.float(), effect),
           "preset_loss": F.cross_entropy(preset_logits.float(), preset)}
    out["loss"] = out["effect_loss"] + out["preset_loss"]
    if contrastive_weight > 0:
        out["contrastive_loss"] = contrastive_loss(z.float(), effect * presets + preset, temperature)
        out["loss"] = out["loss"] + contrastive_weight * out["contrastive_loss"]
    out["effect_acc"] = (effect_logits.argmax(1) == effect).float().mean()
    out["preset_acc"] = (preset_logits.argmax(1) == preset).float().mean()
    return out
