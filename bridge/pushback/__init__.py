"""The push-back to DAWs: :mod:`.profile` (a profile and the targets it gives each parameter),
:mod:`.profiles` (loading and the self-check of ``config/daw/*.toml``), :mod:`.osc` and :mod:`.midi` (the
transports), :mod:`.push` (one push of a found match) and :mod:`.midi_learn` (``stito midi-learn``)."""
