"""How a simulation is run: one frozen, validated value object, checked once where it is made.

:class:`SimulationOptions` holds what ``Scenario.simulate``, ``simulation.simulate`` and
``simulation.run`` take besides the scenarios: how many simulations and years, the seed, how
spend is drawn, what a result keeps, where the work runs (threads or dask), the losses and
outturn misses a streamed result counts and the stores that receive the full arrays. Every
value is checked when the options are made, with the messages the public entry points have
always given; everything past the entry point passes this one object.

Examples
--------
>>> options = SimulationOptions(n=500, years=2, seed=1, keep="full")
>>> options.n, options.years, options.keep, options.threads >= 1
(500, 2, 'full', True)
>>> options.loss_fractions
(0.01, 0.02, 0.05, 0.1)
>>> SimulationOptions(n=0)
Traceback (most recent call last):
...
pbcmodel.errors.ValidationError: n: must be a positive whole number, got 0
>>> SimulationOptions(engine="spark")
Traceback (most recent call last):
...
pbcmodel.errors.ValidationError: engine: must be one of ('local', 'dask'), got 'spark'
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from ..errors import ValidationError
from ..money import MAX_PENCE, gbp
from ..risk import methods, patients
from . import store, tally

__all__ = ["ENGINES", "KEEP", "SimulationOptions", "auto_progress", "check_counts",
           "tracked_losses", "tracked_misses"]

#: What a result keeps: streamed statistics only, or every practice-simulation-year too.
KEEP = ("stats", "full")
#: Where simulations run.
ENGINES = ("local", "dask")

#: What a seed may be: None (fresh entropy), a whole number >= 0, or a SeedSequence.
Seed = int | np.integer | np.random.SeedSequence | None
#: A path a zarr store is made at.
StorePath = str | os.PathLike[str]


def auto_progress(progress: bool | None) -> bool:
    """Whether to show a progress bar: ``progress`` as given, or for ``None`` (the default
    of the public entry points) on in Jupyter (an IPython kernel) when tqdm is installed
    and off elsewhere. ``True`` without tqdm is refused when the bar is made
    (:class:`~pbcmodel.errors.MissingDependencyError`), never ``None``.

    Examples
    --------
    >>> auto_progress(True), auto_progress(False), auto_progress(None)   # not in Jupyter
    (True, False, False)
    """
    if progress is not None:
        return bool(progress)
    return _in_kernel() and importlib.util.find_spec("tqdm") is not None


def _in_kernel() -> bool:
    """Whether this process is a Jupyter (IPython) kernel."""
    ipython = sys.modules.get("IPython")
    shell = getattr(ipython, "get_ipython", lambda: None)() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def check_counts(n: Any, years: Any, *, name: str = "n") -> tuple[int, int]:
    """``n`` and ``years`` as Python integers, refused unless both are positive whole numbers.

    ``name`` names ``n`` in the message (``check_counts(workers, 1, name="workers")`` checks
    one count).

    Examples
    --------
    >>> check_counts(np.int64(200), 3)
    (200, 3)
    >>> check_counts(2.5, 1)
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: n: must be a positive whole number, got 2.5
    """
    for label, value in ((name, n), ("years", years)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
            raise ValidationError(f"{label}: must be a positive whole number, got {value!r}")
    return int(n), int(years)


#: What ``track_losses`` may name, and what is always counted for each.
_TRACKED = {"loss_pounds": tally.LOSS_POUNDS, "loss_fraction": tally.LOSS_FRACTIONS,
            "outturn_misses": tally.MISS_FRACTIONS}


def _tracked(track_losses: Mapping[str, Any] | None) -> dict[str, tuple[float, ...]]:
    """Every kind of count of :data:`_TRACKED`: the defaults plus those asked for, sorted."""
    tracked = {key: set(default) for key, default in _TRACKED.items()}
    if track_losses is None:
        return {key: tuple(sorted(values)) for key, values in tracked.items()}
    if not isinstance(track_losses, Mapping) or not set(track_losses) <= set(_TRACKED):
        raise ValidationError(
            "track_losses: expected a mapping of 'loss_fraction', 'loss_pounds' and/or "
            "'outturn_misses' to the values metrics() and outturn_misses() will be asked "
            f"for, e.g. {{'loss_fraction': [0.03]}}, got {track_losses!r}")
    for key, values in track_losses.items():
        items = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values]
        for value in items:
            tracked[key].add(_tracked_loss(key, value, f"track_losses[{key!r}]"))
    return {key: tuple(sorted(values)) for key, values in tracked.items()}


def tracked_losses(track_losses: Mapping[str, Any] | None
                   ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The losses a streamed simulation counts: the defaults plus those asked for.

    ``track_losses`` maps ``"loss_pounds"`` and/or ``"loss_fraction"`` (the arguments of
    :meth:`SimulationResult.metrics <pbcmodel.scenario.SimulationResult.metrics>`) to a
    value or a list of values (and ``"outturn_misses"`` to the fractions of
    :meth:`~pbcmodel.scenario.SimulationResult.outturn_misses`, :func:`tracked_misses`).
    The defaults (:data:`~pbcmodel.scenario.tally.LOSS_POUNDS`,
    :data:`~pbcmodel.scenario.tally.LOSS_FRACTIONS`) are always counted.

    Examples
    --------
    >>> tracked_losses({"loss_fraction": [0.03, 0.02], "loss_pounds": 50_000})
    ((10000.0, 50000.0), (0.01, 0.02, 0.03, 0.05, 0.1))
    >>> tracked_losses({"loss_fraction": 2})
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: track_losses['loss_fraction']: must be in (0.0, 1.0], got 2
    """
    tracked = _tracked(track_losses)
    return tracked["loss_pounds"], tracked["loss_fraction"]


def tracked_misses(track_losses: Mapping[str, Any] | None) -> tuple[float, ...]:
    """The fractions of budget by which a streamed simulation counts outturns over and
    under budget: :data:`~pbcmodel.scenario.tally.MISS_FRACTIONS` plus those asked for
    under ``"outturn_misses"`` (each in (0, 1)).

    Examples
    --------
    >>> tracked_misses({"outturn_misses": [0.15]})
    (0.05, 0.1, 0.15, 0.2)
    >>> tracked_misses({"outturn_misses": 1})
    Traceback (most recent call last):
    ...
    pbcmodel.errors.ValidationError: track_losses['outturn_misses']: must be in (0.0, 1.0), got 1
    """
    return _tracked(track_losses)["outturn_misses"]


def _tracked_loss(key: str, value: Any, label: str) -> float:
    """One tracked count, checked: a loss as a fraction of budget in (0, 1], a miss as one
    in (0, 1), or pounds that settle."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not math.isfinite(value):
        raise ValidationError(f"{label}: expected finite numbers, got {value!r}")
    if key == "loss_fraction" and not 0 < value <= 1:
        raise ValidationError(f"{label}: must be in (0.0, 1.0], got {value!r}")
    if key == "outturn_misses" and not 0 < value < 1:
        raise ValidationError(f"{label}: must be in (0.0, 1.0), got {value!r}")
    if key == "loss_pounds" and not 0 <= value <= MAX_PENCE / 100:
        raise ValidationError(f"{label}: must be between £0 and {gbp(MAX_PENCE)}, got "
                              f"{value!r}")
    return float(value)


# ------------------------------------------------------------------ validators (attrs)
def _whole(value: Any) -> Any:
    """A numpy integer as a Python one; anything else as given (the validator judges it)."""
    return int(value) if isinstance(value, np.integer) else value


def _positive_count(instance: SimulationOptions, attribute: attrs.Attribute[Any],
                    value: Any) -> None:
    if value is not None or attribute.name in ("n", "years"):
        check_counts(value, 1, name=attribute.name)


def _one_of(choices: tuple[str, ...]) -> Any:
    def check(instance: SimulationOptions, attribute: attrs.Attribute[Any], value: Any
              ) -> None:
        if value not in choices:
            raise ValidationError(f"{attribute.name}: must be one of {choices}, got {value!r}")
    return check


def _check_method(instance: SimulationOptions, attribute: attrs.Attribute[Any],
                  value: Any) -> None:
    methods.method(value)


def _check_client(instance: SimulationOptions, attribute: attrs.Attribute[Any],
                  value: Any) -> None:
    if value is not None and instance.engine != "dask":
        raise ValidationError("client: only used with engine='dask'")


def _check_track_losses(instance: SimulationOptions, attribute: attrs.Attribute[Any],
                        value: Any) -> None:
    tracked_losses(value)


def _sequence(value: Any) -> bool:
    """A sequence of store paths, not one path."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, os.PathLike))


def _check_stores(instance: SimulationOptions, attribute: attrs.Attribute[Any],
                  value: Any) -> None:
    """Store paths: a sequence (one per scenario, counted by :meth:`SimulationOptions.targets`),
    only with ``keep="full"``, each a new path, no two the same."""
    if not _sequence(value):
        return            # refused by targets(), which counts the scenarios
    if any(s is not None for s in value) and instance.keep != "full":
        raise ValidationError("store: the per-practice arrays are written to a store only "
                              "with keep='full'; pass keep='full', store=...")
    resolved = [store.check_target(s).resolve() for s in value if s is not None]
    if len(set(resolved)) < len(resolved):
        raise ValidationError("stores: the same path is given for two scenarios; give each "
                              "its own store")


def _check_seed(instance: SimulationOptions, attribute: attrs.Attribute[Any],
                value: Any) -> None:
    patients.seed_sequence(value)


@attrs.frozen(kw_only=True)
class SimulationOptions:
    """How to simulate: everything but the scenarios, checked once, where it is made.

    Parameters
    ----------
    n, years : int
        Simulations and years (> 0).
    chunk_size : int, optional
        Simulations drawn and settled at once (default: about 260,000
        practice-simulations, :data:`~pbcmodel.scenario.memory.CHUNK_ELEMENTS`); results
        do not depend on it.
    method : {"fft", "normal", "mc"}
        How practice spend is drawn (:data:`pbcmodel.risk.methods.METHODS`).
    keep : {"stats", "full"}
        Streamed statistics only, or also every practice × simulation × year amount.
    engine : {"local", "dask"}
        Threads of this process, or tasks on a dask cluster.
    client : distributed.Client, optional
        Only with ``engine="dask"``: the cluster to use (otherwise a ``LocalCluster`` of
        ``workers`` processes is started for the run). It stays in this process: options
        sent to a dask worker arrive without it.
    workers : int, optional
        Threads (local engine; default: the machine's cores) or worker processes.
    track_losses : mapping, optional
        Losses (and outturn misses) a streamed result counts besides the defaults
        (:func:`tracked_losses`, :func:`tracked_misses`).
    stores : sequence of paths, optional
        With ``keep="full"``: one new zarr store path (or None) per scenario simulated.
    seed : None, int >= 0 or numpy.random.SeedSequence
        Root of the random streams; ``None`` takes fresh entropy once, when the options
        are made (:attr:`root`), so every scenario of a run shares it.
    progress : bool or None
        Show a tqdm progress bar (local engine); ``None``: on in Jupyter when tqdm is
        installed, else off (:func:`auto_progress`).

    Attributes
    ----------
    root : numpy.random.SeedSequence
        The seed's root sequence (made once).
    loss_pounds, loss_fractions : tuple of float
        The losses whose years a streamed result counts (:func:`tracked_losses`).
    miss_fractions : tuple of float
        The fractions of budget by which a streamed result counts outturns over and under
        budget (:func:`tracked_misses`).
    """

    n: int = attrs.field(default=10_000, converter=_whole, validator=_positive_count)
    years: int = attrs.field(default=1, converter=_whole, validator=_positive_count)
    chunk_size: int | None = attrs.field(default=None, converter=_whole,
                                         validator=_positive_count)
    method: str = attrs.field(default="fft", validator=_check_method)
    keep: str = attrs.field(default="stats", validator=_one_of(KEEP))
    engine: str = attrs.field(default="local", validator=_one_of(ENGINES))
    # a distributed.Client: an optional extra's type, not importable here
    client: Any = attrs.field(default=None, validator=_check_client)
    workers: int | None = attrs.field(default=None, converter=_whole,
                                      validator=_positive_count)
    track_losses: Mapping[str, Any] | None = attrs.field(default=None,
                                                         validator=_check_track_losses)
    stores: Sequence[StorePath | None] | None = attrs.field(default=None,
                                                            validator=_check_stores)
    seed: Seed = attrs.field(default=0, validator=_check_seed)
    progress: bool = attrs.field(default=False, converter=auto_progress)
    root: np.random.SeedSequence = attrs.field(init=False, eq=False, repr=False)
    loss_pounds: tuple[float, ...] = attrs.field(init=False, repr=False)
    loss_fractions: tuple[float, ...] = attrs.field(init=False, repr=False)
    miss_fractions: tuple[float, ...] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # derived once, after every check: one root for the whole run (seed=None: fresh)
        object.__setattr__(self, "root", patients.seed_sequence(self.seed))
        tracked = _tracked(self.track_losses)
        object.__setattr__(self, "loss_pounds", tracked["loss_pounds"])
        object.__setattr__(self, "loss_fractions", tracked["loss_fraction"])
        object.__setattr__(self, "miss_fractions", tracked["outturn_misses"])

    @property
    def threads(self) -> int:
        """Threads of this process that simulate (local engine): ``workers`` or the cores."""
        return self.workers or os.cpu_count() or 1

    def targets(self, scenarios: int) -> list[Path | None]:
        """One checked store path (or None) for each of ``scenarios`` scenarios.

        Examples
        --------
        >>> SimulationOptions().targets(2)
        [None, None]
        >>> SimulationOptions(keep="full", stores=[None]).targets(2)
        Traceback (most recent call last):
        ...
        pbcmodel.errors.ValidationError: stores: expected one store path (or None) per \
scenario, 2 in all, got [None]
        """
        if self.stores is None:
            return [None] * scenarios
        if not _sequence(self.stores) or len(self.stores) != scenarios:
            raise ValidationError(f"stores: expected one store path (or None) per scenario, "
                                  f"{scenarios} in all, got {self.stores!r}")
        return [None if s is None else Path(s) for s in self.stores]

    def tally_keep(self, sink: store.ZarrSink | None = None) -> tally.Keep:
        """What each result's tallies keep besides the streamed statistics: the full arrays
        (in memory, or through ``sink`` to a store) with ``keep="full"``, and the losses
        and outturn misses counted."""
        return tally.Keep(full=self.keep == "full", loss_pounds=self.loss_pounds,
                          loss_fractions=self.loss_fractions, sink=sink,
                          miss_fractions=self.miss_fractions)

    def __getstate__(self) -> dict[str, Any]:
        # sent to dask workers: a client is this process's connection, it does not travel
        state = {f.name: getattr(self, f.name) for f in attrs.fields(type(self))}
        return {**state, "client": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
