"""Exceptions raised by the engine: one base, one subclass per layer."""


class StitoError(Exception):
    """Base of every error stito raises on purpose; its message is one line for the user."""

    #: True when the error is the user's input (CLI exit code 2), False for a failure (exit 1).
    bad_input = True


class AudioError(StitoError):
    """An audio file or array cannot be read, is malformed, or cannot be written."""


class ChainError(StitoError):
    """A chain definition, effect or plugin cannot be loaded or is used with bad values."""


class EncoderError(StitoError):
    """An encoder name or checkpoint cannot be loaded."""


class SearchError(StitoError):
    """Search options are invalid."""


class CancelledError(StitoError):
    """A running match was cancelled by its caller."""

    bad_input = False


class NotAllowedError(ChainError):
    """A chain file or plugin library lies outside the places its loader was allowed to read from."""
