"""Publishing a build to Milvus: a new collection pair per build, then an atomic alias switch.

See index/milvus_store.py for the collections' fields and how they are searched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from index.bm25 import BM25_DIR, K1, VOCAB, B
from index.build_files import read_docs, read_unit_vectors, read_vectors
from index.chunk_table import ChunkTable
from index.manifest import read_manifest
from index.milvus_store import TEXT_LIMIT, collection_name, connect
from index.store import make_tokenizer
from rag.config import StoreSettings
from rag.serialize import chunk_record
from rag.types import Chunk

log = logging.getLogger(__name__)

BATCH = 256  # rows inserted at a time
Progress = Callable[[str, int, int], None]


def publish(folder: Path, settings: StoreSettings, progress: Progress | None = None) -> str:
    """Copy a complete build folder into a new collection pair; its name (not yet live)."""
    manifest = read_manifest(folder)
    client = connect(settings)
    name = collection_name(settings, str(manifest["build_id"]))
    dim = int(manifest["embedding"]["dim"])
    for existing in (name, f"{name}_units"):
        if client.has_collection(existing):
            client.drop_collection(existing)
    _create_chunks(client, name, dim, str(manifest["build_id"]))
    _create_units(client, f"{name}_units", dim)
    docs = read_docs(folder)
    regions = sorted({m.region for m in docs.values()})
    region_of = [regions.index(m.region) for m in docs.values()]
    vocab = json.loads((folder / BM25_DIR / VOCAB).read_text(encoding="utf-8"))
    tokenizer = make_tokenizer(manifest["tokenizer"]["user_words"])
    vectors = read_vectors(folder)
    units = read_unit_vectors(folder)
    table = ChunkTable(folder)
    unit_id = 0
    total = len(table)
    report = progress or (lambda stage, done, all_: None)
    try:
        for start, batch in _batches(iter(table), BATCH):
            rows, unit_rows = [], []
            for offset, chunk in enumerate(batch):
                row = start + offset
                terms = " ".join(f"t{vocab[t]}" for t in tokenizer.tokens(chunk.index_text))
                rows.append(
                    {
                        "row": row,
                        "doc": int(table.doc_ids[row]),
                        "region": region_of[int(table.doc_ids[row])],
                        "vector": vectors[row].tolist(),
                        "terms": terms[:TEXT_LIMIT],
                        "record": json.dumps(chunk_record(row, chunk), ensure_ascii=False),
                    }
                )
                for vector in np.asarray(units[row], dtype=np.float32):
                    unit_rows.append({"id": unit_id, "row": row, "vector": vector.tolist()})
                    unit_id += 1
            client.insert(name, rows)
            if unit_rows:
                client.insert(f"{name}_units", unit_rows)
            report("milvus", start + len(batch), total)
    finally:
        table.close()
    for collection in (name, f"{name}_units"):
        client.flush(collection)
        client.load_collection(collection)
    log.info("published %d passages of %s to Milvus collection %s", total, folder, name)
    return name


def _create_chunks(client: Any, name: str, dim: int, build_id: str) -> None:
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, description=f"policy-qa build {build_id}")
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("doc", DataType.INT32)
    schema.add_field("region", DataType.INT32)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field(
        "terms",
        DataType.VARCHAR,
        max_length=TEXT_LIMIT,
        enable_analyzer=True,
        analyzer_params={"tokenizer": "standard"},
    )
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("record", DataType.VARCHAR, max_length=TEXT_LIMIT)
    schema.add_function(
        Function(
            name="bm25",
            function_type=FunctionType.BM25,
            input_field_names=["terms"],
            output_field_names=["sparse"],
        )
    )
    index = client.prepare_index_params()
    index.add_index("vector", index_type="FLAT", metric_type="IP")
    index.add_index(
        "sparse",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": K1, "bm25_b": B},
    )
    client.create_collection(name, schema=schema, index_params=index)


def _create_units(client: Any, name: str, dim: int) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("row", DataType.INT64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    index = client.prepare_index_params()
    index.add_index("vector", index_type="FLAT", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=index)


def _batches(chunks: Iterator[Chunk], size: int) -> Iterator[tuple[int, list[Chunk]]]:
    start, batch = 0, []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) == size:
            yield start, batch
            start, batch = start + size, []
    if batch:
        yield start, batch


def make_live(settings: StoreSettings, build_id: str, keep: int) -> None:
    """Point the alias at a build's collection (atomically), then drop collections of
    builds beyond the newest `keep`."""
    client = connect(settings)
    name = collection_name(settings, build_id)
    prefix = f"{settings.collection}_"
    builds = sorted(
        c for c in client.list_collections() if c.startswith(prefix) and not c.endswith("_units")
    )
    holder = [c for c in builds if settings.collection in _aliases(client, c)]
    if not holder:
        client.create_alias(name, settings.collection)
    elif holder != [name]:
        client.alter_alias(name, settings.collection)
    for old in builds[: max(0, len(builds) - keep)]:
        if old != name:
            client.drop_collection(f"{old}_units")
            client.drop_collection(old)


def _aliases(client: Any, collection: str) -> list[str]:
    return list(client.list_aliases(collection_name=collection).get("aliases", []))
