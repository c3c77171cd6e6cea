"""Shared plumbing for the optional matplotlib figures (private).

Figures are for finance readers: money on an axis reads £1,250, £25k or £2.5m (never
2.5e6), list sizes read 1,000 / 2,000 / 5,000 (never 2×10³), every figure of a simulation
says how many runs, years and which seed and scenario it shows, and a quantile drawn from too
few runs says so on the figure.
"""

from __future__ import annotations

import io
import re
import warnings
from typing import Any

import numpy as np

from ..errors import require

#: Fewest simulated outcomes beyond a quantile for it to be shown without a warning.
MIN_TAIL = 20


def require_matplotlib() -> Any:
    """Return ``matplotlib.pyplot`` or raise ``MissingDependencyError`` naming the extra."""
    return require("matplotlib.pyplot", "plot", "figures")


def new_axes(ax: Any = None, **subplot_kw: Any) -> tuple[Any, Any]:
    """Return ``(fig, ax)``: the given axes' figure, or a new figure and axes."""
    plt = require_matplotlib()
    if ax is None:
        fig, ax = plt.subplots(**subplot_kw)
        return fig, ax
    return ax.figure, ax


def _decimals(step: float) -> int:
    """The fewest decimals (at most 3) that write a tick step exactly: 2.5 → 1, 0.25 → 2."""
    if not step > 0:
        return 0
    for decimals in range(4):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return decimals
    return 3


def money_text(pounds: float, step: float | None = None, top: float | None = None) -> str:
    """Pounds for a figure: £ with thousands separators, or £k / £m for large amounts.

    ``top`` (the largest amount on the axis) chooses the unit and ``step`` (between ticks)
    the decimals; on its own an amount is shown to three significant digits.

    Examples
    --------
    >>> money_text(1250.0), money_text(25e3, step=1e4, top=8e4), money_text(-2.5e6, 5e5, 4e6)
    ('£1,250', '£25k', '−£2.5m')
    >>> money_text(0.0, step=1e6, top=4e6), money_text(1_262_751.87), money_text(22_900_561.83)
    ('£0', '£1.26m', '£22.9m')
    """
    value = abs(pounds)
    sign = "−" if pounds < 0 and value > 0 else ""
    if top is None:                             # one amount: three significant digits
        if value >= 1e6:
            digits = max(0, 2 - int(np.floor(np.log10(value / 1e6))))
            return f"{sign}£{value / 1e6:,.{digits}f}m"
        top, step = value, 1e3 if value >= 1e4 else 1.0
    step = abs(step) if step else top or 1.0
    if top >= 1e6:
        text = f"£{value / 1e6:,.{_decimals(step / 1e6)}f}m"
    elif top >= 1e4:
        text = f"£{value / 1e3:,.{_decimals(step / 1e3)}f}k"
    else:                                       # pounds: whole, or pounds and pence
        text = f"£{value:,.{2 if _decimals(step) else 0}f}"
    if float(text.strip("£km").replace(",", "")) == 0:
        return "£0"
    return sign + text


def _tick_formatter(label: Any) -> Any:
    """A matplotlib Formatter calling ``label(value, step, top)``: ``step`` between the
    ticks being labelled and ``top`` their largest absolute value."""
    from matplotlib.ticker import Formatter

    class _Ticks(Formatter):  # type: ignore[misc]
        ticks: np.ndarray = np.empty(0)

        def set_locs(self, locs: Any) -> None:
            self.ticks = np.asarray(locs, dtype=float)

        def __call__(self, value: float, pos: Any = None) -> str:
            locs = self.ticks if self.ticks.size else np.asarray([value], dtype=float)
            step = float(np.min(np.diff(locs))) if locs.size > 1 else 0.0
            return str(label(value, step, float(np.max(np.abs(locs)))))

    return _Ticks()


def money_axis(ax: Any, axis: str = "y", *, scale: float = 1.0) -> None:
    """Label an axis of money: data in pounds × ``scale`` (1e6 for data drawn in £m)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(_tick_formatter(
        lambda v, step, top: money_text(v * scale, step=step * scale, top=top * scale)))


def percent_axis(ax: Any, axis: str = "y", *, fraction: bool = False) -> None:
    """Label an axis of percentages (data in percent, or fractions when ``fraction``), with
    the decimals that tell its ticks apart."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    scale = 100.0 if fraction else 1.0

    def fmt(value: float, step: float, _top: float) -> str:
        text = f"{abs(value * scale):.{_decimals(step * scale)}f}%"
        return ("−" if value < 0 and float(text[:-1]) else "") + text

    target.set_major_formatter(_tick_formatter(fmt))


def plain_log_axis(ax: Any, axis: str = "x") -> None:
    """A log axis with plain tick labels (1,000 not 10³): at 1, 2 and 5 × powers of ten over
    up to 2.5 decades, at powers of ten over more (so labels never run into each other).
    Call it after drawing, when the axis knows its range."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    low, high = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    decades = np.log10(high / low) if low > 0 else np.inf
    subs = (1.0, 2.0, 5.0) if decades <= 2.5 else (1.0,)
    target.set_major_locator(LogLocator(base=10, subs=subs))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    target.set_minor_formatter(NullFormatter())


def fenced_range(values: Any, k: float = 3.0, squash: float = 2.0) -> tuple[float, float, int]:
    """The range an axis shows so that a few extreme values do not squash the rest: the
    values within ``k`` interquartile ranges beyond the quartiles (Tukey's far fences), and
    how many values lie beyond. Only when showing every value would take more than
    ``squash`` times that range; otherwise the whole range, with none beyond.

    Examples
    --------
    >>> fenced_range([-2.0, -1.0, 0.0, 1.0, 2.0, 70.0])
    (-2.0, 2.0, 1)
    >>> fenced_range([0.0, 1.0, 1.0, 1.0, 1.0, 1.5])      # quartiles equal: all are shown
    (0.0, 1.5, 0)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return 0.0, 0.0, 0
    q1, q3 = np.quantile(v, [0.25, 0.75])
    spread = q3 - q1
    inside = v[(v >= q1 - k * spread) & (v <= q3 + k * spread)]
    low, high = float(inside.min()), float(inside.max())
    if spread == 0 or float(v.max() - v.min()) <= squash * (high - low):
        return float(v.min()), float(v.max()), 0
    return low, high, int(v.size - inside.size)


def simulation_caption(result: Any, name: str | None = None) -> str:
    """'scenario pbc-70-30 · 1,000 simulations × 3 years · seed 0' for a simulation's figure.

    ``result`` is anything with ``n``, ``years`` and ``seed`` (a simulation, a policy
    design, a frontier); the scenario's name is ``name`` or ``result.scenario.name``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> simulation_caption(SimpleNamespace(scenario=SimpleNamespace(name="a"), n=1,
    ...                                    years=1, seed=None))
    'scenario a · 1 simulation × 1 year · seed none (not reproducible)'
    >>> simulation_caption(SimpleNamespace(n=2000, years=3, seed=1), name="b")
    'scenario b · 2,000 simulations × 3 years · seed 1'
    """
    n, years = result.n, result.years
    seed = "none (not reproducible)" if result.seed is None else f"{result.seed}"
    name = result.scenario.name if name is None else name
    return (f"scenario {name} · {n:,} simulation{'s' if n != 1 else ''} × "
            f"{years} year{'s' if years != 1 else ''} · seed {seed}")


#: Longest caption line (characters) before it is wrapped at a " · ".
CAPTION_WIDTH = 90


def _wrap(text: str, width: int = CAPTION_WIDTH) -> list[str]:
    """Split a caption at its " · " separators into lines of at most ``width`` characters
    (a part longer than that stays whole).

    Examples
    --------
    >>> _wrap("a · b · c", width=5)
    ['a · b', 'c']
    """
    lines: list[str] = []
    for part in text.split(" · "):
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1] += " · " + part
        else:
            lines.append(part)
    return lines


def caption(ax: Any, text: str, warning: str | None = None) -> None:
    """Put a caption under the title of ``ax`` (small, grey; wrapped at " · " when long),
    and a warning line (dark red) under it when there is one. Placed in points from the top
    of the axes, so it reads the same at any figure size."""
    y = 3.0
    if warning:
        ax.annotate("⚠ " + warning, xy=(0.5, 1.0), xycoords="axes fraction",
                    xytext=(0, y), textcoords="offset points", ha="center", va="bottom",
                    fontsize="x-small", color="#8a1c00")
        y += 10.0
    lines = _wrap(text)
    ax.annotate("\n".join(lines), xy=(0.5, 1.0), xycoords="axes fraction", xytext=(0, y),
                textcoords="offset points", ha="center", va="bottom", fontsize="small",
                color="0.3", linespacing=1.1)
    y += 10.5 * len(lines)
    ax.set_title(ax.get_title(), pad=y + 3.0)


def tail_warning(outcomes: int, level: float, what: str) -> str | None:
    """A warning (also issued as a ``UserWarning``) when too few outcomes lie beyond a
    quantile for it to be more than a rough guess, for :func:`caption`; or None.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):
    ...     warnings.simplefilter("always")
    ...     text = tail_warning(100, 0.95, "value at risk")
    >>> text
    'value at risk: only 5 outcomes beyond the 95% level, a rough guess; simulate more'
    """
    beyond = round(outcomes * (1.0 - level))
    if beyond >= MIN_TAIL:
        return None
    text = (f"{what}: only {beyond:,} outcome{'s' if beyond != 1 else ''} beyond the "
            f"{level:.0%} level, a rough guess; simulate more")
    warnings.warn(text, UserWarning, stacklevel=3)
    return text


_SVG_START = re.compile(r"<svg\b")
_SVG_ID = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')


def _prefix_ids(svg: str, salt: str) -> str:
    """Prefix every element id (and every reference to one) so that several figures can
    share a page without duplicate ids."""
    prefix = re.sub(r"[^A-Za-z0-9_-]", "_", salt)
    return _SVG_ID.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)


def figure_svg(fig: Any, alt: str, *, salt: str = "pbcmodel", close: bool = True) -> str:
    """The figure as inline SVG markup for a web page, with ``alt`` as its text alternative.

    Text stays text (selectable, readable by screen readers); ``salt`` keeps the element ids
    of several figures on one page distinct. The figure is closed afterwards unless
    ``close=False`` (to draw it again). Lay the figure out with ``layout="constrained"`` so
    nothing is cut off.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(); _ = fig.subplots().plot([1, 2])
    >>> svg = figure_svg(fig, "a rising line")
    >>> svg.startswith("<svg") and 'role="img"' in svg and "<title>a rising line</title>" in svg
    True
    """
    import html

    mpl = require("matplotlib", "plot", "figures")
    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg")
    if close:
        require_matplotlib().close(fig)
    text = buf.getvalue()
    start = _SVG_START.search(text)
    svg = text[start.start():] if start else text
    svg = _prefix_ids(svg, salt)
    label = html.escape(alt, quote=True)
    svg = svg.replace("<svg", f'<svg role="img" aria-label="{label}"', 1)
    head_end = svg.index(">") + 1
    return svg[:head_end] + f"<title>{html.escape(alt)}</title>" + svg[head_end:]
