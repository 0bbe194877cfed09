"""The pip-only path's pieces: plugin folders with the standard ones switched off, `stito plugins`'s
one line per format that offers nothing, and the shipped config found in an installed copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bridge.cli.main import main
from stito_core import shipped
from stito_core.effects.folders import search_folders
from stito_core.effects.ladspa import ladspa_search_dirs
from stito_core.effects.lv2 import lv2_folders
from stito_core.effects.vst3 import vst3_search_dirs
from stito_core.plugins import PluginInfo, missing
from stito_core.places import Places
from stito_core.errors import NotAllowedError


@pytest.fixture
def no_system(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in ("LADSPA_PATH", "LV2_PATH", "VST3_PATH"):
        monkeypatch.setenv(variable, "")
    monkeypatch.setenv("STITO_SYSTEM_PLUGINS", "0")
    return monkeypatch


def test_the_switch_leaves_only_the_named_folders(no_system: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert ladspa_search_dirs() == vst3_search_dirs() == lv2_folders() == []
    no_system.setenv("LADSPA_PATH", f"{tmp_path}:{tmp_path}")
    assert ladspa_search_dirs() == [tmp_path]
    no_system.delenv("LV2_PATH")
    assert lv2_folders() == []  # unset LV2_PATH would mean lilv's standard folders


def test_without_the_switch_the_standard_folders_follow_the_named_ones(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    monkeypatch.delenv("STITO_SYSTEM_PLUGINS", raising=False)
    monkeypatch.setenv("VST3_PATH", str(tmp_path))
    assert vst3_search_dirs()[0] == tmp_path and Path("/usr/lib/vst3") in vst3_search_dirs()
    assert search_folders("NO_SUCH_VARIABLE", ("/a", "/b")) == [Path("/a"), Path("/b")]


def test_ladspa_parameter_names_do_not_depend_on_the_switch(no_system: pytest.MonkeyPatch) -> None:
    from stito_core.effects.ladspa import LadspaEffect

    if not Path("/usr/lib/ladspa/ZamCompX2-ladspa.so").exists() or not Path("/usr/lib/lv2/ZamCompX2.lv2").is_dir():
        pytest.skip("zam-plugins are installed by scripts/setup.sh")
    from stito_core.effects.lv2_units import port_units

    no_system.setenv("LADSPA_PATH", "/usr/lib/ladspa")
    port_units.cache_clear()  # as in a fresh process started with the switch
    assert "threshold_db" in [p.name for p in LadspaEffect("ZamCompX2-ladspa.so").parameters]


def test_the_daemon_refuses_standard_folders_when_they_are_switched_off(no_system: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotAllowedError):
        Places().check_plugin(Path("/usr/lib/ladspa/ZamEQ2-ladspa.so"))


def test_plugins_says_in_one_line_per_format_what_is_missing(no_system: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--format", "ladspa"]) == 0
    assert main(["plugins", "--format", "vst3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ladspa: no LADSPA plugins found (no folder to search); LADSPA_PATH adds folders")
    assert lines[1].startswith("0 of 0 plugins load") and lines[3].startswith("0 of 0 plugins load")
    assert lines[2].startswith("vst3: no VST3 plugins found") and "STITO_SYSTEM_PLUGINS=0" in lines[2]


def test_missing_names_the_folders_and_counts_plugins_that_do_not_load(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    monkeypatch.setenv("STITO_SYSTEM_PLUGINS", "0")
    monkeypatch.setenv("LADSPA_PATH", str(tmp_path))
    broken = [PluginInfo("ladspa", "?", "x.so", False, "library does not load")]
    assert missing("ladspa", broken) == (f"ladspa: none of the 1 LADSPA entries found (plugins and unreadable files) loads in {tmp_path}; "
                                         "LADSPA_PATH adds folders; STITO_SYSTEM_PLUGINS=0 leaves the standard folders out")
    assert missing("ladspa", [PluginInfo("ladspa", "eq", "eq.so", True)]) == ""


def test_an_installed_copy_of_the_config_is_found(tmp_path: Path) -> None:
    module = tmp_path / "venv" / "lib" / "python3.11" / "site-packages" / "stito_core" / "shipped.py"
    assert shipped.config_dir(module) == module.parents[1] / "config"  # nothing installed: where it looked
    installed = tmp_path / "venv" / "share" / "stito" / "config"
    shutil.copytree(Path(__file__).resolve().parents[2] / "config", installed)
    assert shipped.config_dir(module) == installed and (installed / "chains" / "builtin.toml").is_file()
    assert shipped.config_dir() == Path(__file__).resolve().parents[2] / "config"  # this checkout's
