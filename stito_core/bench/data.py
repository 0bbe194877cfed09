"""Benchmark content for ``stito bench``: deterministic clips of speech, music, singing, instrument and drums.

Real recordings come from Debian packages (read-aloud voice prompts, produced songs and their guitar
stems, game music); singing and drums are rendered here (a singing synthesiser from PyPI, one-shot drum
samples from a Debian package sequenced into grooves). Every source is one row of ``SOURCES``. Songs are
read straight from the package files (Ogg seeks are exact); every other recording is rendered once,
peak-normalised and cached as FLAC, so later calls only cut clips. ``DATA.md`` beside this file lists
what is used and the licences, and is the list the pretraining corpus must exclude.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType

import numpy as np
import soundfile as sf
import soxr

from ..audio import Audio
from ..audio_io import as_audio, resample, write_audio
from ..errors import StitoError
from ..excerpt import fit_length, loudest_excerpt

CONTENT_KINDS = ("speech", "music", "singing", "instrument", "drums")
#: Part of every cache path: bump it whenever a rendered item would change.
CACHE_VERSION = "1"
#: Rate in Hz of the rendered drums.
RATE = 48000
#: Peak level in dBFS of every clip and of every cached recording.
PEAK_DB = -1.0
#: A clip is the loudest excerpt of a window this many times its length (at least ``MIN_WINDOW_S``
#: seconds), placed at random in its part of a recording.
SEARCH_FACTOR, MIN_WINDOW_S = 3.0, 6.0
#: Third seed word of ``sections``' generator, so its draws never repeat those of ``clips``.
SECTIONS_STREAM = 1

_SONGS = Path("/usr/share/games/fretsonfire/data/songs")
_PROMPTS = Path("/usr/share/asterisk/sounds")


@dataclass(frozen=True)
class Item:
    """One recording of a source: its cache name, its length in seconds known before any rendering
    (nominal, used to share clips out), and either the package ``files`` whose sum plays it (stems of
    one song, same length and rate) or how to ``render`` it."""

    name: str
    nominal_s: float
    files: tuple[Path, ...] = ()
    render: Callable[[], Audio] | None = None


@dataclass(frozen=True)
class Source:
    """Where one part of a content kind comes from.

    ``debian`` is the Debian package holding ``root`` (empty when nothing is read from one); ``pypi`` and
    ``module`` name the PyPI distribution and its import name needed to decode or render (or empty);
    ``items`` lists the recordings from ``root``; ``what`` and ``licence`` are for people.
    """

    name: str
    kind: str
    debian: str
    root: str
    items: Callable[[Path], list[Item]]
    what: str
    licence: str
    pypi: str = ""
    module: str = ""


# --------------------------------------------------------------------------------------- recordings
def _slug(text: str) -> str:
    """``text`` as a lower-case file name: letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _recordings(root: Path, pattern: str, stems: tuple[str, ...] = ("",),
                skip: tuple[str, ...] = ()) -> list[Item]:
    """One item per match of ``pattern`` under ``root`` not named in ``skip``: the sum of its ``stems``
    (files in the matched folder), or the matched file itself when ``stems`` is ``("",)``."""
    items = []
    for match in sorted(path for path in root.glob(pattern) if path.name not in skip):
        paths = tuple(match / stem for stem in stems)
        name = _slug(str(match.relative_to(root).with_suffix("")))
        items.append(Item(name, sf.info(str(paths[0])).duration, files=paths))
    return items


# ------------------------------------------------------------------------------------------- speech
#: Shortest prompt kept, in seconds (drops single digits, letters and words).
PROMPT_MIN_S = 1.5
#: Length in seconds a session of prompts reaches before the next one starts.
SESSION_S = 60.0
#: Pause between prompts in a session, seconds (uniform).
PAUSE_S = (0.3, 0.8)
#: G.722 at 64 kbit/s: bytes per second of audio, and the decoded rate in Hz.
G722_BYTES_PER_S, G722_RATE = 8000, 16000
_NOT_SPEECH = re.compile(r"beep|2tone")


def _prompt_sessions(root: Path) -> list[Item]:
    """Sessions of about ``SESSION_S`` seconds: consecutive voice prompts (name order) of at least
    ``PROMPT_MIN_S`` seconds, joined by seeded pauses."""
    prompts = [path for path in sorted(root.glob("*.g722")) + sorted(root.glob("*/*.g722"))
               if path.parent.name in (root.name, "dictate", "followme") and not _NOT_SPEECH.search(path.name)
               and path.stat().st_size >= PROMPT_MIN_S * G722_BYTES_PER_S]
    sessions: list[list[Path]] = [[]]
    for path in prompts:
        if sum(p.stat().st_size for p in sessions[-1]) >= SESSION_S * G722_BYTES_PER_S:
            sessions.append([])
        sessions[-1].append(path)
    return [_session_item(root, index, paths) for index, paths in enumerate(sessions)]


def _session_item(root: Path, index: int, paths: list[Path]) -> Item:
    """Item ``index`` of ``root``'s sessions: ``paths`` decoded and joined by pauses seeded by ``index``."""
    pauses = np.random.default_rng(index).uniform(*PAUSE_S, len(paths))
    nominal = sum(path.stat().st_size for path in paths) / G722_BYTES_PER_S + float(pauses.sum())
    name = f"{root.name.split('_')[0]}-{index:02d}"
    return Item(name, nominal, render=partial(_join_prompts, paths, pauses))


def _join_prompts(paths: list[Path], pauses: np.ndarray) -> Audio:
    """The G.722 prompts ``paths``, each followed by its pause in seconds, as one mono take at 16 kHz."""
    import G722

    parts = []
    for path, pause in zip(paths, pauses):
        pcm = np.asarray(G722.G722(G722_RATE, 64000).decode(path.read_bytes()), dtype=np.float32) / 32768
        parts += [pcm, np.zeros(int(pause * G722_RATE), dtype=np.float32)]
    return as_audio(np.concatenate(parts), G722_RATE, "prompts")


# ------------------------------------------------------------------------------------------ singing
#: Number of songs composed for the singing kind.
SONG_COUNT = 12
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
#: Two-bar rhythms in eighth notes, one tuple per bar (each sums to 8); the phrase ends on the last note.
RHYTHMS = (
    ((2, 2, 2, 2), (2, 2, 4)),
    ((1, 1, 2, 2, 2), (3, 1, 4)),
    ((3, 1, 2, 2), (2, 1, 1, 4)),
    ((2, 1, 1, 2, 2), (2, 2, 4)),
    ((4, 2, 2), (3, 1, 4)),
    ((2, 2, 3, 1), (6, 2)),
)
#: Melodic steps in scale degrees and their weights: mostly steps, some skips and leaps.
STEPS, STEP_WEIGHTS = (-3, -2, -1, 0, 1, 2, 3, 4), (1, 3, 8, 2, 8, 3, 1, 1)
#: Lowest and highest scale degree relative to the tonic (within the voice's comfortable range).
DEGREE_RANGE = (-3, 7)
#: Japanese syllables sung (the voice is Japanese); open syllables that carry a tune.
SYLLABLES = tuple("あかさたなはまやらわいきしちにひみりうくすつぬふむゆる"
                  "えけせてねへめれおこそとのほもよろを")
#: The phrase form of every song: A, A', B, A'' twice (B starts on the fifth), 16 bars.
FORM = ("A", "A'", "B", "A''", "A", "A'", "B", "A''")
#: Scale degrees a phrase may end on: a tone of V (half cadence), of I, or the tonic itself.
CADENCES = {"A": (4, 6, 1, -1, -3), "B": (4, 6, 1, -1, -3), "A'": (0, 2, 4, 7, -3), "A''": (0, 7)}


@dataclass(frozen=True)
class Song:
    """A composed melody: ``bpm`` quarter notes per minute, tonic as a MIDI note, and bars of
    (MIDI note or None for a rest, length in eighth notes, syllable) notes."""

    bpm: int
    tonic: int
    bars: list[list[tuple[int | None, int, str]]]

    def seconds(self) -> float:
        """Length in seconds."""
        return len(self.bars) * 4 * 60 / self.bpm


def _compose(index: int) -> Song:
    """Song ``index``: key, tempo, rhythm and melody drawn from a generator seeded by ``index``."""
    rng = np.random.default_rng(1000 + index)
    scale = SCALES[("major", "minor")[index % 2]]
    tonic, bpm = int(rng.integers(60, 66)), int(rng.integers(76, 126))
    rhythm = RHYTHMS[int(rng.integers(len(RHYTHMS)))]
    lead_in = [[(None, 8, "")]]
    phrases = {part: _phrase(rng, rhythm, part) for part in ("A", "A'", "B", "A''")}
    bars = [bar for part in FORM for bar in phrases[part]]
    notes = [[(_pitch(tonic, scale, degree), eighths, syllable) for degree, eighths, syllable in bar]
             for bar in bars]
    sung = [_breathe(bar) if number % 2 else bar for number, bar in enumerate(notes)]
    return Song(bpm, tonic, lead_in + sung + lead_in)


def _phrase(rng: np.random.Generator, rhythm: tuple[tuple[int, ...], ...],
            part: str) -> list[list[tuple[int, int, str]]]:
    """Two bars of (scale degree, eighths, syllable): a seeded walk in ``DEGREE_RANGE`` that ends on
    one of ``CADENCES[part]``."""
    degree = {"B": 4}.get(part, int(rng.choice((0, 2, 4))))
    bars = []
    for bar_rhythm in rhythm:
        bar = []
        for eighths in bar_rhythm:
            bar.append((degree, eighths, str(rng.choice(SYLLABLES))))
            step = int(rng.choice(STEPS, p=np.array(STEP_WEIGHTS) / sum(STEP_WEIGHTS)))
            degree = int(np.clip(degree + step, *DEGREE_RANGE))
        bars.append(bar)
    last_degree, eighths, syllable = bars[-1][-1]
    bars[-1][-1] = (_cadence(last_degree, part), eighths, syllable)
    return bars


def _cadence(degree: int, part: str) -> int:
    """The degree of ``CADENCES[part]`` nearest ``degree``."""
    return min(CADENCES[part], key=lambda tone: abs(tone - degree))


def _pitch(tonic: int, scale: tuple[int, ...], degree: int) -> int:
    """MIDI note of scale ``degree`` (0 = ``tonic``, 7 = an octave up)."""
    return tonic + 12 * (degree // 7) + scale[degree % 7]


def _breathe(bar: list[tuple[int, int, str]]) -> list[tuple[int | None, int, str]]:
    """A phrase's last ``bar`` with its last note one eighth shorter, followed by an eighth rest (a
    breath), when that note is a quarter or longer."""
    pitch, eighths, syllable = bar[-1]
    if eighths < 2:
        return list(bar)
    return [*bar[:-1], (pitch, eighths - 1, syllable), (None, 1, "")]


_STEP_NAMES = ("C", "C", "D", "D", "E", "F", "F", "G", "G", "A", "A", "B")
#: MusicXML note type and dots of a length in eighth notes.
_NOTE_TYPES = {1: ("eighth", 0), 2: ("quarter", 0), 3: ("quarter", 1), 4: ("half", 0), 6: ("half", 1),
               8: ("whole", 0)}


def _musicxml(song: Song) -> str:
    """``song`` as a one-part MusicXML score (2 divisions per quarter note, 4/4) with its lyrics."""
    measures = [_measure(number, bar, song.bpm) for number, bar in enumerate(song.bars, 1)]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="3.0"><part-list>'
            '<score-part id="P1"><part-name>Voice</part-name></score-part></part-list><part id="P1">'
            + "".join(measures) + "</part></score-partwise>\n")


def _measure(number: int, bar: list[tuple[int | None, int, str]], bpm: int) -> str:
    """One MusicXML measure; the first carries the key, time signature and tempo."""
    head = ('<attributes><divisions>2</divisions><key><fifths>0</fifths></key><time><beats>4</beats>'
            f'<beat-type>4</beat-type></time></attributes><direction><sound tempo="{bpm}"/></direction>'
            if number == 1 else "")
    return f'<measure number="{number}">{head}{"".join(_note(*note) for note in bar)}</measure>'


def _note(pitch: int | None, eighths: int, syllable: str) -> str:
    """One MusicXML note (or rest) lasting ``eighths`` eighth notes, with its syllable."""
    kind, dots = _NOTE_TYPES[eighths]
    tail = f"<duration>{eighths}</duration><type>{kind}</type>" + "<dot/>" * dots
    if pitch is None:
        return f"<note><rest/>{tail}</note>"
    step, alter = _STEP_NAMES[pitch % 12], int(pitch % 12 in (1, 3, 6, 8, 10))
    sound = f"<step>{step}</step>{'<alter>1</alter>' * alter}<octave>{pitch // 12 - 1}</octave>"
    return f"<note><pitch>{sound}</pitch>{tail}<lyric><text>{syllable}</text></lyric></note>"


def _songs(_root: Path) -> list[Item]:
    """The ``SONG_COUNT`` composed songs, each to be sung by the Sinsy singing synthesiser."""
    songs = [_compose(index) for index in range(SONG_COUNT)]
    return [Item(f"song-{index:02d}", song.seconds(), render=partial(_sing, song))
            for index, song in enumerate(songs)]


def _sing(song: Song) -> Audio:
    """``song`` sung by Sinsy's bundled HTS voice (NIT SONG070 F001), mono at the voice's rate."""
    sinsy, folder = _sinsy()
    engine = sinsy.Sinsy()
    if not (engine.setLanguages("j", str(folder / "_dic"))
            and engine.loadVoices(str(folder / "htsvoice" / "nitech_jp_song070_f001.htsvoice"))):
        raise StitoError(f"singing content: the Sinsy voice in {folder} cannot be loaded; reinstall pysinsy")
    with tempfile.TemporaryDirectory(prefix="stito-sing-") as scratch:
        score = Path(scratch) / "song.xml"
        score.write_text(_musicxml(song), encoding="utf-8")
        engine.loadScoreFromMusicXML(str(score))
        samples, rate = engine.synthesize()
    return as_audio(np.asarray(samples) / 32768, int(rate), "sung song")


@functools.cache
def _sinsy() -> tuple[ModuleType, Path]:
    """pysinsy's compiled Sinsy module and the package's folder. The module is loaded from its file,
    because the package's ``__init__`` imports ``pkg_resources``, which newer setuptools dropped."""
    spec = importlib.util.find_spec("pysinsy")
    folder = Path(next(iter(spec.submodule_search_locations)))
    library = next(folder.glob("sinsy*.so"))
    module_spec = importlib.util.spec_from_file_location("pysinsy.sinsy", library)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module, folder


# -------------------------------------------------------------------------------------------- drums
#: Bars in one drum take; every fourth bar ends in a fill and the bar after it opens with a crash.
DRUM_BARS = 16
#: Kits: voice -> one-shot sample (file stem in the drums folder). Voices: k kick, s snare, h closed
#: hi-hat, H open hi-hat, p hi-hat pedal, r ride, c crash, t1/t2/t3 high/mid/floor tom.
KITS = {
    "acoustic": {"k": "bassdrum_acoustic02", "s": "snare05", "h": "hihat_closed01", "H": "hihat_opened01",
                 "p": "hihat_foot_pedal01", "r": "ride01", "c": "crash02",
                 "t1": "tom04", "t2": "tom05", "t3": "tom03"},
    "rock": {"k": "kick_hard01", "s": "snare04", "h": "hihat_closed03", "H": "hihat_opened02",
             "p": "hihat_foot_pedal01", "r": "ride02", "c": "crash01",
             "t1": "tom_hi01", "t2": "tom_mid01", "t3": "tom_low01"},
    "electronic": {"k": "kick02", "s": "clap01", "h": "hihat_closed05", "H": "hihat_opened03",
                   "p": "hihat_closed04", "r": "ride02", "c": "crash01",
                   "t1": "tom01", "t2": "tom02", "t3": "tom_low01"},
    "hiphop": {"k": "kick_hiphop01", "s": "snare_hiphop01", "h": "hihat_closed04", "H": "hihat_opened03",
               "p": "hihat_closed02", "r": "ride01", "c": "crash02",
               "t1": "tom_hi01", "t2": "tom_mid01", "t3": "tom_low01"},
}
#: Grooves: one bar per voice on a grid of steps (16 = sixteenths, 12 = triplet eighths); X accent,
#: x hit, o ghost note, . rest. ``bpm`` is a range, ``swing`` delays off-beat sixteenths (0..1 of a step).
GROOVES = {
    "rock": {"bpm": (100, 132), "k": "X.....x.X.x.....", "s": "....X.......X...", "h": "x.x.x.x.x.x.x.x."},
    "halftime": {"bpm": (70, 90), "k": "X......x..x.....", "s": "........X.......", "h": "x.x.x.x.x.x.x.xo"},
    "disco": {"bpm": (112, 124), "k": "X...X...X...X...", "s": "....X.......X...", "h": "x...x...x...x...",
              "H": "..x...x...x...x."},
    "funk": {"bpm": (88, 104), "k": "X..x..x...x..x..", "s": "....X..o.o..X..o", "h": "XxXxXxXxXxXxXxXx"},
    "hiphop": {"bpm": (84, 96), "swing": 0.35, "k": "X.....x...X..x..", "s": "....X.......X...",
               "h": "x.x.x.x.x.x.x.x.", "H": "..............x."},
    "shuffle": {"bpm": (84, 112), "k": "X.....X..x..", "s": "...X.....X..", "h": "x.xx.xx.xx.x"},
    "ride": {"bpm": (110, 140), "k": "X.......X.x.....", "s": "....X.......X...", "r": "X.x.x.x.X.x.x.x.",
             "p": "....x.......x..."},
    "breakbeat": {"bpm": (132, 168), "k": "X.X.......XX....", "s": "....X..o.o..X..o", "h": "x.x.x.x.x.x.x.x."},
}
#: Takes: (groove, kit) pairs, one item each.
TAKES = (("rock", "rock"), ("rock", "acoustic"), ("halftime", "rock"), ("halftime", "acoustic"),
         ("disco", "electronic"), ("disco", "acoustic"), ("funk", "acoustic"), ("funk", "hiphop"),
         ("hiphop", "hiphop"), ("hiphop", "electronic"), ("shuffle", "acoustic"), ("shuffle", "rock"),
         ("ride", "acoustic"), ("ride", "rock"), ("breakbeat", "hiphop"), ("breakbeat", "electronic"))
#: Pan of each voice from the drummer's seat, -1 left to +1 right.
PAN = {"k": 0.0, "s": 0.0, "h": -0.35, "H": -0.35, "p": -0.35, "r": 0.4, "c": -0.45,
       "t1": -0.2, "t2": 0.1, "t3": 0.4}
#: Gain of a hit by its letter; each hit also gets a random gain in ``HIT_GAIN`` and a random timing
#: offset with this standard deviation in seconds (a drummer, not a grid).
VELOCITY = {"X": 1.0, "x": 0.75, "o": 0.3}
HIT_GAIN, TIMING_SD_S = (0.85, 1.05), 0.004


def _takes(root: Path) -> list[Item]:
    """One item per ``TAKES`` row: ``DRUM_BARS`` bars at a tempo seeded by the row's index."""
    items = []
    for index, (groove, kit) in enumerate(TAKES):
        bpm = int(np.random.default_rng(2000 + index).integers(*GROOVES[groove]["bpm"]))
        render = partial(_drum_take, root, groove, kit, bpm, 2000 + index)
        items.append(Item(f"{groove}-{kit}", DRUM_BARS * 4 * 60 / bpm, render=render))
    return items


def _drum_take(root: Path, groove: str, kit: str, bpm: int, seed: int) -> Audio:
    """``DRUM_BARS`` bars of ``groove`` on ``kit`` at ``bpm``, humanised with ``seed``; stereo at
    ``RATE`` Hz."""
    rng, samples = np.random.default_rng(seed), _kit_samples(root, KITS[kit])
    hits = _hits(GROOVES[groove], bpm)
    out = np.zeros((2, int((DRUM_BARS * 4 * 60 / bpm + 3.0) * RATE)), dtype=np.float32)
    for time_s, voice, velocity in hits:
        start = max(0, int((time_s + rng.normal(0, TIMING_SD_S)) * RATE))
        gain = velocity * rng.uniform(*HIT_GAIN)
        sample = samples[voice][:, : out.shape[1] - start]
        out[:, start : start + sample.shape[1]] += gain * _pan(sample, PAN[voice])
    return as_audio(out, RATE, f"drum take {groove}/{kit}")


def _kit_samples(root: Path, kit: dict[str, str]) -> dict[str, np.ndarray]:
    """Each voice's one-shot as stereo float32 (2, frames) at ``RATE`` Hz (read here, not by
    ``audio_io``: one-shots are shorter than the shortest audio stito accepts)."""
    return {voice: _one_shot(root / f"{stem}.ogg") for voice, stem in kit.items()}


def _one_shot(path: Path) -> np.ndarray:
    """The sample at ``path`` as stereo float32 (2, frames) at ``RATE`` Hz."""
    samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    stereo = np.repeat(samples, 2, axis=1) if samples.shape[1] == 1 else samples
    return np.ascontiguousarray(soxr.resample(stereo, rate, RATE).T)


def _pan(sample: np.ndarray, pan: float) -> np.ndarray:
    """Stereo ``sample`` (2, frames) panned by ``pan`` (-1 left .. +1 right), equal power."""
    angle = (pan + 1) * np.pi / 4
    return sample * np.array([[np.cos(angle)], [np.sin(angle)]], dtype=np.float32) * np.sqrt(2)


def _hits(groove: dict, bpm: int) -> list[tuple[float, str, float]]:
    """(time in seconds, voice, velocity) of every hit of ``DRUM_BARS`` bars of ``groove``."""
    voices = {voice: row for voice, row in groove.items() if voice in PAN}
    grid = len(next(iter(voices.values())))
    step_s, swing = 4 * 60 / bpm / grid, groove.get("swing", 0.0)
    hits = []
    for bar in range(DRUM_BARS):
        rows = _fill(voices, grid) if bar % 4 == 3 else voices
        for voice, row in rows.items():
            for step, mark in enumerate(row):
                if mark in VELOCITY:
                    late = swing * step_s if grid == 16 and step % 2 else 0.0
                    hits.append(((bar * grid + step) * step_s + late, voice, VELOCITY[mark]))
        if bar % 4 == 0:
            hits.append((bar * grid * step_s, "c", VELOCITY["X"]))
    return hits


def _fill(voices: dict[str, str], grid: int) -> dict[str, str]:
    """The groove's bar with its second half replaced by a fill: snare, then the three toms, high to low."""
    half = grid // 2
    rows = {voice: row[:half] + "." * half for voice, row in voices.items()}
    for step in range(half, grid):
        voice = ("s", "t1", "t2", "t3")[(step - half) * 4 // half]
        row = rows.get(voice, "." * grid)
        rows[voice] = row[:step] + ("X" if step % 2 == 0 else "x") + row[step + 1 :]
    return rows


# -------------------------------------------------------------------------------------------- sources
SOURCES = (
    Source("speech-en", "speech", "asterisk-core-sounds-en-g722", str(_PROMPTS / "en_US_f_Allison"),
           _prompt_sessions, "voice prompts read by Allison Smith (US English, female, studio, 16 kHz), "
           "joined into ~60 s sessions", "CC-BY-SA-3.0", pypi="G722", module="G722"),
    Source("speech-it", "speech", "asterisk-core-sounds-it-g722", str(_PROMPTS / "it_IT_m_Carlo"),
           _prompt_sessions, "voice prompts read by Carlo Flora (Italian, male, studio, 16 kHz), "
           "joined into ~60 s sessions", "CC-BY-3.0", pypi="G722", module="G722"),
    Source("music-sectoid", "music", "fretsonfire-songs-sectoid", str(_SONGS / "sectoid"),
           partial(_recordings, pattern="*/", stems=("song.ogg", "guitar.ogg")),
           "4 rock songs by Sectoid: backing track plus lead guitar stem, the full stereo mix", "MIT"),
    Source("music-muldjord", "music", "fretsonfire-songs-muldjord", str(_SONGS / "muldjord"),
           partial(_recordings, pattern="*/", stems=("song.ogg", "guitar.ogg")),
           "4 metal songs by Muldjord: backing track plus lead guitar stem, the full stereo mix",
           "CC-BY-SA-3.0"),
    Source("music-tumiki", "music", "tumiki-fighters-data", "/usr/share/games/tumiki-fighters/sounds",
           # This track opens with the same 12 s as battle_over_the_junk_city.ogg: clips would repeat.
           partial(_recordings, pattern="*.ogg", skip=("here_comes_a_gigantic_toy.ogg",)),
           "5 electronic game-music tracks by Kenta Cho (mono)", "BSD-2-Clause"),
    Source("guitar-sectoid", "instrument", "fretsonfire-songs-sectoid", str(_SONGS / "sectoid"),
           partial(_recordings, pattern="*/", stems=("guitar.ogg",)),
           "the lead/rhythm electric guitar stems of the 4 Sectoid songs (stereo)", "MIT"),
    Source("guitar-muldjord", "instrument", "fretsonfire-songs-muldjord", str(_SONGS / "muldjord"),
           partial(_recordings, pattern="*/", stems=("guitar.ogg",)),
           "the electric guitar stems of the 4 Muldjord songs (stereo)", "CC-BY-SA-3.0"),
    Source("singing-sinsy", "singing", "", "", _songs,
           f"{SONG_COUNT} melodies composed here (AABA form, major/minor, 76-125 bpm, Japanese syllables) "
           "sung a cappella by Sinsy's HTS voice NIT SONG070 F001 (female)", "CC-BY-3.0 (voice)",
           pypi="pysinsy", module="pysinsy"),
    Source("drums-lmms", "drums", "lmms-common", "/usr/share/lmms/samples/drums", _takes,
           f"{len(TAKES)} takes of {DRUM_BARS} bars: 8 grooves written here on 4 kits of LMMS one-shot "
           "samples, humanised, panned stereo", "GPL-2+"),
)


def required_packages() -> list[str]:
    """Debian packages the benchmark content reads, sorted (for the set-up script)."""
    return sorted({source.debian for source in SOURCES if source.debian})


def required_pip_packages() -> list[str]:
    """PyPI distributions the benchmark content decodes or renders with, sorted (for the set-up script)."""
    return sorted({source.pypi for source in SOURCES if source.pypi})


# --------------------------------------------------------------------------------------------- cache
def cache_dir() -> Path:
    """Folder of cached recordings: ``$STITO_CACHE/bench`` (else ``~/.cache/stito/bench``) and the
    cache version."""
    root = Path(os.environ.get("STITO_CACHE") or Path.home() / ".cache" / "stito")
    return root / "bench" / f"v{CACHE_VERSION}"


def _files(source: Source, item: Item) -> tuple[Path, ...]:
    """The files whose sum plays ``item``: its package files, or its cached FLAC file (16-bit, at
    the rate it was rendered at), rendered and written first when it is not cached."""
    if item.files:
        return item.files
    path = cache_dir() / source.name / f"{item.name}.flac"
    if not path.exists():
        _require_module(source)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_audio(path, _normalised(item.render()), overwrite=True, subtype="PCM_16")
    return (path,)


def _normalised(audio: Audio) -> Audio:
    """``audio`` scaled so that its peak is at ``PEAK_DB`` dBFS."""
    return audio.with_samples(audio.samples * (10 ** (PEAK_DB / 20) / np.max(np.abs(audio.samples))))


def _require_root(source: Source) -> None:
    """Raise ``StitoError`` naming the Debian package to install when ``source.root`` is missing."""
    if source.root and not Path(source.root).is_dir():
        msg = (f"{source.kind} benchmark content needs the Debian package {source.debian} ({source.root} is "
               f"missing); install it with: sudo apt-get install {source.debian}")
        raise StitoError(msg)


def _require_module(source: Source) -> None:
    """Raise ``StitoError`` naming the PyPI package to install when ``source.module`` is not importable."""
    if source.module and importlib.util.find_spec(source.module) is None:
        msg = (f"{source.kind} benchmark content needs the Python package {source.pypi}; install it with: "
               f"python3 -m pip install {source.pypi}")
        raise StitoError(msg)


# --------------------------------------------------------------------------------------------- clips
def clips(kind: str, count: int, seconds: float, sample_rate: int = 48000, seed: int = 0) -> list[Audio]:
    """``count`` distinct clips of ``kind`` content, each exactly ``seconds`` long at ``sample_rate`` Hz.

    Clips come from as many different recordings as possible (a seeded order), then from disjoint parts
    of the longest ones; each is the loudest ``seconds`` of a seeded window in its part, zero-padded only
    when a recording is shorter, and peak-normalised to ``PEAK_DB`` dBFS. Mono or stereo as the
    recording is. The same arguments give the same audio; only the recordings used are rendered, once,
    into the cache (``cache_dir``).
    """
    _check_request(kind, count, seconds, sample_rate)
    rng = np.random.default_rng([seed, CONTENT_KINDS.index(kind)])
    pool = _pool(kind)
    plan = _plan([item.nominal_s for _, item in pool], count, seconds, rng)
    offsets = rng.uniform(size=count)
    out: list[Audio | None] = [None] * count
    for index in sorted(set(plan), key=plan.index):
        files = _files(*pool[index])
        uses = [clip for clip, chosen in enumerate(plan) if chosen == index]
        for part, clip in enumerate(uses):
            out[clip] = _cut(files, part, len(uses), seconds, offsets[clip], sample_rate)
    return out


def sections(kind: str, count: int, seconds: float, sample_rate: int = 48000, seed: int = 0) -> list[Audio]:
    """``count`` disjoint clips of one recording of ``kind`` content, each exactly ``seconds`` long at
    ``sample_rate`` Hz, in recording order.

    The recording is a seeded choice among those at least ``count * seconds`` long; clip ``i`` is the
    loudest ``seconds`` of a seeded window in part ``i`` of ``count`` equal parts of it, peak-normalised
    to ``PEAK_DB`` dBFS, mono or stereo as the recording is. The same arguments give the same audio.
    """
    _check_request(kind, count, seconds, sample_rate)
    rng = np.random.default_rng([seed, CONTENT_KINDS.index(kind), SECTIONS_STREAM])
    pool = [(source, item) for source, item in _pool(kind) if item.nominal_s >= count * seconds]
    if not pool:
        msg = (f"no {kind} recording holds {count} disjoint sections of {seconds:g} s; "
               "ask for fewer or shorter sections")
        raise StitoError(msg)
    files = _files(*pool[int(rng.integers(len(pool)))])
    return [_cut(files, part, count, seconds, offset, sample_rate)
            for part, offset in enumerate(rng.uniform(size=count))]


def _check_request(kind: str, count: int, seconds: float, sample_rate: int) -> None:
    """Raise ``StitoError`` for an unknown kind or a non-positive count, length or rate."""
    if kind not in CONTENT_KINDS:
        raise StitoError(f"unknown content kind '{kind}'; valid: {', '.join(CONTENT_KINDS)}")
    if count < 1 or seconds <= 0 or sample_rate < 1:
        msg = f"clips: count {count}, {seconds} s, {sample_rate} Hz; all must be positive"
        raise StitoError(msg)


def _pool(kind: str) -> list[tuple[Source, Item]]:
    """Every recording of ``kind`` content, with its source, in ``SOURCES`` order."""
    return [(source, item) for source in SOURCES if source.kind == kind for item in _items(source)]


def _items(source: Source) -> list[Item]:
    """``source``'s recordings (the Debian package must be installed)."""
    _require_root(source)
    return source.items(Path(source.root))


def _plan(durations: list[float], count: int, seconds: float, rng: np.random.Generator) -> list[int]:
    """The recording index of each clip: the first clips take recordings in a seeded order, one each;
    further clips go, one at a time, to the recording whose parts would stay longest. Raises
    ``StitoError`` when the recordings (nominal lengths ``durations`` in seconds) cannot hold ``count``
    disjoint clips of ``seconds``."""
    capacity = int(sum(max(1, int(d // seconds)) for d in durations))
    if count > capacity:
        msg = (f"at most {capacity} distinct clips of {seconds:g} s in this content, {count} asked; "
               "ask for fewer or shorter clips")
        raise StitoError(msg)
    order = [int(i) for i in rng.permutation(len(durations))]
    plan = order[:count]
    uses = np.bincount(plan, minlength=len(durations))
    while len(plan) < count:
        index = max(order, key=lambda i: durations[i] / (uses[i] + 1))
        plan.append(index)
        uses[index] += 1
    return plan


def _cut(files: tuple[Path, ...], part: int, parts: int, seconds: float, offset: float,
         sample_rate: int) -> Audio:
    """One clip: the loudest ``seconds`` of the window ``_window`` places at ``offset`` (0..1) in part
    ``part`` of ``parts``, at ``sample_rate`` Hz, exactly ``seconds`` long (zero-padded when the
    recording is shorter), peak-normalised to ``PEAK_DB`` dBFS."""
    excerpt = loudest_excerpt(_window(files, part, parts, seconds, offset), seconds)
    return _normalised(fit_length(resample(excerpt, sample_rate), round(seconds * sample_rate)))


def _window(files: tuple[Path, ...], part: int, parts: int, seconds: float, offset: float) -> Audio:
    """The window searched for a clip of ``seconds``: ``SEARCH_FACTOR`` times as long (at least
    ``MIN_WINDOW_S`` s), placed at ``offset`` (0..1) within part ``part`` of ``parts`` equal parts of the
    recording that ``files`` sum to; only the window is read, so long recordings cost no more than short."""
    infos = [sf.info(str(path)) for path in files]
    rate, length = infos[0].samplerate, min(info.frames for info in infos) // parts
    window = min(length, int(max(SEARCH_FACTOR * seconds, MIN_WINDOW_S) * rate))
    start = part * length + int(offset * (length - window))
    mix = sum(sf.read(str(path), start=start, frames=window, dtype="float32", always_2d=True)[0]
              for path in files)
    return as_audio(mix.T, rate, f"{files[0]} from frame {start}")
