"""Where the shipped files live: the configuration (chains, DAW profiles, the daemon's default settings)
and the example audio of ``stito demo`` and the benchmarks (``stito_core/examples``, inside the package).

The configuration: in a checkout (and an editable install) it is the project's ``config/`` folder. A
plain ``pip install`` of the package copies that folder to ``<prefix>/share/stito/config``
(``data-files`` in ``pyproject.toml``), since ``config/`` sits beside the packages rather than inside
one. The prefix is whichever folder above the installed package holds it: a virtual environment,
``--user``, ``--prefix`` or a system install, on any platform.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve()
_INSTALLED = Path("share") / "stito" / "config"


def config_dir(here: Path = _HERE) -> Path:
    """The shipped ``config`` folder for the module file ``here``: the checkout's, else the installed
    copy nearest above the package; the checkout's path when neither exists, so that errors name
    where it was looked for."""
    source = here.parents[1] / "config"
    candidates = [source, *(folder / _INSTALLED for folder in here.parents[1:])]
    return next((c for c in candidates if (c / "stito.toml").is_file() and (c / "chains").is_dir()), source)


CONFIG_DIR = config_dir()
#: The shipped example audio, part of the package (see stito_core/examples/README.md).
EXAMPLES_DIR = _HERE.parent / "examples"
