"""Encoders that map audio to production-style embeddings, and how to load them by name.

The encoders import torch (a second or more on two cores) only when one is loaded: the default objective
(attributes) needs none, so ``stito match`` and the daemon start without it."""

from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING

from ..errors import EncoderError
from .base import Encoder
from .configs import CONFIGS

if TYPE_CHECKING:
    from .afx_rep import AfxRepEncoder, AfxRepNet

#: The shipped AFx-Rep weights, trained by ``stito pretrain`` (see MODEL_CARD.md beside them).
SHIPPED_WEIGHTS = Path(__file__).resolve().parents[1] / "weights" / "afx_rep.pt"
#: The embedding that style classification plus parameter estimation rank first (benchmarks/RESULTS.md,
#: "Embedding ranking"). The search's default metric is ``stito_core.objective.DEFAULT_METRIC``.
BEST_EMBEDDING = "mir"

__all__ = ["BEST_EMBEDDING", "Encoder", "load_encoder", "encoder_names"]


def encoder_names() -> list[str]:
    """Names ``load_encoder`` accepts besides checkpoint paths."""
    return ["afx-rep", "mfcc", "mir", *(f"afx-rep-untrained:{k}" for k in CONFIGS)]


def load_encoder(name_or_path: str | Path | None = None) -> Encoder:
    """``None`` or ``"afx-rep"``: the shipped AFx-Rep; ``"mfcc"``: the MFCC baseline; ``"mir"``: the
    MIR-feature baseline; ``"afx-rep-untrained:small|cnn14"``: a randomly initialised network (a control); else a checkpoint path.
    """
    name = "afx-rep" if name_or_path is None else str(name_or_path)
    if name == "mfcc":
        from .mfcc import MfccEncoder

        return MfccEncoder()
    if name == "mir":
        from .mir import MirEncoder

        return MirEncoder()
    if name.startswith("afx-rep-untrained:") and name.split(":", 1)[1] in CONFIGS:
        from .afx_rep import AfxRepEncoder

        return AfxRepEncoder(_seeded_net(name.split(":", 1)[1]), name=name)
    if name == "afx-rep":
        if not SHIPPED_WEIGHTS.is_file():
            raise EncoderError(f"{SHIPPED_WEIGHTS}: the shipped AFx-Rep weights are missing; reinstall stito")
        return _from_checkpoint(SHIPPED_WEIGHTS, "afx-rep")
    if Path(name).expanduser().is_file():
        return _from_checkpoint(Path(name).expanduser(), Path(name).stem)
    msg = f"unknown encoder '{name}': give one of {', '.join(encoder_names())} or a checkpoint file"
    raise EncoderError(msg)


def _seeded_net(config: str) -> AfxRepNet:
    """A deterministic random initialisation of a named configuration."""
    import torch

    from .afx_rep import AfxRepNet

    torch.manual_seed(0)
    return AfxRepNet(CONFIGS[config])


def _from_checkpoint(path: Path, name: str) -> AfxRepEncoder:
    from .afx_rep import AfxRepEncoder
    from .checkpoint import load_checkpoint

    net, payload = load_checkpoint(path)
    return AfxRepEncoder(net, name=name, meta=payload.get("meta", {}))
