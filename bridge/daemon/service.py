"""The companion daemon as one service: started in order, stopped in reverse in one ``finally``.

Start: journal (replayed and compacted) -> job queue -> encoder -> OSC socket -> push-back and audition
-> workers -> OSC requests -> watch folders. Stop: the same, backwards, whatever failed on the way.
:func:`run` is ``stito serve``: it adds logging and SIGINT/SIGTERM.
"""

from __future__ import annotations

import fcntl
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from stito_core.chain import Chain
from stito_core.encoders import Encoder
from stito_core.objective import Objective, load_objective

from .audition import Audition, Player
from .config import Config, ConfigError, load_config
from ..codes import Code, DaemonError
from .handlers import Handlers
from .jobs import FINISHED, Job, JobQueue, JobSpec
from .journal import JOURNAL_NAME, Journal
from .osc_server import Address, OscEndpoint
from ..pushback.push import PushBack
from .watch import Watchers
from .worker import Workers

log = logging.getLogger("stito.daemon")
#: File in ``jobs.state_dir`` locked while a daemon runs.
LOCK_NAME = "daemon.lock"


class Service:
    """The daemon. ``encoder`` and ``player`` may be given (tests); else they come from the config."""

    def __init__(self, config: Config, encoder: Encoder | Objective | None = None, player: Player | None = None) -> None:
        self.config = config
        self.encoder = encoder
        self._player = player
        self._stack = ExitStack()
        self.endpoint: OscEndpoint
        self.queue: JobQueue
        self.pushback: PushBack
        self.audition: Audition

    @property
    def address(self) -> Address:
        """Where the OSC server listens (the real port when the config asked for port 0)."""
        return self.endpoint.address

    def start(self) -> Service:
        """Start every part in order; if one fails, the ones already started are stopped again."""
        try:
            self._start_parts()
        except BaseException:
            self._stack.close()
            raise
        log.info("stito daemon ready on udp://%s:%d (%d watch folder(s), %d worker(s))", *self.address,
                 len(self.config.watch), self.config.jobs["workers"])
        return self

    def _start_parts(self) -> None:
        jobs, stack = self.config.jobs, self._stack
        stack.enter_context(_state_lock(Path(jobs["state_dir"])))
        journal = Journal(Path(jobs["state_dir"]) / JOURNAL_NAME, jobs["history"], FINISHED)
        records = journal.open()
        stack.callback(journal.close)
        self.queue = JobQueue(journal, jobs["queue_length"], jobs["history"])
        again = self.queue.restore(records)
        if again:
            log.info("taking back %d unfinished job(s) from the journal: %s", len(again), ", ".join(j.id for j in again))
        self.encoder = load_objective(self.encoder or self.config.encoder)
        server = self.config.server
        self.endpoint = _endpoint(server["host"], server["port"], self.config.reply_to, server["token"])
        stack.callback(self.endpoint.close)
        self.pushback = PushBack(self.config.profiles)
        stack.callback(self.pushback.close)
        self.audition = Audition(self.config.audition["enabled"], self._player, self.config.audition["device"])
        stack.callback(self.audition.close)
        workers = Workers(self, jobs["workers"])
        workers.start()
        stack.callback(workers.stop, jobs["shutdown_grace_s"])
        self._route(Handlers(self))
        self.endpoint.serve()
        stack.callback(self.endpoint.stop_serving)
        watchers = Watchers(self.config.watch, self._submit_watched, self._busy_inputs, jobs["max_duration_s"],
                            self.config.search)
        watchers.start()
        stack.callback(watchers.stop)

    def stop(self) -> None:
        """Stop every part in reverse order (running jobs: see ``jobs.shutdown_grace_s``)."""
        log.info("stopping")
        self._stack.close()
        log.info("stopped")

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- used by handlers, workers and watchers -------------------------------------------------
    def push(self, job: Job, daw: str, chain: Chain, rows: Sequence[Mapping[str, Any]], to: Address | None) -> int:
        """Send ``rows`` through profile ``daw``, then ``/stito/pushed job-id daw count``."""
        count = self.pushback.push(daw, chain, rows)
        self.endpoint.send(to, "/stito/pushed", job.id, daw, count)
        return count

    def tell_cancelled(self, job: Job) -> None:
        """``/stito/cancelled job-id`` to whoever asked for the job and whoever cancelled it."""
        for to in {job.spec.reply_to, job.cancelled_by} - {None}:
            self.endpoint.send(to, "/stito/cancelled", job.id)

    def _route(self, handlers: Handlers) -> None:
        for address, handler in handlers.routes().items():
            self.endpoint.route(address, handler)
        self.endpoint.route_default(handlers.unknown)

    def _submit_watched(self, job_id: str, spec: JobSpec) -> Job:
        return self.queue.submit(job_id, spec)

    def _busy_inputs(self) -> set[str]:
        return {j.spec.input for j in self.queue.unfinished()}


@contextmanager
def _state_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` so that two daemons never share one journal."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            msg = f"{folder}: another stito serve uses this state folder; stop it or set jobs.state_dir"
            raise DaemonError(Code.INTERNAL, msg, bad_input=False) from None
        yield


def _endpoint(host: str, port: int, reply_to: Address | None, token: str | None) -> OscEndpoint:
    try:
        return OscEndpoint(host, port, reply_to, token)
    except OSError as exc:
        msg = f"cannot listen on udp://{host}:{port} ({exc.strerror or exc}); is another stito serve running? " \
              "Change server.port"
        raise DaemonError(Code.INTERNAL, msg, bad_input=False) from None


# --- stito serve ---------------------------------------------------------------------------------

def run(config_path: str | Path | None = None) -> int:
    """``stito serve``: run until SIGINT/SIGTERM; exit 0, or 2 with every configuration problem listed."""
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"stito: error: {exc.source}: {len(exc.errors)} configuration problem(s):", file=sys.stderr)
        for line in exc.errors:
            print(f"  {line}", file=sys.stderr)
        return 2
    _setup_logging(config.logging)
    for profile in config.profiles.values():
        log.info("DAW profile %s: %s", profile.name, profile.status)
    service = Service(config).start()  # a part that fails to start stops the ones before it
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"stito serve: listening on udp://{service.address[0]}:{service.address[1]}; "
              "stop with Ctrl-C", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
        log.info("signal received")
    finally:
        service.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _setup_logging(settings: Mapping[str, Any]) -> None:
    """Log lines to standard error (and ``logging.file``) at ``logging.level``."""
    root = logging.getLogger("stito")
    root.setLevel(settings["level"].upper())
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if settings["file"] is not None:
        handlers.append(logging.FileHandler(settings["file"], encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
