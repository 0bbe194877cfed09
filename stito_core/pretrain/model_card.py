"""MODEL_CARD.md for a trained AFx-Rep checkpoint: a template whose placeholders are filled from the
checkpoint's meta (steps, hardware, time, corpus, effects, validation), and a benchmark section read from the
committed results (``benchmarks/*.json`` and ``RESULTS.md``, written by ``stito bench all``): the pretraining
issue's acceptance figures, then the classification, retrieval, parameter-estimation and default-metric tables."""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..audio_io import write_text_atomic
from ..encoders.checkpoint import load_checkpoint

#: Where ``stito bench all`` commits its results (the repository's ``benchmarks`` folder).
RESULTS_DIR = Path(__file__).resolve().parents[2] / "benchmarks"
#: Sections of RESULTS.md quoted in the card.
QUOTED = ("style-classification", "style-retrieval", "param-estimation", "Embedding ranking")
#: The pretraining issue's targets: classification average, its margin over MFCC, pedalboard rows whose
#: correlation beats MFCC's, seconds to embed 64 five-second stereo excerpts.
TARGETS = {"accuracy": 0.86, "margin": 0.12, "rows": 5, "embed_s": 0.6}

TEMPLATE = """# AFx-Rep model card

AFx-Rep maps audio to an embedding of its production style (EQ, dynamics, distortion, modulation, delay,
reverb, stereo), after ST-ITO (Steinmetz et al., ISMIR 2024). stito uses it as the similarity metric
that the style-transfer search maximises.

## Model
- Checkpoint `{checkpoint}`, loaded by `stito_core.load_encoder(path)`; configuration `{encoder_config}`:
  PANNs-style CNN with conv widths {widths} ({block_depth} 3x3 convolution(s) and 2x2 average pooling per
  block, spectrogram frames averaged in groups of {time_pool} first), "{pooling}" pooling, {embed_dim}-d mid
  and side embeddings (each L2-normalised, concatenated), {parameters} parameters.
- Front end: mid (L+R)/2 and side (L-R)/2, each peak-normalised; log-mel at {sample_rate} Hz, window
  {n_fft}, hop {hop}, {n_mels} bands (band energies in dB), clipped to [-80, 40] dB and scaled to [-1, 1].

## Training
- Pretext task (the paper's): an effect from a pool of {effects} and one of its {presets} presets process
  a recording; an MLP on the input and output embeddings predicts the effect, a second MLP (embeddings
  plus effect logits) the preset; cross-entropy each. Contrastive term (same effect and preset on another
  recording is a positive): weight {contrastive_weight}, temperature {temperature}. Heads are discarded.
- {total_steps} steps of {pairs_per_step} pairs, Adam at {lr}, divided by 10 at {lr_drops} of the steps
  of the run's target ({target_steps}); clips of {crop_s} s with a random crop and a random gain in
  {gain_db} dB.
- Training time: {wall_time} in all.

{sessions}

## Data
- Corpus: {hours} h in {recordings} recordings of real and rendered audio from Debian packages, by kind:
  {hours_per_kind}. Held-out recordings: {val_recordings}.
- Packages read: {packages}.
- Benchmark content (`stito_core/bench/DATA.md`) is excluded in code: every file's owning package and
  folder is checked before use; the reserved held-out packages are never read.
- Effects: {effects} real effects (LADSPA plugins and SoX), {presets} presets each (k-means over MFCCs of
  random settings). Pedalboard's built-in effects are not in the pool: the `builtin` chain is unseen.
- Pairs: {train_groups} training and {val_groups} validation groups of {group_size} pairs (same effect and
  preset on different recordings), {clip_s} s clips at {pair_rate} Hz, input gain {input_gain_db} dB.

## Validation (pretext task, held-out recordings)
- Effect accuracy {val_effect_acc} (chance {chance_effect}); preset accuracy {val_preset_acc} (chance
  {chance_preset}); at step {val_step}.

## Benchmarks
{benchmarks}

## Limitations
- Trained far shorter than the paper (1M steps of 32 pairs on a GPU); see the steps and hardware above.
- Singing is sampled choir vowels, not sung lyrics; much speech is synthetic (16 espeak-ng, 5 flite and
  2 Festival voices) besides recorded words in 27 languages; music is game music, ringtones and MIDI
  rendered through General MIDI SoundFonts.
"""


def card_fields(checkpoint: Path) -> dict[str, str]:
    """The template's placeholders filled from ``checkpoint``'s configuration and meta."""
    net, payload = load_checkpoint(checkpoint)
    meta, front = payload.get("meta", {}), net.config.front
    config, pairs, corpus = meta.get("train_config", {}), meta.get("pairs", {}), meta.get("corpus", {})
    validation = meta.get("validation", {})
    effects, presets = meta.get("effects", 0), meta.get("presets_per_effect", 0)
    return {
        "checkpoint": checkpoint.name, "encoder_config": meta.get("encoder_config", "?"),
        "widths": ", ".join(map(str, net.config.widths)), "embed_dim": str(net.config.embed_dim),
        "block_depth": str(net.config.block_depth), "time_pool": str(net.config.time_pool),
        "pooling": net.config.pooling,
        "parameters": f"{sum(p.numel() for p in net.parameters()):,}", "sample_rate": str(front.sample_rate),
        "n_fft": str(front.n_fft), "hop": str(front.hop), "n_mels": str(front.n_mels),
        "effects": str(effects), "presets": str(presets),
        "contrastive_weight": str(config.get("contrastive_weight", "?")),
        "temperature": str(config.get("temperature", "?")),
        "total_steps": f"{meta.get('total_steps', 0):,}", "pairs_per_step": str(meta.get("pairs_per_step", "?")),
        "lr": str(config.get("lr", "?")), "lr_drops": _percent(config.get("lr_drops", ())),
        "target_steps": f"{config.get('steps', 0):,}", "crop_s": str(config.get("crop_s", "?")),
        "gain_db": _range(config.get("gain_db")), "wall_time": _duration(meta.get("wall_time_s", 0.0)),
        "sessions": _sessions(meta.get("sessions", [])),
        "hours": str(corpus.get("hours", "?")), "recordings": str(corpus.get("recordings", "?")),
        "hours_per_kind": ", ".join(f"{k} {v} h" for k, v in corpus.get("hours_per_kind", {}).items()) or "?",
        "val_recordings": str(corpus.get("recordings_per_split", {}).get("val", 0)),
        "packages": ", ".join(f"`{p}`" for p in corpus.get("packages", [])) or "?",
        "train_groups": str(pairs.get("groups", "?")), "val_groups": str(pairs.get("val_groups", "?")),
        "group_size": str(pairs.get("group_size", "?")), "clip_s": str(pairs.get("clip_s", "?")),
        "pair_rate": str(pairs.get("rate", "?")), "input_gain_db": _range(pairs.get("input_gain_db")),
        "val_effect_acc": str(validation.get("val_effect_acc", "?")), "chance_effect": _chance(effects),
        "val_preset_acc": str(validation.get("val_preset_acc", "?")), "chance_preset": _chance(presets),
        "val_step": str(validation.get("step", "?")), "benchmarks": benchmark_section(RESULTS_DIR),
    }


def benchmark_section(folder: Path) -> str:
    """The acceptance figures and the quoted tables from the results in ``folder``, or a line saying that
    ``stito bench all`` has not written them yet."""
    try:
        lines = acceptance(folder) + ["", "From `benchmarks/RESULTS.md` (`stito bench all`):", ""]
        return "\n".join(lines + quoted_sections((folder / "RESULTS.md").read_text(encoding="utf-8")))
    except (OSError, KeyError, ValueError):
        return "No benchmark results yet: run `stito bench all`, then `stito pretrain card`."


def acceptance(folder: Path) -> list[str]:
    """One line per target of the pretraining issue, with the measured figure and whether it is met."""
    def read(task: str) -> dict:
        return json.loads((folder / f"{task}.json").read_text(encoding="utf-8"))

    accuracy = {n: e["all"]["accuracy"]["average"] for n, e in read("style-classification")["encoders"].items()}
    rows = [r for r in read("param-estimation")["rows"] if r["paper"]]
    wins = sum(_rho(r, "afx-rep") > _rho(r, "mfcc") for r in rows)
    embed = {e["encoder"]: e["seconds"] for e in read("speed")["embed"]}
    margin = accuracy["afx-rep"] - accuracy["mfcc"]
    return ["| target | measured | met |", "|---|---|---|",
            f"| style classification average >= {TARGETS['accuracy']} | {accuracy['afx-rep']:.3f} "
            f"(MFCC {accuracy['mfcc']:.3f}, MIR {accuracy.get('mir', math.nan):.3f}) | "
            f"{_met(accuracy['afx-rep'] >= TARGETS['accuracy'])} |",
            f"| ... and >= MFCC + {TARGETS['margin']} | +{margin:.3f} | {_met(margin >= TARGETS['margin'])} |",
            f"| param-estimation rho above MFCC's on >= {TARGETS['rows']} of {len(rows)} pedalboard rows | "
            f"{wins} of {len(rows)} | {_met(wins >= TARGETS['rows'])} |",
            f"| 64 x 5 s stereo embedded in < {TARGETS['embed_s']} s | {embed['afx-rep']:.2f} s (MFCC "
            f"{embed.get('mfcc', math.nan):.2f} s) | {_met(embed['afx-rep'] < TARGETS['embed_s'])} |"]


def quoted_sections(results: str) -> list[str]:
    """The ``QUOTED`` sections of RESULTS.md, headings demoted one level, plot images left out."""
    out: list[str] = []
    for part in results.split("\n## ")[1:]:
        title, _, body = part.partition("\n")
        if title.strip() in QUOTED:
            kept = [line for line in body.splitlines() if not line.startswith("![")]
            out += [f"### {title.strip()}", *kept]
    if not out:
        raise ValueError("no quoted sections")
    return out


def _rho(row: dict, encoder: str) -> float:
    """The row's correlation for ``encoder``; NaN (a constant estimate) counts as no correlation."""
    rho = row["encoders"][encoder]["rho"]
    return -1.0 if rho is None or math.isnan(rho) else rho


def _met(flag: bool) -> str:
    return "yes" if flag else "**no**"


def write_model_card(checkpoint: Path, out: Path) -> Path:
    """Write ``out`` (MODEL_CARD.md) for ``checkpoint``; returns ``out``."""
    write_text_atomic(out, TEMPLATE.format_map(card_fields(checkpoint)), overwrite=True)
    return out


def _percent(fractions: list[float] | tuple[float, ...]) -> str:
    return " and ".join(f"{100 * f:g} %" for f in fractions) or "?"


def _range(pair: list[float] | tuple[float, float] | None) -> str:
    return f"[{pair[0]:g}, {pair[1]:g}]" if pair else "?"


def _chance(classes: int) -> str:
    return f"{1 / classes:.3f}" if classes else "?"


def _duration(seconds: float) -> str:
    """Seconds as "1 h 05 min" or "12 min 30 s"."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def _sessions(sessions: list[dict]) -> str:
    """A Markdown table of the training sessions: steps, hardware, wall time."""
    rows = [f"| {s['from_step']:,}-{s['to_step']:,} | {s['hardware']} | {_duration(s['wall_time_s'])} | {s['ended']} |"
            for s in sessions]
    return "\n".join(["| steps | hardware | wall time | ended (UTC) |", "|---|---|---|---|", *rows])
