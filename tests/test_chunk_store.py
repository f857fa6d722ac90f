"""One store contract, every backend: the local build folder, Milvus Lite embedded, Milvus Lite
as a server on 127.0.0.1 (started and stopped here), and a real Milvus when
POLICYQA_TEST_MILVUS_URI names one. Each store must find, fetch and rank exactly as the
local one does, so answers do not depend on where the passages live."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus")

from index.local_store import LocalStore
from index.milvus_publish import make_live, publish
from index.milvus_store import MilvusStore, collection_name
from index.publish import resolve_live
from index.service import QAService
from index.store import OpenIndex, open_index
from rag.answering.scope import Scope
from rag.config import StoreSettings
from tests.small_corpus import build_small_index

QUESTIONS = [
    "新乡高新区的氢能目标是什么",
    "河源高新区2020年规上工业总产值是多少",
    "各高新区的主导产业有哪些",
    "加氢站建设",
    "襄阳高新区生态环境保护有什么目标",
]
BACKENDS = ["local", "lite", "lite-server", "milvus"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("stores")
    return build_small_index(folder, tiny_model_dir)


@pytest.fixture(scope="module")
def local(built: tuple[Path, object]) -> OpenIndex:
    return open_index(built[0])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def lite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`milvus-lite server` on 127.0.0.1, stopped when the module's tests are done."""
    port = _free_port()
    data = tmp_path_factory.mktemp("milvus-server")
    command = shutil.which("milvus-lite") or str(Path(sys.executable).parent / "milvus-lite")
    server = subprocess.Popen(
        [command, "server", "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None:
                pytest.fail("milvus-lite server exited at start")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _settings(backend: str, tmp: Path, request: pytest.FixtureRequest) -> StoreSettings:
    if backend == "lite":
        return StoreSettings(backend="milvus", uri=str(tmp / "milvus.db"), collection="policyqa")
    if backend == "lite-server":
        uri = request.getfixturevalue("lite_server")
        return StoreSettings(backend="milvus", uri=uri, collection="policyqa")
    uri = os.environ.get("POLICYQA_TEST_MILVUS_URI", "")
    if not uri:
        pytest.skip("POLICYQA_TEST_MILVUS_URI names no Milvus to test against")
    return StoreSettings(backend="milvus", uri=uri, collection="policyqa_test")


@pytest.fixture(scope="module", params=BACKENDS)
def store(
    request: pytest.FixtureRequest,
    built: tuple[Path, object],
    local: OpenIndex,
    tmp_path_factory: pytest.TempPathFactory,
) -> object:
    if request.param == "local":
        return LocalStore(local)
    settings = _settings(request.param, tmp_path_factory.mktemp(request.param), request)
    folder = resolve_live(built[0])
    publish(folder, settings)
    make_live(settings, local.build_id, keep=2)
    return MilvusStore.open(open_index(built[0], head_only=True), settings)


@pytest.fixture(scope="module")
def reference(local: OpenIndex) -> LocalStore:
    return LocalStore(local)


def _scopes(local: OpenIndex) -> list[Scope]:
    docs = list(local.docs)
    region, other = local.docs[docs[0]].region, local.docs[docs[1]].region
    return [Scope(), Scope((region,)), Scope((), (docs[1],)), Scope((other,), (docs[1],))]


def test_dense_search_finds_what_the_local_store_finds(
    store: object, reference: LocalStore, local: OpenIndex
) -> None:
    for question in QUESTIONS:
        vector = local.encoder.encode_queries([question])[0]
        for scope in _scopes(local):
            got = store.dense_search(vector, 8, scope)
            want = reference.dense_search(vector, 8, scope)
            assert [row for row, _ in got] == [row for row, _ in want], (question, scope)
            np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


def test_term_search_ranks_as_the_local_store(
    store: object, reference: LocalStore, local: OpenIndex
) -> None:
    for question in QUESTIONS:
        terms = local.tokenizer.tokens(question)
        for scope in _scopes(local):
            got = [row for row, _ in store.term_search(terms, 8, scope)]
            want = [row for row, _ in reference.term_search(terms, 8, scope)]
            assert got == want, (question, scope)
    assert store.term_search(["量子计算机不存在的词"], 5, Scope()) == []


def test_a_scope_keeps_its_rows_only(store: object, local: OpenIndex) -> None:
    vector = local.encoder.encode_queries(["产业"])[0]
    for scope in _scopes(local)[1:]:
        rows = [row for row, _ in store.dense_search(vector, 50, scope)]
        chunks = store.passages(rows)
        assert rows and all(scope.allows(c.doc, c.region) for c in chunks)
    assert store.dense_search(vector, 5, Scope(("没有这个地区",))) == []


def test_passages_units_and_sections_come_back_as_stored(
    store: object, reference: LocalStore
) -> None:
    rows = [3, 0, 7, 3]
    assert store.passages(rows) == reference.passages(rows)
    for got, want in zip(store.unit_vectors(rows), reference.unit_vectors(rows), strict=True):
        np.testing.assert_array_equal(got, want)
    doc = reference.doc_paths[0]
    np.testing.assert_array_equal(store.doc_rows(doc), reference.doc_rows(doc))
    chunk = reference.passages([5])[0]
    assert store.section_rows(chunk.doc, chunk.section) == reference.section_rows(
        chunk.doc, chunk.section
    )
    top = chunk.section[:1]
    below = store.section_rows(chunk.doc, top, below=True)
    assert below == reference.section_rows(chunk.doc, top, below=True)
    assert set(store.section_rows(chunk.doc, chunk.section)) <= set(below)
    assert all(c.section[:1] == top for c in store.passages(below))


def test_answers_do_not_depend_on_the_store(
    store: object, local: OpenIndex, built: tuple[Path, object]
) -> None:
    settings = built[1]
    here = QAService(local, settings)
    there = QAService(local, settings, store)
    for question in QUESTIONS:
        a, b = here.ask(question), there.ask(question)
        assert (a.text, a.abstained) == (b.text, b.abstained), question
        assert [h.row for h in a.hits] == [h.row for h in b.hits], question


def test_the_service_opens_a_milvus_build_by_its_head(
    built: tuple[Path, object], local: OpenIndex, tmp_path: Path
) -> None:
    root, settings = built
    store_settings = StoreSettings(backend="milvus", uri=str(tmp_path / "m.db"))
    publish(resolve_live(root), store_settings)
    make_live(store_settings, local.build_id, keep=2)
    service = QAService.open(root, replace(settings, store=store_settings))
    assert isinstance(service.store, MilvusStore)
    assert service.index.chunks is None  # the passages come from Milvus
    assert service.ask(QUESTIONS[0]).text == QAService(local, settings).ask(QUESTIONS[0]).text
    assert collection_name(store_settings, local.build_id) == service.store.name
