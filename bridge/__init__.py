"""The outer layer: the ``stito`` command line and the companion daemon (``stito serve``). Calls ``stito_core``."""
