"""The results of a match on disk: processed audio plus the parameter file (JSON), written all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .audio_io import write_audio, write_text_atomic
from .errors import AudioError
from .match import MatchResult


def parameter_record(chain: str, source: str | Path, reference: str | Path, output: str | Path,
                     result: MatchResult, gain_db: float) -> dict[str, Any]:
    """The parameter file's content (see INTERFACE.md); ``gain_db`` is the peak-protection gain applied (dB)."""
    return {"chain": chain, "input": str(source), "reference": str(reference), "output": str(output),
            "similarity_before": round(result.similarity_before, 6),
            "similarity_after": round(result.similarity_after, 6), "seconds": round(result.seconds, 3),
            "iterations": len(result.history), "stop": result.stop, "output_gain_db": round(gain_db, 3),
            "economy": result.economy, "verification": result.verification, "parameters": result.parameters}


def save_match(result: MatchResult, chain: str, source: str | Path, reference: str | Path,
               output: Path, params: Path, overwrite: bool = False) -> float:
    """Write the processed audio to ``output`` and the parameter file to ``params`` (temporary names, then
    renamed); if the parameter file cannot be written, a newly written audio file is removed again.
    Returns the gain in dB applied to keep the audio from clipping (0.0 or negative)."""
    existed = output.exists()
    gain_db = write_audio(output, result.audio, overwrite=overwrite)
    record = parameter_record(chain, source, reference, output, result, gain_db)
    try:
        write_text_atomic(params, json.dumps(record, indent=2) + "\n", overwrite=overwrite)
    except AudioError:
        if not existed:
            output.unlink(missing_ok=True)
        raise
    return gain_db
