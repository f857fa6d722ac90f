"""Where caches, materialized models and the default index live (nothing created at import)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DOCS = Path("corpus")
DEFAULT_INDEX = Path("var/index")


def home() -> Path:
    """The app's cache folder: $POLICYQA_HOME, else ~/.cache/policy-qa."""
    env = os.environ.get("POLICYQA_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "policy-qa"


def models_dir() -> Path:
    """Materialized embedding models."""
    return home() / "models"


def jieba_cache_dir() -> Path:
    """jieba's dictionary cache, kept out of the shared temp folder."""
    return home() / "jieba"
