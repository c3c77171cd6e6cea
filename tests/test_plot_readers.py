"""Figures for finance readers: money and list sizes as people read them, one sign
convention with the tables, captions naming the run, warnings when a quantile is thin."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure

import pbcmodel as pbc
from pbcmodel.plot import figure_svg
from pbcmodel.plot._base import money_text, tail_warning
from pbcmodel.plot.simulation import plot_result


@pytest.fixture(scope="module")
def result():
    return pbc.Scenario.example(name="base").simulate(n=400, years=2, seed=4)


def _draw(result, kind):
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plot_result(result, kind=kind, ax=ax)
    fig.draw_without_rendering()
    return ax, [str(w.message) for w in caught]


def _texts(ax):
    return [t.get_text() for t in ax.texts]


@pytest.mark.parametrize(("pounds", "step", "top", "text"), [
    (1250.0, None, None, "£1,250"),
    (25_000, 10_000, 80_000, "£25k"),
    (-2.5e6, 5e5, 4e6, "−£2.5m"),
    (3e6, 1e6, 4e6, "£3m"),
    (0.0, 1e6, 4e6, "£0"),
    (12.5, 2.5, 20, "£12.50"),
])
def test_money_text(pounds, step, top, text):
    assert money_text(pounds, step, top) == text


def test_list_size_axis_reads_plain_numbers_and_percent(result):
    ax, _ = _draw(result, "list_size")
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "2,000" in labels and "10,000" in labels
    assert not any("10^" in x or "×" in x or "$" in x for x in labels)
    assert all(t.get_text().endswith("%") for t in ax.get_yticklabels() if t.get_text())


def test_every_figure_names_its_run(result):
    for kind in ("list_size", "net", "commissioner"):
        ax, _ = _draw(result, kind)
        assert any(t.startswith("scenario base · 400 simulations × 2 years · seed 4")
                   for t in _texts(ax))
        assert ax.get_title().startswith("base")


def test_commissioner_figure_has_the_sign_of_the_table(result):
    ax, _ = _draw(result, "commissioner")
    summary = result.summary()
    lines = {line.get_label().split(":")[0]: line.get_xdata()[0] for line in ax.get_lines()}
    # + keeps, − pays (as the tables): a value at risk (a cost) is drawn at minus it
    assert lines["value at risk 95%"] == pytest.approx(-summary["commissioner_var95_all_years"])
    assert lines["tail value at risk 95%"] == pytest.approx(
        -summary["commissioner_tvar95_all_years"])
    # the histogram is of what the commissioner keeps: its mean is the table's
    heights = np.array([p.get_height() for p in ax.patches])
    centres = np.array([p.get_x() + p.get_width() / 2 for p in ax.patches])
    mean = (heights * centres).sum() / heights.sum()
    assert mean == pytest.approx(summary["commissioner_mean_kept_all_years"],
                                 abs=float(np.ptp(centres)) / 20)
    money = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert all(x.startswith(("£", "−£")) for x in money)


def test_net_figure_counts_the_zeros_instead_of_drawing_them(result):
    ax, _ = _draw(result, "net")
    zero_share = float(np.mean(result.amount_sample == 0))
    # the legend is under the axes (a figure legend), where it hides no data
    legend = [t.get_text() for t in (ax.get_legend() or ax.figure.legends[0]).get_texts()]
    assert f"exactly £0 in {zero_share:.0%} of practice-years" in legend[0]
    # both sides of zero are drawn: losses as well as gains
    xs = np.concatenate([p.get_xy()[:, 0] for p in ax.patches])
    assert xs.min() < 0 < xs.max()


def test_a_thin_tail_is_flagged_on_the_figure_and_as_a_warning():
    small = pbc.Scenario.example(name="small").simulate(n=20, seed=1)
    ax, caught = _draw(small, "commissioner")
    assert any("value at risk: only 1 outcome beyond the 95% level" in m for m in caught)
    assert any(t.startswith("⚠ value at risk") for t in _texts(ax))
    assert tail_warning(400, 0.95, "value at risk") is None     # 20 beyond: enough


def test_spend_distributions_are_drawn_relative_to_the_mean():
    from pbcmodel.risk import spend_distribution

    dist = spend_distribution(pbc.datasets.example_population(),
                              pbc.datasets.example_cost_model(), method="normal")
    ax = dist.plot(["P001", "P024"])
    for line in ax.get_lines():
        x, y = line.get_data()
        assert np.interp(0.5, y, x) == pytest.approx(100, abs=1.0)   # median ≈ the mean
    assert ax.get_xlabel() == "Annual spend, % of expected spend"


def test_figure_svg_is_inline_accessible_and_escaped():
    fig = Figure(layout="constrained")
    fig.subplots().plot([1, 2])
    svg_a = figure_svg(fig, "Practice <script>x</script>", salt="a", close=False)
    svg_b = figure_svg(fig, "b", salt="b")
    assert svg_a.startswith("<svg") and 'role="img"' in svg_a
    assert "<title>Practice &lt;script&gt;x&lt;/script&gt;</title>" in svg_a
    assert "<script" not in svg_a
    ids_a = set(re.findall(r'id="([^"]+)"', svg_a))
    ids_b = set(re.findall(r'id="([^"]+)"', svg_b))
    assert ids_a and not ids_a & ids_b
    for ref in re.findall(r"url\(#([^)]+)\)", svg_a):      # references follow their ids
        assert ref in ids_a


def test_a_few_tiny_lists_do_not_squash_the_others():
    # West Yorkshire has practices of 1 to 25 registered patients: their good years (+40%
    # to +70% of budget) would leave the other 262 practices in a band of a few percent
    from pbcmodel.cli.demo import england_scenarios

    wp = pbc.datasets.england().subset(icb="QWO")
    scn = england_scenarios(wp, round(float(wp.registered.sum()) * 1000, -5))[0]
    # chance alone (no practice effects): the tiny lists' spread then dwarfs the others'
    res = scn.evolve(practice_effects=None).simulate(n=200, years=1, seed=2)
    ax, _ = _draw(res, "list_size")
    m = res.metrics()
    high = 100 * m["p95_amount"] / m["budget"]
    top = ax.get_ylim()[1]
    big = m["list_size"] >= 1000
    assert high[big].max() <= top < high.max()          # the others fill the axis
    assert any("off the scale" in t for t in _texts(ax))
    # list sizes over five decades: ticks at powers of ten only, so labels never collide
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(set(x.replace(",", "")) <= {"1", "0"} for x in labels), labels
