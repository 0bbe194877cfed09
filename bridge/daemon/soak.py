"""A soak benchmark of the daemon: thousands of small jobs and a stream of hostile datagrams, all on
127.0.0.1 over real UDP, against one in-process daemon; writes benchmarks/daemon_soak.md.

    python -m bridge.daemon.soak                   # 2,000 jobs and 100,000 hostile datagrams
    python -m bridge.daemon.soak --jobs 100 --datagrams 5000 --out /tmp/soak.md

Job clients keep a few jobs each in flight (resending a job the full queue refused, cancelling every
tenth right after acceptance) and delete each result once it is done, as a DAW script would. Hostile
clients send malformed packets, unknown addresses, wrong argument counts and types, missing files,
chains outside the allowed folders and cancels of unknown jobs, each waiting for its one
``/stito/error`` before the next. Every reply is accounted for. Resident memory, threads, open files and
the journal's size are sampled as the jobs go by, to show whether anything grows with uptime.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pythonosc.osc_message_builder import OscMessageBuilder

from ..codes import Code
from .journal import JOURNAL_NAME
from .loadtest import Address, Peer, cpuinfo, tiny_files, tiny_service

#: Where the committed table lives.
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "benchmarks" / "daemon_soak.md"
#: Queue length of the soak daemon; job clients keep ``WINDOW`` jobs each in flight.
QUEUE_LENGTH = 16
WINDOW = 4
#: A job whose number is a multiple of this is cancelled as soon as it is accepted.
CANCEL_EVERY = 10
#: Seconds a hostile datagram's error may take before it counts as unanswered.
ANSWER_S = 5.0
#: Seconds a job client may hear nothing about its jobs (they wait in the queue) before they count as unanswered.
JOB_SILENCE_S = 120.0


@dataclass
class Sample:
    """The daemon process after ``jobs`` finished jobs."""

    jobs: int
    elapsed_s: float
    rss_mib: float
    threads: int
    open_files: int
    journal_bytes: int
    journal_lines: int

    def row(self) -> str:
        return (f"| {self.jobs} | {self.elapsed_s:.0f} | {self.rss_mib:.1f} | {self.threads} | {self.open_files} | "
                f"{self.journal_bytes / 1024:.1f} | {self.journal_lines} |")


@dataclass
class Tally:
    """Counts shared by the client threads."""

    counts: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[key] += n


def _process(state_dir: Path, jobs: int, started: float) -> Sample:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    journal = state_dir / JOURNAL_NAME
    text = journal.read_bytes() if journal.exists() else b""
    return Sample(jobs, time.monotonic() - started, int(status["VmRSS"].split()[0]) / 1024,
                  int(status["Threads"]), len(os.listdir("/proc/self/fd")), len(text), text.count(b"\n"))


def _job_client(daemon: Address, files: tuple[str, str, str], names: list[str], tally: Tally,
                finished: threading.Semaphore) -> None:
    """Run ``names`` as jobs, ``WINDOW`` at a time: resend on queue full, cancel every tenth, remove results."""
    peer, waiting, pending, late = Peer(daemon), list(names), set(), set()
    while waiting or pending:
        while waiting and len(pending) < WINDOW:
            name = waiting.pop(0)
            peer.send("/stito/match", *files, name)
            pending.add(name)
            tally.add("job requests")
        got = peer.receive(JOB_SILENCE_S)
        if got is None:
            tally.add("jobs unanswered", len(pending))
            break
        address, args = got[1].address, got[1].params
        name, code = (args[0] if args else ""), (args[2] if address == "/stito/error" else None)
        if name in late and code == Code.JOB_FINISHED:
            tally.add("cancels that came after done (303)")
        elif name not in pending:
            tally.add("stray replies")
        elif address == "/stito/accepted" and int(name.rsplit("-", 1)[1]) % CANCEL_EVERY == 0:
            peer.send("/stito/cancel", name)
            late.add(name)
        elif address in ("/stito/done", "/stito/cancelled", "/stito/error"):
            tally.add(address if code is None else f"{address} {code}")
            pending.discard(name)
            if code == Code.QUEUE_FULL:
                waiting.append(name)
                time.sleep(0.05)
            elif code is None:
                finished.release()
            if address == "/stito/done":
                for path in args[1:3]:
                    Path(path).unlink(missing_ok=True)
    peer.sock.close()


def _hostile(files: tuple[str, str, str], outside_chain: str, rng: random.Random) -> bytes:
    """One datagram the daemon must refuse with a single /stito/error."""
    inp, ref, chain = files

    def message(address: str, *args: Any) -> bytes:
        builder = OscMessageBuilder(address)
        for arg in args:
            builder.add_arg(arg)
        return builder.build().dgram

    kind = rng.randrange(8)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    if kind == 1:
        return b"/stito/match\x00\x00\x00\x00,sss\x00\x00\x00\x00abc"  # arguments cut short
    if kind == 2:
        return message(f"/stito/nope{rng.randrange(1000)}")
    if kind == 3:
        return message("/stito/match", inp)
    if kind == 4:
        return message("/stito/match", inp, ref, 7, "x")
    if kind == 5:
        return message("/stito/match", f"/nonexistent/{rng.randrange(10**6)}.wav", ref, chain)
    if kind == 6:
        return message("/stito/match", inp, ref, outside_chain)
    return message("/stito/cancel", f"ghost-{rng.randrange(10**6)}")


def _hostile_client(daemon: Address, files: tuple[str, str, str], outside_chain: str, count: int, seed: int,
                    tally: Tally) -> None:
    peer, rng = Peer(daemon), random.Random(seed)
    for _ in range(count):
        peer.sock.sendto(_hostile(files, outside_chain, rng), daemon)
        got = peer.receive(ANSWER_S)
        if got is None:
            tally.add("hostile unanswered")
        elif got[1].address == "/stito/error":
            tally.add(f"hostile answered {got[1].params[2]}")
        else:
            tally.add(f"hostile answered {got[1].address}")
    peer.sock.close()


@dataclass
class SoakReport:
    command: str
    samples: list[Sample]
    counts: Counter
    elapsed_s: float

    def markdown(self) -> str:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo() if line.startswith("model name")), "?")
        warm, end = self.samples[1] if len(self.samples) > 1 else self.samples[0], self.samples[-1]
        rows = [f"| {key} | {value} |" for key, value in sorted(self.counts.items())]
        return "\n".join([
            "# Daemon soak test", "",
            f"`{self.command}` on {os.cpu_count()} cores ({cpu}), {self.elapsed_s:.0f} s: one in-process daemon "
            "on 127.0.0.1 (1 worker, queue 16, jobs.history 200), real UDP. Jobs are real but tiny "
            "(2-parameter compressor chain, 2 CMA-ES generations of 4, 1.5 s of audio, MFCC metric); "
            f"job clients keep {WINDOW} jobs each in flight, resend a job the full queue refused (300), cancel "
            f"every {CANCEL_EVERY}th and delete each result once done. Hostile clients send one datagram at a time "
            "and wait for its error.", "",
            f"Unanswered: {self.counts['jobs unanswered']} jobs, {self.counts['hostile unanswered']} hostile datagrams; "
            f"stray replies: {self.counts['stray replies']}.", "",
            "| replies | count |", "| --- | --- |", *rows, "",
            "Every hostile datagram must get exactly one `/stito/error` (100 malformed, 101 unknown address, "
            "102 argument count, 103 argument type, 200 missing file, 210 chain outside the allowed folders, "
            "302 unknown job); every job ends `/stito/done` or `/stito/cancelled`.", "",
            "| finished jobs | s | resident MiB | threads | open files | journal KiB | journal lines |",
            "| --- | --- | --- | --- | --- | --- | --- |", *(s.row() for s in self.samples), "",
            f"Resident memory after the first {warm.jobs} jobs {warm.rss_mib:.1f} MiB, at the end "
            f"{end.rss_mib:.1f} MiB ({end.rss_mib - warm.rss_mib:+.1f}); journal {end.journal_lines} lines "
            "(compacted while running: one line per job it keeps, at most 4 x jobs.history between compactions).",
            ""])


def run(jobs: int = 2000, datagrams: int = 100_000, job_clients: int = 3, hostile_clients: int = 4,
        samples: int = 10) -> SoakReport:
    """The soak (see the module's docstring); ``samples`` process samples spread over the jobs."""
    from stito_core.encoders import load_encoder

    command = (f"python -m bridge.daemon.soak --jobs {jobs} --datagrams {datagrams} --job-clients {job_clients} "
               f"--hostile-clients {hostile_clients}")
    tally, finished = Tally(), threading.Semaphore(0)
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        folder = Path(tmp)
        files = tiny_files(folder)
        elsewhere = Path(tempfile.mkdtemp(prefix="stito-soak-elsewhere-"))
        outside = elsewhere / "chain.toml"
        outside.write_text('[[effect]]\ntype = "builtin"\nkind = "gain"\n', encoding="utf-8")
        with tiny_service(folder, QUEUE_LENGTH, load_encoder("mfcc")) as service:
            state, started = folder / f"state-{QUEUE_LENGTH}", time.monotonic()
            taken = [_process(state, 0, started)]
            names = [[f"soak{c}-{n}" for n in range(c, jobs, job_clients)] for c in range(job_clients)]
            threads = [threading.Thread(target=_job_client, args=(service.address, files, names[c], tally, finished))
                       for c in range(job_clients)]
            threads += [threading.Thread(target=_hostile_client, args=(service.address, files, str(outside),
                                                                       datagrams // hostile_clients, h, tally))
                        for h in range(hostile_clients)]
            for thread in threads:
                thread.start()
            step = max(1, jobs // samples)
            for count in range(1, jobs + 1):
                if not finished.acquire(timeout=JOB_SILENCE_S):
                    break
                if count % step == 0:
                    taken.append(_process(state, count, started))
            for thread in threads:
                thread.join()
        outside.unlink()
        elsewhere.rmdir()
    return SoakReport(command, taken, tally.counts, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge.daemon.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000, help="small jobs to run (default 2000)")
    parser.add_argument("--datagrams", type=int, default=100_000, help="hostile datagrams (default 100000)")
    parser.add_argument("--job-clients", type=int, default=3, help="clients sending jobs (default 3)")
    parser.add_argument("--hostile-clients", type=int, default=4, help="clients sending hostile datagrams (default 4)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="markdown file to write")
    args = parser.parse_args(argv)
    report = run(args.jobs, args.datagrams, args.job_clients, args.hostile_clients).markdown()
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
