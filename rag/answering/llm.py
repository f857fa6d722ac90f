"""The optional generative answer: a grounded prompt, checked citations and numbers, safe fallback.

A reply is only shown as the answer when every sentence cites a passage it was
given, every [n] exists, and every number it states appears in a passage it
cites; otherwise the caller gets the extractive answer with a notice saying why.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

from rag.lexicon import NOT_FOUND
from rag.sentences import sentence_spans
from rag.types import Answer, Citation, DocMeta, Hit

log = logging.getLogger(__name__)

Message = dict[str, str]  # one chat message: {"role": ..., "content": ...}


class LLMError(RuntimeError):
    """The endpoint did not give a usable reply: HTTP error, timeout or malformed data."""


ABSTAIN_TEXT = NOT_FOUND

SYSTEM_PROMPT = f"""你是政策文件问答助手。只根据所给材料回答，不使用材料以外的知识，不推测。
规则：
1. 每一句话都要在句末用 [n] 标注所依据的材料编号，可标注多个，如 [1][3]；编号只能是所给材料的编号。
2. 数字、百分比、年份、数量范围（如 1-2家、3-5座）必须与材料原文完全一致，不换算、不估计、不合并。
3. 不同文件对同一事项说法不同时，分别说明，并指出各自出自哪份文件。
4. 如果材料不能回答问题，只回答：{ABSTAIN_TEXT}
5. 用简洁的中文作答，不要复述问题，不要输出与问题无关的内容。"""

_CITE = re.compile(r"[\[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")
_SENTENCE = re.compile(rf"[^。！？!?\n]*[。！？!?]+(?:[ \t]*{_CITE.pattern})*|[^。！？!?\n]+")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•>#]+|\d{1,2}[.．、)）](?!\d)|[（(]\d+[)）])\s*")
_NUM = r"\d+(?:,\d{3}(?!\d))*(?:\.\d+)?"
_NUMBER = re.compile(
    r"(?P<date>\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(?!\d)"
    rf"|(?P<lo>{_NUM})\s*(?P<p1>[%％])?"
    rf"(?:\s*[-－–—~～〜至到]\s*(?P<hi>{_NUM})\s*(?P<p2>[%％])?)?"
)
_SHORT_CONNECTIVE = 12  # characters of content an uncited fragment may have ("具体如下：")
_SHORT_LEAD_IN = 30  # an uncited lead-in ending in a colon that introduces cited items


class ChatStreamer(Protocol):
    """Anything that streams a chat reply as text deltas (the real one is ChatClient)."""

    def stream(self, messages: Sequence[Message]) -> Iterator[str]:
        """Yield content deltas; raise LLMError when no usable reply comes."""
        ...


def build_messages(
    question: str, hits: Sequence[Hit], docs: Mapping[str, DocMeta] | None = None
) -> list[Message]:
    """The chat messages: the rules, then passages [1]..[n] in `hits` order, then the question.

    `docs` maps a chunk's `doc` path to its metadata so each passage shows its
    document's date and number; passages of unknown documents show their title only.
    """
    blocks = [_passage_block(n, hit, docs or {}) for n, hit in enumerate(hits, start=1)]
    user = (
        f"材料（共{len(hits)}段）：\n\n"
        + "\n\n".join(blocks)
        + f"\n\n问题：{question.strip()}\n"
        + "请只根据以上材料作答，每句末尾标注 [n]，数字照抄原文。"
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def _passage_block(n: int, hit: Hit, docs: Mapping[str, DocMeta]) -> str:
    return f"{_passage_header(n, hit, docs)}\n原文：{hit.chunk.text.strip()}"


def _passage_header(n: int, hit: Hit, docs: Mapping[str, DocMeta]) -> str:
    chunk = hit.chunk
    meta = docs.get(chunk.doc, DocMeta())
    title = (chunk.title or meta.title or chunk.doc).strip("《》")
    fields = [f"[{n}] 文件：《{title}》"]
    fields += [f"{label}：{value}" for label, value in _meta_fields(chunk.region, meta) if value]
    section = f"\n章节：{chunk.section_path}" if chunk.section else ""
    return " | ".join(fields) + section


def _meta_fields(region: str, meta: DocMeta) -> list[tuple[str, str]]:
    return [
        ("地区", region or meta.region),
        ("日期", meta.date),
        ("文号", meta.doc_number),
    ]


def check_answer(
    text: str, hits: Sequence[Hit], docs: Mapping[str, DocMeta] | None = None
) -> list[str]:
    """Why `text` cannot be shown as a cited answer over `hits`; empty when it can.

    Checks: every [n] is within 1..len(hits); every sentence but short connective
    fragments cites something; every number a sentence states (digits, decimals,
    percentages, ranges such as 1-2家; Chinese numerals are not checked) appears
    in one of the passages it cites, compared without spaces or thousands commas.
    """
    if not text.strip():
        return ["回答为空"]
    passage_numbers = [
        _numbers(f"{_passage_header(n, hit, docs or {})}\n{hit.chunk.text}", passage=True)
        for n, hit in enumerate(hits, start=1)
    ]
    violations: list[str] = []
    for i, (start, end) in enumerate(_sentences(text), start=1):
        violations += _sentence_violations(i, text[start:end], passage_numbers)
    return list(dict.fromkeys(violations))


def _sentence_violations(i: int, sentence: str, passage_numbers: list[set[str]]) -> list[str]:
    cited = _cited(sentence)
    body = _LIST_MARKER.sub("", _CITE.sub("", sentence)).strip()
    out = [
        f"引用[{n}]超出材料范围（共{len(passage_numbers)}段）"
        for n in cited
        if not 0 < n <= len(passage_numbers)
    ]
    valid = [n for n in cited if 0 < n <= len(passage_numbers)]
    stated = _numbers(body, passage=False)
    if not cited and not _exempt(body, stated):
        out.append(f"第{i}句没有引用：「{_snippet(body)}」")
    allowed = set().union(*(passage_numbers[n - 1] for n in valid)) if valid else set()
    marks = "".join(f"[{n}]" for n in valid)
    out += [
        f"第{i}句的数字“{num}”不在所引材料{marks}中"
        for num in sorted(stated)
        if valid and num not in allowed
    ]
    return out


def _exempt(body: str, stated: set[str]) -> bool:
    """Uncited text that states nothing: connectives, headings, list lead-ins, the abstention."""
    core = _core(body)
    if stated:
        return False
    if core == _core(ABSTAIN_TEXT) or len(core) <= _SHORT_CONNECTIVE:
        return True
    return body.rstrip().endswith(("：", ":")) and len(core) <= _SHORT_LEAD_IN


def _numbers(text: str, *, passage: bool) -> set[str]:
    """Canonical number tokens of `text` ("1-2", "8%", "3.5").

    A range of two years also stands for each year, so "到2025年" may cite
    "2021-2025年" and "2021—2025年" may cite a passage naming both years apart;
    a passage keeps the range token as well, an answer checks only the years.
    """
    found: set[str] = set()
    for m in _NUMBER.finditer(_CITE.sub(" ", text)):
        if m["date"]:
            found.update(_canon(part) for part in re.split(r"[-/.]", m["date"]))
            continue
        percent = "%" if m["p1"] or m["p2"] else ""
        lo, hi = _canon(m["lo"]), _canon(m["hi"]) if m["hi"] else ""
        years = [n for n in (lo, hi) if _is_year(n)] if hi and not percent else []
        if passage or len(years) < 2:
            found.add(f"{lo}-{hi}{percent}" if hi else f"{lo}{percent}")
        if passage or len(years) == 2:
            found.update(years)
    return found


def _canon(number: str) -> str:
    whole, dot, frac = unicodedata.normalize("NFKC", number).replace(",", "").partition(".")
    return (whole.lstrip("0") or "0") + dot + frac


def _is_year(number: str) -> bool:
    return number.isdigit() and len(number) == 4 and 1900 <= int(number) <= 2100


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of `text`; a citation run after the full stop belongs to its sentence."""
    spans: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            continue
        if spans and not _core(_CITE.sub("", text[start:end])):
            spans[-1] = (spans[-1][0], end)  # a citation run alone on its line
        else:
            spans.append((start, end))
    return spans


def _cited(sentence: str) -> list[int]:
    return [int(n) for m in _CITE.finditer(sentence) for n in re.split(r"[,，、\s]+", m[1]) if n]


def _core(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def _snippet(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def answer_with_llm(
    question: str,
    hits: Sequence[Hit],
    client: ChatStreamer,
    fallback: Answer,
    docs: Mapping[str, DocMeta] | None = None,
) -> Iterator[str | Answer]:
    """Stream the model's reply as text deltas, then yield the final Answer last.

    The final Answer is the checked reply (mode "llm", citations renumbered 1..m in
    order of first use, so streamed deltas may still show the model's numbers), or
    `fallback` plus a notice when the endpoint fails, times out or the check fails.
    """
    if not hits:
        yield fallback
        return
    parts: list[str] = []
    try:
        for delta in client.stream(build_messages(question, hits, docs)):
            parts.append(delta)
            yield delta
    except (LLMError, TimeoutError) as exc:
        log.warning("LLM answer unavailable, using the extractive answer: %s", exc)
        yield _with_notice(
            fallback, f"生成式回答不可用（{_snippet(str(exc), 80)}），已改为原文摘录。"
        )
        return
    text = "".join(parts).strip()
    violations = check_answer(text, hits, docs)
    if violations:
        log.warning("LLM answer rejected: %s", "; ".join(violations))
        more = f"等{len(violations)}项" if len(violations) > 1 else ""
        yield _with_notice(
            fallback, f"生成式回答未通过引用核验（{violations[0]}{more}），已改为原文摘录。"
        )
        return
    yield _llm_answer(question, text, hits, fallback.hits or tuple(hits))


def _with_notice(fallback: Answer, notice: str) -> Answer:
    return dataclasses.replace(fallback, notices=(*fallback.notices, notice))


def _llm_answer(question: str, text: str, hits: Sequence[Hit], all_hits: tuple[Hit, ...]) -> Answer:
    if not _cited(text) and ABSTAIN_TEXT.rstrip("。") in text:
        return Answer(question, ABSTAIN_TEXT, (), abstained=True, mode="llm", hits=all_hits)
    order = list(dict.fromkeys(_cited(text)))
    spans: dict[int, list[tuple[int, int]]] = {n: [] for n in order}
    for start, end in _sentences(text):
        sentence = text[start:end]
        for n in dict.fromkeys(_cited(sentence)):
            span = _best_span(_CITE.sub("", sentence), hits[n - 1])
            if span and span not in spans[n]:
                spans[n].append(span)
    new_n = {old: new for new, old in enumerate(order, start=1)}
    citations = tuple(
        Citation(new_n[old], hits[old - 1], tuple(sorted(spans[old]))) for old in order
    )
    renumbered = _CITE.sub(lambda m: "".join(f"[{new_n[n]}]" for n in _cited(m[0])), text)
    return Answer(question, renumbered, citations, abstained=False, mode="llm", hits=all_hits)


def _best_span(sentence: str, hit: Hit) -> tuple[int, int] | None:
    """Source offsets of the passage sentence sharing most character bigrams, if any.

    Passage sentences are cut as extractive answers cut them, so both modes highlight alike.
    """
    wanted = _bigrams(sentence)
    best, best_score = None, 0
    chunk = hit.chunk
    for start, end in sentence_spans(chunk.text, chunk.start):
        score = len(wanted & _bigrams(chunk.text[start - chunk.start : end - chunk.start]))
        if score > best_score:
            best, best_score = (start, end), score
    return best


def _bigrams(text: str) -> set[str]:
    core = _core(text)
    return {core[i : i + 2] for i in range(len(core) - 1)}
