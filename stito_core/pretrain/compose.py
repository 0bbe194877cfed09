"""MIDI written here with mido, with real musical structure: songs (intro, verse, chorus, outro over a chord
progression, with drums, bass, chords and a phrased melody), solo instrument pieces, drum grooves with
fills, and choir pieces. Every piece is seeded, so the same seed gives the same MIDI file.

Times are in beats (quarter notes) until :func:`to_midi` turns them into ticks.
"""

from __future__ import annotations

from dataclasses import dataclass

import mido
import numpy as np

#: MIDI ticks per beat.
TICKS = 480
#: Scales as semitones above the tonic.
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10),
          "dorian": (0, 2, 3, 5, 7, 9, 10), "mixolydian": (0, 2, 4, 5, 7, 9, 10)}
#: Four-bar progressions as scale degrees of the chord roots (0 = I).
PROGRESSIONS = ((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 4, 4), (0, 5, 1, 4), (3, 4, 0, 0), (0, 3, 0, 4))
#: Two-bar melodic rhythms in eighth notes (each bar sums to 8).
RHYTHMS = (((2, 2, 2, 2), (2, 2, 4)), ((1, 1, 2, 2, 2), (3, 1, 4)), ((3, 1, 2, 2), (2, 1, 1, 4)),
           ((4, 2, 2), (3, 1, 4)), ((2, 1, 1, 2, 2), (6, 2)), ((1, 2, 1, 2, 2), (2, 2, 2, 2)))
#: One-bar drum patterns on a 16th-note grid: GM drum note -> hits ("X" accent, "x" normal, "o" ghost).
GROOVES = {
    "pop": {36: "X.......X.x.....", 38: "....X.......X...", 42: "x.x.x.x.x.x.x.x."},
    "four_on_floor": {36: "X...X...X...X...", 39: "....X.......X...", 42: "..x...x...x...x.", 46: "......x.......x."},
    "rock16": {36: "X.....x.X.......", 38: "....X..o....X...", 42: "xxxxxxxxxxxxxxxx"},
    "bossa": {36: "X..x..x.X..x..x.", 37: "..x..x...x..x...", 42: "xxxxxxxxxxxxxxxx"},
    "ride_swing": {36: "X.......X.......", 38: "....x..o....x..o", 51: "x..xx..xx..xx..x", 44: "....x.......x..."},
    "halftime_shuffle": {36: "X.........x.....", 38: "........X.......", 42: "x.xx.xx.xx.xx.xx"},
    "breakbeat": {36: "X.x.......X.....", 38: "....X..o.o..X..o", 42: "x.x.x.x.x.x.x.x."},
}
VELOCITY = {"X": 112, "x": 88, "o": 45}
#: GM programs by role.
BASSES = (32, 33, 34, 35, 38)
COMPING = (0, 1, 4, 5, 16, 18, 24, 25, 26, 48, 49, 50, 88, 89)
LEADS = (11, 12, 26, 27, 29, 30, 40, 56, 57, 64, 65, 66, 68, 71, 73, 80, 81)
#: Solo instruments: GM program -> (lowest, highest) MIDI note of the part, and whether it plays chords.
SOLOS = {0: (48, 84, True), 4: (48, 84, True), 6: (53, 84, True), 11: (53, 89, False), 12: (48, 84, False),
         19: (48, 84, True), 24: (40, 76, True), 25: (40, 76, True), 27: (40, 79, True), 32: (28, 55, False),
         40: (55, 91, False), 42: (36, 72, False), 46: (36, 84, True), 56: (55, 82, False), 57: (40, 72, False),
         60: (41, 77, False), 65: (49, 80, False), 68: (58, 91, False), 71: (50, 89, False), 73: (60, 96, False)}
#: Singing voices: GM Choir Aahs and Voice Oohs (sampled human voices).
VOICES = (52, 53)


@dataclass(frozen=True)
class Note:
    """One note: start and length in beats, MIDI channel, note number, velocity (1-127)."""

    start: float
    length: float
    channel: int
    pitch: int
    velocity: int


@dataclass(frozen=True)
class Key:
    """A key: tonic as a MIDI note and a scale name from :data:`SCALES`."""

    tonic: int
    scale: str

    def pitch(self, degree: int, octave: int = 0) -> int:
        """MIDI note of scale ``degree`` (0 = tonic; 7 = an octave up) shifted by ``octave`` octaves."""
        steps = SCALES[self.scale]
        return self.tonic + 12 * (octave + degree // 7) + steps[degree % 7]

    def chord(self, root: int, octave: int = 0) -> list[int]:
        """The triad (root, third, fifth) on scale degree ``root``."""
        return [self.pitch(root + k, octave) for k in (0, 2, 4)]


def to_midi(notes: list[Note], programs: dict[int, tuple[int, int]], bpm: float) -> mido.MidiFile:
    """A type-0 MIDI file of ``notes`` at ``bpm`` quarter notes per minute; ``programs`` maps each channel to
    its (bank, program)."""
    events = [(0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))]
    for channel, (bank, program) in programs.items():
        if bank < 128:  # bank 128 is the GM percussion bank, which channel 9 plays without a bank select
            events.append((0, 1, mido.Message("control_change", channel=channel, control=0, value=bank)))
        events.append((0, 2, mido.Message("program_change", channel=channel, program=program)))
    for n in notes:
        on, off = round(n.start * TICKS), round((n.start + n.length) * TICKS)
        events += [(on, 4, mido.Message("note_on", channel=n.channel, note=n.pitch, velocity=n.velocity)),
                   (off, 3, mido.Message("note_off", channel=n.channel, note=n.pitch, velocity=0))]
    track, now = mido.MidiTrack(), 0
    for tick, _order, message in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=TICKS * 2))
    midi = mido.MidiFile(type=0, ticks_per_beat=TICKS)
    midi.tracks.append(track)
    return midi


def _key(rng: np.random.Generator, low: int = 45) -> Key:
    """A random key with its tonic in [low, low + 12)."""
    return Key(int(rng.integers(low, low + 12)), str(rng.choice(list(SCALES))))


def drums(rng: np.random.Generator, groove: str, bars: int, channel: int = 9, start_bar: int = 0) -> list[Note]:
    """``bars`` bars of ``groove``, humanised (timing and velocity), with a fill closing every fourth bar and a
    crash opening every phrase."""
    notes = []
    for bar in range(bars):
        pattern = _fill(GROOVES[groove]) if bar % 4 == 3 else GROOVES[groove]
        for pitch, row in pattern.items():
            notes += [Note((start_bar + bar) * 4 + step / 4 + rng.normal(0, 0.01), 0.25, channel, pitch,
                           int(np.clip(VELOCITY[mark] + rng.normal(0, 8), 20, 127)))
                      for step, mark in enumerate(row) if mark in VELOCITY]
        if bar % 4 == 0:
            notes.append(Note((start_bar + bar) * 4, 1.0, channel, 49, 110))
    return [Note(max(0.0, n.start), n.length, n.channel, n.pitch, n.velocity) for n in notes]


def _fill(pattern: dict[int, str]) -> dict[int, str]:
    """``pattern`` with its last beat replaced by a snare-and-toms fill."""
    rows = {pitch: row[:12] + "...." for pitch, row in pattern.items()}
    for step, pitch in zip(range(12, 16), (38, 50, 47, 43)):
        row = rows.get(pitch, "." * 16)
        rows[pitch] = row[:step] + "X" + row[step + 1:]
    return rows


def bassline(key: Key, roots: list[int], rng: np.random.Generator, channel: int) -> list[Note]:
    """One bar per root: root on the beat, with fifths and octaves in one of three patterns."""
    shape = rng.integers(3)
    notes = []
    for bar, root in enumerate(roots):
        low = key.pitch(root, -1)
        steps = ((0, 2, low), (2, 2, low)) if shape == 0 else (
            (0, 1.5, low), (1.5, 0.5, low), (2, 1, low + 7), (3, 1, low + 12)) if shape == 1 else (
            (0, 0.75, low), (0.75, 0.75, low), (1.5, 0.5, low + 12), (2, 1, low + 7), (3, 1, low))
        notes += [Note(bar * 4 + t, d, channel, p, int(rng.integers(85, 110))) for t, d, p in steps]
    return notes


def comping(key: Key, roots: list[int], rng: np.random.Generator, channel: int, sustained: bool) -> list[Note]:
    """Chords, one per bar: held for the bar, or struck in a syncopated rhythm."""
    rhythm = ((0, 4),) if sustained else ((0, 1.5), (1.5, 1), (2.5, 1.5)) if rng.random() < 0.5 else (
        (0, 1), (1, 1), (2, 1), (3, 1))
    return [Note(bar * 4 + t, d * 0.95, channel, p, int(rng.integers(60, 90)))
            for bar, root in enumerate(roots) for t, d in rhythm for p in key.chord(root, 0)]


def melody(key: Key, roots: list[int], rng: np.random.Generator, channel: int, octave: int = 1,
           span: tuple[int, int] = (-2, 9)) -> list[Note]:
    """A phrased melody: two-bar phrases of one rhythm, a seeded walk on the scale starting and ending on a tone
    of the bar's chord, a breath (shortened last note) closing each phrase."""
    rhythm = RHYTHMS[int(rng.integers(len(RHYTHMS)))]
    notes, degree = [], roots[0]
    for bar, root in enumerate(roots):
        beat = 0.0
        for index, eighths in enumerate(rhythm[bar % 2]):
            last = index == len(rhythm[bar % 2]) - 1
            if last and bar % 2:
                degree = min((root + k for k in (0, 2, 4, 7)), key=lambda d: abs(d - degree))
            length = eighths / 2 * (0.6 if last and bar % 2 else 0.95)
            notes.append(Note(bar * 4 + beat, length, channel, key.pitch(degree, octave), int(rng.integers(75, 110))))
            degree = int(np.clip(degree + rng.choice((-2, -1, -1, 1, 1, 2, 0, 3, -3)), *span))
            beat += eighths / 2
    return notes


def song(seed: int, bars_per_section: int = 8) -> tuple[mido.MidiFile, str]:
    """A song: intro, verse, chorus, verse, chorus, outro over two progressions (verse and chorus) with drums,
    bass, chords and a lead melody an octave up in the chorus. Returns the MIDI file and a one-line summary."""
    rng = np.random.default_rng([7, seed])
    key, bpm, groove = _key(rng), int(rng.integers(72, 150)), str(rng.choice(list(GROOVES)))
    verse, chorus = (list(PROGRESSIONS[i]) for i in rng.choice(len(PROGRESSIONS), 2, replace=False))
    form = [("intro", verse, 4), ("verse", verse, bars_per_section), ("chorus", chorus, bars_per_section),
            ("verse", verse, bars_per_section), ("chorus", chorus, bars_per_section), ("outro", chorus, 4)]
    programs = {0: (0, int(rng.choice(BASSES))), 1: (0, int(rng.choice(COMPING))), 2: (0, int(rng.choice(LEADS))),
                9: (128, 0)}
    sustained, notes, bar = bool(rng.random() < 0.4), [], 0
    for section, progression, bars in form:
        roots = [progression[i % 4] for i in range(bars)]
        part = bassline(key, roots, rng, 0) + comping(key, roots, rng, 1, sustained)
        if section in ("verse", "chorus"):
            part += melody(key, roots, rng, 2, octave=2 if section == "chorus" else 1)
        notes += [Note(n.start + bar * 4, n.length, n.channel, n.pitch, n.velocity) for n in part]
        notes += drums(rng, groove, bars if section != "intro" else 0, 9, bar)
        bar += bars
    summary = f"song in {key.scale} at {bpm} bpm, {bar} bars, {groove} groove, programs {programs}"
    return to_midi(notes, programs, bpm), summary


def solo(seed: int, program: int, bars: int = 16) -> tuple[mido.MidiFile, str]:
    """One instrument alone: a melody in its range, with arpeggiated chords under it when it plays chords."""
    rng = np.random.default_rng([8, seed])
    low, high, chords = SOLOS[program]
    key, bpm = Key(low + int(rng.integers(0, 12)), str(rng.choice(list(SCALES)))), int(rng.integers(66, 132))
    roots = [PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))][i % 4] for i in range(bars)]
    span = (0, max(4, round((high - key.tonic) / 12 * 7) - 1))
    notes = melody(key, roots, rng, 0, octave=1 if chords else 0, span=span)
    if chords:
        notes += [Note(bar * 4 + k * 0.5, 0.5, 0, p, int(rng.integers(50, 75)))
                  for bar, root in enumerate(roots) for k, p in enumerate(key.chord(root) * 2 + key.chord(root)[1:])]
    notes = [Note(n.start, n.length, n.channel, int(np.clip(n.pitch, low, high)), n.velocity) for n in notes]
    return to_midi(notes, {0: (0, program)}, bpm), f"solo program {program} in {key.scale} at {bpm} bpm"


def groove(seed: int, kit: tuple[int, int, int], bars: int = 16) -> tuple[mido.MidiFile, str]:
    """A drum take: ``bars`` bars of a seeded groove with fills, on ``kit`` = (channel, bank, program)."""
    rng = np.random.default_rng([9, seed])
    name, bpm = str(rng.choice(list(GROOVES))), int(rng.integers(70, 160))
    channel, bank, program = kit
    return to_midi(drums(rng, name, bars, channel), {channel: (bank, program)}, bpm), f"{name} groove at {bpm} bpm"


def choir(seed: int, program: int, bars: int = 16) -> tuple[mido.MidiFile, str]:
    """Singing voices: a sustained three-part choir under a sung melody, both on a GM voice program."""
    rng = np.random.default_rng([10, seed])
    key, bpm = _key(rng, 55), int(rng.integers(60, 110))
    roots = [PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))][i % 4] for i in range(bars)]
    notes = comping(key, roots, rng, 1, sustained=True) + melody(key, roots, rng, 0, octave=1, span=(0, 8))
    return to_midi(notes, {0: (0, program), 1: (0, program)}, bpm), f"choir program {program} at {bpm} bpm"
