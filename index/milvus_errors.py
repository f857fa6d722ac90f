"""The error of a remote store, importable without pymilvus (the CLI maps it to exit 2)."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Milvus cannot be reached or lacks what the index needs; the message says what to do."""
