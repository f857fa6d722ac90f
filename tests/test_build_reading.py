"""The reading side of a build: progress through large files, the size limit, links."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from index.build import build_index
from index.build_files import read_chunks
from index.config import ConfigError, load_settings
from rag.config import DocumentSettings, EmbeddingSettings, Settings

PLAN = "某区产业发展规划\n\n第一章 总体要求\n\n推动某区先进制造业高质量发展，建设产业园区。\n"


@pytest.fixture
def settings(tiny_model_dir: Path) -> Settings:
    embedding = EmbeddingSettings(model=str(tiny_model_dir), query_prompt="", passage_prompt="")
    return Settings(embedding=embedding)


def _long_plan(chapters: int) -> str:
    return "某区产业发展规划\n" + "".join(
        f"第{i}章 任务{i}\n推动第{i}项任务落实，完成年度目标。\n" for i in range(1, chapters + 1)
    )


def test_progress_counts_bytes_read_and_chunked(tmp_path: Path, settings: Settings) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(PLAN, encoding="utf-8")
    (docs / "big.txt").write_text(_long_plan(300), encoding="utf-8")
    events: list[tuple[str, int, int]] = []
    build_index(docs, tmp_path / "index", settings, lambda *e: events.append(e))

    load = [(done, total) for stage, done, total in events if stage == "load"]
    size = sum(p.stat().st_size for p in docs.iterdir())
    assert load[0] == (0, size) and load[-1] == (size, size)
    # Inside the big document the bar moves section by section, never backwards.
    assert len(load) > 300
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(load))
    embed = [(done, total) for stage, done, total in events if stage == "embed"]
    assert embed[-1][0] == embed[-1][1] > 300


def test_a_file_over_the_size_limit_is_skipped_with_the_reason(
    tmp_path: Path, settings: Settings
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(PLAN, encoding="utf-8")
    (docs / "big.txt").write_text(_long_plan(3000), encoding="utf-8")  # ~160 KB
    limited = Settings(embedding=settings.embedding, documents=DocumentSettings(0.1))
    report = build_index(docs, tmp_path / "index", limited)
    assert report.documents == 1
    [(path, reason)] = report.skipped
    assert path == "big.txt"
    assert reason.startswith("too large: 0.2 MB, over the limit of 0.1 MB")


def test_a_link_inside_the_folder_gives_no_duplicate_chunks(
    tmp_path: Path, settings: Settings
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(PLAN, encoding="utf-8")
    (docs / "b.txt").symlink_to("a.txt")
    report = build_index(docs, tmp_path / "index", settings)
    chunks = read_chunks(report.index_dir)
    assert {c.doc for c in chunks} == {"a.txt"}
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert report.skipped == (("b.txt", "symbolic link to a.txt: indexed once, as a.txt"),)


def test_max_document_mb_is_a_checked_setting(tmp_path: Path) -> None:
    config = tmp_path / "qa.toml"
    config.write_text("[documents]\nmax_document_mb = 50\n", encoding="utf-8")
    assert load_settings(config).documents.max_document_mb == 50.0
    assert load_settings(None).documents == DocumentSettings(max_document_mb=200.0)
    config.write_text("[documents]\nmax_document_mb = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"documents\.max_document_mb must be positive"):
        load_settings(config)
