"""daw_scripts/stito_send.py, the sender REAPER runs with ExecProcess: against a real daemon (tiny matches),
with push-back to a stand-in host, without a daemon, and in --via cli mode with a stand-in `stito`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from bridge.daemon.service import Service
from stito_core.encoders import load_encoder
from tests.bridge.fakes import Host, audio_files, free_port, make_config, tiny_chain

SENDER = Path(__file__).resolve().parents[2] / "daw_scripts" / "stito_send.py"


def load_sender():
    spec = importlib.util.spec_from_file_location("stito_send", SENDER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sender = load_sender()


def read_status(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


HOST_PROFILE = """description = "stand-in host"
transport = "osc"
pace_ms = 0
[osc]
host = "127.0.0.1"
port = {port}
address = "/p/{{param}}"
args = ["value"]
types = "f"
[target]
value = "normalized"
[chains.tiny]
"""


@pytest.fixture
def daemon(tmp_path):
    """A running daemon with a user profile 'fakehost' that pushes to a stand-in host."""
    host = Host()
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "fakehost.toml").write_text(HOST_PROFILE.format(port=host.port), encoding="utf-8")
    config = make_config(tmp_path, push={"profiles_dir": str(profiles)})
    with Service(config, encoder=load_encoder("mfcc")) as service:
        yield service, host
    host.close()


def match_args(tmp_path: Path, port: int, *extra: str) -> list[str]:
    inp, ref = audio_files(tmp_path)
    return ["match", str(inp), str(ref), "--chain", str(tiny_chain(tmp_path)), "--port", str(port),
            "--status", str(tmp_path / "job.status"), "--timeout", "120", *extra]


def test_a_job_through_the_daemon_ends_done_with_its_files(tmp_path, daemon):
    service, host = daemon
    code = sender.main(match_args(tmp_path, service.address[1], "--job", "r1", "--profile", "none"))
    status = read_status(tmp_path / "job.status")
    assert code == 0 and status["state"] == "done" and status["job"] == "r1"
    assert Path(status["params"]).is_file() and Path(status["output"]).is_file()
    assert 0 < float(status["similarity"]) <= 1 and "pushed" not in status
    assert host.messages == []


def test_the_push_back_is_reported(tmp_path, daemon):
    service, host = daemon
    code = sender.main(match_args(tmp_path, service.address[1], "--job", "r2", "--profile", "fakehost"))
    status = read_status(tmp_path / "job.status")
    assert code == 0 and status["pushed"] == "2"
    host.wait_for(lambda m: m.address.startswith("/p/"), count=2)


def test_a_refused_job_is_an_error_with_the_daemons_code(tmp_path, daemon):
    service, _ = daemon
    args = match_args(tmp_path, service.address[1], "--job", "r3")
    args[1] = str(tmp_path / "missing.wav")
    assert sender.main(args) == 1
    status = read_status(tmp_path / "job.status")
    assert status["state"] == "error" and status["code"] == "200" and "missing.wav" in status["message"]


def test_no_daemon_is_said_plainly(tmp_path, monkeypatch):
    monkeypatch.setattr(sender, "ANSWER_S", 0.5)
    port = free_port()
    assert sender.main(match_args(tmp_path, port, "--job", "r4")) == 1
    status = read_status(tmp_path / "job.status")
    assert status["state"] == "error" and f"no answer from stito serve at 127.0.0.1:{port}" in status["message"]
    assert sender.main(["ping", "--port", str(port)]) == 1


def test_ping(daemon, capsys):
    service, _ = daemon
    assert sender.main(["ping", "--port", str(service.address[1])]) == 0
    assert capsys.readouterr().out.startswith("stito serve ")


FAKE_STITO = """import json, sys
from pathlib import Path
args = sys.argv[1:]
out = Path(args[args.index("-o") + 1])
if "fail" in args[1]:
    print("stito: error: " + args[1] + ": not audio", file=sys.stderr)
    sys.exit(2)
out.write_bytes(b"RIFF")
out.with_suffix(".json").write_text(json.dumps({"parameters": [], "argv": args}))
print("similarity 0.500 -> 0.875")
"""


def test_via_cli_runs_stito_match(tmp_path):
    fake = tmp_path / "fake_stito.py"
    fake.write_text(FAKE_STITO, encoding="utf-8")
    args = ["match", str(tmp_path / "vocal.wav"), str(tmp_path / "ref.wav"), "--via", "cli", "--job", "c1",
            "--chain", "zam", "--stito", f"{sys.executable} {fake}", "--out-dir", str(tmp_path),
            "--status", str(tmp_path / "job.status")]
    assert sender.main(args) == 0
    status = read_status(tmp_path / "job.status")
    assert status["state"] == "done" and status["similarity"] == "0.875"
    assert status["params"] == str(tmp_path / "vocal.c1.json") and Path(status["params"]).is_file()
    args[1] = str(tmp_path / "fail.wav")
    assert sender.main(args) == 1
    status = read_status(tmp_path / "job.status")
    assert status["state"] == "error" and status["code"] == "2" and status["message"].endswith("not audio")


def test_a_daemon_with_a_token_takes_the_senders_token_file_and_refuses_without(tmp_path, monkeypatch):
    token = "s3cret-token-0123456789"
    config = make_config(tmp_path, server={"token": token})
    monkeypatch.delenv("STITO_TOKEN", raising=False)
    with Service(config, encoder=load_encoder("mfcc")) as service:
        port = str(service.address[1])
        token_file = tmp_path / "token"
        token_file.write_text(token + "\n", encoding="utf-8")
        assert sender.main(["ping", "--port", port]) == 1  # no token: refused (105), no pong
        assert sender.main(["ping", "--port", port, "--token-file", str(token_file)]) == 0
        monkeypatch.setenv("STITO_TOKEN", token)
        assert sender.main(match_args(tmp_path, service.address[1], "--job", "t1", "--profile", "none")) == 0
    status = read_status(tmp_path / "job.status")
    assert status["state"] == "done" and Path(status["output"]).is_file()
    assert sender.main(["ping", "--token-file", str(tmp_path / "absent")]) == 2


def test_apply_renders_a_done_match_through_the_daemon_and_the_real_cli(tmp_path, daemon):
    """``apply`` sends /stito/apply (via osc) or runs the real ``stito apply`` (via cli): both end done
    with a parameter file at the asked amount; a bad amount fails with the daemon's code."""
    import json

    service, _ = daemon
    assert sender.main(match_args(tmp_path, service.address[1], "--job", "m1", "--profile", "none")) == 0
    match_file = read_status(tmp_path / "job.status")["params"]
    inp = tmp_path / "input.wav"
    common = ["--status", str(tmp_path / "apply.status"), "--timeout", "120", "--profile", "none"]
    assert sender.main(["apply", match_file, str(inp), "--amount", "0.5", "--job", "a1",
                        "--port", str(service.address[1]), *common]) == 0
    status = read_status(tmp_path / "apply.status")
    assert status["state"] == "done" and json.loads(Path(status["params"]).read_text())["amount"] == 0.5
    assert sender.main(["apply", match_file, str(inp), "--amount", "2", "--job", "a2",
                        "--port", str(service.address[1]), *common]) == 1
    assert read_status(tmp_path / "apply.status")["code"] == "104"
    stito = f"{sys.executable} -m bridge.cli.main"
    assert sender.main(["apply", match_file, str(inp), "--amount", "0.25", "--job", "c2", "--via", "cli", "--stito",
                        stito, "--out-dir", str(tmp_path), *common]) == 0
    status = read_status(tmp_path / "apply.status")
    assert status["params"] == str(tmp_path / "input.c2.json")
    assert json.loads(Path(status["params"]).read_text())["amount"] == 0.25
