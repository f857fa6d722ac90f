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


# rag/ is pure: text in, answers out. Files, processes, the network, argv and the UI
# belong to index/ and ui/.
FORBIDDEN_IN_RAG = {
    "gradio", "argparse", "faiss", "bm25s", "torch", "sentence_transformers",
    "os", "io", "pathlib", "shutil", "tempfile", "glob", "sqlite3", "subprocess", "sys",
    "socket", "ssl", "http", "urllib", "httpx", "requests", "aiohttp", "pymilvus",
}  # fmt: skip
FORBIDDEN_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}


def test_rag_knows_no_files_network_argv_or_ui() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(bad)}"
        for path in sorted((ROOT / "rag").rglob("*.py"))
        if (bad := _imported_packages_any(path) & FORBIDDEN_IN_RAG)
    ]
    assert not offenders, "\n".join(offenders)


def test_rag_calls_no_file_or_terminal_builtins() -> None:
    offenders = []
    for path in sorted((ROOT / "rag").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in FORBIDDEN_CALLS
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {node.func.id}()")
    assert not offenders, "\n".join(offenders)


def _imported_packages_any(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names
