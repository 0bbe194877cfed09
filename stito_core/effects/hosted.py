"""What the LADSPA and LV2 hosts share: control ports as parameter specs, and running C plugin instances.

Both formats describe a plugin as numbered ports (audio in/out, control in/out) and process audio in
blocks through a C ``run(handle, frames)`` call. :class:`HostedEffect` turns the control inputs into
:class:`~stito_core.params.ParameterSpec` values in the port's own unit, feeds mono or stereo audio to
one instance (stereo plugins) or one per channel (mono plugins), and compensates the latency that a
plugin reports, so that a render lines up with its input.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass

import numpy as np

from ..audio import Audio
from ..errors import ChainError
from ..params import ParameterSpec, Scale
from .base import Effect

#: Sample rate (Hz) used to express rate-relative port ranges in parameter specs.
REFERENCE_RATE = 48000
#: Most frames handed to one ``run`` call.
BLOCK_FRAMES = 4096
#: Audio port layouts (inputs, outputs) these hosts can drive, sidechain inputs not counted.
LAYOUTS = ((1, 1), (2, 2), (1, 2))
#: Audio input port names that are a sidechain (key) input rather than the signal.
SIDECHAIN = re.compile(r"side\W?chain", re.IGNORECASE)


@dataclass(frozen=True)
class ControlPort:
    """One input control port and the plugin's own hints for it."""

    port: int
    #: Bounds as the plugin gives them (fractions of the rate when ``per_rate``), or None.
    lower: float | None
    upper: float | None
    per_rate: bool = False
    toggled: bool = False
    integer: bool = False
    log: bool = False
    #: The plugin's default in the port's unit (at REFERENCE_RATE for ``per_rate`` ports), or None.
    default: float | None = None

    def bounds(self, rate: float) -> tuple[float | None, float | None]:
        """The hinted bounds in absolute units at ``rate`` Hz (None where unbounded)."""
        scale = rate if self.per_rate else 1.0
        return (None if self.lower is None else self.lower * scale, None if self.upper is None else self.upper * scale)

    @property
    def discrete(self) -> bool:
        """True for toggled and integer ports, whose values are rounded before use."""
        return self.toggled or self.integer

    def port_value(self, value: float, rate: int) -> float:
        """The number written to the port for ``value``: clipped to the hinted bounds at ``rate`` Hz,
        then 0/1 for toggled ports and rounded for integer ports."""
        lower, upper = self.bounds(rate)
        value = value if lower is None else max(value, lower)
        value = value if upper is None else min(value, upper)
        if self.toggled:
            return 1.0 if value >= 0.5 else 0.0
        return float(round(value)) if self.integer else float(value)

    def spec_range(self) -> tuple[float, float]:
        """Spec minimum and maximum at REFERENCE_RATE: the bounds, else 0..1 style fallbacks."""
        if self.toggled:
            return 0.0, 1.0
        lower, upper = self.bounds(REFERENCE_RATE)
        lo = lower if lower is not None else min(0.0, (1.0 if upper is None else upper) - 1.0)
        hi = upper if upper is not None else max(1.0, lo + 1.0)
        return (lo, hi) if hi > lo else (lo, lo + 1.0)

    def spec(self, effect: str, name: str, unit: str) -> ParameterSpec:
        """This port as a ParameterSpec named ``name`` (range and default at REFERENCE_RATE)."""
        lo, hi = self.spec_range()
        scale = Scale.LOG if self.log and lo > 0 else Scale.LINEAR
        default = 0.0 if self.default is None else self.default
        return ParameterSpec(effect, name, lo, hi, min(max(default, lo), hi), unit, scale)


def float32_decimal(value: float) -> float:
    """A float32 bound as the shortest decimal that rounds to it (0.1, not 0.10000000149)."""
    return float(str(np.float32(value)))


@dataclass
class Instance:
    """A running plugin instance: ``run(frames)`` processes the connected buffers, ``latency()`` is the
    delay in frames it reports (0 when it reports none)."""

    run: Callable[[int], None]
    latency: Callable[[], int]


#: (port, address) pairs: where each port of an instance reads or writes.
Links = list[tuple[int, int]]


class HostedEffect(Effect):
    """A C plugin as an Effect; parameters are its input control ports, in real units.

    Subclasses set ``_controls`` (parameter name -> ControlPort), ``_audio_ports`` (signal inputs,
    outputs), ``_sidechains``, ``_control_out`` and ``_port_count`` and implement :meth:`_instance`.
    Each ``process`` call makes its own instance(s), so calls may run from several threads at once;
    ctypes releases the GIL while the plugin runs. Audio layouts: 2 in/2 out plugins get one instance
    on the stereo signal (mono is duplicated, the result is stereo); 1 in/1 out plugins get one
    instance per channel; 1 in/2 out plugins get the mid (mean of channels) and return stereo.
    Sidechain audio inputs are fed the mean of the instance's own input, so the plugin keys on it.
    """

    _controls: dict[str, ControlPort]
    _audio_ports: tuple[list[int], list[int]]
    _sidechains: list[int]
    _control_out: list[int]
    _port_count: int

    def _check_layout(self, what: str) -> None:
        """Refuse audio layouts this host cannot drive, naming the plugin (``what``)."""
        if (self.audio_inputs, self.audio_outputs) not in LAYOUTS:
            msg = (f"{what}: {self.audio_inputs} audio inputs / {self.audio_outputs} outputs are not supported "
                   "(1/1, 2/2 and 1/2 are)")
            raise ChainError(msg)

    def _specs(self, units: Iterable[str]) -> None:
        """Set ``parameters`` and ``integer_parameters`` from ``_controls`` and one unit per control."""
        self.parameters = tuple(c.spec(self.name, n, u) for (n, c), u in zip(self._controls.items(), units))
        #: Names of toggled and integer parameters; process() rounds their values.
        self.integer_parameters = tuple(n for n, c in self._controls.items() if c.discrete)

    def control_numbers(self) -> dict[str, int]:
        """Each parameter's position among the input and output control ports, in port order."""
        ports = sorted([c.port for c in self._controls.values()] + list(self._control_out))
        return {name: ports.index(c.port) for name, c in self._controls.items()}

    @property
    def audio_inputs(self) -> int:
        """Number of audio input ports of the plugin, sidechain inputs not counted."""
        return len(self._audio_ports[0])

    @property
    def audio_outputs(self) -> int:
        """Number of audio output ports of the plugin."""
        return len(self._audio_ports[1])

    @abstractmethod
    def _instance(self, rate: int, links: Links) -> AbstractContextManager[Instance]:
        """An activated instance at ``rate`` Hz with each (port, address) connected; released on exit.
        The addresses must stay valid until then."""

    def process(self, audio: Audio, values: Mapping[str, float]) -> Audio:
        """Apply the plugin with ``values`` (parameter name -> value in its unit, defaults for the rest).

        The result has the input's rate and frames, latency removed; NaN/inf samples (in or out) become 0.
        """
        (out,) = self.stream([audio], values)
        return out

    def stream(self, blocks: Iterable[Audio], values: Mapping[str, float]) -> Iterator[Audio]:
        """The blocks through instances kept from the first block to the last (one per channel for a mono
        plugin): joined, exactly :meth:`process` of the whole when blocks are multiples of ``BLOCK_FRAMES``.

        A plugin that reports latency is fed silence after the last block, and its first ``latency`` output
        frames are dropped, so each output block lines up with its input block."""
        with ExitStack() as stack:
            runners: list[_Runner] = []
            pending: list[Audio] = []
            out, to_drop = np.zeros((0, 0), dtype=np.float32), -1
            for block in blocks:
                if not runners:
                    controls = self._controls_at(values, block.sample_rate)
                    count = 1 if 2 in (self.audio_inputs, self.audio_outputs) else block.channels
                    runners = [stack.enter_context(self._runner(controls, block.sample_rate)) for _ in range(count)]
                pending.append(block)
                out = _joined(out, self._run(runners, block.samples))
                to_drop = runners[0].latency if to_drop < 0 else to_drop
                out, to_drop = out[:, to_drop:], max(0, to_drop - out.shape[1])
                while pending and out.shape[1] >= pending[0].frames:
                    out, piece = _take(out, pending.pop(0))
                    yield piece
            if pending:
                silence = np.zeros((pending[0].channels, runners[0].latency), dtype=np.float32)
                out = _joined(out, self._run(runners, silence))[:, to_drop:]
            for block in pending:
                out, piece = _take(out, block)
                yield piece

    def _controls_at(self, values: Mapping[str, float], rate: int) -> np.ndarray:
        """One float per port: the control inputs set from ``values`` at ``rate`` Hz, 0 elsewhere."""
        controls = np.zeros(self._port_count, dtype=np.float32)
        for name, value in self.resolve(values).items():
            control = self._controls[name]
            controls[control.port] = control.port_value(value, rate)
        return controls

    def _run(self, runners: list[_Runner], samples: np.ndarray) -> np.ndarray:
        """``samples`` through the runners: a stereo plugin takes both channels (mono doubled), a mono-in
        stereo-out plugin the mid, a mono plugin one channel per runner."""
        x = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
        if self.audio_inputs == 2:
            return runners[0](x if x.shape[0] == 2 else np.repeat(x, 2, axis=0))
        if self.audio_outputs == 2:
            return runners[0](x.mean(axis=0, keepdims=True))
        return np.concatenate([run(x[c:c + 1]) for c, run in enumerate(runners)])

    @contextmanager
    def _runner(self, controls: np.ndarray, rate: int) -> Iterator[_Runner]:
        """One instance at ``rate`` Hz as a :class:`_Runner`, its state carried from call to call.
        ``controls`` holds one value per port (only control slots are read)."""
        controls = controls.copy()  # the instance writes its output control ports here
        in_buf = np.zeros((self.audio_inputs + len(self._sidechains), BLOCK_FRAMES), dtype=np.float32)
        out_buf = np.zeros((self.audio_outputs, BLOCK_FRAMES), dtype=np.float32)
        links = [(c.port, controls.ctypes.data + 4 * c.port) for c in self._controls.values()]
        links += [(port, controls.ctypes.data + 4 * port) for port in self._control_out]
        links += [(port, in_buf[k].ctypes.data) for k, port in enumerate(self._audio_ports[0] + self._sidechains)]
        links += [(port, out_buf[k].ctypes.data) for k, port in enumerate(self._audio_ports[1])]
        with self._instance(rate, links) as instance:
            yield _Runner(instance, in_buf, out_buf, self.audio_inputs)


class _Runner:
    """One instance as a function (audio inputs, frames) -> (audio outputs, frames), in BLOCK_FRAMES runs.
    ``latency`` is the delay the plugin reported after its first run (0 before)."""

    def __init__(self, instance: Instance, in_buf: np.ndarray, out_buf: np.ndarray, inputs: int) -> None:
        self._instance, self._in, self._out, self._inputs = instance, in_buf, out_buf, inputs
        self.latency = 0
        self._started = False

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        out = np.zeros((self._out.shape[0], inputs.shape[1]), dtype=np.float32)
        for start in range(0, inputs.shape[1], BLOCK_FRAMES):
            n = min(BLOCK_FRAMES, inputs.shape[1] - start)
            self._in[:self._inputs, :n] = inputs[:, start:start + n]
            self._in[self._inputs:, :n] = inputs[:, start:start + n].mean(axis=0)
            self._instance.run(n)
            if not self._started:
                self.latency, self._started = max(0, self._instance.latency()), True
            out[:, start:start + n] = self._out[:, :n]
        return out


def _joined(out: np.ndarray, more: np.ndarray) -> np.ndarray:
    """Rendered frames so far with ``more`` appended (``out`` may be the empty start)."""
    return more if out.shape[0] == 0 else np.concatenate([out, more], axis=1)


def _take(out: np.ndarray, block: Audio) -> tuple[np.ndarray, Audio]:
    """(what is left of ``out``, the output for ``block``: its first frames, NaN/inf made 0)."""
    frames = np.nan_to_num(out[:, :block.frames], nan=0.0, posinf=0.0, neginf=0.0)
    return out[:, block.frames:], block.with_samples(frames)
