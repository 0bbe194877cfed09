"""The results of a match on disk: processed audio plus the parameter file (JSON), written all or nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .audio import Audio
from .audio_io import write_audio, write_text_atomic
from .errors import AudioError
from .match import MatchResult

if TYPE_CHECKING:
    from .saved import SavedMatch


def parameter_record(chain: str, source: str | Path, reference: str | Path | Sequence[str | Path],
                     output: str | Path, result: MatchResult, gain_db: float,
                     chain_file: Path | None = None) -> dict[str, Any]:
    """The parameter file's content (see INTERFACE.md); ``gain_db`` is the peak-protection gain applied (dB),
    ``chain_file`` the chain's TOML (what ``stito apply`` loads again). ``parameters`` are the applied values
    (the found ones at ``amount``), ``found`` the found values themselves. Several references: ``reference``
    is the first, ``references`` all of them."""
    where = {"chain_file": str(chain_file)} if chain_file is not None else {}
    paths = [str(r) for r in reference] if isinstance(reference, (list, tuple)) else [str(reference)]
    several = {"references": paths} if len(paths) > 1 else {}
    return {"chain": chain, **where, "input": str(source), "reference": paths[0], **several, "output": str(output),
            "similarity_before": round(result.similarity_before, 6),
            "similarity_after": round(result.similarity_after, 6), "seconds": round(result.seconds, 3),
            "iterations": len(result.history), "stop": result.stop, "output_gain_db": round(gain_db, 3),
            "economy": result.economy, "verification": result.verification, "report": result.report,
            "amount": result.amount, "found": result.found, "parameters": result.parameters}


def save_match(result: MatchResult, chain: str, source: str | Path, reference: str | Path | Sequence[str | Path],
               output: Path, params: Path, overwrite: bool = False, chain_file: Path | None = None) -> float:
    """Write the processed audio to ``output`` and the parameter file to ``params`` (temporary names, then
    renamed); if the parameter file cannot be written, a newly written audio file is removed again.
    Returns the gain in dB applied to keep the audio from clipping (0.0 or negative)."""
    return _save_pair(result.audio, output, params, overwrite,
                      lambda gain_db: parameter_record(chain, source, reference, output, result, gain_db, chain_file))


def save_applied(saved: SavedMatch, audio: Audio, amount: float, source: str | Path, output: Path, params: Path,
                 overwrite: bool = False) -> float:
    """Write a saved match's render of ``source`` (``audio``, at ``amount``) and its parameter file, as
    :func:`save_match` does; the record says which match it came from and keeps its found values."""
    def record(gain_db: float) -> dict[str, Any]:
        where = {"chain_file": str(saved.chain.path)} if saved.chain.path is not None else {}
        return {"chain": saved.chain.name, **where, "input": str(source),
                "reference": saved.record.get("reference", ""), "output": str(output), "applied_from": str(saved.path),
                "output_gain_db": round(gain_db, 3), "amount": amount,
                "found": saved.chain.describe(saved.normalized, saved.enabled), "parameters": saved.describe(amount)}
    return _save_pair(audio, output, params, overwrite, record)


def _save_pair(audio: Audio, output: Path, params: Path, overwrite: bool,
               record: Callable[[float], dict[str, Any]]) -> float:
    """``audio`` to ``output``, then ``record(gain_db)`` as JSON to ``params``; all or nothing."""
    existed = output.exists()
    gain_db = write_audio(output, audio, overwrite=overwrite)
    try:
        write_text_atomic(params, json.dumps(record(gain_db), indent=2) + "\n", overwrite=overwrite)
    except AudioError:
        if not existed:
            output.unlink(missing_ok=True)
        raise
    return gain_db
