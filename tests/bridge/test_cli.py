"""The ``stito`` command line: matching end to end, overwriting, listing, and every kind of bad input.

Most runs call ``bridge.cli.main.main`` in-process; a few run the installed console script. Searches are
tiny (one built-in effect, one or two parameters, 8 candidates, 2 generations, a 1 s excerpt).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bridge.cli.main import main
from tests.helpers import music, noise, sine, write

RATE = 22050
TINY_CHAIN = """name = "tiny"
[[effect]]
type = "builtin"
kind = "distortion"
search = {drive_db = [0, 24]}

[[effect]]
type = "builtin"
kind = "parametric_eq"
search = ["band2_gain_db"]
"""
TINY = ["--popsize", "8", "--max-iter", "2", "--excerpt", "1", "--seed", "1", "--quiet"]
ROW_KEYS = {"effect", "name", "value", "normalized", "unit", "neutral", "enabled"}
SUMMARY = re.compile(r"^similarity (-?\d+\.\d+) -> (-?\d+\.\d+)$")
needs_zam_vst3 = pytest.mark.skipif(not Path("/usr/lib/vst3/ZamEQ2.vst3").exists(), reason="zam-plugins VST3 absent")


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    """A folder holding in.wav, ref.wav (2 s, 22050 Hz, different recordings) and tiny.toml."""
    write(tmp_path / "in.wav", music(2.0, rate=RATE, seed=1), RATE)
    write(tmp_path / "ref.wav", music(2.0, rate=RATE, seed=2) ** 3 * 4, RATE)  # a distorted other song
    (tmp_path / "tiny.toml").write_text(TINY_CHAIN, encoding="utf-8")
    return tmp_path


def _listing(folder: Path) -> list[str]:
    """Every entry in ``folder``, hidden ones (temporary files) included."""
    return sorted(p.name for p in folder.iterdir())


def _match(work: Path, *extra: str, inp: str = "in.wav", ref: str = "ref.wav", chain: str | None = None) -> list[str]:
    """``stito match`` arguments for files in ``work``: a tiny search with the MFCC metric."""
    chain = chain or str(work / "tiny.toml")
    return ["match", str(work / inp), str(work / ref), "-c", chain, "--encoder", "mfcc", *TINY, *extra]


def _exit(argv: list[str]) -> int:
    """``main``'s exit code, whether returned or raised (argparse exits on usage errors)."""
    try:
        return main(argv)
    except SystemExit as caught:
        return int(caught.code)


def _check_record(path: Path, inp: Path, ref: Path, chain: str = "tiny") -> dict:
    """The parameter file at ``path`` holds the contract's keys and rows in chain order."""
    record = json.loads(path.read_text(encoding="utf-8"))
    assert {"chain", "input", "reference", "similarity_before", "similarity_after", "seconds", "parameters"} <= set(record)
    assert (record["chain"], record["input"], record["reference"]) == (chain, str(inp), str(ref))
    assert all(isinstance(record[k], float) for k in ("similarity_before", "similarity_after", "seconds"))
    assert record["similarity_after"] >= record["similarity_before"] - 1e-9
    rows = record["parameters"]
    assert [(r["effect"], r["name"], r["unit"]) for r in rows] == [("distortion", "drive_db", "dB"),
                                                                   ("parametric_eq", "band2_gain_db", "dB")]
    for row in rows:
        assert set(row) == ROW_KEYS and 0.0 <= row["normalized"] <= 1.0
    assert set(record["economy"]) == {"effects_on", "neutral_distance", "effect_distance"}
    assert set(record["verification"]) == {"unseen", "excerpt_s", "similarity_found", "similarity_neutral",
                                           "amount", "action"}
    assert 0.0 <= rows[0]["value"] <= 24.0 and -18.0 <= rows[1]["value"] <= 18.0
    return record


# --- matching ----------------------------------------------------------------------------------


def test_match_writes_audio_and_parameters_beside_the_input(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_match(work)) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert _listing(work) == ["in.matched.json", "in.matched.wav", "in.wav", "ref.wav", "tiny.toml"]
    record = _check_record(work / "in.matched.json", work / "in.wav", work / "ref.wav")
    summary = SUMMARY.match(out[-1])
    assert summary, out[-1]
    assert float(summary[1]) == pytest.approx(record["similarity_before"], abs=5e-4)
    assert float(summary[2]) == pytest.approx(record["similarity_after"], abs=5e-4)
    info = sf.info(work / "in.matched.wav")
    assert (info.samplerate, info.frames) == (RATE, 2 * RATE)


def test_match_refuses_to_overwrite_without_force(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "in.matched.wav").write_bytes(b"an earlier take")
    (work / "in.matched.json").write_text("{}")
    assert main(_match(work)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stito: error: ") and "in.matched.wav: exists; pass --force" in err[0]
    assert (work / "in.matched.wav").read_bytes() == b"an earlier take"

    (work / "in.matched.wav").unlink()  # only the parameter file is in the way now
    assert main(_match(work)) == 2
    assert "in.matched.json: exists; pass --force" in capsys.readouterr().err
    assert not (work / "in.matched.wav").exists()  # refused before any work

    (work / "in.matched.wav").write_bytes(b"an earlier take")
    assert main(_match(work, "--force")) == 0
    assert sf.info(work / "in.matched.wav").frames == 2 * RATE
    _check_record(work / "in.matched.json", work / "in.wav", work / "ref.wav")
    assert _listing(work) == ["in.matched.json", "in.matched.wav", "in.wav", "ref.wav", "tiny.toml"]


def test_output_and_params_options(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "out").mkdir()
    assert main(_match(work, "-o", str(work / "out" / "take.flac"))) == 0
    assert _listing(work / "out") == ["take.flac", "take.json"]  # the parameter file follows OUT
    assert sf.info(work / "out" / "take.flac").format == "FLAC"
    assert main(_match(work, "-o", str(work / "out" / "b.wav"), "--params", str(work / "settings.json"))) == 0
    assert "b.wav" in _listing(work / "out") and "b.json" not in _listing(work / "out")
    record = _check_record(work / "settings.json", work / "in.wav", work / "ref.wav")
    assert "in.matched.wav" not in _listing(work)
    capsys.readouterr()
    assert record["parameters"]


def test_same_seed_same_parameters(work: Path) -> None:
    assert main(_match(work, "-o", str(work / "a.wav"))) == 0
    assert main(_match(work, "-o", str(work / "b.wav"))) == 0
    a, b = (json.loads((work / f"{n}.json").read_text())["parameters"] for n in "ab")
    assert a == b


def test_shipped_chain_by_name(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["match", str(work / "in.wav"), str(work / "ref.wav"), "-c", "builtin", "--encoder", "mfcc", *TINY]
    assert main(args) == 0
    record = json.loads((work / "in.matched.json").read_text())
    assert record["chain"] == "builtin" and len(record["parameters"]) == 34
    assert SUMMARY.match(capsys.readouterr().out.strip().splitlines()[-1])


# --- bad input: exit 2, one line naming the file or value, nothing written -------------------------


def _text(work: Path) -> str:
    (work / "notes.wav").write_text("these are my mixing notes, not audio\n" * 20)
    return "notes.wav"


def _truncated(work: Path) -> str:
    sf.write(work / "cut.wav", music(2.0, rate=RATE).T, RATE, subtype="PCM_16")
    data = (work / "cut.wav").read_bytes()
    (work / "cut.wav").write_bytes(data[: len(data) // 2])
    return "cut.wav"


def _empty(work: Path) -> str:
    sf.write(work / "empty.wav", np.zeros((0, 2), dtype=np.float32), RATE)
    return "empty.wav"


def _silent(work: Path) -> str:
    write(work / "silent.wav", np.zeros(RATE, dtype=np.float32), RATE)
    return "silent.wav"


def _short(work: Path) -> str:
    write(work / "blip.wav", sine(seconds=0.3, rate=RATE), RATE)
    return "blip.wav"


def _six_channels(work: Path) -> str:
    write(work / "surround.wav", np.stack([sine(seconds=1.0, rate=RATE)] * 6), RATE)
    return "surround.wav"


def _nan(work: Path) -> str:
    samples = noise(1.0, rate=RATE)
    samples[100:104] = np.nan
    write(work / "nan.wav", samples, RATE)
    return "nan.wav"


def _folder(work: Path) -> str:
    (work / "stems").mkdir()
    return "stems"


@pytest.mark.parametrize(("make", "problem"), [
    (lambda work: "missing.wav", "file not found"), (_folder, "is a directory"), (_text, "not an audio file"),
    (_truncated, "truncated"), (_empty, "empty (0 frames)"), (_silent, "silent"), (_short, "0.300 s long"),
    (_six_channels, "6 channels"), (_nan, "4 NaN or infinite samples"),
], ids=["missing", "directory", "text", "truncated", "empty", "silent", "short", "six-channels", "nan"])
@pytest.mark.parametrize("role", ["input", "reference"])
def test_bad_audio(work: Path, capsys: pytest.CaptureFixture[str], make, problem: str, role: str) -> None:
    name = make(work)
    before = _listing(work)
    if role == "input" and problem == "is a directory":
        problem = "no audio files to match"  # a folder as INPUT is a stem folder: this one holds no stem
    args = _match(work, inp=name) if role == "input" else _match(work, ref=name)
    assert main(args) == 2
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert len(err) == 1, captured.err
    assert err[0].startswith(f"stito: error: {work / name}: ") and problem in err[0]
    assert _listing(work) == before


def _vst3_junk(work: Path) -> str:
    (work / "x.vst3").write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (work / "vst.toml").write_text(f'[[effect]]\ntype = "vst3"\npath = "{work / "x.vst3"}"\n')
    return str(work / "vst.toml")


def _ladspa_missing(work: Path) -> str:
    (work / "lad.toml").write_text('[[effect]]\ntype = "ladspa"\nlibrary = "no-such-plugin.so"\n')
    return str(work / "lad.toml")


def _chain_missing(work: Path) -> str:
    return str(work / "nowhere.toml")


@pytest.mark.parametrize(("make", "problem"), [
    (lambda work: "builtn", "unknown chain 'builtn'. Did you mean 'builtin'?"),
    (_vst3_junk, "x.vst3: plugin does not load"),
    (_ladspa_missing, "LADSPA library 'no-such-plugin.so' not found"),
    (_chain_missing, "nowhere.toml: chain file not found"),
], ids=["unknown-name", "junk-vst3", "missing-ladspa", "missing-toml"])
def test_bad_chain(work: Path, capfd: pytest.CaptureFixture[str], make, problem: str) -> None:
    chain = make(work)
    before = _listing(work)
    assert main(_match(work, chain=chain)) == 2
    err = capfd.readouterr().err.splitlines()  # capfd: a plugin host writing to fd 2 would show up too
    assert len(err) == 1 and err[0].startswith("stito: error: ") and problem in err[0]
    assert _listing(work) == before


@pytest.mark.parametrize(("extra", "problem"), [
    (["-o", "{work}/out.xyz"], "{work}/out.xyz: unknown audio extension '.xyz'"),
    (["-o", "{work}/no_such_folder/out.wav"], "{work}/no_such_folder/out.wav: folder {work}/no_such_folder does not exist"),
    (["--params", "{work}/no_such_folder/p.json"], "no_such_folder/p.json: folder {work}/no_such_folder does not exist"),
    (["-o", "{work}"], "is a directory"),
    (["--popsize", "0"], "argument --popsize: search option popsize = 0: expected int in 4..4096"),
    (["--popsize", "many"], "argument --popsize: 'many' is not a whole number"),
    (["--max-iter", "0"], "argument --max-iter: search option max_iter = 0"),
    (["--seed", "-3"], "argument --seed: search option seed = -3"),
    (["--excerpt", "0"], "argument --excerpt: excerpt length '0'"),
    (["--excerpt", "nan"], "argument --excerpt: excerpt length 'nan'"),
    (["--encoder", "mfc"], "unknown encoder 'mfc'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_options(work: Path, capsys: pytest.CaptureFixture[str], extra: list[str], problem: str) -> None:
    before = _listing(work)
    assert _exit(_match(work, *(e.format(work=work) for e in extra))) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("stito: error: ") and problem.format(work=work) in err[0]
    assert _listing(work) == before


def test_bad_checkpoint_as_encoder(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (work / "model.pt").write_bytes(b"\x80\x02junk" * 50)
    before = _listing(work)
    assert main(_match(work, "--encoder", str(work / "model.pt"))) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"stito: error: {work / 'model.pt'}: not a readable checkpoint")
    assert _listing(work) == before


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in ([], ["match"], ["frobnicate"], ["plugins", "--format", "dll"]):
        assert _exit(argv) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith("stito: error: "), (argv, err)


# --- listing -----------------------------------------------------------------------------------


def test_chains_lists_the_shipped_chains(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chains"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert {"builtin", "zam", "vst3-template"} <= set(names)
    assert re.search(r"^builtin\s+34 parameters\s+\S", lines[names.index("builtin")])


def test_chains_builtin_shows_effects_and_ranges(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chains", "builtin"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<Chain 'builtin': distortion -> compressor -> parametric_eq -> delay -> reverb")
    assert re.search(r"^\s+drive_db\s+0 \.\. 40\s+dB\s+linear\s+default 0  neutral 0$", out, re.M)
    assert re.search(r"^\s+ratio\s+1 \.\. 20\s+log\s+default 1  neutral 1$", out, re.M)
    assert len(re.findall(r"^\s+\w+\s+\S+ \.\. \S+", out, re.M)) == 34


def test_chains_of_a_toml_shows_narrowed_ranges(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chains", str(work / "tiny.toml")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\s+drive_db\s+0 \.\. 24\s+dB", out, re.M)
    assert len(re.findall(r"^\s+\w+\s+\S+ \.\. \S+", out, re.M)) == 2


@needs_zam_vst3
def test_chains_of_a_vst3_plugin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chains", "/usr/lib/vst3/ZamEQ2.vst3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<Chain 'ZamEQ2':")
    assert "Vst3Effect" in out and re.search(r"^\s+\w+_db\s+-?\d+ \.\. \d+\s+dB", out, re.M)


def test_chains_of_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chains", "zamm"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "unknown chain 'zamm'. Did you mean 'zam'?" in err[0]


def test_plugins_ladspa(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--format", "ladspa"]) == 0
    lines = capsys.readouterr().out.splitlines()
    total = re.match(r"^(\d+) of (\d+) plugins load; ", lines[-1])
    assert total and int(total[1]) <= int(total[2]) == len(lines) - 1
    assert all(re.match(r"^ladspa\s+(ok|no) ", line) for line in lines[:-1])
    if Path("/usr/lib/ladspa/ZamCompX2-ladspa.so").exists():
        assert any(line.startswith("ladspa  ok") and "ZamCompX2-ladspa.so" in line for line in lines)


# --- the installed console script ----------------------------------------------------------------


def _stito() -> list[str]:
    """The console script, or the module when the script is not on PATH."""
    script = shutil.which("stito")
    return [script] if script else [sys.executable, "-m", "bridge.cli.main"]


def test_console_script_help() -> None:
    done = subprocess.run([*_stito(), "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    for command in ("match", "demo", "chains", "plugins", "bench"):
        assert command in done.stdout
    assert "Exit codes" in done.stdout


def test_console_script_match_end_to_end(work: Path) -> None:
    args = [*_stito(), "match", "in.wav", "ref.wav", "-c", "tiny.toml", *TINY]
    done = subprocess.run(args, capture_output=True, text=True, cwd=work, timeout=240)
    assert done.returncode == 0, done.stderr
    assert SUMMARY.match(done.stdout.strip().splitlines()[-1]), done.stdout
    assert "Traceback" not in done.stderr
    record = _check_record(work / "in.matched.json", Path("in.wav"), Path("ref.wav"))
    assert record["similarity_after"] >= record["similarity_before"]
    assert sf.info(work / "in.matched.wav").frames == 2 * RATE
    again = subprocess.run(args, capture_output=True, text=True, cwd=work, timeout=240)
    assert again.returncode == 2
    assert again.stderr.splitlines() == ["stito: error: in.matched.wav: exists; pass --force to overwrite"]


def test_outputs_must_not_collide_with_each_other_or_the_inputs(tmp_path: Path, capsys) -> None:
    from bridge.cli.main import main
    from tests.helpers import music, write

    src, ref = write(tmp_path / "in.wav", music(2.0)), write(tmp_path / "ref.wav", music(2.0, seed=3))
    before = sorted(p.name for p in tmp_path.iterdir())
    for extra in (["-o", str(tmp_path / "x.wav"), "--params", str(tmp_path / "x.wav")],
                  ["-o", str(src), "--force"], ["--params", str(ref), "--force"]):
        assert main(["match", str(src), str(ref), *extra, "--quiet"]) == 2
        assert capsys.readouterr().err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before
