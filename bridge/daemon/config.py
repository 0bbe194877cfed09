"""The daemon's configuration: one TOML file, validated once at start against a typed schema.

Every problem is collected, not only the first, each as ``section/key: what is wrong``, e.g.
``watch[1]/chain: unknown chain 'bultin'. Did you mean 'builtin'?``. Unknown keys are errors.
Relative paths are relative to the folder of the configuration file.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stito_core.chain import Chain
from stito_core.saved import SavedMatch, load_saved
from stito_core.chains import chain_names, load_chain
from stito_core.objective import DEFAULT_METRIC, parse_groups
from stito_core.errors import ChainError, NotAllowedError, StitoError
from stito_core.places import Places, inside
from stito_core.search import OPTIONS
from stito_core.shipped import CONFIG_DIR

from ..codes import Code, DaemonError
from .inputs import check_references
from ..pushback.profiles import Profile, load_profiles

#: Shortest ``server.token`` accepted: a guessable secret protects nothing.
MIN_TOKEN_CHARS = 16
#: The example configuration, used when ``stito serve`` is given none.
DEFAULT_CONFIG = CONFIG_DIR / "stito.toml"
#: Marks a key that must be given.
REQUIRED = object()


@dataclass(frozen=True)
class Key:
    """One configuration key: its type (str, int, float, bool, "path" or "paths": a list of paths),
    default, bounds and meaning.

    A default of ``None`` means the key is optional and absent unless given.
    """

    kind: type | str
    default: Any
    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()


def _search_keys() -> dict[str, Key]:
    """``[jobs.search]``: the engine's search options, with the engine's own bounds."""
    keys = {name: Key(opt.kind, None, opt.doc, opt.low, opt.high) for name, opt in OPTIONS.items()}
    keys["excerpt_s"] = Key(float, None, "length of the loudest excerpt the search listens to, seconds", 0.5, 600)
    return keys


SCHEMA: dict[str, dict[str, Key]] = {
    "server": {
        "host": Key(str, "127.0.0.1", "address the OSC server listens on"),
        "port": Key(int, 9700, "UDP port; 0 picks a free one (the log names it)", 0, 65535),
        "reply_host": Key(str, None, "send every reply here instead of to the sender (with reply_port)"),
        "reply_port": Key(int, None, "UDP port of reply_host", 1, 65535),
        "daw": Key(str, None, "DAW profile that receives the parameters of matches asked for over OSC"),
        "chain_folders": Key("paths", (), "folders whose chain files OSC requests may name, besides the "
                             "shipped chains (and the chains named in this file)"),
        "plugin_folders": Key("paths", (), "folders plugins may be loaded from, besides each format's standard "
                              "folders and LADSPA_PATH, VST3_PATH, LV2_PATH"),
        "allowed_roots": Key("paths", None, "when given, the only folders whose files OSC requests may read "
                             "(input, reference) and write beside (results)"),
        "token": Key(str, None, f"when given, a shared secret (at least {MIN_TOKEN_CHARS} characters, no "
                     "spaces) that must be the first argument of every OSC message; others are refused (105)"),
    },
    "jobs": {
        "queue_length": Key(int, 16, "most jobs waiting to run; more are refused with 'queue full'", 1, 100000),
        "workers": Key(int, 1, "jobs run at once (one search already uses every core)", 1, 64),
        "max_duration_s": Key(float, 600.0, "longest input or reference accepted, seconds", 1, 86400),
        "time_limit_s": Key(float, 1800.0, "a job running longer is stopped and fails, seconds", 1, 604800),
        "shutdown_grace_s": Key(float, 0.0, "on SIGINT/SIGTERM, wait this long for running jobs before "
                                "cancelling them (they run again at the next start), seconds", 0, 86400),
        "state_dir": Key("path", None, "folder of the job journal (default $XDG_STATE_HOME/stito)"),
        "output_folder": Key("path", None, "where OSC-requested results go (default: beside the input)"),
        "history": Key(int, 200, "finished jobs remembered for /stito/status and the journal", 0, 1000000),
        "report": Key(bool, False, "draw each match's report picture (<output stem>.png beside the results: "
                      "spectra and levels of input, result and reference, what changed) and send its path as "
                      "/stito/done's 5th argument"),
    },
    "encoder": {"name": Key(str, DEFAULT_METRIC, "metric: attributes, afx-rep, mfcc, mir, "
                            "afx-rep-untrained:small or a checkpoint (default: the benchmarks' choice)")},
    "logging": {
        "level": Key(str, "info", "least severe message logged", choices=("debug", "info", "warning", "error")),
        "file": Key("path", None, "also log to this file (default: standard error only)"),
    },
    "push": {"profiles_dir": Key("path", None, "folder of your own DAW profiles (*.toml); same names replace "
                                 "the shipped ones")},
    "audition": {
        "enabled": Key(bool, True, "answer /stito/audition"),
        "device": Key(str, None, "sounddevice output device name (default: the system's default output)"),
    },
    "watch": {
        "path": Key("path", REQUIRED, "the watched folder (must exist)"),
        "reference": Key("path", None, "reference audio, or a folder of references whose common style is "
                         "matched (default: a file named reference.* in the folder)"),
        "chain": Key(str, "builtin", "chain name in config/chains or a chain TOML"),
        "daw": Key(str, None, "DAW profile that receives the found parameters"),
        "apply": Key("path", None, "a saved match (a parameter file or preset written by stito) rendered onto "
                     "every bounce instead of a search; its own chain is used"),
        "amount": Key(float, 1.0, "how far toward the found (or applied) settings, 0 (untouched) to 1.5", 0.0, 1.5),
        "match": Key(str, "", "only these attribute groups count, comma-separated (tone, dynamics, space, width; "
                     "empty: all); needs encoder.name = \"attributes\""),
        "settle_s": Key(float, 2.0, "a bounce is taken once its size and time stayed unchanged this long, s",
                        0.05, 3600),
        "give_up_s": Key(float, 20.0, "a file unchanged this long that still is not usable audio gets "
                         "<name>.error.txt, seconds", 0.1, 86400),
    },
}
_SEARCH = _search_keys()


@dataclass(frozen=True)
class WatchConfig:
    """One watched folder (``index`` is its 1-based position in the file, as in error messages)."""

    index: int
    path: Path
    reference: Path | None
    chain: str
    daw: str | None
    apply: Path | None
    amount: float
    match: str
    settle_s: float
    give_up_s: float


@dataclass(frozen=True)
class Config:
    """Everything the daemon needs, checked; ``profiles`` are the loaded DAW profiles by name."""

    source: Path
    server: dict[str, Any]
    jobs: dict[str, Any]
    search: dict[str, Any]
    encoder: str
    logging: dict[str, Any]
    push: dict[str, Any]
    audition: dict[str, Any]
    watch: tuple[WatchConfig, ...]
    profiles: dict[str, Profile] = field(default_factory=dict)

    @property
    def places(self) -> Places:
        """Where chains and plugins named in requests may come from: the configured folders, plus the
        chain files this configuration itself names (its watch folders')."""
        named = tuple(Path(w.chain).expanduser() for w in self.watch if w.chain.endswith(".toml") or "/" in w.chain)
        return Places(tuple(self.server["chain_folders"]), named, tuple(self.server["plugin_folders"]))

    def chain(self, name: str) -> Chain:
        """Chain ``name`` loaded from the allowed places; a refusal or a bad chain is a :class:`DaemonError`."""
        try:
            return load_chain(name, self.places)
        except NotAllowedError as exc:
            raise DaemonError(Code.NOT_ALLOWED, str(exc)) from None
        except ChainError as exc:
            raise DaemonError(Code.UNKNOWN_CHAIN, str(exc)) from None

    def check_allowed(self, path: str | Path, what: str) -> None:
        """Refuse ``path`` (an OSC request's ``what``) outside ``server.allowed_roots`` when those are set."""
        roots = self.server["allowed_roots"]
        if roots is not None and not inside(Path(path), list(roots)):
            raise DaemonError(Code.NOT_ALLOWED, f"{path}: {what} outside server.allowed_roots "
                              f"({', '.join(str(r) for r in roots)}); nothing was read or written")

    @property
    def reply_to(self) -> tuple[str, int] | None:
        """The configured reply target, or None to reply to each sender."""
        host, port = self.server["reply_host"], self.server["reply_port"]
        return None if host is None else (host, port)


class ConfigError(StitoError):
    """The configuration file is unusable; ``errors`` lists every problem, one line each."""

    def __init__(self, source: Path, errors: list[str]) -> None:
        self.source, self.errors = source, errors
        super().__init__(f"{source}: {len(errors)} problem(s): " + "; ".join(errors))


def load_config(path: str | Path | None = None) -> Config:
    """Read and check the configuration at ``path`` (default: ``config/stito.toml``)."""
    source = Path(path).expanduser() if path is not None else DEFAULT_CONFIG
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(source, ["file not found; give --config FILE"]) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(source, [f"cannot read ({' '.join(str(exc).split())})"]) from None
    return check_config(data, source)


def check_config(data: Mapping[str, Any], source: Path) -> Config:
    """Validate parsed TOML ``data``; every problem is collected into one :class:`ConfigError`."""
    errors: list[str] = []
    base = source.resolve().parent
    _unknown("", data, SCHEMA, errors)
    sections = {name: _section(name, data.get(name, {}), keys, base, errors)
                for name, keys in SCHEMA.items() if name != "watch"}
    jobs_table = data.get("jobs", {})
    search = _section("jobs/search", jobs_table.get("search", {}) if isinstance(jobs_table, Mapping) else {},
                      _SEARCH, base, errors)
    search = {k: v for k, v in search.items() if v is not None}
    watch = _watches(data.get("watch", []), base, errors)
    profiles = load_profiles(sections["push"]["profiles_dir"])
    _cross_checks(sections, watch, profiles, errors)
    if errors:
        raise ConfigError(source, errors)
    return Config(source, sections["server"], _with_state_dir(sections["jobs"]), search,
                  sections["encoder"]["name"], sections["logging"], sections["push"], sections["audition"],
                  tuple(watch), profiles)


def _unknown(where: str, table: Mapping[str, Any], keys: Mapping[str, Any], errors: list[str],
             allowed: tuple[str, ...] = ()) -> None:
    """One error per key of ``table`` that the schema does not know, with the closest valid key."""
    for key in table:
        if key not in keys and key not in allowed:
            close = difflib.get_close_matches(key, [*keys, *allowed], n=1)
            hint = f" Did you mean '{close[0]}'?" if close else f" Valid: {', '.join([*keys, *allowed])}"
            errors.append(f"{where + '/' if where else ''}{key}: unknown key.{hint}")


def _section(where: str, table: Any, keys: Mapping[str, Key], base: Path, errors: list[str]) -> dict[str, Any]:
    """The values of one table, each checked against its key; defaults fill what is absent."""
    if not isinstance(table, Mapping):
        errors.append(f"{where}: must be a table ([{where.replace('/', '.')}])")
        table = {}
    _unknown(where, table, keys, errors, ("search",) if where == "jobs" else ())
    out: dict[str, Any] = {}
    for name, key in keys.items():
        if name not in table:
            if key.default is REQUIRED:
                errors.append(f"{where}/{name}: missing ({key.doc})")
            out[name] = None if key.default is REQUIRED else key.default
            continue
        problem, value = _value(key, table[name], base)
        if problem:
            errors.append(f"{where}/{name}: {problem}")
        out[name] = value
    return out


def _value(key: Key, raw: Any, base: Path) -> tuple[str | None, Any]:
    """(problem or None, the checked value) for ``raw`` against ``key``."""
    kind = key.kind
    if kind == "paths":
        if not isinstance(raw, list):
            return f"{raw!r} is not a list of paths", key.default
        checked = [_value(Key("path", None, key.doc), item, base) for item in raw]
        problems = [problem for problem, _ in checked if problem]
        return (problems[0], key.default) if problems else (None, tuple(path for _, path in checked))
    if kind == "path":
        if not isinstance(raw, str) or not raw.strip():
            return f"{raw!r} is not a path; give a non-empty string", None
        path = Path(os.path.expandvars(raw)).expanduser()
        return None, path if path.is_absolute() else base / path
    if kind is float and isinstance(raw, int) and not isinstance(raw, bool):
        raw = float(raw)
    if not isinstance(raw, kind) or (kind is not bool and isinstance(raw, bool)):
        return f"{raw!r} is not {_kind_name(kind)} ({key.doc})", key.default
    if key.choices and raw not in key.choices:
        close = difflib.get_close_matches(str(raw), key.choices, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return f"{raw!r} is not one of {', '.join(key.choices)}.{hint}", key.default
    if key.low is not None and not key.low <= raw <= key.high:
        return f"{raw!r} is outside {key.low:g}..{key.high:g} ({key.doc})", key.default
    return None, raw


def _kind_name(kind: type | str) -> str:
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}.get(kind, str(kind))


def _watches(tables: Any, base: Path, errors: list[str]) -> list[WatchConfig]:
    """The ``[[watch]]`` tables as :class:`WatchConfig`, numbered from 1."""
    if not isinstance(tables, list):
        errors.append("watch: must be an array of tables ([[watch]])")
        return []
    out = []
    for index, table in enumerate(tables, 1):
        values = _section(f"watch[{index}]", table, SCHEMA["watch"], base, errors)
        out.append(WatchConfig(index, **values))
    return out


def _cross_checks(sections: dict[str, dict[str, Any]], watch: list[WatchConfig], profiles: dict[str, Profile],
                  errors: list[str]) -> None:
    """Checks that involve the file system, chains, profiles or more than one key."""
    server, jobs = sections["server"], sections["jobs"]
    token = server["token"]
    if token is not None and (len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token)):
        errors.append(f"server/token: give at least {MIN_TOKEN_CHARS} characters without spaces "
                      "(for example the output of `python3 -c 'import secrets; print(secrets.token_hex(16))'`)")
    if (server["reply_host"] is None) != (server["reply_port"] is None):
        errors.append("server/reply_port: reply_host and reply_port go together; give both or neither")
    _check_profile("server/daw", server["daw"], profiles, errors)
    _check_folder("jobs/output_folder", jobs["output_folder"], errors)
    if jobs["state_dir"] is not None and jobs["state_dir"].is_file():
        errors.append(f"jobs/state_dir: {jobs['state_dir']} is a file; give a folder")
    log_file = sections["logging"]["file"]
    if log_file is not None and not log_file.parent.is_dir():
        errors.append(f"logging/file: folder {log_file.parent} does not exist")
    _check_encoder(sections["encoder"]["name"], errors)
    seen: dict[Path, int] = {}
    for at, w in enumerate(watch):
        where = f"watch[{w.index}]"
        if w.path is not None and _check_folder(f"{where}/path", w.path, errors):
            other = seen.setdefault(w.path.resolve(), w.index)
            if other != w.index:
                errors.append(f"{where}/path: {w.path} is already watched by watch[{other}]")
        if w.reference is not None:
            _check_reference(f"{where}/reference", w.reference, errors)
        chain = _check_chain(f"{where}/chain", w.chain, errors)
        _check_groups(f"{where}/match", w.match, sections["encoder"]["name"], errors)
        if w.apply is not None:  # the saved match's own chain is the one its jobs run and /stito/push uses
            saved = _check_saved(f"{where}/apply", w.apply, errors)
            chain = saved.chain if saved else None
            if saved:
                watch[at] = replace(w, chain=saved.chain_source)
        if _check_profile(f"{where}/daw", w.daw, profiles, errors) and chain and not profiles[w.daw].maps(chain.name):
            errors.append(f"{where}/daw: DAW profile '{w.daw}' maps no parameter of chain '{chain.name}'; add "
                          f"[chains.{chain.name}] to {profiles[w.daw].path}")


def _check_folder(where: str, path: Path | None, errors: list[str]) -> bool:
    if path is None:
        return False
    if not path.is_dir():
        errors.append(f"{where}: folder {path} does not exist; create it first")
        return False
    return True


def _check_reference(where: str, path: Path, errors: list[str]) -> None:
    try:
        check_references(path)
    except DaemonError as exc:
        errors.append(f"{where}: {exc}")


def _check_saved(where: str, path: Path, errors: list[str]) -> SavedMatch | None:
    """The saved match at ``path`` when it loads and fits its chain, else an error line."""
    try:
        return load_saved(path)
    except StitoError as exc:
        errors.append(f"{where}: {exc}")
        return None


def _check_groups(where: str, text: str, metric: str, errors: list[str]) -> None:
    """Attribute groups a watch counts: known ones, and a metric that has groups."""
    try:
        if parse_groups(text) and metric != DEFAULT_METRIC:
            errors.append(f"{where}: choosing attributes needs encoder.name = \"{DEFAULT_METRIC}\", not '{metric}'")
    except StitoError as exc:
        errors.append(f"{where}: {exc}")


def _check_chain(where: str, name: str | None, errors: list[str]) -> Chain | None:
    """The loaded chain; a mistyped shipped name gets the closest one."""
    if name is None:
        return None
    if not (name.endswith(".toml") or "/" in name) and name not in chain_names():
        close = difflib.get_close_matches(name, chain_names(), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else f" Shipped chains: {', '.join(chain_names())}"
        errors.append(f"{where}: unknown chain '{name}'.{hint}")
        return None
    try:
        return load_chain(name)
    except ChainError as exc:
        errors.append(f"{where}: {exc}")
        return None


def _check_profile(where: str, name: str | None, profiles: dict[str, Profile], errors: list[str]) -> bool:
    """True when ``name`` is given and names an enabled profile."""
    if name is None:
        return False
    if name not in profiles:
        close = difflib.get_close_matches(name, list(profiles), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else f" Profiles: {', '.join(sorted(profiles))}"
        errors.append(f"{where}: unknown DAW profile '{name}'.{hint}")
        return False
    if not profiles[name].enabled:
        errors.append(f"{where}: DAW profile '{name}' is disabled: {profiles[name].problem}")
        return False
    return True


def _check_encoder(name: str, errors: list[str]) -> None:
    from stito_core.objective import metric_names

    if name not in metric_names() and not Path(name).expanduser().is_file():
        close = difflib.get_close_matches(name, metric_names(), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        errors.append(f"encoder/name: unknown metric '{name}'.{hint} Give one of {', '.join(metric_names())} "
                      "or a checkpoint file")


def _with_state_dir(jobs: dict[str, Any]) -> dict[str, Any]:
    """``jobs`` with ``state_dir`` defaulting to $XDG_STATE_HOME/stito (~/.local/state/stito)."""
    if jobs["state_dir"] is None:
        root = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        jobs = {**jobs, "state_dir": Path(root) / "stito"}
    return jobs
