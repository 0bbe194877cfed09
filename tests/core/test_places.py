"""Where the daemon may load chains and plugins from: refused paths are named and nothing is loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stito_core.chains import load_chain
from stito_core.effects.ladspa import find_ladspa_library
from stito_core.errors import ChainError, NotAllowedError
from stito_core.places import Places, standard_plugin_folders

COMPRESSOR = '[[effect]]\ntype = "builtin"\nkind = "compressor"\n'


def _chain(folder: Path, text: str, name: str = "mine.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_chains_are_always_allowed() -> None:
    assert load_chain("zam", Places()).name == "zam"


def test_a_chain_file_outside_the_allowed_folders_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = _chain(tmp_path / "elsewhere", "this is not even TOML [")
    with pytest.raises(NotAllowedError, match=f"^{path}: chain file outside the allowed chain folders"):
        load_chain(path, Places(chain_folders=(tmp_path / "chains",)))
    with pytest.raises(ChainError, match="not valid TOML"):  # the CLI reads what its user names
        load_chain(path)


def test_chain_folders_and_named_files_allow_a_chain(tmp_path: Path) -> None:
    inside = _chain(tmp_path / "chains", COMPRESSOR)
    assert load_chain(inside, Places(chain_folders=(tmp_path / "chains",))).slots[0].effect.name == "compressor"
    single = _chain(tmp_path / "watch", COMPRESSOR, "watch.toml")
    assert load_chain(single, Places(chain_files=(single,))).name == "watch"
    with pytest.raises(NotAllowedError):
        load_chain(_chain(tmp_path / "watch", COMPRESSOR, "other.toml"), Places(chain_files=(single,)))


def test_a_link_out_of_an_allowed_folder_is_refused(tmp_path: Path) -> None:
    outside = _chain(tmp_path / "elsewhere", COMPRESSOR)
    (tmp_path / "chains").mkdir()
    link = tmp_path / "chains" / "link.toml"
    link.symlink_to(outside)
    with pytest.raises(NotAllowedError, match="link.toml"):
        load_chain(link, Places(chain_folders=(tmp_path / "chains",)))


@pytest.mark.parametrize(("table", "plugin"), [
    ('type = "ladspa"\nlibrary = "{path}"\n', "evil.so"),
    ('type = "vst3"\npath = "{path}"\n', "Evil.vst3"),
])
def test_a_plugin_outside_the_plugin_folders_is_not_loaded(tmp_path: Path, table: str, plugin: str) -> None:
    """The file is not a plugin at all: loading it would fail differently (\"cannot load\"), so the
    refusal proves nothing was opened."""
    evil = tmp_path / "drop" / plugin
    evil.parent.mkdir()
    evil.write_bytes(b"\x7fELF not really")
    chain = _chain(tmp_path / "chains", "[[effect]]\n" + table.format(path=evil))
    places = Places(chain_folders=(tmp_path / "chains",))
    with pytest.raises(NotAllowedError, match=f"effect\\[1\\]: {evil}: plugin outside the standard plugin folders"):
        load_chain(chain, places)
    with pytest.raises(ChainError) as loaded:  # without places (the CLI) it is opened, and fails as such
        load_chain(chain)
    assert not isinstance(loaded.value, NotAllowedError)


def test_plugin_folders_add_to_the_standard_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = find_ladspa_library("ZamEQ2-ladspa.so")
    assert any(shipped.resolve().is_relative_to(d.resolve()) for d in standard_plugin_folders())
    mine = tmp_path / "mine" / shipped.name
    mine.parent.mkdir()
    shutil.copy(shipped, mine)
    chain = _chain(tmp_path / "chains", f'[[effect]]\ntype = "ladspa"\nlibrary = "{mine}"\n')
    folders = (tmp_path / "chains",)
    with pytest.raises(NotAllowedError):
        load_chain(chain, Places(chain_folders=folders))
    assert load_chain(chain, Places(chain_folders=folders, plugin_folders=(mine.parent,))).slots[0].searched
    monkeypatch.setenv("LADSPA_PATH", str(mine.parent))
    assert load_chain(chain, Places(chain_folders=folders)).slots[0].searched
