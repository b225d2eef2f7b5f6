"""The layering, checked on the source: imports point down only, SQL stays in
store/, the pure packages do no I/O. (README.md, "Architecture", draws the same map.)

    cli -> render -> services -> net | store -> providers | rules -> detect

Each module of archiver/ belongs to one layer; a module may import its own
package and any layer below its own, never a sibling at the same height nor
anything above. ``detect`` imports nothing of ours but ``detect``. The base
modules (configuration, the error root, crash points, the version) are below all
but ``detect``. A new top-level module or package must be placed here: the test
fails until it is, so that the map stays true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "archiver"

# Top-level module or package -> height. Same height: siblings that must not import
# each other. ``cli_*`` modules (commands registered in cli.py) are at cli height.
LAYERS: dict[str, int] = {
    "cli": 8,  # commands (cli_web.py: `archiver serve`)
    "web": 7,  # the web view's app, templates and static files
    "render": 6, "report_html": 6, "jobs": 6,  # output for people and programs; task wrappers
    "services": 5, "export": 5, "evidence": 5,  # use cases; WACZ, fixity (issue 15)
    "net": 4, "store": 4,  # sockets | SQL and files
    "providers": 3, "rules": 3,  # tweet services' answers interpreted | pure decisions
    "detect": 2,  # pure: document -> article, citations, links
    "config": 1, "settings": 1, "crashpoints": 1, "__init__": 1,  # base
    "errors": 0,  # the exception tree: imports nothing of ours, importable from everywhere
}
PURE = ("detect", "providers", "rules")  # no I/O: parse and decide only
IO_MODULES = ("requests", "urllib3", "socket", "ssl", "http.client", "urllib.request",
              "httpx", "sqlalchemy", "psycopg", "sqlite3", "alembic", "subprocess", "warcio")
# Modules outside store/ allowed to import SQLAlchemy, each with its reason.
SQLALCHEMY_ALLOWED: dict[str, str] = {
    "archiver/cli.py": "maps a database error that escaped the store as a last resort and "
                       "names --db URLs with make_url (both inside functions); goes when "
                       "store/ maps every database error to the error root",
}


def _layer(module: str) -> str:
    """``archiver.store.db`` -> ``store``; ``archiver.cli_web`` -> ``cli``."""
    top = module.split(".")[1] if "." in module else "__init__"
    return "cli" if top.startswith("cli_") else top


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        found.append((".".join(p for p in parts if p != "__init__") or "archiver", path))
    return found


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """Every module ``path`` imports (at any depth: inside functions too), absolute."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.append((target, node.lineno))
            # ``from archiver import render`` imports the module archiver.render
            if target == "archiver":
                names += [(f"archiver.{alias.name}", node.lineno) for alias in node.names]
    return names


MODULES = _modules()


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT.parent)}:{line}"


def test_every_module_has_a_place_on_the_map():
    unplaced = sorted({_layer(mod) for mod, _ in MODULES} - LAYERS.keys())
    assert not unplaced, f"place these in tests/test_layering.py LAYERS (and the README): {unplaced}"


def test_imports_point_down_only():
    wrong = []
    for module, path in MODULES:
        mine = _layer(module)
        for target, line in _imports(module, path):
            if not target.startswith("archiver.") or _layer(target) == mine:
                continue
            theirs = _layer(target)
            if mine == "detect":
                wrong.append(f"{_where(path, line)}: detect/ imports {target}: it imports only detect")
            elif LAYERS.get(theirs, 0) >= LAYERS.get(mine, 0):
                wrong.append(f"{_where(path, line)}: {mine} imports {target} ({theirs}): "
                             "not below it")
    assert not wrong, "\n".join(wrong)


def test_sql_only_in_store():
    wrong = []
    for module, path in MODULES:
        rel = str(path.relative_to(ROOT.parent))
        if _layer(module) == "store" or rel in SQLALCHEMY_ALLOWED:
            continue
        wrong += [f"{_where(path, line)}: imports {target}; SQL belongs in archiver/store/"
                  for target, line in _imports(module, path)
                  if target.split(".")[0] == "sqlalchemy"]
    assert not wrong, "\n".join(wrong)


def test_the_sqlalchemy_exceptions_are_still_needed():
    for rel in SQLALCHEMY_ALLOWED:
        path = ROOT.parent / rel
        module = ".".join(Path(rel).with_suffix("").parts)
        assert any(t.split(".")[0] == "sqlalchemy" for t, _ in _imports(module, path)), (
            f"{rel} no longer imports SQLAlchemy: remove it from SQLALCHEMY_ALLOWED")


@pytest.mark.parametrize("package", PURE)
def test_pure_packages_do_no_io(package):
    wrong = []
    for module, path in MODULES:
        if _layer(module) != package:
            continue
        wrong += [f"{_where(path, line)}: {package}/ imports {target}, which does I/O"
                  for target, line in _imports(module, path)
                  if any(target == io or target.startswith(io + ".") for io in IO_MODULES)]
    assert not wrong, "\n".join(wrong)


def test_the_checks_see_a_violation(tmp_path):
    """The walker finds imports inside functions and relative ones (a check that
    cannot fail proves nothing)."""
    fake = tmp_path / "archiver" / "detect" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    import socket\n    from ..store import db\n")
    found = [t for t, _ in _imports("archiver.detect.x", fake)]
    assert found == ["socket", "archiver.store"]
    assert _layer("archiver.cli_web") == "cli" and _layer("archiver") == "__init__"
