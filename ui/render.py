"""Pure rendering of answers and sources: every piece of document text is escaped here.

Document text is untrusted (a web page saved as a policy may carry `<script>`), so
nothing from a document reaches the browser without `html.escape`; the only tags
in the output are the ones built in this module.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rag.types import Answer, Chunk, DocMeta

CONTEXT_RADIUS = 1500  # characters of section text kept on each side of the passage
EXCERPT_CHARS = 120  # characters of each passage in the copied source list

# Punctuation that is Markdown anywhere in a line, and list/heading markers at a line start.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|~$])")
_LINE_START_MARKER = re.compile(r"^(\s*)(\d+[.)]|[-+=])", re.MULTILINE)


@dataclass(frozen=True)
class SectionContext:
    """The section around a passage: its text and the passage's span inside it."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SourceCard:
    """One passage to show in the sources panel, with what a reader needs to trust it."""

    label: str  # "[1]" for a citation, "可能相关 1" for a passage shown on abstention
    chunk: Chunk
    meta: DocMeta
    spans: tuple[tuple[int, int], ...] = ()  # source offsets of cited sentences
    context: SectionContext | None = None


def highlight(
    text: str,
    base: int,
    marks: Sequence[tuple[int, int]],
    region: tuple[int, int] | None = None,
) -> str:
    """Escape `text` (starting at source offset `base`), wrapping `marks` in <mark>.

    `region` (text-relative) is wrapped in a `pq-here` span: the passage inside its
    section context. Tags are opened and closed per run of text in one state, so the
    output nests correctly however the spans overlap.
    """
    local = _clip_spans(((s - base, e - base) for s, e in marks), len(text))
    cuts = {0, len(text)}
    for start, end in local:
        cuts.update((start, end))
    if region is not None:
        cuts.update(max(0, min(len(text), x)) for x in region)
    points = sorted(cuts)
    # Consecutive pieces in the same state are joined, so each tag opens once per run.
    runs: list[tuple[bool, bool, str]] = []
    for start, end in itertools.pairwise(points):
        marked = any(s <= start and end <= e for s, e in local)
        inside = region is not None and region[0] <= start and end <= region[1]
        if runs and runs[-1][:2] == (marked, inside):
            runs[-1] = (marked, inside, runs[-1][2] + text[start:end])
        else:
            runs.append((marked, inside, text[start:end]))
    out: list[str] = []
    for marked, inside, piece in runs:
        shown = html.escape(piece)
        if marked:
            shown = f"<mark>{shown}</mark>"
        if inside:
            shown = f'<span class="pq-here">{shown}</span>'
        out.append(shown)
    return "".join(out)


def _clip_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    clipped = []
    for start, end in spans:
        s, e = max(0, start), min(length, end)
        if s < e:
            clipped.append((s, e))
    return clipped


def clip_context(
    context: SectionContext, radius: int = CONTEXT_RADIUS
) -> tuple[SectionContext, int]:
    """Cut a long section to `radius` characters around the passage; returns it and its offset."""
    lo = max(0, context.start - radius)
    hi = min(len(context.text), context.end + radius)
    cut = SectionContext(context.text[lo:hi], context.start - lo, context.end - lo)
    return cut, lo


def meta_line(chunk: Chunk, meta: DocMeta) -> str:
    """Region · date · 文号 of a passage's document, as plain text."""
    parts = [
        meta.region or chunk.region or "地区未注明",
        meta.date or "日期未注明",
        meta.doc_number or "无文号",
    ]
    if chunk.page is not None:
        parts.append(f"第 {chunk.page} 页")
    return " · ".join(parts)


def render_card(card: SourceCard) -> str:
    """One source as HTML: title, metadata, section, highlighted passage, context expander."""
    chunk = card.chunk
    title = card.meta.title or chunk.title or chunk.doc
    passage = highlight(chunk.text, chunk.start, card.spans)
    parts = [
        '<div class="pq-source">',
        f'<div class="pq-head"><span class="pq-label">{html.escape(card.label)}</span> '
        f'<span class="pq-title">{html.escape(title)}</span></div>',
        f'<div class="pq-meta">{html.escape(meta_line(chunk, card.meta))}</div>',
        f'<div class="pq-section">{html.escape(chunk.section_path or "（正文）")}</div>',
        f'<blockquote class="pq-passage">{passage}</blockquote>',
    ]
    if card.context is not None:
        parts.append(_render_context(card, card.context))
    parts.append("</div>")
    return "".join(parts)


def _render_context(card: SourceCard, context: SectionContext) -> str:
    cut, lo = clip_context(context)
    # Source offset where the cut context text begins: the chunk sits at cut.start.
    base = card.chunk.start - cut.start
    body = highlight(cut.text, base, card.spans, region=(cut.start, cut.end))
    before = "…" if lo > 0 else ""
    after = "…" if lo + len(cut.text) < len(context.text) else ""
    return (
        '<details class="pq-context"><summary>查看原文上下文</summary>'
        f'<div class="pq-context-text">{before}{body}{after}</div></details>'
    )


def render_sources(answer: Answer | None, cards: Sequence[SourceCard]) -> str:
    """The sources panel for an answer: notices, then cited (or possibly relevant) passages."""
    if answer is None:
        return '<div class="pq-sources pq-empty">提问后，这里显示答案引用的原文出处。</div>'
    parts = ['<div class="pq-sources">']
    parts.extend(
        f'<div class="pq-notice">注意：{html.escape(notice)}</div>' for notice in answer.notices
    )
    if answer.abstained:
        parts.append(
            '<div class="pq-notice">未找到足以回答的依据。以下段落可能相关，仅供参考：</div>'
        )
    elif not cards:
        parts.append('<div class="pq-empty">此答案没有引用出处。</div>')
    parts.extend(render_card(card) for card in cards)
    parts.append("</div>")
    return "".join(parts)


def escape_markdown(text: str) -> str:
    """Text shown literally by a Markdown renderer: HTML escaped, Markdown punctuation quoted."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return _LINE_START_MARKER.sub(lambda m: f"{m[1]}{m[2][:-1]}\\{m[2][-1]}", escaped)


def chat_markdown(answer: Answer, docs: Mapping[str, DocMeta]) -> str:
    """The chat message for an answer: its text, notices and a short list of its sources."""
    lines = [escape_markdown(answer.text)]
    if answer.notices:
        lines.append("\n".join(f"注意：{escape_markdown(n)}" for n in answer.notices))
    if answer.citations:
        refs = [
            f"{escape_markdown(f'[{c.n}]')} {escape_markdown(source_name(c.hit.chunk, docs))}"
            for c in answer.citations
        ]
        # The chat renders single line breaks (line_breaks=True): no Markdown hard breaks.
        lines.append("出处：\n" + "\n".join(refs))
    return "\n\n".join(lines)


def source_name(chunk: Chunk, docs: Mapping[str, DocMeta]) -> str:
    """《title》(date) section — how a source is named in plain text."""
    meta = docs.get(chunk.doc, DocMeta())
    title = meta.title or chunk.title or chunk.doc
    date = f"（{meta.date}）" if meta.date else ""
    section = f" {chunk.section_path}" if chunk.section_path else ""
    return f"《{title}》{date}{section}"


def copy_text(answer: Answer, docs: Mapping[str, DocMeta]) -> str:
    """Plain text to paste elsewhere: the answer, then its numbered sources with excerpts."""
    lines = [answer.text.strip()]
    if answer.notices:
        lines.append("")
        lines.extend(f"注意：{n}" for n in answer.notices)
    if answer.citations:
        lines.extend(["", "出处："])
        for citation in answer.citations:
            chunk = citation.hit.chunk
            meta = docs.get(chunk.doc, DocMeta())
            excerpt = " ".join(chunk.text.split())
            if len(excerpt) > EXCERPT_CHARS:
                excerpt = excerpt[:EXCERPT_CHARS] + "…"
            lines.append(
                f"[{citation.n}] {source_name(chunk, docs)}；{meta_line(chunk, meta)}\n"
                f"    「{excerpt}」"
            )
    return "\n".join(lines)


SOURCES_CSS = """
.pq-source { border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 8px 10px; margin-bottom: 10px; }
.pq-label { font-weight: 700; color: var(--color-accent); }
.pq-title { font-weight: 600; }
.pq-meta, .pq-section { font-size: 0.85em; opacity: 0.8; }
.pq-passage { margin: 6px 0; padding-left: 8px; border-left: 3px solid var(--color-accent);
  white-space: pre-wrap; }
.pq-notice { background: #fff4e5; color: #7a4b00; border-radius: 6px; padding: 4px 8px;
  margin-bottom: 8px; }
.pq-context summary { cursor: pointer; color: var(--color-accent); }
.pq-context-text { white-space: pre-wrap; max-height: 360px; overflow-y: auto;
  font-size: 0.9em; padding: 6px; background: var(--background-fill-secondary); }
.pq-here { background: #e8f0fe; }
mark { background: #ffe066; color: inherit; }
"""
