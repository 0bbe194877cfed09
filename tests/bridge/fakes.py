"""Stand-ins for the daemon's peers: an OSC client (a DAW script), a host that records what it is sent,
a player without audio hardware, and tiny configurations, chains and audio for fast real matches."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_server import ThreadingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

from bridge.daemon.config import Config, check_config
from tests.helpers import music, write

#: Rate of the test audio (Hz); short files at a low rate keep every match well under a second.
RATE = 22050
#: A one-effect chain with two parameters.
TINY_CHAIN = """name = "tiny"
[[effect]]
type = "builtin"
kind = "compressor"
search = ["threshold_db", "ratio"]
"""
#: Search options for quick, deterministic matches.
QUICK_SEARCH = {"popsize": 4, "max_iter": 2, "seed": 0, "excerpt_s": 1.0}


@dataclass(frozen=True)
class Received:
    """One OSC message as it arrived: monotonic time, address, arguments."""

    at: float
    address: str
    args: tuple[Any, ...]


class _Inbox:
    """Messages collected by a background thread, with waiting helpers."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._cond = threading.Condition()

    def add(self, address: str, args: tuple[Any, ...]) -> None:
        with self._cond:
            self.messages.append(Received(time.monotonic(), address, args))
            self._cond.notify_all()

    def wait_for(self, match: Callable[[Received], bool] | str, timeout: float = 20.0, count: int = 1) -> list[Received]:
        """The first ``count`` messages that ``match`` (a predicate or an address); AssertionError on timeout."""
        test = (lambda m: m.address == match) if isinstance(match, str) else match
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [m for m in self.messages if test(m)]
                if len(found) >= count:
                    return found[:count]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(m.address, m.args) for m in self.messages[-15:]]
                    raise AssertionError(f"timed out waiting for {match!r} x{count}; last messages: {seen}")
                self._cond.wait(left)

    def of(self, address: str) -> list[Received]:
        with self._cond:
            return [m for m in self.messages if m.address == address]

    def clear(self) -> None:
        with self._cond:
            self.messages.clear()


class Client(_Inbox):
    """A python-osc client (like a DAW script): sends to the daemon at ``target``, reads replies on its own
    socket. Without a target it only listens (a configured reply target)."""

    def __init__(self, target: tuple[str, int] | None = None) -> None:
        super().__init__()
        self.target = target
        self.osc = SimpleUDPClient("127.0.0.1", 9)
        self.osc._sock.bind(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.osc._sock.getsockname()[1]

    def send(self, address: str, *args: Any) -> None:
        """Send ``address`` with ``args`` (types as python-osc guesses them) to ``self.target``."""
        builder = OscMessageBuilder(address)
        for arg in args:
            builder.add_arg(arg)
        self.send_raw(builder.build().dgram)

    def send_raw(self, data: bytes) -> None:
        self.osc._sock.sendto(data, self.target)

    def ask(self, address: str, *args: Any, reply: str, timeout: float = 20.0) -> Received:
        """Send, then wait for the first new message at ``reply``."""
        before = len(self.of(reply))
        self.send(address, *args)
        return self.wait_for(reply, timeout, count=before + 1)[-1]

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.osc.receive(0.05)
            except OSError:
                return
            if data:
                message = OscMessage(data)
                self.add(message.address, tuple(message.params))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.osc.close()


class Host(_Inbox):
    """A python-osc server standing in for a DAW: records every message it is sent."""

    def __init__(self) -> None:
        super().__init__()
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(lambda address, *args: self.add(address, args))
        self.server = ThreadingOSCUDPServer(("127.0.0.1", 0), dispatcher)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakePlayer:
    """A player without audio hardware: remembers what it was asked to play."""

    def __init__(self) -> None:
        self.played: list[Any] = []
        self.stopped = 0

    def play(self, audio: Any) -> None:
        self.played.append(audio)

    def stop(self) -> None:
        self.stopped += 1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def audio_files(folder: Path, seconds: float = 1.5) -> tuple[Path, Path]:
    """A dry input and a reference with different content, written as float WAVs in ``folder``."""
    return (write(folder / "input.wav", music(seconds, RATE, seed=1), RATE),
            write(folder / "ref.wav", music(seconds, RATE, seed=2) * 0.5, RATE))


def long_files(folder: Path, rate: int) -> tuple[Path, Path]:
    """Input and reference for long searches: the reference is squashed, so the tiny chain's compressor
    wins its audition and the joint search then runs its ``max_iter`` generations (with ``min_gain`` 0)."""
    import pedalboard as pb

    squashed = pb.Compressor(threshold_db=-30, ratio=8)(music(3.0, rate, seed=4), rate)
    return (write(folder / "long_in.wav", music(3.0, rate, seed=3), rate),
            write(folder / "long_ref.wav", squashed, rate))


def tiny_chain(folder: Path) -> Path:
    path = folder / "tiny.toml"
    path.write_text(TINY_CHAIN, encoding="utf-8")
    return path


def make_config(folder: Path, *, search: dict | None = None, watch: list[dict] | None = None,
                jobs: dict | None = None, server: dict | None = None, push: dict | None = None,
                encoder: str = "mfcc") -> Config:
    """A checked daemon configuration with its state in ``folder``, on a free port, with quick searches;
    chain files in ``folder`` (the tests' ``tiny_chain``) are allowed."""
    data: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": 0, "chain_folders": [str(folder)], **(server or {})},
        "jobs": {"state_dir": str(folder / "state"), "queue_length": 8, "time_limit_s": 120,
                 **(jobs or {}), "search": {**QUICK_SEARCH, **(search or {})}},
        "encoder": {"name": encoder},
        "logging": {"level": "debug"},
        "push": push or {},
        "watch": watch or [],
    }
    return check_config(data, folder / "stito.toml")
