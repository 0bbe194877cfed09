"""The companion daemon (``stito serve``): :mod:`.service` starts the parts; :mod:`.osc_server` (socket,
parsing, replies), :mod:`.handlers` (one per OSC address), :mod:`.jobs` and :mod:`.journal` (the queue and
its crash-safe record), :mod:`.worker` (the searches), :mod:`.watch` (watch folders), :mod:`.config` (the
settings, checked once), :mod:`.inputs` (audio checks), :mod:`.audition` (playback), :mod:`.loadtest`
(the load and soak benchmarks). Error codes are shared with the push-back: :mod:`bridge.codes`."""
