"""Named configurations the harness compares, each a set of overrides on the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from rag.config import Settings

DEFAULT = "hybrid+scope"
_NO_SIGNALS = {"heading": 0.0, "sentence": 0.0, "time_scope": 0.0}
# section -> field -> value; everything not named keeps the base settings.
CONFIGS: Mapping[str, Mapping[str, Mapping[str, object]]] = {
    "vanilla": {
        "chunking": {
            "strategy": "recursive",
            "max_chars": 500,
            "overlap_chars": 50,
            "headers": False,
        },
        "retrieval": {"mode": "dense", "scope": False},
        "ranking": _NO_SIGNALS,
    },
    "bm25": {"retrieval": {"mode": "sparse", "scope": False}, "ranking": _NO_SIGNALS},
    "dense": {"retrieval": {"mode": "dense", "scope": False}, "ranking": _NO_SIGNALS},
    "hybrid": {"retrieval": {"mode": "hybrid", "scope": False}, "ranking": _NO_SIGNALS},
    "hybrid+scope": {},
}


class UnknownConfigError(ValueError):
    """A --compare name that is not a known configuration."""


def configured(base: Settings, name: str) -> Settings:
    """`base` with the named configuration's overrides applied."""
    if name not in CONFIGS:
        raise UnknownConfigError(
            f"--compare: unknown configuration {name!r}; known: {', '.join(CONFIGS)}"
        )
    settings = base
    for section, values in CONFIGS[name].items():
        settings = replace(settings, **{section: replace(getattr(settings, section), **values)})
    return settings
