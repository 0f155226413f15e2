"""The tree is the architecture: what the package root holds, and who may import whom.

Each package is entered through its ``__init__`` only; dependencies point inward (the pure
stages import no adapter); no import cycles between packages.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "baton"

ROOT_MODULES = {"__init__", "errors", "domain", "_version"}
"""The only modules at the package root; everything else lives in a stage's package."""

_BASE = {"errors", "domain", "_version"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "_version": set(),
    "domain": {"errors"},
    "study": _BASE,
    "calibration": _BASE,
    "decision": _BASE | {"calibration"},
    "analysis": _BASE | {"study", "calibration", "decision"},
    "report": _BASE | {"study", "calibration", "decision", "analysis"},
    "storage": _BASE,
    "providers": _BASE | {"study"},
    "data": _BASE | {"study", "storage"},
    "replay": _BASE | {"study", "providers", "storage"},
    "judges": _BASE | {"study", "providers", "storage", "replay"},
    "simulate": _BASE | {"study", "calibration", "decision", "providers", "judges"},
}
"""Who may import whom. ``calibration`` and ``decision`` do no I/O and import no adapter;
adapters (providers, storage, data, replay, judges) depend on the core, never the reverse."""
_STAGES = set(ALLOWED)
ALLOWED["steps"] = _STAGES | {"report"}
ALLOWED["review"] = _STAGES | {"steps"}
ALLOWED["web"] = _STAGES | {"steps", "review"}
ALLOWED["cli"] = _STAGES | {"steps", "review", "web"}
ALLOWED["__init__"] = set(ALLOWED) - {"cli", "web", "__init__"}


def _package_of(path: Path) -> str:
    parts = path.relative_to(SRC).parts
    return parts[0] if len(parts) > 1 else path.stem


def _imports(path: Path) -> list[tuple[int, list[str]]]:
    """Every ``baton.…`` module imported by ``path`` (absolute imports), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "baton":
                names = [f"baton.{alias.name}" for alias in node.names]
            found += [(node.lineno, n.split(".")) for n in names if n.split(".")[0] == "baton"]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name.split("."))
                for a in node.names
                if a.name.split(".")[0] == "baton"
            ]
    return found


def _sources() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_the_package_root_holds_only_the_core_modules() -> None:
    loose = {p.stem for p in SRC.glob("*.py")} - ROOT_MODULES
    assert not loose, f"modules at the package root belong in a stage's package: {sorted(loose)}"


def test_every_package_is_entered_through_its_init() -> None:
    private = [
        f"{path.relative_to(SRC)}:{line} imports {'.'.join(parts)}"
        for path in _sources()
        for line, parts in _imports(path)
        if len(parts) > 2
        and parts[1] != _package_of(path)
        and any(part.startswith("_") for part in parts[2:])
    ]
    assert not private, "\n".join(private)


def test_dependencies_point_inward() -> None:
    wrong = []
    for path in _sources():
        own = _package_of(path)
        for line, parts in _imports(path):
            target = parts[1] if len(parts) > 1 else "__init__"
            if target != own and target not in ALLOWED[own]:
                wrong.append(f"{path.relative_to(SRC)}:{line}: {own} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles_between_packages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in _sources():
        own = _package_of(path)
        for _line, parts in _imports(path):
            if len(parts) > 1 and parts[1] != own and own != "__init__":
                graph[own].add(parts[1])
    seen: set[str] = set()

    def visit(node: str, trail: tuple[str, ...]) -> None:
        assert node not in trail, f"import cycle: {' -> '.join((*trail, node))}"
        if node in seen:
            return
        for nxt in sorted(graph[node]):
            visit(nxt, (*trail, node))
        seen.add(node)

    for node in sorted(graph):
        visit(node, ())


def test_no_cli_module_imports_another() -> None:
    shared = {"_app", "_render"}
    wrong = [
        f"{path.name}:{line} imports {'.'.join(parts)}"
        for path in sorted((SRC / "cli").glob("*.py"))
        for line, parts in _imports(path)
        if parts[:2] == ["baton", "cli"]
        and len(parts) > 2
        and parts[2] not in shared
        and path.stem != "main"
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "package", sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").exists())
)
def test_each_package_names_its_public_surface(package: str) -> None:
    """Every package's ``__init__`` declares ``__all__``, and each name in it exists."""
    module = __import__(f"baton.{package}", fromlist=["__all__"])
    assert hasattr(module, "__all__"), f"baton.{package} has no __all__"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"baton.{package}.__all__ names what it lacks: {missing}"


def test_no_public_name_hides_a_package() -> None:
    """``import baton.report._write`` and ``baton.replay.ReplayOptions`` work: no name in
    ``baton`` rebinds one of its packages (as ``baton.estimate`` once did)."""
    import importlib

    import baton

    hidden = [
        name
        for name in sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").exists())
        if getattr(baton, name, None) is not importlib.import_module(f"baton.{name}")
    ]
    assert not hidden, f"names in baton that hide its packages: {hidden}"
