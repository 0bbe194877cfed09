"""Just enough OSC 1.0 for talking to ``stito serve``: messages of strings, ints and floats.

Live's embedded Python cannot install packages, so python-osc (what the rest of stito uses) is not
available here; this covers the argument types the daemon sends (s, i, f, d, T, F).
"""

import struct


def _padded(raw):
    """``raw`` bytes, NUL-terminated and padded to a multiple of 4."""
    raw += b"\0"
    return raw + b"\0" * (-len(raw) % 4)


def encode(address, *args):
    """One OSC message; ``args`` are str, int or float (bool is refused: no daemon address takes one)."""
    tags, body = ",", b""
    for arg in args:
        if isinstance(arg, bool) or not isinstance(arg, (str, int, float)):
            raise TypeError("OSC argument %r: give a str, int or float" % (arg,))
        if isinstance(arg, str):
            tags, body = tags + "s", body + _padded(arg.encode("utf-8"))
        elif isinstance(arg, int):
            tags, body = tags + "i", body + struct.pack(">i", arg)
        else:
            tags, body = tags + "f", body + struct.pack(">f", arg)
    return _padded(address.encode("utf-8")) + _padded(tags.encode("ascii")) + body


def _string(data, at):
    end = data.index(b"\0", at)
    return data[at:end].decode("utf-8", "replace"), end + 1 + (-(end + 1) % 4)


def decode(data):
    """(address, [arguments]) of one OSC message; ValueError when it is not one (bundles included)."""
    try:
        address, at = _string(data, 0)
        if not address.startswith("/"):
            raise ValueError("not an OSC message")
        tags, at = _string(data, at) if at < len(data) else (",", at)
        args = []
        for tag in tags[1:]:
            if tag == "s":
                value, at = _string(data, at)
            elif tag in "if":
                value, at = struct.unpack(">" + tag, data[at:at + 4])[0], at + 4
            elif tag == "d":
                value, at = struct.unpack(">d", data[at:at + 8])[0], at + 8
            elif tag in "TF":
                value = tag == "T"
            else:
                raise ValueError("OSC type %r is not read here" % tag)
            args.append(value)
        return address, args
    except (struct.error, IndexError) as exc:
        raise ValueError("truncated OSC message (%s)" % exc)
