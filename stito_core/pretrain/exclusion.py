"""Keeping benchmark content out of the pretraining corpus.

The benchmark's own source table (:data:`stito_core.bench.data.SOURCES`) is the list to exclude
(``stito_core/bench/DATA.md``): its Debian packages in every format (the voice-prompt packages ship
the same recordings as ``-g722``, ``-wav``, ``-gsm``...), its PyPI renderers and every file under its
folders. The corpus checks each file it reads against this list, using the package ``dpkg`` says owns it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

from ..bench import data as bench_data
from ..errors import StitoError

#: Suffixes that name only the audio format of a package; the recordings are the same without them.
_FORMAT_SUFFIX = re.compile(r"-(g722|wav|gsm|ulaw|alaw|g729|sln16|siren7|siren14)$")


def excluded_families() -> tuple[str, ...]:
    """Benchmark Debian package names with any format suffix removed: a package equal to one of these, or
    one of these plus a ``-<format>`` suffix, is excluded."""
    return tuple(sorted({_FORMAT_SUFFIX.sub("", name) for name in bench_data.required_packages()}))


def excluded_pip() -> tuple[str, ...]:
    """PyPI distributions that render or decode benchmark content (its singing voice among them)."""
    return tuple(bench_data.required_pip_packages())


def excluded_roots() -> tuple[Path, ...]:
    """Folders the benchmark reads; nothing under them may enter the corpus."""
    return tuple(sorted({Path(source.root) for source in bench_data.SOURCES if source.root}))


def is_excluded_package(package: str) -> bool:
    """True when ``package`` is a benchmark package or another format of one."""
    family = _FORMAT_SUFFIX.sub("", package.split(":")[0])
    return family in excluded_families()


def is_excluded_path(path: Path) -> bool:
    """True when ``path`` lies in a folder the benchmark reads."""
    resolved = Path(path).resolve()
    return any(resolved == root or root in resolved.parents for root in map(Path.resolve, excluded_roots()))


def package_owners(paths: Iterable[Path]) -> dict[Path, str]:
    """The Debian package owning each path (``dpkg-query -S``), or "" for a file no package owns."""
    paths = list(dict.fromkeys(Path(p) for p in paths))
    if not paths:
        return {}
    done = subprocess.run(["dpkg-query", "-S", *map(str, paths)], capture_output=True, text=True, check=False)
    owners = {}
    for line in done.stdout.splitlines():
        package, _, path = line.partition(": ")
        owners[Path(path.strip())] = package.split(",")[0].strip()
    return {path: owners.get(path, "") for path in paths}


def check_clean(debian: Iterable[str] = (), pypi: Iterable[str] = (), files: Iterable[Path] = ()) -> None:
    """Raise StitoError naming every benchmark package, PyPI renderer or benchmark file among the inputs."""
    bad = [f"Debian package {p}" for p in debian if is_excluded_package(p)]
    bad += [f"PyPI package {p}" for p in pypi if p.lower() in {x.lower() for x in excluded_pip()}]
    bad += [f"file {f} (a benchmark folder)" for f in files if is_excluded_path(Path(f))]
    if bad:
        msg = f"pretraining must not read benchmark content (stito_core/bench/DATA.md): {'; '.join(bad)}"
        raise StitoError(msg)
