"""AFx-Rep checkpoints: one file holding the network configuration, the weights and a model card dict."""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import EncoderError
from .afx_rep import AfxRepConfig, AfxRepNet

#: Marks a stito checkpoint; bumped when the layout changes.
FORMAT = "stito-afx-rep/1"


def save_checkpoint(path: str | Path, net: AfxRepNet, meta: dict | None = None, **extra: object) -> None:
    """Write ``net`` with its configuration and ``meta`` (steps, data, hardware...) to ``path``.

    ``extra`` (optimiser state, step counters) is stored beside it for resuming training.
    """
    payload = {"format": FORMAT, "config": net.config.to_dict(), "state_dict": net.state_dict(),
               "meta": meta or {}, **extra}
    tmp = Path(path).with_name(f".{Path(path).name}.tmp")
    torch.save(payload, tmp)
    tmp.replace(path)


def load_checkpoint(path: str | Path) -> tuple[AfxRepNet, dict]:
    """Rebuild the network from ``path``; returns it (eval mode) and the whole payload."""
    try:
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError) as exc:
        msg = f"{path}: not a readable checkpoint ({' '.join(str(exc).split())[:200]})"
        raise EncoderError(msg) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        msg = f"{path}: not a stito AFx-Rep checkpoint (expected format {FORMAT})"
        raise EncoderError(msg)
    net = AfxRepNet(AfxRepConfig.from_dict(payload["config"]))
    net.load_state_dict(payload["state_dict"])
    return net.eval(), payload
