"""The layout of ARCHITECTURE.md, checked: layers, forbidden arrows and no import cycles.

Every module under ``src/pbcmodel`` is parsed with :mod:`ast`; every import counts, at module
level, inside functions and under ``if TYPE_CHECKING:``. Two kinds of import are exempt,
because they are the documented ways to reach an optional part lazily:

* imports of optional extras (matplotlib, tqdm, dask, xarray, …) inside functions;
* a thin lazy call into :mod:`pbcmodel.plot` from a result object's ``.plot()`` method
  (an import of ``pbcmodel.plot…`` inside a function).

Everything else forms the import graph, which must have no cycle and must respect the layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pbcmodel"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"

#: Optional extras (pyproject ``[project.optional-dependencies]``): lazy imports only.
OPTIONAL = {"matplotlib", "tqdm", "dask", "distributed", "xarray", "pyarrow", "openpyxl",
            "jinja2", "glum", "statsmodels", "sklearn", "zarr"}

#: Layer of each part (the first dotted component after ``pbcmodel``); a module may import
#: only modules of its own layer or of a lower one (and see FORBIDDEN).
LAYERS: dict[str, int] = {
    # 0 foundation: no knowledge of the domain objects
    "errors": 0, "codes": 0, "_validate": 0, "_html": 0, "_version": 0, "money": 0,
    "malloc": 0,
    # 1 who is registered where
    "population": 1, "weighted": 1,
    # 2 the pure rules: functions and frozen value objects over numpy/pandas data
    "capitation": 2, "credibility": 2, "needs": 2, "costing": 2, "risk": 2, "sharing": 2,
    "overspend": 2, "incentives": 2, "settlement": 2, "phasing": 2, "monitoring": 2,
    "monthly_statement": 2, "benchmarking": 2, "appraisal": 2, "approval": 2, "conflicts": 2,
    "glossary": 2,
    # 3 data in: embedded datasets and readers of published files
    "datasets": 3, "io": 3,
    # 4 the one composer
    "scenario": 4, "design": 4,
    # 5 what people read and run
    "plot": 5, "reports": 5, "cli": 5, "__main__": 5, "__init__": 5,
}
PURE = {part for part, layer in LAYERS.items() if layer == 2}
#: Parts that a pure module must never import, even lazily.
NEVER_FROM_PURE = {"datasets", "io", "scenario", "design", "cli", "reports", "__main__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("pbcmodel", *parts))


def is_package(name: str) -> bool:
    rel = name.split(".")[1:]
    return (PACKAGE.joinpath(*rel) / "__init__.py").exists() if rel else True


def exists(name: str) -> bool:
    rel = name.split(".")[1:]
    return is_package(name) or PACKAGE.joinpath(*rel).with_suffix(".py").exists()


def part_of(name: str) -> str:
    rel = name.split(".")[1:]
    return rel[0] if rel else "__init__"


class Import:
    """One import statement, resolved to the pbcmodel modules it loads."""

    def __init__(self, source: str, targets: list[str], external: list[str], lazy: bool,
                 line: int) -> None:
        self.source, self.targets, self.external = source, targets, external
        self.lazy, self.line = lazy, line


def _imports(tree: ast.Module, source: str) -> Iterator[Import]:
    package = source if is_package(source) else source.rsplit(".", 1)[0]

    def visit(node: ast.AST, lazy: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                               ast.Lambda))
            if isinstance(child, ast.Import):
                internal = [a.name for a in child.names if a.name.split(".")[0] == "pbcmodel"]
                external = [a.name.split(".")[0] for a in child.names
                            if a.name.split(".")[0] != "pbcmodel"]
                yield Import(source, internal, external, lazy, child.lineno)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    target = ".".join(base + ([child.module] if child.module else []))
                elif child.module and child.module.split(".")[0] == "pbcmodel":
                    target = child.module
                else:
                    yield Import(source, [], [(child.module or "").split(".")[0]], lazy,
                                 child.lineno)
                    continue
                targets = []
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    targets.append(sub if exists(sub) else target)
                yield Import(source, sorted(set(targets)), [], lazy, child.lineno)
            yield from visit(child, inner)

    yield from visit(tree, False)


def all_imports() -> list[Import]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        out.extend(_imports(ast.parse(path.read_text(encoding="utf-8")), name))
    return out


def graph(imports: list[Import]) -> dict[str, set[str]]:
    """Import graph between pbcmodel modules, without the exempt lazy calls into plot."""
    edges: dict[str, set[str]] = {}
    for imp in imports:
        for target in imp.targets:
            lazy_plot = imp.lazy and part_of(target) == "plot" and part_of(imp.source) != "plot"
            if target != imp.source and not lazy_plot:
                edges.setdefault(imp.source, set()).add(target)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state:
                found = dfs(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = dfs(node)
            if found:
                return found
    return None


def violations(imports: list[Import]) -> list[str]:
    """Every import that breaks a rule of ARCHITECTURE.md, in words."""
    problems = []
    for imp in imports:
        src_part = part_of(imp.source)
        where = f"{imp.source} (line {imp.line})"
        for ext in imp.external:
            if ext in OPTIONAL and not imp.lazy:
                problems.append(f"{where} imports the optional extra {ext!r} at module level")
        for target in imp.targets:
            dst_part = part_of(target)
            if src_part == dst_part:
                continue
            if imp.lazy and dst_part == "plot":
                continue  # a thin lazy .plot() convenience
            if src_part in PURE and dst_part in NEVER_FROM_PURE | {"plot"}:
                problems.append(f"{where}: the pure module imports {target}")
            elif LAYERS[dst_part] > LAYERS[src_part]:
                problems.append(f"{where} (layer {LAYERS[src_part]}) imports {target} "
                                f"(layer {LAYERS[dst_part]})")
    return problems


# ---------------------------------------------------------------------------------- tests

def test_every_part_has_a_layer():
    parts = {part_of(module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert parts <= set(LAYERS), f"parts without a layer: {sorted(parts - set(LAYERS))}"


def test_every_part_is_in_architecture_md():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    parts = {part_of(module_name(p)) for p in PACKAGE.rglob("*.py")} - {"__init__", "__main__",
                                                                          "_version"}
    missing = [p for p in sorted(parts) if f"`{p}" not in text]
    assert not missing, f"ARCHITECTURE.md does not describe: {missing}"


def test_no_forbidden_imports():
    problems = violations(all_imports())
    assert not problems, "\n".join(problems)


def test_no_import_cycles():
    cycle = find_cycle(graph(all_imports()))
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


# the checker itself, on small made-up trees ------------------------------------------------

def _parsed(source: str, code: str) -> list[Import]:
    return list(_imports(ast.parse(code), source))


def test_checker_finds_a_cycle_through_a_function_import():
    imports = (_parsed("pbcmodel.sharing", "def f():\n    from .overspend import x\n")
               + _parsed("pbcmodel.overspend", "from .sharing import SideRule\n"))
    assert find_cycle(graph(imports)) == ["pbcmodel.overspend", "pbcmodel.sharing",
                                          "pbcmodel.overspend"]


def test_checker_flags_a_pure_module_importing_the_example_data():
    imports = _parsed("pbcmodel.risk.distribution", "def f():\n    from ..datasets import x\n")
    assert violations(imports) == [
        "pbcmodel.risk.distribution (line 2): the pure module imports pbcmodel.datasets"]


def test_checker_flags_an_optional_extra_at_module_level_but_not_lazily():
    assert violations(_parsed("pbcmodel.risk.draws", "import matplotlib.pyplot as plt\n"))
    assert not violations(_parsed("pbcmodel.risk.draws", "def f():\n    import xarray\n"))


def test_checker_allows_a_lazy_plot_call_but_not_a_module_level_one():
    lazy = _parsed("pbcmodel.risk.distribution", "def plot():\n    from ..plot import risk\n")
    assert not violations(lazy) and not graph(lazy)
    eager = _parsed("pbcmodel.risk.distribution", "from ..plot import risk\n")
    assert violations(eager)


def test_private_modules_serve_one_owner():
    """A private module (``_name``) is imported from one part only (its owner); the
    foundation helpers ``_validate`` and ``_html`` are shared by design."""
    imports = all_imports()
    shared = []
    for path in sorted(PACKAGE.rglob("_*.py")):
        name = module_name(path)
        if path.stem.startswith("__") or part_of(name) in ("_validate", "_html", "_version"):
            continue
        users = {part_of(imp.source) for imp in imports if name in imp.targets}
        if len(users) > 1:
            shared.append(f"{name} is used by {sorted(users)}")
    assert not shared, "; ".join(shared)
