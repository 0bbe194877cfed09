"""A bounded load test of the daemon over real UDP on 127.0.0.1; writes benchmarks/daemon_load.md.

    python -m bridge.loadtest                    # 1,000 pings and 100 matches from 4 clients
    python -m bridge.loadtest --pings 100 --matches 8 --out /tmp/load.md

Three phases against an in-process daemon (tiny real matches: a 2-parameter chain, 2 generations of 4,
1.5 s of audio, MFCC metric, 1 worker):
1. pings on an idle daemon from several clients, each waiting for its pong before the next;
2. a burst of match requests from several clients with a queue long enough for all, while one more
   client keeps pinging;
3. the same burst against the default queue length (16): the surplus must be refused, not dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

#: Where the committed table lives.
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "benchmarks" / "daemon_load.md"
#: Queue length of the bounded phase (the configuration's default).
DEFAULT_QUEUE = 16
_CHAIN = 'name = "tiny"\n[[effect]]\ntype = "builtin"\nkind = "compressor"\nsearch = ["threshold_db", "ratio"]\n'
_RATE = 22050
Address = tuple[str, int]


class Peer:
    """One client socket; replies are read with the time they arrived (monotonic seconds)."""

    def __init__(self, daemon: Address) -> None:
        self.daemon = daemon
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)

    def send(self, address: str, *args: Any) -> float:
        builder = OscMessageBuilder(address)
        for arg in args:
            builder.add_arg(arg)
        sent = time.monotonic()
        self.sock.sendto(builder.build().dgram, self.daemon)
        return sent

    def receive(self, timeout: float) -> tuple[float, OscMessage] | None:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return None
        return time.monotonic(), OscMessage(data)


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


@dataclass
class PingStats:
    """Round trips of /stito/ping -> /stito/pong (seconds) and pings that got no pong within 2 s."""

    label: str
    latencies: list[float] = field(default_factory=list)
    lost: int = 0

    @property
    def sent(self) -> int:
        return len(self.latencies) + self.lost

    def row(self) -> str:
        return (f"| {self.label} | {self.sent} | {len(self.latencies)} | {self.lost} | {_ms(self.latencies, 50):.2f} | "
                f"{_ms(self.latencies, 95):.2f} | {_ms(self.latencies, 99):.2f} | {_ms(self.latencies, 100):.2f} |")


@dataclass
class MatchStats:
    """Per request: when it was sent and when accepted / done / error arrived."""

    label: str
    rows: list[dict[str, Any]]
    elapsed_s: float

    def count(self, test: Callable[[dict[str, Any]], bool]) -> int:
        return sum(1 for r in self.rows if test(r))

    @property
    def accepted(self) -> int:
        return self.count(lambda r: "accepted" in r)

    @property
    def refused(self) -> int:
        return self.count(lambda r: "accepted" not in r and "error" in r)

    @property
    def unanswered(self) -> int:
        return self.count(lambda r: "accepted" not in r and "error" not in r)

    @property
    def done(self) -> int:
        return self.count(lambda r: "done" in r)

    @property
    def failed(self) -> int:
        return self.count(lambda r: "accepted" in r and "error" in r)

    def row(self) -> str:
        answers = [min(r.get("accepted", np.inf), r.get("error", np.inf)) - r["sent"] for r in self.rows
                   if "accepted" in r or "error" in r]
        finish = [r["done"] - r["sent"] for r in self.rows if "done" in r]
        return (f"| {self.label} | {len(self.rows)} | {self.accepted} | {self.refused} | {self.unanswered} | "
                f"{self.done} | {self.failed} | {_ms(answers, 50):.1f} / {_ms(answers, 99):.1f} | "
                f"{_ms(finish, 50) / 1000:.1f} / {_ms(finish, 100) / 1000:.1f} | {self.done / self.elapsed_s:.1f} |")


@dataclass
class Report:
    pings: list[PingStats]
    matches: list[MatchStats]
    command: str

    def markdown(self) -> str:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo() if line.startswith("model name")), "?")
        return "\n".join([
            "# Daemon load test", "",
            f"`{self.command}` on {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}: one "
            "in-process daemon on 127.0.0.1, real UDP, clients on their own sockets.",
            "Each match is real but tiny (2-parameter compressor chain, 2 CMA-ES generations of 4, 1.5 s of audio, "
            "MFCC metric, 1 worker), so the numbers measure the daemon rather than the search.", "",
            "| pings | sent | pongs | lost | p50 ms | p95 ms | p99 ms | max ms |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            *(p.row() for p in self.pings), "",
            "| match requests (burst) | sent | accepted | refused: queue full | unanswered | done | failed | "
            "first answer ms p50 / p99 | request to done s p50 / max | done per s |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *(m.row() for m in self.matches), "",
            f"Unanswered requests in all phases: {sum(m.unanswered for m in self.matches)}; lost pings: "
            f"{sum(p.lost for p in self.pings)}. A refused request got `/stito/error` with code 300 (queue full) "
            "and can be sent again later. \"First answer\" includes checking both audio files completely and "
            "loading the chain, on the same cores as the running search. Matches run one at a time "
            "(`jobs.workers = 1`), so \"request to done\" grows with the place in the queue.", ""])


def _ping_loop(daemon: Address, count: int, stats: PingStats, lock: threading.Lock,
               stop: Callable[[], bool] = lambda: False) -> None:
    """Up to ``count`` pings, each waiting up to 2 s for its pong before the next."""
    peer = Peer(daemon)
    for _ in range(count):
        if stop():
            break
        sent = peer.send("/stito/ping")
        while (got := peer.receive(2.0)) is not None and got[1].address != "/stito/pong":
            pass
        with lock:
            if got is None:
                stats.lost += 1
            else:
                stats.latencies.append(got[0] - sent)
    peer.sock.close()


def _match_burst(daemon: Address, jobs: list[tuple[str, ...]], timeout: float) -> list[dict[str, Any]]:
    """Send every request at once, then read replies until each job is done, failed or refused."""
    peer = Peer(daemon)
    rows = {job[-1]: {"sent": peer.send("/stito/match", *job)} for job in jobs}
    waiting, deadline = set(rows), time.monotonic() + timeout
    while waiting and (got := peer.receive(max(0.01, deadline - time.monotonic()))) is not None:
        at, message = got
        job_id = message.params[0] if message.params else None
        if job_id in rows:
            kind = message.address.rsplit("/", 1)[-1]
            rows[job_id].setdefault(kind, at)
            if kind in ("done", "error"):
                waiting.discard(job_id)
    peer.sock.close()
    return list(rows.values())


def ping_phase(daemon: Address, pings: int, clients: int) -> PingStats:
    stats, lock = PingStats(f"idle daemon, {clients} clients at once"), threading.Lock()
    _run_all([threading.Thread(target=_ping_loop, args=(daemon, pings // clients, stats, lock))
              for _ in range(clients)])
    return stats


def match_phase(label: str, daemon: Address, files: tuple[str, str, str], matches: int, clients: int, prefix: str,
                pinging: PingStats | None = None) -> MatchStats:
    """A burst of ``matches`` requests split over ``clients``; ``pinging`` collects pings sent meanwhile."""
    results: list[dict[str, Any]] = []
    finished = threading.Event()

    def client(c: int) -> None:
        results.extend(_match_burst(daemon, [(*files, f"{prefix}{c}-{n}") for n in range(matches // clients)], 600))

    start = time.monotonic()
    pinger = None
    if pinging is not None:
        pinger = threading.Thread(target=_ping_loop, args=(daemon, 10**9, pinging, threading.Lock(), finished.is_set))
        pinger.start()
    _run_all([threading.Thread(target=client, args=(c,)) for c in range(clients)])
    elapsed = time.monotonic() - start
    finished.set()
    if pinger is not None:
        pinger.join()
    return MatchStats(label, results, elapsed)


def _run_all(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def tiny_files(folder: Path) -> tuple[str, str, str]:
    """Input, reference and chain files for the tiny matches."""
    rng = np.random.default_rng(0)
    t = np.arange(int(1.5 * _RATE)) / _RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    inp, ref, chain = folder / "in.wav", folder / "ref.wav", folder / "tiny.toml"
    sf.write(inp, (tone + 0.02 * rng.standard_normal(t.size)).astype(np.float32), _RATE)
    sf.write(ref, np.tanh(4 * tone).astype(np.float32) * 0.5, _RATE)
    chain.write_text(_CHAIN, encoding="utf-8")
    return str(inp), str(ref), str(chain)


def tiny_service(folder: Path, queue_length: int, encoder: Any) -> Any:
    from .config import check_config
    from .service import Service

    config = check_config({
        "server": {"port": 0, "chain_folders": [str(folder)]},
        "jobs": {"state_dir": str(folder / f"state-{queue_length}"), "queue_length": queue_length,
                 "output_folder": str(folder), "search": {"popsize": 4, "max_iter": 2, "excerpt_s": 1.0}},
        "encoder": {"name": "mfcc"}, "logging": {"level": "warning"}}, folder / "stito.toml")
    return Service(config, encoder=encoder)


def run(pings: int = 1000, matches: int = 100, clients: int = 4) -> Report:
    """The three phases (see the module's docstring)."""
    from stito_core.encoders import load_encoder

    encoder = load_encoder("mfcc")
    command = f"python -m bridge.loadtest --pings {pings} --matches {matches} --clients {clients}"
    meanwhile = PingStats("1 more client during the first match burst")
    # the engine's CLI record writer prints a summary per job; keep the report readable
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        folder = Path(tmp)
        files = tiny_files(folder)
        with tiny_service(folder, max(matches, 1), encoder) as service:
            idle = ping_phase(service.address, pings, clients)
            everything = match_phase(f"queue long enough ({max(matches, 1)}), {clients} clients", service.address,
                                     files, matches, clients, "a", meanwhile)
        with tiny_service(folder, DEFAULT_QUEUE, encoder) as service:
            bounded = match_phase(f"default queue ({DEFAULT_QUEUE}), {clients} clients", service.address, files,
                                  matches, clients, "b")
    return Report([idle, meanwhile], [everything, bounded], command)


def cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge.loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=1000, help="pings on the idle daemon (default 1000)")
    parser.add_argument("--matches", type=int, default=100, help="match requests per burst (default 100)")
    parser.add_argument("--clients", type=int, default=4, help="clients sending at once (default 4)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="markdown file to write")
    args = parser.parse_args(argv)
    report = run(args.pings, args.matches, args.clients).markdown()
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
