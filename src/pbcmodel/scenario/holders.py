"""Who holds a budget: each practice, or each consortium (a footprint) as one holder.

A scenario's ``holder`` says who is settled. ``"practice"`` (the default): every practice
holds its own budget and is settled on its own (consortium netting, if the policy asks for
it, shares the practices' amounts afterwards). ``"consortium"``: each consortium of the
population (a PCN or neighbourhood, a place, an ICB: a *footprint*, see
:class:`pbcmodel.footprints.Footprints`) holds one capitated budget for all its practices,
and is settled as one: its budget is its practices' budgets added up to the penny, its
outturn their spend added up to the penny, and the sharing and overspend rules apply to
those totals (a 2% tolerance is 2% of the footprint's budget). This is not the sum of the
practices' settlements: a practice's overspend is met first by another's underspend.

Spend is still drawn practice by practice (each practice's own chance and effect), then
added up (:meth:`Holders.gather`): that is what makes a footprint's risk fall with its size
as it does in the world, more slowly than chance alone would say when practice effects are
on.

Examples
--------
>>> import pbcmodel as pbc
>>> pop = pbc.datasets.example_population()
>>> h = holders(pop, "consortium")
>>> h.codes.tolist(), h.level
(['C1', 'C2', 'C3', 'C4'], 'consortium')
>>> int(h.list_size.sum()) == int(pop.list_size.sum())
True
>>> pence = np.ones((2, pop.n_practices), dtype=np.int64)    # 1p per practice
>>> h.gather(pence)[0].tolist() == pop.hierarchy["consortium"].value_counts(sort=False).tolist()
True
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..money import allocate_pennies
from ..population import Population

__all__ = ["HOLDERS", "Holder", "Holders", "holders"]

#: Who may hold a budget.
HOLDERS: tuple[str, ...] = ("practice", "consortium")
Holder = Literal["practice", "consortium"]


def check_holder(value: object) -> Holder:
    """``value`` if it is one of :data:`HOLDERS`, else a ValidationError naming it.

    Examples
    --------
    >>> check_holder("pcn")
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: holder: expected 'practice' (each practice holds its \
budget) or 'consortium' (each consortium, a footprint, holds one), got 'pcn'
    """
    if value not in HOLDERS:
        raise ValidationError("holder: expected 'practice' (each practice holds its budget) or "
                              f"'consortium' (each consortium, a footprint, holds one), "
                              f"got {value!r}")
    return value  # type: ignore[return-value]


@attrs.frozen(eq=False)
class Holders:
    """The holders of a population's budgets, and how practices add up to them.

    Attributes
    ----------
    level : {"practice", "consortium"}
        Who holds.
    codes : Index
        The holders, in the order of first appearance among the practices.
    consortium : Series
        Each holder's consortium (for consortium netting): a practice's consortium, or the
        footprint itself (a footprint is one holder, with nothing to net).
    list_size : Series
        Registered patients per holder.
    order : ndarray or None
        The practices' positions, holder by holder; None when they already come so.
    starts : ndarray
        Where each holder's practices start in ``order``.
    """

    level: Holder
    codes: pd.Index
    consortium: pd.Series
    list_size: pd.Series
    order: np.ndarray | None
    starts: np.ndarray

    @property
    def practices_hold(self) -> bool:
        """Whether every practice holds its own budget (nothing to add up)."""
        return self.level == "practice"

    def gather(self, pence: np.ndarray) -> np.ndarray:
        """Per-practice amounts (last axis: practices) added up per holder, exactly.

        Integer pence stay integers: ``gather(x).sum(axis=-1) == x.sum(axis=-1)``.
        With practices as holders the array is returned as it is.
        """
        if self.practices_hold:
            return pence
        in_order = pence if self.order is None else np.take(pence, self.order, axis=-1)
        return np.add.reduceat(in_order, self.starts, axis=-1)

    def pounds(self, per_practice: pd.Series, name: str) -> pd.Series:
        """Money per practice (pounds, indexed by practice code) added up per holder to the
        penny: the practices' amounts made whole pence as a settlement makes them
        (:func:`~pbcmodel.money.allocate_pennies`: the whole rounded first), then added up.
        With practices as holders the Series is returned as it is."""
        if self.practices_hold:
            return per_practice
        pence = allocate_pennies(per_practice.to_numpy(dtype=float), name=name)
        return pd.Series(self.gather(pence) / 100.0, index=self.codes, name=per_practice.name)


def holders(pop: Population, level: str = "practice") -> Holders:
    """The holders of ``pop``'s budgets at ``level`` (:data:`HOLDERS`).

    Examples
    --------
    >>> import pbcmodel as pbc
    >>> h = holders(pbc.datasets.example_population())
    >>> h.level, len(h.codes), h.codes.name
    ('practice', 60, 'practice')
    """
    level = check_holder(level)
    if level == "practice":
        return Holders(level="practice", codes=pop.codes,
                       consortium=pop.hierarchy["consortium"], list_size=pop.list_size,
                       order=None, starts=np.arange(pop.n_practices))
    column, uniques = pd.factorize(pop.hierarchy["consortium"])
    codes = pd.Index(uniques, name="consortium")
    order = np.argsort(column, kind="stable")
    starts = np.searchsorted(column[order], np.arange(len(codes)))
    size = np.add.reduceat(pop.list_size.to_numpy()[order], starts)
    return Holders(level="consortium", codes=codes,
                   consortium=pd.Series(codes, index=codes, name="consortium"),
                   list_size=pd.Series(size, index=codes, name="list_size"),
                   order=None if bool((order == np.arange(len(order))).all()) else order,
                   starts=starts)
