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


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real sentence-transformers model (characters -> static embeddings), built once."""
    from tests.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def default_model_dir(session_home: Path) -> Path:
    """The default model materialized once per session under the session home's models folder."""
    from index.model_store import materialize_default

    return materialize_default(session_home / "models")


@pytest.fixture(scope="session")
def default_encoder(default_model_dir: Path, session_home: Path) -> object:
    """An Encoder for the default model, loaded once per session (`index.embedder.Encoder`)."""
    from index.embedder import Encoder
    from rag.config import EmbeddingSettings

    # Session fixtures run before the per-test home is set: point the app home here too.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POLICYQA_HOME", str(session_home))
        return Encoder.load(EmbeddingSettings())


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory, default_encoder: object) -> Path:
    """The bundled corpus indexed with the default model, built once per session."""
    from index.build import build_index
    from rag.config import Settings

    root = tmp_path_factory.mktemp("corpus-index")
    build_index(CORPUS, root, Settings())
    return root
