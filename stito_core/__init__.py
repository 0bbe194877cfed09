"""stito's engine: audio I/O, effect chains, encoders, the metric and the CMA-ES style-transfer loop."""

from .audio import Audio
from .chains import load_chain
from .encoders import load_encoder
from .match import MatchResult, Progress, match

__all__ = ["Audio", "MatchResult", "Progress", "load_chain", "load_encoder", "match"]
__version__ = "0.1.0"
