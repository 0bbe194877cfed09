"""One handler per OSC address. Each checks its arguments (count, types, paths, audio) before acting and
answers with the contract's reply, or raises :class:`RequestFailed` which becomes ``/stito/error``.

Contract addresses: /stito/ping, /stito/match, /stito/cancel, /stito/status. Extras: /stito/info,
/stito/profiles, /stito/push, /stito/audition, /stito/audition/stop (docs/DAEMON.md).
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stito_core import __version__
from stito_core.chain import Chain
from stito_core.errors import SearchError, StitoError
from stito_core.match import MAX_AMOUNT, check_amount
from stito_core.objective import parse_groups
from stito_core.saved import load_saved

from ..codes import Code, DaemonError
from .context import Daemon
from .inputs import check_audio_file, check_references
from .jobs import Job, JobSpec, JobState, check_job_id, new_job_id
from .osc_server import Address, RequestFailed
from ..pushback.profile import ProfileError, split_daw


#: Words accepted by /stito/audition for what to play.
AUDITION_WHICH = ("input", "result", "reference")
#: Words of /stito/audition's matched flag -> on or off (absent: on).
MATCHED_WORDS = {"": True, "on": True, "1": True, "true": True, "matched": True, "off": False, "0": False,
                 "false": False, "raw": False}
#: The DAW-profile argument of /stito/match that means "push nothing".
NO_DAW = "none"


def strings(address: str, args: Sequence[Any], required: Sequence[str], optional: Sequence[str] = ()) -> list[str]:
    """``args`` as strings, checked for count and type; absent optional ones are ""."""
    if not len(required) <= len(args) <= len(required) + len(optional):
        wanted = ", ".join([*required, *(f"[{o}]" for o in optional)]) or "no arguments"
        raise DaemonError(Code.WRONG_ARGUMENT_COUNT, f"{address} takes {wanted}; got {len(args)} argument(s)")
    for name, value in zip([*required, *optional], args):
        if not isinstance(value, str):
            raise DaemonError(Code.WRONG_ARGUMENT_TYPE, f"{address}: {name} must be a string, got "
                              f"{type(value).__name__} {value!r}")
        if name in required and not value.strip():
            raise DaemonError(Code.BAD_ARGUMENT, f"{address}: {name} is empty")
    return [*args, *[""] * (len(required) + len(optional) - len(args))]


class Handlers:
    """The request side of the daemon, over the service's queue, endpoint, profiles and audition."""

    def __init__(self, service: Daemon) -> None:
        self.service = service
        self.config = service.config
        self._naming = threading.Lock()

    def routes(self) -> dict[str, Any]:
        return {"/stito/ping": self.ping, "/stito/match": self.match, "/stito/cancel": self.cancel,
                "/stito/status": self.status, "/stito/info": self.info, "/stito/profiles": self.profiles,
                "/stito/push": self.push, "/stito/audition": self.audition,
                "/stito/audition/stop": self.audition_stop, "/stito/apply": self.apply}

    def _send(self, to: Address, address: str, *args: Any) -> None:
        self.service.endpoint.send(to, address, *args)

    # --- contract -------------------------------------------------------------------------------
    def ping(self, sender: Address, address: str, *args: Any) -> None:
        """``/stito/ping`` -> ``/stito/pong version``."""
        _checked("", lambda: strings(address, args, []))
        self._send(sender, "/stito/pong", __version__)

    def match(self, sender: Address, address: str, *args: Any) -> None:
        """``/stito/match input reference [chain] [job-id] [daw] [amount] [groups]`` -> ``/stito/accepted
        job-id``; the worker sends the rest. The reference may be a folder: its files' common style."""
        given_id = args[3] if len(args) > 3 and isinstance(args[3], str) else ""
        _checked(given_id, lambda: self._accept(sender, address, args))

    def apply(self, sender: Address, address: str, *args: Any) -> None:
        """``/stito/apply match-file input [amount] [job-id] [daw]``: a saved match (a parameter file the
        daemon may read) rendered onto the input, no search -> ``/stito/accepted``, then ``/stito/done job-id
        output params similarity`` (the saved similarity at amount 1, else -1) and the push-back."""
        given_id = args[3] if len(args) > 3 and isinstance(args[3], str) else ""
        _checked(given_id, lambda: self._accept_apply(sender, address, args))

    def cancel(self, sender: Address, address: str, *args: Any) -> None:
        """``/stito/cancel job-id`` -> ``/stito/cancelled job-id`` once the job has stopped."""
        job_id = args[0] if args and isinstance(args[0], str) else ""
        _checked(job_id, lambda: strings(address, args, ["job id"]))
        job = _checked(job_id, lambda: self.service.queue.cancel(job_id, by=sender))
        if job.state is JobState.CANCELLED:  # it was waiting: cancelled at once
            self.service.tell_cancelled(job)

    def status(self, sender: Address, address: str, *args: Any) -> None:
        """``/stito/status`` -> one ``/stito/job job-id state`` per known job, then ``/stito/status count``."""
        _checked("", lambda: strings(address, args, []))
        jobs = self.service.queue.snapshot()
        for job in jobs:
            self._send(sender, "/stito/job", job.id, str(job.state))
        self._send(sender, "/stito/status", len(jobs))

    # --- extras ---------------------------------------------------------------------------------
    def info(self, sender: Address, address: str, *args: Any) -> None:
        """``/stito/info job-id`` -> ``/stito/info job-id state iteration best-similarity output params message``."""
        job_id = args[0] if args and isinstance(args[0], str) else ""
        _checked(job_id, lambda: strings(address, args, ["job id"]))
        job = _checked(job_id, lambda: self.service.queue.get(job_id))
        best = job.similarity if job.state is JobState.DONE else job.best_similarity
        done = job.state is JobState.DONE
        self._send(sender, "/stito/info", job.id, str(job.state), job.iteration, _number(best),
                   job.spec.output if done else "", job.spec.params if done else "", job.message)

    def profiles(self, sender: Address, address: str, *args: Any) -> None:
        """``/stito/profiles`` -> ``/stito/profile name status transport description`` each, then the count."""
        _checked("", lambda: strings(address, args, []))
        profiles = self.config.profiles
        for profile in profiles.values():
            self._send(sender, "/stito/profile", profile.name, profile.status, profile.transport, profile.description)
        self._send(sender, "/stito/profiles", len(profiles))

    def push(self, sender: Address, address: str, *args: Any) -> None:
        """``/stito/push job-id [daw]``: send a done job's parameters again -> ``/stito/pushed job-id daw count``."""
        job_id = args[0] if args and isinstance(args[0], str) else ""
        _, daw = _checked(job_id, lambda: strings(address, args, ["job id"], ["DAW profile"]))
        job = _checked(job_id, lambda: self._done_job(job_id))
        daw = daw or job.spec.daw or self.config.server["daw"]
        if not daw:
            _fail(job_id, Code.UNKNOWN_PROFILE, f"job '{job_id}' has no DAW profile; give one: /stito/push {job_id} reaper")
        _checked(job_id, lambda: self.service.push(job, daw, *self._saved(job), sender))

    def audition(self, sender: Address, address: str, *args: Any) -> None:
        """``/stito/audition job-id which [matched]`` (input, result or reference; matched: on by default,
        "off" or 0 plays the file as it is) -> ``/stito/playing job-id which seconds gain-dB``. Matched,
        the three play at one integrated loudness (that of the quietest), so a louder version cannot win."""
        job_id = args[0] if args and isinstance(args[0], str) else ""
        args = [*args[:2], *(str(a) if isinstance(a, (int, bool)) else a for a in args[2:])]
        _, which, matched = _checked(job_id, lambda: strings(address, args, ["job id", "which (input, result, "
                                                                             "reference)"], ["matched"]))
        if which not in AUDITION_WHICH:
            _fail(job_id, Code.BAD_ARGUMENT, f"{address}: which must be one of {', '.join(AUDITION_WHICH)}, got {which!r}")
        if matched.lower() not in MATCHED_WORDS:
            _fail(job_id, Code.BAD_ARGUMENT, f"{address}: matched must be one of {', '.join(MATCHED_WORDS)}, "
                  f"got {matched!r}")
        job = _checked(job_id, lambda: self.service.queue.get(job_id))
        if which == "result" and job.state is not JobState.DONE:
            _fail(job_id, Code.NOTHING_TO_PLAY, f"job '{job_id}' has no result yet ({job.state})")
        paths = {"input": job.spec.input, "reference": job.spec.reference}
        if job.state is JobState.DONE:
            paths["result"] = job.spec.output
        together = list(paths.values()) if MATCHED_WORDS[matched.lower()] else []
        seconds, gain_db = _checked(job_id, lambda: self.service.audition.play(paths[which], together))
        self._send(sender, "/stito/playing", job_id, which, float(seconds), float(gain_db))

    def audition_stop(self, sender: Address, address: str, *args: Any) -> None:
        """``/stito/audition/stop`` -> ``/stito/stopped``."""
        _checked("", lambda: strings(address, args, []))
        self.service.audition.stop()
        self._send(sender, "/stito/stopped")

    def unknown(self, sender: Address, address: str, *args: Any) -> None:
        """The default handler: every other address."""
        _fail("", Code.UNKNOWN_ADDRESS, f"unknown address {address}; valid: {', '.join(self.routes())}")

    # --- /stito/match and /stito/apply ----------------------------------------------------------
    def _accept(self, sender: Address, address: str, args: Sequence[Any]) -> Job:
        if len(args) > 7:
            raise DaemonError(Code.WRONG_ARGUMENT_COUNT, f"{address} takes input path, reference path, [chain], "
                              f"[job id], [DAW profile], [amount], [attribute groups]; got {len(args)} argument(s)")
        groups = self._groups(address, args[6] if len(args) > 6 else "")
        args, amount = _amount_argument(address, args[:6], 5)
        inp, ref, chain_name, job_id, daw = strings(address, args, ["input path", "reference path"],
                                                    ["chain", "job id", "DAW profile"])
        job_id = check_job_id(job_id) if job_id else new_job_id()
        inp, ref = os.path.abspath(inp), os.path.abspath(ref)  # the journal must outlive this working folder
        self.config.check_allowed(inp, "input")
        self.config.check_allowed(ref, "reference")
        limit = self.config.jobs["max_duration_s"]
        check_audio_file(inp, limit)
        check_references(ref, limit)
        chain = self.config.chain(chain_name or "builtin")
        daw = self._check_daw(daw, chain)
        with self._naming:
            output, params = self._outputs(Path(inp), job_id)
            spec = JobSpec(inp, ref, chain_name or "builtin", str(output), str(params), "osc", daw, sender,
                           search=dict(self.config.search), amount=amount, groups=groups)
            return self.service.queue.submit(job_id, spec, lambda job: self._send(sender, "/stito/accepted", job.id))

    def _accept_apply(self, sender: Address, address: str, args: Sequence[Any]) -> Job:
        args, amount = _amount_argument(address, args, 2)
        saved_file, inp, job_id, daw = strings(address, args, ["match file", "input path"], ["job id", "DAW profile"])
        job_id = check_job_id(job_id) if job_id else new_job_id()
        saved_file, inp = os.path.abspath(saved_file), os.path.abspath(inp)
        self.config.check_allowed(saved_file, "match file")
        self.config.check_allowed(inp, "input")
        check_audio_file(inp, self.config.jobs["max_duration_s"])
        try:  # read and check now (its chain from the allowed places only), so a bad file is refused at once
            saved = load_saved(Path(saved_file), load=self.config.chain)
        except DaemonError:
            raise
        except StitoError as exc:
            raise DaemonError(Code.BAD_ARGUMENT, str(exc)) from None
        daw = self._check_daw(daw, saved.chain)
        with self._naming:
            output, params = self._outputs(Path(inp), job_id, "applied")
            spec = JobSpec(inp, str(saved.record.get("reference", "")), saved.chain_source, str(output), str(params),
                           "osc", daw,
                           sender, apply=saved_file, amount=amount)
            return self.service.queue.submit(job_id, spec, lambda job: self._send(sender, "/stito/accepted", job.id))

    def _groups(self, address: str, text: Any) -> tuple[str, ...]:
        """The attribute groups a match counts, comma-separated ("" or absent: all); only with the attribute
        objective (the default metric)."""
        if not isinstance(text, str):
            raise DaemonError(Code.WRONG_ARGUMENT_TYPE, f"{address}: groups must be a string such as 'space,width'")
        try:
            chosen = parse_groups(text)
            if chosen:
                self.service.encoder.counting(chosen)
        except SearchError as exc:
            raise DaemonError(Code.BAD_ARGUMENT, f"{address}: {exc} (encoder.name)") from None
        return chosen

    def _check_daw(self, daw: str, chain: Chain) -> str | None:
        """The profile that will receive the parameters: the argument, else ``server.daw``; "none" = no push.
        After the name may come where the matched item is ("reaper@track=3,first_fx=2", :func:`split_daw`)."""
        if daw == NO_DAW:
            return None
        daw = daw or self.config.server["daw"]
        if not daw:
            return None
        try:
            name = split_daw(daw)[0]
        except ProfileError as exc:
            raise DaemonError(Code.BAD_ARGUMENT, f"DAW profile {exc}") from None
        profile = self.config.profiles.get(name)
        if profile is None:
            raise DaemonError(Code.UNKNOWN_PROFILE, f"unknown DAW profile '{name}'; valid: "
                              f"{', '.join(self.config.profiles)}, or none")
        if not profile.enabled:
            raise DaemonError(Code.PROFILE_DISABLED, f"DAW profile '{name}' is disabled: {profile.problem}")
        if not profile.maps(chain.name):
            raise DaemonError(Code.NO_MAPPING, f"DAW profile '{name}' maps no parameter of chain '{chain.name}'")
        return daw

    def _outputs(self, source: Path, job_id: str, kind: str = "matched") -> tuple[Path, Path]:
        """``<stem>.<kind>.wav`` and ``.json`` in ``jobs.output_folder`` (default: beside the input); when
        those exist or belong to another job, ``<stem>.<kind>-<job-id>.*``."""
        folder = self.config.jobs["output_folder"] or source.parent
        if not os.access(folder, os.W_OK):
            raise DaemonError(Code.OUTPUT_NOT_WRITABLE, f"{folder}: cannot write the results there; check the "
                              "folder's permissions or set jobs.output_folder")
        taken = {j.spec.output for j in self.service.queue.unfinished()}
        for base in (f"{source.stem}.{kind}", f"{source.stem}.{kind}-{job_id}"):
            output, params = folder / f"{base}.wav", folder / f"{base}.json"
            if str(output) not in taken and not output.exists() and not params.exists():
                return output, params
        raise DaemonError(Code.OUTPUT_NOT_WRITABLE, f"{folder / source.stem}.{kind}-{job_id}.wav exists; "
                          "give another job id")

    # --- helpers --------------------------------------------------------------------------------
    def _done_job(self, job_id: str) -> Job:
        job = self.service.queue.get(job_id)
        if job.state is not JobState.DONE:
            raise DaemonError(Code.NOTHING_TO_PLAY, f"job '{job_id}' has no parameters yet ({job.state})")
        return job

    def _saved(self, job: Job) -> tuple[Chain, list[dict[str, Any]]]:
        """The chain and the parameter rows of a done job, from its parameter file."""
        try:
            rows = json.loads(Path(job.spec.params).read_text(encoding="utf-8"))["parameters"]
        except (OSError, ValueError, KeyError) as exc:
            raise RequestFailed(job.id, DaemonError(Code.NOTHING_TO_PLAY, f"{job.spec.params}: cannot read the "
                                                    f"parameters ({exc})")) from None
        return _checked(job.id, lambda: self.config.chain(job.spec.chain)), rows


def _amount_argument(address: str, args: Sequence[Any], at: int) -> tuple[list[Any], float]:
    """``args`` without the optional amount at position ``at`` (a number, or a string of one; absent, ""
    or blank is 1), and that amount checked to 0-``MAX_AMOUNT``."""
    args = list(args)
    if len(args) <= at:
        return args, 1.0
    value = args.pop(at)
    try:
        text = value.strip() if isinstance(value, str) else None
        return args, check_amount(value if text is None else float(text) if text else 1.0)
    except (ValueError, StitoError):
        raise DaemonError(Code.BAD_ARGUMENT, f"{address}: amount must be a number from 0 to {MAX_AMOUNT:g}, "
                          f"got {value!r}") from None


def _checked(job_id: str, action: Any) -> Any:
    """``action()``, with a :class:`DaemonError` turned into :class:`RequestFailed` for ``job_id``."""
    try:
        return action()
    except DaemonError as exc:
        raise RequestFailed(job_id, exc) from None


def _fail(job_id: str, code: Code, message: str) -> None:
    raise RequestFailed(job_id, DaemonError(code, message))


def _number(value: float) -> float:
    return -1.0 if math.isnan(value) else float(value)
