"""Imports flow one way: rag <- index <- eval, ui."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "rag": {"rag"},
    "index": {"rag", "index"},
    "eval": {"rag", "index", "eval"},
    "ui": {"rag", "index", "eval", "ui"},
}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


def test_imports_flow_one_way() -> None:
    violations = []
    for package, allowed in ALLOWED.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            bad = _imported_packages(path) - allowed
            if bad:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not violations, "\n".join(violations)


def test_rag_knows_no_files_argv_or_ui() -> None:
    forbidden = {"gradio", "argparse", "faiss"}
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "rag").rglob("*.py"))
        if _imported_packages_any(path) & forbidden
    ]
    assert not offenders


def _imported_packages_any(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names
