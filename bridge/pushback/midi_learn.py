"""``stito midi-learn CHAIN``: wiggle each chain parameter's MIDI control in turn, for a DAW's MIDI learn.

A MIDI DAW profile (default ``midi``: 7-bit CC 20-31, 52-63, 102-119 in chain order on channel 1)
gives every parameter of the chain a control. To map them in the DAW, arm MIDI learn on a plugin
parameter, then let this command move that parameter's control a little (centre, up, down, centre);
the DAW binds the control it saw. It goes through the parameters one by one: interactively (Enter for
the next one) when run in a terminal, or every ``--gap`` seconds. Ctrl-C stops at once and closes the
port cleanly. ``--dry-run`` prints the messages instead of sending them (no MIDI backend needed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mido

from stito_core import load_chain
from stito_core.chain import Chain

from ..codes import Code, DaemonError
from .profile import ParamTarget, Profile
from .profiles import SHIPPED_DIR, load_profile
from .midi import build_midi, open_output

#: Positions a control is moved through (0-1 of its range): centre, up, down, centre.
WIGGLE = (0.5, 0.75, 0.25, 0.5)
#: Shortest gap between two wiggle messages, seconds (slower than push-back, so a DAW shows it).
WIGGLE_GAP_S = 0.12
#: Gap between parameters when stdin is not a terminal and --gap is not given, seconds.
DEFAULT_GAP_S = 3.0


@dataclass(frozen=True)
class LearnStep:
    """One parameter: its name, its control in words, and the messages that wiggle it."""

    label: str
    control: str
    messages: tuple[mido.Message, ...]


def find_profile(name: str, profiles_dir: Path | None = None) -> Profile:
    """A MIDI profile by path, by name in ``profiles_dir``, or by name among the shipped ones."""
    candidates = [Path(name)] if name.endswith(".toml") else []
    if profiles_dir is not None:
        candidates.append(profiles_dir / f"{name}.toml")
    candidates.append(SHIPPED_DIR / f"{name}.toml")
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise DaemonError(Code.UNKNOWN_PROFILE, f"unknown DAW profile '{name}' (looked in "
                          f"{', '.join(str(p.parent) for p in candidates)})")
    profile = load_profile(path)
    if not profile.enabled:
        raise DaemonError(Code.PROFILE_DISABLED, f"DAW profile '{profile.name}' is disabled: {profile.problem}")
    if profile.transport != "midi":
        raise DaemonError(Code.BAD_ARGUMENT, f"DAW profile '{profile.name}' sends {profile.transport}, not MIDI; "
                          "use a MIDI profile such as 'midi'")
    return profile


def describe_control(fields: dict[str, Any]) -> str:
    """A target's MIDI control in words: "CC 20", "CC 1+33 (14-bit)" or "NRPN 300", with the channel."""
    kind, number, channel = fields["kind"], int(fields["control"]), int(fields["channel"])
    what = {"cc": f"CC {number}", "cc14": f"CC {number}+{number + 32} (14-bit)", "nrpn": f"NRPN {number}"}[kind]
    return f"{what}, channel {channel}"


def learn_steps(profile: Profile, chain: Chain, wiggle: Sequence[float] = WIGGLE) -> list[LearnStep]:
    """One step per mapped parameter of ``chain``, in chain order: the messages that move its control
    through ``wiggle`` (positions 0-1, sent as the profile's kind: 7-bit, 14-bit or NRPN)."""
    rows = chain.describe([0.5] * len(chain.parameters))
    steps = []
    for target in profile.targets(chain, rows):
        moves = [ParamTarget(target.effect, target.name, target.fields, float(x)) for x in wiggle]
        steps.append(LearnStep(f"{target.effect}.{target.name}", describe_control(dict(target.fields)),
                               tuple(build_midi(profile, moves))))
    return steps


class Learner:
    """Walks through the steps, sending each one's messages on ``port``; ``ask`` reads a line (tests)."""

    def __init__(self, port: Any, steps: Sequence[LearnStep], gap_s: float | None, pace_s: float,
                 ask: Callable[[str], str] | None = None, say: Callable[[str], None] = print) -> None:
        self.port, self.steps, self.gap_s, self.pace_s = port, list(steps), gap_s, pace_s
        self.ask, self.say = ask or (lambda prompt: input(prompt)), say
        self.done = 0

    def run(self) -> int:
        """Every step in turn; returns the number of parameters wiggled."""
        index = 0
        while index < len(self.steps):
            step = self.steps[index]
            head = f"[{index + 1}/{len(self.steps)}] {step.label}: {step.control}"
            answer = self._answer(head)
            if answer == "q":
                break
            if answer == "b":
                index = max(index - 1, 0)
                continue
            if answer != "s":
                self.wiggle(step)
            index += 1
        return self.done

    def _answer(self, head: str) -> str:
        """Interactive: the user's choice; timed: wait the gap, then go on."""
        if self.gap_s is None:
            try:
                answer = self.ask(f"{head}\n  arm MIDI learn on it, then Enter = send  s = skip  b = back  q = quit: ")
            except EOFError:  # Ctrl-D or the end of piped input: quit
                return "q"
            return answer.strip().lower()[:1]
        self.say(f"{head} (in {self.gap_s:g} s)")
        time.sleep(self.gap_s)
        return ""

    def wiggle(self, step: LearnStep) -> None:
        for i, message in enumerate(step.messages):
            if i:
                time.sleep(self.pace_s)
            self.port.send(message)
        self.done += 1


def run(args: argparse.Namespace) -> int:
    """The command: resolve profile and chain, then list, print or send."""
    profile = find_profile(args.profile, args.profiles_dir)
    steps = learn_steps(profile, load_chain(args.chain))
    if args.dry_run:
        for step in steps:
            print(f"{step.label}: {step.control}: " + " | ".join(m.hex() for m in step.messages))
        return 0
    midi = profile.data.get("midi", {})
    name = args.port or midi.get("port", "stito")
    virtual = args.virtual if args.virtual is not None else bool(midi.get("virtual", name == "stito"))
    with _quiet_native_stderr():  # libasound prints its own lines; ours (exit 1) says it in one
        port = open_output(name, virtual)
    gap = args.gap if args.gap is not None else (None if sys.stdin.isatty() else DEFAULT_GAP_S)
    print(f"MIDI learn for chain {args.chain}: {len(steps)} parameters on {'virtual ' if virtual else ''}port "
          f"'{name}' (profile {profile.name}); connect your DAW's MIDI input to it.")
    return _walk(Learner(port, steps, gap, max(profile.pace_s, WIGGLE_GAP_S)), port)


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Drop what C libraries (ALSA) write to file descriptor 2 meanwhile; Python's own errors still show."""
    try:
        saved = os.dup(2)
    except OSError:  # no usable stderr: nothing to quieten
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _walk(learner: Learner, port: Any) -> int:
    """Run the learner; Ctrl-C or end of input stop it cleanly. The port is always closed."""
    try:
        learner.run()
    except KeyboardInterrupt:
        print(f"\nstopped after {learner.done} of {len(learner.steps)} parameters", file=sys.stderr)
        return 130
    finally:
        port.close()
    print(f"sent {learner.done} of {len(learner.steps)} parameters")
    return 0
