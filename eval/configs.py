"""Named configurations the harness compares, each a set of overrides on the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from rag.config import Settings

DEFAULT = "hybrid+scope"
_PLAIN_RETRIEVAL = {
    "scope": False,
    "hint_weight": 0.0,
    "heading_weight": 0.0,
    "sentence_weight": 0.0,
}
# section -> field -> value; everything not named keeps the base settings.
CONFIGS: Mapping[str, Mapping[str, Mapping[str, object]]] = {
    "vanilla": {
        "chunking": {
            "strategy": "recursive",
            "max_chars": 500,
            "overlap_chars": 50,
            "headers": False,
        },
        "retrieval": {"mode": "dense", **_PLAIN_RETRIEVAL},
    },
    "bm25": {"retrieval": {"mode": "sparse", **_PLAIN_RETRIEVAL}},
    "dense": {"retrieval": {"mode": "dense", **_PLAIN_RETRIEVAL}},
    "hybrid": {"retrieval": {"mode": "hybrid", **_PLAIN_RETRIEVAL}},
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
