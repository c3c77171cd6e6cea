"""Published sharing schemes as :class:`~pbcmodel.sharing.ShareSchedule` presets, each with
its source and a worked example.

UK practice based commissioning (:func:`pbc_freed_up`, :func:`pbc_2004`); the US Medicare
Shared Savings Program (:func:`mssp_one_sided`, :func:`mssp_two_sided`,
:func:`mssp_basic_level_e`, :func:`mssp_enhanced`); the ACA and Part D risk corridors
(:func:`aca_risk_corridor`, :func:`part_d_corridor_2006`); and CMS ACO REACH's Global and
Professional risk corridors (:func:`aco_reach_global`, :func:`aco_reach_professional`).

Examples
--------
>>> float(pbc_freed_up(0.7).practice_amount(1_000_000, 950_000))   # 70% of £50,000
35000.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ValidationError
from ..validation import check_fraction, finite_scalar, whole_number
from .schedule import ShareSchedule, Tiers, budget_fraction

__all__ = [
    "ACO_REACH_GLOBAL_CORRIDORS",
    "ACO_REACH_PROFESSIONAL_CORRIDORS",
    "MSSP_ENHANCED_LOSS_CAP",
    "MSSP_ENHANCED_SAVINGS_CAP",
    "MSSP_LEVEL_E_LOSS_CAP",
    "MSSP_LEVEL_E_REVENUE_CAP",
    "MSSP_MSR_TABLE",
    "MSSP_TRACK2_LOSS_CAPS",
    "aca_risk_corridor",
    "aco_reach_global",
    "aco_reach_professional",
    "mssp_basic_level_e",
    "mssp_enhanced",
    "mssp_minimum_savings_rate",
    "mssp_one_sided",
    "mssp_two_sided",
    "part_d_corridor_2006",
    "pbc_2004",
    "pbc_freed_up",
]


def pbc_freed_up(practice_share: float = 0.7, *, gates: Any = ()) -> ShareSchedule:
    """UK practice based commissioning: the practice keeps a share of freed-up resources.

    Department of Health guidance on PBC (2006) suggested freed-up resources be
    split 70% practice / 30% commissioner, to be reinvested in patient services
    under an approved plan; the Audit Commission (*Putting commissioning into
    practice*, 2007) found the arrangements often unclear, particularly where
    savings were taken to fund a PCT deficit. Add ``gates`` to model such
    conditions, e.g. ``gates=("commissioner_in_balance", "plan_approved")``.
    Overspends are not shared by this schedule: pair it with an
    :class:`~pbcmodel.overspend.OverspendPolicy`.

    Parameters
    ----------
    practice_share : float, default 0.7
        The practice's share of an underspend, in [0, 1].
    gates : sequence of str or Gate, optional
        Conditions for paying the freed-up resources.

    Examples
    --------
    Budget £1,234,567, spend £1,200,000: underspend £34,567, 70% = £24,196.90.

    >>> round(float(pbc_freed_up(0.7).practice_amount(1_234_567, 1_200_000)), 2)
    24196.9
    """
    check_fraction(practice_share, "practice_share")
    return ShareSchedule(savings=((0.0, float(practice_share)),), gates=gates)


def pbc_2004() -> ShareSchedule:
    """The original 2004 PBC terms: the practice keeps 50% of savings.

    Under the 2004 guidance (*Practice based commissioning: promoting clinical
    engagement*, DH 2004) practices could retain 50% of savings against their
    indicative budget and were expected to balance the budget over three years.
    The three-year balance is an overspend rule: use
    :func:`pbcmodel.overspend.balance_over_three_years` with this schedule.

    Examples
    --------
    Budget £2,000,000, spend £1,900,000: underspend £100,000, practice keeps 50%.

    >>> float(pbc_2004().practice_amount(2_000_000, 1_900_000))
    50000.0
    """
    return ShareSchedule(savings=((0.0, 0.5),))


#: 42 CFR 425.604(b): one-sided model minimum savings rate by assigned beneficiaries.
#: Rows: (low end of band, high end of band, MSR at low end, MSR at high end); the MSR is
#: interpolated linearly inside each band, and 2.0% applies from 60,000 beneficiaries.
MSSP_MSR_TABLE: tuple[tuple[int, int, float, float], ...] = (
    (5_000, 5_999, 0.039, 0.036),
    (6_000, 6_999, 0.036, 0.034),
    (7_000, 7_999, 0.034, 0.032),
    (8_000, 8_999, 0.032, 0.031),
    (9_000, 9_999, 0.031, 0.030),
    (10_000, 14_999, 0.030, 0.027),
    (15_000, 19_999, 0.027, 0.025),
    (20_000, 49_999, 0.025, 0.022),
    (50_000, 59_999, 0.022, 0.020),
)


def mssp_minimum_savings_rate(beneficiaries: float) -> float:
    """MSSP one-sided minimum savings rate for a number of assigned beneficiaries.

    From the table in 42 CFR 425.604(b): 3.9% at 5,000 beneficiaries falling to
    2.0% at 60,000 or more, in bands with linear interpolation inside each band.
    Fewer than 5,000 beneficiaries is not eligible for the programme.

    Examples
    --------
    >>> mssp_minimum_savings_rate(5_000), mssp_minimum_savings_rate(20_000)
    (0.039, 0.025)
    >>> round(mssp_minimum_savings_rate(12_500), 5)      # 3.0% - 2500/4999 * 0.3%
    0.0285
    >>> mssp_minimum_savings_rate(75_000)
    0.02
    """
    n = finite_scalar(beneficiaries, "beneficiaries")
    if n < MSSP_MSR_TABLE[0][0]:
        raise ValidationError(
            f"beneficiaries: the MSSP requires at least 5,000 assigned beneficiaries, got {n:g}")
    for low, high, rate_low, rate_high in MSSP_MSR_TABLE:
        if n <= high:
            return float(np.interp(min(n, high), [low, high], [rate_low, rate_high]))
        if n < high + 1:          # fractional counts between bands take the band's end
            return rate_high
    return 0.020


def mssp_one_sided(beneficiaries: float, shared_rate: float = 0.5, cap: float = 0.10, *,
                   gates: Any = ()) -> ShareSchedule:
    """US Medicare Shared Savings Program, one-sided model (Track 1).

    The ACO shares savings only if they meet the minimum savings rate for its
    number of assigned beneficiaries (:func:`mssp_minimum_savings_rate`,
    42 CFR 425.604(b)); once met it shares from the first dollar at up to 50%
    (the final sharing rate depends on quality: model it with
    ``gates=(Gate("quality_score", scale=True),)``), and the payment is capped at
    10% of the benchmark (42 CFR 425.604(c)–(d)). No losses are shared. The
    practice (or consortium) budget plays the role of the benchmark.

    Examples
    --------
    Benchmark £10m, 20,000 beneficiaries (MSR 2.5%): spending £9.7m saves 3%,
    which meets the MSR, so 50% of £300,000 = £150,000 is shared; spending
    £9.8m saves 2% < 2.5%, so nothing is shared.

    >>> sched = mssp_one_sided(20_000)
    >>> [float(sched.practice_amount(10e6, o)) for o in (9.7e6, 9.8e6, 10.5e6)]
    [150000.0, 0.0, 0.0]
    """
    check_fraction(shared_rate, "shared_rate")
    cap = budget_fraction(cap, "cap")
    return ShareSchedule(savings=((0.0, float(shared_rate)),),
                         minimum_savings_rate=mssp_minimum_savings_rate(beneficiaries),
                         first_dollar=True, savings_cap=cap, gates=gates)


#: Track 2 shared loss cap by year of the agreement (42 CFR 425.606(g)).
MSSP_TRACK2_LOSS_CAPS: tuple[float, ...] = (0.05, 0.075, 0.10)


def mssp_two_sided(shared_rate: float = 0.6, *, year: int = 1, minimum_rate: float = 0.02,
                   savings_cap: float = 0.15, gates: Any = ()) -> ShareSchedule:
    """US Medicare Shared Savings Program, two-sided model (Track 2).

    Under 42 CFR 425.606 the ACO shares up to 60% of savings, capped at 15% of
    the benchmark, and shares losses at a rate of ``1 − shared_rate``, at most
    60%; losses are capped at 5%, 7.5% and 10% of the benchmark in years 1, 2
    and 3 onwards of the agreement. Savings and losses are shared from the
    first dollar once they reach the minimum savings / loss rate (2% here).

    Parameters
    ----------
    shared_rate : float, default 0.6
        Final sharing rate for savings (the shared loss rate is
        ``min(1 − shared_rate, 0.6)``).
    year : int, default 1
        Year of the agreement (1, 2, 3 or later) selecting the loss cap.
    minimum_rate : float, default 0.02
        Minimum savings rate and minimum loss rate.
    savings_cap : float, default 0.15
        Cap on shared savings as a fraction of the benchmark.

    Examples
    --------
    Benchmark £10m, year 1: spending £10.5m (5% over) costs the ACO 40% of
    £500,000 = £200,000; spending £12m would cost 40% of £2m = £800,000, capped
    at 5% of the benchmark = £500,000. Spending £9.5m earns 60% × £500,000.

    >>> sched = mssp_two_sided()
    >>> [float(sched.practice_amount(10e6, o)) for o in (10.5e6, 12e6, 9.5e6)]
    [-200000.0, -500000.0, 300000.0]
    """
    check_fraction(shared_rate, "shared_rate")
    loss_cap = MSSP_TRACK2_LOSS_CAPS[min(whole_number(year, "year"), 3) - 1]
    loss_rate = min(1.0 - float(shared_rate), 0.6)
    return ShareSchedule(savings=((0.0, float(shared_rate)),), losses=((0.0, loss_rate),),
                         minimum_savings_rate=minimum_rate, minimum_loss_rate=minimum_rate,
                         first_dollar=True, savings_cap=budget_fraction(savings_cap, "savings_cap"),
                         loss_cap=loss_cap, gates=gates)


#: BASIC track Level E loss recoupment limit as a fraction of the updated benchmark: 1 percentage
#: point above the 3% benchmark-based nominal amount standard of 42 CFR 414.1415(c)(3)(i)(B)
#: (42 CFR 425.605(d)(1)(v)(D)(2)).
MSSP_LEVEL_E_LOSS_CAP = 0.04

#: BASIC track Level E revenue-based loss recoupment limit: 8% of the ACO participants' total
#: Medicare Parts A and B fee-for-service revenue, the revenue-based nominal amount standard of
#: 42 CFR 414.1415(c)(3)(i)(A) (42 CFR 425.605(d)(1)(v)(D)(1)).
MSSP_LEVEL_E_REVENUE_CAP = 0.08

#: ENHANCED track cap on shared savings, a fraction of the updated benchmark (42 CFR 425.610(e)(2)).
MSSP_ENHANCED_SAVINGS_CAP = 0.20

#: ENHANCED track loss recoupment limit, a fraction of the updated benchmark (42 CFR 425.610(g)).
MSSP_ENHANCED_LOSS_CAP = 0.15


def mssp_basic_level_e(*, minimum_rate: float = 0.02, revenue_to_benchmark: float | None = None,
                       gates: Any = ()) -> ShareSchedule:
    """US Medicare Shared Savings Program, BASIC track Level E (two-sided), PY2024 onwards.

    42 CFR 425.605(d)(1)(v) (as amended by the CY2023 Physician Fee Schedule rule, 87 FR
    70237, Nov. 18, 2022; text read from an eCFR copy): an ACO that meets the
    quality performance standard shares 50% of savings (the *final sharing rate*) from the
    first dollar once they reach its minimum savings rate, capped at 10% of the updated
    benchmark; it shares losses at a fixed 30% (the *shared loss rate*) from the first
    dollar once they reach its minimum loss rate. The loss recoupment limit is the lesser
    of 8% of the ACO participants' total Medicare Parts A and B fee-for-service revenue
    (42 CFR 414.1415(c)(3)(i)(A)) and 4% of the updated benchmark (1 percentage point above
    the 3% of 414.1415(c)(3)(i)(B)). The minimum savings and loss rates are symmetrical and
    chosen by the ACO (425.605(b)(2)): 0%, 0.5%, 1%, 1.5% or 2%, or a rate by number of
    assigned beneficiaries (pass ``minimum_rate``). The budget plays the updated benchmark.

    **PY2025 onwards:** the eCFR copy read links an amendment to 425.605 published at 89 FR
    98571 (Dec. 9, 2024, the CY2025 Physician Fee Schedule rule) whose text was not read;
    no change to these rates and limits for PY2025-PY2027 was found in a source read.

    Parameters
    ----------
    minimum_rate : float, default 0.02
        The ACO's minimum savings rate and minimum loss rate.
    revenue_to_benchmark : float, optional
        The ACO participants' total Medicare Parts A and B fee-for-service revenue divided
        by the updated benchmark. A schedule sees only the budget (benchmark), so the
        revenue-based limit is representable only through this ratio: the loss cap is then
        ``min(8% × revenue_to_benchmark, 4%)`` of the benchmark. Left out, only the 4%
        benchmark-based limit applies (right for an ACO whose revenue is at least half its
        benchmark, a "high revenue" ACO; for a smaller one it overstates the cap).
    gates : sequence of str or Gate, optional
        Conditions for paying savings, e.g. the quality performance standard. Under the
        alternative quality standard the sharing rate is 50% × the health-equity-adjusted
        quality score (425.605(d)(1)(v)(A)(4)(ii)): model it with
        ``gates=(Gate("quality_score", scale=True),)``.

    Not modelled: the low-revenue ACO's savings below the MSR at half the rate (425.605(h)),
    the extreme and uncontrollable circumstances reduction of losses (425.605(f)).

    Examples
    --------
    Benchmark £10m, 2% MSR/MLR. Spending £9.7m saves 3%: 50% × £300,000 = £150,000.
    Spending £9.9m saves 1% < 2%: nothing. Spending £7m: 50% × £3m = £1.5m, capped at 10%
    of the benchmark = £1m. Spending £10.5m (5% over) costs 30% × £500,000 = £150,000;
    spending £12m would cost 30% × £2m = £600,000, capped at 4% = £400,000.

    >>> sched = mssp_basic_level_e()
    >>> [round(float(sched.practice_amount(10e6, o)), 2)
    ...  for o in (9.7e6, 9.9e6, 7e6, 10.5e6, 12e6)]
    [150000.0, 0.0, 1000000.0, -150000.0, -400000.0]

    An ACO whose revenue is a quarter of its benchmark: the cap is 8% × 0.25 = 2% = £200,000.

    >>> float(mssp_basic_level_e(revenue_to_benchmark=0.25).practice_amount(10e6, 12e6))
    -200000.0
    """
    loss_cap = MSSP_LEVEL_E_LOSS_CAP
    if revenue_to_benchmark is not None:
        ratio = finite_scalar(revenue_to_benchmark, "revenue_to_benchmark")
        if ratio <= 0.0:
            raise ValidationError(f"revenue_to_benchmark: must be above 0 (revenue divided by "
                                  f"the benchmark), got {revenue_to_benchmark!r}")
        loss_cap = min(MSSP_LEVEL_E_REVENUE_CAP * ratio, MSSP_LEVEL_E_LOSS_CAP)
    return ShareSchedule(savings=((0.0, 0.5),), losses=((0.0, 0.3),),
                         minimum_savings_rate=minimum_rate, minimum_loss_rate=minimum_rate,
                         first_dollar=True, savings_cap=0.10, loss_cap=loss_cap, gates=gates)


def mssp_enhanced(quality_score: float = 1.0, *, minimum_rate: float = 0.02,
                  gates: Any = ()) -> ShareSchedule:
    """US Medicare Shared Savings Program, ENHANCED track (two-sided), PY2024 onwards.

    42 CFR 425.610 (as amended by the CY2023 Physician Fee Schedule rule, 87 FR 70240, Nov.
    18, 2022; text read from an eCFR copy): an ACO that meets the quality performance
    standard shares 75% of savings from the first dollar once they reach its minimum savings
    rate, capped at 20% of the updated benchmark (425.610(d)(4), (e)). Its shared loss rate
    is 1 − 75% × its health-equity-adjusted quality performance score, at least 40% and at
    most 75%; 75% if it fails the quality standard (425.610(f)(4)); losses are shared from
    the first dollar once they reach its minimum loss rate and are capped at 15% of the
    updated benchmark (425.610(g)). The minimum savings and loss rates are symmetrical and
    chosen by the ACO (425.610(b)): 0%, 0.5%, 1%, 1.5% or 2%, or a rate by number of
    assigned beneficiaries (pass ``minimum_rate``). The budget plays the updated benchmark.
    No limit on losses is based on revenue in this track.

    Parameters
    ----------
    quality_score : float, default 1.0
        Health-equity-adjusted quality performance score in [0, 1]; it sets the shared loss
        rate (a score of 80% or more gives the 40% floor; 0 gives 75%, as for an ACO that
        fails the quality standard).
    minimum_rate : float, default 0.02
        The ACO's minimum savings rate and minimum loss rate.
    gates : sequence of str or Gate, optional
        Conditions for paying savings (under the alternative quality standard the sharing
        rate is 75% × the quality score: ``gates=(Gate("quality_score", scale=True),)``).

    Examples
    --------
    Benchmark £10m, quality score 100% (loss rate 40%). Spending £9.5m saves 5%: 75% ×
    £500,000 = £375,000. Spending £7m: 75% × £3m = £2.25m, capped at 20% = £2m. Spending
    £10.5m costs 40% × £500,000 = £200,000; spending £15m would cost 40% × £5m = £2m,
    capped at 15% = £1.5m. With a quality score of 60% the loss rate is 1 − 75% × 60% = 55%.

    >>> sched = mssp_enhanced()
    >>> [round(float(sched.practice_amount(10e6, o)), 2) for o in (9.5e6, 7e6, 10.5e6, 15e6)]
    [375000.0, 2000000.0, -200000.0, -1500000.0]
    >>> round(float(mssp_enhanced(0.6).practice_amount(10e6, 10.5e6)), 2)
    -275000.0
    """
    score = check_fraction(quality_score, "quality_score")
    loss_rate = min(max(1.0 - 0.75 * score, 0.40), 0.75)
    return ShareSchedule(savings=((0.0, 0.75),), losses=((0.0, loss_rate),),
                         minimum_savings_rate=minimum_rate, minimum_loss_rate=minimum_rate,
                         first_dollar=True, savings_cap=MSSP_ENHANCED_SAVINGS_CAP,
                         loss_cap=MSSP_ENHANCED_LOSS_CAP, gates=gates)


def aca_risk_corridor() -> ShareSchedule:
    """US Affordable Care Act risk corridors (2014–16), symmetric, on the target amount.

    Section 1342 of the ACA (42 U.S.C. 18062): the plan keeps gains and bears
    losses within 3% of the target; between 3% and 8% the Secretary shares 50%;
    beyond 8% the Secretary shares 80% (so the plan bears 2.5% of target for
    the 3–8% band plus 20% of the excess). The target amount plays the budget.

    Examples
    --------
    Target 100, allowable costs 110: the plan bears 3 + 50% × 5 + 20% × 2 = 5.9
    (the Secretary pays 2.5 + 80% × 2 = 4.1).

    >>> round(float(aca_risk_corridor().practice_amount(100.0, 110.0)), 10)
    -5.9
    >>> round(float(aca_risk_corridor().practice_amount(100.0, 90.0)), 10)
    5.9
    """
    tiers = ((0.0, 1.0), (0.03, 0.5), (0.08, 0.2))
    return ShareSchedule(savings=tiers, losses=tiers)


def part_d_corridor_2006() -> ShareSchedule:
    """US Medicare Part D risk corridors for 2006–07, symmetric.

    42 CFR 423.336 (section 1860D-15(e) of the Social Security Act): for 2006
    and 2007 the first and second threshold risk percentages were 2.5% and 5%
    of the target amount; the government shared 75% of costs between them and
    80% beyond the second threshold, in both directions.

    Examples
    --------
    Target 100, costs 110: the plan bears 2.5 + 25% × 2.5 + 20% × 5 = 4.125.

    >>> round(float(part_d_corridor_2006().practice_amount(100.0, 110.0)), 10)
    -4.125
    """
    tiers = ((0.0, 1.0), (0.025, 0.25), (0.05, 0.2))
    return ShareSchedule(savings=tiers, losses=tiers)


#: ACO REACH risk corridors of the Global option: (threshold as a fraction of the benchmark,
#: the ACO's marginal share of gross savings or losses beyond it), the same on both sides.
#: Source: Pearl Health, "ACO REACH: Exploring the 'Performance Year Discount' in Global and
#: Professional Tracks", Exhibit A "Risk Corridors under ACO REACH" (before the PY2026 update).
ACO_REACH_GLOBAL_CORRIDORS: Tiers = ((0.0, 1.0), (0.25, 0.5), (0.35, 0.25), (0.50, 0.10))

#: ACO REACH risk corridors of the Professional option, as :data:`ACO_REACH_GLOBAL_CORRIDORS`
#: (same source and exhibit).
ACO_REACH_PROFESSIONAL_CORRIDORS: Tiers = ((0.0, 0.5), (0.05, 0.35), (0.10, 0.15), (0.15, 0.05))


def aco_reach_global() -> ShareSchedule:
    """US CMS ACO REACH Model, Global (full-risk) option: its risk corridors, symmetric.

    CMS describes Global as "a higher risk sharing arrangement — 100% savings/losses"
    (https://www.cms.gov/priorities/innovation/innovation-models/aco-reach). The 100% applies
    to the first corridor only: the ACO keeps (bears) all gross savings (losses) up to 25% of
    the benchmark, 50% of those from 25% to 35%, 25% from 35% to 50% and 10% beyond 50%
    (Pearl Health, "ACO REACH: Exploring the 'Performance Year Discount' in Global and
    Professional Tracks", Exhibit A "Risk Corridors under ACO REACH",
    https://pearlhealth.com/blog/healthcare-insights/aco-reach-performance-year-discount/,
    undated; it quotes the 3.5% Global discount for PY2025 and PY2026). No minimum savings
    or loss rate and no cap is stated. The ACO plays the practice, CMS the commissioner.

    Simplified: the budget plays the benchmark. The Global benchmark discount (3.5% for
    PY2025 and PY2026, same source) and the quality withhold are not part of this schedule:
    settle against a discounted budget to include the discount (the bands then scale with
    it).

    **PY2026:** CMS announced an update of the model for PY2026 (CMS, "ACO REACH Model
    Performance Year 2026 Model Update – Quick Reference",
    https://www.cms.gov/aco-reach-model-performance-year-2026-model-update-quick-reference)
    that narrowed the first Global corridor from 25% to 10% of the benchmark (Lara, "6 Things
    to Know About CMS' Recent ACO REACH Model Updates",
    https://copy.laraco.net/cblog/6-things-to-know-about-cms-recent-aco-reach-model-updates).
    The PY2026 bands beyond 10% were not found in a published source, so this preset keeps
    the earlier bands; for PY2026 build the schedule with
    ``ShareSchedule(savings=tiers, losses=tiers)`` once they are known.

    Examples
    --------
    Benchmark £10m. Spending £9.2m saves 8%, inside the first corridor: the ACO keeps all
    £800,000. Spending £7m saves 30%: £2.5m (to 25%) + 50% × £0.5m = £2.75m, and CMS keeps
    £250,000. Spending £13m is symmetric: the ACO bears £2.75m of the £3m loss.

    >>> sched = aco_reach_global()
    >>> [float(sched.practice_amount(10e6, o)) for o in (9.2e6, 7e6, 13e6)]
    [800000.0, 2750000.0, -2750000.0]
    """
    return ShareSchedule(savings=ACO_REACH_GLOBAL_CORRIDORS, losses=ACO_REACH_GLOBAL_CORRIDORS)


def aco_reach_professional() -> ShareSchedule:
    """US CMS ACO REACH Model, Professional (partial-risk) option: its risk corridors, symmetric.

    CMS describes Professional as "a lower risk-sharing arrangement — 50% savings/losses"
    (https://www.cms.gov/priorities/innovation/innovation-models/aco-reach). By corridor the
    ACO keeps (bears) 50% of gross savings (losses) up to 5% of the benchmark, 35% of those
    from 5% to 10%, 15% from 10% to 15% and 5% beyond 15% (Pearl Health, Exhibit A, the
    source of :func:`aco_reach_global`). No minimum savings or loss rate and no cap is
    stated; the PY2026 update sources found describe a change to the Global corridors only.

    Simplified: the budget plays the benchmark; the quality withhold is not part of this
    schedule.

    Examples
    --------
    Benchmark £10m. Spending £9.7m saves 3%: 50% × £300,000 = £150,000 to the ACO.
    Spending £9.2m saves 8%: 50% × £500,000 + 35% × £300,000 = £355,000. Spending £10.8m
    loses 8%: the ACO bears the same £355,000.

    >>> sched = aco_reach_professional()
    >>> [round(float(sched.practice_amount(10e6, o)), 2) for o in (9.7e6, 9.2e6, 10.8e6)]
    [150000.0, 355000.0, -355000.0]
    """
    return ShareSchedule(savings=ACO_REACH_PROFESSIONAL_CORRIDORS,
                         losses=ACO_REACH_PROFESSIONAL_CORRIDORS)
