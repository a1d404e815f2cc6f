"""Messages of the CLI commands: results on stdout, warnings and details on stderr.

``-q``/``--quiet`` prints nothing but errors; ``-v``/``--verbose`` adds details on stderr.
"""
from __future__ import annotations

import sys


class Log:
    def __init__(self, args):
        self.quiet = bool(getattr(args, "silent", False))
        self.verbose = bool(getattr(args, "verbose", False) or getattr(args, "debug", False))
        self.warnings = []  # every warning, also when quiet (reports list them)
        self.lines = []  # everything meant for stdout, also when quiet (reports show it)

    def out(self, text: str = "") -> None:
        self.lines.append(text)
        if not self.quiet:
            print(text)

    def warn(self, text: str) -> None:
        self.warnings.append(text)
        if not self.quiet:
            print(f"warning: {text}", file=sys.stderr)

    def info(self, text: str) -> None:
        if self.verbose and not self.quiet:
            print(text, file=sys.stderr)


def add_usability(parser) -> None:
    """-v/--verbose and -q/--quiet (the spelling ``locuskit traj`` uses)."""
    g = parser.add_argument_group("usability options")
    g.add_argument("-v", "--verbose", action="store_true", help="details on stderr (inputs, counts, timings)")
    g.add_argument("-q", "--quiet", "--silent", dest="silent", action="store_true",
                   help="print nothing but errors (no tables, no warnings)")


def add_eval_command(sub, name: str, help: str):
    """Adds ``locuskit eval NAME`` from a module of its own, listed in ``eval``'s usage line."""
    import argparse

    s = next(a for a in sub.choices["eval"]._actions if isinstance(a, argparse._SubParsersAction))
    s.metavar = "{" + ",".join(list(s.choices) + [name]) + "}"
    return s.add_parser(name, help=help)
