"""``stito match STEMS_DIR REFERENCE...``: every stem of a folder matched, with one progress bar over the
batch, a summary table, and a restart that skips the stems already done.

Each stem gets its own search, or with ``--shared`` one search of the stems' mix whose setting is applied
to every stem (a bus sound for a group). Results go to ``--output`` (a folder, default ``matched/``
inside STEMS_DIR) as ``<stem>.matched.wav`` and ``.json``, both written to temporary names and renamed,
the parameter file last: a stem counts as done when both exist, so an interrupted batch resumes where it
stopped. A stem that fails gets ``<stem>.error.txt`` with the reason and the batch goes on.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from stito_core import load_chain
from stito_core.audio import Audio
from stito_core.audio_io import is_audio_name, read_audio, resample, write_text_atomic
from stito_core.errors import AudioError, SearchError, StitoError
from stito_core.excerpt import fit_length
from stito_core.match import MatchResult, match_audio
from stito_core.param_file import save_applied, save_match
from stito_core.saved import SavedMatch

#: Default results folder inside the stems folder.
RESULTS = "matched"


@dataclass
class _Row:
    """One stem's line of the summary."""

    stem: str
    status: str
    effects: str = ""
    similarity: str = ""
    seconds: float = 0.0


def match_folder(args: argparse.Namespace, objective: Any) -> int:
    """Match every audio file in ``args.input`` (a folder) to ``args.reference``; 0 when every stem is done,
    1 when any failed (each failure is in the summary and its ``.error.txt``)."""
    stems = sorted(p for p in args.input.iterdir() if p.is_file() and is_audio_name(p))
    if not stems:
        raise AudioError(f"{args.input}: no audio files to match (wav, flac, aiff, ogg, ...)")
    if args.method == "rule-based" or args.report is not None or args.params is not None:
        raise SearchError("a stem folder is matched by search, without --report or --params (each stem gets "
                          "its own parameter file)")
    folder = args.output or args.input / RESULTS
    if folder.suffix and not folder.is_dir():
        raise AudioError(f"{folder}: with a stem folder, -o names a folder for the results")
    folder.mkdir(parents=True, exist_ok=True)
    references = [read_audio(path) for path in args.reference]
    chain = load_chain(args.chain)
    options = {"seed": args.seed, "max_iter": args.max_iter, "popsize": args.popsize, "amount": args.amount,
               **({} if args.excerpt is None else {"excerpt_s": args.excerpt})}
    todo = [s for s in stems if args.force or not _done(folder, s)]
    rows = [_Row(s.name, "already matched") for s in stems if s not in todo]
    print(f"matching {len(todo)} of {len(stems)} stems in {args.input} to "
          f"{' + '.join(map(str, args.reference))} (chain {chain.name}{', one shared setting' if args.shared else ''}); "
          f"results in {folder}", file=sys.stderr)
    with tqdm(total=len(stems), initial=len(stems) - len(todo), unit="stem", desc="stems", file=sys.stderr,
              disable=args.quiet, dynamic_ncols=True) as bar:
        shared = None
        if args.shared and todo:
            shared, unreadable = _shared(todo, folder, references, chain, objective, options, args)
            rows += unreadable
            todo = [s for s in todo if s.name not in {r.stem for r in unreadable}]
            bar.update(len(unreadable))
        for stem in todo:
            bar.set_postfix_str(stem.name)
            try:
                rows.append(_one(stem, folder, references, chain, objective, options, args, shared))
            except KeyboardInterrupt:
                print(f"interrupted at {stem.name}: {len(rows)} of {len(stems)} stems done; run the same command "
                      "again to finish the rest", file=sys.stderr)
                raise
            bar.update(1)
    rows.sort(key=lambda r: r.stem)
    _summary(rows)
    failed = sum(r.status == "failed" for r in rows)
    print(f"{len(rows) - failed} of {len(rows)} stems matched; results in {folder}")
    return 1 if failed else 0


def _outputs(folder: Path, stem: Path) -> tuple[Path, Path, Path]:
    """The stem's result audio, parameter file and error file in ``folder``."""
    return (folder / f"{stem.stem}.matched.wav", folder / f"{stem.stem}.matched.json",
            folder / f"{stem.stem}.error.txt")


def _done(folder: Path, stem: Path) -> bool:
    out, params, _ = _outputs(folder, stem)
    return out.is_file() and params.is_file()


def _shared(stems: list[Path], folder: Path, references: list[Audio], chain: Any, objective: Any,
            options: dict[str, Any], args: argparse.Namespace) -> tuple[SavedMatch, list[_Row]]:
    """One search of the stems' mix (summed at the first stem's rate, as long as the longest); its setting
    as a saved match that every stem is rendered with, and a failed row for each stem that cannot be read."""
    audios, failed = [], []
    for stem in stems:
        try:
            audios.append(read_audio(stem).stereo())
        except StitoError as exc:
            failed.append(_failed(stem, folder, exc, 0.0))
    if not audios:
        raise AudioError(f"{args.input}: none of its audio files can be read")
    rate = audios[0].sample_rate
    ready = [resample(a, rate) for a in audios]
    frames = max(a.frames for a in ready)
    mix = np.sum([fit_length(a, frames).samples for a in ready], axis=0)
    mix = Audio(np.asarray(mix / max(1.0, float(np.max(np.abs(mix)))), dtype=np.float32), rate)
    result = match_audio(mix, references, chain, objective, **{**options, "amount": 1.0})  # at 1: applied = found
    saved = SavedMatch(args.input, chain, np.array([row["normalized"] for row in result.found]), list(result.enabled),
                       {"reference": str(args.reference[0])})
    return saved, failed


def _failed(stem: Path, folder: Path, exc: StitoError, seconds: float) -> _Row:
    """A stem that failed: its reason in ``<stem>.error.txt`` and in the summary."""
    write_text_atomic(_outputs(folder, stem)[2], f"{exc}\n", overwrite=True)
    return _Row(stem.name, "failed", str(exc), "", seconds)


def _one(stem: Path, folder: Path, references: list[Audio], chain: Any, objective: Any, options: dict[str, Any],
         args: argparse.Namespace, shared: SavedMatch | None) -> _Row:
    """Match (or render the shared setting onto) one stem; a failure becomes its ``.error.txt``."""
    out, params, error = _outputs(folder, stem)
    start = time.perf_counter()
    try:
        source = read_audio(stem)
        if shared is not None:
            save_applied(shared, shared.render(source.stereo(), args.amount), args.amount, stem, out, params,
                         overwrite=True)
            error.unlink(missing_ok=True)
            return _Row(stem.name, "done (shared)", ", ".join(shared.effects_on(args.amount)) or "none", "",
                        time.perf_counter() - start)
        result = match_audio(source, references, chain, objective, **options)
        save_match(result, chain.name, stem, list(args.reference), out, params, overwrite=True,
                   chain_file=chain.path)
        error.unlink(missing_ok=True)
        return _Row(stem.name, "done", _effects(result), f"{result.similarity_before:.3f} -> {result.similarity_after:.3f}",
                    time.perf_counter() - start)
    except StitoError as exc:
        return _failed(stem, folder, exc, time.perf_counter() - start)


def _effects(result: MatchResult) -> str:
    return ", ".join(dict.fromkeys(r["effect"] for r in result.parameters if r.get("enabled"))) or "none"


def _summary(rows: list[_Row]) -> None:
    """The batch as a table: stem, status, effects on (or the reason it failed), similarity, seconds."""
    width = max(len(r.stem) for r in rows)
    print(f"{'stem':{width}s}  {'status':16s}  {'similarity':16s}  {'s':>6s}  effects on")
    for r in rows:
        print(f"{r.stem:{width}s}  {r.status:16s}  {r.similarity:16s}  {r.seconds:6.1f}  {r.effects}")
