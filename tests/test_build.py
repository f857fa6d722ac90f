"""Building and publishing: reuse of embeddings, removed files, skipped files, killed builds."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.build import BuildReport, NoDocumentsError, build_index
from index.build_files import read_chunks, read_vectors
from index.publish import BUILDS, CURRENT, BuildInProgressError, build_lock, list_builds
from index.store import open_index
from rag.config import EmbeddingSettings, IndexSettings, Settings

ROOT = Path(__file__).resolve().parents[1]

DOCS = {
    "xinxiang.txt": """新乡高新区氢能产业发展规划

第一章 总体要求

第一节 发展目标
到2025年，新乡高新区氢能产业产值达到100亿元，建成加氢站5座。

第二章 重点任务
建设氢能装备制造基地，引进燃料电池整车企业。
""",
    "heyuan.txt": """河源市高新区国民经济和社会发展规划

第一章 发展基础
2020年，河源高新区规上工业总产值489.5亿元，同比增长4%。

第二章 产业体系
做大电子信息产业集群，发展新材料产业。
""",
    "sub/xiangyang.md": """襄阳高新区生态环境保护规划

第一章 生态环境
空气质量优良天数比例达到80%以上，建成区绿化覆盖率达到40%。
""",
}

KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
from index.build import build_index
from rag.config import EmbeddingSettings, IndexSettings, Settings

def progress(stage: str, done: int, total: int) -> None:
    # Killed in the middle of embedding, its temp folder holding a half-made build.
    if stage == "embed" and done >= int(sys.argv[4]):
        os.kill(os.getpid(), signal.SIGKILL)

embedding = EmbeddingSettings(model=sys.argv[3], query_prompt="", passage_prompt="")
settings = Settings(embedding=embedding, index=IndexSettings(batch_chunks=2))
build_index(Path(sys.argv[1]), Path(sys.argv[2]), settings, progress)
"""


@pytest.fixture
def settings(tiny_model_dir: Path) -> Settings:
    embedding = EmbeddingSettings(model=str(tiny_model_dir), query_prompt="", passage_prompt="")
    return Settings(embedding=embedding)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    for name, text in DOCS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    return folder


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def first(docs: Path, root: Path, settings: Settings) -> BuildReport:
    return build_index(docs, root, settings)


def _answers(root: Path, question: str) -> set[str]:
    """Documents of the passages BM25 finds for `question` in the live index."""
    index = open_index(root)
    hits = index.sparse_search(index.tokenizer.tokens(question), k=5)
    return {index.chunks[row].doc for row, _ in hits}


def test_first_build_embeds_everything_and_skips_the_unreadable(
    first: BuildReport, root: Path
) -> None:
    assert first.documents == 3
    assert first.chunks > 3
    assert (first.embeddings_new, first.embeddings_reused) == (first.chunks, 0)
    assert [path for path, _ in first.skipped] == ["empty.txt"]
    assert first.skipped[0][1]  # the reason
    assert (root / CURRENT).read_text(encoding="utf-8").strip() == first.build_id
    assert first.index_dir == root / BUILDS / first.build_id
    manifest = json.loads((first.index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["chunks"] == first.chunks
    assert sorted(manifest["sources"]) == ["heyuan.txt", "sub/xiangyang.md", "xinxiang.txt"]
    assert manifest["skipped"][0]["path"] == "empty.txt"
    assert _answers(root, "加氢站") == {"xinxiang.txt"}


def test_unchanged_rebuild_reuses_every_embedding(
    first: BuildReport, docs: Path, root: Path, settings: Settings
) -> None:
    second = build_index(docs, root, settings)
    assert (second.embeddings_new, second.embeddings_reused) == (0, first.chunks)
    assert second.build_id != first.build_id
    np.testing.assert_array_equal(read_vectors(second.index_dir), read_vectors(first.index_dir))
    assert list_builds(root) == [first.build_id, second.build_id]
    third = build_index(docs, root, settings)
    assert list_builds(root) == [first.build_id, second.build_id, third.build_id]
    fourth = build_index(docs, root, replace(settings, index=IndexSettings(keep_builds=2)))
    assert list_builds(root) == [third.build_id, fourth.build_id]


def test_an_edit_reembeds_only_the_changed_passages(
    first: BuildReport, docs: Path, root: Path, settings: Settings
) -> None:
    path = docs / "heyuan.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("489.5", "512.3"), encoding="utf-8")
    report = build_index(docs, root, settings)
    assert report.embeddings_new >= 1
    assert report.embeddings_reused >= 1
    assert report.embeddings_new + report.embeddings_reused == report.chunks
    assert _answers(root, "512.3") == {"heyuan.txt"}


def test_a_removed_file_disappears_from_the_index(
    first: BuildReport, docs: Path, root: Path, settings: Settings
) -> None:
    (docs / "xinxiang.txt").unlink()
    report = build_index(docs, root, settings)
    assert report.documents == 2
    assert "xinxiang.txt" not in {c.doc for c in read_chunks(report.index_dir)}
    assert "xinxiang.txt" not in open_index(root).docs
    assert _answers(root, "氢能") == set()


def test_no_readable_document_is_an_error_that_publishes_nothing(
    tmp_path: Path, root: Path, settings: Settings
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    with pytest.raises(NoDocumentsError, match=r"no readable documents .*empty.txt"):
        build_index(folder, root, settings)
    with pytest.raises(NoDocumentsError, match="does not exist"):
        build_index(tmp_path / "absent", root, settings)
    assert not (root / CURRENT).exists()
    assert list((root / BUILDS).iterdir()) == []


def test_a_failing_build_leaves_the_previous_index_serving(
    first: BuildReport, docs: Path, root: Path, settings: Settings
) -> None:
    def fail(stage: str, done: int, total: int) -> None:
        if stage == "embed":
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        build_index(docs, root, settings, progress=fail)
    assert (root / CURRENT).read_text(encoding="utf-8").strip() == first.build_id
    assert list_builds(root) == [first.build_id]
    assert [p.name for p in (root / BUILDS).iterdir()] == [first.build_id]
    assert _answers(root, "加氢站") == {"xinxiang.txt"}


def test_a_killed_build_leaves_the_previous_index_serving(
    first: BuildReport, docs: Path, root: Path, settings: Settings, tiny_model_dir: Path
) -> None:
    killed = _killed_build(docs, root, tiny_model_dir, after=2)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    leftovers = [p.name for p in (root / BUILDS).iterdir() if p.name.startswith(".tmp-")]
    assert len(leftovers) == 1
    assert (root / CURRENT).read_text(encoding="utf-8").strip() == first.build_id
    assert _answers(root, "加氢站") == {"xinxiang.txt"}

    build_index(docs, root, settings)
    assert not [p for p in (root / BUILDS).iterdir() if p.name.startswith(".tmp-")]


def test_a_second_concurrent_build_is_refused(docs: Path, root: Path, settings: Settings) -> None:
    with build_lock(root), pytest.raises(BuildInProgressError, match="another build"):
        build_index(docs, root, settings)


def _killed_build(
    docs: Path, root: Path, model: Path, after: int
) -> subprocess.CompletedProcess[str]:
    """A build in a child process, killed once `after` passages are embedded."""
    return subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, str(docs), str(root), str(model), str(after)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_killed_build_resumes_without_embedding_again_what_it_finished(
    docs: Path, root: Path, settings: Settings, tiny_model_dir: Path
) -> None:
    killed = _killed_build(docs, root, tiny_model_dir, after=4)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (root / CURRENT).exists()
    report = build_index(docs, root, settings)
    assert report.embeddings_reused == 4
    assert report.embeddings_new == report.chunks - 4
    again = build_index(docs, root, settings)
    assert (again.embeddings_new, again.embeddings_reused) == (0, report.chunks)
