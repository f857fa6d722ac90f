"""Passage vectors, unit vectors and BM25 tokens kept by content, so no build embeds or
tokenizes the same passage twice.

One SQLite file per index root (`cache/embeddings.sqlite`), outside the builds:

    vectors(key BLOB PRIMARY KEY, vector BLOB, units BLOB, n_units INTEGER)
        key     sha256 of model fingerprint, passage prompt, max length, units version, text
        vector  float32 passage vector; units: float16 (n_units, dim) unit vectors
    tokens(key BLOB PRIMARY KEY, tokens TEXT)
        a passage's BM25 tokens, by tokenizer settings and text
    models(stamp TEXT PRIMARY KEY, fingerprint TEXT, dim INTEGER)
        what a model's weights hash to, by the model's files and encoder settings, so a
        build whose passages are all cached never loads the model

Each batch of new vectors is committed as soon as it is made: a build killed at any point
resumes without encoding again what it finished. After a build, entries it did not use are
dropped once the cache holds more than twice as many entries as it used.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

CACHE_FILE = "cache/embeddings.sqlite"
_IN_BATCH = 500  # keys per SELECT … IN (…)
_SEP = "\x1f"  # between tokens (the unit separator: never inside a token)


class EmbeddingCache:
    """The embedding cache of one index root."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the cache file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL,"
            " units BLOB NOT NULL, n_units INTEGER NOT NULL) WITHOUT ROWID"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS models (stamp TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,"
            " dim INTEGER NOT NULL)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS tokens (key BLOB PRIMARY KEY, tokens TEXT NOT NULL)"
            " WITHOUT ROWID"
        )
        self._db.execute("CREATE TEMP TABLE used (key BLOB PRIMARY KEY) WITHOUT ROWID")
        self._db.execute("CREATE TEMP TABLE used_tokens (key BLOB PRIMARY KEY) WITHOUT ROWID")

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def model(self, stamp: str) -> tuple[str, int] | None:
        """(fingerprint, dim) recorded for a model stamp."""
        row = self._db.execute(
            "SELECT fingerprint, dim FROM models WHERE stamp = ?", (stamp,)
        ).fetchone()
        return None if row is None else (str(row[0]), int(row[1]))

    def remember_model(self, stamp: str, fingerprint: str, dim: int) -> None:
        """Record what a model stamp's weights hash to."""
        self._db.execute(
            "INSERT OR REPLACE INTO models VALUES (?, ?, ?)", (stamp, fingerprint, dim)
        )

    def get(self, keys: Sequence[bytes], dim: int) -> dict[bytes, tuple[np.ndarray, np.ndarray]]:
        """The cached (passage vector, unit vectors) of those keys that are cached."""
        rows = self._lookup("used", "SELECT key, vector, units, n_units FROM vectors", keys)
        return {
            bytes(key): (
                np.frombuffer(vector, dtype=np.float32),
                np.frombuffer(units, dtype=np.float16).reshape(int(n_units), dim),
            )
            for key, vector, units, n_units in rows
        }

    def _lookup(self, used_table: str, select: str, keys: Sequence[bytes]) -> Iterator[tuple]:
        """Rows of `select` for those keys that are cached, each key marked as used by this
        build in `used_table` (what prune keeps); keys go `_IN_BATCH` at a time."""
        unique = list(dict.fromkeys(keys))
        self._db.executemany(
            f"INSERT OR IGNORE INTO {used_table} VALUES (?)", ((k,) for k in unique)
        )
        for start in range(0, len(unique), _IN_BATCH):
            part = unique[start : start + _IN_BATCH]
            marks = ",".join("?" * len(part))
            yield from self._db.execute(f"{select} WHERE key IN ({marks})", part)

    def put(self, items: Iterable[tuple[bytes, np.ndarray, np.ndarray]]) -> None:
        """Store (key, passage vector, unit vectors) entries in one transaction."""
        rows = [
            (
                key,
                np.ascontiguousarray(vector, dtype=np.float32).tobytes(),
                np.ascontiguousarray(units, dtype=np.float16).tobytes(),
                len(units),
            )
            for key, vector, units in items
        ]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)

    def get_tokens(self, keys: Sequence[bytes]) -> dict[bytes, list[str]]:
        """The cached BM25 tokens of those keys that are cached."""
        rows = self._lookup("used_tokens", "SELECT key, tokens FROM tokens", keys)
        return {bytes(key): tokens.split(_SEP) if tokens else [] for key, tokens in rows}

    def put_tokens(self, items: Iterable[tuple[bytes, Sequence[str]]]) -> None:
        """Store (key, tokens) entries in one transaction."""
        rows = [(key, _SEP.join(tokens)) for key, tokens in items]
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?)", rows)

    def count(self) -> int:
        """Entries in the cache."""
        return int(self._db.execute("SELECT count(*) FROM vectors").fetchone()[0])

    def prune(self, keep_factor: float = 2.0) -> int:
        """Drop entries this build did not use, once there are `keep_factor` times as many
        entries as it used; the number dropped."""
        used = int(self._db.execute("SELECT count(*) FROM used").fetchone()[0])
        if self.count() <= keep_factor * max(used, 1):
            return 0
        with self._db:
            self._db.execute("BEGIN")
            cursor = self._db.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM used)")
            self._db.execute("DELETE FROM tokens WHERE key NOT IN (SELECT key FROM used_tokens)")
        return int(cursor.rowcount)
