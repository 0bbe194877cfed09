"""What the request handlers and the workers may use of the running daemon.

:class:`Daemon` is the service's face towards them, as a Protocol, so that ``handlers`` and ``worker``
depend on this description and ``service`` (which builds them) on them, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from stito_core.chain import Chain
from stito_core.objective import Objective

from .audition import Audition
from .config import Config
from .jobs import Job, JobQueue
from .osc_server import Address, OscEndpoint


class Daemon(Protocol):
    """The parts of a started :class:`~bridge.daemon.service.Service` that requests and jobs reach."""

    config: Config
    encoder: Objective
    endpoint: OscEndpoint
    queue: JobQueue
    audition: Audition

    def push(self, job: Job, daw: str, chain: Chain, rows: Sequence[Mapping[str, Any]], to: Address | None) -> int:
        """Send ``rows`` of ``chain`` to the host of DAW profile ``daw``; the number of messages sent."""
        ...

    def tell_cancelled(self, job: Job) -> None:
        """Answer the canceller of ``job`` that it stopped."""
        ...
