"""The packages depend on each other in one direction only, as docs/DESIGN.md draws them."""

import ast
from pathlib import Path

import nllb

ROOT = Path(nllb.__file__).parent

# What each package may import besides itself and the foundation (the top-level modules below).
# frontend → access, translation, ipc (its public surface only) ; engine → ipc ; ipc → translation's
# values and errors ; access → ipc's shared memory ; translation → nothing but the foundation.
ALLOWED = {
    "frontend": {"access", "translation", "ipc"},
    "engine": {"ipc"},
    "ipc": {"translation"},
    "access": {"ipc"},
    "translation": set(),
    "tools": {"access", "translation", "ipc", "engine", "frontend"},
}
FOUNDATION = {"config", "languages", "logs", "metrics", "metrics_files", "modeldir", "redisconn"}
# Where the processes are put together: they may import anything.
ENTRY_POINTS = {"cli", "server", "gunicorn_config", "wsgi", "__main__"}


def imports(path: Path) -> set[str]:
    """Every nllb module a file imports, at any depth of the file (lazy imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "nllb":
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if (ROOT / node.module.removeprefix("nllb").lstrip(".").replace(".", "/") / alias.name)
                         .with_suffix(".py").exists())
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "nllb")
    return found


def home(module: str) -> str:
    """The package of `nllb.x.y`, or the top-level module's own name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_import_runs_back_up_between_packages():
    wrong = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        here = relative.parts[0].removesuffix(".py")
        if here in ENTRY_POINTS or here == "__init__":
            continue
        for module in imports(path):
            there = home(module)
            if there in ("", here) or there in FOUNDATION:
                continue
            allowed = ALLOWED.get(here, set())  # a foundation module may import only the foundation
            if there not in allowed:
                wrong.append(f"{relative} imports {module}")
    assert wrong == []


def test_the_frontend_sees_only_the_public_surface_of_ipc():
    inside = sorted(f"{path.name} imports {module}" for path in (ROOT / "frontend").glob("*.py")
                    for module in imports(path) if module.startswith("nllb.ipc."))
    assert inside == []


def test_every_package_is_known_here():
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()} - {"data"}
    modules = {p.stem for p in ROOT.glob("*.py")} - {"__init__"}
    assert packages == set(ALLOWED)
    assert modules == FOUNDATION | ENTRY_POINTS
