"""The daemon's configuration: checked once, every problem named by its key; docs and example in step."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.codes import Code, MEANINGS
from bridge.daemon.config import DEFAULT_CONFIG, SCHEMA, ConfigError, check_config, load_config
from bridge.daemon.loadtest import run as load_run
from bridge.daemon.soak import run as soak_run

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "DAEMON.md").read_text(encoding="utf-8")


def errors_of(data: dict, tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        check_config(data, tmp_path / "stito.toml")
    return info.value.errors


def test_the_example_configuration_loads_with_the_contract_defaults():
    config = load_config(DEFAULT_CONFIG)
    assert (config.server["host"], config.server["port"]) == ("127.0.0.1", 9700)
    assert config.jobs["workers"] == 1 and config.reply_to is None and config.watch == ()


def test_every_problem_is_collected_and_named_by_its_key(tmp_path):
    (tmp_path / "bounces").mkdir()
    errors = errors_of({
        "server": {"port": 70000, "hots": "x", "reply_host": "127.0.0.1"},
        "jobs": {"queue_length": "many", "search": {"popsise": 4, "max_iter": 0}},
        "logging": {"level": "loud"},
        "watch": [{"path": "bounces", "chain": "bultin", "daw": "reapr"}, {"chain": "builtin"}],
        "extra": {},
    }, tmp_path)
    expected = [
        "extra: unknown key.",
        "server/hots: unknown key. Did you mean 'host'?",
        "server/port: 70000 is outside 0..65535",
        "jobs/queue_length: 'many' is not a whole number",
        "logging/level: 'loud' is not one of debug, info, warning, error",
        "jobs/search/popsise: unknown key. Did you mean 'popsize'?",
        "jobs/search/max_iter: 0 is outside 1..10000",
        "watch[2]/path: missing",
        "server/reply_port: reply_host and reply_port go together",
        "watch[1]/chain: unknown chain 'bultin'. Did you mean 'builtin'?",
        "watch[1]/daw: unknown DAW profile 'reapr'. Did you mean 'reaper'?",
    ]
    for text in expected:
        assert any(e.startswith(text) for e in errors), (text, errors)
    assert len(errors) == len(expected)


def test_paths_are_checked_and_relative_to_the_configuration(tmp_path):
    (tmp_path / "notes.wav").write_text("not audio")
    errors = errors_of({"watch": [{"path": "missing"}, {"path": ".", "reference": "notes.wav"}],
                        "jobs": {"output_folder": "nowhere"}}, tmp_path)
    assert any(e.startswith("watch[1]/path: folder ") and str(tmp_path / "missing") in e for e in errors)
    assert any(e.startswith("watch[2]/reference: ") and "not an audio file" in e for e in errors)
    assert any(e.startswith("jobs/output_folder: ") for e in errors)


def test_the_same_folder_cannot_be_watched_twice(tmp_path):
    errors = errors_of({"watch": [{"path": "."}, {"path": str(tmp_path)}]}, tmp_path)
    assert errors == [f"watch[2]/path: {tmp_path} is already watched by watch[1]"]


def test_stito_serve_lists_configuration_problems_and_exits_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nport = "x"\n[encoder]\nname = "mfc"\n')
    result = subprocess.run([sys.executable, "-m", "bridge.cli.main", "serve", "--config", str(bad)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "2 configuration problem(s)" in result.stderr
    assert "server/port: 'x' is not a whole number" in result.stderr
    assert "encoder/name: unknown metric 'mfc'. Did you mean 'mfcc'?" in result.stderr


def test_docs_list_every_key_and_every_code():
    for section, keys in SCHEMA.items():
        for key in keys:
            name = f"`{section}[n].{key}`" if section == "watch" else f"`{section}.{key}`"
            assert name in DOC, name
    for code in Code:
        assert re.search(rf"\| {int(code)} \| `{code.name}` \| {re.escape(MEANINGS[code])} \|", DOC), code


def test_a_small_load_test_answers_every_request():
    report = load_run(pings=40, matches=6, clients=2)
    assert all(p.lost == 0 and p.sent > 0 for p in report.pings)
    assert all(m.unanswered == 0 and m.done == m.accepted == 6 for m in report.matches)
    assert "| pings | sent | pongs |" in report.markdown()


def test_a_small_soak_accounts_for_every_reply_and_samples_the_process():
    report = soak_run(jobs=12, datagrams=160, job_clients=2, hostile_clients=2, samples=3)
    counts = report.counts
    assert counts["/stito/done"] + counts["/stito/cancelled"] == 12 and counts["/stito/cancelled"] >= 1
    assert sum(v for k, v in counts.items() if k.startswith("hostile answered")) == 160
    assert not {k for k in counts if k.endswith("unanswered") or k == "stray replies"}
    assert [s.jobs for s in report.samples] == [0, 4, 8, 12] and all(s.rss_mib > 0 for s in report.samples)
    assert report.samples[-1].journal_lines > 0 and "| finished jobs |" in report.markdown()
