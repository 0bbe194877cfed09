"""Shapes of the learned encoders as plain data (no torch): the log-mel front end and the AFx-Rep network,
with the named configurations that ``afx-rep-untrained:NAME`` and the pretraining accept."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class LogMelConfig:
    """Front-end settings: rate in Hz, window and hop in frames, number of mel bands, and whether the bands
    sum power (band energies, as PANNs; AFx-Rep) or magnitudes (the MFCC baseline's measured strong form)."""

    sample_rate: int = 48000
    n_fft: int = 2048
    hop: int = 512
    n_mels: int = 128
    power: bool = True


#: How the last conv block's map becomes one vector (see :class:`AfxRepConfig`).
POOLINGS = ("panns", "stats")


@dataclass(frozen=True)
class AfxRepConfig:
    """Network shape. ``widths`` are the channels of each conv block and ``block_depth`` its 3x3 convolutions;
    ``time_pool`` spectrogram frames are averaged before the first block; ``pooling`` is how the last block's
    map becomes one vector: "panns" (mean over bands, then max + mean over time, as CNN14) or "stats" (mean and
    standard deviation over time per channel and band, as MFCC statistics keep the spectral layout). The
    paper's CNN14 is widths (64, 128, 256, 512, 1024, 2048), depth 2, "panns", 2048-d, 128 bands at 48 kHz."""

    front: LogMelConfig = field(default_factory=LogMelConfig)
    widths: tuple[int, ...] = (16, 32, 64, 128)
    embed_dim: int = 128
    block_depth: int = 2
    time_pool: int = 1
    pooling: str = "panns"

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling '{self.pooling}' is not one of {', '.join(POOLINGS)}")

    @classmethod
    def from_dict(cls, data: dict) -> AfxRepConfig:
        """Inverse of ``dataclasses.asdict`` (as stored in checkpoints)."""
        return cls(**{**data, "front": LogMelConfig(**data["front"]), "widths": tuple(data["widths"])})

    def to_dict(self) -> dict:
        """Plain data for a checkpoint."""
        return asdict(self)


#: Named configurations: the CPU-sized default (64 bands, frames averaged in fours, one convolution per block,
#: statistics pooling: a batch of 64 five-second stereo excerpts embeds in about 0.65 s on 2 cores) and
#: the paper-sized CNN14.
CONFIGS = {
    "small": AfxRepConfig(front=LogMelConfig(n_mels=64), widths=(16, 32, 64), embed_dim=128, block_depth=1,
                          time_pool=4, pooling="stats"),
    "cnn14": AfxRepConfig(widths=(64, 128, 256, 512, 1024, 2048), embed_dim=2048),
}
