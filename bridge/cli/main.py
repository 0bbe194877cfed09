"""The ``stito`` command line: each command is a short recipe over ``stito_core``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from stito_core import __version__
from stito_core.objective import DEFAULT_METRIC, parse_groups
from stito_core.errors import SearchError, StitoError
from stito_core.attributes import GROUPS
from stito_core.match import AUDITION_ITER, MAX_AMOUNT, MIN_EXCERPT_S, check_amount, check_excerpt
from stito_core.search import check_options

from . import commands

EPILOG = "Exit codes: 0 done, 1 failure, 2 bad usage or bad input (one line on stderr says what)."


class _Parser(argparse.ArgumentParser):
    """argparse with the project's exit code 2 and a one-line error."""

    def error(self, message: str) -> None:
        raise SystemExit(_fail(f"{self.prog}: {message}", 2))


def _fail(message: str, code: int) -> int:
    print(f"stito: error: {message}", file=sys.stderr)
    return code


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar."""
    parser = _Parser(prog="stito", description="Audio-production style transfer: search a real effect chain "
                     "until your stem sounds like a reference (ST-ITO).", epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"stito {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    _add_match(sub)
    _add(sub, "demo", _demo, "run `match` on the example audio shipped with stito, into ./stito-demo/")
    chains = _add(sub, "chains", commands.chains, "list chains, or one chain's effects and parameters")
    chains.add_argument("name", nargs="?", help="a chain name, a chain TOML, a plugin path (.vst3, LADSPA .so) or an LV2 plugin URI (urn:ardour:a-eq)")
    plugins = _add(sub, "plugins", commands.plugins, "list effect plugins on this machine and whether each loads")
    plugins.add_argument("--format", choices=["vst3", "ladspa", "lv2"], help="only this plugin format")
    bench = _add(sub, "bench", commands.bench, "run a benchmark and print its table")
    bench.add_argument("task", choices=commands.BENCH_TASKS, help="which benchmark; `daemon-soak` soaks the daemon "
                       "(2,000 jobs, 100,000 hostile datagrams); `all` runs every engine task and rewrites "
                       "benchmarks/RESULTS.md")
    bench.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    bench.add_argument("--quick", action="store_true", help="a small, fast size (for tests)")
    bench.add_argument("--plots", type=Path, metavar="DIR", help="write the task's PNG plots into DIR")
    _add_apply(sub)
    _add_preset(sub)
    _add_serve(sub)
    _add_midi_learn(sub)
    _add_pretrain(sub)
    return parser


def _demo(_args: argparse.Namespace) -> int:
    """``stito demo``: the shipped example matched into ./stito-demo/."""
    folder = Path("stito-demo")
    folder.mkdir(exist_ok=True)
    return commands.demo(build_parser().parse_args(commands.demo_argv(folder)))


def _add(sub: argparse._SubParsersAction, name: str, fn: Callable, help_text: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
    parser.set_defaults(run=fn)
    return parser


def _add_match(sub: argparse._SubParsersAction) -> None:
    p = _add(sub, "match", commands.match, "make INPUT sound like REFERENCE by searching an effect chain")
    p.add_argument("input", type=Path, help="the dry audio to process (wav, flac, aiff, ogg; mono or stereo), or a "
                   "folder of stems: each is matched (results in -o FOLDER, default STEMS/matched/; a rerun "
                   "skips the stems already done)")
    p.add_argument("reference", type=Path, nargs="+", help="a recording whose production style to match; "
                   "several: their common style (their targets averaged)")
    p.add_argument("-c", "--chain", default="builtin", help="chain name in config/chains or a chain TOML "
                   "(default: builtin)")
    p.add_argument("-o", "--output", type=Path, help="processed audio (default: <INPUT stem>.matched.wav beside INPUT)")
    p.add_argument("--params", type=Path, help="parameter file (default: OUTPUT with .json)")
    p.add_argument("--method", choices=["st-ito", "rule-based"], default="st-ito",
                   help="st-ito: search the chain (default); rule-based: matching EQ + fitted compressor, "
                   "about a second, no chain")
    p.add_argument("--encoder", default=DEFAULT_METRIC, help=f"metric: attributes (tone, dynamics, space, width "
                   f"with content tolerances), afx-rep (shipped weights), mfcc, mir or a checkpoint path (default "
                   f"{DEFAULT_METRIC}: the style-transfer benchmark's choice, see benchmarks/RESULTS.md)")
    p.add_argument("--seed", type=_search_option("seed"), default=0,
                   help="random seed; the same seed repeats the search (default 0)")
    p.add_argument("--max-iter", type=_search_option("max_iter"), default=25,
                   help="most CMA-ES generations of the joint search; each effect's audition before it runs at "
                   f"most {AUDITION_ITER} (default 25)")
    p.add_argument("--popsize", type=_search_option("popsize"), default=None,
                   help="candidates per generation (default: CMA-ES's own 4 + 3 ln n for the n parameters each "
                   "stage searches; the paper used 64)")
    p.add_argument("--excerpt", type=_excerpt, default=None, metavar="SECONDS",
                   help="length of the loudest excerpt the search listens to (default 3)")
    _amount_option(p, "apply the found settings at this amount: 0 leaves the input untouched, 0.5 goes half way "
                   "from neutral (each parameter in its own scale, log ones in log), 1 as found (default), up to "
                   f"{MAX_AMOUNT:g} exaggerates; the parameter file keeps both the found and the applied values")
    p.add_argument("--match", type=_groups, default=None, metavar="GROUPS",
                   help=f"which attributes count, comma-separated from {','.join(GROUPS)} (default: all); "
                   "effects that serve none of them stay neutral (attributes metric only)")
    p.add_argument("--shared", action="store_true", help="with a stem folder: one search of the stems' mix, "
                   "its setting applied to every stem (default: a search per stem)")
    p.add_argument("--report", type=Path, metavar="FILE.png", help="also draw the report: the average spectra "
                   "of input, result and reference and their level over time, with what changed (a PNG)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _amount_option(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument("--amount", type=_amount, default=1.0, metavar="A", help=help_text)


def _amount(text: str) -> float:
    """An argparse type for ``--amount``: 0 to ``MAX_AMOUNT``."""
    try:
        return check_amount(float(text))
    except (ValueError, SearchError):
        raise argparse.ArgumentTypeError(f"amount {text!r}: expected a number from 0 to {MAX_AMOUNT:g}") from None


def _groups(text: str) -> tuple[str, ...]:
    """An argparse type for ``--match``: known attribute groups, comma-separated, at least one."""
    try:
        chosen = parse_groups(text)
    except SearchError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not chosen:
        raise argparse.ArgumentTypeError(f"unknown attribute '{text}'; choose from {', '.join(GROUPS)}")
    return chosen


def _add_apply(sub: argparse._SubParsersAction) -> None:
    p = _add(sub, "apply", commands.apply, "render a saved match (its parameter file, or a preset name) onto "
             "another file: same chain, same settings, no search")
    p.add_argument("match", help="a parameter file written by `stito match`, or a preset name (`stito preset list`)")
    p.add_argument("stem", type=Path, help="the audio to process (wav, flac, aiff, ogg; mono or stereo)")
    _amount_option(p, "how far toward the saved settings, 0 (untouched) to "
                   f"{MAX_AMOUNT:g} (default 1: as saved)")
    p.add_argument("-o", "--output", type=Path, help="processed audio (default: <STEM stem>.applied.wav beside STEM)")
    p.add_argument("--params", type=Path, help="parameter file of the render (default: OUTPUT with .json)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def _add_preset(sub: argparse._SubParsersAction) -> None:
    p = _add(sub, "preset", commands.preset, "keep matches as named presets in your preset folder "
             "($STITO_PRESETS, else ~/.config/stito/presets) and list them")
    actions = p.add_subparsers(dest="action", required=True, parser_class=_Parser, metavar="ACTION")
    save = actions.add_parser("save", help="keep a match's parameter file as preset NAME",
                              description="keep a match's parameter file as preset NAME", epilog=EPILOG)
    save.add_argument("match", type=Path, help="a parameter file written by `stito match`")
    save.add_argument("name", help="the preset's name (letters, digits, '-', '_', '.')")
    save.add_argument("--force", action="store_true", help="replace an existing preset of that name")
    actions.add_parser("list", help="list the presets with their chains and effects",
                       description="list the presets with their chains and effects", epilog=EPILOG)


def _search_option(key: str) -> Callable[[str], int]:
    """An argparse type for the whole-number search option ``key``, checked before any work starts."""
    def parse(text: str) -> int:
        try:
            return check_options({key: int(text)})[key]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        except SearchError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return parse


def _excerpt(text: str) -> float:
    """An argparse type for ``--excerpt``: seconds, at least the shortest audio stito reads."""
    try:
        return check_excerpt(float(text))
    except (ValueError, SearchError):
        raise argparse.ArgumentTypeError(f"excerpt length {text!r}: expected a number of seconds of at least "
                                         f"{MIN_EXCERPT_S:g}") from None


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = _add(sub, "serve", commands.serve, "run the companion daemon (OSC server, watch folders) until "
             "SIGINT/SIGTERM")
    p.add_argument("--config", type=Path, metavar="FILE", help="daemon configuration TOML (default: "
                   "config/stito.toml; see docs/DAEMON.md)")


def _add_pretrain(sub: argparse._SubParsersAction) -> None:
    p = _add(sub, "pretrain", commands.pretrain, "build AFx-Rep's training data and train it, one step at a time: "
             "corpus -> presets -> pairs -> train -> ship")
    steps = p.add_subparsers(dest="step", required=True, parser_class=_Parser, metavar="STEP")

    def step(name: str, help_text: str, jobs: bool = True) -> argparse.ArgumentParser:
        s = steps.add_parser(name, help=help_text, description=help_text, epilog=EPILOG)
        s.add_argument("--workdir", type=Path, help="working folder shared by the steps (default: "
                       "$STITO_CACHE/pretrain, else ~/.cache/stito/pretrain; --quick uses its quick/ subfolder)")
        s.add_argument("--quick", action="store_true", help="tiny sizes that run in about a minute (for tests)")
        if jobs:
            s.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: one per core)")
        return s

    c = step("corpus", "render and list the corpus: real recordings from Debian packages (game music, ringtones, "
             "spoken words, sound effects), MIDI through three SoundFonts, text through three speech engines; "
             "benchmark content is refused; writes corpus/manifest.jsonl")
    c.add_argument("--sources", nargs="+", metavar="NAME", help="only these sources (default: all)")
    s = step("presets", "per pool effect, cluster random settings by the MFCCs of one processed recording into "
             "K presets (k-means); writes presets.json")
    s.add_argument("--settings", type=int, metavar="N", help="random settings per effect (default 200; paper 1000)")
    s.add_argument("--k", type=int, default=10, help="presets per effect (default 10)")
    r = step("pairs", "render (input, output, effect, preset) pair shards in parallel; resumable: existing shards "
             "are kept")
    r.add_argument("--config", default="cpu", help="size: cpu (12000 groups of 2 pairs, 2 s clips, 2.3 GB of "
                   "spectrograms) or gpu (60000 groups, 2.5 s clips, 14 GB)")
    r.add_argument("--groups", type=int, metavar="N", help="training groups (default: the config's)")
    r.add_argument("--val-groups", type=int, metavar="N", help="validation groups (default: the config's)")
    t = step("train", "train AFx-Rep on the pairs (CPU, GPU or torchrun); resumes the run's last checkpoint, "
             "else continues the shipped weights", jobs=False)
    t.add_argument("--config", default="cpu", help="cpu (6000 steps of 64 pairs of 1.5 s, the small encoder) or gpu "
                   "(30000 steps of 256 pairs of 2 s)")
    t.add_argument("--name", dest="run_name", default="main", help="the run: its folder under runs/ (default "
                   "main; not --run, which torchrun would take as its own --run-path)")
    t.add_argument("--steps", type=int, metavar="N", help="total steps to reach (default: the config's)")
    t.add_argument("--init", type=Path, metavar="CHECKPOINT", help="continue this checkpoint (default: the "
                   "shipped weights, when there are any)")
    t.add_argument("--fresh", action="store_true", help="start from random weights, not the shipped ones")
    t.add_argument("--max-minutes", type=float, metavar="M", help="stop (with a checkpoint) after M minutes")
    t.add_argument("--contrastive-weight", type=float, metavar="W", help="weight of the contrastive term "
                   "(0 turns it off; default: the config's)")
    b = step("bundle", "pack the pool's plugins, sox and their libraries, a corpus subset and the presets "
             "into a folder small enough to carry to a GPU machine without Debian packages", jobs=False)
    b.add_argument("--out", type=Path, help="new folder for the bundle (default: <workdir>/bundle)")
    b.add_argument("--budget-mb", type=float, default=56.0, help="largest size in MiB (default 56)")
    b.add_argument("--excerpt-s", type=float, default=12.0, help="seconds kept per recording (default 12)")
    m = step("card", "write MODEL_CARD.md from a checkpoint's meta", jobs=False)
    m.add_argument("--checkpoint", type=Path, help="default: runs/<name>/last.pt")
    m.add_argument("--output", type=Path, help="default: MODEL_CARD.md beside the checkpoint")
    m.add_argument("--name", dest="run_name", default="main", help="the run (default main)")
    h = step("ship", "make a checkpoint the shipped weights (stito_core/weights/afx_rep.pt, without its optimiser "
             "state) and write MODEL_CARD.md beside them", jobs=False)
    h.add_argument("--checkpoint", type=Path, help="default: runs/<name>/last.pt")
    h.add_argument("--name", dest="run_name", default="main", help="the run (default main)")



def _add_midi_learn(sub: argparse._SubParsersAction) -> None:
    p = _add(sub, "midi-learn", commands.midi_learn, "wiggle each chain parameter's MIDI control in turn, for "
             "a DAW's MIDI learn (profile midi: CC per parameter)")
    p.add_argument("chain", help="chain name in config/chains or a chain TOML")
    p.add_argument("--profile", default="midi", help="MIDI DAW profile: a name (config/daw or --profiles-dir) or a "
                   "TOML path (default: midi)")
    p.add_argument("--profiles-dir", type=Path, metavar="DIR", help="folder of your own DAW profiles")
    p.add_argument("--port", help="MIDI output port (default: the profile's, 'stito')")
    p.add_argument("--virtual", action=argparse.BooleanOptionalAction, default=None,
                   help="open a virtual port of that name (default: the profile's; on for 'stito')")
    p.add_argument("--gap", type=float, metavar="SECONDS", help="go on by itself every SECONDS instead of waiting "
                   "for Enter (default: Enter in a terminal, else 3)")
    p.add_argument("--dry-run", action="store_true", help="print the messages instead of sending them")

def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stito`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args) or 0
    except StitoError as exc:
        return _fail(str(exc), 2 if exc.bad_input else 1)
    except BrokenPipeError:  # the reader went away (e.g. `stito chains | head`): nothing more to say
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's final flush quiet
        return 0
    except KeyboardInterrupt:
        return _fail("interrupted; no file was left half-written", 130)
    except Exception as exc:  # the last guard: a user never sees a traceback
        return _fail(f"internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); "
                     "please report it", 1)


if __name__ == "__main__":
    sys.exit(main())
