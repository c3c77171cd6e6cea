"""The public face: DESIGN.md's contract names exist, have examples, and are in the API reference.

The contract is the ``Public contract`` code block of ``DESIGN.md`` (read from ``../shared``
beside the clone when present). A name whose module has not been written yet is skipped;
a name whose module exists must resolve, be exported where the contract uses it, and carry a
runnable ``Examples`` section (which the doctest run executes).
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import pbcmodel

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pbcmodel"
API_INDEX = ROOT / "docs" / "api" / "index.rst"
#: The API reference's pages with autosummary tables: by task, and the engine's internals.
API_PAGES = (API_INDEX, ROOT / "docs" / "api" / "internals.rst")
DESIGN = ROOT.parent / "shared" / "DESIGN.md"


def contract_names(text: str) -> list[str]:
    """Dotted names used as ``pbc.<name>`` in the public-contract code block of DESIGN.md.

    >>> contract_names("## Public contract\\n```python\\npbc.risk.pool(d); pbc.Scenario(x)\\n```")
    ['Scenario', 'risk.pool']
    """
    section = text.split("## Public contract", 1)[-1]
    block = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    if block is None:
        return []
    return sorted(set(re.findall(r"\bpbc\.([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)", block.group(1))))


def public_modules(*, packages: bool = True) -> list[str]:
    """Every public module and subpackage (no leading underscore), as a dotted name."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            if not packages:
                continue
            parts = parts[:-1]
        if parts and not any(p.startswith("_") for p in parts):
            names.append(".".join(("pbcmodel", *parts)))
    return names


def _module_exists(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists()


def _defining_module(name: str) -> str | None:
    """The public module whose ``__all__`` lists ``name``, if one exists yet."""
    for modname in public_modules():
        module = importlib.import_module(modname)
        if name in getattr(module, "__all__", ()):
            return modname
    return None


def resolve(dotted: str) -> object:
    """The object for ``pbc.<dotted>``; skip if the module it belongs to is not written yet."""
    head, *rest = dotted.split(".")
    if head in vars(pbcmodel):
        obj = getattr(pbcmodel, head)
    elif _module_exists(head):
        pytest.fail(f"pbc.{head}: module exists but pbcmodel/__init__.py does not import it")
    else:
        owner = _defining_module(head)
        if owner is None:
            pytest.skip(f"pbc.{head}: no module defines it yet")
        pytest.fail(f"pbc.{head}: defined in {owner} but not exported from pbcmodel")
    for i, attr in enumerate(rest):
        if not hasattr(obj, attr):
            pytest.fail(f"pbc.{'.'.join([head, *rest[: i + 1]])}: no such attribute")
        obj = getattr(obj, attr)
    return obj


CONTRACT = contract_names(DESIGN.read_text(encoding="utf-8")) if DESIGN.exists() else []
needs_design = pytest.mark.skipif(not DESIGN.exists(), reason=f"{DESIGN} not present")


@needs_design
def test_contract_block_is_found() -> None:
    # A contract with fewer names would mean the parser no longer finds the block.
    expected = {"Population.from_frame", "CapitationFormula", "datasets.example_population"}
    assert expected <= set(CONTRACT)


@needs_design
@pytest.mark.parametrize("dotted", CONTRACT)
def test_contract_name_resolves_and_has_example(dotted: str) -> None:
    obj = resolve(dotted)
    if inspect.ismodule(obj):
        return
    doc = inspect.getdoc(obj) or ""
    assert re.search(r"^Examples\n-{8}", doc, flags=re.MULTILINE), (
        f"pbc.{dotted}: docstring has no numpydoc 'Examples' section"
    )
    assert ">>>" in doc.split("Examples", 1)[1], f"pbc.{dotted}: 'Examples' has no >>> lines"


def autosummary_modules() -> list[str]:
    """Modules listed in the autosummary tables of docs/api/index.rst and internals.rst."""
    text = "".join(page.read_text(encoding="utf-8") for page in API_PAGES)
    return re.findall(r"^\s+(pbcmodel(?:\.\w+)+)\s*$", text, flags=re.MULTILINE)


def hand_pages() -> dict[str, Path]:
    """Modules documented by a page of their own in docs/api (``.. automodule::``)."""
    pages = {}
    for page in sorted(API_INDEX.parent.glob("*.rst")):
        found = re.search(r"^\.\. automodule:: (\S+)", page.read_text(encoding="utf-8"),
                          flags=re.MULTILINE)
        if found:
            pages[found.group(1)] = page
    return pages


@pytest.mark.parametrize("modname", public_modules(packages=False))
def test_public_module_is_in_api_reference(modname: str) -> None:
    # Subpackages (pbcmodel.plot) are documented through their modules.
    assert modname in autosummary_modules() or modname in hand_pages(), (
        f"add {modname} to an autosummary list in docs/api/index.rst (or internals.rst)"
    )


@pytest.mark.parametrize("modname", autosummary_modules())
def test_autosummary_module_is_not_shadowed(modname: str) -> None:
    # autosummary resolves "pkg.name" as attribute `name` of `pkg` first: if the package
    # re-exports a function of the same name, the table would document that function instead.
    parent, _, last = modname.rpartition(".")
    module = importlib.import_module(modname)
    attr = getattr(importlib.import_module(parent), last)
    assert attr is module, (
        f"{parent}.{last} is {attr!r}, not the module: document {modname} on a page of its own "
        "in docs/api (see docs/api/sweep.rst)"
    )


@pytest.mark.parametrize("modname", sorted(hand_pages()))
def test_hand_written_module_page_lists_all_names(modname: str) -> None:
    text = hand_pages()[modname].read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)\s*$", text, flags=re.MULTILINE))
    missing = set(importlib.import_module(modname).__all__) - listed
    assert not missing, f"{hand_pages()[modname].name}: add {sorted(missing)}"


@pytest.mark.parametrize("name", [n for n in pbcmodel.__all__ if not n.startswith("_")])
def test_top_level_name_is_documented_with_its_module(name: str) -> None:
    # The API reference documents each module's __all__; a name exported from the package must
    # be in the __all__ of the module that defines it, or it would be missing from the reference.
    obj = getattr(pbcmodel, name)
    if inspect.ismodule(obj):
        assert obj.__name__ in public_modules(), f"pbc.{name} is not a public module"
        return
    module = importlib.import_module(obj.__module__)
    assert name in getattr(module, "__all__", ()), f"{name} missing from {module.__name__}.__all__"


@pytest.fixture(scope="module")
def shown_in_jupyter() -> dict[str, object]:
    """One small instance of each object issue 8 asks to render well in Jupyter."""
    from pbcmodel import risk

    scn = pbcmodel.Scenario.example()
    pop = scn.population.subset(consortium="C1")
    return {
        "Population": pop,
        "CapitationFormula": scn.formula,
        "SpendDistribution": risk.spend_distribution(pop, scn.cost_model, method="normal"),
        "Settlement": scn.settle(scn.budgets()["total"] * 1.01),
        "Scenario": scn,
        "SimulationResult": scn.simulate(n=20, seed=1),
    }


@pytest.mark.parametrize("name", [
    "Population",
    "CapitationFormula",
    "SpendDistribution",
    "Settlement",
    "Scenario",
    "SimulationResult",
])
def test_repr_html_is_a_compact_summary(name: str, shown_in_jupyter: dict[str, object]) -> None:
    obj = shown_in_jupyter[name]
    assert type(obj).__name__ == name
    html = obj._repr_html_()
    assert html.lstrip().startswith("<") and "<table" in html, f"{name}: no HTML table"
    assert len(html) < 20_000, f"{name}: {len(html):,} characters is not a compact summary"


def test_front_page_example_runs() -> None:
    # The front page's code is not executed by the docs build; run it here so it cannot rot.
    text = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert blocks, "docs/index.md has no python example"
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "docs/index.md", "exec"), namespace)
    assert namespace["result"].summary()["simulations"] == 500
