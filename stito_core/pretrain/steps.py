"""The ``stito pretrain`` steps as recipes over one working folder: corpus -> presets -> pairs -> train -> card.

Each step reads what the previous one wrote under the working folder (default ``$STITO_CACHE/pretrain``, else
``~/.cache/stito/pretrain``; ``quick`` runs use its ``quick`` subfolder so tiny data never mixes with real
data) and returns a one-paragraph summary for the terminal.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from ..encoders import SHIPPED_WEIGHTS
from ..encoders.checkpoint import load_checkpoint, save_checkpoint
from ..errors import StitoError
from .corpus import build_corpus, read_manifest, summarise
from .model_card import write_model_card
from .pairs import PAIR_CONFIGS, generate_pairs, with_counts
from .presets import build_presets, load_presets

#: Random settings per effect and clusters (presets) per effect: the default, and in quick mode.
SETTINGS, QUICK_SETTINGS, K = 200, 20, 10


@dataclass(frozen=True)
class Workdir:
    """The pretraining folder and where each step writes in it."""

    root: Path

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def presets(self) -> Path:
        return self.root / "presets.json"

    @property
    def pairs(self) -> Path:
        return self.root / "pairs"

    def run(self, name: str) -> Path:
        """The folder of training run ``name``."""
        return self.root / "runs" / name


def workdir(path: Path | None = None, quick: bool = False) -> Workdir:
    """``path``, else the default folder (its ``quick`` subfolder in quick mode)."""
    if path is not None:
        return Workdir(Path(path).expanduser())
    root = Path(os.environ.get("STITO_CACHE") or Path.home() / ".cache" / "stito") / "pretrain"
    return Workdir(root / "quick" if quick else root)


def corpus(work: Workdir, quick: bool = False, jobs: int | None = None, sources: list[str] | None = None) -> str:
    """Build the corpus and its manifest."""
    rows = build_corpus(work.corpus, sources, quick, jobs)
    info = summarise(rows)
    kinds = ", ".join(f"{k} {v} h" for k, v in info["hours_per_kind"].items())
    return (f"corpus: {info['recordings']} recordings, {info['hours']} h ({kinds}); "
            f"{info['recordings_per_split'].get('val', 0)} held out; manifest {work.corpus / 'manifest.jsonl'}")


def presets(work: Workdir, quick: bool = False, jobs: int | None = None, settings: int | None = None,
            k: int = K) -> str:
    """Cluster random settings of every pool effect into ``k`` presets."""
    settings = settings or (QUICK_SETTINGS if quick else SETTINGS)
    table = build_presets(work.presets, read_manifest(work.corpus), settings, k, jobs=jobs)
    return f"presets: {len(table['effects'])} effects x {k} presets (from {settings} settings each) in {work.presets}"


def pairs(work: Workdir, quick: bool = False, jobs: int | None = None, config: str = "cpu",
          groups: int | None = None, val_groups: int | None = None) -> str:
    """Render the pair shards that are missing."""
    chosen = with_counts(_named(PAIR_CONFIGS, "quick" if quick else config), groups, val_groups)
    done = generate_pairs(work.pairs, read_manifest(work.corpus), load_presets(work.presets), chosen, jobs)
    return (f"pairs: made {done['groups_made']} groups in {done['shards_made']} shards, {done['shards_skipped']} "
            f"shards already there; {work.pairs}")


def train(work: Workdir, quick: bool = False, config: str = "cpu", run_name: str = "main", steps: int | None = None,
          init: Path | None = None, fresh: bool = False, max_minutes: float | None = None,
          contrastive_weight: float | None = None) -> str:
    """Train (or resume) run ``run_name``; continues the shipped weights unless ``fresh`` or ``init`` is given."""
    from .train import TRAIN_CONFIGS, train as train_run

    chosen = _named(TRAIN_CONFIGS, "quick" if quick else config)
    chosen = replace(chosen, steps=steps or chosen.steps, contrastive_weight=chosen.contrastive_weight
                     if contrastive_weight is None else contrastive_weight)
    start = None if fresh else init or (SHIPPED_WEIGHTS if SHIPPED_WEIGHTS.is_file() else None)
    extra = {"corpus": summarise(read_manifest(work.corpus))}
    path = train_run(work.pairs, work.run(run_name), chosen, start, max_minutes, extra)
    return f"train: checkpoint {path} (log {work.run(run_name) / 'log.jsonl'}); load it with --encoder {path}"


def card(work: Workdir, quick: bool = False, checkpoint: Path | None = None, output: Path | None = None,
         run_name: str = "main") -> str:
    """Write MODEL_CARD.md for a checkpoint (default: run ``run_name``'s last)."""
    source = checkpoint or work.run(run_name) / "last.pt"
    out = write_model_card(source, output or source.with_name("MODEL_CARD.md"))
    return f"card: {out}"


def ship(work: Workdir, quick: bool = False, checkpoint: Path | None = None, run_name: str = "main") -> str:
    """Copy a checkpoint (default: run ``run_name``'s last) to the shipped weights without its optimiser
    state (the heads and step count stay, so later training continues it) and write MODEL_CARD.md beside."""
    source = checkpoint or work.run(run_name) / "last.pt"
    target = work.root / "shipped" / SHIPPED_WEIGHTS.name if quick else SHIPPED_WEIGHTS
    target.parent.mkdir(parents=True, exist_ok=True)
    net, payload = load_checkpoint(source)
    extra = {k: v for k, v in payload.items() if k in ("heads", "state")}
    save_checkpoint(target, net, payload.get("meta", {}), **extra)
    card_path = write_model_card(target, target.with_name("MODEL_CARD.md"))
    return f"ship: {target} ({target.stat().st_size / 1e6:.1f} MB) and {card_path}"


def bundle(work: Workdir, quick: bool = False, out: Path | None = None, budget_mb: float = 56.0,
           excerpt_s: float = 12.0) -> str:
    """Pack what pair generation needs on a machine without the Debian packages (see ``bundle.py``)."""
    from .bundle import make_bundle

    target = out or work.root / "bundle"
    held = make_bundle(work.corpus, work.presets, target, budget_mb, excerpt_s)
    return (f"bundle: {held['mib']} MiB in {target}: {held['plugins']} plugin libraries, {held['libraries']} "
            f"shared libraries, {held['recordings']} recordings ({held['corpus_hours']} h); on the machine: "
            f"source {target}/env.sh && stito pretrain pairs --workdir {target}/work --config gpu")


def _named(table: dict, name: str) -> object:
    """``table[name]``, or StitoError listing the names."""
    if name not in table:
        raise StitoError(f"unknown configuration '{name}'; valid: {', '.join(k for k in table if k != 'quick')}")
    return table[name]
