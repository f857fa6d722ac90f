"""Settings from defaults < a TOML file < environment < command-line overrides, validated."""

from __future__ import annotations

import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rag.config import (
    AbstainWeights,
    AnswerSettings,
    AnswerWeights,
    ChunkSettings,
    DocumentSettings,
    EmbeddingSettings,
    IndexSettings,
    LLMSettings,
    QuerySettings,
    RankingWeights,
    RetrievalSettings,
    ServeSettings,
    Settings,
    StoreSettings,
)

DEFAULT_CONFIG = Path("policyqa.toml")
SECTIONS: dict[str, type] = {
    "embedding": EmbeddingSettings,
    "documents": DocumentSettings,
    "chunking": ChunkSettings,
    "query": QuerySettings,
    "retrieval": RetrievalSettings,
    "ranking": RankingWeights,
    "answer": AnswerSettings,
    "evidence": AnswerWeights,
    "abstention": AbstainWeights,
    "llm": LLMSettings,
    "index": IndexSettings,
    "store": StoreSettings,
    "serve": ServeSettings,
}
# (section, key) <- environment variables, first one set wins.
ENV_VARS: dict[tuple[str, str], tuple[str, ...]] = {
    ("llm", "base_url"): ("POLICYQA_LLM_BASE_URL",),
    ("llm", "model"): ("POLICYQA_LLM_MODEL",),
    ("llm", "api_key"): ("POLICYQA_LLM_API_KEY", "OPENAI_API_KEY"),
}
_NO_OVERRIDES: Mapping[str, object] = MappingProxyType({})
# Settings that name one of a few methods: checked when read, with the key named.
CHOICES: dict[str, tuple[str, ...]] = {
    "chunking.strategy": ("sections", "recursive"),
    "retrieval.mode": ("hybrid", "dense", "sparse"),
    "ranking.fusion": ("rrf", "weighted"),
    "embedding.backend": ("torch", "openvino"),
    "store.backend": ("local", "milvus"),
}


class ConfigError(ValueError):
    """A setting is unknown or has the wrong type; the message names where it came from."""


def load_settings(
    path: Path | None = None, overrides: Mapping[str, object] = _NO_OVERRIDES
) -> Settings:
    """Settings for this run; `overrides` maps "section.key" to values from CLI flags.

    Without `path`, ./policyqa.toml is read when it exists.
    """
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    if path is not None:
        _merge(values, _read_toml(path), str(path))
    _merge(values, _from_env(), "environment")
    _merge(values, _nest(overrides), "command line")
    settings = _applied(Settings(), values)
    _check_ranges(settings)
    return settings


def apply_toml(settings: Settings, path: Path) -> Settings:
    """`settings` with the sections of the TOML file `path` applied over them (checked)."""
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    _merge(values, _read_toml(path), str(path))
    applied = _applied(settings, values)
    _check_ranges(applied)
    return applied


def _applied(settings: Settings, values: Mapping[str, Mapping[str, Any]]) -> Settings:
    for section, given in values.items():
        if given:
            settings = replace(settings, **{section: replace(getattr(settings, section), **given)})
    given_keys = frozenset(f"{section}.{key}" for section, given in values.items() for key in given)
    # What a file, the environment or the command line named, beside the defaults.
    settings = replace(settings, explicit=settings.explicit | given_keys)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as err:
        raise ConfigError(f"config file {path} does not exist") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from err


def _from_env() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for (section, key), names in ENV_VARS.items():
        value = next((os.environ[n] for n in names if os.environ.get(n)), None)
        if value is not None:
            found.setdefault(section, {})[key] = value
    return found


def _nest(overrides: Mapping[str, object]) -> dict[str, Any]:
    nested: dict[str, dict[str, object]] = {}
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if not key:
            raise ConfigError(f"command line: override {dotted!r} must be 'section.key'")
        nested.setdefault(section, {})[key] = value
    return nested


def _merge(values: dict[str, dict[str, Any]], raw: Mapping[str, Any], origin: str) -> None:
    """Check each [section] key against the settings dataclasses and merge it into `values`."""
    for section, table in raw.items():
        if section not in SECTIONS:
            known = ", ".join(SECTIONS)
            raise ConfigError(f"{origin}: unknown section [{section}] (known: {known})")
        if not isinstance(table, Mapping):
            raise ConfigError(f"{origin}: [{section}] must be a table of key = value")
        types = typing.get_type_hints(SECTIONS[section])
        names = [f.name for f in fields(SECTIONS[section])]
        for key, value in table.items():
            if key not in names:
                raise ConfigError(
                    f"{origin}: unknown key {key!r} in [{section}] (known: {', '.join(names)})"
                )
            values[section][key] = _coerce(value, types[key], f"{origin}: [{section}] {key}")


def _coerce(value: object, kind: type, where: str) -> object:
    # bool is an int subclass: check it first, so `k = true` is refused.
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value  # type: ignore[arg-type]
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ConfigError(f"{where} must be {kind.__name__}, got {type(value).__name__} {value!r}")
    return value


def _check_ranges(settings: Settings) -> None:
    """Refuse values that type-check but cannot work."""
    positive = {
        "embedding.batch_size": settings.embedding.batch_size,
        "embedding.max_seq_length": settings.embedding.max_seq_length,
        "chunking.max_chars": settings.chunking.max_chars,
        "retrieval.k": settings.retrieval.k,
        "retrieval.depth": settings.retrieval.depth,
        "ranking.rrf_k": settings.ranking.rrf_k,
        "answer.passages": settings.answer.passages,
        "documents.max_document_mb": settings.documents.max_document_mb,
        "index.keep_builds": settings.index.keep_builds,
        "index.batch_documents": settings.index.batch_documents,
        "index.batch_chunks": settings.index.batch_chunks,
        "index.ivf_threshold": settings.index.ivf_threshold,
        "index.ivf_probe_share": settings.index.ivf_probe_share,
        "index.ivf_refine": settings.index.ivf_refine,
    }
    for name, value in positive.items():
        if value <= 0:
            raise ConfigError(f"{name} must be positive, got {value}")
    c = settings.chunking
    if not 0 <= c.overlap_chars < c.max_chars:
        raise ConfigError(
            f"chunking.overlap_chars must be >= 0 and below max_chars ({c.max_chars}), "
            f"got {c.overlap_chars}"
        )
    if not 0.0 <= settings.ranking.dense_weight <= 1.0:
        raise ConfigError(
            f"ranking.dense_weight must be within 0..1, got {settings.ranking.dense_weight}"
        )
    for name, allowed in CHOICES.items():
        section, key = name.split(".")
        value = getattr(getattr(settings, section), key)
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
