"""The outer layer: the ``stito`` command line and (later) the companion daemon. Calls ``stito_core``."""
