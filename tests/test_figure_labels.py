"""Every public figure speaks to a finance reader: words from the glossary, signs said.

Each public figure function (:mod:`pbcmodel.plot`'s exports, every kind of
``SimulationResult.plot``, the design figures) is drawn on the example scenario. No axis
label, legend, title or caption may read as an identifier (``commissioner_tvar95``); an axis
of signed money says its sign (ARCHITECTURE.md, "Conventions": + kept or paid to the party,
− borne or paid by it); axis labels are the glossary's (:data:`pbcmodel.glossary.FIGURE_LABELS`,
or a metric's label for the design figures).

Run as a script to write every figure to a folder as PNG, to look at them::

    python tests/test_figure_labels.py /tmp/signs
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import pbcmodel as pbc
from pbcmodel import plot
from pbcmodel.glossary import FIGURE_LABELS, TEMPLATES, TERMS
from pbcmodel.plot.simulation import RESULT_KINDS

IDENTIFIER = re.compile(r"\b[a-z]+_[a-z_0-9]+\b")


def _texts(ax: Any) -> list[str]:
    """Every word a reader sees on the figure but the tick labels."""
    legends = [ax.get_legend(), *ax.figure.legends]
    found = [ax.get_xlabel(), ax.get_ylabel(), ax.get_title(), *(t.get_text() for t in ax.texts)]
    for legend in legends:
        if legend is not None:
            found += [t.get_text() for t in legend.get_texts()]
            found.append(legend.get_title().get_text())
    return [t for t in found if t]


# ----------------------------------------------------------------------------- the figures
class _Drawn:
    """The example's results, made once and shared by every figure."""

    def __init__(self) -> None:
        self.scn = pbc.Scenario.example()
        self.result = self.scn.simulate(n=200, years=3, seed=0)
        other = self.scn.evolve(name="bears-75pct", overspend=attrs.evolve(
            self.scn.overspend, practice_share=0.75))
        self.other = other.simulate(n=200, years=3, seed=0)
        from pbcmodel.scenario.variants import compare
        self.compare = compare([self.scn, other], n=200, seed=0, years=3)


def _settlement(d: _Drawn) -> Any:
    budgets = d.scn.budgets()["total"]
    spend = budgets * np.linspace(0.9, 1.04, len(budgets))      # in balance overall
    return d.scn.settle(spend)


def _statement() -> Any:
    from pbcmodel.monthly_statement import statement
    from pbcmodel.phasing import flat_profile, phase
    phased = phase(pd.Series({"P1": 1_200_000.0}), flat_profile())
    actual = pd.DataFrame({"practice": "P1", "month": [1, 2, 3, 4, 5],
                           "cost": [100e3, 120e3, 95e3, 110e3, 105e3]})
    return statement("P1", 5, phased=phased, actual=actual)


def _ytd() -> pd.DataFrame:
    return pd.DataFrame({"variance_pct": [0.05, -0.02, 0.01, -0.045],
                         "variance": [50e3, -20e3, 10e3, -45e3]},
                        index=pd.Index(["C1", "C2", "C3", "C4"], name="consortium"))


def _funnel(ax: Any = None) -> Any:
    rng = np.random.default_rng(0)
    expected = rng.uniform(20, 900, 30)
    table = pd.DataFrame({"expected": expected,
                          "ratio": rng.poisson(expected) / expected},
                         index=[f"P{i:03d}" for i in range(30)])
    return plot.funnel(table, ax=ax)


def _distribution() -> Any:
    from pbcmodel.datasets import example_cost_model, example_population
    from pbcmodel.risk import spend_distribution
    return spend_distribution(example_population(), example_cost_model(), method="normal")


def _curve() -> pd.DataFrame:
    from pbcmodel.datasets import example_cost_model, example_population
    from pbcmodel.risk import risk_by_list_size
    return risk_by_list_size(example_cost_model(), [500, 1000, 3000, 10_000, 30_000],
                             method="normal", profile=example_population(),
                             thresholds=(None, 50_000.0))


def _design(kind: str, ax: Any) -> Any:
    from pbcmodel.design import frontier, optimise
    scn = pbc.Scenario.example(high_cost_threshold=None)
    if kind == "frontier":
        return frontier(scn, {"overspend.practice_share": [0.0, 0.5, 1.0]}, years=1, n=100,
                        method="normal").plot(ax=ax)
    return optimise(scn, {"overspend.practice_share": (0.0, 1.0, 0.5)}, years=1, n=100,
                    method="normal", max_evaluations=8, replicates=2,
                    constraints={"max_band_prob_loss_over_5pct": {"max": 0.2}}).plot(ax=ax)


#: Figure → (function drawing it from the shared results, whether money on it is signed).
FIGURES: dict[str, tuple[Callable[[_Drawn, Any], Any], bool]] = {
    **{f"result_{kind}": ((lambda d, ax, k=kind: d.result.plot(kind=k, ax=ax)), True)
       for kind in RESULT_KINDS},
    "compare_table": (lambda d, ax: plot.plot_compare(d.compare, ax=ax), True),
    "compare_results": (lambda d, ax: plot.plot_compare([d.result, d.other], ax=ax), True),
    "schedule_curve": (lambda d, ax: plot.schedule_curve(
        pbc.sharing.pbc_freed_up(0.7), overspend=d.scn.overspend, ax=ax), True),
    "settlement_waterfall": (lambda d, ax: plot.settlement_waterfall(
        _settlement(d), "P058", ax=ax), True),
    "statement_figure": (lambda d, ax: plot.statement_figure(_statement(), ax=ax), False),
    "ytd_variance_pct": (lambda d, ax: plot.ytd_variance(_ytd(), ax=ax), True),
    "ytd_variance": (lambda d, ax: plot.ytd_variance(_ytd(), ax=ax, column="variance"), True),
    "funnel": (lambda d, ax: _funnel(ax), False),
    "spend_distribution": (lambda d, ax: plot.plot_spend_distribution(
        _distribution(), ax=ax), False),
    "spend_distribution_pounds": (lambda d, ax: plot.plot_spend_distribution(
        _distribution(), ax=ax, relative=False), False),
    **{f"risk_by_list_size_{c}": ((lambda d, ax, c=c: plot.plot_risk_by_list_size(
        _curve(), ax=ax, column=c)), False) for c in ("cv", "std", "mean", "p_over_5pct")},
    "design": (lambda d, ax: _design("design", ax), False),
    "frontier": (lambda d, ax: _design("frontier", ax), False),
}


def draw(name: str, drawn: _Drawn) -> Any:
    """Draw one figure (constrained layout, as ``pbcmodel run`` draws), warnings quiet."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _, ax = plt.subplots(figsize=(8, 5), layout="constrained")
        return FIGURES[name][0](drawn, ax)


def _allowed_axis_labels() -> set[str]:
    labels = {text for text in FIGURE_LABELS.values() if "{" not in text}
    labels.add(FIGURE_LABELS["p_over"].format(X="5"))
    return labels


def _glossary_label(text: str) -> bool:
    """An axis label is the glossary's: a figure label, or a metric's label with its unit."""
    if text in _allowed_axis_labels():
        return True
    text = text.replace("\n", " ")
    if text in {t.replace("\n", " ") for t in _allowed_axis_labels()}:
        return True
    metric_labels = [t.label for t in TERMS.values()]
    metric_labels += [TEMPLATES[name].label.format(P=p, X=p) for name in TEMPLATES
                      for p in ("2", "5", "95")]
    return any(text.startswith(words + " (") for words in metric_labels)


# ----------------------------------------------------------------------------- the tests
@pytest.fixture(scope="module")
def drawn() -> _Drawn:
    return _Drawn()


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_speaks_words_not_identifiers(name: str, drawn: _Drawn) -> None:
    ax = draw(name, drawn)
    try:
        texts = _texts(ax)
        assert texts
        leaked = [t for t in texts if IDENTIFIER.search(t)]
        assert not leaked, leaked
        for text in (ax.get_xlabel(), ax.get_ylabel()):
            if text:
                assert _glossary_label(text), text
    finally:
        plt.close(ax.figure)


@pytest.mark.parametrize("name", [n for n, (_, signed) in FIGURES.items() if signed])
def test_signed_money_says_its_sign(name: str, drawn: _Drawn) -> None:
    ax = draw(name, drawn)
    try:
        axes = " ".join([ax.get_xlabel(), ax.get_ylabel(), *(
            t.get_text() for legend in [ax.get_legend(), *ax.figure.legends] if legend
            for t in legend.get_texts())])
        assert re.search(r"\+[ )]", axes) and re.search(r"−[ )]", axes), axes
    finally:
        plt.close(ax.figure)


def test_the_commissioner_reads_the_same_in_figures_and_tables(drawn: _Drawn) -> None:
    """+ keeps, − pays: the figure's mean is the table's expected result, and a value
    at risk is a positive amount of money at risk."""
    ax = draw("result_commissioner", drawn)
    summary = drawn.result.summary()
    lines = {line.get_label(): line.get_xdata()[0] for line in ax.get_lines()}
    mean = next(x for text, x in lines.items() if text.startswith("expected result"))
    assert mean == pytest.approx(summary["commissioner_mean_kept_all_years"])
    var = next(text for text in lines if text.startswith("value at risk"))
    assert "−£" not in var and "at risk" in var
    assert "keeps" in ax.get_xlabel() and "pays" in ax.get_xlabel()
    table = TERMS["commissioner_mean_kept_all_years"].label
    assert "+ keeps" in table and "− pays" in table
    plt.close(ax.figure)


def test_the_list_size_figure_says_why_a_year_lies_beyond_the_cap(drawn: _Drawn) -> None:
    ax = draw("result_list_size", drawn)
    m = drawn.result.metrics()
    below = bool((m["p05_amount"] / m["budget"] < -0.05).any())
    words = " ".join(t.get_text() for t in ax.texts)
    assert below == ("cap is of each year's own budget" in words)
    plt.close(ax.figure)


def test_dots_not_bars_so_small_differences_show(drawn: _Drawn) -> None:
    ax = draw("compare_table", drawn)
    assert not ax.patches                       # no bars forced to start at zero
    low, high = ax.get_xlim()
    words = " ".join(t.get_text() for t in ax.texts)
    assert (low <= 0 <= high) or "does not start at zero" in words
    plt.close(ax.figure)


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/signs")
    folder.mkdir(parents=True, exist_ok=True)
    shared = _Drawn()
    for figure in FIGURES:
        drawn_ax = draw(figure, shared)
        drawn_ax.figure.savefig(folder / f"{figure}.png", dpi=80)
        plt.close(drawn_ax.figure)
        print(folder / f"{figure}.png")
