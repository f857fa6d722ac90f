"""Which tests run: plain `pytest` is the fast run; `make test` (what CI runs) runs them all."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# One module per marker: gate (the whole module), slow (some tests) and browser.
FILES = ["tests/test_gate.py", "tests/test_model_store.py", "tests/test_ui_browser.py"]


def collected(*args: str) -> set[str]:
    """Test ids pytest selects with the project's configuration and these extra arguments."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    run = subprocess.run(
        [*command, *args, *FILES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode in (0, 5), run.stdout + run.stderr  # 5: nothing selected
    return {line for line in run.stdout.splitlines() if "::" in line}


@pytest.fixture(scope="module")
def everything() -> set[str]:
    return collected("-m", "")


def test_the_default_run_leaves_out_gate_and_slow_tests(everything: set[str]) -> None:
    default = collected()
    assert default and default < everything
    assert not any(t.startswith("tests/test_gate.py") for t in default)
    left_out = everything - default
    assert any(t.startswith("tests/test_model_store.py") for t in left_out)  # slow ones
    assert any(t.startswith("tests/test_model_store.py") for t in default)  # the others
    assert any(t.startswith("tests/test_ui_browser.py") for t in default)


def test_a_marker_on_the_command_line_replaces_the_default(everything: set[str]) -> None:
    gate = collected("-m", "gate")
    assert gate and all(t.startswith("tests/test_gate.py") for t in gate)
    assert {t for t in everything if t.startswith("tests/test_gate.py")} == gate


def test_make_test_runs_every_test() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe is not None
    assert re.search(r'pytest -q -m ""\s*$', recipe.group(1), re.MULTILINE), recipe.group(1)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
