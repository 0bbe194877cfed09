#!/usr/bin/env python3
"""Regenerate the example audio shipped in ``stito_core/examples/`` (used by ``stito demo``).

Everything is synthesised from Debian packages, so the result is reproducible and freely licensed:

* speech: the flite text-to-speech engine (voices ``slt`` and ``rms``), two original sentences;
* music: two original piano phrases (chord progression + melody) written here as MIDI with ``mido``
  and rendered by fluidsynth with the FluidR3 General MIDI SoundFont (package fluid-soundfont-gm);
* the production style of each ``*reference.flac`` is made with real sox effects.

Pairs (the input and the reference of a pair deliberately have different content):

* ``input.flac``           dry speech, flite voice slt
* ``reference.flac``       other sentence, flite voice rms, "AM radio / telephone voice in a room"
* ``music_input.flac``     dry piano phrase A (C major, I-vi-IV-V-I)
* ``music_reference.flac`` piano phrase B (A minor, i-VI-III-V6-i), "bright, compressed, slap delay, small room"

Needs (not at runtime, only to regenerate)::

    apt-get install flite sox fluidsynth fluid-soundfont-gm
    pip install mido

Every command is printed before it runs; ``stito_core/examples/README.md`` quotes them. Outputs are
deterministic: sox runs in repeatable mode (``-R``, fixed dither seed) and fluidsynth renders with
its reverb and chorus off.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "stito_core" / "examples"
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
RATE = 48000
#: sox output options shared by every file: 16-bit FLAC at the highest compression, repeatable dither.
FLAC_OPTS = ["-b", "16", "-C", "8"]

# ---------------------------------------------------------------------------------------- speech
SPEECH_INPUT_VOICE = "slt"
SPEECH_INPUT_TEXT = (
    "Before you touch a single fader, listen to the whole song once. "
    "Then set the vocal level, carve a little space in the guitars, "
    "and add reverb only when the mix already feels right.")
SPEECH_REFERENCE_VOICE = "rms"
SPEECH_REFERENCE_TEXT = (
    "You are listening to the late show, live from a small studio by the harbour. "
    "Stay with us for new music, old favourites, and the weather at the top of the hour.")
#: Dry: resample to 48 kHz, a little silence either side, peak at -3 dBFS.
SPEECH_INPUT_FX = ["rate", "-v", "48k", "pad", "0.3", "0.5", "norm", "-3"]
#: "AM radio / telephone voice in a room": band-limited to ~300-3400 Hz, overdriven (colour 0: no even
#: harmonics, so no DC offset and no click at the start), band-limited again, a presence bump at 1.8 kHz,
#: heavy compression, then a medium room reverb; peak at -1 dBFS.
SPEECH_REFERENCE_FX = [
    "rate", "-v", "48k", "pad", "0.3", "0.5",
    "highpass", "300", "lowpass", "3400",
    "overdrive", "12", "0",
    "highpass", "300", "lowpass", "3400",
    "equalizer", "1800", "1.2q", "+6",
    "compand", "0.005,0.12", "6:-60,-60,-36,-18,0,-9", "-3", "-40", "0.005",
    "reverb", "55", "40", "60", "100", "12", "-2",
    "norm", "-1"]

# ----------------------------------------------------------------------------------------- music
PIANO = 0  # General MIDI program 1, Acoustic Grand Piano
TICKS = 480  # per quarter note

# A phrase: tempo, chords (one per bar: MIDI notes of a left-hand voicing) and a right-hand melody
# as (start beat, length in beats, MIDI note). Four bars of 4/4, then a final chord.
MUSIC_INPUT = {
    "bpm": 112,
    # C major, I - vi - IV - V - I
    "chords": [[48, 55, 64], [45, 52, 60], [41, 48, 57], [43, 50, 59], [48, 55, 64]],
    "melody": [
        (0, 1, 72), (1, 0.5, 74), (1.5, 0.5, 76), (2, 1.5, 79), (3.5, 0.5, 77),
        (4, 1, 76), (5, 1, 72), (6, 1.5, 69), (7.5, 0.5, 71),
        (8, 1, 72), (9, 0.5, 69), (9.5, 0.5, 72), (10, 1.5, 77), (11.5, 0.5, 76),
        (12, 1, 74), (13, 1, 71), (14, 1, 67), (15, 1, 74),
        (16, 2, 72)],
}
MUSIC_REFERENCE = {
    "bpm": 120,
    # A minor, i - VI - III - V6 - i (E major in first inversion, G# leading up to A)
    "chords": [[45, 52, 60], [41, 48, 57], [48, 55, 64], [44, 52, 59], [45, 52, 60]],
    "melody": [
        (0, 0.5, 76), (0.5, 0.5, 74), (1, 1, 72), (2, 1, 71), (3, 1, 72),
        (4, 1.5, 77), (5.5, 0.5, 76), (6, 1, 74), (7, 1, 72),
        (8, 0.5, 79), (8.5, 0.5, 76), (9, 1, 72), (10, 1, 76), (11, 1, 79),
        (12, 1.5, 74), (13.5, 0.5, 72), (14, 1, 71), (15, 1, 68),
        (16, 2, 69)],
}
#: Dry: fluidsynth's stereo render mixed down to mono (keeps the four files under 2 MB), peak at -3 dBFS.
MUSIC_INPUT_FX = ["channels", "1", "norm", "-3"]
#: "Bright, compressed, slap delay, small room": mono mix-down, low cut, presence and air boost, fast
#: compression, a 95 ms slap echo and a short room reverb; peak at -1 dBFS.
MUSIC_REFERENCE_FX = [
    "channels", "1",
    "highpass", "150",
    "equalizer", "3000", "1q", "+5", "treble", "+7", "8000",
    "compand", "0.0005,0.05", "6:-60,-60,-40,-24,-20,-14,0,-10", "0", "-30", "0.0005",
    "echo", "0.8", "0.85", "95", "0.4",
    "reverb", "35", "50", "30", "80", "0", "-4",
    "norm", "-1"]


def run(cmd: list[str]) -> None:
    """Print ``cmd`` as a shell line, then run it, failing loudly."""
    print("$ " + shlex.join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def _need(tools: dict[str, str]) -> None:
    """Exit with the apt-get line to run when a tool (name -> Debian package) is not on PATH."""
    missing = [pkg for tool, pkg in tools.items() if shutil.which(tool) is None]
    if missing:
        sys.exit("make_examples: missing tools; install them with: apt-get install "
                 + " ".join(sorted(set(missing))))


def write_midi(phrase: dict, path: Path) -> float:
    """Write ``phrase`` as a one-track piano MIDI file (bass note, chords on beats 1 and 3, melody).

    Returns the file's length in seconds, including one beat of silence kept for the release."""
    import mido

    events: list[tuple[int, int, mido.Message]] = []  # (tick, order, message): note-offs sort first

    def note(start_beat: float, beats: float, pitch: int, velocity: int) -> None:
        on, off = round(start_beat * TICKS), round((start_beat + beats) * TICKS) - 10
        events.append((on, 1, mido.Message("note_on", note=pitch, velocity=velocity)))
        events.append((off, 0, mido.Message("note_off", note=pitch, velocity=0)))

    chords = phrase["chords"]
    for bar, chord in enumerate(chords):
        last = bar == len(chords) - 1
        for half in ((0,) if last else (0, 2)):
            for i, pitch in enumerate(chord):
                note(bar * 4 + half, 2, pitch, (62 if half == 0 else 52) - 3 * i)
        note(bar * 4, 2 if last else 4, chord[0] - 12, 66)  # a bass note under each bar
    for i, (start, beats, pitch) in enumerate(phrase["melody"]):
        accent = 10 if float(start).is_integer() and int(start) % 2 == 0 else 0
        note(start, beats, pitch, 74 + accent - (i % 3) * 3)

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name="piano", time=0))
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(phrase["bpm"]), time=0))
    track.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    track.append(mido.Message("program_change", program=PIANO, time=0))
    now = 0
    for tick, _order, msg in sorted(events, key=lambda e: (e[0], e[1], e[2].note)):
        track.append(msg.copy(time=tick - now))
        now = tick
    # One beat of silence after the last note-off so the render keeps the piano's release.
    track.append(mido.MetaMessage("end_of_track", time=TICKS))
    mid = mido.MidiFile(type=0, ticks_per_beat=TICKS)
    mid.tracks.append(track)
    mid.save(path)
    return mid.length


def make_speech(out: Path, tmp: Path) -> None:
    """input.flac and reference.flac: flite speech, dry and through the sox "radio voice" chain."""
    _need({"flite": "flite", "sox": "sox"})
    for name, voice, text, fx in (
            ("input", SPEECH_INPUT_VOICE, SPEECH_INPUT_TEXT, SPEECH_INPUT_FX),
            ("reference", SPEECH_REFERENCE_VOICE, SPEECH_REFERENCE_TEXT, SPEECH_REFERENCE_FX)):
        raw = tmp / f"{name}_flite.wav"
        run(["flite", "-voice", voice, "-t", text, "-o", str(raw)])
        run(["sox", "-R", str(raw), *FLAC_OPTS, str(out / f"{name}.flac"), *fx])


def make_music(out: Path, tmp: Path) -> None:
    """music_input.flac and music_reference.flac: mido MIDI -> fluidsynth (FluidR3_GM) -> sox."""
    _need({"fluidsynth": "fluidsynth", "sox": "sox"})
    if not SOUNDFONT.is_file():
        sys.exit(f"make_examples: {SOUNDFONT} not found; install it with: apt-get install fluid-soundfont-gm")
    for name, phrase, fx in (("music_input", MUSIC_INPUT, MUSIC_INPUT_FX),
                             ("music_reference", MUSIC_REFERENCE, MUSIC_REFERENCE_FX)):
        mid, raw = tmp / f"{name}.mid", tmp / f"{name}_fluidsynth.wav"
        seconds = write_midi(phrase, mid)
        print(f"# wrote {mid.name} ({seconds:.3f} s) with mido: phrase {name!r} in tools/make_examples.py",
              flush=True)
        run(["fluidsynth", "-n", "-i", "-q", "-R", "0", "-C", "0", "-g", "0.6", "-r", str(RATE),
             "-O", "float", "-T", "wav", "-F", str(raw), str(SOUNDFONT), str(mid)])
        # fluidsynth renders ~2 s of silence past the end of the MIDI file: cut the render there.
        # -V1: hide the harmless "wave header missing extended part of fmt chunk" warning.
        run(["sox", "-V1", "-R", str(raw), *FLAC_OPTS, str(out / f"{name}.flac"),
             "trim", "0", f"{seconds:.3f}", *fx])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Regenerate stito's example audio (speech and music input/reference pairs) from "
                    "flite, fluidsynth + FluidR3_GM and sox. Prints every command it runs.")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT,
                        help=f"where the FLAC files go (default: {DEFAULT_OUT.relative_to(REPO)})")
    parser.add_argument("--only", choices=("all", "speech", "music"), default="all",
                        help="which pair(s) to make (default: all)")
    parser.add_argument("--keep-temp", type=Path, metavar="DIR",
                        help="write the intermediate WAV and MIDI files to DIR and keep them")
    args = parser.parse_args(argv)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stito-examples-") as scratch:
        tmp = args.keep_temp or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        if args.only in ("all", "speech"):
            make_speech(args.out_dir, tmp)
        if args.only in ("all", "music"):
            make_music(args.out_dir, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
