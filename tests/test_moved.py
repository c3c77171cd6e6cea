"""Old module paths fail with the name of the new module (pbcmodel.moved), and module file
names are unique across folders."""

from __future__ import annotations

import importlib
import re
import sys
from importlib.machinery import PathFinder
from pathlib import Path

import pytest

import pbcmodel
from pbcmodel.moved import MOVED, MovedModules, install

PACKAGE = Path(pbcmodel.__file__).resolve().parent

#: Old modules of the packages that also answer attribute access with the new name
#: (``package_getattr``); every entry of MOVED answers an import.
ANSWERED_AS_ATTRIBUTES = ("pbcmodel.capitation.weighted", "pbcmodel.io.weighted",
                "pbcmodel.datasets.weighted_populations", "pbcmodel.io.tables",
                "pbcmodel.settlement.statement", "pbcmodel.reports.statements",
                "pbcmodel.cli.statements")


def module_file(name: str) -> Path:
    return PACKAGE.joinpath(*name.split(".")[1:]).with_suffix(".py")


def message(old: str) -> str:
    return f"^{re.escape(old)} was renamed: import {re.escape(MOVED[old])}$"


def test_an_old_path_names_its_new_module():
    assert MOVED["pbcmodel.capitation.weighted"] == "pbcmodel.capitation.place_based"
    assert set(ANSWERED_AS_ATTRIBUTES) <= set(MOVED)


@pytest.mark.parametrize("old", sorted(MOVED))
def test_an_old_path_is_gone_and_its_new_module_imports(old):
    assert not module_file(old).exists() and not module_file(old).with_suffix("").is_dir()
    assert importlib.import_module(MOVED[old]).__name__ == MOVED[old]


@pytest.mark.parametrize("old", sorted(MOVED))
def test_importing_an_old_path_names_the_new_module(old):
    with pytest.raises(ModuleNotFoundError, match=message(old)) as info:
        importlib.import_module(old)
    assert info.value.name == old


@pytest.mark.parametrize("old", ANSWERED_AS_ATTRIBUTES)
def test_an_old_module_as_an_attribute_or_from_import_names_the_new_module(old):
    package, _, name = old.rpartition(".")
    with pytest.raises(ModuleNotFoundError, match=message(old)):
        getattr(importlib.import_module(package), name)
    with pytest.raises(ModuleNotFoundError, match=message(old)):
        exec(f"from {package} import {name}", {})


def test_the_other_import_statements_name_the_new_module():
    with pytest.raises(ModuleNotFoundError, match=message("pbcmodel.io.tables")):
        exec("from pbcmodel.io.tables import write_tables", {})
    with pytest.raises(ModuleNotFoundError, match=message("pbcmodel.capitation.weighted")):
        exec("import pbcmodel.capitation.weighted as weighted", {})


def test_an_unrelated_missing_module_or_attribute_fails_as_usual():
    with pytest.raises(ModuleNotFoundError,
                       match=r"^No module named 'pbcmodel\.capitation\.no_such_module'$"):
        importlib.import_module("pbcmodel.capitation.no_such_module")
    with pytest.raises(ModuleNotFoundError, match=r"^No module named 'no_such_package_x'$"):
        importlib.import_module("no_such_package_x")
    with pytest.raises(ImportError,
                       match=r"^cannot import name 'no_such_name' from 'pbcmodel\.io'"):
        exec("from pbcmodel.io import no_such_name", {})
    with pytest.raises(AttributeError,
                       match=r"^module 'pbcmodel\.io' has no attribute 'no_such_name'$"):
        _ = pbcmodel.io.no_such_name
    assert not hasattr(pbcmodel.capitation, "no_such_name")


def test_moved_entries_are_well_formed():
    for old, new in MOVED.items():
        assert old.startswith("pbcmodel.") and new.startswith("pbcmodel.") and old != new
        assert new not in MOVED, f"{old} → {new}, itself moved: point at the last name"


def test_the_finder_is_installed_once_after_the_path_finder():
    assert install() is install()
    finders = [f for f in sys.meta_path if isinstance(f, MovedModules)]
    assert len(finders) == 1
    path_finder = next(i for i, f in enumerate(sys.meta_path) if f is PathFinder)
    assert sys.meta_path.index(finders[0]) > path_finder


def test_the_finder_never_shadows_a_module_that_exists(tmp_path, monkeypatch):
    package = tmp_path / "moved_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "still_here.py").write_text("VALUE = 1\n")
    finder = MovedModules({"moved_probe.still_here": "moved_probe.new",
                           "moved_probe.gone": "moved_probe.new"})
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, finder])
    try:
        assert importlib.import_module("moved_probe.still_here").VALUE == 1
        with pytest.raises(ModuleNotFoundError,
                           match=r"^moved_probe\.gone was renamed: import moved_probe\.new$"):
            importlib.import_module("moved_probe.gone")
    finally:
        for name in [n for n in sys.modules if n.partition(".")[0] == "moved_probe"]:
            del sys.modules[name]
