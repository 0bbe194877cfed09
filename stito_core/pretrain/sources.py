"""Where the pretraining corpus comes from: one :class:`Source` row per package or renderer.

Content kinds follow the paper (music, speech, singing, instruments, sound events) plus drums. Real
recordings come from Debian packages (produced game music, ringtones, spoken words in 27 languages,
sound effects); the rest is rendered here by Debian programs: MIDI from a package and MIDI composed by
:mod:`compose` through three General MIDI SoundFonts and two sampled drum kits, and text read by three
speech engines in 23 voices. None of it is benchmark content (:mod:`exclusion` checks every file).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import soundfile as sf

from ..audio import Audio
from . import compose
from .synth import ENGINES, TEXTS, join, render_midi, sentences, speak

#: Content kinds, as in the paper plus drums.
KINDS = ("music", "speech", "singing", "instrument", "drums", "events")
#: General MIDI SoundFonts: name -> (file, Debian package).
SOUNDFONTS = {
    "timgm6mb": (Path("/usr/share/sounds/sf2/TimGM6mb.sf2"), "timgm6mb-soundfont"),
    "fluid": (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), "fluid-soundfont-gm"),
    "musescore": (Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"), "musescore-general-soundfont-small"),
}
_AVL = Path("/usr/share/sounds/sf2")
#: Drum kits: (SoundFont file, (MIDI channel, bank, program)); the AVL kits are multi-sampled real drums.
KITS = ((_AVL / "Black_Pearl_4_LV2.sf2", (0, 0, 0)), (_AVL / "Red_Zeppelin_4_LV2.sf2", (0, 0, 0)),
        *((SOUNDFONTS[sf2][0], (9, 128, program)) for sf2 in SOUNDFONTS for program in (0, 8, 16, 32, 40)))
#: Voices per speech engine; espeak-ng's are English accents with voice variants.
VOICES = {
    "espeak-ng": ("en-us", "en-gb+f2", "en-gb-scotland+m3", "en-gb-x-rp+f4", "en-gb-x-gbclan+m7",
                  "en-gb-x-gbcwmd+f1", "en-029+m2", "en-us-nyc+f5", "en-us+klatt", "en-gb+croak", "en-us+m4",
                  "en-gb-x-rp+m5", "en-us+f3", "en-gb-scotland+f2", "en-029+f4", "en-us-nyc+m6"),
    "flite": ("kal", "kal16", "awb", "rms", "slt"),
    "festival": ("kal_diphone", "cmu_us_slt_arctic_hts"),
}
#: Words read per speech session (about a minute), and in quick mode.
SESSION_WORDS, QUICK_WORDS = 150, 12
#: Seconds a session of short package files (words, sound effects) reaches before the next one starts.
SESSION_S = 40.0
#: Pause between the files of a session, seconds (uniform).
PAUSE_S = (0.25, 0.8)


@dataclass(frozen=True)
class Item:
    """One recording: its name, the package files it reads, and how to ``render`` it (None: ``files[0]`` is
    the recording itself); ``note`` says how it was made."""

    name: str
    files: tuple[Path, ...]
    render: Callable[[], Audio] | None = None
    note: str = ""


@dataclass(frozen=True)
class Source:
    """One part of the corpus: a content ``kind``, the Debian packages it reads or runs, their licence, a
    one-line description and its ``items(quick)`` (quick: one short item, for tests)."""

    name: str
    kind: str
    debian: tuple[str, ...]
    licence: str
    what: str
    items: Callable[[bool], list[Item]]


# ------------------------------------------------------------------------------------------------- files
def _files(pattern: str, quick: bool) -> list[Item]:
    """One item per package file matching the absolute glob ``pattern``."""
    paths = sorted(Path("/").glob(pattern.lstrip("/")))
    return [Item(_slug(p.stem), (p,)) for p in paths[: 1 if quick else None]]


def _slug(text: str) -> str:
    """``text`` as a file name: lower-case ASCII letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _sessions(patterns: tuple[str, ...], quick: bool, group_by_folder: bool = False, skip: str = "") -> list[Item]:
    """Short package files (name order; names matching the regex ``skip`` left out) joined into sessions of
    about ``SESSION_S`` seconds with seeded pauses; with ``group_by_folder`` a session never mixes folders."""
    found = (p for pattern in patterns for p in Path("/").glob(pattern.lstrip("/")))
    paths = sorted(p for p in found if not (skip and re.search(skip, p.name)))
    groups: list[list[Path]] = [[]]
    length_s = 0.0
    for path in paths:
        if groups[-1] and (length_s >= SESSION_S or (group_by_folder and path.parent != groups[-1][-1].parent)):
            groups.append([])
            length_s = 0.0
        groups[-1].append(path)
        length_s += sf.info(str(path)).duration
    groups = [g for g in groups if g][: 1 if quick else None]
    return [_session(index, group[: 6 if quick else None]) for index, group in enumerate(groups)]


def _session(index: int, paths: list[Path]) -> Item:
    """Session ``index`` of ``paths`` joined by pauses seeded by ``index``."""
    pauses = np.random.default_rng([11, index]).uniform(*PAUSE_S, len(paths))
    name = _slug(f"{paths[0].parent.name}-{index:03d}")
    return Item(name, tuple(paths), partial(join, paths, pauses, name), f"{len(paths)} files joined")


# ------------------------------------------------------------------------------------------------ speech
def _speech(engine: str, quick: bool) -> list[Item]:
    """One session per voice of ``engine``: consecutive sentences from a seeded start, about a minute each."""
    text, program = sentences(), Path("/usr/bin") / ENGINES[engine][0]
    items = []
    for index, voice in enumerate(VOICES[engine][: 1 if quick else None]):
        start = int(np.random.default_rng([12, index, len(engine)]).integers(len(text)))
        chosen, words = [], 0
        while words < (QUICK_WORDS if quick else SESSION_WORDS):
            chosen.append(text[(start + len(chosen)) % len(text)])
            words += len(chosen[-1].split())
        name = _slug(f"{engine}-{voice}")
        render = partial(speak, engine, voice, " ".join(chosen))
        items.append(Item(name, (program, *TEXTS), render, f"voice {voice}"))
    return items


# -------------------------------------------------------------------------------------------------- MIDI
def _soundfont(index: int) -> Path:
    """The SoundFont used for item ``index``: the three take turns (TimGM6mb, the quickest to load, first)."""
    return list(SOUNDFONTS.values())[index % len(SOUNDFONTS)][0]


def _midi_files(quick: bool) -> list[Item]:
    """The packaged MIDI compositions, each played by one SoundFont in turn."""
    paths = sorted(Path("/usr/share/games/openttd/baseset/openmsx").glob("*.mid"))[: 1 if quick else None]
    return [Item(p.stem, (p, _soundfont(i)), partial(render_midi, p, _soundfont(i)), _soundfont(i).name)
            for i, p in enumerate(paths)]


def _composed(make: Callable[[int], tuple], count: int, quick: bool, prefix: str,
              soundfont: Callable[[int], Path] = _soundfont) -> list[Item]:
    """``count`` pieces ``make(index)`` -> (MIDI, summary), each rendered by ``soundfont(index)``."""
    items = []
    for index in range(1 if quick else count):
        midi, summary = make(index)
        font = soundfont(index)
        render = partial(render_midi, midi, font)
        items.append(Item(f"{prefix}-{index:03d}", (font,), render, f"{summary}; {font.name}"))
    return items


def _song(quick: bool) -> list[Item]:
    return _composed(lambda i: compose.song(i, 2 if quick else 8), 30, quick, "song")


def _solo(quick: bool) -> list[Item]:
    programs = list(compose.SOLOS)
    return _composed(lambda i: compose.solo(i, programs[i % len(programs)], 4 if quick else 16), 40, quick, "solo")


def _groove(quick: bool) -> list[Item]:
    return _composed(lambda i: compose.groove(i, KITS[i % len(KITS)][1], 4 if quick else 16), 34, quick, "groove",
                     lambda i: KITS[i % len(KITS)][0])


def _choir(quick: bool) -> list[Item]:
    voices = compose.VOICES
    return _composed(lambda i: compose.choir(i, voices[i % len(voices)], 4 if quick else 16), 12, quick, "choir")


# ----------------------------------------------------------------------------------------------- sources
_ETR, _FB, _BSU = "/usr/share/games/etr", "/usr/share/games/frozen-bubble/snd", "/usr/share/games/chromium-bsu/wav"
_FONTS = tuple(package for _path, package in SOUNDFONTS.values())
SOURCES = (
    Source("music-etr", "music", ("extremetuxracer-data",), "GPL-2+", "produced game music of Extreme Tux Racer",
           partial(_files, f"{_ETR}/music/*.ogg")),
    Source("music-frozen-bubble", "music", ("frozen-bubble-data",), "GPL-2", "produced game music of Frozen Bubble",
           partial(_files, f"{_FB}/*zik*.ogg")),
    Source("music-chromium-bsu", "music", ("chromium-bsu-data",), "Clarified-Artistic",
           "game music of Chromium B.S.U.", partial(_files, f"{_BSU}/music_*.wav")),
    Source("music-ringtones", "music", ("lomiri-sounds",), "CC0-1.0 / CC-BY-3.0", "short produced pieces (ringtones)",
           partial(_files, "/usr/share/sounds/lomiri/ringtones/*.ogg")),
    Source("music-openmsx", "music", ("openttd-openmsx", *_FONTS), "GPL-2.0 (MIDI); MIT/GPL-2 (SoundFonts)",
           "OpenMSX MIDI compositions, each played by one of three GM SoundFonts", _midi_files),
    Source("music-composed", "music", _FONTS, "MIT/GPL-2 (SoundFonts)",
           "songs composed by compose.song (form, progressions, drums, bass, chords, melody)", _song),
    Source("instrument-solos", "instrument", _FONTS, "MIT/GPL-2 (SoundFonts)",
           "solo pieces on 20 sampled GM instruments (piano, guitars, strings, brass, reeds...)", _solo),
    Source("drums-kits", "drums", ("avldrums.lv2-soundfont", *_FONTS), "GPL-2+ (AVL kits); MIT/GPL-2",
           "drum takes on the AVL Black Pearl and Red Zeppelin kits and 15 GM kits", _groove),
    Source("singing-choir", "singing", _FONTS, "MIT/GPL-2 (SoundFonts)",
           "choir pieces on sampled sung vowels (GM Choir Aahs, Voice Oohs)", _choir),
    Source("speech-espeak", "speech", ("espeak-ng", "espeak-ng-data", "base-files"), "GPL-3+ (engine)",
           "licence texts read by 16 espeak-ng voices", partial(_speech, "espeak-ng")),
    Source("speech-flite", "speech", ("flite", "base-files"), "BSD-like (flite)",
           "licence texts read by 5 flite voices", partial(_speech, "flite")),
    Source("speech-festival", "speech", ("festival", "festvox-kallpc16k", "festvox-us-slt-hts", "base-files"),
           "Festival licence (free)", "licence texts read by 2 Festival voices", partial(_speech, "festival")),
    Source("speech-ktuberling", "speech", ("ktuberling-data",), "GPL-2+",
           "recorded words in 27 languages by many speakers, one language per session",
           partial(_sessions, ("/usr/share/ktuberling/sounds/*/*.ogg",), group_by_folder=True)),
    Source("events-games", "events", ("frozen-bubble-data", "chromium-bsu-data", "extremetuxracer-data",
                                      "lincity-ng-data"), "GPL-2 / Clarified-Artistic / GPL-2+",
           "game sound effects and field recordings (slides, fire, crowds, machines)",
           partial(_sessions, (f"{_FB}/*.ogg", f"{_BSU}/*.wav", f"{_ETR}/sounds/*.wav",
                               "/usr/share/games/lincity-ng/sounds/*.wav"), skip="zik|music")),
    Source("events-desktop", "events", ("sound-theme-freedesktop", "oxygen-sounds", "lomiri-sounds"),
           "CC-BY-SA-3.0 / LGPL-3+ / CC0-1.0", "desktop event sounds",
           partial(_sessions, ("/usr/share/sounds/freedesktop/stereo/*.oga", "/usr/share/sounds/Oxygen-*.ogg",
                               "/usr/share/sounds/lomiri/notifications/*.ogg"))),
)


def source_names() -> list[str]:
    """Names of the corpus sources, in table order."""
    return [source.name for source in SOURCES]
