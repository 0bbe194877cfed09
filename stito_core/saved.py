"""A finished match as data: read back from its parameter file (or a preset), rendered onto any audio at
any amount without a search, and kept as a named preset in the user's preset folder."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .audio import Audio
from .audio_io import write_text_atomic
from .chain import Chain
from .chains import load_chain
from .errors import ChainError, StitoError
from .match import check_amount

#: A preset name: letters, digits, '-', '_' and '.', not starting with '.' (it becomes a file name).
PRESET_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}")


class SavedMatchError(StitoError):
    """A parameter file or preset that cannot be applied: unreadable, malformed, or for another chain."""


@dataclass(frozen=True)
class SavedMatch:
    """A match's chain and its found setting (normalised 0-1 values and one flag per effect), as saved."""

    path: Path
    chain: Chain
    normalized: np.ndarray
    enabled: list[bool]
    record: dict[str, Any]

    @property
    def chain_source(self) -> str:
        """What loads this match's chain again: its chain file, else its shipped name."""
        return str(self.chain.path or self.chain.name)

    def at(self, amount: float) -> tuple[np.ndarray, list[bool]]:
        """The found setting at ``amount`` (0 to ``match.MAX_AMOUNT``; :meth:`Chain.at_amount`)."""
        return self.chain.at_amount(self.normalized, self.enabled, check_amount(amount))

    def render(self, audio: Audio, amount: float = 1.0) -> Audio:
        """``audio`` through the chain at ``amount``, rendered as a match renders its result (in blocks,
        each effect's state carried across them), so amount 1 on the matched input gives its result again."""
        normalized, enabled = self.at(amount)
        blocks = [block.samples for block in self.chain.stream(audio, normalized, enabled)]
        return audio.with_samples(np.concatenate(blocks, axis=1))

    def describe(self, amount: float = 1.0) -> list[dict[str, Any]]:
        """Parameter-file rows of the setting at ``amount``."""
        return self.chain.describe(*self.at(amount))

    def effects_on(self, amount: float = 1.0) -> list[str]:
        """Names of the effects switched on at ``amount``, in chain order."""
        return [slot.effect.name for slot, on in zip(self.chain.slots, self.at(amount)[1]) if on]


def load_saved(path: Path, load: Callable[[str], Chain] = load_chain) -> SavedMatch:
    """The match saved in the parameter file (or preset) ``path``; its chain is loaded again by ``load``
    (the daemon's loads only from the allowed places) from the record's ``chain_file``, else by its
    ``chain`` name, and its found rows must be that chain's parameters in order."""
    record = _record(path)
    chain = _chain_of(path, record, load)
    rows = record.get("found") or record.get("parameters")
    keys = [f"{row.get('effect')}.{row.get('name')}" if isinstance(row, dict) else "?" for row in rows or []]
    expected = [p.key for p in chain.parameters]
    if keys != expected:
        missing = next((k for k in expected if k not in keys), None) or next(k for k in keys if k not in expected)
        msg = (f"{path}: its parameters do not fit chain '{chain.name}' (first difference: {missing}); "
               "it was saved from another chain or an older version of it")
        raise SavedMatchError(msg)
    try:
        normalized = np.array([float(row["normalized"]) for row in rows])
    except (KeyError, TypeError, ValueError):
        raise SavedMatchError(f"{path}: a parameter row has no numeric 'normalized' value") from None
    flags = {row["effect"]: bool(row.get("enabled", True)) for row in rows}
    return SavedMatch(path, chain, normalized, [flags.get(s.effect.name, True) for s in chain.slots], record)


def _record(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or a one-line error naming the file."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SavedMatchError(f"{path}: no such match file or preset") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SavedMatchError(f"{path}: not a stito parameter file ({type(exc).__name__}: {exc})") from None
    if not isinstance(record, dict) or "chain" not in record or not isinstance(record.get("parameters"), list):
        raise SavedMatchError(f"{path}: not a stito parameter file (no 'chain' and 'parameters')")
    if record["chain"] == "rule-based":
        raise SavedMatchError(f"{path}: a rule-based match has no chain to apply; use a match by search")
    return record


def _chain_of(path: Path, record: dict[str, Any], load: Callable[[str], Chain]) -> Chain:
    """The saved match's chain: its ``chain_file`` when that still exists, else the shipped chain by name."""
    source = record.get("chain_file")
    name = source if isinstance(source, str) and Path(source).is_file() else str(record["chain"])
    try:
        return load(name)
    except ChainError as exc:
        raise SavedMatchError(f"{path}: its chain cannot be loaded: {exc}") from None


def presets_dir() -> Path:
    """The user's preset folder: ``$STITO_PRESETS``, else ``$XDG_CONFIG_HOME/stito/presets`` (default
    ``~/.config/stito/presets``)."""
    if os.environ.get("STITO_PRESETS"):
        return Path(os.environ["STITO_PRESETS"]).expanduser()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "stito" / "presets"


def preset_path(name: str) -> Path:
    """The file of preset ``name`` in :func:`presets_dir`, or an error when the name is not a plain one."""
    if not PRESET_NAME.fullmatch(name):
        msg = (f"preset name {name!r}: use up to 64 letters, digits, '-', '_' or '.', not starting with '.'")
        raise SavedMatchError(msg)
    return presets_dir() / f"{name}.json"


def save_preset(match_file: Path, name: str, overwrite: bool = False) -> Path:
    """Keep the match in ``match_file`` as preset ``name`` (checked to load and fit its chain first);
    returns the preset's path. Written to a temporary name, then renamed; an existing preset is replaced
    only with ``overwrite``."""
    saved = load_saved(match_file)
    target = preset_path(name)
    record = {**saved.record, "preset": name, "saved_from": str(match_file)}
    if saved.chain.path is not None:
        record["chain_file"] = str(saved.chain.path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, json.dumps(record, indent=2) + "\n", overwrite=overwrite)
    return target


def list_presets() -> list[tuple[str, str, list[str]]]:
    """(name, chain, effects switched on) of every preset in :func:`presets_dir`, by name; files that do not
    load are listed with the reason in place of the chain."""
    rows = []
    for path in sorted(presets_dir().glob("*.json")):
        try:
            saved = load_saved(path)
            rows.append((path.stem, saved.chain.name, saved.effects_on()))
        except StitoError as exc:
            rows.append((path.stem, f"unusable: {exc}", []))
    return rows


def resolve(match_or_preset: str) -> Path:
    """A parameter-file path as given, or the file of a preset of that name when no such file exists."""
    path = Path(match_or_preset).expanduser()
    if path.is_file() or path.suffix == ".json" or "/" in match_or_preset:
        return path
    candidate = preset_path(match_or_preset)
    if candidate.is_file():
        return candidate
    msg = f"{match_or_preset}: neither a match file nor a preset in {presets_dir()} (see `stito preset list`)"
    raise SavedMatchError(msg)
