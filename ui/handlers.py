"""Chat app event handlers as plain functions of values, so they are tested without a server.

Every step of a reply carries plain values for every output (never a gradio update
object): gradio keeps a new component copy per session for each update it is sent,
which a long-running server cannot afford.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rag.answering.query import MAX_QUESTION_CHARS, QuestionError
from rag.config import ServeSettings
from rag.types import Answer, Chunk, DocMeta
from ui.feedback import FeedbackLog, feedback_record
from ui.live import LiveService
from ui.render import (
    SectionContext,
    SourceCard,
    chat_markdown,
    copy_text,
    escape_markdown,
    render_sources,
)

if TYPE_CHECKING:
    from index.service import QAService

log = logging.getLogger(__name__)

ANY_REGION = "全部地区"
ANY_DOC = "全部文件"
ABSTAIN_PASSAGES = 5  # 可能相关 passages shown when the answer abstains
SHOWN_QUESTION_CHARS = 300  # a longer question is shortened in its chat bubble
PENDING = "正在检索…"
EMPTY_QUESTION = "请先输入问题，再点“提问”。"
NOTHING_TO_RATE = "还没有可以评价的答案。"
FAILED = "出错了：回答时发生内部错误，请稍后重试；如果一再出现，请联系管理员（详情见服务器日志）。"
NO_ANSWER = "出错了：没有得到答案，请重试。"

Message = dict[str, Any]  # gradio's chat message: {"role": ..., "content": ...}


@dataclass(frozen=True)
class Turn:
    """The latest answer of a browser session, the filters it was asked under, what it showed."""

    answer: Answer
    region: str | None = None
    doc: str | None = None
    sources: str = ""  # the sources panel HTML of this answer
    copy: str = ""  # the text 复制答案与出处 copies


@dataclass(frozen=True)
class Reply:
    """One step of a chat reply: every output of the page, as plain values."""

    history: list[Message]
    turn: Turn | None
    sources: str  # sources panel HTML (the previous answer's until the new one is in)
    copy: str  # text for the copy button
    note: str  # the line under the buttons: feedback, or what to do
    status: str  # the index status line


class _Fixed:
    """A service that never changes (tests, and folders that are a single build)."""

    def __init__(self, service: QAService) -> None:
        self.service = service

    def current(self) -> QAService:
        return self.service


class ChatHandlers:
    """Event handlers over the live service; plain values in and out, no gradio."""

    def __init__(
        self,
        service: QAService | LiveService,
        feedback: FeedbackLog,
        limits: ServeSettings | None = None,
    ) -> None:
        """Bind the handlers to what answers (a service, or the live build's holder) and logs."""
        self._source = service if isinstance(service, LiveService) else _Fixed(service)
        self.feedback = feedback
        self.limits = limits or ServeSettings()

    @property
    def service(self) -> QAService:
        """The service of the live build (a newly published build replaces it between questions)."""
        return self._source.current()

    def region_choices(self) -> list[str]:
        """Region filter entries: all regions, then each region of the index."""
        return [ANY_REGION, *self.service.regions()]

    def doc_choices(self, region: str | None = None) -> list[tuple[str, str]]:
        """(label, path) document filter entries, limited to a region when one is chosen."""
        wanted = filter_value(region, ANY_REGION)
        entries = [
            (_doc_label(path, meta), path)
            for path, meta in sorted(self.service.docs.items(), key=lambda kv: kv[1].title)
            if wanted is None or meta.region == wanted
        ]
        return [(ANY_DOC, ANY_DOC), *entries]

    def status_line(self, service: QAService | None = None) -> str:
        """What the live index holds, in plain words: files, passages, build time (local)."""
        status = (service or self.service).status()
        return (
            f"索引：文件数 {status.get('documents', 0)} · 段落数 {status.get('chunks', 0)} · "
            f"构建时间 {local_time(str(status.get('built_at', '')))}"
        )

    def respond(
        self,
        message: str,
        history: Sequence[Message] | None,
        region: str | None = None,
        doc: str | None = None,
        turn: Turn | None = None,
    ) -> Iterator[Reply]:
        """Answer `message`: a pending bubble, streamed text, then the cited answer.

        An empty message only shows a hint (no bubble). Failures end the reply with one
        line in the chat; the sources panel keeps the session's previous answer.
        """
        service = self.service  # one build for the whole answer, even if a new one goes live
        shown = _Shown(
            bounded_history(history, self.limits),
            turn,
            turn.sources if turn else render_sources(None, []),
            turn.copy if turn else "",
            self.status_line(service),
        )
        text = message if isinstance(message, str) else ""
        if not text.strip():
            yield shown.reply(shown.history, EMPTY_QUESTION)
            return
        history = [*shown.history, _user_message(text)]
        problem = question_problem(text)
        if problem:
            yield shown.reply(_with_answer(history, problem))
            return
        yield shown.reply(_with_answer(history, PENDING))
        region_value = filter_value(region, ANY_REGION)
        doc_value = filter_value(doc, ANY_DOC)
        streamed = ""
        try:
            for item in service.ask_stream(text, region=region_value, doc=doc_value):
                if isinstance(item, Answer):
                    yield self._final(service, shown, history, item, region_value, doc_value)
                    return
                streamed += item
                yield shown.reply(_with_answer(history, escape_markdown(streamed)))
        except QuestionError:
            log.info("question refused by the retriever: %r", text[:100])
            yield shown.reply(_with_answer(history, "无法检索：这个问题无法检索，请换一种问法。"))
            return
        # The one place any failure becomes a chat line: logged in full, shown in one line.
        except Exception:
            log.exception("answering %r failed", text[:100])
            yield shown.reply(_with_answer(history, FAILED))
            return
        log.error("the answer stream for %r ended without an answer", text[:100])
        yield shown.reply(_with_answer(history, NO_ANSWER))

    def rate(self, rating: str, turn: Turn | None, user: str | None = None) -> str:
        """Log 有帮助 ("up") or 没帮助 ("down") for the session's latest answer; a note to show."""
        if turn is None:
            return NOTHING_TO_RATE
        record = feedback_record(turn.answer, rating, region=turn.region, doc=turn.doc, user=user)
        try:
            self.feedback.append(record)
        except OSError as err:
            log.exception("feedback could not be written to %s", self.feedback.path)
            return f"反馈未能保存：{escape_markdown(err.strerror or str(err))}，请联系管理员。"
        return "已记录：有帮助，谢谢！" if rating == "up" else "已记录：没帮助，谢谢指正！"

    def cards(self, answer: Answer, service: QAService | None = None) -> list[SourceCard]:
        """Source cards: the citations, or the 可能相关 passages of an abstention."""
        service = service or self.service
        if answer.citations:
            return [self._card(service, f"[{c.n}]", c.hit.chunk, c.spans) for c in answer.citations]
        if answer.abstained:
            return [
                self._card(service, f"可能相关 {i}", hit.chunk, ())
                for i, hit in enumerate(answer.hits[:ABSTAIN_PASSAGES], start=1)
            ]
        return []

    def _card(
        self, service: QAService, label: str, chunk: Chunk, spans: tuple[tuple[int, int], ...]
    ) -> SourceCard:
        meta = service.docs.get(chunk.doc, DocMeta())
        text, start, end = service.section_context(chunk)
        return SourceCard(label, chunk, meta, spans, SectionContext(text, start, end))

    def _final(
        self,
        service: QAService,
        shown: _Shown,
        history: list[Message],
        answer: Answer,
        region: str | None,
        doc: str | None,
    ) -> Reply:
        sources = render_sources(answer, self.cards(answer, service))
        copy = copy_text(answer, service.docs)
        turn = Turn(answer, region, doc, sources, copy)
        content = chat_markdown(answer, service.docs)
        return Reply(_with_answer(history, content), turn, sources, copy, "", shown.status)


@dataclass(frozen=True)
class _Shown:
    """What the page shows before the new answer is in: kept by every step until then."""

    history: list[Message]
    turn: Turn | None
    sources: str
    copy: str
    status: str

    def reply(self, history: list[Message], note: str = "") -> Reply:
        return Reply(history, self.turn, self.sources, self.copy, note, self.status)


def filter_value(value: str | None, any_label: str) -> str | None:
    """A dropdown value as a service filter: None for the 'all' entry or nothing chosen."""
    return None if not value or value == any_label else value


def question_problem(text: str) -> str | None:
    """Why a non-empty question cannot be searched, in Chinese; None when it can."""
    stripped = text.strip()
    try:
        stripped.encode("utf-8")
    except UnicodeEncodeError:
        return "无法检索：问题中有无法识别的字符，请重新输入。"
    if len(stripped) > MAX_QUESTION_CHARS:
        return (
            f"无法检索：问题共 {len(stripped)} 字，超过 {MAX_QUESTION_CHARS} 字的上限，"
            "请缩短后再问。"
        )
    return None


def bounded_history(history: Sequence[Any] | None, limits: ServeSettings) -> list[Message]:
    """The conversation as plain text messages, newest kept within the limits, from a question.

    Whatever a client sends is reduced to {"role", "content": text}; files, components
    and unknown roles are dropped, so nothing but text is ever echoed back.
    """
    clean = [m for m in map(_text_message, history or []) if m is not None]
    kept: list[Message] = []
    total = 0
    for message in reversed(clean):
        total += len(message["content"])
        if len(kept) >= limits.max_history_messages or total > limits.max_history_chars:
            break
        kept.append(message)
    kept.reverse()
    while kept and kept[0]["role"] != "user":
        kept.pop(0)
    return kept


def _text_message(message: Any) -> Message | None:
    if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
        return None
    content = message.get("content")
    if isinstance(content, list):  # gradio's normalized form: [{"type": "text", "text": …}]
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        content = "".join(p for p in parts if isinstance(p, str)) if parts else None
    if not isinstance(content, str):
        return None
    return {"role": message["role"], "content": content}


def local_time(iso: str) -> str:
    """An ISO timestamp (UTC in the manifest) as this machine's local time, to the second."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso or "未知"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _doc_label(path: str, meta: DocMeta) -> str:
    title = meta.title or path
    return f"{title}（{meta.date}）" if meta.date else title


def _user_message(message: str) -> Message:
    # Unpaired surrogates (possible through the API) cannot be sent back as JSON text.
    shown = message.strip().encode("utf-8", "replace").decode("utf-8")
    if len(shown) > SHOWN_QUESTION_CHARS:
        shown = f"{shown[:SHOWN_QUESTION_CHARS]}…（共 {len(shown)} 字）"
    return {"role": "user", "content": escape_markdown(shown)}


def _with_answer(history: list[Message], content: str) -> list[Message]:
    return [*history, {"role": "assistant", "content": content}]
