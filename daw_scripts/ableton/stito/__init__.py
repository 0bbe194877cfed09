"""stito for Ableton Live: a MIDI Remote Script that matches the selected audio clip with one MIDI note.

Install: copy this folder (``stito``) into Live's "Remote Scripts" folder (macOS ``~/Music/Ableton/User
Library/Remote Scripts``, Windows ``\\Users\\<you>\\Documents\\Ableton\\User Library\\Remote Scripts``), then
choose "stito" as a Control Surface in Preferences > Link, Tempo & MIDI, with your controller as its Input.
daw_scripts/README.md has the whole story. Written against the Live API as AbletonOSC uses it; it has not
run in a real Live.
"""

from .surface import StitoSurface


def create_instance(c_instance):
    """Live's entry point: one surface per selected Control Surface slot."""
    return StitoSurface(c_instance)
