"""AFx-Rep checkpoints: one file holding the network configuration, the weights and a model card dict."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import torch

from ..errors import EncoderError
from .afx_rep import AfxRepNet
from .configs import AfxRepConfig

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
        with warnings.catch_warnings():  # torch warns about foreign pickles; the error below says it all
            warnings.simplefilter("ignore")
            payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # junk bytes raise UnpicklingError, EOFError, KeyError... depending on the bytes
        raise EncoderError(f"{path}: not a readable checkpoint ({_summary(exc)})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        msg = f"{path}: not a stito AFx-Rep checkpoint (expected format {FORMAT})"
        raise EncoderError(msg)
    try:
        net = AfxRepNet(AfxRepConfig.from_dict(payload["config"]))
        net.load_state_dict(payload["state_dict"])
    except Exception as exc:  # a damaged config, or weights that do not fit it
        raise EncoderError(f"{path}: damaged checkpoint ({_summary(exc)})") from None
    return net.eval(), payload


def _summary(exc: Exception) -> str:
    """``exc`` as one short line: its type and the start of its message (torch's long advice to
    load untrusted pickles with ``weights_only=False`` is left out)."""
    text = "unsupported or corrupt data" if isinstance(exc, pickle.UnpicklingError) else " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:200]
