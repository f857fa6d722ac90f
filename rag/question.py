"""What a question asks for: its kind, its key terms, and the figures it pins down."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

FACT, LIST, TARGET, EXPLAIN = "fact", "list", "target", "explain"

_NUMBER_Q = re.compile(
    r"多少|几[个家项名座所条年位张次]?|多大|多高|比例|比重|占比|第几|排名|何时|什么时候|哪一年|哪年"
)
_LIST_Q = re.compile(
    r"哪些|哪几|包括|分别|有什么|是什么|指什么|[一二三四五六七八九十两]+[个大项类]"
)
_TARGET_Q = re.compile(r"目标|力争|到20[2-3]\d年|打算|计划")
# Words that shape a question but never appear in the answer.
_FILLER = re.compile(
    r"是多少|多少|是什么|什么|哪些|哪几个|哪几|哪个|怎么样|怎么|如何|有何|有没有|是否|能不能|"
    r"可以|请问|具体|分别|方面|提出|有关|关于|主要|准备|打算|计划|要求|的|了|吗|呢|吧|是|有|在|对|"
    r"和|与|及|或|指|把|让|将|被|给|各自|[?？!！,，。、:：;；“”\"'‘’《》()（）\s]"
)
_YEAR = re.compile(r"(?:19|20)\d{2}(?=年)")
_FIGURE = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class QuestionProfile:
    """The cues the composer and the abstention check read from a question."""

    kind: str
    wants_number: bool
    key_text: str  # the question without region names and question words
    years: tuple[str, ...]


def profile(question: str, region_names: Iterable[str] = ()) -> QuestionProfile:
    """Classify a question and strip it down to the words an answer would share."""
    wants_number = bool(_NUMBER_Q.search(question))
    if _LIST_Q.search(question) and not wants_number:
        kind = LIST
    elif _TARGET_Q.search(question) and not wants_number:
        kind = TARGET
    elif wants_number:
        kind = FACT
    else:
        kind = EXPLAIN
    key = question
    for name in sorted(region_names, key=len, reverse=True):
        key = key.replace(name, " ")
    key = _FILLER.sub(" ", key)
    return QuestionProfile(kind, wants_number, key, tuple(_YEAR.findall(question)))


def bigrams(text: str) -> set[str]:
    """Character bigrams within runs of CJK characters, plus whole numbers."""
    grams: set[str] = set()
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        if len(run) == 1:
            grams.add(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    grams.update(m.group(0) for m in _FIGURE.finditer(text))
    grams.update(w.lower() for w in re.findall(r"[A-Za-z]{2,}", text))
    return grams


def overlap(query_grams: set[str], text: str) -> float:
    """Share of the question's bigrams that the text contains (0 when the question has none)."""
    if not query_grams:
        return 0.0
    return sum(g in text for g in query_grams) / len(query_grams)
