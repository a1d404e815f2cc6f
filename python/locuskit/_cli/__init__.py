"""Subcommands of the ``locuskit`` CLI: one module per area, each with ``register(subparsers)``."""
