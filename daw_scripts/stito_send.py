#!/usr/bin/env python3
"""Hand one match job to stito from a DAW script that cannot speak OSC itself (REAPER's ReaScript).

    python3 stito_send.py match INPUT REFERENCE [--chain zam] [--match space,width] [--job ID] [--profile none]
                          [--via osc|cli] [--status FILE] [--host 127.0.0.1] [--port 9700]
    python3 stito_send.py apply MATCH.json INPUT [--amount 0.5] [--job ID] [--profile none] [--via osc|cli] ...
    python3 stito_send.py ping [--host 127.0.0.1] [--port 9700]

When the daemon has a ``server.token``, give it with ``--token-file FILE`` (the file's first line) or the
environment variable ``STITO_TOKEN``; it goes first in every message. (A file, not an argument: other
users of the machine can read a process's arguments.)

``--via osc`` (default) sends ``/stito/match`` (``apply``: ``/stito/apply``, a saved match rendered onto
INPUT at ``--amount`` without a search) to ``stito serve`` and follows its replies; ``--via cli`` runs
``stito match`` (``stito apply``) itself (no daemon needed). Either way the job's state is written to the
``--status`` file as ``key=value`` lines, replaced atomically at every change, so a script can poll it:

    state=accepted|running|done|error   job=ID   iteration=N   best=0.93
    output=PATH   params=PATH   similarity=0.95        (done)
    message=TEXT  code=N                                (error)
    pushed=N  or  push_error=TEXT                       (done, when a DAW profile pushed the parameters)

Exit code 0 when the job is done, 1 when it failed or no answer came, 2 for bad usage.
Needs only python-osc (installed with stito); run it with the Python that has stito.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

#: Seconds to wait for the daemon's first answer before saying it is not running.
ANSWER_S = 5.0
#: Seconds to wait after /stito/done for the push-back report.
PUSH_S = 10.0


class Status:
    """The status file: every update rewrites it whole (temporary file + rename)."""

    def __init__(self, path: Path | None, job: str) -> None:
        self.path, self.values = path, {"job": job}

    def update(self, **values: Any) -> None:
        self.values.update({k: " ".join(str(v).split()) for k, v in values.items()})
        if self.path is None:
            return
        text = "".join(f"{k}={v}\n" for k, v in self.values.items())
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".stito-status-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, self.path)


def osc_datagram(address: str, *args: str) -> bytes:
    """An OSC message whose arguments are all strings."""
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg, "s")
    return builder.build().dgram


class Daemon:
    """A UDP socket talking to ``stito serve``; replies come back to this socket. With a ``token`` (the
    daemon's ``server.token``), every message starts with it."""

    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        self.target, self.token = (host, port), token
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("0.0.0.0" if host not in ("127.0.0.1", "localhost") else "127.0.0.1", 0))

    def send(self, address: str, *args: str) -> None:
        first = (self.token,) if self.token else ()
        self.sock.sendto(osc_datagram(address, *first, *args), self.target)

    def receive(self, timeout: float) -> tuple[str, tuple[Any, ...]] | None:
        """The next message as (address, arguments), or None after ``timeout`` seconds."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, _ = self.sock.recvfrom(65536)
        except (TimeoutError, socket.timeout):
            return None
        message = OscMessage(data)
        return message.address, tuple(message.params)

    def close(self) -> None:
        self.sock.close()


def via_osc(args: argparse.Namespace, status: Status) -> int:
    """Ask the daemon, follow the job to its end; returns the exit code."""
    daemon = Daemon(args.host, args.port, args.token)
    try:
        if args.command == "apply":
            daemon.send("/stito/apply", str(args.match), str(args.input), f"{args.amount:g}", args.job, args.profile)
        else:
            daemon.send("/stito/match", str(args.input), str(args.reference), args.chain, args.job, args.profile,
                        f"{args.amount:g}", args.match)
        return _follow(daemon, args, status)
    finally:
        daemon.close()


def _follow(daemon: Daemon, args: argparse.Namespace, status: Status) -> int:
    deadline, answered = time.monotonic() + args.timeout, False
    while time.monotonic() < deadline:
        message = daemon.receive(min(ANSWER_S if not answered else 1.0, deadline - time.monotonic()))
        if message is None:
            if not answered:
                return _fail(status, f"no answer from stito serve at {args.host}:{args.port}; is it running?", 1)
            continue
        answered = True
        address, values = message
        if values[:1] not in ((args.job,), ("",)):
            continue  # another job's news
        result = _on_message(daemon, address, values, status)
        if result is not None:
            return result
    return _fail(status, f"job {args.job} did not finish within {args.timeout:g} s", 1)


def _on_message(daemon: Daemon, address: str, values: tuple[Any, ...], status: Status) -> int | None:
    """Update the status for one reply; an exit code when the job has ended."""
    if address == "/stito/accepted":
        status.update(state="accepted")
    elif address == "/stito/progress":
        status.update(state="running", iteration=values[1], best=f"{values[2]:.4f}")
    elif address == "/stito/error":
        return _fail(status, values[1], values[2] if len(values) > 2 else 1)
    elif address == "/stito/done":
        _wait_for_push(daemon, status, values[0])
        status.update(state="done", output=values[1], params=values[2], similarity=f"{values[3]:.4f}")
        return 0
    return None


def _wait_for_push(daemon: Daemon, status: Status, job: str) -> None:
    """With a DAW profile the daemon reports the push-back right after done; note it when it comes."""
    deadline = time.monotonic() + PUSH_S
    while time.monotonic() < deadline:
        message = daemon.receive(deadline - time.monotonic())
        if message is None:
            return
        address, values = message
        if address == "/stito/pushed" and values[0] == job:
            status.update(pushed=values[2])
            return
        if address == "/stito/error" and values[0] == job:
            status.update(push_error=values[1])
            return


def _fail(status: Status, message: str, code: Any) -> int:
    status.update(state="error", message=message, code=code)
    print(f"stito_send: {message}", file=sys.stderr)
    return 1


def via_cli(args: argparse.Namespace, status: Status) -> int:
    """Run ``stito match`` (or ``stito apply``) and report like the daemon would; returns the exit code."""
    folder = args.out_dir or args.input.parent
    output = folder / f"{args.input.stem}.{args.job}.wav"
    stito = shlex.split(args.stito, posix=os.name != "nt")
    if args.command == "apply":
        command = [*stito, "apply", str(args.match), str(args.input), "--amount", f"{args.amount:g}", "-o", str(output)]
    else:
        command = [*stito, "match", str(args.input), str(args.reference), "-c", args.chain, "-o", str(output), "--quiet",
                   *(["--match", args.match] if args.match else []), "--amount", f"{args.amount:g}"]
    status.update(state="running")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    except FileNotFoundError:
        return _fail(status, f"cannot run '{args.stito}': set the stito command (is stito installed?)", 1)
    except subprocess.TimeoutExpired:
        return _fail(status, f"stito {args.command} ran longer than {args.timeout:g} s", 1)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or [f"stito {args.command} failed"]
        return _fail(status, lines[-1], done.returncode)
    found = re.search(r"similarity ([-\d.]+) -> ([-\d.]+)", done.stdout)
    status.update(state="done", output=output, params=output.with_suffix(".json"),
                  similarity=found.group(2) if found else "")
    return 0


def ping(args: argparse.Namespace) -> int:
    """``ping``: is the daemon there? Prints its version."""
    daemon = Daemon(args.host, args.port, args.token)
    try:
        daemon.send("/stito/ping")
        message = daemon.receive(ANSWER_S)
    finally:
        daemon.close()
    if message is None or message[0] != "/stito/pong":
        print(f"stito_send: no answer from stito serve at {args.host}:{args.port}", file=sys.stderr)
        return 1
    print(f"stito serve {message[1][0] if message[1] else '?'} at {args.host}:{args.port}")
    return 0


def token_of(token_file: Path | None) -> str | None:
    """The daemon's shared secret: the first line of ``token_file``, else ``$STITO_TOKEN``, else None."""
    if token_file is None:
        return os.environ.get("STITO_TOKEN") or None
    try:
        lines = token_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the token file {token_file} ({exc})") from None
    if not lines or not lines[0].strip():
        raise ValueError(f"the token file {token_file} is empty")
    return lines[0].strip()


def match(args: argparse.Namespace) -> int:
    """``match`` or ``apply``: one job, via the daemon or the command line."""
    args.job = args.job or f"send-{os.getpid()}-{int(time.time())}"
    status = Status(args.status, args.job)
    status.update(state="sent")
    return (via_osc if args.via == "osc" else via_cli)(args, status)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stito_send.py", description="Hand a match job to stito; "
                                     "write its progress and result to a status file.")
    sub = parser.add_subparsers(dest="command", required=True)
    job = sub.add_parser("match", help="match INPUT to REFERENCE")
    job.add_argument("input", type=Path)
    job.add_argument("reference", type=Path)
    job.add_argument("--chain", default="zam", help="chain name or chain TOML (default zam)")
    job.add_argument("--match", default="", help="only these attribute groups, e.g. space,width (default: all)")
    job.set_defaults(run=match)
    saved = sub.add_parser("apply", help="render a saved match (parameter file) onto INPUT, no search")
    saved.add_argument("match", type=Path, help="the parameter file of a match")
    saved.add_argument("input", type=Path)
    saved.set_defaults(run=match)
    for p in (job, saved):
        p.add_argument("--amount", type=float, default=1.0, help="0 (untouched) to 1.5; default 1")
        p.add_argument("--job", default="", help="job id (letters, digits, _.:@+-); default: made up")
        p.add_argument("--profile", default="", help="DAW profile the daemon pushes through ('none': no push; "
                       "default: the daemon's server.daw)")
        p.add_argument("--via", choices=["osc", "cli"], default="osc", help="osc: stito serve; cli: the stito command")
        p.add_argument("--status", type=Path, help="status file to write (key=value lines)")
        p.add_argument("--out-dir", type=Path, help="folder for the results (--via cli; default beside INPUT)")
        p.add_argument("--stito", default="stito", help="the stito command (--via cli)")
        p.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    alive = sub.add_parser("ping", help="check that stito serve answers")
    alive.set_defaults(run=ping)
    for p in (job, saved, alive):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=9700)
        p.add_argument("--token-file", type=Path, help="file whose first line is the daemon's server.token "
                       "(default: $STITO_TOKEN, else no token)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.token = token_of(args.token_file)
    except ValueError as exc:
        print(f"stito_send: {exc}", file=sys.stderr)
        return 2
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
