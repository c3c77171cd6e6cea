"""The ``pbcmodel`` command line.

Each command lives in a module of this package and registers itself in a ``COMMANDS``
mapping of name → (help text, argument builder, handler); :func:`main` runs one.

One error path: every failure of any kind is one line on stderr, ``pbcmodel: error: …``,
naming the file, key or row and what to do, never a traceback (unless ``--debug``):

=====================================================  ===========
failure                                                exit status
=====================================================  ===========
bad input, a file or folder that cannot be read or     2
written, a missing optional extra, out of memory,
input nested too deeply, a bad option value (refused
by the library's own check, in its words)
a usage error: an unknown command or option, a         2
missing option or file name (one line, pointing to
the command's ``--help``)
interrupted (Ctrl-C)                                   130
anything else: a bug in pbcmodel (with a hint to       1
report it and to rerun with ``--debug``)
=====================================================  ===========

Warnings meant for users (for example a file read as Windows-1252) are one line each,
``pbcmodel: warning: …``; deprecation warnings, which are for developers, are not shown.

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
import contextlib
import sys
import warnings
from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..errors import PBCModelError
from ..moved import package_getattr
from .app_command import COMMANDS as APP_COMMANDS
from .commands import COMMANDS
from .demo import COMMANDS as DEMO_COMMANDS
from .design_command import COMMANDS as DESIGN_COMMANDS
from .footprints_command import COMMANDS as FOOTPRINT_COMMANDS
from .parsing import OptionError, Parser, path_name
from .statements_command import COMMANDS as STATEMENTS_COMMANDS
from .wording import cli_words

__all__ = ["build_parser", "main"]


#: Arguments that name a file or folder: an empty one is refused by the parser, before any
#: work (``--out ""``, e.g. from an unset shell variable, would otherwise mean the current
#: folder and put the outputs among the user's own files).
_PATH_ARGUMENTS = frozenset({"out", "population", "consortia", "weights", "outturn", "space",
                             "scenario", "scenarios"})


def build_parser() -> Parser:
    """The argument parser for ``pbcmodel``."""
    parser = Parser(
        prog="pbcmodel",
        description="Financial modelling of practice based commissioning: capitation budgets, "
                    "risk, savings sharing and overspend policy.")
    parser.add_argument("--version", action="version", version=f"pbcmodel {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = {**DEMO_COMMANDS, **COMMANDS, **DESIGN_COMMANDS, **FOOTPRINT_COMMANDS,
                **STATEMENTS_COMMANDS, **APP_COMMANDS}
    for name, (help_text, add_args, handler) in commands.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        for action in p._actions:
            if action.dest in _PATH_ARGUMENTS and action.type is None:
                action.type = path_name(action.option_strings[0] if action.option_strings
                                        else str(action.metavar or action.dest))
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the full traceback of an error")
        p.set_defaults(handler=handler)
        parser.commands[name] = p
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (see the table above)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)     # a usage error: one line, SystemExit(2)
    except OptionError as exc:             # a bad value: the library's words
        return _shown(explain_failure(exc))
    if args.command is None:
        parser.print_help()
        return 0
    try:
        with _warnings_as_lines():
            return int(args.handler(args))
    except BaseException as exc:   # the one error path: every failure becomes one line
        if getattr(args, "debug", False) or isinstance(exc, SystemExit):
            raise
        return _shown(explain_failure(exc, options=_options(parser, args.command)))


def _shown(failure: tuple[int, str]) -> int:
    status, message = failure
    print(message, file=sys.stderr)
    return status


def _options(parser: Parser, command: str) -> set[str]:
    """The options of ``command`` (``--resource``, ``--out``, ...)."""
    return {option for action in parser.commands[command]._actions
            for option in action.option_strings}


def explain_failure(exc: BaseException, options: Collection[str] = ()) -> tuple[int, str]:
    """The exit status and the one line shown for an exception that ended a command.

    A library message's Python words for what to change become the command line's
    (:func:`~pbcmodel.cli.wording.cli_words`: ``options`` are the command's options).

    Examples
    --------
    >>> from pbcmodel.errors import ValidationError
    >>> explain_failure(ValidationError("--out: 'x' exists and is not a folder"))
    (2, "pbcmodel: error: --out: 'x' exists and is not a folder")
    >>> explain_failure(PermissionError(13, "Permission denied", "results/summary.csv"))
    (2, "pbcmodel: error: 'results/summary.csv': permission denied; check the path and that ...")
    >>> explain_failure(KeyError("boom"))[0]
    1
    """
    if isinstance(exc, KeyboardInterrupt):
        return 130, "pbcmodel: interrupted; no output was written (or replaced)"
    if isinstance(exc, PBCModelError):
        return 2, f"pbcmodel: error: {cli_words(_one_line(str(exc)), options)}"
    if isinstance(exc, MemoryError):
        return 2, ("pbcmodel: error: out of memory; try a smaller --n or fewer --years, or "
                   "a machine with more memory")
    if isinstance(exc, RecursionError):
        return 2, ("pbcmodel: error: an input is nested too deeply to read; simplify the "
                   "file (a scenario file needs only a few levels of tables)")
    if isinstance(exc, OSError):
        where = f"{exc.filename!r}: " if exc.filename else ""
        reason = (exc.strerror or str(exc)).lower()
        return 2, (f"pbcmodel: error: {where}{reason}; check the path and that you may read "
                   "and write there (and that the disk has room)")
    return 1, (f"pbcmodel: internal error: {type(exc).__name__}: {_one_line(str(exc))}. This is "
               f"a bug in pbcmodel {__version__}: please report it with the command you ran; "
               "rerun with --debug to see the traceback")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    print(f"pbcmodel: warning: {_one_line(str(message))}", file=sys.stderr)


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        for developers_only in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", developers_only)    # for developers, not users
        warnings.showwarning = _show_warning
        yield


if not TYPE_CHECKING:   # old module names fail naming the new module (type checkers never see it)
    __getattr__ = package_getattr(__name__)
