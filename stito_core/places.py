"""Where chain files and plugin libraries may be loaded from.

The command line loads what its own user names (no :class:`Places`). The daemon answers requests from
any local process, so it loads only from places its owner allowed: the shipped chains and configured
chain folders, and plugins from each format's standard folders (plus ``LADSPA_PATH``, ``VST3_PATH``,
``LV2_PATH``) and configured plugin folders. A path is checked after resolving symbolic links, before
anything is read or loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import NotAllowedError


def standard_plugin_folders() -> list[Path]:
    """Every format's standard plugin folders and the folders its ``*_PATH`` variable names."""
    from .effects.ladspa import ladspa_search_dirs
    from .effects.lv2_units import lv2_dirs
    from .effects.vst3 import vst3_search_dirs

    return [*ladspa_search_dirs(), *vst3_search_dirs(), *lv2_dirs()]


def inside(path: Path, folders: list[Path]) -> bool:
    """Whether ``path`` (symbolic links resolved) lies in one of ``folders``."""
    real = path.expanduser().resolve()
    return any(real == f or real.is_relative_to(f) for f in (Path(d).expanduser().resolve() for d in folders))


@dataclass(frozen=True)
class Places:
    """Chain folders and single chain files (besides the shipped chains), and plugin folders (besides
    the standard ones), that a loader may read from."""

    chain_folders: tuple[Path, ...] = ()
    chain_files: tuple[Path, ...] = ()
    plugin_folders: tuple[Path, ...] = ()

    def check_chain(self, path: Path) -> None:
        """Refuse a chain file outside the shipped chains, ``chain_folders`` and ``chain_files``."""
        from .chains import CHAINS_DIR

        files = {f.expanduser().resolve() for f in self.chain_files}
        if path.expanduser().resolve() not in files and not inside(path, [CHAINS_DIR, *self.chain_folders]):
            where = ", ".join(str(f) for f in (CHAINS_DIR, *self.chain_folders))
            raise NotAllowedError(f"{path}: chain file outside the allowed chain folders ({where}); the owner "
                                  "can add its folder to server.chain_folders")

    def check_plugin(self, path: Path) -> None:
        """Refuse a plugin library or bundle outside the standard and ``plugin_folders``."""
        if not inside(path, [*standard_plugin_folders(), *self.plugin_folders]):
            raise NotAllowedError(f"{path}: plugin outside the standard plugin folders and server.plugin_folders; "
                                  "nothing was loaded")
