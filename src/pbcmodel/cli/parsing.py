"""The command line's parser: one line for every error it finds, in the library's words.

Two kinds of error, each one line on stderr and exit status 2, nothing read or written:

* a **usage error** (an unknown command or option, a missing option or file name, an
  option without its value) is argparse's message with a pointer to the help:
  ``pbcmodel run: error: the following arguments are required: --out (see pbcmodel run
  --help)``; :class:`Parser` is the rule, used for the command and every subcommand;
* a **bad value** (``--years 0``, ``--resource 1,0``, ``--month 13``) is refused by the
  library's own check, so its words are those a Python user gets, naming the option as
  typed: ``pbcmodel: error: --years: must be a positive whole number, got 0`` (from
  ``simulate(years=0)``: ``years: must be a positive whole number, got 0``). A number is
  read by the one rule for numbers people type (:func:`pbcmodel.number_text.parse_number`).
  The option types here raise :class:`OptionError`, which argparse lets through to
  :func:`pbcmodel.cli.main`'s one error path.

Examples
--------
>>> parse = count("--years")
>>> parse("3"), parse("1,000")
(3, 1000)
>>> parse("0")
Traceback (most recent call last):
...
pbcmodel.cli.parsing.OptionError: --years: must be a positive whole number, got 0
>>> money("--resource")("£2,000,000")
2000000.0
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Sequence
from typing import Any, NoReturn, TypeVar

from ..errors import PBCModelError, ValidationError
from ..number_text import parse_number
from ..phasing import check_month
from ..scenario.options import check_counts
from ..validation import check_fraction, check_positive, whole_number

__all__ = ["OptionError", "Parser", "checked", "choice", "count", "fraction", "money", "month",
           "path_name",
           "seed"]

T = TypeVar("T")


class OptionError(PBCModelError):
    """An option's value refused by the library's check (the message names the option).

    Not a :class:`ValueError`, so argparse does not turn it into its own usage message: it
    reaches :func:`pbcmodel.cli.main`, which shows it as every other bad input.
    """


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line with a pointer to the help.

    Examples
    --------
    >>> import contextlib, io
    >>> p = Parser(prog="pbcmodel run")
    >>> _ = p.add_argument("--out", required=True)
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err), contextlib.suppress(SystemExit):
    ...     p.parse_args([])
    >>> err.getvalue()
    'pbcmodel run: error: the following arguments are required: --out (see pbcmodel run --help)\\n'
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Each subcommand's parser, by name (filled by :func:`pbcmodel.cli.build_parser`).
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} "
                     f"(see {self.prog} --help)\n")

    def parse_args(self, args: Sequence[str] | None = None,   # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """As argparse's, but an unknown option points to the help of its command."""
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            command = getattr(parsed, "command", None)
            prog = f"{self.prog} {command}" if command else self.prog
            self.exit(2, f"{prog}: error: unrecognized arguments: {' '.join(extra)} "
                         f"(see {prog} --help)\n")
        return parsed


def checked(option: str, check: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type: ``check`` (the library's validation, naming ``option``) of the text;
    a refusal is an :class:`OptionError` with the library's message."""
    def parse(text: str) -> T:
        try:
            return check(text)
        except ValidationError as exc:
            raise OptionError(str(exc)) from exc

    parse.__name__ = option
    return parse


def path_name(option: str) -> Callable[[str], str]:
    """A file or folder name: not empty (``"."`` is the current folder; ``--out ""``, e.g.
    from an unset shell variable, would otherwise put outputs among the user's own files).

    Examples
    --------
    >>> path_name("--out")("results")
    'results'
    >>> path_name("--out")(" ")
    Traceback (most recent call last):
    ...
    pbcmodel.cli.parsing.OptionError: --out: expected a file or folder name, got ' ' (is a \
variable unset? use . for the current folder)
    """
    def check(text: str) -> str:
        if not text.strip():
            raise ValidationError(f"{option}: expected a file or folder name, got {text!r} (is "
                                  "a variable unset? use . for the current folder)")
        return text

    return checked(option, check)


def _number(text: str, option: str, unit: str) -> int | float:
    """The number typed, by the one rule for numbers (a whole one as an int, so that a
    message shows it as typed: ``got 0``, not ``got 0.0``)."""
    value = parse_number(text, option, unit=unit)
    return int(value) if value.is_integer() else value


def count(option: str, maximum: int | None = None, minimum: int = 1) -> Callable[[str], int]:
    """A count (simulations, years, evaluations): a whole number >= ``minimum``, checked as
    the simulation checks its counts; at most ``maximum`` if given."""
    def check(text: str) -> int:
        value = _number(text, option, "a whole number")
        if minimum == 1:
            check_counts(value, 1, name=option)
        return whole_number(value, option, minimum=minimum, maximum=maximum)

    return checked(option, check)


def seed(option: str) -> Callable[[str], int]:
    """A random seed: a whole number >= 0."""
    return checked(option, lambda text: whole_number(
        _number(text, option, "a whole number"), option, minimum=0))


def money(option: str) -> Callable[[str], float]:
    """An amount of pounds > 0, as the budgets check their resource."""
    return checked(option, lambda text: check_positive(_number(text, option, "pounds"),
                                                       option))


def fraction(option: str) -> Callable[[str], float]:
    """A fraction from 0 to 1 (a chance or a share), e.g. ``0.05``."""
    return checked(option, lambda text: check_fraction(_number(text, option, "a fraction"),
                                                       option))


def month(option: str) -> Callable[[str], int]:
    """A month of the financial year, 1 (April) to 12 (March), as the statements check it."""
    return checked(option, lambda text: check_month(_number(text, option, "a month"),
                                                    option))


def choice(option: str, choices: Collection[str]) -> Callable[[str], str]:
    """One of ``choices``, in the words of the library's format check."""
    def check(text: str) -> str:
        if text not in choices:
            raise ValidationError(f"{option}: must be one of {sorted(choices)}, got {text!r}")
        return text

    return checked(option, check)

