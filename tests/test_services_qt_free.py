"""services/ is pure Python: no Qt, no app/ or views/, heavy SDKs only inside functions."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "services"
FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "app", "views")
HEAVY = ("paramiko", "docker", "kubernetes")


def service_modules() -> list[str]:
    modules = []
    for path in sorted(SERVICES.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules.append(".".join(parts))
    return modules


def imported_names(tree: ast.AST) -> list[tuple[int, str]]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Name, ast.Attribute))
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append((node.lineno, node.args[0].value))
    return names


def test_services_source_never_imports_qt_app_or_views():
    offenders = []
    files = sorted(SERVICES.rglob("*.py"))
    assert len(files) >= 5  # the walk really found the package
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for lineno, name in imported_names(tree):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(ROOT)}:{lineno} imports {name}")
    assert offenders == []


def test_the_checker_sees_every_import_form():
    tree = ast.parse(
        "import PySide6.QtCore\n"
        "from views.plots import x\n"
        "def f():\n    from app import poller\n"
        "importlib.import_module('pyqtgraph')\n"
    )
    found = {name.split(".")[0] for _, name in imported_names(tree)}
    assert {"PySide6", "views", "app", "pyqtgraph"} <= found


def test_importing_every_service_module_loads_no_qt_and_no_heavy_sdk():
    modules = service_modules()
    code = (
        "import importlib, json, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{FORBIDDEN + HEAVY!r})))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
