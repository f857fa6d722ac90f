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
from collections.abc import Sequence
from typing import Any

import numpy as np

from index.chunk_store import rows_of_section
from index.errors import brief
from index.milvus_errors import StoreError
from index.store import OpenIndex
from rag.answering.scope import Scope
from rag.config import StoreSettings
from rag.serialize import chunk_from_record
from rag.types import Chunk

log = logging.getLogger(__name__)

TEXT_LIMIT = 65_535  # Milvus's longest VARCHAR
PASSAGES_CACHED = 4096  # passages kept decoded between questions


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
            f"cannot reach Milvus at {settings.uri} ({brief(err)}): check [store] uri and "
            f"${settings.token_env}"
        ) from err


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
        """(row, inner product) of the k nearest passages within `scope`.

        Milvus's kernels round differently from FAISS's, which can swap two passages whose
        similarities differ in the seventh digit; twice the candidates are fetched with
        their vectors and scored again with FAISS's kernel, as the local store scores them.
        """
        import faiss

        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        expr = self._filter(scope)
        if expr is None or k <= 0:
            return []
        found = self.client.search(
            self.name,
            data=query.tolist(),
            anns_field="vector",
            limit=min(2 * k, self.index.size),
            filter=expr,
            search_params={"metric_type": "IP"},
            output_fields=["row", "vector"],
        )[0]
        if not found:
            return []
        hits = sorted((int(h["entity"]["row"]), h["entity"]["vector"]) for h in found)
        rows = np.asarray([row for row, _ in hits], dtype=np.int64)
        exact = faiss.IndexFlatIP(query.shape[1])
        exact.add(np.asarray([v for _, v in hits], dtype=np.float32))
        scores, ids = exact.search(query, min(k, len(hits)))
        return [(int(rows[i]), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

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

    def section_rows(self, doc: str, section: tuple[str, ...], below: bool = False) -> list[int]:
        """Rows of every passage of one section of a document (and of its subsections,
        `below`), in source order."""
        return rows_of_section(self, doc, section, below)

    def known_term(self, term: str) -> bool:
        """Whether any passage holds the BM25 term."""
        return term in self.index.vocab
