"""Jobs and the bounded job queue; every state change is journaled before it takes effect."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from ..codes import Code, DaemonError
from .journal import Journal

log = logging.getLogger("stito.daemon.jobs")


class JobState(StrEnum):
    """Where a job is in its life; the journal and ``/stito/job`` use these words."""

    QUEUED = "queued"  #: accepted, waiting for a worker (also after a restart interrupted it)
    RUNNING = "running"  #: a worker is searching
    DONE = "done"  #: results written (and parameters pushed when a profile is set)
    FAILED = "failed"  #: stopped by an error; the reason is in the journal and in /stito/error
    CANCELLED = "cancelled"  #: stopped on request


#: States a job never leaves.
FINISHED = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,63}$")


@dataclass(frozen=True)
class JobSpec:
    """What to do, fixed at acceptance and journaled: paths as given, chain, where results and events go."""

    input: str
    reference: str
    chain: str
    output: str
    params: str
    origin: str = "osc"  #: "osc" or "watch"
    daw: str | None = None  #: DAW profile that receives the parameters
    reply_to: tuple[str, int] | None = None  #: where progress, done and errors are sent (None: nowhere)
    error_file: str | None = None  #: watch jobs: where a failure's reason is written
    search: dict[str, Any] = field(default_factory=dict)  #: search options for the engine
    apply: str | None = None  #: a saved match (parameter file) rendered onto ``input`` instead of a search
    amount: float = 1.0  #: how far toward the found (or saved) setting, 0-1.5
    groups: tuple[str, ...] = ()  #: attribute groups the match counts (empty: all; the attributes metric)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> JobSpec:
        """The spec in a journal record (fields this version does not know are ignored)."""
        known = {f.name for f in fields(cls)}
        spec = {k: v for k, v in record["spec"].items() if k in known}
        spec["reply_to"] = tuple(spec["reply_to"]) if spec.get("reply_to") else None
        spec["groups"] = tuple(spec.get("groups", ()))
        return cls(**spec)


@dataclass
class Job:
    """One job and what is known of its progress."""

    id: str
    spec: JobSpec
    state: JobState = JobState.QUEUED
    iteration: int = 0
    best_similarity: float = math.nan
    similarity: float = math.nan
    message: str = ""
    code: int = 0
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    #: Who asked to cancel (they get /stito/cancelled too).
    cancelled_by: tuple[str, int] | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


def new_job_id(prefix: str = "j") -> str:
    """A fresh job id such as ``j3fa2c1d0``."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def check_job_id(value: str) -> str:
    """``value`` when it is a usable job id (1-64 letters, digits and ``_.:@+-``)."""
    if not _ID.match(value):
        raise DaemonError(Code.BAD_ARGUMENT, f"job id {value!r}: use 1-64 letters, digits or _.:@+- "
                          "(starting with a letter or digit)")
    return value


class JobQueue:
    """A bounded FIFO of queued jobs plus every known job, for the workers, handlers and watchers.

    At most ``limit`` jobs wait at once (jobs restored from the journal are always taken back);
    ``history`` finished jobs are remembered for ``/stito/status``.
    """

    def __init__(self, journal: Journal, limit: int, history: int) -> None:
        self.journal, self.limit, self.history = journal, limit, history
        self._jobs: dict[str, Job] = {}
        self._waiting: deque[Job] = deque()
        self._cond = threading.Condition()
        self._closed = False

    # --- start-up -------------------------------------------------------------------------------
    def restore(self, records: dict[str, dict[str, Any]]) -> list[Job]:
        """Take back the journal's jobs: unfinished ones wait again (in acceptance order), finished ones
        are remembered. Returns the jobs that will run."""
        again = []
        with self._cond:
            for job_id, record in records.items():
                try:
                    job = Job(job_id, JobSpec.from_record(record), JobState(record["state"]),
                              similarity=record.get("similarity", math.nan), message=record.get("message", ""),
                              code=record.get("code", 0))
                except (KeyError, TypeError, ValueError) as exc:
                    log.warning("journal: job %s has an unusable record (%s); skipped", job_id, exc)
                    continue
                self._jobs[job_id] = job
                if not job.finished:
                    self._set(job, JobState.QUEUED, note="taken back after a restart")
                    self._waiting.append(job)
                    again.append(job)
            self._prune()
            self._cond.notify_all()
        return again

    # --- requests -------------------------------------------------------------------------------
    def submit(self, job_id: str, spec: JobSpec, announce: Callable[[Job], None] | None = None) -> Job:
        """Accept a job: journal it, call ``announce`` (the /stito/accepted reply), then let it run."""
        with self._cond:
            if self._closed:
                raise DaemonError(Code.SHUTTING_DOWN, "the daemon is stopping; send the job again after it restarts")
            if job_id in self._jobs:
                raise DaemonError(Code.DUPLICATE_JOB_ID, f"job id '{job_id}' is already used; give another one")
            if len(self._waiting) >= self.limit:
                raise DaemonError(Code.QUEUE_FULL, f"queue full ({self.limit} jobs waiting, jobs.queue_length); "
                                  "try again when one has finished")
            job = Job(job_id, spec)
            self.journal.record(job_id, JobState.QUEUED, spec=_spec_record(spec))
            self._jobs[job_id] = job
            if announce is not None:
                announce(job)
            self._waiting.append(job)
            self._cond.notify()
        return job

    def cancel(self, job_id: str, by: tuple[str, int] | None = None) -> Job:
        """Cancel a waiting job at once, or ask a running one to stop (its worker finishes the cancel)."""
        with self._cond:
            job = self.get(job_id)
            if job.finished:
                raise DaemonError(Code.JOB_FINISHED, f"job '{job_id}' has already finished ({job.state})")
            job.cancelled_by = by
            job.cancel_requested.set()
            if job.state is JobState.QUEUED:
                self._waiting.remove(job)
                self._set(job, JobState.CANCELLED, message="cancelled before it started")
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise DaemonError(Code.UNKNOWN_JOB, f"no job '{job_id}'; /stito/status lists the known jobs")
        return job

    def snapshot(self) -> list[Job]:
        """Every known job, oldest first."""
        with self._cond:
            return list(self._jobs.values())

    def unfinished(self) -> list[Job]:
        with self._cond:
            return [j for j in self._jobs.values() if not j.finished]

    # --- workers --------------------------------------------------------------------------------
    def take(self, timeout: float | None = None) -> Job | None:
        """The next waiting job, now running; None when the queue is closed or ``timeout`` passes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._waiting and not self._closed:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._cond.wait(left)
            if self._closed:
                return None
            job = self._waiting.popleft()
            self._set(job, JobState.RUNNING)
            return job

    def finish(self, job: Job, state: JobState, **fields: Any) -> None:
        """Record the end of a running job (done, failed or cancelled)."""
        with self._cond:
            self._set(job, state, **fields)
            self._prune()

    def requeue(self, job: Job, note: str) -> None:
        """Put an interrupted job back: it runs again at the next start (or next, if still open)."""
        with self._cond:
            self._set(job, JobState.QUEUED, note=note)
            job.iteration, job.best_similarity = 0, math.nan
            if not self._closed:
                self._waiting.appendleft(job)
                self._cond.notify()

    def close(self) -> None:
        """Take no more jobs and hand none out; waiting workers return."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    # --- internals ------------------------------------------------------------------------------
    def _set(self, job: Job, state: JobState, **fields: Any) -> None:
        """Journal first, then change the job."""
        self.journal.record(job.id, state, **fields)
        job.state = state
        job.message = fields.get("message", job.message)
        job.code = fields.get("code", job.code)
        if "similarity" in fields:
            job.similarity = fields["similarity"]

    def _prune(self) -> None:
        """Forget the oldest finished jobs beyond ``history``."""
        finished = [j for j in self._jobs.values() if j.finished]
        for job in finished[: max(0, len(finished) - self.history)]:
            del self._jobs[job.id]


def _spec_record(spec: JobSpec) -> dict[str, Any]:
    record = asdict(spec)
    record["reply_to"] = list(spec.reply_to) if spec.reply_to else None
    return record
