"""The index folder: round trip, no pickle, consistency checks, and both searchers' edge cases."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from index.embedder import Encoder
from index.manifest import SCHEMA_VERSION, read_manifest
from index.publish import new_build_id, publish_build, start_build
from index.store import (
    IndexMismatchError,
    IndexNotFoundError,
    OpenIndex,
    make_tokenizer,
    open_index,
)
from index.unit_vectors import encode_with_units
from index.writer import write_index
from rag.answering.units import unit_spans
from rag.config import EmbeddingSettings
from rag.tokenize import user_words_from_chunks
from rag.types import Chunk, DocMeta

TEXTS = [
    ("a.txt", "新乡高新区", ("第一章 总体要求",), "新乡高新区大力发展氢能产业，建设加氢站5座。"),
    ("a.txt", "新乡高新区", ("第一章 总体要求", "第二节 目标"), "到2025年氢能产值达到100亿元。"),
    ("b.txt", "河源市高新区", ("第三章 产业体系",), "河源高新区推进电子信息产业集群发展。"),
    ("b.txt", "河源市高新区", ("第四章 基础设施",), "完善交通基础设施，建设高速公路网络。"),
    ("c.pdf", "", (), "生态环境质量持续改善，空气优良天数比例提高。"),
]
DOCS = {
    "a.txt": DocMeta(title="新乡高新区氢能规划", region="新乡高新区", date="2021-12-01"),
    "b.txt": DocMeta(
        title="河源市高新区十四五规划", region="河源市高新区", doc_number="河高〔2022〕1号"
    ),
    "c.pdf": DocMeta(title="生态环境规划"),
}


def _chunks() -> list[Chunk]:
    chunks = []
    for i, (doc, region, section, text) in enumerate(TEXTS):
        title = DOCS[doc].title
        chunks.append(
            Chunk(
                chunk_id=f"c{i}",
                doc=doc,
                title=title,
                region=region,
                section=section,
                start=10 * i,
                end=10 * i + len(text),
                text=text,
                index_text=f"{title} {text}",
                page=2 if doc == "c.pdf" else None,
            )
        )
    return chunks


def write_test_index(root: Path, encoder: Encoder, chunks: list[Chunk]) -> Path:
    """Publish a build of `chunks` under `root`, as the builder would."""
    tokenizer = make_tokenizer(user_words_from_chunks(chunks))
    build_id = new_build_id()
    tmp = start_build(root, build_id)
    manifest = {
        "build_id": build_id,
        "embedding": {
            **asdict(encoder.settings),
            "model_id": encoder.model_id,
            "fingerprint": encoder.fingerprint,
            "dim": encoder.dim,
        },
        "tokenizer": tokenizer.settings(),
        "counts": {"documents": len(DOCS), "sections": 4, "chunks": len(chunks)},
    }
    vectors, units = encode_with_units(
        encoder, [c.index_text for c in chunks], [unit_spans(c) for c in chunks]
    )
    tokens = [tokenizer.tokens(c.index_text) for c in chunks]
    write_index(tmp, chunks, vectors, units, tokens, DOCS, manifest)
    return publish_build(root, tmp, build_id)


@pytest.fixture(scope="session")
def settings(tiny_model_dir: Path) -> EmbeddingSettings:
    return EmbeddingSettings(model=str(tiny_model_dir), query_prompt="", passage_prompt="")


@pytest.fixture(scope="session")
def encoder(settings: EmbeddingSettings) -> Encoder:
    return Encoder.load(settings)


@pytest.fixture(scope="session")
def store_root(
    tmp_path_factory: pytest.TempPathFactory, encoder: Encoder, session_home: Path
) -> Path:
    root = tmp_path_factory.mktemp("store") / "index"
    # Session fixtures run before the per-test home is set: point the app home here too.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POLICYQA_HOME", str(session_home))
        write_test_index(root, encoder, _chunks())
    return root


@pytest.fixture(scope="session")
def opened(store_root: Path) -> OpenIndex:
    return open_index(store_root)


@pytest.fixture
def copy_root(store_root: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(store_root, tmp_path / "index"))


def test_round_trip_gives_back_chunks_docs_and_settings(
    opened: OpenIndex, encoder: Encoder
) -> None:
    assert list(opened.chunks) == _chunks()
    assert opened.docs == DOCS
    assert opened.chunks[1].section_path == "第一章 总体要求 › 第二节 目标"
    assert opened.chunks[4].section == ()
    assert opened.manifest["schema_version"] == SCHEMA_VERSION
    assert opened.encoder.fingerprint == encoder.fingerprint
    assert "新乡高新区" in opened.tokenizer.user_words


def test_chunks_jsonl_rows_carry_the_documented_fields(opened: OpenIndex) -> None:
    lines = (opened.path / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["row"] for r in records] == list(range(len(TEXTS)))
    # `page` only for paged documents (PDF), as in every other JSON shape of a chunk.
    assert set(records[0]) == {
        "row", "chunk_id", "doc", "title", "region", "section",
        "start", "end", "text", "index_text",
    }  # fmt: skip
    assert records[1]["section"] == "第一章 总体要求 › 第二节 目标"


def test_index_files_hold_no_pickle(opened: OpenIndex) -> None:
    files = [p for p in opened.path.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} <= {".json", ".jsonl", ".faiss", ".npy"}
    for path in files:
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)  # raises on object arrays


def test_dense_search_drops_padding_when_k_exceeds_the_index(opened: OpenIndex) -> None:
    query = opened.encoder.encode_passages([opened.chunks[2].index_text])[0]
    hits = opened.dense_search(query, k=50)
    assert hits[0][0] == 2
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert sorted(row for row, _ in hits) == list(range(len(TEXTS)))
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_dense_search_within_rows_returns_only_those(opened: OpenIndex) -> None:
    query = opened.encoder.encode_passages([opened.chunks[2].index_text])[0]
    hits = opened.dense_search(query, k=10, rows=np.array([0, 3]))
    assert sorted(row for row, _ in hits) == [0, 3]
    assert opened.dense_search(query, k=10, rows=np.array([], dtype=np.int64)) == []


def test_sparse_search_drops_documents_without_a_query_term(opened: OpenIndex) -> None:
    tokens = opened.tokenizer.tokens("氢能产值")
    hits = opened.sparse_search(tokens, k=50)
    assert {row for row, _ in hits} == {0, 1}
    assert all(score > 0 for _, score in hits)
    assert hits[0][0] == 1  # both terms beat one


def test_sparse_search_with_only_unknown_terms_returns_nothing(opened: OpenIndex) -> None:
    assert opened.sparse_search(opened.tokenizer.tokens("量子计算机"), k=5) == []
    assert opened.sparse_search([], k=5) == []


def test_sparse_search_within_rows_returns_only_those(opened: OpenIndex) -> None:
    tokens = opened.tokenizer.tokens("新乡高新区 河源高新区 产业")
    everywhere = {row for row, _ in opened.sparse_search(tokens, k=10)}
    assert {0, 2} <= everywhere
    within = opened.sparse_search(tokens, k=10, rows=np.array([2, 3, 4]))
    assert {row for row, _ in within} == everywhere & {2, 3, 4}


def test_missing_index_names_the_build_command(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match=r"policyqa index build --index .*nowhere"):
        open_index(tmp_path / "nowhere")


def test_count_mismatch_names_the_build_command(copy_root: Path) -> None:
    folder = next((copy_root / "builds").iterdir())
    chunks = folder / "chunks.jsonl"
    lines = chunks.read_text(encoding="utf-8").splitlines(keepends=True)
    chunks.write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(
        IndexMismatchError, match=r"chunks.jsonl has \d+ bytes, the manifest records \d+: rebuild"
    ):
        open_index(copy_root)


def test_newer_schema_asks_for_a_rebuild_with_this_version(copy_root: Path) -> None:
    folder = next((copy_root / "builds").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["schema_version"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="rebuild with this version: `policyqa index"):
        read_manifest(folder)
    with pytest.raises(IndexMismatchError, match="schema version 99"):
        open_index(copy_root)


def test_another_model_than_the_index_was_built_with_names_both(
    store_root: Path, settings: EmbeddingSettings
) -> None:
    with pytest.raises(IndexMismatchError) as err:
        open_index(store_root, model="some/other-model")
    assert settings.model in str(err.value)
    assert "some/other-model" in str(err.value)
    assert "--model some/other-model" in str(err.value)
    assert open_index(store_root, model=settings.model).chunks


def test_a_build_folder_opens_directly(opened: OpenIndex) -> None:
    assert list(open_index(opened.path).chunks) == list(opened.chunks)
