"""Passages served by Milvus: one collection per build, the live one named by an alias.

`[store] backend = "milvus"` makes `policyqa index build` publish each build to Milvus
after writing it locally, and the QA service search there:

    <collection>_<build id>         row (primary key), doc, region (numbers, as in the
                                    build's docs.json), vector (FLAT, inner product),
                                    terms (the project's own jieba tokens, each written as
                                    "t<vocabulary id>" so Milvus's standard analyzer keeps
                                    them whole), sparse (Milvus's BM25 function over terms,
                                    k1 and b as bm25s), record (the passage as chunks.jsonl
                                    holds it)
    <collection>_<build id>_units   id, row, vector: each passage's unit vectors, in order
    alias <collection>              the live build's collection, switched atomically

Region and document scopes become filter expressions; fusion, boosts and answers stay in
the project, so both stores rank alike. A server keeps only the build's head (manifest,
docs.json, terms.json, the BM25 vocabulary) and the model; the passages, vectors,
postings and unit vectors stay in Milvus. The access token is read from the environment
variable `[store] token_env` names (POLICYQA_MILVUS_TOKEN), never from a file.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from index.bm25 import BM25_DIR, K1, VOCAB, B
from index.chunk_table import ChunkTable
from index.milvus_errors import StoreError
from index.store import OpenIndex, make_tokenizer, read_docs, read_manifest, read_vectors
from rag.answering.scope import Scope
from rag.config import StoreSettings
from rag.serialize import chunk_from_record, chunk_record
from rag.types import Chunk

log = logging.getLogger(__name__)

BATCH = 256  # rows inserted at a time
TEXT_LIMIT = 65_535  # Milvus's longest VARCHAR
PASSAGES_CACHED = 4096
Progress = Callable[[str, int, int], None]


def collection_name(settings: StoreSettings, build_id: str) -> str:
    """The collection of one build (Milvus names allow letters, digits and underscores)."""
    return f"{settings.collection}_{build_id}".replace("-", "_")


def connect(settings: StoreSettings) -> Any:
    """A MilvusClient for `[store] uri`, with the token from the environment."""
    try:
        from pymilvus import MilvusClient
    except ImportError as err:
        raise StoreError(
            "[store] backend = \"milvus\" needs pymilvus: pip install 'policy-qa[milvus]'"
        ) from err
    if not settings.uri:
        raise StoreError('[store] backend = "milvus" needs [store] uri (http://host:19530)')
    options: dict[str, Any] = {"uri": settings.uri}
    if token := os.environ.get(settings.token_env, ""):
        options["token"] = token
    if settings.database:
        options["db_name"] = settings.database
    try:
        return MilvusClient(**options)
    except Exception as err:  # pymilvus raises many kinds; all mean "not reachable"
        raise StoreError(
            f"cannot reach Milvus at {settings.uri} ({_brief(err)}): check [store] uri and "
            f"${settings.token_env}"
        ) from err


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
    docs = list(read_docs(folder))
    regions = sorted({m.region for m in read_docs(folder).values()})
    region_of = [regions.index(m.region) for m in read_docs(folder).values()]
    vocab = json.loads((folder / BM25_DIR / VOCAB).read_text(encoding="utf-8"))
    tokenizer = make_tokenizer(manifest["tokenizer"]["user_words"])
    vectors = read_vectors(folder)
    from index.store import read_unit_vectors

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
    del docs
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


class MilvusStore:
    """The ChunkStore of a build published to Milvus."""

    def __init__(self, client: Any, name: str, index: OpenIndex) -> None:
        """Use collection `name` (and its units) for the build `index` is the head of."""
        self.client = client
        self.name = name
        self.index = index
        self.doc_paths = list(index.docs)
        self._doc_number = {path: i for i, path in enumerate(self.doc_paths)}
        regions = sorted({m.region for m in index.docs.values()})
        self._region_number = {region: i for i, region in enumerate(regions)}
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, index: OpenIndex, settings: StoreSettings) -> MilvusStore:
        """The store of the opened build's own collection (StoreError when it is missing)."""
        client = connect(settings)
        name = collection_name(settings, index.build_id)
        if not client.has_collection(name):
            raise StoreError(
                f"Milvus at {settings.uri} has no collection {name} for build "
                f"{index.build_id}: rebuild with `policyqa index build` (it publishes there)"
            )
        client.load_collection(name)
        client.load_collection(f"{name}_units")
        return cls(client, name, index)

    def _filter(self, scope: Scope) -> str | None:
        """The scope as a filter expression; None when nothing can match."""
        parts = []
        if scope.docs:
            docs = sorted(self._doc_number[d] for d in scope.docs if d in self._doc_number)
            if not docs:
                return None
            parts.append(f"doc in {docs}")
        if scope.regions:
            regions = sorted(
                self._region_number[r] for r in scope.regions if r in self._region_number
            )
            if not regions:
                return None
            parts.append(f"region in {regions}")
        return " and ".join(parts)

    def _search(
        self, data: list, field: str, metric: str, k: int, scope: Scope
    ) -> list[tuple[int, float]]:
        expr = self._filter(scope)
        if expr is None or k <= 0:
            return []
        found = self.client.search(
            self.name,
            data=data,
            anns_field=field,
            limit=min(k, self.index.size),
            filter=expr,
            search_params={"metric_type": metric},
            output_fields=["row"],
        )[0]
        # Milvus Lite reports BM25 scores negated; ties are broken by row, as locally.
        sign = -1.0 if metric == "BM25" and found and found[0]["distance"] < 0 else 1.0
        hits = [(int(hit["entity"]["row"]), sign * float(hit["distance"])) for hit in found]
        return sorted(hits, key=lambda h: (-h[1], h[0]))

    def dense_search(self, vector: np.ndarray, k: int, scope: Scope) -> list[tuple[int, float]]:
        """(row, inner product) of the k nearest passages within `scope`."""
        data = [np.asarray(vector, dtype=np.float32).tolist()]
        return self._search(data, "vector", "IP", k, scope)

    def term_search(self, terms: Sequence[str], k: int, scope: Scope) -> list[tuple[int, float]]:
        """(row, BM25 score > 0) of the k best passages within `scope`."""
        ids = [self.index.vocab[t] for t in terms if t in self.index.vocab]
        if not ids:
            return []
        text = " ".join(f"t{i}" for i in ids)
        return [hit for hit in self._search([text], "sparse", "BM25", k, scope) if hit[1] > 0]

    def passages(self, rows: Sequence[int]) -> list[Chunk]:
        """The passages at `rows`, in that order (recent ones cached)."""
        wanted = [int(r) for r in rows]
        with self._lock:
            missing = sorted({r for r in wanted if r not in self._cache})
        if missing:
            records = self.client.query(
                self.name, filter=f"row in {missing}", output_fields=["row", "record"]
            )
            with self._lock:
                for record in records:
                    self._cache[int(record["row"])] = chunk_from_record(
                        json.loads(record["record"])
                    )
                while len(self._cache) > PASSAGES_CACHED:
                    self._cache.popitem(last=False)
        with self._lock:
            absent = [r for r in wanted if r not in self._cache]
            if absent:
                raise StoreError(f"Milvus collection {self.name} lacks rows {absent[:5]}")
            return [self._cache[r] for r in wanted]

    def unit_vectors(self, rows: Sequence[int]) -> list[np.ndarray]:
        """Each passage's unit vectors (units, dim), in the order of `rows`."""
        wanted = sorted({int(r) for r in rows})
        found = (
            self.client.query(
                f"{self.name}_units",
                filter=f"row in {wanted}",
                output_fields=["id", "row", "vector"],
            )
            if wanted
            else []
        )
        by_row: dict[int, list[tuple[int, list[float]]]] = {}
        for unit in found:
            by_row.setdefault(int(unit["row"]), []).append((int(unit["id"]), unit["vector"]))
        dim = int(self.index.manifest["embedding"]["dim"])
        out = []
        for row in rows:
            units = sorted(by_row.get(int(row), []))
            out.append(np.asarray([v for _, v in units], dtype=np.float32).reshape(-1, dim))
        return out

    def doc_rows(self, doc: str) -> np.ndarray:
        """The rows of one document, ascending."""
        number = self._doc_number.get(doc)
        if number is None:
            return np.zeros(0, dtype=np.int64)
        found = self.client.query(self.name, filter=f"doc == {number}", output_fields=["row"])
        return np.asarray(sorted(int(r["row"]) for r in found), dtype=np.int64)

    def section_passages(self, doc: str, section: tuple[str, ...]) -> list[Chunk]:
        """The passages of one section of a document, in source order."""
        chunks = self.passages(self.doc_rows(doc))
        return sorted((c for c in chunks if c.section == section), key=lambda c: c.start)

    def known_term(self, term: str) -> bool:
        """Whether any passage holds the BM25 term."""
        return term in self.index.vocab


def _brief(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."
