"""Building the pretraining corpus: every source's recordings rendered (or referenced where a package file is
already a recording), checked against the benchmark, split into training and validation, and listed in a
manifest (one JSON object per line: source, kind, package, files, licence, duration, rate, channels, split).

Rendered recordings are peak-normalised to ``PEAK_DB`` and cached as 16-bit FLAC under the corpus folder, so
a second build only re-reads them. Package recordings are read in place.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from ..audio_io import write_audio, write_text_atomic
from ..errors import StitoError
from .exclusion import check_clean, package_owners
from .sources import SOURCES, Item, Source, source_names

#: File listing the corpus, one recording per line, in the corpus folder.
MANIFEST = "manifest.jsonl"
#: Peak level in dBFS of rendered recordings.
PEAK_DB = -1.0
#: Of each content kind, every ``VAL_EVERY``-th recording (in table order) is held out for validation; a kind
#: with fewer (but at least two) recordings holds out its last.
VAL_EVERY = 10


@dataclass(frozen=True)
class Recording:
    """One manifest row. ``path`` is the audio to read (a package file or a rendered FLAC); ``files`` are the
    package files it comes from and ``packages`` their Debian packages (``package`` the first); durations in
    seconds, rate in Hz; ``split`` is "train" or "val"."""

    source: str
    kind: str
    name: str
    path: str
    package: str
    packages: tuple[str, ...]
    files: tuple[str, ...]
    licence: str
    duration_s: float
    sample_rate: int
    channels: int
    split: str
    note: str


def build_corpus(folder: Path, sources: list[str] | None = None, quick: bool = False, jobs: int | None = None,
                 progress: bool = True) -> list[Recording]:
    """Render or reference every recording of ``sources`` (default: all) into ``folder`` and write its
    manifest; ``quick`` takes one short item per source. Refuses benchmark content before any work."""
    listed = [(source, item) for source in _select(sources) for item in source.items(quick)]
    splits = _splits([source.kind for source, _item in listed])
    tasks = [(source, item, split, str(folder)) for (source, item), split in zip(listed, splits)]
    owners = _check(tasks)
    folder.mkdir(parents=True, exist_ok=True)
    with multiprocessing.Pool(jobs or os.cpu_count()) as pool:
        made = pool.imap(_make, tasks)
        rows = [_row(task, owners, *result) for task, result in zip(tasks, tqdm(
            made, total=len(tasks), desc="corpus", unit="rec", disable=not progress))]
    lines = "".join(json.dumps(asdict(row)) + "\n" for row in rows)
    write_text_atomic(folder / MANIFEST, lines, overwrite=True)
    return rows


def read_manifest(folder: Path) -> list[Recording]:
    """The recordings listed in ``folder``'s manifest (relative paths, as in a bundle, are taken from
    ``folder``); StitoError when the corpus was not built."""
    path = folder / MANIFEST
    if not path.is_file():
        raise StitoError(f"{path}: no corpus manifest; build it first with: stito pretrain corpus")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Recording(**{**row, "path": str(folder / row["path"]), "packages": tuple(row["packages"]),
                         "files": tuple(row["files"])}) for row in rows]


def summarise(rows: list[Recording]) -> dict:
    """Counts and hours of a corpus, in total, per kind, per source and per split (for model cards)."""
    def hours(selected: list[Recording]) -> float:
        return round(sum(r.duration_s for r in selected) / 3600, 3)
    return {"recordings": len(rows), "hours": hours(rows),
            "hours_per_kind": {k: hours([r for r in rows if r.kind == k]) for k in sorted({r.kind for r in rows})},
            "recordings_per_source": dict(Counter(r.source for r in rows)),
            "recordings_per_split": dict(Counter(r.split for r in rows)),
            "packages": sorted({p for r in rows for p in r.packages})}


def _select(names: list[str] | None) -> list[Source]:
    """The sources called ``names`` (all for None), in table order."""
    unknown = sorted(set(names or ()) - set(source_names()))
    if unknown:
        raise StitoError(f"unknown corpus source(s) {', '.join(unknown)}; valid: {', '.join(source_names())}")
    return [s for s in SOURCES if names is None or s.name in names]


def _splits(kinds: list[str]) -> list[str]:
    """"val" or "train" for each recording, given the content kind of each (see ``VAL_EVERY``)."""
    out = []
    for position, kind in enumerate(kinds):
        index, count = kinds[:position].count(kind), kinds.count(kind)
        held = index % VAL_EVERY == VAL_EVERY - 1 or (2 <= count < VAL_EVERY and index == count - 1)
        out.append("val" if held else "train")
    return out


def _check(tasks: list[tuple[Source, Item, str, str]]) -> dict[Path, str]:
    """The Debian owner of every package file the tasks read; StitoError when any file belongs to no package,
    or anything (declared package, owner or folder) is benchmark content."""
    files = [f for _s, item, _sp, _f in tasks for f in item.files]
    owners = package_owners(files)
    orphans = sorted(str(f) for f, owner in owners.items() if not owner)
    if orphans:
        msg = f"corpus files from no Debian package (install the sources' packages): {', '.join(orphans[:5])}"
        raise StitoError(msg)
    check_clean(debian=[p for s, *_ in tasks for p in s.debian] + list(owners.values()), files=files)
    return owners


def _make(task: tuple[Source, Item, str, str]) -> tuple[str, float, int, int]:
    """(path, duration in s, rate in Hz, channels) of one recording, rendered and cached first if needed."""
    source, item, _split_name, folder = task
    path = item.files[0] if item.render is None else Path(folder) / source.name / f"{item.name}.flac"
    if item.render is not None and not path.exists():
        audio = item.render()
        path.parent.mkdir(parents=True, exist_ok=True)
        peak = float(np.max(np.abs(audio.samples))) or 1.0
        write_audio(path, audio.with_samples(audio.samples * (10 ** (PEAK_DB / 20) / peak)), True, "PCM_16")
    info = sf.info(str(path))
    return str(path), info.frames / info.samplerate, info.samplerate, info.channels


def _row(task: tuple[Source, Item, str, str], owners: dict[Path, str], path: str, duration_s: float, rate: int,
         channels: int) -> Recording:
    """The manifest row of a made recording."""
    source, item, split, _folder = task
    packages = tuple(dict.fromkeys(owners[f] for f in item.files))
    return Recording(source.name, source.kind, item.name, path, packages[0], packages,
                     tuple(map(str, item.files)), source.licence, round(duration_s, 3), rate, channels, split,
                     item.note)
