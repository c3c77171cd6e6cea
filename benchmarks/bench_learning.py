"""Budgets that learn: a needs model on 1,000,000 persons and credibility for 8,000 practices.

Run: ``python benchmarks/bench_learning.py [--persons 1000000] [--practices 8000 --years 5]``.

Prints time and peak traced memory of

(a) :func:`pbcmodel.datasets.persons.synthetic_persons` for the persons;
(b) :func:`pbcmodel.needs.fit_needs_model` on them (six indicators, seven PODs, two GLM parts
    each, standard errors clustered by practice), against a baseline measured in the same
    run: ``numpy.linalg.lstsq`` on the same design (age-sex dummies + indicators, dense) for
    the same fourteen regressions (use on everybody, cost on the users), i.e. what ordinary
    least squares costs for the same data;
(c) :class:`pbcmodel.credibility.ExperienceRating` ``.adjust`` for practices × years, against
    a bare numpy evaluation of the same Bühlmann–Straub formulas (no validation, no pandas);
(d) :meth:`pbcmodel.CapitationFormula.budgets` of a national-size commissioner
    (:func:`pbcmodel.datasets.synthetic_commissioner`, the same practices) with the
    experience step, against the same formula without it, measured in the same run.

``--persons 0`` skips (a) and (b).

Peak memory is what ``tracemalloc`` sees (numpy and pandas buffers; glum's and BLAS's own C++
work buffers are not traced).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _measure import measure, report

import pbcmodel as pbc
from pbcmodel.codes import PODS
from pbcmodel.credibility import ExperienceRating
from pbcmodel.datasets.persons import CONDITIONS, synthetic_persons
from pbcmodel.needs import fit_needs_model

INDICATORS = [*CONDITIONS, "deprived"]


def lstsq_seconds(persons: pd.DataFrame) -> float:
    """Seconds for the fourteen OLS fits on the dense design (built outside the timing)."""
    cell = (persons["age_band"].cat.codes.to_numpy().astype(np.int64) * 2
            + persons["sex"].cat.codes.to_numpy())
    design = np.column_stack([np.eye(40)[cell], persons[INDICATORS].to_numpy(float)])
    costs = persons[list(PODS)].to_numpy()
    start = time.perf_counter()
    for j in range(len(PODS)):
        used = costs[:, j] > 0
        np.linalg.lstsq(design, used.astype(float), rcond=None)
        np.linalg.lstsq(design[used], np.log(costs[used, j]), rcond=None)
    return time.perf_counter() - start


def history(n: int, years: int, seed: int = 0) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    codes = pd.Index([f"S{i:05d}" for i in range(n)], name="practice")
    cols = [str(2020 + j) for j in range(years)]
    size = np.clip(np.rint(rng.lognormal(np.log(6500), 0.55, (n, 1))), 1000, 60000)
    size = size * (1 + rng.normal(0, 0.02, (n, years)))
    expected = size * 1000.0
    style = rng.normal(1.0, 0.05, (n, 1))
    actual = expected * (style + rng.normal(0, 1, (n, years)) * 4 / np.sqrt(size))
    frame = lambda a: pd.DataFrame(a, index=codes, columns=cols)  # noqa: E731
    return frame(actual), frame(expected), frame(size)


def bare_buhlmann_straub(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The same estimators on complete arrays, no checks: the baseline for (c)."""
    w_i = w.sum(axis=1)
    xbar_i = (w * x).sum(axis=1) / w_i
    s2 = (w * (x - xbar_i[:, None]) ** 2).sum() / (x.size - len(x))
    w_tot = w_i.sum()
    xbar = (w_i * xbar_i).sum() / w_tot
    a = ((w_i * (xbar_i - xbar) ** 2).sum() - (len(x) - 1) * s2) / (w_tot - (w_i**2).sum()
                                                                     / w_tot)
    z = w_i / (w_i + s2 / a)
    mu = (z * xbar_i).sum() / z.sum()
    return z * xbar_i + (1 - z) * mu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--practices", type=int, default=8000)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    if args.persons > 0:
        seconds, peak, persons = measure(lambda: synthetic_persons(args.persons, seed=0),
                                         repeat=1)
        report(f"synthetic_persons({args.persons:,})", seconds, peak,
               f"{persons['practice'].nunique():,} practices")

        seconds, peak, _ = measure(lambda: fit_needs_model(persons, INDICATORS), repeat=1)
        base = lstsq_seconds(persons)
        report(f"fit_needs_model ({args.persons:,} persons, 7 PODs × 2)", seconds, peak,
               f"lstsq baseline {base:.2f} s, ratio {seconds / base:.1f}×")

    actual, expected, size = history(args.practices, args.years)
    target = expected.iloc[:, -1] * 1.02

    def rate() -> pd.DataFrame:
        return ExperienceRating(actual=actual, expected=expected, list_size=size).adjust(target)

    seconds, peak, out = measure(rate, repeat=5)
    ratio = (actual / expected).to_numpy()
    start = time.perf_counter()
    for _ in range(20):
        bare_buhlmann_straub(ratio, size.to_numpy())
    bare = (time.perf_counter() - start) / 20
    report(f"ExperienceRating.adjust ({args.practices:,} × {args.years} years)", seconds,
           peak, f"bare numpy {bare * 1000:.2f} ms, ratio {seconds / bare:.0f}×; "
           f"total kept: {out['budget'].sum() == target.sum()}")

    pop = pbc.datasets.synthetic_commissioner(args.practices, seed=0)
    plain = pbc.CapitationFormula(weights=pbc.datasets.example_cost_weights())
    rated = plain.evolve(experience=ExperienceRating(actual=actual, expected=expected,
                                                     list_size=size))
    resource = 1000.0 * float(pop.list_size.sum())
    base, _, before = measure(lambda: plain.budgets(pop, resource), repeat=5)
    seconds, peak, after = measure(lambda: rated.budgets(pop, resource), repeat=5)
    report(f"CapitationFormula.budgets + experience ({args.practices:,})", seconds, peak,
           f"without experience {base * 1000:.1f} ms, ratio {seconds / base:.1f}×; total "
           f"kept: {after['total'].sum() == before['total'].sum()}")


if __name__ == "__main__":
    main()
