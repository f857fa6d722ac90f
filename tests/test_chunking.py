"""Section-aware chunking on the demo corpus and on small made texts."""

from __future__ import annotations

import pytest

from rag.config import ChunkSettings
from rag.reading.chunking import SEPARATORS, chunk_document
from rag.reading.metadata import extract_meta
from rag.reading.sections import build_sections, find_headings
from rag.types import Chunk, DocMeta, SourceDoc
from tests.conftest import CORPUS

SETTINGS = ChunkSettings()


def _doc(name: str) -> SourceDoc:
    text = (CORPUS / name).read_text(encoding="utf-8")
    return SourceDoc(name, text, extract_meta(text))


@pytest.fixture(scope="module")
def corpus_chunks() -> dict[str, tuple[SourceDoc, list[Chunk]]]:
    out = {}
    for path in sorted(CORPUS.glob("*.txt")):
        doc = _doc(path.name)
        out[path.name[:3]] = (doc, chunk_document(doc, SETTINGS))
    return out


def test_every_chunk_is_exact_source_text_with_a_section_path(corpus_chunks) -> None:
    for doc, chunks in corpus_chunks.values():
        assert chunks
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert c.section and all(c.section)
            assert c.text.strip() == c.text
            assert c.index_text.endswith(c.text) or "表：" in c.index_text or "列：" in c.index_text


def test_chunks_stay_inside_their_section(corpus_chunks) -> None:
    for doc, chunks in corpus_chunks.values():
        sections = {s.path: s for s in build_sections(doc.text, find_headings(doc.text))}
        for c in chunks:
            if c.section in sections:
                s = sections[c.section]
                assert s.body_start <= c.start and c.end <= s.end, c.section


def test_chunk_sizes_are_capped(corpus_chunks) -> None:
    for _, chunks in corpus_chunks.values():
        prose = [c for c in chunks if "列：" not in c.index_text]
        assert max(len(c.text) for c in prose) <= SETTINGS.max_chars


def test_table_of_contents_yields_no_chunk(corpus_chunks) -> None:
    doc, chunks = corpus_chunks["003"]
    toc_start = doc.text.index("目 录")
    preface = doc.text.index("序 言")  # the TOC ends where the preface begins
    body_start = doc.text.index("第一章 砥砺奋进")
    assert all(c.end <= toc_start or c.start >= preface for c in chunks)
    first_chapter = [c for c in chunks if c.section[0].startswith("第一章")]
    assert first_chapter and all(c.start >= body_start for c in first_chapter)


def test_hydrogen_targets_sit_in_one_chunk_of_the_right_section(corpus_chunks) -> None:
    _, chunks = corpus_chunks["001"]
    hits = [c for c in chunks if "燃料电池电堆企业1-2家" in c.text and "3-5座加氢站" in c.text]
    assert len(hits) >= 1
    assert hits[0].section == ("第四章建设实力高新,加快发展现代产业体系", "第二节做精做强主导产业")
    assert "新乡高新区" in hits[0].index_text.splitlines()[0]


def test_heading_broken_over_two_lines_is_rejoined(corpus_chunks) -> None:
    _, chunks = corpus_chunks["000"]
    chapters = {c.section[0] for c in chunks}
    assert "第五章 深化体制改革,营造优质高效的营商环境" in chapters
    assert "第三章 聚力创新创造,建设创新驱动发展示范区" in chapters
    assert not any(ch.startswith("第六章营商环境") for ch in chapters)


def test_run_in_headings_are_recognized(corpus_chunks) -> None:
    _, chunks = corpus_chunks["001"]
    assert any(c.section[-1] == "第一节发展的现实基础" for c in chunks)


def test_flattened_indicator_table_becomes_readable_rows(corpus_chunks) -> None:
    doc, chunks = corpus_chunks["000"]
    table = [c for c in chunks if "一般公共预算收入 | 亿元 | 2016年完成值 4.06" in c.index_text]
    assert len(table) == 1
    chunk = table[0]
    assert "列：序号 | 指标 | 单位 | 2016年完成值" in chunk.index_text
    assert "指标属性 预期性" in chunk.index_text
    assert doc.text[chunk.start : chunk.end] == chunk.text
    # every row group repeats the header
    groups = [c for c in chunks if "2020年完成值" in c.index_text]
    assert len(groups) >= 2 and all("列：" in c.index_text for c in groups)
    assert any("发明专利授权量 | 2016年完成值 10" in c.index_text for c in groups)


def test_boilerplate_never_reaches_a_chunk(corpus_chunks) -> None:
    for _, chunks in corpus_chunks.values():
        for c in chunks:
            assert "扫一扫在手机打开当前页" not in c.text
            assert "字体【" not in c.text


def test_regex_separators_are_not_written_into_chunks() -> None:
    body = "。".join(f"第{i}句话讲述政策内容,包括目标、任务和措施" for i in range(60)) + "。"
    text = f"第一章 总则\n{body}\n"
    doc = SourceDoc("t.txt", text, DocMeta(title="测试", region="某区"))
    chunks = chunk_document(doc, ChunkSettings(max_chars=120, overlap_chars=20))
    assert len(chunks) > 5
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert not any(sep in c.text for sep in SEPARATORS if sep.startswith("["))
        assert len(c.text) <= 120
        assert c.text.endswith("。") or c.end == len(text.rstrip())


def test_heading_kinds_nest_in_conventional_order() -> None:
    text = (
        "一、总体要求\n(一)指导思想\n坚持创新。\n(二)发展目标\n1.经济目标。到2025年产值100亿元。\n"
        "2.创新目标。研发投入3亿元。\n二、保障措施\n加强领导。\n"
    )
    doc = SourceDoc("t.txt", text, DocMeta(title="方案"))
    paths = [c.section for c in chunk_document(doc, SETTINGS)]
    assert ("一、总体要求", "(一)指导思想") in paths
    assert ("一、总体要求", "(二)发展目标", "1.经济目标") in paths
    assert ("二、保障措施",) in paths


def test_decimals_and_years_are_not_headings() -> None:
    text = "第一章 总则\n1.5亿元的投入。\n2020年完成目标。\n"
    headings = find_headings(text)
    assert [h.kind for h in headings] == ["章"]


def test_markdown_heading_marks_do_not_hide_headings() -> None:
    text = "# 某区氢能方案\n\n## 一、总体要求\n\n坚持创新。\n\n### （一）发展目标\n\n建站5座。\n"
    doc = SourceDoc("t.md", text, extract_meta(text))
    chunks = chunk_document(doc, SETTINGS)
    assert doc.meta.title == "某区氢能方案"
    assert ("一、总体要求", "（一）发展目标") in [c.section for c in chunks]
    for c in chunks:
        assert text[c.start : c.end] == c.text


def test_progress_reports_the_offset_reached() -> None:
    text = "".join(f"第{i}章 任务{i}\n推动第{i}项任务。\n" for i in range(1, 30))
    seen: list[int] = []
    chunk_document(SourceDoc("t.txt", text, DocMeta()), SETTINGS, seen.append)
    assert seen == sorted(seen) and len(seen) >= 29
    assert seen[-1] == len(text)
