"""Durability: the journal keeps every accepted job across a shutdown, SIGTERM or crash; finished jobs are
never re-run; no partial result file is left behind."""

from __future__ import annotations

import contextlib
import json
import resource
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import soundfile as sf

from bridge.daemon.journal import JOURNAL_NAME, replay
from bridge.daemon.service import Service
from stito_core.encoders import load_encoder
from tests.helpers import music, write
from tests.bridge.fakes import RATE, Client, Received, audio_files, free_port, long_files, make_config, tiny_chain

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("mfcc")


def slow_config(tmp_path, **jobs):
    return make_config(tmp_path, search={"popsize": 8, "max_iter": 12, "min_gain": 0.0, "excerpt_s": 3.0}, jobs=jobs)


def journal_states(state_dir: Path, job_id: str) -> list[str]:
    lines = (state_dir / JOURNAL_NAME).read_text().splitlines()
    return [e["state"] for e in map(json.loads, lines) if e["job"] == job_id]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.tmp"))


def test_shutdown_mid_job_requeues_it_and_a_restart_finishes_it_once(tmp_path, encoder):
    inp, ref = long_files(tmp_path, RATE)
    config = slow_config(tmp_path)
    client = Client()  # replies reach it wherever the daemon listens
    with Service(config, encoder=encoder) as first:
        client.target = first.address
        client.send("/stito/match", str(inp), str(ref), str(tiny_chain(tmp_path)), "survivor")
        client.wait_for("/stito/progress")
    interrupted = client.wait_for("/stito/error")[0]
    assert interrupted.args[0] == "survivor" and interrupted.args[2] == 305  # INTERRUPTED
    assert not inp.with_name("long_in.matched.wav").exists() and leftovers(tmp_path) == []
    assert journal_states(tmp_path / "state", "survivor")[-1] == "queued"

    with Service(config, encoder=encoder) as second:
        client.target = second.address
        done = client.wait_for("/stito/done", timeout=60)[0]
        assert done.args[:2] == ("survivor", str(inp.with_name("long_in.matched.wav")))
    with Service(config, encoder=encoder) as third:  # a finished job is never run again
        client.target = third.address
        assert client.ask("/stito/status", reply="/stito/status").args == (1,)
        time.sleep(0.3)
    assert [m.args[0] for m in client.of("/stito/done")] == ["survivor"]
    assert client.of("/stito/job")[-1].args == ("survivor", "done")
    assert sorted(p.name for p in tmp_path.glob("long_in.matched*")) == ["long_in.matched.json", "long_in.matched.wav"]
    client.close()


def test_a_grace_period_lets_a_running_job_finish(tmp_path, encoder):
    inp, ref = long_files(tmp_path, RATE)
    config = make_config(tmp_path, search={"popsize": 8, "max_iter": 4, "min_gain": 0.0, "excerpt_s": 3.0},
                         jobs={"shutdown_grace_s": 60})
    client = Client()
    with Service(config, encoder=encoder) as service:
        client.target = service.address
        client.send("/stito/match", str(inp), str(ref), str(tiny_chain(tmp_path)), "graceful")
        client.wait_for("/stito/progress")
    # the reply was sent before the service stopped; its delivery to the client's socket is asynchronous
    assert client.wait_for("/stito/done")[0].args[0] == "graceful" and client.of("/stito/error") == []
    assert journal_states(tmp_path / "state", "graceful")[-1] == "done"
    client.close()


def test_a_torn_journal_line_is_skipped_and_finished_jobs_stay_finished(tmp_path, encoder):
    inp, ref, chain = *audio_files(tmp_path), tiny_chain(tmp_path)
    config = make_config(tmp_path)
    with Service(config, encoder=encoder) as first:
        client = Client(first.address)
        client.send("/stito/match", str(inp), str(ref), str(chain), "kept")
        client.wait_for("/stito/done")
        client.close()
    journal = tmp_path / "state" / JOURNAL_NAME
    with open(journal, "a") as handle:
        handle.write('{"t": 1, "job": "torn", "sta')  # a crash in the middle of a write
    assert list(replay(journal)) == ["kept"]
    with Service(config, encoder=encoder) as second:
        client = Client(second.address)
        assert client.ask("/stito/status", reply="/stito/status").args == (1,)
        assert client.of("/stito/job")[0].args == ("kept", "done")
        client.close()


def test_two_daemons_cannot_share_a_journal(tmp_path, encoder):
    config = make_config(tmp_path)
    with Service(config, encoder=encoder):
        with pytest.raises(Exception, match="another stito serve uses this state folder"):
            Service(config, encoder=encoder).start()


def _serve(config: Path, log: Path, preexec: Callable[[], None] | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "bridge.cli.main", "serve", "--config", str(config)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=open(log, "a"),  # noqa: SIM115
                            preexec_fn=preexec)


def _wait_ready(client: Client, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the daemon exited during start-up"
        client.send("/stito/ping")
        try:
            client.wait_for("/stito/pong", timeout=0.5, count=len(client.of("/stito/pong")) + 1)
            return
        except AssertionError:
            continue
    raise AssertionError("the daemon did not answer /stito/ping")


#: The search of the subprocess daemons: slow enough to be caught searching.
SLOW_SEARCH = "popsize = 8\nmax_iter = 12\nmin_gain = 0.0\nexcerpt_s = 3.0"
#: A search that is over quickly, so that the final render and the result write are a large part of a job.
QUICK_SEARCH = "popsize = 4\nmax_iter = 1\nexcerpt_s = 1.0"


def _config_file(folder: Path, port: int, search: str = SLOW_SEARCH) -> Path:
    """A ``stito serve`` configuration, its state and chains in ``folder``, logging at debug level."""
    config = folder / "stito.toml"
    config.write_text(f"""
[server]
port = {port}
chain_folders = ["."]
[jobs]
state_dir = "state"
[jobs.search]
{search}
[encoder]
name = "mfcc"
[logging]
level = "debug"
""")
    return config


@dataclass
class _Serving:
    """A ``stito serve`` subprocess on its own port with its client; ``restart`` starts it again."""

    config: Path
    log: Path
    client: Client
    preexec: Callable[[], None] | None = None
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def daemon(self) -> subprocess.Popen:
        return self.processes[-1]

    def restart(self) -> None:
        self.processes.append(_serve(self.config, self.log, self.preexec))


@contextlib.contextmanager
def _serving(folder: Path, preexec: Callable[[], None] | None = None, search: str = SLOW_SEARCH) -> Iterator[_Serving]:
    """The daemon running on ``folder``'s configuration, answering pings; at the end it must stop on
    SIGINT with exit 0, and anything still running is killed."""
    port = free_port()
    serving = _Serving(_config_file(folder, port, search), folder / "serve.log", Client(("127.0.0.1", port)),
                       preexec)
    serving.restart()
    try:
        _wait_ready(serving.client, serving.daemon)
        yield serving
        _wait_ready(serving.client, serving.daemon)
        serving.daemon.send_signal(signal.SIGINT)
        assert serving.daemon.wait(timeout=30) == 0
    finally:
        for process in serving.processes:
            if process.poll() is None:
                process.kill()
        serving.client.close()


def test_sigterm_during_a_job_then_restart_loses_nothing_and_leaves_no_partial_file(tmp_path):
    inp, ref = long_files(tmp_path, RATE)
    chain = tiny_chain(tmp_path)
    with _serving(tmp_path) as serving:
        client = serving.client
        client.send("/stito/match", str(inp), str(ref), str(chain), "sigterm-job")
        client.wait_for("/stito/progress", timeout=30)
        serving.daemon.send_signal(signal.SIGTERM)
        assert serving.daemon.wait(timeout=30) == 0
        assert client.wait_for("/stito/error")[0].args[2] == 305  # told: it runs again after a restart
        assert not inp.with_name("long_in.matched.wav").exists() and leftovers(tmp_path) == []

        serving.restart()
        done = client.wait_for("/stito/done", timeout=60)[0]  # the restarted daemon resumes the job
        assert done.args[0] == "sigterm-job"
        _wait_ready(client, serving.daemon)
        assert client.ask("/stito/status", reply="/stito/status").args == (1,)
    assert journal_states(tmp_path / "state", "sigterm-job")[-2:] == ["running", "done"]
    assert len(client.of("/stito/done")) == 1 and leftovers(tmp_path) == []
    assert "taking back 1 unfinished job" in serving.log.read_text()


@pytest.mark.parametrize("moment", ["accepted", "searching"])
def test_sigkill_at_any_moment_then_restart_finishes_the_job_once(tmp_path, moment):
    """No chance to clean up: killed right after /stito/accepted or during the search, the restarted
    daemon reads the journal, runs the job once and leaves no partial or temporary file."""
    inp, ref = long_files(tmp_path, RATE)
    chain = tiny_chain(tmp_path)
    with _serving(tmp_path) as serving:
        client = serving.client
        client.ask("/stito/match", str(inp), str(ref), str(chain), "killed", reply="/stito/accepted")
        if moment == "searching":
            client.wait_for("/stito/progress", timeout=30)
        serving.daemon.kill()
        serving.daemon.wait(timeout=30)
        assert not inp.with_name("long_in.matched.wav").exists()
        assert journal_states(tmp_path / "state", "killed")[0] == "queued"
        serving.restart()
        assert client.wait_for("/stito/done", timeout=90)[0].args[0] == "killed"
    assert journal_states(tmp_path / "state", "killed")[-1] == "done"
    assert len(client.of("/stito/done")) == 1 and leftovers(tmp_path) == []
    assert inp.with_name("long_in.matched.wav").exists()


#: Where the fault test kills the daemon, in turn: as a log line says the final render or the result write
#: began, or after a random delay into the job (up to ``JOB_S`` seconds).
KILL_POINTS = ("rendered", "writing", "random", "random")
JOB_S = 0.8


def _wait_log(log: Path, offset: int, text: str, timeout: float = 60) -> None:
    """Until ``text`` appears in ``log`` after byte ``offset``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log, "rb") as handle:
            handle.seek(offset)
            if text.encode() in handle.read():
                return
        time.sleep(0.002)
    raise AssertionError(f"the daemon never logged {text!r}")


def _state(client: Client, job: str) -> Received:
    return client.ask("/stito/info", job, reply="/stito/info")


def _assert_results_whole(folder: Path, frames: int) -> None:
    """Every result under a final name is complete: audio of the input's length, a parameter file that parses."""
    for audio in folder.glob("take.matched*.wav"):
        assert sf.info(str(audio)).frames == frames, f"{audio.name} is truncated"
    for params in folder.glob("take.matched*.json"):
        assert json.loads(params.read_text())["parameters"], f"{params.name} is incomplete"


def test_sigkill_at_twenty_moments_keeps_every_invariant(tmp_path):
    """20 short jobs, the daemon SIGKILLed in each (during the final render, during the result write, or at
    a random moment) and started again: the journal stays readable, no truncated result ever sits under a
    final name, every accepted job ends done exactly once (never lost, never run again once done), and no
    temporary file is left."""
    rng = random.Random(20)
    take = write(tmp_path / "take.wav", music(12.0, RATE, seed=6), RATE)
    _, ref = long_files(tmp_path, RATE)  # a squashed reference: the compressor comes on and renders
    chain, frames = tiny_chain(tmp_path), sf.info(str(take)).frames
    with _serving(tmp_path, search=QUICK_SEARCH) as serving:
        client = serving.client
        for run in range(20):
            job, point, offset = f"k{run}", KILL_POINTS[run % len(KILL_POINTS)], serving.log.stat().st_size
            client.ask("/stito/match", str(take), str(ref), str(chain), job, reply="/stito/accepted")
            if point == "random":
                time.sleep(rng.uniform(0, JOB_S))
            else:
                _wait_log(serving.log, offset, f"job {job}: {point}")
            serving.daemon.kill()
            serving.daemon.wait(timeout=30)
            assert job in replay(tmp_path / "state" / JOURNAL_NAME), "an accepted job is missing from the journal"
            _assert_results_whole(tmp_path, frames)
            serving.restart()
            _wait_ready(client, serving.daemon)
            deadline = time.monotonic() + 60
            while (info := _state(client, job)).args[1] != "done":
                assert info.args[1] in ("queued", "running") and time.monotonic() < deadline, info.args
                time.sleep(0.1)
            assert sf.info(info.args[4]).frames == frames
    log = serving.log.read_text()
    for run in range(20):
        runs = re.findall(rf"job k{run}: (matching|done)", log)
        assert "done" not in runs[:-1], f"job k{run} ran again after it was done: {runs}"
    finished = {e["job"]: e for e in map(json.loads, (tmp_path / "state" / JOURNAL_NAME).read_text().splitlines())
                if e.get("state") == "done"}
    assert sorted(finished) == sorted(f"k{run}" for run in range(20))
    _assert_results_whole(tmp_path, frames)
    assert leftovers(tmp_path) == []


#: Largest file the daemon may write in the full-disk test: a 1 s result fits, a 3 s one does not.
FILE_LIMIT = 160_000


def _full_disk() -> None:
    """In the daemon's process: files cannot grow past ``FILE_LIMIT`` (writes fail with EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))


def test_a_full_disk_fails_the_job_with_a_code_and_the_daemon_keeps_serving(tmp_path):
    small = write(tmp_path / "small.wav", music(1.0, RATE, seed=5), RATE)
    big, ref = long_files(tmp_path, RATE)
    chain = tiny_chain(tmp_path)
    with _serving(tmp_path, _full_disk) as serving:
        client = serving.client
        client.send("/stito/match", str(small), str(ref), str(chain), "fits")
        client.wait_for("/stito/done", timeout=60)
        kept = small.with_name("small.matched.wav")
        size = kept.stat().st_size
        client.send("/stito/match", str(big), str(ref), str(chain), "too-big")
        failed = client.wait_for(lambda m: m.address == "/stito/error" and m.args[0] == "too-big", timeout=60)[0]
        assert failed.args[2] == 402 and "cannot write" in failed.args[1]
        assert not big.with_name("long_in.matched.wav").exists() and leftovers(tmp_path) == []
        assert kept.stat().st_size == size  # the earlier result is intact
        assert serving.daemon.poll() is None  # and the daemon still serves (pinged on the way out)
    assert journal_states(tmp_path / "state", "too-big")[-1] == "failed"
