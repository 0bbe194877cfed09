"""The OSC endpoint: one UDP socket that receives requests and sends every reply and event.

Replies leave from the daemon's own port, to the sender or to ``server.reply_host:reply_port``. One
handler per address plus a default handler for the rest (python-osc's dispatcher); a datagram that is
not OSC at all gets ``/stito/error`` too, instead of being dropped silently.
"""

from __future__ import annotations

import hmac
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from pythonosc import osc_packet
from pythonosc.parsing import osc_types
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_server import ThreadingOSCUDPServer

from ..codes import Code, DaemonError

log = logging.getLogger("stito.daemon.osc")

Address = tuple[str, int]
#: A handler gets the sender's address, the OSC address and the arguments.
Handler = Callable[..., None]
#: OSC type tags python-osc decodes.
SUPPORTED_TYPES = "ihfdsbrmtTFN[]"
_WILDCARDS = "*?[]{}"
#: Bytes asked for as the socket's receive buffer, so bursts of requests are not dropped.
RECEIVE_BUFFER = 4 * 1024 * 1024


class RequestFailed(Exception):
    """Raised by a handler for a request that cannot be done (answered as ``/stito/error``): ``error`` says why, ``job_id`` is the job it concerns ("" if none)."""

    def __init__(self, job_id: str, error: DaemonError) -> None:
        super().__init__(str(error))
        self.job_id, self.error = job_id, error


class _Dispatcher(Dispatcher):
    """python-osc's dispatcher, told about datagrams it cannot parse, without waiting for time tags."""

    def __init__(self, on_malformed: Callable[[Address, str, Code], None]) -> None:
        super().__init__(strict_timing=False)
        self._on_malformed = on_malformed

    def call_handlers_for_packet(self, data: bytes, client_address: Address) -> list:
        try:
            messages = [m.message for m in osc_packet.OscPacket(data).messages]
            problem = next(filter(None, (_unsupported_types(m.dgram) for m in messages)), None)
        except (osc_packet.ParseError, UnicodeDecodeError, ValueError, IndexError) as exc:  # python-osc lets
            problem = " ".join(str(exc).split()) or "cannot parse"  # a non-UTF-8 address or short tags through
        if problem:
            self._on_malformed(client_address, f"malformed OSC packet ({problem})", Code.MALFORMED_PACKET)
            return []
        patterns = [m.address for m in messages if set(m.address) & set(_WILDCARDS)]
        if patterns:  # one request must reach one handler: /stito/* would call every one
            self._on_malformed(client_address, f"address patterns such as {patterns[0]} are not supported; "
                               "send one message per address", Code.UNKNOWN_ADDRESS)
            return []
        return super().call_handlers_for_packet(data, client_address)


def _unsupported_types(dgram: bytes) -> str | None:
    """Why a message's type tags cannot be read (python-osc only warns and skips unknown ones), or None."""
    _, index = osc_types.get_string(dgram, 0)
    if index >= len(dgram):
        return None
    tags, _ = osc_types.get_string(dgram, index)
    unknown = sorted(set(tags[1:]) - set(SUPPORTED_TYPES))
    return f"unsupported OSC type tag(s) {''.join(unknown)!r}" if unknown else None


class _Server(ThreadingOSCUDPServer):
    """Each datagram on its own thread; every datagram reaches the dispatcher, even one that is not OSC."""

    daemon_threads = True

    def verify_request(self, request: Any, client_address: Address) -> bool:
        return True


class OscEndpoint:
    """Binds ``host:port`` at construction (port 0 picks a free one); :meth:`serve` starts answering.

    With a ``token``, a message is handled only when its first argument is that string; the handler gets
    the arguments after it. Any other message is answered with code 105 and goes no further.
    """

    def __init__(self, host: str, port: int, reply_to: Address | None = None, token: str | None = None) -> None:
        self.reply_to = reply_to
        self._token = None if token is None else token.encode()
        self.dispatcher = _Dispatcher(self._malformed)
        self._server = _Server((host, port), self.dispatcher, bind_and_activate=True)
        self._server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        self._thread: threading.Thread | None = None
        self._send_lock = threading.Lock()

    @property
    def address(self) -> Address:
        return self._server.server_address[:2]

    def route(self, address: str, handler: Handler) -> None:
        """``handler(sender, address, *args)`` answers ``address``; its errors become ``/stito/error``."""
        self.dispatcher.map(address, self._guarded(handler), needs_reply_address=True)

    def route_default(self, handler: Handler) -> None:
        self.dispatcher.set_default_handler(self._guarded(handler), needs_reply_address=True)

    def serve(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="stito-osc", daemon=True)
        self._thread.start()
        log.info("listening for OSC on udp://%s:%d", *self.address)

    def stop_serving(self) -> None:
        """Stop answering requests; the socket stays open so running jobs can still report."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None

    def close(self) -> None:
        self._server.server_close()

    # --- sending --------------------------------------------------------------------------------
    def send(self, to: Address | None, address: str, *args: Any) -> None:
        """Send one message to ``to`` (or the configured reply target); a send failure is only logged."""
        target = self.reply_to or to
        if target is None:
            return
        builder = OscMessageBuilder(address)
        for arg in args:
            builder.add_arg(arg)
        try:
            with self._send_lock:
                self._server.socket.sendto(builder.build().dgram, target)
        except OSError as exc:
            log.warning("could not send %s to %s:%d (%s)", address, target[0], target[1], exc)

    def error(self, to: Address | None, job_id: str, message: str, code: Code) -> None:
        """``/stito/error job-id message code``."""
        log.info("error to %s: %s (%d %s)", to, message, code, code.name)
        self.send(to, "/stito/error", job_id, message, int(code))

    def _malformed(self, sender: Address, message: str, code: Code) -> None:
        self.error(sender, "", message, code)

    def _has_token(self, args: tuple[Any, ...]) -> bool:
        """Whether ``args`` starts with the token (compared in constant time, so its length and letters
        cannot be found by timing replies)."""
        offered = args[0] if args else None
        return isinstance(offered, str) and hmac.compare_digest(offered.encode(), self._token or b"")

    def _guarded(self, handler: Handler) -> Handler:
        def guarded(sender: Address, address: str, *args: Any) -> None:
            if self._token is not None:
                if not self._has_token(args):
                    self.error(sender, "", f"{address} from {sender[0]}:{sender[1]}: the first argument is not "
                               "the daemon's server.token; refused", Code.BAD_TOKEN)
                    return
                args = args[1:]
            try:
                handler(sender, address, *args)
            except RequestFailed as exc:
                self.error(sender, exc.job_id, str(exc.error), exc.error.code)
            except Exception:  # the last guard: the daemon keeps serving whatever a request does
                log.exception("handler for %s failed", address)
                self.error(sender, "", f"internal error while handling {address}; see the daemon's log",
                           Code.INTERNAL)
        return guarded
