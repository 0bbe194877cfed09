"""Your settings for the stito Live script: edit them here, then restart Live (or reselect the script).

Which MIDI note starts a match is yours to choose: a pad or key of any controller that is the script's
Input in Live's Preferences > Link, Tempo & MIDI > Control Surface row "stito".
"""

#: MIDI channel of the trigger notes, 1-16.
CHANNEL = 16
#: Note that matches the selected audio clip to the reference (60 = C3 in Live's naming, middle C).
MATCH_NOTE = 60
#: Note that sets the last match's values again on the selected track (None: no such note).
APPLY_NOTE = 62

#: Where `stito serve` listens.
HOST = "127.0.0.1"
PORT = 9700
#: File whose first line is the daemon's server.token ("" when the daemon has none). Keep it chmod 600.
TOKEN_FILE = ""

#: The chain that mirrors the track: a name in stito's config/chains, or a chain TOML path.
CHAIN = "zam"
#: Attribute groups that count, e.g. "space,width" ("" = all: tone, dynamics, space, width).
MATCH = ""
#: The reference when no clip in the set is named "stito:ref": an audio file path ("" = none).
REFERENCE = ""
#: Device (1 = the track's first) that takes the chain's first effect; the next effect goes to the next.
FIRST_DEVICE = 1

#: Give up on a job after this many seconds.
TIMEOUT_S = 1800
