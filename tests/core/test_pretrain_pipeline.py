"""Pretraining pipeline on a tiny real corpus: corpus and manifest, benchmark exclusion, pair shards and resuming,
a few training steps, checkpoints and resuming training."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from bridge.cli.main import build_parser
from stito_core import load_encoder
from stito_core.bench import data as bench_data
from stito_core.encoders.afx_rep import AfxRepEncoder, AfxRepNet
from stito_core.encoders.configs import AfxRepConfig
from stito_core.errors import StitoError
from stito_core.pretrain import corpus as corpus_module
from stito_core.pretrain.bundle import make_bundle
from stito_core.pretrain.corpus import build_corpus, read_manifest
from stito_core.pretrain.dataset import GroupShards
from stito_core.pretrain.exclusion import check_clean, excluded_roots, is_excluded_package, package_owners
from stito_core.pretrain.heads import PretextModel
from stito_core.pretrain.model_card import write_model_card
from stito_core.pretrain.pairs import PAIR_CONFIGS, generate_pairs, read_meta, shard_paths
from stito_core.pretrain.pool import POOL, load_effect
from stito_core.pretrain.presets import effect_presets
from stito_core.pretrain.sources import SOURCES, Item, Source
from stito_core.pretrain.train import TRAIN_CONFIGS, lr_at, train, train_step
from tests.helpers import music

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("fluidsynth") is None,
                                reason="speech engines / fluidsynth not installed")
#: The tiny corpus: one espeak-ng and one flite utterance and one composed song rendered by a SoundFont.
TINY = ["speech-espeak", "speech-flite", "music-composed"]
EFFECTS = ["sox_equalizer", "zam_comp"]
PAIRS = replace(PAIR_CONFIGS["quick"], groups=6, val_groups=2, shard_groups=2)


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """One torch thread: the tiny models here run several times slower with two on a busy 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder with the tiny corpus, presets of two effects and its pair shards."""
    root = tmp_path_factory.mktemp("pretrain")
    rows = build_corpus(root / "corpus", TINY, quick=True, jobs=2, progress=False)
    reference = corpus_module.read_manifest(root / "corpus")
    assert reference == rows
    generate_pairs(root / "pairs", rows, _presets(), PAIRS, jobs=2, progress=False)
    return root


def _presets() -> dict:
    """A presets table for ``EFFECTS`` (3 presets each from 9 settings, on a synthetic reference)."""
    from stito_core.audio import Audio

    reference = Audio(music(1.0, rate=48000, seed=4), 48000)
    effects = [load_effect(next(e for e in POOL if e.id == name)) for name in EFFECTS]
    return {"k": 3, "seed": 0, "effects": [{**e.identity(), "presets": effect_presets(e, reference, 9, 3, 0)}
                                           for e in effects]}


# --- corpus ---------------------------------------------------------------------------------------------------
def test_corpus_renders_and_lists_every_recording(work: Path) -> None:
    rows = read_manifest(work / "corpus")
    assert sorted(r.source for r in rows) == sorted(TINY)
    assert {r.package for r in rows} == {"espeak-ng", "flite", "timgm6mb-soundfont"}
    for row in rows:
        assert Path(row.path).is_file() and row.duration_s > 1.0 and row.licence and row.files
        assert row.kind in ("speech", "music") and row.split in ("train", "val")
    assert {r.split for r in rows if r.kind == "speech"} == {"train", "val"}


def test_second_corpus_build_reuses_the_renders(work: Path) -> None:
    before = {r.path: Path(r.path).stat().st_mtime_ns for r in read_manifest(work / "corpus")}
    build_corpus(work / "corpus", TINY, quick=True, jobs=1, progress=False)
    assert {p: Path(p).stat().st_mtime_ns for p in before} == before


# --- exclusion ------------------------------------------------------------------------------------------------
def test_benchmark_packages_in_every_format_are_excluded() -> None:
    for package in bench_data.required_packages():
        assert is_excluded_package(package)
        assert is_excluded_package(package.removesuffix("-g722") + "-wav")
    assert not is_excluded_package("espeak-ng")


def test_no_corpus_source_declares_benchmark_content() -> None:
    check_clean(debian=[p for s in SOURCES for p in s.debian])
    with pytest.raises(StitoError, match="fretsonfire-songs-sectoid.*pysinsy"):
        check_clean(debian=["fretsonfire-songs-sectoid"], pypi=["pysinsy"])


def test_corpus_refuses_a_benchmark_file_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = excluded_roots()[0]
    bad = Source("bad", "music", ("espeak-ng",), "?", "a benchmark file",
                 lambda quick: [Item("x", (root / "anything.ogg",), None)])
    monkeypatch.setattr(corpus_module, "SOURCES", (*SOURCES, bad))
    monkeypatch.setattr(corpus_module, "source_names", lambda: [s.name for s in corpus_module.SOURCES])
    monkeypatch.setattr(corpus_module, "package_owners", lambda files: {Path(f): "espeak-ng" for f in files})
    with pytest.raises(StitoError, match="benchmark"):
        build_corpus(tmp_path / "corpus", ["bad"], quick=True, progress=False)
    assert not (tmp_path / "corpus").exists()


def test_package_owners_come_from_dpkg() -> None:
    owners = package_owners([Path("/usr/bin/espeak-ng"), Path("/nonexistent/file")])
    assert owners == {Path("/usr/bin/espeak-ng"): "espeak-ng", Path("/nonexistent/file"): ""}


# --- pairs ----------------------------------------------------------------------------------------------------
def test_pairs_write_shards_with_labels(work: Path) -> None:
    meta = read_meta(work / "pairs")
    assert meta["effects"] == EFFECTS and meta["presets_per_effect"] == 3
    train_shards = shard_paths(work / "pairs", "train")
    assert len(train_shards) == 3 and len(shard_paths(work / "pairs", "val")) == 1
    clips = np.load(train_shards[0])
    assert clips.dtype == np.float16 and clips.shape == (2, 2, 2, 2, PAIRS.frames // 512 + 1, 64)
    assert 10 < clips.astype(np.float32).max() < 60  # dB of peak-normalised halves (unclipped)
    labels = json.loads(train_shards[0].with_suffix(".json").read_text())
    assert all(0 <= e < 2 for e in labels["effect"]) and all(0 <= p < 3 for p in labels["preset"])
    assert all(len(set(r)) == 2 for r in labels["recordings"])  # one effect and preset on two recordings


def test_pairs_resume_without_work(work: Path) -> None:
    rows = read_manifest(work / "corpus")
    again = generate_pairs(work / "pairs", rows, _presets(), PAIRS, jobs=2, progress=False)
    assert again == {"groups_made": 0, "shards_made": 0, "shards_skipped": 4}


def test_pairs_refuse_other_settings_in_the_same_folder(work: Path) -> None:
    rows = read_manifest(work / "corpus")
    with pytest.raises(StitoError, match="other settings"):
        generate_pairs(work / "pairs", rows, _presets(), replace(PAIRS, clip_s=0.75), jobs=1, progress=False)


# --- training -------------------------------------------------------------------------------------------------
def _tiny_model() -> PretextModel:
    torch.manual_seed(0)
    config = AfxRepConfig(front=PAIRS.front, widths=(8, 16), embed_dim=16, block_depth=1, time_pool=2, pooling="stats")
    return PretextModel(AfxRepNet(config), effects=2, presets=3, hidden=32)


def test_a_few_steps_on_a_tiny_batch_lower_the_loss(work: Path) -> None:
    data = GroupShards(work / "pairs", "train", 40, (-32.0, 0.0))
    batch = torch.utils.data.default_collate([data[i] for i in range(3)])
    model, config = _tiny_model(), replace(TRAIN_CONFIGS["quick"], lr=3e-3, contrastive_weight=0.5)
    optimizer = torch.optim.Adam(model.parameters())
    first = train_step(model, optimizer, batch, config, 3, config.lr, torch.device("cpu"))
    for _ in range(5):
        last = train_step(model, optimizer, batch, config, 3, config.lr, torch.device("cpu"))
    assert last["loss"] < first["loss"]
    assert {"effect_loss", "preset_loss", "contrastive_loss", "effect_acc", "preset_acc"} <= set(last)


def test_learning_rate_drops_tenfold_at_85_and_95_percent() -> None:
    config = replace(TRAIN_CONFIGS["cpu"], steps=100, lr=1e-3)
    assert [lr_at(s, config) for s in (0, 84, 85, 94, 95, 99)] == pytest.approx([1e-3, 1e-3, 1e-4, 1e-4, 1e-5, 1e-5])


def test_training_checkpoints_resume_and_load_as_an_encoder(work: Path, tmp_path: Path) -> None:
    config = replace(TRAIN_CONFIGS["quick"], steps=2, val_every=2, checkpoint_every=2)
    path = train(work / "pairs", tmp_path / "a", config, extra_meta={"corpus": {"recordings": 3}})
    path = train(work / "pairs", tmp_path / "a", replace(config, steps=3))
    steps = [json.loads(line)["step"] for line in (tmp_path / "a" / "log.jsonl").read_text().splitlines()]
    assert steps[0] == 1 and steps[-1] == 3 and 3 in steps
    encoder = load_encoder(str(path))
    assert encoder.meta["total_steps"] == 3 and len(encoder.meta["sessions"]) == 2
    assert encoder.meta["effects"] == 2 and "val_effect_acc" in encoder.meta["validation"]
    audio = music(1.0, rate=48000, seed=5)
    again = AfxRepEncoder(load_encoder(str(path)).net)
    assert np.array_equal(encoder.embed(audio, 48000), again.embed(audio, 48000))
    continued = train(work / "pairs", tmp_path / "b", replace(config, steps=4), init=path)
    assert load_encoder(str(continued)).meta["total_steps"] == 4  # continues the given checkpoint's count


def test_model_card_fills_every_placeholder_from_the_checkpoint(work: Path, tmp_path: Path) -> None:
    config = replace(TRAIN_CONFIGS["quick"], steps=1, val_every=1, checkpoint_every=1)
    path = train(work / "pairs", tmp_path / "run", config, extra_meta={"corpus": {"recordings": 3, "hours": 0.01}})
    card = write_model_card(path, tmp_path / "MODEL_CARD.md").read_text()
    assert "{" not in card and "1 steps of 4 pairs" in card and '"stats" pooling' in card
    assert "3 recordings" in card and "64 bands" in card


def test_ship_drops_the_optimiser_and_training_continues_the_shipped_weights(work: Path, tmp_path: Path) -> None:
    from stito_core.pretrain import steps

    config = replace(TRAIN_CONFIGS["quick"], steps=1, val_every=1, checkpoint_every=1)
    source = train(work / "pairs", tmp_path / "run", config)
    said = steps.ship(steps.workdir(tmp_path / "w", quick=True), quick=True, checkpoint=source)
    shipped = tmp_path / "w" / "shipped" / "afx_rep.pt"
    assert str(shipped) in said and (shipped.parent / "MODEL_CARD.md").is_file()
    payload = torch.load(shipped, weights_only=True)
    assert "optimizer" not in payload and "heads" in payload and payload["state"]["step"] == 1
    assert shipped.stat().st_size < source.stat().st_size
    continued = train(work / "pairs", tmp_path / "next", replace(config, steps=2), init=shipped)
    assert load_encoder(str(continued)).meta["total_steps"] == 2


def test_bundle_carries_plugins_sox_and_a_corpus_subset(work: Path, tmp_path: Path) -> None:
    presets = tmp_path / "presets.json"
    presets.write_text(json.dumps(_presets()))
    held = make_bundle(work / "corpus", presets, tmp_path / "bundle", budget_mb=40, excerpt_s=3.0)
    assert held["plugins"] >= 30 and held["recordings"] == 3 and held["mib"] <= 40
    bundle = tmp_path / "bundle"
    assert (bundle / "bin" / "sox").is_file() and (bundle / "ladspa" / "ZamEQ2-ladspa.so").is_file()
    assert (bundle / "lv2" / "ZamEQ2.lv2").is_dir() and "LADSPA_PATH" in (bundle / "env.sh").read_text()
    rows = read_manifest(bundle / "work" / "corpus")
    assert all(Path(r.path).is_file() and r.path.endswith(".ogg") and r.duration_s <= 3.0 for r in rows)


def test_cli_knows_every_pretrain_step() -> None:
    parser = build_parser()
    for step in ("corpus", "presets", "pairs", "train", "bundle", "card"):
        args = parser.parse_args(["pretrain", step, "--quick"])
        assert args.step == step and args.quick
