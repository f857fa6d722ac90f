"""Chat app event handlers as plain functions of values, so they are tested without a server."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rag.answering.query import QuestionError
from rag.types import Answer, Chunk, DocMeta
from ui.feedback import FeedbackLog, feedback_record
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
PENDING = "⏳ 正在检索…"

Message = dict[str, Any]  # gradio's chat message: {"role": ..., "content": ...}


@dataclass(frozen=True)
class Turn:
    """The latest answer of a browser session and the filters it was asked under."""

    answer: Answer
    region: str | None = None
    doc: str | None = None


@dataclass(frozen=True)
class Reply:
    """One step of a chat reply: what the page shows now."""

    history: list[Message]
    turn: Turn | None
    sources: str | None = None  # sources panel HTML; None = leave the panel as it is
    copy: str | None = None  # text for the copy button; None = leave it as it is


class ChatHandlers:
    """Event handlers over one opened service; plain values in and out, no gradio."""

    def __init__(self, service: QAService, feedback: FeedbackLog) -> None:
        """Bind the handlers to the service that answers and the log that receives 👍/👎."""
        self.service = service
        self.feedback = feedback

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

    def status_line(self) -> str:
        """Documents, chunks, model and build time of the live index, as Markdown."""
        status = self.service.status()
        text = (
            f"索引：{status.get('documents', 0)} 份文件 · {status.get('chunks', 0)} 个段落 · "
            f"模型 {status.get('model', '')} · 构建于 {status.get('built_at', '')}"
        )
        return escape_markdown(text)

    def respond(
        self,
        message: str,
        history: Sequence[Message] | None,
        region: str | None = None,
        doc: str | None = None,
        turn: Turn | None = None,
    ) -> Iterator[Reply]:
        """Answer `message`: a pending bubble, streamed text, then the cited answer.

        Failures end the reply with one line in the chat; the sources panel then keeps
        the session's previous answer.
        """
        region_value = filter_value(region, ANY_REGION)
        doc_value = filter_value(doc, ANY_DOC)
        history = [*(history or []), _user_message(message)]
        yield Reply(_with_answer(history, PENDING), turn)
        streamed = ""
        try:
            for item in self.service.ask_stream(message or "", region=region_value, doc=doc_value):
                if isinstance(item, Answer):
                    yield self._final(history, item, Turn(item, region_value, doc_value))
                    return
                streamed += item
                yield Reply(_with_answer(history, escape_markdown(streamed)), turn)
        except QuestionError as err:
            yield Reply(_with_answer(history, f"⚠️ 无法检索：{escape_markdown(str(err))}"), turn)
            return
        # The one place any failure becomes a chat line: logged in full, shown in one line.
        except Exception as err:
            log.exception("answering %r failed", message[:100])
            yield Reply(_with_answer(history, _error_line(err)), turn)
            return
        log.error("the answer stream for %r ended without an answer", message[:100])
        yield Reply(_with_answer(history, "⚠️ 出错了：没有得到答案，请重试。"), turn)

    def rate(self, rating: str, turn: Turn | None, user: str | None = None) -> str:
        """Log 👍 ("up") or 👎 ("down") for the session's latest answer; a note to show."""
        if turn is None:
            return "还没有可以评价的答案。"
        record = feedback_record(turn.answer, rating, region=turn.region, doc=turn.doc, user=user)
        try:
            self.feedback.append(record)
        except OSError as err:
            log.exception("feedback could not be written to %s", self.feedback.path)
            return f"⚠️ 反馈未能保存：{escape_markdown(err.strerror or str(err))}"
        return "已记录：👍 有帮助，谢谢！" if rating == "up" else "已记录：👎 没帮助，谢谢指正！"

    def cards(self, answer: Answer) -> list[SourceCard]:
        """Source cards: the citations, or the 可能相关 passages of an abstention."""
        if answer.citations:
            return [self._card(f"[{c.n}]", c.hit.chunk, c.spans) for c in answer.citations]
        if answer.abstained:
            return [
                self._card(f"可能相关 {i}", hit.chunk, ())
                for i, hit in enumerate(answer.hits[:ABSTAIN_PASSAGES], start=1)
            ]
        return []

    def _card(self, label: str, chunk: Chunk, spans: tuple[tuple[int, int], ...]) -> SourceCard:
        meta = self.service.docs.get(chunk.doc, DocMeta())
        text, start, end = self.service.section_context(chunk)
        return SourceCard(label, chunk, meta, spans, SectionContext(text, start, end))

    def _final(self, history: list[Message], answer: Answer, turn: Turn) -> Reply:
        docs = self.service.docs
        return Reply(
            _with_answer(history, chat_markdown(answer, docs)),
            turn,
            render_sources(answer, self.cards(answer)),
            copy_text(answer, docs),
        )


def filter_value(value: str | None, any_label: str) -> str | None:
    """A dropdown value as a service filter: None for the 'all' entry or nothing chosen."""
    return None if not value or value == any_label else value


def _doc_label(path: str, meta: DocMeta) -> str:
    title = meta.title or path
    return f"{title}（{meta.date}）" if meta.date else title


def _user_message(message: str) -> Message:
    shown = (message or "").strip()
    if len(shown) > SHOWN_QUESTION_CHARS:
        shown = f"{shown[:SHOWN_QUESTION_CHARS]}…（共 {len(shown)} 字）"
    return {"role": "user", "content": escape_markdown(shown)}


def _with_answer(history: list[Message], content: str) -> list[Message]:
    return [*history, {"role": "assistant", "content": content}]


def _error_line(err: Exception) -> str:
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return f"⚠️ 出错了：{escape_markdown(first)}（详情见服务器日志）"
