"""Serving the what-if page: :func:`serve`, on this computer only unless told otherwise.

The page is served with every script and style sheet from the local server (Bokeh's and
Panel's "server" resources), so it works on a machine without internet access and fetches
nothing from elsewhere.
"""

from __future__ import annotations

import socket
import warnings
from typing import Any

from ..errors import ValidationError
from .layout import FIRST_ICB, build_app, require_panel
from .state import check_icb

__all__ = ["LOCALHOST", "free_port", "serve"]

#: The address served on unless another is given.
LOCALHOST = "127.0.0.1"
#: The path of the page on the server.
PATH = "pbcmodel"


def free_port(address: str = LOCALHOST) -> int:
    """A port free on ``address`` now (the system's choice).

    Examples
    --------
    >>> 0 < free_port() < 65536
    True
    """
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def serve(address: str = LOCALHOST, port: int = 0, *, show: bool = False,
          threaded: bool = False, icb: str = FIRST_ICB) -> Any:
    """Serve the what-if page (:func:`pbcmodel.app.build_app`) at
    ``http://<address>:<port>/pbcmodel``.

    Parameters
    ----------
    address : str
        The address to listen on: ``127.0.0.1`` (this computer only) by default. Any other
        address lets other computers reach the page, and a warning says so.
    port : int
        The port; 0 picks a free one (:func:`free_port`).
    show : bool
        Open the page in the default web browser.
    threaded : bool
        Serve from a background thread and return it at once (for tests and notebooks;
        stop it with ``.stop()``); otherwise serve until interrupted.
    icb : str
        The ICB shown first.

    Returns
    -------
    The Panel server (a thread when ``threaded``); its ``url`` attribute is the page's
    address.

    Raises
    ------
    ValidationError
        A port outside 0-65535, or an unknown ICB code.
    MissingDependencyError
        Panel is not installed: ``pip install "pbcmodel[app]"``.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValidationError(f"port: expected a whole number from 0 to 65535, got {port!r}")
    if address not in (LOCALHOST, "localhost"):
        warnings.warn(f"the app listens on {address}: other computers that can reach this "
                      "one can open it; give no address to keep it on this computer",
                      UserWarning, stacklevel=2)
    check_icb(icb)
    pn = require_panel()
    port = port or free_port(address)
    url = f"http://{address}:{port}/{PATH}"
    print(f"pbcmodel app: {url}  (Ctrl-C to stop)" if not threaded else url, flush=True)
    server = pn.serve({PATH: lambda: build_app(icb)}, address=address, port=port,
                      show=show, threaded=threaded, title="pbcmodel what-if",
                      websocket_origin=[f"{address}:{port}", f"localhost:{port}"],
                      start=True)
    if server is not None:
        server.url = url
    return server
