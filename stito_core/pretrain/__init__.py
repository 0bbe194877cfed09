"""Pretraining AFx-Rep: corpus -> effect pool and presets -> pair shards -> training -> model card.

Modules, one concept each:

- ``sources`` (what the corpus is made of, as data), ``compose`` (MIDI written here), ``synth`` (rendering
  with fluidsynth and speech engines), ``exclusion`` (benchmark content kept out), ``corpus`` (building
  it and its manifest);
- ``sox`` (SoX effects as Effects), ``pool`` (the effect pool and its sampled ranges), ``presets`` (k-means
  presets per effect);
- ``pairs`` (rendering pair shards), ``dataset`` (reading them), ``heads`` (the pretext model and losses),
  ``train`` (the training loop, CPU/GPU/torchrun);
- ``model_card`` (MODEL_CARD.md) and ``steps`` (the ``stito pretrain`` recipes over one working folder).
"""

from .steps import Workdir, workdir

__all__ = ["Workdir", "workdir"]
