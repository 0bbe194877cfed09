"""Setting a stito parameter file on a Live track's devices, through the Live API only.

The file's n-th effect goes to device ``first_device + n - 1``; each parameter is found by name. A
parameter whose Live range is its own unit (``min``/``max`` in dB, Hz...) takes the value itself, clamped
to that range (Live raises on a value outside it). One that Live shows as 0-1 (every VST3/AU plugin
parameter, many of Live's own) gets the position whose displayed text (``str_for_value``, which moves
nothing) shows the found value, by bisection.
"""

import re

#: A unit as Live and plugins display it -> stito's name suffix.
UNIT_SUFFIX = {"dB": "db", "Hz": "hz", "kHz": "khz", "ms": "ms", "s": "s", "%": "pct"}
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def snake(text):
    """A parameter name as stito writes it: lower-case words joined by "_" ("Boost/Cut 1" -> "boost_cut_1")."""
    text = text.replace("dB", "db").replace("kHz", "khz")
    text = re.sub(r"([a-z])([A-Z])", r"\1_\2", text).lower().replace("%", " pct ")
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def same_parameter(live_name, row):
    """True when Live's parameter ``live_name`` is stito's ``row`` (its name with or without the unit)."""
    name, suffix = snake(live_name), UNIT_SUFFIX.get(row.get("unit") or "")
    return name == row["name"] or (suffix is not None and name + "_" + suffix == row["name"])


def parse_shown(text, unit):
    """The number a displayed value shows, in ``unit`` ("-20.0 dB" -> -20, "2.5 kHz" -> 2500 for Hz,
    "1.20 s" -> 1200 for ms), or None ("inf dB" and words have none)."""
    found = _NUMBER.search(text)
    if found is None:
        return None
    number, rest = float(found.group()), text[found.end():].strip().lower()
    if unit == "Hz" and rest.startswith("k"):
        number *= 1000.0
    elif unit == "ms" and rest.startswith("s"):
        number *= 1000.0
    elif unit == "s" and rest.startswith("ms"):
        number /= 1000.0
    return number


def _edge(shown_at, target, rising, past, steps):
    """Where a rising (falling) ``shown_at`` first shows at least (most) ``target``, or more (less) than
    it with ``past``; None when a position shows no number."""
    lo, hi = 0.0, 1.0
    for _ in range(steps):
        mid = (lo + hi) / 2.0
        shown = shown_at(mid)
        if shown is None:
            return None
        before = (shown <= target if past else shown < target) if rising else \
            (shown >= target if past else shown > target)
        lo, hi = (mid, hi) if before else (lo, mid)
    return (lo + hi) / 2.0


def bisect(shown_at, target, steps=40):
    """The position 0-1 where the monotonic ``shown_at(x)`` shows ``target``: the middle of the stretch
    that displays it (a display rounds, to 0.1 dB say); None when out of reach."""
    at_lo, at_hi = shown_at(0.0), shown_at(1.0)
    if at_lo is None or at_hi is None or at_lo == at_hi:
        return None
    rising, tolerance = at_hi > at_lo, 1e-9 * max(abs(at_lo), abs(at_hi))
    if not min(at_lo, at_hi) - tolerance <= target <= max(at_lo, at_hi) + tolerance:
        return None
    first, last = (_edge(shown_at, target, rising, past, steps) for past in (False, True))
    return None if first is None or last is None else (first + last) / 2.0


def live_value(parameter, row):
    """The raw value for Live's ``parameter`` that stands for ``row``'s value: (value, None), or
    (None, why not). Always within the parameter's min..max."""
    low, high, value, unit = float(parameter.min), float(parameter.max), float(row["value"]), row.get("unit") or ""
    own_units = not (low == 0.0 and high == 1.0) or (unit == "" and 0.0 <= value <= 1.0)
    if own_units:
        value = float(round(value)) if parameter.is_quantized else value
        return min(max(value, low), high), None
    position = bisect(lambda x: parse_shown(parameter.str_for_value(low + x * (high - low)), unit), value)
    if position is None:
        return None, "cannot find %g %s on the device's dial" % (value, unit)
    return low + position * (high - low), None


def find_parameter(device, row):
    """``device``'s parameter named as ``row``, or None."""
    for parameter in device.parameters:
        if same_parameter(parameter.name, row):
            return parameter
    return None


def apply_rows(track, rows, first_device):
    """Sets every row on ``track``; returns (how many were set, [problems as lines])."""
    devices, slots, done, problems = list(track.devices), {}, 0, []
    for row in rows:
        slot = slots.setdefault(row["effect"], first_device - 1 + len(slots))
        where = "%s.%s" % (row["effect"], row["name"])
        if slot >= len(devices):
            problems.append("%s: the track has no device %d" % (where, slot + 1))
            continue
        parameter = find_parameter(devices[slot], row)
        if parameter is None:
            problems.append("%s: device %d (%s) has no parameter of that name" % (where, slot + 1, devices[slot].name))
            continue
        value, why = live_value(parameter, row)
        if value is None:
            problems.append("%s: %s" % (where, why))
            continue
        wanted = float(row["value"])
        if not parameter.min <= wanted <= parameter.max and not (parameter.min == 0.0 and parameter.max == 1.0):
            problems.append("%s: %g is outside Live's %g..%g, set to %g"
                            % (where, wanted, parameter.min, parameter.max, value))
        parameter.value = value
        done += 1
    return done, problems
