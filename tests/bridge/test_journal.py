"""The job journal stays bounded while the daemon runs: compacted to every unfinished job and the last
``history`` finished ones once it has grown, with nothing accepted lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.daemon import journal as journal_module
from bridge.daemon.jobs import FINISHED, JobState
from bridge.daemon.journal import JOURNAL_NAME, Journal, replay


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_a_running_journal_is_compacted_to_the_kept_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal_module, "MIN_LINES", 12)
    journal = Journal(tmp_path / JOURNAL_NAME, 3, FINISHED)
    assert journal.open() == {}
    journal.record("waiting", JobState.QUEUED, spec={"input": "a.wav"})
    most = 0
    for number in range(40):
        for state in (JobState.QUEUED, JobState.RUNNING, JobState.DONE):
            journal.record(f"job{number}", state, **({"spec": {"input": f"{number}.wav"}} if state == "queued" else {}))
            most = max(most, _lines(journal.path))
    journal.close()
    # 121 changes written; the file never holds more than GROWTH x the kept jobs (3 finished, 1 waiting,
    # the one being written)
    assert most <= journal_module.GROWTH * (3 + 2), most
    records = replay(journal.path)
    assert list(records)[0] == "waiting" and records["waiting"]["spec"] == {"input": "a.wav"}
    kept = [k for k, r in records.items() if r["state"] == "done"]
    assert kept[-1] == "job39" and 1 <= len(kept) <= 3 + 3  # the last history, plus those since
    assert records["job39"]["spec"] == {"input": "39.wav"}


def test_opening_compacts_and_returns_the_jobs(tmp_path: Path) -> None:
    path = tmp_path / JOURNAL_NAME
    first = Journal(path, 1, FINISHED)
    first.open()
    for job in ("a", "b", "c"):
        first.record(job, JobState.QUEUED, spec={})
        first.record(job, JobState.DONE)
    first.close()
    assert _lines(path) == 6
    records = Journal(path, 1, FINISHED).open()
    assert list(records) == ["c"] and _lines(path) == 1
