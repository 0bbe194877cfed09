"""Watch folders: a new audio file (a DAW bounce) becomes a job once it has finished being written.

"Finished" means its size and modification time stayed unchanged for ``settle_s`` seconds *and* it
reads as complete, usable audio. A file that settles but does not (truncated, not audio yet, a
placeholder header, no reference yet) is retried until it has been unchanged for ``give_up_s``, then
gets ``matched/<name>.error.txt`` with the reason; one longer than ``jobs.max_duration_s`` gets it at once. Results go to ``matched/``
(``<name>.wav``, ``<name>.json``); source files are only ever read. A file counts as finished when a
result or error file newer than it exists, so a restart re-runs nothing finished, picks up the rest,
and a new bounce under the same name is matched again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from stito_core.audio_io import is_audio_name, write_text_atomic
from stito_core.errors import StitoError
from stito_core.objective import parse_groups

from ..codes import Code, DaemonError
from .config import WatchConfig
from .inputs import check_audio_file
from .jobs import Job, JobSpec, new_job_id

log = logging.getLogger("stito.daemon.watch")

#: The folder, inside each watched folder, that receives results.
RESULTS = "matched"


@dataclass
class _Candidate:
    """A file seen changing: its last (size, mtime) and when that last changed (monotonic seconds)."""

    signature: tuple[int, int]
    since: float


class Watchers:
    """Every configured folder: one watchdog observer, one thread that checks candidates for stability.

    ``submit(spec, job_id)`` queues a job and returns it, or raises :class:`DaemonError` (queue full:
    the file stays a candidate and is offered again). ``busy()`` lists inputs of unfinished jobs.
    """

    def __init__(self, folders: tuple[WatchConfig, ...], submit: Callable[[str, JobSpec], Job],
                 busy: Callable[[], set[str]], max_duration_s: float, search: dict) -> None:
        self.folders = {w.path.resolve(): w for w in folders}
        self.submit, self.busy = submit, busy
        self.max_duration_s, self.search = max_duration_s, search
        self._candidates: dict[Path, _Candidate] = {}
        self._taken: dict[Path, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._observer: Observer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self.folders:
            return
        self._observer = self._start_observer()
        for folder in self.folders:
            self._scan(folder)
        self._thread = threading.Thread(target=self._check_loop, name="stito-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
        if self._thread is not None:
            self._thread.join()

    # --- noticing files -------------------------------------------------------------------------
    def _start_observer(self) -> Observer:
        handler = _Events(self.notice)
        for make in (Observer, PollingObserver):  # inotify can be out of watches: polling always works
            observer = make()
            try:
                for folder in self.folders:
                    observer.schedule(handler, str(folder), recursive=False)
                observer.start()
                log.info("watching %s", ", ".join(str(f) for f in self.folders))
                return observer
            except OSError as exc:
                log.warning("%s unavailable (%s); polling the folders instead", make.__name__, exc)
        raise DaemonError(Code.INTERNAL, "cannot watch the folders", bad_input=False)

    def _scan(self, folder: Path) -> None:
        """At start: every bounce without a newer result, and not already a job, becomes a candidate."""
        busy = self.busy()
        for path in sorted(folder.iterdir()):
            if self._is_bounce(path) and not _finished(path) and str(path) not in busy:
                self.notice(path)

    def notice(self, path: Path) -> None:
        """``path`` was created or changed: (re)start its stability clock."""
        path = path.resolve() if not path.is_absolute() else path
        if path.parent not in self.folders or not self._is_bounce(path):
            return
        signature = _signature(path)
        with self._lock:
            if signature is None or self._taken.get(path) == signature:
                return
            candidate = self._candidates.get(path)
            if candidate is None or candidate.signature != signature:
                self._candidates[path] = _Candidate(signature, time.monotonic())

    def _is_bounce(self, path: Path) -> bool:
        name = path.name
        return is_audio_name(path) and not name.lower().startswith("reference.") and path.is_file()

    # --- checking for stability -----------------------------------------------------------------
    def _check_loop(self) -> None:
        interval = max(0.02, min(0.25, min(w.settle_s for w in self.folders.values()) / 4))
        while not self._stop.wait(interval):
            with self._lock:
                paths = list(self._candidates)
            for path in paths:
                try:
                    self._check(path)
                except Exception:  # one odd file must not stop the watching
                    log.exception("while checking %s", path)

    def _check(self, path: Path) -> None:
        watch, now = self.folders[path.parent], time.monotonic()
        with self._lock:
            candidate = self._candidates[path]
            signature = _signature(path)
            if signature is None:
                del self._candidates[path]
                return
            if signature != candidate.signature:
                self._candidates[path] = _Candidate(signature, now)
                return
            if now - candidate.since < watch.settle_s:
                return
        self._settled(path, watch, candidate, now)

    def _settled(self, path: Path, watch: WatchConfig, candidate: _Candidate, now: float) -> None:
        """The file stopped changing: take it as a job if it reads as audio, else wait or report."""
        try:
            check_audio_file(path, self.max_duration_s)
            spec = self._spec(path, watch)
            job = self.submit(new_job_id("w"), spec)
        except DaemonError as exc:
            if exc.code is Code.QUEUE_FULL:
                return  # offered again at the next check
            if exc.code is not Code.TOO_LONG and now - candidate.since < watch.give_up_s:
                return  # maybe a writer that pauses, or a header not written yet
            self._give_up(path, watch, exc)
            return
        with self._lock:
            self._candidates.pop(path, None)
            self._taken[path] = candidate.signature
        log.info("watch[%d]: %s finished writing; job %s", watch.index, path.name, job.id)

    def _give_up(self, path: Path, watch: WatchConfig, exc: DaemonError) -> None:
        error_file = _results(path)[2]
        log.warning("watch[%d]: %s: %s", watch.index, path.name, exc)
        try:
            error_file.parent.mkdir(exist_ok=True)
            write_text_atomic(error_file, f"{exc}\n(code {int(exc.code)} {exc.code.name}; input {path})\n",
                              overwrite=True)
        except (OSError, StitoError) as err:
            log.error("watch[%d]: cannot write %s: %s", watch.index, error_file, err)
        with self._lock:
            candidate = self._candidates.pop(path, None)
            if candidate is not None:
                self._taken[path] = candidate.signature

    def _spec(self, path: Path, watch: WatchConfig) -> JobSpec:
        output, params, error_file = _results(path)
        output.parent.mkdir(exist_ok=True)
        if watch.apply is not None:  # a saved match onto every bounce: no reference, no search, its own chain
            return JobSpec(str(path), "", watch.chain, str(output), str(params), "watch", watch.daw,
                           None, str(error_file), apply=str(watch.apply), amount=watch.amount)
        reference = watch.reference or _folder_reference(path.parent)
        return JobSpec(str(path), str(reference), watch.chain, str(output), str(params), "watch", watch.daw,
                       None, str(error_file), dict(self.search), amount=watch.amount, groups=parse_groups(watch.match))


class _Events(FileSystemEventHandler):
    """watchdog events -> ``notice(path)`` for the file that was created, written, closed or moved in."""

    def __init__(self, notice: Callable[[Path], None]) -> None:
        self.notice = notice

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("deleted", "opened", "closed_no_write"):
            return
        self.notice(Path(getattr(event, "dest_path", "") or event.src_path))


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _results(source: Path) -> tuple[Path, Path, Path]:
    """``matched/<name>.wav``, ``.json`` and ``.error.txt`` for a bounce; ``<name>`` is the stem, or the
    whole file name when another bounce in the folder has the same stem (take.wav and take.flac)."""
    siblings = [p for p in source.parent.glob(f"{source.stem}.*") if p != source and is_audio_name(p)]
    name = source.name if siblings else source.stem
    folder = source.parent / RESULTS
    return folder / f"{name}.wav", folder / f"{name}.json", folder / f"{name}.error.txt"


def _finished(source: Path) -> bool:
    """True when a result or error file at least as new as the source exists."""
    try:
        mtime = source.stat().st_mtime_ns
    except OSError:
        return True
    for result in _results(source)[1:]:
        try:
            if result.stat().st_mtime_ns >= mtime:
                return True
        except OSError:
            continue
    return False


def _folder_reference(folder: Path) -> Path:
    """The file named ``reference.*`` in ``folder`` (the first, sorted), or an error saying how to add one."""
    found = sorted(p for p in folder.glob("*") if p.name.lower().startswith("reference.") and p.is_file())
    if not found:
        raise DaemonError(Code.FILE_NOT_FOUND, f"{folder}: no reference; put a file named reference.wav in the "
                          "folder or set the watch table's `reference`")
    return found[0]
