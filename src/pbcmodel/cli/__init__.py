"""The ``pbcmodel`` command line.

Each command lives in a module of this package and registers itself in a ``COMMANDS``
mapping of name → (help text, argument builder, handler); :func:`main` runs one and turns
every deliberate error into one line on stderr and exit status 2.

Examples
--------
>>> from pbcmodel.cli import build_parser
>>> build_parser().parse_args(["budgets", "--population", "p.csv", "--resource", "1e6",
...                            "--out", "b.csv"]).resource
1000000.0
>>> build_parser().parse_args(["run", "s.toml", "--out", "results", "--n", "500"]).n
500
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import PBCModelError
from .commands import COMMANDS

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``pbcmodel``."""
    parser = argparse.ArgumentParser(
        prog="pbcmodel",
        description="Financial modelling of practice based commissioning: capitation budgets, "
                    "risk, savings sharing and overspend policy.")
    parser.add_argument("--version", action="version", version=f"pbcmodel {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add_args, handler) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(args.handler(args))
    except PBCModelError as exc:
        print(f"pbcmodel: error: {exc}", file=sys.stderr)
        return 2
