"""Where the shipped configuration lives: chains, DAW profiles and the daemon's default settings.

In a checkout (and an editable install) it is the project's ``config/`` folder. A plain ``pip install``
of the package copies that folder to ``<prefix>/share/stito/config`` (``data-files`` in
``pyproject.toml``), since ``config/`` sits beside the packages rather than inside one.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

_SOURCE = Path(__file__).resolve().parents[1] / "config"
_INSTALLED = Path("share") / "stito" / "config"


def config_dir() -> Path:
    """The shipped ``config`` folder: the checkout's, else the installed copy (environment, then user
    scheme); the checkout's path when neither exists, so that errors name where it was looked for."""
    schemes = [sysconfig.get_default_scheme(), sysconfig.get_preferred_scheme("user")]
    candidates = [_SOURCE, *(Path(sysconfig.get_path("data", s)) / _INSTALLED for s in schemes)]
    return next((c for c in candidates if (c / "chains").is_dir()), _SOURCE)


CONFIG_DIR = config_dir()
