"""The job journal: an append-only JSON-lines file; every job state change is written (and fsync'd) here
before it takes effect, so a crash or restart loses no accepted job and re-runs no finished one.

One line per change: ``{"t": unix seconds, "job": id, "state": state, ...fields}``. The first line of
a job (state ``queued``) carries its whole spec. :func:`replay` folds the lines into the latest record
of each job; a torn last line (a crash mid-write) is skipped. The file is compacted at start and, while
the daemon runs, whenever it has grown to ``GROWTH`` times the lines a compaction left (and at least
``MIN_LINES``): one line per job, every unfinished job and the last ``history`` finished ones.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("stito.daemon.journal")

#: File name of the journal inside ``jobs.state_dir``.
JOURNAL_NAME = "jobs.jsonl"
#: A running journal is compacted when it holds this many times the lines its last compaction left...
GROWTH = 4
#: ...and at least this many lines.
MIN_LINES = 1000


class Journal:
    """Appends job records to ``path``, one fsync'd line each; safe to call from several threads. It keeps
    every unfinished job and the last ``history`` jobs whose state is in ``finished``."""

    def __init__(self, path: Path, history: int, finished: frozenset[str]) -> None:
        self.path, self.history, self.finished = path, history, finished
        self._lock = threading.Lock()
        self._file: Any = None
        self._lines = self._budget = 0

    def open(self) -> dict[str, dict[str, Any]]:
        """Compact the file and open it for appending; returns the jobs it holds (see :func:`replay`)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            return self._compact()

    def record(self, job_id: str, state: str, **fields: Any) -> None:
        """Write one change durably; returns only once it is on disk."""
        line = json.dumps({"t": round(time.time(), 3), "job": job_id, "state": state, **fields}) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())
            self._lines += 1
            if self._lines >= self._budget:
                self._compact()

    def _compact(self) -> dict[str, dict[str, Any]]:
        """Rewrite the file as one line per kept job and reopen it (the lock is held)."""
        if self._file is not None:
            self._file.close()
        records = trim(replay(self.path), self.history, self.finished)
        if self.path.exists():
            compact(self.path, records)
            log.debug("journal compacted to %d job(s)", len(records))
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the daemon's life
        self._lines, self._budget = len(records), max(MIN_LINES, GROWTH * len(records))
        return records

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def replay(path: Path) -> dict[str, dict[str, Any]]:
    """Job id -> its latest record (every field ever written, later ones winning), in acceptance order."""
    jobs: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return jobs
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            try:
                entry = json.loads(line)
                jobs.setdefault(entry["job"], {}).update(entry)
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
                log.warning("%s:%d: skipped an unreadable journal line (an interrupted write)", path, number)
    return jobs


def trim(records: dict[str, dict[str, Any]], history: int, finished: frozenset[str]) -> dict[str, dict[str, Any]]:
    """``records`` without the oldest jobs in a ``finished`` state beyond the last ``history`` of them."""
    done = [k for k, r in records.items() if r.get("state") in finished]
    drop = set(done[: max(0, len(done) - history)])
    return {k: r for k, r in records.items() if k not in drop}


def compact(path: Path, jobs: dict[str, dict[str, Any]]) -> None:
    """Rewrite the journal as one line per job in ``jobs`` (temporary file, fsync, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for record in jobs.values():
            handle.write(json.dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
