"""Shared fixtures: an isolated app home, and real embedding models (default and tiny)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One app home per test session, so the default model is materialized once."""
    return tmp_path_factory.mktemp("policyqa-home")


@pytest.fixture(autouse=True)
def _isolated_home(session_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("POLICYQA_HOME", str(session_home))
    return session_home
