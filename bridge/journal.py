"""The job journal: an append-only JSON-lines file; every job state change is written (and fsync'd) here
before it takes effect, so a crash or restart loses no accepted job and re-runs no finished one.

One line per change: ``{"t": unix seconds, "job": id, "state": state, ...fields}``. The first line of
a job (state ``queued``) carries its whole spec. :func:`replay` folds the lines into the latest record
of each job; a torn last line (a crash mid-write) is skipped.
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


class Journal:
    """Appends job records to ``path``, one fsync'd line each; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: Any = None

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the daemon's life

    def record(self, job_id: str, state: str, **fields: Any) -> None:
        """Write one change durably; returns only once it is on disk."""
        line = json.dumps({"t": round(time.time(), 3), "job": job_id, "state": state, **fields}) + "\n"
        with self._lock:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())

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


def compact(path: Path, jobs: dict[str, dict[str, Any]]) -> None:
    """Rewrite the journal as one line per job in ``jobs`` (temporary file, fsync, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        for record in jobs.values():
            handle.write(json.dumps(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
