"""HTML and text rendering of answers and sources: escaping, highlighting, context, copy text."""

from __future__ import annotations

import re

from rag.types import Answer, Chunk, Citation, DocMeta, Hit
from ui.render import (
    SectionContext,
    SourceCard,
    chat_markdown,
    clip_context,
    copy_text,
    escape_markdown,
    highlight,
    meta_line,
    render_card,
    render_sources,
)

SOURCE = (
    "前言。第二节 做精做强主导产业\n重点布局氢能与燃料电池产业。建设3-5座加氢站。打造产业高地。"
)
XSS = "正文<script>alert(1)</script>以及<img src=x onerror=alert(1)>结束。"
META = DocMeta(
    title="新乡高新区“十四五”规划", region="新乡高新区", date="2021-10-14",
    doc_number="新开〔2021〕91号",
)  # fmt: skip


def _chunk(text: str, start: int, doc: str = "xinxiang.txt", page: int | None = None) -> Chunk:
    return Chunk(
        chunk_id=f"{doc}:{start}", doc=doc, title=META.title, region=META.region,
        section=("第四章 建设实力高新", "第二节 做精做强主导产业"), start=start,
        end=start + len(text), text=text, index_text=text, page=page,
    )  # fmt: skip


def _passage() -> Chunk:
    start = SOURCE.index("重点")
    return _chunk(SOURCE[start:], start)


def _answer(chunk: Chunk, spans: tuple[tuple[int, int], ...], **kw: object) -> Answer:
    citation = Citation(1, Hit(chunk, 0.9, 1), spans)
    fields = {"text": "重点布局氢能与燃料电池产业。[1]", "abstained": False}
    fields.update(kw)
    return Answer(question="氢能目标", citations=(citation,), **fields)  # type: ignore[arg-type]


def _span(text: str, chunk: Chunk) -> tuple[int, int]:
    start = chunk.start + chunk.text.index(text)
    return start, start + len(text)


def test_highlight_marks_source_spans_and_escapes_everything() -> None:
    chunk = _chunk(XSS, 100)
    html = highlight(chunk.text, chunk.start, [_span("以及", chunk)])
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<mark>以及</mark>" in html
    # Unescaping and dropping our tags gives the passage back, character for character.
    plain = re.sub(r"</?mark>", "", html).replace("&lt;", "<").replace("&gt;", ">")
    assert plain == XSS


def test_highlight_clips_spans_outside_the_text_and_merges_overlaps() -> None:
    html = highlight("甲乙丙丁戊", 10, [(8, 12), (11, 13), (20, 30)])
    assert html == "<mark>甲乙丙</mark>丁戊"


def test_highlight_region_wraps_the_passage_inside_its_context() -> None:
    html = highlight("前文重点后文", 0, [(2, 4)], region=(2, 4))
    assert html == '前文<span class="pq-here"><mark>重点</mark></span>后文'


def test_card_shows_title_meta_section_and_marked_sentence() -> None:
    chunk = _passage()
    card = render_card(SourceCard("[1]", chunk, META, (_span("建设3-5座加氢站。", chunk),)))
    assert f'<span class="pq-title">{META.title}</span>' in card
    assert "新乡高新区 · 2021-10-14 · 新开〔2021〕91号" in card
    assert "第四章 建设实力高新 › 第二节 做精做强主导产业" in card
    assert "<mark>建设3-5座加氢站。</mark>" in card
    assert "查看原文上下文" not in card  # no context given, no expander


def test_card_context_expander_highlights_the_passage_at_its_place() -> None:
    chunk = _passage()
    section_text = SOURCE[SOURCE.index("第二节") :]
    start = section_text.index(chunk.text)
    context = SectionContext(section_text, start, start + len(chunk.text))
    card = render_card(
        SourceCard("[1]", chunk, META, (_span("建设3-5座加氢站。", chunk),), context)
    )
    expander = card[card.index("<details") :]
    assert "<summary>查看原文上下文</summary>" in expander
    assert "第二节 做精做强主导产业" in expander  # text around the passage is there
    assert '<span class="pq-here"><mark>建设3-5座加氢站。</mark></span>' in expander


def test_clip_context_keeps_a_window_around_the_passage() -> None:
    text = "甲" * 5000 + "目标段落" + "乙" * 5000
    cut, offset = clip_context(SectionContext(text, 5000, 5004), radius=100)
    assert offset == 4900
    assert cut.text[cut.start : cut.end] == "目标段落"
    assert len(cut.text) == 204


def test_long_context_is_rendered_with_ellipses() -> None:
    text = "甲" * 3000 + "重点" + "乙" * 3000
    chunk = _chunk("重点", 7000)
    card = render_card(SourceCard("[1]", chunk, META, (), SectionContext(text, 3000, 3002)))
    body = card[card.index('class="pq-context-text">') :]
    assert body.startswith('class="pq-context-text">…甲')
    assert body.count("甲") == 1500 and "乙…</div>" in body


def test_meta_line_names_missing_fields_and_pages() -> None:
    chunk = _chunk("正文", 0, page=3)
    assert meta_line(chunk, DocMeta()) == "新乡高新区 · 日期未注明 · 无文号 · 第 3 页"


def test_sources_panel_shows_notices_and_abstention_wording() -> None:
    chunk = _chunk(XSS, 0)
    answer = Answer(
        "问", "未在已收录的文件中找到相关内容。", (), abstained=True,
        notices=("证据较弱<b>",), hits=(Hit(chunk, 0.1, 1),),
    )  # fmt: skip
    html = render_sources(answer, [SourceCard("可能相关 1", chunk, META)])
    assert "注意：证据较弱&lt;b&gt;" in html
    assert "以下段落可能相关" in html and "可能相关 1" in html
    assert "<script" not in html
    assert "提问后" in render_sources(None, [])


def test_escape_markdown_shows_text_literally() -> None:
    assert escape_markdown("<b>*粗*</b> [1] # 1.") == r"&lt;b&gt;\*粗\*&lt;/b&gt; \[1\] \# 1."
    assert escape_markdown("1. 项目\n- 条目\n  2) 另一项\n===") == (
        "1\\. 项目\n\\- 条目\n  2\\) 另一项\n\\==="
    )


def test_chat_markdown_has_escaped_text_notices_and_short_source_list() -> None:
    chunk = _chunk(XSS, 0)
    answer = _answer(chunk, (), text=f"{XSS}[1]", notices=("地区混合",))
    md = chat_markdown(answer, {chunk.doc: META})
    assert "<script" not in md and "&lt;script&gt;" in md
    assert "注意：地区混合" in md
    assert r"\[1\] 《新乡高新区“十四五”规划》（2021-10-14） 第四章" in md


def test_copy_text_is_answer_then_numbered_sources() -> None:
    chunk = _passage()
    answer = _answer(chunk, (_span("重点布局氢能与燃料电池产业。", chunk),), notices=("注意此项",))
    text = copy_text(answer, {chunk.doc: META})
    lines = text.splitlines()
    assert lines[0] == "重点布局氢能与燃料电池产业。[1]"
    assert "注意：注意此项" in lines
    assert lines[lines.index("出处：") + 1].startswith(
        "[1] 《新乡高新区“十四五”规划》（2021-10-14） 第四章 建设实力高新 › 第二节"
    )
    assert "新开〔2021〕91号" in text and "「重点布局氢能与燃料电池产业。建设3-5座加氢站。" in text
