"""The folders each plugin format is searched in: its ``*_PATH`` variable's, then its standard ones.

``STITO_SYSTEM_PLUGINS=0`` leaves out every format's standard folders, so that only the folders the
variables name are searched (and, in the daemon, allowed): a machine that shows stito no plugins, as
the pip-only smoke run of ``scripts/test.sh`` checks.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

SWITCH = "STITO_SYSTEM_PLUGINS"


def system_folders_on() -> bool:
    """False when ``STITO_SYSTEM_PLUGINS=0``: the standard plugin folders are not searched."""
    return os.environ.get(SWITCH, "1").strip() != "0"


def named_folders(variable: str) -> list[str]:
    """The entries of the environment variable ``variable`` (separated by ``os.pathsep``), empty ones dropped."""
    return [d for d in os.environ.get(variable, "").split(os.pathsep) if d]


def search_folders(variable: str, standard: Sequence[str], system: bool | None = None) -> list[Path]:
    """The folders ``variable`` names, then ``standard`` unless switched off (``system``: True or False
    decides instead of the switch), without repeats."""
    keep = system_folders_on() if system is None else system
    both = (*named_folders(variable), *(standard if keep else ()))
    return list(dict.fromkeys(Path(d).expanduser() for d in both))
