"""Producer controls on the command line: --amount, --match, `stito apply`, presets, and their bad input.

Searches are tiny (the CLI tests' two-effect chain, 8 candidates, 2 generations, a 1 s excerpt)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bridge.cli.main import main
from tests.bridge import test_cli
from tests.bridge.test_cli import RATE, _exit, _match

work = test_cli.work  # the CLI tests' folder of in.wav, ref.wav and their tiny chain


@pytest.fixture()
def presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "presets"
    monkeypatch.setenv("STITO_PRESETS", str(folder))
    return folder


def _matched(work: Path, *extra: str) -> dict:
    assert main(_match(work, *extra)) == 0
    return json.loads((work / "in.matched.json").read_text(encoding="utf-8"))


def test_amount_zero_returns_the_input_and_keeps_the_found_values(work: Path) -> None:
    record = _matched(work, "--amount", "0")
    assert record["amount"] == 0.0
    assert not any(row["enabled"] for row in record["parameters"])
    assert all(row["value"] == pytest.approx(row["neutral"]) for row in record["parameters"])
    assert [(r["effect"], r["name"]) for r in record["found"]] == [(r["effect"], r["name"]) for r in record["parameters"]]
    out, _ = sf.read(work / "in.matched.wav", always_2d=True)
    dry, _ = sf.read(work / "in.wav", always_2d=True)
    assert np.max(np.abs(out[:, 0] - dry[:, 0])) < 2e-4  # 24-bit rounding of the untouched input (written as stereo)


def test_apply_reproduces_the_match_and_scales_by_amount(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = _matched(work)
    capsys.readouterr()
    assert main(["apply", str(work / "in.matched.json"), str(work / "in.wav")]) == 0
    assert "wrote" in capsys.readouterr().out
    again, _ = sf.read(work / "in.applied.wav", always_2d=True)
    matched, _ = sf.read(work / "in.matched.wav", always_2d=True)
    assert np.array_equal(again, matched)
    applied = json.loads((work / "in.applied.json").read_text(encoding="utf-8"))
    assert applied["parameters"] == record["parameters"] and applied["applied_from"] == str(work / "in.matched.json")
    assert main(["apply", str(work / "in.matched.json"), str(work / "in.wav"), "--amount", "0.5",
                 "-o", str(work / "half.wav")]) == 0
    half = json.loads((work / "half.json").read_text(encoding="utf-8"))
    for found, row in zip(record["found"], half["parameters"]):
        if found["enabled"] and found["unit"] == "dB" and found["name"].endswith("gain_db"):
            assert row["value"] == pytest.approx(found["neutral"] + (found["value"] - found["neutral"]) / 2, abs=1e-4)


def test_presets_save_list_and_apply_by_name(work: Path, presets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _matched(work)
    assert main(["preset", "save", str(work / "in.matched.json"), "crunch"]) == 0
    assert (presets / "crunch.json").is_file()
    assert _exit(["preset", "save", str(work / "in.matched.json"), "crunch"]) == 2  # exists, no --force
    capsys.readouterr()
    assert main(["preset", "list"]) == 0
    assert capsys.readouterr().out.split()[:2] == ["crunch", "tiny"]
    assert main(["apply", "crunch", str(work / "ref.wav"), "-o", str(work / "ref.crunch.wav")]) == 0
    assert sf.info(work / "ref.crunch.wav").frames == 2 * RATE


@pytest.mark.parametrize(("argv", "problem"), [
    (["--amount", "3"], "argument --amount: amount '3': expected a number from 0 to 1.5"),
    (["--match", "tone,loudness"], "argument --match: unknown attribute 'loudness'"),
])
def test_bad_controls_of_match(work: Path, capsys: pytest.CaptureFixture[str], argv: list[str], problem: str) -> None:
    assert _exit(_match(work, *argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and problem in err


def test_match_with_an_encoder_refuses_attribute_choice(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit(_match(work, "--match", "space")) == 2  # _match uses the MFCC metric
    assert "needs the attributes metric" in capsys.readouterr().err


def test_bad_apply_inputs(work: Path, presets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = _matched(work)
    other = dict(record, chain="builtin")
    other.pop("chain_file")
    (work / "other.json").write_text(json.dumps(other), encoding="utf-8")
    (work / "junk.json").write_text("{not json", encoding="utf-8")
    capsys.readouterr()
    cases = {str(work / "other.json"): "do not fit chain 'builtin'", str(work / "junk.json"): "not a stito parameter file",
             "no-such-preset": "neither a match file nor a preset", str(work / "in.matched.json"): "amount"}
    for match, problem in cases.items():
        extra = ["--amount", "2"] if problem == "amount" else []
        assert _exit(["apply", match, str(work / "in.wav"), "-o", str(work / "x.wav"), *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and problem in err, err
    assert not (work / "x.wav").exists()
    assert _exit(["preset", "save", str(work / "in.matched.json"), "../evil"]) == 2
    assert "preset name" in capsys.readouterr().err


def test_report_in_words_file_and_picture(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = _matched(work, "--encoder", "attributes", "--report", str(work / "report.png"))
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("similarity ") and any(line == "drew the report in " + str(work / "report.png")
                                                     for line in out)
    assert set(record["report"]) == {"effects", "attributes"}
    assert set(record["report"]["attributes"]) == {"tone", "dynamics", "space", "width"}
    assert sf.info(work / "in.matched.wav").frames == 2 * RATE
    assert (work / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _exit(_match(work, "--encoder", "attributes", "--report", str(work / "report.png"), "-o",
                        str(work / "again.wav"))) == 2  # the picture exists: --force needed
    assert "report.png: exists" in capsys.readouterr().err


def test_several_references_on_the_command_line(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = _match(work, "-o", str(work / "two.wav"))
    argv.insert(3, str(work / "in.wav"))  # a second reference after ref.wav
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "2 references" in out
    record = json.loads((work / "two.json").read_text(encoding="utf-8"))
    assert record["reference"] == str(work / "ref.wav")
    assert record["references"] == [str(work / "ref.wav"), str(work / "in.wav")]
    rule = _match(work, "--method", "rule-based", "--encoder", "attributes", "-o", str(work / "rule.wav"))
    rule.insert(3, str(work / "in.wav"))
    assert _exit(rule) == 2 and "several references need the st-ito method" in capsys.readouterr().err


def _stems(work: Path, names: tuple[str, ...] = ("bass.wav", "drums.wav", "vox.wav")) -> Path:
    from tests.helpers import music, write

    folder = work / "stems"
    folder.mkdir()
    for seed, name in enumerate(names, 3):
        write(folder / name, music(2.0, rate=RATE, seed=seed), RATE)
    return folder


def _batch(work: Path, folder: Path, *extra: str) -> list[str]:
    argv = _match(work, *extra)
    argv[1] = str(folder)
    return argv


def test_a_stem_folder_interrupted_and_restarted_redoes_nothing(work: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from bridge.cli import batch

    folder = _stems(work)
    real, calls = batch.match_audio, []

    def interrupted(source, *args, **kwargs):
        calls.append(source.frames)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(source, *args, **kwargs)

    monkeypatch.setattr(batch, "match_audio", interrupted)
    assert _exit(_batch(work, folder)) == 130
    results = folder / "matched"
    assert sorted(p.name for p in results.iterdir()) == ["bass.matched.json", "bass.matched.wav"]  # no temporaries
    first = (results / "bass.matched.wav").stat().st_mtime_ns
    monkeypatch.setattr(batch, "match_audio", real)
    capsys.readouterr()
    assert main(_batch(work, folder)) == 0
    out = capsys.readouterr().out
    assert "bass.wav" in out and "already matched" in out and "3 of 3 stems matched" in out
    assert (results / "bass.matched.wav").stat().st_mtime_ns == first
    assert {p.name for p in results.iterdir()} == {f"{s}.matched.{x}" for s in ("bass", "drums", "vox")
                                                   for x in ("wav", "json")}


def test_a_shared_setting_and_bad_stems(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _stems(work, ("a.wav", "b.wav"))
    (folder / "broken.wav").write_text("not audio", encoding="utf-8")
    assert _exit(_batch(work, folder, "--shared", "-o", str(work / "out"))) == 1
    out = capsys.readouterr().out
    assert "broken.wav" in out and "failed" in out and "2 of 3 stems matched" in out
    a, b = (json.loads((work / "out" / f"{s}.matched.json").read_text(encoding="utf-8")) for s in ("a", "b"))
    assert a["parameters"] == b["parameters"]  # one setting for both
    assert (work / "out" / "broken.error.txt").read_text(encoding="utf-8").strip()
    empty = work / "empty"
    empty.mkdir()
    assert _exit(_batch(work, empty)) == 2
    assert "no audio files to match" in capsys.readouterr().err
    assert _exit(_match(work, "--shared")) == 2
