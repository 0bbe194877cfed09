"""Workers: threads that take jobs from the queue and run ``stito_core.match_audio`` on them.

Progress goes out as ``/stito/progress`` after every CMA-ES generation. The engine polls ``cancelled``
before each generation and between the blocks of the final full-length render, so a cancel, the per-job
time limit or a shutdown stops a job within one generation or one block (about 0.7 s of audio). A job stopped by shutdown goes back to the queue and runs again at the next start.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from stito_core.audio_io import write_text_atomic
from stito_core.errors import AudioError, CancelledError, StitoError
from stito_core.match import MatchResult, Progress, match_audio
from stito_core.param_file import save_applied, save_match
from stito_core.picture import draw_report
from stito_core.report import report_lines
from stito_core.saved import load_saved

from ..codes import Code, DaemonError
from .context import Daemon
from .inputs import check_audio_file, check_references
from .jobs import Job, JobQueue, JobState


log = logging.getLogger("stito.daemon.worker")

class Workers:
    """``count`` threads over ``service.queue``; :meth:`stop` lets running jobs finish for ``grace_s``
    seconds, then cancels them (they are requeued)."""

    def __init__(self, service: Daemon, count: int) -> None:
        self.service, self.count = service, count
        self.queue: JobQueue = service.queue
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._running: set[str] = set()
        self._idle = threading.Condition()

    def start(self) -> None:
        for n in range(self.count):
            thread = threading.Thread(target=self._loop, name=f"stito-worker-{n + 1}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, grace_s: float) -> None:
        self.queue.close()
        with self._idle:
            if self._running and grace_s > 0:
                log.info("waiting up to %.0f s for %d running job(s)", grace_s, len(self._running))
                self._idle.wait_for(lambda: not self._running, timeout=grace_s)
        self.stopping.set()
        for thread in self._threads:
            thread.join()

    def _loop(self) -> None:
        while (job := self.queue.take()) is not None:
            with self._idle:
                self._running.add(job.id)
            try:
                JobRun(self.service, job, self.stopping).run()
            except Exception:  # e.g. the journal's disk is full: log it and keep the worker alive
                log.exception("job %s: could not record its end", job.id)
            finally:
                with self._idle:
                    self._running.discard(job.id)
                    self._idle.notify_all()

class JobRun:
    """One run of one job: check inputs, search, write results, report, push the parameters."""

    def __init__(self, service: Daemon, job: Job, stopping: threading.Event) -> None:
        self.service, self.job, self.stopping = service, job, stopping
        self.deadline = time.monotonic() + service.config.jobs["time_limit_s"]
        self.reply = job.spec.reply_to

    def run(self) -> None:
        job, spec = self.job, self.job.spec
        log.info("job %s: matching %s to %s (chain %s)", job.id, spec.input, spec.reference, spec.chain)
        try:
            if spec.apply:
                self._apply()
            else:
                result, chain = self._search()
                self._save(result, chain)
        except CancelledError:
            self._stopped()
        except DaemonError as exc:
            self._fail(exc.code, str(exc))
        except StitoError as exc:
            self._fail(Code.WRITE_FAILED if isinstance(exc, AudioError) else Code.MATCH_FAILED, str(exc))
        except Exception as exc:  # a bug must fail the job, not the worker
            log.exception("job %s failed", job.id)
            self._fail(Code.INTERNAL, f"internal error ({type(exc).__name__}: {exc}); see the daemon's log")

    def _search(self) -> tuple[MatchResult, Any]:
        spec, limit = self.job.spec, self.service.config.jobs["max_duration_s"]
        _remove_stale_temporaries(spec)
        source, references = check_audio_file(spec.input, limit), check_references(spec.reference, limit)
        chain = self.service.config.chain(spec.chain)
        objective = self.service.encoder
        if spec.groups:  # checked at acceptance: the daemon's metric can count groups
            objective = objective.counting(spec.groups)
        result = match_audio(source, references, chain, objective, progress=self._progress,
                             cancelled=self._cancelled, amount=spec.amount, **spec.search)
        self._heard = {"input": source, "reference": references[0]}
        return result, chain

    def _apply(self) -> None:
        """``/stito/apply``: the saved match rendered onto the input at the job's amount, no search; its
        chain is loaded from the allowed places only."""
        spec = self.job.spec
        _remove_stale_temporaries(spec)
        source = check_audio_file(spec.input, self.service.config.jobs["max_duration_s"])
        saved = load_saved(Path(spec.apply), load=self.service.config.chain)
        if self._cancelled():
            raise CancelledError("apply cancelled before its render")
        audio = saved.render(source.stereo(), spec.amount)
        log.debug("job %s: writing %s and %s", self.job.id, spec.output, spec.params)
        save_applied(saved, audio, spec.amount, spec.input, Path(spec.output), Path(spec.params), overwrite=True)
        similarity = float(saved.record.get("similarity_after", -1.0)) if spec.amount == 1.0 else -1.0
        self._finished(saved.chain, saved.describe(spec.amount), similarity, f"applied {spec.apply}")

    def _progress(self, progress: Progress) -> None:
        """A generation goes out as ``/stito/progress``; the final render's blocks are only logged."""
        if progress.stage == "render":
            log.debug("job %s: rendered %.0f %% of the result", self.job.id, 100 * progress.rendered)
            return
        self.job.iteration, self.job.best_similarity = progress.iteration, progress.best_similarity
        self.service.endpoint.send(self.reply, "/stito/progress", self.job.id, progress.iteration,
                                   float(progress.best_similarity))

    def _cancelled(self) -> bool:
        return self.job.cancel_requested.is_set() or self.stopping.is_set() or time.monotonic() > self.deadline

    def _save(self, result: MatchResult, chain: Any) -> None:
        """Results first (temporary names, then renames), then the journal, then the replies."""
        spec, job = self.job.spec, self.job
        log.debug("job %s: writing %s and %s", job.id, spec.output, spec.params)
        save_match(result, chain.name, spec.input, spec.reference, Path(spec.output), Path(spec.params),
                   overwrite=True, chain_file=chain.path)
        report = self._report(result) if self.service.config.jobs["report"] else None
        self._finished(chain, result.parameters, float(result.similarity_after),
                       f"similarity {result.similarity_before:.3f} -> {result.similarity_after:.3f}", report)

    def _report(self, result: MatchResult) -> str | None:
        """The report picture beside the results (``jobs.report``); a failure to draw it is logged, and the
        match stays done."""
        path = _report_path(self.job.spec)
        try:
            draw_report(path, {**self._heard, "result": result.audio}, report_lines(result.report), overwrite=True)
        except StitoError as exc:
            log.warning("job %s: no report picture: %s", self.job.id, exc)
            return None
        return str(path)

    def _finished(self, chain: Any, rows: list[dict[str, Any]], similarity: float, what: str,
                  report: str | None = None) -> None:
        """The results are written: the journal, ``/stito/done`` (with the report picture's path when one
        was drawn), then the push-back of ``rows``."""
        spec, job = self.job.spec, self.job
        if spec.error_file:
            Path(spec.error_file).unlink(missing_ok=True)
        self.service.queue.finish(job, JobState.DONE, similarity=round(similarity, 6), output=spec.output,
                                  params=spec.params)
        self.service.endpoint.send(self.reply, "/stito/done", job.id, spec.output, spec.params, similarity,
                                   *([report] if report else []))
        if job.cancelled_by is not None:  # the cancel came while the results were being written
            self.service.endpoint.error(job.cancelled_by, job.id, f"job '{job.id}' finished before it could be "
                                        "cancelled", Code.JOB_FINISHED)
        log.info("job %s: done, %s, wrote %s", job.id, what, spec.output)
        if spec.daw:
            self._push(chain, rows)

    def _push(self, chain: Any, rows: list[dict[str, Any]]) -> None:
        """Push-back after done: a failure is reported, never turns the done job into a failed one."""
        try:
            self.service.push(self.job, self.job.spec.daw, chain, rows, self.reply)
        except DaemonError as exc:
            log.warning("job %s: push-back through %s failed: %s", self.job.id, self.job.spec.daw, exc)
            self.service.endpoint.error(self.reply, self.job.id, str(exc), exc.code)
        except Exception as exc:
            log.exception("job %s: push-back through %s failed", self.job.id, self.job.spec.daw)
            self.service.endpoint.error(self.reply, self.job.id, f"push-back failed ({type(exc).__name__}: {exc})",
                                        Code.PUSH_FAILED)

    def _stopped(self) -> None:
        """The search was stopped from outside: tell cancel, time limit and shutdown apart."""
        job = self.job
        if job.cancel_requested.is_set():
            self.service.queue.finish(job, JobState.CANCELLED, message=f"cancelled at generation {job.iteration}")
            self.service.tell_cancelled(job)
        elif time.monotonic() > self.deadline:
            limit = self.service.config.jobs["time_limit_s"]
            self._fail(Code.TIME_LIMIT, f"stopped after {limit:g} s (jobs.time_limit_s) at generation {job.iteration}")
        else:
            self.service.queue.requeue(job, note="interrupted by shutdown")
            self.service.endpoint.error(self.reply, job.id, "the daemon stopped during this job; it runs again "
                                        "when the daemon restarts", Code.INTERRUPTED)
            log.info("job %s: interrupted by shutdown; it runs again at the next start", job.id)

    def _fail(self, code: Code, message: str) -> None:
        """A watch job's reason goes to ``<name>.error.txt`` first; then the journal, then the reply."""
        job = self.job
        log.warning("job %s failed: %s", job.id, message)
        if job.spec.error_file:
            _write_error_file(Path(job.spec.error_file), job, message, code)
        self.service.queue.finish(job, JobState.FAILED, message=message, code=int(code))
        self.service.endpoint.error(self.reply, job.id, message, code)

def _write_error_file(path: Path, job: Job, message: str, code: Code) -> None:
    try:
        write_text_atomic(path, f"{message}\n(code {int(code)} {code.name}; job {job.id}; input {job.spec.input})\n",
                          overwrite=True)
    except StitoError as exc:
        log.error("job %s: cannot write %s: %s", job.id, path, exc)

def _report_path(spec: Any) -> Path:
    """Where a job's report picture goes: beside its output, ``<output stem>.png``."""
    return Path(spec.output).with_suffix(".png")


def _remove_stale_temporaries(spec: Any) -> None:
    """Temporary files a crash left beside this job's results (``.<name>.<hex>.tmp``)."""
    for target in filter(None, (spec.output, spec.params, spec.error_file, _report_path(spec))):
        path = Path(target)
        for tmp in path.parent.glob(f".{path.name}.*.tmp"):
            tmp.unlink(missing_ok=True)

