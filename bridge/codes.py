"""Stable numeric codes the daemon sends as the last argument of ``/stito/error`` (listed in docs/DAEMON.md).

A DAW script can switch on the code instead of parsing the message. Codes never change meaning; new
ones are added. Hundreds group them: 1xx the request itself, 2xx its files, 3xx the queue and jobs,
4xx a job that failed, 5xx parameter push-back, 6xx audition, 9xx the daemon.
"""

from __future__ import annotations

from enum import IntEnum

from stito_core.errors import StitoError


class Code(IntEnum):
    """Why a request or a job went wrong; ``MEANINGS`` gives each a line for people."""

    MALFORMED_PACKET = 100
    UNKNOWN_ADDRESS = 101
    WRONG_ARGUMENT_COUNT = 102
    WRONG_ARGUMENT_TYPE = 103
    BAD_ARGUMENT = 104
    BAD_TOKEN = 105
    FILE_NOT_FOUND = 200
    IS_DIRECTORY = 201
    UNREADABLE = 202
    NOT_AUDIO = 203
    TRUNCATED = 204
    BAD_AUDIO = 205
    TOO_LONG = 206
    UNKNOWN_CHAIN = 207
    UNKNOWN_PROFILE = 208
    OUTPUT_NOT_WRITABLE = 209
    NOT_ALLOWED = 210
    QUEUE_FULL = 300
    DUPLICATE_JOB_ID = 301
    UNKNOWN_JOB = 302
    JOB_FINISHED = 303
    SHUTTING_DOWN = 304
    INTERRUPTED = 305
    MATCH_FAILED = 400
    TIME_LIMIT = 401
    WRITE_FAILED = 402
    PUSH_FAILED = 500
    NO_MIDI_BACKEND = 501
    NO_MAPPING = 502
    PROFILE_DISABLED = 503
    NO_AUDIO_DEVICE = 600
    NOTHING_TO_PLAY = 601
    INTERNAL = 900


#: One line per code, in the words of docs/DAEMON.md.
MEANINGS: dict[Code, str] = {
    Code.MALFORMED_PACKET: "the datagram is not a valid OSC message or bundle",
    Code.UNKNOWN_ADDRESS: "no handler for this OSC address",
    Code.WRONG_ARGUMENT_COUNT: "too few or too many arguments for this address",
    Code.WRONG_ARGUMENT_TYPE: "an argument has the wrong OSC type (paths and ids are strings)",
    Code.BAD_ARGUMENT: "an argument has the right type but an unusable value",
    Code.BAD_TOKEN: "server.token is set and the message's first argument is not it; nothing was done",
    Code.FILE_NOT_FOUND: "an input or reference path does not exist",
    Code.IS_DIRECTORY: "a path names a folder, not an audio file",
    Code.UNREADABLE: "the daemon may not read the file (permissions)",
    Code.NOT_AUDIO: "the file is not audio that libsndfile reads",
    Code.TRUNCATED: "the file is shorter than its header says (still being written, or cut)",
    Code.BAD_AUDIO: "the audio is silent, empty, too short, has NaNs or more than 2 channels",
    Code.TOO_LONG: "the audio is longer than jobs.max_duration_s",
    Code.UNKNOWN_CHAIN: "the chain name or chain file cannot be loaded",
    Code.NOT_ALLOWED: "a path lies outside the places the daemon's owner allowed (server.chain_folders, "
                      "server.plugin_folders, server.allowed_roots); nothing was read, loaded or written",
    Code.UNKNOWN_PROFILE: "no DAW profile of that name",
    Code.OUTPUT_NOT_WRITABLE: "the folder for the results does not exist or cannot be written",
    Code.QUEUE_FULL: "jobs.queue_length jobs are already waiting; try again later",
    Code.DUPLICATE_JOB_ID: "a job with this id is already known",
    Code.UNKNOWN_JOB: "no job with this id",
    Code.JOB_FINISHED: "the job has already finished (done, failed or cancelled)",
    Code.SHUTTING_DOWN: "the daemon is stopping and takes no new jobs",
    Code.INTERRUPTED: "the daemon stopped during the job; it runs again when the daemon restarts",
    Code.MATCH_FAILED: "the search failed (the message says why)",
    Code.TIME_LIMIT: "the job ran longer than jobs.time_limit_s and was stopped",
    Code.WRITE_FAILED: "the results could not be written",
    Code.PUSH_FAILED: "sending the parameters to the DAW failed",
    Code.NO_MIDI_BACKEND: "no MIDI backend (python-rtmidi) or no MIDI system on this machine",
    Code.NO_MAPPING: "the DAW profile maps no parameter of this chain",
    Code.PROFILE_DISABLED: "the DAW profile failed its self-check and is disabled",
    Code.NO_AUDIO_DEVICE: "audition needs an audio output device and there is none",
    Code.NOTHING_TO_PLAY: "the job has no such audio yet (no result before it is done)",
    Code.INTERNAL: "a bug in the daemon; the log has the details",
}


class DaemonError(StitoError):
    """A request, job or push-back problem with a stable :class:`Code` for scripts."""

    def __init__(self, code: Code, message: str, bad_input: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.bad_input = bad_input
