"""The ``stito`` command line: :mod:`.main` (the grammar and the entry point) and :mod:`.commands` (what each
command does, a short recipe over ``stito_core``)."""
