"""`stito midi-learn CHAIN` (bridge/midi_learn.py): the exact mido messages it sends for each parameter,
walking through them, Ctrl-C, and the one-line error without a MIDI backend. No MIDI system is needed:
ports are stand-ins."""

from __future__ import annotations

import mido
import pytest

from bridge.pushback import midi_learn
from bridge.cli.main import main
from bridge.codes import DaemonError
from bridge.pushback.midi_learn import Learner, find_profile, learn_steps
from stito_core import load_chain
from tests.bridge.fakes import tiny_chain


def cc(control: int, value: int, channel: int = 0) -> mido.Message:
    return mido.Message("control_change", channel=channel, control=control, value=value)


class FakePort:
    """A MIDI output that records what it is sent."""

    def __init__(self) -> None:
        self.sent: list[mido.Message] = []
        self.closed = False

    def send(self, message: mido.Message) -> None:
        self.sent.append(message)

    def close(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(midi_learn.time, "sleep", lambda _s: None)


def test_each_parameter_wiggles_its_own_cc_in_chain_order():
    steps = learn_steps(find_profile("midi"), load_chain("builtin"))
    assert len(steps) == 34
    assert steps[0].label == "distortion.drive_db" and steps[0].control == "CC 20, channel 1"
    assert list(steps[0].messages) == [cc(20, 64), cc(20, 95), cc(20, 32), cc(20, 64)]
    assert list(steps[12].messages) == [cc(52, 64), cc(52, 95), cc(52, 32), cc(52, 64)]
    assert [s.messages[0].control for s in steps] == [*range(20, 32), *range(52, 64), *range(102, 112)]


NRPN_PROFILE = """description = "nrpn learn"
transport = "midi"
[midi]
channel = 3
[target]
value = "plugin"
[chains.tiny.effects.compressor.params]
threshold_db = {{ kind = "{kind}", control = {control} }}
ratio = {{ skip = true }}
"""


@pytest.mark.parametrize(("kind", "control", "first", "label"), [
    ("cc14", 1, [cc(1, 64, 2), cc(33, 0, 2)], "CC 1+33 (14-bit), channel 3"),
    ("nrpn", 300, [cc(99, 2, 2), cc(98, 44, 2), cc(6, 64, 2), cc(38, 0, 2)], "NRPN 300, channel 3"),
])
def test_fine_kinds_wiggle_with_their_own_messages(tmp_path, kind, control, first, label):
    path = tmp_path / "fine.toml"
    path.write_text(NRPN_PROFILE.format(kind=kind, control=control), encoding="utf-8")
    steps = learn_steps(find_profile(str(path)), load_chain(tiny_chain(tmp_path)))
    assert [s.label for s in steps] == ["compressor.threshold_db"] and steps[0].control == label
    per_move = len(first)
    assert list(steps[0].messages[:per_move]) == first and len(steps[0].messages) == 4 * per_move
    assert list(steps[0].messages[-per_move:]) == first  # back to the centre


def test_the_learner_sends_skips_goes_back_and_quits():
    steps = learn_steps(find_profile("midi"), load_chain("builtin"))[:3]
    port, answers = FakePort(), iter(["", "s", "b", "", "q"])
    learner = Learner(port, steps, gap_s=None, pace_s=0.0, ask=lambda _prompt: next(answers))
    assert learner.run() == 2
    # step 1 sent, step 2 skipped, back to step 2, sent, then quit at step 3
    assert port.sent == [*steps[0].messages, *steps[1].messages]


def test_timed_mode_goes_through_every_parameter():
    steps = learn_steps(find_profile("midi"), load_chain("builtin"))
    port = FakePort()
    assert Learner(port, steps, gap_s=0.0, pace_s=0.0, say=lambda _text: None).run() == 34
    assert len(port.sent) == 34 * 4


def test_ctrl_c_stops_cleanly_and_closes_the_port(monkeypatch, capsys):
    port = FakePort()
    monkeypatch.setattr(midi_learn, "open_output", lambda name, virtual: port)
    answers = iter(["", KeyboardInterrupt()])

    def ask(_prompt: str) -> str:
        answer = next(answers)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr("builtins.input", ask)
    monkeypatch.setattr(midi_learn.sys.stdin, "isatty", lambda: True, raising=False)
    assert main(["midi-learn", "builtin"]) == 130
    assert port.closed and len(port.sent) == 4
    assert "stopped after 1 of 34 parameters" in capsys.readouterr().err


def test_the_port_options_reach_the_backend(monkeypatch, capsys):
    opened = []
    monkeypatch.setattr(midi_learn, "open_output", lambda name, virtual: opened.append((name, virtual)) or FakePort())
    assert main(["midi-learn", "builtin", "--gap", "0"]) == 0
    assert main(["midi-learn", "builtin", "--gap", "0", "--port", "IAC Bus 1", "--no-virtual"]) == 0
    assert main(["midi-learn", "builtin", "--gap", "0", "--port", "loop", "--virtual"]) == 0
    assert opened == [("stito", True), ("IAC Bus 1", False), ("loop", True)]
    assert "sent 34 of 34 parameters" in capsys.readouterr().out


def test_dry_run_prints_the_messages(capsys):
    assert main(["midi-learn", "builtin", "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 34 and lines[0] == "distortion.drive_db: CC 20, channel 1: B0 14 40 | B0 14 5F | B0 14 20 | B0 14 40"


def test_no_midi_backend_is_one_line_and_exit_1(monkeypatch, capsys):
    monkeypatch.setattr("bridge.pushback.midi.mido.backend", mido.Backend("stito_no_such_midi_backend", load=False))
    assert main(["midi-learn", "builtin", "--gap", "0"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stito: error: no MIDI backend")


def test_a_non_midi_or_unknown_profile_is_bad_usage(capsys):
    assert main(["midi-learn", "builtin", "--profile", "reaper"]) == 2
    assert main(["midi-learn", "builtin", "--profile", "nope"]) == 2
    err = capsys.readouterr().err
    assert "sends osc, not MIDI" in err and "unknown DAW profile 'nope'" in err
    with pytest.raises(DaemonError):
        find_profile("ardour")
