"""Watch folders: a bounce written slowly is matched once, after its last chunk; results land in matched/,
errors in <name>.error.txt; sources are never touched; a restart resumes and never duplicates."""

from __future__ import annotations

import hashlib
import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bridge.daemon.journal import JOURNAL_NAME
from bridge.daemon.service import Service
from stito_core.encoders import load_encoder
from tests.bridge.fakes import RATE, Client, make_config, tiny_chain
from tests.helpers import music, write

SETTLE_S = 0.4


@pytest.fixture(scope="module")
def encoder():
    return load_encoder("mfcc")


@pytest.fixture
def folder(tmp_path):
    """A watched folder with its reference.wav, and the tiny chain beside it."""
    path = tmp_path / "bounces"
    path.mkdir()
    write(path / "reference.wav", music(1.5, RATE, seed=2) * 0.5, RATE)
    return path


def watch_config(tmp_path, folder, client_port, search=None, jobs=None, encoder="mfcc", **watch):
    return make_config(tmp_path, search=search, jobs=jobs, encoder=encoder,
                       server={"reply_host": "127.0.0.1", "reply_port": client_port},
                       watch=[{"path": str(folder), "chain": str(tiny_chain(tmp_path)), "settle_s": SETTLE_S,
                               "give_up_s": 5.0, **watch}])


def wav_bytes(seconds=1.5, seed=1) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, music(seconds, RATE, seed=seed).T, RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def jobs_for(state: Path, source: Path) -> list[str]:
    entries = [json.loads(line) for line in (state / JOURNAL_NAME).read_text().splitlines()]
    return sorted({e["job"] for e in entries if e.get("spec", {}).get("input") == str(source)})


def test_a_slowly_written_bounce_is_matched_once_after_its_last_chunk(tmp_path, folder, encoder):
    client = Client()
    data = wav_bytes()
    chunks = [data[i:i + 12000] for i in range(0, len(data), 12000)]
    bounce = folder / "take.wav"
    with Service(watch_config(tmp_path, folder, client.port), encoder=encoder):
        with open(bounce, "wb") as handle:
            for n, chunk in enumerate(chunks):
                handle.write(chunk)
                handle.flush()
                # mostly short gaps; one longer than settle_s: the size is stable but the audio is not complete
                time.sleep(2.5 * SETTLE_S if n == 1 else 0.1)
        last_chunk = time.monotonic()
        done = client.wait_for("/stito/done")[0]
        time.sleep(3 * SETTLE_S)  # nothing more may start
    progress = client.of("/stito/progress")
    assert progress and progress[0].at > last_chunk
    assert len(client.of("/stito/done")) == 1 and done.args[1] == str(folder / "matched" / "take.wav")
    assert len(jobs_for(tmp_path / "state", bounce)) == 1
    assert sf.info(done.args[1]).duration == pytest.approx(1.5, abs=0.01)
    assert bounce.read_bytes() == data  # the source is untouched
    assert sorted(p.name for p in (folder / "matched").iterdir()) == ["take.json", "take.wav"]
    client.close()


def test_unusable_bounces_get_an_error_file_and_sources_stay(tmp_path, folder, encoder):
    client = Client()
    (folder / "notes.wav").write_text("not audio at all\n" * 50)
    write(folder / "silence.wav", np.zeros(RATE * 2, dtype=np.float32), RATE)
    write(folder / "huge.wav", music(4.0, RATE), RATE)
    before = {p.name: digest(p) for p in folder.iterdir() if p.is_file()}
    config = watch_config(tmp_path, folder, client.port, jobs={"max_duration_s": 3.0}, give_up_s=0.6)
    with Service(config, encoder=encoder):
        deadline = time.monotonic() + 15
        while len(list((folder / "matched").glob("*.error.txt"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    errors = {p.name: p.read_text() for p in (folder / "matched").glob("*.error.txt")}
    assert set(errors) == {"notes.error.txt", "silence.error.txt", "huge.error.txt"}
    assert "not an audio file" in errors["notes.error.txt"] and "silent" in errors["silence.error.txt"]
    assert "max_duration_s" in errors["huge.error.txt"]
    assert {p.name: digest(p) for p in folder.iterdir() if p.is_file()} == before
    assert client.of("/stito/accepted") == [] and client.of("/stito/done") == []
    client.close()


def test_start_picks_up_pending_bounces_only(tmp_path, folder, encoder):
    client = Client()
    write(folder / "old.wav", music(1.5, RATE, seed=5), RATE)
    write(folder / "new.wav", music(1.5, RATE, seed=6), RATE)
    write(folder / ".hidden.wav", music(1.5, RATE, seed=7), RATE)
    (folder / "matched").mkdir()
    time.sleep(0.02)
    (folder / "matched" / "old.json").write_text("{}")  # a finished result, newer than its source
    write(folder / "matched" / "inner.wav", music(1.5, RATE), RATE)  # matched/ is not watched
    with Service(watch_config(tmp_path, folder, client.port), encoder=encoder):
        client.wait_for("/stito/done")
        time.sleep(3 * SETTLE_S)
    assert [Path(m.args[1]).name for m in client.of("/stito/done")] == ["new.wav"]
    assert (folder / "matched" / "old.json").read_text() == "{}"
    client.close()


def test_restart_mid_job_resumes_without_duplicating_results(tmp_path, folder, encoder):
    client = Client()
    write(folder / "reference.wav", music(3.0, RATE, seed=2) * 0.5, RATE)
    bounce = write(folder / "verse.wav", music(3.0, RATE, seed=8), RATE)
    config = watch_config(tmp_path, folder, client.port,
                          search={"popsize": 8, "max_iter": 10, "min_gain": 0.0, "excerpt_s": 3.0})
    with Service(config, encoder=encoder):
        client.wait_for("/stito/progress")
    assert client.wait_for("/stito/error")[0].args[2] == 305  # interrupted, will run again
    assert not (folder / "matched" / "verse.wav").exists()
    with Service(config, encoder=encoder):
        client.wait_for("/stito/done", timeout=60)
    with Service(config, encoder=encoder):
        time.sleep(3 * SETTLE_S)
    assert len(client.of("/stito/done")) == 1
    assert len(jobs_for(tmp_path / "state", bounce)) == 1
    assert sorted(p.name for p in (folder / "matched").iterdir()) == ["verse.json", "verse.wav"]
    client.close()


def test_a_new_bounce_under_the_same_name_is_matched_again(tmp_path, folder, encoder):
    client = Client()
    bounce = write(folder / "mix.wav", music(1.5, RATE, seed=9), RATE)
    with Service(watch_config(tmp_path, folder, client.port), encoder=encoder):
        first = json.loads(Path(client.wait_for("/stito/done")[0].args[2]).read_text())
        time.sleep(0.05)
        write(bounce, music(1.5, RATE, seed=10), RATE)
        second = json.loads(Path(client.wait_for("/stito/done", count=2)[1].args[2]).read_text())
    assert first["input"] == second["input"] == str(bounce)
    assert len(jobs_for(tmp_path / "state", bounce)) == 2
    client.close()


def test_a_watch_folder_can_apply_a_saved_match_instead_of_searching(tmp_path, folder, encoder):
    """``apply`` names a saved match: each bounce gets its settings at ``amount``, without a search (no
    progress), and the folder needs no reference; a broken saved match is a configuration error."""
    from stito_core.chains import load_chain
    from stito_core.saved import load_saved

    from bridge.daemon.config import ConfigError
    from bridge.cli.main import main

    src = write(tmp_path / "src.wav", music(1.5, RATE, seed=1), RATE)
    assert main(["match", str(src), str(folder / "reference.wav"), "-c", str(tiny_chain(tmp_path)), "--encoder",
                 "mfcc", "--popsize", "8", "--max-iter", "2", "--quiet"]) == 0
    saved_file = tmp_path / "src.matched.json"
    (folder / "reference.wav").unlink()
    client = Client()
    with Service(watch_config(tmp_path, folder, client.port, apply=str(saved_file), amount=0.5), encoder=encoder):
        (folder / "take.wav").write_bytes(wav_bytes())
        done = client.wait_for("/stito/done")[0]
    assert client.of("/stito/progress") == []
    record = json.loads(Path(done.args[2]).read_text(encoding="utf-8"))
    assert record["amount"] == 0.5 and record["applied_from"] == str(saved_file)
    assert record["parameters"] == load_saved(saved_file).describe(0.5)
    assert load_chain(str(tiny_chain(tmp_path))).name == record["chain"]
    (tmp_path / "junk.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"watch\[1\]/apply: .*junk.json: not a stito parameter file"):
        watch_config(tmp_path, folder, client.port, apply=str(tmp_path / "junk.json"))
    client.close()


def test_an_applying_watch_runs_and_journals_the_saved_matchs_own_chain(tmp_path, folder):
    """The watch's ``chain`` (here the default builtin) gives way to the saved match's, so the journal,
    and /stito/push of such a job, name the chain the settings belong to."""
    from bridge.cli.main import main
    from stito_core.saved import load_saved

    src = write(tmp_path / "src.wav", music(1.5, RATE, seed=1), RATE)
    assert main(["match", str(src), str(folder / "reference.wav"), "-c", str(tiny_chain(tmp_path)), "--encoder",
                 "mfcc", "--popsize", "8", "--max-iter", "2", "--quiet"]) == 0
    saved = load_saved(tmp_path / "src.matched.json")
    config = watch_config(tmp_path, folder, 9, chain="builtin", apply=str(saved.path))
    assert config.watch[0].chain == saved.chain_source == str(tiny_chain(tmp_path))


def test_a_watch_folder_matches_only_its_attribute_groups(tmp_path, folder):
    """``match = "space"``: the watch's jobs count only space, so the chain's compressor (a dynamics
    effect) stays off; an unknown group, or groups with a metric that has none, is a configuration error."""
    from bridge.daemon.config import ConfigError
    from stito_core.objective import load_objective

    client = Client()
    with Service(watch_config(tmp_path, folder, client.port, encoder="attributes", match="space"),
                 encoder=load_objective("attributes")):
        (folder / "take.wav").write_bytes(wav_bytes())
        done = client.wait_for("/stito/done")[0]
    client.close()
    record = json.loads(Path(done.args[2]).read_text(encoding="utf-8"))
    assert [row["enabled"] for row in record["parameters"]] == [False, False]
    entries = [json.loads(line) for line in (tmp_path / "state" / JOURNAL_NAME).read_text().splitlines()]
    assert [e["spec"]["groups"] for e in entries if "spec" in e] == [["space"]]
    with pytest.raises(ConfigError, match=r"watch\[1\]/match: unknown attribute 'colour'"):
        watch_config(tmp_path, folder, 9, encoder="attributes", match="space,colour")
    with pytest.raises(ConfigError, match=r"watch\[1\]/match: choosing attributes needs encoder.name = "
                       r"\"attributes\", not 'mfcc'"):
        watch_config(tmp_path, folder, 9, match="space")
