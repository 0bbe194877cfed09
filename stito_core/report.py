"""What a match did, in a producer's words: each effect that came on in its plugin's units, and how far each
attribute group moved toward the reference."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .chain import Chain

#: A parameter whose normalised value is within this of its neutral one is "untouched" (normalised 0-1).
MOVED = 0.01
#: An EQ band whose gain is within this of 0 dB is not mentioned (dB).
BAND_DB = 0.5


def effect_lines(chain: Chain, normalized: Sequence[float], enabled: Sequence[bool]) -> list[str]:
    """One line per effect of ``chain`` switched on in the setting (normalised 0-1 values, one flag per
    effect), naming what it does: "parametric eq: band2 +6.0 dB at 700 Hz, high shelf -9.0 dB at 3.2 kHz"
    or "reverb: wet level 0.30, room size 0.40". An EQ band is its gain at its frequency (bands within
    ``BAND_DB`` of 0 dB are left out); other parameters are named when they moved more than ``MOVED``
    from neutral."""
    rows = chain.describe(normalized, enabled)
    moved = np.abs(np.asarray(normalized, dtype=np.float64) - chain.neutral()) > MOVED
    lines = []
    for slot, on, (start, stop) in zip(chain.slots, enabled, chain.spans):
        if not on:
            continue
        own = {row["name"]: row for row in rows[start:stop]}
        words = _bands(own) + [_setting(row) for (name, row), m in zip(own.items(), moved[start:stop])
                               if m and not _in_band(name, own)]
        lines.append(f"{slot.effect.name.replace('_', ' ')}: {', '.join(words) or 'on at its neutral setting'}")
    return lines


def _bands(rows: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """"<band> +G dB at F" for each ``<band>_gain_db`` with a ``<band>_freq_hz`` beside it, beyond ``BAND_DB``."""
    out = []
    for name, row in rows.items():
        band = name[: -len("_gain_db")] if name.endswith("_gain_db") else None
        if band and f"{band}_freq_hz" in rows and abs(row["value"]) >= BAND_DB:
            freq = rows[f"{band}_freq_hz"]["value"]
            out.append(f"{band.replace('_', ' ')} {row['value']:+.1f} dB at {_hz(freq)}")
    return out


def _in_band(name: str, rows: Mapping[str, Any]) -> bool:
    """Whether ``name`` is the gain, frequency or Q of an EQ band (described by :func:`_bands`)."""
    for suffix in ("_gain_db", "_freq_hz", "_q"):
        if name.endswith(suffix):
            band = name[: -len(suffix)]
            return f"{band}_gain_db" in rows and f"{band}_freq_hz" in rows
    return False


def _setting(row: Mapping[str, Any]) -> str:
    """"<name without its unit> <value> <unit>", e.g. "threshold -22.0 dB", "ratio 4.0:1", "wet level 0.30"."""
    unit = row.get("unit", "")
    name = row["name"]
    if unit and name.endswith(f"_{unit.lower()}"):
        name = name[: -len(unit) - 1]
    label, value = name.replace("_", " "), float(row["value"])
    if name == "ratio":
        return f"ratio {value:.1f}:1"
    if unit == "Hz":
        return f"{label} {_hz(value)}"
    if unit in ("ms", "s", "dB"):
        return f"{label} {value:.1f} {unit}" if unit != "s" else f"{label} {value * 1000:.0f} ms"
    return f"{label} {value:.2f}{(' ' + unit) if unit else ''}"


def _hz(value: float) -> str:
    return f"{value / 1000:.1f} kHz" if value >= 1000 else f"{value:.0f} Hz"


def attribute_moves(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, dict[str, float]]:
    """Per attribute group: the input's and the result's distance to the reference (objective units, 0 =
    within its content tolerance) and the share of the way the match moved it (1 = all the way; negative:
    farther; None where the input was already there)."""
    out = {}
    for group, start in before.items():
        end = after[group]
        moved = None if start <= 1e-9 else round(1.0 - end / start, 3)
        out[group] = {"input": round(float(start), 6), "result": round(float(end), 6), "moved": moved}
    return out


def attribute_lines(moves: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per attribute group: "space: 72 % of the way to the reference" or "tone: already there"."""
    lines = []
    for group, move in moves.items():
        if move["moved"] is None:
            lines.append(f"{group}: already as the reference (nothing to move)")
        else:
            way = move["moved"]
            lines.append(f"{group}: {way:.0%} of the way to the reference" if way >= 0 else
                         f"{group}: {-way:.0%} farther from the reference")
    return lines


def report_lines(report: Mapping[str, Any]) -> list[str]:
    """A match's ``report`` (``MatchResult.report``) as lines: its effects, then its attribute moves."""
    return [*report["effects"], *attribute_lines(report["attributes"])]
