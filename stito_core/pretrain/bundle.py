"""A carry-sized bundle for a bare GPU machine, where no Debian package can be installed.

It holds what pair generation needs there: the effect pool's LADSPA libraries, the ``sox`` program and the
shared libraries they load beyond a base system, the LV2 unit files that name zam-plugins' parameters, a
working folder with a corpus subset (the loudest ``excerpt_s`` seconds of recordings taken in turn from every
source, re-encoded as Ogg Vorbis until the size budget is used) and the presets, and ``env.sh``, which points
LADSPA_PATH, LV2_PATH, PATH and LD_LIBRARY_PATH at the bundle. On the machine::

    source BUNDLE/env.sh && stito pretrain pairs --workdir BUNDLE/work --config gpu
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import soundfile as sf

from ..audio_io import read_audio, write_text_atomic
from ..excerpt import loudest_excerpt
from ..errors import StitoError
from .corpus import MANIFEST, Recording, read_manifest
from .pool import load_pool

#: Libraries every Linux system has; the rest of a program's dependencies travel in the bundle.
_BASE = re.compile(r"^(linux-vdso|ld-linux|libc|libm|libmvec|libdl|librt|libpthread|libstdc\+\+|libgcc_s)\.so")
#: Ogg Vorbis quality (0-1) of the corpus subset.
VORBIS_QUALITY = 0.4
ENV = """# Source this on a machine without the Debian packages: the pool's plugins, sox and their libraries.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LADSPA_PATH="$here/ladspa" LV2_PATH="$here/lv2" PATH="$here/bin:$PATH"
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
"""


def make_bundle(corpus: Path, presets: Path, out: Path, budget_mb: float = 56.0, excerpt_s: float = 12.0) -> dict:
    """Write the bundle into ``out`` (which must not exist) from a built corpus and presets file; returns what
    it holds. The whole stays under ``budget_mb`` MiB."""
    if out.exists():
        raise StitoError(f"{out}: exists; give a new folder for the bundle")
    plugins = sorted({Path(e.effect.library) for e in load_pool() if hasattr(e.effect, "library")})
    sox = Path(shutil.which("sox") or "/usr/bin/sox")
    _copy(plugins, out / "ladspa")
    _copy([sox], out / "bin")
    _copy(_dependencies([*plugins, sox]), out / "lib")
    _copy_lv2_units(plugins, out / "lv2")
    (out / "work").mkdir()
    shutil.copy2(presets, out / "work" / presets.name)
    write_text_atomic(out / "env.sh", ENV)
    left = budget_mb * 2**20 - _size(out)
    rows = _pack_corpus(read_manifest(corpus), out / "work" / "corpus", left, excerpt_s)
    return {"plugins": len(plugins), "libraries": len(list((out / "lib").iterdir())), "recordings": len(rows),
            "corpus_hours": round(sum(r.duration_s for r in rows) / 3600, 3), "mib": round(_size(out) / 2**20, 1)}


def _copy(paths: list[Path], folder: Path) -> None:
    """Copy the files ``paths`` (links resolved) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        shutil.copy2(path.resolve(), folder / path.name)


def _dependencies(programs: list[Path]) -> list[Path]:
    """The shared libraries ``programs`` load (``ldd``), base-system ones left out."""
    found: dict[str, Path] = {}
    for program in programs:
        listing = subprocess.run(["ldd", str(program)], capture_output=True, text=True, check=False).stdout
        for name, path in re.findall(r"^\s*(\S+) => (/\S+)", listing, re.M):
            if not _BASE.match(name):
                found[name] = Path(path)
    return list(found.values())


def _copy_lv2_units(plugins: list[Path], folder: Path) -> None:
    """Copy the ``.ttl`` files of the LV2 bundles named like the plugins (zam-plugins state units there)."""
    from ..effects.lv2_units import lv2_dirs

    labels = {p.name.removesuffix("-ladspa.so") for p in plugins}
    for bundle in (b for d in lv2_dirs() for b in d.glob("*.lv2") if b.stem in labels):
        (folder / bundle.name).mkdir(parents=True, exist_ok=True)
        for ttl in bundle.glob("*.ttl"):
            shutil.copy2(ttl, folder / bundle.name / ttl.name)


def _pack_corpus(rows: list[Recording], folder: Path, budget_bytes: float, excerpt_s: float) -> list[Recording]:
    """Re-encode excerpts of ``rows``, one source after another in turn, until ``budget_bytes`` are used; writes
    and returns their manifest rows (paths relative to ``folder``)."""
    queues = {source: [r for r in rows if r.source == source] for source in dict.fromkeys(r.source for r in rows)}
    packed, used = [], 0
    while any(queues.values()) and used < budget_bytes:
        for source, queue in queues.items():
            if queue and used < budget_bytes:
                row = _pack(queue.pop(0), folder, excerpt_s)
                used += (folder / row.path).stat().st_size
                packed.append(row)
    lines = "".join(json.dumps(asdict(r)) + "\n" for r in packed)
    write_text_atomic(folder / MANIFEST, lines)
    return packed


def _pack(row: Recording, folder: Path, excerpt_s: float) -> Recording:
    """The loudest ``excerpt_s`` seconds of ``row`` as Ogg Vorbis under ``folder``; its new manifest row."""
    audio = loudest_excerpt(read_audio(row.path), excerpt_s)
    relative = Path(row.source) / f"{row.name}.ogg"
    (folder / relative).parent.mkdir(parents=True, exist_ok=True)
    sf.write(folder / relative, np.ascontiguousarray(audio.samples.T), audio.sample_rate, format="OGG",
             subtype="VORBIS", compression_level=1 - VORBIS_QUALITY)
    return replace(row, path=str(relative), duration_s=round(audio.duration_s, 3),
                   note=f"{row.note}; loudest {excerpt_s:g} s, Ogg Vorbis".lstrip("; "))


def _size(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
