"""What each ``stito`` command does: load -> check -> work -> save, printing for a person."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from . import batch

from stito_core import load_chain
from stito_core.objective import load_objective
from stito_core.bench import TASKS
from stito_core.audio_io import check_output_path, check_target, read_audio, write_text_atomic
from stito_core.chain import Chain
from stito_core.errors import AudioError, SearchError
from stito_core.param_file import save_applied, save_match
from stito_core.picture import draw_report
from stito_core.report import attribute_lines, report_lines
from stito_core.saved import list_presets, load_saved, presets_dir, resolve, save_preset
from stito_core.shipped import EXAMPLES_DIR
from stito_core.chains import chain_names
from stito_core.match import MatchResult, Progress, match_audio
from stito_core.rule_based import rule_based_match

BENCH_TASKS = [*TASKS, "daemon-soak", "all"]


def match(args: argparse.Namespace) -> int:
    """``stito match``: check every input and output path, search (or fit the rule-based baseline), then
    write audio and parameters. A folder as INPUT matches each stem in it (:mod:`.batch`)."""
    if args.input.is_dir():
        return batch.match_folder(args, _objective(args))
    if args.shared:
        raise SearchError("--shared is for a folder of stems as INPUT")
    out = args.output or args.input.with_name(f"{args.input.stem}.matched.wav")
    params = args.params or out.with_suffix(".json")
    _check_distinct(args, out, params)
    check_output_path(out, args.force)
    check_target(params, args.force)
    if args.report is not None:
        _check_outputs(args.report, out, [args.input, *args.reference, params])
        check_target(args.report, args.force)
    source, references = read_audio(args.input), [read_audio(path) for path in args.reference]
    named = " + ".join(str(path) for path in args.reference)
    encoder = _objective(args)
    if args.method == "rule-based":
        if len(references) > 1:
            raise SearchError("several references need the st-ito method (rule-based matches one)")
        print(f"matching {args.input} to {named}: rule-based EQ and compressor", file=sys.stderr)
        result = rule_based_match(source, references[0], encoder, **_excerpt_option(args))
        _save(args, "rule-based", result, out, params)
        return 0
    chain = load_chain(args.chain)
    options = {"seed": args.seed, "max_iter": args.max_iter, "popsize": args.popsize, "amount": args.amount,
               **_excerpt_option(args)}
    print(f"matching {args.input} to {named}: chain {chain.name} ({len(chain.parameters)} parameters), "
          f"metric {encoder.name}", file=sys.stderr)
    with _ProgressBar(disable=args.quiet) as bar:
        result = match_audio(source, references, chain, encoder, progress=bar.update, **options)
    if args.report is not None:
        draw_report(args.report, {"input": source, "result": result.audio, "reference": references[0]},
                    report_lines(result.report),
                    overwrite=args.force)
        print(f"drew the report in {args.report}")
    _save(args, chain.name, result, out, params, chain.path)
    return 0


def _objective(args: argparse.Namespace) -> Any:
    """The metric ``--encoder`` names, weighing only the ``--match`` groups when given."""
    objective = load_objective(args.encoder)
    if args.match is None:
        return objective
    if args.method == "rule-based":
        raise SearchError(f"--match {','.join(args.match)}: choosing attributes needs the st-ito method")
    return objective.counting(args.match)


def apply(args: argparse.Namespace) -> int:
    """``stito apply``: a saved match (or preset) rendered onto STEM at ``--amount``, without a search."""
    saved = load_saved(resolve(args.match))
    out = args.output or args.stem.with_name(f"{args.stem.stem}.applied.wav")
    params = args.params or out.with_suffix(".json")
    _check_outputs(out, params, [args.stem, saved.path])
    check_output_path(out, args.force)
    check_target(params, args.force)
    audio = saved.render(read_audio(args.stem).stereo(), args.amount)  # stereo, as a match writes
    gain_db = save_applied(saved, audio, args.amount, args.stem, out, params, overwrite=args.force)
    if gain_db < 0:
        print(f"note: the processed audio peaked above 0 dBFS; scaled by {gain_db:.1f} dB to avoid clipping")
    print(f"applied {saved.path} (chain {saved.chain.name}) at amount {args.amount:g} to {args.stem}")
    print(f"effects on: {', '.join(saved.effects_on(args.amount)) or 'none (the input is returned unprocessed)'}")
    print(f"wrote {out} and {params}")
    return 0


def preset(args: argparse.Namespace) -> int:
    """``stito preset save MATCH NAME`` / ``stito preset list``."""
    if args.action == "save":
        path = save_preset(args.match, args.name, overwrite=args.force)
        print(f"saved preset '{args.name}' as {path}; apply it with `stito apply {args.name} STEM`")
        return 0
    rows = list_presets()
    if not rows:
        print(f"no presets in {presets_dir()} (keep one with `stito preset save MATCH.json NAME`)")
    for name, chain, on in rows:
        print(f"{name:24s} {chain:16s} {', '.join(on) or '(no effect on)'}")
    return 0


def _check_distinct(args: argparse.Namespace, out: Path, params: Path) -> None:
    """Outputs must differ from each other and from the inputs, even with --force: no user file is lost."""
    _check_outputs(out, params, [args.input, *args.reference])


def _check_outputs(out: Path, params: Path, inputs: list[Path]) -> None:
    """``out`` and ``params`` differ from each other and from every one of ``inputs``."""
    def same(a: Path, b: Path) -> bool:
        return a.resolve() == b.resolve()
    if same(out, params):
        raise AudioError(f"{out}: the processed audio and the parameter file need different names (see --params)")
    for target in (out, params):
        for source in inputs:
            if same(target, source):
                raise AudioError(f"{target}: is an input of this command; choose another output name")


def _excerpt_option(args: argparse.Namespace) -> dict[str, float]:
    return {} if args.excerpt is None else {"excerpt_s": args.excerpt}


def _save(args: argparse.Namespace, chain: str, result: MatchResult, out: Path, params: Path,
          chain_file: Path | None = None) -> None:
    """Write the processed audio and the parameter file, then the summary lines."""
    gain_db = save_match(result, chain, args.input, list(args.reference), out, params, overwrite=args.force,
                         chain_file=chain_file)
    if gain_db < 0:
        print(f"note: the processed audio peaked above 0 dBFS; scaled by {gain_db:.1f} dB to avoid clipping")
    print(f"wrote {out} and {params} in {result.seconds:.1f} s (stopped: {_reason(result.stop)})")
    if result.enabled:
        effects = result.report.get("effects")  # one line each; a rule-based result has no report
        print("effects on: " + ("".join(f"\n  {line}" for line in effects) if effects else
                                "none (the input is returned unprocessed)"))
    for line in attribute_lines(result.report.get("attributes", {})):
        print(f"  {line}")
    if result.verification:
        print(_verdict(result.verification))
    if "references" in result.report:
        print(_apart_line(result.report["references"]))
    if result.amount != 1.0:
        print(f"applied at amount {result.amount:g} of the found settings (both are in {params})")
    print(f"similarity {result.similarity_before:.3f} -> {result.similarity_after:.3f}")


def _apart_line(references: dict) -> str:
    """How far apart several references were, as one line."""
    if "apart" not in references:
        return f"{references['count']} references, mean similarity {references['similarity_to_common']:.3f} to their common style"
    far = ", ".join(f"{g} {d:.3f}" for g, d in references["apart"].items())
    return f"{references['count']} references matched as one style; their distance from it (0 = alike): {far}"


def _verdict(check: dict) -> str:
    """The do-no-harm check as one line."""
    where = f"an unheard {check['excerpt_s']:g} s of the input" if check["unseen"] else "the searched excerpt"
    scores = f"similarity {check['similarity_neutral']:.3f} untouched, {check['similarity_found']:.3f} found"
    action = {"kept": "kept the found setting", "neutral": "returned the input untouched",
              "scaled": f"scaled the setting back to {check['amount']:g} of the way from neutral"}[check["action"]]
    return f"check on {where}: {scores}; {action}"


def _reason(stop: dict) -> str:
    """A stop dict as words, e.g. 'maxiter=25'."""
    return ", ".join(f"{k}={v}" for k, v in stop.items()) or "done"


class _ProgressBar:
    """A tqdm bar over generations showing the best similarity, then the final render's share done; a
    ``progress`` callback for ``match``."""

    def __init__(self, disable: bool) -> None:
        self.bar = tqdm(unit="gen", desc="searching", disable=disable, file=sys.stderr, dynamic_ncols=True)

    def update(self, progress: Progress) -> None:
        self.bar.total = progress.max_iter  # the most generations the match can still run
        self.bar.update(progress.iteration - self.bar.n)
        if progress.stage == "render":
            self.bar.set_description("rendering", refresh=False)
            self.bar.set_postfix(best=f"{progress.best_similarity:.3f}", done=f"{progress.rendered:.0%}")
        else:
            self.bar.set_postfix(best=f"{progress.best_similarity:.3f}")

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()


def demo(match_args: argparse.Namespace) -> int:
    """``stito demo``: ``match`` with ``match_args`` (from :func:`demo_argv`), saying what to listen to."""
    print(f"demo: matching the example {match_args.input.name} to {match_args.reference[0].name}")
    match(match_args)
    print(f"demo: listen to {match_args.output} (processed) beside {match_args.reference[0]} (reference); "
          f"the found settings are in {match_args.output.with_suffix('.json')}")
    return 0


def demo_argv(folder: Path) -> list[str]:
    """``stito match`` arguments for the shipped example, writing into ``folder`` (overwriting earlier demos)."""
    return ["match", str(EXAMPLES_DIR / "input.flac"), str(EXAMPLES_DIR / "reference.flac"),
            "-o", str(folder / "input.matched.wav"), "--force"]


def chains(args: argparse.Namespace) -> int:
    """``stito chains [NAME]``: the shipped chains, or one chain's effects and parameters."""
    if args.name is None:
        for name in chain_names():
            chain = load_chain(name)
            print(f"{name:16s} {len(chain.parameters):3d} parameters  {chain.description}")
        return 0
    chain = _chain_or_plugin(args.name)
    print(chain)
    for slot in chain.slots:
        print(f"\n{slot.effect!r}")
        for p in slot.searched:
            print(f"  {p.name:28s} {p.minimum:>10g} .. {p.maximum:<10g} {p.unit:4s} {p.scale.value:6s} "
                  f"default {p.default:g}  neutral {p.neutral_value:g}")
        for name, value in slot.fixed.items():
            print(f"  {name:28s} fixed at {value:g}")
    return 0


def _chain_or_plugin(name: str) -> Chain:
    """A chain by name/TOML, or a one-effect chain around a plugin file (every parameter searched)."""
    from stito_core.chain import Slot
    from stito_core.chains import BACKENDS

    if name.endswith((".vst3", ".component")):
        effect = BACKENDS["vst3"]({"path": name})
    elif name.endswith(".so"):
        effect = BACKENDS["ladspa"]({"library": name})
    elif re.match(r"[A-Za-z][A-Za-z0-9+.-]+:", name) and not Path(name).exists():
        effect = BACKENDS["lv2"]({"uri": name})
    else:
        return load_chain(name)
    return Chain(Path(name).stem, [Slot(effect, effect.parameters)])


def plugins(args: argparse.Namespace) -> int:
    """``stito plugins``: every plugin found, with whether stito can load it."""
    from stito_core.plugins import FORMATS, discover, missing

    rows = discover(args.format)
    for row in rows:
        print(f"{row.format:7s} {'ok ' if row.loads else 'no '} {row.name:32s} {row.location}"
              + (f"  ({row.detail})" if row.detail else ""))
    for line in filter(None, (missing(f, rows) for f in FORMATS if args.format in (None, f))):
        print(line)
    print(f"{sum(r.loads for r in rows)} of {len(rows)} plugins load; the builtin chain (pedalboard's own "
          "effects) needs none")
    return 0


def bench(args: argparse.Namespace) -> int:
    """``stito bench TASK``: run a benchmark, print its table, optionally save JSON; ``all`` regenerates
    benchmarks/RESULTS.md with every table and plot."""
    from stito_core.bench import run_task
    from stito_core.bench.results import run_all

    if args.task == "daemon-soak":
        return _soak(args.quick)
    if args.task == "all":
        run_all(quick=args.quick)
        print("wrote benchmarks/RESULTS.md")
        return 0
    report = run_task(args.task, quick=args.quick, plot_dir=args.plots)
    print(report.table)
    if args.json:
        write_text_atomic(args.json, json.dumps(report.data, indent=2) + "\n", overwrite=True)
    return 0


def _soak(quick: bool) -> int:
    """``stito bench daemon-soak``: the daemon's soak benchmark (bridge/daemon/soak.py); writes
    benchmarks/daemon_soak.md unless ``quick``."""
    from ..daemon.soak import DEFAULT_OUT, run

    report = (run(jobs=30, datagrams=2000) if quick else run()).markdown()
    if not quick:
        write_text_atomic(DEFAULT_OUT, report, overwrite=True)
    print(report)
    return 0


def serve(args: argparse.Namespace) -> int:
    """``stito serve``: the companion daemon until SIGINT/SIGTERM (see docs/DAEMON.md)."""
    from ..daemon.service import run

    return run(args.config)


def midi_learn(args: argparse.Namespace) -> int:
    """``stito midi-learn CHAIN``: wiggle each parameter's MIDI control in turn for a DAW's MIDI learn."""
    from ..pushback.midi_learn import run

    return run(args)


def pretrain(args: argparse.Namespace) -> int:
    """``stito pretrain STEP``: one step of making AFx-Rep's training data or training it, in a working folder
    (see stito_core/pretrain/steps.py)."""
    from stito_core.pretrain import steps

    options = {k: v for k, v in vars(args).items() if k not in ("command", "run", "step", "workdir")}
    print(getattr(steps, args.step)(steps.workdir(args.workdir, args.quick), **options))
    return 0
