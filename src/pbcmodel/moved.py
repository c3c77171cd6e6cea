"""Old module paths and what they were renamed to: an error that names the new one.

Modules were renamed so that no two modules in different folders share a name (issue 22).
An old path fails with a message naming the new module, whichever way it is reached:

* an import: ``import pbcmodel.capitation.weighted``,
  ``from pbcmodel.io.tables import write_tables``. :class:`MovedModules`, a finder at the
  end of :data:`sys.meta_path` (:func:`install`, called once by ``import pbcmodel``), is
  asked only about modules that no other finder found, so it never shadows a module that
  exists (nor touches any other import): if an old file is still there, it is imported as
  before;
* an attribute of the package: ``pbc.capitation.weighted``, and
  ``from pbcmodel.capitation import weighted`` (which looks for the attribute first). Each
  package with a renamed module sets ``__getattr__ = package_getattr(__name__)``, which
  imports the old path and so ends at the same finder.

Either way the error is a :class:`ModuleNotFoundError` (its ``name`` the old path) saying
``<old> was renamed: import <new>``.

Examples
--------
>>> import pbcmodel
>>> try:
...     import pbcmodel.capitation.weighted
... except ModuleNotFoundError as exc:
...     print(exc)
pbcmodel.capitation.weighted was renamed: import pbcmodel.capitation.place_based
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

__all__ = ["MOVED", "MovedModules", "install", "package_getattr"]

#: Old dotted module path → the module that now holds its contents.
MOVED: dict[str, str] = {
    "pbcmodel.capitation.weighted": "pbcmodel.capitation.place_based",
    "pbcmodel.io.weighted": "pbcmodel.io.weighted_populations",
    "pbcmodel.datasets.weighted_populations": "pbcmodel.datasets.england_populations",
    "pbcmodel.io.tables": "pbcmodel.io.output_folder",
    "pbcmodel.settlement.statement": "pbcmodel.settlement.year_end_statement",
    "pbcmodel.reports.statements": "pbcmodel.reports.statement_pages",
    "pbcmodel.cli.statements": "pbcmodel.cli.statements_command",
    "pbcmodel.cli.design": "pbcmodel.cli.design_command",
    "pbcmodel.scenario.design": "pbcmodel.design",
    "pbcmodel.plot.design": "pbcmodel.plot.design_figures",
    "pbcmodel.scenario._streamed": "pbcmodel.scenario.tally",
    "pbcmodel.scenario._allocator": "pbcmodel.malloc",
    "pbcmodel._validate": "pbcmodel.validation",
    "pbcmodel._html": "pbcmodel.html_tables",
}


class MovedModules(MetaPathFinder):
    """Import finder that fails on an old module path with the name of the new module.

    Put it last on :data:`sys.meta_path` (:func:`install` does): it answers only for the
    modules no other finder found, and only for the old paths in ``moved``.

    Parameters
    ----------
    moved : mapping of str to str, default :data:`MOVED`
        Old dotted module path → new one.

    Examples
    --------
    >>> finder = MovedModules({"pkg.old": "pkg.new"})
    >>> finder.find_spec("pkg.other", None) is None    # not an old path: not its business
    True
    >>> finder.find_spec("pkg.old", None)
    Traceback (most recent call last):
    ...
    ModuleNotFoundError: pkg.old was renamed: import pkg.new
    """

    def __init__(self, moved: Mapping[str, str] = MOVED) -> None:
        self.moved = moved

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        """``None`` for any module but an old path; for an old path, raise the error."""
        new = self.moved.get(fullname)
        if new is None:
            return None
        raise ModuleNotFoundError(f"{fullname} was renamed: import {new}", name=fullname)


def install() -> MovedModules:
    """Append the finder for :data:`MOVED` to :data:`sys.meta_path`, once; return it.

    Examples
    --------
    >>> install() is install()
    True
    """
    for finder in sys.meta_path:
        if isinstance(finder, MovedModules):
            return finder
    finder = MovedModules()
    sys.meta_path.append(finder)
    return finder


def package_getattr(package: str) -> Callable[[str], ModuleType]:
    """The module ``__getattr__`` of a package that had a module renamed.

    An old module name imports the old path (so the error is the finder's, naming the new
    module; or the module itself, if its file is still there); any other name is the usual
    :class:`AttributeError`.

    Examples
    --------
    >>> import pbcmodel
    >>> getattr_ = package_getattr("pbcmodel.io")
    >>> getattr_("tables")
    Traceback (most recent call last):
    ...
    ModuleNotFoundError: pbcmodel.io.tables was renamed: import pbcmodel.io.output_folder
    >>> getattr_("nothing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'pbcmodel.io' has no attribute 'nothing'
    """

    def __getattr__(name: str) -> ModuleType:
        old = f"{package}.{name}"
        if old in MOVED:
            return importlib.import_module(old)
        raise AttributeError(f"module {package!r} has no attribute {name!r}", name=name,
                             obj=sys.modules.get(package))

    return __getattr__
