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
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pbcmodel"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"

#: Optional extras (pyproject ``[project.optional-dependencies]``): lazy imports only.
OPTIONAL = {"matplotlib", "tqdm", "dask", "distributed", "xarray", "pyarrow", "openpyxl",
            "jinja2", "glum", "statsmodels", "sklearn", "zarr", "numba", "llvmlite", "panel",
            "bokeh", "selenium"}

#: Layer of each part (the first dotted component after ``pbcmodel``); a module may import
#: only modules of its own layer or of a lower one (and see FORBIDDEN).
LAYERS: dict[str, int] = {
    # 0 foundation: no knowledge of the domain objects
    "errors": 0, "codes": 0, "validation": 0, "html_tables": 0, "_version": 0, "money": 0,
    "moved": 0, "malloc": 0, "number_text": 0,
    # 1 who is registered where
    "population": 1, "weighted": 1, "footprints": 1,
    # 2 the pure rules: functions and frozen value objects over numpy/pandas data
    "capitation": 2, "credibility": 2, "needs": 2, "costing": 2, "risk": 2, "sharing": 2,
    "overspend": 2, "incentives": 2, "settlement": 2, "phasing": 2, "monitoring": 2,
    "monthly_statement": 2, "benchmarking": 2, "appraisal": 2, "approval": 2, "conflicts": 2,
    "glossary": 2, "withhold": 2, "labelled": 2,
    # 3 data in: embedded datasets and readers of published files
    "datasets": 3, "io": 3,
    # 4 the one composer
    "scenario": 4, "design": 4,
    # 5 what people read and run
    "plot": 5, "reports": 5, "cli": 5, "app": 5, "__main__": 5, "__init__": 5,
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
    imports = (_parsed("pbcmodel.sharing.schedule",
                       "def f():\n    from ..overspend.policy import x\n")
               + _parsed("pbcmodel.overspend.policy", "from ..sharing.schedule import SideRule\n"))
    assert find_cycle(graph(imports)) == ["pbcmodel.overspend.policy", "pbcmodel.sharing.schedule",
                                          "pbcmodel.overspend.policy"]


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
    foundation helpers ``validation`` and ``html_tables`` are shared by design."""
    imports = all_imports()
    shared = []
    for path in sorted(PACKAGE.rglob("_*.py")):
        name = module_name(path)
        if path.stem.startswith("__") or part_of(name) == "_version":
            continue
        users = {part_of(imp.source) for imp in imports if name in imp.targets}
        if len(users) > 1:
            shared.append(f"{name} is used by {sorted(users)}")
    assert not shared, "; ".join(shared)


def test_no_module_imports_another_modules_private_name():
    """A name that starts with ``_`` serves its own module: what several modules use is public
    (in the foundation when it is shared across parts)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "")
                                                     .startswith("pbcmodel")):
                found += [f"{path.relative_to(PACKAGE)} imports {alias.name} from "
                          f"{'.' * node.level}{node.module or ''}"
                          for alias in node.names
                          if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert not found, "; ".join(found)


# ARCHITECTURE.md's tables, checked against the tree ----------------------------------------

#: A name cited in backticks: a dotted identifier, perhaps followed by a call's arguments
#: (``simulate(keep="full", store=...)`` cites ``simulate``). Other backticked text, such as
#: the formula ``(X − d)⁺``, is notation and not checked.
_CITED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*(?=\(|$)")
_WHERE_HEADER = ["question", "the one file that answers it"]
_PARTS_HEADER = ["part", "owns"]

def _split_row(line: str) -> list[str]:
    """The cells of one markdown table row (a ``|`` inside backticks does not split)."""
    cells = re.split(r"\|(?=(?:[^`]*`[^`]*`)*[^`]*$)", line.strip())
    return [cell.strip() for cell in cells[1:-1]]


def markdown_table(text: str, heading: str, header: list[str]) -> list[list[str]]:
    """The body rows of the first table under ``## heading`` of a markdown text."""
    marker = f"\n## {heading}\n"
    assert marker in text, f"ARCHITECTURE.md has no section '## {heading}'"
    section = text[text.index(marker) + len(marker):].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.lstrip().startswith("|")]
    assert len(lines) >= 2, f"'## {heading}': no markdown table"
    assert _split_row(lines[0]) == header, (
        f"'## {heading}': the table's header is {_split_row(lines[0])}, expected {header}")
    return [_split_row(line) for line in lines[2:]]


def cited(cell: str) -> list[str]:
    """Everything a cell cites in backticks, in order."""
    return re.findall(r"`([^`]+)`", cell)


def _file_of(token: str, folder: Path = PACKAGE) -> Path | None:
    """The path a backticked file name means (from the repository root when it starts with
    ``src/``, else from ``folder``), or None when the token is not a ``.py`` file name."""
    if not token.endswith(".py") or " " in token:
        return None
    return ROOT / token if token.startswith("src/") else folder / token


def _definitions(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """The names a module or class body defines (def, class, assignment), also inside
    ``if``/``try`` blocks at that level."""
    found: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.setdefault(node.name, node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        found.setdefault(leaf.id, node)
        elif isinstance(node, (ast.If, ast.Try)):
            blocks = [node.body, node.orelse]
            if isinstance(node, ast.Try):
                blocks += [node.finalbody, *(h.body for h in node.handlers)]
            for block in blocks:
                for name, inner in _definitions(block).items():
                    found.setdefault(name, inner)
    return found


def defines(path: Path, dotted: str) -> bool:
    """Whether the module at ``path`` defines ``dotted``: a top-level def, class or
    assignment, or ``Class.member`` defined in that class's body."""
    body: list[ast.stmt] = ast.parse(path.read_text(encoding="utf-8")).body
    *outer, last = dotted.split(".")
    for name in outer:
        node = _definitions(body).get(name)
        if not isinstance(node, ast.ClassDef):
            return False
        body = node.body
    return last in _definitions(body)


def where_to_find_it_problems(text: str) -> list[tuple[str, str, str]]:
    """(question, file, problem) for every file or name the "Where to find it" table cites
    that is not there: a name belongs to the file cited last before it (or to the row's
    first file, when it comes before any)."""
    problems = []
    for question, answer in markdown_table(text, "Where to find it", _WHERE_HEADER):
        tokens = cited(answer)
        files = [t for t in tokens if _file_of(t)]
        if not files:
            problems.append((question, "", "cites no file"))
            continue
        current = files[0]
        for token in tokens:
            path = _file_of(token)
            if path is not None:
                current = token
                if not path.is_file():
                    problems.append((question, token, "does not exist"))
                continue
            match = _CITED_NAME.match(token)
            here = _file_of(current)
            if match and here is not None and here.is_file() and not defines(here,
                                                                              match.group()):
                problems.append((question, current, match.group()))
    return problems


def parts_table_problems(text: str) -> list[tuple[str, str]]:
    """(part, file) for every part and every ``.py`` file the parts table cites that does
    not exist. A part is ``name.py``, ``folder/``, ``folder/name.py`` or a bare module or
    package name, from src/pbcmodel; a file in the "owns" column is looked for in the row's
    folder first, then in src/pbcmodel."""
    problems = []
    for part_cell, owns in markdown_table(text, "The parts and what each owns",
                                          _PARTS_HEADER):
        parts = cited(part_cell)
        if not parts:
            problems.append((part_cell, "(no part in backticks)"))
        for part in parts:
            if part.endswith("/"):
                ok = (PACKAGE / part / "__init__.py").is_file()
            elif part.endswith(".py"):
                ok = (PACKAGE / part).is_file()
            else:
                ok = ((PACKAGE / f"{part}.py").is_file()
                      or (PACKAGE / part / "__init__.py").is_file())
            if not ok:
                problems.append((part_cell, part))
        folders = [PACKAGE / p for p in parts if p.endswith("/")]
        for token in cited(owns):
            candidates = [f for f in (_file_of(token, d) for d in [*folders, PACKAGE]) if f]
            if candidates and not any(f.is_file() for f in candidates):
                problems.append((part_cell, token))
    return problems


def _where_message(problem: tuple[str, str, str]) -> str:
    question, file, name = problem
    if name in ("does not exist", "cites no file"):
        return f"'Where to find it', row {question!r}: {file or 'the row'} {name}"
    return f"'Where to find it', row {question!r}: {name!r} is not defined in {file}"


def _parts_message(problem: tuple[str, str]) -> str:
    part, file = problem
    return f"'The parts and what each owns', row {part}: {file!r} does not exist"


def test_where_to_find_it_cites_files_and_names_that_exist():
    """Every file the "Where to find it" table cites exists, and every name beside it is
    defined in that file (a top-level def, class or assignment, or ``Class.member``)."""
    found = set(where_to_find_it_problems(ARCHITECTURE.read_text(encoding="utf-8")))
    assert not found, "\n".join(_where_message(problem) for problem in sorted(found))


def test_parts_table_cites_files_that_exist():
    """Every part of "The parts and what each owns", and every file its rows cite, exists."""
    found = set(parts_table_problems(ARCHITECTURE.read_text(encoding="utf-8")))
    assert not found, "\n".join(_parts_message(problem) for problem in sorted(found))


def test_table_checker_on_a_made_up_page():
    page = "\n".join([
        "# Architecture", "",
        "## The parts and what each owns", "",
        "| part | owns |", "|---|---|",
        "| `capitation/` | `steps.py`: the steps (from `money.py`); `nope.py`: gone |",
        "| `money.py`, `gone/` | pence |", "",
        "## Where to find it", "",
        "| question | the one file that answers it |", "|---|---|",
        "| How is my budget set? | `src/pbcmodel/capitation/formula.py` "
        "(`CapitationFormula.budgets`, `CapitationFormula.explain`, "
        "`CapitationFormula.nope`) |",
        "| Which file? | `src/pbcmodel/nope.py` (`x`) |",
        "| The threshold? | `src/pbcmodel/money.py` (`largest_remainder(x, 3)`, `(X − d)⁺`, "
        "`missing`); `overspend/policy.py` (`OverspendPolicy`) |", "",
        "## Conventions", ""])
    assert where_to_find_it_problems(page) == [
        ("How is my budget set?", "src/pbcmodel/capitation/formula.py",
         "CapitationFormula.nope"),
        ("Which file?", "src/pbcmodel/nope.py", "does not exist"),
        ("The threshold?", "src/pbcmodel/money.py", "missing"),
    ]
    assert parts_table_problems(page) == [("`capitation/`", "nope.py"),
                                          ("`money.py`, `gone/`", "gone/")]


# module file names -------------------------------------------------------------------------

def _stem(path: Path) -> str:
    """A module's name with a plural folded into its singular (statements → statement)."""
    return path.stem.removesuffix("s") if len(path.stem) > 3 else path.stem


def clashing_module_names(paths: list[Path]) -> dict[str, list[str]]:
    """Module file names (a name and its plural counted as one, shown as
    ``statement.py/statements.py``) used by more than one module, each with its modules
    relative to src/pbcmodel. Exempt: ``__init__.py``, and
    ``plot/<name>.py`` beside one topic module ``<name>.py`` elsewhere (the figures of
    that topic)."""
    groups: dict[str, list[Path]] = {}
    for path in paths:
        if path.name != "__init__.py":
            groups.setdefault(_stem(path), []).append(path.relative_to(PACKAGE))
    clashes = {}
    for members in groups.values():
        topics = [m for m in members if m.parts[0] != "plot"]
        plots = [m for m in members if m.parts[0] == "plot"]
        if len(topics) > 1 or len(plots) > 1:
            name = "/".join(sorted({m.name for m in members}))
            clashes[name] = sorted(str(m) for m in members)
    return clashes


def test_no_two_modules_share_a_file_name():
    """A module's file name says what it is: no two modules in different folders share
    one (``statement.py`` and ``statements.py`` count as one), except ``__init__.py`` and a
    ``plot/<name>.py`` drawing the figures of the topic module ``<name>.py``."""
    clashes = clashing_module_names(sorted(PACKAGE.rglob("*.py")))
    assert not clashes, "modules that share a file name: " + "; ".join(
        f"{name} x{len(members)} ({', '.join(members)})" for name, members in
        sorted(clashes.items()))


def test_file_name_checker_on_a_made_up_tree():
    tree = [PACKAGE / p for p in ["__init__.py", "risk/__init__.py", "monitoring.py",
                                  "plot/monitoring.py", "plot/funnel.py", "io/tables.py",
                                  "reports/tables.py", "settlement/statement.py",
                                  "cli/statements.py", "scenario/design.py",
                                  "plot/design.py", "cli/design.py"]]
    assert clashing_module_names(tree) == {
        "tables.py": ["io/tables.py", "reports/tables.py"],
        "statement.py/statements.py": ["cli/statements.py", "settlement/statement.py"],
        "design.py": ["cli/design.py", "plot/design.py", "scenario/design.py"],
    }
