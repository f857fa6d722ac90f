"""Named configurations the harness compares, each a set of overrides on the settings.

Besides the named ones, any TOML file of settings (`--compare experiment.toml`) is a
configuration: its sections are applied over the base settings, so an experiment with any
weight or threshold is a file, not an edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from index.config import ConfigError, apply_toml
from rag.config import Settings

DEFAULT = "hybrid+scope"
_NO_SIGNALS = {"meaning": 0.0, "heading": 0.0, "sentence": 0.0, "time_scope": 0.0}
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
    """`base` with the named configuration's overrides applied (a name, or a TOML file)."""
    if name.endswith(".toml"):
        path = Path(name)
        if not path.is_file():
            raise UnknownConfigError(f"--compare: settings file {name} does not exist")
        try:
            return apply_toml(base, path)
        except ConfigError as err:
            raise UnknownConfigError(f"--compare: {err}") from err
    if name not in CONFIGS:
        raise UnknownConfigError(
            f"--compare: unknown configuration {name!r}; known: {', '.join(CONFIGS)} "
            "or a TOML settings file"
        )
    settings = base
    for section, values in CONFIGS[name].items():
        settings = replace(settings, **{section: replace(getattr(settings, section), **values)})
    return settings
