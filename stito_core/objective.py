"""What the search maximises: how close a candidate sounds to the reference, minus a price on processing.

Two families share one interface. ``AttributeObjective`` (the default, ``"attributes"``) compares the
production attributes of :mod:`stito_core.attributes` group by group, ignoring differences within each
feature's content tolerance; ``EmbeddingObjective`` is the paper's cosine between embeddings of any
encoder (``afx-rep``, ``mfcc``, ``mir`` or a checkpoint). Both score in [0, 1], higher is better. The
:class:`Price` is the same for every objective: processing has to buy its similarity.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from . import attributes
from .audio import Audio
from .encoders import Encoder, encoder_names, load_encoder
from .errors import SearchError
from .metric import cosine

#: The objective ``stito match``, the daemon and the benchmarks search with when none is named, chosen by
#: the style-transfer benchmark (distance to the oracle; benchmarks/RESULTS.md).
DEFAULT_METRIC = "attributes"
#: How many standard deviations of a measure over one recording's sections count as content.
CONTENT_SPREAD = 2.0

__all__ = ["DEFAULT_METRIC", "AttributeObjective", "EmbeddingObjective", "Objective", "Price", "load_objective",
           "parse_groups"]


class Objective(ABC):
    """Similarity in [0, 1] (higher is closer) of candidates to a target made from reference excerpts."""

    name: str
    #: True: the target pools sections of the whole reference; False: the reference's loudest excerpt,
    #: as the paper compares embeddings (the parameter-estimation benchmark measures it that way).
    whole_reference: bool = True
    #: True: :meth:`features` of one item does not depend on the others, so a match measures each
    #: candidate in the thread that rendered it; False: items are measured together (a network's batch).
    per_item: bool = False

    @abstractmethod
    def features(self, items: Sequence[Audio]) -> np.ndarray:
        """(len(items), dim): what the objective compares, one row per item."""

    @abstractmethod
    def pooled(self, rows: np.ndarray, items: Sequence[Audio]) -> np.ndarray:
        """One row for ``items`` taken together, from their ``rows`` (of :meth:`features`)."""

    @abstractmethod
    def compare(self, targets: np.ndarray, target: np.ndarray) -> np.ndarray:
        """(n,) similarity of each row of ``targets`` (made by :meth:`target`) to ``target``."""

    def target(self, excerpts: Sequence[Audio]) -> np.ndarray:
        """What to aim for, made once from one or more excerpts of the reference."""
        return self.pooled(self.features(excerpts), excerpts)

    def similarity(self, items: Sequence[Audio], target: np.ndarray) -> np.ndarray:
        """(len(items),) similarity of each item to ``target``."""
        return self.compare(self.features(items), target)

    def aim(self, target: np.ndarray, excerpts: Sequence[Audio], whole: np.ndarray) -> np.ndarray:
        """The target for candidates rendered from ``excerpts`` of an input whose own target is ``whole``
        (``self.target`` of sections of the whole input). Embeddings: the target itself."""
        return target

    def prepare(self, references: Sequence[Sequence[Audio]],
                source: Sequence[Audio]) -> tuple[Objective, np.ndarray, np.ndarray]:
        """For one match towards excerpts of one or more ``references`` (one list of excerpts each) from
        sections of the ``source``: the objective to search with, told how much each measure varies within
        any one of the recordings so that differences of that size count as content; each reference's own
        target, one row per reference (their mean, each weighing the same, is their common style); and the
        source's own target (``whole`` of :meth:`aim`). Embeddings have no such measures: this objective
        as it is, and its targets."""
        return self, np.stack([self.target(r) for r in references]), self.target(source)

    def weighs(self, groups: Sequence[str]) -> bool:
        """Whether this objective counts any of the attribute ``groups`` (embeddings count everything)."""
        return True

    def counting(self, groups: Sequence[str]) -> Objective:
        """This objective counting only the attribute ``groups`` (``--match``); embeddings have none."""
        raise SearchError(f"choosing attributes ({','.join(groups)}) needs the attributes metric, not '{self.name}'")

    def group_distances(self, features: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
        """Attribute group -> (items,) distance of each row of ``features`` to ``target``; embeddings have
        no groups (empty)."""
        return {}

    def restricted(self, groups: Sequence[str], excerpts: Sequence[Audio], aim: np.ndarray) -> Objective | None:
        """This objective for an effect that is for the attribute ``groups``: it judges those, and the other
        groups only where a candidate makes them worse than ``excerpts`` (unprocessed, aiming at ``aim``)
        are, so that an effect neither fakes an attribute it is not for nor harms one. None when the
        objective weighs none of ``groups``. Embeddings have no groups and stay as they are."""
        return self


class EmbeddingObjective(Objective):
    """Cosine similarity between an encoder's embeddings; the target is the mean embedding."""

    whole_reference = False

    def __init__(self, encoder: Encoder) -> None:
        self.encoder, self.name = encoder, encoder.name

    def features(self, items: Sequence[Audio]) -> np.ndarray:
        return self.encoder.embed_audio(items)

    def pooled(self, rows: np.ndarray, items: Sequence[Audio]) -> np.ndarray:
        return rows.mean(axis=0)

    def compare(self, targets: np.ndarray, target: np.ndarray) -> np.ndarray:
        return cosine(targets, target)


class AttributeObjective(Objective):
    """1 / (1 + distance): the weighted mean over attribute groups of the mean squared excess of each
    feature's difference beyond its content tolerance, in units of its scale (``attributes.FEATURES``).
    A ``guarded`` group costs only its distance beyond the given one (see :meth:`restricted`)."""

    name = "attributes"
    per_item = True

    def __init__(self, weights: Mapping[str, float] | None = None,
                 guarded: Mapping[str, float] | None = None, tolerance: np.ndarray | None = None) -> None:
        self.weights = check_weights(weights or {g: 1.0 for g in attributes.GROUPS})
        #: Group -> distance that counts as zero: a guarded group costs only what it loses beyond it.
        self.guarded = dict(guarded or {})
        #: Per feature, the difference taken as content (``attributes.TOLERANCE`` or wider, see
        #: :meth:`prepare`).
        self.tolerance = attributes.TOLERANCE if tolerance is None else np.asarray(tolerance, dtype=np.float64)

    def features(self, items: Sequence[Audio]) -> np.ndarray:
        return attributes.measure(items)

    def pooled(self, rows: np.ndarray, items: Sequence[Audio]) -> np.ndarray:
        return attributes.pooled(rows, items)

    def compare(self, targets: np.ndarray, target: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + self.distance(targets, target))

    def aim(self, target: np.ndarray, excerpts: Sequence[Audio], whole: np.ndarray) -> np.ndarray:
        """The target shifted by how the excerpts differ from the whole input, so that a candidate is judged
        by the change it makes (which carries over to the whole input) and not by the excerpts' content."""
        return target + self.target(excerpts) - whole

    def prepare(self, references: Sequence[Sequence[Audio]],
                source: Sequence[Audio]) -> tuple[AttributeObjective, np.ndarray, np.ndarray]:
        """Each recording measured once: the tolerances widened to ``CONTENT_SPREAD`` times each feature's
        standard deviation over the sections of a recording (the largest over the references and the
        source; a measure that moves that much within one recording is content, not processing), each
        reference's pooled features (one row per reference) and the source's."""
        measured = [self.features(r) for r in references]
        own = self.features(source)
        spreads = [np.std(features, axis=0) for features in [*measured, own] if len(features) > 1]
        objective = self
        if spreads:
            widened = np.maximum(self.tolerance, CONTENT_SPREAD * np.max(spreads, axis=0))
            objective = AttributeObjective(self.weights, self.guarded, widened)
        targets = np.stack([self.pooled(f, r) for f, r in zip(measured, references)])
        return objective, targets, self.pooled(own, source)

    def weighs(self, groups: Sequence[str]) -> bool:
        return any(g in groups for g in self.weights)

    def counting(self, groups: Sequence[str]) -> AttributeObjective:
        return AttributeObjective({g: 1.0 for g in groups}, self.guarded, self.tolerance)

    def restricted(self, groups: Sequence[str], excerpts: Sequence[Audio],
                   aim: np.ndarray) -> AttributeObjective | None:
        if not self.weighs(groups):
            return None
        base = self.group_distances(self.target(excerpts)[None], aim)
        return AttributeObjective(self.weights, {g: float(base[g][0]) for g in self.weights if g not in groups},
                                  self.tolerance)

    def group_distances(self, features: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
        """Group -> (items,) mean squared excess beyond tolerance, in scale units (0 = within tolerance)."""
        excess = np.maximum(np.abs(features - target) - self.tolerance, 0.0) / attributes.SCALE
        return {g: np.mean(excess[:, mask] ** 2, axis=1) for g, mask in attributes.MASKS.items()}

    def distance(self, features: np.ndarray, target: np.ndarray) -> np.ndarray:
        """(items,) weighted mean of the group distances."""
        groups = self.group_distances(features, target)
        for g, base in self.guarded.items():
            groups[g] = np.maximum(groups[g] - base, 0.0)
        total = sum(self.weights.values())
        return sum(w * groups[g] for g, w in self.weights.items()) / total


def parse_groups(text: str) -> tuple[str, ...]:
    """Attribute groups named comma-separated in ``text`` ("space, width"), each once, in the given order;
    an unknown one is a ``SearchError`` naming it and the valid ones ("" gives none: every group counts)."""
    chosen = tuple(dict.fromkeys(g.strip() for g in text.split(",") if g.strip()))
    unknown = [g for g in chosen if g not in attributes.GROUPS]
    if unknown:
        raise SearchError(f"unknown attribute '{unknown[0]}'; choose from {', '.join(attributes.GROUPS)}")
    return chosen


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Attribute-group weights: known groups, non-negative numbers, not all zero."""
    unknown = sorted(set(weights) - set(attributes.GROUPS))
    if unknown:
        raise SearchError(f"unknown attribute group '{unknown[0]}'; valid: {', '.join(attributes.GROUPS)}")
    if any(not isinstance(w, (int, float)) or w < 0 for w in weights.values()) or not sum(weights.values()):
        raise SearchError(f"attribute weights {dict(weights)}: give non-negative numbers, at least one above 0")
    return {g: float(weights.get(g, 0.0)) for g in attributes.GROUPS if weights.get(g, 0.0) > 0}


@dataclass(frozen=True)
class Price:
    """What processing costs, in similarity units: ``per_effect`` for each effect switched on, plus
    ``per_distance`` times the sum over effects of each one's mean absolute distance of its parameters
    from neutral (normalised 0-1; ``effect_distance`` of :meth:`Chain.economy`)."""

    per_effect: float = 0.01
    per_distance: float = 0.3

    def cost(self, distance: np.ndarray, effects_on: np.ndarray) -> np.ndarray:
        """(candidates,) price of candidates with ``distance`` (summed per effect) from neutral and
        ``effects_on`` effects on."""
        return self.per_effect * np.asarray(effects_on, dtype=np.float64) + self.per_distance * np.asarray(distance)


#: No price at all: the paper's unconstrained search.
FREE = Price(0.0, 0.0)


def metric_names() -> list[str]:
    """Names ``load_objective`` accepts besides checkpoint paths."""
    return ["attributes", *encoder_names()]


def load_objective(name: str | Objective | Encoder | None = None) -> Objective:
    """``None``: ``DEFAULT_METRIC``; ``"attributes"``: the attribute objective; an encoder, or any name
    or checkpoint path that :func:`stito_core.encoders.load_encoder` takes, as an embedding objective."""
    if isinstance(name, Objective):
        return name
    if isinstance(name, Encoder):
        return EmbeddingObjective(name)
    name = name or DEFAULT_METRIC
    return AttributeObjective() if name == "attributes" else EmbeddingObjective(load_encoder(name))
