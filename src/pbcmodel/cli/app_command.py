"""The command ``pbcmodel app``: the interactive what-if in a web browser.

``pbcmodel app [--port N] [--address A] [--no-browser] [--icb CODE]`` serves the page of
:mod:`pbcmodel.app` (optional extra ``pbcmodel[app]``) on ``127.0.0.1`` (this computer
only) until Ctrl-C; ``--address`` serves it on another address, with a warning that other
computers can then reach it.

Examples
--------
>>> from pbcmodel.cli import build_parser
>>> args = build_parser().parse_args(["app", "--port", "8080", "--no-browser"])
>>> args.port, args.address, args.browser
(8080, '127.0.0.1', False)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from .parsing import count

__all__ = ["COMMANDS"]


#: ``--port``: 0 (a free port) to 65535.
_port = count("--port", maximum=65535, minimum=0)


def _cmd_app(args: argparse.Namespace) -> int:
    from ..app.serve import serve  # the page and its optional extra, only for this command

    serve(args.address, args.port, show=args.browser, icb=args.icb)
    return 0


def _app_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=_port, default=0,
                   help="the port to serve on (default: a free one, printed)")
    p.add_argument("--address", default="127.0.0.1",
                   help="the address to listen on (default %(default)s: this computer only; "
                        "another address lets other computers open the page)")
    p.add_argument("--no-browser", dest="browser", action="store_false",
                   help="do not open the page in a web browser")
    p.add_argument("--icb", default="QOC", help="the ICB shown first (default %(default)s)")


#: Sub-command name → (help, function that adds its arguments, handler).
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace], int]]] = {
    "app": ("the interactive what-if in a web browser: an ICB of real England, its budgets, "
            "two or three policies compared (needs pbcmodel[app])", _app_args, _cmd_app),
}
