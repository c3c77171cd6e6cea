"""The command ``pbcmodel footprints``: can a neighbourhood hold a budget, on real England?

``pbcmodel footprints --icb CODE [--footprint pcn,place,icb | FILE] --out DIR`` simulates one
ICB's practices from the embedded weighted populations
(:func:`~pbcmodel.scenario.england.england_scenario`, practice effects on) and settles every
footprint of each level as one holder (:func:`~pbcmodel.scenario.footprint_risk.footprint_risk`).
It writes, whole or not at all: ``footprints.csv`` (each footprint: patients, budget, the
chance of an overspend beyond 2%, 5% and 10% of budget in a year), ``by_size.csv`` (the same
by population band), ``answer.txt`` (the smallest footprint whose chance of a 5% overspend is at
most ``--at-most``; the corridor that brings a 50,000-patient neighbourhood to the risk of a
250,000-patient footprint; the data's attribution) and ``footprint_risk.png``.

``FILE`` is your own mapping of practices to footprints (:func:`pbcmodel.io.read_footprints`),
all of them in the ICB; it is simulated beside the ICB as a whole.

Examples
--------
>>> from pbcmodel.cli import build_parser
>>> args = build_parser().parse_args(["footprints", "--icb", "QWO", "--out", "fp"])
>>> args.footprint, args.n, args.years, args.at_most
('pcn,place,icb', 2000, 3, 0.05)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .. import datasets
from ..errors import ValidationError
from ..footprints import Footprints
from ..io import read_footprints
from ..io.output_folder import atomic_folder
from ..scenario.england import england_scenario
from ..scenario.footprint_risk import (
    MARKS,
    OVERSPEND_FRACTIONS,
    FootprintRisk,
    by_size,
    footprint_risk,
)
from ..scenario.simulation import DEFAULT_YEARS
from .parsing import count, fraction, seed

__all__ = ["COMMANDS", "FOOTPRINT_OUTPUTS", "LEVELS"]

#: The footprint levels of the embedded data.
LEVELS = ("pcn", "place", "icb")
#: Files written by ``pbcmodel footprints`` (replaced as a set with ``--force``).
FOOTPRINT_OUTPUTS = ("footprints.csv", "by_size.csv", "answer.txt", "footprint_risk.png")


def _levels(text: str, icb: str) -> dict[str, Footprints]:
    """``--footprint``: levels of the embedded data (comma-separated), or a mapping file."""
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    if chosen and all(part in LEVELS for part in chosen):
        return {level: datasets.footprints(level, icb=icb) for level in chosen}
    if len(chosen) == 1 and Path(chosen[0]).suffix:
        mine = read_footprints(chosen[0])
        _check_in_icb(mine, icb, chosen[0])
        return {"custom": mine, "icb": datasets.footprints("icb", icb=icb)}
    raise ValidationError(f"--footprint: expected {', '.join(LEVELS)} (comma-separated) or a "
                          f"mapping file (.csv or .xlsx), got {text!r}")


def _check_in_icb(mine: Footprints, icb: str, path: str) -> None:
    """Every practice of a mapping file in ``icb`` (by the file's own ``icb`` column when it
    has one, and by the weighted populations), else an error naming practices and ICBs."""
    if mine.icb is not None:
        mine.check_one_icb(icb)
    icb_of = datasets.england().places("icb").reindex(mine.footprint.index)
    outside = icb_of[icb_of != icb]
    if not outside.empty:
        where = ", ".join(f"{code} in {'no ICB (unknown practice)' if pd.isna(other) else other}"
                          for code, other in list(outside.items())[:5])
        raise ValidationError(f"--footprint {path!r}: {len(outside)} practice(s) not in ICB "
                              f"{icb!r}: {where}" + (" ..." if len(outside) > 5 else "")
                              + "; give one ICB's practices")


def _answer(risk: FootprintRisk, at_most: float, icb: str) -> str:
    lines = [f"Can a footprint of {risk.scenario.name} hold a capitated budget?",
             f"{risk.n:,} simulations x {risk.years} year(s), seed {risk.seed}; each "
             "footprint holds one budget (its practices' budgets added up) and is settled "
             "on its practices' spend added up; practice effects as Dixon et al. 2011.", ""]
    for beyond in OVERSPEND_FRACTIONS:
        smallest = risk.smallest(at_most=at_most, fraction=beyond)
        lines.append(f"Smallest footprint with at most a {at_most:.0%} chance a year of an "
                     f"overspend beyond {beyond:.0%} of budget: "
                     + (f"{smallest:,} registered patients" if smallest is not None
                        else "none of the footprints simulated"))
    lines.append("")
    for size, source in MARKS:
        lines.append(f"Fitted chance of an overspend beyond 5% for {size:,} patients: "
                     f"{risk.chance_at(size):.1%} a year ({source})")
    level = next((lv for lv in ("pcn", "custom") if lv in risk.over), None)
    if level is not None:
        try:
            lines += ["", risk.corridor_to_match(level).describe()]
        except ValidationError as exc:
            lines += ["", f"No corridor read: {exc}"]
    lines += ["", "Sources: " + datasets.ATTRIBUTION, datasets.PCN_ATTRIBUTION,
              f"ICB {icb}."]
    return "\n".join(lines) + "\n"


def _save_figure(risk: FootprintRisk, at_most: float, path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5.6), layout="constrained")
    risk.plot(at_most=at_most, ax=fig.subplots())
    fig.savefig(path, dpi=120)


def _cmd_footprints(args: argparse.Namespace) -> int:
    scn = england_scenario(args.icb)          # an unknown ICB is refused here, before work
    levels = _levels(args.footprint, args.icb)
    with atomic_folder(args.out, force=args.force, replaces=FOOTPRINT_OUTPUTS,
                       what="--out") as staging:
        risk = footprint_risk(scn, levels, n=args.n, years=args.years, seed=args.seed,
                              progress=args.progress)
        risk.table.to_csv(staging / "footprints.csv")
        by_size(risk.table).to_csv(staging / "by_size.csv")
        (staging / "answer.txt").write_text(_answer(risk, args.at_most, args.icb),
                                            encoding="utf-8")
        _save_figure(risk, args.at_most, staging / "footprint_risk.png")
    counts = ", ".join(f"{len(risk.table.loc[level])} {level}" for level in levels)
    print(f"Footprints of {scn.name} ({counts}) simulated {args.n:,} times x {args.years} "
          f"year(s); wrote {', '.join(FOOTPRINT_OUTPUTS)} in {args.out}")
    return 0


def _footprints_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--icb", required=True, help="the ICB's code, e.g. QWO")
    p.add_argument("--footprint", default=",".join(LEVELS),
                   help="pcn, place and/or icb (comma-separated), or your own mapping file "
                        "(.csv/.xlsx: practice, footprint[, footprint_name]) (default "
                        "%(default)s)")
    p.add_argument("--n", type=count("--n"), default=2_000,
                   help="simulations (default %(default)s)")
    p.add_argument("--years", type=count("--years"), default=DEFAULT_YEARS,
                   help="simulated years (default %(default)s)")
    p.add_argument("--seed", type=seed("--seed"), default=0,
                   help="random seed: the same seed gives the same results (default "
                        "%(default)s)")
    p.add_argument("--at-most", dest="at_most", default=0.05,
                   type=fraction("--at-most"),
                   help="the chance a year of an overspend a holder can bear, 0-1 (default "
                        "%(default)s)")
    p.add_argument("--out", required=True,
                   help="folder to write (made if needed; written whole or not at all)")
    p.add_argument("--force", action="store_true",
                   help="replace the files of an earlier run in --out")
    p.add_argument("--progress", action="store_true", help="show a progress bar")


#: Sub-command name → (help, function that adds its arguments, handler).
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None],
                          Callable[[argparse.Namespace], int]]] = {
    "footprints": ("can a neighbourhood hold a budget? the chance of an overspend for every "
                   "PCN, place and the ICB of real England", _footprints_args,
                   _cmd_footprints),
}
